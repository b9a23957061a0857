//! Test support: a mock identity provider speaking real HTTP on 127.0.0.1,
//! and a runtime configured the way the tests need it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use flowauth::runtime::{Runtime, RuntimeConfig};
use serde_json::json;

/// One test body run once per store backend, as two tests:
/// `NAME::sqlite` and `NAME::postgres`. The body gets the
/// [`postgres::Backend`] (a new, empty database) as `&Backend`; without
/// PostgreSQL to test against, `NAME::postgres` passes after the one line
/// saying the PostgreSQL suite was skipped.
#[macro_export]
macro_rules! on_each_backend {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($backend: &$crate::postgres::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body(&$crate::postgres::Backend::sqlite()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::postgres::Backend::postgres().await {
                    body(&backend).await
                }
            }
        }
    )*};
}

/// Waits until `check` holds, for at most 10 s; panics naming `what` otherwise.
pub async fn eventually(what: &str, check: impl AsyncFnMut() -> bool) {
    eventually_within(what, Duration::from_secs(10), check).await
}

/// Waits until `check` holds, for at most `limit` (for what is due only
/// after a while, such as a renewal ahead of expiry); panics naming `what`
/// otherwise.
pub async fn eventually_within(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let step = Duration::from_millis(25);
    for _ in 0..limit.as_millis() / step.as_millis() {
        if check().await {
            return;
        }
        tokio::time::sleep(step).await;
    }
    panic!("{what} did not happen within {limit:?}");
}

pub mod discovery;
pub mod lifecycle;
pub mod openid;
pub mod postgres;
pub mod providers;
pub mod receiver;
pub mod server;

/// The client the mock provider knows.
pub const CLIENT_ID: &str = "flow-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "s3cret/with+reserved&chars";

/// One request the mock provider received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub form: HashMap<String, String>,
}

/// A running mock identity provider.
pub struct MockIdp {
    pub addr: SocketAddr,
    seen: SeenLog,
    keys: ClientKeys,
    family: Arc<Mutex<Family>>,
    gate: Arc<Gate>,
    latency: Arc<Mutex<Duration>>,
    accounts: Arc<Mutex<Accounts>>,
    load: Arc<Load>,
}

/// The password grant's one user (`ann` unless the test names another):
/// her password (the test may change it, as she would at the provider), the lifetime of the tokens
/// issued to her, whether they come with a refresh token (`rt-pw-<n>`,
/// which the provider refuses as expired), and how many password grants
/// were asked for. Access tokens are `at-pw-<n>`, n counting from 1. A
/// wrong password is refused with `invalid_grant`, quoting it, as careless
/// providers do.
#[derive(Debug)]
pub struct Accounts {
    pub username: String,
    pub password: String,
    pub lifetime: u64,
    pub refresh_tokens: bool,
    pub grants: u32,
    issued: u32,
}

impl Default for Accounts {
    fn default() -> Self {
        Self {
            username: "ann".into(),
            password: "pw".into(),
            lifetime: 600,
            refresh_tokens: false,
            grants: 0,
            issued: 0,
        }
    }
}

/// Requests to `/token` being answered now, and the most there ever were.
#[derive(Debug, Default)]
struct Load {
    now: std::sync::atomic::AtomicU32,
    most: std::sync::atomic::AtomicU32,
}

impl Load {
    /// Counts a request until the guard drops.
    fn enter(self: &Arc<Self>) -> Answering {
        use std::sync::atomic::Ordering;
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        Answering(self.clone())
    }
}

