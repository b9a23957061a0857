//! Webhooks and deliveries as the API and the CLI print them: one
//! serializer, so the two never differ.

use serde_json::{Value, json};

use crate::store::{DeliveryRecord, Webhook};

/// A webhook; `secret` only when it was just created or rotated.
pub fn webhook_json(webhook: &Webhook, secret: Option<&str>) -> Value {
    let mut view = json!({
        "url": webhook.url,
        "events": webhook.events,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
    });
    if let Some(secret) = secret {
        view["secret"] = json!(secret);
    }
    view
}

/// A delivery with every attempt.
pub fn delivery_json(delivery: &DeliveryRecord) -> Value {
    let attempts: Vec<Value> = delivery
        .attempt_log
        .iter()
        .map(|a| {
            json!({"attempt": a.attempt, "at": a.at, "status_code": a.status_code, "error": a.error,
                   "duration_ms": a.duration_ms})
        })
        .collect();
    json!({
        "id": delivery.id,
        "event": delivery.event,
        "status": delivery.status.as_str(),
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at_ms.map(|ms| (ms + 999) / 1000),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "payload": serde_json::from_str::<Value>(&delivery.payload).unwrap_or(Value::Null),
        "attempt_log": attempts,
    })
}
