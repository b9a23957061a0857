//! Where a webhook may point: an absolute https URL on a public host; plain
//! http and private addresses only on loopback and only when the operator
//! runs with `--allow-private-network` (development and tests). Checked
//! when the webhook is set and again before every attempt, since the
//! process sending it may run under another policy than the one that set
//! it; names resolving to private addresses are refused at connect time
//! by the same resolver the component runtime uses.

use std::net::IpAddr;

use url::{Host, Url};

use crate::runtime::is_public;

/// The longest webhook URL accepted.
pub const MAX_URL_BYTES: usize = 2048;

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not a URL flowauth posts to (scheme, credentials, fragment, length).
    #[error("{0}")]
    Invalid(String),
    /// A well-formed URL whose host this server may not reach: not public,
    /// or plain http to loopback without `--allow-private-network`.
    #[error("{0}")]
    NotPublic(String),
}

/// The webhook URL `text`, if the policy allows it.
pub fn check_url(text: &str, allow_private_network: bool) -> Result<Url, Refused> {
    let invalid = |message: String| Refused::Invalid(message);
    let text = text.trim();
    if text.len() > MAX_URL_BYTES {
        return Err(invalid(format!("the webhook url is longer than {MAX_URL_BYTES} bytes")));
    }
    let url = Url::parse(text).map_err(|e| {
        invalid(format!("webhook url {text:?} is not an absolute URL ({e}): give one such as https://flows.example.com/hooks/flowauth"))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the webhook url must not carry a user name or password: the signature authenticates flowauth to the receiver".into()));
    }
    if url.fragment().is_some() {
        return Err(invalid("the webhook url must not have a #fragment: it is never sent to the receiver".into()));
    }
    let host = url.host().ok_or_else(|| invalid(format!("webhook url {text:?} has no host")))?;
    let loopback = match &host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_private_network => {}
        "http" if loopback => {
            return Err(Refused::NotPublic(
                "plain http reaches only loopback and only when the server runs with --allow-private-network \
                 (development): use https"
                    .into(),
            ));
        }
        other => return Err(invalid(format!("the webhook url must use https, not {other}"))),
    }
    let private = match host {
        Host::Domain(_) => loopback,
        Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
        Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
    };
    if private && !allow_private_network {
        return Err(Refused::NotPublic(format!(
            "{} is not a public address (loopback, private, link-local or another special-purpose range): use a \
             public host, or run the server with --allow-private-network (development)",
            url.host_str().unwrap_or_default()
        )));
    }
    Ok(url)
}

/// `scheme://host[:port]/path` for logs: a receiver may put its own
/// secret in the query string.
pub fn loggable(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut shown) => {
            shown.set_query(None);
            shown.set_fragment(None);
            shown.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_on_public_hosts_only_unless_the_operator_allows_private() {
        assert!(check_url("https://flows.example.com/hooks", false).is_ok());
        for refused in [
            "http://flows.example.com/hooks",
            "http://127.0.0.1:9000/hooks",
            "https://127.0.0.1/hooks",
            "https://10.0.0.8/hooks",
            "https://[::1]/hooks",
            "https://localhost/hooks",
            "https://169.254.169.254/latest",
            "https://[2002:7f00:1::]/hooks",
            "https://[2001::5efe:7f00:1]/hooks",
            "https://[64:ff9b:1::7f00:1]/hooks",
            "https://[::127.0.0.1]/hooks",
            "https://100.64.0.1/hooks",
            "ftp://flows.example.com/",
            "/hooks",
            "https://user:pw@flows.example.com/",
            "https://flows.example.com/#x",
        ] {
            assert!(check_url(refused, false).is_err(), "{refused} accepted");
        }
        assert!(check_url("http://127.0.0.1:9000/hooks", true).is_ok());
        assert!(check_url("http://localhost:9000/hooks", true).is_ok());
        assert!(check_url("http://10.0.0.8/hooks", true).is_err(), "plain http to a private, non-loopback host");
        assert!(check_url("http://flows.example.com/hooks", true).is_err(), "plain http off loopback");
    }

    #[test]
    fn errors_say_how_to_fix() {
        let error = check_url("http://127.0.0.1:9/", false).unwrap_err();
        assert!(matches!(&error, Refused::NotPublic(m) if m.contains("--allow-private-network")), "{error}");
        assert!(matches!(check_url("https://10.0.0.8/", false), Err(Refused::NotPublic(_))));
        assert!(matches!(check_url("ftp://flows.example.com/", false), Err(Refused::Invalid(_))));
    }

    #[test]
    fn logs_show_no_query() {
        assert_eq!(loggable("https://h.example.com/in?token=abc"), "https://h.example.com/in");
    }
}