/// One request to `/token` being answered.
struct Answering(Arc<Load>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A strict provider's rotating refresh tokens (`fam-<n>`): each is good
/// once; presenting a used one revokes the whole family, as reuse detection
/// does. `refreshes` counts refresh requests, `uses` each refresh token's.
/// The knobs make it misbehave as real providers do: slow answers, 5xx
/// answers, short lifetimes.
#[derive(Debug)]
pub struct Family {
    pub current: u32,
    pub revoked: bool,
    pub refreshes: u32,
    pub uses: HashMap<String, u32>,
    /// `expires_in` of the family's access tokens; `None`: 0 for the first
    /// (from `short-code`: due for a refresh at once), 3600 for refreshed ones.
    pub lifetime: Option<u64>,
    /// How long a refresh takes before it is answered.
    pub delay: Duration,
    /// Answer refreshes with this HTTP status (a 5xx page) instead.
    pub failing: Option<u16>,
}

impl Default for Family {
    fn default() -> Self {
        Self {
            current: 0,
            revoked: false,
            refreshes: 0,
            uses: HashMap::new(),
            lifetime: None,
            delay: Duration::ZERO,
            failing: None,
        }
    }
}

/// A token endpoint that holds every request until the test opens it, to
/// stand for a provider that hangs. `waiting` counts requests held.
#[derive(Debug, Default)]
pub struct Gate {
    pub waiting: std::sync::atomic::AtomicU32,
    opened: tokio::sync::Notify,
    open: std::sync::atomic::AtomicBool,
}

#[derive(Clone)]
struct Idp {
    seen: SeenLog,
    keys: ClientKeys,
    family: Arc<Mutex<Family>>,
    gate: Arc<Gate>,
    /// How long `/token` takes to answer anything, as a distant provider does.
    latency: Arc<Mutex<Duration>>,
    accounts: Arc<Mutex<Accounts>>,
    load: Arc<Load>,
}

impl MockIdp {
    /// Starts the provider on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let seen: SeenLog = Arc::new(Mutex::new(Vec::new()));
        let family = Arc::new(Mutex::new(Family::default()));
        let gate = Arc::new(Gate::default());
        let latency = Arc::new(Mutex::new(Duration::ZERO));
        let (accounts, load) = (Arc::new(Mutex::new(Accounts::default())), Arc::new(Load::default()));
        let keys = ClientKeys::default();
        let state = Idp {
            seen: seen.clone(),
            keys: keys.clone(),
            family: family.clone(),
            gate: gate.clone(),
            latency: latency.clone(),
            accounts: accounts.clone(),
            load: load.clone(),
        };
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/token-gated", post(gated))
            .route(
                "/token-echo",
                post(|body: String| async move {
                    error(StatusCode::BAD_REQUEST, "invalid_request", &format!("cannot parse {body}"))
                }),
            )
            .route("/token-echo-as/{how}", post(echo_as))
            .route(
                "/token-html-500",
                post(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        [(header::CONTENT_TYPE, "text/html")],
                        "<html><head><title>Internal Server Error</title></head><body>oops</body></html>",
                    )
                }),
            )
            .route(
                "/token-not-json",
                post(|| async { (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], "<p>Welcome!</p>") }),
            )
            .route(
                "/token-silent",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "too late"
                }),
            )
            .route("/userinfo", get(userinfo))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, seen, keys, family, gate, latency, accounts, load }
    }

    /// Changes the password grant's user (her password, her tokens' lifetime, ...).
    pub fn accounts(&self, change: impl FnOnce(&mut Accounts)) {
        change(&mut self.accounts.lock().unwrap());
    }

    /// How many password grants were asked for so far.
    pub fn password_grants(&self) -> u32 {
        self.accounts.lock().unwrap().grants
    }

    /// The most requests `/token` was answering at once so far.
    pub fn most_token_requests_at_once(&self) -> u32 {
        self.load.most.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Registers the client's keys as the JWKS document at `url`, as an
    /// admin registers a `private_key_jwt` client by its JWKS URL.
    pub fn register_jwks(&self, url: &str) {
        *self.keys.jwks_url.lock().unwrap() = Some(url.to_owned());
    }

    /// The client assertions accepted so far, in order.
    pub fn assertions(&self) -> Vec<Assertion> {
        self.keys.accepted.lock().unwrap().clone()
    }

    /// Makes `/token` take this long to answer, as a distant provider does.
    pub fn set_latency(&self, latency: Duration) {
        *self.latency.lock().unwrap() = latency;
    }

    /// Changes the rotating family's behaviour.
    pub fn family(&self, change: impl FnOnce(&mut Family)) {
        change(&mut self.family.lock().unwrap());
    }

    /// How many times this refresh token was presented.
    pub fn uses_of(&self, refresh_token: &str) -> u32 {
        self.family.lock().unwrap().uses.get(refresh_token).copied().unwrap_or(0)
    }

    /// Requests held at `/token-gated` so far.
    pub fn gated(&self) -> u32 {
        self.gate.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Lets every request held at `/token-gated` (and every later one) through.
    pub fn open_gate(&self) {
        self.gate.open.store(true, std::sync::atomic::Ordering::SeqCst);
        self.gate.opened.notify_waiters();
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many refresh requests reached the rotating family so far.
    pub fn family_refreshes(&self) -> u32 {
        self.family.lock().unwrap().refreshes
    }

    /// Whether reuse detection revoked the family.
    pub fn family_revoked(&self) -> bool {
        self.family.lock().unwrap().revoked
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

type SeenLog = Arc<Mutex<Vec<Seen>>>;

/// The public half of `fixtures/client-assertion-key.pem`.
const ASSERTION_PUBLIC_KEY: &[u8] = include_bytes!("../fixtures/client-assertion-key.pub.pem");

/// The private key the host signs `private_key_jwt` assertions with in
/// tests that lend it to a call themselves.
pub fn assertion_signing_key() -> flowauth::runtime::SigningKey {
    let pem = include_str!("../fixtures/client-assertion-key.pem");
    let key = flowauth::client_keys::ProviderKey::from_pem(pem).expect("the test key is a PKCS#8 RSA key");
    flowauth::runtime::SigningKey::new(key.algorithm.as_str(), &key.pem, &key.kid).expect("the test key signs")
}

/// The claims of a client assertion signed by `key` for `audience` (RFC
/// 7523 section 3): `iss` = `sub`, `aud` the token endpoint, unexpired.
pub fn verified_assertion(
    assertion: &str,
    key: &jsonwebtoken::DecodingKey,
    audience: &str,
) -> Result<serde_json::Value, String> {
    let jose = jsonwebtoken::decode_header(assertion).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jose.alg);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(assertion, key, &validation)
        .map_err(|e| format!("the assertion does not verify: {e}"))?
        .claims;
    let (iss, sub) = (claims["iss"].as_str().unwrap_or_default(), claims["sub"].as_str().unwrap_or_default());
    if iss.is_empty() || iss != sub {
        return Err(format!("iss {iss:?} and sub {sub:?} must both be the client"));
    }
    Ok(claims)
}

/// The client id of an assertion signed with `fixtures/client-assertion-key.pem` for `audience`.
pub fn fixture_assertion_client(assertion: &str, audience: &str) -> Result<String, String> {
    let claims = verified_assertion(assertion, &fixture_key()?, audience)?;
    Ok(claims["iss"].as_str().unwrap_or_default().to_owned())
}

/// The public half of the fixture key, to verify with.
fn fixture_key() -> Result<jsonwebtoken::DecodingKey, String> {
    jsonwebtoken::DecodingKey::from_rsa_pem(ASSERTION_PUBLIC_KEY).map_err(|e| e.to_string())
}

/// A client assertion the provider accepted.
#[derive(Debug, Clone)]
pub struct Assertion {
    /// The `kid` of its header.
    pub kid: Option<String>,
    /// Its `alg`.
    pub alg: String,
    /// Its claims.
    pub claims: serde_json::Value,
}

/// Where the provider finds the client's public keys, as a provider with
/// a client registered for `private_key_jwt` does: the JWKS document at a
/// URL (fetched for each assertion, so a rotation shows at once), else
/// the fixture key.
#[derive(Clone, Default)]
struct ClientKeys {
    jwks_url: Arc<Mutex<Option<String>>>,
    /// Every assertion accepted, in order; their `jti`s may not come again.
    accepted: Arc<Mutex<Vec<Assertion>>>,
}

impl ClientKeys {
    /// The keys to verify an assertion with `header` by.
    async fn decoding_key(&self, header: &jsonwebtoken::Header) -> Result<jsonwebtoken::DecodingKey, String> {
        let url = self.jwks_url.lock().unwrap().clone();
        let Some(url) = url else { return fixture_key() };
        let answer = reqwest::get(&url).await.map_err(|e| format!("fetching the JWKS {url}: {e}"))?;
        if !answer.status().is_success() {
            return Err(format!("the JWKS {url} answered {}", answer.status()));
        }
        let set: jsonwebtoken::jwk::JwkSet = answer.json().await.map_err(|e| format!("the JWKS {url}: {e}"))?;
        let kid = header.kid.as_deref().ok_or("the assertion names no kid")?;
        let jwk = set.find(kid).ok_or_else(|| format!("no key {kid} in the JWKS {url}"))?;
        jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())
    }

    /// The client id of a valid client assertion (RFC 7523 section 3): signed
    /// by a registered key, `iss` = `sub` = the client, `aud` = this token
    /// endpoint, unexpired, and a `jti` never seen before.
    async fn client(&self, form: &HashMap<String, String>, headers: &HeaderMap) -> Result<String, String> {
        if form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return Err("no client assertion".into());
        }
        let assertion = form.get("client_assertion").ok_or("no client_assertion")?;
        let jose = jsonwebtoken::decode_header(assertion).map_err(|e| e.to_string())?;
        let key = self.decoding_key(&jose).await?;
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).ok_or("no Host")?;
        let claims = verified_assertion(assertion, &key, &format!("http://{host}/token"))?;
        let iss = claims["iss"].as_str().unwrap_or_default();
        if form.get("client_id").is_some_and(|id| id != iss) {
            return Err(format!("client_id and iss {iss:?} differ"));
        }
        let jti = claims["jti"].as_str().ok_or("the assertion has no jti")?.to_owned();
        let mut accepted = self.accepted.lock().unwrap();
        if accepted.iter().any(|a| a.claims["jti"] == jti.as_str()) {
            return Err(format!("jti {jti} was used before: a replay"));
        }
        let alg = format!("{:?}", jose.alg);
        accepted.push(Assertion { kid: jose.kid, alg, claims: claims.clone() });
        Ok(iss.to_owned())
    }
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (status, axum::Json(json!({"error": code, "error_description": description}))).into_response()
}

