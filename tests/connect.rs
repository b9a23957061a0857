//! Connect links end to end: the real `flowauth serve` binary, an app
//! that creates a link with its tenant key, and a user's browser that
//! follows it without any key, through a mock identity provider on
//! 127.0.0.1, back to the app's `return_to`.

use flowauth_tests::providers::{Provider, Style};
use flowauth_tests::server::{ADMIN_KEY, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

const APP: &str = "https://app.example.com";

/// A browser that stops at every redirect, so each hop can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// A server with tenant `acme` (its key returned), whose app is on [`APP`],
/// and `load` as its providers.
async fn acme(load: Value) -> (Server, String) {
    let server = Server::start(env!("CARGO_BIN_EXE_flowauth")).await;
    let api = server.api();
    let (_, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let settings = json!({"allowed_return_origins": [APP]});
    let (status, saved) =
        api.call(reqwest::Method::PUT, "/v1/tenants/acme/connect-settings", &key, Some(settings)).await;
    assert_eq!((status, &saved), (StatusCode::OK, &json!({"allowed_return_origins": [APP]})));
    (server, key)
}

fn devtools(idp: &MockIdp) -> Value {
    json!({"devtools": {"HTTP": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}})
}

/// Creates a link for a token `name` of `connector/provider`; returns its URL.
async fn link(server: &Server, key: &str, connector: &str, provider: &str, name: &str) -> String {
    let request = json!({"connector": connector, "provider": provider, "name": name, "scopes": ["read"],
                         "return_to": format!("{APP}/connected?step=2")});
    let (status, session) = server.api().post("/v1/tenants/acme/connect-sessions", key, request).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert!(session["id"].is_string() && session["expires_at"].is_i64(), "{session}");
    let url = session["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/connect/", server.base)), "{url}");
    url
}

/// The query of `url` as pairs.
fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

#[tokio::test]
async fn a_connect_link_connects_a_token_without_a_key_and_returns_to_the_app() {
    let idp = MockIdp::start().await;
    let (server, key) = acme(devtools(&idp)).await;
    let url = link(&server, &key, "devtools", "HTTP", "crm").await;
    let browser = browser();

    let page = browser.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("HTTP") && html.contains("crm") && html.contains("<form method=\"post\""), "{html}");
    assert!(!html.contains("<script"), "no script: {html}");

    let submitted = browser.post(&url).form(&[("ignored", "x")]).send().await.unwrap();
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    let to_idp = location(&submitted);
    assert!(to_idp.starts_with(&format!("{}/authorize?", idp.base_url())), "{to_idp}");
    let approved = browser.get(&to_idp).send().await.unwrap();
    let callback = location(&approved);
    assert!(callback.starts_with(&format!("{}/oauth/return?", server.base)), "{callback}");
    let back = browser.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()["referrer-policy"], "no-referrer", "the code never reaches the app in a referrer");
    let landed = location(&back);
    assert!(landed.starts_with(&format!("{APP}/connected?step=2&")), "{landed}");
    let outcome = query(&landed);
    let get = |k: &str| outcome.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("status").as_deref(), Some("active"), "{landed}");
    let token_id = get("token_id").unwrap();

    let (status, token) = server.api().get(&format!("/v1/tenants/acme/tokens/{token_id}"), &key).await;
    assert_eq!(
        (status, token["status"].as_str(), token["name"].as_str()),
        (StatusCode::OK, Some("active"), Some("crm"))
    );

    // The link worked once.
    let again = browser.get(&url).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.text().await.unwrap().contains("works once"));
    let resubmitted = browser.post(&url).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(resubmitted.status(), StatusCode::GONE);

    let secret = url.rsplit('/').next().unwrap().to_owned();
    let (_, log) = server.stop();
    assert!(!log.contains(&secret), "the link's secret leaked into the server log");
    assert!(log.contains("/connect/<secret>"), "connect requests are logged without their secret");
}

#[tokio::test]
async fn a_connect_link_asks_for_the_connectors_inputs() {
    let idp = Provider::start(Style::Standard).await;
    let load = json!({"zendesk": {"Zendesk": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
        "BASE_URL": format!("{}/{{subdomain}}", idp.base_url())}}});
    let (server, key) = acme(load).await;
    let url = link(&server, &key, "zendesk", "Zendesk", "support").await;
    let browser = browser();

    let html = browser.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"subdomain\"") && html.contains(" required"), "{html}");
    let incomplete = browser.post(&url).form(&[("subdomain", " ")]).send().await.unwrap();
    assert_eq!(incomplete.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.text().await.unwrap().contains("Fill in subdomain"));

    let submitted = browser.post(&url).form(&[("subdomain", "acme")]).send().await.unwrap();
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER, "the incomplete form left the link usable");
    let to_idp = location(&submitted);
    assert!(to_idp.starts_with(&format!("{}/acme/oauth/authorizations/new?", idp.base_url())), "{to_idp}");
    let state = query(&to_idp).into_iter().find(|(k, _)| k == "state").unwrap().1;
    let callback = format!("{}/oauth/return?code=good-code&state={state}", server.base);
    let back = browser.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let landed = location(&back);
    assert!(landed.contains("status=active"), "{landed}");
    assert_eq!(idp.last("/tokens").path, "/acme/oauth/tokens");
    let (_, tokens) = server.api().get("/v1/tenants/acme/tokens?name=support", &key).await;
    assert_eq!(tokens["tokens"][0]["inputs"]["subdomain"], "acme", "{tokens}");
}

#[tokio::test]
async fn connect_links_refuse_foreign_origins_and_expire() {
    let idp = MockIdp::start().await;
    let (server, key) = acme(devtools(&idp)).await;
    let api = server.api();

    let foreign =
        json!({"connector": "devtools", "provider": "HTTP", "name": "x", "return_to": "https://evil.example.com/"});
    let (status, error) = api.post("/v1/tenants/acme/connect-sessions", &key, foreign).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_allowed")), "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("https://evil.example.com") && message.contains("connect-settings"), "{message}");

    let with_path = json!({"allowed_return_origins": ["https://app.example.com/path"]});
    let (status, error) =
        api.call(reqwest::Method::PUT, "/v1/tenants/acme/connect-settings", &key, Some(with_path)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("scheme, host and port"), "{error}");
    let (_, kept) = api.get("/v1/tenants/acme/connect-settings", &key).await;
    assert_eq!(kept, json!({"allowed_return_origins": [APP]}), "a refused change changes nothing");

    let url = link(&server, &key, "devtools", "HTTP", "late").await;
    let database = format!("sqlite://{}", server.dir.path().join(flowauth::store::DATABASE_FILE).display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database).await.unwrap();
    sqlx::query("UPDATE connect_sessions SET expires_at = expires_at - 3600").execute(&pool).await.unwrap();
    let browser = browser();
    let expired = browser.get(&url).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired.text().await.unwrap().contains("expired"));
    assert_eq!(browser.post(&url).send().await.unwrap().status(), StatusCode::GONE);
    let (_, tokens) = api.get("/v1/tenants/acme/tokens", &key).await;
    assert_eq!(tokens["tokens"], json!([]), "an expired link starts nothing");

    let unknown = browser.get(format!("{}/connect/not-a-link", server.base)).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}
