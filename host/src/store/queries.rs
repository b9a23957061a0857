//! The store's reads and writes.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{
    EntryError, Issued, LoadMode, LoadReport, NewToken, PendingAuthorization, Provider, ProviderInput, ProviderSummary,
    Store, StoreError, Taken, Tenant, TokenRecord, TokenStatus, new_id, now,
};

type Pairs = Vec<(String, String)>;

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

fn from_json<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

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
        let mut tx = self.pool.begin().await?;
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
        let mut tx = self.pool.begin().await?;
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

    /// Creates a token row in status `pending`.
    pub async fn insert_token(&self, token: &NewToken) -> Result<(), StoreError> {
        let client = token
            .client
            .as_ref()
            .map(|c| self.seal(&token.tenant_id, "tokens", &token.id, "client", json(c).as_bytes()));
        let at = now();
        sqlx::query(
            "INSERT INTO tokens (id, tenant_id, provider_id, name, flow, status, scopes, inputs, extra, client_sealed, \
             generation, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, '[]', ?, 0, ?, ?)",
        )
        .bind(&token.id)
        .bind(&token.tenant_id)
        .bind(&token.provider_id)
        .bind(&token.name)
        .bind(&token.flow)
        .bind(json(&token.scopes))
        .bind(json(&token.inputs))
        .bind(client)
        .bind(at)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A token with its secrets opened.
    pub async fn token(&self, tenant_id: &str, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM tokens WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| self.token_row(&r)).transpose()
    }

    /// The tenant's tokens, newest first.
    pub async fn tokens(&self, tenant_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM tokens WHERE tenant_id = ? ORDER BY created_at DESC, name")
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| self.token_row(r)).collect()
    }

    fn token_row(&self, row: &SqliteRow) -> Result<TokenRecord, StoreError> {
        let (id, tenant_id): (String, String) = (row.get("id"), row.get("tenant_id"));
        let open = |column: &str| {
            self.open_optional(&tenant_id, "tokens", &id, column, row.get(format!("{column}_sealed").as_str()))
        };
        let client: Option<String> = open("client")?;
        Ok(TokenRecord {
            access_token: open("access_token")?,
            refresh_token: open("refresh_token")?,
            id_token: open("id_token")?,
            client: client.map(|c| from_json::<Pairs>(&c)),
            provider_id: row.get("provider_id"),
            name: row.get("name"),
            flow: row.get("flow"),
            status: TokenStatus::parse(&row.get::<String, _>("status")),
            error_code: row.get("error_code"),
            error_message: row.get("error_message"),
            scopes: from_json(&row.get::<String, _>("scopes")),
            inputs: from_json(&row.get::<String, _>("inputs")),
            token_type: row.get("token_type"),
            expires_at: row.get("expires_at"),
            extra: from_json(&row.get::<String, _>("extra")),
            generation: row.get("generation"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            id,
            tenant_id,
        })
    }

    /// Stores a new token set and makes the token active. A set without a
    /// refresh token keeps the stored one. Returns the new generation.
    pub async fn store_issued(&self, tenant_id: &str, id: &str, issued: &Issued) -> Result<i64, StoreError> {
        let seal = |column: &str, value: &str| self.seal(tenant_id, "tokens", id, column, value.as_bytes());
        let generation: Option<i64> = sqlx::query_scalar(
            "UPDATE tokens SET status = 'active', error_code = NULL, error_message = NULL, token_type = ?, expires_at = ?, \
             extra = ?, access_token_sealed = ?, refresh_token_sealed = COALESCE(?, refresh_token_sealed), \
             id_token_sealed = COALESCE(?, id_token_sealed), generation = generation + 1, updated_at = ? \
             WHERE tenant_id = ? AND id = ? RETURNING generation",
        )
        .bind(&issued.token_type)
        .bind(issued.expires_at)
        .bind(json(&issued.extra))
        .bind(seal("access_token", &issued.access_token))
        .bind(issued.refresh_token.as_deref().map(|t| seal("refresh_token", t)))
        .bind(issued.id_token.as_deref().map(|t| seal("id_token", t)))
        .bind(now())
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        generation.ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    /// Sets a token's status and error.
    pub async fn set_status(
        &self,
        tenant_id: &str,
        id: &str,
        status: TokenStatus,
        error: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET status = ?, error_code = ?, error_message = ?, updated_at = ? WHERE tenant_id = ? AND id = ?")
            .bind(status.as_str())
            .bind(error.map(|e| e.0))
            .bind(error.map(|e| e.1))
            .bind(now())
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Renames a token.
    pub async fn rename_token(&self, tenant_id: &str, id: &str, name: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE tokens SET name = ?, updated_at = ? WHERE tenant_id = ? AND id = ?")
            .bind(name)
            .bind(now())
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        Ok(())
    }

    /// Deletes a token with its pending authorizations and lease.
    pub async fn delete_token(&self, tenant_id: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM pending_authorizations WHERE token_id = ? AND tenant_id = ?")
            .bind(id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM refresh_leases WHERE token_id = ?").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM tokens WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remembers an authorization until its callback.
    pub async fn insert_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
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
        .execute(&self.pool)
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

    /// Records what a token asks for (after a reset with new values).
    pub async fn set_token_request(
        &self,
        tenant_id: &str,
        id: &str,
        scopes: &[String],
        inputs: &Pairs,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET scopes = ?, inputs = ?, updated_at = ? WHERE tenant_id = ? AND id = ?")
            .bind(json(&scopes))
            .bind(json(inputs))
            .bind(now())
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes the refresh lease of a token for `ttl_seconds` unless another
    /// holder has a live one.
    pub async fn try_lease(&self, token_id: &str, holder: &str, ttl_seconds: i64) -> Result<bool, StoreError> {
        let at = now();
        let taken = sqlx::query(
            "INSERT INTO refresh_leases (token_id, holder, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (token_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE refresh_leases.expires_at < ? OR refresh_leases.holder = excluded.holder",
        )
        .bind(token_id)
        .bind(holder)
        .bind(at + ttl_seconds)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Gives the lease back.
    pub async fn release_lease(&self, token_id: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM refresh_leases WHERE token_id = ? AND holder = ?")
            .bind(token_id)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
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

impl Store {
    /// Keeps a verified third-party component (replacing one of that name).
    pub async fn put_component(&self, name: &str, digest: &str, wasm: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO components (name, digest, wasm, installed_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, wasm = excluded.wasm, installed_at = excluded.installed_at",
        )
        .bind(name)
        .bind(digest)
        .bind(wasm)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every stored third-party component: (name, bytes).
    pub async fn components(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows = sqlx::query("SELECT name, wasm FROM components ORDER BY name").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| (r.get("name"), r.get("wasm"))).collect())
    }

    /// Lets a tenant use a component, or stops it.
    pub async fn set_component_enabled(&self, tenant_id: &str, name: &str, enabled: bool) -> Result<(), StoreError> {
        let query = if enabled {
            "INSERT INTO tenant_components (tenant_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM tenant_components WHERE tenant_id = ? AND name = ?"
        };
        sqlx::query(query).bind(tenant_id).bind(name).execute(&self.pool).await.map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::NotFound(format!("component {name}"))
            }
            other => other.into(),
        })?;
        Ok(())
    }

    /// Whether a tenant may use a component.
    pub async fn component_enabled(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT name FROM tenant_components WHERE tenant_id = ? AND name = ?")
                .bind(tenant_id)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
