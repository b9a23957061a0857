-- Connect sessions: a short-lived, single-use link an app hands its user
-- to connect one token without an API key. Only the sha256 of the link's
-- secret is stored (it is a 256-bit random value, so a fast hash suffices).
CREATE TABLE connect_sessions (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    connector    TEXT NOT NULL,
    provider     TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,   -- JSON list
    return_to    TEXT NOT NULL,
    status       TEXT NOT NULL,   -- open, started (its token waits for the callback), finished
    token_id     TEXT,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX connect_sessions_by_token ON connect_sessions(token_id);

-- Where a tenant's connect sessions may send the user back to.
CREATE TABLE connect_settings (
    tenant_id               TEXT PRIMARY KEY REFERENCES tenants(id),
    allowed_return_origins  TEXT NOT NULL,   -- JSON list of origins
    updated_at              BIGINT NOT NULL
);
