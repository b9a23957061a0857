//! The `flowauth` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use flowauth::runtime::{Runtime, RuntimeConfig};

/// flowauth: the OAuth layer of a workflow engine. Connector families run
/// as sandboxed WebAssembly components.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where flowauth keeps its data (compiled-component cache, ...).
    #[arg(long, global = true, env = "FLOWAUTH_DATA_DIR", default_value = "flowauth-data")]
    data_dir: PathBuf,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists every connector of the installed components, with its settings.
    Connectors,
    /// Checks a component file and lists the connectors it serves.
    Inspect {
        /// A component built for wasm32-wasip2 (see docs/COMPONENTS.md).
        file: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    quiet_library_backtraces();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    tokio::runtime::Runtime::new()?.block_on(run(cli))
}

/// wasmtime captures a backtrace whenever an async `Store` is dropped if
/// `RUST_BACKTRACE` is set (several µs a call). Library backtraces are
/// turned off unless the operator asked for them explicitly; panics keep
/// theirs. Runs before any thread starts.
fn quiet_library_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: called first thing in `main`, while no other thread runs.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = RuntimeConfig { cache_dir: Some(cli.data_dir.join("compiled")), ..RuntimeConfig::default() };
    let runtime = Runtime::new(config).await.context("starting the component runtime")?;
    let components = match cli.command {
        Command::Connectors => runtime.components(),
        Command::Inspect { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("component");
            vec![runtime.install(name, &bytes, false).await?]
        }
    };
    for component in components {
        for connector in &component.connectors {
            if cli.json {
                let settings: Vec<_> = connector
                    .settings
                    .iter()
                    .map(|s| serde_json::json!({"key": s.key, "required": s.required, "secret": s.secret, "description": s.description}))
                    .collect();
                let line = serde_json::json!({
                    "component": component.name, "digest": component.digest, "connector": connector.name,
                    "title": connector.title, "hosts": connector.hosts, "settings": settings,
                });
                println!("{line}");
            } else {
                let settings: Vec<_> = connector
                    .settings
                    .iter()
                    .map(|s| if s.required { format!("{}*", s.key) } else { s.key.clone() })
                    .collect();
                println!(
                    "{:<12} {:<14} {:<10} {}",
                    connector.name,
                    connector.title,
                    component.name,
                    settings.join(" ")
                );
            }
        }
    }
    Ok(())
}
