//! `provider.secret_expiring`: the warnings a sweep sends when a client
//! secret is 14 days, then 1 day, from its `CLIENT_SECRET_EXPIRES_AT`.

use crate::store::{StoreError, now, warning_due};

use super::{Event, Events};

impl Events {
    /// Queues the warnings due now, each claimed in the store first so that
    /// it goes out once whatever restarts or other servers do. Returns how
    /// many were queued.
    pub async fn warn_expiring_secrets(&self) -> Result<usize, StoreError> {
        let now = now();
        let mut queued = 0;
        for expiry in self.store.secret_expiries().await? {
            let Some(days) = warning_due(expiry.expires_at, expiry.warned_days, now) else {
                continue;
            };
            if self.store.claim_secret_warning(&expiry, days).await? {
                let event = Event::secret_expiring(&expiry.connector, &expiry.display_name, expiry.expires_at, days);
                self.emit(&expiry.tenant_id, event).await;
                queued += 1;
            }
        }
        Ok(queued)
    }
}
