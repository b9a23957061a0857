//! Client secret expiry (App Xchange), end to end against the real binary:
//! `CLIENT_SECRET_EXPIRES_AT` is checked, listed and gauged; an expired
//! secret refuses new authorizations but not refreshes; the server's sweep
//! sends each `provider.secret_expiring` warning once, restarts included.

use std::sync::Arc;
use std::time::Duration;

use flowauth::store::{format_expiry, now};
use flowauth_tests::receiver::Receiver;
use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const DAY: i64 = 86_400;
/// A guard against hanging, not a timing assertion.
const WAIT: Duration = Duration::from_secs(20);

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

fn provider(idp: &MockIdp, expires_at: &str) -> Value {
    json!({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
           "AUTH_URL": "/authorize", "TOKEN_URL": "/token", "CLIENT_SECRET_EXPIRES_AT": expires_at})
}

async fn tenant(api: &Api) -> String {
    let (status, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    tenant["api_key"].as_str().unwrap().to_owned()
}

async fn load(api: &Api, key: &str, mode: &str, file: Value) -> (StatusCode, Value) {
    api.post(&format!("/v1/tenants/acme/oauth-configurations?mode={mode}"), key, file).await
}

#[tokio::test]
async fn the_expiry_is_checked_listed_and_gauged() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant(&api).await;

    let (status, refused) = load(&api, &key, "replace", json!({"devtools": {"HTTP": provider(&idp, "soon")}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("$.devtools.HTTP.CLIENT_SECRET_EXPIRES_AT"), "{refused}");
    assert!(refused.to_string().contains("RFC 3339"), "says what it wants: {refused}");

    let expires_at = format_expiry(now() + 30 * DAY + 3600);
    let (status, report) =
        load(&api, &key, "replace", json!({"devtools": {"HTTP": provider(&idp, &expires_at)}})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (status, listed) = api.get("/v1/tenants/acme/providers", &key).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["providers"][0]["client_secret_expires_at"], expires_at.as_str());
    assert_eq!(listed["providers"][0]["client_secret_days_left"], 30);

    let cli = server.cli(binary(), &["--json", "provider", "list", "--tenant", "acme"]);
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let line: Value = serde_json::from_slice(cli.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!((&line["client_secret_expires_at"], &line["client_secret_days_left"]), (&json!(expires_at), &json!(30)));

    let metrics = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("# TYPE flowauth_client_secret_days_left gauge"), "{metrics}");
    assert!(
        metrics
            .contains("flowauth_client_secret_days_left{tenant=\"acme\",connector=\"devtools\",provider=\"HTTP\"} 30"),
        "{metrics}"
    );

    // A date alone is midnight UTC.
    let (status, report) =
        load(&api, &key, "update", json!({"devtools": {"HTTP": {"CLIENT_SECRET_EXPIRES_AT": "2027-03-01"}}})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, listed) = api.get("/v1/tenants/acme/providers", &key).await;
    assert_eq!(listed["providers"][0]["client_secret_expires_at"], "2027-03-01T00:00:00Z");
}

#[tokio::test]
async fn an_expired_secret_refuses_new_authorizations_but_not_refreshes() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant(&api).await;
    let later = format_expiry(now() + 90 * DAY);
    let (status, report) = load(&api, &key, "replace", json!({"devtools": {"HTTP": provider(&idp, &later)}})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let start = |name: &str| {
        json!({"name": name, "connector": "devtools", "provider": "HTTP", "flow": "authorization_code",
               "scopes": ["read"], "use_default_keys": true})
    };
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, start("before")).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(page.contains("Connected"), "{page}");

    let (status, report) =
        load(&api, &key, "update", json!({"devtools": {"HTTP": {"CLIENT_SECRET_EXPIRES_AT": "2020-01-01"}}})).await;
    assert_eq!(status, StatusCode::OK, "{report}");

    let (status, refused) = api.post("/v1/tenants/acme/tokens", &key, start("after")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "client_secret_expired");
    let message = refused["error"]["message"].as_str().unwrap();
    for part in ["\"HTTP\"", "\"devtools\"", "2020-01-01T00:00:00Z", "CLIENT_SECRET", "flowauth oauth load --update"] {
        assert!(message.contains(part), "{part} in {message}");
    }
    let (status, retried) = api.post(&format!("/v1/tenants/acme/tokens/{id}/retry?force=true"), &key, json!({})).await;
    assert_eq!(
        (status, &retried["error"]["code"]),
        (StatusCode::CONFLICT, &json!("client_secret_expired")),
        "{retried}"
    );
    let mut own = start("own-keys");
    own["use_default_keys"] = json!(false);
    (own["consumer_key"], own["secret_key"]) = (json!(CLIENT_ID), json!(CLIENT_SECRET));
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, own).await;
    assert_eq!(status, StatusCode::CREATED, "a token with its own secret is not refused: {started}");
    let (status, refreshed) = api.post(&format!("/v1/tenants/acme/tokens/{id}/refresh"), &key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "the provider decides about refreshes: {refreshed}");

    // A new secret and date: authorizations start again.
    let renewed = json!({"devtools": {"HTTP": {"CLIENT_SECRET": CLIENT_SECRET, "CLIENT_SECRET_EXPIRES_AT": later}}});
    let (status, report) = load(&api, &key, "update", renewed).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, start("after")).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
}

