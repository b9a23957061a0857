//! The HTTP server loop: connections up to a cap, each given a deadline
//! to send its request head (a client that trickles its headers, or sends
//! none, is cut off instead of holding a connection forever) and then its
//! body (see `pace`), heads of bounded size answered in JSON when refused
//! (see `parse_errors`), and a graceful stop that finishes the requests in
//! flight.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::ApiError;
use super::pace::{BodyPace, PacedBody, TooSlow};
use super::parse_errors::JsonParseErrors;

/// The largest request head (request line and headers); a larger one is
/// answered 431.
pub const MAX_HEAD_BYTES: usize = 64 << 10;

/// How the server treats its connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; further clients wait in the kernel's
    /// backlog until one closes.
    pub max_connections: usize,
    /// Time a client has to send a request's head once it starts one.
    pub header_read_timeout: Duration,
    /// How fast a request's body must arrive once its head is in.
    pub body: BodyPace,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_connections: 4096, header_read_timeout: Duration::from_secs(10), body: BodyPace::default() }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_buf_size(MAX_HEAD_BYTES);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = open.clone().acquire_owned() => slot.expect("the connection cap is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: breathe, then go on.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, pace) = (app.clone(), limits.body);
        let service = hyper::service::service_fn(move |request| paced(app.clone(), pace, request));
        let stream = TokioIo::new(JsonParseErrors::new(stream));
        let connection = graceful.watch(http.serve_connection(stream, service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            drop(slot);
        });
    }
    graceful.shutdown().await;
}

/// Runs one request through `app` with its body paced; a body that came
/// too slowly is answered 408 whatever the handler made of it, and the
/// connection closes.
async fn paced(app: Router, pace: BodyPace, request: Request<Incoming>) -> Result<Response, Infallible> {
    let too_slow = TooSlow::default();
    let uri = request.uri().clone();
    let request = request.map(|body| Body::new(PacedBody::new(body, pace, too_slow.clone())));
    let response = app.oneshot(request).await?;
    if !too_slow.happened() {
        return Ok(response);
    }
    tracing::info!(path = uri.path(), "request body too slow: answered 408, connection closed");
    let message = format!(
        "the request body came too slowly: send it whole within {} s, at {} bytes a second or more",
        pace.timeout.as_secs(),
        pace.min_rate
    );
    let mut answer = ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message).into_response();
    answer.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    Ok(answer)
}
