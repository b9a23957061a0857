//! Saved password credentials (Decisions' password flow: "the username and
//! password are saved ... new tokens obtained automatically"). Where a
//! provider allows it, a password-grant token keeps its user's username and
//! password sealed beside it, so that a new token is obtained when the old
//! one expires without a refresh token. They are opened only to do that,
//! wiped when the provider refuses them or stops allowing it, and deleted
//! with the token.

use std::fmt;

use super::sealing::columns::TOKEN_CREDENTIALS;
use super::{Store, StoreError, from_json, json};

/// The provider setting that lets the password grant be used at all.
pub const ALLOW_PASSWORD_SETTING: &str = "ALLOW_PASSWORD_GRANT";
/// The provider setting that lets password-grant tokens keep their credentials.
pub const SAVE_PASSWORD_SETTING: &str = "SAVE_PASSWORD_CREDENTIALS";

/// A user's username and password. `Debug` shows neither.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordCredentials {
    /// The user at the provider.
    pub username: String,
    /// The user's password.
    pub password: String,
}

impl fmt::Debug for PasswordCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordCredentials(..)")
    }
}

/// Whether `key` is set to `true` in a provider's settings (the key in any case).
fn is_true(settings: &[(String, String)], key: &str) -> bool {
    settings.iter().any(|(k, v)| k.eq_ignore_ascii_case(key) && v == "true")
}

/// Whether a provider's settings allow the password grant (`ALLOW_PASSWORD_GRANT=true`).
pub fn allows_password_grant(settings: &[(String, String)]) -> bool {
    is_true(settings, ALLOW_PASSWORD_SETTING)
}

/// Whether a provider's settings let password-grant tokens keep their
/// credentials: the grant allowed and `SAVE_PASSWORD_CREDENTIALS=true`.
pub fn saves_passwords(settings: &[(String, String)]) -> bool {
    allows_password_grant(settings) && is_true(settings, SAVE_PASSWORD_SETTING)
}

impl Store {
    /// The credentials saved with a token, opened; `None` when it has none.
    pub async fn saved_credentials(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<PasswordCredentials>, StoreError> {
        let sealed: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT credentials_sealed FROM tokens WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let opened = self.sealer.open_optional(tenant_id, TOKEN_CREDENTIALS, id, sealed.flatten().as_deref())?;
        opened.map(|text| from_json(&format!("tokens.credentials of token {id}"), &text)).transpose()
    }

    /// `credentials` sealed for the token `id` of `tenant_id`.
    pub(super) fn seal_credentials(&self, tenant_id: &str, id: &str, credentials: &PasswordCredentials) -> Vec<u8> {
        self.sealer.seal(tenant_id, TOKEN_CREDENTIALS, id, json(credentials).as_bytes())
    }
}
