//! A tenant as an export bundle holds it (docs/BUNDLES.md): its providers
//! with their settings, its own connectors, its component pins, its
//! webhook, its connect settings and, when asked, its tokens, every secret
//! opened (the bundle seals them again with the admin's passphrase).
//! Importing applies an image in one transaction, matching what exists by
//! name, so importing the same image twice changes nothing the second time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::api_keys::{key_hash, new_key};
use super::connect_sessions::write_connect_origins;
use super::sealing::columns::{TOKEN_ACCESS, TOKEN_CLIENT, TOKEN_EXTRA, TOKEN_ID, TOKEN_REFRESH, WEBHOOK_SECRET};
use super::tenants::check_tenant_name;
use super::tokens::{SELECT_TOKENS, TokenRow};
use super::{
    LoadMode, LoadReport, ProviderInput, Store, StoreError, Tenant, TokenRecord, TokenStatus, from_json, json, new_id,
    now,
};

type Pairs = Vec<(String, String)>;

/// What a bundle holds of a tenant. Holds secrets in the clear: it exists
/// only in memory, between the store and the bundle's seal.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantImage {
    /// Providers with every setting, client secrets included.
    pub providers: Vec<ImageProvider>,
    /// The tenant's own connectors: `config.json` text as added.
    pub connectors: Vec<ImageConnector>,
    /// The components the tenant enabled, each at the digest it runs.
    pub components: Vec<ImagePin>,
    /// Its webhook with the signing secret.
    pub webhook: Option<ImageWebhook>,
    /// Where its connect sessions may send users back to, when set.
    pub connect_origins: Option<Vec<String>>,
    /// Its tokens (not those waiting for a callback); `None` when exported without.
    pub tokens: Option<Vec<ImageToken>>,
}

impl std::fmt::Debug for TenantImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantImage")
            .field("providers", &self.providers.len())
            .field("connectors", &self.connectors.len())
            .field("components", &self.components)
            .field("webhook", &self.webhook.is_some())
            .field("tokens", &self.tokens.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

/// A provider and its settings.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageProvider {
    /// Its connector.
    pub connector: String,
    /// Its display name.
    pub display_name: String,
    /// Every setting.
    pub settings: BTreeMap<String, String>,
}

/// A tenant's own connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConnector {
    /// Its name.
    pub name: String,
    /// The `config.json` text.
    pub definition: String,
}

/// A component enabled at one digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePin {
    /// The component's name.
    pub name: String,
    /// The digest the tenant runs.
    pub digest: String,
}

/// A webhook.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageWebhook {
    /// Where events go.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    /// The signing secret.
    pub secret: String,
}

/// A token with its secrets. Named after [`TokenRecord`]'s fields.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ImageToken {
    pub name: String,
    pub connector: String,
    pub provider: String,
    pub flow: String,
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub scopes: Vec<String>,
    pub inputs: Pairs,
    pub token_type: Option<String>,
    pub expires_at: Option<i64>,
    pub issued_at: Option<i64>,
    pub extra: Pairs,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub client: Option<Pairs>,
}

