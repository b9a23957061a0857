//! Tenants (create, list, rotate a key, delete), who a key is, what the
//! server is, LoadOAuthConfiguration, providers and connectors.

use axum::Json;
use axum::extract::rejection::{JsonRejection, StringRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::auth::Caller;
use super::schemas::ConnectorDefinition;
use super::views::{
    ConnectorList, ConnectorView, LoadReportView, ProviderList, ProviderView, ServerView, TenantKeyView, TenantList,
    TenantView, WhoAmIView, connector_view, load_report_view,
};
use super::{ApiError, AppState, body, text};
use crate::store::{KeyOwner, days_left, format_expiry, now};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1 to 63 letters, digits, '.', '_' and '-', starting with a letter or a digit.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    name: String,
}

#[utoipa::path(post, path = "/v1/tenants", request_body = NewTenant, responses((status = 201, description = "the tenant and its API key, shown once", body = TenantKeyView), (status = 400, description = "not a valid tenant name"), (status = 409, description = "exists already")))]
pub async fn create_tenant(
    State(state): State<AppState>,
    caller: Caller,
    request: Result<Json<NewTenant>, JsonRejection>,
) -> Result<(StatusCode, Json<TenantKeyView>), ApiError> {
    caller.admin()?;
    let body = body(request)?;
    let store = state.service.store();
    let tenant = store.create_tenant(&body.name).await?;
    let key = store.issue_tenant_key(&tenant.id).await?;
    Ok((StatusCode::CREATED, Json(TenantKeyView { name: tenant.name, api_key: key })))
}

#[utoipa::path(get, path = "/v1/tenants", responses((status = 200, description = "every tenant's name", body = TenantList)))]
pub async fn tenants(State(state): State<AppState>, caller: Caller) -> Result<Json<TenantList>, ApiError> {
    caller.admin()?;
    let tenants = state.service.store().tenants().await?.into_iter().map(|t| TenantView { name: t.name }).collect();
    Ok(Json(TenantList { tenants }))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/rotate-key", params(("tenant" = String, Path)), responses((status = 200, description = "the tenant's new API key, shown once; the old one stops working at once", body = TenantKeyView)))]
pub async fn rotate_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<TenantKeyView>, ApiError> {
    caller.admin()?;
    let tenant = caller.tenant(&state, &tenant).await?;
    let key = state.service.store().issue_tenant_key(&tenant.id).await?;
    state.keys.forget_tenant(&tenant.id);
    tracing::info!(tenant = %tenant.name, "tenant key rotated");
    Ok(Json(TenantKeyView { name: tenant.name, api_key: key }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfirmQuery {
    /// The tenant's name again.
    confirm: Option<String>,
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}", params(("tenant" = String, Path), ConfirmQuery), responses((status = 204, description = "deleted with its providers, connectors, tokens (not revoked at their providers), pending authorizations, webhook and deliveries, enablements and connect sessions"), (status = 400, description = "`confirm` is not the tenant's name (confirmation_required)")))]
pub async fn delete_tenant(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(query): Query<ConfirmQuery>,
) -> Result<StatusCode, ApiError> {
    caller.admin()?;
    if query.confirm.as_deref() != Some(name.as_str()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "confirmation_required",
            format!("deleting a tenant deletes all it owns: repeat its name, DELETE /v1/tenants/{name}?confirm={name}"),
        ));
    }
    let tenant = caller.tenant(&state, &name).await?;
    state.service.store().delete_tenant(&tenant.id).await?;
    state.keys.forget_tenant(&tenant.id);
    tracing::info!(tenant = %tenant.name, "tenant deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/whoami", responses((status = 200, description = "whose key this is", body = WhoAmIView)))]
pub async fn whoami(caller: Caller) -> Json<WhoAmIView> {
    Json(match caller.0 {
        KeyOwner::Admin => WhoAmIView { role: "admin".into(), tenant: None },
        KeyOwner::Tenant(tenant) => WhoAmIView { role: "tenant".into(), tenant: Some(tenant.name) },
    })
}

#[utoipa::path(get, path = "/v1/server", responses((status = 200, description = "the public URL, the redirect URI to register at providers and what the operator should fix", body = ServerView)))]
pub async fn server(State(state): State<AppState>, _caller: Caller) -> Json<ServerView> {
    let public_url = state.public_url.to_string();
    Json(ServerView {
        redirect_uri: format!("{public_url}{}", super::CALLBACK_PATHS[0]),
        redirect_uris: super::CALLBACK_PATHS.iter().map(|path| format!("{public_url}{path}")).collect(),
        public_url,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        warnings: state.warnings.to_vec(),
    })
}

/// How a load file treats providers that exist already.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum LoadMode {
    /// An entry replaces the provider's settings; changing one tokens use refuses the file.
    Replace,
    /// Change providers in place, tokens and all.
    Update,
}

#[derive(Deserialize)]
pub struct LoadQuery {
    mode: Option<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/oauth-configurations", params(("tenant" = String, Path), ("mode" = inline(Option<LoadMode>), Query, description = "update: change providers in use in place")), request_body(content = inline(std::collections::BTreeMap<String, std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>>), content_type = "application/json", description = "a ThingWorx load file: connector, then display name, then settings"), responses((status = 200, description = "created and updated providers", body = LoadReportView), (status = 400, description = "an unknown mode"), (status = 413, description = "larger than 1 MiB"), (status = 409, description = "replaces providers in use; nothing loaded"), (status = 422, description = "errors with JSON paths; nothing loaded")))]
pub async fn load_configuration(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(query): Query<LoadQuery>,
    body: Result<String, StringRejection>,
) -> Result<Json<LoadReportView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let body = text(body)?;
    let mode = match query.mode.as_deref() {
        None | Some("replace") => crate::store::LoadMode::Replace,
        Some("update") => crate::store::LoadMode::Update,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("mode {other:?}: use update or replace"),
            ));
        }
    };
    let report = state.service.load_configuration(&tenant, &body, mode).await?;
    Ok(Json(load_report_view(&report)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/providers", params(("tenant" = String, Path)), responses((status = 200, description = "providers, never their values", body = ProviderList)))]
pub async fn providers(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<ProviderList>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let providers = state.service.store().providers(&tenant.id).await?;
    let providers = providers
        .into_iter()
        .map(|p| ProviderView {
            connector: p.connector,
            display_name: p.display_name,
            settings: p.setting_keys,
            tokens: p.tokens,
            client_secret_expires_at: p.client_secret_expires_at.map(format_expiry),
            client_secret_days_left: p.client_secret_expires_at.map(|at| days_left(at, now())),
        })
        .collect();
    Ok(Json(ProviderList { providers }))
}

#[derive(Deserialize)]
pub struct DeleteQuery {
    force: Option<bool>,
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/providers/{connector}/{display_name}", params(("tenant" = String, Path), ("connector" = String, Path), ("display_name" = String, Path), ("force" = Option<bool>, Query)), responses((status = 204, description = "removed"), (status = 404, description = "no such provider"), (status = 409, description = "tokens use it")))]
pub async fn delete_provider(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, connector, display_name)): Path<(String, String, String)>,
    Query(query): Query<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    match state
        .service
        .store()
        .delete_provider(&tenant.id, &connector, &display_name, query.force.unwrap_or(false))
        .await?
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(tokens) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "provider_in_use",
            format!("tokens use this provider ({}): delete them first or pass ?force=true", tokens.join(", ")),
        )),
    }
}

