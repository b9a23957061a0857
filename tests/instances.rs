//! Two real `flowauth serve` processes on one PostgreSQL database, as a
//! deployment behind a load balancer runs them: an authorization started on
//! one completes on the other, a refresh storm across both makes one
//! provider call, a change on one reaches the other's cache at once, an
//! instance killed mid-refresh leaves its lease at once, a component
//! installed through one runs on the other, keys rotate while both serve,
//! a tenant key rotated or deleted on one is refused by the other at once,
//! and `store copy` moves a SQLite deployment onto PostgreSQL.
//! Every test passes without running anything when there is no PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flowauth::api::KEY_CACHE_TTL;

use flowauth_tests::discovery::DiscoveryIdp;
use flowauth_tests::postgres::{outside, postgres_database};
use flowauth_tests::server::{ADMIN_KEY, Api, Server, authorized};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, eventually, oidc_discovery_wasm};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// Two instances on a new PostgreSQL database, sharing a data directory
/// (and so a key file); `None` without PostgreSQL.
async fn two_instances() -> Option<(Server, Server, String)> {
    let url = postgres_database().await?;
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let one = Server::instance(binary(), dir.clone(), &url).await;
    let two = Server::instance(binary(), dir, &url).await;
    Some((one, two, url))
}

/// A tenant `acme` with a provider at `idp`, made through `api`; its key.
async fn tenant(api: &Api, idp: &MockIdp) -> String {
    let file = json!({"devtools": {"HTTP": {
        "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}});
    api.tenant_with("acme", file).await
}

async fn access_token(server: &Server, key: &str, id: &str) -> (StatusCode, Value) {
    server.api().post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), key, json!({})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_started_on_one_instance_completes_on_the_other() {
    let Some((one, two, _)) = two_instances().await else { return };
    let idp = MockIdp::start().await;
    let key = tenant(&one.api(), &idp).await;
    let id = authorized(&one, &two, &key).await;
    let (status, token) = two.api().get(&format!("/v1/tenants/acme/tokens/{id}"), &key).await;
    assert_eq!((status, token["status"].as_str()), (StatusCode::OK, Some("active")), "{token}");
    let (status, listed) = one.api().get("/v1/tenants/acme/tokens", &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["tokens"].as_array().map(Vec::len), Some(1), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_storm_across_two_instances_makes_one_provider_call() {
    let Some((one, two, _)) = two_instances().await else { return };
    let idp = MockIdp::start().await;
    let key = tenant(&one.api(), &idp).await;
    let id = authorized(&one, &two, &key).await;
    idp.family(|f| f.delay = Duration::from_millis(300));
    let (one, two) = (Arc::new(one), Arc::new(two));
    let calls: Vec<_> = (0..40)
        .map(|i| {
            let server = if i % 2 == 0 { one.clone() } else { two.clone() };
            let (key, id) = (key.clone(), id.clone());
            tokio::spawn(async move { access_token(&server, &key, &id).await })
        })
        .collect();
    for call in calls {
        let (status, token) = call.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{token}");
        assert_eq!(token["access_token"], "at-fam-1");
    }
    assert_eq!(idp.family_refreshes(), 1, "one refresh across both instances");
    assert!(!idp.family_revoked(), "no refresh token was presented twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_on_one_instance_reaches_the_others_cache_at_once() {
    let Some((one, two, _)) = two_instances().await else { return };
    let idp = MockIdp::start().await;
    let key = tenant(&one.api(), &idp).await;
    let id = authorized(&one, &two, &key).await;
    assert_eq!(access_token(&two, &key, &id).await.1["access_token"], "at-fam-1");
    assert_eq!(access_token(&two, &key, &id).await.1["access_token"], "at-fam-1", "now cached on two");
    let (status, refreshed) = one.api().post(&format!("/v1/tenants/acme/tokens/{id}/refresh"), &key, json!({})).await;
    assert_eq!((status, refreshed["access_token"].as_str()), (StatusCode::OK, Some("at-fam-2")), "{refreshed}");
    // Well within the 5 s a cache keeps a token without an announcement.
    let mut seen = Value::Null;
    for _ in 0..40 {
        seen = access_token(&two, &key, &id).await.1["access_token"].clone();
        if seen == "at-fam-2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(seen, "at-fam-2", "two dropped its cached token when one refreshed it");
    let (status, _) =
        one.api().call(reqwest::Method::DELETE, &format!("/v1/tenants/acme/tokens/{id}"), &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(access_token(&two, &key, &id).await.0, StatusCode::NOT_FOUND, "a deleted token is gone everywhere");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_refresh_leaves_its_lease_to_the_other_at_once() {
    let Some((one, two, _)) = two_instances().await else { return };
    let idp = MockIdp::start().await;
    let key = tenant(&one.api(), &idp).await;
    let id = authorized(&one, &two, &key).await;
    idp.family(|f| f.delay = Duration::from_secs(20));
    let hung = tokio::spawn({
        let (api, key, id) = (one.api(), key.clone(), id.clone());
        async move { api.post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &key, json!({})).await }
    });
    eventually("the refresh reaching the provider", async || idp.family_refreshes() == 1).await;
    one.kill();
    hung.abort();
    idp.family(|f| f.delay = Duration::ZERO);
    // The lease's TTL is 90 s; the other instance would wait that long, and
    // answer 503 after its own call deadline, if the lease outlived its holder.
    let (status, token) = access_token(&two, &key, &id).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["access_token"], "at-fam-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_installed_through_one_instance_runs_on_the_other() {
    let Some((one, two, url)) = two_instances().await else { return };
    let idp = DiscoveryIdp::start().await;
    let (status, tenant) = one.api().post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let file = one.dir.path().join("oidc-discovery.wasm");
    std::fs::write(&file, oidc_discovery_wasm()).unwrap();
    for args in [
        vec!["component", "install", file.to_str().unwrap()],
        vec!["component", "enable", "oidc-discovery", "--tenant", "acme"],
    ] {
        let out = one.cli(binary(), &[&["--database-url", url.as_str()], args.as_slice()].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let load =
        json!({"oidc": {"Corp": {"ISSUER": idp.issuer, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}}});
    let (status, report) = two.api().post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let start = json!({"name": "corp-bot", "connector": "oidc", "provider": "Corp", "flow": "authorization_code",
                       "scopes": ["openid"], "use_default_keys": true});
    let (status, started) = two.api().post("/v1/tenants/acme/tokens", &key, start).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(page.contains("Connected"), "{page}");
    let id = started["id"].as_str().unwrap();
    let (status, token) = access_token(&one, &key, id).await;
    assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("oidc-at-1")), "{token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_database_stops_answering_is_not_ready_and_recovers() {
    let Some((one, two, url)) = two_instances().await else { return };
    let idp = MockIdp::start().await;
    let key = tenant(&one.api(), &idp).await;
    let id = authorized(&one, &two, &key).await;
    let (server, name) = outside(&url).await;
    let allow = |yes: bool| format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {yes}");
    sqlx::query(&allow(false)).execute(&server).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&server)
        .await
        .unwrap();
    let (status, body) = one.api().get("/readyz", ADMIN_KEY).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let (status, body) = one.api().get("/v1/tenants/acme/tokens", &key).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("database_unavailable"))
    );
    let (status, _) = one.api().get("/healthz", ADMIN_KEY).await;
    assert_eq!(status, StatusCode::OK, "the process lives on");

    sqlx::query(&allow(true)).execute(&server).await.unwrap();
    let (status, _) = one.api().get("/readyz", ADMIN_KEY).await;
    assert_eq!(status, StatusCode::OK, "ready again once the database answers");
    let (status, token) = access_token(&two, &key, &id).await;
    assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-fam-1")), "{token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_a_new_database_take_turns_migrating() {
    let Some(url) = postgres_database().await else { return };
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let flags = ["--allow-private-network", "--database-url", url.as_str()];
    let starting: Vec<Server> = (0..3).map(|_| Server::spawn(binary(), dir.clone(), &flags)).collect();
    for server in starting {
        let server = server.wait_ready().await;
        let (status, _) = server.api().get("/readyz", ADMIN_KEY).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_while_two_instances_serve() {
    let Some((one, two, url)) = two_instances().await else { return };
    let idp = MockIdp::start().await;
    let key = tenant(&one.api(), &idp).await;
    let id = authorized(&one, &two, &key).await;
    assert_eq!(access_token(&two, &key, &id).await.1["access_token"], "at-fam-1");

    // Refreshes go on, alternating between the instances, while the keys
    // rotate: each stores a new refresh token the rotation must not undo.
    let rotating = std::thread::spawn({
        let (binary, dir, url) = (binary(), one.dir.clone(), url.clone());
        move || {
            std::process::Command::new(binary)
                .arg("--data-dir")
                .arg(dir.path())
                .args(["--database-url", &url, "--json", "keys", "rotate"])
                .env_remove("FLOWAUTH_MASTER_KEY")
                .output()
                .unwrap()
        }
    });
    let path = format!("/v1/tenants/acme/tokens/{id}/refresh");
    let mut refreshes = 0;
    while !rotating.is_finished() {
        let server = if refreshes % 2 == 0 { &one } else { &two };
        let (status, token) = server.api().post(&path, &key, json!({})).await;
        assert_eq!(status, StatusCode::OK, "refresh {refreshes} during the rotation: {token}");
        refreshes += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rotated = rotating.join().unwrap();
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    let rotated: Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_eq!(rotated["retired"].as_array().map(Vec::len), Some(1), "{rotated}");
    assert!(refreshes > 10, "the rotation overlapped the refreshes ({refreshes})");
    assert!(!idp.family_revoked(), "no refresh token was presented twice");

    // Both instances, and a new process with only the new key, open everything.
    for server in [&one, &two] {
        let (status, token) = server.api().post(&path, &key, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{token}");
    }
    let shown = one.cli(binary(), &["--database-url", &url, "--json", "token", "show", "--tenant", "acme", &id]);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
}

/// Waits until `server` refuses `key`, which it has known since `cached`;
/// fails when it still accepts it once its key cache would have forgotten
/// the key anyway (the refusal must come from the other instance's notice).
async fn refused_before_the_cache_forgets(server: &Server, key: &str, cached: Instant, what: &str) {
    loop {
        let (status, answer) = server.api().get("/v1/whoami", key).await;
        if status == StatusCode::UNAUTHORIZED {
            return;
        }
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(cached.elapsed() < KEY_CACHE_TTL, "{what}: still accepted once the cache expired, so no notice came");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_key_rotated_or_deleted_on_one_instance_is_refused_at_once_on_the_other() {
    let Some((one, two, _)) = two_instances().await else { return };
    let (status, tenant) = one.api().post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    let old_key = tenant["api_key"].as_str().unwrap().to_owned();
    // Two learns the key and keeps it in its cache.
    let cached = Instant::now();
    for _ in 0..2 {
        let (status, who) = two.api().get("/v1/whoami", &old_key).await;
        assert_eq!((status, who["tenant"].as_str()), (StatusCode::OK, Some("acme")), "{who}");
    }

    let (status, rotated) = one.api().post("/v1/tenants/acme/rotate-key", ADMIN_KEY, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_key = rotated["api_key"].as_str().unwrap().to_owned();
    refused_before_the_cache_forgets(&two, &old_key, cached, "the rotated key").await;
    let (status, answer) = two.api().get("/v1/tenants/acme/tokens", &old_key).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "{answer}"
    );
    let cached = Instant::now();
    let (status, who) = two.api().get("/v1/whoami", &new_key).await;
    assert_eq!((status, who["tenant"].as_str()), (StatusCode::OK, Some("acme")), "the new key works there: {who}");

    let path = "/v1/tenants/acme?confirm=acme";
    assert_eq!(one.api().call(reqwest::Method::DELETE, path, ADMIN_KEY, None).await.0, StatusCode::NO_CONTENT);
    refused_before_the_cache_forgets(&two, &new_key, cached, "the deleted tenant's key").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_copy_moves_a_sqlite_deployment_onto_postgres() {
    let Some(url) = postgres_database().await else { return };
    let idp = MockIdp::start().await;
    let sqlite = Server::start(binary()).await;
    let key = tenant(&sqlite.api(), &idp).await;
    let id = authorized(&sqlite, &sqlite, &key).await;
    let dir = sqlite.kill();

    let copy = std::process::Command::new(binary())
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["--json", "store", "copy", "--to", &url])
        .env_remove("FLOWAUTH_MASTER_KEY")
        .env_remove("FLOWAUTH_DATABASE_URL")
        .output()
        .unwrap();
    assert!(copy.status.success(), "{}", String::from_utf8_lossy(&copy.stderr));
    let copied: Value = serde_json::from_slice(&copy.stdout).unwrap();
    assert_eq!((copied["rows"]["tokens"].as_u64(), copied["tokens_verified"].as_u64()), (Some(1), Some(1)), "{copied}");

    let postgres = Server::instance(binary(), dir, &url).await;
    let (status, token) = access_token(&postgres, &key, &id).await;
    assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-fam-1")), "{token}");
}
