//! Secrets out of error texts: an identity provider that echoes the
//! request in its error page would otherwise put the client secret (or a
//! refresh token, a code, a password) into the token's stored error, the
//! API's answer and the logs. It may echo a secret in any encoding it was
//! sent in or its page uses, so each is found in all of them: as it is,
//! form- or percent-encoded (either hex case), JSON- or HTML-escaped, and
//! inside base64 (standard or URL-safe, padded or not, at any offset: an
//! `Authorization: Basic` header is `base64(form(id):form(secret))`),
//! that base64 itself maybe percent-encoded or escaped.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

use super::error::CallError;
use super::registry::Target;
use super::types::OauthError;

/// What replaces a secret in a text.
const REDACTED: &str = "[redacted]";
/// Shorter values are too common to be told from ordinary words; a text
/// cut off inside a secret loses at least this much of it too.
const SHORTEST_SECRET: usize = 6;

impl Target {
    /// The secret settings of this call's client: those the connector
    /// declares secret, and `CLIENT_SECRET` always.
    pub fn secrets(&self) -> Vec<&str> {
        let declared_secret = |key: &str| {
            key.eq_ignore_ascii_case("CLIENT_SECRET")
                || self
                    .connector
                    .as_ref()
                    .is_some_and(|c| c.settings.iter().any(|s| s.secret && s.key.eq_ignore_ascii_case(key)))
        };
        self.client.settings.iter().filter(|(k, _)| declared_secret(k)).map(|(_, v)| v.as_str()).collect()
    }
}

impl CallError {
    /// The error with every occurrence of `secrets`, in any encoding,
    /// replaced.
    pub fn without(self, secrets: &[&str]) -> Self {
        let clean = |text: String| scrub(text, secrets);
        match self {
            Self::OAuth(OauthError::Rejected(mut e)) => {
                e.code = clean(e.code);
                e.description = e.description.map(clean);
                Self::OAuth(OauthError::Rejected(e))
            }
            Self::OAuth(OauthError::Transport(m)) => Self::OAuth(OauthError::Transport(clean(m))),
            Self::OAuth(OauthError::Protocol(m)) => Self::OAuth(OauthError::Protocol(clean(m))),
            Self::OAuth(OauthError::Config(m)) => Self::OAuth(OauthError::Config(clean(m))),
            Self::OAuth(OauthError::Unsupported(m)) => Self::OAuth(OauthError::Unsupported(clean(m))),
            Self::Trap { component, message } => Self::Trap { component, message: clean(message) },
            other => other,
        }
    }
}

/// `text` with every form of every secret replaced by [`REDACTED`].
pub(super) fn scrub(text: String, secrets: &[&str]) -> String {
    let patterns: Vec<Vec<u8>> =
        secrets.iter().filter(|s| s.len() >= SHORTEST_SECRET).flat_map(|s| patterns(s.as_bytes())).collect();
    let bytes = text.as_bytes();
    let mut found: Vec<(usize, usize)> = Vec::new();
    for start in 0..bytes.len() {
        if let Some(end) = patterns.iter().filter_map(|p| match_at(bytes, start, p)).max() {
            found.push((start, end));
        }
    }
    if found.is_empty() {
        return text;
    }
    let mut clean = Vec::with_capacity(bytes.len());
    let mut done = 0;
    for (start, end) in found {
        if end <= done {
            continue;
        }
        clean.extend_from_slice(&bytes[done..start.max(done)]);
        clean.extend_from_slice(REDACTED.as_bytes());
        done = end;
    }
    clean.extend_from_slice(&bytes[done..]);
    String::from_utf8_lossy(&clean).into_owned()
}

