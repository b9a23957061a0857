//! The real `flowauth serve` binary on a free port of 127.0.0.1, and a
//! client that speaks to it as flow steps and admins do.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// The admin key every test server starts with.
pub const ADMIN_KEY: &str = "admin-key-for-tests";

/// A server process; killed when dropped. Its log is `server.log` in its
/// data directory, which restarts share.
pub struct Server {
    child: Child,
    pub base: String,
    pub dir: Arc<tempfile::TempDir>,
}

impl Server {
    /// Starts `binary` (the test's `CARGO_BIN_EXE_flowauth`) on a fresh data directory.
    pub async fn start(binary: &str) -> Self {
        Self::start_in(binary, Arc::new(tempfile::tempdir().unwrap())).await
    }

    /// Starts `binary` on `dir`, as a restart would.
    pub async fn start_in(binary: &str, dir: Arc<tempfile::TempDir>) -> Self {
        Self::start_with(binary, dir, &["--allow-private-network"]).await
    }

    /// Starts `binary` on `dir` with `flags` after `serve` instead of the
    /// usual `--allow-private-network`.
    pub async fn start_with(binary: &str, dir: Arc<tempfile::TempDir>, flags: &[&str]) -> Self {
        Self::spawn(binary, dir, flags).wait_ready().await
    }

    /// Starts one more instance of a deployment on the database at
    /// `database_url`, sharing `dir` (and so its key file) with the others.
    pub async fn instance(binary: &str, dir: Arc<tempfile::TempDir>, database_url: &str) -> Self {
        Self::spawn(binary, dir, &["--allow-private-network", "--database-url", database_url]).wait_ready().await
    }

    /// Starts `binary` on a fresh data directory with `public_url` as its
    /// `--public-url` instead of the address it listens on.
    pub async fn start_public(binary: &str, public_url: &str) -> Self {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        Self::spawn_public(binary, dir, Some(public_url), &["--allow-private-network"]).wait_ready().await
    }

    /// Starts the process without waiting for it to answer.
    pub fn spawn(binary: &str, dir: Arc<tempfile::TempDir>, flags: &[&str]) -> Self {
        Self::spawn_public(binary, dir, None, flags)
    }

    /// Starts the process with `public_url` (by default the address it
    /// listens on) without waiting for it to answer.
    fn spawn_public(binary: &str, dir: Arc<tempfile::TempDir>, public_url: Option<&str>, flags: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log_path(dir.path())).unwrap();
        let child = Command::new(binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", public_url.unwrap_or(&base)])
            .args(flags)
            .arg("--data-dir")
            .arg(dir.path())
            .env("FLOWAUTH_ADMIN_KEY", ADMIN_KEY)
            .env_remove("FLOWAUTH_MASTER_KEY")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self { child, base, dir }
    }

    /// This server, once it answers.
    pub async fn wait_ready(mut self) -> Self {
        for _ in 0..600 {
            if reqwest::get(format!("{}/healthz", self.base)).await.is_ok_and(|r| r.status().is_success()) {
                return self;
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                let log = std::fs::read_to_string(log_path(self.dir.path())).unwrap_or_default();
                panic!("the server stopped ({exit}):\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not come up");
    }

    /// Runs the `flowauth` command line on this server's data directory.
    pub fn cli(&self, binary: &str, args: &[&str]) -> std::process::Output {
        Command::new(binary)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env_remove("FLOWAUTH_MASTER_KEY")
            .env_remove("FLOWAUTH_PUBLIC_URL")
            .output()
            .unwrap()
    }

    /// The process id (for its memory, in benchmarks).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client of this server.
    pub fn api(&self) -> Api {
        Api { http: reqwest::Client::new(), base: self.base.clone() }
    }

    /// Asks for a graceful stop (SIGTERM) and returns the server's log.
    pub fn stop(mut self) -> (ExitStatus, String) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        (exit, std::fs::read_to_string(log_path(self.dir.path())).unwrap())
    }

    /// Kills the process at once (SIGKILL), as a crash would; returns its data directory.
    pub fn kill(mut self) -> Arc<tempfile::TempDir> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.dir.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_path(dir: &Path) -> std::path::PathBuf {
    dir.join("server.log")
}

/// Calls the API with a key.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, key, Some(body)).await
    }

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, key, None).await
    }

    /// Creates the tenant `name` with the admin key and loads the load
    /// file `file` into it; returns the tenant's key.
    pub async fn tenant_with(&self, name: &str, file: Value) -> String {
        let (status, tenant) = self.post("/v1/tenants", ADMIN_KEY, serde_json::json!({"name": name})).await;
        assert_eq!(status, StatusCode::CREATED, "{tenant}");
        let key = tenant["api_key"].as_str().unwrap().to_owned();
        let (status, report) = self.post(&format!("/v1/tenants/{name}/oauth-configurations"), &key, file).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        key
    }

    /// The server's `/metrics` value of `name` (a metric without labels).
    pub async fn metric(&self, name: &str) -> u64 {
        let text = self.http.get(format!("{}/metrics", self.base)).send().await.unwrap().text().await.unwrap();
        let prefix = format!("{name} ");
        let value = text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name}: {text}"));
        value.parse().unwrap()
    }
}

/// Starts the authorization of a `devtools/HTTP` token named `bot` of the
/// tenant `acme` on `start`, and sends the user back to `callback` with
/// the mock provider's rotating family's code (`short-code`); returns the
/// token id.
pub async fn authorized(start: &Server, callback: &Server, key: &str) -> String {
    let body =
        serde_json::json!({"name": "bot", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code"});
    let (status, started) = start.api().post("/v1/tenants/acme/tokens", key, body).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let link = url::Url::parse(started["auth_link"].as_str().unwrap()).unwrap();
    let state = link.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let page = reqwest::get(format!("{}/oauth/return?code=short-code&state={state}", callback.base)).await.unwrap();
    assert!(page.text().await.unwrap().contains("Connected"), "the callback completed");
    started["id"].as_str().unwrap().to_owned()
}
