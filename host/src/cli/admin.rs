//! Admin commands on the store: tenants, load files, master keys.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use flowauth::runtime::Runtime;
use flowauth::store::{KEY_FILE, LoadMode, Store, StoreConfig};
use flowauth::tokens::{LoadError, TokenService};

/// `flowauth tenant ...`
#[derive(Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant.
    Create {
        /// A unique name, e.g. `acme`.
        name: String,
    },
}

/// `flowauth oauth ...`
#[derive(Subcommand)]
pub enum OauthCommand {
    /// LoadOAuthConfiguration: loads a ThingWorx-format load file, e.g.
    /// {"google_gmail": {"Gmail": {"CLIENT_ID": "...", "CLIENT_SECRET": "..."}}}.
    /// The whole file loads, or nothing does.
    Load {
        /// The load file.
        file: PathBuf,
        /// The tenant the providers belong to.
        #[arg(long)]
        tenant: String,
        /// Change providers that tokens use in place (e.g. to rotate a
        /// client secret) instead of refusing the file.
        #[arg(long)]
        update: bool,
    },
}

/// `flowauth keys ...`
#[derive(Subcommand)]
pub enum KeysCommand {
    /// Adds a new master key, reseals every secret with it and retires the
    /// old one. Stop servers using this data directory first.
    Rotate,
}

async fn open(data_dir: &Path) -> anyhow::Result<Store> {
    Store::open(&StoreConfig::in_dir(data_dir))
        .await
        .with_context(|| format!("opening the store in {}", data_dir.display()))
}

pub async fn tenant(data_dir: &Path, command: TenantCommand, json: bool) -> anyhow::Result<()> {
    let TenantCommand::Create { name } = command;
    let store = open(data_dir).await?;
    let tenant = store.create_tenant(&name).await?;
    let key = store.issue_tenant_key(&tenant.id).await?;
    if json {
        println!("{}", serde_json::json!({"name": tenant.name, "api_key": key}));
    } else {
        println!("created tenant {}; its API key (shown once): {key}", tenant.name);
    }
    Ok(())
}

pub async fn oauth(data_dir: &Path, runtime: Runtime, command: OauthCommand, json: bool) -> anyhow::Result<()> {
    let OauthCommand::Load { file, tenant, update } = command;
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let store = open(data_dir).await?;
    let tenant = store
        .tenant(&tenant)
        .await?
        .with_context(|| format!("no tenant {tenant:?}: create it with `flowauth tenant create`"))?;
    // The redirect URI does not matter for loading.
    let service = TokenService::new(store, runtime, String::new());
    let mode = if update { LoadMode::Update } else { LoadMode::Replace };
    match service.load_configuration(&tenant, &text, mode).await {
        Ok(report) if json => println!("{}", serde_json::json!({"created": report.created, "updated": report.updated})),
        Ok(report) => {
            report.created.iter().for_each(|p| println!("created {p}"));
            report.updated.iter().for_each(|p| println!("updated {p}"));
        }
        Err(LoadError::Invalid(errors) | LoadError::Conflict(errors)) => {
            for error in &errors {
                eprintln!("{}: {}: {}", file.display(), error.path, error.message);
            }
            bail!("{} not loaded: {} error(s), nothing changed", file.display(), errors.len());
        }
        Err(LoadError::Failed(error)) => return Err(error.into()),
    }
    Ok(())
}

pub async fn keys(data_dir: &Path, command: KeysCommand, json: bool) -> anyhow::Result<()> {
    let KeysCommand::Rotate = command;
    let config = StoreConfig::in_dir(data_dir);
    let store = Store::open(&config).await?;
    let ring =
        config.keys.add_key().with_context(|| format!("adding a key to {}", data_dir.join(KEY_FILE).display()))?;
    let active = ring.active().to_owned();
    let (_, count) = store.reseal(ring).await?;
    let retired = config.keys.retire_inactive()?;
    if json {
        println!("{}", serde_json::json!({"active": active, "resealed": count, "retired": retired}));
    } else {
        println!("active key {active}; {count} secrets resealed; retired {}", retired.join(", "));
    }
    Ok(())
}
