//! The commands of the `flowauth` binary. Admin commands work on the
//! database directly: the server need not run, and a running server sees
//! what they change.

mod admin;
mod bundles;
mod call;
mod components;
mod connectors;
mod context;
mod init;
mod kit;
mod new;
mod output;
mod provider_keys;
mod providers;
mod serve;
mod tokens;
mod webhooks;

pub use admin::{KeysCommand, OauthCommand, StoreCommand, TenantCommand};
pub use bundles::{ExportArgs, ImportArgs};
pub use call::CallArgs;
pub use components::ComponentCommand;
pub use connectors::ConnectorCommand;
pub use new::NewCommand;
pub use output::error as report;
pub use providers::ProviderCommand;
pub use serve::ServeArgs;
pub use tokens::TokenCommand;
pub use webhooks::WebhookCommand;

use context::Context;

use crate::{Cli, Command};

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context {
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        database_pool_size: cli.database_pool_size,
        allow_private_network: cli.allow_private_network,
        // Only these make a store where there is none: any other command
        // run in the wrong directory would start a second, empty one.
        creates_store: matches!(cli.command, Command::Serve(_) | Command::Init),
    };
    let json = cli.json;
    match cli.command {
        Command::Serve(args) => serve::run(&ctx, args).await?,
        Command::Init => init::run(&ctx, json).await?,
        Command::Connectors { tenant } => connectors::list(&ctx, tenant, json).await?,
        Command::Connector(command) => connectors::run(&ctx, command, json).await?,
        Command::Inspect { file } => connectors::inspect(&ctx.runtime().await?, &file, json).await?,
        Command::Tenant(command) => admin::tenant(&ctx, command, json).await?,
        Command::Oauth(command) => admin::oauth(&ctx, command, json).await?,
        Command::Provider(command) => providers::run(&ctx, command, json).await?,
        Command::Component(command) => components::run(&ctx, command, json).await?,
        Command::Token(command) => tokens::run(&ctx, command, json).await?,
        Command::New(command) => new::run(command)?,
        Command::Call(args) => call::run(args, ctx.allow_private_network).await?,
        Command::Keys(command) => admin::keys(&ctx, command, json).await?,
        Command::Store(command) => admin::store(&ctx, command, json).await?,
        Command::Webhook(command) => webhooks::run(&ctx, command, json).await?,
        Command::Export(args) => bundles::export(&ctx, args).await?,
        Command::Import(args) => bundles::import(&ctx, args, json).await?,
    }
    Ok(())
}
