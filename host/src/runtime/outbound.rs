//! The `http` import and its whole policy, in one place: https only, only
//! allowed hosts, public addresses only (checked after DNS resolution, so a
//! name cannot smuggle in 127.0.0.1), no redirects followed, bounded time,
//! bounded body, a few requests per call. Requests are logged without
//! query strings or bodies, where codes and secrets travel.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use super::config::OutboundConfig;
use super::types::{Client, Connector, HttpError, HttpRequest, HttpResponse};

/// The process-wide HTTP client and policy.
pub struct Outbound {
    client: reqwest::Client,
    config: OutboundConfig,
}

impl Outbound {
    pub fn new(config: &OutboundConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .dns_resolver(Arc::new(GuardedResolver { allow_private: config.allow_private_network }))
            .user_agent(concat!("flowauth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, config: config.clone() })
    }
}

/// One allowed host, parsed once: `login.example.com`, `*.example.com`
/// (its subdomains), with an optional `:port`. Without a port it matches
/// the scheme's default port only (443 for https).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    /// Lower case; `*.` prefix for a wildcard; IPv6 without brackets.
    host: String,
    port: Option<u16>,
}

impl HostPattern {
    /// Parses `host`, `*.domain`, `host:port` or `[v6]:port`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        let invalid = |why: &str| format!("host {text:?} is not valid: {why} (write host, *.domain or host:port)");
        if text.contains('/') || text.contains('@') {
            return Err(invalid("no scheme, path or user"));
        }
        let (host, port) = match text.strip_prefix('[') {
            Some(rest) => {
                let (host, after) = rest.split_once(']').ok_or_else(|| invalid("unclosed ["))?;
                let port = after.strip_prefix(':');
                if port.is_none() && !after.is_empty() {
                    return Err(invalid("only :port may follow ]"));
                }
                (host.to_owned(), port)
            }
            None if text.matches(':').count() > 1 => (text.clone(), None),
            None => match text.split_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port)),
                None => (text.clone(), None),
            },
        };
        let port = port.map(|p| p.parse::<u16>().map_err(|_| invalid("the port must be a number"))).transpose()?;
        let name = host.strip_prefix("*.").unwrap_or(&host);
        if name.is_empty() || name.contains('*') {
            return Err(invalid("a wildcard is only allowed as a leading `*.`"));
        }
        Ok(Self { host, port })
    }

    /// The valid ones of `texts` (grants were checked when approved).
    pub fn parse_all(texts: &[String]) -> Vec<Self> {
        texts.iter().filter_map(|text| Self::parse(text).ok()).collect()
    }

    /// Whether this wildcard covers the sites of unrelated owners: the part
    /// after `*.` is itself a public suffix by the Public Suffix List, ICANN
    /// or private section (`*.com`, `*.co.uk`, `*.github.io`,
    /// `*.appspot.com`), or a name the list does not know (`*.internal`).
    /// An operator must allow that explicitly.
    pub fn is_broad(&self) -> bool {
        self.broad_suffix().is_some()
    }

    /// The public suffix a broad wildcard covers (`github.io` for `*.github.io`).
    pub fn broad_suffix(&self) -> Option<&str> {
        self.host.strip_prefix("*.").filter(|domain| public_suffix_len(domain) >= domain.len())
    }

    /// This pattern with its `{name}` placeholder (GitLab's `{host}`)
    /// filled with the host `value_of(name)` gives, as a name, `name:port`
    /// or an http(s) URL; `None` without a placeholder, or for a value that
    /// names no single host (a wildcard, a path, another placeholder).
    fn filled(&self, value_of: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let open = self.host.find('{')?;
        let close = open + self.host[open..].find('}')?;
        let value = value_of(&self.host[open + 1..close])?;
        let (host, port) = match Url::parse(value.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => (url.host_str()?.to_owned(), url.port()),
            _ => Self::parse(&value).map(|given| (given.host, given.port)).ok()?,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['*', '{', '}']) {
            return None;
        }
        let filled = format!("{}{host}{}", &self.host[..open], &self.host[close + 1..]).to_ascii_lowercase();
        Some(Self { host: filled, port: port.or(self.port) })
    }

    /// A narrow wildcard stops where the list puts a public suffix below
    /// it: `*.amazonaws.com` reaches AWS's own hosts, not the customer
    /// sites under `s3.amazonaws.com`.
    fn matches(&self, host: &str, port: Option<u16>) -> bool {
        let host_matches = match self.host.strip_prefix("*.") {
            Some(domain) => {
                host.len() > domain.len() + 1
                    && host.ends_with(domain)
                    && host[..host.len() - domain.len()].ends_with('.')
                    && (self.is_broad() || public_suffix_len(host) < domain.len())
            }
            None => self.host == host,
        };
        host_matches && self.port == port
    }
}

