//! Webhooks: one endpoint per tenant with its sealed signing secret, and
//! the delivery log, which is also the queue the delivery worker drains.
//! An attempt's claim is its `next_attempt_at_ms` pushed into the future,
//! so a worker that dies mid-send leaves the delivery to be sent again.
//! Claims are fair: a tenant holds at most its share of a worker's slots,
//! and each endpoint's health (failures and timeouts in a row, its circuit
//! breaker) is kept with the webhook, so every instance sees it.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::sealing::columns::WEBHOOK_SECRET;
use super::{Store, StoreError, from_json, json, new_id, now};

/// A due delivery's row, its webhook's secret still sealed.
#[derive(sqlx::FromRow)]
struct DueRow {
    id: String,
    tenant_id: String,
    event: String,
    payload: String,
    attempts: i64,
    next_attempt_at_ms: i64,
    url: String,
    secret_sealed: Vec<u8>,
    webhook_id: String,
    consecutive_timeouts: i64,
    circuit_open_until_ms: Option<i64>,
    circuit_probe_until_ms: Option<i64>,
}

/// A delivery's row in the log.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    event: String,
    payload: String,
    status: String,
    attempts: i64,
    next_attempt_at_ms: Option<i64>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
    delivered_at: Option<i64>,
}

/// A tenant's webhook, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The row's id (stable across updates).
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// Where events are posted.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// What emitting an event needs to know of a tenant's webhook.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The webhook's id.
    pub webhook_id: String,
    /// The tenant's name, for the payload.
    pub tenant_name: String,
    /// The event types it receives.
    pub events: Vec<String>,
}

/// A delivery about to be queued.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Also the payload's `id`.
    pub id: String,
    /// The webhook it goes to.
    pub webhook_id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// The event type, e.g. `token.needs_reauth`.
    pub event: String,
    /// The JSON body to send.
    pub payload: String,
}

/// A delivery claimed for sending, with its webhook's URL and secret.
pub struct DueDelivery {
    /// The delivery's id.
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// The event type.
    pub event: String,
    /// The JSON body to send.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// Where to post it.
    pub url: String,
    /// The signing secret, opened.
    pub secret: String,
    /// Attempts in a row to this endpoint that ran out of time.
    pub endpoint_timeouts: i64,
    /// The one attempt a half-open circuit lets through.
    pub probe: bool,
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("id", &self.id)
            .field("event", &self.event)
            .field("attempts", &self.attempts)
            .field("probe", &self.probe)
            .field("secret", &"..")
            .finish_non_exhaustive()
    }
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; no more are made.
    Failed,
}

impl DeliveryStatus {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(StoreError::Corrupt(format!("webhook_deliveries.status {other:?} is not a known status"))),
        }
    }
}

/// One attempt to send a delivery, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    /// 1 for the first.
    pub attempt: i64,
    /// Unix seconds it was made.
    pub at: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    /// It succeeded.
    Delivered,
    /// Try again at this Unix millisecond.
    RetryAt(i64),
    /// No more attempts.
    GiveUp,
}

/// What an attempt tells about its endpoint, for the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointReport {
    /// The attempt ran out of time.
    pub timed_out: bool,
    /// Failures in a row that open the circuit.
    pub open_after: u32,
    /// Until when (Unix ms) a circuit this failure opens, or keeps open, stays open.
    pub open_until_ms: i64,
}

/// A worker's delivery slots: how many it has, how many one tenant may
/// hold, and which tenants hold them, so that one tenant's slow receiver
/// cannot take them all.
#[derive(Debug, Clone)]
pub struct Slots {
    total: usize,
    per_tenant: usize,
    held: HashMap<String, usize>,
}

impl Slots {
    /// `total` slots, at most `per_tenant` (at least 1) held by one tenant.
    pub fn new(total: usize, per_tenant: usize) -> Self {
        Self { total, per_tenant: per_tenant.clamp(1, total.max(1)), held: HashMap::new() }
    }

    /// Slots no one holds.
    pub fn free(&self) -> usize {
        self.total.saturating_sub(self.held.values().sum())
    }

    /// Whether `tenant` may take one more slot.
    fn open_to(&self, tenant: &str) -> bool {
        self.free() > 0 && self.held.get(tenant).copied().unwrap_or_default() < self.per_tenant
    }

    fn take(&mut self, tenant: &str) {
        *self.held.entry(tenant.to_owned()).or_default() += 1;
    }

    /// Gives back a slot `tenant` held (its attempt is over).
    pub fn give_back(&mut self, tenant: &str) {
        if let Some(held) = self.held.get_mut(tenant) {
            *held -= 1;
            if *held == 0 {
                self.held.remove(tenant);
            }
        }
    }
}

