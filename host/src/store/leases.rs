//! Refresh leases: one refresh per token at a time across processes.
//!
//! The contract (the one a PostgreSQL advisory lock gives as well): a
//! lease is taken without waiting or not at all; it is released on every
//! path (explicitly, or by [`Lease`]'s drop); it lapses after its TTL even
//! if its holder hangs; and a lease whose holder process is gone is taken
//! over at once, not after the TTL.

use super::{Store, StoreError, now};

/// A refresh lease on one token, released when dropped.
#[derive(Debug)]
pub struct Lease {
    store: Store,
    token_id: String,
    released: bool,
}

impl Store {
    /// Takes the refresh lease of a token for `ttl_seconds`, unless a live
    /// holder has an unexpired one.
    pub async fn try_lease(&self, token_id: &str, ttl_seconds: i64) -> Result<Option<Lease>, StoreError> {
        let at = now();
        let holder = &self.holder.id;
        let taken = sqlx::query(
            "INSERT INTO refresh_leases (token_id, holder, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (token_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE refresh_leases.expires_at < ?",
        )
        .bind(token_id)
        .bind(holder)
        .bind(at + ttl_seconds)
        .bind(at)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        if !taken {
            let current: Option<String> = sqlx::query_scalar("SELECT holder FROM refresh_leases WHERE token_id = ?")
                .bind(token_id)
                .fetch_optional(&self.pool)
                .await?;
            let Some(current) = current.filter(|other| !self.holder.is_alive(other)) else {
                return Ok(None);
            };
            let took_over =
                sqlx::query("UPDATE refresh_leases SET holder = ?, expires_at = ? WHERE token_id = ? AND holder = ?")
                    .bind(holder)
                    .bind(at + ttl_seconds)
                    .bind(token_id)
                    .bind(&current)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1;
            if !took_over {
                return Ok(None);
            }
            tracing::info!(token = %token_id, "took over the refresh lease of a flowauth process that is gone");
        }
        Ok(Some(Lease { store: self.clone(), token_id: token_id.to_owned(), released: false }))
    }

    async fn release_lease(&self, token_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM refresh_leases WHERE token_id = ? AND holder = ?")
            .bind(token_id)
            .bind(&self.holder.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Lease {
    /// Gives the lease back now.
    pub async fn release(mut self) {
        self.released = true;
        if let Err(error) = self.store.release_lease(&self.token_id).await {
            tracing::warn!(token = %self.token_id, %error, "refresh lease not released; it lapses with its TTL");
        }
    }
}

impl Drop for Lease {
    /// A lease dropped without [`Lease::release`] (an error, a panic)
    /// is released in the background.
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let (store, token_id) = (self.store.clone(), std::mem::take(&mut self.token_id));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = store.release_lease(&token_id).await {
                    tracing::warn!(token = %token_id, %error, "refresh lease not released; it lapses with its TTL");
                }
            });
        }
    }
}
