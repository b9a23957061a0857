-- Connectors an admin added as ThingWorx config.json files (served by the
-- generic component). Definitions hold no secrets: those live in providers.
CREATE TABLE custom_connectors (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
