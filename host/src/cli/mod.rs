//! The commands of the `flowauth` binary. Admin commands work on the
//! database directly: the server need not run.

mod admin;
mod components;
mod connectors;
mod new;
mod serve;

use anyhow::Context;
use flowauth::runtime::{Runtime, RuntimeConfig};

pub use admin::{KeysCommand, OauthCommand, TenantCommand};
pub use components::ComponentCommand;
pub use connectors::ConnectorCommand;
pub use new::NewCommand;
pub use serve::ServeArgs;

use crate::{Cli, Command};

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::serve(&cli.data_dir, args).await?,
        Command::Connectors { tenant } => {
            connectors::list(&cli.data_dir, runtime(&cli.data_dir).await?, tenant, cli.json).await?
        }
        Command::Connector(command) => {
            connectors::add(&cli.data_dir, runtime(&cli.data_dir).await?, command, cli.json).await?
        }
        Command::Inspect { file } => connectors::inspect(&runtime(&cli.data_dir).await?, &file, cli.json).await?,
        Command::Tenant(command) => admin::tenant(&cli.data_dir, command, cli.json).await?,
        Command::Oauth(command) => {
            admin::oauth(&cli.data_dir, runtime(&cli.data_dir).await?, command, cli.json).await?
        }
        Command::Component(command) => {
            components::run(&cli.data_dir, runtime(&cli.data_dir).await?, command, cli.json).await?
        }
        Command::New(command) => new::run(command)?,
        Command::Keys(command) => admin::keys(&cli.data_dir, command, cli.json).await?,
    }
    Ok(())
}

/// The component runtime, with compiled code cached in the data directory.
async fn runtime(data_dir: &std::path::Path) -> anyhow::Result<Runtime> {
    let config = RuntimeConfig { cache_dir: Some(data_dir.join("compiled")), ..RuntimeConfig::default() };
    Runtime::new(config).await.context("starting the component runtime")
}
