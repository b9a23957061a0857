//! A mock identity provider that behaves like the built-in families'
//! providers: one server on 127.0.0.1 answering any token path, with the
//! provider's quirk chosen by [`Style`]. Besides the token endpoints it
//! speaks the providers' own revocation and validation APIs, errors in
//! their shapes: GitHub's OAuth app endpoints, Dropbox's token revoke,
//! Slack's `auth.revoke`, Zendesk's current-token delete, Google's
//! tokeninfo, Microsoft Graph's `/me` and Azure's subscriptions. Every
//! request is logged so a failing test shows what the provider saw.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha1::Sha1;

use crate::{CLIENT_ID, CLIENT_SECRET};

/// Trello's consumer as the mock knows it.
pub const CONSUMER_KEY: &str = "trello-key";
/// Its secret, with characters that must be percent-encoded in the key.
pub const CONSUMER_SECRET: &str = "trello secret&/";

/// How the provider answers token requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// RFC 6749 JSON; refresh tokens kept (Google, Microsoft, ...).
    Standard,
    /// Single-use refresh tokens: each refresh returns the next one and a
    /// reused one fails with `invalid_grant` (Box, GitLab, Atlassian,
    /// PingFederate's rolling policy).
    Rotating,
    /// GitHub: form-encoded unless `Accept: application/json`, errors
    /// with HTTP 200, no expiry.
    Github,
    /// Salesforce: `instance_url`, no `expires_in`, no new refresh token.
    Salesforce,
    /// Slack: `{"ok": false}` with HTTP 200 on errors, `authed_user`;
    /// token rotation on: the bot (`rt-<n>`) and the user (`urt-<n>`)
    /// tokens each expire and refresh with their own refresh token.
    Slack,
    /// Bitly: a form-encoded answer labelled `text/html`.
    Bitly,
}

/// One request the provider received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HashMap<String, String>,
    pub form: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    /// A form field.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A string field of a JSON body.
    pub fn json_field(&self, key: &str) -> Option<String> {
        let body: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        body.get(key)?.as_str().map(str::to_owned)
    }
}

#[derive(Default)]
struct State {
    seen: Vec<Request>,
    /// The generation of the current refresh token (`rt-<n>`).
    generation: u32,
    /// The generation of Slack's user token (`xoxp-user`, `xoxp-user-<n>`).
    user_generation: u32,
    revoked: Vec<String>,
}

/// A running mock provider.
#[derive(Clone)]
pub struct Provider {
    pub addr: SocketAddr,
    style: Style,
    state: Arc<Mutex<State>>,
}

