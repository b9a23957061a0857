-- The PostgreSQL schema: the same tables as the SQLite migrations leave,
-- in one step. Times are Unix seconds (milliseconds where the column says
-- `_ms`); sealed values are AES-256-GCM ciphertexts (see store/sealing).

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    api_key_hash  TEXT
);
CREATE UNIQUE INDEX tenants_by_folded_name ON tenants(lower(name));

CREATE TABLE admin_keys (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE providers (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    connector        TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    setting_keys     TEXT NOT NULL,
    settings_sealed  BYTEA NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (tenant_id, connector, display_name)
);

CREATE TABLE tokens (
    id                         TEXT PRIMARY KEY,
    tenant_id                  TEXT NOT NULL REFERENCES tenants(id),
    provider_id                TEXT NOT NULL REFERENCES providers(id),
    name                       TEXT NOT NULL,
    flow                       TEXT NOT NULL,
    status                     TEXT NOT NULL,
    error_code                 TEXT,
    error_message              TEXT,
    scopes                     TEXT NOT NULL,
    inputs                     TEXT NOT NULL,
    token_type                 TEXT,
    expires_at                 BIGINT,
    extra                      TEXT NOT NULL,
    access_token_sealed        BYTEA,
    refresh_token_sealed       BYTEA,
    id_token_sealed            BYTEA,
    client_sealed              BYTEA,
    generation                 BIGINT NOT NULL,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL,
    issued_at                  BIGINT,
    refresh_failed_generation  BIGINT,
    refresh_retry_at           BIGINT,
    refresh_error_code         TEXT,
    refresh_error_message      TEXT,
    extra_sealed               BYTEA
);
CREATE INDEX tokens_by_provider ON tokens(provider_id);
CREATE UNIQUE INDEX tokens_by_name ON tokens(tenant_id, name);

-- Every instance forgets its cached access token of a token that changed,
-- whichever instance (or command) changed it.
CREATE FUNCTION flowauth_token_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('flowauth_token_changed', OLD.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION flowauth_token_changed();

CREATE TABLE pending_authorizations (
    state_hash       TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    token_id         TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    redirect_uri     TEXT NOT NULL,
    verifier_sealed  BYTEA,
    pending_sealed   BYTEA,
    expires_at       BIGINT NOT NULL,
    used             BIGINT NOT NULL
);
CREATE INDEX pending_authorizations_by_expiry ON pending_authorizations(expires_at);

CREATE TABLE seal_keys (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);


CREATE TABLE custom_connectors (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE components (
    name          TEXT PRIMARY KEY,
    digest        TEXT NOT NULL,
    installed_at  BIGINT NOT NULL
);

CREATE TABLE component_versions (
    digest        TEXT PRIMARY KEY,
    name          TEXT NOT NULL REFERENCES components(name) ON DELETE CASCADE,
    wasm          BYTEA NOT NULL,
    hosts         TEXT,
    installed_at  BIGINT NOT NULL
);
CREATE INDEX component_versions_by_name ON component_versions(name);

CREATE TABLE tenant_components (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL REFERENCES components(name) ON DELETE CASCADE,
    digest     TEXT,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL UNIQUE REFERENCES tenants(id),
    url            TEXT NOT NULL,
    events         TEXT NOT NULL,
    secret_sealed  BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                  TEXT PRIMARY KEY,
    webhook_id          TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    tenant_id           TEXT NOT NULL,
    event               TEXT NOT NULL,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL,
    attempts            BIGINT NOT NULL,
    next_attempt_at_ms  BIGINT,
    last_status_code    BIGINT,
    last_error          TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    delivered_at        BIGINT,
    created_at_ms       BIGINT NOT NULL DEFAULT 0
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

CREATE TABLE server_settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
