//! The background refresher (`serve --refresh-ahead`), end to end: the real
//! `flowauth serve` and a mock provider on 127.0.0.1. It renews a token
//! inside its margin before any flow step asks, finds a dead grant (and
//! fires `token.needs_reauth`) while no one waits on it, runs a tenant's
//! renewals a bounded number at a time, and on one PostgreSQL database two
//! instances renew each token once.

use std::sync::Arc;
use std::time::Duration;

use flowauth_tests::postgres::postgres_database;
use flowauth_tests::receiver::Receiver;
use flowauth_tests::server::{Server, authorized};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, eventually, eventually_within};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// Long enough for a 30-second token to reach its margin, a scan to find
/// it and its random delay to pass.
const RENEWAL_WAIT: Duration = Duration::from_secs(60);

/// The load file of `devtools/HTTP` at `idp`, the password grant allowed
/// and its credentials saved.
fn load_file(idp: &MockIdp) -> Value {
    json!({"devtools": {"HTTP": {
        "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token",
        "ALLOW_PASSWORD_GRANT": "true", "SAVE_PASSWORD_CREDENTIALS": "true"}}})
}

/// `flags` for `serve` with the refresher on, plain http to 127.0.0.1 allowed.
fn ahead<'a>(flags: &[&'a str]) -> Vec<&'a str> {
    [&["--allow-private-network", "--refresh-ahead"][..], flags].concat()
}

async fn show(server: &Server, key: &str, token: &str) -> Value {
    let (status, shown) = server.api().get(&format!("/v1/tenants/acme/tokens/{token}"), key).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    shown
}

/// A data directory (and `database_url`, or its SQLite file) whose tenant
/// `acme` has `count` password-grant tokens `bot-<n>` with saved
/// credentials, each issued expiring at once, made by a server without the
/// refresher that is gone again; the provider's later tokens last an hour.
/// Returns the directory and the tenant's key.
async fn password_tokens(idp: &MockIdp, database_url: Option<&str>, count: usize) -> (Arc<tempfile::TempDir>, String) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut flags = vec!["--allow-private-network"];
    if let Some(url) = database_url {
        flags.extend(["--database-url", url]);
    }
    let server = Server::start_with(binary(), dir.clone(), &flags).await;
    let key = server.api().tenant_with("acme", load_file(idp)).await;
    idp.accounts(|a| a.lifetime = 0);
    for n in 0..count {
        let body = json!({"name": format!("bot-{n}"), "connector": "devtools", "provider": "HTTP",
                          "flow": "password", "username": "ann", "password": "pw"});
        let (status, started) = server.api().post("/v1/tenants/acme/tokens", &key, body).await;
        assert_eq!((status, started["status"].as_str()), (StatusCode::CREATED, Some("active")), "{started}");
    }
    idp.accounts(|a| a.lifetime = 3600);
    server.stop();
    (dir, key)
}

