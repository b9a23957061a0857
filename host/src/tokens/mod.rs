//! The token lifecycle: start (StartTokenRequestAndGetAuthLink), callback,
//! access token with single-flight refresh, refresh (RefreshAccessToken),
//! reset (ResetClientCredentialsToken), retry, rename, delete, validate, and
//! the background refresher.
//! Data flows one way: tokens -> (store, runtime).

mod ahead;
mod bundles;
mod components;
mod connect;
mod connectors;
mod error;
mod flights;
mod flow;
mod fresh;
mod hybrid;
mod inputs;
mod load;
mod refresh;
mod suggest;
mod which;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub use ahead::RefreshAhead;
pub use bundles::{BundleError, Exported};
pub use components::{ComponentView, InstallOptions, Installed, PinView, UNINSTALLED_CODE, Uninstalled, VersionView};
pub use connect::{CONNECT_SESSION_LIFETIME_SECONDS, ConnectForm, ConnectRequest, ConnectVisit, CreatedSession};
pub use error::TokenError;
pub use flow::{Finished, Flow, Revocation};
pub use fresh::FRESH_CACHE_TTL;
pub use hybrid::{Delivery, RESPONSE_TYPE_SETTING};
pub use load::{
    HOST_SETTINGS, LoadError, MAX_CONNECTORS, MAX_LOAD_FILE_BYTES, NEED_RESOURCE_URL, RESOURCE_URL, is_url_setting,
};
pub use suggest::did_you_mean;

use crate::events::{Event, EventKind, Events};
use crate::runtime::{CallError, Client, Runtime, SigningKey, Target, TokenSet};
use crate::store::{Issued, NewToken, Provider, Store, TokenRecord, TokenStatus, now};

/// How long a user has to authorize.
pub const STATE_LIFETIME_SECONDS: i64 = 600;
/// The largest refresh margin: a token is refreshed before it is handed
/// out when less than min(this, half its lifetime) is left.
pub const REFRESH_MARGIN_SECONDS: i64 = 60;

/// The token lifecycle over a store and a runtime. Cheap to clone: clones
/// share their refreshes in flight and their cache.
#[derive(Clone)]
pub struct TokenService {
    store: Store,
    runtime: Runtime,
    redirect_uri: Arc<str>,
    /// Refreshes in flight in this process, by token.
    flights: Arc<flights::Flights<Result<refresh::Handout, TokenError>>>,
    /// Access tokens handed out recently, so the hot path can skip the
    /// database (see [`FRESH_CACHE_TTL`]).
    fresh: Arc<fresh::FreshCache>,
    /// Webhook events on token changes, when a deployment wants them.
    events: Option<Events>,
    /// OpenID providers' signing keys, for hybrid authorizations.
    id_token_keys: Arc<hybrid::KeyCache>,
}

/// StartTokenRequestAndGetAuthLink.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    /// A name for people: "sales-bot".
    pub name: String,
    /// The load-file connector name, e.g. `salesforce`.
    pub connector: String,
    /// The provider's display name.
    pub provider: String,
    /// How the token is obtained.
    pub flow: Flow,
    /// Scopes to ask for; empty: the connector's default.
    pub scopes: Vec<String>,
    /// The resource (audience) the token is for, where the provider needs one.
    pub resource: Option<String>,
    /// Further authorization parameters, e.g. `prompt=consent`.
    pub additional: Vec<(String, String)>,
    /// For the password grant.
    pub username: Option<String>,
    /// For the password grant; stored (sealed) only where the provider
    /// says `SAVE_PASSWORD_CREDENTIALS=true`.
    pub password: Option<String>,
    /// False: `consumer_key`/`secret_key` replace the provider's client.
    pub use_default_keys: bool,
    /// This token's own client id (with `use_default_keys: false`).
    pub consumer_key: Option<String>,
    /// This token's own client secret.
    pub secret_key: Option<String>,
}

