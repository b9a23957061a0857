//! The `flowauth` command line.

mod cli;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// flowauth: the OAuth layer of a workflow engine. Connector families run
/// as sandboxed WebAssembly components.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where flowauth keeps its data: the SQLite database, the master key
    /// file and the compiled-component cache. Every command of one
    /// deployment must use the same one.
    #[arg(long, global = true, env = "FLOWAUTH_DATA_DIR", default_value = "flowauth-data")]
    data_dir: PathBuf,
    /// A database URL instead of flowauth.db in the data directory:
    /// `sqlite://FILE`, or `postgres://USER:PASSWORD@HOST/DATABASE` for
    /// several instances on one database (docs/SCALING.md). The key file
    /// and the cache stay in the data directory.
    #[arg(long, global = true, env = "FLOWAUTH_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The most connections to the database (default: 8 for SQLite, 16
    /// for PostgreSQL). On PostgreSQL refresh leases have a second pool of
    /// this size, so refreshes never take the connections queries need.
    #[arg(long, global = true, env = "FLOWAUTH_DATABASE_POOL_SIZE", value_parser = clap::value_parser!(u32).range(1..))]
    database_pool_size: Option<u32>,
    /// Lets components reach loopback and private addresses, over plain
    /// http too (development and tests only).
    #[arg(long, global = true, env = "FLOWAUTH_ALLOW_PRIVATE_NETWORK")]
    allow_private_network: bool,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the HTTP API (on the SQLite file in the data directory, or the
    /// database of --database-url).
    Serve(cli::ServeArgs),
    /// Creates the store (the data directory, its database and master key,
    /// or the schema in --database-url's database) without serving. Only
    /// `serve` and `init` create a store: every other command needs one.
    Init,
    /// Manages tenants.
    #[command(subcommand)]
    Tenant(cli::TenantCommand),
    /// Loads OAuth configurations (ThingWorx load files).
    #[command(subcommand)]
    Oauth(cli::OauthCommand),
    /// Installs third-party components and enables them per tenant.
    #[command(subcommand)]
    Component(cli::ComponentCommand),
    /// The flow steps, for scripts: start, get, show, refresh, reset, retry,
    /// validate, rename, list, delete.
    #[command(subcommand)]
    Token(cli::TokenCommand),
    /// Lists and removes a tenant's providers (loaded with `oauth load`) and
    /// manages their keys for private_key_jwt.
    #[command(subcommand)]
    Provider(cli::ProviderCommand),
    /// Scaffolds a connector config.json or a component crate.
    #[command(subcommand)]
    New(cli::NewCommand),
    /// Manages the master keys that seal secrets at rest.
    #[command(subcommand)]
    Keys(cli::KeysCommand),
    /// Moves a whole store to another database (SQLite to PostgreSQL).
    #[command(subcommand)]
    Store(cli::StoreCommand),
    /// Configures a tenant's signed webhook and shows its delivery log.
    #[command(subcommand)]
    Webhook(cli::WebhookCommand),
    /// Lists every connector of the installed components, with its settings.
    Connectors {
        /// Include this tenant's own connectors (added with `connector add`).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Writes a tenant (providers with their secrets, its own connectors,
    /// component pins, webhook, connect settings, and with --with-tokens
    /// its tokens) to stdout as a bundle sealed with a passphrase, for
    /// `flowauth import` on another instance (docs/BUNDLES.md).
    Export(cli::ExportArgs),
    /// Applies a bundle from `flowauth export` in one transaction: all of
    /// it or nothing; importing it again changes nothing. Creates the
    /// tenant (printing its new API key once) when there is none.
    Import(cli::ImportArgs),
    /// Manages a tenant's own connectors (ThingWorx config.json files).
    #[command(subcommand)]
    Connector(cli::ConnectorCommand),
    /// Runs one export of a component file against your own provider,
    /// without a server: build-auth-url, exchange-code, refresh, ...
    Call(cli::CallArgs),
    /// Checks a component file and lists the connectors it serves.
    Inspect {
        /// A component built for wasm32-wasip2 (see docs/COMPONENTS.md).
        file: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    quiet_library_backtraces();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let json = cli.json;
    let outcome = tokio::runtime::Runtime::new().map_err(anyhow::Error::from).and_then(|rt| rt.block_on(cli::run(cli)));
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            cli::report(&error, json);
            std::process::ExitCode::FAILURE
        }
    }
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
