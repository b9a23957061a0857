//! A tenant's share of the server: at most so many of its requests open at
//! once (head in, answer not yet made), so that one tenant's slow or stuck
//! clients never hold every connection. Over its share a tenant's request
//! is answered 429 with `Retry-After` at once, and its connection closes.
//! Requests with the admin key, or without a valid key, are not counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::{ApiError, AppState};
use crate::store::KeyOwner;

/// Each tenant's requests open now, against a cap.
pub struct OpenRequests {
    cap: usize,
    open: Mutex<HashMap<String, usize>>,
}

impl OpenRequests {
    /// At most `cap` requests of one tenant at once.
    pub fn new(cap: usize) -> Self {
        Self { cap: cap.max(1), open: Mutex::default() }
    }

    /// A place for one more request of `tenant`, while its share has one.
    fn hold(self: &Arc<Self>, tenant: &str) -> Option<Held> {
        let mut open = self.open.lock().expect("open requests");
        let count = open.entry(tenant.to_owned()).or_default();
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(Held { requests: self.clone(), tenant: tenant.to_owned() })
    }
}

/// One request's place in its tenant's share, given back when dropped.
struct Held {
    requests: Arc<OpenRequests>,
    tenant: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.requests.open.lock().expect("open requests");
        if let Some(count) = open.get_mut(&self.tenant) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.tenant);
            }
        }
    }
}

/// Middleware: counts a tenant's request from its head to its answer.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let tenant = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(Caller(KeyOwner::Tenant(tenant))) => Some(tenant),
        _ => None,
    };
    let request = Request::from_parts(parts, body);
    let Some(tenant) = tenant else { return next.run(request).await };
    let Some(_held) = state.open_requests.hold(&tenant.id) else {
        tracing::info!(tenant = %tenant.name, "tenant over its share of open requests: answered 429");
        let message = format!(
            "tenant {} has {} requests open already, its share of this server: try again when one has finished",
            tenant.name, state.open_requests.cap
        );
        let mut answer = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message).into_response();
        answer.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
        answer.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return answer;
    };
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_gets_its_share_back_when_requests_end() {
        let open = Arc::new(OpenRequests::new(2));
        let (a, b) = (open.hold("acme").unwrap(), open.hold("acme").unwrap());
        assert!(open.hold("acme").is_none(), "over the share");
        assert!(open.hold("beta").is_some(), "another tenant has its own share");
        drop(a);
        assert!(open.hold("acme").is_some());
        drop(b);
    }
}
