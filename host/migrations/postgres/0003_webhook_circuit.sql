-- Per-endpoint health for fair delivery: consecutive failures and timeouts
-- (a shorter deadline after repeated timeouts) and the circuit breaker
-- (open until a time, then one probe at a time).
ALTER TABLE webhooks ADD COLUMN consecutive_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN consecutive_timeouts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN circuit_open_until_ms BIGINT;   -- NULL: closed; past: half-open
ALTER TABLE webhooks ADD COLUMN circuit_probe_until_ms BIGINT;  -- the claim of the probe in flight
