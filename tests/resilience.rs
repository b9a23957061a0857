//! The real `flowauth serve` process when the world misbehaves: a process
//! killed mid-refresh, a caller that hangs up, admins writing at once and
//! oversized bodies. The provider rotates refresh tokens strictly.

use std::time::{Duration, Instant};

use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

fn load_file(idp: &MockIdp, display: &str) -> Value {
    json!({"devtools": {display: {
        "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}})
}

/// A tenant `acme` with a provider at `idp`; returns its key.
async fn tenant(api: &Api, idp: &MockIdp) -> String {
    let (status, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, load_file(idp, "HTTP")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    key
}

/// A token of the rotating family (`fam-0`), authorized through the callback.
async fn authorized(server: &Server, api: &Api, key: &str) -> String {
    let start = json!({"name": "bot", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code"});
    let (status, started) = api.post("/v1/tenants/acme/tokens", key, start).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let link = url::Url::parse(started["auth_link"].as_str().unwrap()).unwrap();
    let state = link.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let page = reqwest::get(format!("{}/oauth/return?code=short-code&state={state}", server.base)).await.unwrap();
    assert!(page.text().await.unwrap().contains("Connected"));
    started["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_process_killed_mid_refresh_does_not_stall_the_next_one() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant(&api, &idp).await;
    let id = authorized(&server, &api, &key).await;

    idp.family(|f| f.delay = Duration::from_secs(20));
    let path = format!("/v1/tenants/acme/tokens/{id}/access-token");
    let hung = tokio::spawn({
        let (api, key, path) = (server.api(), key.clone(), path.clone());
        async move { api.post(&path, &key, json!({})).await }
    });
    eventually("the refresh reaching the provider", async || idp.family_refreshes() == 1).await;
    let dir = server.kill();
    hung.abort();

    idp.family(|f| f.delay = Duration::ZERO);
    let restarted = Server::start_in(binary(), dir).await;
    let asked = Instant::now();
    let (status, token) = restarted.api().post(&path, &key, json!({})).await;
    let took = asked.elapsed();
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["access_token"], "at-fam-1");
    // The dead process's lease would hold a waiter for 90 s (its TTL).
    assert!(took < Duration::from_secs(10), "the lease of the dead process was taken over at once ({took:?})");
}

#[tokio::test]
async fn a_caller_hanging_up_mid_refresh_costs_no_token() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant(&api, &idp).await;
    let id = authorized(&server, &api, &key).await;

    idp.family(|f| f.delay = Duration::from_secs(2));
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    let url = format!("{}/v1/tenants/acme/tokens/{id}/access-token", server.base);
    let gave_up = impatient.post(&url).bearer_auth(&key).send().await;
    assert!(gave_up.is_err_and(|e| e.is_timeout()), "the caller hung up before the provider answered");

    idp.family(|f| f.delay = Duration::ZERO);
    let (status, token) = api.post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["access_token"], "at-fam-1");
    let (_, shown) = api.get(&format!("/v1/tenants/acme/tokens/{id}"), &key).await;
    assert_eq!(shown["status"], "active");
    assert_eq!((idp.uses_of("fam-0"), idp.uses_of("fam-1")), (1, 0), "each refresh token was used once");
    assert!(!idp.family_revoked());
}

#[tokio::test]
async fn admins_writing_at_once_never_see_a_server_error() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let key = tenant(&server.api(), &idp).await;
    let posts: Vec<_> = (0..20)
        .map(|i| {
            let (api, key, file) = (server.api(), key.clone(), load_file(&idp, &format!("P{}", i % 4)));
            tokio::spawn(async move {
                let mode = if i % 2 == 0 { "" } else { "?mode=update" };
                api.post(&format!("/v1/tenants/acme/oauth-configurations{mode}"), &key, file).await
            })
        })
        .collect();
    for post in posts {
        let (status, body) = post.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_json() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let key = tenant(&server.api(), &idp).await;
    let mut huge = String::from("{");
    for i in 0..1_000_000 {
        huge.push_str(&format!("\"k{i}\":{{}},"));
    }
    huge.push_str("\"last\":{}}");
    let sent = reqwest::Client::new()
        .post(format!("{}/v1/tenants/acme/oauth-configurations", server.base))
        .bearer_auth(&key)
        .body(huge)
        .send()
        .await;
    // The server answers 413 from the length alone and closes the
    // connection; a client still writing 16 MB may see the close first.
    if let Ok(response) = sent {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "payload_too_large");
    }
    let (status, _) = server.api().get("/v1/tenants/acme/providers", &key).await;
    assert_eq!(status, StatusCode::OK, "the server carries on");

    let name = "x".repeat(100 << 10);
    let (status, body) = server.api().post("/v1/tenants", ADMIN_KEY, json!({"name": name})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
}
