//! Persistence: tenants, providers, tokens, pending authorizations and
//! refresh leases, with every secret sealed ([`seal`]). SQLite in the data
//! directory is the embedded default; the SQL is kept portable so a
//! PostgreSQL backend can follow behind the same methods. Nothing outside
//! this module writes SQL.

mod api_keys;
mod components;
mod holder;
mod keys;
mod leases;
mod records;
mod seal;
mod sweep;
mod tenants;
mod webhooks;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use api_keys::{KeyOwner, key_hash};
pub use components::{ComponentPin, ComponentVersion};
pub use keys::{KEY_FILE, KeySource, MASTER_KEY_VARIABLE};
pub use leases::Lease;
pub use records::*;
pub use seal::KeyRing;
use seal::Place;
pub use sweep::Swept;
pub use tokens::{Outcome, TokenFilter};
pub use webhooks::{
    AfterAttempt, Attempt, DeliveryRecord, DeliveryStatus, DueDelivery, NewDelivery, Subscription, Webhook, now_ms,
};

/// The database file's name in the data directory.
pub const DATABASE_FILE: &str = "flowauth.db";

/// What went wrong in the store. Cheap to clone, so that one failure can
/// reach every caller waiting on the same refresh.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, migrated or queried.
    #[error("database: {0}")]
    Database(Arc<sqlx::Error>),
    /// A master key could not be read or written.
    #[error("master key: {0}")]
    Key(String),
    /// Data is sealed with a key this process does not have.
    #[error(
        "the database holds data sealed with key {0}, which this flowauth does not have: \
         set FLOWAUTH_MASTER_KEY to that key or restore the key file (flowauth-data/master.key) that created it"
    )]
    MissingKey(String),
    /// A sealed value does not open (tampered with, or moved to another row).
    #[error("sealed data is damaged: {0}")]
    Sealed(String),
    /// No such row.
    #[error("{0} not found")]
    NotFound(String),
    /// A row with this name exists already.
    #[error("{0} exists already")]
    Exists(String),
    /// A value the store refuses to keep (a malformed name).
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}

/// Where the store lives and how its keys are found.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Holds the SQLite file and the key file.
    pub data_dir: PathBuf,
    /// Overrides the SQLite file (`sqlite://...`).
    pub database_url: Option<String>,
    /// Where the master keys come from.
    pub keys: KeySource,
}

impl StoreConfig {
    /// The embedded default in `data_dir`, keys from the environment or the key file.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self { data_dir: data_dir.to_owned(), database_url: None, keys: KeySource::from_env(data_dir) }
    }
}

/// The store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    ring: KeyRing,
    /// This handle's identity in refresh leases, alive while it is.
    holder: Arc<holder::Holder>,
}

/// The file of a `sqlite://` URL, when it names one.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Creates the data directory readable by its owner only (0700). An
/// existing one is left as the operator made it.
fn private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError::Key(format!("cannot create {}: {e}", dir.display())))
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

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// A random identifier: 128 bits, hex.
pub fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Store {
    /// Opens (creating if needed) the database, applies migrations, and
    /// refuses to start when sealed data needs a key it does not have.
    pub async fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        private_dir(&config.data_dir)?;
        let file = config.data_dir.join(DATABASE_FILE);
        if config.database_url.is_none() {
            private_file(&file)?;
        }
        let url = config.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", file.display()));
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await.map_err(|e| StoreError::from(sqlx::Error::from(e)))?;
        let ring = config.keys.load()?;
        let database_dir = sqlite_file(&url).and_then(|f| f.parent().map(Path::to_owned));
        let holder = Arc::new(holder::Holder::register(database_dir.as_deref().unwrap_or(&config.data_dir))?);
        let store = Self { pool, ring, holder };
        store.check_keys().await?;
        Ok(store)
    }

    async fn check_keys(&self) -> Result<(), StoreError> {
        let used: Vec<String> =
            sqlx::query_scalar("SELECT id FROM seal_keys WHERE retired_at IS NULL").fetch_all(&self.pool).await?;
        if let Some(missing) = used.iter().find(|id| !self.ring.has(id)) {
            return Err(StoreError::MissingKey(missing.clone()));
        }
        sqlx::query("INSERT INTO seal_keys (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")
            .bind(self.ring.active())
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A write transaction that takes SQLite's write lock at once, so a
    /// transaction that reads then writes never fails half-way with
    /// "database is locked" (it waits its turn under the busy timeout).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    fn seal(&self, tenant: &str, table: &str, row: &str, column: &str, plaintext: &[u8]) -> Vec<u8> {
        self.ring.seal(Place { tenant, table, row, column }, plaintext)
    }

    fn open_text(
        &self,
        tenant: &str,
        table: &str,
        row: &str,
        column: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError> {
        self.ring.open_text(Place { tenant, table, row, column }, sealed)
    }

    fn open_optional(
        &self,
        tenant: &str,
        table: &str,
        row: &str,
        column: &str,
        sealed: Option<Vec<u8>>,
    ) -> Result<Option<String>, StoreError> {
        sealed.map(|s| self.open_text(tenant, table, row, column, &s)).transpose()
    }
}

/// Plain data as the JSON text a column holds.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

fn from_json<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

mod pending;
mod queries;
mod rotate;
mod server;
mod tokens;
