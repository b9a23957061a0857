//! Slack apps (OAuth v2). Quirks: Slack's API answers HTTP 200 with
//! `{"ok": false, "error": ...}` when it fails; user scopes go in
//! `user_scope` beside `scope`, and the user's token comes nested under
//! `authed_user`; scopes are comma-separated.
//!
//! An app with bot and user scopes gets two tokens from one authorization:
//! the bot token is the token's access token, the user token is kept
//! beside it as the further token `user` (see the SDK's `alternates`), which
//! a flow step asks for with `which=user`. With token rotation both expire
//! and refresh together; `auth.revoke` is called with each.

use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::{Declaration, Field, Revoke};
use flowauth_sdk::http::Response;
use flowauth_sdk::standard::{Family, refresh_with};
use flowauth_sdk::token::parse_error;
use flowauth_sdk::{OauthError, ProviderError, TokenSet, alternates, error};
use serde_json::{Map, Value};

/// The Slack family.
pub struct Slack;

/// The name a flow step gives for the user token (`which=user`).
const USER: &str = "user";

impl Family for Slack {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "slack",
        title: "Slack",
        base_url: "https://slack.com",
        authorize: "/oauth/v2/authorize",
        token: "/api/oauth.v2.access",
        revoke: Revoke::Bearer("POST", "/api/auth.revoke"),
        scope_separator: ",",
        authorize_params: &[("user_scope", "{user_scope}")],
        settings: &[Field::optional("USER_SCOPE", "Comma-separated scopes the app asks for as the user")],
        inputs: &[Field::optional("user_scope", "User scopes for this token, when they differ from USER_SCOPE")],
        scopes: &[
            ("channels:read", "See the public channels"),
            ("chat:write", "Post messages"),
            ("users:read", "See the people in the workspace"),
            ("files:write", "Upload and edit files"),
        ],
        default_scopes: &["channels:read", "chat:write", "users:read"],
        ..Declaration::OAUTH2
    }];

    fn api_error(response: &Response) -> Option<OauthError> {
        let body = response.json()?;
        if body.get("ok").and_then(Value::as_bool) == Some(true) {
            return None;
        }
        let code = body.get("error").and_then(Value::as_str).unwrap_or("not_ok");
        Some(OauthError::Rejected(ProviderError {
            status: response.status(),
            code: code.to_owned(),
            description: Some(format!("Slack answered ok=false: {code}")),
        }))
    }

    fn token_response(_call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        if let Some(error) = Self::api_error(response) {
            return Err(error);
        }
        match response.json() {
            Some(Value::Object(body)) => tokens(&body),
            _ => Err(parse_error(response)),
        }
    }

    /// With token rotation the user token has a refresh token of its own.
    fn after_refresh(call: &Call, tokens: &mut TokenSet) -> Result<(), OauthError> {
        let Some(refresh) = alternates::field(call.inputs, USER, "refresh_token") else { return Ok(()) };
        let user = refresh_with::<Self>(call, refresh.to_owned(), &[])?;
        alternates::put(&mut tokens.extra, USER, &user);
        Ok(())
    }
}

/// The bot token when the app asked for bot scopes, with the user's token
/// under `authed_user` kept as the further token `user`; the user's token
/// alone otherwise. The ids flows need come as extra values.
fn tokens(body: &Map<String, Value>) -> Result<TokenSet, OauthError> {
    let user = body.get("authed_user").and_then(Value::as_object).filter(|u| has_token(u)).map(token_set);
    let mut tokens = match (has_token(body), user) {
        (true, user) => {
            let mut bot = token_set(body);
            if let Some(user) = user {
                alternates::put(&mut bot.extra, USER, &user);
            }
            bot
        }
        (false, Some(user)) => user,
        (false, None) => {
            return Err(error::protocol(
                "Slack's answer has no access_token, neither for the bot nor under authed_user",
            ));
        }
    };
    let text = |map: &Map<String, Value>, key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let team = body.get("team").and_then(Value::as_object);
    let authed = body.get("authed_user").and_then(Value::as_object);
    let fields = [
        ("team_id", team.and_then(|t| text(t, "id"))),
        ("team_name", team.and_then(|t| text(t, "name"))),
        ("app_id", text(body, "app_id")),
        ("bot_user_id", text(body, "bot_user_id")),
        ("authed_user_id", authed.and_then(|u| text(u, "id"))),
    ];
    tokens.extra.extend(fields.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))));
    Ok(tokens)
}

fn has_token(map: &Map<String, Value>) -> bool {
    matches!(map.get("access_token"), Some(Value::String(token)) if !token.is_empty())
}

/// One token of the answer, at the top level or under `authed_user`.
fn token_set(holder: &Map<String, Value>) -> TokenSet {
    let text = |key: &str| holder.get(key).and_then(Value::as_str).map(str::to_owned);
    TokenSet {
        access_token: text("access_token").unwrap_or_default(),
        token_type: text("token_type").unwrap_or_else(|| "Bearer".into()),
        refresh_token: text("refresh_token"),
        expires_in: holder.get("expires_in").and_then(Value::as_u64),
        scope: text("scope"),
        id_token: None,
        extra: Vec::new(),
    }
}

flowauth_sdk::family!(Slack);
