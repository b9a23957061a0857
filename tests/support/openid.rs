//! An OpenID provider for the hybrid flow (`response_type=code id_token`,
//! `response_mode=form_post`): discovery, a JWKS, an authorization
//! endpoint that answers with a page which posts the code and a signed ID
//! token back (as a browser would submit it), and a token endpoint. It
//! signs with fixture keys (RS256 or ES256), can rotate them, and can
//! spoil its ID tokens one way at a time, as misbehaving or attacked
//! providers do. Its counters say what flowauth fetched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{CLIENT_ID, CLIENT_SECRET, client_credentials};

/// A fixture signing key with its key id.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    /// The public half, as the JWKS lists it.
    jwk: Value,
}

impl SigningKey {
    /// `tests/fixtures/oidc-rs256-{name}.pem` (`a` or `b`).
    pub fn rs256(name: &str) -> Self {
        Self::load(&format!("oidc-rs256-{name}.pem"), Algorithm::RS256, &format!("rsa-{name}"))
    }

    /// `tests/fixtures/oidc-es256.pem`.
    pub fn es256() -> Self {
        Self::load("oidc-es256.pem", Algorithm::ES256, "ec-1")
    }

    /// This key under another key id: published nowhere.
    pub fn renamed(&self, kid: &str) -> Self {
        let mut key = self.clone();
        key.kid = kid.to_owned();
        key.jwk["kid"] = json!(kid);
        key
    }

    fn load(file: &str, alg: Algorithm, kid: &str) -> Self {
        let pem = std::fs::read(format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let encoding = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
            _ => EncodingKey::from_rsa_pem(&pem),
        }
        .unwrap();
        let mut jwk = serde_json::to_value(Jwk::from_encoding_key(&encoding, alg).unwrap()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        Self { kid: kid.to_owned(), alg, encoding, jwk }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// How the front-channel ID tokens are spoiled (the token endpoint's stay sound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Sound.
    None,
    /// Another nonce than the one the link sent.
    WrongNonce,
    /// The `c_hash` of another code.
    WrongCHash,
    /// Expired ten minutes ago.
    Expired,
    /// Signed by another key than the one its key id names.
    ForeignSignature,
    /// For another client.
    WrongAudience,
}

/// What the provider saw and does.
struct Shared {
    issuer: String,
    published: Vec<SigningKey>,
    signing: SigningKey,
    flaw: Flaw,
    /// The nonce of each code handed out.
    codes: HashMap<String, String>,
    discoveries: u32,
    key_fetches: u32,
    exchanges: u32,
}

/// A running OpenID provider on 127.0.0.1.
#[derive(Clone)]
pub struct OpenIdProvider {
    /// `http://127.0.0.1:PORT`: the issuer.
    pub issuer: String,
    shared: Arc<Mutex<Shared>>,
}

impl OpenIdProvider {
    /// Publishes and signs with `key`.
    pub async fn start(key: SigningKey) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Mutex::new(Shared {
            issuer: issuer.clone(),
            published: vec![key.clone()],
            signing: key,
            flaw: Flaw::None,
            codes: HashMap::new(),
            discoveries: 0,
            key_fetches: 0,
            exchanges: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { issuer, shared }
    }

    /// Signs from now on with `key`, publishing `published`.
    pub fn rotate(&self, key: SigningKey, published: Vec<SigningKey>) {
        let mut shared = self.shared.lock().unwrap();
        (shared.signing, shared.published) = (key, published);
    }

    /// Spoils the next front-channel ID tokens.
    pub fn spoil(&self, flaw: Flaw) {
        self.shared.lock().unwrap().flaw = flaw;
    }

    /// Discovery documents served.
    pub fn discoveries(&self) -> u32 {
        self.shared.lock().unwrap().discoveries
    }

    /// Key sets served.
    pub fn key_fetches(&self) -> u32 {
        self.shared.lock().unwrap().key_fetches
    }

    /// Codes exchanged at the token endpoint.
    pub fn exchanges(&self) -> u32 {
        self.shared.lock().unwrap().exchanges
    }
}

async fn discovery(State(shared): State<Arc<Mutex<Shared>>>) -> Response {
    let mut shared = shared.lock().unwrap();
    shared.discoveries += 1;
    let issuer = shared.issuer.clone();
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code", "code id_token"],
        "response_modes_supported": ["query", "form_post"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "subject_types_supported": ["public"],
    }))
    .into_response()
}

async fn jwks(State(shared): State<Arc<Mutex<Shared>>>) -> Response {
    let mut shared = shared.lock().unwrap();
    shared.key_fetches += 1;
    let keys: Vec<Value> = shared.published.iter().map(|k| k.jwk.clone()).collect();
    axum::Json(json!({ "keys": keys })).into_response()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The left half of the code's SHA-256, base64url (OpenID Connect Core 3.3.2.11).
fn c_hash(code: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(code.as_bytes())[..16])
}

fn claims(issuer: &str, nonce: &str) -> Value {
    json!({"iss": issuer, "sub": "user-1", "aud": CLIENT_ID, "iat": now(), "exp": now() + 300, "nonce": nonce})
}

/// Approves at once: a page whose form posts the code, the ID token and
/// the state to the redirect URI. A request that is not a hybrid
/// form_post one is answered 400 saying what is missing.
async fn authorize(State(shared): State<Arc<Mutex<Shared>>>, Query(query): Query<HashMap<String, String>>) -> Response {
    let field = |key: &str| query.get(key).map(String::as_str).unwrap_or_default();
    let scopes: Vec<&str> = field("scope").split(' ').collect();
    let wrong = [
        (field("response_type") != "code id_token", "response_type must be `code id_token`"),
        (field("response_mode") != "form_post", "response_mode must be form_post"),
        (field("nonce").is_empty(), "a nonce is required"),
        (!scopes.contains(&"openid"), "the scope must hold openid"),
        (field("client_id") != CLIENT_ID, "unknown client_id"),
    ];
    if let Some((_, why)) = wrong.iter().find(|(wrong, _)| *wrong) {
        return (StatusCode::BAD_REQUEST, format!("{why}: {query:?}")).into_response();
    }
    let mut shared = shared.lock().unwrap();
    let code = format!("hybrid-code-{}", shared.codes.len() + 1);
    shared.codes.insert(code.clone(), field("nonce").to_owned());
    let mut claims = claims(&shared.issuer, field("nonce"));
    claims["c_hash"] = json!(c_hash(&code));
    let mut signer = shared.signing.clone();
    match shared.flaw {
        Flaw::None => {}
        Flaw::WrongNonce => claims["nonce"] = json!("a-nonce-of-another-authorization"),
        Flaw::WrongCHash => claims["c_hash"] = json!(c_hash("another-code")),
        Flaw::Expired => claims["exp"] = json!(now() - 600),
        Flaw::WrongAudience => claims["aud"] = json!("another-client"),
        Flaw::ForeignSignature => {
            let other = if signer.kid == "rsa-b" { SigningKey::rs256("a") } else { SigningKey::rs256("b") };
            signer = other.renamed(&signer.kid);
        }
    }
    let fields = [("code", code.as_str()), ("id_token", &signer.sign(&claims)), ("state", field("state"))];
    let inputs: String = fields
        .iter()
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value)))
        .collect();
    Html(format!(
        "<!doctype html><html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><button>Continue</button></noscript></form></body></html>",
        escape(field("redirect_uri"))
    ))
    .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

