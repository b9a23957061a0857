//! The OpenID Connect hybrid flow end to end, against the real binary and
//! a mock OpenID provider on loopback (`support/openid.rs`): a provider
//! with `RESPONSE_TYPE=code id_token` gets auth links asking for
//! `code id_token` by `form_post` with a nonce; the posted answer's ID
//! token is verified (signature by the IdP's JWKS from discovery, `iss`,
//! `aud`, `exp`, `nonce`, `c_hash`) before the code is exchanged, and
//! every failure leaves the token failed with nothing stored.

use std::sync::Arc;

use flowauth_tests::on_each_backend;
use flowauth_tests::openid::{Flaw, OpenIdProvider, SigningKey, post_as, submit, visit};
use flowauth_tests::postgres::Backend;
use flowauth_tests::server::{ADMIN_KEY, Api, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// A server on `backend` with tenant `acme` and its `devtools/Corp`
/// provider set for the hybrid flow at `idp`.
struct Hybrid {
    idp: OpenIdProvider,
    server: Server,
    api: Api,
    key: String,
    database_url: String,
    /// The SQLite database a test made for itself, removed when dropped.
    _database: Option<Backend>,
}

fn provider(idp: &OpenIdProvider) -> Value {
    json!({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.issuer,
           "AUTH_URL": "/authorize", "TOKEN_URL": "/token", "ISSUER": idp.issuer,
           "RESPONSE_TYPE": "code id_token"})
}

impl Hybrid {
    async fn start(backend: &Backend, key: SigningKey) -> Self {
        let idp = OpenIdProvider::start(key).await;
        let server = Server::instance(binary(), Arc::new(tempfile::tempdir().unwrap()), &backend.url).await;
        let api = server.api();
        let (status, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
        assert_eq!(status, StatusCode::CREATED, "{tenant}");
        let key = tenant["api_key"].as_str().unwrap().to_owned();
        let file = json!({"devtools": {"Corp": provider(&idp)}});
        let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, file).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        Self { idp, server, api, key, database_url: backend.url.clone(), _database: None }
    }

    /// [`start`](Self::start) on a SQLite database of its own.
    async fn sqlite(key: SigningKey) -> Self {
        let database = Backend::sqlite();
        let started = Self::start(&database, key).await;
        Self { _database: Some(database), ..started }
    }

    /// Starts a token; its id and auth link.
    async fn start_token(&self, name: &str) -> (String, String) {
        let body = json!({"name": name, "connector": "devtools", "provider": "Corp", "flow": "authorization_code",
                          "scopes": ["profile"], "use_default_keys": true});
        let (status, started) = self.api.post("/v1/tenants/acme/tokens", &self.key, body).await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        (started["id"].as_str().unwrap().to_owned(), started["auth_link"].as_str().unwrap().to_owned())
    }

    /// Starts a token and has the provider approve it; the token's id and
    /// the form the provider's page would post.
    async fn approved(&self, name: &str) -> (String, String, Vec<(String, String)>) {
        let (id, link) = self.start_token(name).await;
        let (action, fields) = visit(&link).await;
        (id, action, fields)
    }

    async fn token(&self, id: &str) -> Value {
        let (status, token) = self.api.get(&format!("/v1/tenants/acme/tokens/{id}"), &self.key).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        token
    }

    async fn access_token(&self, id: &str) -> (StatusCode, Value) {
        self.api.post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &self.key, json!({})).await
    }

    /// Posts a spoiled answer: the page says it failed, the token is
    /// failed with `code`, no code was exchanged and no token is handed out.
    async fn refused(&self, flaw: Flaw, code: &str) -> String {
        self.idp.spoil(flaw);
        let (id, action, fields) = self.approved(&format!("spoiled-{code}")).await;
        let (status, page) = submit(&action, &fields).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Authorization failed") && page.contains(code), "{page}");
        self.failed(&id, code, 0).await
    }

    /// The token is failed with `code` after `exchanges` codes were
    /// exchanged, and hands out nothing; the error's message.
    async fn failed(&self, id: &str, code: &str, exchanges: u32) -> String {
        let token = self.token(id).await;
        assert_eq!(
            (token["status"].as_str(), token["error"]["code"].as_str()),
            (Some("failed"), Some(code)),
            "{token}"
        );
        assert_eq!(self.idp.exchanges(), exchanges, "codes exchanged at the provider");
        let (status, answer) = self.access_token(id).await;
        assert_ne!(status, StatusCode::OK, "no token is handed out: {answer}");
        token["error"]["message"].as_str().unwrap().to_owned()
    }
}