/// The client's id and secret, from HTTP Basic or the form body.
pub(crate) fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    if let Some(pair) = basic {
        let (id, secret) = pair.split_once(':').unwrap_or((&pair, ""));
        let decode =
            |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
        return (decode(id), decode(secret));
    }
    (form.get("client_id").cloned(), form.get("client_secret").cloned())
}

/// The ways `/token-echo-as/{how}` writes the client secret back.
pub const ECHOES: [&str; 13] = [
    "raw",
    "form",
    "percent-upper",
    "percent-lower",
    "base64",
    "base64-unpadded",
    "base64url",
    "base64url-unpadded",
    "basic",
    "basic-form",
    "basic-percent",
    "json",
    "html",
];

/// A provider that quotes the request in its error page: answers 400 with
/// the client secret (or its whole Basic header) written back as `how` says.
async fn echo_as(Path(how): Path<String>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let secret = client_credentials(&headers, &form).1.unwrap_or_default();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let page = format!("rejected: {}", echo(&how, &secret, authorization));
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain")], page).into_response()
}

/// `secret` (or the `authorization` header it was sent in) written as `how`
/// (one of [`ECHOES`]) says.
pub fn echo(how: &str, secret: &str, authorization: &str) -> String {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let form = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let every_byte = |text: &str| text.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    // RFC 3986: only what is not unreserved, in lower-case hex.
    let reserved = |text: &str| {
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        text.bytes()
            .map(|b| if unreserved(b) { (b as char).to_string() } else { format!("%{b:02x}") })
            .collect::<String>()
    };
    match how {
        "raw" => secret.to_owned(),
        "form" => form(secret),
        "percent-upper" => every_byte(secret),
        "percent-lower" => every_byte(secret).to_lowercase(),
        "base64" => STANDARD.encode(secret),
        "base64-unpadded" => STANDARD_NO_PAD.encode(secret),
        "base64url" => URL_SAFE.encode(secret),
        "base64url-unpadded" => URL_SAFE_NO_PAD.encode(secret),
        "basic" => authorization.to_owned(),
        "basic-form" => form(authorization),
        "basic-percent" => reserved(authorization),
        // As PHP's json_encode writes it: `/` and non-ASCII escaped too.
        "json" => secret
            .chars()
            .map(|c| match c {
                '"' | '\\' | '/' => format!("\\{c}"),
                c if c.is_ascii() => c.to_string(),
                c => format!("\\u{:04x}", c as u32),
            })
            .collect(),
        "html" => secret
            .chars()
            .map(|c| match c {
                '&' => "&amp;".to_owned(),
                '"' => "&quot;".to_owned(),
                '<' => "&lt;".to_owned(),
                c if c.is_ascii() => c.to_string(),
                c => format!("&#{};", c as u32),
            })
            .collect(),
        other => panic!("no echo {other:?}"),
    }
}

