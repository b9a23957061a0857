//! The operator's surface, end to end against the real binary: the CLI
//! and the server agree about the store, strict and helpful input, JSON on
//! every error path, listings, and the hardening a server on a network needs.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

fn provider(idp: &MockIdp, token_url: &str) -> Value {
    json!({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
           "AUTH_URL": "/authorize", "TOKEN_URL": token_url})
}

/// A tenant `acme` with provider `devtools/HTTP` at the mock; its key.
async fn acme(api: &Api, idp: &MockIdp) -> String {
    let (_, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let (status, body) = api
        .post("/v1/tenants/acme/oauth-configurations", &key, json!({"devtools": {"HTTP": provider(idp, "/token")}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    key
}

/// `token start` of a devtools/HTTP token named `name` under --json, with `more` options.
fn start_args<'a>(name: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--json", "token", "start", "--tenant", "acme", "--name", name];
    args.extend(["--connector", "devtools", "--provider", "HTTP"]);
    args.extend(more);
    args
}

fn json_lines(output: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn the_cli_and_the_server_agree_about_the_store() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    acme(&server.api(), &idp).await;

    let started = server.cli(binary(), &start_args("cli-bot", &["--input", "prompt=consent"]));
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let link = json_lines(&started)[0]["auth_link"].as_str().unwrap().to_owned();
    let redirect =
        url::Url::parse(&link).unwrap().query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
    assert_eq!(redirect, format!("{}/oauth/return", server.base), "the CLI's link comes back to the running server");
    assert!(link.contains("prompt=consent"));

    let page = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(page.contains("Connected"), "{page}");
    let shown = server.cli(binary(), &["--json", "token", "show", "--tenant", "acme", "cli-bot"]);
    let token = &json_lines(&shown)[0];
    assert_eq!((token["status"].as_str(), token["connector"].as_str()), (Some("active"), Some("devtools")));
    assert_eq!(token["provider"], "HTTP");
    assert_eq!(token["inputs"]["prompt"], "consent");

    let refused = server.cli(binary(), &start_args("cc", &["--flow", "password"]));
    assert!(!refused.status.success(), "a refused start fails");
    assert_eq!(json_lines(&refused)[0]["error"]["code"], "invalid_request");
    let missing = server.cli(binary(), &["--json", "token", "show", "--tenant", "nobody", "x"]);
    assert!(!missing.status.success());
    assert!(json_lines(&missing)[0]["error"]["message"].as_str().unwrap().contains("nobody"));
}

#[tokio::test]
async fn read_only_commands_create_nothing_and_closed_pipes_are_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("not-a-store");
    let out = Command::new(binary())
        .arg("--data-dir")
        .arg(&elsewhere)
        .args(["token", "list", "--tenant", "acme"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no flowauth store"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!elsewhere.exists(), "a read-only command created a data directory");

    let mut child = Command::new(binary())
        .arg("--data-dir")
        .arg(&elsewhere)
        .args(["connectors", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "no panic on a closed pipe");
}

#[tokio::test]
async fn load_files_are_strict_and_helpful() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = acme(&api, &idp).await;
    let load = async |file: Value, mode: &str| {
        api.post(&format!("/v1/tenants/acme/oauth-configurations{mode}"), &key, file).await
    };

    let mut typo = provider(&idp, "/token");
    typo["CLIENT_SECRT"] = json!("x");
    let (status, body) = load(json!({"devtools": {"Typo": typo}}), "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["path"], "$.devtools.Typo.CLIENT_SECRT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("did you mean \"CLIENT_SECRET\""), "{body}");

    let (_, body) = load(json!({"devtool": {"X": provider(&idp, "/token")}}), "").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("did you mean \"devtools\""), "{body}");

    for (url, why) in [("https://idp.example.com/authorize#frag", "fragment"), ("javascript:alert(1)", "http(s)")] {
        let mut bad = provider(&idp, "/token");
        bad["AUTH_URL"] = json!(url);
        let (status, body) = load(json!({"devtools": {"Bad": bad}}), "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(why), "{body}");
    }

    let (status, body) = load(json!({"devtools": {"HTTP": provider(&idp, "/token")}}), "").await;
    assert_eq!((status, &body["unchanged"]), (StatusCode::OK, &json!(["devtools/HTTP"])), "{body}");
    let start = json!({"name": "bot", "connector": "devtools", "provider": "HTTP", "flow": "client_credentials"});
    let (status, _) = api.post("/v1/tenants/acme/tokens", &key, start.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = load(json!({"devtools": {"HTTP": provider(&idp, "/token")}}), "").await;
    assert_eq!(status, StatusCode::OK, "an unchanged reload is no conflict, tokens or not: {body}");
    let (status, body) = load(json!({"devtools": {"HTTP": {"CLIENT_SECRET": "rotated-secret"}}}), "?mode=update").await;
    assert_eq!((status, &body["updated"]), (StatusCode::OK, &json!(["devtools/HTTP"])), "{body}");
    let (_, providers) = api.get("/v1/tenants/acme/providers", &key).await;
    let keys = providers["providers"][0]["settings"].as_array().unwrap().len();
    assert_eq!(keys, 5, "update replaced one key and kept the others: {providers}");

    let (status, body) = api.post("/v1/tenants/acme/tokens", &key, start).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{body}");
}

#[tokio::test]
async fn tokens_list_by_filter_and_page() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = acme(&api, &idp).await;
    for n in 0..250 {
        let flow = if n % 5 == 0 { "authorization_code" } else { "client_credentials" };
        let start = json!({"name": format!("bot-{n}"), "connector": "devtools", "provider": "HTTP", "flow": flow});
        let (status, body) = api.post("/v1/tenants/acme/tokens", &key, start).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, page) = api.get(&format!("/v1/tenants/acme/tokens?status=active&limit=60{after}"), &key).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for token in page["tokens"].as_array().unwrap() {
            assert_eq!(token["status"], "active");
            assert!(seen.insert(token["id"].as_str().unwrap().to_owned()), "a token listed twice");
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 200, "every active token, once");
    let (_, pending) = api.get("/v1/tenants/acme/tokens?status=pending&connector=devtools&provider=HTTP", &key).await;
    assert_eq!(pending["tokens"].as_array().unwrap().len(), 50);
    let (_, one) = api.get("/v1/tenants/acme/tokens?name=bot-7", &key).await;
    assert_eq!(one["tokens"][0]["name"], "bot-7");
    let (status, by_name) = api.post("/v1/tenants/acme/tokens/bot-7/access-token", &key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "a name stands for the id: {by_name}");
    let (status, body) = api.get("/v1/tenants/acme/tokens?status=weird", &key).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
}

#[tokio::test]
async fn every_error_is_json_and_keys_and_names_are_checked() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = acme(&api, &idp).await;
    let http = reqwest::Client::new();

    let cases = [
        (http.get(format!("{}/v1/nothing-here", server.base)), StatusCode::NOT_FOUND),
        (http.delete(format!("{}/v1/tenants", server.base)), StatusCode::METHOD_NOT_ALLOWED),
        (http.get(format!("{}/v1/tenants/acme/tokens?limit=many", server.base)), StatusCode::BAD_REQUEST),
        (
            http.post(format!("{}/v1/tenants/acme/tokens", server.base)).header("content-type", "text/plain").body("x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (request, expected) in cases {
        let response = request.header("authorization", format!("bearer   {key}  ")).send().await.unwrap();
        assert_eq!(response.status(), expected);
        let body: Value = response.json().await.expect("a JSON error body");
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{body}");
    }

    for name in ["", " ", "a/b", "x".repeat(64).as_str(), "-lead"] {
        let (status, body) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": name})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name:?}: {body}");
    }
    let (status, body) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "ACME"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "tenant names are unique whatever their case: {body}");
    let (status, _) = api.get("/v1/tenants/ACME/providers", &key).await;
    assert_eq!(status, StatusCode::OK, "ACME is acme");
    let ready = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_server_on_a_network_is_hardened() {
    let idp = MockIdp::start().await;
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let data = dir.path().join("data");
    let server =
        Server::start_with(binary(), dir.clone(), &["--allow-private-network", "--header-timeout-seconds", "1"]).await;
    let api = server.api();
    let key = acme(&api, &idp).await;

    let start = json!({"name": "echo", "connector": "devtools", "provider": "Echo", "flow": "client_credentials"});
    let (status, _) = api
        .post(
            "/v1/tenants/acme/oauth-configurations",
            &key,
            json!({"devtools": {"Echo": provider(&idp, "/token-echo")}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, failed) = api.post("/v1/tenants/acme/tokens", &key, start).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let (_, shown) = api.get("/v1/tenants/acme/tokens/echo", &key).await;
    let encoded: String = url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect();
    for text in [failed.to_string(), shown.to_string()] {
        assert!(text.contains("[redacted]"), "{text}");
        assert!(!text.contains(CLIENT_SECRET) && !text.contains(&encoded), "the echoed secret leaked: {text}");
    }
    let mut disk = Vec::new();
    for file in ["flowauth.db", "flowauth.db-wal"] {
        let path = server.dir.path().join(file);
        disk.extend(std::fs::read(&path).unwrap_or_default());
        if path.exists() {
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{file}");
        }
    }
    assert!(!disk.windows(encoded.len()).any(|w| w == encoded.as_bytes()), "the echoed secret reached the disk");

    let mut slow = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut rest = Vec::new();
    let read = slow.read_to_end(&mut rest);
    assert!(read.is_ok(), "the server closed a connection that never finished its head: {read:?}");

    let fresh = Command::new(binary()).arg("--data-dir").arg(&data).arg("init").output().unwrap();
    assert!(fresh.status.success());
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700, "the data directory is private");
}

#[tokio::test]
async fn a_public_url_in_plain_http_on_a_network_host_is_warned_about() {
    let exposed = Server::start_public(binary(), "http://flow.example.com").await;
    let (status, ready) = exposed.api().get("/readyz", ADMIN_KEY).await;
    assert_eq!((status, ready["status"].as_str()), (StatusCode::OK, Some("ready")), "a warning keeps it ready");
    let warning = ready["warnings"][0].as_str().unwrap_or_default().to_owned();
    assert!(warning.contains("http://flow.example.com is not HTTPS"), "{ready}");
    let (_, about) = exposed.api().get("/v1/server", ADMIN_KEY).await;
    assert_eq!(about["warnings"], json!([warning]), "the web page is told too");
    let (_, log) = exposed.stop();
    assert!(log.contains("is not HTTPS"), "serve warns at start:\n{log}");

    let local = Server::start(binary()).await;
    let secure = Server::start_public(binary(), "https://flow.example.com").await;
    for server in [local, secure] {
        let (status, ready) = server.api().get("/readyz", ADMIN_KEY).await;
        assert_eq!((status, ready), (StatusCode::OK, json!({"status": "ready", "warnings": []})));
        assert_eq!(server.api().get("/v1/server", ADMIN_KEY).await.1["warnings"], json!([]));
        let (_, log) = server.stop();
        assert!(!log.contains("not HTTPS"), "{log}");
    }
}

// Multi-threaded: the mock answers while the CLI runs blocking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_start_with_its_own_keys_reaches_the_provider_with_them() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    acme(&server.api(), &idp).await;
    let own = ["--consumer-key", "own-client", "--secret-key", "own-secret"];

    let started = server.cli(binary(), &start_args("own-link", &own));
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let link = json_lines(&started)[0]["auth_link"].as_str().unwrap().to_owned();
    let client = url::Url::parse(&link).unwrap().query_pairs().find(|(k, _)| k == "client_id").unwrap().1.into_owned();
    assert_eq!(client, "own-client", "the link carries the token's own client, not the provider's");

    let machine = [&own[..], &["--flow", "client_credentials", "--allow-private-network"]].concat();
    let started = server.cli(binary(), &start_args("own-machine", &machine));
    assert_eq!(json_lines(&started)[0]["status"], "failed", "the mock knows only the provider's client");
    let token_request = idp.seen().into_iter().rev().find(|s| s.path == "/token").unwrap();
    assert_eq!(
        (
            token_request.form.get("client_id").map(String::as_str),
            token_request.form.get("client_secret").map(String::as_str)
        ),
        (Some("own-client"), Some("own-secret"))
    );
}
