//! hyper answers a request it cannot parse (a head larger than the limit, a
//! malformed request line or header) by itself, before the API sees it,
//! with an empty body. This wrapper around a connection's stream replaces
//! those answers with JSON errors like every other. It knows them by their
//! shape: a head alone, status 400, 414 or 431, `content-length: 0` and no
//! content type — the API never answers an error so (see `error::as_json`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::views::{ErrorBody, ErrorView};

/// A connection's stream whose parse-error answers are JSON.
pub struct JsonParseErrors<S> {
    inner: S,
    /// A replacement being written, how much of it is out, and the length
    /// of the answer it replaces (what hyper is told was written).
    replacing: Option<(Vec<u8>, usize, usize)>,
}

impl<S> JsonParseErrors<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, replacing: None }
    }
}

/// The status of hyper's own answer to an unparsable request, when `buf`
/// is one.
fn parse_error_status(buf: &[u8]) -> Option<StatusCode> {
    let head = std::str::from_utf8(buf).ok()?.strip_suffix("\r\n\r\n")?;
    let rest = head.strip_prefix("HTTP/1.1 ").or_else(|| head.strip_prefix("HTTP/1.0 "))?;
    let status = StatusCode::from_bytes(rest.get(..3)?.as_bytes()).ok()?;
    let fields: Vec<String> = head.split("\r\n").skip(1).map(str::to_ascii_lowercase).collect();
    let empty = fields.iter().any(|f| f == "content-length: 0");
    let typed = fields.iter().any(|f| f.starts_with("content-type:"));
    let parse_error = [StatusCode::BAD_REQUEST, StatusCode::URI_TOO_LONG, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE];
    (parse_error.contains(&status) && empty && !typed && !head.contains("\r\n\r\n")).then_some(status)
}

/// The JSON answer that replaces hyper's empty one.
fn json_answer(status: StatusCode) -> Vec<u8> {
    let (code, message) = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            "headers_too_large",
            format!(
                "the request line and headers are larger than {} KiB: send long values in the body",
                super::server::MAX_HEAD_BYTES >> 10
            ),
        ),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the URL is too long: send long values in the body".to_owned()),
        _ => ("invalid_request", "the request is not valid HTTP/1.1".to_owned()),
    };
    let body = ErrorBody { error: ErrorView { code: code.into(), message }, errors: Vec::new() };
    let body = serde_json::to_string(&body).expect("an error body serializes");
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        status.as_str(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes()
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonParseErrors<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none() {
            let Some(status) = parse_error_status(buf) else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            };
            this.replacing = Some((json_answer(status), 0, buf.len()));
        }
        let (answer, sent, replaced) = this.replacing.as_mut().expect("set above");
        while *sent < answer.len() {
            match ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*sent..]))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => *sent += n,
            }
        }
        // hyper closes the connection after this answer: nothing follows.
        Poll::Ready(Ok((*replaced).min(buf.len())))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    // Not vectored (the default), so that hyper hands each answer's head
    // over in one piece.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_only_hypers_own_empty_error_answers() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(parse_error_status(hyper), Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
        let api = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parse_error_status(api), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parse_error_status(ok), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
        assert_eq!(parse_error_status(with_body), None);
    }
}
