//! Password-grant tokens with saved credentials (Decisions' password flow:
//! "the username and password are saved ... new tokens obtained
//! automatically"), end to end: the real `flowauth serve` on each store
//! backend, a mock provider on 127.0.0.1. Where the provider says
//! `SAVE_PASSWORD_CREDENTIALS=true`, an expired token without a refresh
//! token is renewed with the saved username and password instead of
//! needing re-authorization; the provider refusing them gives
//! `needs_reauth` (and its webhook) and wipes them; they never show in an
//! answer, a log line or a data file in plaintext, and go with the token.

use std::sync::Arc;

use flowauth_tests::postgres::Backend;
use flowauth_tests::receiver::Receiver;
use flowauth_tests::server::Server;
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, on_each_backend};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// The user at the provider: long and unusual, so that finding either in
/// a file or a log cannot be chance.
const USERNAME: &str = "ann.operator-7c41e9";
const PASSWORD: &str = "correct-horse-battery-5e2d8a";

/// A server on `backend` with the tenant `acme`, whose provider
/// `devtools/HTTP` at a new mock provider allows the password grant and,
/// with `save`, saving the credentials; the provider's user is
/// [`USERNAME`] with [`PASSWORD`], her tokens expiring at once (due for a
/// renewal as soon as they are issued).
struct Deployment {
    server: Server,
    idp: MockIdp,
    key: String,
}

impl Deployment {
    async fn start(backend: &Backend, save: bool) -> Self {
        let idp = MockIdp::start().await;
        idp.accounts(|a| {
            a.username = USERNAME.into();
            a.password = PASSWORD.into();
            a.lifetime = 0;
        });
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let server = Server::instance(binary(), dir, &backend.url).await;
        let file = json!({"devtools": {"HTTP": {
            "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
            "AUTH_URL": "/authorize", "TOKEN_URL": "/token",
            "ALLOW_PASSWORD_GRANT": "true", "SAVE_PASSWORD_CREDENTIALS": save.to_string()}}});
        let key = server.api().tenant_with("acme", file).await;
        Self { server, idp, key }
    }

    /// Starts the password-grant token `nightly`; returns the answer.
    async fn start_token(&self) -> Value {
        let body = json!({"name": "nightly", "connector": "devtools", "provider": "HTTP", "flow": "password",
                          "username": USERNAME, "password": PASSWORD});
        let (status, started) = self.server.api().post("/v1/tenants/acme/tokens", &self.key, body).await;
        assert_eq!((status, started["status"].as_str()), (StatusCode::CREATED, Some("active")), "{started}");
        started
    }

    async fn access_token(&self) -> (StatusCode, Value) {
        self.server.api().post("/v1/tenants/acme/tokens/nightly/access-token", &self.key, json!({})).await
    }

    async fn show(&self) -> Value {
        let (status, token) = self.server.api().get("/v1/tenants/acme/tokens/nightly", &self.key).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        token
    }

