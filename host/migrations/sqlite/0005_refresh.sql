-- Refresh that fits the token and remembers a provider's hiccup:
-- issued_at gives the lifetime the provider granted (the refresh margin is
-- half of it, at most 60 s); a transient refresh failure is recorded for
-- the generation it failed on, so callers share it until retry_at instead
-- of calling the provider again.
ALTER TABLE tokens ADD COLUMN issued_at BIGINT;
ALTER TABLE tokens ADD COLUMN refresh_failed_generation BIGINT;
ALTER TABLE tokens ADD COLUMN refresh_retry_at BIGINT;
ALTER TABLE tokens ADD COLUMN refresh_error_code TEXT;
ALTER TABLE tokens ADD COLUMN refresh_error_message TEXT;

-- The sweeper deletes expired authorizations and leases.
CREATE INDEX pending_authorizations_by_expiry ON pending_authorizations(expires_at);
CREATE INDEX refresh_leases_by_expiry ON refresh_leases(expires_at);
