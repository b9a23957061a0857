//! What SQLite migrations cannot do themselves: data repairs that must run
//! before a migration which would otherwise fail on old data.
//!
//! A repair cannot live in the migration it prepares for, nor in a new
//! migration before it. sqlx refuses a database whose applied migrations
//! changed (it compares each one's checksum with the file's), so editing
//! `0008_names.sql` would lock out every database that applied it; and
//! versions are integers, so nothing fits between 0007 and 0008 (sqlx
//! would also run a late-numbered repair after 0008, too late). So the
//! repair runs in code, before the migrator, on a database that has the
//! table but not yet what the migration makes.

use sqlx::AnyPool;

use crate::store::StoreError;
use crate::store::tenants::MAX_TENANT_NAME;

/// Runs the repairs the pending migrations need.
pub async fn before_migrations(pool: &AnyPool) -> Result<(), StoreError> {
    if has(pool, "tenants").await? && !has(pool, "tenants_by_folded_name").await? {
        fold_tenant_names(pool).await?;
    }
    Ok(())
}

/// Whether the schema has a table or index of this name.
async fn has(pool: &AnyPool, name: &str) -> Result<bool, StoreError> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = $1").bind(name).fetch_one(pool).await?;
    Ok(count > 0)
}

/// Prepares migration 0008, which makes tenant names unique whatever their
/// case: of tenants whose names differ only in case, the oldest keeps its
/// name and each other is renamed `NAME-<start of its id>`, with a warning.
/// Nothing else changes: a renamed tenant keeps its id, key, providers
/// and tokens, and is reached by its new name.
async fn fold_tenant_names(pool: &AnyPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let shadowed: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.id, t.name, (SELECT o.name FROM tenants o WHERE lower(o.name) = lower(t.name) \
                               ORDER BY o.created_at, o.id LIMIT 1) \
         FROM tenants t WHERE EXISTS (SELECT 1 FROM tenants o WHERE lower(o.name) = lower(t.name) \
                                      AND (o.created_at < t.created_at OR (o.created_at = t.created_at AND o.id < t.id))) \
         ORDER BY t.created_at, t.id",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, name, kept) in shadowed {
        let mut renamed = None;
        for length in [8, 16, id.len()] {
            let suffix: String = id.chars().take(length).collect();
            let stem: String = name.chars().take(MAX_TENANT_NAME - 1 - suffix.len()).collect();
            let candidate = format!("{stem}-{suffix}");
            let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants WHERE lower(name) = lower($1)")
                .bind(&candidate)
                .fetch_one(&mut *tx)
                .await?;
            if taken == 0 {
                renamed = Some(candidate);
                break;
            }
        }
        let renamed = renamed.ok_or_else(|| {
            StoreError::Corrupt(format!("tenant {name:?} differs from {kept:?} only in case and cannot be renamed"))
        })?;
        sqlx::query("UPDATE tenants SET name = $1 WHERE id = $2").bind(&renamed).bind(&id).execute(&mut *tx).await?;
        tracing::warn!(
            "tenant {name:?} is now {renamed:?}: tenant names are one whatever their case, and {kept:?} had the name \
             first; its key, providers and tokens are unchanged (its routes are /v1/tenants/{renamed}/...)"
        );
    }
    tx.commit().await?;
    Ok(())
}
