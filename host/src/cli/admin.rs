//! Admin commands on the store: tenants, load files, master keys.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use flowauth::store::{KEY_FILE, KeySource, LoadMode};
use flowauth::tokens::LoadError;
use serde_json::json;

use super::context::{self, Context};
use super::output::{Reported, line};

/// `flowauth tenant ...`
#[derive(Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant and prints its API key (once).
    Create {
        /// A unique name, e.g. `acme`: 1 to 63 letters, digits, '.', '_'
        /// and '-'; `acme` and `ACME` are the same tenant.
        name: String,
    },
    /// Lists the tenants.
    List,
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
        /// Change providers in place, tokens and all (e.g. to rotate a client
        /// secret): the keys given replace or add to the stored ones, the
        /// others stay. Without it, an entry replaces the provider's
        /// settings, and changing a provider that tokens use refuses the file.
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

pub async fn tenant(ctx: &Context, command: TenantCommand, json: bool) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create { name } => {
            let store = ctx.store().await?;
            let tenant = store.create_tenant(&name).await?;
            let key = store.issue_tenant_key(&tenant.id).await?;
            match json {
                true => line(json!({"name": tenant.name, "api_key": key})),
                false => line(format!("created tenant {}; its API key (shown once): {key}", tenant.name)),
            }
        }
        TenantCommand::List => {
            for tenant in ctx.existing_store().await?.tenants().await? {
                match json {
                    true => line(json!({"name": tenant.name})),
                    false => line(&tenant.name),
                }
            }
        }
    }
    Ok(())
}

pub async fn oauth(ctx: &Context, command: OauthCommand, json: bool) -> anyhow::Result<()> {
    let OauthCommand::Load { file, tenant, update } = command;
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let store = ctx.store().await?;
    let tenant = context::tenant(&store, &tenant).await?;
    let service = ctx.service(&store, None).await?;
    let mode = if update { LoadMode::Update } else { LoadMode::Replace };
    match service.load_configuration(&tenant, &text, mode).await {
        Ok(report) if json => {
            line(json!({"created": report.created, "updated": report.updated, "unchanged": report.unchanged}))
        }
        Ok(report) => {
            report.created.iter().for_each(|p| line(format!("created {p}")));
            report.updated.iter().for_each(|p| line(format!("updated {p}")));
            report.unchanged.iter().for_each(|p| line(format!("unchanged {p}")));
        }
        Err(LoadError::Invalid(errors) | LoadError::Conflict(errors)) if json => {
            let listed: Vec<_> = errors.iter().map(|e| json!({"path": e.path, "message": e.message})).collect();
            let message = format!("{} not loaded: {} problem(s), nothing changed", file.display(), errors.len());
            line(json!({"error": {"code": "invalid_load_file", "message": message}, "errors": listed}));
            return Err(Reported(message).into());
        }
        Err(LoadError::Invalid(errors) | LoadError::Conflict(errors)) => {
            for error in &errors {
                eprintln!("{}: {}: {}", file.display(), error.path, error.message);
            }
            bail!("{} not loaded: {} problem(s), nothing changed", file.display(), errors.len());
        }
        Err(LoadError::Failed(error)) => return Err(error.into()),
    }
    Ok(())
}

pub async fn keys(ctx: &Context, command: KeysCommand, json: bool) -> anyhow::Result<()> {
    let KeysCommand::Rotate = command;
    let store = ctx.existing_store().await?;
    let keys = KeySource::from_env(&ctx.data_dir);
    let ring = keys.add_key().with_context(|| format!("adding a key to {}", ctx.data_dir.join(KEY_FILE).display()))?;
    let active = ring.active().to_owned();
    let (_, count) = store.reseal(ring).await?;
    let retired = keys.retire_inactive()?;
    match json {
        true => line(json!({"active": active, "resealed": count, "retired": retired})),
        false => line(format!("active key {active}; {count} secrets resealed; retired {}", retired.join(", "))),
    }
    Ok(())
}
