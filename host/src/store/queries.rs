//! The store's reads and writes.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{
    EntryError, LoadMode, LoadReport, Provider, ProviderInput, ProviderSummary, Store, StoreError, Tenant, from_json,
    json, new_id, now,
};

impl Store {
    /// Creates a tenant.
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, StoreError> {
        let id = new_id();
        let inserted =
            sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
                .bind(&id)
                .bind(name)
                .bind(now())
                .execute(&self.pool)
                .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Exists(format!("tenant {name:?}")));
        }
        Ok(Tenant { id, name: name.to_owned() })
    }

    /// The tenant of this name.
    pub async fn tenant(&self, name: &str) -> Result<Option<Tenant>, StoreError> {
        let row =
            sqlx::query("SELECT id, name FROM tenants WHERE name = ?").bind(name).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| Tenant { id: r.get("id"), name: r.get("name") }))
    }

    /// Applies a validated load file in one transaction: every entry or
    /// none. In [`LoadMode::Replace`], an entry that would replace a
    /// provider tokens use refuses the whole file, naming those tokens.
    pub async fn load_providers(
        &self,
        tenant_id: &str,
        entries: &[ProviderInput],
        mode: LoadMode,
    ) -> Result<Result<LoadReport, Vec<EntryError>>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut report = LoadReport::default();
        let mut conflicts = Vec::new();
        for entry in entries {
            let label = format!("{}/{}", entry.connector, entry.display_name);
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM providers WHERE tenant_id = ? AND connector = ? AND display_name = ?",
            )
            .bind(tenant_id)
            .bind(&entry.connector)
            .bind(&entry.display_name)
            .fetch_optional(&mut *tx)
            .await?;
            let keys: Vec<&String> = entry.settings.iter().map(|(k, _)| k).collect();
            let settings: serde_json::Map<String, serde_json::Value> =
                entry.settings.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
            match existing {
                Some(id) => {
                    let users: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM tokens WHERE provider_id = ? ORDER BY name")
                            .bind(&id)
                            .fetch_all(&mut *tx)
                            .await?;
                    if mode == LoadMode::Replace && !users.is_empty() {
                        conflicts.push(EntryError {
                            path: format!("$.{}.{}", entry.connector, entry.display_name),
                            message: format!(
                                "replaces a provider that tokens use ({}): load it with update mode to change it in place",
                                users.join(", ")
                            ),
                        });
                        continue;
                    }
                    let sealed = self.seal(tenant_id, "providers", &id, "settings", json(&settings).as_bytes());
                    sqlx::query(
                        "UPDATE providers SET setting_keys = ?, settings_sealed = ?, updated_at = ? WHERE id = ?",
                    )
                    .bind(json(&keys))
                    .bind(sealed)
                    .bind(now())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    report.updated.push(label);
                }
                None => {
                    let id = new_id();
                    let sealed = self.seal(tenant_id, "providers", &id, "settings", json(&settings).as_bytes());
                    sqlx::query(
                        "INSERT INTO providers (id, tenant_id, connector, display_name, setting_keys, settings_sealed, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&id)
                    .bind(tenant_id)
                    .bind(&entry.connector)
                    .bind(&entry.display_name)
                    .bind(json(&keys))
                    .bind(sealed)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    report.created.push(label);
                }
            }
        }
        if !conflicts.is_empty() {
            tx.rollback().await?;
            return Ok(Err(conflicts));
        }
        tx.commit().await?;
        Ok(Ok(report))
    }

    /// A provider with its settings opened.
    pub async fn provider(
        &self,
        tenant_id: &str,
        connector: &str,
        display_name: &str,
    ) -> Result<Option<Provider>, StoreError> {
        let row = sqlx::query(
            "SELECT id, tenant_id, connector, display_name, settings_sealed FROM providers \
             WHERE tenant_id = ? AND connector = ? AND display_name = ?",
        )
        .bind(tenant_id)
        .bind(connector)
        .bind(display_name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| self.provider_row(&r)).transpose()
    }

    /// A provider by id.
    pub async fn provider_by_id(&self, tenant_id: &str, id: &str) -> Result<Provider, StoreError> {
        let row = sqlx::query(
            "SELECT id, tenant_id, connector, display_name, settings_sealed FROM providers WHERE tenant_id = ? AND id = ?",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("provider {id}")))?;
        self.provider_row(&row)
    }

    fn provider_row(&self, row: &SqliteRow) -> Result<Provider, StoreError> {
        let (id, tenant_id): (String, String) = (row.get("id"), row.get("tenant_id"));
        let text =
            self.open_text(&tenant_id, "providers", &id, "settings", &row.get::<Vec<u8>, _>("settings_sealed"))?;
        let map: serde_json::Map<String, serde_json::Value> = from_json(&text);
        let settings = map.into_iter().filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned()))).collect();
        Ok(Provider { id, tenant_id, connector: row.get("connector"), display_name: row.get("display_name"), settings })
    }

    /// The tenant's providers, without any setting value.
    pub async fn providers(&self, tenant_id: &str) -> Result<Vec<ProviderSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.connector, p.display_name, p.setting_keys, \
             (SELECT COUNT(*) FROM tokens t WHERE t.provider_id = p.id) AS tokens \
             FROM providers p WHERE p.tenant_id = ? ORDER BY p.connector, p.display_name",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ProviderSummary {
                connector: r.get("connector"),
                display_name: r.get("display_name"),
                setting_keys: from_json(&r.get::<String, _>("setting_keys")),
                tokens: r.get("tokens"),
            })
            .collect())
    }

    /// Removes a provider. Refused (with the names of its tokens) while
    /// tokens use it, unless `force`, which deletes those tokens too.
    pub async fn delete_provider(
        &self,
        tenant_id: &str,
        connector: &str,
        display_name: &str,
        force: bool,
    ) -> Result<Result<(), Vec<String>>, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: String =
            sqlx::query_scalar("SELECT id FROM providers WHERE tenant_id = ? AND connector = ? AND display_name = ?")
                .bind(tenant_id)
                .bind(connector)
                .bind(display_name)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("provider {connector}/{display_name}")))?;
        let users: Vec<String> = sqlx::query_scalar("SELECT name FROM tokens WHERE provider_id = ? ORDER BY name")
            .bind(&id)
            .fetch_all(&mut *tx)
            .await?;
        if !users.is_empty() && !force {
            return Ok(Err(users));
        }
        sqlx::query("DELETE FROM tokens WHERE provider_id = ?").bind(&id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM providers WHERE id = ?").bind(&id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }
}

impl Store {
    /// Adds or replaces a tenant's custom connector definition.
    pub async fn put_connector(&self, tenant_id: &str, name: &str, definition: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO custom_connectors (tenant_id, name, definition, updated_at) VALUES (?, ?, ?, ?) \
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

    /// A tenant's custom connector definition.
    pub async fn connector_definition(&self, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT definition FROM custom_connectors WHERE tenant_id = ? AND name = ?")
            .bind(tenant_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every custom connector definition of a tenant, by name.
    pub async fn connector_definitions(&self, tenant_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT name, definition FROM custom_connectors WHERE tenant_id = ? ORDER BY name")
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get("name"), r.get("definition"))).collect())
    }
}
