//! The rows the store reads and writes, with secrets already opened.
//! Fields are named after their columns (see migrations/); only those
//! whose meaning is not plain carry a comment.
#![allow(missing_docs)]

/// A tenant: one customer of a shared flowauth.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tenant {
    pub id: String,
    pub name: String,
}

/// A provider: an admin's client configuration for one connector.
#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub tenant_id: String,
    pub connector: String,
    pub display_name: String,
    /// Every setting, secrets included.
    pub settings: Vec<(String, String)>,
}

/// A provider as listings show it: no values, only which keys are set.
#[derive(Debug, Clone)]
pub struct ProviderSummary {
    pub connector: String,
    pub display_name: String,
    pub setting_keys: Vec<String>,
    pub tokens: i64,
    /// `CLIENT_SECRET_EXPIRES_AT`, unix seconds, when set.
    pub client_secret_expires_at: Option<i64>,
}

/// One entry of a load file, validated.
#[derive(Debug, Clone)]
pub struct ProviderInput {
    pub connector: String,
    pub display_name: String,
    pub settings: Vec<(String, String)>,
}

/// How a load file treats providers that exist already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// As ThingWorx: an entry replaces the provider's settings; changing a
    /// provider that tokens use refuses the whole file.
    Replace,
    /// Change providers in place, tokens and all (e.g. to rotate a
    /// secret): the keys given replace or add to the stored ones, the
    /// others stay.
    Update,
}

/// What a load did, as `connector/display name`. Loading a file again
/// unchanged changes nothing and is no conflict.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Why one entry of a load file cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// JSON path of the entry or value, e.g. `$.google_gmail.Gmail.CLIENT_ID`.
    pub path: String,
    pub message: String,
}

/// Where a token is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    /// Waiting for the user to authorize.
    Pending,
    /// Usable.
    Active,
    /// The provider answered `invalid_grant`: the user must authorize again.
    NeedsReauth,
    /// The provider refused, or the authorization failed.
    Failed,
}

impl TokenStatus {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::NeedsReauth => "needs_reauth",
            Self::Failed => "failed",
        }
    }

    /// Reads an API name.
    pub fn from_name(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "active" => Some(Self::Active),
            "needs_reauth" => Some(Self::NeedsReauth),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A token with its secrets opened.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: String,
    pub tenant_id: String,
    pub provider_id: String,
    /// The provider's connector, e.g. `salesforce`.
    pub connector: String,
    /// The provider's display name.
    pub provider: String,
    pub name: String,
    /// `authorization_code`, `client_credentials` or `password`.
    pub flow: String,
    pub status: TokenStatus,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub scopes: Vec<String>,
    /// `resource` and additional values given at start.
    pub inputs: Vec<(String, String)>,
    pub token_type: Option<String>,
    /// Unix seconds; `None` when the provider did not say.
    pub expires_at: Option<i64>,
    /// Unix seconds the current token set was stored (its lifetime is
    /// `expires_at - issued_at`); `None` for sets stored before it was kept.
    pub issued_at: Option<i64>,
    pub extra: Vec<(String, String)>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    /// `CLIENT_ID`/`CLIENT_SECRET` overriding the provider's (consumer keys).
    pub client: Option<Vec<(String, String)>>,
    /// Whether a username and password are saved with the token (see
    /// [`Store::saved_credentials`](super::Store::saved_credentials)); never the values.
    pub credentials_saved: bool,
    /// Bumped each time a new token set is stored.
    pub generation: i64,
    /// The last refresh of this generation failed for a passing reason.
    pub refresh_failure: Option<RefreshFailure>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TokenRecord {
    /// The token as it is once `issued` was stored as `generation` (what
    /// the store's write did, without reading it back).
    pub fn with_issued(&self, issued: Issued, generation: i64) -> Self {
        Self {
            status: TokenStatus::Active,
            error_code: None,
            error_message: None,
            token_type: Some(issued.token_type),
            expires_at: issued.expires_at,
            issued_at: Some(super::now()),
            extra: issued.extra,
            access_token: Some(issued.access_token),
            refresh_token: issued.refresh_token.or_else(|| self.refresh_token.clone()),
            id_token: issued.id_token.or_else(|| self.id_token.clone()),
            generation,
            refresh_failure: None,
            ..self.clone()
        }
    }
}

/// A refresh that failed for a passing reason (the provider unreachable,
/// a 5xx), shared by every caller until `retry_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFailure {
    /// The generation whose refresh failed.
    pub generation: i64,
    /// Unix seconds after which a caller may try again.
    pub retry_at: i64,
    /// The error's code (`temporarily_unavailable`, `provider_error`, ...).
    pub code: String,
    pub message: String,
}

/// A token about to be created.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: String,
    pub tenant_id: String,
    pub provider_id: String,
    pub name: String,
    pub flow: String,
    pub scopes: Vec<String>,
    pub inputs: Vec<(String, String)>,
    pub client: Option<Vec<(String, String)>>,
}

/// A token set the provider issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub token_type: String,
    /// `None` keeps the refresh token the row has.
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_at: Option<i64>,
    pub extra: Vec<(String, String)>,
}

/// An authorization waiting for its callback.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    /// sha256 of the `state`, hex.
    pub state_hash: String,
    pub tenant_id: String,
    pub token_id: String,
    pub redirect_uri: String,
    pub verifier: Option<String>,
    pub pending: Option<String>,
    /// The OpenID Connect `nonce` of a hybrid authorization (`RESPONSE_TYPE=code id_token`).
    pub nonce: Option<String>,
    pub expires_at: i64,
}

/// What taking a pending authorization found.
#[derive(Debug, Clone)]
pub enum Taken {
    /// First use: the authorization, now spent.
    Fresh(PendingAuthorization),
    /// The state was used before.
    Replayed,
    /// The authorization waited too long.
    Expired,
    /// No such state.
    Unknown,
}
