//! What commands print: lines of text or JSON on stdout, errors as text on
//! stderr or as `{"error": {"code", "message"}}` under `--json`.

use std::fmt::Display;
use std::io::Write;

use flowauth::store::StoreError;
use flowauth::tokens::TokenError;

/// An error whose details were printed already: the command only fails.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Reported(pub String);

/// Prints one line.
pub fn line(text: impl Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// Prints a command's failure the way its output is read.
pub fn error(error: &anyhow::Error, json: bool) {
    if error.is::<Reported>() {
        return;
    }
    if json {
        line(serde_json::json!({"error": {"code": code(error), "message": format!("{error:#}")}}));
    } else {
        eprintln!("error: {error:#}");
    }
}

/// A stable code for scripts: the token layer's when it has one.
fn code(error: &anyhow::Error) -> &str {
    match (error.downcast_ref::<TokenError>(), error.downcast_ref::<StoreError>()) {
        (Some(e), _) => e.code(),
        (None, Some(StoreError::NotFound(_))) => "not_found",
        (None, Some(StoreError::Exists(_))) => "exists",
        (None, Some(StoreError::Invalid(_))) => "invalid_request",
        _ => "error",
    }
}

/// Lets a write to a closed pipe (`flowauth connectors | head`) end the
/// process quietly, as Unix tools do, instead of failing with a panic.
/// Not for `serve`, whose sockets must never raise the signal.
pub fn die_quietly_on_closed_pipe() {
    // SAFETY: restores the default disposition of SIGPIPE before any other
    // thread runs; no handler is installed.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
