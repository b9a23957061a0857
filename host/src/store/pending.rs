//! Pending authorizations: what a callback needs, keyed by the sha256 of
//! its single-use `state`.

use sqlx::AnyConnection;

use super::sealing::columns::{PENDING_NONCE, PENDING_STATE, PENDING_VERIFIER};
use super::{PendingAuthorization, Store, StoreError, Taken, now};

/// A pending authorization's row, secrets still sealed.
#[derive(sqlx::FromRow)]
struct PendingRow {
    tenant_id: String,
    token_id: String,
    redirect_uri: String,
    verifier_sealed: Option<Vec<u8>>,
    pending_sealed: Option<Vec<u8>>,
    nonce_sealed: Option<Vec<u8>>,
    expires_at: i64,
    used: i64,
}

impl Store {
    /// Remembers an authorization until its callback.
    pub async fn insert_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.write_pending(&mut conn, pending).await
    }

    pub(super) async fn write_pending(
        &self,
        conn: &mut AnyConnection,
        pending: &PendingAuthorization,
    ) -> Result<(), StoreError> {
        let seal =
            |column, value: &str| self.sealer.seal(&pending.tenant_id, column, &pending.state_hash, value.as_bytes());
        sqlx::query(
            "INSERT INTO pending_authorizations (state_hash, tenant_id, token_id, redirect_uri, verifier_sealed, pending_sealed, \
             nonce_sealed, expires_at, used) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(&pending.state_hash)
        .bind(&pending.tenant_id)
        .bind(&pending.token_id)
        .bind(&pending.redirect_uri)
        .bind(pending.verifier.as_deref().map(|v| seal(PENDING_VERIFIER, v)))
        .bind(pending.pending.as_deref().map(|v| seal(PENDING_STATE, v)))
        .bind(pending.nonce.as_deref().map(|v| seal(PENDING_NONCE, v)))
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
        let row: Option<PendingRow> = sqlx::query_as(
            "SELECT tenant_id, token_id, redirect_uri, verifier_sealed, pending_sealed, nonce_sealed, expires_at, used \
             FROM pending_authorizations WHERE state_hash = $1",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row.filter(|r| tenant_id.is_none_or(|t| r.tenant_id == t)) else {
            return Ok(Taken::Unknown);
        };
        if row.used != 0 {
            return Ok(Taken::Replayed);
        }
        if row.expires_at < now() {
            return Ok(Taken::Expired);
        }
        let spent = sqlx::query("UPDATE pending_authorizations SET used = 1 WHERE state_hash = $1 AND used = 0")
            .bind(state_hash)
            .execute(&self.pool)
            .await?;
        if spent.rows_affected() == 0 {
            return Ok(Taken::Replayed);
        }
        let open = |column, sealed: &Option<Vec<u8>>| {
            self.sealer.open_optional(&row.tenant_id, column, state_hash, sealed.as_deref())
        };
        Ok(Taken::Fresh(PendingAuthorization {
            state_hash: state_hash.to_owned(),
            verifier: open(PENDING_VERIFIER, &row.verifier_sealed)?,
            pending: open(PENDING_STATE, &row.pending_sealed)?,
            nonce: open(PENDING_NONCE, &row.nonce_sealed)?,
            token_id: row.token_id,
            redirect_uri: row.redirect_uri,
            expires_at: row.expires_at,
            tenant_id: row.tenant_id,
        }))
    }
}
