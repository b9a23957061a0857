//! The flow steps: StartTokenRequestAndGetAuthLink, access token,
//! RefreshAccessToken, ResetClientCredentialsToken, retry, rename, delete,
//! validate. No answer ever carries a refresh token or a client secret.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::auth::Caller;
use super::schemas::TokenName;
use super::views::{
    AccessView, StartedView, TokenPage, TokenView, ValidationView, access_view, started_view, token_view,
};
use super::{ApiError, AppState, body};
use crate::store::{PasswordCredentials, TokenFilter, TokenRecord, TokenStatus};
use crate::tokens::{AccessToken, Flow, StartRequest, Started};

fn default_true() -> bool {
    true
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    #[schema(value_type = TokenName)]
    name: String,
    #[schema(min_length = 1)]
    connector: String,
    #[schema(min_length = 1)]
    provider: String,
    #[schema(pattern = "^(authorization_code|client_credentials|password)$")]
    flow: String,
    #[serde(default)]
    scopes: Vec<String>,
    resource: Option<String>,
    #[serde(default)]
    additional: Map<String, Value>,
    username: Option<String>,
    password: Option<String>,
    #[serde(default = "default_true")]
    use_default_keys: bool,
    consumer_key: Option<String>,
    secret_key: Option<String>,
}

/// `{"prompt": "consent"}` as pairs; non-string values as their JSON text.
fn pairs(map: Map<String, Value>) -> Vec<(String, String)> {
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect()
}

fn started(s: Started) -> Json<StartedView> {
    Json(started_view(&s))
}

fn access(token: AccessToken) -> Json<AccessView> {
    Json(access_view(&token))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/tokens", params(("tenant" = String, Path)), request_body = StartBody, responses((status = 201, description = "StartTokenRequestAndGetAuthLink: id, status, auth_link", body = StartedView), (status = 409, description = "a token of that name exists, or the provider's client secret expired (client_secret_expired)"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    request: Result<Json<StartBody>, JsonRejection>,
) -> Result<(StatusCode, Json<StartedView>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let b = body(request)?;
    let request = StartRequest {
        name: b.name,
        connector: b.connector,
        provider: b.provider,
        flow: Flow::parse(&b.flow)?,
        scopes: b.scopes,
        resource: b.resource,
        additional: pairs(b.additional),
        username: b.username,
        password: b.password,
        use_default_keys: b.use_default_keys,
        consumer_key: b.consumer_key,
        secret_key: b.secret_key,
    };
    let s = state.service.start(&tenant, request).await?;
    Ok((StatusCode::CREATED, started(s)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/tokens", params(("tenant" = String, Path), ListQuery), responses((status = 200, description = "a page of tokens, newest first, never their secrets; next_cursor when more follow", body = TokenPage), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<TokenPage>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(name) => Some(TokenStatus::from_name(name).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("status {name:?} is not one of pending, active, needs_reauth, failed"),
            )
        })?),
    };
    let filter = TokenFilter {
        status,
        connector: query.connector,
        provider: query.provider,
        name: query.name,
        name_prefix: query.name_prefix,
    };
    let limit = match query.limit.unwrap_or(DEFAULT_PAGE) {
        limit @ 1..=MAX_PAGE => limit,
        other => {
            let message = format!("limit {other}: give 1 to {MAX_PAGE} tokens a page (default {DEFAULT_PAGE})");
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message));
        }
    };
    // An empty cursor is no cursor, as empty filters are no filter.
    let cursor = query.cursor.as_deref().filter(|c| !c.is_empty());
    let (tokens, next) = state.service.store().token_page(&tenant.id, &filter, limit, cursor).await?;
    Ok(Json(TokenPage { tokens: tokens.iter().map(token_view).collect(), next_cursor: next }))
}

/// Tokens a page holds unless `limit` says otherwise, and at most.
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// pending, active, needs_reauth or failed.
    #[param(pattern = "^(pending|active|needs_reauth|failed)?$")]
    status: Option<String>,
    /// A connector name, e.g. `salesforce`.
    connector: Option<String>,
    /// A provider's display name.
    provider: Option<String>,
    /// A token name.
    name: Option<String>,
    /// The start of token names (case-sensitive), e.g. `sal` for `sales-bot`.
    name_prefix: Option<String>,
    /// Tokens per page (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^(-?[0-9]{1,18}_[^\x00-\x1f\x7f-\x9f]*)?$")]
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/tokens/{id}", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, description = "status, never secrets", body = TokenView), (status = 404, description = "no such token"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<TokenView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(Json(token_view(&stored(&state, &tenant.id, &id).await?)))
}

/// A token of the tenant, by id or name, or 404.
async fn stored(state: &AppState, tenant_id: &str, reference: &str) -> Result<TokenRecord, ApiError> {
    let id = state.service.token_id(tenant_id, reference).await?;
    let token = state.service.store().token(tenant_id, &id).await?;
    token.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("token {reference} not found")))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/tokens/{id}/access-token", params(("tenant" = String, Path), ("id" = String, Path), ("which" = Option<String>, Query, description = "a further token of the grant: user for Slack's user token (bot, or leaving it out, gives the bot token)")), responses((status = 200, description = "access_token, token_type, expires_at, extra; refreshed first when less than min(60 s, half its lifetime) is left", body = AccessView), (status = 400, description = "the token holds no token of that which"), (status = 409, description = "the token is not active"), (status = 503, description = "the provider failed for a passing reason and the stored token expired, or no instance slot is free: see Retry-After"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn access_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    Query(query): Query<WhichQuery>,
) -> Result<Json<AccessView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = state.service.token_id(&tenant.id, &id).await?;
    Ok(access(state.service.access_token(&tenant.id, &id).await?.select(query.which.as_deref())?))
}