/// Holds the request until the gate opens, then issues a client-credentials token.
async fn gated(State(Idp { gate, .. }): State<Idp>) -> Response {
    use std::sync::atomic::Ordering;
    gate.waiting.fetch_add(1, Ordering::SeqCst);
    let opened = gate.opened.notified();
    if !gate.open.load(Ordering::SeqCst) {
        opened.await;
    }
    axum::Json(json!({"access_token": "at-gated", "expires_in": 600})).into_response()
}

/// A rotating family's refresh, after its delay.
async fn family_refresh(family: &Mutex<Family>, presented: &str) -> Response {
    let (delay, failing) = {
        let mut family = family.lock().unwrap();
        family.refreshes += 1;
        *family.uses.entry(presented.to_owned()).or_default() += 1;
        (family.delay, family.failing)
    };
    tokio::time::sleep(delay).await;
    if let Some(status) = failing {
        let status = StatusCode::from_u16(status).unwrap();
        let page = "<html><head><title>Service Unavailable</title></head><body>try later</body></html>";
        return (status, [(header::CONTENT_TYPE, "text/html")], page).into_response();
    }
    let mut family = family.lock().unwrap();
    let n: u32 = presented[4..].parse().unwrap_or(u32::MAX);
    if family.revoked || n != family.current {
        family.revoked = true;
        return error(StatusCode::BAD_REQUEST, "invalid_grant", "refresh token reuse detected: the grant is revoked");
    }
    family.current += 1;
    let n = family.current;
    let lifetime = family.lifetime.unwrap_or(3600);
    axum::Json(
        json!({"access_token": format!("at-fam-{n}"), "expires_in": lifetime, "refresh_token": format!("fam-{n}")}),
    )
    .into_response()
}

