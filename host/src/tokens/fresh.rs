//! Access tokens handed out recently, so the hot path can skip the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::{self, error::RecvError};

use crate::store::{Change, now};

use super::AccessToken;

/// How long this process hands out a cached access token without reading
/// the store. Refresh, reset, retry and delete through this process forget
/// it at once, and so do changes announced by the store (PostgreSQL
/// announces every change, whichever instance made it); a change made by
/// another process on SQLite shows within this time.
pub const FRESH_CACHE_TTL: Duration = Duration::from_secs(5);

/// One handed-out token: its tenant, the token, when it is due for a
/// refresh (Unix seconds), and when it was cached.
struct Entry {
    tenant_id: String,
    token: AccessToken,
    refresh_due: Option<i64>,
    cached: Instant,
}

/// Access tokens handed out recently, by token id.
#[derive(Default)]
pub struct FreshCache(Mutex<HashMap<String, Entry>>);

impl FreshCache {
    /// The cached token, while it is neither stale here nor due.
    pub fn get(&self, tenant_id: &str, id: &str) -> Option<AccessToken> {
        let map = self.0.lock().expect("fresh cache");
        let entry = map.get(id)?;
        let fresh = entry.cached.elapsed() < FRESH_CACHE_TTL && entry.refresh_due.is_none_or(|due| now() < due);
        (entry.tenant_id == tenant_id && fresh).then(|| entry.token.clone())
    }

    /// Remembers a token handed out, due for a refresh at `refresh_due`.
    pub fn put(&self, tenant_id: &str, id: &str, token: &AccessToken, refresh_due: Option<i64>) {
        let mut map = self.0.lock().expect("fresh cache");
        map.retain(|_, entry| entry.cached.elapsed() < FRESH_CACHE_TTL);
        let entry =
            Entry { tenant_id: tenant_id.to_owned(), token: token.clone(), refresh_due, cached: Instant::now() };
        map.insert(id.to_owned(), entry);
    }

    /// Drops a token that changed.
    pub fn forget(&self, id: &str) {
        self.0.lock().expect("fresh cache").remove(id);
    }

    /// Forgets what the store announces as changed, for as long as the
    /// cache lives.
    pub fn follow(self: &Arc<Self>, mut changes: broadcast::Receiver<Change>) {
        let cache: Weak<Self> = Arc::downgrade(self);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            loop {
                let change = changes.recv().await;
                let Some(cache) = cache.upgrade() else { return };
                match change {
                    Ok(Change::Token(id)) => cache.forget(&id),
                    // Announcements were missed: anything may have changed.
                    Ok(Change::Unknown) | Err(RecvError::Lagged(_)) => cache.0.lock().expect("fresh cache").clear(),
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }
}
