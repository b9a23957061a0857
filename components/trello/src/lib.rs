//! Trello, an OAuth 1.0a provider: a request token, the user's approval
//! (with `expiration` and `scope`), then an access token for the verifier,
//! every request signed with HMAC-SHA1. The request token's secret is the
//! auth link's pending data; the access token's secret is kept with the
//! token (`oauth_token_secret`), since flows sign their calls with it.

use flowauth_sdk::declaration::Field;
use flowauth_sdk::http::Request;
use flowauth_sdk::oauth1::{Signer, token_pair};
use flowauth_sdk::token::parse_error;
use flowauth_sdk::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, Provider, ProviderError, TokenSet,
    Validation, error, form, pairs,
};

const BASE_URL: &str = "https://trello.com";
const API_URL: &str = "https://api.trello.com";

const SETTINGS: [Field; 6] = [
    Field::required("CONSUMER_KEY", "The API key from https://trello.com/app-key"),
    Field::secret("CONSUMER_SECRET", "The OAuth secret shown under the API key"),
    Field::default("BASE_URL", BASE_URL, "Moves the OAuth endpoints (tests); their paths are kept"),
    Field::default("APP_NAME", "ThingWorx Flow", "The name users see on Trello's approval page"),
    Field::default("EXPIRATION", "never", "How long tokens last: 1hour, 1day, 30days or never"),
    Field::default("SCOPE", "read,write", "Comma-separated: read, write, account"),
];

/// The Trello family.
pub struct Trello;

impl Provider for Trello {
    fn connectors() -> Vec<Connector> {
        vec![Connector {
            name: "trello".into(),
            title: "Trello".into(),
            oauth_version: 1,
            grants: vec![Grant::AuthorizationCode],
            settings: SETTINGS.iter().map(Field::setting).collect(),
            inputs: Vec::new(),
            scopes: [("read", "Read boards, lists and cards"), ("write", "Change them"), ("account", "Your account")]
                .iter()
                .map(|(s, d)| (s.to_string(), d.to_string()))
                .collect(),
            hosts: vec!["trello.com".into(), "api.trello.com".into()],
            pkce: false,
        }]
    }

    /// Gets a request token (the callback carries the host's `state`) and
    /// sends the user to approve it.
    fn build_auth_url(client: Client, req: AuthRequest) -> Result<AuthLink, OauthError> {
        let settings = Settings(&client.settings);
        let callback = form::append_query(&req.redirect_uri, &[("state".into(), req.state.clone())]);
        let response = settings
            .signer(None)?
            .post(&settings.url("/1/OAuthGetRequestToken"), &[("oauth_callback".into(), callback)])?;
        let (token, secret) = token_pair(&response)?;
        let scope = if req.scopes.is_empty() { settings.get("SCOPE") } else { req.scopes.join(",") };
        let mut query = vec![
            ("oauth_token".to_owned(), token.clone()),
            ("name".to_owned(), settings.get("APP_NAME")),
            ("expiration".to_owned(), settings.get("EXPIRATION")),
            ("scope".to_owned(), scope),
        ];
        for (key, value) in &req.extra {
            pairs::set(&mut query, key, value.clone());
        }
        let pending = form::encode(&[("oauth_token".to_owned(), token), ("oauth_token_secret".to_owned(), secret)]);
        Ok(AuthLink {
            url: form::append_query(&settings.url("/1/OAuthAuthorizeToken"), &query),
            pending: Some(pending),
        })
    }

