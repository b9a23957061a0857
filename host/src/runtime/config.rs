//! The operator's settings for the runtime, with defaults fit for serving.

use std::path::PathBuf;
use std::time::Duration;

/// Everything [`Runtime::new`](super::Runtime::new) needs.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Where compiled components are cached; `None` compiles at every start.
    pub cache_dir: Option<PathBuf>,
    /// Limits of each component call.
    pub sandbox: SandboxConfig,
    /// The policy of the `http` import.
    pub outbound: OutboundConfig,
}

/// Limits of each component call.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Instances that may run at once; further calls wait for a slot.
    pub max_instances: u32,
    /// Instances one tenant's calls may hold at once, so that one tenant
    /// whose provider hangs cannot take the whole pool.
    pub max_instances_per_tenant: u32,
    /// How long a call waits for a slot before it is refused as busy
    /// (the API answers 503 with `Retry-After`).
    pub slot_wait: Duration,
    /// Linear memory one instance may grow to.
    pub max_memory_bytes: usize,
    /// Guest CPU time one call may use (time spent waiting in host calls,
    /// such as HTTP, does not count).
    pub cpu_budget: Duration,
    /// Wall-clock time one call may take, host calls included.
    pub call_timeout: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            max_instances: 128,
            max_instances_per_tenant: 32,
            slot_wait: Duration::from_secs(5),
            max_memory_bytes: 64 << 20,
            cpu_budget: Duration::from_millis(500),
            call_timeout: Duration::from_secs(45),
        }
    }
}

/// The policy of the `http` import.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// Lets components reach loopback, private and link-local addresses and
    /// use plain `http` (development and tests only).
    pub allow_private_network: bool,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, body included.
    pub request_timeout: Duration,
    /// Largest response body accepted.
    pub max_body_bytes: usize,
    /// Requests one call may send.
    pub max_requests_per_call: u32,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            allow_private_network: false,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            max_body_bytes: 1 << 20,
            max_requests_per_call: 8,
        }
    }
}
