//! The one list of sealed columns. Reads, writes and key rotation all name
//! their column through it, and the store refuses to open a database
//! whose schema has a `*_sealed` column missing here: a column added to
//! the schema but not to this list would otherwise be skipped by rotation.

/// A column of ciphertexts. Its AAD binds each value to the tenant, this
/// table, the row's id (in `row_id`) and `name` (the column without `_sealed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    /// The table.
    pub table: &'static str,
    /// The column holding the row id the AAD names.
    pub row_id: &'static str,
    /// The column's name without `_sealed`, as the AAD names it.
    pub name: &'static str,
}

impl SealedColumn {
    /// The column's name in the schema.
    pub fn column(&self) -> String {
        format!("{}_sealed", self.name)
    }
}

const fn sealed(table: &'static str, row_id: &'static str, name: &'static str) -> SealedColumn {
    SealedColumn { table, row_id, name }
}

/// A provider's settings (a JSON object; client secrets among them).
pub const PROVIDER_SETTINGS: SealedColumn = sealed("providers", "id", "settings");
/// A token's access token.
pub const TOKEN_ACCESS: SealedColumn = sealed("tokens", "id", "access_token");
/// A token's refresh token.
pub const TOKEN_REFRESH: SealedColumn = sealed("tokens", "id", "refresh_token");
/// A token's OpenID Connect ID token.
pub const TOKEN_ID: SealedColumn = sealed("tokens", "id", "id_token");
/// A token's own client (consumer key and secret overrides).
pub const TOKEN_CLIENT: SealedColumn = sealed("tokens", "id", "client");
/// The extra values of a token answer (Trello's `oauth_token_secret`).
pub const TOKEN_EXTRA: SealedColumn = sealed("tokens", "id", "extra");
/// A password-grant token's saved username and password (a JSON object),
/// where its provider says `SAVE_PASSWORD_CREDENTIALS=true`.
pub const TOKEN_CREDENTIALS: SealedColumn = sealed("tokens", "id", "credentials");
/// An authorization's PKCE verifier.
pub const PENDING_VERIFIER: SealedColumn = sealed("pending_authorizations", "state_hash", "verifier");
/// What a component keeps between link and callback (OAuth 1.0a request secrets).
pub const PENDING_STATE: SealedColumn = sealed("pending_authorizations", "state_hash", "pending");
/// The OpenID Connect `nonce` of a hybrid authorization.
pub const PENDING_NONCE: SealedColumn = sealed("pending_authorizations", "state_hash", "nonce");
/// A webhook's signing secret, bound to its tenant's id as its row (one webhook per tenant).
pub const WEBHOOK_SECRET: SealedColumn = sealed("webhooks", "tenant_id", "secret");

/// A provider's private key for `private_key_jwt` (PKCS#8 PEM).
pub const PROVIDER_KEY: SealedColumn = sealed("provider_keys", "id", "private_key");

/// Every sealed column.
pub const ALL: [SealedColumn; 12] = [
    PROVIDER_SETTINGS,
    TOKEN_ACCESS,
    TOKEN_REFRESH,
    TOKEN_ID,
    TOKEN_CLIENT,
    TOKEN_EXTRA,
    TOKEN_CREDENTIALS,
    PENDING_VERIFIER,
    PENDING_STATE,
    PENDING_NONCE,
    WEBHOOK_SECRET,
    PROVIDER_KEY,
];

/// The `(table, column)` pairs of `schema` that end in `_sealed` but are
/// not in [`ALL`].
pub fn unregistered(schema: &[(String, String)]) -> Vec<String> {
    schema
        .iter()
        .filter(|(_, column)| column.ends_with("_sealed"))
        .filter(|(table, column)| !ALL.iter().any(|s| s.table == table && s.column() == *column))
        .map(|(table, column)| format!("{table}.{column}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_column_outside_the_list_is_named() {
        let schema = [("tokens".to_owned(), "access_token_sealed".to_owned()), ("tokens".into(), "new_sealed".into())];
        assert_eq!(unregistered(&schema), ["tokens.new_sealed"]);
        assert!(unregistered(&[("tokens".into(), "name".into())]).is_empty());
    }
}
