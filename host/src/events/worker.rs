//! The delivery worker: claims due deliveries from the store, posts them
//! signed, and records each attempt with what follows (delivered, retry
//! after an exponential backoff, or give up). It runs in `flowauth serve`;
//! events queued by any process on the same database are sent by it.
//!
//! Fair between tenants: a tenant holds at most its share of the slots, an
//! endpoint that keeps timing out gets a shorter deadline, and one that
//! keeps failing is paused by its circuit breaker (see docs/WEBHOOKS.md).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::sign::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};
use super::target::{check_url, loggable};
use super::{DeliveryConfig, EventsError};
use crate::runtime::GuardedResolver;
use crate::store::{AfterAttempt, Attempt, DueDelivery, EndpointHealth, EndpointReport, Slots, Store, now, now_ms};

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
        // Which tenant each attempt in flight holds a slot for.
        let mut holders = HashMap::new();
        let mut slots = Slots::new(this.config.max_in_flight, this.config.tenant_slots);
        let mut pruned_at: Option<Instant> = None;
        loop {
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                this.prune().await;
                pruned_at = Some(Instant::now());
            }
            while let Some(done) = sending.try_join_next_with_id() {
                give_back(&mut slots, &mut holders, done);
            }
            let claimed_at = now_ms();
            match this.store.claim_deliveries(claimed_at, this.hold_ms(), &mut slots).await {
                Ok(due) => {
                    for delivery in due {
                        let (worker, tenant) = (this.clone(), delivery.tenant_id.clone());
                        let task = sending.spawn(async move { worker.attempt(delivery).await });
                        holders.insert(task.id(), tenant);
                    }
                }
                Err(error) => tracing::warn!(%error, "claiming webhook deliveries failed"),
            }
            // At capacity, only a finished attempt (or a wake) frees a slot.
            let wait = match slots.free() {
                0 => this.config.poll,
                _ => this.wait(claimed_at).await,
            };
            tokio::select! {
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                Some(done) = sending.join_next_with_id(), if !sending.is_empty() => {
                    give_back(&mut slots, &mut holders, done);
                }
            }
        }
    }

    /// How long a claim keeps other workers off a delivery: past a whole
    /// attempt, so only a worker that died loses it.
    fn hold_ms(&self) -> i64 {
        (self.config.connect_timeout + self.config.request_timeout + Duration::from_secs(5)).as_millis() as i64
    }

    /// Until the next delivery is due, at most `poll` (events queued by
    /// another process wake no one here). One that was due at the last
    /// claim and not taken waits for its tenant's slot, a probe's outcome
    /// or another instance: a finished attempt wakes the worker, else `poll`.
    async fn wait(&self, claimed_at: i64) -> Duration {
        match self.store.next_delivery_due().await.ok().flatten() {
            Some(at) if at > claimed_at => {
                Duration::from_millis((at - now_ms()).max(0) as u64).clamp(Duration::from_millis(5), self.config.poll)
            }
            _ => self.config.poll,
        }
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
        let timed_out = matches!(&result, Err(failure) if failure.timed_out);
        let (status_code, error) = match result {
            Ok(status) if (200..300).contains(&status) => (Some(status as i64), None),
            Ok(status) if (300..400).contains(&status) => (
                Some(status as i64),
                Some(format!("the receiver redirected ({status}); redirects are not followed: set the final URL")),
            ),
            Ok(status) => (Some(status as i64), Some(format!("the receiver answered {status}"))),
            Err(failure) => (None, Some(failure.message)),
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
                tracing::warn!(delivery = %delivery.id, event = %delivery.event, %url, status = ?status_code, ?error, attempt = number, probe = delivery.probe, ?after, "webhook delivery failed")
            }
        }
        let attempt = Attempt { attempt: number, at, status_code, error, duration_ms };
        let endpoint = EndpointReport {
            timed_out,
            open_after: self.config.circuit_failures,
            open_until_ms: now_ms() + self.config.circuit_open.as_millis() as i64,
        };
        match self.store.record_attempt(&delivery.id, &attempt, after, endpoint).await {
            Ok(Some(health)) => self.log_circuit(&delivery, &url, &health),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(delivery = %delivery.id, %error, "recording a webhook attempt failed; it will be sent again")
            }
        }
    }

    /// Logs the moments an endpoint's circuit opens and closes (not every
    /// failure while it stays open).
    fn log_circuit(&self, delivery: &DueDelivery, url: &str, health: &EndpointHealth) {
        let opened = health.consecutive_failures == i64::from(self.config.circuit_failures);
        match health.circuit_open_until_ms {
            Some(until) if opened => {
                tracing::warn!(tenant = %delivery.tenant_id, %url, failures = health.consecutive_failures, open_until_ms = until, "webhook circuit opened: the endpoint's deliveries wait, then one is sent as a probe")
            }
            None if delivery.probe => {
                tracing::info!(tenant = %delivery.tenant_id, %url, "webhook circuit closed: the probe was delivered")
            }
            _ => {}
        }
    }

    /// Posts the payload signed now, within the endpoint's deadline; the
    /// receiver's status, or why none came.
    async fn post(&self, delivery: &DueDelivery) -> Result<u16, Failure> {
        let url = check_url(&delivery.url, self.config.allow_private_network)
            .map_err(|e| Failure::other(format!("refused: {e}")))?;
        let (deadline, shortened) = self.config.request_timeout(delivery.endpoint_timeouts);
        let timestamp = now();
        let body = delivery.payload.as_bytes().to_vec();
        let response = self
            .client()
            .map_err(Failure::other)?
            .post(url)
            .timeout(deadline)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(DELIVERY_HEADER, &delivery.id)
            .header(EVENT_HEADER, &delivery.event)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature(&delivery.secret, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(|error| match error.is_timeout() {
                true if shortened => Failure::timeout(format!(
                    "the receiver did not answer in time ({} ms, the shorter deadline after {} timeouts in a row)",
                    deadline.as_millis(),
                    self.config.short_timeout_after
                )),
                true => Failure::timeout("the receiver did not answer in time".into()),
                false => Failure::other(transport_error(error)),
            })?;
        Ok(response.status().as_u16())
    }
}

/// Why an attempt got no answer.
struct Failure {
    message: String,
    /// It ran out of time (which shortens the endpoint's next deadlines).
    timed_out: bool,
}

impl Failure {
    fn timeout(message: String) -> Self {
        Self { message, timed_out: true }
    }

    fn other(message: String) -> Self {
        Self { message, timed_out: false }
    }
}

/// Frees the slot a finished attempt held.
fn give_back(
    slots: &mut Slots,
    holders: &mut HashMap<tokio::task::Id, String>,
    done: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
) {
    let id = match done {
        Ok((id, ())) => id,
        Err(error) => {
            tracing::warn!(%error, "a webhook attempt ended abnormally; the delivery will be sent again");
            error.id()
        }
    };
    if let Some(tenant) = holders.remove(&id) {
        slots.give_back(&tenant);
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
    let mut causes = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        causes = format!("{causes}: {inner}");
        source = inner.source();
    }
    format!("{}{causes}", error.without_url())
}
