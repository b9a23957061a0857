//! Slack apps (OAuth v2). Quirks: `oauth.v2.access` answers HTTP 200 with
//! `{"ok": false, "error": ...}` when it fails; user scopes go in
//! `user_scope` beside `scope`, and the user's token comes nested under
//! `authed_user`; scopes are comma-separated.

use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::{Declaration, Field};
use flowauth_sdk::http::Response;
use flowauth_sdk::standard::Family;
use flowauth_sdk::token::parse_error;
use flowauth_sdk::{OauthError, ProviderError, TokenSet, error};
use serde_json::{Map, Value};

/// The Slack family.
pub struct Slack;

impl Family for Slack {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "slack",
        title: "Slack",
        base_url: "https://slack.com",
        authorize: "/oauth/v2/authorize",
        token: "/api/oauth.v2.access",
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

    fn token_response(_call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        let Some(Value::Object(body)) = response.json() else { return Err(parse_error(response)) };
        if body.get("ok").and_then(Value::as_bool) != Some(true) {
            let code = body.get("error").and_then(Value::as_str).unwrap_or("not_ok");
            return Err(OauthError::Rejected(ProviderError {
                status: response.status(),
                code: code.to_owned(),
                description: Some(format!("Slack answered ok=false: {code}")),
            }));
        }
        tokens(&body)
    }
}

/// The bot token when the app asked for bot scopes, else the user's token
/// under `authed_user`; the ids flows need as extra values.
fn tokens(body: &Map<String, Value>) -> Result<TokenSet, OauthError> {
    let user = body.get("authed_user").and_then(Value::as_object);
    let holder = match body.get("access_token") {
        Some(Value::String(token)) if !token.is_empty() => body,
        _ => user.filter(|u| u.contains_key("access_token")).ok_or_else(|| {
            error::protocol("Slack's answer has no access_token, neither for the bot nor under authed_user")
        })?,
    };
    let text = |map: &Map<String, Value>, key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut extra = Vec::new();
    let team = body.get("team").and_then(Value::as_object);
    let fields = [
        ("team_id", team.and_then(|t| text(t, "id"))),
        ("team_name", team.and_then(|t| text(t, "name"))),
        ("app_id", text(body, "app_id")),
        ("bot_user_id", text(body, "bot_user_id")),
        ("authed_user_id", user.and_then(|u| text(u, "id"))),
    ];
    extra.extend(fields.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))));
    Ok(TokenSet {
        access_token: text(holder, "access_token").unwrap_or_default(),
        token_type: text(holder, "token_type").unwrap_or_else(|| "Bearer".into()),
        refresh_token: text(holder, "refresh_token"),
        expires_in: holder.get("expires_in").and_then(Value::as_u64),
        scope: text(holder, "scope"),
        id_token: None,
        extra,
    })
}

flowauth_sdk::family!(Slack);
