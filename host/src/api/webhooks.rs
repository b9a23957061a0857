//! A tenant's webhook: set (the signing secret is answered once), show,
//! remove, and the delivery log.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::auth::Caller;
use super::schemas::{EventName, WebhookSecret, WebhookUrl};
use super::{ApiError, AppState, body};
use crate::events::{EventsError, WebhookRequest, webhook_json};

impl From<EventsError> for ApiError {
    fn from(error: EventsError) -> Self {
        match error {
            EventsError::Invalid(message) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_webhook", message)
            }
            EventsError::NotAllowed(message) => ApiError::new(StatusCode::FORBIDDEN, "not_allowed", message),
            EventsError::NotFound(message) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            EventsError::Store(error) => error.into(),
            EventsError::Client(message) => {
                tracing::error!(%message, "webhook client");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error: see the server log")
            }
        }
    }
}

/// `PUT .../webhook`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where events are posted.
    #[schema(value_type = WebhookUrl)]
    url: String,
    /// Event types to receive; all when left out.
    #[serde(default)]
    #[schema(value_type = Vec<EventName>)]
    events: Vec<String>,
    /// A signing secret of your own; flowauth generates one when left out.
    #[schema(value_type = Option<WebhookSecret>)]
    secret: Option<String>,
    /// Replace the signing secret of an existing webhook with a new one.
    #[serde(default)]
    rotate_secret: bool,
}

#[utoipa::path(put, path = "/v1/tenants/{tenant}/webhook", params(("tenant" = String, Path)), request_body = WebhookBody, responses((status = 200, description = "the webhook: url, events, and `secret` when it is new (created, given or rotated), shown this once"), (status = 403, description = "the URL's host is not public (not_allowed): the message says why"), (status = 422, description = "the URL, an event type or the secret is refused; the message says why"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn set(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    request: Result<Json<WebhookBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let b = body(request)?;
    let request = WebhookRequest { url: b.url, events: b.events, secret: b.secret, rotate_secret: b.rotate_secret };
    let (webhook, secret) = state.events.set_webhook(&tenant.id, request).await?;
    tracing::info!(tenant = %tenant.name, events = ?webhook.events, rotated = secret.is_some(), "webhook set");
    Ok(Json(webhook_json(&webhook, secret.as_deref())))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/webhook", params(("tenant" = String, Path)), responses((status = 200, description = "url and events, never the secret"), (status = 404, description = "no webhook"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(Json(webhook_json(&state.events.webhook(&tenant.id).await?, None)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant}/webhook", params(("tenant" = String, Path)), responses((status = 204, description = "removed with its delivery log"), (status = 404, description = "no webhook"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    state.events.remove_webhook(&tenant.id).await?;
    tracing::info!(tenant = %tenant.name, "webhook removed");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct DeliveriesQuery {
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/webhook/deliveries", params(("tenant" = String, Path), ("limit" = Option<usize>, Query, description = "at most this many, newest first (default 50, at most 500)")), responses((status = 200, description = "deliveries with status, attempts, next attempt, last status code and error, and every attempt; the endpoint's circuit breaker (state, open_until)"), (status = 401, description = "missing or unknown key"), (status = 403, description = "another tenant")))]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    query: Result<Query<DeliveriesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let Query(query) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.body_text()))?;
    Ok(Json(state.events.delivery_log(&tenant.id, query.limit.unwrap_or(50)).await?))
}
