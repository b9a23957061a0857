//! Diagnostics into the host's log. Never pass secrets: the host cannot
//! tell them from other text.

use crate::bindings::flowauth::oauth::log::{Level, log};

/// A debugging detail.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Something the operator may want to know.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Something unusual that did not stop the call.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}
