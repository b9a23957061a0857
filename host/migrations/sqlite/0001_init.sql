-- flowauth's store. Portable SQL: PostgreSQL runs it unchanged, except
-- that BLOB becomes BYTEA. Every *_sealed column holds AES-256-GCM
-- ciphertext bound to its tenant, table, row and column.

CREATE TABLE tenants (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE providers (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    connector        TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    setting_keys     TEXT NOT NULL,      -- JSON list of the keys set, for listings
    settings_sealed  BLOB NOT NULL,      -- JSON object of every setting
    updated_at       BIGINT NOT NULL,
    UNIQUE (tenant_id, connector, display_name)
);

CREATE TABLE tokens (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants(id),
    provider_id           TEXT NOT NULL REFERENCES providers(id),
    name                  TEXT NOT NULL,
    flow                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    error_code            TEXT,
    error_message         TEXT,
    scopes                TEXT NOT NULL,  -- JSON list
    inputs                TEXT NOT NULL,  -- JSON list of [key, value]: resource and additional values
    token_type            TEXT,
    expires_at            BIGINT,
    extra                 TEXT NOT NULL,  -- JSON list of [key, value] from the token response
    access_token_sealed   BLOB,
    refresh_token_sealed  BLOB,
    id_token_sealed       BLOB,
    client_sealed         BLOB,           -- consumer key and secret when not the provider's
    generation            BIGINT NOT NULL, -- bumped on every new token set
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX tokens_by_provider ON tokens(provider_id);

CREATE TABLE pending_authorizations (
    state_hash        TEXT PRIMARY KEY,   -- sha256 of the state; the state itself is never stored
    tenant_id         TEXT NOT NULL,
    token_id          TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    redirect_uri      TEXT NOT NULL,
    verifier_sealed   BLOB,
    pending_sealed    BLOB,
    expires_at        BIGINT NOT NULL,
    used              BIGINT NOT NULL
);

-- One refresh at a time per token across processes.
CREATE TABLE refresh_leases (
    token_id    TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- Key ids that sealed data in this database; retired once resealed.
CREATE TABLE seal_keys (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
