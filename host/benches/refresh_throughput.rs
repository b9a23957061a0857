//! Refresh throughput: N tokens all past their refresh margin, each handed
//! out through `access_token` (detached flight, lease, component call to a
//! loopback mock provider, compare-and-swap write), against the floor: a
//! plain reqwest loop sending the same token requests to the same mock.
//! Runs on SQLite, then on PostgreSQL when there is one to test against (as
//! the tests find it). Prints refreshes per second for both and their ratio.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flowauth::runtime::Runtime;
use flowauth::store::{Issued, KeySource, LoadMode, NewToken, Outcome, Store, StoreConfig, new_id, now};
use flowauth::tokens::TokenService;
use flowauth_tests::postgres::postgres_database;
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, test_runtime_config};
use tokio::sync::Semaphore;

/// Tokens refreshed per run.
const TOKENS: usize = 1000;
/// Refreshes in flight at once, in both loops.
const CONCURRENCY: usize = 32;
/// A provider's answer time in the second run (a nearby IdP; distant ones
/// take 50-200 ms).
const PROVIDER_LATENCY: Duration = Duration::from_millis(10);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let idp = MockIdp::start().await;
        println!("{TOKENS} refreshes, {CONCURRENCY} in flight, mock provider on 127.0.0.1");
        let postgres = postgres_database().await;
        for latency in [Duration::ZERO, PROVIDER_LATENCY] {
            idp.set_latency(latency);
            let floor = floor(&idp).await;
            println!("provider answering in {latency:?}:");
            report("  floor: plain reqwest token requests", floor);
            let dir = tempfile::tempdir().unwrap();
            let sqlite = format!("sqlite://{}", dir.path().join("flowauth.db").display());
            let runs = [
                ("sqlite", Some(sqlite), None),
                ("postgres", postgres.clone(), None),
                ("postgres, pools of 32", postgres.clone(), Some(32)),
            ];
            for (name, url, pool_size) in runs {
                let Some(url) = url else { continue };
                let (service, tenant_id, ids) = tokens_past_their_margin(&idp, dir.path(), &url, pool_size).await;
                let flowauth = through_flowauth(service, tenant_id, ids).await;
                report(&format!("  {name}: refreshes"), flowauth);
                println!("  {name} / floor: {:.2}", floor.as_secs_f64() / flowauth.as_secs_f64());
            }
        }
    });
}

fn report(name: &str, elapsed: Duration) {
    println!("{name:40} {:>8.0} refreshes/s ({elapsed:.2?})", TOKENS as f64 / elapsed.as_secs_f64());
}

/// The same refresh requests the component sends, from a plain client.
async fn floor(idp: &MockIdp) -> Duration {
    let http = reqwest::Client::new();
    let url = format!("{}/token", idp.base_url());
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let calls: Vec<_> = (0..TOKENS)
        .map(|_| {
            let (http, url, slots) = (http.clone(), url.clone(), slots.clone());
            tokio::spawn(async move {
                let _slot = slots.acquire().await.unwrap();
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "rt-1"),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                ];
                let answer = http.post(&url).form(&form).send().await.unwrap();
                assert!(answer.status().is_success());
                answer.bytes().await.unwrap();
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    started.elapsed()
}

/// A store with `TOKENS` tokens whose access tokens expired.
async fn tokens_past_their_margin(
    idp: &MockIdp,
    dir: &std::path::Path,
    database_url: &str,
    pool_size: Option<u32>,
) -> (TokenService, String, Vec<String>) {
    let keys = KeySource::Given("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".into());
    let config =
        StoreConfig { keys, database_url: Some(database_url.to_owned()), pool_size, ..StoreConfig::in_dir(dir) };
    let store = Store::open(&config).await.unwrap();
    let tenant = store.create_tenant(&format!("acme-{}", new_id())).await.unwrap();
    let runtime = Runtime::new(test_runtime_config(None)).await.unwrap();
    let service = TokenService::new(store.clone(), runtime, "http://127.0.0.1/oauth/return".into());
    let file = flowauth_tests::lifecycle::load_file(idp, "HTTP", CLIENT_SECRET);
    service.load_configuration(&tenant, &file, LoadMode::Replace).await.unwrap();
    let provider = store.provider(&tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
    let issued = Issued {
        access_token: "at-old".into(),
        token_type: "Bearer".into(),
        refresh_token: Some("rt-1".into()),
        id_token: None,
        expires_at: Some(now() - 1),
        extra: vec![],
    };
    let mut ids = Vec::new();
    for n in 0..TOKENS {
        let token = NewToken {
            id: new_id(),
            tenant_id: tenant.id.clone(),
            provider_id: provider.id.clone(),
            name: format!("bot-{n}"),
            flow: "authorization_code".into(),
            scopes: vec![],
            inputs: vec![],
            client: None,
        };
        store.create_token(&token, Outcome::Issued(&issued)).await.unwrap();
        ids.push(token.id);
    }
    (service, tenant.id, ids)
}

async fn through_flowauth(service: TokenService, tenant_id: String, ids: Vec<String>) -> Duration {
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let calls: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let (service, tenant_id, slots) = (service.clone(), tenant_id.clone(), slots.clone());
            tokio::spawn(async move {
                let _slot = slots.acquire().await.unwrap();
                let token = service.access_token(&tenant_id, &id).await.unwrap();
                assert_eq!(token.access_token, "at-2");
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    started.elapsed()
}
