//! Provider keys for `private_key_jwt` (RFC 7523), end to end against the
//! real binary: a key set over the API or the command line signs the
//! client assertions of its provider, a mock identity provider verifies
//! them against the provider's JWKS document fetched from flowauth over
//! HTTP (RS256 and ES256), rotation signs with the new key while the old one
//! stays published until removed, bad keys are refused with what they are,
//! and the private key shows nowhere: not in answers, logs or data files.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flowauth::client_keys::{KeyService, ProviderKey};
use flowauth::store::{KeySource, LoadMode};
use flowauth::tokens::TokenService;
use flowauth_tests::lifecycle::{REDIRECT, load_file, open_at, setup_on};
use flowauth_tests::postgres::Backend;
use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, on_each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// A test key file of `fixtures/keys`.
fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap()
}

fn fixture_path(name: &str) -> String {
    format!("{}/../tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A provider of `devtools` at the mock that authenticates with a client
/// assertion: no client secret at all.
fn signing_provider(idp: &MockIdp) -> Value {
    json!({"CLIENT_ID": CLIENT_ID, "BASE_URL": idp.base_url(), "AUTH_URL": "/authorize", "TOKEN_URL": "/token",
           "CLIENT_AUTH": "private_key_jwt"})
}

/// A tenant `acme` whose providers `devtools/<name>` are [`signing_provider`]s; its key.
async fn tenant_with(api: &Api, idp: &MockIdp, names: &[&str]) -> String {
    let (status, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let providers: serde_json::Map<String, Value> =
        names.iter().map(|name| (name.to_string(), signing_provider(idp))).collect();
    let (status, report) =
        api.post("/v1/tenants/acme/oauth-configurations", &key, json!({"devtools": providers})).await;
    assert_eq!(status, StatusCode::OK, "a private_key_jwt client needs no CLIENT_SECRET: {report}");
    key
}

fn key_path(provider: &str) -> String {
    format!("/v1/tenants/acme/providers/devtools/{provider}/key")
}

async fn put_key(api: &Api, key: &str, provider: &str, pem: &str) -> (StatusCode, Value) {
    api.call(Method::PUT, &key_path(provider), key, Some(json!({"private_key_pem": pem}))).await
}

/// The RFC 7638 thumbprint of a public JWK, computed here from its members.
fn thumbprint(jwk: &Value) -> String {
    let members = match jwk["kty"].as_str().unwrap() {
        "RSA" => json!({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}),
        _ => json!({"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}),
    };
    URL_SAFE_NO_PAD.encode(Sha256::digest(members.to_string().as_bytes()))
}

/// The JWKS document at `url`, fetched without any key.
async fn jwks(url: &str) -> (StatusCode, Value) {
    let answer = reqwest::get(url).await.unwrap();
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

fn kids(document: &Value) -> Vec<&str> {
    document["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect()
}

/// Starts a client-credentials token (a token request at once); its answer.
async fn client_credentials(api: &Api, key: &str, provider: &str, name: &str) -> Value {
    let start = json!({"name": name, "connector": "devtools", "provider": provider, "flow": "client_credentials"});
    api.post("/v1/tenants/acme/tokens", key, start).await.1
}

on_each_backend! {
    async fn an_idp_verifies_rs256_and_es256_assertions_against_our_jwks(backend) {
        let idp = MockIdp::start().await;
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let server = Server::instance(binary(), dir, &backend.url).await;
        let api = server.api();
        let key = tenant_with(&api, &idp, &["rs", "es"]).await;

        for (provider, file, algorithm) in [("rs", "rs256.pem", "RS256"), ("es", "es256.pem", "ES256")] {
            let (status, view) = put_key(&api, &key, provider, &fixture(file)).await;
            assert_eq!(status, StatusCode::OK, "{view}");
            assert_eq!((view["algorithm"].as_str(), view["changed"].as_bool()), (Some(algorithm), Some(true)));
            let kid = view["kid"].as_str().unwrap().to_owned();
            assert_eq!(kid, thumbprint(&view["public_jwk"]), "kid is the RFC 7638 thumbprint");
            assert_eq!((&view["public_jwk"]["kid"], &view["public_jwk"]["alg"]), (&json!(kid), &json!(algorithm)));
            let jwks_url = view["jwks_url"].as_str().unwrap().to_owned();
            assert_eq!(jwks_url, format!("{}{}", server.base, view["jwks_path"].as_str().unwrap()));
            assert!(!jwks_url.contains("acme"), "the public address names no tenant: {jwks_url}");
            let (status, document) = jwks(&jwks_url).await;
            assert_eq!((status, kids(&document)), (StatusCode::OK, vec![kid.as_str()]), "{document}");

            // The admin registers the JWKS URL at the identity provider.
            idp.register_jwks(&jwks_url);
            let start = json!({"name": format!("user-{provider}"), "connector": "devtools", "provider": provider,
                               "flow": "authorization_code", "scopes": ["read"]});
            let (status, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;
            assert_eq!(status, StatusCode::CREATED, "{started}");
            let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
            assert!(page.contains("Connected"), "the code exchange signed its assertion: {page}");
            let id = started["id"].as_str().unwrap();
            let (status, refreshed) =
                api.post(&format!("/v1/tenants/acme/tokens/{id}/refresh"), &key, json!({})).await;
            assert_eq!((status, refreshed["access_token"].as_str()), (StatusCode::OK, Some("at-2")), "{refreshed}");

            let assertions: Vec<_> =
                idp.assertions().into_iter().filter(|a| a.kid.as_deref() == Some(kid.as_str())).collect();
            assert_eq!(assertions.len(), 2, "the exchange and the refresh: {assertions:?}");
            for assertion in &assertions {
                let claims = &assertion.claims;
                assert_eq!(assertion.alg, algorithm);
                assert_eq!((&claims["iss"], &claims["sub"]), (&json!(CLIENT_ID), &json!(CLIENT_ID)));
                assert_eq!(claims["aud"], format!("{}/token", idp.base_url()));
                assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
            }
            assert_ne!(assertions[0].claims["jti"], assertions[1].claims["jti"], "each jti is new");
        }
    }
}

#[tokio::test]
async fn rotation_signs_with_the_new_key_and_keeps_the_old_one_published_until_removed() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant_with(&api, &idp, &["HTTP"]).await;
    let cli = |args: &[&str]| {
        let out = server.cli(binary(), args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let cli_json = |args: &[&str]| -> Value {
        let all = [&["--json"][..], args].concat();
        serde_json::from_str(&cli(&all)).unwrap()
    };

    let set = cli_json(&["provider", "key", "set", "--tenant", "acme", "devtools/HTTP", &fixture_path("rs256.pem")]);
    let first = set["kid"].as_str().unwrap().to_owned();
    let jwks_url = set["jwks_url"].as_str().unwrap().to_owned();
    assert_eq!(jwks_url, format!("{}{}", server.base, set["jwks_path"].as_str().unwrap()), "the server's public URL");
    let text = cli(&["provider", "key", "show", "--tenant", "acme", "devtools/HTTP"]);
    assert!(text.contains(&first) && text.contains("\"kty\": \"RSA\"") && text.contains(&jwks_url), "{text}");
    let again = cli_json(&["provider", "key", "set", "--tenant", "acme", "devtools/HTTP", &fixture_path("rs256.pem")]);
    assert_eq!((again["changed"].as_bool(), &again["previous"]), (Some(false), &Value::Null), "the same key: {again}");

    idp.register_jwks(&jwks_url);
    let started = client_credentials(&api, &key, "HTTP", "nightly").await;
    assert_eq!(started["status"], "active", "{started}");
    assert_eq!(idp.assertions().last().unwrap().kid.as_deref(), Some(first.as_str()));

    let rotated = cli_json(&["provider", "key", "rotate", "--tenant", "acme", "devtools/HTTP", "--algorithm", "ES256"]);
    let second = rotated["kid"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!((rotated["algorithm"].as_str(), rotated["previous"]["kid"].as_str()), (Some("ES256"), Some(&*first)));
    assert_eq!(second, thumbprint(&rotated["public_jwk"]));
    let (_, document) = jwks(&jwks_url).await;
    assert_eq!(kids(&document), [second.as_str(), first.as_str()], "the old key stays published");

    let id = started["id"].as_str().unwrap();
    let (status, reset) = api.post(&format!("/v1/tenants/acme/tokens/{id}/reset"), &key, json!({})).await;
    assert_eq!((status, reset["status"].as_str()), (StatusCode::OK, Some("active")), "{reset}");
    let last = idp.assertions().last().unwrap().clone();
    assert_eq!((last.kid.as_deref(), last.alg.as_str()), (Some(second.as_str()), "ES256"), "the new key signs");

    // Over the API: show, a rotation in the active key's algorithm, then the previous key withdrawn.
    let (status, shown) = api.get(&key_path("HTTP"), &key).await;
    assert_eq!(
        (status, shown["kid"].as_str(), shown["previous"]["kid"].as_str()),
        (StatusCode::OK, Some(&*second), Some(&*first))
    );
    let (status, third) = api.post(&format!("{}/rotate", key_path("HTTP")), &key, json!({})).await;
    assert_eq!((status, third["algorithm"].as_str()), (StatusCode::OK, Some("ES256")), "{third}");
    let third_kid = third["kid"].as_str().unwrap();
    assert_eq!(third["previous"]["kid"].as_str(), Some(&*second), "one previous key: the one just replaced");
    let (_, document) = jwks(&jwks_url).await;
    assert_eq!(kids(&document), [third_kid, second.as_str()]);
    let (status, _) = api.call(Method::DELETE, &format!("{}?previous=true", key_path("HTTP")), &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, document) = jwks(&jwks_url).await;
    assert_eq!(kids(&document), [third_kid], "withdrawn from the JWKS");
    let (status, none) = api.call(Method::DELETE, &format!("{}?previous=true", key_path("HTTP")), &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{none}");

    let removed = cli(&["provider", "key", "remove", "--tenant", "acme", "devtools/HTTP"]);
    assert!(removed.contains("removed every key of devtools/HTTP"), "{removed}");
    let (status, _) = jwks(&jwks_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing published any more");
    let shown = server.cli(binary(), &["provider", "key", "show", "--tenant", "acme", "devtools/HTTP"]);
    let message = String::from_utf8_lossy(&shown.stderr);
    assert!(
        !shown.status.success() && message.contains("flowauth provider key set --tenant acme devtools/HTTP"),
        "{message}"
    );
}

#[tokio::test]
async fn bad_keys_missing_keys_and_foreign_tenants_are_refused_with_what_to_do() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant_with(&api, &idp, &["HTTP"]).await;

    // Without a key, the token request says which command sets one.
    idp.register_jwks(&format!("{}/jwks/none", server.base));
    let started = client_credentials(&api, &key, "HTTP", "keyless").await;
    let said = started.to_string();
    assert!(
        said.contains("has no key") && said.contains("flowauth provider key set --tenant acme devtools/HTTP"),
        "{said}"
    );
    assert!(idp.seen().is_empty(), "nothing reached the provider: {:?}", idp.seen());

    for (file, expected) in [
        ("rs256-pkcs1.pem", "openssl pkcs8 -topk8"),
        ("es256-sec1.pem", "openssl pkcs8 -topk8"),
        ("rsa-1024.pem", "at least 2048"),
        ("p384.pem", "P-384 key is not supported"),
        ("ed25519.pem", "Ed25519 key is not supported"),
        ("rs256.pub.pem", "a public key, not a private key"),
    ] {
        let (status, refused) = put_key(&api, &key, "HTTP", &fixture(file)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{file}: {refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{file}: {message}");
    }
    let (status, refused) = put_key(&api, &key, "HTTP", "hunter2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["error"]["message"].as_str().unwrap().contains("not a PEM file"), "{refused}");
    let (status, none) = api.get(&key_path("HTTP"), &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was half-written: {none}");

    let (status, missing) = put_key(&api, &key, "Nope", &fixture("es256.pem")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    let (status, refused) = api.post(&format!("{}/rotate?algorithm=HS256", key_path("HTTP")), &key, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["error"]["message"].as_str().unwrap().contains("RS256"), "{refused}");
    let (_, other) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "globex"})).await;
    let (status, _) = put_key(&api, other["api_key"].as_str().unwrap(), "HTTP", &fixture("es256.pem")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another tenant's key");

    let load = json!({"devtools": {"Mtls": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": "s", "CLIENT_AUTH": "mtls",
                                            "AUTH_URL": "https://idp.example.com/a", "TOKEN_URL": "https://idp.example.com/t"}}});
    let (status, refused) = api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("$.devtools.Mtls.CLIENT_AUTH"), "{refused}");

    // Every built-in family lists CLIENT_AUTH and PROMPT among its settings.
    let listed = server.cli(binary(), &["--json", "connectors"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let connectors: Vec<Value> =
        String::from_utf8(listed.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for name in ["box", "google_gmail", "salesforce", "windchill", "devtools"] {
        let connector = connectors.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("{name} listed"));
        let keys: Vec<&str> =
            connector["settings"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
        assert!(keys.contains(&"CLIENT_AUTH") && keys.contains(&"PROMPT"), "{name}: {keys:?}");
    }

    let cli = server
        .cli(binary(), &["provider", "key", "set", "--tenant", "acme", "devtools/HTTP", &fixture_path("p384.pem")]);
    assert!(!cli.status.success());
    assert!(String::from_utf8_lossy(&cli.stderr).contains("P-384 key is not supported"));
    let cli = server.cli(binary(), &["provider", "key", "show", "--tenant", "acme", "devtools"]);
    assert!(String::from_utf8_lossy(&cli.stderr).contains("CONNECTOR/DISPLAY_NAME"));
    let cli =
        server.cli(binary(), &["provider", "key", "set", "--tenant", "acme", "devtools/HTTP", "/nonexistent.pem"]);
    assert!(String::from_utf8_lossy(&cli.stderr).contains("reading the key file /nonexistent.pem"));
}

/// The files of the data directory itself (the database and its journal,
/// the key file, the log), as bytes; `compiled/` holds only components.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let entries = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_file());
    entries.map(|path| (path.display().to_string(), std::fs::read(&path).unwrap())).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_private_key_never_shows_in_answers_logs_or_data_files() {
    let idp = MockIdp::start().await;
    let server = Server::start(binary()).await;
    let api = server.api();
    let key = tenant_with(&api, &idp, &["HTTP"]).await;
    let pem = fixture("es256.pem");
    let mut answers = Vec::new();
    let (status, set) = put_key(&api, &key, "HTTP", &pem).await;
    assert_eq!(status, StatusCode::OK);
    idp.register_jwks(set["jwks_url"].as_str().unwrap());
    answers.push(client_credentials(&api, &key, "HTTP", "nightly").await);
    answers.push(set.clone());
    answers.push(api.get(&key_path("HTTP"), &key).await.1);
    answers.push(api.get("/v1/tenants/acme/providers", &key).await.1);
    answers.push(jwks(set["jwks_url"].as_str().unwrap()).await.1);
    let shown = server.cli(binary(), &["--json", "provider", "key", "show", "--tenant", "acme", "devtools/HTTP"]);
    let dir = server.dir.clone();
    let (_, log) = server.stop();

    // The base64 body of the PEM, and the private scalar `d` as a JWK would carry it.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let private = ProviderKey::from_pem(&pem).unwrap();
    let chunks: Vec<&str> = vec![&body[..40], &body[body.len() - 40..]];
    let everything = [answers.iter().map(Value::to_string).collect::<Vec<_>>().join("\n"), log.clone()].join("\n");
    for text in [everything.as_str(), std::str::from_utf8(&shown.stdout).unwrap()] {
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        for chunk in &chunks {
            assert!(!text.contains(chunk), "the key's text shows: {text}");
        }
        assert!(!text.contains("\"d\""), "no private JWK member: {text}");
    }
    assert!(log.contains(&private.kid), "the log names the key by its kid");
    let data = files(dir.path());
    assert!(data.iter().any(|(file, _)| file.ends_with("flowauth.db")), "the database was read");
    for (file, bytes) in data {
        assert!(!contains(&bytes, b"PRIVATE KEY"), "{file} holds a private key in the clear");
        for chunk in &chunks {
            assert!(!contains(&bytes, chunk.as_bytes()), "{file} holds the key's text");
        }
    }
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

on_each_backend! {
    async fn keys_are_sealed_resealed_by_a_master_key_rotation_and_leave_with_their_provider(backend) {
        let s = setup_on(backend).await;
        let keys = KeySource::File(s.dir.path().join("master.key"));
        let fresh = Backend::fresh_like(backend).await;
        let store = open_at(s.dir.path(), &fresh.url, keys.clone()).await.unwrap();
        let tenant = store.create_tenant("acme").await.unwrap();
        let service = TokenService::new(store.clone(), s.runtime.clone(), REDIRECT.into());
        let load = load_file(&s.idp, "HTTP", CLIENT_SECRET);
        service.load_configuration(&tenant, &load, LoadMode::Replace).await.unwrap();
        let pem = fixture("rs256.pem");
        let set = KeyService::new(&store).set(&tenant, "devtools", "HTTP", &pem).await.unwrap();
        sqlx::any::install_default_drivers();
        let db = sqlx::AnyPool::connect(&fresh.url).await.unwrap();
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT private_key_sealed FROM provider_keys").fetch_one(&db).await.unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!contains(&sealed, b"PRIVATE KEY") && !contains(&sealed, &body.as_bytes()[..40]), "{backend}: sealed");

        // A master key rotation reseals the key: a process with only the new master key signs with it.
        let ring = keys.add_key().unwrap();
        assert!(store.reseal(ring).await.unwrap() >= 2, "{backend}: the settings and the key");
        keys.retire_inactive().unwrap();
        let reopened = open_at(s.dir.path(), &fresh.url, keys.clone()).await.unwrap();
        let provider = reopened.provider(&tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
        let active = reopened.active_provider_key(&tenant.id, &provider.id).await.unwrap();
        assert_eq!(active.tenant_name, "acme");
        assert_eq!(active.key.unwrap().pem, ProviderKey::from_pem(&pem).unwrap().pem, "{backend}");

        // A rotation keeps the old key's public half only.
        let rotated = KeyService::new(&reopened).rotate(&tenant, "devtools", "HTTP", Some("ES256")).await.unwrap();
        assert_eq!(rotated.previous.map(|k| k.kid), Some(set.active.kid), "{backend}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM provider_keys").await, 2);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM provider_keys WHERE private_key_sealed IS NOT NULL").await, 1);

        // Keys leave with their provider, and with their tenant.
        reopened.delete_provider(&tenant.id, "devtools", "HTTP", true).await.unwrap().unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM provider_keys").await, 0, "{backend}");
        service.load_configuration(&tenant, &load, LoadMode::Replace).await.unwrap();
        KeyService::new(&reopened).rotate(&tenant, "devtools", "HTTP", None).await.unwrap();
        assert!(reopened.delete_tenant(&tenant.id).await.unwrap(), "{backend}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM provider_keys").await, 0, "{backend}");
    }
}
