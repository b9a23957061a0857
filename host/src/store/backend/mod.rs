//! What differs between the databases the store runs on; nothing else in
//! the store knows which one it has. The SQL of the aggregates is shared
//! (`$N` placeholders, standard SQL, run through sqlx's `Any` driver);
//! each backend brings its connection and migrations, the statement that
//! opens a write transaction, its refresh leases, how it notices changes
//! made by other instances, and how it lists its schema.
//!
//! - [`sqlite`]: the embedded default, one machine. Leases are rows whose
//!   holders prove they live by a file lock ([`holder`]); other processes'
//!   changes show within the access-token cache's bound.
//! - [`postgres`]: N instances on one database. Leases are
//!   transaction-scoped advisory locks; changes are announced with
//!   `LISTEN/NOTIFY`.

mod holder;
pub mod postgres;
pub mod sqlite;

use std::path::Path;

use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::broadcast;

use super::StoreError;

/// A change another instance (or this one) made, as announced to caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// This token changed or was deleted.
    Token(String),
    /// Announcements may have been missed (a reconnect): forget everything.
    Unknown,
}

/// The database under the store.
#[derive(Debug)]
pub enum Backend {
    /// One SQLite file.
    Sqlite(sqlite::Sqlite),
    /// A PostgreSQL database shared by several instances.
    Postgres(postgres::Postgres),
}

/// How to connect.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions<'a> {
    /// The data directory (the SQLite file's default home).
    pub data_dir: &'a Path,
    /// The most connections the pool opens; `None` for the backend's default.
    pub pool_size: Option<u32>,
}

impl Backend {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and brings
    /// its schema up to date.
    pub async fn connect(url: &str, options: ConnectOptions<'_>) -> Result<(AnyPool, Self), StoreError> {
        sqlx::any::install_default_drivers();
        if postgres::handles(url) {
            let (pool, backend) = postgres::Postgres::connect(url, options).await?;
            Ok((pool, Self::Postgres(backend)))
        } else if sqlite::handles(url) {
            let (pool, backend) = sqlite::Sqlite::connect(url, options).await?;
            Ok((pool, Self::Sqlite(backend)))
        } else {
            Err(StoreError::Invalid(format!(
                "database URL {:?} is not one flowauth knows: use sqlite://FILE or postgres://USER@HOST/DATABASE",
                redact_url(url)
            )))
        }
    }

    /// A write transaction. Write transactions run one at a time on
    /// every backend (they are short: no provider call happens inside
    /// one), so a transaction that reads then writes sees no other write
    /// in between.
    pub async fn begin_write(&self, pool: &AnyPool) -> Result<Transaction<'static, Any>, StoreError> {
        match self {
            Self::Sqlite(_) => Ok(pool.begin_with(sqlite::BEGIN_WRITE).await?),
            Self::Postgres(_) => postgres::begin_write(pool).await,
        }
    }

    /// Takes the refresh lease of a token, or `None` while another holder has it.
    pub async fn try_lease(
        &self,
        pool: &AnyPool,
        token_id: &str,
        ttl_seconds: i64,
    ) -> Result<Option<Lease>, StoreError> {
        Ok(match self {
            Self::Sqlite(sqlite) => sqlite.try_lease(pool, token_id, ttl_seconds).await?.map(Lease::Row),
            Self::Postgres(postgres) => postgres.try_lease(token_id, ttl_seconds).await?.map(Lease::Lock),
        })
    }

    /// Removes what leases leave behind: `(leases, holders)` removed.
    pub async fn sweep_leases(&self, pool: &AnyPool) -> Result<(u64, usize), StoreError> {
        match self {
            Self::Sqlite(sqlite) => sqlite.sweep_leases(pool).await,
            Self::Postgres(_) => Ok((0, 0)),
        }
    }

    /// Announcements of changed tokens, on backends that make them.
    pub fn changes(&self) -> Option<broadcast::Receiver<Change>> {
        match self {
            Self::Sqlite(_) => None,
            Self::Postgres(postgres) => Some(postgres.changes()),
        }
    }

    /// Every `(table, column)` of the schema.
    pub async fn schema(&self, pool: &AnyPool) -> Result<Vec<(String, String)>, StoreError> {
        let query = match self {
            Self::Sqlite(_) => sqlite::SCHEMA,
            Self::Postgres(_) => postgres::SCHEMA,
        };
        Ok(sqlx::query_as(query).fetch_all(pool).await?)
    }

    /// The backend's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// A refresh lease on one token; given back by [`Lease::release`], or
/// when dropped on any other path (an error, a panic, a cancelled task).
#[derive(Debug)]
pub enum Lease {
    /// A lease row (SQLite).
    Row(sqlite::RowLease),
    /// An advisory lock held by an open transaction (PostgreSQL).
    Lock(postgres::LockLease),
}

impl Lease {
    /// Gives the lease back now.
    pub async fn release(self) {
        match self {
            Self::Row(lease) => lease.release().await,
            Self::Lock(lease) => lease.release().await,
        }
    }
}

/// `url` without its password (in its user part or a `password`
/// parameter), for messages and logs; a URL that does not parse is not
/// shown at all.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return "<the database URL given>".into() };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(key, _)| key.eq_ignore_ascii_case("password")) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key.eq_ignore_ascii_case("password") { "***".into() } else { value.into_owned() };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_show() {
        assert_eq!(redact_url("postgres://u:secret@db/flowauth"), "postgres://u:***@db/flowauth");
        let shown = redact_url("postgres://db/flowauth?user=u&password=secret&sslmode=disable");
        assert!(!shown.contains("secret") && shown.contains("sslmode=disable"), "{shown}");
        assert!(!redact_url("postgres://u:sec ret@[db/x").contains("sec"));
        assert_eq!(redact_url("sqlite:///data/flowauth.db"), "sqlite:///data/flowauth.db");
    }
}