    /// Trades the approved request token and its verifier for an access token.
    fn exchange_code(client: Client, cb: Callback) -> Result<TokenSet, OauthError> {
        let settings = Settings(&client.settings);
        let Some(verifier) = pairs::get(&cb.query, "oauth_verifier") else {
            return Err(OauthError::Rejected(ProviderError {
                status: 400,
                code: "access_denied".into(),
                description: Some("Trello redirected back without oauth_verifier: the user did not approve".into()),
            }));
        };
        let pending = form::decode(cb.pending.as_deref().unwrap_or_default().as_bytes());
        let (Some(token), Some(secret)) =
            (pairs::get(&pending, "oauth_token"), pairs::get(&pending, "oauth_token_secret"))
        else {
            return Err(error::protocol("the request token of this authorization is missing: start it again"));
        };
        if pairs::get(&cb.query, "oauth_token").is_some_and(|t| t != token) {
            return Err(error::protocol("Trello returned another request token than the one this authorization got"));
        }
        let signer = settings.signer(Some((token, secret)))?;
        let response =
            signer.post(&settings.url("/1/OAuthGetAccessToken"), &[("oauth_verifier".into(), verifier.into())])?;
        let (access, access_secret) = token_pair(&response)?;
        Ok(TokenSet {
            access_token: access,
            token_type: "OAuth".into(),
            refresh_token: None,
            expires_in: None,
            scope: None,
            id_token: None,
            extra: vec![("oauth_token_secret".into(), access_secret)],
        })
    }

    fn refresh(_: Client, _: String, _: Vec<String>, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        Err(error::unsupported("Trello tokens do not refresh: authorize again (EXPIRATION=never keeps them valid)"))
    }

    fn request_token(_: Client, grant: Grant, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        Err(error::unsupported(format!("Trello offers only the three-legged OAuth 1.0a flow, not {grant:?}")))
    }

    /// Asks for the token's own member: 401 means it was revoked or expired.
    fn validate(client: Client, token: TokenSet) -> Result<Validation, OauthError> {
        let settings = Settings(&client.settings);
        let url = form::append_query(&settings.api("/1/members/me"), &settings.key_and_token(&token.access_token)?);
        let response = Request::get(&url).send()?;
        match response.status() {
            200..=299 => Ok(Validation { active: true, expires_in: None, scope: None, subject: None }),
            400 | 401 => Ok(Validation { active: false, expires_in: None, scope: None, subject: None }),
            _ => Err(parse_error(&response)),
        }
    }

    fn revoke(client: Client, token: TokenSet) -> Result<(), OauthError> {
        let settings = Settings(&client.settings);
        let path = format!("/1/tokens/{}", token.access_token);
        let url = form::append_query(&settings.api(&path), &settings.key_and_token(&token.access_token)?);
        let response = Request::new("DELETE", &url).send()?;
        if response.is_success() { Ok(()) } else { Err(parse_error(&response)) }
    }
}

/// The provider's settings, read the way the load file may write them.
struct Settings<'a>(&'a [(String, String)]);

impl Settings<'_> {
    /// A setting or its declared default.
    fn get(&self, key: &str) -> String {
        let default = SETTINGS.iter().find(|f| f.key == key).and_then(|f| f.default).unwrap_or_default();
        pairs::get_ignore_case(self.0, key).unwrap_or(default).to_owned()
    }

    /// The consumer, from `CONSUMER_KEY` (or `CLIENT_ID`, for a token's own keys).
    fn signer<'t>(&'t self, token: Option<(&'t str, &'t str)>) -> Result<Signer<'t>, OauthError> {
        let either = |a: &str, b: &str| pairs::get_ignore_case(self.0, a).or_else(|| pairs::get_ignore_case(self.0, b));
        let consumer_key =
            either("CONSUMER_KEY", "CLIENT_ID").ok_or_else(|| error::config("CONSUMER_KEY is not set"))?;
        let consumer_secret =
            either("CONSUMER_SECRET", "CLIENT_SECRET").ok_or_else(|| error::config("CONSUMER_SECRET is not set"))?;
        Ok(Signer { consumer_key, consumer_secret, token })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.get("BASE_URL").trim_end_matches('/'))
    }

    /// The REST API, or `BASE_URL` when an admin moved the endpoints.
    fn api(&self, path: &str) -> String {
        match pairs::get_ignore_case(self.0, "BASE_URL") {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => format!("{API_URL}{path}"),
        }
    }

    fn key_and_token(&self, token: &str) -> Result<Vec<(String, String)>, OauthError> {
        let key = self.signer(None)?.consumer_key.to_owned();
        Ok(vec![("key".into(), key), ("token".into(), token.to_owned())])
    }
}

#[cfg(target_arch = "wasm32")]
flowauth_sdk::export!(Trello);
