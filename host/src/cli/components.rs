//! `flowauth component ...`: third-party components, on the store directly
//! (a running server sees the change at its next call). Under `--json`
//! every answer is JSON (and `main` prints errors as JSON).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use flowauth::tokens::{ComponentView, InstallOptions, TokenService};
use serde_json::json;

use super::context::{self, Context};
use super::output::line;

/// `flowauth component ...`
#[derive(Subcommand)]
pub enum ComponentCommand {
    /// Verifies and installs a component (.wasm built for wasm32-wasip2),
    /// approving the hosts it declares (shown) plus `--allow-host`.
    Install {
        /// The component file.
        file: PathBuf,
        /// Its name; the file name without extension by default.
        #[arg(long)]
        name: Option<String>,
        /// Installs new bytes under an existing name as its new version
        /// (tenants keep their pinned digest until enabled again).
        #[arg(long)]
        upgrade: bool,
        /// Approves one more host (`host`, `*.domain`, `host:port`); repeatable.
        #[arg(long = "allow-host", value_name = "HOST")]
        allow_hosts: Vec<String>,
        /// Approves wildcards over a public suffix (`*.com`, `*.github.io`),
        /// which cover the sites of unrelated owners.
        #[arg(long)]
        allow_broad_hosts: bool,
    },
    /// Lists the components: built-in and installed, every version, and
    /// the digest each tenant runs.
    List,
    /// Removes a component and all its versions.
    Uninstall {
        /// The component's name.
        name: String,
        /// Uninstalls even while tenants enable it or tokens use it: those
        /// tokens become `failed` (code `component_uninstalled`).
        #[arg(long)]
        force: bool,
    },
    /// Lets a tenant use a component's connectors, pinned to one digest.
    Enable {
        /// The component's name.
        name: String,
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The version to pin (a digest or 8+ hex digits of one); the
        /// name's current version by default.
        #[arg(long)]
        digest: Option<String>,
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

/// Runs one command (a failure is printed by `main`, as JSON under `--json`).
pub async fn run(ctx: &Context, command: ComponentCommand, json: bool) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let service = TokenService::new(store.clone(), ctx.runtime().await?, String::new());
    match command {
        ComponentCommand::Install { file, name, upgrade, allow_hosts, allow_broad_hosts } => {
            let wasm = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name =
                name.unwrap_or_else(|| file.file_stem().and_then(|s| s.to_str()).unwrap_or("component").to_owned());
            let options = InstallOptions { upgrade, allow_hosts, allow_broad_hosts };
            let installed = service.install_component(&name, &wasm, &options).await?;
            if json {
                line(json!(installed));
            } else {
                let verb = match (&installed.upgraded_from, installed.unchanged) {
                    (_, true) => "already installed:",
                    (Some(_), _) => "upgraded",
                    (None, _) => "installed",
                };
                line(format!(
                    "{verb} {} {} serving {} (contract {}{})",
                    installed.name,
                    installed.digest,
                    installed.connectors.join(", "),
                    installed.contract,
                    if installed.takes_definitions { ", takes run-time definitions" } else { "" }
                ));
                line(format!("declared hosts: {}", list_or_none(&installed.declared_hosts)));
                line(format!("approved hosts: {}", list_or_none(&installed.approved_hosts)));
                if let Some(old) = &installed.upgraded_from {
                    line(format!(
                        "tenants keep running {} until enabled again: flowauth component enable {} --tenant T",
                        &old[..12],
                        installed.name
                    ));
                }
            }
        }
        ComponentCommand::List => print_list(&service.component_views().await?, json),
        ComponentCommand::Uninstall { name, force } => {
            let done = service.uninstall_component(&name, force).await?;
            if json {
                line(json!(done));
            } else {
                line(format!("uninstalled {name}"));
                if !done.failed_tokens.is_empty() {
                    line(format!("{} token(s) marked failed", done.failed_tokens.len()));
                }
            }
        }
        ComponentCommand::Enable { name, tenant, digest } => {
            let tenant = context::tenant(&store, &tenant).await?;
            let pinned = service.enable_component(&tenant, &name, digest.as_deref()).await?;
            if json {
                line(json!({"name": name, "tenant": tenant.name, "digest": pinned}));
            } else {
                line(format!("enabled {name} {pinned} for {}", tenant.name));
            }
        }
        ComponentCommand::Disable { name, tenant } => {
            let tenant = context::tenant(&store, &tenant).await?;
            service.disable_component(&tenant, &name).await?;
            if json {
                line(json!({"name": name, "tenant": tenant.name, "enabled": false}));
            } else {
                line(format!("disabled {name} for {}", tenant.name));
            }
        }
    }
    Ok(())
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "(none)".to_owned() } else { items.join(", ") }
}

/// The list's column saying whether a component takes run-time definitions.
fn definitions_column(takes: bool) -> &'static str {
    if takes { "definitions" } else { "-" }
}

fn print_list(views: &[ComponentView], json: bool) {
    if json {
        line(json!({"components": views}));
        return;
    }
    for view in views {
        let kind = if view.built_in { "built-in" } else { "installed" };
        line(format!(
            "{:<14} {:<9} {}  {:<6} {:<11} {}",
            view.name,
            kind,
            &view.digest[..12.min(view.digest.len())],
            view.contract,
            definitions_column(view.takes_definitions),
            view.connectors.join(" ")
        ));
        for version in view.versions.iter().filter(|v| !v.current) {
            line(format!(
                "{:<24} older    {}  {:<6} {}",
                "",
                &version.digest[..12],
                version.contract,
                definitions_column(version.takes_definitions)
            ));
        }
        for pin in &view.tenants {
            let note = if pin.newer_available { "  (a newer version is installed)" } else { "" };
            line(format!("{:<24} tenant {} runs {}{note}", "", pin.tenant, &pin.digest[..12]));
        }
    }
}
