-- Provider keys for private_key_jwt (RFC 7523): the active key signs client
-- assertions (its PKCS#8 PEM sealed in private_key_sealed); after a
-- rotation the previous key stays published in the provider's JWKS, its
-- private half dropped, until the admin removes it. kid is the RFC 7638
-- thumbprint of public_jwk.
CREATE TABLE provider_keys (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    provider_id         TEXT NOT NULL REFERENCES providers(id),
    state               TEXT NOT NULL,      -- active or previous
    algorithm           TEXT NOT NULL,      -- RS256 or ES256
    kid                 TEXT NOT NULL,
    public_jwk          TEXT NOT NULL,      -- JSON
    private_key_sealed  BLOB,               -- NULL once previous
    created_at          BIGINT NOT NULL
);
CREATE INDEX provider_keys_provider ON provider_keys (provider_id, state);
