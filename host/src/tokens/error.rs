//! Why a token operation failed, with the code the API reports.

use crate::runtime::CallError;
use crate::store::{StoreError, TokenStatus};

/// A token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No such token, provider or connector for this tenant.
    #[error("{0} not found")]
    NotFound(String),
    /// The request cannot be served as given.
    #[error("{0}")]
    Invalid(String),
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
    /// The provider or the component failed.
    #[error(transparent)]
    Provider(#[from] CallError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TokenError {
    /// A stable code: the provider's OAuth code when it refused.
    pub fn code(&self) -> &str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Invalid(_) => "invalid_request",
            Self::State(_) => "invalid_state",
            Self::NotUsable { status: TokenStatus::NeedsReauth, .. } => "invalid_grant",
            Self::NotUsable { .. } => "token_not_active",
            Self::Provider(e) => {
                e.oauth_code().unwrap_or(if e.is_sandbox_fault() { "component_failed" } else { "provider_error" })
            }
            Self::Store(_) => "internal",
        }
    }
}