/// Where an endpoint's circuit breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Deliveries are sent.
    Closed,
    /// Deliveries wait (they hold no slot) until `open_until_ms`.
    Open,
    /// The pause is over: one delivery is sent as a probe; the others wait for its outcome.
    HalfOpen,
}

impl CircuitState {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// A webhook endpoint's health as the delivery log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct EndpointHealth {
    /// Failed attempts in a row.
    pub consecutive_failures: i64,
    /// Attempts in a row that ran out of time.
    pub consecutive_timeouts: i64,
    /// Unix ms until which the circuit is open; `None` while closed.
    pub circuit_open_until_ms: Option<i64>,
}

impl EndpointHealth {
    /// The circuit's state at `now_ms`.
    pub fn circuit(&self, now_ms: i64) -> CircuitState {
        match self.circuit_open_until_ms {
            None => CircuitState::Closed,
            Some(until) if until > now_ms => CircuitState::Open,
            Some(_) => CircuitState::HalfOpen,
        }
    }
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Also the payload's `id`.
    pub id: String,
    /// The event type.
    pub event: String,
    /// The JSON body.
    pub payload: String,
    /// Where it is.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// Unix ms of the next attempt, while pending.
    pub next_attempt_at_ms: Option<i64>,
    /// The last HTTP status received.
    pub last_status_code: Option<i64>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Unix seconds, once delivered.
    pub delivered_at: Option<i64>,
    /// Every attempt, first first.
    pub attempt_log: Vec<Attempt>,
}

/// Whether a conditional update changed its row.
fn claimed(done: sqlx::any::AnyQueryResult) -> bool {
    done.rows_affected() == 1
}

/// Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

impl Store {
    /// Creates or updates a tenant's webhook. The secret is sealed from
    /// `secret` when the webhook is new or `replace_secret`; otherwise the
    /// stored one is kept. Returns the webhook and whether `secret` is now
    /// its secret.
    pub async fn put_webhook(
        &self,
        tenant_id: &str,
        url: &str,
        events: &[String],
        secret: &str,
        replace_secret: bool,
    ) -> Result<(Webhook, bool), StoreError> {
        let mut tx = self.begin_write().await?;
        let secret_set = self.write_webhook(&mut tx, tenant_id, url, events, secret, replace_secret).await?;
        tx.commit().await?;
        let webhook = self.webhook(tenant_id).await?.ok_or_else(|| StoreError::NotFound("webhook".into()))?;
        Ok((webhook, secret_set))
    }

    /// [`Store::put_webhook`] on the caller's transaction, without reading
    /// the webhook back. A new URL starts with a clean health record.
    pub(super) async fn write_webhook(
        &self,
        tx: &mut AnyConnection,
        tenant_id: &str,
        url: &str,
        events: &[String],
        secret: &str,
        replace_secret: bool,
    ) -> Result<bool, StoreError> {
        let sealed = self.sealer.seal(tenant_id, WEBHOOK_SECRET, tenant_id, secret.as_bytes());
        let at = now();
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM webhooks WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
        let secret_set = existing.is_none() || replace_secret;
        match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE webhooks SET url = $1, events = $2, secret_sealed = CASE WHEN $3 THEN $4 ELSE secret_sealed END, \
                     updated_at = $5, \
                     consecutive_failures = CASE WHEN url = $1 THEN consecutive_failures ELSE 0 END, \
                     consecutive_timeouts = CASE WHEN url = $1 THEN consecutive_timeouts ELSE 0 END, \
                     circuit_open_until_ms = CASE WHEN url = $1 THEN circuit_open_until_ms ELSE NULL END \
                     WHERE id = $6",
                )
                .bind(url)
                .bind(json(&events))
                .bind(replace_secret)
                .bind(&sealed)
                .bind(at)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO webhooks (id, tenant_id, url, events, secret_sealed, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(new_id())
                .bind(tenant_id)
                .bind(url)
                .bind(json(&events))
                .bind(&sealed)
                .bind(at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
        }
        Ok(secret_set)
    }

