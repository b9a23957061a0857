//! Hostile and careless clients against the real `flowauth serve`: bodies
//! trickled to hold connections, heads too large to parse, bodies with
//! fields the API does not know, pages of zero tokens and tokens missing a
//! required input. Each is refused with a JSON error and costs other
//! tenants nothing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// A tenant with provider `devtools/HTTP` at the mock; its key.
async fn tenant(api: &Api, idp: &MockIdp, name: &str) -> String {
    let (status, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": name})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let load = json!({"devtools": {"HTTP": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
        "BASE_URL": idp.base_url(), "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}});
    let (status, report) = api.post(&format!("/v1/tenants/{name}/oauth-configurations"), &key, load).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    key
}

/// What came back on a raw connection: the answer's status and JSON body,
/// and whether the server closed the connection after it.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
    closed: bool,
}

/// Sends `head` on a new connection, then trickles the body a byte every
/// 300 ms until an answer comes (at most a minute: a guard against hanging
/// forever, not a timing assertion), and reads until the server closes.
fn trickle(addr: &str, head: String) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let (mut got, mut buf, until) = (Vec::new(), [0u8; 4096], Instant::now() + Duration::from_secs(60));
    let mut closed = false;
    while Instant::now() < until {
        match stream.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                if got.is_empty() {
                    let _ = stream.write_all(b" ");
                }
            }
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    parse(&got, closed)
}

/// Sends `request` whole (from another thread: the server may stop reading
/// it) and reads the answer until the server closes.
fn exchange(addr: &str, request: Vec<u8>) -> Answer {
    let stream = TcpStream::connect(addr).unwrap();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let mut reader = stream;
    reader.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut got = Vec::new();
    let closed = match reader.read_to_end(&mut got) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    parse(&got, closed)
}

fn parse(got: &[u8], closed: bool) -> Answer {
    let text = String::from_utf8_lossy(got);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{head}"));
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    Answer { status, body, closed }
}

