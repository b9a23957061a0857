//! Refresh leases: one refresh per token at a time, across processes and
//! instances.
//!
//! The contract, the same on every backend: a lease is taken without
//! waiting or not at all; it is released on every path (explicitly, or by
//! [`Lease`]'s drop); it lapses after its TTL even if its holder hangs; and
//! a lease whose holder is gone is taken over at once, not after the TTL.

use super::{Lease, Store, StoreError};

impl Store {
    /// Takes the refresh lease of a token for `ttl_seconds`, unless a live
    /// holder has it.
    pub async fn try_lease(&self, token_id: &str, ttl_seconds: i64) -> Result<Option<Lease>, StoreError> {
        self.backend.try_lease(&self.pool, token_id, ttl_seconds).await
    }
}
