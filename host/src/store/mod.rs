//! Persistence: tenants, providers, tokens, pending authorizations and
//! refresh leases, with every secret sealed ([`sealing`]). One file per
//! aggregate holds its SQL; [`backend`] holds what differs between SQLite
//! (the embedded default, in the data directory) and PostgreSQL (several
//! instances on one database). Nothing outside this module writes SQL or
//! names a backend.

mod api_keys;
mod backend;
mod bundles;
mod components;
mod connect_sessions;
mod connectors;
mod copy;
mod credentials;
mod leases;
mod pending;
mod provider_keys;
mod providers;
mod records;
mod sealing;
mod secret_expiry;
mod server;
mod sweep;
mod tenants;
mod tokens;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AnyPool;

pub use api_keys::{KeyOwner, key_hash};
pub use backend::sqlite::DATABASE_FILE;
use backend::{Backend, ConnectOptions};
pub use backend::{Change, Lease};
pub use bundles::{ImageConnector, ImagePin, ImageProvider, ImageToken, ImageWebhook, Imported, TenantImage};
pub use components::{ComponentPin, ComponentVersion};
pub use connect_sessions::{ConnectSession, NewConnectSession, SessionStatus, Visited};
pub use copy::Copied;
pub use credentials::{
    ALLOW_PASSWORD_SETTING, PasswordCredentials, SAVE_PASSWORD_SETTING, allows_password_grant, saves_passwords,
};
pub use provider_keys::{ActiveKey, KeyState, NewProviderKey, PublishedKey, SigningMaterial};
pub use records::*;
use sealing::Sealer;
pub use sealing::keys::{KEY_FILE, KeySource, MASTER_KEY_VARIABLE};
pub use sealing::ring::KeyRing;
pub use secret_expiry::{
    EXPIRES_AT_SETTING, SecretExpiry, WARN_DAYS, days_left, expires_at, format_expiry, parse_expiry, warning_due,
};
pub use sweep::Swept;
pub use tokens::{DueToken, Outcome, TokenFilter};
pub use webhooks::{
    AfterAttempt, Attempt, CircuitState, DeliveryRecord, DeliveryStatus, DueDelivery, EndpointHealth, EndpointReport,
    NewDelivery, Slots, Subscription, Webhook, now_ms,
};

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
    /// The database server could not be reached.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A stored value is not one flowauth writes (edited by hand, or
    /// written by a newer flowauth).
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database did not answer (it is down, restarting, out of
    /// connections, or unreachable): trying again later may succeed.
    pub fn is_unavailable(&self) -> bool {
        let Self::Database(error) = self else { return matches!(self, Self::Connect(_)) };
        match error.as_ref() {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => {
                true
            }
            // PostgreSQL: connection exceptions (08), shutdown or not yet
            // accepting connections (57P), connections not allowed (55000).
            sqlx::Error::Database(e) => {
                e.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P") || code == "55000")
            }
            _ => false,
        }
    }
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
    /// Another database: `sqlite://FILE` or `postgres://...`.
    pub database_url: Option<String>,
    /// Where the master keys come from.
    pub keys: KeySource,
    /// The most database connections; `None` for the backend's default.
    pub pool_size: Option<u32>,
}

impl StoreConfig {
    /// The embedded default in `data_dir`, keys from the environment or the key file.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self { data_dir: data_dir.to_owned(), database_url: None, keys: KeySource::from_env(data_dir), pool_size: None }
    }

    /// The database URL: the one given, else the SQLite file in the data directory.
    pub fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join(DATABASE_FILE).display()))
    }

    /// The database, for messages: its URL without a password.
    pub fn display(&self) -> String {
        backend::redact_url(&self.url())
    }

    /// The SQLite file the store would create, when it names one that
    /// does not exist yet (read-only commands refuse to create a store).
    pub fn missing_file(&self) -> Option<PathBuf> {
        backend::sqlite::file_of(&self.url()).filter(|file| !file.exists())
    }
}

/// The store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Arc<dyn Backend>,
    sealer: Sealer,
}

/// Creates a directory readable by its owner only (0700). An existing
/// one keeps its mode (see [`warn_if_open`]).
fn private_dir(dir: &Path) -> Result<(), StoreError> {
    crate::private::create_dir(dir).map_err(|e| StoreError::Key(format!("cannot create {}: {e}", dir.display())))
}

/// Warns when other users of the machine may enter the data directory,
/// which holds the master key and compiled code, and says how to close it.
fn warn_if_open(dir: &Path) {
    if let Some(mode) = crate::private::shared_bits(dir) {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        tracing::warn!(
            "the data directory {dir} (mode {mode:o}) is open to other users of this machine: \
             close it with `chmod 700 {dir}`",
            dir = dir.display()
        );
    }
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
    /// refuses to start when sealed data needs a key it does not have or
    /// the schema has a sealed column the sealing list lacks.
    pub async fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        let options = ConnectOptions { data_dir: &config.data_dir, pool_size: config.pool_size };
        let (pool, backend) = backend::connect(&config.url(), options).await?;
        // The key file's home; created only once the database answered.
        private_dir(&config.data_dir)?;
        warn_if_open(&config.data_dir);
        let store = Self { pool, backend, sealer: Sealer::load(&config.keys)? };
        store.check_sealed_columns().await?;
        store.check_keys().await?;
        Ok(store)
    }

    async fn check_keys(&self) -> Result<(), StoreError> {
        let used: Vec<String> =
            sqlx::query_scalar("SELECT id FROM seal_keys WHERE retired_at IS NULL").fetch_all(&self.pool).await?;
        let ring = self.sealer.ring();
        if let Some(missing) = used.iter().find(|id| !ring.has(id)) {
            return Err(StoreError::MissingKey(missing.clone()));
        }
        sqlx::query("INSERT INTO seal_keys (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(ring.active())
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Refuses a schema with a sealed column that rotation would skip.
    async fn check_sealed_columns(&self) -> Result<(), StoreError> {
        let unregistered = sealing::columns::unregistered(&backend::schema(self.backend.as_ref(), &self.pool).await?);
        if unregistered.is_empty() {
            return Ok(());
        }
        Err(StoreError::Corrupt(format!(
            "sealed columns {} are not in the list of sealed columns (store/sealing/columns.rs)",
            unregistered.join(", ")
        )))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The backend's name (`sqlite` or `postgres`), for messages.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Announcements of tokens changed by any instance, where the backend
    /// makes them (PostgreSQL); `None` on SQLite.
    pub fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        self.backend.changes()
    }

    /// A write transaction, opened the way the backend needs.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        self.backend.begin_write(&self.pool).await
    }
}

/// Plain data as the JSON text a column holds.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

/// A column's JSON text as plain data; text flowauth did not write is an error.
fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
