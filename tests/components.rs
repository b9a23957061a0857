//! Third-party components as an admin and a third party meet them, end to
//! end: the real binary (a server and CLI commands on the same data
//! directory), the example component `examples/oidc-discovery` built by the
//! tests, and a mock OpenID provider that serves discovery.

use std::path::Path;
use std::process::{Command, Output};

use flowauth_tests::discovery::DiscoveryIdp;
use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, contract_v0_1_wasm, misbehave_wasm, oidc_discovery_wasm};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_flowauth");
const SERVED_BY_V1: &[u8] = b"oidc-discovery/0.1.0";
const SERVED_BY_V2: &[u8] = b"oidc-discovery/0.2.0";

/// Runs `flowauth --json --data-dir DIR ARGS...`.
fn flowauth(dir: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("FLOWAUTH_MASTER_KEY")
        .output()
        .unwrap()
}

/// The JSON a command printed, and whether it succeeded.
fn answer(output: &Output) -> (bool, Value) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout:?}; stderr: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.success(), value)
}

/// A file holding `bytes`, to install.
fn wasm_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// The example rebuilt as a new version: same code, its version string
/// changed (it reports that string in every token set's `extra`).
fn example_v2() -> Vec<u8> {
    let mut bytes = oidc_discovery_wasm();
    let at: Vec<usize> =
        bytes.windows(SERVED_BY_V1.len()).enumerate().filter(|(_, w)| *w == SERVED_BY_V1).map(|(i, _)| i).collect();
    assert_eq!(at.len(), 1, "the example carries its version string once");
    bytes[at[0]..at[0] + SERVED_BY_V2.len()].copy_from_slice(SERVED_BY_V2);
    bytes
}

async fn tenant(api: &Api, name: &str) -> String {
    let (status, body) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": name})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["api_key"].as_str().unwrap().to_owned()
}

fn load_file(idp: &DiscoveryIdp) -> Value {
    json!({"oidc": {"Corp": {"ISSUER": idp.issuer, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}}})
}

/// Starts an authorization-code token and follows its link as a user
/// would; returns the token's id.
async fn authorize(api: &Api, tenant: &str, key: &str) -> String {
    let start = json!({"name": "corp-bot", "connector": "oidc", "provider": "Corp", "flow": "authorization_code",
                       "scopes": ["openid", "offline_access"], "use_default_keys": true});
    let (status, started) = api.post(&format!("/v1/tenants/{tenant}/tokens"), key, start).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(page.contains("Connected"), "{page}");
    started["id"].as_str().unwrap().to_owned()
}

