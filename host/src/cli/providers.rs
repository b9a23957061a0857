//! `flowauth provider ...`: a tenant's OAuth clients, as load files made them.

use clap::Subcommand;
use flowauth::store::{days_left, format_expiry, now};
use serde_json::json;

use super::context::{self, Context};
use super::output::line;
use super::provider_keys::{self, KeyCommand};

/// `flowauth provider ...`
#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Lists a tenant's providers: which settings are set (never their
    /// values) and how many tokens use each.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Removes a provider; refused while tokens use it unless `--force`,
    /// which deletes those tokens too.
    Remove {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The connector, e.g. `salesforce`.
        connector: String,
        /// The provider's display name.
        display_name: String,
        /// Delete the tokens that use it as well.
        #[arg(long)]
        force: bool,
    },
    /// A provider's key for private_key_jwt (RFC 7523 client assertions):
    /// set, show, rotate, remove. See docs/KEYS.md.
    #[command(subcommand)]
    Key(KeyCommand),
}

pub async fn run(ctx: &Context, command: ProviderCommand, json: bool) -> anyhow::Result<()> {
    match command {
        ProviderCommand::Key(command) => provider_keys::run(ctx, command, json).await?,
        ProviderCommand::List { tenant } => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &tenant).await?;
            for p in store.providers(&tenant.id).await? {
                let expires_at = p.client_secret_expires_at.map(format_expiry);
                let left = p.client_secret_expires_at.map(|at| days_left(at, now()));
                match json {
                    true => line(json!({"connector": p.connector, "display_name": p.display_name,
                                        "settings": p.setting_keys, "tokens": p.tokens,
                                        "client_secret_expires_at": expires_at, "client_secret_days_left": left})),
                    false => line(format!(
                        "{:<14} {:<20} {} token(s)  {}{}",
                        p.connector,
                        p.display_name,
                        p.tokens,
                        p.setting_keys.join(" "),
                        expires_at
                            .map(|at| format!("  client secret expires {at} ({} days left)", left.unwrap_or(0)))
                            .unwrap_or_default()
                    )),
                }
            }
        }
        ProviderCommand::Remove { tenant, connector, display_name, force } => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &tenant).await?;
            if let Err(tokens) = store.delete_provider(&tenant.id, &connector, &display_name, force).await? {
                anyhow::bail!(
                    "tokens use provider {connector}/{display_name} ({}): delete them first or pass --force",
                    tokens.join(", ")
                );
            }
            match json {
                true => line(json!({"removed": format!("{connector}/{display_name}")})),
                false => line(format!("removed {connector}/{display_name}")),
            }
        }
    }
    Ok(())
}
