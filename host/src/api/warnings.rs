//! What an operator should fix in how the server is reached, reported at
//! start, by `/readyz` and by `/v1/server` (the web page shows it).

use std::net::IpAddr;

/// Warnings about the public URL: one when users and providers would
/// reach a host on the network over plain HTTP.
pub fn public_url_warnings(public_url: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(public_url) else { return Vec::new() };
    if url.scheme() == "https" || url.host().is_none_or(is_loopback) {
        return Vec::new();
    }
    vec![format!(
        "the public URL {public_url} is not HTTPS: authorization codes, API keys and tokens would cross the network \
         in the clear; serve flowauth behind a TLS proxy and set --public-url https://..."
    )]
}

/// Whether a host is this machine (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(host: url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::public_url_warnings;

    #[test]
    fn only_plain_http_on_a_network_host_warns() {
        for quiet in ["https://flow.example.com", "http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:80"] {
            assert!(public_url_warnings(quiet).is_empty(), "{quiet}");
        }
        for loud in ["http://flow.example.com", "http://10.0.0.5:8080", "http://[fe80::1]/"] {
            let warnings = public_url_warnings(loud);
            assert!(warnings.len() == 1 && warnings[0].contains("not HTTPS"), "{loud}: {warnings:?}");
        }
    }
}
