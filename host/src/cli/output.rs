//! What commands print: lines of text or JSON on stdout, errors as text on
//! stderr or as `{"error": {"code", "message"}}` under `--json`.

use std::fmt::Display;
use std::io::Write;

use flowauth::store::StoreError;
use flowauth::tokens::{BundleError, TokenError};

/// An error whose details were printed already: the command only fails.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Reported(pub String);

/// Prints one line. Output into a closed pipe (`flowauth connectors | head`)
/// ends the command quietly, as Unix tools do, instead of failing.
pub fn line(text: impl Display) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{text}").and_then(|()| out.flush())
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
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
    if let Some(error) = error.downcast_ref::<BundleError>() {
        return error.code();
    }
    match (error.downcast_ref::<TokenError>(), error.downcast_ref::<StoreError>()) {
        (Some(e), _) => e.code(),
        (None, Some(StoreError::NotFound(_))) => "not_found",
        (None, Some(StoreError::Exists(_))) => "exists",
        (None, Some(StoreError::Invalid(_))) => "invalid_request",
        _ => "error",
    }
}