async fn token(
    State(Idp { seen, keys, family, latency, accounts, load, .. }): State<Idp>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let _answering = load.enter();
    let latency = *latency.lock().unwrap();
    tokio::time::sleep(latency).await;
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    seen.lock().unwrap().push(Seen {
        path: "/token".into(),
        authorization: headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned),
        form: form.clone(),
    });
    let (id, secret) = client_credentials(&headers, &form);
    let secret_ok = id.as_deref() == Some(CLIENT_ID) && secret.as_deref() == Some(CLIENT_SECRET);
    if !secret_ok {
        match keys.client(&form, &headers).await {
            Ok(client) if client == CLIENT_ID => {}
            Ok(other) => return error(StatusCode::UNAUTHORIZED, "invalid_client", &format!("unknown client {other}")),
            Err(why) => {
                let why = format!("client authentication failed: {why}");
                return error(StatusCode::UNAUTHORIZED, "invalid_client", &why);
            }
        }
    }
    let grant = form.get("grant_type").map(String::as_str).unwrap_or_default();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    match grant {
        "authorization_code" if field("code") == "good-code" => axum::Json(json!({
            "access_token": "at-1", "token_type": "Bearer", "expires_in": "3599",
            "refresh_token": "rt-1", "scope": "read write",
            "instance_url": "https://acme.example.com",
        }))
        .into_response(),
        // A token due for a refresh, from a rotating family.
        "authorization_code" if field("code") == "short-code" => {
            let lifetime = family.lock().unwrap().lifetime.unwrap_or(0);
            axum::Json(json!({"access_token": "at-fam-0", "expires_in": lifetime, "refresh_token": "fam-0"}))
                .into_response()
        }
        "authorization_code" => error(StatusCode::BAD_REQUEST, "invalid_grant", "the code is invalid or expired"),
        "refresh_token" if field("refresh_token").starts_with("fam-") => {
            family_refresh(&family, field("refresh_token")).await
        }
        "refresh_token" => match field("refresh_token") {
            "rt-rotating" => axum::Json(json!({"access_token": "at-2", "token_type": "bearer", "expires_in": 3600, "refresh_token": "rt-rotated"})).into_response(),
            "rt-1" => axum::Json(json!({"access_token": "at-2", "token_type": "Bearer", "expires_in": 3600})).into_response(),
            _ => error(StatusCode::BAD_REQUEST, "invalid_grant", "refresh token revoked"),
        },
        "client_credentials" => {
            let n = seen.lock().unwrap().len();
            axum::Json(json!({"access_token": format!("at-cc-{n}"), "expires_in": 600, "scope": field("scope")})).into_response()
        }
        "password" => password_grant(&mut accounts.lock().unwrap(), field("username"), field("password")),
        _ => error(StatusCode::BAD_REQUEST, "unsupported_grant_type", grant),
    }
}

