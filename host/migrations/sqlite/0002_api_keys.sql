-- API keys, stored as sha256 (they are 256-bit random values, so a fast
-- hash suffices). One admin key; one key per tenant.
ALTER TABLE tenants ADD COLUMN api_key_hash TEXT;
CREATE TABLE admin_keys (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