impl Provider {
    /// Starts a provider with `style` on a free port of 127.0.0.1.
    pub async fn start(style: Style) -> Self {
        let state = Arc::new(Mutex::new(State { generation: 1, user_generation: 1, ..State::default() }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let provider = Self { addr: listener.local_addr().unwrap(), style, state };
        let handler = provider.clone();
        let app = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: String| {
            let provider = handler.clone();
            async move { provider.answer(method, uri, headers, body) }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        provider
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Request> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The last request to a path ending in `suffix`, or a panic listing
    /// what the provider saw.
    pub fn last(&self, suffix: &str) -> Request {
        let seen = self.seen();
        seen.iter().rev().find(|r| r.path.ends_with(suffix)).cloned().unwrap_or_else(|| {
            let paths: Vec<_> = seen.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
            panic!("no request to *{suffix}; the provider saw {paths:?}")
        })
    }

    /// The tokens revoked so far.
    pub fn revoked(&self) -> Vec<String> {
        self.state.lock().unwrap().revoked.clone()
    }

    fn answer(&self, method: Method, uri: Uri, headers: HeaderMap, body: String) -> Response {
        let path = uri.path().to_owned();
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        let header_map =
            headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned())).collect();
        let request =
            Request { method: method.to_string(), path: path.clone(), query, headers: header_map, form, body };
        self.state.lock().unwrap().seen.push(request.clone());
        if path.starts_with("/1/") {
            return self.trello(&request);
        }
        if let Some(answer) = self.provider_api(&request) {
            return answer;
        }
        if path.ends_with("accessible-resources") {
            return accessible_resources(&request);
        }
        if path.ends_with("/oauth/token/info") {
            return bearer_check(&request);
        }
        if path.contains("introspect") {
            return self.introspect(&request);
        }
        if path.contains("revoke") {
            return self.revoke(&request);
        }
        if method == Method::POST {
            return self.token(&request);
        }
        (StatusCode::NOT_FOUND, format!("the mock has no GET {path}")).into_response()
    }

    fn token(&self, request: &Request) -> Response {
        if !client_ok(request) {
            return self.error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
        }
        match request.field("grant_type").unwrap_or_default() {
            "authorization_code" if request.field("code") == Some("good-code") => self.issue(request, 1, true),
            // Slack, when the app asked for user scopes only.
            "authorization_code" if request.field("code") == Some("user-code") => self.issue(request, 1, false),
            "authorization_code" => self.error(StatusCode::BAD_REQUEST, "invalid_grant", "bad code"),
            "refresh_token"
                if self.style == Style::Slack
                    && request.field("refresh_token").is_some_and(|t| t.starts_with("urt-")) =>
            {
                self.slack_user_refresh(request)
            }
            "refresh_token" => {
                let presented = request.field("refresh_token").unwrap_or_default().to_owned();
                let mut state = self.state.lock().unwrap();
                let current = format!("rt-{}", state.generation);
                let rotating = self.style == Style::Rotating;
                // A kept refresh token stays good; a rotated one only in its latest generation.
                let usable = presented == current || (!rotating && presented == "rt-1");
                if !usable {
                    return self.error(StatusCode::BAD_REQUEST, "invalid_grant", "refresh token used or revoked");
                }
                if rotating {
                    state.generation += 1;
                }
                let generation = state.generation;
                drop(state);
                self.issue(request, generation, rotating)
            }
            "client_credentials" => self.issue(request, 1, false),
            other => self.error(StatusCode::BAD_REQUEST, "unsupported_grant_type", other),
        }
    }

    /// A token answer in the provider's shape.
    fn issue(&self, request: &Request, generation: u32, with_refresh: bool) -> Response {
        let access = format!("at-{generation}");
        let refresh = with_refresh.then(|| format!("rt-{generation}"));
        match self.style {
            Style::Standard | Style::Rotating => axum::Json(json!({
                "access_token": access, "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": refresh, "scope": request.field("scope"),
            }))
            .into_response(),
            Style::Salesforce => axum::Json(json!({
                "access_token": access, "token_type": "Bearer", "refresh_token": refresh,
                "instance_url": "https://acme.my.salesforce.com", "id": "https://login.salesforce.com/id/00D/005",
                "issued_at": "1700000000000", "signature": "sig",
            }))
            .into_response(),
            Style::Github => {
                let wants_json = request.headers.get("accept").is_some_and(|a| a.contains("application/json"));
                let fields = [("access_token", access.as_str()), ("token_type", "bearer"), ("scope", "repo,user")];
                if wants_json {
                    axum::Json(json!({"access_token": access, "token_type": "bearer", "scope": "repo,user"}))
                        .into_response()
                } else {
                    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
                    ([(header::CONTENT_TYPE, "application/x-www-form-urlencoded")], body).into_response()
                }
            }
            Style::Slack => {
                let user = json!({
                    "id": "U123", "scope": "search:read", "access_token": "xoxp-user", "token_type": "user",
                    "refresh_token": "urt-1", "expires_in": 43200,
                });
                // With bot scopes a bot token on top; with user scopes only, just authed_user.
                let bot_scopes = request.field("code") != Some("user-code");
                let mut body =
                    json!({"ok": true, "app_id": "A1", "team": {"id": "T9", "name": "Acme"}, "authed_user": user});
                if bot_scopes || request.field("grant_type") == Some("refresh_token") {
                    body["access_token"] = json!(access);
                    body["token_type"] = json!("bot");
                    body["bot_user_id"] = json!("B7");
                    body["scope"] = json!("chat:write");
                    body["refresh_token"] = json!(format!("rt-{generation}"));
                    body["expires_in"] = json!(43200);
                }
                if request.field("grant_type") == Some("refresh_token") {
                    body.as_object_mut().unwrap().remove("authed_user");
                }
                axum::Json(body).into_response()
            }
            Style::Bitly => {
                let body = format!("access_token={access}&login=ann&apiKey=k");
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
            }
        }
    }

    fn error(&self, status: StatusCode, code: &str, description: &str) -> Response {
        match self.style {
            Style::Github => {
                axum::Json(json!({"error": "bad_verification_code", "error_description": description})).into_response()
            }
            Style::Slack => {
                axum::Json(json!({"ok": false, "error": if code == "invalid_grant" { "invalid_code" } else { code }}))
                    .into_response()
            }
            _ => (status, axum::Json(json!({"error": code, "error_description": description}))).into_response(),
        }
    }

    /// Slack's refresh of a user token under rotation: the next user
    /// token at the top level, as `oauth.v2.access` answers it.
    fn slack_user_refresh(&self, request: &Request) -> Response {
        let mut state = self.state.lock().unwrap();
        if request.field("refresh_token") != Some(format!("urt-{}", state.user_generation).as_str()) {
            drop(state);
            return self.error(StatusCode::BAD_REQUEST, "invalid_refresh_token", "used or revoked");
        }
        state.user_generation += 1;
        let n = state.user_generation;
        axum::Json(json!({
            "ok": true, "access_token": format!("xoxp-user-{n}"), "token_type": "user",
            "refresh_token": format!("urt-{n}"), "expires_in": 43200, "scope": "search:read",
        }))
        .into_response()
    }

    /// Whether `token` is an access token this provider issued and nobody revoked.
    fn live(&self, token: &str) -> bool {
        (token.starts_with("at-") || token.starts_with("xoxp-user")) && !self.revoked().iter().any(|t| t == token)
    }

    /// The bearer token of a request, if any.
    fn bearer(request: &Request) -> Option<String> {
        request.headers.get("authorization").and_then(|v| v.strip_prefix("Bearer ")).map(str::to_owned)
    }

    /// The providers' own revocation and validation APIs, by path.
    fn provider_api(&self, request: &Request) -> Option<Response> {
        let path = request.path.as_str();
        let bearer = Self::bearer(request).filter(|t| self.live(t));
        let revoke = |token: String| self.state.lock().unwrap().revoked.push(token);
        Some(match path {
            // GitHub: the client's basic auth, the token in a JSON body.
            _ if path.starts_with("/applications/") => {
                if !client_ok(request) || path.split('/').nth(2) != Some(CLIENT_ID) {
                    let body = json!({"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest"});
                    return Some((StatusCode::UNAUTHORIZED, axum::Json(body)).into_response());
                }
                let token = request.json_field("access_token").filter(|t| self.live(t));
                match (request.method.as_str(), path.rsplit('/').next(), token) {
                    ("DELETE", Some("grant"), Some(token)) => {
                        revoke(token);
                        StatusCode::NO_CONTENT.into_response()
                    }
                    ("POST", Some("token"), Some(token)) => axum::Json(json!({
                        "id": 1, "token": token, "scopes": ["repo", "user"], "expires_at": null,
                        "user": {"login": "octocat", "id": 1},
                    }))
                    .into_response(),
                    _ => {
                        let body = json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"});
                        (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
                    }
                }
            }
            // Dropbox: the token as bearer; `null` on success.
            "/2/auth/token/revoke" => match bearer {
                Some(token) if request.method == "POST" => {
                    revoke(token);
                    axum::Json(serde_json::Value::Null).into_response()
                }
                _ => {
                    let body =
                        json!({"error_summary": "invalid_access_token/..", "error": {".tag": "invalid_access_token"}});
                    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
                }
            },
            // Slack: HTTP 200 either way, `ok` says which.
            _ if path.ends_with("/api/auth.revoke") => match bearer {
                Some(token) => {
                    revoke(token);
                    axum::Json(json!({"ok": true, "revoked": true})).into_response()
                }
                None => axum::Json(json!({"ok": false, "error": "invalid_auth"})).into_response(),
            },
            // Zendesk: the token revokes itself.
            _ if path.ends_with("/api/v2/oauth/tokens/current.json") => match bearer {
                Some(token) if request.method == "DELETE" => {
                    revoke(token);
                    StatusCode::NO_CONTENT.into_response()
                }
                _ => {
                    let body = json!({"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons."});
                    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
                }
            },
            // Google: the token posted as access_token.
            _ if path.ends_with("/tokeninfo") => match request.field("access_token").filter(|t| self.live(t)) {
                Some(_) => axum::Json(json!({
                    "azp": CLIENT_ID, "aud": CLIENT_ID, "sub": "1234", "scope": "https://mail.google.com/",
                    "exp": "1900000000", "expires_in": "3599", "email": "ann@example.com", "email_verified": "true",
                }))
                .into_response(),
                None => (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"error": "invalid_token", "error_description": "Invalid Value"})),
                )
                    .into_response(),
            },
            // Microsoft Graph and Azure Resource Manager: the token as bearer.
            _ if path.ends_with("/v1.0/me") || path.ends_with("/subscriptions") => match bearer {
                Some(_) if path.ends_with("/me") => {
                    axum::Json(json!({"id": "u-1", "userPrincipalName": "ann@contoso.com"})).into_response()
                }
                Some(_) => axum::Json(json!({"value": []})).into_response(),
                None => {
                    let body = json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}});
                    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
                }
            },
            _ => return None,
        })
    }

    /// RFC 7662: active for issued access tokens not revoked.
    fn introspect(&self, request: &Request) -> Response {
        if !client_ok(request) {
            return self.error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
        }
        let token = request.field("token").unwrap_or_default();
        let active = token.starts_with("at-") && !self.revoked().iter().any(|t| t == token);
        if active {
            axum::Json(json!({"active": true, "scope": "WINDCHILL_READ", "sub": "ann", "client_id": CLIENT_ID}))
                .into_response()
        } else {
            axum::Json(json!({"active": false})).into_response()
        }
    }

    /// RFC 7009: records the token.
    fn revoke(&self, request: &Request) -> Response {
        if !client_ok(request) {
            return self.error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
        }
        let token = request.field("token").unwrap_or_default().to_owned();
        self.state.lock().unwrap().revoked.push(token);
        StatusCode::OK.into_response()
    }

    /// Trello's OAuth 1.0a endpoints, checking each signature.
    fn trello(&self, request: &Request) -> Response {
        let oauth = oauth_header(request.headers.get("authorization").map(String::as_str).unwrap_or_default());
        let field = |k: &str| oauth.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let check = |token_secret: &str| {
            let url = format!("http://{}{}", self.addr, request.path);
            field("oauth_consumer_key") == Some(CONSUMER_KEY)
                && field("oauth_signature_method") == Some("HMAC-SHA1")
                && field("oauth_signature") == Some(signature(&request.method, &url, &oauth, token_secret).as_str())
        };
        let form = |pairs: &[(&str, &str)]| {
            let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
        };
        let unauthorized = |why: &str| (StatusCode::UNAUTHORIZED, format!("invalid signature: {why}")).into_response();
        match request.path.as_str() {
            "/1/OAuthGetRequestToken" if field("oauth_callback").is_some() && check("") => form(&[
                ("oauth_token", "req-token"),
                ("oauth_token_secret", "req secret/"),
                ("oauth_callback_confirmed", "true"),
            ]),
            "/1/OAuthGetRequestToken" => unauthorized("request token"),
            "/1/OAuthGetAccessToken"
                if field("oauth_token") == Some("req-token")
                    && field("oauth_verifier") == Some("verifier-1")
                    && check("req secret/") =>
            {
                form(&[("oauth_token", "access-token"), ("oauth_token_secret", "access-secret")])
            }
            "/1/OAuthGetAccessToken" => unauthorized("access token"),
            "/1/members/me" => {
                let token = request.query.iter().find(|(k, _)| k == "token").map(|(_, v)| v.as_str());
                match token {
                    Some("access-token") => axum::Json(json!({"id": "m1", "username": "ann"})).into_response(),
                    _ => (StatusCode::UNAUTHORIZED, "invalid token").into_response(),
                }
            }
            other => (StatusCode::NOT_FOUND, format!("no {other}")).into_response(),
        }
    }
}

