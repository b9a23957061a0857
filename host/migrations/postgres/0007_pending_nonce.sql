-- OpenID Connect hybrid flow: the nonce an authorization link carried,
-- sealed like the PKCE verifier, so that the callback can check the
-- id_token's `nonce` claim. Empty for every other authorization.
ALTER TABLE pending_authorizations ADD COLUMN nonce_sealed BYTEA;
