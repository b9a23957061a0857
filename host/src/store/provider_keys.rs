//! Provider keys for `private_key_jwt`: at most one active key per
//! provider (its private half sealed) and at most one previous key, kept
//! published after a rotation (public half only) until the admin removes
//! it. What the keys are is `client_keys`'s business; here they are rows.

use super::sealing::columns::PROVIDER_KEY;
use super::{Store, StoreError, from_json, json, new_id, now};

/// Whether a key signs or is only still published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Signs the provider's client assertions.
    Active,
    /// Replaced by a rotation; published until removed.
    Previous,
}

impl KeyState {
    /// The stored (and shown) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Previous => "previous",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "active" => Ok(Self::Active),
            "previous" => Ok(Self::Previous),
            other => Err(StoreError::Corrupt(format!("provider key state {other:?}"))),
        }
    }
}

/// What is public about a provider key.
#[derive(Debug, Clone)]
pub struct PublishedKey {
    /// Active or previous.
    pub state: KeyState,
    /// `RS256` or `ES256`.
    pub algorithm: String,
    /// Its RFC 7638 thumbprint.
    pub kid: String,
    /// The public JWK.
    pub public_jwk: serde_json::Value,
    /// Unix seconds.
    pub created_at: i64,
}

/// A key to install as a provider's active key.
#[derive(Debug, Clone, Copy)]
pub struct NewProviderKey<'a> {
    /// `RS256` or `ES256`.
    pub algorithm: &'a str,
    /// Its RFC 7638 thumbprint.
    pub kid: &'a str,
    /// The public JWK.
    pub public_jwk: &'a serde_json::Value,
    /// The private key, PKCS#8 PEM: sealed here.
    pub pem: &'a str,
}

/// The active key of a provider, opened for signing.
pub struct SigningMaterial {
    /// `RS256` or `ES256`.
    pub algorithm: String,
    /// Its RFC 7638 thumbprint.
    pub kid: String,
    /// The private key, PKCS#8 PEM.
    pub pem: String,
}

impl std::fmt::Debug for SigningMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningMaterial")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// What [`Store::active_provider_key`] finds.
#[derive(Debug)]
pub struct ActiveKey {
    /// The provider's tenant's name.
    pub tenant_name: String,
    /// The active key, when the provider has one.
    pub key: Option<SigningMaterial>,
}

type ActiveRow = (String, Option<String>, Option<String>, Option<String>, Option<Vec<u8>>);

#[derive(sqlx::FromRow)]
struct KeyRow {
    state: String,
    algorithm: String,
    kid: String,
    public_jwk: String,
    created_at: i64,
}

impl KeyRow {
    fn published(self) -> Result<PublishedKey, StoreError> {
        Ok(PublishedKey {
            state: KeyState::parse(&self.state)?,
            public_jwk: from_json(&format!("public JWK of key {}", self.kid), &self.public_jwk)?,
            algorithm: self.algorithm,
            kid: self.kid,
            created_at: self.created_at,
        })
    }
}

impl Store {
    /// Makes `key` the provider's active key, in one transaction: the key
    /// active before becomes the previous one (its private half dropped)
    /// and the previous one before that is removed. False, changing
    /// nothing, when `key` is the active key already.
    pub async fn install_provider_key(
        &self,
        tenant_id: &str,
        provider_id: &str,
        key: NewProviderKey<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let active: Option<String> = sqlx::query_scalar(
            "SELECT kid FROM provider_keys WHERE tenant_id = $1 AND provider_id = $2 AND state = 'active'",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .fetch_optional(&mut *tx)
        .await?;
        if active.as_deref() == Some(key.kid) {
            return Ok(false);
        }
        // The key may come back from being the previous one: it is then active only.
        sqlx::query(
            "DELETE FROM provider_keys WHERE tenant_id = $1 AND provider_id = $2 AND (state = 'previous' OR kid = $3)",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .bind(key.kid)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE provider_keys SET state = 'previous', private_key_sealed = NULL \
             WHERE tenant_id = $1 AND provider_id = $2 AND state = 'active'",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .execute(&mut *tx)
        .await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO provider_keys (id, tenant_id, provider_id, state, algorithm, kid, public_jwk, \
             private_key_sealed, created_at) VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(tenant_id)
        .bind(provider_id)
        .bind(key.algorithm)
        .bind(key.kid)
        .bind(json(key.public_jwk))
        .bind(self.sealer.seal(tenant_id, PROVIDER_KEY, &id, key.pem.as_bytes()))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The provider's active key, opened, if it has one, and its tenant's
    /// name (for saying how to set one), in one query: every call to a
    /// provider asks.
    pub async fn active_provider_key(&self, tenant_id: &str, provider_id: &str) -> Result<ActiveKey, StoreError> {
        let (tenant_name, id, algorithm, kid, sealed): ActiveRow = sqlx::query_as(
            "SELECT t.name, k.id, k.algorithm, k.kid, k.private_key_sealed FROM tenants t \
             LEFT JOIN provider_keys k ON k.tenant_id = t.id AND k.provider_id = $2 AND k.state = 'active' \
             WHERE t.id = $1",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("tenant {tenant_id}")))?;
        let key = match (id, algorithm, kid, sealed) {
            (Some(id), Some(algorithm), Some(kid), Some(sealed)) => {
                let pem = self.sealer.open_text(tenant_id, PROVIDER_KEY, &id, &sealed)?;
                Some(SigningMaterial { algorithm, kid, pem })
            }
            _ => None,
        };
        Ok(ActiveKey { tenant_name, key })
    }

    /// The provider's keys, the active one first, without any private half.
    pub async fn provider_keys(&self, tenant_id: &str, provider_id: &str) -> Result<Vec<PublishedKey>, StoreError> {
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT state, algorithm, kid, public_jwk, created_at FROM provider_keys \
             WHERE tenant_id = $1 AND provider_id = $2 ORDER BY state, created_at DESC",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(KeyRow::published).collect()
    }

    /// The keys published for a provider, by its id alone (the public
    /// JWKS document): active first. Empty for an unknown id.
    pub async fn published_keys(&self, provider_id: &str) -> Result<Vec<PublishedKey>, StoreError> {
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT state, algorithm, kid, public_jwk, created_at FROM provider_keys \
             WHERE provider_id = $1 ORDER BY state, created_at DESC",
        )
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(KeyRow::published).collect()
    }

    /// Removes the provider's keys, or only its previous one. The number removed.
    pub async fn remove_provider_keys(
        &self,
        tenant_id: &str,
        provider_id: &str,
        previous_only: bool,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query(
            "DELETE FROM provider_keys WHERE tenant_id = $1 AND provider_id = $2 AND ($3 = 0 OR state = 'previous')",
        )
        .bind(tenant_id)
        .bind(provider_id)
        .bind(i64::from(previous_only))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(removed)
    }
}
