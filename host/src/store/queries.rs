//! The store's reads and writes.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{
    EntryError, LoadMode, LoadReport, Provider, ProviderInput, ProviderSummary, Store, StoreError, from_json, json,
    new_id, now,
};

impl Store {
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
            let existing = sqlx::query(
                "SELECT id, settings_sealed FROM providers WHERE tenant_id = ? AND connector = ? AND display_name = ?",
            )
            .bind(tenant_id)
            .bind(&entry.connector)
            .bind(&entry.display_name)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(existing) = existing else {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO providers (id, tenant_id, connector, display_name, setting_keys, settings_sealed, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(tenant_id)
                .bind(&entry.connector)
                .bind(&entry.display_name)
                .bind(json(&setting_keys(&entry.settings)))
                .bind(self.seal_settings(tenant_id, &id, &entry.settings))
                .bind(now())
                .execute(&mut *tx)
                .await?;
                report.created.push(label);
                continue;
            };
            let id: String = existing.get("id");
            let stored = self.open_settings(tenant_id, &id, &existing.get::<Vec<u8>, _>("settings_sealed"))?;
            let settings = match mode {
                LoadMode::Replace => entry.settings.clone(),
                LoadMode::Update => merged(&stored, &entry.settings),
            };
            if same_settings(&stored, &settings) {
                report.unchanged.push(label);
                continue;
            }
            let users: Vec<String> = sqlx::query_scalar("SELECT name FROM tokens WHERE provider_id = ? ORDER BY name")
                .bind(&id)
                .fetch_all(&mut *tx)
                .await?;
            if mode == LoadMode::Replace && !users.is_empty() {
                conflicts.push(EntryError {
                    path: format!("$.{}.{}", entry.connector, entry.display_name),
                    message: format!(
                        "changes a provider that tokens use ({}): load it with update mode to change it in place",
                        users.join(", ")
                    ),
                });
                continue;
            }
            sqlx::query("UPDATE providers SET setting_keys = ?, settings_sealed = ?, updated_at = ? WHERE id = ?")
                .bind(json(&setting_keys(&settings)))
                .bind(self.seal_settings(tenant_id, &id, &settings))
                .bind(now())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            report.updated.push(label);
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
        let settings = self.open_settings(&tenant_id, &id, &row.get::<Vec<u8>, _>("settings_sealed"))?;
        Ok(Provider { id, tenant_id, connector: row.get("connector"), display_name: row.get("display_name"), settings })
    }

    fn seal_settings(&self, tenant_id: &str, id: &str, settings: &[(String, String)]) -> Vec<u8> {
        let map: serde_json::Map<String, serde_json::Value> =
            settings.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        self.seal(tenant_id, "providers", id, "settings", json(&map).as_bytes())
    }

    fn open_settings(&self, tenant_id: &str, id: &str, sealed: &[u8]) -> Result<Vec<(String, String)>, StoreError> {
        let text = self.open_text(tenant_id, "providers", id, "settings", sealed)?;
        let map: serde_json::Map<String, serde_json::Value> = from_json(&text);
        Ok(map.into_iter().filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned()))).collect())
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

    /// Removes a tenant's custom connector; whether it existed.
    pub async fn delete_connector(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM custom_connectors WHERE tenant_id = ? AND name = ?")
            .bind(tenant_id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
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

fn setting_keys(settings: &[(String, String)]) -> Vec<&String> {
    settings.iter().map(|(k, _)| k).collect()
}

/// `stored` with the keys of `given` replaced or added (keys match in any
/// case; the given spelling wins).
fn merged(stored: &[(String, String)], given: &[(String, String)]) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> =
        stored.iter().filter(|(k, _)| !given.iter().any(|(g, _)| g.eq_ignore_ascii_case(k))).cloned().collect();
    settings.extend(given.iter().cloned());
    settings
}

/// The same keys with the same values, in any order.
fn same_settings(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|pair| b.contains(pair))
}