fn code(answer: &Answer) -> &str {
    answer.body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn trickled_bodies_are_cut_off_and_other_tenants_are_still_served() {
    let idp = MockIdp::start().await;
    let flags = [
        "--allow-private-network",
        "--max-connections",
        "4",
        "--max-requests-per-tenant",
        "2",
        "--body-grace-seconds",
        "3",
        "--body-min-rate",
        "100",
    ];
    let server = Server::start_with(binary(), Arc::new(tempfile::tempdir().unwrap()), &flags).await;
    let setup = server.api();
    let (acme, beta) = (tenant(&setup, &idp, "acme").await, tenant(&setup, &idp, "beta").await);
    drop(setup); // and its idle connection

    // As many trickling requests as the server has connections.
    let addr = server.base.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /v1/tenants/acme/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {acme}\r\n\
         Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{{"
    );
    let (answers, arrived) = std::sync::mpsc::channel();
    for _ in 0..4 {
        let (addr, head, answers) = (addr.clone(), head.clone(), answers.clone());
        std::thread::spawn(move || answers.send(trickle(&addr, head)).unwrap());
    }
    let mut refused = Vec::new();
    for _ in 0..2 {
        refused.push(arrived.recv_timeout(Duration::from_secs(60)).expect("an answer"));
    }
    // Two hold acme's share of the server now; beta is served meanwhile.
    let (status, providers) = server.api().get("/v1/tenants/beta/providers", &beta).await;
    assert_eq!(status, StatusCode::OK, "{providers}");
    let mut cut = Vec::new();
    for _ in 0..2 {
        cut.push(arrived.recv_timeout(Duration::from_secs(60)).expect("an answer"));
    }

    for answer in &refused {
        assert_eq!((answer.status, code(answer)), (429, "too_many_requests"), "{answer:?}");
        assert!(answer.closed, "{answer:?}");
    }
    for answer in &cut {
        assert_eq!((answer.status, code(answer)), (408, "request_timeout"), "{answer:?}");
        assert!(answer.closed, "the connection is closed: {answer:?}");
    }
    let (status, tokens) = server.api().get("/v1/tenants/acme/tokens", &acme).await;
    assert_eq!((status, tokens["tokens"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{tokens}");
}

#[tokio::test]
async fn heads_too_large_or_malformed_are_refused_in_json() {
    let server = Server::start(binary()).await;
    let addr = server.base.trim_start_matches("http://").to_owned();

    let query = "a".repeat(1 << 20);
    let huge = format!("GET /v1/tenants?q={query} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes();
    let answer = exchange(&addr, huge);
    assert_eq!((answer.status, code(&answer)), (431, "headers_too_large"), "{answer:?}");
    assert!(answer.body["error"]["message"].as_str().unwrap().contains("64 KiB"), "{answer:?}");
    assert!(answer.closed, "{answer:?}");

    let answer = exchange(&addr, b"GET /a b c\r\n\r\n".to_vec());
    assert_eq!((answer.status, code(&answer)), (400, "invalid_request"), "{answer:?}");

    let (status, _) = server.api().get("/v1/tenants", ADMIN_KEY).await;
    assert_eq!(status, StatusCode::OK, "the server carries on");
}

#[tokio::test]
async fn unknown_body_fields_are_refused_with_a_did_you_mean() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant(&api, &idp, "acme").await;
    let cc = json!({"name": "nightly", "connector": "devtools", "provider": "HTTP", "flow": "client_credentials"});
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, cc).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");

    let start = json!({"name": "bot", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code",
                       "inputs": {"prompt": "consent"}});
    let cases = [
        (Method::POST, "/v1/tenants/acme/tokens", start, "inputs", Some("additional")),
        (Method::POST, "/v1/tenants/acme/tokens/nightly/reset", json!({"scope": ["a"]}), "scope", Some("scopes")),
        (Method::PATCH, "/v1/tenants/acme/tokens/nightly", json!({"nmae": "x"}), "nmae", Some("name")),
        (Method::POST, "/v1/tenants", json!({"name": "beta", "key": "k"}), "key", None),
        (
            Method::PUT,
            "/v1/tenants/acme/webhook",
            json!({"url": "https://hooks.example.com/x", "event": ["token.failed"]}),
            "event",
            Some("events"),
        ),
    ];
    for (method, path, body, field, suggested) in cases {
        let caller = if path == "/v1/tenants" { ADMIN_KEY } else { &key };
        let (status, answer) = api.call(method, path, caller, Some(body)).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("unknown field {field:?}")), "{path}: {message}");
        if let Some(suggested) = suggested {
            assert!(message.contains(&format!("(did you mean {suggested:?}?)")), "{path}: {message}");
        }
        assert!(message.contains("this body takes"), "{path}: {message}");
    }

    let (_, tokens) = api.get("/v1/tenants/acme/tokens", &key).await;
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 1, "nothing was stored: {tokens}");
    let (_, nightly) = api.get("/v1/tenants/acme/tokens/nightly", &key).await;
    assert_eq!(nightly["name"], "nightly", "not renamed, not reset: {nightly}");
    let (_, tenants) = api.get("/v1/tenants", ADMIN_KEY).await;
    assert!(!tenants.to_string().contains("beta"), "{tenants}");
    let (status, _) = api.get("/v1/tenants/acme/webhook", &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_page_size_outside_1_to_500_is_refused() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let key = tenant(&server.api(), &idp, "acme").await;
    for limit in ["0", "501"] {
        let (status, body) = server.api().get(&format!("/v1/tenants/acme/tokens?limit={limit}"), &key).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
        assert!(body["error"]["message"].as_str().unwrap().contains("1 to 500"), "{body}");
    }
    for limit in ["1", "500"] {
        let (status, body) = server.api().get(&format!("/v1/tenants/acme/tokens?limit={limit}"), &key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let listed = server.cli(binary(), &["token", "list", "--tenant", "acme", "--limit", "0"]);
    assert!(!listed.status.success() && String::from_utf8_lossy(&listed.stderr).contains("--limit"));
}

#[tokio::test]
async fn a_token_missing_a_required_input_is_refused_and_nothing_is_stored() {
    let server = Server::start(binary()).await;
    let api = server.api();
    let (_, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let load = json!({"zendesk": {"Zendesk": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}}});
    let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::OK, "{report}");

    let start = json!({"name": "desk", "connector": "zendesk", "provider": "Zendesk", "flow": "authorization_code"});
    let (status, body) = api.post("/v1/tenants/acme/tokens", &key, start.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    assert!(body["error"]["message"].as_str().unwrap().contains("needs the input \"subdomain\""), "{body}");

    let cli = ["--json", "token", "start", "--tenant", "acme", "--name", "desk"];
    let refused = server.cli(binary(), &[&cli[..], &["--connector", "zendesk", "--provider", "Zendesk"]].concat());
    assert!(!refused.status.success());
    let line: Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(line["error"]["code"], "invalid_request", "{line}");
    assert!(line["error"]["message"].as_str().unwrap().contains("--input subdomain="), "{line}");

    let (_, tokens) = api.get("/v1/tenants/acme/tokens", &key).await;
    assert_eq!(tokens["tokens"], json!([]), "nothing was stored");

    let mut given = start;
    given["additional"] = json!({"subdomain": "acme"});
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, given).await;
    assert_eq!((status, started["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{started}");
    assert!(started["auth_link"].as_str().unwrap().starts_with("https://acme.zendesk.com/"), "{started}");
}

#[tokio::test]
async fn a_reset_missing_a_required_input_is_refused_and_changes_nothing() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant(&api, &idp, "acme").await;
    let config = json!({
        "name": "acme_erp", "title": "Acme ERP", "oauth_type": "OAuth2", "base_url": idp.base_url(),
        "oauth2_auth_url": "/authorize", "oauth2_token_url": "/token",
        "oauth2_token_data": ["{\"client_id\":\"{client_id}\"}", "{\"client_secret\":\"{client_secret}\"}"],
        "oauth2_required": [{"id": "account", "title": "The ERP account"}]
    });
    let (status, added) = api.post("/v1/tenants/acme/connectors", &key, config).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let load = json!({"acme_erp": {"ERP": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}}});
    let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let start = json!({"name": "erp", "connector": "acme_erp", "provider": "ERP", "flow": "client_credentials",
                       "additional": {"account": "a1"}});
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;
    assert_eq!((status, started["status"].as_str()), (StatusCode::CREATED, Some("active")), "{started}");

    let (status, body) = api.post("/v1/tenants/acme/tokens/erp/reset", &key, json!({"additional": {}})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    assert!(body["error"]["message"].as_str().unwrap().contains("needs the input \"account\""), "{body}");
    let (_, token) = api.get("/v1/tenants/acme/tokens/erp", &key).await;
    assert_eq!((token["status"].as_str(), &token["inputs"]), (Some("active"), &json!({"account": "a1"})), "{token}");

    let (status, reset) =
        api.post("/v1/tenants/acme/tokens/erp/reset", &key, json!({"additional": {"account": "a2"}})).await;
    assert_eq!((status, reset["status"].as_str()), (StatusCode::OK, Some("active")), "{reset}");
}
