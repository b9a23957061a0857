-- Signed webhooks: one endpoint per tenant, and a delivery log that is
-- also the queue. An event is written here by whichever process emits it
-- (a server or a CLI) and sent by a server's delivery worker.

CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL UNIQUE REFERENCES tenants(id),
    url            TEXT NOT NULL,
    events         TEXT NOT NULL,   -- JSON list of subscribed event types
    secret_sealed  BLOB NOT NULL,   -- the HMAC-SHA256 signing secret
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                  TEXT PRIMARY KEY,   -- also the payload's id: receivers dedupe on it
    webhook_id          TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    tenant_id           TEXT NOT NULL,
    event               TEXT NOT NULL,
    payload             TEXT NOT NULL,      -- the JSON body; never holds a token or secret
    status              TEXT NOT NULL,      -- pending, delivered, failed
    attempts            BIGINT NOT NULL,
    next_attempt_at_ms  BIGINT,             -- Unix ms; also the claim of a worker sending it
    last_status_code    BIGINT,
    last_error          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    delivered_at        BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at_ms);
CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries(tenant_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt       BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    status_code   BIGINT,
    error         TEXT,
    duration_ms   BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
