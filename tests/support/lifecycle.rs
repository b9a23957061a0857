//! A tenant with one `devtools` provider pointing at the mock identity
//! provider, over a store in a temporary folder: what lifecycle tests start from.

use std::sync::Arc;

use base64::Engine as _;
use flowauth::runtime::Runtime;
use flowauth::store::{KeySource, LoadMode, Store, StoreConfig, StoreError, Tenant, TokenStatus};
use flowauth::tokens::{Flow, StartRequest, TokenService};
use serde_json::json;

use crate::{CLIENT_ID, CLIENT_SECRET, MockIdp, test_runtime};

pub const REDIRECT: &str = "https://flow.example.com/oauth/return";

pub fn given_key(byte: u8) -> KeySource {
    KeySource::Given(base64::engine::general_purpose::STANDARD.encode([byte; 32]))
}

pub fn load_file(idp: &MockIdp, display: &str, secret: &str) -> String {
    json!({"devtools": {display: {
        "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": secret, "BASE_URL": idp.base_url(),
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token", "VALIDATE_URL": "/userinfo",
        "ALLOW_PASSWORD_GRANT": "true", "ISSUER": idp.base_url(),
    }}})
    .to_string()
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub idp: MockIdp,
    pub runtime: Runtime,
    pub service: Arc<TokenService>,
    pub tenant: Tenant,
}

pub async fn open(dir: &std::path::Path, keys: KeySource) -> Result<Store, StoreError> {
    Store::open(&StoreConfig { keys, ..StoreConfig::in_dir(dir) }).await
}

pub async fn setup() -> Setup {
    setup_with(test_runtime(None).await).await
}

/// [`setup`] over a runtime configured by the test.
pub async fn setup_with(runtime: Runtime) -> Setup {
    let idp = MockIdp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), given_key(1)).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let service = TokenService::new(store, runtime.clone(), REDIRECT.into());
    service.load_configuration(&tenant, &load_file(&idp, "HTTP", CLIENT_SECRET), LoadMode::Replace).await.unwrap();
    Setup { dir, idp, runtime, service: Arc::new(service), tenant }
}

/// A start of a `devtools/HTTP` token named `sales-bot-<n>` (names are
/// unique within a tenant).
pub fn start_request(flow: Flow) -> StartRequest {
    static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    StartRequest {
        name: format!("sales-bot-{n}"),
        connector: "devtools".into(),
        provider: "HTTP".into(),
        flow,
        scopes: vec!["read".into()],
        additional: vec![("prompt".into(), "consent".into())],
        use_default_keys: true,
        ..StartRequest::default()
    }
}

pub fn state_of(link: &str) -> String {
    url::Url::parse(link).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned()
}

pub fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Starts an authorization and finishes it with `code`; returns the token id.
pub async fn authorized(s: &Setup, code: &str) -> String {
    let started = s.service.start(&s.tenant, start_request(Flow::AuthorizationCode)).await.unwrap();
    let state = state_of(started.auth_link.as_deref().unwrap());
    let done = s.service.callback(&query(&[("code", code), ("state", &state)]), None).await.unwrap();
    assert_eq!(done.status, TokenStatus::Active, "{:?}", done.error);
    started.id
}
