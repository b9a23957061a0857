//! Provider keys for `private_key_jwt` (docs/KEYS.md): set from a PEM,
//! show, rotate (a new key), remove; and each provider's public JWKS
//! document, which identity providers fetch without a key.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::auth::Caller;
use super::views::{JwksView, ProviderKeyView, provider_key_view};
use super::{ApiError, AppState, body};
use crate::client_keys::KeyService;

/// `PUT .../key`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): RSA of
    /// at least 2048 bits (RS256) or EC P-256 (ES256).
    private_key_pem: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RotateQuery {
    /// RS256 or ES256; by default the active key's, else RS256.
    algorithm: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RemoveQuery {
    /// Remove only the previous key (from the JWKS document), keeping the active one.
    previous: Option<bool>,
}

type ProviderPath = Path<(String, String, String)>;

#[utoipa::path(put, path = "/v1/tenants/{tenant}/providers/{connector}/{display_name}/key", params(("tenant" = String, Path), ("connector" = String, Path), ("display_name" = String, Path)), request_body = KeyBody, responses((status = 200, description = "the active key's public JWK and kid; the key active before stays published as the previous one", body = ProviderKeyView), (status = 400, description = "not a PKCS#8 PEM private key of a supported type: the message says what it is and how to convert it"), (status = 404, description = "no such provider")))]
pub async fn set(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, connector, display_name)): ProviderPath,
    request: Result<Json<KeyBody>, JsonRejection>,
) -> Result<Json<ProviderKeyView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let key = body(request)?;
    let report =
        KeyService::new(state.service.store()).set(&tenant, &connector, &display_name, &key.private_key_pem).await?;
    Ok(Json(provider_key_view(&report, Some(&state.public_url))))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/providers/{connector}/{display_name}/key", params(("tenant" = String, Path), ("connector" = String, Path), ("display_name" = String, Path)), responses((status = 200, description = "the active key's public JWK and kid, and the previous key while it is published", body = ProviderKeyView), (status = 404, description = "no such provider, or it has no key (the message says how to set one)")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, connector, display_name)): ProviderPath,
) -> Result<Json<ProviderKeyView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let report = KeyService::new(state.service.store()).show(&tenant, &connector, &display_name).await?;
    Ok(Json(provider_key_view(&report, Some(&state.public_url))))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/providers/{connector}/{display_name}/key/rotate", params(("tenant" = String, Path), ("connector" = String, Path), ("display_name" = String, Path), RotateQuery), responses((status = 200, description = "a new active key; the one it replaced stays published as the previous one until removed", body = ProviderKeyView), (status = 400, description = "an unknown algorithm"), (status = 404, description = "no such provider")))]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, connector, display_name)): ProviderPath,
    Query(query): Query<RotateQuery>,
) -> Result<Json<ProviderKeyView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let report = KeyService::new(state.service.store())
        .rotate(&tenant, &connector, &display_name, query.algorithm.as_deref())
        .await?;
    Ok(Json(provider_key_view(&report, Some(&state.public_url))))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/providers/{connector}/{display_name}/key", params(("tenant" = String, Path), ("connector" = String, Path), ("display_name" = String, Path), RemoveQuery), responses((status = 204, description = "removed: every key of the provider, or with previous=true only the previous one"), (status = 404, description = "no such provider, or no such key")))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, connector, display_name)): ProviderPath,
    Query(query): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let previous_only = query.previous.unwrap_or(false);
    KeyService::new(state.service.store()).remove(&tenant, &connector, &display_name, previous_only).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/jwks/{provider_id}", params(("provider_id" = String, Path, description = "the provider's id, as `jwks_path` of its key names it")), responses((status = 200, description = "the provider's public keys (RFC 7517 JWK Set): the active key, then the previous one while published", content_type = "application/jwk-set+json", body = JwksView), (status = 404, description = "no key set of this id")))]
pub async fn jwks(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let keys = KeyService::new(state.service.store()).jwks(&provider_id).await?;
    // Short enough that a removed key leaves identity providers' caches soon.
    let headers = [(header::CONTENT_TYPE, "application/jwk-set+json"), (header::CACHE_CONTROL, "public, max-age=300")];
    Ok((headers, Json(JwksView { keys })))
}
