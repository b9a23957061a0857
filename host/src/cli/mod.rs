//! The commands of the `flowauth` binary. Admin commands work on the
//! database directly: the server need not run.

mod admin;
mod call;
mod components;
mod connectors;
mod kit;
mod new;
mod serve;
mod tokens;

use anyhow::Context;
use flowauth::runtime::{Runtime, RuntimeConfig};

pub use admin::{KeysCommand, OauthCommand, TenantCommand};
pub use call::CallArgs;
pub use components::ComponentCommand;
pub use connectors::ConnectorCommand;
pub use new::NewCommand;
pub use serve::ServeArgs;
pub use tokens::TokenCommand;

use crate::{Cli, Command};

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let mut config = runtime_config(&cli.data_dir, cli.allow_private_network);
            config.sandbox.max_instances = args.max_instances;
            config.sandbox.max_instances_per_tenant = args.max_calls_per_tenant;
            config.sandbox.slot_wait = std::time::Duration::from_secs(args.slot_wait_seconds);
            let runtime = Runtime::new(config).await.context("starting the component runtime")?;
            serve::serve(&cli.data_dir, runtime, args).await?
        }
        Command::Connectors { tenant } => {
            connectors::list(&cli.data_dir, runtime(&cli.data_dir, cli.allow_private_network).await?, tenant, cli.json)
                .await?
        }
        Command::Connector(command) => {
            connectors::add(&cli.data_dir, runtime(&cli.data_dir, cli.allow_private_network).await?, command, cli.json)
                .await?
        }
        Command::Inspect { file } => {
            connectors::inspect(&runtime(&cli.data_dir, cli.allow_private_network).await?, &file, cli.json).await?
        }
        Command::Tenant(command) => admin::tenant(&cli.data_dir, command, cli.json).await?,
        Command::Oauth(command) => {
            admin::oauth(&cli.data_dir, runtime(&cli.data_dir, cli.allow_private_network).await?, command, cli.json)
                .await?
        }
        Command::Component(command) => {
            components::run(&cli.data_dir, runtime(&cli.data_dir, cli.allow_private_network).await?, command, cli.json)
                .await?
        }
        Command::Token(command) => {
            tokens::run(&cli.data_dir, runtime(&cli.data_dir, cli.allow_private_network).await?, command, cli.json)
                .await?
        }
        Command::New(command) => new::run(command)?,
        Command::Call(args) => call::run(args, cli.allow_private_network).await?,
        Command::Keys(command) => admin::keys(&cli.data_dir, command, cli.json).await?,
    }
    Ok(())
}

/// The component runtime, with compiled code cached in the data directory.
async fn runtime(data_dir: &std::path::Path, allow_private_network: bool) -> anyhow::Result<Runtime> {
    Runtime::new(runtime_config(data_dir, allow_private_network)).await.context("starting the component runtime")
}

fn runtime_config(data_dir: &std::path::Path, allow_private_network: bool) -> RuntimeConfig {
    let mut config = RuntimeConfig { cache_dir: Some(data_dir.join("compiled")), ..RuntimeConfig::default() };
    config.outbound.allow_private_network = allow_private_network;
    config
}
