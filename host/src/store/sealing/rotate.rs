//! Key rotation: every sealed value not yet sealed with the new active key
//! is opened with the keys it names and sealed again, in one transaction.
//! A second pass reseals only what others sealed with an older key
//! meanwhile, so running it again is cheap.

use super::columns::ALL;
use super::ring::{KeyRing, Place, key_id};
use crate::store::{Store, StoreError, now};

impl Store {
    /// Reseals with `ring`'s active key every value sealed with another
    /// key, marks every other key retired and uses `ring` from now on.
    /// Returns the number of values resealed; a value changed by another
    /// writer meanwhile is left as that writer stored it.
    pub async fn reseal(&self, ring: KeyRing) -> Result<usize, StoreError> {
        let old = self.sealer.ring();
        let mut tx = self.begin_write().await?;
        let mut count = 0;
        for sealed in ALL {
            let (table, row_id, column) = (sealed.table, sealed.row_id, sealed.column());
            let select = format!(
                "SELECT {row_id}, tenant_id, {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY {row_id}"
            );
            let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(&select).fetch_all(&mut *tx).await?;
            // Only where the value is still the one read: a refresh storing
            // a new token set meanwhile (not under the write lock) wins, and
            // the next pass reseals what it wrote if it needs it.
            let update = format!("UPDATE {table} SET {column} = $1 WHERE {row_id} = $2 AND {column} = $3");
            for (row, tenant, value) in rows.iter().filter(|(.., value)| key_id(value) != Some(ring.active())) {
                let place = Place { tenant, table, row, column: sealed.name };
                let plaintext = match old.open(place, value) {
                    Err(StoreError::MissingKey(_)) => ring.open(place, value)?,
                    other => other?,
                };
                let resealed = sqlx::query(&update)
                    .bind(ring.seal(place, &plaintext))
                    .bind(row)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                count += resealed as usize;
            }
        }
        sqlx::query(
            "INSERT INTO seal_keys (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET retired_at = NULL",
        )
        .bind(ring.active())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE seal_keys SET retired_at = $1 WHERE id <> $2 AND retired_at IS NULL")
            .bind(now())
            .bind(ring.active())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.sealer.replace(ring);
        Ok(count)
    }
}
