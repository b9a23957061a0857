//! The delivery worker: claims due deliveries from the store, posts them
//! signed, and records each attempt with what follows (delivered, retry
//! after an exponential backoff, or give up). It runs in `flowauth serve`;
//! events queued by any process on the same database are sent by it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::sign::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};
use super::target::{check_url, loggable};
use super::{DeliveryConfig, EventsError};
use crate::runtime::GuardedResolver;
use crate::store::{AfterAttempt, Attempt, DueDelivery, Store, now, now_ms};

/// How often finished deliveries past their retention are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

pub(super) struct Worker {
    store: Store,
    config: Arc<DeliveryConfig>,
    wake: Arc<Notify>,
    /// Built at the first delivery: a server without webhooks holds none.
    client: std::sync::OnceLock<reqwest::Client>,
}

impl Worker {
    pub(super) fn new(store: Store, config: Arc<DeliveryConfig>, wake: Arc<Notify>) -> Result<Self, EventsError> {
        client(&config)?;
        Ok(Self { store, config, wake, client: std::sync::OnceLock::new() })
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = client(&self.config).map_err(|e| e.to_string())?;
        Ok(self.client.get_or_init(|| client))
    }

    /// Runs until the process ends.
    pub(super) async fn run(self) {
        let this = Arc::new(self);
        let mut sending = JoinSet::new();
        let mut pruned_at: Option<Instant> = None;
        loop {
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                this.prune().await;
                pruned_at = Some(Instant::now());
            }
            let free = this.config.max_in_flight.saturating_sub(sending.len());
            if free > 0 {
                match this.store.claim_deliveries(now_ms(), free, this.hold_ms()).await {
                    Ok(due) => {
                        for delivery in due {
                            let worker = this.clone();
                            sending.spawn(async move { worker.attempt(delivery).await });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "claiming webhook deliveries failed"),
                }
            }
            // At capacity, only a finished attempt (or a wake) frees a slot.
            let wait = match sending.len() >= this.config.max_in_flight {
                true => this.config.poll,
                false => this.wait().await,
            };
            tokio::select! {
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                Some(_) = sending.join_next(), if !sending.is_empty() => {}
            }
        }
    }

    /// How long a claim keeps other workers off a delivery: past a whole
    /// attempt, so only a worker that died loses it.
    fn hold_ms(&self) -> i64 {
        (self.config.connect_timeout + self.config.request_timeout + Duration::from_secs(5)).as_millis() as i64
    }

    /// Until the next delivery is due, at most `poll` (events queued by
    /// another process wake no one here).
    async fn wait(&self) -> Duration {
        let next = self.store.next_delivery_due().await.ok().flatten();
        let until_due = next.map(|at| Duration::from_millis((at - now_ms()).max(0) as u64));
        until_due.map_or(self.config.poll, |d| d.min(self.config.poll)).max(Duration::from_millis(5))
    }

    async fn prune(&self) {
        let before = now() - self.config.retention.as_secs() as i64;
        match self.store.prune_deliveries(before).await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "pruned old webhook deliveries"),
            Err(error) => tracing::warn!(%error, "pruning webhook deliveries failed"),
        }
    }

    /// One attempt, recorded with what follows it.
    async fn attempt(&self, delivery: DueDelivery) {
        let number = delivery.attempts + 1;
        let started = Instant::now();
        let at = now();
        let result = self.post(&delivery).await;
        let duration_ms = started.elapsed().as_millis() as i64;
        let (status_code, error) = match &result {
            Ok(status) if (200..300).contains(status) => (Some(*status as i64), None),
            Ok(status) if (300..400).contains(status) => (
                Some(*status as i64),
                Some(format!("the receiver redirected ({status}); redirects are not followed: set the final URL")),
            ),
            Ok(status) => (Some(*status as i64), Some(format!("the receiver answered {status}"))),
            Err(error) => (None, Some(error.clone())),
        };
        let after = match &error {
            None => AfterAttempt::Delivered,
            Some(_) if number >= i64::from(self.config.max_attempts) => AfterAttempt::GiveUp,
            Some(_) => AfterAttempt::RetryAt(now_ms() + self.config.backoff(number as u32).as_millis() as i64),
        };
        let url = loggable(&delivery.url);
        match (&after, &error) {
            (AfterAttempt::Delivered, _) => {
                tracing::info!(delivery = %delivery.id, event = %delivery.event, %url, status = ?status_code, attempt = number, duration_ms, "webhook delivered")
            }
            (_, error) => {
                tracing::warn!(delivery = %delivery.id, event = %delivery.event, %url, status = ?status_code, ?error, attempt = number, ?after, "webhook delivery failed")
            }
        }
        let attempt = Attempt { attempt: number, at, status_code, error, duration_ms };
        if let Err(error) = self.store.record_attempt(&delivery.id, &attempt, after).await {
            tracing::warn!(delivery = %delivery.id, %error, "recording a webhook attempt failed; it will be sent again");
        }
    }

    /// Posts the payload signed now; the receiver's status, or why none came.
    async fn post(&self, delivery: &DueDelivery) -> Result<u16, String> {
        let url = check_url(&delivery.url, self.config.allow_private_network).map_err(|e| format!("refused: {e}"))?;
        let timestamp = now();
        let body = delivery.payload.as_bytes().to_vec();
        let response = self
            .client()?
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(DELIVERY_HEADER, &delivery.id)
            .header(EVENT_HEADER, &delivery.event)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature(&delivery.secret, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(transport_error)?;
        Ok(response.status().as_u16())
    }
}

/// The webhook HTTP client: no redirects, bounded time, and the runtime's
/// resolver, which refuses private addresses unless the operator allows them.
fn client(config: &DeliveryConfig) -> Result<reqwest::Client, EventsError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .dns_resolver(Arc::new(GuardedResolver::new(config.allow_private_network)))
        .user_agent(concat!("flowauth-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| EventsError::Client(format!("cannot build the webhook HTTP client: {e}")))
}

/// A transport failure as one line, its causes included, without the URL.
fn transport_error(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "the receiver did not answer in time".into();
    }
    let mut causes = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        causes = format!("{causes}: {inner}");
        source = inner.source();
    }
    format!("{}{causes}", error.without_url())
}
