//! Tenants: one customer of a shared flowauth each, named in every route.

use super::{Store, StoreError, Tenant, new_id, now};

/// The longest tenant name.
pub(crate) const MAX_TENANT_NAME: usize = 63;

/// Whether `name` can name a tenant: 1 to 63 letters, digits, `.`, `_` and
/// `-`, starting with a letter or a digit. Names are unique whatever
/// their case (`acme` and `ACME` are one tenant).
pub(super) fn check_tenant_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if first_ok && rest_ok && name.len() <= MAX_TENANT_NAME {
        return Ok(());
    }
    Err(format!(
        "tenant name {:?} is not valid: use 1 to {MAX_TENANT_NAME} letters, digits, '.', '_' and '-', starting with a letter or digit",
        name.chars().take(80).collect::<String>()
    ))
}

/// What a tenant owns, children before parents.
const DELETE_TENANT: [&str; 11] = [
    "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE tenant_id = $1)",
    "DELETE FROM webhook_deliveries WHERE tenant_id = $1",
    "DELETE FROM webhooks WHERE tenant_id = $1",
    "DELETE FROM connect_sessions WHERE tenant_id = $1",
    "DELETE FROM connect_settings WHERE tenant_id = $1",
    "DELETE FROM pending_authorizations WHERE tenant_id = $1",
    "DELETE FROM tokens WHERE tenant_id = $1",
    "DELETE FROM provider_keys WHERE tenant_id = $1",
    "DELETE FROM providers WHERE tenant_id = $1",
    "DELETE FROM custom_connectors WHERE tenant_id = $1",
    "DELETE FROM tenant_components WHERE tenant_id = $1",
];

impl Store {
    /// Creates a tenant.
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, StoreError> {
        check_tenant_name(name).map_err(StoreError::Invalid)?;
        let id = new_id();
        let inserted =
            sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(&id)
                .bind(name)
                .bind(now())
                .execute(&self.pool)
                .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Exists(format!("tenant {name:?} (names are unique whatever their case)")));
        }
        Ok(Tenant { id, name: name.to_owned() })
    }

    /// The tenant of this name, whatever its case.
    pub async fn tenant(&self, name: &str) -> Result<Option<Tenant>, StoreError> {
        Ok(sqlx::query_as("SELECT id, name FROM tenants WHERE lower(name) = lower($1)")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Deletes a tenant with everything it owns: providers, connectors,
    /// tokens, pending authorizations, webhook and deliveries, component
    /// enablements, connect sessions and settings. `false` when there was
    /// no such tenant. Tokens are not revoked at their providers.
    pub async fn delete_tenant(&self, tenant_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        for statement in DELETE_TENANT {
            sqlx::query(statement).bind(tenant_id).execute(&mut *tx).await?;
        }
        let deleted = sqlx::query("DELETE FROM tenants WHERE id = $1").bind(tenant_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// The tenant of this id.
    pub async fn tenant_by_id(&self, id: &str) -> Result<Option<Tenant>, StoreError> {
        Ok(sqlx::query_as("SELECT id, name FROM tenants WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Every tenant, by name.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        Ok(sqlx::query_as("SELECT id, name FROM tenants ORDER BY lower(name)").fetch_all(&self.pool).await?)
    }
}
