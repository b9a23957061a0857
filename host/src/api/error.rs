//! Errors as `{"error": {"code", "message"}}`, keeping a provider's OAuth code.

use super::views::{EntryErrorView, ErrorBody, ErrorView};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::runtime::CallError;
use crate::store::{EntryError, StoreError};
use crate::tokens::{LoadError, TokenError};

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
    entries: Vec<EntryError>,
    /// Seconds for `Retry-After`, when trying again later may succeed.
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a stable code and a sentence.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.into(), message: message.into(), entries: Vec::new(), retry_after: None }
    }

    /// 401: no key or an unknown one.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "send a valid API key as `Authorization: Bearer <key>`")
    }

    /// 403 for a tenant key on another tenant's or an admin route. The same
    /// answer whether or not that tenant exists.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "this key may not use this route")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let errors = self.entries.iter().map(|e| EntryErrorView { path: e.path.clone(), message: e.message.clone() });
        let body = ErrorBody { error: ErrorView { code: self.code, message: self.message }, errors: errors.collect() };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        if let TokenError::Store(store) = &error
            && store.is_unavailable()
        {
            return database_unavailable(store);
        }
        let status = match &error {
            TokenError::NotFound(_) | TokenError::UnknownConnector(_) => StatusCode::NOT_FOUND,
            TokenError::Invalid(_) | TokenError::State(_) => StatusCode::BAD_REQUEST,
            TokenError::NotAllowed(_) => StatusCode::FORBIDDEN,
            TokenError::NotUsable { .. } | TokenError::Conflict(_) | TokenError::SecretExpired(_) => {
                StatusCode::CONFLICT
            }
            TokenError::RefreshHeld { .. } | TokenError::Provider(CallError::Busy { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            TokenError::Provider(CallError::OAuth(crate::runtime::OauthError::Config(_))) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            TokenError::Provider(CallError::OAuth(_)) => StatusCode::BAD_GATEWAY,
            TokenError::Provider(_) => StatusCode::BAD_GATEWAY,
            TokenError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            TokenError::Store(StoreError::Exists(_)) => StatusCode::CONFLICT,
            TokenError::Store(StoreError::Invalid(_)) => StatusCode::BAD_REQUEST,
            TokenError::Store(_) | TokenError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &error {
            TokenError::Store(_) | TokenError::Internal(_) if status == StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(%error, "internal failure");
                "internal error: see the server log".to_owned()
            }
            other => other.to_string(),
        };
        let retry_after = error.retry_after_seconds().filter(|_| status == StatusCode::SERVICE_UNAVAILABLE);
        Self { retry_after, ..Self::new(status, error.code(), message) }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        TokenError::Store(error).into()
    }
}

/// What a caller hears while the database does not answer: 503, try again.
fn database_unavailable(error: &StoreError) -> ApiError {
    tracing::warn!(%error, "the database does not answer");
    let message = "the database does not answer: try again shortly".to_owned();
    ApiError { retry_after: Some(1), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", message) }
}

impl From<LoadError> for ApiError {
    fn from(error: LoadError) -> Self {
        let (status, code, entries) = match error {
            LoadError::Invalid(entries) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_load_file", entries),
            LoadError::Conflict(entries) => (StatusCode::CONFLICT, "provider_in_use", entries),
            LoadError::Failed(error) => return error.into(),
        };
        let message = format!("nothing was loaded: {} problem(s), see errors", entries.len());
        Self { entries, ..Self::new(status, code, message) }
    }
}

/// A JSON body, or an error that says what is wrong with it (413 when it
/// is larger than the route accepts; an unknown field named, with the
/// close one and the fields the body takes).
pub fn body<T: DeserializeOwned>(body: Result<axum::Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|axum::Json(b)| b).map_err(|e| match &e {
        JsonRejection::JsonDataError(data) => match super::fields::unknown_field::<T>(&data.body_text()) {
            Some(message) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message),
            None => rejected(e.status(), e.body_text()),
        },
        _ => rejected(e.status(), e.body_text()),
    })
}

/// A text body, or an error that says what is wrong with it.
pub fn text(body: Result<String, axum::extract::rejection::StringRejection>) -> Result<String, ApiError> {
    body.map_err(|e| rejected(e.status(), e.body_text()))
}

fn rejected(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "payload_too_large", text),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(status, "unsupported_media_type", text),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", text),
    }
}

/// Every error answer as `{"error": {"code", "message"}}`: rejections of
/// axum's extractors (a malformed path or query, a wrong content type, a
/// body too large) and 405s come as plain text or empty; they are rewritten
/// here. Pages (the callback's HTML) are left alone.
pub async fn as_json(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !(status.is_client_error() || status.is_server_error())
        || content_type.starts_with("application/json")
        || content_type.starts_with("text/html")
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let (code, fallback) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such route: see /v1/openapi.json"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this route does not take this method"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the body is larger than this route accepts"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send the body as application/json"),
        s if s.is_server_error() => ("internal", "internal error: see the server log"),
        _ => ("invalid_request", "the request is malformed"),
    };
    let message = if text.is_empty() || status.is_server_error() { fallback.to_owned() } else { text };
    let mut answer = ApiError::new(status, code, message).into_response();
    for (name, value) in parts.headers.iter().filter(|(name, _)| *name == header::ALLOW || *name == header::RETRY_AFTER)
    {
        answer.headers_mut().insert(name.clone(), value.clone());
    }
    answer
}