/// The length of the public suffix `name` ends with (its last label where
/// the list has no rule; all of it where it is no domain name).
fn public_suffix_len(name: &str) -> usize {
    psl::suffix(name.as_bytes()).map_or(name.len(), |suffix| suffix.as_bytes().len())
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.host.contains(':'), self.port) {
            (true, Some(port)) => write!(f, "[{}]:{port}", self.host),
            (false, Some(port)) => write!(f, "{}:{port}", self.host),
            _ => f.write_str(&self.host),
        }
    }
}

/// The hosts one call may reach.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    hosts: Vec<HostPattern>,
}

impl AllowList {
    /// What the operator granted the component (or, for built-ins and
    /// components installed before grants, what the connector declares),
    /// plus the hosts of absolute URLs the admin configured, with their
    /// ports: among the provider's settings (a `BASE_URL`, a `TOKEN_URL`,
    /// ...) and in a custom connector's definition (its `base_url`, ...).
    /// A `{name}` host is the one the call's input `name` (or the setting
    /// of that name) gives: GitLab's `{host}` reaches a self-managed server
    /// named per token.
    pub fn new(
        connector: Option<&Connector>,
        client: Option<&Client>,
        granted: Option<&[HostPattern]>,
        inputs: &[(String, String)],
    ) -> Self {
        let declared: Vec<HostPattern> = match granted {
            Some(granted) => granted.to_vec(),
            None => HostPattern::parse_all(connector.map(|c| c.hosts.as_slice()).unwrap_or_default()),
        };
        let settings = client.map(|c| c.settings.as_slice()).unwrap_or_default();
        let value_of = |name: &str| {
            let named = |pairs: &[(String, String)]| {
                pairs.iter().find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty()).map(|(_, v)| v.clone())
            };
            named(inputs).or_else(|| named(settings))
        };
        let named: Vec<HostPattern> = declared.iter().filter_map(|pattern| pattern.filled(value_of)).collect();
        let declared = declared.into_iter().filter(|pattern| !pattern.host.contains('{')).chain(named);
        let mut values: Vec<String> =
            client.into_iter().flat_map(|c| c.settings.iter()).map(|(_, value)| value.clone()).collect();
        if let Some(definition) = client.and_then(|c| c.definition.as_deref())
            && let Ok(definition) = serde_json::from_str::<serde_json::Value>(definition)
        {
            strings(&definition, &mut values);
        }
        let configured = values
            .iter()
            .filter_map(|value| Url::parse(value.trim()).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .filter_map(|url| {
                let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
                (!host.contains('{') && !host.contains("%7b")).then_some(HostPattern { host, port: url.port() })
            });
        let mut hosts: Vec<HostPattern> = declared.chain(configured).collect();
        hosts.sort_by(|a, b| (&a.host, a.port).cmp(&(&b.host, b.port)));
        hosts.dedup();
        Self { hosts }
    }

    /// `port` is `None` for the scheme's default port.
    fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.hosts.iter().any(|allowed| allowed.matches(host, port))
    }
}