impl From<TokenRecord> for ImageToken {
    fn from(t: TokenRecord) -> Self {
        Self {
            name: t.name,
            connector: t.connector,
            provider: t.provider,
            flow: t.flow,
            status: t.status.as_str().to_owned(),
            error_code: t.error_code,
            error_message: t.error_message,
            scopes: t.scopes,
            inputs: t.inputs,
            token_type: t.token_type,
            expires_at: t.expires_at,
            issued_at: t.issued_at,
            extra: t.extra,
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            id_token: t.id_token,
            client: t.client,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The tenant imported into.
    pub tenant: Tenant,
    /// Its API key, when the import created the tenant (shown once).
    pub api_key: Option<String>,
    /// What was created, updated or left unchanged, each as `kind name`.
    pub report: LoadReport,
    /// Ids of the tokens the import replaced (cached copies are stale).
    pub replaced_tokens: Vec<String>,
}

/// Where one item of an import stands against what the target has.
enum Change {
    Created,
    Updated,
    Unchanged,
}

impl LoadReport {
    fn record(&mut self, change: Change, label: String) {
        match change {
            Change::Created => self.created.push(label),
            Change::Updated => self.updated.push(label),
            Change::Unchanged => self.unchanged.push(label),
        }
    }
}

/// How `stored` compares with `given`.
fn compare<T: PartialEq>(stored: Option<T>, given: &T) -> Change {
    match stored {
        None => Change::Created,
        Some(stored) if stored == *given => Change::Unchanged,
        Some(_) => Change::Updated,
    }
}

impl Store {
    /// A tenant as a bundle holds it.
    pub async fn tenant_image(&self, tenant_id: &str, with_tokens: bool) -> Result<TenantImage, StoreError> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM providers WHERE tenant_id = $1 ORDER BY connector, display_name")
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
        let mut providers = Vec::new();
        for id in ids {
            let provider = self.provider_by_id(tenant_id, &id).await?;
            providers.push(ImageProvider {
                connector: provider.connector,
                display_name: provider.display_name,
                settings: provider.settings.into_iter().collect(),
            });
        }
        let connectors = self.connector_definitions(tenant_id).await?;
        let components = self.component_pins(Some(tenant_id)).await?;
        let webhook: Option<(String, String, Vec<u8>)> =
            sqlx::query_as("SELECT url, events, secret_sealed FROM webhooks WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        let webhook = webhook
            .map(|(url, events, sealed)| {
                Ok::<_, StoreError>(ImageWebhook {
                    events: from_json("webhooks.events", &events)?,
                    secret: self.sealer.open_text(tenant_id, WEBHOOK_SECRET, tenant_id, &sealed)?,
                    url,
                })
            })
            .transpose()?;
        let origins: Option<String> =
            sqlx::query_scalar("SELECT allowed_return_origins FROM connect_settings WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        let tokens = match with_tokens {
            false => None,
            true => Some(
                self.tokens(tenant_id)
                    .await?
                    .into_iter()
                    .rev()
                    .filter(|t| t.status != TokenStatus::Pending)
                    .map(ImageToken::from)
                    .collect(),
            ),
        };
        Ok(TenantImage {
            providers,
            connectors: connectors.into_iter().map(|(name, definition)| ImageConnector { name, definition }).collect(),
            components: components.into_iter().map(|p| ImagePin { name: p.name, digest: p.digest }).collect(),
            webhook,
            connect_origins: origins.map(|o| from_json("connect_settings.allowed_return_origins", &o)).transpose()?,
            tokens,
        })
    }

    /// Applies an image to the tenant `tenant_name` (created, with a new
    /// API key, when there is none) in one transaction: all of it or
    /// nothing. Items are matched by name; providers change in place as
    /// `oauth load --update` does; a token the target stored a newer set
    /// for is left as it is. The components' digests must be installed
    /// (the caller checked, naming the fix).
    pub async fn import_image(&self, tenant_name: &str, image: &TenantImage) -> Result<Imported, StoreError> {
        let mut tx = self.begin_write().await?;
        let (tenant, api_key) = self.import_tenant(&mut tx, tenant_name).await?;
        let mut report = LoadReport::default();
        if api_key.is_some() {
            report.created.push(format!("tenant {}", tenant.name));
        }
        for connector in &image.connectors {
            self.import_connector(&mut tx, &tenant.id, connector, &mut report).await?;
        }
        for pin in &image.components {
            self.import_pin(&mut tx, &tenant.id, pin, &mut report).await?;
        }
        let entries: Vec<ProviderInput> = image
            .providers
            .iter()
            .map(|p| ProviderInput {
                connector: p.connector.clone(),
                display_name: p.display_name.clone(),
                settings: p.settings.clone().into_iter().collect(),
            })
            .collect();
        // Update mode never refuses an entry.
        let (providers, _) = self.apply_providers(&mut tx, &tenant.id, &entries, LoadMode::Update).await?;
        let label = |list: Vec<String>| list.into_iter().map(|p| format!("provider {p}"));
        report.created.extend(label(providers.created));
        report.updated.extend(label(providers.updated));
        report.unchanged.extend(label(providers.unchanged));
        if let Some(webhook) = &image.webhook {
            let stored: Option<(String, String, Vec<u8>)> =
                sqlx::query_as("SELECT url, events, secret_sealed FROM webhooks WHERE tenant_id = $1")
                    .bind(&tenant.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let stored = stored
                .map(|(url, events, sealed)| {
                    Ok::<_, StoreError>(ImageWebhook {
                        events: from_json("webhooks.events", &events)?,
                        secret: self.sealer.open_text(&tenant.id, WEBHOOK_SECRET, &tenant.id, &sealed)?,
                        url,
                    })
                })
                .transpose()?;
            let change = compare(stored, webhook);
            if !matches!(change, Change::Unchanged) {
                self.write_webhook(&mut tx, &tenant.id, &webhook.url, &webhook.events, &webhook.secret, true).await?;
            }
            report.record(change, "webhook".into());
        }
        if let Some(origins) = &image.connect_origins {
            let stored: Option<String> =
                sqlx::query_scalar("SELECT allowed_return_origins FROM connect_settings WHERE tenant_id = $1")
                    .bind(&tenant.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let stored = stored.map(|o| from_json::<Vec<String>>("connect settings", &o)).transpose()?;
            let change = compare(stored, origins);
            if !matches!(change, Change::Unchanged) {
                write_connect_origins(&mut tx, &tenant.id, origins).await?;
            }
            report.record(change, "connect settings".into());
        }
        let mut replaced_tokens = Vec::new();
        for token in image.tokens.iter().flatten() {
            if let Some(id) = self.import_token(&mut tx, &tenant.id, token, &mut report).await? {
                replaced_tokens.push(id);
            }
        }
        tx.commit().await?;
        Ok(Imported { tenant, api_key, report, replaced_tokens })
    }

    /// The tenant of this name, or a new one with its API key.
    async fn import_tenant(&self, tx: &mut AnyConnection, name: &str) -> Result<(Tenant, Option<String>), StoreError> {
        let existing: Option<Tenant> = sqlx::query_as("SELECT id, name FROM tenants WHERE lower(name) = lower($1)")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(tenant) = existing {
            return Ok((tenant, None));
        }
        check_tenant_name(name).map_err(StoreError::Invalid)?;
        let tenant = Tenant { id: new_id(), name: name.to_owned() };
        let key = new_key();
        sqlx::query("INSERT INTO tenants (id, name, created_at, api_key_hash) VALUES ($1, $2, $3, $4)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(now())
            .bind(key_hash(&key))
            .execute(&mut *tx)
            .await?;
        Ok((tenant, Some(key)))
    }

    async fn import_connector(
        &self,
        tx: &mut AnyConnection,
        tenant_id: &str,
        connector: &ImageConnector,
        report: &mut LoadReport,
    ) -> Result<(), StoreError> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT definition FROM custom_connectors WHERE tenant_id = $1 AND name = $2")
                .bind(tenant_id)
                .bind(&connector.name)
                .fetch_optional(&mut *tx)
                .await?;
        let change = compare(stored, &connector.definition);
        if !matches!(change, Change::Unchanged) {
            sqlx::query(
                "INSERT INTO custom_connectors (tenant_id, name, definition, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
            )
            .bind(tenant_id)
            .bind(&connector.name)
            .bind(&connector.definition)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        report.record(change, format!("connector {}", connector.name));
        Ok(())
    }

    async fn import_pin(
        &self,
        tx: &mut AnyConnection,
        tenant_id: &str,
        pin: &ImagePin,
        report: &mut LoadReport,
    ) -> Result<(), StoreError> {
        let stored: Option<Option<String>> =
            sqlx::query_scalar("SELECT digest FROM tenant_components WHERE tenant_id = $1 AND name = $2")
                .bind(tenant_id)
                .bind(&pin.name)
                .fetch_optional(&mut *tx)
                .await?;
        let change = compare(stored.flatten(), &pin.digest);
        if !matches!(change, Change::Unchanged) {
            sqlx::query(
                "INSERT INTO tenant_components (tenant_id, name, digest) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id, name) DO UPDATE SET digest = excluded.digest",
            )
            .bind(tenant_id)
            .bind(&pin.name)
            .bind(&pin.digest)
            .execute(&mut *tx)
            .await?;
        }
        report.record(change, format!("component {}", pin.name));
        Ok(())
    }

    /// Creates or replaces one token; the id of a token it replaced.
    async fn import_token(
        &self,
        tx: &mut AnyConnection,
        tenant_id: &str,
        token: &ImageToken,
        report: &mut LoadReport,
    ) -> Result<Option<String>, StoreError> {
        let label = format!("token {}", token.name);
        let invalid = |why: String| StoreError::Invalid(format!("token {:?} in the bundle: {why}", token.name));
        match TokenStatus::from_name(&token.status) {
            Some(TokenStatus::Pending) | None => {
                return Err(invalid(format!("status {:?} cannot be imported", token.status)));
            }
            Some(_) => {}
        }
        let provider_id: String = sqlx::query_scalar(
            "SELECT id FROM providers WHERE tenant_id = $1 AND connector = $2 AND display_name = $3",
        )
        .bind(tenant_id)
        .bind(&token.connector)
        .bind(&token.provider)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| invalid(format!("its provider {}/{} is not in the bundle", token.connector, token.provider)))?;
        let row: Option<TokenRow> = sqlx::query_as(&format!("{SELECT_TOKENS} WHERE t.tenant_id = $1 AND t.name = $2"))
            .bind(tenant_id)
            .bind(&token.name)
            .fetch_optional(&mut *tx)
            .await?;
        let stored = row.map(|r| self.token_record(r)).transpose()?;
        let replaced = match &stored {
            // The target refreshed it since the export: the bundle's
            // refresh token may be spent already.
            Some(stored) if stored.issued_at.zip(token.issued_at).is_some_and(|(ours, theirs)| ours > theirs) => {
                report.unchanged.push(label);
                return Ok(None);
            }
            Some(stored) if ImageToken::from(stored.clone()) == *token => {
                report.unchanged.push(label);
                return Ok(None);
            }
            Some(stored) => Some(stored.id.clone()),
            None => None,
        };
        let id = replaced.clone().unwrap_or_else(new_id);
        let seal = |column, value: Option<&str>| value.map(|v| self.sealer.seal(tenant_id, column, &id, v.as_bytes()));
        let at = now();
        if replaced.is_none() {
            sqlx::query(
                "INSERT INTO tokens (id, tenant_id, provider_id, name, flow, status, scopes, inputs, extra, generation, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'failed', '[]', '[]', '[]', 0, $6, $6)",
            )
            .bind(&id)
            .bind(tenant_id)
            .bind(&provider_id)
            .bind(&token.name)
            .bind(&token.flow)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM pending_authorizations WHERE token_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query(
            "UPDATE tokens SET provider_id = $1, flow = $2, status = $3, error_code = $4, error_message = $5, scopes = $6, \
             inputs = $7, token_type = $8, expires_at = $9, issued_at = $10, extra = '[]', extra_sealed = $11, \
             access_token_sealed = $12, refresh_token_sealed = $13, id_token_sealed = $14, client_sealed = $15, \
             generation = generation + 1, updated_at = $16, refresh_failed_generation = NULL, refresh_retry_at = NULL, \
             refresh_error_code = NULL, refresh_error_message = NULL WHERE id = $17",
        )
        .bind(&provider_id)
        .bind(&token.flow)
        .bind(&token.status)
        .bind(&token.error_code)
        .bind(&token.error_message)
        .bind(json(&token.scopes))
        .bind(json(&token.inputs))
        .bind(&token.token_type)
        .bind(token.expires_at)
        .bind(token.issued_at)
        .bind(seal(TOKEN_EXTRA, Some(&json(&token.extra))))
        .bind(seal(TOKEN_ACCESS, token.access_token.as_deref()))
        .bind(seal(TOKEN_REFRESH, token.refresh_token.as_deref()))
        .bind(seal(TOKEN_ID, token.id_token.as_deref()))
        .bind(seal(TOKEN_CLIENT, token.client.as_ref().map(json).as_deref()))
        .bind(at)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        report.record(if replaced.is_some() { Change::Updated } else { Change::Created }, label);
        Ok(replaced)
    }
}