fn refused(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": code}))).into_response()
}

/// Exchanges a code once, answering tokens and a sound ID token.
async fn token(State(shared): State<Arc<Mutex<Shared>>>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let (id, secret) = client_credentials(&headers, &form);
    if id.as_deref() != Some(CLIENT_ID) || secret.as_deref() != Some(CLIENT_SECRET) {
        return refused("invalid_client");
    }
    let mut shared = shared.lock().unwrap();
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {}
        Some("refresh_token") if form.get("refresh_token").is_some_and(|t| t.starts_with("hybrid-rt-")) => {
            return axum::Json(
                json!({"access_token": "hybrid-at-refreshed", "token_type": "Bearer", "expires_in": 3600}),
            )
            .into_response();
        }
        _ => return refused("unsupported_grant_type"),
    }
    let Some(nonce) = form.get("code").and_then(|code| shared.codes.remove(code)) else {
        return refused("invalid_grant");
    };
    shared.exchanges += 1;
    let n = shared.exchanges;
    let id_token = shared.signing.sign(&claims(&shared.issuer, &nonce));
    axum::Json(json!({"access_token": format!("hybrid-at-{n}"), "token_type": "Bearer", "expires_in": 3600,
                      "refresh_token": format!("hybrid-rt-{n}"), "id_token": id_token}))
    .into_response()
}

/// A browser at the provider: follows an auth link and reads the form the
/// page would submit (its action and fields).
pub async fn visit(auth_link: &str) -> (String, Vec<(String, String)>) {
    let response = reqwest::get(auth_link).await.unwrap();
    let status = response.status();
    let page = response.text().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK, "the provider refused the auth link {auth_link}: {page}");
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let value = &tag[start..start + tag[start..].find('"')?];
        Some(value.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    };
    let form = &page[page.find("<form").expect("a form")..];
    let action = attribute(&form[..form.find('>').unwrap()], "action").expect("the form's action");
    let fields = form
        .split("<input ")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            (attribute(tag, "name").unwrap(), attribute(tag, "value").unwrap_or_default())
        })
        .collect();
    (action, fields)
}

/// Submits a form as the browser does (`application/x-www-form-urlencoded`).
pub async fn submit(action: &str, fields: &[(String, String)]) -> (reqwest::StatusCode, String) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    post_as(action, "application/x-www-form-urlencoded", body).await
}

/// Posts `body` as `content_type`; the answer's status and text.
pub async fn post_as(url: &str, content_type: &str, body: String) -> (reqwest::StatusCode, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}