/// Every string value of a JSON document.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        serde_json::Value::Object(fields) => fields.values().for_each(|item| strings(item, out)),
        _ => {}
    }
}

/// The outbound side of one component call.
pub struct OutboundCall {
    outbound: Arc<Outbound>,
    allow: AllowList,
    component: Arc<str>,
    sent: u32,
    /// Time spent waiting on the network, which is not the guest's CPU.
    pub waited: Duration,
}

impl OutboundCall {
    pub fn new(outbound: Arc<Outbound>, allow: AllowList, component: Arc<str>) -> Self {
        Self { outbound, allow, component, sent: 0, waited: Duration::ZERO }
    }

    /// Sends one request under the policy.
    pub async fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let started = Instant::now();
        let url = self.check(&request)?;
        let method = request.method.clone();
        let result = self.exchange(url.clone(), request).await;
        self.waited += started.elapsed();
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(response) => {
                tracing::info!(component = %self.component, %method, url = %loggable(&url), status = response.status, elapsed_ms, "outbound request")
            }
            Err(error) => {
                tracing::warn!(component = %self.component, %method, url = %loggable(&url), ?error, elapsed_ms, "outbound request failed")
            }
        }
        result
    }

    fn check(&mut self, request: &HttpRequest) -> Result<Url, HttpError> {
        let config = &self.outbound.config;
        let url = Url::parse(&request.url).map_err(|e| HttpError::Denied(format!("not a valid URL ({e})")))?;
        match url.scheme() {
            "https" => {}
            "http" if config.allow_private_network => {}
            "http" => {
                return Err(HttpError::Denied(
                    "plain http is refused: use https; for development against a server on this machine or its \
                     network, run flowauth with --allow-private-network (or FLOWAUTH_ALLOW_PRIVATE_NETWORK=true), \
                     which allows plain http and private addresses"
                        .into(),
                ));
            }
            other => return Err(HttpError::Denied(format!("scheme {other} is not allowed: use https"))),
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        if !self.allow.allows(&host, url.port()) {
            let shown = match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            };
            return Err(HttpError::Denied(format!(
                "host {shown} is not declared by the connector nor approved for this component: declare it in the \
                 connector's hosts and approve it at install (flowauth component install --allow-host {shown}), or \
                 name it in a provider setting URL"
            )));
        }
        if let Some(ip) = literal_ip(&url)
            && !config.allow_private_network
            && !is_public(ip)
        {
            return Err(HttpError::Denied(format!(
                "address {ip} is not public (loopback, private, link-local or another special-purpose range): use a \
                 public host, or run with --allow-private-network (development)"
            )));
        }
        if self.sent >= config.max_requests_per_call {
            return Err(HttpError::Denied(format!("more than {} requests in one call", config.max_requests_per_call)));
        }
        self.sent += 1;
        Ok(url)
    }

    async fn exchange(&self, url: Url, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| HttpError::Denied(format!("invalid method {:?}", request.method)))?;
        let mut builder = self.outbound.client.request(method, url);
        for (name, value) in &request.headers {
            if !is_hop_by_hop(name) {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        let mut response = builder.body(request.body).send().await.map_err(transport_error)?;
        let limit = self.outbound.config.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(HttpError::TooLarge);
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > limit {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse { status, headers, body })
    }
}

fn transport_error(error: reqwest::Error) -> HttpError {
    if error.is_timeout() {
        return HttpError::Timeout;
    }
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    while let Some(inner) = source {
        if let Some(refused) = inner.downcast_ref::<PrivateAddress>() {
            return HttpError::Denied(refused.to_string());
        }
        source = inner.source();
    }
    let mut message = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        message = format!("{message}: {inner}");
        source = inner.source();
    }
    HttpError::Transport(format!("{}{message}", error.without_url()))
}

