//! An OpenID Connect provider that publishes its endpoints by discovery
//! (`/.well-known/openid-configuration`), approves at once, checks PKCE
//! (S256) and client authentication (HTTP Basic), and issues numbered
//! tokens. The token endpoint may live on another port, to test that a
//! component reaches only the host and port it was granted.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::json;

use crate::{CLIENT_ID, CLIENT_SECRET};

/// What the provider saw and handed out.
#[derive(Debug, Default)]
pub struct Seen {
    /// Discovery documents served.
    pub discoveries: u32,
    /// `code_challenge` by authorization code handed out.
    challenges: HashMap<String, Option<String>>,
    /// Token requests answered, by grant type.
    pub grants: Vec<String>,
    issued: u32,
}

#[derive(Clone)]
struct Oidc {
    issuer: String,
    token_base: String,
    seen: Arc<Mutex<Seen>>,
}

/// A running discovery provider.
pub struct DiscoveryIdp {
    /// `http://127.0.0.1:PORT`: the issuer.
    pub issuer: String,
    /// Where the token endpoint is served (the issuer, or another port).
    pub token_addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

impl DiscoveryIdp {
    /// Everything on one port.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// The token endpoint on a second port of 127.0.0.1.
    pub async fn start_with_token_elsewhere() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(token_elsewhere: bool) -> Self {
        let main = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", main.local_addr().unwrap());
        let second =
            if token_elsewhere { Some(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()) } else { None };
        let token_addr = second.as_ref().map_or(main.local_addr().unwrap(), |l| l.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = Oidc { issuer: issuer.clone(), token_base: format!("http://{token_addr}"), seen: seen.clone() };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(state);
        if let Some(second) = second {
            let app = app.clone();
            tokio::spawn(async move { axum::serve(second, app).await.unwrap() });
        }
        tokio::spawn(async move { axum::serve(main, app).await.unwrap() });
        Self { issuer, token_addr, seen }
    }

    /// Discovery documents served so far.
    pub fn discoveries(&self) -> u32 {
        self.seen.lock().unwrap().discoveries
    }

    /// Grant types of the token requests answered so far.
    pub fn grants(&self) -> Vec<String> {
        self.seen.lock().unwrap().grants.clone()
    }
}

async fn discovery(State(oidc): State<Oidc>) -> Response {
    oidc.seen.lock().unwrap().discoveries += 1;
    axum::Json(json!({
        "issuer": oidc.issuer,
        "authorization_endpoint": format!("{}/authorize", oidc.issuer),
        "token_endpoint": format!("{}/token", oidc.token_base),
        "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"],
    }))
    .into_response()
}

async fn authorize(State(oidc): State<Oidc>, Query(query): Query<HashMap<String, String>>) -> Response {
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    let state = query.get("state").cloned().unwrap_or_default();
    let mut seen = oidc.seen.lock().unwrap();
    let code = format!("code-{}", seen.challenges.len() + 1);
    let challenge =
        query.get("code_challenge").filter(|_| query.get("code_challenge_method").is_some_and(|m| m == "S256"));
    seen.challenges.insert(code.clone(), challenge.cloned());
    let target = format!(
        "{redirect}?code={code}&state={}",
        url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
    );
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

fn refused(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": code}))).into_response()
}

async fn token(State(oidc): State<Oidc>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            url::form_urlencoded::byte_serialize(CLIENT_ID.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect::<String>()
        ))
    );
    let plain =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if presented != expected && presented != plain {
        return refused("invalid_client");
    }
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    let mut seen = oidc.seen.lock().unwrap();
    match grant.as_str() {
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(challenge) = seen.challenges.remove(&code) else { return refused("invalid_grant") };
            let verified = match (challenge, form.get("code_verifier")) {
                (Some(challenge), Some(verifier)) => flowauth::pkce::challenge_s256(verifier) == challenge,
                (None, None) => true,
                _ => false,
            };
            if !verified {
                return refused("invalid_grant");
            }
        }
        "refresh_token" if form.get("refresh_token").is_some_and(|t| t.starts_with("oidc-rt-")) => {}
        "refresh_token" => return refused("invalid_grant"),
        _ => return refused("unsupported_grant_type"),
    }
    seen.grants.push(grant);
    seen.issued += 1;
    let n = seen.issued;
    axum::Json(json!({"access_token": format!("oidc-at-{n}"), "token_type": "Bearer", "expires_in": 3600,
                      "refresh_token": format!("oidc-rt-{n}")}))
    .into_response()
}
