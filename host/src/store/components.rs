//! Third-party components: every installed version by digest, the digest
//! each name points to, and the digest each tenant pinned when an admin
//! enabled it. The bytes are kept so any process (the CLI, each server
//! instance) loads exactly what a tenant pinned.

use super::{Store, StoreError, from_json, json, now};

/// One installed version of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentVersion {
    /// sha256 of the bytes, hex.
    pub digest: String,
    /// The name it was installed under.
    pub name: String,
    /// The outbound hosts (`host[:port]`) the operator approved; `None`
    /// for versions installed before approvals existed (their
    /// declarations stand).
    pub hosts: Option<Vec<String>>,
    /// Whether the name points to this version now.
    pub current: bool,
    /// Seconds since the Unix epoch.
    pub installed_at: i64,
}

/// A tenant's enablement of a component, pinned to one digest.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ComponentPin {
    /// The tenant's name.
    pub tenant: String,
    /// The tenant's id.
    pub tenant_id: String,
    /// The component's name.
    pub name: String,
    /// The digest the tenant runs.
    pub digest: String,
}

const VERSION_COLUMNS: &str = "v.digest, v.name, v.hosts, v.installed_at, \
     CASE WHEN c.digest = v.digest THEN 1 ELSE 0 END AS current \
     FROM component_versions v JOIN components c ON c.name = v.name";

/// A row of [`VERSION_COLUMNS`].
#[derive(sqlx::FromRow)]
struct VersionRow {
    digest: String,
    name: String,
    hosts: Option<String>,
    installed_at: i64,
    current: i64,
}

impl TryFrom<VersionRow> for ComponentVersion {
    type Error = StoreError;

    fn try_from(row: VersionRow) -> Result<Self, StoreError> {
        let what = format!("component_versions.hosts of {}", row.digest);
        Ok(Self {
            hosts: row.hosts.map(|h| from_json(&what, &h)).transpose()?,
            digest: row.digest,
            name: row.name,
            current: row.current != 0,
            installed_at: row.installed_at,
        })
    }
}

impl Store {
    /// Keeps a verified version and points its name to it (creating the
    /// name on first install). The caller checked the upgrade rules.
    pub async fn put_component_version(
        &self,
        name: &str,
        digest: &str,
        wasm: &[u8],
        hosts: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO components (name, digest, installed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, installed_at = excluded.installed_at",
        )
        .bind(name)
        .bind(digest)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO component_versions (digest, name, wasm, hosts, installed_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (digest) DO UPDATE SET hosts = excluded.hosts",
        )
        .bind(digest)
        .bind(name)
        .bind(wasm)
        .bind(json(&hosts))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the hosts approved for one version.
    pub async fn set_component_hosts(&self, digest: &str, hosts: &[String]) -> Result<(), StoreError> {
        sqlx::query("UPDATE component_versions SET hosts = $1 WHERE digest = $2")
            .bind(json(&hosts))
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One installed version, by digest.
    pub async fn component_version(&self, digest: &str) -> Result<Option<ComponentVersion>, StoreError> {
        let row: Option<VersionRow> = sqlx::query_as(&format!("SELECT {VERSION_COLUMNS} WHERE v.digest = $1"))
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// Every installed version, by name then age (newest last).
    pub async fn component_versions(&self) -> Result<Vec<ComponentVersion>, StoreError> {
        let rows: Vec<VersionRow> =
            sqlx::query_as(&format!("SELECT {VERSION_COLUMNS} ORDER BY v.name, v.installed_at, v.digest"))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The bytes of one version.
    pub async fn component_wasm(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_scalar("SELECT wasm FROM component_versions WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The digest a name points to.
    pub async fn component_digest(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT digest FROM components WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Lets a tenant use one version of a component (replacing its pin).
    pub async fn enable_component(&self, tenant_id: &str, name: &str, digest: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tenant_components (tenant_id, name, digest) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET digest = excluded.digest",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(digest)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stops a tenant from using a component; false when it did not.
    pub async fn disable_component(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM tenant_components WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every tenant's pins, or one tenant's.
    pub async fn component_pins(&self, tenant_id: Option<&str>) -> Result<Vec<ComponentPin>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.name AS tenant, t.id AS tenant_id, tc.name, tc.digest FROM tenant_components tc \
             JOIN tenants t ON t.id = tc.tenant_id WHERE ($1 IS NULL OR tc.tenant_id = $1) \
             AND tc.digest IS NOT NULL ORDER BY t.name, tc.name",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ids of the tokens (of `tenant_id`, or of every tenant) whose
    /// provider is for one of `connectors`.
    pub async fn tokens_of_connectors(
        &self,
        tenant_id: Option<&str>,
        connectors: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        for connector in connectors {
            let found: Vec<String> = sqlx::query_scalar(
                "SELECT t.id FROM tokens t JOIN providers p ON p.id = t.provider_id \
                 WHERE p.connector = $1 AND ($2 IS NULL OR t.tenant_id = $2) ORDER BY t.id",
            )
            .bind(connector)
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            ids.extend(found);
        }
        Ok(ids)
    }

    /// Removes a component, every version and every tenant's pin; the
    /// tokens listed are marked `failed` with `code` and `message`.
    pub async fn remove_component(
        &self,
        name: &str,
        failed_tokens: &[String],
        code: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for id in failed_tokens {
            sqlx::query(
                "UPDATE tokens SET status = 'failed', error_code = $1, error_message = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(code)
            .bind(message)
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM tenant_components WHERE name = $1").bind(name).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM component_versions WHERE name = $1").bind(name).execute(&mut *tx).await?;
        let gone = sqlx::query("DELETE FROM components WHERE name = $1").bind(name).execute(&mut *tx).await?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("component {name}")));
        }
        tx.commit().await?;
        Ok(())
    }
}
