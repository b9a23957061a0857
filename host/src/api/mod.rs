//! The HTTP API used by flow steps and admins (see shared API.md), and the
//! OAuth callback page.

mod admin;
mod auth;
mod bundles;
mod callback;
mod components;
mod connect;
mod error;
mod fields;
mod keys;
mod load_schema;
mod log;
mod openapi;
mod pace;
mod parse_errors;
mod schemas;
mod server;
mod share;
mod tokens;
mod ui;
mod views;
mod warnings;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};

pub use admin::connector_json;
pub use auth::KEY_CACHE_TTL;
pub use error::{ApiError, body, text};
pub use pace::BodyPace;
pub use server::{Limits, serve};
pub use share::OpenRequests;
pub use views::{
    ImportReportView, TenantKeyView, TenantView, access_view, import_report_view, json, provider_key_view,
    started_view, token_view,
};

use crate::events::{DeliveryConfig, Events};
use crate::runtime::Runtime;
use crate::tokens::TokenService;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The token lifecycle (and through it the store).
    pub service: Arc<TokenService>,
    /// The component runtime.
    pub runtime: Runtime,
    /// Recently authenticated keys.
    pub keys: Arc<auth::KeyCache>,
    /// Webhooks and their deliveries.
    pub events: Events,
    /// Each tenant's requests open now, against its share.
    pub open_requests: Arc<OpenRequests>,
    /// Where users reach this server (connect links, `/v1/server`).
    pub public_url: Arc<str>,
    /// What the operator should fix (`/readyz`, `/v1/server`).
    pub warnings: Arc<[String]>,
}

/// The callback URLs served: flowauth's, then ThingWorx's (so redirect
/// URIs registered for ThingWorx keep working).
pub const CALLBACK_PATHS: [&str; 2] = ["/oauth/return", "/Thingworx/Oauths/oauth/return"];

impl AppState {
    /// The state of a server over this service and runtime.
    pub fn new(service: Arc<TokenService>, runtime: Runtime) -> Self {
        let events = Events::new(service.store().clone(), DeliveryConfig::default());
        let keys = Arc::<auth::KeyCache>::default();
        if let Some(changes) = service.store().changes() {
            keys.follow(changes);
        }
        // The service's redirect URI is `<public URL>/oauth/return`.
        let redirect_uri = service.redirect_uri();
        let public_url: Arc<str> = redirect_uri.strip_suffix(CALLBACK_PATHS[0]).unwrap_or(redirect_uri).into();
        let warnings = warnings::public_url_warnings(&public_url).into();
        let open_requests = Arc::new(OpenRequests::new(DEFAULT_REQUESTS_PER_TENANT));
        Self { service, runtime, keys, events, open_requests, public_url, warnings }
    }

    /// Lets each tenant have at most `cap` requests open at once.
    pub fn with_requests_per_tenant(mut self, cap: usize) -> Self {
        self.open_requests = Arc::new(OpenRequests::new(cap));
        self
    }

    /// Uses `events` (the server's, with its delivery policy) for webhooks.
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }
}

/// Requests one tenant may have open at once unless the server says otherwise.
const DEFAULT_REQUESTS_PER_TENANT: usize = 1024;

/// The largest body of an ordinary JSON request.
const MAX_BODY_BYTES: usize = 64 << 10;
/// The largest component upload.
const MAX_COMPONENT_BYTES: usize = 32 << 20;

/// The process's metrics and the days left of client secrets; a store that
/// fails costs the gauge, not the scrape.
async fn metrics(State(state): State<AppState>) -> String {
    let mut out = crate::metrics::METRICS.render();
    match state.service.store().secret_expiries().await {
        Ok(expiries) => out.push_str(&crate::metrics::render_secret_expiries(&expiries, crate::store::now())),
        Err(error) => tracing::warn!(%error, "reading client secret expiries for /metrics failed"),
    }
    out
}

