//! Admin commands on the store: tenants, load files, master keys.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use flowauth::api::{TenantKeyView, TenantView, json as view_json};
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
    /// Gives a tenant a new API key and prints it (once); the old key stops
    /// working at once (within 10 s on a server on SQLite).
    RotateKey {
        /// The tenant.
        name: String,
    },
    /// Deletes a tenant with everything it owns: providers, connectors,
    /// tokens (not revoked at their providers), pending authorizations,
    /// webhook and deliveries, component enablements, connect sessions.
    Delete {
        /// The tenant.
        name: String,
        /// Confirms the deletion; without it nothing is deleted.
        #[arg(long)]
        yes: bool,
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
    /// old one once a pass 12 s later finds nothing left to reseal. Servers
    /// may keep running: they read the key file again when it changes
    /// (they must share it; see docs/SCALING.md).
    Rotate,
}

/// `flowauth store ...`
#[derive(Subcommand)]
pub enum StoreCommand {
    /// Copies every tenant, provider, token, component and webhook from
    /// one database into a new, empty one (secrets stay sealed with the
    /// same keys), then reads every token back on the target. Stop the
    /// servers on the source first.
    Copy {
        /// The database to copy from (default: the global --database-url,
        /// else the SQLite file in the data directory).
        #[arg(long)]
        from: Option<String>,
        /// The database to copy into, e.g. `postgres://flowauth@db/flowauth`.
        #[arg(long)]
        to: String,
    },
}

pub async fn tenant(ctx: &Context, command: TenantCommand, json: bool) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create { name } => {
            let store = ctx.store().await?;
            let tenant = store.create_tenant(&name).await?;
            let key = store.issue_tenant_key(&tenant.id).await?;
            match json {
                true => line(view_json(&TenantKeyView { name: tenant.name, api_key: key })),
                false => line(format!("created tenant {}; its API key (shown once): {key}", tenant.name)),
            }
        }
        TenantCommand::List => {
            for tenant in ctx.store().await?.tenants().await? {
                match json {
                    true => line(view_json(&TenantView { name: tenant.name })),
                    false => line(&tenant.name),
                }
            }
        }
        TenantCommand::RotateKey { name } => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &name).await?;
            let key = store.issue_tenant_key(&tenant.id).await?;
            match json {
                true => line(view_json(&TenantKeyView { name: tenant.name, api_key: key })),
                false => line(format!(
                    "new API key of tenant {} (shown once; the old one no longer works): {key}",
                    tenant.name
                )),
            }
        }
        TenantCommand::Delete { name, yes } => {
            if !yes {
                bail!(
                    "deleting tenant {name} deletes all it owns (providers, tokens, webhook, ...): pass --yes to confirm"
                );
            }
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &name).await?;
            store.delete_tenant(&tenant.id).await?;
            match json {
                true => line(json!({"deleted": tenant.name})),
                false => line(format!("deleted tenant {}", tenant.name)),
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
    let store = ctx.store().await?;
    let keys = KeySource::from_env(&ctx.data_dir);
    let ring = keys.add_key().with_context(|| format!("adding a key to {}", ctx.data_dir.join(KEY_FILE).display()))?;
    let active = ring.active().to_owned();
    let mut count = store.reseal(ring.clone()).await?;
    // A write that sealed with the old key just before the new one was
    // written (or that a pass left alone because it changed meanwhile)
    // commits after a pass: passes go on until one finds nothing left, and
    // only then is the old key retired.
    let mut settled = false;
    for _ in 0..ROTATION_PASSES {
        tokio::time::sleep(ROTATION_SETTLE).await;
        let resealed = store.reseal(ring.clone()).await?;
        count += resealed;
        if resealed == 0 {
            settled = true;
            break;
        }
    }
    if !settled {
        bail!(
            "active key {active}; {count} secrets resealed, but writes kept sealing with the old key:              the old key was not retired; run `flowauth keys rotate` again when the servers are quieter"
        );
    }
    let retired = keys.retire_inactive()?;
    match json {
        true => line(json!({"active": active, "resealed": count, "retired": retired})),
        false => line(format!("active key {active}; {count} secrets resealed; retired {}", retired.join(", "))),
    }
    Ok(())
}

/// How long a rotation waits before each further pass: longer than a write
/// can take between sealing a value and committing it (it may wait up to
/// 10 s for a database connection or SQLite's write lock).
const ROTATION_SETTLE: std::time::Duration = std::time::Duration::from_secs(12);
/// The most further passes before a rotation gives up retiring the old key.
const ROTATION_PASSES: usize = 5;

pub async fn store(ctx: &Context, command: StoreCommand, json: bool) -> anyhow::Result<()> {
    let StoreCommand::Copy { from, to } = command;
    let source_config = ctx.store_config(from.as_deref());
    if let Some(file) = source_config.missing_file() {
        bail!("no flowauth store at {}: name the source with --from", file.display());
    }
    let source = context::open(&source_config).await?;
    let target = context::open(&ctx.store_config(Some(&to))).await?;
    let copied = source
        .copy_into(&target)
        .await
        .with_context(|| format!("copying into {}", ctx.store_config(Some(&to)).display()))?;
    match json {
        true => line(json!({
            "rows": copied.rows.iter().map(|(table, n)| (table.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "tokens_verified": copied.tokens_verified,
        })),
        false => {
            for (table, n) in &copied.rows {
                line(format!("{table}: {n}"));
            }
            line(format!("{} tokens read back on the target with their secrets", copied.tokens_verified));
        }
    }
    Ok(())
}