    /// A tenant's webhook.
    pub async fn webhook(&self, tenant_id: &str) -> Result<Option<Webhook>, StoreError> {
        let row: Option<(String, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, tenant_id, url, events, created_at, updated_at FROM webhooks WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, tenant_id, url, events, created_at, updated_at)| {
            let events = from_json(&format!("webhooks.events of {id}"), &events)?;
            Ok(Webhook { id, tenant_id, url, events, created_at, updated_at })
        })
        .transpose()
    }

    /// Removes a tenant's webhook with its delivery log. Returns whether there was one.
    pub async fn delete_webhook(&self, tenant_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhooks WHERE tenant_id = $1").bind(tenant_id).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// What emitting an event to this tenant needs, if it has a webhook.
    pub async fn subscription(&self, tenant_id: &str) -> Result<Option<Subscription>, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT w.id, w.events, t.name FROM webhooks w JOIN tenants t ON t.id = w.tenant_id WHERE w.tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(webhook_id, events, tenant_name)| {
            let events = from_json(&format!("webhooks.events of {webhook_id}"), &events)?;
            Ok(Subscription { webhook_id, tenant_name, events })
        })
        .transpose()
    }

    /// Queues a delivery, due at once.
    pub async fn queue_delivery(&self, delivery: &NewDelivery) -> Result<(), StoreError> {
        let at = now();
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event, payload, status, attempts, \
             next_attempt_at_ms, created_at, created_at_ms, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $6, $7)",
        )
        .bind(&delivery.id)
        .bind(&delivery.webhook_id)
        .bind(&delivery.tenant_id)
        .bind(&delivery.event)
        .bind(&delivery.payload)
        .bind(now_ms())
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims deliveries due by `now_ms` into the free `slots`, taking
    /// turns across tenants (each tenant's oldest first) and never giving
    /// a tenant more than its share. An endpoint whose circuit is open
    /// gets none; a half-open one gets one probe, claimed on the webhook so
    /// that only one instance sends it. No other worker takes a claimed
    /// delivery for `hold_ms` (past that, a worker that died is assumed
    /// gone and it is sent again).
    pub async fn claim_deliveries(
        &self,
        now_ms: i64,
        hold_ms: i64,
        slots: &mut Slots,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        if slots.free() == 0 {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        // Each tenant's first `per_tenant` in turn order; enough rows that
        // the tenants already holding slots cannot crowd the others out.
        let rows: Vec<DueRow> = sqlx::query_as(
            "SELECT id, tenant_id, event, payload, attempts, next_attempt_at_ms, url, secret_sealed, webhook_id, \
             consecutive_timeouts, circuit_open_until_ms, circuit_probe_until_ms FROM ( \
               SELECT d.id, d.tenant_id, d.event, d.payload, d.attempts, d.next_attempt_at_ms, w.url, w.secret_sealed, \
               w.id AS webhook_id, w.consecutive_timeouts, w.circuit_open_until_ms, w.circuit_probe_until_ms, \
               ROW_NUMBER() OVER (PARTITION BY d.tenant_id ORDER BY d.next_attempt_at_ms, d.id) AS turn \
               FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
               WHERE d.status = 'pending' AND d.next_attempt_at_ms <= $1 AND (w.circuit_open_until_ms IS NULL \
                 OR (w.circuit_open_until_ms <= $1 AND (w.circuit_probe_until_ms IS NULL OR w.circuit_probe_until_ms <= $1))) \
             ) due WHERE turn <= CASE WHEN circuit_open_until_ms IS NULL THEN $2 ELSE 1 END \
             ORDER BY turn, next_attempt_at_ms, id LIMIT $3",
        )
        .bind(now_ms)
        .bind(slots.per_tenant as i64)
        .bind(slots.total as i64)
        .fetch_all(&mut *tx)
        .await?;
        let mut due = Vec::new();
        for row in rows {
            if !slots.open_to(&row.tenant_id) {
                continue;
            }
            let probe = row.circuit_open_until_ms.is_some();
            // Conditional on the values read: of two instances claiming at
            // once, one claims and the other skips the delivery (or probe).
            if probe
                && !claimed(
                    sqlx::query(
                        "UPDATE webhooks SET circuit_probe_until_ms = $1 WHERE id = $2 AND circuit_open_until_ms = $3 \
                         AND (circuit_probe_until_ms IS NULL OR circuit_probe_until_ms = $4)",
                    )
                    .bind(now_ms + hold_ms)
                    .bind(&row.webhook_id)
                    .bind(row.circuit_open_until_ms)
                    .bind(row.circuit_probe_until_ms)
                    .execute(&mut *tx)
                    .await?,
                )
            {
                continue;
            }
            let delivery_claimed = claimed(
                sqlx::query(
                    "UPDATE webhook_deliveries SET next_attempt_at_ms = $1 WHERE id = $2 AND next_attempt_at_ms = $3",
                )
                .bind(now_ms + hold_ms)
                .bind(&row.id)
                .bind(row.next_attempt_at_ms)
                .execute(&mut *tx)
                .await?,
            );
            if delivery_claimed {
                let secret =
                    self.sealer.open_text(&row.tenant_id, WEBHOOK_SECRET, &row.tenant_id, &row.secret_sealed)?;
                slots.take(&row.tenant_id);
                let DueRow { id, tenant_id, event, payload, attempts, url, consecutive_timeouts, .. } = row;
                due.push(DueDelivery {
                    id,
                    tenant_id,
                    event,
                    payload,
                    attempts,
                    url,
                    secret,
                    endpoint_timeouts: consecutive_timeouts,
                    probe,
                });
            }
        }
        tx.commit().await?;
        Ok(due)
    }

    /// When the next pending delivery may be sent (Unix ms), if any is
    /// pending: its own time, or later when its endpoint's circuit is open.
    pub async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(CASE WHEN w.circuit_open_until_ms > d.next_attempt_at_ms THEN w.circuit_open_until_ms \
             ELSE d.next_attempt_at_ms END) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// A tenant's webhook endpoint health, if it has a webhook.
    pub async fn endpoint_health(&self, tenant_id: &str) -> Result<Option<EndpointHealth>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT consecutive_failures, consecutive_timeouts, circuit_open_until_ms FROM webhooks WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Logs an attempt, moves the delivery on, and updates its endpoint's
    /// health: a 2xx closes the circuit; a failure counts, and opens (or
    /// keeps open) the circuit once `endpoint.open_after` came in a row.
    /// Returns the endpoint's health now (`None` once the webhook is gone).
    pub async fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: &Attempt,
        after: AfterAttempt,
        endpoint: EndpointReport,
    ) -> Result<Option<EndpointHealth>, StoreError> {
        let (status, next, delivered_at) = match after {
            AfterAttempt::Delivered => (DeliveryStatus::Delivered, None, Some(attempt.at)),
            AfterAttempt::RetryAt(at_ms) => (DeliveryStatus::Pending, Some(at_ms), None),
            AfterAttempt::GiveUp => (DeliveryStatus::Failed, None, None),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (delivery_id, attempt) DO NOTHING",
        )
        .bind(delivery_id)
        .bind(attempt.attempt)
        .bind(attempt.at)
        .bind(attempt.status_code)
        .bind(&attempt.error)
        .bind(attempt.duration_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at_ms = $3, last_status_code = $4, \
             last_error = $5, delivered_at = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(status.as_str())
        .bind(attempt.attempt)
        .bind(next)
        .bind(attempt.status_code)
        .bind(&attempt.error)
        .bind(delivered_at)
        .bind(now())
        .bind(delivery_id)
        .execute(&mut *tx)
        .await?;
        let healthy = matches!(after, AfterAttempt::Delivered);
        let health = sqlx::query_as(
            "UPDATE webhooks SET \
             consecutive_failures = CASE WHEN $1 THEN 0 ELSE consecutive_failures + 1 END, \
             consecutive_timeouts = CASE WHEN $2 THEN consecutive_timeouts + 1 ELSE 0 END, \
             circuit_open_until_ms = CASE WHEN $1 THEN NULL WHEN consecutive_failures + 1 >= $3 THEN $4 \
               ELSE circuit_open_until_ms END, \
             circuit_probe_until_ms = CASE WHEN $1 OR consecutive_failures + 1 >= $3 THEN NULL ELSE circuit_probe_until_ms END \
             WHERE id = (SELECT webhook_id FROM webhook_deliveries WHERE id = $5) \
             RETURNING consecutive_failures, consecutive_timeouts, circuit_open_until_ms",
        )
        .bind(healthy)
        .bind(endpoint.timed_out)
        .bind(i64::from(endpoint.open_after))
        .bind(endpoint.open_until_ms)
        .bind(delivery_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(health)
    }

    /// A tenant's deliveries, newest first, with their attempts.
    pub async fn deliveries(&self, tenant_id: &str, limit: usize) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, event, payload, status, attempts, next_attempt_at_ms, last_status_code, last_error, created_at, \
             updated_at, delivered_at FROM webhook_deliveries WHERE tenant_id = $1 \
             ORDER BY created_at_ms DESC, id DESC LIMIT $2",
        )
        .bind(tenant_id)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in rows {
            let attempt_log = sqlx::query_as(
                "SELECT attempt, at, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 \
                 ORDER BY attempt",
            )
            .bind(&row.id)
            .fetch_all(&self.pool)
            .await?;
            deliveries.push(DeliveryRecord {
                status: DeliveryStatus::parse(&row.status)?,
                event: row.event,
                payload: row.payload,
                attempts: row.attempts,
                next_attempt_at_ms: row.next_attempt_at_ms,
                last_status_code: row.last_status_code,
                last_error: row.last_error,
                created_at: row.created_at,
                updated_at: row.updated_at,
                delivered_at: row.delivered_at,
                attempt_log,
                id: row.id,
            });
        }
        Ok(deliveries)
    }

    /// Deletes finished deliveries (delivered or failed) last changed
    /// before `before` (Unix seconds). Returns how many.
    pub async fn prune_deliveries(&self, before: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
