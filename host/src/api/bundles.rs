//! Export and import of a tenant as a sealed bundle (docs/BUNDLES.md).
//! Admin key only: a bundle carries every secret of the tenant (sealed
//! with the passphrase), and an import may create a tenant and pin
//! components.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::Caller;
use super::views::{ImportReportView, import_report_view};
use super::{ApiError, AppState, body};
use crate::tokens::BundleError;

impl From<BundleError> for ApiError {
    fn from(error: BundleError) -> Self {
        let status = match &error {
            BundleError::Failed(error) => return error.clone().into(),
            BundleError::Sealed(crate::bundle::SealError::WeakPassphrase(_)) => StatusCode::BAD_REQUEST,
            BundleError::MissingComponent(_) => StatusCode::CONFLICT,
            BundleError::Sealed(_) | BundleError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, error.code(), error.to_string())
    }
}

/// `POST .../export`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    /// Seals the bundle: at least 12 characters. The import needs it again.
    passphrase: String,
    /// Include the tenant's tokens (not those waiting for a callback).
    #[serde(default)]
    with_tokens: bool,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/export", params(("tenant" = String, Path)), request_body = ExportBody, responses((status = 200, description = "the bundle (JSON; every secret sealed with the passphrase), as `flowauth export` writes it", content_type = "application/json"), (status = 400, description = "the passphrase is shorter than 12 characters (weak_passphrase)")))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    request: Result<Json<ExportBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.admin()?;
    let tenant = caller.tenant(&state, &tenant).await?;
    let request = body(request)?;
    let exported = state.service.export_bundle(&tenant, request.passphrase, request.with_tokens).await?;
    tracing::info!(tenant = %tenant.name, with_tokens = request.with_tokens, "tenant exported");
    let mut response = exported.bundle.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{}.bundle.json\"", tenant.name)) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// `POST .../import`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// The passphrase the bundle was exported with.
    passphrase: String,
    /// The bundle: the JSON object `export` answered, or its text as a string.
    #[schema(value_type = Object)]
    bundle: serde_json::Value,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/import", params(("tenant" = String, Path, description = "the tenant to import into; created (with a new API key, answered once) when there is none")), request_body = ImportBody, responses((status = 200, description = "what was created, updated and left unchanged", body = ImportReportView), (status = 409, description = "the bundle pins a component digest this instance lacks (component_missing); nothing written"), (status = 422, description = "wrong passphrase, a damaged, truncated or newer bundle, or one that does not fit this instance; nothing written")))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    request: Result<Json<ImportBody>, JsonRejection>,
) -> Result<Json<ImportReportView>, ApiError> {
    caller.admin()?;
    let request = body(request)?;
    let bundle = match request.bundle {
        serde_json::Value::String(text) => text.into_bytes(),
        other => serde_json::to_vec(&other).expect("JSON serializes"),
    };
    let imported = state.service.import_bundle(Some(&tenant), bundle, request.passphrase).await?;
    tracing::info!(tenant = %imported.tenant.name, created = imported.api_key.is_some(), "bundle imported");
    Ok(Json(import_report_view(&imported)))
}