    /// Runs the command line on this deployment's store; its stdout.
    fn cli(&self, backend: &Backend, args: &[&str]) -> String {
        let mut all = vec!["--allow-private-network", "--database-url", backend.url.as_str()];
        all.extend(args);
        let out = self.server.cli(binary(), &all);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// What the provider saw, for failure messages.
    fn requests(&self) -> String {
        format!("{:?}", self.idp.seen())
    }
}

/// How many tokens of the store at `backend` hold saved credentials.
async fn tokens_with_credentials(backend: &Backend) -> i64 {
    let pool = database(backend).await;
    let count = sqlx::query_scalar("SELECT COUNT(*) FROM tokens WHERE credentials_sealed IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

async fn database(backend: &Backend) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&backend.url).await.unwrap()
}

/// Everything stored where a person could read it: every file of the
/// server's data directory and, on SQLite, of the database's (the
/// database, its write-ahead log, ...), and on PostgreSQL every token row
/// as text with its sealed columns' bytes.
async fn stored_bytes(backend: &Backend, data_dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    read_all(data_dir, &mut bytes);
    if let Some(file) = backend.url.strip_prefix("sqlite://") {
        read_all(std::path::Path::new(file).parent().unwrap(), &mut bytes);
        return bytes;
    }
    let pool = database(backend).await;
    let rows: Vec<(String, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT CAST(t AS TEXT), t.credentials_sealed FROM tokens t").fetch_all(&pool).await.unwrap();
    pool.close().await;
    bytes.extend(rows.into_iter().flat_map(|(text, sealed)| [text.into_bytes(), sealed.unwrap_or_default()]).flatten());
    bytes
}

/// Appends every file under `dir` to `bytes`.
fn read_all(dir: &std::path::Path, bytes: &mut Vec<u8>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => read_all(&path, bytes),
            false => bytes.extend(std::fs::read(&path).unwrap()),
        }
    }
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

on_each_backend! {
    async fn an_expired_password_token_is_renewed_with_its_saved_credentials(backend) {
        let d = Deployment::start(backend, true).await;
        d.start_token().await;
        assert_eq!(d.show().await["saved_credentials"], true);
        d.idp.accounts(|a| a.lifetime = 3600);

        let (status, token) = d.access_token().await;
        assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-pw-2")), "{token}");
        assert_eq!(d.idp.password_grants(), 2, "the start, then the renewal: {}", d.requests());
        let renewal = d.idp.seen().pop().unwrap();
        let field = |k: &str| renewal.form.get(k).map(String::as_str);
        assert_eq!((field("grant_type"), field("username"), field("password")), (Some("password"), Some(USERNAME), Some(PASSWORD)));

        let (status, again) = d.access_token().await;
        assert_eq!((status, again["access_token"].as_str()), (StatusCode::OK, Some("at-pw-2")), "{again}");
        assert_eq!(d.idp.password_grants(), 2, "a token good for an hour is handed out as it is");
        assert_eq!(d.show().await["status"], "active");
    }

    async fn refused_saved_credentials_give_needs_reauth_and_are_wiped(backend) {
        let d = Deployment::start(backend, true).await;
        let receiver = Receiver::start().await;
        let hook = json!({"url": receiver.url(), "events": ["token.needs_reauth"]});
        let (status, set) = d.server.api().call(reqwest::Method::PUT, "/v1/tenants/acme/webhook", &d.key, Some(hook)).await;
        assert_eq!(status, StatusCode::OK, "{set}");
        let secret = set["secret"].as_str().unwrap().to_owned();
        d.start_token().await;
        d.idp.accounts(|a| a.password = "changed-at-the-provider".into());

        let (status, refused) = d.access_token().await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains("refused the saved username and password"), "{message}");
        let token = d.show().await;
        assert_eq!((token["status"].as_str(), &token["saved_credentials"]), (Some("needs_reauth"), &json!(false)), "{token}");
        assert_eq!(token["error"]["code"], "invalid_grant");
        assert_eq!(tokens_with_credentials(backend).await, 0, "the refused credentials are wiped");

        let (status, _) = d.access_token().await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(d.idp.password_grants(), 2, "refused credentials are never tried again: {}", d.requests());

        let received = receiver.wait_for(1, std::time::Duration::from_secs(10)).await;
        let event = received.first().expect("the needs_reauth webhook").verified(&secret).unwrap();
        assert_eq!((event["type"].as_str(), event["error"]["code"].as_str()), (Some("token.needs_reauth"), Some("invalid_grant")), "{event}");
        // The provider quoted the password it was sent: none of it reaches the token, the answer or the event.
        for text in [refused.to_string(), token.to_string(), received[0].body.clone()] {
            assert!(!text.contains(PASSWORD), "{text}");
        }

        // The user gives her current password: the token is requested anew and keeps it.
        let retry = "/v1/tenants/acme/tokens/nightly/retry";
        let (status, half) = d.server.api().post(retry, &d.key, json!({"password": "changed-at-the-provider"})).await;
        assert_eq!((status, half["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "{half}");
        let current = json!({"username": USERNAME, "password": "changed-at-the-provider"});
        let (status, retried) = d.server.api().post(retry, &d.key, current).await;
        assert_eq!((status, retried["status"].as_str()), (StatusCode::OK, Some("active")), "{retried}");
        assert_eq!(d.show().await["saved_credentials"], true);
        let (status, renewed) = d.access_token().await;
        assert_eq!((status, renewed["access_token"].as_str()), (StatusCode::OK, Some("at-pw-3")), "{renewed}");
        assert_eq!(d.idp.seen().pop().unwrap().form.get("password").map(String::as_str), Some("changed-at-the-provider"));
    }

    async fn saved_credentials_never_show_in_answers_logs_or_files_and_go_with_the_token(backend) {
        let d = Deployment::start(backend, true).await;
        let mut answers = vec![d.start_token().await.to_string()];
        for _ in 0..2 {
            let (status, token) = d.access_token().await;
            assert_eq!(status, StatusCode::OK, "{token}");
            answers.push(token.to_string());
        }
        let (_, refreshed) = d.server.api().post("/v1/tenants/acme/tokens/nightly/refresh", &d.key, json!({})).await;
        let (_, listed) = d.server.api().get("/v1/tenants/acme/tokens", &d.key).await;
        answers.extend([refreshed.to_string(), listed.to_string(), d.show().await.to_string()]);
        answers.push(d.cli(backend, &["--json", "token", "show", "--tenant", "acme", "nightly"]));
        answers.push(d.cli(backend, &["token", "list", "--tenant", "acme"]));
        assert!(answers.last().unwrap().contains("password saved"), "{answers:?}");
        assert_eq!(d.idp.password_grants(), 4, "the start and three renewals: {}", d.requests());
        for answer in &answers {
            assert!(!answer.contains(PASSWORD) && !answer.contains(USERNAME), "{answer}");
        }
        let stored = stored_bytes(backend, d.server.dir.path()).await;
        assert!(!holds(&stored, PASSWORD) && !holds(&stored, USERNAME), "the store holds the credentials in plaintext");
        assert_eq!(tokens_with_credentials(backend).await, 1);

        let (status, _) = d.server.api().call(reqwest::Method::DELETE, "/v1/tenants/acme/tokens/nightly", &d.key, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(tokens_with_credentials(backend).await, 0, "deleting the token deletes its credentials");
        let (_, log) = d.server.stop();
        assert!(!log.contains(PASSWORD) && !log.contains(USERNAME), "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_save_password_credentials_an_expired_password_token_needs_reauth() {
    let backend = Backend::sqlite();
    let d = Deployment::start(&backend, false).await;
    d.start_token().await;
    assert_eq!(d.show().await["saved_credentials"], false);
    assert_eq!(tokens_with_credentials(&backend).await, 0, "nothing is kept unless the provider says so");

    let (status, refused) = d.access_token().await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("SAVE_PASSWORD_CREDENTIALS=true"), "the message says how to keep it: {message}");
    assert_eq!(d.show().await["status"], "needs_reauth");
    assert_eq!(d.idp.password_grants(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_the_provider_refuses_gives_way_to_the_saved_password() {
    let backend = Backend::sqlite();
    let d = Deployment::start(&backend, true).await;
    d.idp.accounts(|a| a.refresh_tokens = true);
    d.start_token().await;
    d.idp.accounts(|a| a.refresh_tokens = false);

    for expected in ["at-pw-2", "at-pw-3"] {
        let (status, token) = d.access_token().await;
        assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some(expected)), "{token}");
    }
    let refreshes =
        d.idp.seen().iter().filter(|r| r.form.get("grant_type").is_some_and(|g| g == "refresh_token")).count();
    assert_eq!(refreshes, 1, "the refused refresh token is forgotten, not presented again: {}", d.requests());
    assert_eq!(d.idp.password_grants(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_the_setting_off_forgets_the_saved_passwords() {
    let backend = Backend::sqlite();
    let d = Deployment::start(&backend, true).await;
    d.start_token().await;
    let api = d.server.api();
    let path = "/v1/tenants/acme/oauth-configurations?mode=update";

    let (status, refused) =
        api.post(path, &d.key, json!({"devtools": {"HTTP": {"SAVE_PASSWORD_CREDENTIALS": "yes"}}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let problem = &refused["errors"][0];
    assert_eq!(problem["path"], "$.devtools.HTTP.SAVE_PASSWORD_CREDENTIALS", "{refused}");
    assert_eq!(problem["message"], "must be true or false, not \"yes\"");
    assert_eq!(tokens_with_credentials(&backend).await, 1, "a refused file changes nothing");

    let (status, report) =
        api.post(path, &d.key, json!({"devtools": {"HTTP": {"SAVE_PASSWORD_CREDENTIALS": "false"}}})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(d.show().await["saved_credentials"], false);
    assert_eq!(tokens_with_credentials(&backend).await, 0);
    let (status, _) = d.access_token().await;
    assert_eq!(status, StatusCode::CONFLICT, "no password left to renew with");
    assert_eq!(d.idp.password_grants(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_credentials_are_resealed_by_a_key_rotation() {
    let backend = Backend::sqlite();
    let d = Deployment::start(&backend, true).await;
    d.start_token().await;
    let rotated: Value = serde_json::from_str(&d.cli(&backend, &["--json", "keys", "rotate"])).unwrap();
    assert!(rotated["resealed"].as_u64().unwrap() >= 3, "settings, access token, credentials: {rotated}");

    // The old key is gone from the key file: the renewal opens the credentials with the new one.
    d.idp.accounts(|a| a.lifetime = 3600);
    let (status, token) = d.access_token().await;
    assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-pw-2")), "{token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_starts_a_token_that_keeps_its_password() {
    let backend = Backend::sqlite();
    let d = Deployment::start(&backend, true).await;
    let args =
        ["--allow-private-network", "--database-url", &backend.url, "--json", "token", "start", "--tenant", "acme"];
    let args =
        [&args[..], &["--connector", "devtools", "--provider", "HTTP", "--flow", "password", "--username", USERNAME]]
            .concat();
    let refused = d.server.cli(binary(), &[&args[..], &["--name", "no-password"]].concat());
    assert!(!refused.status.success(), "the provider refuses a start without the password");
    assert_eq!(tokens_with_credentials(&backend).await, 0, "a refused start keeps nothing");
    let with_env = std::process::Command::new(binary())
        .arg("--data-dir")
        .arg(d.server.dir.path())
        .args([&args[..], &["--name", "cli-bot"]].concat())
        .env("FLOWAUTH_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(with_env.status.success(), "{}", String::from_utf8_lossy(&with_env.stderr));
    let shown: Value =
        serde_json::from_str(&d.cli(&backend, &["--json", "token", "show", "--tenant", "acme", "cli-bot"])).unwrap();
    assert_eq!((shown["status"].as_str(), &shown["saved_credentials"]), (Some("active"), &json!(true)), "{shown}");
    d.idp.accounts(|a| a.lifetime = 3600);
    assert_eq!(d.cli(&backend, &["token", "get", "--tenant", "acme", "cli-bot"]).trim(), "at-pw-2");

    // The token that failed for want of a password is requested anew with it.
    let retry =
        ["--allow-private-network", "--database-url", &backend.url, "--json", "token", "retry", "--tenant", "acme"];
    let retried = std::process::Command::new(binary())
        .arg("--data-dir")
        .arg(d.server.dir.path())
        .args([&retry[..], &["no-password", "--username", USERNAME]].concat())
        .env("FLOWAUTH_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(retried.status.success(), "{}", String::from_utf8_lossy(&retried.stderr));
    let shown: Value =
        serde_json::from_str(&d.cli(&backend, &["--json", "token", "show", "--tenant", "acme", "no-password"]))
            .unwrap();
    assert_eq!((shown["status"].as_str(), &shown["saved_credentials"]), (Some("active"), &json!(true)), "{shown}");
}