/// What starting (or retrying) a token produced.
#[derive(Debug, Clone)]
pub struct Started {
    /// The token's id.
    pub id: String,
    /// Where the token is now.
    pub status: TokenStatus,
    /// Where the user authorizes (authorization code only).
    pub auth_link: Option<String>,
    /// `(code, message)` when the provider refused.
    pub error: Option<(String, String)>,
}

/// What a flow step gets before each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The bearer value to send.
    pub access_token: String,
    /// Usually `Bearer`.
    pub token_type: String,
    /// Unix seconds, when known.
    pub expires_at: Option<i64>,
    /// Per-token inputs and extra response values (e.g. `instance_url`).
    pub extra: Vec<(String, String)>,
    /// The grant's further tokens (Slack's user token), which
    /// [`select`](Self::select) hands out by name; never shown as such.
    further: Vec<(String, String)>,
}

impl TokenService {
    /// `redirect_uri` is the exact callback URL registered at providers.
    pub fn new(store: Store, runtime: Runtime, redirect_uri: String) -> Self {
        let fresh = Arc::<fresh::FreshCache>::default();
        if let Some(changes) = store.changes() {
            fresh.follow(changes);
        }
        Self {
            store,
            runtime,
            redirect_uri: redirect_uri.into(),
            flights: Arc::default(),
            fresh,
            events: None,
            id_token_keys: Arc::default(),
        }
    }

    /// Queues webhook events on token changes (docs/WEBHOOKS.md).
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = Some(events);
        self
    }

    /// Tells the tenant's webhook what happened to a token.
    async fn emit(&self, token: &TokenRecord, kind: EventKind, error: Option<(&str, &str)>) {
        self.emit_about(&token.tenant_id, &token.provider_id, &token.id, &token.name, kind, error).await;
    }

    /// [`emit`](Self::emit) for a token just created.
    async fn emit_new(&self, token: &NewToken, kind: EventKind, error: Option<(&str, &str)>) {
        self.emit_about(&token.tenant_id, &token.provider_id, &token.id, &token.name, kind, error).await;
    }

    async fn emit_about(
        &self,
        tenant_id: &str,
        provider_id: &str,
        id: &str,
        name: &str,
        kind: EventKind,
        error: Option<(&str, &str)>,
    ) {
        let Some(events) = &self.events else { return };
        let Ok(provider) = self.store.provider_by_id(tenant_id, provider_id).await else { return };
        let mut event = Event::new(kind, id, name, &provider);
        if let Some((code, message)) = error {
            event = event.with_error(code, message);
        }
        events.emit(tenant_id, event).await;
    }

    /// The callback URL auth links carry.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The id of a token named by its id or by its name.
    pub async fn token_id(&self, tenant_id: &str, reference: &str) -> Result<String, TokenError> {
        if looks_like_id(reference) {
            return Ok(reference.to_owned());
        }
        self.store
            .token_id_by_name(tenant_id, reference)
            .await?
            .ok_or_else(|| TokenError::NotFound(format!("token {reference:?}")))
    }

    async fn token(&self, tenant_id: &str, id: &str) -> Result<TokenRecord, TokenError> {
        self.store.token(tenant_id, id).await?.ok_or_else(|| TokenError::NotFound(format!("token {id}")))
    }

    /// The component call target of a provider, with a token's own client
    /// when it has one and the provider's key for `private_key_jwt`.
    async fn target(
        &self,
        provider: &Provider,
        client_override: Option<&[(String, String)]>,
    ) -> Result<Target, TokenError> {
        let resolved = self.resolve(&provider.tenant_id, &provider.connector).await?;
        let mut settings = provider.settings.clone();
        for (key, value) in client_override.unwrap_or_default() {
            settings.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
            settings.push((key.clone(), value.clone()));
        }
        let client = Client { connector: provider.connector.clone(), settings, definition: resolved.definition };
        let target =
            Target::with_connector(resolved.component, resolved.connector, client).for_tenant(&provider.tenant_id);
        let active = self.store.active_provider_key(&provider.tenant_id, &provider.id).await?;
        Ok(match active.key {
            Some(key) => target
                .with_signing_key(SigningKey::new(&key.algorithm, &key.pem, &key.kid).map_err(TokenError::Internal)?),
            None => target.without_signing_key(no_key(&active.tenant_name, provider)),
        })
    }

    async fn target_of(&self, token: &TokenRecord) -> Result<Target, TokenError> {
        let provider = self.store.provider_by_id(&token.tenant_id, &token.provider_id).await?;
        self.target(&provider, token.client.as_deref()).await
    }
}

