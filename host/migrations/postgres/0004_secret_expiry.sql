-- Client secret expiry: CLIENT_SECRET_EXPIRES_AT (unix seconds) in plain
-- sight of /metrics and the sweep, and the smallest warning threshold
-- (14 or 1 days left) already sent, so that no server sends it twice.
ALTER TABLE providers ADD COLUMN client_secret_expires_at BIGINT;
ALTER TABLE providers ADD COLUMN secret_warned_days BIGINT;