/// A connector as the API and `flowauth connectors --json` show it.
pub fn connector_json(component: &str, c: &crate::runtime::Connector) -> serde_json::Value {
    super::json(&connector_view(component, c))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/connectors", params(("tenant" = String, Path)), responses((status = 200, description = "what this tenant can use", body = ConnectorList)))]
pub async fn connectors(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<ConnectorList>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let connectors =
        state.service.connectors(&tenant).await?.iter().map(|(component, c)| connector_view(component, c)).collect();
    Ok(Json(ConnectorList { connectors }))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/connectors", params(("tenant" = String, Path)), request_body(content = ConnectorDefinition, content_type = "application/json", description = "a ThingWorx connector config.json"), responses((status = 201, description = "the connector", body = ConnectorView), (status = 409, description = "a built-in connector's name"), (status = 413, description = "larger than 1 MiB"), (status = 422, description = "what is wrong, with its JSON path")))]
/// Adds a custom connector from a ThingWorx `config.json` body.
pub async fn add_connector(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    definition: Result<String, StringRejection>,
) -> Result<(StatusCode, Json<ConnectorView>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let definition = text(definition)?;
    let connector = state.service.add_connector(&tenant, &definition).await?;
    Ok((StatusCode::CREATED, Json(connector_view("generic", &connector))))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/connectors/{name}", params(("tenant" = String, Path), ("name" = String, Path)), responses((status = 204, description = "removed"), (status = 409, description = "providers use it"), (status = 404, description = "no such connector of this tenant")))]
/// Removes a tenant's own connector.
pub async fn remove_connector(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    state.service.remove_connector(&tenant, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
