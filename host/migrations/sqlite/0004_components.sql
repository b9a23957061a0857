-- Third-party components (their bytes, verified at install) and the
-- tenants that may use each.
CREATE TABLE components (
    name          TEXT PRIMARY KEY,
    digest        TEXT NOT NULL,
    wasm          BLOB NOT NULL,
    installed_at  BIGINT NOT NULL
);

CREATE TABLE tenant_components (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL REFERENCES components(name) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, name)
);