async fn refresh(api: &Api, tenant: &str, key: &str, id: &str) -> Value {
    let (status, token) = api.post(&format!("/v1/tenants/{tenant}/tokens/{id}/refresh"), key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    token
}

#[tokio::test]
async fn the_example_runs_end_to_end_for_the_tenant_that_enabled_it_only() {
    let idp = DiscoveryIdp::start().await;
    let server = Server::start(BINARY).await;
    let api = server.api();
    let dir = server.dir.path();
    let acme = tenant(&api, "acme").await;
    let beta = tenant(&api, "beta").await;

    // Installed and enabled with the CLI while the server runs.
    let file = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());
    let (ok, installed) = answer(&flowauth(dir, &["component", "install", &file]));
    assert!(ok, "{installed}");
    assert_eq!(installed["name"], "oidc-discovery");
    assert_eq!(installed["connectors"], json!(["oidc"]));
    assert_eq!(
        (installed["contract"].as_str(), installed["takes_definitions"].as_bool()),
        (Some("0.2.0"), Some(false))
    );
    let (ok, enabled) = answer(&flowauth(dir, &["component", "enable", "oidc-discovery", "--tenant", "acme"]));
    assert!(ok, "{enabled}");
    assert_eq!(enabled["digest"], installed["digest"]);

    // The running server sees it at once, for acme only.
    let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &acme, load_file(&idp)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (status, refused) = api.post("/v1/tenants/beta/oauth-configurations", &beta, load_file(&idp)).await;
    assert!(status.is_client_error(), "beta did not enable the component: {status} {refused}");
    assert!(refused.to_string().contains("oidc"), "{refused}");

    let id = authorize(&api, "acme", &acme).await;
    let (status, token) = api.post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &acme, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["access_token"], "oidc-at-1");
    assert_eq!(token["extra"]["served_by"], "oidc-discovery/0.1.0");
    assert_eq!(refresh(&api, "acme", &acme, &id).await["access_token"], "oidc-at-2");
    assert!(idp.discoveries() >= 3, "endpoints are discovered at run time");
    assert_eq!(idp.grants(), ["authorization_code", "refresh_token"]);

    // And the CLI's own commands see what the tenant enabled.
    std::fs::write(dir.join("load.json"), load_file(&idp).to_string()).unwrap();
    let out =
        flowauth(dir, &["oauth", "load", &dir.join("load.json").display().to_string(), "--tenant", "acme", "--update"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn an_upgrade_changes_nothing_for_a_tenant_until_it_enables_the_new_digest() {
    let idp = DiscoveryIdp::start().await;
    let server = Server::start(BINARY).await;
    let api = server.api();
    let dir = server.dir.path();
    let acme = tenant(&api, "acme").await;
    let v1 = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());
    let v2 = wasm_file(dir, "oidc-discovery-v2.wasm", &example_v2());
    let (_, first) = answer(&flowauth(dir, &["component", "install", &v1]));
    answer(&flowauth(dir, &["component", "enable", "oidc-discovery", "--tenant", "acme"]));
    api.post("/v1/tenants/acme/oauth-configurations", &acme, load_file(&idp)).await;
    let id = authorize(&api, "acme", &acme).await;

    let (ok, refused) = answer(&flowauth(dir, &["component", "install", &v2, "--name", "oidc-discovery"]));
    assert!(!ok, "new bytes under an existing name need --upgrade");
    assert_eq!(refused["error"]["code"], "conflict");
    assert!(refused["error"]["message"].as_str().unwrap().contains("--upgrade"), "{refused}");
    let (ok, upgraded) =
        answer(&flowauth(dir, &["component", "install", &v2, "--name", "oidc-discovery", "--upgrade"]));
    assert!(ok, "{upgraded}");
    assert_eq!(upgraded["upgraded_from"], first["digest"]);

    // acme still runs the digest it pinned, and the listing says a newer one exists.
    assert_eq!(refresh(&api, "acme", &acme, &id).await["extra"]["served_by"], "oidc-discovery/0.1.0");
    let (_, list) = answer(&flowauth(dir, &["component", "list"]));
    let listed = list["components"].as_array().unwrap().iter().find(|c| c["name"] == "oidc-discovery").unwrap().clone();
    assert_eq!(listed["digest"], upgraded["digest"]);
    assert_eq!(listed["versions"].as_array().unwrap().len(), 2);
    assert_eq!(listed["tenants"], json!([{"tenant": "acme", "digest": first["digest"], "newer_available": true}]));
    let (status, over_http) = api.get("/v1/components", ADMIN_KEY).await;
    assert_eq!(status, StatusCode::OK);
    assert!(over_http["components"].as_array().unwrap().contains(&listed), "the API and the CLI agree");

    // Enabling the new digest moves acme's tokens to it; --digest pins an older one back.
    answer(&flowauth(dir, &["component", "enable", "oidc-discovery", "--tenant", "acme"]));
    assert_eq!(refresh(&api, "acme", &acme, &id).await["extra"]["served_by"], "oidc-discovery/0.2.0");
    let old = first["digest"].as_str().unwrap();
    let (ok, pinned) =
        answer(&flowauth(dir, &["component", "enable", "oidc-discovery", "--tenant", "acme", "--digest", &old[..12]]));
    assert!(ok, "{pinned}");
    assert_eq!(refresh(&api, "acme", &acme, &id).await["extra"]["served_by"], "oidc-discovery/0.1.0");
}

#[tokio::test]
async fn uninstall_is_refused_while_used_and_forced_marks_tokens_failed() {
    let idp = DiscoveryIdp::start().await;
    let server = Server::start(BINARY).await;
    let api = server.api();
    let dir = server.dir.path();
    let acme = tenant(&api, "acme").await;
    let file = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());
    answer(&flowauth(dir, &["component", "install", &file]));
    answer(&flowauth(dir, &["component", "enable", "oidc-discovery", "--tenant", "acme"]));
    api.post("/v1/tenants/acme/oauth-configurations", &acme, load_file(&idp)).await;
    let id = authorize(&api, "acme", &acme).await;

    let (ok, refused) = answer(&flowauth(dir, &["component", "uninstall", "oidc-discovery"]));
    assert!(!ok);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("acme") && message.contains("1 token") && message.contains("--force"), "{message}");
    let over_http = api
        .http
        .delete(format!("{}/v1/components/oidc-discovery", server.base))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(over_http.status(), StatusCode::CONFLICT);

    let (ok, done) = answer(&flowauth(dir, &["component", "uninstall", "oidc-discovery", "--force"]));
    assert!(ok, "{done}");
    assert_eq!(done["failed_tokens"], json!([id]));
    let (_, token) = api.get(&format!("/v1/tenants/acme/tokens/{id}"), &acme).await;
    assert_eq!(token["status"], "failed");
    assert_eq!(token["error"]["code"], "component_uninstalled");
    let (ok, gone) = answer(&flowauth(dir, &["component", "uninstall", "oidc-discovery"]));
    assert!(!ok);
    assert_eq!(gone["error"]["code"], "not_found");
}

