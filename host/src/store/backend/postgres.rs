//! PostgreSQL: several flowauth instances on one database. Migrations run
//! under sqlx's advisory lock, so instances starting together take turns.
//! A refresh lease is an advisory lock held by an open transaction: the
//! database gives it back when the transaction ends, when its connection
//! drops (the instance died), or when it sits idle past the lease's TTL.
//! A trigger announces every changed token on [`CHANNEL`].

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::postgres::PgListener;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Transaction};
use tokio::sync::{broadcast, oneshot};

use super::{Backend, Change, ConnectOptions, Held, Lease, Pending, redact_url};
use crate::store::StoreError;

/// The advisory lock write transactions take, so that they run one at a
/// time as on SQLite (refresh leases use the token's hash as their key;
/// a collision with this constant only makes one wait for the other).
const WRITE_LOCK: i64 = 0x666c_6f77_6175_7468; // "flowauth"

/// Every `(table, column)` of the schema.
const SCHEMA: &str = "SELECT table_name::text, column_name::text FROM information_schema.columns \
                          WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position";

/// The channel the `tokens_changed` trigger notifies, with the token's id.
const CHANNEL: &str = "flowauth_token_changed";

/// The channel the `tenant_keys_changed` trigger notifies, with the tenant's id.
const KEY_CHANNEL: &str = "flowauth_key_changed";

/// The pool's default size: enough for a server's concurrent requests and
/// its refreshes in flight (each holds a connection for its lease).
const DEFAULT_POOL_SIZE: u32 = 16;

/// How long a query waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before listening again after the listener failed.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// Whether `url` names a PostgreSQL database.
pub fn handles(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A PostgreSQL database.
#[derive(Debug)]
pub struct Postgres {
    changes: broadcast::Sender<Change>,
    /// The connections refresh leases hold.
    leases: AnyPool,
    /// Stops the listener when the store is dropped.
    _stop: oneshot::Sender<()>,
}

impl Postgres {
    /// Connects, applies the PostgreSQL migrations (one instance at a time)
    /// and starts listening for changed tokens.
    pub async fn connect(url: &str, options: ConnectOptions<'_>) -> Result<(AnyPool, Self), StoreError> {
        let cannot = |e: sqlx::Error| StoreError::Connect(e.to_string().replace(url, &redact_url(url)));
        // One connection first, so a wrong URL says why at once instead of
        // after the pool's wait for a connection.
        AnyConnection::connect(url).await.map_err(cannot)?.close().await.map_err(cannot)?;
        let size = options.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
        let pool = AnyPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(cannot)?;
        // Leases hold their connection for the whole refresh, which needs
        // others meanwhile: they get a pool of their own, so that refreshes
        // can never take every connection their own queries wait for.
        let leases = AnyPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy(url)
            .map_err(cannot)?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await.map_err(|e| StoreError::from(sqlx::Error::from(e)))?;
        let (changes, _) = broadcast::channel(1024);
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(listen(url.to_owned(), changes.downgrade(), stopped));
        Ok((pool, Self { changes, leases, _stop: stop }))
    }

    /// Takes the advisory lock of a token in a new transaction that may sit
    /// idle for at most `ttl_seconds`.
    async fn take_lease(&self, token_id: &str, ttl_seconds: i64) -> Result<Option<LockLease>, StoreError> {
        let mut tx = self.leases.begin().await?;
        // One round trip: the TTL (the database ends the session, and with
        // it the lock, once the transaction idles past it) and the lock.
        let taken: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) \
             FROM set_config('idle_in_transaction_session_timeout', $2, true)",
        )
        .bind(token_id)
        .bind(format!("{}s", ttl_seconds.max(1)))
        .fetch_one(&mut *tx)
        .await?;
        if !taken {
            tx.rollback().await?;
            return Ok(None);
        }
        Ok(Some(LockLease { tx, token_id: token_id.to_owned() }))
    }
}

impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn begin_write<'a>(&'a self, pool: &'a AnyPool) -> Pending<'a, Transaction<'static, Any>> {
        Box::pin(async move {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
            Ok(tx)
        })
    }

    /// Leases use their own pool, not `_pool`.
    fn try_lease<'a>(&'a self, _pool: &'a AnyPool, token_id: &'a str, ttl_seconds: i64) -> Pending<'a, Option<Lease>> {
        Box::pin(async move { Ok(self.take_lease(token_id, ttl_seconds).await?.map(Lease::new)) })
    }

    /// Nothing: a lease ends with its transaction.
    fn sweep_leases<'a>(&'a self, _pool: &'a AnyPool) -> Pending<'a, (u64, usize)> {
        Box::pin(async { Ok((0, 0)) })
    }

    fn changes(&self) -> Option<broadcast::Receiver<Change>> {
        Some(self.changes.subscribe())
    }

    fn schema_query(&self) -> &'static str {
        SCHEMA
    }
}

/// Relays the trigger's notifications until the store is dropped (`stop`
/// then closes). A lost connection is reopened after a pause.
async fn listen(url: String, changes: broadcast::WeakSender<Change>, mut stop: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stop => return,
            Err(error) = relay(&url, &changes) => {
                tracing::warn!(%error, "listening for changed tokens failed; listening again");
            }
        }
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(LISTEN_RETRY) => {}
        }
    }
}

/// Listens to the triggers and passes every change on. Subscribers are
/// told they may have missed changes whenever the connection was (re)opened.
async fn relay(url: &str, changes: &broadcast::WeakSender<Change>) -> Result<Infallible, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen_all([CHANNEL, KEY_CHANNEL]).await?;
    let tell = |change| {
        if let Some(sender) = changes.upgrade() {
            let _ = sender.send(change);
        }
    };
    tell(Change::Unknown);
    loop {
        let change = match listener.try_recv().await? {
            Some(notification) if notification.channel() == KEY_CHANNEL => {
                Change::TenantKey(notification.payload().to_owned())
            }
            Some(notification) => Change::Token(notification.payload().to_owned()),
            None => Change::Unknown,
        };
        tell(change);
    }
}

/// An advisory lock held by an open transaction. Dropping it rolls the
/// transaction back, which releases the lock.
#[derive(Debug)]
pub struct LockLease {
    tx: Transaction<'static, Any>,
    token_id: String,
}

impl Held for LockLease {
    /// Ends the transaction now.
    fn release(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let LockLease { tx, token_id } = *self;
        Box::pin(async move {
            if let Err(error) = tx.commit().await {
                // The session ended (the TTL passed): the lock went with it.
                tracing::warn!(token = %token_id, %error, "refresh lease ended before it was released");
            }
        })
    }
}
