//! A tenant with one `devtools` provider pointing at the mock identity
//! provider, over a store in a temporary folder: what lifecycle tests start from.

use std::sync::Arc;

use base64::Engine as _;
use flowauth::runtime::Runtime;
use flowauth::store::{KeySource, LoadMode, Store, StoreConfig, StoreError, Tenant, TokenStatus};
use flowauth::tokens::{Flow, StartRequest, TokenService};
use serde_json::json;

use crate::postgres::Backend;
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
    /// The store's database.
    pub database_url: String,
    pub idp: MockIdp,
    pub runtime: Runtime,
    pub service: Arc<TokenService>,
    pub tenant: Tenant,
}

pub async fn open(dir: &std::path::Path, keys: KeySource) -> Result<Store, StoreError> {
    Store::open(&StoreConfig { keys, ..StoreConfig::in_dir(dir) }).await
}

/// The store at `database_url`, with its key file (when `keys` names one) in `dir`.
pub async fn open_at(dir: &std::path::Path, database_url: &str, keys: KeySource) -> Result<Store, StoreError> {
    Store::open(&StoreConfig { keys, database_url: Some(database_url.to_owned()), ..StoreConfig::in_dir(dir) }).await
}

impl Setup {
    /// A plain connection to the store's database, for tests that change
    /// rows behind flowauth's back (`$1` placeholders on every backend).
    pub async fn database(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url).await.unwrap()
    }

    /// Another handle on the same database, as another process would open it.
    pub async fn open_again(&self, keys: KeySource) -> Result<Store, StoreError> {
        open_at(self.dir.path(), &self.database_url, keys).await
    }
}

pub async fn setup() -> Setup {
    setup_with(test_runtime(None).await).await
}

/// [`setup`] on the database of `backend`.
pub async fn setup_on(backend: &Backend) -> Setup {
    setup_with_on(test_runtime(None).await, backend).await
}

/// [`setup`] over a runtime configured by the test.
pub async fn setup_with(runtime: Runtime) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("flowauth.db").display());
    setup_in(runtime, dir, url).await
}

/// [`setup_with`] on the database of `backend`.
pub async fn setup_with_on(runtime: Runtime, backend: &Backend) -> Setup {
    setup_in(runtime, tempfile::tempdir().unwrap(), backend.url.clone()).await
}

async fn setup_in(runtime: Runtime, dir: tempfile::TempDir, database_url: String) -> Setup {
    let idp = MockIdp::start().await;
    let store = open_at(dir.path(), &database_url, given_key(1)).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let service = TokenService::new(store, runtime.clone(), REDIRECT.into());
    service.load_configuration(&tenant, &load_file(&idp, "HTTP", CLIENT_SECRET), LoadMode::Replace).await.unwrap();
    Setup { dir, database_url, idp, runtime, service: Arc::new(service), tenant }
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
