-- The extra values of a token answer may hold a secret (OAuth 1.0a's
-- oauth_token_secret): they are sealed like the tokens themselves. Rows
-- written before keep their plain `extra` until their next token set.
ALTER TABLE tokens ADD COLUMN extra_sealed BLOB;
