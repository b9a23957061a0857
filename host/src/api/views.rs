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
    /// Whether a username and password are saved to renew the token
    /// (`SAVE_PASSWORD_CREDENTIALS`); never the values.
    pub saved_credentials: bool,
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
        saved_credentials: t.credentials_saved,
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

/// A tenant and its API key, shown this once (create, rotate-key).
#[derive(Serialize, ToSchema)]
pub struct TenantKeyView {
    pub name: String,
    pub api_key: String,
}

/// A tenant.
#[derive(Serialize, ToSchema)]
pub struct TenantView {
    pub name: String,
}

/// Every tenant, by name.
#[derive(Serialize, ToSchema)]
pub struct TenantList {
    pub tenants: Vec<TenantView>,
}

/// Who a key belongs to: `{"role": "admin"}` or `{"role": "tenant", "tenant": "acme"}`.
#[derive(Serialize, ToSchema)]
pub struct WhoAmIView {
    /// admin or tenant.
    pub role: String,
    /// The tenant of a tenant key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

/// What a provider needs to know about this server.
#[derive(Serialize, ToSchema)]
pub struct ServerView {
    pub public_url: String,
    /// The redirect URI auth links carry: register it at providers.
    pub redirect_uri: String,
    /// Every callback URL served (ThingWorx's path too).
    pub redirect_uris: Vec<String>,
    pub version: String,
    /// What the operator should fix, e.g. a public URL that is not HTTPS.
    pub warnings: Vec<String>,
}

/// What a load file did, as `connector/display name`.
#[derive(Serialize, ToSchema)]
pub struct LoadReportView {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

/// A provider as listings show it: which settings are set, never their values.
#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    pub connector: String,
    pub display_name: String,
    /// The keys of the settings set.
    pub settings: Vec<String>,
    /// How many tokens use it.
    pub tokens: i64,
    /// `CLIENT_SECRET_EXPIRES_AT` in RFC 3339, when set.
    pub client_secret_expires_at: Option<String>,
    /// Whole days until then (negative once past), when set.
    pub client_secret_days_left: Option<i64>,
}

/// A tenant's providers.
#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    pub providers: Vec<ProviderView>,
}

/// A setting a connector declares.
#[derive(Serialize, ToSchema)]
pub struct SettingView {
    pub key: String,
    pub required: bool,
    pub secret: bool,
    pub description: String,
}

/// A connector as the API and `flowauth connectors --json` show it.
#[derive(Serialize, ToSchema)]
pub struct ConnectorView {
    pub name: String,
    pub title: String,
    /// The component serving it.
    pub component: String,
    pub hosts: Vec<String>,
    /// What the admin configures once per provider.
    pub settings: Vec<SettingView>,
    /// What each token may be given (e.g. Zendesk's `subdomain`).
    pub inputs: Vec<SettingView>,
    pub scopes: Vec<String>,
}

/// The connectors a tenant can use.
#[derive(Serialize, ToSchema)]
pub struct ConnectorList {
    pub connectors: Vec<ConnectorView>,
}

/// What the provider says of a token.
#[derive(Serialize, ToSchema)]
pub struct ValidationView {
    pub active: bool,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    pub subject: Option<String>,
}

/// Where a tenant's connect links may send the user back to.
#[derive(Serialize, ToSchema)]
pub struct ConnectSettingsView {
    /// Origins (scheme, host and port).
    pub allowed_return_origins: Vec<String>,
}

/// A connect link: hand `url` to the user; it works once, until `expires_at`.
#[derive(Serialize, ToSchema)]
pub struct ConnectSessionView {
    pub id: String,
    pub url: String,
    /// Unix seconds.
    pub expires_at: i64,
}

fn setting_view(s: &crate::runtime::Setting) -> SettingView {
    SettingView { key: s.key.clone(), required: s.required, secret: s.secret, description: s.description.clone() }
}

/// A connector served by `component`.
pub fn connector_view(component: &str, c: &crate::runtime::Connector) -> ConnectorView {
    ConnectorView {
        name: c.name.clone(),
        title: c.title.clone(),
        component: component.to_owned(),
        hosts: c.hosts.clone(),
        settings: c.settings.iter().map(setting_view).collect(),
        inputs: c.inputs.iter().map(setting_view).collect(),
        scopes: c.scopes.iter().map(|(k, _)| k.clone()).collect(),
    }
}

/// What a load file did.
pub fn load_report_view(report: &crate::store::LoadReport) -> LoadReportView {
    LoadReportView {
        created: report.created.clone(),
        updated: report.updated.clone(),
        unchanged: report.unchanged.clone(),
    }
}

/// What an import did: each item as `kind name` (`provider devtools/HTTP`,
/// `connector acme_crm`, `component oidc-discovery`, `webhook`,
/// `connect settings`, `token bot`, `tenant acme`).
#[derive(Serialize, ToSchema)]
pub struct ImportReportView {
    /// The tenant imported into.
    pub tenant: String,
    /// Whether the import created it.
    pub tenant_created: bool,
    /// The new tenant's API key, shown this once (only when the import created the tenant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

/// What an import did.
pub fn import_report_view(imported: &crate::store::Imported) -> ImportReportView {
    let LoadReportView { created, updated, unchanged } = load_report_view(&imported.report);
    ImportReportView {
        tenant: imported.tenant.name.clone(),
        tenant_created: imported.api_key.is_some(),
        api_key: imported.api_key.clone(),
        created,
        updated,
        unchanged,
    }
}

/// A provider's key for `private_key_jwt`: what to register at the identity
/// provider. Never the private key.
#[derive(Serialize, ToSchema)]
pub struct ProviderKeyView {
    /// `connector/display name`.
    pub provider: String,
    /// RS256 or ES256.
    pub algorithm: String,
    /// The RFC 7638 thumbprint of the public key; assertions carry it as `kid`.
    pub kid: String,
    /// The public key as a JWK, to register at the identity provider.
    #[schema(value_type = Object)]
    pub public_jwk: serde_json::Value,
    /// The provider's JWKS document on this server (no key needed).
    pub jwks_path: String,
    /// The same as an absolute URL, when the server's public URL is known.
    pub jwks_url: Option<String>,
    /// The key the last rotation replaced, still published until removed.
    pub previous: Option<PreviousKeyView>,
    /// False when the key given was the active key already.
    pub changed: bool,
}

/// A provider's JWKS document (RFC 7517 JWK Set): public keys only.
#[derive(Serialize, ToSchema)]
pub struct JwksView {
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<serde_json::Value>,
}

/// A key still published after a rotation.
#[derive(Serialize, ToSchema)]
pub struct PreviousKeyView {
    pub algorithm: String,
    pub kid: String,
    #[schema(value_type = Object)]
    pub public_jwk: serde_json::Value,
}

/// A key report as the API and `flowauth provider key --json` show it;
/// `public_url` is the server's, when known.
pub fn provider_key_view(report: &crate::client_keys::KeyReport, public_url: Option<&str>) -> ProviderKeyView {
    let jwks_path = crate::client_keys::jwks_path(&report.provider_id);
    ProviderKeyView {
        provider: report.provider.clone(),
        algorithm: report.active.algorithm.clone(),
        kid: report.active.kid.clone(),
        public_jwk: report.active.public_jwk.clone(),
        jwks_url: public_url.map(|url| format!("{}{jwks_path}", url.trim_end_matches('/'))),
        jwks_path,
        previous: report.previous.as_ref().map(|k| PreviousKeyView {
            algorithm: k.algorithm.clone(),
            kid: k.kid.clone(),
            public_jwk: k.public_jwk.clone(),
        }),
        changed: report.changed,
    }
}
