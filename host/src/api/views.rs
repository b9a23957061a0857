//! The JSON shapes the API answers with and `--json` prints, in one place
//! so the two never differ, each with its schema in `/v1/openapi.json`.
//! None carries a secret.
#![allow(missing_docs)]

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::store::TokenRecord;
use crate::tokens::{AccessToken, Started};

/// An error: a stable code (a provider's OAuth code when it refused) and
/// a sentence.
#[derive(Serialize, ToSchema)]
pub struct ErrorView {
    pub code: String,
    pub message: String,
}

/// `{"error": {...}}`, with `errors` listing a load file's problems by JSON path.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorView,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EntryErrorView>,
}

/// One problem of a load file.
#[derive(Serialize, ToSchema)]
pub struct EntryErrorView {
    /// e.g. `$.google_gmail.Gmail.CLIENT_ID`.
    pub path: String,
    pub message: String,
}

/// A token as listings and `show` present it.
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub connector: String,
    /// The provider's display name.
    pub provider: String,
    /// authorization_code, client_credentials or password.
    pub flow: String,
    /// pending, active, needs_reauth or failed.
    pub status: String,
    pub error: Option<ErrorView>,
    pub scopes: Vec<String>,
    /// Per-token inputs: resource and additional values given at start.
    pub inputs: BTreeMap<String, String>,
    /// Unix seconds, when the provider said.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A page of tokens, newest first.
#[derive(Serialize, ToSchema)]
pub struct TokenPage {
    pub tokens: Vec<TokenView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// What starting, retrying or resetting a token produced.
#[derive(Serialize, ToSchema)]
pub struct StartedView {
    pub id: String,
    pub status: String,
    /// Where the user authorizes (authorization code).
    pub auth_link: Option<String>,
    pub error: Option<ErrorView>,
}

/// An access token for a flow step.
#[derive(Serialize, ToSchema)]
pub struct AccessView {
    pub access_token: String,
    pub token_type: String,
    /// Unix seconds, when known.
    pub expires_at: Option<i64>,
    /// Per-token inputs and values of the token answer (e.g. `instance_url`).
    pub extra: BTreeMap<String, String>,
}

fn error_view(code: &str, message: &str) -> ErrorView {
    ErrorView { code: code.to_owned(), message: message.to_owned() }
}

/// A token as listings and `show` present it.
pub fn token_view(t: &TokenRecord) -> TokenView {
    TokenView {
        id: t.id.clone(),
        name: t.name.clone(),
        connector: t.connector.clone(),
        provider: t.provider.clone(),
        flow: t.flow.clone(),
        status: t.status.as_str().to_owned(),
        error: t.error_code.as_deref().map(|code| error_view(code, t.error_message.as_deref().unwrap_or_default())),
        scopes: t.scopes.clone(),
        inputs: t.inputs.iter().cloned().collect(),
        expires_at: t.expires_at,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

/// What starting, retrying or resetting a token produced.
pub fn started_view(s: &Started) -> StartedView {
    StartedView {
        id: s.id.clone(),
        status: s.status.as_str().to_owned(),
        auth_link: s.auth_link.clone(),
        error: s.error.as_ref().map(|(code, message)| error_view(code, message)),
    }
}

/// An access token for a flow step.
pub fn access_view(token: &AccessToken) -> AccessView {
    AccessView {
        access_token: token.access_token.clone(),
        token_type: token.token_type.clone(),
        expires_at: token.expires_at,
        extra: token.extra.iter().cloned().collect(),
    }
}

/// `value` as a JSON value (for `--json` lines).
pub fn json(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).expect("views serialize")
}
