//! Providers: a tenant's OAuth clients, one per connector and display
//! name, loaded from ThingWorx load files; their settings are sealed.

use sqlx::AnyConnection;

use super::sealing::columns::PROVIDER_SETTINGS;
use super::{
    EntryError, LoadMode, LoadReport, Provider, ProviderInput, ProviderSummary, Store, StoreError, expires_at,
    from_json, json, new_id, now, saves_passwords,
};

/// A provider's row, its settings still sealed.
#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: String,
    tenant_id: String,
    connector: String,
    display_name: String,
    settings_sealed: Vec<u8>,
}

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
        let (report, conflicts) = self.apply_providers(&mut tx, tenant_id, entries, mode).await?;
        if !conflicts.is_empty() {
            tx.rollback().await?;
            return Ok(Err(conflicts));
        }
        tx.commit().await?;
        Ok(Ok(report))
    }

    /// Applies load-file entries on `tx` (the caller's transaction): what
    /// was done, and the entries [`LoadMode::Replace`] refuses (the caller
    /// then rolls back).
    pub(super) async fn apply_providers(
        &self,
        tx: &mut AnyConnection,
        tenant_id: &str,
        entries: &[ProviderInput],
        mode: LoadMode,
    ) -> Result<(LoadReport, Vec<EntryError>), StoreError> {
        let mut report = LoadReport::default();
        let mut conflicts = Vec::new();
        for entry in entries {
            let label = format!("{}/{}", entry.connector, entry.display_name);
            let existing: Option<(String, Vec<u8>)> = sqlx::query_as(
                "SELECT id, settings_sealed FROM providers WHERE tenant_id = $1 AND connector = $2 AND display_name = $3",
            )
            .bind(tenant_id)
            .bind(&entry.connector)
            .bind(&entry.display_name)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, sealed)) = existing else {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO providers (id, tenant_id, connector, display_name, setting_keys, settings_sealed, updated_at, \
                     client_secret_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&id)
                .bind(tenant_id)
                .bind(&entry.connector)
                .bind(&entry.display_name)
                .bind(json(&setting_keys(&entry.settings)))
                .bind(self.seal_settings(tenant_id, &id, &entry.settings))
                .bind(now())
                .bind(expires_at(&entry.settings))
                .execute(&mut *tx)
                .await?;
                report.created.push(label);
                continue;
            };
            let stored = self.open_settings(tenant_id, &id, &sealed)?;
            let settings = match mode {
                LoadMode::Replace => entry.settings.clone(),
                LoadMode::Update => merged(&stored, &entry.settings),
            };
            if same_settings(&stored, &settings) {
                report.unchanged.push(label);
                continue;
            }
            let users: Vec<String> = sqlx::query_scalar("SELECT name FROM tokens WHERE provider_id = $1 ORDER BY name")
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
            sqlx::query("UPDATE providers SET setting_keys = $1, settings_sealed = $2, updated_at = $3 WHERE id = $4")
                .bind(json(&setting_keys(&settings)))
                .bind(self.seal_settings(tenant_id, &id, &settings))
                .bind(now())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            // Passwords saved with its tokens go once the provider no
            // longer allows keeping them.
            if !saves_passwords(&settings) {
                sqlx::query("UPDATE tokens SET credentials_sealed = NULL WHERE provider_id = $1 AND credentials_sealed IS NOT NULL")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
            }
            // A new expiry (a new secret) gets its warnings afresh.
            let expiry = expires_at(&settings);
            if expiry != expires_at(&stored) {
                sqlx::query(
                    "UPDATE providers SET client_secret_expires_at = $1, secret_warned_days = NULL WHERE id = $2",
                )
                .bind(expiry)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            }
            report.updated.push(label);
        }
        Ok((report, conflicts))
    }

    /// A provider with its settings opened.
    pub async fn provider(
        &self,
        tenant_id: &str,
        connector: &str,
        display_name: &str,
    ) -> Result<Option<Provider>, StoreError> {
        let row: Option<ProviderRow> = sqlx::query_as(
            "SELECT id, tenant_id, connector, display_name, settings_sealed FROM providers \
             WHERE tenant_id = $1 AND connector = $2 AND display_name = $3",
        )
        .bind(tenant_id)
        .bind(connector)
        .bind(display_name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| self.provider_of(r)).transpose()
    }

    /// A provider by id.
    pub async fn provider_by_id(&self, tenant_id: &str, id: &str) -> Result<Provider, StoreError> {
        let row: ProviderRow = sqlx::query_as(
            "SELECT id, tenant_id, connector, display_name, settings_sealed FROM providers WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("provider {id}")))?;
        self.provider_of(row)
    }

    fn provider_of(&self, row: ProviderRow) -> Result<Provider, StoreError> {
        let settings = self.open_settings(&row.tenant_id, &row.id, &row.settings_sealed)?;
        Ok(Provider {
            id: row.id,
            tenant_id: row.tenant_id,
            connector: row.connector,
            display_name: row.display_name,
            settings,
        })
    }

    fn seal_settings(&self, tenant_id: &str, id: &str, settings: &[(String, String)]) -> Vec<u8> {
        let map: serde_json::Map<String, serde_json::Value> =
            settings.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        self.sealer.seal(tenant_id, PROVIDER_SETTINGS, id, json(&map).as_bytes())
    }

    fn open_settings(&self, tenant_id: &str, id: &str, sealed: &[u8]) -> Result<Vec<(String, String)>, StoreError> {
        let text = self.sealer.open_text(tenant_id, PROVIDER_SETTINGS, id, sealed)?;
        let map: serde_json::Map<String, serde_json::Value> = from_json(&format!("settings of provider {id}"), &text)?;
        Ok(map.into_iter().filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned()))).collect())
    }

    /// The tenant's providers, without any setting value.
    pub async fn providers(&self, tenant_id: &str) -> Result<Vec<ProviderSummary>, StoreError> {
        let rows: Vec<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT p.connector, p.display_name, p.setting_keys, \
             (SELECT COUNT(*) FROM tokens t WHERE t.provider_id = p.id) AS tokens, p.client_secret_expires_at \
             FROM providers p WHERE p.tenant_id = $1 ORDER BY p.connector, p.display_name",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(connector, display_name, keys, tokens, client_secret_expires_at)| {
                let what = format!("setting keys of provider {connector}/{display_name}");
                let setting_keys = from_json(&what, &keys)?;
                Ok(ProviderSummary { setting_keys, connector, display_name, tokens, client_secret_expires_at })
            })
            .collect()
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
        let id: String = sqlx::query_scalar(
            "SELECT id FROM providers WHERE tenant_id = $1 AND connector = $2 AND display_name = $3",
        )
        .bind(tenant_id)
        .bind(connector)
        .bind(display_name)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("provider {connector}/{display_name}")))?;
        let users: Vec<String> = sqlx::query_scalar("SELECT name FROM tokens WHERE provider_id = $1 ORDER BY name")
            .bind(&id)
            .fetch_all(&mut *tx)
            .await?;
        if !users.is_empty() && !force {
            return Ok(Err(users));
        }
        sqlx::query("DELETE FROM tokens WHERE provider_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM provider_keys WHERE provider_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM providers WHERE id = $1").bind(&id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Ok(()))
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
