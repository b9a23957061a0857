//! Connect sessions: short-lived, single-use links that let a tenant's
//! user connect one token without an API key, and the origins each tenant
//! lets them return to. A session's secret is never stored, only its sha256.

use super::{Store, StoreError, from_json, json, new_id, now};

/// How long an expired session is kept, so that a late visitor is told
/// "expired" (ask for a new link) rather than "unknown".
const EXPIRED_SESSION_GRACE_SECONDS: i64 = 3600;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Not used yet.
    Open,
    /// Its form was submitted: its token waits for the provider's callback.
    Started,
    /// The callback came back and the user was sent to `return_to`.
    Finished,
}

impl SessionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Started => "started",
            Self::Finished => "finished",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "open" => Ok(Self::Open),
            "started" => Ok(Self::Started),
            "finished" => Ok(Self::Finished),
            other => Err(StoreError::Corrupt(format!("connect session status {other:?}"))),
        }
    }
}

/// A session about to be created. Fields are named after their columns.
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct NewConnectSession {
    /// sha256 of the link's secret, hex.
    pub secret_hash: String,
    pub tenant_id: String,
    pub connector: String,
    /// The provider's display name.
    pub provider: String,
    /// The name the token gets.
    pub name: String,
    pub scopes: Vec<String>,
    /// Where the user is sent once the provider answered.
    pub return_to: String,
    pub expires_at: i64,
}

/// A stored session. Fields are named after their columns.
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct ConnectSession {
    pub id: String,
    pub tenant_id: String,
    pub connector: String,
    pub provider: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub return_to: String,
    pub status: SessionStatus,
    /// The token its form started, once it did.
    pub token_id: Option<String>,
    pub expires_at: i64,
}

/// What looking a session up by its secret found.
#[derive(Debug, Clone)]
pub enum Visited {
    /// Usable (and, from [`Store::take_connect_session`], now spent).
    Open(Box<ConnectSession>),
    /// Its form was submitted before.
    Used,
    /// It waited too long.
    Expired,
    /// No such session.
    Unknown,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    tenant_id: String,
    connector: String,
    provider: String,
    name: String,
    scopes: String,
    return_to: String,
    status: String,
    token_id: Option<String>,
    expires_at: i64,
}

const SELECT_SESSION: &str = "SELECT id, tenant_id, connector, provider, name, scopes, return_to, status, token_id, \
                              expires_at FROM connect_sessions";

impl SessionRow {
    fn session(self) -> Result<ConnectSession, StoreError> {
        Ok(ConnectSession {
            scopes: from_json("connect session scopes", &self.scopes)?,
            status: SessionStatus::parse(&self.status)?,
            id: self.id,
            tenant_id: self.tenant_id,
            connector: self.connector,
            provider: self.provider,
            name: self.name,
            return_to: self.return_to,
            token_id: self.token_id,
            expires_at: self.expires_at,
        })
    }
}

impl Store {
    /// Stores a new open session.
    pub async fn create_connect_session(&self, new: &NewConnectSession) -> Result<ConnectSession, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO connect_sessions (id, secret_hash, tenant_id, connector, provider, name, scopes, return_to, \
             status, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(&new.secret_hash)
        .bind(&new.tenant_id)
        .bind(&new.connector)
        .bind(&new.provider)
        .bind(&new.name)
        .bind(json(&new.scopes))
        .bind(&new.return_to)
        .bind(SessionStatus::Open.as_str())
        .bind(new.expires_at)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(ConnectSession {
            id,
            tenant_id: new.tenant_id.clone(),
            connector: new.connector.clone(),
            provider: new.provider.clone(),
            name: new.name.clone(),
            scopes: new.scopes.clone(),
            return_to: new.return_to.clone(),
            status: SessionStatus::Open,
            token_id: None,
            expires_at: new.expires_at,
        })
    }

    /// The session of this secret's hash, without spending it.
    pub async fn connect_session(&self, secret_hash: &str) -> Result<Visited, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(&format!("{SELECT_SESSION} WHERE secret_hash = $1"))
            .bind(secret_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(session) = row.map(SessionRow::session).transpose()? else { return Ok(Visited::Unknown) };
        Ok(match session.status {
            SessionStatus::Started | SessionStatus::Finished => Visited::Used,
            SessionStatus::Open if session.expires_at < now() => Visited::Expired,
            SessionStatus::Open => Visited::Open(Box::new(session)),
        })
    }

    /// Spends the session of this secret's hash: only the first caller,
    /// before expiry, gets it; nothing changes for any refused caller.
    pub async fn take_connect_session(&self, secret_hash: &str) -> Result<Visited, StoreError> {
        let taken = sqlx::query(
            "UPDATE connect_sessions SET status = $1 WHERE secret_hash = $2 AND status = $3 AND expires_at >= $4",
        )
        .bind(SessionStatus::Started.as_str())
        .bind(secret_hash)
        .bind(SessionStatus::Open.as_str())
        .bind(now())
        .execute(&self.pool)
        .await?;
        if taken.rows_affected() == 0 {
            return self.connect_session(secret_hash).await;
        }
        let row: SessionRow = sqlx::query_as(&format!("{SELECT_SESSION} WHERE secret_hash = $1"))
            .bind(secret_hash)
            .fetch_one(&self.pool)
            .await?;
        Ok(Visited::Open(Box::new(row.session()?)))
    }

    /// Records the token a spent session started.
    pub async fn connect_session_started(&self, id: &str, token_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE connect_sessions SET token_id = $1 WHERE id = $2")
            .bind(token_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Finishes the session that started this token, once: its
    /// `return_to`, or `None` when no session waits for this token.
    pub async fn finish_connect_session(&self, tenant_id: &str, token_id: &str) -> Result<Option<String>, StoreError> {
        let return_to: Option<String> = sqlx::query_scalar(
            "SELECT return_to FROM connect_sessions WHERE tenant_id = $1 AND token_id = $2 AND status = $3",
        )
        .bind(tenant_id)
        .bind(token_id)
        .bind(SessionStatus::Started.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(return_to) = return_to else { return Ok(None) };
        let finished = sqlx::query(
            "UPDATE connect_sessions SET status = $1 WHERE tenant_id = $2 AND token_id = $3 AND status = $4",
        )
        .bind(SessionStatus::Finished.as_str())
        .bind(tenant_id)
        .bind(token_id)
        .bind(SessionStatus::Started.as_str())
        .execute(&self.pool)
        .await?;
        Ok((finished.rows_affected() > 0).then_some(return_to))
    }

    /// Deletes sessions expired for longer than the grace; returns how many.
    pub(super) async fn sweep_connect_sessions(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM connect_sessions WHERE expires_at < $1")
            .bind(now() - EXPIRED_SESSION_GRACE_SECONDS)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Replaces the origins a tenant's sessions may return to.
    pub async fn set_connect_origins(&self, tenant_id: &str, origins: &[String]) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        write_connect_origins(&mut conn, tenant_id, origins).await
    }

    /// The origins a tenant's sessions may return to; none until set.
    pub async fn connect_origins(&self, tenant_id: &str) -> Result<Vec<String>, StoreError> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT allowed_return_origins FROM connect_settings WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        text.map(|t| from_json("allowed return origins", &t)).transpose().map(Option::unwrap_or_default)
    }
}

/// Replaces the origins a tenant's sessions may return to, on `conn` (a
/// transaction of the caller's, or a pooled connection).
pub(super) async fn write_connect_origins(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    origins: &[String],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO connect_settings (tenant_id, allowed_return_origins, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET allowed_return_origins = excluded.allowed_return_origins, \
         updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(json(&origins))
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}
