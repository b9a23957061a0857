//! Why a token operation failed, with the code the API reports.

use crate::runtime::CallError;
use crate::store::{StoreError, TokenStatus};

/// A token operation failed. Cheap to clone: every caller waiting on one
/// refresh receives its outcome.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// No such token, provider or connector for this tenant.
    #[error("{0} not found")]
    NotFound(String),
    /// No connector of that name for this tenant; the message says what
    /// fixes it (the component to enable, the name meant).
    #[error("{0}")]
    UnknownConnector(String),
    /// The request cannot be served as given.
    #[error("{0}")]
    Invalid(String),
    /// The tenant's settings do not allow this (a connect link returning
    /// to an origin the tenant did not allow).
    #[error("{0}")]
    NotAllowed(String),
    /// The request conflicts with the token's state (e.g. retrying an
    /// active token without `force`).
    #[error("{0}")]
    Conflict(String),
    /// The provider's client secret is past its `CLIENT_SECRET_EXPIRES_AT`:
    /// no new authorization starts until a new one is loaded.
    #[error("{0}")]
    SecretExpired(String),
    /// The callback's `state` is unknown, expired or used.
    #[error("{0}")]
    State(&'static str),
    /// The token cannot serve until the user authorizes (again).
    #[error("token is {}: {}", .status.as_str(), .message)]
    NotUsable {
        /// Its status.
        status: TokenStatus,
        /// What happened.
        message: String,
    },
    /// The last refresh of this token failed for a passing reason and is
    /// not tried again before `retry_after_seconds`.
    #[error(
        "the provider failed to refresh this token ({code}): {message}; flowauth tries again in {retry_after_seconds} s"
    )]
    RefreshHeld {
        /// The failure's code.
        code: String,
        /// The failure in words.
        message: String,
        /// Seconds until the next attempt.
        retry_after_seconds: u64,
    },
    /// The provider or the component failed.
    #[error(transparent)]
    Provider(#[from] CallError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// flowauth itself failed (a bug): see the server log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl TokenError {
    /// A stable code: the provider's OAuth code when it refused.
    pub fn code(&self) -> &str {
        match self {
            Self::NotFound(_) | Self::UnknownConnector(_) => "not_found",
            Self::Invalid(_) => "invalid_request",
            Self::NotAllowed(_) => "not_allowed",
            Self::Conflict(_) => "conflict",
            Self::SecretExpired(_) => "client_secret_expired",
            Self::State(_) => "invalid_state",
            Self::NotUsable { status: TokenStatus::NeedsReauth, .. } => "invalid_grant",
            Self::NotUsable { .. } => "token_not_active",
            Self::RefreshHeld { code, .. } => code,
            Self::Provider(e) => e.code(),
            Self::Store(StoreError::NotFound(_)) => "not_found",
            Self::Store(StoreError::Exists(_)) => "exists",
            Self::Store(StoreError::Invalid(_)) => "invalid_request",
            Self::Store(_) | Self::Internal(_) => "internal",
        }
    }

    /// Whether the failure may pass by itself (the provider unreachable or
    /// answering 5xx, no slot free): a still-valid token may be handed out
    /// meanwhile. `invalid_grant` and other refusals are not.
    pub fn is_passing(&self) -> bool {
        match self {
            Self::RefreshHeld { .. } => true,
            Self::Provider(e) => e.is_passing(),
            _ => false,
        }
    }

    /// When the caller may try again, for failures that pass.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::RefreshHeld { retry_after_seconds, .. } => Some(*retry_after_seconds),
            Self::Provider(e) => e.retry_after().map(|d| d.as_secs().max(1)),
            _ => None,
        }
    }
}
