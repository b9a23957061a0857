//! SQLite: the embedded default, one file on one machine. Several
//! processes on that machine may share the file (WAL mode); they tell each
//! other apart in refresh leases by [`Holder`] files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::pin::Pin;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::broadcast;

use super::holder::Holder;
use super::{Backend, Change, ConnectOptions, Held, Lease, Pending};
use crate::store::{StoreError, now, private_dir};

/// The database file's name in the data directory.
pub const DATABASE_FILE: &str = "flowauth.db";

/// Takes SQLite's write lock at once, so a transaction that reads then
/// writes never fails half-way with "database is locked": it waits its
/// turn under the busy timeout instead.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Every `(table, column)` of the schema.
const SCHEMA: &str = "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                          WHERE m.type = 'table' ORDER BY m.name, p.cid";

/// Set on every connection: foreign keys on, and a writer waits up to
/// 10 s for another rather than failing.
const PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

/// The pool's default size: SQLite has one writer, readers are cheap.
const DEFAULT_POOL_SIZE: u32 = 8;

/// Whether `url` names a SQLite database.
pub fn handles(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The file of a `sqlite://` URL, when it names one.
pub fn file_of(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The SQLite database of one store handle.
#[derive(Debug)]
pub struct Sqlite {
    /// This handle's identity in refresh leases, alive while it is.
    holder: Arc<Holder>,
}

impl Sqlite {
    /// Opens (creating, readable by its owner only) the database file and
    /// applies the SQLite migrations.
    pub async fn connect(url: &str, options: ConnectOptions<'_>) -> Result<(AnyPool, Self), StoreError> {
        let file = file_of(url);
        if let Some(file) = &file {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                private_dir(dir)?;
            }
            private_file(file)?;
        }
        let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
        let pool = AnyPoolOptions::new()
            .max_connections(options.pool_size.unwrap_or(DEFAULT_POOL_SIZE))
            .after_connect(|conn, _| Box::pin(async move { conn.execute(PRAGMAS).await.map(drop) }))
            .connect(&url)
            .await?;
        pool.execute("PRAGMA journal_mode = WAL").await?;
        super::repair::before_migrations(&pool).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await.map_err(|e| StoreError::from(sqlx::Error::from(e)))?;
        let holders_home = file.as_deref().and_then(Path::parent).filter(|d| !d.as_os_str().is_empty());
        let holder = Holder::register(holders_home.unwrap_or(options.data_dir))?;
        Ok((pool, Self { holder: Arc::new(holder) }))
    }

    /// Takes the lease row of a token unless a live holder has an
    /// unexpired one; a lease whose holder is gone is taken over at once.
    async fn take_lease(
        &self,
        pool: &AnyPool,
        token_id: &str,
        ttl_seconds: i64,
    ) -> Result<Option<RowLease>, StoreError> {
        let at = now();
        let holder = &self.holder.id;
        let taken = sqlx::query(
            "INSERT INTO refresh_leases (token_id, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE refresh_leases.expires_at < $4",
        )
        .bind(token_id)
        .bind(holder)
        .bind(at + ttl_seconds)
        .bind(at)
        .execute(pool)
        .await?
        .rows_affected()
            == 1;
        if !taken {
            let current: Option<String> = sqlx::query_scalar("SELECT holder FROM refresh_leases WHERE token_id = $1")
                .bind(token_id)
                .fetch_optional(pool)
                .await?;
            let Some(current) = current.filter(|other| !self.holder.is_alive(other)) else {
                return Ok(None);
            };
            let took_over = sqlx::query(
                "UPDATE refresh_leases SET holder = $1, expires_at = $2 WHERE token_id = $3 AND holder = $4",
            )
            .bind(holder)
            .bind(at + ttl_seconds)
            .bind(token_id)
            .bind(&current)
            .execute(pool)
            .await?
            .rows_affected()
                == 1;
            if !took_over {
                return Ok(None);
            }
            tracing::info!(token = %token_id, "took over the refresh lease of a flowauth process that is gone");
        }
        Ok(Some(RowLease {
            pool: pool.clone(),
            holder: self.holder.clone(),
            token_id: token_id.to_owned(),
            released: false,
        }))
    }

    /// Deletes lapsed leases and those of holders that are gone, and the
    /// files of holders that are gone.
    async fn sweep(&self, pool: &AnyPool) -> Result<(u64, usize), StoreError> {
        let mut leases = sqlx::query("DELETE FROM refresh_leases WHERE expires_at < $1")
            .bind(now())
            .execute(pool)
            .await?
            .rows_affected();
        let holders: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT holder FROM refresh_leases").fetch_all(pool).await?;
        for gone in holders.iter().filter(|h| !self.holder.is_alive(h)) {
            leases += sqlx::query("DELETE FROM refresh_leases WHERE holder = $1")
                .bind(gone)
                .execute(pool)
                .await?
                .rows_affected();
        }
        Ok((leases, self.holder.sweep_dead()))
    }
}

/// A lease row, deleted when given back or dropped.
#[derive(Debug)]
pub struct RowLease {
    pool: AnyPool,
    holder: Arc<Holder>,
    token_id: String,
    released: bool,
}

impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn begin_write<'a>(&'a self, pool: &'a AnyPool) -> Pending<'a, Transaction<'static, Any>> {
        Box::pin(async move { Ok(pool.begin_with(BEGIN_WRITE).await?) })
    }

    fn try_lease<'a>(&'a self, pool: &'a AnyPool, token_id: &'a str, ttl_seconds: i64) -> Pending<'a, Option<Lease>> {
        Box::pin(async move { Ok(self.take_lease(pool, token_id, ttl_seconds).await?.map(Lease::new)) })
    }

    fn sweep_leases<'a>(&'a self, pool: &'a AnyPool) -> Pending<'a, (u64, usize)> {
        Box::pin(self.sweep(pool))
    }

    /// None: other processes' changes show within the cache's own bound.
    fn changes(&self) -> Option<broadcast::Receiver<Change>> {
        None
    }

    fn schema_query(&self) -> &'static str {
        SCHEMA
    }
}

impl Held for RowLease {
    /// Deletes the row now.
    fn release(mut self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.released = true;
        Box::pin(async move { delete_lease(&self.pool, &self.holder.id, &self.token_id).await })
    }
}

impl Drop for RowLease {
    /// A lease dropped without [`RowLease::release`] is deleted in the background.
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let (pool, holder, token_id) = (self.pool.clone(), self.holder.clone(), std::mem::take(&mut self.token_id));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { delete_lease(&pool, &holder.id, &token_id).await });
        }
    }
}

async fn delete_lease(pool: &AnyPool, holder: &str, token_id: &str) {
    let deleted = sqlx::query("DELETE FROM refresh_leases WHERE token_id = $1 AND holder = $2")
        .bind(token_id)
        .bind(holder)
        .execute(pool)
        .await;
    if let Err(error) = deleted {
        tracing::warn!(token = %token_id, %error, "refresh lease not released; it lapses with its TTL");
    }
}

/// The database file, created (and kept) readable by its owner only
/// (0600); SQLite gives its `-wal` and `-shm` files the same mode.
fn private_file(file: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let cannot = |e: std::io::Error| StoreError::Key(format!("cannot create {}: {e}", file.display()));
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(file).map_err(cannot)?;
    for companion in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{companion}", file.display()));
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(cannot)?;
        }
    }
    Ok(())
}
