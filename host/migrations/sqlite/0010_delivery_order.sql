-- Deliveries are listed newest first by creation in milliseconds (the
-- order no longer relies on SQLite's rowid, which PostgreSQL lacks).
ALTER TABLE webhook_deliveries ADD COLUMN created_at_ms BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_deliveries SET created_at_ms = created_at * 1000;
