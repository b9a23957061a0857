//! Events: signed webhooks that tell a flow engine a token changed (it
//! became active, failed, needs re-authorization, or a refresh failed)
//! without polling.
//!
//! ```text
//! token lifecycle -> Events::emit -> webhook_deliveries (store) -> worker -> POST, signed
//! ```
//!
//! [`Events::emit`] only queues a delivery in the store, so it never waits
//! on a receiver, and an event emitted by a CLI process is sent by a
//! running server's worker ([`Events::spawn_worker`]). Delivery is at least
//! once: receivers dedupe on the delivery id.

mod event;
mod expiry;
mod sign;
mod target;
mod view;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use tokio::sync::Notify;

pub use event::{Event, EventError, EventKind};
pub use sign::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, signature, verify};
pub use target::{MAX_URL_BYTES, Refused, check_url};
pub use view::{circuit_json, delivery_json, delivery_log_json, webhook_json};

use crate::store::{DeliveryRecord, EndpointHealth, NewDelivery, Store, StoreError, Webhook, new_id};

/// The shortest signing secret accepted from a user.
pub const MIN_SECRET_CHARS: usize = 32;
/// The longest.
pub const MAX_SECRET_CHARS: usize = 256;
/// The most deliveries a log listing returns.
pub const MAX_LISTED_DELIVERIES: usize = 500;

/// How deliveries are sent.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Lets webhooks use plain http to loopback and private addresses
    /// (development and tests; the server's `--allow-private-network`).
    pub allow_private_network: bool,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// The delay before the first retry; doubled for each further one.
    pub retry_base: Duration,
    /// The longest delay between two attempts.
    pub retry_max: Duration,
    /// How often the worker looks for deliveries queued by other processes.
    pub poll: Duration,
    /// Time to connect to a receiver.
    pub connect_timeout: Duration,
    /// Time for a whole attempt, the receiver's answer included.
    pub request_timeout: Duration,
    /// How long finished deliveries stay in the log.
    pub retention: Duration,
    /// Deliveries sent at once (the worker's slots).
    pub max_in_flight: usize,
    /// Slots one tenant's deliveries may hold at once, so that a tenant
    /// whose receiver hangs leaves the other slots to the other tenants.
    pub tenant_slots: usize,
    /// Attempts in a row that ran out of time before an endpoint gets
    /// [`short_request_timeout`](Self::short_request_timeout).
    pub short_timeout_after: u32,
    /// The shorter time for a whole attempt to an endpoint that keeps timing out.
    pub short_request_timeout: Duration,
    /// Failed attempts in a row to one endpoint that open its circuit.
    pub circuit_failures: u32,
    /// How long an open circuit pauses the endpoint before one probe is sent.
    pub circuit_open: Duration,
}

impl Default for DeliveryConfig {
    /// 8 attempts over about 21 minutes (10 s, 20 s, ... 640 s apart).
    fn default() -> Self {
        Self {
            allow_private_network: false,
            max_attempts: 8,
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(3600),
            poll: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            retention: Duration::from_secs(7 * 24 * 3600),
            max_in_flight: 16,
            tenant_slots: 4,
            short_timeout_after: 2,
            short_request_timeout: Duration::from_secs(2),
            circuit_failures: 5,
            circuit_open: Duration::from_secs(60),
        }
    }
}

impl DeliveryConfig {
    /// The delay after failed attempt `attempt` (1 for the first).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.retry_base.saturating_mul(factor).min(self.retry_max)
    }

    /// The time for a whole attempt to an endpoint whose last `timeouts`
    /// attempts ran out of time, and whether that is the shortened one.
    pub fn request_timeout(&self, timeouts: i64) -> (Duration, bool) {
        if timeouts >= i64::from(self.short_timeout_after) && self.short_request_timeout < self.request_timeout {
            (self.short_request_timeout, true)
        } else {
            (self.request_timeout, false)
        }
    }
}

