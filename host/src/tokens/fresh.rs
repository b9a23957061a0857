//! Access tokens handed out recently, so the hot path can skip the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

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
pub struct FreshCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// Counts what was forgotten, so that a token read from the store
    /// before a change was announced is not cached after it.
    forgotten: AtomicU64,
}

impl FreshCache {
    /// The cached token, while it is neither stale here nor due.
    pub fn get(&self, tenant_id: &str, id: &str) -> Option<AccessToken> {
        let map = self.entries.lock().expect("fresh cache");
        let entry = map.get(id)?;
        let fresh = entry.cached.elapsed() < FRESH_CACHE_TTL && entry.refresh_due.is_none_or(|due| now() < due);
        (entry.tenant_id == tenant_id && fresh).then(|| entry.token.clone())
    }

    /// Where forgetting stands: taken before reading a token from the
    /// store, and given back to [`put`](Self::put).
    pub fn epoch(&self) -> u64 {
        self.forgotten.load(Ordering::SeqCst)
    }

    /// Remembers a token handed out, due for a refresh at `refresh_due`,
    /// unless something was forgotten since `epoch` (the token may be
    /// what that change replaced).
    pub fn put(&self, epoch: u64, tenant_id: &str, id: &str, token: &AccessToken, refresh_due: Option<i64>) {
        let mut map = self.entries.lock().expect("fresh cache");
        if self.epoch() != epoch {
            return;
        }
        map.retain(|_, entry| entry.cached.elapsed() < FRESH_CACHE_TTL);
        let entry =
            Entry { tenant_id: tenant_id.to_owned(), token: token.clone(), refresh_due, cached: Instant::now() };
        map.insert(id.to_owned(), entry);
    }

    /// Drops a token that changed.
    pub fn forget(&self, id: &str) {
        let mut map = self.entries.lock().expect("fresh cache");
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        map.remove(id);
    }

    /// Drops every token: changes may have been missed.
    fn forget_all(&self) {
        let mut map = self.entries.lock().expect("fresh cache");
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }

    /// Forgets what the store announces as changed, for as long as the
    /// cache lives.
    pub fn follow(self: &Arc<Self>, changes: broadcast::Receiver<Change>) {
        Change::follow(self, changes, |cache, change| match change {
            Change::Token(id) => cache.forget(&id),
            Change::TenantKey(_) => {}
            // Announcements were missed: anything may have changed.
            Change::Unknown => cache.forget_all(),
        });
    }
}
