//! Secrets out of error texts: an identity provider that echoes the
//! request in its error page would otherwise put the client secret (or a
//! refresh token, a code, a password) into the token's stored error, the
//! API's answer and the logs.

use super::error::CallError;
use super::registry::Target;
use super::types::OauthError;

/// What replaces a secret in a text.
const REDACTED: &str = "[redacted]";
/// Shorter values are too common to be told from ordinary words.
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
    /// The error with every occurrence of `secrets` (as sent: plain or
    /// form-encoded) replaced.
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

fn scrub(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| s.len() >= SHORTEST_SECRET) {
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for form in [secret.to_string(), encoded] {
            if text.contains(&form) {
                text = text.replace(&form, REDACTED);
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn removes_plain_and_form_encoded_secrets() {
        let echoed = "bad request: client_secret=s3cret%2Fwith%2Breserved%26chars&x=1 (s3cret/with+reserved&chars)";
        let clean = scrub(echoed.into(), &["s3cret/with+reserved&chars"]);
        assert_eq!(clean, "bad request: client_secret=[redacted]&x=1 ([redacted])");
        assert_eq!(scrub("code abc".into(), &["abc"]), "code abc", "too short to tell");
    }
}