/// Whether every token `bot-<n>` was renewed (its token now lasts an hour).
async fn all_renewed(server: &Server, key: &str, count: usize) -> bool {
    let (_, listed) = server.api().get("/v1/tenants/acme/tokens", key).await;
    let soon = flowauth::store::now() + 600;
    let renewed = listed["tokens"].as_array().unwrap().iter().filter(|t| t["expires_at"].as_i64() > Some(soon)).count();
    renewed == count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_second_token_is_renewed_before_anyone_asks() {
    let idp = MockIdp::start().await;
    idp.family(|f| f.lifetime = Some(30));
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let server = Server::start_with(binary(), dir, &ahead(&[])).await;
    let key = server.api().tenant_with("acme", load_file(&idp)).await;
    let id = authorized(&server, &server, &key).await;
    let issued = show(&server, &key, &id).await["expires_at"].as_i64().unwrap();
    // Its successor lasts an hour: renewed once, not again.
    idp.family(|f| f.lifetime = Some(3600));

    eventually_within("the renewal ahead of expiry", RENEWAL_WAIT, async || idp.family_refreshes() == 1).await;
    eventually("the renewed token stored", async || {
        show(&server, &key, &id).await["expires_at"].as_i64() > Some(issued)
    })
    .await;
    assert_eq!(server.api().metric("flowauth_token_renewals_ahead_total").await, 1);
    let (status, token) =
        server.api().post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &key, json!({})).await;
    assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-fam-1")), "{token}");
    assert_eq!(idp.family_refreshes(), 1, "the flow step got the renewed token without a refresh of its own");
    assert!(!idp.family_revoked());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_grant_fires_needs_reauth_before_a_flow_step_asks() {
    let idp = MockIdp::start().await;
    let receiver = Receiver::start().await;
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let server = Server::start_with(binary(), dir, &ahead(&[])).await;
    let key = server.api().tenant_with("acme", load_file(&idp)).await;
    let hook = json!({"url": receiver.url(), "events": ["token.needs_reauth"]});
    let (status, set) = server.api().call(reqwest::Method::PUT, "/v1/tenants/acme/webhook", &key, Some(hook)).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    // The user revokes the app at the provider; the first token is due at once.
    idp.family(|f| f.revoked = true);
    let id = authorized(&server, &server, &key).await;

    let received = receiver.wait_for(1, Duration::from_secs(30)).await;
    let event = received.first().expect("token.needs_reauth").verified(set["secret"].as_str().unwrap()).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["token"]["id"].as_str()),
        (Some("token.needs_reauth"), Some(id.as_str()))
    );
    assert_eq!(event["error"]["code"], "invalid_grant", "{event}");
    assert_eq!(show(&server, &key, &id).await["status"], "needs_reauth");
    assert_eq!(idp.family_refreshes(), 1, "one refresh found it; no flow step asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_renewals_run_at_most_per_tenant_at_once() {
    let idp = MockIdp::start().await;
    let (dir, key) = password_tokens(&idp, None, 5).await;
    idp.set_latency(Duration::from_millis(200));
    let server = Server::start_with(binary(), dir, &ahead(&["--refresh-ahead-per-tenant", "1"])).await;

    eventually_within("every token renewed", RENEWAL_WAIT, async || all_renewed(&server, &key, 5).await).await;
    assert_eq!(idp.password_grants(), 10, "five starts, five renewals with the saved passwords");
    assert_eq!(idp.most_token_requests_at_once(), 1, "one renewal of the tenant at a time");
    assert_eq!(server.api().metric("flowauth_token_renewals_ahead_total").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgresql_instances_renew_each_token_once() {
    let Some(url) = postgres_database().await else { return };
    let idp = MockIdp::start().await;
    let (dir, key) = password_tokens(&idp, Some(&url), 6).await;
    let flags = ahead(&["--database-url", &url]);
    let one = Server::start_with(binary(), dir.clone(), &flags).await;
    let two = Server::start_with(binary(), dir, &flags).await;

    eventually_within("every token renewed", RENEWAL_WAIT, async || all_renewed(&one, &key, 6).await).await;
    // A renewal either instance started before the tokens were renewed has ended.
    for server in [&one, &two] {
        eventually("no renewal under way", async || {
            server.api().metric("flowauth_token_renewals_ahead_in_flight").await == 0
        })
        .await;
    }
    assert_eq!(idp.password_grants(), 12, "six starts, and each token renewed once: {:?}", idp.seen());
    let renewed = one.api().metric("flowauth_token_renewals_ahead_total").await
        + two.api().metric("flowauth_token_renewals_ahead_total").await;
    assert_eq!(renewed, 6, "each renewal counted by the instance that made it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresher_options_need_refresh_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(binary())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--refresh-ahead-margin-seconds", "600"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("--refresh-ahead"), "{stderr}");
    let help = std::process::Command::new(binary()).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--refresh-ahead", "--refresh-ahead-margin-seconds", "--refresh-ahead-per-tenant", "[default: 300]"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}
