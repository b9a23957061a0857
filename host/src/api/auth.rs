//! Who is calling: the admin key may use every route, a tenant key only its
//! own tenant's. Wrong tenant and unknown tenant look the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use tokio::sync::broadcast;

use super::{ApiError, AppState};
use crate::store::{Change, KeyOwner, Tenant, key_hash};

/// How long a key's owner is remembered, so that the hot path skips the
/// database. A key rotated or a tenant deleted through this server is
/// forgotten at once, and on PostgreSQL every instance is told at once; a
/// key replaced by the command line beside a server on SQLite stops
/// working within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(10);

/// Recently seen keys (by hash, never in clear) and tenants (by name).
#[derive(Default)]
pub struct KeyCache {
    owners: Mutex<HashMap<String, (KeyOwner, Instant)>>,
    tenants: Mutex<HashMap<String, (Tenant, Instant)>>,
}

impl KeyCache {
    /// Forgets the key and the name of the tenant of this id.
    pub fn forget_tenant(&self, tenant_id: &str) {
        let owned = |owner: &KeyOwner| matches!(owner, KeyOwner::Tenant(t) if t.id == tenant_id);
        self.owners.lock().expect("key cache").retain(|_, (owner, _)| !owned(owner));
        self.tenants.lock().expect("key cache").retain(|_, (tenant, _)| tenant.id != tenant_id);
    }

    fn forget_all(&self) {
        self.owners.lock().expect("key cache").clear();
        self.tenants.lock().expect("key cache").clear();
    }

    /// Forgets what the store announces as changed (PostgreSQL: changes
    /// other instances make), for as long as the cache lives.
    pub fn follow(self: &Arc<Self>, changes: broadcast::Receiver<Change>) {
        Change::follow(self, changes, |cache, change| match change {
            Change::TenantKey(id) => cache.forget_tenant(&id),
            Change::Token(_) => {}
            Change::Unknown => cache.forget_all(),
        });
    }
}

fn cached<T: Clone>(map: &Mutex<HashMap<String, (T, Instant)>>, key: &str) -> Option<T> {
    let map = map.lock().expect("key cache");
    map.get(key).filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL).map(|(value, _)| value.clone())
}

fn remember<T>(map: &Mutex<HashMap<String, (T, Instant)>>, key: String, value: T) {
    let mut map = map.lock().expect("key cache");
    map.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
    map.insert(key, (value, Instant::now()));
}

/// The caller, authenticated.
pub struct Caller(pub KeyOwner);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Found once per request (the tenant's share counts it first).
        if let Some(owner) = parts.extensions.get::<KeyOwner>() {
            return Ok(Self(owner.clone()));
        }
        let key = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or_else(ApiError::unauthorized)?;
        let hash = key_hash(key);
        let owner = match cached(&state.keys.owners, &hash) {
            Some(owner) => owner,
            None => {
                let owner = state.service.store().key_owner(key).await?.ok_or_else(ApiError::unauthorized)?;
                remember(&state.keys.owners, hash, owner.clone());
                owner
            }
        };
        parts.extensions.insert(owner.clone());
        Ok(Self(owner))
    }
}

/// The key of an `Authorization: Bearer <key>` header: the scheme in any
/// case (RFC 9110), the key without surrounding spaces.
fn bearer(header: &str) -> Option<&str> {
    let (scheme, key) = header.trim().split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then_some(key)
}

impl Caller {
    /// Admin only.
    pub fn admin(&self) -> Result<(), ApiError> {
        match self.0 {
            KeyOwner::Admin => Ok(()),
            KeyOwner::Tenant(_) => Err(ApiError::forbidden()),
        }
    }

    /// The tenant named in the path, if this caller may act for it.
    pub async fn tenant(&self, state: &AppState, name: &str) -> Result<Tenant, ApiError> {
        match &self.0 {
            KeyOwner::Tenant(own) if own.name.eq_ignore_ascii_case(name) => Ok(own.clone()),
            KeyOwner::Tenant(_) => Err(ApiError::forbidden()),
            KeyOwner::Admin => {
                let folded = name.to_ascii_lowercase();
                if let Some(tenant) = cached(&state.keys.tenants, &folded) {
                    return Ok(tenant);
                }
                let tenant = state.service.store().tenant(name).await?.ok_or_else(|| {
                    ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", format!("no tenant {name:?}"))
                })?;
                remember(&state.keys.tenants, folded, tenant.clone());
                Ok(tenant)
            }
        }
    }
}
