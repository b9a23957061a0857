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
    /// Refresh leases past their TTL or of holders that are gone.
    pub leases: u64,
    /// Registrations of holders that are gone.
    pub holders: usize,
}

impl Store {
    /// Deletes expired authorizations and states, lapsed leases and the
    /// leases and registrations of holders that are gone.
    pub async fn sweep(&self) -> Result<Swept, StoreError> {
        let at = now();
        let authorizations = sqlx::query("DELETE FROM pending_authorizations WHERE expires_at < ?")
            .bind(at - EXPIRED_AUTHORIZATION_GRACE_SECONDS)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let mut leases = sqlx::query("DELETE FROM refresh_leases WHERE expires_at < ?")
            .bind(at)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let holders: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT holder FROM refresh_leases").fetch_all(&self.pool).await?;
        for gone in holders.iter().filter(|h| !self.holder.is_alive(h)) {
            leases += sqlx::query("DELETE FROM refresh_leases WHERE holder = ?")
                .bind(gone)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(Swept { authorizations, leases, holders: self.holder.sweep_dead() })
    }
}
