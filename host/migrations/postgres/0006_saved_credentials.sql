-- Saved password credentials (Decisions: "the username and password are
-- saved ... new tokens obtained automatically"): a password-grant token of
-- a provider with SAVE_PASSWORD_CREDENTIALS=true keeps its username and
-- password sealed beside it, to obtain a new token when it expires without
-- a refresh token. The expiry index serves the background refresher.
ALTER TABLE tokens ADD COLUMN credentials_sealed BYTEA;
CREATE INDEX tokens_by_expiry ON tokens(expires_at);
