//! `flowauth connectors`, `flowauth connector add` and `flowauth inspect`:
//! what the components serve.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use flowauth::runtime::{Component, Connector, Runtime};
use flowauth::store::{Store, StoreConfig, Tenant};
use flowauth::tokens::TokenService;

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
}

async fn service(data_dir: &Path, runtime: Runtime, tenant: &str) -> anyhow::Result<(TokenService, Tenant)> {
    let store = Store::open(&StoreConfig::in_dir(data_dir)).await?;
    let tenant = store
        .tenant(tenant)
        .await?
        .with_context(|| format!("no tenant {tenant:?}: create it with `flowauth tenant create`"))?;
    Ok((TokenService::new(store, runtime, String::new()), tenant))
}

/// Every connector of the installed components, and a tenant's own.
pub async fn list(data_dir: &Path, runtime: Runtime, tenant: Option<String>, json: bool) -> anyhow::Result<()> {
    let store = Store::open(&StoreConfig::in_dir(data_dir)).await?;
    let service = TokenService::new(store.clone(), runtime.clone(), String::new());
    service.load_components().await?;
    match tenant {
        None => print(&runtime.components(), json),
        Some(name) => {
            let tenant = store.tenant(&name).await?.with_context(|| format!("no tenant {name:?}"))?;
            service.connectors(&tenant).await?.iter().for_each(|(component, k)| print_one(component, k, json));
        }
    }
    Ok(())
}

/// `flowauth connector add`.
pub async fn add(data_dir: &Path, runtime: Runtime, command: ConnectorCommand, json: bool) -> anyhow::Result<()> {
    let ConnectorCommand::Add { file, tenant } = command;
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let (service, tenant) = service(data_dir, runtime, &tenant).await?;
    let connector =
        service.add_connector(&tenant, &text).await.with_context(|| format!("{} was not added", file.display()))?;
    print_one("generic", &connector, json);
    Ok(())
}

/// Installs a component file (checking its contract) and lists its connectors.
pub async fn inspect(runtime: &Runtime, file: &Path, json: bool) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("component");
    print(&[runtime.install(name, &bytes, false).await?], json);
    Ok(())
}

fn print(components: &[std::sync::Arc<Component>], json: bool) {
    components.iter().for_each(|c| c.connectors.iter().for_each(|k| print_one(&c.name, k, json)));
}

fn print_one(component: &str, connector: &Connector, json: bool) {
    if json {
        println!("{}", flowauth::api::connector_json(component, connector));
    } else {
        let settings: Vec<_> =
            connector.settings.iter().map(|s| if s.required { format!("{}*", s.key) } else { s.key.clone() }).collect();
        // Wide enough for the longest built-in name and title (`google_translator`).
        println!("{:<18} {:<18} {:<11} {}", connector.name, connector.title, component, settings.join(" "));
    }
}
