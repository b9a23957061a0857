//! Third-party components: install, upgrade and uninstall (admin), list,
//! and enable a pinned digest per tenant. Mirrors `flowauth component`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::schemas::ComponentBytes;
use super::{ApiError, AppState};
use crate::tokens::InstallOptions;

#[utoipa::path(get, path = "/v1/components", responses((status = 200, description = "built-in and installed components, their versions and each tenant's pinned digest"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.admin()?;
    Ok(Json(json!({"components": state.service.component_views().await?})))
}

#[derive(Deserialize)]
pub struct InstallQuery {
    name: String,
    #[serde(default)]
    upgrade: bool,
    /// Comma-separated `host[:port]` patterns approved beyond the declared ones.
    #[serde(default)]
    allow_hosts: Option<String>,
    #[serde(default)]
    allow_broad_hosts: bool,
}

#[utoipa::path(post, path = "/v1/components", params(("name" = String, Query), ("upgrade" = Option<bool>, Query), ("allow_hosts" = Option<String>, Query, description = "comma-separated host[:port]"), ("allow_broad_hosts" = Option<bool>, Query)), request_body(content = ComponentBytes, content_type = "application/octet-stream", description = "the .wasm file as is; any content type is taken, application/wasm too"), responses((status = 201, description = "verified and installed (or upgraded)"), (status = 200, description = "these bytes were installed under this name already"), (status = 400, description = "not a valid component, or a host refused"), (status = 409, description = "the name exists (pass upgrade=true), the bytes exist under another name, or the upgrade drops a connector in use"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
/// `POST /v1/components?name=NAME[&upgrade=true][&allow_hosts=a,b]` with the `.wasm` as the body.
pub async fn install(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<InstallQuery>,
    wasm: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.admin()?;
    let options = InstallOptions {
        upgrade: query.upgrade,
        allow_hosts: query
            .allow_hosts
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
        allow_broad_hosts: query.allow_broad_hosts,
    };
    let installed = state.service.install_component(&query.name, &wasm, &options).await?;
    let status = if installed.unchanged { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(json!(installed))))
}

#[derive(Deserialize)]
pub struct UninstallQuery {
    #[serde(default)]
    force: bool,
}

#[utoipa::path(delete, path = "/v1/components/{name}", params(("name" = String, Path), ("force" = Option<bool>, Query)), responses((status = 200, description = "uninstalled"), (status = 404, description = "no such component"), (status = 409, description = "enabled for a tenant or used by tokens (pass force=true)"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn uninstall(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(query): Query<UninstallQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.admin()?;
    Ok(Json(json!(state.service.uninstall_component(&name, query.force).await?)))
}

#[derive(Deserialize, Default)]
pub struct EnableQuery {
    digest: Option<String>,
}

#[utoipa::path(put, path = "/v1/tenants/{tenant}/components/{name}", params(("tenant" = String, Path), ("name" = String, Path), ("digest" = Option<String>, Query, description = "the version to pin; the name's current one by default")), responses((status = 200, description = "enabled: {name, tenant, digest}"), (status = 404, description = "no such component or version"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
    Query(query): Query<EnableQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.admin()?;
    let tenant = caller.tenant(&state, &tenant).await?;
    let digest = state.service.enable_component(&tenant, &name, query.digest.as_deref()).await?;
    Ok(Json(json!({"name": name, "tenant": tenant.name, "digest": digest})))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/components/{name}", params(("tenant" = String, Path), ("name" = String, Path)), responses((status = 204, description = "disabled"), (status = 404, description = "not enabled for this tenant"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.admin()?;
    let tenant = caller.tenant(&state, &tenant).await?;
    state.service.disable_component(&tenant, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
