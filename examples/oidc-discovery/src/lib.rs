//! An OpenID Connect provider named only by its issuer: every call reads
//! `{ISSUER}/.well-known/openid-configuration` (OpenID Connect Discovery
//! 1.0) for the authorization and token endpoints, and uses PKCE (S256)
//! when the provider lists it in `code_challenge_methods_supported`.
//!
//! The issuer is an admin setting, so its host (and port) is allowed for
//! the call; endpoints on other hosts must be approved at install
//! (`flowauth component install --allow-host`).

use flowauth_sdk::client_auth::ClientAuth;
use flowauth_sdk::http::Request;
use flowauth_sdk::token::parse_token_response;
use flowauth_sdk::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, Provider, Setting, TokenSet, Validation,
    error, form, pairs,
};
use serde_json::Value;

/// Put in every token set's `extra`, so a caller can tell which build
/// served it.
const SERVED_BY: &str = concat!("oidc-discovery/", env!("CARGO_PKG_VERSION"));

struct OidcDiscovery;

/// What discovery tells us.
struct Metadata {
    authorization_endpoint: String,
    token_endpoint: String,
    pkce_s256: bool,
}

fn setting<'a>(client: &'a Client, key: &str) -> Result<&'a str, OauthError> {
    pairs::get_ignore_case(&client.settings, key)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| error::config(format!("{key} is not set")))
}

/// Reads the provider's discovery document and checks it names the issuer
/// it was fetched from (OpenID Connect Discovery 1.0, section 4.3).
fn discover(client: &Client) -> Result<Metadata, OauthError> {
    let issuer = setting(client, "ISSUER")?.trim_end_matches('/');
    let url = format!("{issuer}/.well-known/openid-configuration");
    let response = Request::get(&url).header("accept", "application/json").send()?;
    if !response.is_success() {
        return Err(error::protocol(format!("discovery at {url} answered HTTP {}", response.status())));
    }
    let document: Value =
        response.json().ok_or_else(|| error::protocol(format!("discovery at {url} did not answer JSON")))?;
    let text = |key: &str| {
        document[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| error::protocol(format!("the discovery document has no {key}")))
    };
    if text("issuer")?.trim_end_matches('/') != issuer {
        return Err(error::protocol(format!("the discovery document names another issuer than {issuer}")));
    }
    let pkce_s256 = document["code_challenge_methods_supported"]
        .as_array()
        .is_some_and(|methods| methods.iter().any(|m| m.as_str() == Some("S256")));
    Ok(Metadata {
        authorization_endpoint: text("authorization_endpoint")?,
        token_endpoint: text("token_endpoint")?,
        pkce_s256,
    })
}

fn token_request(client: &Client, mut fields: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
    let metadata = discover(client)?;
    let secret = pairs::get_ignore_case(&client.settings, "CLIENT_SECRET");
    let request = Request::post(&metadata.token_endpoint);
    let request = ClientAuth::Basic.apply(request, &mut fields, setting(client, "CLIENT_ID")?, secret)?;
    let mut tokens = parse_token_response(&request.form(&fields).send()?)?;
    tokens.extra.push(("served_by".into(), SERVED_BY.into()));
    Ok(tokens)
}

impl Provider for OidcDiscovery {
    fn connectors() -> Vec<Connector> {
        let setting = |key: &str, secret: bool, description: &str| Setting {
            key: key.into(),
            required: true,
            secret,
            description: description.into(),
            default: None,
        };
        vec![Connector {
            name: "oidc".into(),
            title: "OpenID Connect (discovery)".into(),
            oauth_version: 2,
            grants: vec![Grant::AuthorizationCode, Grant::RefreshToken],
            settings: vec![
                setting("ISSUER", false, "the issuer URL; its /.well-known/openid-configuration is read"),
                setting("CLIENT_ID", false, "the client id registered at the provider"),
                setting("CLIENT_SECRET", true, "the client secret"),
            ],
            inputs: vec![],
            scopes: vec![("openid".into(), "Sign in".into()), ("offline_access".into(), "Refresh tokens".into())],
            hosts: vec![],
            pkce: true,
        }]
    }

    fn build_auth_url(client: Client, req: AuthRequest) -> Result<AuthLink, OauthError> {
        let metadata = discover(&client)?;
        let mut query = vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), setting(&client, "CLIENT_ID")?.to_owned()),
            ("redirect_uri".into(), req.redirect_uri),
            ("scope".into(), req.scopes.join(" ")),
            ("state".into(), req.state),
        ];
        if let Some(challenge) = req.code_challenge.filter(|_| metadata.pkce_s256) {
            query.push(("code_challenge".into(), challenge));
            query.push(("code_challenge_method".into(), "S256".into()));
        }
        query.extend(req.extra);
        Ok(AuthLink { url: form::append_query(&metadata.authorization_endpoint, &query), pending: None })
    }

    fn exchange_code(client: Client, callback: Callback) -> Result<TokenSet, OauthError> {
        if let Some(refused) = pairs::get(&callback.query, "error") {
            return Err(error::protocol(format!("the provider refused the authorization: {refused}")));
        }
        let code = pairs::get(&callback.query, "code").ok_or_else(|| error::protocol("no code in the callback"))?;
        let mut fields = vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.to_owned()),
            ("redirect_uri".into(), callback.redirect_uri),
        ];
        fields.extend(callback.code_verifier.map(|v| ("code_verifier".to_owned(), v)));
        token_request(&client, fields)
    }

    fn refresh(
        client: Client,
        refresh_token: String,
        _: Vec<String>,
        _: Vec<(String, String)>,
    ) -> Result<TokenSet, OauthError> {
        token_request(
            &client,
            vec![("grant_type".into(), "refresh_token".into()), ("refresh_token".into(), refresh_token)],
        )
    }

    fn request_token(_: Client, _: Grant, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        Err(error::unsupported("oidc-discovery serves the authorization code flow only"))
    }

    fn validate(_: Client, _: TokenSet) -> Result<Validation, OauthError> {
        Err(error::unsupported("oidc-discovery does not validate tokens"))
    }

    fn revoke(_: Client, _: TokenSet) -> Result<(), OauthError> {
        Err(error::unsupported("oidc-discovery does not revoke tokens"))
    }
}

flowauth_sdk::export!(OidcDiscovery);
