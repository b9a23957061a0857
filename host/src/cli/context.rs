//! What every command shares: where the store is, how to reach it, and
//! the component runtime. Only `serve` and `init` create a store; every
//! other command refuses to run where there is none, and each says on
//! stderr which store it used.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use flowauth::events::{DeliveryConfig, Events};
use flowauth::runtime::{Runtime, RuntimeConfig};
use flowauth::store::{Store, StoreConfig, Tenant};
use flowauth::tokens::TokenService;

/// The redirect URI auth links carry when neither `--public-url` nor a
/// running server said otherwise: that of `flowauth serve`'s default address.
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Opens the store `config` names; errors name the database without its password.
pub async fn open(config: &StoreConfig) -> anyhow::Result<Store> {
    Store::open(config).await.with_context(|| format!("opening the store at {}", config.display()))
}

/// The global options, resolved.
pub struct Context {
    /// The data directory (SQLite file, key file, compiled components).
    pub data_dir: PathBuf,
    /// A database URL instead of the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// The most database connections, when not the backend's default.
    pub database_pool_size: Option<u32>,
    /// Components may reach private addresses (development and tests).
    pub allow_private_network: bool,
    /// This command may create the store (`serve` and `init`).
    pub creates_store: bool,
}

impl Context {
    /// The store of the global options, or the one at `database_url`.
    pub fn store_config(&self, database_url: Option<&str>) -> StoreConfig {
        StoreConfig {
            database_url: database_url.map(str::to_owned).or_else(|| self.database_url.clone()),
            pool_size: self.database_pool_size,
            ..StoreConfig::in_dir(&self.data_dir)
        }
    }

    /// The store, after a line on stderr saying which it is. Only a
    /// command that [creates stores](Self::creates_store) makes one where
    /// there is none: any other, run in the wrong directory, says so and
    /// creates nothing.
    pub async fn store(&self) -> anyhow::Result<Store> {
        let config = self.store_config(None);
        if let Some(file) = config.missing_file().filter(|_| !self.creates_store) {
            bail!(
                "no flowauth store at {}: run the command where `flowauth serve` runs, or point it at that \
                 store with --data-dir DIR (or FLOWAUTH_DATA_DIR) or --database-url; `flowauth init` creates a new \
                 store here",
                absolute(&file).display()
            );
        }
        let store = open(&config).await?;
        eprintln!("{}", self.describe(&config, &store));
        Ok(store)
    }

    /// Which store a command uses, for people: the data directory for
    /// the SQLite file in it, else the database URL without its password.
    fn describe(&self, config: &StoreConfig, store: &Store) -> String {
        let data_dir = absolute(&self.data_dir);
        let kind = if store.backend_name() == "postgres" { "PostgreSQL" } else { "SQLite" };
        match &config.database_url {
            None => format!("using the store in {} ({kind})", data_dir.display()),
            Some(_) => {
                format!("using the store at {} ({kind}), data directory {}", config.display(), data_dir.display())
            }
        }
    }

    /// Whether the store exists (or is a database server's).
    pub fn store_exists(&self) -> bool {
        self.store_config(None).missing_file().is_none()
    }

    /// The component runtime, its compiled code cached in the data
    /// directory when that exists.
    pub async fn runtime(&self) -> anyhow::Result<Runtime> {
        Runtime::new(self.runtime_config()).await.context("starting the component runtime")
    }

    /// The runtime's settings from the global options.
    pub fn runtime_config(&self) -> RuntimeConfig {
        let cache_dir = self.data_dir.exists().then(|| self.data_dir.join("compiled"));
        let mut config = RuntimeConfig { cache_dir, ..RuntimeConfig::default() };
        config.outbound.allow_private_network = self.allow_private_network;
        config
    }

    /// Webhook events over `store`: what commands emit is queued there and
    /// sent by a running server.
    pub fn events(&self, store: &Store) -> Events {
        Events::new(
            store.clone(),
            DeliveryConfig { allow_private_network: self.allow_private_network, ..DeliveryConfig::default() },
        )
    }

    /// The token service over `store`, with the installed components
    /// loaded. Auth links carry `public_url`'s redirect URI, else the one
    /// the server recorded, else the default server's.
    pub async fn service(&self, store: &Store, public_url: Option<&str>) -> anyhow::Result<TokenService> {
        let recorded = match public_url {
            Some(_) => None,
            None => store.server_setting(PUBLIC_URL_SETTING).await?,
        };
        let public_url = public_url.or(recorded.as_deref()).unwrap_or(DEFAULT_PUBLIC_URL);
        let service = TokenService::new(store.clone(), self.runtime().await?, redirect_uri(public_url))
            .with_events(self.events(store));
        service.load_components().await?;
        Ok(service)
    }
}

/// Where `flowauth serve` records its public URL for the other commands.
pub const PUBLIC_URL_SETTING: &str = "public_url";

/// The callback URL of a server reached at `public_url`.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}/oauth/return", public_url.trim_end_matches('/'))
}

/// The tenant of this name, or an error that says how to create it.
pub async fn tenant(store: &Store, name: &str) -> anyhow::Result<Tenant> {
    store.tenant(name).await?.with_context(|| format!("no tenant {name:?}: create it with `flowauth tenant create`"))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
