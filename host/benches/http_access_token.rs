//! The hot path of a flow step, `POST .../access-token` for a valid token,
//! over real sockets on 127.0.0.1, beside a plain axum handler returning a
//! constant (the ceiling), on each store backend: SQLite, and PostgreSQL
//! when there is one to test against (as the tests find it), with one
//! instance and with two instances sharing the database and the load.
//! Prints requests per second and p50/p99.
//!
//! Run with `cargo bench -p flowauth --bench http_access_token`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flowauth::api::{AppState, router};
use flowauth::runtime::{Runtime, RuntimeConfig};
use flowauth::store::{Issued, LoadMode, NewToken, Outcome, Store, StoreConfig, new_id, now};
use flowauth::tokens::TokenService;
use flowauth_tests::postgres::postgres_database;

const CONNECTIONS: usize = 32;
const DURATION: Duration = Duration::from_secs(5);

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// Keeps `CONNECTIONS` requests in flight for `DURATION`, spread over
/// `urls`; returns the latencies, sorted, and the elapsed time.
async fn load(urls: &[String], key: &'static str) -> (Vec<Duration>, Duration) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|n| {
            let (client, url) = (client.clone(), urls[n % urls.len()].clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < DURATION {
                    let one = Instant::now();
                    let response = client.post(&url).bearer_auth(key).send().await.unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                    response.bytes().await.unwrap();
                    latencies.push(one.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    all.sort();
    (all, started.elapsed())
}

fn report(name: &str, (latencies, elapsed): &(Vec<Duration>, Duration)) -> f64 {
    let at = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1e6;
    let rps = latencies.len() as f64 / elapsed.as_secs_f64();
    println!("{name:<22} {rps:>9.0} req/s   p50 {:>7.1} µs   p99 {:>7.1} µs", at(0.5), at(0.99));
    rps
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ceiling =
            serve(axum::Router::new().route("/", axum::routing::post(|| async { "{\"access_token\":\"at\"}" }))).await;
        println!("{CONNECTIONS} connections, {DURATION:?} each, 127.0.0.1");
        let base = report("ceiling (constant)", &load(&[format!("{ceiling}/")], ADMIN_KEY).await);
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Instance::start(dir.path(), None).await;
        let token = sqlite.token().await;
        let hot = report("sqlite: access-token", &load(&[sqlite.url(&token)], ADMIN_KEY).await);
        println!("sqlite / ceiling: {:.2}", hot / base);
        let Some(url) = postgres_database().await else { return };
        let one = Instance::start(dir.path(), Some(&url)).await;
        let token = one.token().await;
        let hot = report("postgres: access-token", &load(&[one.url(&token)], ADMIN_KEY).await);
        println!("postgres / ceiling: {:.2}", hot / base);
        let two = Instance::start(dir.path(), Some(&url)).await;
        let both = load(&[one.url(&token), two.url(&token)], ADMIN_KEY).await;
        let hot = report("postgres, 2 instances", &both);
        println!("postgres, 2 instances / ceiling: {:.2}", hot / base);
    });
}

const ADMIN_KEY: &str = "bench-admin-key-0001";

/// One flowauth on a store: the SQLite file in `dir`, or `database_url`.
struct Instance {
    base: String,
    store: Store,
    tenant_id: String,
}

impl Instance {
    async fn start(dir: &std::path::Path, database_url: Option<&str>) -> Self {
        let config = StoreConfig { database_url: database_url.map(str::to_owned), ..StoreConfig::in_dir(dir) };
        let store = Store::open(&config).await.unwrap();
        store.ensure_admin_key(Some(ADMIN_KEY)).await.unwrap();
        let tenant = match store.tenant("acme").await.unwrap() {
            Some(tenant) => tenant,
            None => store.create_tenant("acme").await.unwrap(),
        };
        let runtime = Runtime::new(RuntimeConfig::default()).await.unwrap();
        let service = TokenService::new(store.clone(), runtime.clone(), "http://127.0.0.1/oauth/return".into());
        let file = r#"{"devtools": {"HTTP": {"CLIENT_ID": "c", "CLIENT_SECRET": "s", "TOKEN_URL": "https://idp.example.com/token"}}}"#;
        service.load_configuration(&tenant, file, LoadMode::Replace).await.unwrap();
        let base = serve(router(AppState::new(Arc::new(service), runtime))).await;
        Self { base, store, tenant_id: tenant.id }
    }

    /// A new token valid for a day; its id.
    async fn token(&self) -> String {
        let provider = self.store.provider(&self.tenant_id, "devtools", "HTTP").await.unwrap().unwrap();
        let id = new_id();
        let token = NewToken {
            id: id.clone(),
            tenant_id: self.tenant_id.clone(),
            provider_id: provider.id,
            name: format!("bench-{id}"),
            flow: "authorization_code".into(),
            scopes: vec![],
            inputs: vec![],
            client: None,
        };
        let issued = Issued {
            access_token: "at".into(),
            token_type: "Bearer".into(),
            refresh_token: Some("rt".into()),
            id_token: None,
            expires_at: Some(now() + 86_400),
            extra: vec![],
        };
        self.store.create_token(&token, Outcome::Issued(&issued)).await.unwrap();
        id
    }

    fn url(&self, token: &str) -> String {
        format!("{}/v1/tenants/acme/tokens/{token}/access-token", self.base)
    }
}
