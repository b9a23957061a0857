//! Tenants, LoadOAuthConfiguration, providers and connectors.

use axum::Json;
use axum::extract::rejection::{JsonRejection, StringRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState, body, text};
use crate::store::LoadMode;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    name: String,
}

#[utoipa::path(post, path = "/v1/tenants", request_body = NewTenant, responses((status = 201, description = "the tenant and its API key, shown once"), (status = 409, description = "exists already"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn create_tenant(
    State(state): State<AppState>,
    caller: Caller,
    request: Result<Json<NewTenant>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.admin()?;
    let body = body(request)?;
    let store = state.service.store();
    let tenant = store.create_tenant(&body.name).await?;
    let key = store.issue_tenant_key(&tenant.id).await?;
    Ok((StatusCode::CREATED, Json(json!({"name": tenant.name, "api_key": key}))))
}

#[utoipa::path(get, path = "/v1/tenants", responses((status = 200, description = "every tenant's name"), (status = 401, description = "missing or unknown key"), (status = 403, description = "not the admin key")))]
pub async fn tenants(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.admin()?;
    let names: Vec<_> = state.service.store().tenants().await?.into_iter().map(|t| json!({"name": t.name})).collect();
    Ok(Json(json!({"tenants": names})))
}

#[derive(Deserialize)]
pub struct LoadQuery {
    mode: Option<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/oauth-configurations", params(("tenant" = String, Path), ("mode" = Option<String>, Query, description = "update: change providers in use in place")), request_body(content = String, content_type = "application/json", description = "a ThingWorx load file"), responses((status = 200, description = "created and updated providers"), (status = 413, description = "larger than 1 MiB"), (status = 409, description = "replaces providers in use; nothing loaded"), (status = 422, description = "errors with JSON paths; nothing loaded"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn load_configuration(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(query): Query<LoadQuery>,
    body: Result<String, StringRejection>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let body = text(body)?;
    let mode = match query.mode.as_deref() {
        None | Some("replace") => LoadMode::Replace,
        Some("update") => LoadMode::Update,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("mode {other:?}: use update or replace"),
            ));
        }
    };
    let report = state.service.load_configuration(&tenant, &body, mode).await?;
    Ok(Json(json!({"created": report.created, "updated": report.updated, "unchanged": report.unchanged})))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/providers", params(("tenant" = String, Path)), responses((status = 200, description = "providers, never their values"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn providers(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let providers = state.service.store().providers(&tenant.id).await?;
    let list: Vec<_> = providers
        .iter()
        .map(|p| json!({"connector": p.connector, "display_name": p.display_name, "settings": p.setting_keys, "tokens": p.tokens}))
        .collect();
    Ok(Json(json!({"providers": list})))
}

#[derive(Deserialize)]
pub struct DeleteQuery {
    force: Option<bool>,
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/providers/{connector}/{display_name}", params(("tenant" = String, Path), ("connector" = String, Path), ("display_name" = String, Path), ("force" = Option<bool>, Query)), responses((status = 204, description = "removed"), (status = 409, description = "tokens use it"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
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
pub fn connector_json(component: &str, c: &crate::runtime::Connector) -> Value {
    let settings: Vec<_> = c
        .settings
        .iter()
        .map(|s| json!({"key": s.key, "required": s.required, "secret": s.secret, "description": s.description}))
        .collect();
    json!({"name": c.name, "title": c.title, "component": component, "hosts": c.hosts, "settings": settings,
           "scopes": c.scopes.iter().map(|(k, _)| k).collect::<Vec<_>>()})
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/connectors", params(("tenant" = String, Path)), responses((status = 200, description = "what this tenant can use"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn connectors(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let list: Vec<_> =
        state.service.connectors(&tenant).await?.iter().map(|(component, c)| connector_json(component, c)).collect();
    Ok(Json(json!({"connectors": list})))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/connectors", params(("tenant" = String, Path)), request_body(content = String, content_type = "application/json", description = "a ThingWorx connector config.json"), responses((status = 201, description = "the connector"), (status = 422, description = "what is wrong, with its JSON path"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
/// Adds a custom connector from a ThingWorx `config.json` body.
pub async fn add_connector(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    definition: Result<String, StringRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let definition = text(definition)?;
    let connector = state.service.add_connector(&tenant, &definition).await?;
    Ok((StatusCode::CREATED, Json(connector_json("generic", &connector))))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/connectors/{name}", params(("tenant" = String, Path), ("name" = String, Path)), responses((status = 204, description = "removed"), (status = 409, description = "providers use it"), (status = 404, description = "no such connector of this tenant"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
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
