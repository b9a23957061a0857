-- Connect sessions and their settings (see the SQLite migration 0011), and
-- an announcement when a tenant's API key changes or the tenant goes, so
-- that every instance forgets the old key at once.

CREATE TABLE connect_sessions (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    connector    TEXT NOT NULL,
    provider     TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    return_to    TEXT NOT NULL,
    status       TEXT NOT NULL,
    token_id     TEXT,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX connect_sessions_by_token ON connect_sessions(token_id);

CREATE TABLE connect_settings (
    tenant_id               TEXT PRIMARY KEY REFERENCES tenants(id),
    allowed_return_origins  TEXT NOT NULL,
    updated_at              BIGINT NOT NULL
);

CREATE FUNCTION flowauth_key_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('flowauth_key_changed', OLD.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tenant_keys_changed AFTER UPDATE OF api_key_hash OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION flowauth_key_changed();
