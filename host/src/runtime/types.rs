//! The host's own domain types: what crosses the component boundary, as the
//! rest of the host (tokens, api, cli) sees it. Each WIT version's bindings
//! (`wit::v0_1`, ...) convert to and from these, so a new contract version
//! changes the runtime only. Field names follow the WIT records.

/// Ordered key/value pairs (query parameters, form fields, settings).
pub type Pairs = Vec<(String, String)>;

/// The OAuth 2.0 grants a connector can serve (RFC 6749 section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grant {
    /// A user signs in at the provider and flowauth receives a code.
    AuthorizationCode,
    /// The client acts for itself with its own credentials.
    ClientCredentials,
    /// Resource owner password credentials.
    Password,
    /// Renewal of an access token with a refresh token.
    RefreshToken,
}

/// A value the admin or the user supplies, declared by the connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key as it appears in a load file (`CLIENT_ID`) or an input id.
    pub key: String,
    /// Whether a value must be present (a `default` counts as present).
    pub required: bool,
    /// Whether the value is a secret (sealed at rest, never shown).
    pub secret: bool,
    /// One sentence for the admin.
    pub description: String,
    /// The value used when none is given.
    pub default: Option<String>,
}

/// One connector a component serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    /// The load-file key.
    pub name: String,
    /// The human name.
    pub title: String,
    /// 2 for OAuth 2.0, 1 for OAuth 1.0a.
    pub oauth_version: u8,
    /// The grants it serves.
    pub grants: Vec<Grant>,
    /// What the admin configures once per provider.
    pub settings: Vec<Setting>,
    /// What the user may give each time a token is started.
    pub inputs: Vec<Setting>,
    /// Scopes to choose from: (scope, description).
    pub scopes: Pairs,
    /// The hosts it declares it calls.
    pub hosts: Vec<String>,
    /// Whether the host adds PKCE (S256) to authorization requests.
    pub pkce: bool,
}

/// The admin's client configuration for one call, secrets included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The connector called.
    pub connector: String,
    /// Every setting.
    pub settings: Pairs,
    /// A run-time definition (a ThingWorx `config.json`), when custom.
    pub definition: Option<String>,
}

/// What the host asks when it needs an authorization URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// Where the provider sends the user back.
    pub redirect_uri: String,
    /// The opaque state the host checks on return.
    pub state: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The PKCE S256 challenge, when the connector uses PKCE.
    pub code_challenge: Option<String>,
    /// Per-token inputs and additional parameters.
    pub extra: Pairs,
}

/// The URL a user follows, and what the component wants back on return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthLink {
    /// The authorization URL.
    pub url: String,
    /// Opaque data handed back to `exchange-code` (sealed by the host).
    pub pending: Option<String>,
}

/// The provider's redirect back to the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The redirect URI used.
    pub redirect_uri: String,
    /// The callback's query parameters.
    pub query: Pairs,
    /// The PKCE verifier, when a challenge was sent.
    pub code_verifier: Option<String>,
    /// What `build-auth-url` asked to keep.
    pub pending: Option<String>,
    /// Per-token inputs.
    pub extra: Pairs,
}

/// Tokens as a provider issued them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The access token.
    pub access_token: String,
    /// Usually `Bearer`.
    pub token_type: String,
    /// The refresh token, if any.
    pub refresh_token: Option<String>,
    /// Seconds the access token lives.
    pub expires_in: Option<u64>,
    /// The scopes granted.
    pub scope: Option<String>,
    /// An OpenID Connect ID token.
    pub id_token: Option<String>,
    /// Other fields of the answer (OAuth 1.0a's token secret, instance URLs, ...).
    pub extra: Pairs,
}

/// Whether a token is still good, as the provider says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// Whether it is.
    pub active: bool,
    /// Seconds it still lives.
    pub expires_in: Option<u64>,
    /// The scopes it carries.
    pub scope: Option<String>,
    /// Whom it is for.
    pub subject: Option<String>,
}

/// A provider's OAuth error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The HTTP status.
    pub status: u16,
    /// The OAuth error code (`invalid_grant`, ...).
    pub code: String,
    /// `error_description`.
    pub description: Option<String>,
}

/// Why a component could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OauthError {
    /// The admin's settings are wrong or incomplete.
    Config(String),
    /// The provider refused.
    Rejected(ProviderError),
    /// The provider could not be reached.
    Transport(String),
    /// The provider's answer is not valid OAuth.
    Protocol(String),
    /// The connector does not do this.
    Unsupported(String),
}

/// One outbound request a component asks the host to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// An absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Pairs,
    /// The body; empty for none.
    pub body: Vec<u8>,
}

/// The provider's answer to an [`HttpRequest`], whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Pairs,
    /// The whole body, at most the host's cap.
    pub body: Vec<u8>,
}

/// Why the host sent no request or returned no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The sandbox policy refused; the text says which rule.
    Denied(String),
    /// The provider did not answer in time.
    Timeout,
    /// The body exceeded the host's cap.
    TooLarge,
    /// Connection, TLS or protocol failure.
    Transport(String),
}

/// How much a component's log message matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}
