//! API keys: random, shown once, stored only as their sha256.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Store, StoreError, Tenant, now};

/// The shortest admin key an operator may set (keys flowauth generates
/// carry 256 random bits).
const MIN_ADMIN_KEY_LENGTH: usize = 16;

/// A new key: `fa_` and 256 random bits.
pub(super) fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("fa_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keeps of a key.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Who a key belongs to.
#[derive(Debug, Clone)]
pub enum KeyOwner {
    /// The operator: every route.
    Admin,
    /// One tenant: its own routes only.
    Tenant(Tenant),
}

impl Store {
    /// Issues a new key for a tenant, replacing any earlier one. Returned once.
    pub async fn issue_tenant_key(&self, tenant_id: &str) -> Result<String, StoreError> {
        let key = new_key();
        sqlx::query("UPDATE tenants SET api_key_hash = $1 WHERE id = $2")
            .bind(key_hash(&key))
            .bind(tenant_id)
            .execute(&self.pool)
            .await?;
        Ok(key)
    }

    /// Sets the admin key when none exists yet (a key given by the operator
    /// replaces it). Returns a generated key only when one was created.
    pub async fn ensure_admin_key(&self, given: Option<&str>) -> Result<Option<String>, StoreError> {
        if let Some(key) = given.map(str::trim) {
            if key.len() < MIN_ADMIN_KEY_LENGTH {
                return Err(StoreError::Invalid(format!(
                    "the admin key must have at least {MIN_ADMIN_KEY_LENGTH} characters; leave FLOWAUTH_ADMIN_KEY unset to have one generated"
                )));
            }
            // One statement: instances starting together with the same key
            // never see a moment without one.
            sqlx::query(
                "INSERT INTO admin_keys (id, key_hash, created_at) VALUES ('admin', $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at",
            )
            .bind(key_hash(key))
            .bind(now())
            .execute(&self.pool)
            .await?;
            return Ok(None);
        }
        let key = new_key();
        let created = sqlx::query(
            "INSERT INTO admin_keys (id, key_hash, created_at) VALUES ('admin', $1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(key_hash(&key))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok((created.rows_affected() == 1).then_some(key))
    }

    /// The owner of a key, if it is one.
    pub async fn key_owner(&self, key: &str) -> Result<Option<KeyOwner>, StoreError> {
        let hash = key_hash(key);
        let admin: Option<String> = sqlx::query_scalar("SELECT id FROM admin_keys WHERE key_hash = $1")
            .bind(&hash)
            .fetch_optional(&self.pool)
            .await?;
        if admin.is_some() {
            return Ok(Some(KeyOwner::Admin));
        }
        let tenant: Option<Tenant> = sqlx::query_as("SELECT id, name FROM tenants WHERE api_key_hash = $1")
            .bind(&hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(tenant.map(KeyOwner::Tenant))
    }
}
