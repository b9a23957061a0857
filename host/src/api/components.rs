//! Third-party components: install (admin), list, enable per tenant.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState};

fn component_json(c: &crate::runtime::Component) -> Value {
    json!({"name": c.name, "digest": c.digest, "built_in": c.built_in,
           "connectors": c.connectors.iter().map(|k| &k.name).collect::<Vec<_>>()})
}

#[utoipa::path(get, path = "/v1/components", responses((status = 200, description = "built-in and installed components"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.admin()?;
    let list: Vec<_> = state.runtime.components().iter().map(|c| component_json(c)).collect();
    Ok(Json(json!({"components": list})))
}

#[derive(Deserialize)]
pub struct InstallQuery {
    name: String,
}

#[utoipa::path(post, path = "/v1/components", params(("name" = String, Query)), request_body(content = Vec<u8>, content_type = "application/wasm"), responses((status = 201, description = "verified and installed"), (status = 400, description = "not a valid component"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
/// `POST /v1/components?name=NAME` with the `.wasm` as the body.
pub async fn install(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<InstallQuery>,
    wasm: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.admin()?;
    let component = state.service.install_component(&query.name, &wasm).await?;
    Ok((StatusCode::CREATED, Json(component_json(&component))))
}

#[utoipa::path(put, path = "/v1/tenants/{tenant}/components/{name}", params(("tenant" = String, Path), ("name" = String, Path)), responses((status = 204, description = "enabled"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set(state, caller, tenant, name, true).await
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/components/{name}", params(("tenant" = String, Path), ("name" = String, Path)), responses((status = 204, description = "disabled"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set(state, caller, tenant, name, false).await
}

async fn set(
    state: AppState,
    caller: Caller,
    tenant: String,
    name: String,
    enabled: bool,
) -> Result<StatusCode, ApiError> {
    caller.admin()?;
    let tenant = caller.tenant(&state, &tenant).await?;
    state.service.store().set_component_enabled(&tenant.id, &name, enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}