/// Which token of the grant a flow step wants (Slack: `user`).
#[derive(Deserialize)]
pub struct WhichQuery {
    which: Option<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/tokens/{id}/refresh", params(("tenant" = String, Path), ("id" = String, Path), ("which" = Option<String>, Query, description = "a further token of the grant: user for Slack's user token (bot, or leaving it out, gives the bot token)")), responses((status = 200, description = "RefreshAccessToken", body = AccessView), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    Query(query): Query<WhichQuery>,
) -> Result<Json<AccessView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = state.service.token_id(&tenant.id, &id).await?;
    Ok(access(state.service.refresh(&tenant.id, &id).await?.select(query.which.as_deref())?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    scopes: Option<Vec<String>>,
    resource: Option<String>,
    #[serde(default)]
    additional: Map<String, Value>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/tokens/{id}/reset", params(("tenant" = String, Path), ("id" = String, Path)), request_body = ResetBody, responses((status = 200, description = "ResetClientCredentialsToken", body = StartedView), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    request: Result<Json<ResetBody>, JsonRejection>,
) -> Result<Json<StartedView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let b = body(request)?;
    let id = state.service.token_id(&tenant.id, &id).await?;
    // Detached: a caller that hangs up after the revocation must not leave
    // a revoked token stored as active.
    let service = state.service.clone();
    let (scopes, resource, additional) = (b.scopes, b.resource, pairs(b.additional));
    let s = detached(async move { service.reset(&tenant.id, &id, scopes, resource, additional).await }).await?;
    Ok(started(s))
}

#[derive(Deserialize)]
pub struct RetryQuery {
    force: Option<bool>,
}

/// A password token's re-request: the user's current username and password.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    username: Option<String>,
    password: Option<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/tokens/{id}/retry", params(("tenant" = String, Path), ("id" = String, Path), ("force" = Option<bool>, Query, description = "re-authorize an active token; it keeps serving until the new authorization completes")), request_body(content = Option<RetryBody>, description = "for a password token: the current username and password (saved where the provider says SAVE_PASSWORD_CREDENTIALS=true)"), responses((status = 200, description = "a new auth_link, or a password token's outcome", body = StartedView), (status = 400, description = "username without password, or the other way round; or credentials for a token that is not a password token"), (status = 409, description = "the token is active: use refresh, or force; or the provider's client secret expired (client_secret_expired)"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    Query(query): Query<RetryQuery>,
    request: Result<Option<Json<Option<RetryBody>>>, JsonRejection>,
) -> Result<Json<StartedView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let b = match request {
        // No body, or `null`: a plain retry.
        Ok(given) => given.and_then(|Json(b)| b).unwrap_or_default(),
        Err(rejection) => body::<RetryBody>(Err(rejection))?,
    };
    let id = state.service.token_id(&tenant.id, &id).await?;
    let s = match (b.username, b.password) {
        (None, None) => state.service.retry(&tenant.id, &id, query.force.unwrap_or(false)).await?,
        (Some(username), Some(password)) => {
            // Detached: a caller that hangs up must not lose the token set the provider issued.
            let service = state.service.clone();
            let credentials = PasswordCredentials { username, password };
            detached(async move { service.retry_password(&tenant.id, &id, credentials).await }).await?
        }
        _ => {
            let message = "give username and password together: the user's current ones, for a password token";
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message));
        }
    };
    Ok(started(s))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/tokens/{id}/validate", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 200, description = "what the provider says", body = ValidationView), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<ValidationView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = state.service.token_id(&tenant.id, &id).await?;
    let v = state.service.validate(&tenant.id, &id).await?;
    Ok(Json(ValidationView { active: v.active, expires_in: v.expires_in, scope: v.scope, subject: v.subject }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    #[schema(value_type = TokenName)]
    name: String,
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant}/tokens/{id}", params(("tenant" = String, Path), ("id" = String, Path)), request_body = RenameBody, responses((status = 200, description = "renamed", body = TokenView), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    request: Result<Json<RenameBody>, JsonRejection>,
) -> Result<Json<TokenView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = state.service.token_id(&tenant.id, &id).await?;
    state.service.rename(&tenant.id, &id, &body(request)?.name).await?;
    Ok(Json(token_view(&stored(&state, &tenant.id, &id).await?)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/tokens/{id}", params(("tenant" = String, Path), ("id" = String, Path)), responses((status = 204, description = "deleted, revoked where the provider can"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = state.service.token_id(&tenant.id, &id).await?;
    let service = state.service.clone();
    detached(async move { service.delete(&tenant.id, &id).await }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs work that reaches a provider to its end, even if the caller hangs up.
pub(super) async fn detached<T: Send + 'static>(
    work: impl Future<Output = Result<T, crate::tokens::TokenError>> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(work)
        .await
        .map_err(|e| ApiError::from(crate::tokens::TokenError::Internal(e.to_string())))?
        .map_err(Into::into)
}