fn query_of(link: &str) -> Vec<(String, String)> {
    url::Url::parse(link).unwrap().query_pairs().into_owned().collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

on_each_backend! {
    async fn a_hybrid_authorization_verifies_the_id_token_then_exchanges_the_code(backend) {
        let h = Hybrid::start(backend, SigningKey::rs256("a")).await;
        let (id, link) = h.start_token("corp-bot").await;
        let asked = query_of(&link);
        assert_eq!(get(&asked, "response_type"), Some("code id_token"), "{link}");
        assert_eq!(get(&asked, "response_mode"), Some("form_post"), "{link}");
        assert_eq!(get(&asked, "scope"), Some("openid profile"), "{link}");
        let nonce = get(&asked, "nonce").expect("a nonce").to_owned();
        assert!(nonce.len() >= 43, "256 random bits: {nonce}");

        let (action, fields) = visit(&link).await;
        assert_eq!(action, format!("{}/oauth/return", h.server.base));
        let (status, page) = submit(&action, &fields).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Connected"), "{page}");
        assert_eq!(h.token(&id).await["status"], "active");
        let (status, answer) = h.access_token(&id).await;
        assert_eq!((status, answer["access_token"].as_str()), (StatusCode::OK, Some("hybrid-at-1")), "{answer}");

        // The answer is spent: posting it again changes nothing.
        let (status, page) = submit(&action, &fields).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(page.contains("already used"), "{page}");

        // A second authorization uses the cached keys, with a nonce of its own.
        let (second, link) = h.start_token("corp-bot-2").await;
        assert_ne!(get(&query_of(&link), "nonce"), Some(nonce.as_str()));
        let (action, fields) = visit(&link).await;
        let (_, page) = submit(&action, &fields).await;
        assert!(page.contains("Connected"), "{page}");
        assert_eq!(h.token(&second).await["status"], "active");
        assert_eq!((h.idp.discoveries(), h.idp.key_fetches(), h.idp.exchanges()), (1, 1, 2));
    }

    async fn an_id_token_with_another_nonce_fails_the_token(backend) {
        let h = Hybrid::start(backend, SigningKey::rs256("a")).await;
        let message = h.refused(Flaw::WrongNonce, "invalid_nonce").await;
        assert!(message.contains("nonce is not the one this authorization sent"), "{message}");
    }
}

#[tokio::test]
async fn es256_id_tokens_verify_too() {
    let h = Hybrid::sqlite(SigningKey::es256()).await;
    let (id, action, fields) = h.approved("ec-bot").await;
    let (_, page) = submit(&action, &fields).await;
    assert!(page.contains("Connected"), "{page}");
    assert_eq!(h.token(&id).await["status"], "active");
}

#[tokio::test]
async fn a_c_hash_of_another_code_fails_the_token() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let message = h.refused(Flaw::WrongCHash, "invalid_c_hash").await;
    assert!(message.contains("does not match the code"), "{message}");
}

#[tokio::test]
async fn an_id_token_signed_by_another_key_fails_the_token() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let message = h.refused(Flaw::ForeignSignature, "invalid_id_token").await;
    assert!(message.contains("signature does not verify"), "{message}");
}

#[tokio::test]
async fn an_expired_id_token_fails_the_token() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let message = h.refused(Flaw::Expired, "invalid_id_token").await;
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn an_id_token_for_another_client_fails_the_token() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let message = h.refused(Flaw::WrongAudience, "invalid_id_token").await;
    assert!(message.contains("another-client") && message.contains(CLIENT_ID), "{message}");
}

#[tokio::test]
async fn an_unknown_key_id_fetches_the_keys_once_more() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let (first, action, fields) = h.approved("before-rotation").await;
    submit(&action, &fields).await;
    assert_eq!(h.token(&first).await["status"], "active");
    assert_eq!((h.idp.discoveries(), h.idp.key_fetches()), (1, 1));

    // The provider rotates to key b: the cached set lacks it, one fetch finds it.
    h.idp.rotate(SigningKey::rs256("b"), vec![SigningKey::rs256("b")]);
    let (rotated, action, fields) = h.approved("after-rotation").await;
    let (_, page) = submit(&action, &fields).await;
    assert!(page.contains("Connected"), "{page}");
    assert_eq!(h.token(&rotated).await["status"], "active");
    assert_eq!((h.idp.discoveries(), h.idp.key_fetches()), (1, 2), "one more key set, no more discovery");

    // A key id the provider never publishes: one more fetch, then refused.
    h.idp.rotate(SigningKey::rs256("b").renamed("rsa-unpublished"), vec![SigningKey::rs256("b")]);
    let (unknown, action, fields) = h.approved("unknown-kid").await;
    let (_, page) = submit(&action, &fields).await;
    assert!(page.contains("invalid_id_token"), "{page}");
    let message = h.failed(&unknown, "invalid_id_token", 2).await;
    assert!(message.contains("\"rsa-unpublished\"") && message.contains("/jwks"), "{message}");
    assert_eq!(h.idp.key_fetches(), 3, "exactly one fetch for the unknown key id");
}