/// What went wrong configuring webhooks or emitting.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    /// The request cannot be applied; the message says how to fix it.
    #[error("{0}")]
    Invalid(String),
    /// The server's policy keeps it from posting to this URL's host.
    #[error("{0}")]
    NotAllowed(String),
    /// The tenant has no webhook.
    #[error("{0}")]
    NotFound(String),
    /// The HTTP client could not be built.
    #[error("{0}")]
    Client(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A webhook to set.
#[derive(Debug, Clone, Default)]
pub struct WebhookRequest {
    /// Where events are posted.
    pub url: String,
    /// Event types to receive; empty: all of them.
    pub events: Vec<String>,
    /// The signing secret to use instead of a generated one.
    pub secret: Option<String>,
    /// Replace the secret of an existing webhook with a new one.
    pub rotate_secret: bool,
}

/// The events service: configures webhooks, queues events, and starts the
/// delivery worker. Cheap to clone.
#[derive(Clone)]
pub struct Events {
    store: Store,
    config: Arc<DeliveryConfig>,
    /// Wakes this process's worker when an event is queued here.
    wake: Arc<Notify>,
}

impl Events {
    /// Events over `store`, delivered under `config`.
    pub fn new(store: Store, config: DeliveryConfig) -> Self {
        Self { store, config: Arc::new(config), wake: Arc::default() }
    }

    /// How deliveries are sent.
    pub fn config(&self) -> &DeliveryConfig {
        &self.config
    }

    /// Queues `event` for the tenant's webhook, if it has one that
    /// subscribes to this kind. Waits only for one write to the store,
    /// never for the receiver; a failure is logged, not returned, since an
    /// event is never a reason to fail the request that caused it.
    pub async fn emit(&self, tenant_id: &str, event: Event) {
        if let Err(error) = self.queue(tenant_id, &event).await {
            tracing::warn!(tenant = %tenant_id, token = %event.token_id, event = event.kind.as_str(), %error, "queueing a webhook event failed");
        }
    }

    async fn queue(&self, tenant_id: &str, event: &Event) -> Result<(), StoreError> {
        let Some(subscription) = self.store.subscription(tenant_id).await? else {
            return Ok(());
        };
        if !subscription.events.iter().any(|e| e == event.kind.as_str()) {
            return Ok(());
        }
        let id = new_id();
        let payload = event.payload(&id, &subscription.tenant_name).to_string();
        let delivery = NewDelivery {
            id,
            webhook_id: subscription.webhook_id,
            tenant_id: tenant_id.to_owned(),
            event: event.kind.as_str().to_owned(),
            payload,
        };
        self.store.queue_delivery(&delivery).await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Starts the delivery worker on the current tokio runtime (once per
    /// server process; several processes on one database share the work).
    pub fn spawn_worker(&self) -> Result<tokio::task::JoinHandle<()>, EventsError> {
        let worker = worker::Worker::new(self.store.clone(), self.config.clone(), self.wake.clone())?;
        Ok(tokio::spawn(worker.run()))
    }

    /// Creates or replaces the tenant's webhook. Returns it with its
    /// signing secret when that is new (created, given or rotated): the
    /// only time the secret is shown.
    pub async fn set_webhook(
        &self,
        tenant_id: &str,
        request: WebhookRequest,
    ) -> Result<(Webhook, Option<String>), EventsError> {
        let url = check_url(&request.url, self.config.allow_private_network).map_err(|refused| match refused {
            Refused::Invalid(message) => EventsError::Invalid(message),
            Refused::NotPublic(message) => EventsError::NotAllowed(message),
        })?;
        let events = subscribed(&request.events)?;
        let given = request.secret.is_some();
        let secret = match request.secret {
            Some(secret) => checked_secret(secret)?,
            None => new_secret(),
        };
        let (webhook, secret_set) =
            self.store.put_webhook(tenant_id, url.as_str(), &events, &secret, given || request.rotate_secret).await?;
        Ok((webhook, secret_set.then_some(secret)))
    }

    /// The tenant's webhook, without its secret.
    pub async fn webhook(&self, tenant_id: &str) -> Result<Webhook, EventsError> {
        self.store.webhook(tenant_id).await?.ok_or_else(no_webhook)
    }

    /// Removes the tenant's webhook and its delivery log.
    pub async fn remove_webhook(&self, tenant_id: &str) -> Result<(), EventsError> {
        if self.store.delete_webhook(tenant_id).await? { Ok(()) } else { Err(no_webhook()) }
    }

    /// The tenant's latest deliveries (at most `limit`, capped at
    /// [`MAX_LISTED_DELIVERIES`]), newest first, with every attempt.
    pub async fn deliveries(&self, tenant_id: &str, limit: usize) -> Result<Vec<DeliveryRecord>, EventsError> {
        Ok(self.store.deliveries(tenant_id, limit.clamp(1, MAX_LISTED_DELIVERIES)).await?)
    }

    /// The health of the tenant's webhook endpoint (its circuit breaker),
    /// if it has a webhook.
    pub async fn endpoint_health(&self, tenant_id: &str) -> Result<Option<EndpointHealth>, EventsError> {
        Ok(self.store.endpoint_health(tenant_id).await?)
    }

    /// The delivery log as the API and the CLI show it: the tenant's latest
    /// deliveries and its endpoint's circuit breaker.
    pub async fn delivery_log(&self, tenant_id: &str, limit: usize) -> Result<serde_json::Value, EventsError> {
        let deliveries = self.deliveries(tenant_id, limit).await?;
        let health = self.endpoint_health(tenant_id).await?;
        Ok(delivery_log_json(&deliveries, health.as_ref(), crate::store::now_ms()))
    }
}

fn no_webhook() -> EventsError {
    EventsError::NotFound("this tenant has no webhook: set one with PUT .../webhook or `flowauth webhook set`".into())
}

/// The event types to subscribe to, validated; all of them when none are named.
fn subscribed(events: &[String]) -> Result<Vec<String>, EventsError> {
    if events.is_empty() {
        return Ok(EventKind::ALL.iter().map(|k| k.as_str().to_owned()).collect());
    }
    let mut kinds = Vec::new();
    for event in events {
        let kind = EventKind::parse(event).map_err(EventsError::Invalid)?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds.iter().map(|k| k.as_str().to_owned()).collect())
}

/// A new signing secret: `whsec_` and 256 random bits, base64url.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn checked_secret(secret: String) -> Result<String, EventsError> {
    let chars = secret.chars().count();
    if !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&chars) || !secret.chars().all(|c| c.is_ascii_graphic()) {
        return Err(EventsError::Invalid(format!(
            "a webhook secret is {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} printable ASCII characters without spaces; \
             leave it out and flowauth generates one"
        )));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let config = DeliveryConfig {
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(60),
            ..DeliveryConfig::default()
        };
        let delays: Vec<_> = (1..=5).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 60, 60]);
        assert_eq!(config.backoff(200).as_secs(), 60, "no overflow");
    }

    #[test]
    fn an_endpoint_that_keeps_timing_out_gets_the_shorter_deadline() {
        let config = DeliveryConfig::default();
        assert_eq!(config.request_timeout(1), (Duration::from_secs(10), false));
        assert_eq!(config.request_timeout(2), (Duration::from_secs(2), true));
        let longer = DeliveryConfig { short_request_timeout: Duration::from_secs(30), ..config };
        assert_eq!(longer.request_timeout(9), (Duration::from_secs(10), false), "never longer than the normal one");
    }

    #[test]
    fn secrets_are_256_random_bits_and_given_ones_are_checked() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.strip_prefix("whsec_").unwrap()).unwrap().len(), 32);
        assert!(checked_secret("short".into()).is_err());
        assert!(checked_secret("x".repeat(40)).is_ok());
        assert!(checked_secret(format!("{} x", "y".repeat(40))).is_err());
    }

    #[test]
    fn no_events_named_means_all() {
        assert_eq!(subscribed(&[]).unwrap().len(), EventKind::ALL.len());
        let one = subscribed(&["token.needs_reauth".into(), "token.needs_reauth".into()]).unwrap();
        assert_eq!(one, ["token.needs_reauth"]);
        assert!(subscribed(&["token.expired".into()]).is_err());
    }
}
