//! Refresh leases: one refresh per token at a time, across processes and
//! instances, under the contract [`Lease`] states.

use super::{Lease, Store, StoreError};

impl Store {
    /// Takes the refresh lease of a token for `ttl_seconds`, unless a live
    /// holder has it.
    pub async fn try_lease(&self, token_id: &str, ttl_seconds: i64) -> Result<Option<Lease>, StoreError> {
        self.backend.try_lease(&self.pool, token_id, ttl_seconds).await
    }
}
