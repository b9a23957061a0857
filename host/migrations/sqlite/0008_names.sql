-- Tenant names are unique whatever their case; token names are unique
-- within a tenant (so a name can stand for the token's id). Tokens that
-- shared a name keep the oldest's; the others get their id's start appended.
CREATE UNIQUE INDEX tenants_by_folded_name ON tenants(lower(name));
UPDATE tokens SET name = name || '-' || substr(id, 1, 8)
 WHERE id NOT IN (SELECT MIN(id) FROM tokens GROUP BY tenant_id, name);
CREATE UNIQUE INDEX tokens_by_name ON tokens(tenant_id, name);

-- What `flowauth serve` tells the other commands of the same store, such
-- as the public URL auth links must carry.
CREATE TABLE server_settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
