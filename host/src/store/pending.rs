//! Pending authorizations: what a callback needs, keyed by the sha256 of
//! its single-use `state`.

use sqlx::{Row, SqliteConnection};

use super::{PendingAuthorization, Store, StoreError, Taken, now};

impl Store {
    /// Remembers an authorization until its callback.
    pub async fn insert_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.write_pending(&mut conn, pending).await
    }

    pub(super) async fn write_pending(
        &self,
        conn: &mut SqliteConnection,
        pending: &PendingAuthorization,
    ) -> Result<(), StoreError> {
        let seal = |column: &str, value: &str| {
            self.seal(&pending.tenant_id, "pending_authorizations", &pending.state_hash, column, value.as_bytes())
        };
        sqlx::query(
            "INSERT INTO pending_authorizations (state_hash, tenant_id, token_id, redirect_uri, verifier_sealed, pending_sealed, \
             expires_at, used) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        )
        .bind(&pending.state_hash)
        .bind(&pending.tenant_id)
        .bind(&pending.token_id)
        .bind(&pending.redirect_uri)
        .bind(pending.verifier.as_deref().map(|v| seal("verifier", v)))
        .bind(pending.pending.as_deref().map(|v| seal("pending", v)))
        .bind(pending.expires_at)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Spends a pending authorization. Only the first caller, of the
    /// right tenant (when one is expected), before expiry, gets it; an
    /// authorization of another tenant reads as unknown, and nothing
    /// changes for any refused caller.
    pub async fn take_pending(&self, state_hash: &str, tenant_id: Option<&str>) -> Result<Taken, StoreError> {
        let row = sqlx::query("SELECT * FROM pending_authorizations WHERE state_hash = ?")
            .bind(state_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row.filter(|r| tenant_id.is_none_or(|t| r.get::<String, _>("tenant_id") == t)) else {
            return Ok(Taken::Unknown);
        };
        if row.get::<i64, _>("used") != 0 {
            return Ok(Taken::Replayed);
        }
        if row.get::<i64, _>("expires_at") < now() {
            return Ok(Taken::Expired);
        }
        let spent = sqlx::query("UPDATE pending_authorizations SET used = 1 WHERE state_hash = ? AND used = 0")
            .bind(state_hash)
            .execute(&self.pool)
            .await?;
        if spent.rows_affected() == 0 {
            return Ok(Taken::Replayed);
        }
        let tenant_id: String = row.get("tenant_id");
        let open = |column: &str| {
            self.open_optional(
                &tenant_id,
                "pending_authorizations",
                state_hash,
                column,
                row.get(format!("{column}_sealed").as_str()),
            )
        };
        Ok(Taken::Fresh(PendingAuthorization {
            state_hash: state_hash.to_owned(),
            token_id: row.get("token_id"),
            redirect_uri: row.get("redirect_uri"),
            verifier: open("verifier")?,
            pending: open("pending")?,
            expires_at: row.get("expires_at"),
            tenant_id: tenant_id.clone(),
        }))
    }
}
