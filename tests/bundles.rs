//! Export and import between two real instances (docs/BUNDLES.md): a
//! source `flowauth serve` on SQLite, a target on each backend (SQLite,
//! PostgreSQL), each with its own master key. A tenant moves with its
//! providers' secrets, its own connector, its component pin, its webhook,
//! connect settings and tokens; the moved token refreshes at the mock
//! identity provider; importing again changes nothing; a bundle that
//! cannot apply is refused with nothing written. The command line does
//! the same without a server.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use flowauth_tests::on_each_backend;
use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, oidc_discovery_wasm};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_flowauth");
const PASSPHRASE: &str = "a passphrase long enough for tests";
const WEBHOOK_SECRET: &str = "webhook-signing-secret-0123456789abcdef";
const APP: &str = "https://app.example.com";

/// Installs the example component on `server` (admin key), as an
/// operator uploads the same file on each instance.
async fn install_example(api: &Api) {
    let response = api
        .http
        .post(format!("{}/v1/components?name=oidc-discovery", api.base))
        .bearer_auth(ADMIN_KEY)
        .header("content-type", "application/wasm")
        .body(oidc_discovery_wasm())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
}

/// A source instance with tenant `acme`: the example component enabled,
/// its own connector `acme_crm`, providers for it and for `devtools` at
/// `idp`, a webhook, connect settings, and the active token `bot`.
async fn source(idp: &MockIdp) -> Server {
    let server = Server::start(BINARY).await;
    let api = server.api();
    let (status, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{acme}");
    let key = acme["api_key"].as_str().unwrap().to_owned();
    install_example(&api).await;
    let (status, enabled) =
        api.call(reqwest::Method::PUT, "/v1/tenants/acme/components/oidc-discovery", ADMIN_KEY, None).await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    let config = json!({
        "name": "acme_crm", "title": "Acme CRM", "oauth_type": "OAuth2", "base_url": idp.base_url(),
        "oauth2_auth_url": "/authorize", "oauth2_token_url": "/token",
        "oauth2_auth_query": ["{\"client_id\":\"{client_id}\"}", "{\"response_type\":\"code\"}", "{\"redirect_uri\":\"{redirect_uri}\"}"],
        "oauth2_token_data": ["{\"grant_type\":\"authorization_code\"}", "{\"redirect_uri\":\"{redirect_uri}\"}",
                              "{\"client_id\":\"{client_id}\"}", "{\"client_secret\":\"{client_secret}\"}"]
    });
    let (status, added) = api.post("/v1/tenants/acme/connectors", &key, config).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let load = json!({
        "devtools": {"HTTP": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
                              "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}},
        "acme_crm": {"CRM": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}},
    });
    let (status, loaded) = api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    let start = json!({"name": "bot", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code"});
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(page.contains("Connected"), "{page}");
    let webhook = json!({"url": "https://hooks.example.com/flowauth", "events": ["token.needs_reauth"], "secret": WEBHOOK_SECRET});
    let (status, set) = api.call(reqwest::Method::PUT, "/v1/tenants/acme/webhook", &key, Some(webhook)).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let origins = json!({"allowed_return_origins": [APP]});
    let (status, set) = api.call(reqwest::Method::PUT, "/v1/tenants/acme/connect-settings", &key, Some(origins)).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    server
}

/// The bundle of `acme` on `server`, exported through the API.
async fn export(server: &Server, with_tokens: bool) -> Value {
    let body = json!({"passphrase": PASSPHRASE, "with_tokens": with_tokens});
    let (status, bundle) = server.api().post("/v1/tenants/acme/export", ADMIN_KEY, body).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    bundle
}

/// A target instance on `database_url`, with a data directory (and so a
/// master key) of its own.
async fn target(database_url: &str) -> Server {
    Server::instance(BINARY, Arc::new(tempfile::tempdir().unwrap()), database_url).await
}

async fn import(server: &Server, tenant: &str, bundle: Value, passphrase: &str) -> (StatusCode, Value) {
    let body = json!({"passphrase": passphrase, "bundle": bundle});
    server.api().post(&format!("/v1/tenants/{tenant}/import"), ADMIN_KEY, body).await
}

fn sorted(list: &Value) -> Vec<String> {
    let mut items: Vec<String> = list.as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect();
    items.sort();
    items
}

/// Every item of the source's bundle, as an import reports it, sorted.
fn every_item(with_tokens: bool) -> Vec<String> {
    let mut items = vec![
        "component oidc-discovery",
        "connect settings",
        "connector acme_crm",
        "provider acme_crm/CRM",
        "provider devtools/HTTP",
        "webhook",
    ];
    if with_tokens {
        items.push("token bot");
    }
    let mut items: Vec<String> = items.into_iter().map(String::from).collect();
    items.sort();
    items
}

on_each_backend! {
    async fn a_tenant_moves_with_its_secrets_connector_pin_and_a_token_that_refreshes(backend) {
        let idp = MockIdp::start().await;
        let source = source(&idp).await;
        let bundle = export(&source, true).await;
        let text = bundle.to_string();
        assert_eq!((bundle["format"].as_str(), bundle["version"].as_u64()), (Some("flowauth-bundle"), Some(1)));
        for secret in [CLIENT_SECRET, WEBHOOK_SECRET, "at-1", "rt-1"] {
            assert!(!text.contains(secret), "the bundle shows {secret:?} in plain text: {text}");
        }

        let target = target(&backend.url).await;
        install_example(&target.api()).await;
        let (status, report) = import(&target, "acme", bundle.clone(), PASSPHRASE).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {report}");
        assert_eq!(report["tenant_created"], true, "{report}");
        let mut created = every_item(true);
        created.push("tenant acme".into());
        created.sort();
        assert_eq!(sorted(&report["created"]), created, "{report}");
        let key = report["api_key"].as_str().expect("the new tenant's key, once").to_owned();

        let api = target.api();
        let (_, providers) = api.get("/v1/tenants/acme/providers", &key).await;
        assert_eq!(providers["providers"].as_array().map(Vec::len), Some(2), "{providers}");
        let (_, connectors) = api.get("/v1/tenants/acme/connectors", &key).await;
        let names: Vec<&str> = connectors["connectors"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
        assert!(names.contains(&"acme_crm") && names.contains(&"oidc"), "custom connector and pinned component: {names:?}");
        let (_, webhook) = api.get("/v1/tenants/acme/webhook", &key).await;
        assert_eq!(webhook["url"], "https://hooks.example.com/flowauth", "{webhook}");
        let (_, settings) = api.get("/v1/tenants/acme/connect-settings", &key).await;
        assert_eq!(settings, json!({"allowed_return_origins": [APP]}));

        let (status, again) = import(&target, "acme", bundle.clone(), PASSPHRASE).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!((again["tenant_created"].as_bool(), again.get("api_key")), (Some(false), None), "{again}");
        assert_eq!((sorted(&again["created"]), sorted(&again["updated"])), (vec![], vec![]), "{again}");
        assert_eq!(sorted(&again["unchanged"]), every_item(true), "{again}");

        // The token opens with the target's keys, and its refresh token and
        // the provider's client secret are accepted by the provider.
        let path = "/v1/tenants/acme/tokens/bot";
        let (status, token) = api.post(&format!("{path}/access-token"), &key, json!({})).await;
        assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-1")), "{token}");
        let (status, refreshed) = api.post(&format!("{path}/refresh"), &key, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{refreshed}; the provider saw {:?}", idp.seen());
        let last = idp.seen().into_iter().last().unwrap();
        assert_eq!(
            (last.form.get("refresh_token").map(String::as_str), last.form.get("client_secret").map(String::as_str)),
            (Some("rt-1"), Some(CLIENT_SECRET)),
            "{last:?}"
        );
        let (status, token) = api.post(&format!("{path}/access-token"), &key, json!({})).await;
        assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-2")), "{token}");

        // The target's newer token set stays: the bundle's is older.
        let (status, later) = import(&target, "acme", bundle, PASSPHRASE).await;
        assert_eq!((status, sorted(&later["updated"])), (StatusCode::OK, vec![]), "{later}");
        let (_, token) = api.post(&format!("{path}/access-token"), &key, json!({})).await;
        assert_eq!(token["access_token"], "at-2", "{token}");
    }

    async fn a_bundle_that_cannot_apply_is_refused_with_nothing_written(backend) {
        let idp = MockIdp::start().await;
        let source = source(&idp).await;
        let bundle = export(&source, true).await;
        let target = target(&backend.url).await;

        let (status, refused) = import(&target, "acme", bundle.clone(), "not the passphrase at all").await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_passphrase")), "{refused}");
        let mut tampered = bundle.clone();
        let ciphertext = tampered["ciphertext"].as_str().unwrap().to_owned();
        let flipped = if ciphertext.starts_with('A') { 'B' } else { 'A' };
        tampered["ciphertext"] = format!("{flipped}{}", &ciphertext[1..]).into();
        let (status, refused) = import(&target, "acme", tampered, PASSPHRASE).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bundle_damaged")), "{refused}");
        let text = bundle.to_string();
        let (status, refused) = import(&target, "acme", Value::String(text[..text.len() / 2].to_owned()), PASSPHRASE).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_bundle")), "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("cut short"), "{refused}");
        let mut newer = bundle.clone();
        newer["version"] = 2.into();
        let (status, refused) = import(&target, "acme", newer, PASSPHRASE).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bundle_too_new")), "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("upgrade flowauth"), "{refused}");

        // The component was never installed here.
        let (status, staging) = target.api().post("/v1/tenants", ADMIN_KEY, json!({"name": "staging"})).await;
        assert_eq!(status, StatusCode::CREATED, "{staging}");
        let (status, refused) = import(&target, "staging", bundle.clone(), PASSPHRASE).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("component_missing")), "{refused}");
        let (_, components) = source.api().get("/v1/components", ADMIN_KEY).await;
        let example = components["components"].as_array().unwrap().iter().find(|c| c["name"] == "oidc-discovery");
        let digest = example.and_then(|c| c["digest"].as_str()).expect("the source lists the example").to_owned();
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains(&digest) && message.contains("flowauth component install"), "{message}");

        let api = target.api();
        let (_, tenants) = api.get("/v1/tenants", ADMIN_KEY).await;
        assert_eq!(tenants, json!({"tenants": [{"name": "staging"}]}), "{backend}: no tenant was created");
        let (_, providers) = api.get("/v1/tenants/staging/providers", ADMIN_KEY).await;
        assert_eq!(providers, json!({"providers": []}), "{backend}: nothing was written");
        let (status, _) = api.get("/v1/tenants/staging/webhook", ADMIN_KEY).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

/// The command line on the store in `dir`, with `passphrase` in
/// FLOWAUTH_BUNDLE_PASSPHRASE when given.
fn flowauth(dir: &Path, args: &[&str], passphrase: Option<&str>) -> Output {
    let mut command = Command::new(BINARY);
    command.arg("--data-dir").arg(dir).args(args).env_remove("FLOWAUTH_MASTER_KEY");
    match passphrase {
        Some(passphrase) => command.env("FLOWAUTH_BUNDLE_PASSPHRASE", passphrase),
        None => command.env_remove("FLOWAUTH_BUNDLE_PASSPHRASE"),
    };
    command.output().unwrap()
}

fn stdout_json(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout:?}; stderr: {}", String::from_utf8_lossy(&output.stderr)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_moves_a_tenant_without_tokens_and_a_second_import_changes_nothing() {
    let idp = MockIdp::start().await;
    let source = source(&idp).await;
    let work = tempfile::tempdir().unwrap();
    let passphrase_file = work.path().join("passphrase");
    std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).unwrap();

    let short = flowauth(source.dir.path(), &["export", "--tenant", "acme"], Some("too short"));
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12"), "{short:?}");
    let exported = flowauth(
        source.dir.path(),
        &["export", "--tenant", "acme", "--passphrase-file", passphrase_file.to_str().unwrap()],
        None,
    );
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    assert!(String::from_utf8_lossy(&exported.stderr).contains("no tokens"), "{exported:?}");
    let bundle = work.path().join("acme.bundle.json");
    std::fs::write(&bundle, &exported.stdout).unwrap();
    let bundle = bundle.to_str().unwrap();

    let target = tempfile::tempdir().unwrap();
    assert!(flowauth(target.path(), &["init"], None).status.success());
    let wasm = work.path().join("oidc-discovery.wasm");
    std::fs::write(&wasm, oidc_discovery_wasm()).unwrap();
    let installed = flowauth(target.path(), &["component", "install", wasm.to_str().unwrap()], None);
    assert!(installed.status.success(), "{installed:?}");

    let wrong =
        flowauth(target.path(), &["--json", "import", bundle, "--tenant", "acme-test"], Some("the wrong passphrase"));
    assert!(!wrong.status.success());
    assert_eq!(stdout_json(&wrong)["error"]["code"], "wrong_passphrase", "{wrong:?}");

    let first = flowauth(target.path(), &["--json", "import", bundle, "--tenant", "acme-test"], Some(PASSPHRASE));
    assert!(first.status.success(), "{first:?}");
    let report = stdout_json(&first);
    assert_eq!((report["tenant"].as_str(), report["tenant_created"].as_bool()), (Some("acme-test"), Some(true)));
    assert!(report["api_key"].as_str().is_some_and(|k| k.starts_with("fa_")), "{report}");
    let mut created = every_item(false);
    created.push("tenant acme-test".into());
    created.sort();
    assert_eq!(sorted(&report["created"]), created, "{report}");

    let second = flowauth(target.path(), &["import", bundle, "--tenant", "acme-test"], Some(PASSPHRASE));
    assert!(second.status.success(), "{second:?}");
    let lines: Vec<String> = String::from_utf8_lossy(&second.stdout).lines().map(String::from).collect();
    let expected: Vec<String> = every_item(false).iter().map(|item| format!("unchanged {item}")).collect();
    let mut sorted_lines = lines.clone();
    sorted_lines.sort();
    assert_eq!(sorted_lines, expected, "{lines:?}");

    let tokens = flowauth(target.path(), &["--json", "token", "list", "--tenant", "acme-test"], None);
    assert!(tokens.status.success() && tokens.stdout.is_empty(), "no tokens moved: {tokens:?}");
}
