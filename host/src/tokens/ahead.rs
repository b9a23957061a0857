//! The background refresher (`serve --refresh-ahead`, as Decisions runs a
//! scheduled job): tokens are renewed before a flow step needs them, so
//! that a dead grant is found, and `token.needs_reauth` fires, while no
//! one waits on it. Every renewal takes the normal refresh path (one flight
//! per token in a process, the store's lease across processes, a re-read
//! once it is held, compare-and-swap on the generation), so instances on
//! one PostgreSQL database renew each token once. A tenant's renewals run
//! a few at a time, each after a random delay, so that tokens issued
//! together are not renewed in one burst and instances do not scan in step.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::sync::Semaphore;

use crate::metrics::METRICS;
use crate::store::{DueToken, now};

use super::TokenService;

/// How often the store is asked which tokens are due (give or take a fifth).
const SCAN_EVERY: Duration = Duration::from_secs(5);
/// The most tokens one scan starts renewing.
const SCAN_BATCH: u32 = 1000;
/// The longest random delay before a renewal; shorter for tokens whose
/// margin is short (a quarter of it), so a renewal never waits out its margin.
const MAX_JITTER: Duration = Duration::from_secs(10);

/// How the background refresher renews.
#[derive(Debug, Clone, Copy)]
pub struct RefreshAhead {
    /// Renew a token this many seconds before it expires, or at half its
    /// lifetime when that is later.
    pub margin_seconds: i64,
    /// Renewals one tenant may run at once.
    pub per_tenant: usize,
}

impl TokenService {
    /// Starts the background refresher; it runs until the task is aborted.
    pub fn spawn_refresh_ahead(&self, config: RefreshAhead) -> tokio::task::JoinHandle<()> {
        let refresher = Refresher { service: self.clone(), config, renewing: Arc::default(), tenants: HashMap::new() };
        tokio::spawn(refresher.run())
    }
}

/// The refresher's state between scans.
struct Refresher {
    service: TokenService,
    config: RefreshAhead,
    /// Tokens whose renewal is waiting or running, so a scan starts none twice.
    renewing: Arc<Mutex<HashSet<String>>>,
    /// Each tenant's renewal slots.
    tenants: HashMap<String, Arc<Semaphore>>,
}

impl Refresher {
    async fn run(mut self) {
        loop {
            match self.service.store.tokens_due_ahead(self.config.margin_seconds, now(), SCAN_BATCH).await {
                Ok(due) => due.into_iter().for_each(|token| self.start(token)),
                Err(error) => tracing::warn!(%error, "listing the tokens due for a renewal ahead failed"),
            }
            // A tenant's slots go once none of its renewals holds them.
            self.tenants.retain(|_, slots| Arc::strong_count(slots) > 1);
            let pause = SCAN_EVERY.mul_f64(rand::rng().random_range(0.8..1.2));
            tokio::time::sleep(pause).await;
        }
    }

    /// Renews `token` after a random delay, once its tenant has a free slot,
    /// unless its renewal is under way already.
    fn start(&mut self, token: DueToken) {
        if !self.renewing.lock().expect("renewing").insert(token.id.clone()) {
            return;
        }
        let slots = self
            .tenants
            .entry(token.tenant_id.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_tenant)));
        let slots = slots.clone();
        let margin = Duration::from_secs((token.expires_at - token.due).max(0) as u64);
        let delay = MAX_JITTER.min(margin / 4).mul_f64(rand::rng().random_range(0.0..1.0));
        let service = self.service.clone();
        let underway = Underway::begin(self.renewing.clone(), token.id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Ok(_slot) = slots.acquire_owned().await else { return };
            service.renew_ahead(&token.tenant_id, &token.id, token.generation).await;
            drop(underway);
        });
    }
}

/// A renewal under way: counted in the in-flight gauge, and its token
/// kept out of later scans, until it ends (a panic included).
struct Underway {
    renewing: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Underway {
    fn begin(renewing: Arc<Mutex<HashSet<String>>>, id: String) -> Self {
        METRICS.renewal_ahead_in_flight(true);
        Self { renewing, id }
    }
}

impl Drop for Underway {
    fn drop(&mut self) {
        self.renewing.lock().expect("renewing").remove(&self.id);
        METRICS.renewal_ahead_in_flight(false);
    }
}
