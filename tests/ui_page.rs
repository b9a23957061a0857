//! The web page at `/ui` (docs/UI.md) as the real binary serves it: every
//! file embedded, each with the strict policy, and the OAuth result page
//! handing its outcome to `/ui/return.js` without inline script. The page
//! itself runs in a browser in `tests/ui/`.

use flowauth_tests::server::{ADMIN_KEY, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use serde_json::json;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                      connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn assert_page_headers(response: &reqwest::Response) {
    let headers = response.headers();
    assert_eq!(headers["content-security-policy"], POLICY, "{}", response.url());
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn the_page_is_embedded_and_served_with_a_strict_policy() {
    let server = Server::start(env!("CARGO_BIN_EXE_flowauth")).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let root = http.get(format!("{}/", server.base)).send().await.unwrap();
    assert!(root.status().is_redirection());
    assert_eq!(root.headers()[LOCATION], "/ui");

    for (path, kind) in [
        ("/ui", "text/html"),
        ("/ui/", "text/html"),
        ("/ui/app.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
        ("/ui/return.js", "text/javascript"),
    ] {
        let page = http.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert_page_headers(&page);
        assert!(page.headers()[CONTENT_TYPE].to_str().unwrap().starts_with(kind), "{path}");
        assert_eq!(page.headers()[CACHE_CONTROL], "no-cache");
        let etag = page.headers()[ETAG].clone();
        let again = http.get(format!("{}{path}", server.base)).header(IF_NONE_MATCH, etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path} revalidates");
    }

    let html = http.get(format!("{}/ui", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/ui/app.js"></script>"#), "{html}");
    assert!(!html.contains("<script>") && !html.contains("style="), "nothing inline");

    let missing = http.get(format!("{}/ui/nothing.js", server.base)).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let error: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(error["error"]["code"], "not_found");
}

#[tokio::test]
async fn the_oauth_result_page_tells_return_js_the_outcome() {
    let idp = MockIdp::start().await;
    let server = Server::start(env!("CARGO_BIN_EXE_flowauth")).await;
    let api = server.api();
    let (_, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let load = json!({"devtools": {"HTTP": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
        "BASE_URL": idp.base_url(), "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}});
    api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    let start = json!({"name": "bot", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code"});
    let (_, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;

    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap();
    assert_page_headers(&page);
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    let id = started["id"].as_str().unwrap();
    assert!(html.contains(&format!(r#"data-token-id="{id}" data-status="active""#)), "{html}");
    assert!(html.contains(r#"<script type="module" src="/ui/return.js"></script>"#), "{html}");
    assert!(html.contains(r#"<link rel="stylesheet" href="/ui/app.css">"#), "{html}");
    assert!(!html.contains("<style") && !html.contains("<script>"), "nothing inline: {html}");

    let used = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap();
    assert_eq!(used.status(), StatusCode::BAD_REQUEST);
    assert_page_headers(&used);
    assert!(!used.text().await.unwrap().contains("data-token-id"), "no outcome to tell without a token");
}