/// Every route.
pub fn router(state: AppState) -> Router {
    let documents = DefaultBodyLimit::max(crate::tokens::MAX_LOAD_FILE_BYTES);
    Router::new()
        .route("/", get(ui::root))
        .route("/ui", get(ui::index))
        .route("/ui/", get(ui::index))
        .route("/ui/{file}", get(ui::file))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/metrics", get(metrics))
        .route(CALLBACK_PATHS[0], get(callback::finish).post(callback::finish_posted))
        .route(CALLBACK_PATHS[1], get(callback::finish).post(callback::finish_posted))
        .route("/connect/{secret}", get(connect::page).post(connect::submit))
        .route("/v1/whoami", get(admin::whoami))
        .route("/v1/server", get(admin::server))
        .route("/v1/tenants", get(admin::tenants).post(admin::create_tenant))
        .route("/v1/tenants/{tenant}", delete(admin::delete_tenant))
        .route("/v1/tenants/{tenant}/rotate-key", post(admin::rotate_key))
        .route("/v1/tenants/{tenant}/export", post(bundles::export))
        .route(
            "/v1/tenants/{tenant}/import",
            post(bundles::import).layer(DefaultBodyLimit::max(crate::bundle::MAX_BUNDLE_BYTES)),
        )
        .route("/v1/tenants/{tenant}/connect-settings", put(connect::set_settings).get(connect::settings))
        .route("/v1/tenants/{tenant}/connect-sessions", post(connect::create))
        .route(
            "/v1/components",
            get(components::list).post(components::install).layer(DefaultBodyLimit::max(MAX_COMPONENT_BYTES)),
        )
        .route("/v1/components/{name}", delete(components::uninstall))
        .route("/v1/tenants/{tenant}/components/{name}", put(components::enable).delete(components::disable))
        .route("/v1/tenants/{tenant}/oauth-configurations", post(admin::load_configuration).layer(documents))
        .route("/v1/tenants/{tenant}/providers", get(admin::providers))
        .route("/v1/tenants/{tenant}/providers/{connector}/{display_name}", delete(admin::delete_provider))
        .route(
            "/v1/tenants/{tenant}/providers/{connector}/{display_name}/key",
            put(keys::set).get(keys::show).delete(keys::remove),
        )
        .route("/v1/tenants/{tenant}/providers/{connector}/{display_name}/key/rotate", post(keys::rotate))
        .route("/jwks/{provider_id}", get(keys::jwks))
        .route("/v1/tenants/{tenant}/connectors", get(admin::connectors).post(admin::add_connector).layer(documents))
        .route("/v1/tenants/{tenant}/connectors/{name}", delete(admin::remove_connector))
        .route("/v1/tenants/{tenant}/tokens", post(tokens::start).get(tokens::list))
        .route("/v1/tenants/{tenant}/tokens/{id}", get(tokens::show).patch(tokens::rename).delete(tokens::remove))
        .route("/v1/tenants/{tenant}/tokens/{id}/access-token", post(tokens::access_token))
        .route("/v1/tenants/{tenant}/tokens/{id}/refresh", post(tokens::refresh))
        .route("/v1/tenants/{tenant}/tokens/{id}/reset", post(tokens::reset))
        .route("/v1/tenants/{tenant}/tokens/{id}/retry", post(tokens::retry))
        .route("/v1/tenants/{tenant}/tokens/{id}/validate", post(tokens::validate))
        .route("/v1/tenants/{tenant}/webhook", put(webhooks::set).get(webhooks::show).delete(webhooks::remove))
        .route("/v1/tenants/{tenant}/webhook/deliveries", get(webhooks::deliveries))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(error::as_json))
        .layer(axum::middleware::from_fn_with_state(state.clone(), share::limit))
        .layer(axum::middleware::from_fn(log::requests))
        .with_state(state)
}

/// Ready (200) when the store answers; a load balancer sends no traffic
/// before. Warnings are details for the operator and never make it 503.
async fn ready(State(state): State<AppState>) -> Result<axum::Json<ReadyView>, ApiError> {
    state.service.store().ping().await?;
    Ok(axum::Json(ReadyView { status: "ready", warnings: state.warnings.to_vec() }))
}

/// The answer of `/readyz`.
#[derive(serde::Serialize)]
struct ReadyView {
    status: &'static str,
    warnings: Vec<String>,
}