/// Waits until the tenant's delivery log has `count` deliveries, all sent.
async fn delivered(api: &Api, key: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = api.get("/v1/tenants/acme/webhook/deliveries", key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let deliveries = body["deliveries"].as_array().cloned().unwrap_or_default();
        if deliveries.len() >= count && deliveries.iter().all(|d| d["status"] == "delivered") {
            return deliveries;
        }
        assert!(tokio::time::Instant::now() < deadline, "{count} deliveries expected: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_warning_is_sent_once_even_across_a_restart() {
    let idp = MockIdp::start().await;
    let receiver = Receiver::start().await;
    let flags = ["--allow-private-network", "--sweep-interval-ms", "50"];
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let server = Server::start_with(binary(), dir.clone(), &flags).await;
    let api = server.api();
    let key = tenant(&api).await;
    let (status, set) =
        api.call(reqwest::Method::PUT, "/v1/tenants/acme/webhook", &key, Some(json!({"url": receiver.url()}))).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert!(set["events"].to_string().contains("provider.secret_expiring"), "subscribed by default: {set}");
    let secret = set["secret"].as_str().unwrap().to_owned();

    let in_ten_days = format_expiry(now() + 10 * DAY);
    let (status, report) =
        load(&api, &key, "replace", json!({"devtools": {"HTTP": provider(&idp, &in_ten_days)}})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let received = receiver.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let payload = received[0].verified(&secret).unwrap();
    assert_eq!(payload["type"], "provider.secret_expiring");
    assert_eq!(payload["tenant"], "acme");
    assert_eq!(
        payload["provider"],
        json!({"connector": "devtools", "name": "HTTP", "client_secret_expires_at": in_ten_days, "days_left": 14})
    );
    assert!(!payload.to_string().contains(CLIENT_SECRET), "never the secret: {payload}");
    delivered(&api, &key, 1).await;

    // A restart sweeps again at once; the warning was recorded as sent.
    server.stop();
    let server = Server::start_with(binary(), dir, &flags).await;
    let api = server.api();
    // A second provider a day from expiry: once its warning is delivered,
    // the sweeps that would have repeated the first have run.
    let tomorrow = format_expiry(now() + DAY / 2);
    let (status, report) = load(&api, &key, "update", json!({"devtools": {"Other": provider(&idp, &tomorrow)}})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let deliveries = delivered(&api, &key, 2).await;
    let received = receiver.wait_for(2, WAIT).await;
    let payloads: Vec<Value> = received.iter().map(|r| r.verified(&secret).unwrap()).collect();
    assert_eq!(payloads.len(), 2, "{payloads:?}");
    assert_eq!((&payloads[1]["provider"]["name"], &payloads[1]["provider"]["days_left"]), (&json!("Other"), &json!(1)));
    // The sweep that queued Other's warning went over HTTP too (first, in
    // name order): a repeat would be in the log before Other's.
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
}