/// What to look for, each matched through the escapes of [`unit`]: the
/// secret, and the stretches of its base64 that do not depend on what
/// surrounds it (one per offset modulo 3, per alphabet) — of the secret
/// as it is, form-encoded (Basic) and percent-encoded.
fn patterns(secret: &[u8]) -> Vec<Vec<u8>> {
    let form: String = url::form_urlencoded::byte_serialize(secret).collect();
    let mut inner = vec![secret.to_vec(), form.into_bytes(), percent_encoded(secret).into_bytes()];
    inner.dedup();
    let mut found = vec![secret.to_vec()];
    for value in &inner {
        for offset in 0..3 {
            let mut shifted = vec![0; offset];
            shifted.extend_from_slice(value);
            // Characters whose six bits all come from `value`.
            let (first, last) = ((8 * offset).div_ceil(6), 8 * shifted.len() / 6);
            for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
                let encoded = engine.encode(&shifted).into_bytes();
                found.push(encoded[first..last].to_vec());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// RFC 3986 percent-encoding: everything but the unreserved characters.
fn percent_encoded(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where `pattern` ends if it starts at `start` in `text`, each of its
/// characters written plainly or escaped; a text cut off inside it (maybe
/// inside an escape) counts once it held [`SHORTEST_SECRET`] bytes of it.
/// Escapes that read as a plain character too are tried both ways.
fn match_at(text: &[u8], start: usize, pattern: &[u8]) -> Option<usize> {
    if text[start] != pattern[0] && !matches!(text[start], b'+' | b'%' | b'\\' | b'&') {
        return None;
    }
    let mut choices = vec![(start, 0)];
    while let Some((at, matched)) = choices.pop() {
        if matched == pattern.len() {
            return Some(at);
        }
        let rest = &text[at..];
        let cut = rest.is_empty() || (rest.len() < 6 && matches!(rest[0], b'%' | b'\\' | b'&'));
        if cut && matched >= SHORTEST_SECRET {
            return Some(text.len());
        }
        let Some(&next) = text.get(at) else { continue };
        if next == pattern[matched] {
            choices.push((at + 1, matched + 1));
        }
        if let Some((decoded, used)) = unit(&text[at..])
            && pattern[matched..].starts_with(&decoded)
        {
            choices.push((at + used, matched + decoded.len()));
        }
    }
    None
}

/// The bytes one escape at the start of `text` stands for, and its length:
/// `+` (form-encoded space), `%XX`, a JSON escape (`\/`, `\u00e9`, ...),
/// an HTML character reference (`&amp;`, `&#38;`, `&#x26;`).
fn unit(text: &[u8]) -> Option<(Vec<u8>, usize)> {
    let hex = |digits: &[u8]| u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok();
    let utf8 = |code: u32| char::from_u32(code).map(|c| c.to_string().into_bytes());
    match *text {
        [b'+', ..] => Some((vec![b' '], 1)),
        [b'%', a, b, ..] => Some((vec![u8::try_from(hex(&[a, b])?).ok()?], 3)),
        [b'\\', b'u', ..] if text.len() >= 6 => Some((utf8(hex(&text[2..6])?)?, 6)),
        [b'\\', escaped, ..] => {
            let byte = match escaped {
                b'"' | b'\\' | b'/' => escaped,
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                _ => return None,
            };
            Some((vec![byte], 2))
        }
        [b'&', ..] => {
            let end = text.iter().take(12).position(|&b| b == b';')?;
            let code = match &text[1..end] {
                b"amp" => '&' as u32,
                b"lt" => '<' as u32,
                b"gt" => '>' as u32,
                b"quot" => '"' as u32,
                b"apos" => '\'' as u32,
                [b'#', b'x' | b'X', digits @ ..] => hex(digits)?,
                [b'#', digits @ ..] => std::str::from_utf8(digits).ok()?.parse().ok()?,
                _ => return None,
            };
            Some((utf8(code)?, end + 1))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::scrub;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};

    const SECRET: &str = "s3cret/with+reserved&chars \"é\\~*?";

    fn form(text: &str) -> String {
        url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
    }

    fn percent(text: &str, lower: bool) -> String {
        let upper: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
        if lower { upper.to_lowercase() } else { upper }
    }

    /// Every form an identity provider may echo the secret in, with what
    /// of it is not secret (a Basic header's client id).
    fn echoes() -> Vec<(&'static str, String, String)> {
        let basic = STANDARD.encode(format!("flow-client:{}", form(SECRET)));
        let id = "Zmxvdy1jbGllbnQ6";
        assert!(basic.starts_with(id));
        let none = String::new;
        vec![
            ("raw", SECRET.to_owned(), none()),
            ("form-encoded", form(SECRET), none()),
            ("percent-encoded, upper hex", percent(SECRET, false), none()),
            ("percent-encoded, lower hex", percent(SECRET, true), none()),
            ("JSON string", serde_json::to_string(SECRET).unwrap(), none()),
            (
                "JSON string, slashes and non-ASCII escaped",
                r#""s3cret\/with+reserved&chars \"\u00e9\\~*?""#.into(),
                none(),
            ),
            ("HTML", "s3cret/with+reserved&amp;chars &quot;&#233;\\~*?".into(), none()),
            ("base64", STANDARD.encode(SECRET), none()),
            ("base64url", URL_SAFE.encode(SECRET), none()),
            ("base64url without padding", URL_SAFE_NO_PAD.encode(SECRET), none()),
            ("base64 of a longer text", STANDARD.encode(format!("xy{SECRET}z")), "eHk".into()),
            ("Basic header", format!("Basic {basic}"), format!("Basic {id}")),
            ("Basic header, form-encoded", form(&format!("Basic {basic}")), format!("Basic+{id}")),
            ("Basic header, percent-encoded", percent(&basic, true), percent(id, true)),
            ("Basic header, JSON string", serde_json::to_string(&basic).unwrap().replace('/', "\\/"), id.into()),
        ]
    }

    #[test]
    fn removes_every_encoding_of_a_secret() {
        for (how, echoed, kept) in echoes() {
            let clean = scrub(format!("bad request: got {echoed} (x=1)"), &[SECRET]);
            let left = clean.strip_prefix("bad request: got ").and_then(|c| c.strip_suffix(" (x=1)"));
            let left = left.unwrap_or_else(|| panic!("{how}: the text around is kept: {clean}"));
            assert!(left.contains("[redacted]"), "{how}: {clean}");
            // Base64's padding, and a character or two it shares with
            // what surrounds the secret, are no part of it.
            let rest = left.replacen("[redacted]", "", 1).to_lowercase().replace("%3d", "").replace('=', "");
            assert!(rest.len() <= kept.len() + 4, "{how}: at most a few characters of the encoding are left: {clean}");
        }
    }

    #[test]
    fn removes_a_secret_cut_off_at_the_end() {
        assert_eq!(scrub("invalid client s3cret/wi".into(), &[SECRET]), "invalid client [redacted]");
        assert_eq!(scrub("invalid client s3cret%2Fwith%2".into(), &[SECRET]), "invalid client [redacted]");
        assert_eq!(scrub("invalid client s3c".into(), &[SECRET]), "invalid client s3c", "too little to tell");
    }

    #[test]
    fn keeps_other_text_and_short_values() {
        let text = "code abc is invalid: 100% sure & <b>done</b> + more";
        assert_eq!(scrub(text.into(), &["abc", SECRET]), text);
    }
}