/// The password grant for the one user, as [`Accounts`] says.
fn password_grant(accounts: &mut Accounts, username: &str, password: &str) -> Response {
    accounts.grants += 1;
    if username != accounts.username || password != accounts.password {
        return error(StatusCode::BAD_REQUEST, "invalid_grant", &format!("password {password} is wrong"));
    }
    accounts.issued += 1;
    let n = accounts.issued;
    let mut answer = json!({"access_token": format!("at-pw-{n}"), "expires_in": accounts.lifetime});
    if accounts.refresh_tokens {
        answer["refresh_token"] = json!(format!("rt-pw-{n}"));
    }
    axum::Json(answer).into_response()
}

/// Approves at once: redirects back with a code, as a user who clicks
/// "Allow" would be.
async fn authorize(Query(query): Query<HashMap<String, String>>) -> Response {
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    let state = query.get("state").cloned().unwrap_or_default();
    let target = format!(
        "{redirect}?code=good-code&state={}",
        url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
    );
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

async fn userinfo(headers: HeaderMap, Query(_): Query<HashMap<String, String>>) -> Response {
    match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some("Bearer at-1") => axum::Json(json!({"sub": "user-42", "scope": "read write"})).into_response(),
        _ => (StatusCode::UNAUTHORIZED, "expired").into_response(),
    }
}

/// A runtime that may reach 127.0.0.1 (the mock provider) over plain
/// http, with short limits so misbehaving components end quickly.
pub async fn test_runtime(cache_dir: Option<std::path::PathBuf>) -> Runtime {
    Runtime::new(test_runtime_config(cache_dir)).await.expect("the runtime starts")
}

/// The configuration of [`test_runtime`], for tests that change some of
/// it. Without a `cache_dir`, the compiled-code cache all test processes
/// share (keyed by digest and engine, so builds never mix), so that the
/// fifteen built-in components compile once per machine, not per test.
pub fn test_runtime_config(cache_dir: Option<std::path::PathBuf>) -> RuntimeConfig {
    let cache_dir = cache_dir.or_else(|| Some(std::env::temp_dir().join("flowauth-tests-compiled")));
    let mut config = RuntimeConfig { cache_dir, ..RuntimeConfig::default() };
    config.outbound.allow_private_network = true;
    config.outbound.request_timeout = Duration::from_secs(2);
    config.sandbox.cpu_budget = Duration::from_millis(200);
    config.sandbox.max_memory_bytes = 32 << 20;
    config
}

/// A component tests/build.rs built into `dir`.
fn built(dir: &str, file: &str) -> Vec<u8> {
    let path = std::path::Path::new(dir).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The compiled test component that misbehaves on purpose.
pub fn misbehave_wasm() -> Vec<u8> {
    built(env!("FLOWAUTH_TEST_COMPONENTS"), "flowauth_test_misbehave.wasm")
}

/// The test component built against the released contract 0.1.0.
pub fn contract_v0_1_wasm() -> Vec<u8> {
    built(env!("FLOWAUTH_TEST_COMPONENTS"), "flowauth_test_contract_v0_1.wasm")
}

/// The example third-party component (`examples/oidc-discovery`).
pub fn oidc_discovery_wasm() -> Vec<u8> {
    built(env!("FLOWAUTH_EXAMPLES"), "oidc_discovery.wasm")
}

/// Log output captured in memory, to check what never appears in it.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// A subscriber writing every event, at every level, here.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish()
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
