-- A component is its digest. Every installed version keeps its bytes and
-- the outbound hosts the operator approved for it; a name points to one
-- digest at a time (components.digest); a tenant runs exactly the digest
-- it enabled (tenant_components.digest), so an upgrade changes nothing for
-- a tenant until an admin enables the new digest for it.
CREATE TABLE component_versions (
    digest        TEXT PRIMARY KEY,
    name          TEXT NOT NULL REFERENCES components(name) ON DELETE CASCADE,
    wasm          BLOB NOT NULL,
    hosts         TEXT,             -- JSON list of approved host[:port] patterns; NULL: as declared (installed before 0006)
    installed_at  BIGINT NOT NULL
);
CREATE INDEX component_versions_by_name ON component_versions(name);

INSERT INTO component_versions (digest, name, wasm, hosts, installed_at)
    SELECT digest, name, wasm, NULL, installed_at FROM components;
ALTER TABLE components DROP COLUMN wasm;

-- Enablement pins a digest; rows from before 0006 pin the digest their
-- name pointed to.
ALTER TABLE tenant_components ADD COLUMN digest TEXT;
UPDATE tenant_components
    SET digest = (SELECT c.digest FROM components c WHERE c.name = tenant_components.name);