#[tokio::test]
async fn installs_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(answer(&flowauth(dir, &["init"])).0);
    let garbage = wasm_file(dir, "garbage.wasm", b"not wasm at all");
    let core = wasm_file(dir, "core.wasm", b"\0asm\x01\0\0\0");
    let empty = wasm_file(dir, "empty.wasm", b"\0asm\x0d\0\x01\0");
    let mut future = oidc_discovery_wasm();
    let export = b"flowauth:oauth/provider@0.2.0";
    let places: Vec<usize> =
        future.windows(export.len()).enumerate().filter(|(_, w)| w == export).map(|(i, _)| i).collect();
    assert!(!places.is_empty(), "the example exports the provider");
    for at in places {
        future[at..at + export.len()].copy_from_slice(b"flowauth:oauth/provider@0.3.0");
    }
    let future = wasm_file(dir, "future.wasm", &future);
    let example = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());

    for (file, expected) in [
        (&garbage, "not a WebAssembly component"),
        (&core, "not a WebAssembly component"),
        (&empty, "does not export flowauth:oauth/provider (it exports nothing)"),
        (&future, "flowauth:oauth/provider@0.3.0, a version of the contract this flowauth does not know"),
    ] {
        let (ok, refused) = answer(&flowauth(dir, &["component", "install", file, "--name", "bad"]));
        assert!(!ok, "{file}");
        assert_eq!(refused["error"]["code"], "invalid_request", "{refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{file}: {message}");
    }

    let (ok, first) = answer(&flowauth(dir, &["component", "install", &example]));
    assert!(ok, "{first}");
    let (ok, again) = answer(&flowauth(dir, &["component", "install", &example]));
    assert!(ok && again["unchanged"] == json!(true), "the same bytes under the same name: {again}");
    let (ok, duplicate) = answer(&flowauth(dir, &["component", "install", &example, "--name", "other"]));
    assert!(!ok);
    let message = duplicate["error"]["message"].as_str().unwrap();
    assert!(message.contains("installed already as component oidc-discovery"), "{message}");

    let misbehave = wasm_file(dir, "misbehave.wasm", &misbehave_wasm());
    let (ok, clash) =
        answer(&flowauth(dir, &["component", "install", &misbehave, "--name", "oidc-discovery", "--upgrade"]));
    assert!(ok, "no token uses oidc yet, so an upgrade may drop it: {clash}");
}

