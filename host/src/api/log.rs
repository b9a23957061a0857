//! Request logs and counts: method, path, status and time, never the query string
//! (the callback's `code` and `state` travel there) nor any header (API
//! keys travel in `Authorization`), nor the secret of a connect link.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub async fn requests(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = match request.uri().path() {
        connect if connect.starts_with("/connect/") => "/connect/<secret>".to_owned(),
        path => path.to_owned(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed_us = started.elapsed().as_micros() as u64;
    crate::metrics::METRICS.request(response.status().as_u16());
    tracing::info!(target: "flowauth::api", %method, %path, status = response.status().as_u16(), elapsed_us, "request");
    response
}
