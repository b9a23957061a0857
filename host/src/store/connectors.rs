//! A tenant's own connectors: ThingWorx `config.json` definitions the
//! generic component serves.

use super::{Store, StoreError, now};

impl Store {
    /// Adds or replaces a tenant's custom connector definition.
    pub async fn put_connector(&self, tenant_id: &str, name: &str, definition: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO custom_connectors (tenant_id, name, definition, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(definition)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes a tenant's custom connector; whether it existed.
    pub async fn delete_connector(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM custom_connectors WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A tenant's custom connector definition.
    pub async fn connector_definition(&self, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT definition FROM custom_connectors WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every custom connector definition of a tenant, by name.
    pub async fn connector_definitions(&self, tenant_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT name, definition FROM custom_connectors WHERE tenant_id = $1 ORDER BY name")
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?)
    }
}
