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
mod repair;
pub mod sqlite;

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::broadcast;

use super::StoreError;

/// A change another instance (or this one) made, as announced to caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// This token changed or was deleted.
    Token(String),
    /// The API key of the tenant of this id changed, or the tenant was deleted.
    TenantKey(String),
    /// Announcements may have been missed (a reconnect): forget everything.
    Unknown,
}

impl Change {
    /// Calls `apply` on `cache` with every announcement of `changes` for as
    /// long as the cache lives; missed announcements (a lagging receiver)
    /// arrive as [`Change::Unknown`]. Outside a Tokio runtime nothing follows.
    pub fn follow<T: Send + Sync + 'static>(
        cache: &Arc<T>,
        mut changes: broadcast::Receiver<Change>,
        apply: impl Fn(&T, Change) + Send + 'static,
    ) {
        let cache = Arc::downgrade(cache);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            loop {
                let change = match changes.recv().await {
                    Ok(change) => change,
                    Err(broadcast::error::RecvError::Lagged(_)) => Change::Unknown,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let Some(cache) = cache.upgrade() else { return };
                apply(&cache, change);
            }
        });
    }
}

/// A database under the store: what it does beyond the shared SQL. One
/// implementation per module ([`sqlite::Sqlite`], [`postgres::Postgres`]);
/// the store holds it as `Arc<dyn Backend>` and never asks which it is.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Its name, for messages: `sqlite` or `postgres`.
    fn name(&self) -> &'static str;

    /// A write transaction. Write transactions run one at a time on every
    /// backend (they are short: no provider call happens inside one), so
    /// a transaction that reads then writes sees no other write in between.
    fn begin_write<'a>(&'a self, pool: &'a AnyPool) -> Pending<'a, Transaction<'static, Any>>;

    /// Takes the refresh lease of a token, or `None` while another holder
    /// has it; see [`Lease`] for the contract.
    fn try_lease<'a>(&'a self, pool: &'a AnyPool, token_id: &'a str, ttl_seconds: i64) -> Pending<'a, Option<Lease>>;

    /// Removes what leases leave behind: `(leases, holders)` removed.
    fn sweep_leases<'a>(&'a self, pool: &'a AnyPool) -> Pending<'a, (u64, usize)>;

    /// Announcements of changed tokens and tenant keys, on backends that make them.
    fn changes(&self) -> Option<broadcast::Receiver<Change>>;

    /// The query listing every `(table, column)` of the schema.
    fn schema_query(&self) -> &'static str;
}

/// What a backend's asynchronous methods return.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// How to connect.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions<'a> {
    /// The data directory (the SQLite file's default home).
    pub data_dir: &'a Path,
    /// The most connections the pool opens; `None` for the backend's default.
    pub pool_size: Option<u32>,
}

/// Connects to `url` (`sqlite://...` or `postgres://...`) and brings its
/// schema up to date.
pub async fn connect(url: &str, options: ConnectOptions<'_>) -> Result<(AnyPool, Arc<dyn Backend>), StoreError> {
    sqlx::any::install_default_drivers();
    if postgres::handles(url) {
        let (pool, backend) = postgres::Postgres::connect(url, options).await?;
        Ok((pool, Arc::new(backend)))
    } else if sqlite::handles(url) {
        let (pool, backend) = sqlite::Sqlite::connect(url, options).await?;
        Ok((pool, Arc::new(backend)))
    } else {
        Err(StoreError::Invalid(format!(
            "database URL {:?} is not one flowauth knows: use sqlite://FILE or postgres://USER@HOST/DATABASE",
            redact_url(url)
        )))
    }
}

/// Every `(table, column)` of the schema.
pub async fn schema(backend: &dyn Backend, pool: &AnyPool) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(backend.schema_query()).fetch_all(pool).await?)
}

/// A refresh lease on one token. The contract, the same on every backend:
/// it is taken without waiting or not at all; it is released on every
/// path ([`Lease::release`], or dropping it: an error, a panic, a
/// cancelled task); it lapses after its TTL even if its holder hangs; and a
/// lease whose holder is gone is taken over at once, not after the TTL.
#[derive(Debug)]
pub struct Lease(Box<dyn Held>);

/// What a backend's lease holds until it is given back.
pub trait Held: Send + std::fmt::Debug {
    /// Gives the lease back now.
    fn release(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

impl Lease {
    /// A lease holding `held`.
    pub fn new(held: impl Held + 'static) -> Self {
        Self(Box::new(held))
    }

    /// Gives the lease back now.
    pub async fn release(self) {
        self.0.release().await
    }
}

/// The URL parameters whose values messages show: none of them secret.
/// Any other parameter's value is hidden, as a password given under a
/// name in another case or misspelt may be.
const SHOWN_PARAMETERS: &[&str] =
    &["sslmode", "ssl-mode", "host", "hostaddr", "port", "dbname", "user", "application_name", "mode"];

/// `url` without its password (in its user part) nor the values of its
/// parameters but the harmless ones, for messages and logs; a URL that
/// does not parse is not shown at all.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return "<the database URL given>".into() };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let shown = SHOWN_PARAMETERS.iter().any(|shown| shown.eq_ignore_ascii_case(&key));
                (key.into_owned(), if shown { value.into_owned() } else { "***".into() })
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
        for key in ["Password", "PASSWORD", "%50assword", "pass%77ord", "passwrd"] {
            let shown = redact_url(&format!("postgres://u@db/x?{key}=secret&user=u"));
            assert!(!shown.contains("secret") && shown.contains("user=u"), "{key}: {shown}");
        }
        assert_eq!(redact_url("sqlite:///data/flowauth.db"), "sqlite:///data/flowauth.db");
    }
}
