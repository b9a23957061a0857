//! Webhooks and deliveries as the API and the CLI print them: one
//! serializer, so the two never differ.

use serde_json::{Value, json};

use crate::store::{CircuitState, DeliveryRecord, EndpointHealth, Webhook};

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

/// The delivery log: the deliveries and the endpoint's circuit breaker.
pub fn delivery_log_json(deliveries: &[DeliveryRecord], health: Option<&EndpointHealth>, now_ms: i64) -> Value {
    let list: Vec<Value> = deliveries.iter().map(delivery_json).collect();
    json!({"deliveries": list, "circuit": health.map(|h| circuit_json(h, now_ms))})
}

/// Where the endpoint's circuit breaker is, and what that means for the
/// deliveries waiting.
pub fn circuit_json(health: &EndpointHealth, now_ms: i64) -> Value {
    let state = health.circuit(now_ms);
    let open_until = health.circuit_open_until_ms.map(|ms| (ms + 999) / 1000);
    let failures = health.consecutive_failures;
    let message = match state {
        CircuitState::Closed => None,
        CircuitState::Open => Some(format!(
            "the receiver failed {failures} times in a row: deliveries wait until open_until, then one is sent as a \
             probe; fix the receiver and they are all sent once it succeeds"
        )),
        CircuitState::HalfOpen => Some(
            "one delivery is being sent as a probe; the others wait until it succeeds (a failure opens the circuit \
             again)"
                .to_owned(),
        ),
    };
    json!({
        "state": state.as_str(),
        "open_until": open_until,
        "consecutive_failures": failures,
        "consecutive_timeouts": health.consecutive_timeouts,
        "message": message,
    })
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
