//! Instance slots, shared fairly: the pool bounds the instances of the
//! whole server, a share bounds those of one tenant, and a call waits a
//! bounded time for both. One tenant whose provider hangs holds at most its
//! share; every other tenant's calls find slots free.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};

use super::config::SandboxConfig;
use super::error::CallError;

/// Tenants' shares are forgotten once idle, past this many.
const IDLE_SHARES_KEPT: usize = 64;

/// The server's pool and each tenant's share of it.
pub struct Slots {
    pool: Arc<Semaphore>,
    per_tenant: usize,
    shares: Mutex<HashMap<String, Arc<Semaphore>>>,
    wait: Duration,
}

/// One instance slot, given back when dropped.
pub struct Slot {
    _share: Option<OwnedSemaphorePermit>,
    _pool: OwnedSemaphorePermit,
}

impl Slots {
    pub fn new(config: &SandboxConfig) -> Self {
        Self {
            pool: Arc::new(Semaphore::new(config.max_instances as usize)),
            per_tenant: config.max_instances_per_tenant.clamp(1, config.max_instances) as usize,
            shares: Mutex::default(),
            wait: config.slot_wait,
        }
    }

    /// A slot for a call of `tenant` (or of the operator), within the wait.
    pub async fn acquire(&self, tenant: Option<&str>) -> Result<Slot, CallError> {
        let deadline = Instant::now() + self.wait;
        let busy = |scope| CallError::Busy { scope, waited: self.wait };
        let share = match tenant {
            Some(tenant) => {
                let share = timeout_at(deadline, self.share(tenant).acquire_owned()).await;
                Some(share.map_err(|_| busy("this tenant"))?.expect("shares are never closed"))
            }
            None => None,
        };
        let pool = timeout_at(deadline, self.pool.clone().acquire_owned()).await;
        let pool = pool.map_err(|_| busy("this server"))?.expect("the pool is never closed");
        Ok(Slot { _share: share, _pool: pool })
    }

    fn share(&self, tenant: &str) -> Arc<Semaphore> {
        let mut shares = self.shares.lock().expect("tenant shares");
        if shares.len() > IDLE_SHARES_KEPT {
            // A share in use is also held by its permits.
            shares.retain(|_, share| Arc::strong_count(share) > 1);
        }
        shares.entry(tenant.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant))).clone()
    }
}