/// Listings say which contract version each component was built against
/// and whether it takes run-time definitions, as found at install.
#[tokio::test]
async fn listings_show_the_contract_version_and_whether_definitions_are_taken() {
    let server = Server::start(BINARY).await;
    let dir = server.dir.path();
    let legacy = wasm_file(dir, "legacy.wasm", &contract_v0_1_wasm());
    let example = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());

    let inspected = flowauth(dir, &["inspect", &legacy]);
    let first = String::from_utf8_lossy(&inspected.stdout).lines().next().map(str::to_owned).unwrap_or_default();
    assert!(inspected.status.success(), "{first}");
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first, json!({"component": "legacy", "contract": "0.1.0", "takes_definitions": true}));
    let (ok, _) = answer(&flowauth(dir, &["component", "install", &legacy]));
    assert!(ok);
    let (ok, _) = answer(&flowauth(dir, &["component", "install", &example]));
    assert!(ok);

    let (_, cli) = answer(&flowauth(dir, &["component", "list"]));
    let (_, api) = server.api().get("/v1/components", ADMIN_KEY).await;
    for list in [&cli, &api] {
        let of = |name: &str| {
            let view = list["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
            (view["contract"].clone(), view["takes_definitions"].clone())
        };
        assert_eq!(of("legacy"), (json!("0.1.0"), json!(true)), "{list}");
        assert_eq!(of("oidc-discovery"), (json!("0.2.0"), json!(false)), "{list}");
        assert_eq!(of("generic"), (json!("0.2.0"), json!(true)), "{list}");
        assert_eq!(of("google"), (json!("0.2.0"), json!(false)), "{list}");
    }
    let text = String::from_utf8_lossy(
        &Command::new(BINARY).arg("--data-dir").arg(dir).args(["component", "list"]).output().unwrap().stdout,
    )
    .into_owned();
    let row = |name: &str| text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_default().to_owned();
    assert!(row("legacy").contains(" 0.1.0  definitions "), "{text}");
    assert!(row("oidc-discovery").contains(" 0.2.0  -  "), "{text}");
}

#[tokio::test]
async fn hosts_are_granted_at_install_and_matched_with_their_port() {
    let idp = DiscoveryIdp::start_with_token_elsewhere().await;
    let server = Server::start(BINARY).await;
    let api = server.api();
    let dir = server.dir.path();
    let acme = tenant(&api, "acme").await;
    let file = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());

    let (ok, broad) = answer(&flowauth(dir, &["component", "install", &file, "--allow-host", "*.com"]));
    assert!(!ok);
    assert!(broad["error"]["message"].as_str().unwrap().contains("--allow-broad-hosts"), "{broad}");

    // The discovered token endpoint is on another port of the issuer's host:
    // not reachable until the operator grants that host and port.
    let (ok, installed) = answer(&flowauth(dir, &["component", "install", &file, "--allow-host", "127.0.0.1:1"]));
    assert!(ok, "{installed}");
    assert_eq!(installed["approved_hosts"], json!(["127.0.0.1:1"]));
    answer(&flowauth(dir, &["component", "enable", "oidc-discovery", "--tenant", "acme"]));
    api.post("/v1/tenants/acme/oauth-configurations", &acme, load_file(&idp)).await;
    let start = json!({"name": "corp-bot", "connector": "oidc", "provider": "Corp", "flow": "authorization_code",
                       "scopes": ["openid"], "use_default_keys": true});
    let (_, started) = api.post("/v1/tenants/acme/tokens", &acme, start).await;
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(!page.contains("Connected"), "the token endpoint's port was not granted: {page}");
    let id = started["id"].as_str().unwrap();
    let (_, token) = api.get(&format!("/v1/tenants/acme/tokens/{id}"), &acme).await;
    assert!(
        token["error"]["message"].as_str().unwrap_or_default().contains(&format!("--allow-host {}", idp.token_addr)),
        "{token}"
    );

    let granted = idp.token_addr.to_string();
    let (ok, approved) = answer(&flowauth(dir, &["component", "install", &file, "--allow-host", &granted]));
    assert!(ok, "{approved}");
    assert_eq!(approved["approved_hosts"], json!([granted]), "installing the same bytes again re-approves");
    let start = json!({"name": "corp-bot-2", "connector": "oidc", "provider": "Corp", "flow": "authorization_code",
                       "scopes": ["openid"], "use_default_keys": true});
    let (_, started) = api.post("/v1/tenants/acme/tokens", &acme, start).await;
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(page.contains("Connected"), "the running server uses the new grant: {page}");
}