/// Headers the HTTP client owns; a component cannot set them.
fn is_hop_by_hop(name: &str) -> bool {
    ["host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive"]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// `scheme://host[:port]/path`: query and fragment carry codes and tokens.
fn loggable(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.to_string()
}

fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), benchmarking, documentation, multicast,
/// reserved or another special-purpose range, and not such an IPv4
/// address wrapped in IPv6 (mapped, NAT64, 6to4). One function for every
/// outbound connection: component calls and webhooks.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 88 && c == 99)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

/// Public IPv6 is global unicast (`2000::/3`), which leaves out loopback,
/// `::a.b.c.d`, NAT64's local-use `64:ff9b:1::/48`, discard-only,
/// unique-local, link- and site-local and multicast; less the IETF's
/// protocol assignments (`2001::/23`: Teredo, benchmarking, ORCHID) and
/// documentation (`2001:db8::/32`, `3fff::/20`). An IPv4 address inside
/// (`::ffff:a.b.c.d`, NAT64's `64:ff9b::a.b.c.d`, 6to4's `2002:AABB:CCDD::`)
/// is where the packets go, so that one is judged instead.
fn is_public_v6(ip: Ipv6Addr) -> bool {
    let v4 = |high: u16, low: u16| {
        let ([a, b], [c, d]) = (high.to_be_bytes(), low.to_be_bytes());
        Ipv4Addr::new(a, b, c, d)
    };
    match ip.segments() {
        [0, 0, 0, 0, 0, 0xffff, high, low] | [0x64, 0xff9b, 0, 0, 0, 0, high, low] | [0x2002, high, low, ..] => {
            is_public_v4(v4(high, low))
        }
        [first, second, ..] => {
            (first & 0xe000) == 0x2000
                && !(first == 0x2001 && second < 0x0200)
                && !(first == 0x2001 && second == 0x0db8)
                && !(first == 0x3fff && second < 0x1000)
        }
    }
}

/// A name that resolves only to addresses the policy refuses.
#[derive(Debug)]
struct PrivateAddress(String);

impl std::fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "host {} resolves only to addresses that are not public (loopback, private, link-local or another \
             special-purpose range)",
            self.0
        )
    }
}

impl std::error::Error for PrivateAddress {}

/// DNS resolution that drops refused addresses before connecting. Shared
/// with webhook delivery, so every outbound connection follows one policy.
pub struct GuardedResolver {
    allow_private: bool,
}

