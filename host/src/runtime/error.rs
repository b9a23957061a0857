//! What can go wrong when installing or calling a component, in words an
//! operator can act on.

use std::time::Duration;

use super::types::OauthError;

/// A component could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The wasmtime engine could not be set up.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    /// The bytes are not a valid WebAssembly component.
    #[error("{name}: not a WebAssembly component: {reason} (build it for wasm32-wasip2; see docs/COMPONENTS.md)")]
    Invalid {
        /// The component's name.
        name: String,
        /// What wasmtime said.
        reason: String,
    },
    /// The component does not fit the `connector` world or asks for more.
    #[error("{name}: {reason}")]
    Contract {
        /// The component's name.
        name: String,
        /// Which import or export is wrong.
        reason: String,
    },
    /// The component failed while listing its connectors.
    #[error("{name}: listing its connectors failed: {source}")]
    Connectors {
        /// The component's name.
        name: String,
        /// Why.
        source: Box<CallError>,
    },
}

/// A component call did not produce the component's answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The component answered with an OAuth error (the provider refused,
    /// a setting is wrong, ...). A provider's OAuth code is kept.
    #[error("{}", describe(.0))]
    OAuth(OauthError),
    /// The connector is not one of the component's.
    #[error("component {component} does not serve connector {connector:?}")]
    UnknownConnector {
        /// The component's name.
        component: String,
        /// The connector asked for.
        connector: String,
    },
    /// A run-time definition was given to a component that takes none: a
    /// 0.2.0 component without the `definitions` export. Found at install,
    /// so nothing was called.
    #[error(
        "component {component} takes no run-time connector definitions (contract {version}, no `definitions` \
         export): give the definition to a component that does, such as generic"
    )]
    NoDefinitions {
        /// The component's name.
        component: String,
        /// Its contract version.
        version: &'static str,
    },
    /// The guest used more CPU than one call may.
    #[error("component {component} was stopped: it used more than its CPU budget of {budget:?}")]
    CpuBudget {
        /// The component's name.
        component: String,
        /// The budget it exceeded.
        budget: Duration,
    },
    /// The guest grew its memory past the cap.
    #[error("component {component} was stopped: it tried to grow its memory past {limit} bytes")]
    MemoryCap {
        /// The component's name.
        component: String,
        /// The cap.
        limit: usize,
    },
    /// The call, host calls included, took longer than allowed.
    #[error("component {component} was stopped: the call took longer than {timeout:?}")]
    Timeout {
        /// The component's name.
        component: String,
        /// The deadline.
        timeout: Duration,
    },
    /// No instance slot came free in time: the tenant uses its whole
    /// share, or the server its whole pool. Nothing was sent.
    #[error(
        "too many component calls in flight for {scope}: none finished within {waited:?}; try again shortly \
         (operators: --max-calls-per-tenant and --max-instances set the shares)"
    )]
    Busy {
        /// `this tenant` or `this server`.
        scope: &'static str,
        /// How long the call waited for a slot.
        waited: Duration,
    },
    /// The guest trapped (a panic, an out-of-bounds access, ...).
    #[error("component {component} crashed: {message}")]
    Trap {
        /// The component's name.
        component: String,
        /// The trap and where it happened.
        message: String,
    },
}

impl CallError {
    /// The provider's OAuth error code (`invalid_grant`, ...) when the
    /// provider refused.
    pub fn oauth_code(&self) -> Option<&str> {
        match self {
            Self::OAuth(OauthError::Rejected(e)) => Some(&e.code),
            _ => None,
        }
    }

    /// Whether the component misbehaved (as opposed to answering).
    pub fn is_sandbox_fault(&self) -> bool {
        !matches!(self, Self::OAuth(_) | Self::UnknownConnector { .. } | Self::NoDefinitions { .. } | Self::Busy { .. })
    }

    /// A stable code: the provider's OAuth code when it refused.
    pub fn code(&self) -> &str {
        match self {
            Self::Busy { .. } => "busy",
            Self::NoDefinitions { .. } => "no_definitions",
            _ => {
                self.oauth_code().unwrap_or(if self.is_sandbox_fault() { "component_failed" } else { "provider_error" })
            }
        }
    }

    /// Whether the failure may pass by itself: the provider could not be
    /// reached, answered 5xx or said it is unavailable, the call ran out of
    /// time, or no slot was free.
    pub fn is_passing(&self) -> bool {
        match self {
            Self::OAuth(OauthError::Transport(_)) | Self::Timeout { .. } | Self::Busy { .. } => true,
            Self::OAuth(OauthError::Rejected(e)) => {
                e.status >= 500 || matches!(e.code.as_str(), "temporarily_unavailable" | "server_error")
            }
            _ => false,
        }
    }

    /// How long a caller should wait before trying again, when the server
    /// itself refused for want of a slot.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Busy { waited, .. } => Some((*waited).max(Duration::from_secs(1))),
            _ => None,
        }
    }
}

/// An OAuth error in words: the generated `Display` only shows the variant.
fn describe(error: &OauthError) -> String {
    match error {
        OauthError::Config(m) => format!("provider settings: {m}"),
        OauthError::Rejected(e) => match &e.description {
            Some(d) => format!("the provider refused ({}, HTTP {}): {d}", e.code, e.status),
            None => format!("the provider refused ({}, HTTP {})", e.code, e.status),
        },
        OauthError::Transport(m) => format!("the provider could not be reached: {m}"),
        OauthError::Protocol(m) => format!("the provider's answer is not valid OAuth: {m}"),
        OauthError::Unsupported(m) => format!("not supported: {m}"),
    }
}