#[test]
fn wildcards_over_a_public_suffix_need_allow_broad_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let file = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());
    assert!(flowauth(dir, &["init"]).status.success());
    for broad in ["*.github.io", "*.appspot.com", "*.s3.amazonaws.com", "*.co.uk"] {
        let (ok, refused) = answer(&flowauth(dir, &["component", "install", &file, "--allow-host", broad]));
        assert!(!ok, "{broad}: {refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains("is a public suffix") && message.contains("--allow-broad-hosts"), "{message}");
    }
    let (ok, narrow) = answer(&flowauth(dir, &["component", "install", &file, "--allow-host", "*.api.github.io"]));
    assert!(ok, "{narrow}");
    assert_eq!(narrow["approved_hosts"], json!(["*.api.github.io"]));
    let approve = ["component", "install", &file, "--allow-host", "*.github.io", "--allow-broad-hosts"];
    let (ok, broad) = answer(&flowauth(dir, &approve));
    assert!(ok, "{broad}");
    assert_eq!(broad["approved_hosts"], json!(["*.github.io"]));
}

/// Granting an address approves the host, not the address: a server that
/// does not allow private networks still refuses loopback and link-local
/// ones at call time (with `--allow-private-network` they are reached, as
/// `hosts_are_granted_at_install_and_matched_with_their_port` shows).
#[tokio::test]
async fn granted_internal_addresses_are_still_refused_at_run_time() {
    let server = Server::start_with(BINARY, std::sync::Arc::new(tempfile::tempdir().unwrap()), &[]).await;
    let api = server.api();
    let dir = server.dir.path();
    let acme = tenant(&api, "acme").await;
    let file = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());
    let grants = ["--allow-host", "127.0.0.1:8443", "--allow-host", "169.254.169.254"];
    let (ok, installed) = answer(&flowauth(dir, &[&["component", "install", &file][..], &grants].concat()));
    assert!(ok, "{installed}");
    assert_eq!(installed["approved_hosts"], json!(["127.0.0.1:8443", "169.254.169.254"]));
    answer(&flowauth(dir, &["component", "enable", "oidc-discovery", "--tenant", "acme"]));
    for (n, issuer) in ["https://127.0.0.1:8443", "https://169.254.169.254"].iter().enumerate() {
        let provider = format!("Corp-{n}");
        let file =
            json!({"oidc": {&provider: {"ISSUER": issuer, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}}});
        let (status, loaded) = api.post("/v1/tenants/acme/oauth-configurations", &acme, file).await;
        assert_eq!(status, StatusCode::OK, "{loaded}");
        let start = json!({"name": format!("corp-bot-{n}"), "connector": "oidc", "provider": provider,
                           "flow": "authorization_code", "scopes": ["openid"], "use_default_keys": true});
        let (_, started) = api.post("/v1/tenants/acme/tokens", &acme, start).await;
        let text = started.to_string();
        assert!(text.contains("is not public") && text.contains("--allow-private-network"), "{issuer}: {text}");
    }
}

/// The command blocks this test's thread while the provider answers it.
#[tokio::test(flavor = "multi_thread")]
async fn call_tries_a_component_against_a_provider_without_a_server() {
    let idp = DiscoveryIdp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let file = wasm_file(dir, "oidc-discovery.wasm", &oidc_discovery_wasm());
    let issuer = format!("ISSUER={}", idp.issuer);
    let id = format!("CLIENT_ID={CLIENT_ID}");
    let secret = format!("CLIENT_SECRET={CLIENT_SECRET}");
    let settings = ["--allow-private-network", "--setting", &issuer, "--setting", &id, "--setting", &secret];

    let mut args = vec!["call", &file, "build-auth-url", "--scope", "openid"];
    args.extend(settings);
    let (ok, link) = answer(&flowauth(dir, &args));
    assert!(ok, "{link}");
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/authorize?", idp.issuer)) && url.contains("code_challenge="), "{url}");
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = no_redirects.get(url).send().await.unwrap();
    let location = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();

    let verifier = link["code_verifier"].as_str().unwrap();
    let mut args = vec!["call", &file, "exchange-code", "--code", &code, "--code-verifier", verifier];
    args.extend(settings);
    let (ok, tokens) = answer(&flowauth(dir, &args));
    assert!(ok, "{tokens}");
    assert_eq!(tokens["access_token"], "oidc-at-1");
    assert!(!dir.join("flowauth-data").exists(), "a one-shot call keeps no state");
}

