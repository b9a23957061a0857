//! Tokens: created with their first outcome, then changed only by
//! compare-and-swap on their generation where a refresh is involved.

use sqlx::AnyConnection;

use super::sealing::columns::{TOKEN_ACCESS, TOKEN_CLIENT, TOKEN_EXTRA, TOKEN_ID, TOKEN_REFRESH};
use super::{
    Issued, NewToken, PasswordCredentials, PendingAuthorization, RefreshFailure, Store, StoreError, TokenRecord,
    TokenStatus, from_json, json, now,
};

type Pairs = Vec<(String, String)>;

/// Tokens with the connector and display name of their provider.
pub(super) const SELECT_TOKENS: &str = "SELECT t.id, t.tenant_id, t.provider_id, t.name, t.flow, t.status, t.error_code, \
     t.error_message, t.scopes, t.inputs, t.token_type, t.expires_at, t.issued_at, t.extra, t.access_token_sealed, \
     t.refresh_token_sealed, t.id_token_sealed, t.client_sealed, t.extra_sealed, t.credentials_sealed, t.generation, \
     t.refresh_failed_generation, t.refresh_retry_at, t.refresh_error_code, t.refresh_error_message, t.created_at, \
     t.updated_at, p.connector AS connector, p.display_name AS provider \
     FROM tokens t JOIN providers p ON p.id = t.provider_id";

/// A row of [`SELECT_TOKENS`], secrets still sealed.
#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    id: String,
    tenant_id: String,
    provider_id: String,
    connector: String,
    provider: String,
    name: String,
    flow: String,
    status: String,
    error_code: Option<String>,
    error_message: Option<String>,
    scopes: String,
    inputs: String,
    token_type: Option<String>,
    expires_at: Option<i64>,
    issued_at: Option<i64>,
    extra: String,
    access_token_sealed: Option<Vec<u8>>,
    refresh_token_sealed: Option<Vec<u8>>,
    id_token_sealed: Option<Vec<u8>>,
    client_sealed: Option<Vec<u8>>,
    extra_sealed: Option<Vec<u8>>,
    /// Only whether it is there: it is opened to renew the token alone.
    credentials_sealed: Option<Vec<u8>>,
    generation: i64,
    refresh_failed_generation: Option<i64>,
    refresh_retry_at: Option<i64>,
    refresh_error_code: Option<String>,
    refresh_error_message: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// Which tokens a listing shows; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    /// Only tokens in this status.
    pub status: Option<TokenStatus>,
    /// Only tokens of this connector.
    pub connector: Option<String>,
    /// Only tokens of providers of this display name.
    pub provider: Option<String>,
    /// Only the token of this name.
    pub name: Option<String>,
    /// Only tokens whose name starts with this (case-sensitive; `%` and
    /// `_` are plain characters).
    pub name_prefix: Option<String>,
}

/// A token the background refresher found due: its `due` second is
/// `margin` seconds before it expires, where `margin` is the refresher's,
/// or half the token's lifetime when that is shorter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueToken {
    /// The token's tenant.
    pub tenant_id: String,
    /// The token's id.
    pub id: String,
    /// The generation found due: a newer one was renewed already.
    pub generation: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds.
    pub due: i64,
}