#[tokio::test]
async fn a_get_callback_for_a_hybrid_provider_is_refused() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let (id, action, fields) = h.approved("by-query").await;
    let mut url = url::Url::parse(&action).unwrap();
    url.query_pairs_mut().extend_pairs(&fields);
    let page = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert!(page.contains("Authorization failed") && page.contains("invalid_response_mode"), "{page}");
    let message = h.failed(&id, "invalid_response_mode", 0).await;
    assert!(message.contains("form_post"), "{message}");
}

#[tokio::test]
async fn a_json_post_is_refused_with_415_and_spends_nothing() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let (id, action, fields) = h.approved("by-json").await;
    let as_json: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let (status, page) = post_as(&action, "application/json", Value::Object(as_json).to_string()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{page}");
    assert!(page.contains("application/x-www-form-urlencoded"), "says what it takes: {page}");
    assert_eq!(h.token(&id).await["status"], "pending");

    // ThingWorx's callback path takes the same form, the state unspent.
    let thingworx = format!("{}/Thingworx/Oauths/oauth/return", h.server.base);
    let (status, page) = submit(&thingworx, &fields).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Connected"), "{page}");
    assert_eq!(h.token(&id).await["status"], "active");
}

#[tokio::test]
async fn a_refusal_posted_by_the_provider_fails_the_token_with_its_code() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let (id, action, fields) = h.approved("denied").await;
    let state = fields.iter().find(|(k, _)| k == "state").unwrap().clone();
    let refusal = [("error".to_owned(), "access_denied".to_owned()), state];
    let (_, page) = submit(&action, &refusal).await;
    assert!(page.contains("access_denied"), "{page}");
    h.failed(&id, "access_denied", 0).await;
}

#[tokio::test]
async fn the_hybrid_setting_is_checked_when_loaded_by_api_and_cli() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let load = |settings: Value| {
        h.api.post(
            "/v1/tenants/acme/oauth-configurations?mode=replace",
            &h.key,
            json!({"devtools": {"Other": settings}}),
        )
    };
    let mut without_issuer = provider(&h.idp);
    without_issuer.as_object_mut().unwrap().remove("ISSUER");
    let (status, refused) = load(without_issuer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let text = refused.to_string();
    assert!(text.contains("$.devtools.Other.RESPONSE_TYPE") && text.contains("ISSUER is not set"), "{text}");
    let mut bogus = provider(&h.idp);
    bogus["RESPONSE_TYPE"] = json!("token");
    let (status, refused) = load(bogus).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("`code id_token`"), "{refused}");

    // An update that turns the flow on for a provider with an ISSUER passes.
    let update = json!({"devtools": {"Corp": {"RESPONSE_TYPE": "code"}}});
    let (status, report) = h.api.post("/v1/tenants/acme/oauth-configurations?mode=update", &h.key, update).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let update = json!({"devtools": {"Corp": {"RESPONSE_TYPE": "code id_token"}}});
    let (status, report) = h.api.post("/v1/tenants/acme/oauth-configurations?mode=update", &h.key, update).await;
    assert_eq!(status, StatusCode::OK, "{report}");

    let file = h.server.dir.path().join("no-issuer.json");
    std::fs::write(
        &file,
        json!({"devtools": {"Cli": {"CLIENT_ID": CLIENT_ID, "BASE_URL": h.idp.issuer,
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token", "RESPONSE_TYPE": "code id_token"}}})
        .to_string(),
    )
    .unwrap();
    let load = ["--database-url", h.database_url.as_str(), "oauth", "load", file.to_str().unwrap(), "--tenant", "acme"];
    let out = h.server.cli(binary(), &load);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("RESPONSE_TYPE") && stderr.contains("ISSUER is not set"), "{stderr}");
}

#[tokio::test]
async fn a_token_started_from_the_cli_finishes_through_the_server() {
    let h = Hybrid::sqlite(SigningKey::rs256("a")).await;
    let args = ["--database-url", h.database_url.as_str(), "--json", "token", "start", "--tenant", "acme"];
    let started = h
        .server
        .cli(binary(), &[&args[..], &["--name", "cli-bot", "--connector", "devtools", "--provider", "Corp"]].concat());
    let said = format!("{}{}", String::from_utf8_lossy(&started.stdout), String::from_utf8_lossy(&started.stderr));
    assert!(started.status.success(), "{said}");
    let line: Value = serde_json::from_slice(&started.stdout).unwrap();
    let link = line["auth_link"].as_str().unwrap();
    assert_eq!(get(&query_of(link), "response_mode"), Some("form_post"), "{link}");
    let (action, fields) = visit(link).await;
    let (_, page) = submit(&action, &fields).await;
    assert!(page.contains("Connected"), "{page}");
    assert_eq!(h.token(line["id"].as_str().unwrap()).await["status"], "active");
}