/// The client's id and secret, from HTTP Basic or the form body.
/// Whether the client authenticated: a secret (Basic or form), or a
/// client assertion signed with the fixture key for this token endpoint.
fn client_ok(request: &Request) -> bool {
    if let Some(assertion) = request.field("client_assertion") {
        let host = request.headers.get("host").map(String::as_str).unwrap_or_default();
        let audience = format!("http://{host}{}", request.path);
        return crate::fixture_assertion_client(assertion, &audience).is_ok_and(|client| client == CLIENT_ID);
    }
    let basic = request
        .headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let decode = |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    let (id, secret) = match basic {
        Some(pair) => {
            let (id, secret) = pair.split_once(':').unwrap_or((&pair, ""));
            (decode(id), decode(secret))
        }
        None => (request.field("client_id").map(str::to_owned), request.field("client_secret").map(str::to_owned)),
    };
    id.as_deref() == Some(CLIENT_ID) && secret.as_deref() == Some(CLIENT_SECRET)
}

/// Atlassian's sites for the token.
fn accessible_resources(request: &Request) -> Response {
    match request.headers.get("authorization").map(String::as_str) {
        Some(auth) if auth.starts_with("Bearer at-") => axum::Json(json!([
            {"id": "cloud-1234", "url": "https://acme.atlassian.net", "name": "acme", "scopes": ["read:jira-work"]}
        ]))
        .into_response(),
        _ => (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": 401, "message": "Unauthorized"}))).into_response(),
    }
}

/// 200 for an issued bearer token, 401 otherwise (GitLab's token info).
fn bearer_check(request: &Request) -> Response {
    match request.headers.get("authorization").map(String::as_str) {
        Some(auth) if auth.starts_with("Bearer at-") => axum::Json(json!({"resource_owner_id": 1})).into_response(),
        _ => (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_token"}))).into_response(),
    }
}

/// The fields of an `Authorization: OAuth k="v", ...` header, decoded.
fn oauth_header(value: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode(s.trim().trim_matches('"'));
    value
        .strip_prefix("OAuth ")
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 5849 percent-encoding, written apart from the SDK's on purpose.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The HMAC-SHA1 signature of a request without query or body parameters.
fn signature(method: &str, url: &str, oauth: &[(String, String)], token_secret: &str) -> String {
    let mut params: Vec<(String, String)> = oauth
        .iter()
        .filter(|(k, _)| k != "oauth_signature" && k != "realm")
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    params.sort();
    let normalized = params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let base = format!("{method}&{}&{}", encode(url), encode(&normalized));
    let mut mac =
        Hmac::<Sha1>::new_from_slice(format!("{}&{}", encode(CONSUMER_SECRET), encode(token_secret)).as_bytes())
            .expect("any key length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
