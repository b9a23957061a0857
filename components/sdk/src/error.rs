//! Short constructors for [`OauthError`], so components say *why* in one line.

use crate::OauthError;

/// The admin must fix a provider setting or a connector definition.
pub fn config(message: impl Into<String>) -> OauthError {
    OauthError::Config(message.into())
}

/// The connector does not offer this operation.
pub fn unsupported(message: impl Into<String>) -> OauthError {
    OauthError::Unsupported(message.into())
}

/// The provider answered something that is not valid OAuth.
pub fn protocol(message: impl Into<String>) -> OauthError {
    OauthError::Protocol(message.into())
}

/// The provider could not be reached or failed on its side; retryable.
pub fn transport(message: impl Into<String>) -> OauthError {
    OauthError::Transport(message.into())
}
