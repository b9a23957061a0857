//! Webhooks: one endpoint per tenant with its sealed signing secret, and
//! the delivery log, which is also the queue the delivery worker drains.
//! An attempt's claim is its `next_attempt_at_ms` pushed into the future,
//! so a worker that dies mid-send leaves the delivery to be sent again.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, StoreError, from_json, json, new_id, now};

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
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("id", &self.id)
            .field("event", &self.event)
            .field("attempts", &self.attempts)
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
            other => {
                Err(sqlx::Error::Decode(format!("webhook_deliveries.status {other:?} is not a known status").into())
                    .into())
            }
        }
    }
}

/// One attempt to send a delivery, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        let sealed = self.seal(tenant_id, "webhooks", tenant_id, "secret", secret.as_bytes());
        let at = now();
        let mut tx = self.begin_write().await?;
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM webhooks WHERE tenant_id = ?")
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
        let secret_set = existing.is_none() || replace_secret;
        match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE webhooks SET url = ?, events = ?, secret_sealed = CASE WHEN ? THEN ? ELSE secret_sealed END, \
                     updated_at = ? WHERE id = ?",
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
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        tx.commit().await?;
        let webhook = self.webhook(tenant_id).await?.ok_or_else(|| StoreError::NotFound("webhook".into()))?;
        Ok((webhook, secret_set))
    }

    /// A tenant's webhook.
    pub async fn webhook(&self, tenant_id: &str) -> Result<Option<Webhook>, StoreError> {
        let row =
            sqlx::query("SELECT id, tenant_id, url, events, created_at, updated_at FROM webhooks WHERE tenant_id = ?")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| Webhook {
            id: r.get("id"),
            tenant_id: r.get("tenant_id"),
            url: r.get("url"),
            events: from_json(&r.get::<String, _>("events")),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
        }))
    }

    /// Removes a tenant's webhook with its delivery log. Returns whether there was one.
    pub async fn delete_webhook(&self, tenant_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhooks WHERE tenant_id = ?").bind(tenant_id).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// What emitting an event to this tenant needs, if it has a webhook.
    pub async fn subscription(&self, tenant_id: &str) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query(
            "SELECT w.id, w.events, t.name FROM webhooks w JOIN tenants t ON t.id = w.tenant_id WHERE w.tenant_id = ?",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Subscription {
            webhook_id: r.get("id"),
            tenant_name: r.get("name"),
            events: from_json(&r.get::<String, _>("events")),
        }))
    }

    /// Queues a delivery, due at once.
    pub async fn queue_delivery(&self, delivery: &NewDelivery) -> Result<(), StoreError> {
        let at = now();
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event, payload, status, attempts, \
             next_attempt_at_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
        )
        .bind(&delivery.id)
        .bind(&delivery.webhook_id)
        .bind(&delivery.tenant_id)
        .bind(&delivery.event)
        .bind(&delivery.payload)
        .bind(now_ms())
        .bind(at)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims up to `limit` deliveries due by `now_ms`: no other worker
    /// takes them for `hold_ms` (past that, a worker that died is assumed
    /// gone and they are sent again).
    pub async fn claim_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
        hold_ms: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT d.id, d.tenant_id, d.event, d.payload, d.attempts, w.url, w.secret_sealed \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_attempt_at_ms <= ? ORDER BY d.next_attempt_at_ms LIMIT ?",
        )
        .bind(now_ms)
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let delivery = self.due_row(&row)?;
            sqlx::query("UPDATE webhook_deliveries SET next_attempt_at_ms = ? WHERE id = ?")
                .bind(now_ms + hold_ms)
                .bind(&delivery.id)
                .execute(&mut *tx)
                .await?;
            due.push(delivery);
        }
        tx.commit().await?;
        Ok(due)
    }

    fn due_row(&self, row: &SqliteRow) -> Result<DueDelivery, StoreError> {
        let tenant_id: String = row.get("tenant_id");
        let secret =
            self.open_text(&tenant_id, "webhooks", &tenant_id, "secret", &row.get::<Vec<u8>, _>("secret_sealed"))?;
        Ok(DueDelivery {
            id: row.get("id"),
            event: row.get("event"),
            payload: row.get("payload"),
            attempts: row.get("attempts"),
            url: row.get("url"),
            secret,
            tenant_id,
        })
    }

    /// When the next pending delivery is due (Unix ms), if any is.
    pub async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MIN(next_attempt_at_ms) FROM webhook_deliveries WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Logs an attempt and moves the delivery on.
    pub async fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: &Attempt,
        after: AfterAttempt,
    ) -> Result<(), StoreError> {
        let (status, next, delivered_at) = match after {
            AfterAttempt::Delivered => (DeliveryStatus::Delivered, None, Some(attempt.at)),
            AfterAttempt::RetryAt(at_ms) => (DeliveryStatus::Pending, Some(at_ms), None),
            AfterAttempt::GiveUp => (DeliveryStatus::Failed, None, None),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?) \
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
            "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at_ms = ?, last_status_code = ?, \
             last_error = ?, delivered_at = ?, updated_at = ? WHERE id = ?",
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
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's deliveries, newest first, with their attempts.
    pub async fn deliveries(&self, tenant_id: &str, limit: usize) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM webhook_deliveries WHERE tenant_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .bind(tenant_id)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.get("id");
            let attempts = sqlx::query("SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt")
                .bind(&id)
                .fetch_all(&self.pool)
                .await?;
            let attempt_log = attempts
                .iter()
                .map(|a| Attempt {
                    attempt: a.get("attempt"),
                    at: a.get("at"),
                    status_code: a.get("status_code"),
                    error: a.get("error"),
                    duration_ms: a.get("duration_ms"),
                })
                .collect();
            deliveries.push(DeliveryRecord {
                event: row.get("event"),
                payload: row.get("payload"),
                status: DeliveryStatus::parse(&row.get::<String, _>("status"))?,
                attempts: row.get("attempts"),
                next_attempt_at_ms: row.get("next_attempt_at_ms"),
                last_status_code: row.get("last_status_code"),
                last_error: row.get("last_error"),
                created_at: row.get("created_at"),
                updated_at: row.get("updated_at"),
                delivered_at: row.get("delivered_at"),
                attempt_log,
                id,
            });
        }
        Ok(deliveries)
    }

    /// Deletes finished deliveries (delivered or failed) last changed
    /// before `before` (Unix seconds). Returns how many.
    pub async fn prune_deliveries(&self, before: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