/// What a new token starts with: a row appears only with its outcome, so
/// a start whose caller gave up leaves nothing half-made behind.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// An authorization link was handed out: the token waits for its callback.
    Pending(&'a PendingAuthorization),
    /// The provider issued a token set at once (client credentials, password).
    Issued(&'a Issued),
    /// The provider issued a token set for a password the token keeps,
    /// sealed, to obtain the next one (`SAVE_PASSWORD_CREDENTIALS`).
    IssuedSaving(&'a Issued, &'a PasswordCredentials),
    /// The provider refused: `(code, message)`.
    Failed(&'a str, &'a str),
}

impl Store {
    /// Creates a token together with its first outcome, in one transaction.
    pub async fn create_token(&self, token: &NewToken, outcome: Outcome<'_>) -> Result<(), StoreError> {
        let client = token
            .client
            .as_ref()
            .map(|c| self.sealer.seal(&token.tenant_id, TOKEN_CLIENT, &token.id, json(c).as_bytes()));
        let (status, error) = match outcome {
            Outcome::Pending(_) => (TokenStatus::Pending, None),
            Outcome::Issued(_) | Outcome::IssuedSaving(..) => (TokenStatus::Active, None),
            Outcome::Failed(code, message) => (TokenStatus::Failed, Some((code, message))),
        };
        let at = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tokens (id, tenant_id, provider_id, name, flow, status, error_code, error_message, scopes, inputs, \
             extra, client_sealed, generation, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '[]', $11, 0, $12, $13)",
        )
        .bind(&token.id)
        .bind(&token.tenant_id)
        .bind(&token.provider_id)
        .bind(&token.name)
        .bind(&token.flow)
        .bind(status.as_str())
        .bind(error.map(|e| e.0))
        .bind(error.map(|e| e.1))
        .bind(json(&token.scopes))
        .bind(json(&token.inputs))
        .bind(client)
        .bind(at)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(|e| name_taken(e, &token.name))?;
        match outcome {
            Outcome::Pending(pending) => self.write_pending(&mut tx, pending).await?,
            Outcome::Issued(issued) => {
                self.write_issued(&mut tx, &token.tenant_id, &token.id, issued, None).await?;
            }
            Outcome::IssuedSaving(issued, credentials) => {
                self.write_issued(&mut tx, &token.tenant_id, &token.id, issued, None).await?;
                self.write_credentials(&mut tx, &token.tenant_id, &token.id, Some(credentials)).await?;
            }
            Outcome::Failed(..) => {}
        }
        tx.commit().await?;
        Ok(())
    }

    /// Active tokens due at `at` for a renewal `margin` seconds (at most
    /// half their lifetime) before they expire, soonest first, at most
    /// `limit`: those that can be renewed without their user (a refresh
    /// token, client credentials or a saved password).
    pub async fn tokens_due_ahead(&self, margin: i64, at: i64, limit: u32) -> Result<Vec<DueToken>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT tenant_id, id, generation, expires_at, due FROM (SELECT tenant_id, id, generation, expires_at, \
             expires_at - CASE WHEN issued_at IS NULL OR expires_at - issued_at >= 2 * $1 THEN $2 \
             WHEN expires_at <= issued_at THEN 0 ELSE (expires_at - issued_at) / 2 END AS due \
             FROM tokens WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= $3 \
             AND (refresh_token_sealed IS NOT NULL OR credentials_sealed IS NOT NULL OR flow = 'client_credentials')) \
             AS ahead WHERE due <= $4 ORDER BY due LIMIT $5",
        )
        .bind(margin)
        .bind(margin)
        .bind(at.saturating_add(margin))
        .bind(at)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// A token with its secrets opened.
    pub async fn token(&self, tenant_id: &str, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> = sqlx::query_as(&format!("{SELECT_TOKENS} WHERE t.tenant_id = $1 AND t.id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| self.token_record(r)).transpose()
    }

    /// The id of the tenant's token of this name.
    pub async fn token_id_by_name(&self, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM tokens WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The tenant's tokens, newest first.
    pub async fn tokens(&self, tenant_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
        Ok(self.token_page(tenant_id, &TokenFilter::default(), u32::MAX, None).await?.0)
    }

    /// One page of the tenant's tokens that pass `filter`, newest first,
    /// after `cursor` (from the previous page); with the next page's cursor
    /// when there is one.
    pub async fn token_page(
        &self,
        tenant_id: &str,
        filter: &TokenFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<(Vec<TokenRecord>, Option<String>), StoreError> {
        let limit = limit.max(1);
        let (after_at, after_id) = match cursor {
            Some(cursor) => {
                let (at, id) = cursor
                    .split_once('_')
                    // No control characters: PostgreSQL refuses a NUL in text (a 500, not a 400).
                    .filter(|(_, id)| !id.chars().any(char::is_control))
                    .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                    .ok_or_else(|| StoreError::Invalid(format!("cursor {cursor:?} is not one this server gave")))?;
                (Some(at), Some(id))
            }
            None => (None, None),
        };
        let rows: Vec<TokenRow> = sqlx::query_as(&format!(
            "{SELECT_TOKENS} WHERE t.tenant_id = $1 AND ($2 IS NULL OR t.status = $2) \
             AND ($3 IS NULL OR p.connector = $3) AND ($4 IS NULL OR p.display_name = $4) \
             AND ($5 IS NULL OR t.name = $5) \
             AND ($6 IS NULL OR substr(t.name, 1, length($6)) = $6) \
             AND ($7 IS NULL OR t.created_at < $7 OR (t.created_at = $7 AND t.id < $8)) \
             ORDER BY t.created_at DESC, t.id DESC LIMIT $9"
        ))
        .bind(tenant_id)
        .bind(filter.status.map(TokenStatus::as_str))
        .bind(&filter.connector)
        .bind(&filter.provider)
        .bind(&filter.name)
        .bind(&filter.name_prefix)
        .bind(after_at)
        .bind(&after_id)
        .bind(i64::from(limit).saturating_add(1))
        .fetch_all(&self.pool)
        .await?;
        let mut tokens = rows.into_iter().map(|r| self.token_record(r)).collect::<Result<Vec<_>, _>>()?;
        let next = (tokens.len() > limit as usize).then(|| {
            tokens.truncate(limit as usize);
            let last = tokens.last().expect("a full page");
            format!("{}_{}", last.created_at, last.id)
        });
        Ok((tokens, next))
    }

    pub(super) fn token_record(&self, row: TokenRow) -> Result<TokenRecord, StoreError> {
        let (tenant, id) = (&row.tenant_id, &row.id);
        let open = |column, sealed: &Option<Vec<u8>>| self.sealer.open_optional(tenant, column, id, sealed.as_deref());
        let refresh_failure = match (row.refresh_failed_generation, row.refresh_retry_at) {
            (Some(generation), Some(retry_at)) => Some(RefreshFailure {
                generation,
                retry_at,
                code: row.refresh_error_code.unwrap_or_default(),
                message: row.refresh_error_message.unwrap_or_default(),
            }),
            _ => None,
        };
        let what = |column: &str| format!("tokens.{column} of token {id}");
        Ok(TokenRecord {
            access_token: open(TOKEN_ACCESS, &row.access_token_sealed)?,
            refresh_token: open(TOKEN_REFRESH, &row.refresh_token_sealed)?,
            id_token: open(TOKEN_ID, &row.id_token_sealed)?,
            client: open(TOKEN_CLIENT, &row.client_sealed)?
                .map(|c| from_json::<Pairs>(&what("client"), &c))
                .transpose()?,
            credentials_saved: row.credentials_sealed.is_some(),
            status: TokenStatus::from_name(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("{}: unknown status {:?}", what("status"), row.status)))?,
            scopes: from_json(&what("scopes"), &row.scopes)?,
            inputs: from_json(&what("inputs"), &row.inputs)?,
            extra: match open(TOKEN_EXTRA, &row.extra_sealed)? {
                Some(sealed) => from_json(&what("extra"), &sealed)?,
                None => from_json(&what("extra"), &row.extra)?,
            },
            provider_id: row.provider_id,
            connector: row.connector,
            provider: row.provider,
            name: row.name,
            flow: row.flow,
            error_code: row.error_code,
            error_message: row.error_message,
            token_type: row.token_type,
            expires_at: row.expires_at,
            issued_at: row.issued_at,
            generation: row.generation,
            refresh_failure,
            created_at: row.created_at,
            updated_at: row.updated_at,
            id: row.id,
            tenant_id: row.tenant_id,
        })
    }

    /// Stores a new token set and makes the token active. With
    /// `expected_generation`, only if no other write came first (a refresh
    /// compares and swaps); `None` then. A set without a refresh token
    /// keeps the stored one. Returns the new generation.
    pub async fn store_issued(
        &self,
        tenant_id: &str,
        id: &str,
        issued: &Issued,
        expected_generation: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.write_issued(&mut conn, tenant_id, id, issued, expected_generation).await
    }

    async fn write_issued(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
        issued: &Issued,
        expected_generation: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let seal = |column, value: &str| self.sealer.seal(tenant_id, column, id, value.as_bytes());
        let at = now();
        Ok(sqlx::query_scalar(
            "UPDATE tokens SET status = 'active', error_code = NULL, error_message = NULL, token_type = $1, expires_at = $2, \
             issued_at = $3, extra = '[]', extra_sealed = $4, access_token_sealed = $5, refresh_token_sealed = COALESCE($6, refresh_token_sealed), \
             id_token_sealed = COALESCE($7, id_token_sealed), generation = generation + 1, updated_at = $8, \
             refresh_failed_generation = NULL, refresh_retry_at = NULL, refresh_error_code = NULL, refresh_error_message = NULL \
             WHERE tenant_id = $9 AND id = $10 AND ($11 IS NULL OR generation = $12) RETURNING generation",
        )
        .bind(&issued.token_type)
        .bind(issued.expires_at)
        .bind(at)
        .bind(seal(TOKEN_EXTRA, &json(&issued.extra)))
        .bind(seal(TOKEN_ACCESS, &issued.access_token))
        .bind(issued.refresh_token.as_deref().map(|t| seal(TOKEN_REFRESH, t)))
        .bind(issued.id_token.as_deref().map(|t| seal(TOKEN_ID, t)))
        .bind(at)
        .bind(tenant_id)
        .bind(id)
        .bind(expected_generation)
        .bind(expected_generation)
        .fetch_optional(conn)
        .await?)
    }

    /// Stores the token set a password grant with the user's current
    /// `credentials` issued (a re-request), in one transaction: it replaces
    /// the whole grant (a refresh token of the old one is forgotten), and
    /// the credentials replace those saved, or none are kept (`save` false).
    pub async fn store_password_grant(
        &self,
        tenant_id: &str,
        id: &str,
        issued: &Issued,
        credentials: &PasswordCredentials,
        save: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if issued.refresh_token.is_none() {
            sqlx::query("UPDATE tokens SET refresh_token_sealed = NULL WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        self.write_issued(&mut tx, tenant_id, id, issued, None).await?;
        self.write_credentials(&mut tx, tenant_id, id, save.then_some(credentials)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps `credentials` with a token, sealed, or none.
    async fn write_credentials(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
        credentials: Option<&PasswordCredentials>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET credentials_sealed = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(credentials.map(|c| self.seal_credentials(tenant_id, id, c)))
            .bind(tenant_id)
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Marks an active token `needs_reauth` after the provider refused its
    /// grant, unless a newer token set was stored meanwhile; the password
    /// saved with it, if any, is wiped (the provider refused it, or there
    /// was none to try). Returns whether it did.
    pub async fn mark_needs_reauth(
        &self,
        tenant_id: &str,
        id: &str,
        generation: i64,
        error: (&str, &str),
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tokens SET status = 'needs_reauth', error_code = $1, error_message = $2, updated_at = $3, \
             credentials_sealed = NULL \
             WHERE tenant_id = $4 AND id = $5 AND generation = $6 AND status = 'active'",
        )
        .bind(error.0)
        .bind(error.1)
        .bind(now())
        .bind(tenant_id)
        .bind(id)
        .bind(generation)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets the refresh token of `generation` (the provider refused it,
    /// and the token was renewed with its saved password instead).
    pub async fn drop_refresh_token(&self, tenant_id: &str, id: &str, generation: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE tokens SET refresh_token_sealed = NULL WHERE tenant_id = $1 AND id = $2 AND generation = $3",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(generation)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Remembers that refreshing `generation` failed for a passing reason
    /// (the provider was unreachable or answered 5xx): callers share that
    /// failure until `failure.retry_at` instead of calling again.
    pub async fn record_refresh_failure(
        &self,
        tenant_id: &str,
        id: &str,
        failure: &RefreshFailure,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE tokens SET refresh_failed_generation = $1, refresh_retry_at = $2, refresh_error_code = $3, \
             refresh_error_message = $4 WHERE tenant_id = $5 AND id = $6 AND generation = $7",
        )
        .bind(failure.generation)
        .bind(failure.retry_at)
        .bind(&failure.code)
        .bind(&failure.message)
        .bind(tenant_id)
        .bind(id)
        .bind(failure.generation)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets a token's status and error.
    pub async fn set_status(
        &self,
        tenant_id: &str,
        id: &str,
        status: TokenStatus,
        error: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET status = $1, error_code = $2, error_message = $3, updated_at = $4 WHERE tenant_id = $5 AND id = $6")
            .bind(status.as_str())
            .bind(error.map(|e| e.0))
            .bind(error.map(|e| e.1))
            .bind(now())
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Renames a token.
    pub async fn rename_token(&self, tenant_id: &str, id: &str, name: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE tokens SET name = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
            .bind(name)
            .bind(now())
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| name_taken(e, name))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        Ok(())
    }

    /// Deletes a token with its pending authorizations and lease.
    pub async fn delete_token(&self, tenant_id: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM pending_authorizations WHERE token_id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tokens WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records what a token asks for (after a reset with new values).
    pub async fn set_token_request(
        &self,
        tenant_id: &str,
        id: &str,
        scopes: &[String],
        inputs: &Pairs,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET scopes = $1, inputs = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5")
            .bind(json(&scopes))
            .bind(json(inputs))
            .bind(now())
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A token name used twice within a tenant, in words.
fn name_taken(error: sqlx::Error, name: &str) -> StoreError {
    match error {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            StoreError::Exists(format!("a token named {name:?} (token names are unique within a tenant)"))
        }
        other => other.into(),
    }
}