/// What to do when a provider that authenticates with `private_key_jwt`
/// has no key.
fn no_key(tenant: &str, provider: &Provider) -> String {
    let label = format!("{}/{}", provider.connector, provider.display_name);
    format!(
        "provider {label} authenticates with private_key_jwt but has no key: make one with \
         `flowauth provider key rotate --tenant {tenant} {label}` or set yours with \
         `flowauth provider key set --tenant {tenant} {label} key.pem` (API: PUT /v1/tenants/{tenant}/providers/{label}/key), \
         then register its public JWK at the identity provider"
    )
}

/// A call's error without the call's secrets: the client's and `also`
/// (a refresh token, a code, a password, ...).
fn redacted(error: CallError, target: &Target, also: &[Option<&str>]) -> CallError {
    let mut secrets = target.secrets();
    secrets.extend(also.iter().flatten());
    error.without(&secrets)
}

/// A stored token's secrets: its access and refresh tokens and those of
/// its further tokens.
fn token_secrets(token: &TokenRecord) -> Vec<Option<&str>> {
    let mut secrets = vec![token.access_token.as_deref(), token.refresh_token.as_deref()];
    secrets.extend(which::secrets(&token.extra).into_iter().map(Some));
    secrets
}

/// Token ids are 128 random bits in hex; names may not look like one.
fn looks_like_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The most characters (not bytes) of a token name.
pub const MAX_TOKEN_NAME_CHARS: usize = 200;

/// Whether `name` can name a token: what people call it in flows and
/// commands, and what stands for its id there. Control characters are
/// C0, DEL and C1 (`char::is_control`); white space is Unicode's.
fn check_token_name(name: &str) -> Result<(), TokenError> {
    if name.trim().is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(TokenError::Invalid(format!(
            "token name {:?}: give 1 to {MAX_TOKEN_NAME_CHARS} printable characters, not only spaces",
            name.chars().take(80).collect::<String>()
        )));
    }
    if looks_like_id(name) {
        return Err(TokenError::Invalid(format!("token name {name:?} looks like a token id: choose another")));
    }
    Ok(())
}

/// A fresh `state`: 256 random bits, base64url.
fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The store keeps only this hash of a state, never the state itself.
fn state_hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// A provider's token set as the store keeps it.
fn issued(set: TokenSet) -> Issued {
    Issued {
        // Saturating: an IdP's absurd `expires_in` means "far away", not a wrap into the past.
        expires_at: set.expires_in.map(|s| now().saturating_add(i64::try_from(s).unwrap_or(i64::MAX))),
        access_token: set.access_token,
        token_type: set.token_type,
        refresh_token: set.refresh_token,
        id_token: set.id_token,
        extra: set.extra,
    }
}

/// A stored token as the component's record (for validate and revoke).
fn token_set(token: &TokenRecord) -> TokenSet {
    TokenSet {
        access_token: token.access_token.clone().unwrap_or_default(),
        token_type: token.token_type.clone().unwrap_or_else(|| "Bearer".into()),
        refresh_token: token.refresh_token.clone(),
        expires_in: token.expires_at.map(|at| (at - now()).max(0) as u64),
        scope: None,
        id_token: token.id_token.clone(),
        extra: token.inputs.iter().chain(&token.extra).cloned().collect(),
    }
}
