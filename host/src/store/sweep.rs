//! Housekeeping: what no request will ever need again.

use super::{Store, StoreError, now};

/// An expired authorization is kept this long, so that a late callback is
/// told "expired" (start again) rather than "unknown".
const EXPIRED_AUTHORIZATION_GRACE_SECONDS: i64 = 3600;

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Pending authorizations (and their spent states) past expiry.
    pub authorizations: u64,
    /// Connect sessions past expiry.
    pub connect_sessions: u64,
    /// Refresh leases past their TTL or of holders that are gone.
    pub leases: u64,
    /// Registrations of holders that are gone.
    pub holders: usize,
}

impl Store {
    /// Deletes expired authorizations, states and connect sessions, and what leases leave
    /// behind where the backend keeps them.
    pub async fn sweep(&self) -> Result<Swept, StoreError> {
        let authorizations = sqlx::query("DELETE FROM pending_authorizations WHERE expires_at < $1")
            .bind(now() - EXPIRED_AUTHORIZATION_GRACE_SECONDS)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let connect_sessions = self.sweep_connect_sessions().await?;
        let (leases, holders) = self.backend.sweep_leases(&self.pool).await?;
        Ok(Swept { authorizations, connect_sessions, leases, holders })
    }
}