impl GuardedResolver {
    /// Refuses private, loopback and link-local addresses unless `allow_private`.
    pub fn new(allow_private: bool) -> Self {
        Self { allow_private }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(
                    Box::new(PrivateAddress(name.as_str().to_owned())) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_internal_addresses() {
        for (internal, what) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "this network"),
            ("192.0.0.8", "IETF protocol assignments"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.1", "documentation"),
            ("203.0.113.1", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("192.88.99.1", "6to4 relay anycast"),
            ("224.0.0.1", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("::7f00:1", "IPv4-compatible ::127.0.0.1"),
            ("::5db8:d822", "IPv4-compatible, deprecated even when public"),
            ("::ffff:127.0.0.1", "IPv4-mapped"),
            ("::ffff:169.254.169.254", "IPv4-mapped"),
            ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"),
            ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
            ("64:ff9b:1::5db8:d822", "NAT64 local use"),
            ("2002:7f00:1::", "6to4 of 127.0.0.1"),
            ("2002:a9fe:a9fe::1", "6to4 of 169.254.169.254"),
            ("2002:a00:1::", "6to4 of 10.0.0.1"),
            ("2001::5efe:7f00:1", "Teredo"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
            ("2001:2::1", "benchmarking"),
            ("2001:10::1", "ORCHID"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("100::1", "discard-only"),
            ("fc00::1", "unique local"),
            ("fd00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("5f00::1", "SRv6 segment identifiers"),
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal} ({what})");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "2a00:1450:4001:80b::200e",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    fn granting(granted: &[&str]) -> AllowList {
        let granted: Vec<String> = granted.iter().map(|h| h.to_string()).collect();
        AllowList::new(None, None, Some(&HostPattern::parse_all(&granted)), &[])
    }

    #[test]
    fn allow_list_matches_exact_hosts_and_wildcards() {
        let allow = granting(&["login.example.com", "*.my.salesforce.com"]);
        assert!(allow.allows("LOGIN.example.com", None));
        assert!(allow.allows("acme.my.salesforce.com", None));
        assert!(!allow.allows("my.salesforce.com", None));
        assert!(!allow.allows("evilmy.salesforce.com", None));
        assert!(!allow.allows("login.example.com.evil.net", None));
    }

    #[test]
    fn allow_list_matches_ports() {
        let allow = granting(&["login.example.com", "api.example.com:8443", "[::1]:9000"]);
        assert!(allow.allows("login.example.com", None), "default port");
        assert!(!allow.allows("login.example.com", Some(8443)), "another port");
        assert!(allow.allows("api.example.com", Some(8443)));
        assert!(!allow.allows("api.example.com", None));
        assert!(allow.allows("[::1]", Some(9000)));
    }

    #[test]
    fn wildcards_over_a_public_suffix_are_broad() {
        for broad in [
            "*.com",
            "*.co.uk",
            "*.com.au",
            "*.github.io",
            "*.appspot.com",
            "*.s3.amazonaws.com",
            "*.herokuapp.com",
            "*.internal",
        ] {
            assert!(HostPattern::parse(broad).unwrap().is_broad(), "{broad}");
        }
        for narrow in ["*.example.com", "*.example.co.uk", "*.api.github.io", "*.amazonaws.com", "login.example.com"] {
            assert!(!HostPattern::parse(narrow).unwrap().is_broad(), "{narrow}");
        }
        for exact in ["localhost", "github.io", "127.0.0.1", "169.254.169.254"] {
            assert!(!HostPattern::parse(exact).unwrap().is_broad(), "{exact}");
        }
        assert!(HostPattern::parse("*").is_err());
        assert!(HostPattern::parse("https://x.example.com").is_err());
        assert!(HostPattern::parse("a.*.example.com").is_err());
        assert!(HostPattern::parse("x.example.com:http").is_err());
    }

    #[test]
    fn a_declared_placeholder_host_is_the_one_the_call_names() {
        let granted = HostPattern::parse_all(&["gitlab.com".to_owned(), "{host}".to_owned()]);
        let with = |host: &str| AllowList::new(None, None, Some(&granted), &[("HOST".to_owned(), host.to_owned())]);
        assert!(with("git.acme.example").allows("git.acme.example", None));
        assert!(with("https://git.acme.example/").allows("git.acme.example", None), "a URL names its host");
        assert!(with("http://127.0.0.1:8929").allows("127.0.0.1", Some(8929)), "and its port");
        assert!(with("git.acme.example:8443").allows("git.acme.example", Some(8443)));
        assert!(!with("git.acme.example").allows("other.example", None));
        for unusable in ["*.com", "git.acme.example/x", "{other}", ""] {
            let allow = with(unusable);
            assert_eq!(allow.hosts, [HostPattern::parse("gitlab.com").unwrap()], "{unusable:?}");
        }
    }

    #[test]
    fn a_narrow_wildcard_stops_at_a_public_suffix_below_it() {
        let allow = granting(&["*.amazonaws.com", "*.api.github.io"]);
        assert!(allow.allows("sts.amazonaws.com", None));
        assert!(!allow.allows("anyones-bucket.s3.amazonaws.com", None), "s3.amazonaws.com is a public suffix");
        assert!(!allow.allows("anything.us-east-1.amazonaws.com", None), "so is us-east-1.amazonaws.com");
        assert!(allow.allows("eu.api.github.io", None));
        let approved_broad = granting(&["*.s3.amazonaws.com"]);
        assert!(approved_broad.allows("anyones-bucket.s3.amazonaws.com", None), "approved as broad");
    }
}