/// `flowauth new component` on a machine that has rustup and the binary
/// only: a temporary folder outside this repository.
#[test]
fn the_scaffold_builds_from_the_binary_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BINARY).current_dir(dir.path()).args(["new", "component", "acme-family"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let root = dir.path().join("acme-family");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains(env!("CARGO_MANIFEST_DIR")), "no path into the checkout: {manifest}");

    // The scaffold's own test builds the component and runs it through `flowauth call`.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut test = Command::new(cargo);
    test.current_dir(&root).arg("test").env("FLOWAUTH", BINARY);
    for variable in
        ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_MANIFEST_DIR"]
    {
        test.env_remove(variable);
    }
    let out = test.output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let wasm = root.join("target/wasm32-wasip2/debug/acme_family.wasm").display().to_string();

    let (ok, connectors) = answer(&flowauth(dir.path(), &["call", &wasm, "connectors"]));
    assert!(ok, "{connectors}");
    assert_eq!(connectors[0]["name"], "acme_family");
    let (ok, link) = answer(&flowauth(
        dir.path(),
        &[
            "call",
            &wasm,
            "build-auth-url",
            "--setting",
            "CLIENT_ID=abc",
            "--setting",
            "CLIENT_SECRET=def",
            "--scope",
            "read",
        ],
    ));
    assert!(ok, "{link}");
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with("https://idp.example.com/oauth2/authorize?") && url.contains("client_id=abc"), "{url}");
    assert!(flowauth(dir.path(), &["init"]).status.success());
    let (ok, installed) = answer(&flowauth(dir.path(), &["component", "install", &wasm]));
    assert!(ok, "{installed}");
    assert_eq!(installed["approved_hosts"], json!(["idp.example.com"]));
}

#[tokio::test]
async fn the_api_mirrors_the_cli() {
    let server = Server::start(BINARY).await;
    let api = server.api();
    tenant(&api, "acme").await;
    let http = &api.http;
    let install = |query: &str, bytes: Vec<u8>| {
        http.post(format!("{}/v1/components?{query}", server.base)).bearer_auth(ADMIN_KEY).body(bytes).send()
    };
    let first: Value = install("name=oidc", oidc_discovery_wasm()).await.unwrap().json().await.unwrap();
    let refused = install("name=oidc", example_v2()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let broad = install("name=oidc&upgrade=true&allow_hosts=*.co.uk", example_v2()).await.unwrap();
    assert_eq!(broad.status(), StatusCode::BAD_REQUEST);
    let upgraded = install("name=oidc&upgrade=true&allow_hosts=login.example.com:8443", example_v2()).await.unwrap();
    assert_eq!(upgraded.status(), StatusCode::CREATED);
    let upgraded: Value = upgraded.json().await.unwrap();
    assert_eq!(upgraded["approved_hosts"], json!(["login.example.com:8443"]));

    let old = first["digest"].as_str().unwrap();
    let pin = http
        .put(format!("{}/v1/tenants/acme/components/oidc?digest={}", server.base, &old[..16]))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(pin.status(), StatusCode::OK);
    assert_eq!(pin.json::<Value>().await.unwrap()["digest"], first["digest"]);
    let (_, list) = api.get("/v1/components", ADMIN_KEY).await;
    let oidc = list["components"].as_array().unwrap().iter().find(|c| c["name"] == "oidc").unwrap();
    assert_eq!(oidc["tenants"], json!([{"tenant": "acme", "digest": old, "newer_available": true}]));

    let uninstall = |query: &'static str| {
        http.delete(format!("{}/v1/components/oidc{query}", server.base)).bearer_auth(ADMIN_KEY).send()
    };
    assert_eq!(uninstall("").await.unwrap().status(), StatusCode::CONFLICT, "enabled for acme");
    let done: Value = uninstall("?force=true").await.unwrap().json().await.unwrap();
    assert_eq!(done["disabled_for"], json!(["acme"]));
    assert_eq!(uninstall("").await.unwrap().status(), StatusCode::NOT_FOUND);
}
