//! `flowauth component ...`: third-party components.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use flowauth::runtime::Runtime;
use flowauth::store::{Store, StoreConfig};
use flowauth::tokens::TokenService;

/// `flowauth component ...`
#[derive(Subcommand)]
pub enum ComponentCommand {
    /// Verifies and installs a component (.wasm built for wasm32-wasip2).
    Install {
        /// The component file.
        file: PathBuf,
        /// Its name; the file name without extension by default.
        #[arg(long)]
        name: Option<String>,
    },
    /// Lists the components: built-in and installed.
    List,
    /// Lets a tenant use a component's connectors.
    Enable {
        /// The component's name.
        name: String,
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Stops a tenant from using a component's connectors.
    Disable {
        /// The component's name.
        name: String,
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
}

pub async fn run(data_dir: &Path, runtime: Runtime, command: ComponentCommand, json: bool) -> anyhow::Result<()> {
    let store = Store::open(&StoreConfig::in_dir(data_dir)).await?;
    let service = TokenService::new(store.clone(), runtime.clone(), String::new());
    service.load_components().await?;
    match command {
        ComponentCommand::Install { file, name } => {
            let wasm = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name =
                name.unwrap_or_else(|| file.file_stem().and_then(|s| s.to_str()).unwrap_or("component").to_owned());
            let component = service.install_component(&name, &wasm).await?;
            let connectors: Vec<_> = component.connectors.iter().map(|c| c.name.clone()).collect();
            if json {
                println!(
                    "{}",
                    serde_json::json!({"name": component.name, "digest": component.digest, "connectors": connectors})
                );
            } else {
                println!(
                    "installed {} ({}) serving {}",
                    component.name,
                    &component.digest[..12],
                    connectors.join(", ")
                );
            }
        }
        ComponentCommand::List => {
            for c in runtime.components() {
                let connectors: Vec<_> = c.connectors.iter().map(|k| k.name.clone()).collect();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"name": c.name, "digest": c.digest, "built_in": c.built_in, "connectors": connectors})
                    );
                } else {
                    let kind = if c.built_in { "built-in" } else { "installed" };
                    println!("{:<14} {:<9} {}  {}", c.name, kind, &c.digest[..12], connectors.join(" "));
                }
            }
        }
        ComponentCommand::Enable { name, tenant } => set(&store, &name, &tenant, true).await?,
        ComponentCommand::Disable { name, tenant } => set(&store, &name, &tenant, false).await?,
    }
    Ok(())
}

async fn set(store: &Store, name: &str, tenant: &str, enabled: bool) -> anyhow::Result<()> {
    let tenant = store.tenant(tenant).await?.with_context(|| format!("no tenant {tenant:?}"))?;
    store.set_component_enabled(&tenant.id, name, enabled).await?;
    println!("{} {name} for {}", if enabled { "enabled" } else { "disabled" }, tenant.name);
    Ok(())
}
