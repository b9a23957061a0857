//! `flowauth connectors`, `flowauth connector add` and `flowauth inspect`:
//! what the components serve.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use flowauth::runtime::{Component, Connector, Runtime};
use flowauth::tokens::TokenService;
use serde_json::json;

use super::context::{self, Context};
use super::output::line;

/// `flowauth connector ...`
#[derive(Subcommand)]
pub enum ConnectorCommand {
    /// Adds (or replaces) a connector from a ThingWorx config.json, served
    /// by the generic component; errors name the JSON path.
    Add {
        /// The config.json (e.g. from `flowauth new oauth`).
        file: PathBuf,
        /// The tenant that may use it.
        #[arg(long)]
        tenant: String,
    },
    /// Lists the connectors a tenant can use: the components' and its own.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Removes a tenant's own connector; refused while providers use it.
    Remove {
        /// The connector's name.
        name: String,
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
}

/// Every connector of the components, the installed ones included, and a
/// tenant's own when one is named.
pub async fn list(ctx: &Context, tenant: Option<String>, json: bool) -> anyhow::Result<()> {
    match tenant {
        None => {
            let runtime = ctx.runtime().await?;
            if ctx.store_exists() {
                let store = ctx.store().await?;
                TokenService::new(store, runtime.clone(), String::new()).load_components().await?;
            }
            print(&runtime.components(), json);
        }
        Some(name) => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &name).await?;
            let service = ctx.service(&store, None).await?;
            service.connectors(&tenant).await?.iter().for_each(|(component, k)| print_one(component, k, json));
        }
    }
    Ok(())
}

/// `flowauth connector ...`.
pub async fn run(ctx: &Context, command: ConnectorCommand, json: bool) -> anyhow::Result<()> {
    match command {
        ConnectorCommand::Add { file, tenant } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &tenant).await?;
            let service = ctx.service(&store, None).await?;
            let connector = service
                .add_connector(&tenant, &text)
                .await
                .with_context(|| format!("{} was not added", file.display()))?;
            print_one("generic", &connector, json);
        }
        ConnectorCommand::List { tenant } => list(ctx, Some(tenant), json).await?,
        ConnectorCommand::Remove { name, tenant } => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &tenant).await?;
            ctx.service(&store, None).await?.remove_connector(&tenant, &name).await?;
            match json {
                true => line(serde_json::json!({"removed": name})),
                false => line(format!("removed connector {name}")),
            }
        }
    }
    Ok(())
}

/// Installs a component file (checking its contract) and lists its
/// connectors, after a line saying which contract version it was built
/// against and whether it takes run-time definitions.
pub async fn inspect(runtime: &Runtime, file: &Path, json: bool) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("component");
    let component = runtime.install(name, &bytes, false).await?;
    let (contract, takes_definitions) = (component.contract_version(), component.takes_definitions());
    if json {
        line(json!({"component": name, "contract": contract, "takes_definitions": takes_definitions}));
    } else {
        let definitions =
            if takes_definitions { "takes run-time definitions" } else { "takes no run-time definitions" };
        line(format!("{name}: contract {contract}, {definitions}"));
    }
    print(&[component], json);
    Ok(())
}

fn print(components: &[std::sync::Arc<Component>], json: bool) {
    components.iter().for_each(|c| c.connectors.iter().for_each(|k| print_one(&c.name, k, json)));
}

fn print_one(component: &str, connector: &Connector, json: bool) {
    if json {
        line(flowauth::api::connector_json(component, connector));
    } else {
        let settings: Vec<_> =
            connector.settings.iter().map(|s| if s.required { format!("{}*", s.key) } else { s.key.clone() }).collect();
        // Wide enough for the longest built-in name and title (`google_translator`).
        line(format!("{:<18} {:<18} {:<11} {}", connector.name, connector.title, component, settings.join(" ")));
    }
}
