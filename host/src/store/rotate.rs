//! Key rotation: every sealed value is opened with the old keys and sealed
//! again with the new active key, in one transaction.

use sqlx::Row;

use super::seal::{KeyRing, Place};
use super::{Store, StoreError, now};

/// Every sealed column: (table, row id column, columns without `_sealed`).
const SEALED: [(&str, &str, &[&str]); 4] = [
    ("providers", "id", &["settings"]),
    ("tokens", "id", &["access_token", "refresh_token", "id_token", "client", "extra"]),
    ("pending_authorizations", "state_hash", &["verifier", "pending"]),
    // Bound to the tenant's id as its row: one webhook per tenant.
    ("webhooks", "tenant_id", &["secret"]),
];

impl Store {
    /// Reseals everything with `ring`'s active key and marks every other
    /// key retired. Returns the store using the new ring and the number of
    /// values resealed.
    pub async fn reseal(&self, ring: KeyRing) -> Result<(Store, usize), StoreError> {
        let mut tx = self.begin_write().await?;
        let mut count = 0;
        for (table, id_column, columns) in SEALED {
            for column in columns {
                let select = format!(
                    "SELECT {id_column} AS row_id, tenant_id, {column}_sealed AS sealed FROM {table} WHERE {column}_sealed IS NOT NULL"
                );
                let rows = sqlx::query(&select).fetch_all(&mut *tx).await?;
                for row in rows {
                    let (row_id, tenant): (String, String) = (row.get("row_id"), row.get("tenant_id"));
                    let place = Place { tenant: &tenant, table, row: &row_id, column };
                    let plaintext = self.ring.open(place, &row.get::<Vec<u8>, _>("sealed"))?;
                    let update = format!("UPDATE {table} SET {column}_sealed = ? WHERE {id_column} = ?");
                    sqlx::query(&update).bind(ring.seal(place, &plaintext)).bind(&row_id).execute(&mut *tx).await?;
                    count += 1;
                }
            }
        }
        sqlx::query(
            "INSERT INTO seal_keys (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET retired_at = NULL",
        )
        .bind(ring.active())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE seal_keys SET retired_at = ? WHERE id <> ? AND retired_at IS NULL")
            .bind(now())
            .bind(ring.active())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((Store { pool: self.pool.clone(), ring, holder: self.holder.clone() }, count))
    }
}
