//! The commands of the `flowauth` binary. Admin commands work on the
//! database directly: the server need not run.

mod admin;
mod components;
mod connectors;
mod new;
mod serve;
mod tokens;

use anyhow::Context;
use flowauth::runtime::{Runtime, RuntimeConfig};

pub use admin::{KeysCommand, OauthCommand, TenantCommand};
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
            serve::serve(&cli.data_dir, runtime(&cli.data_dir, cli.allow_private_network).await?, args).await?
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
        Command::Keys(command) => admin::keys(&cli.data_dir, command, cli.json).await?,
    }
    Ok(())
}

/// The component runtime, with compiled code cached in the data directory.
async fn runtime(data_dir: &std::path::Path, allow_private_network: bool) -> anyhow::Result<Runtime> {
    let mut config = RuntimeConfig { cache_dir: Some(data_dir.join("compiled")), ..RuntimeConfig::default() };
    config.outbound.allow_private_network = allow_private_network;
    Runtime::new(config).await.context("starting the component runtime")
}
