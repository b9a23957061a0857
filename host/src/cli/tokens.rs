//! `flowauth token ...`: the flow steps and token actions of the API, for
//! scripts. They act on the store directly; the callback of an
//! authorization still needs the server. A token is named by its id or
//! its name.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use flowauth::api::{access_view, json as view_json, started_view, token_view};
use flowauth::store::{PasswordCredentials, TokenFilter, TokenRecord, TokenStatus};
use flowauth::tokens::{AccessToken, Flow, Revocation, StartRequest, Started, TokenService};
use serde_json::json;

use super::context::{self, Context};
use super::output::{Reported, line};

/// `flowauth token ...`
#[derive(Subcommand)]
pub enum TokenCommand {
    /// StartTokenRequestAndGetAuthLink: prints the auth link, or the
    /// token's status. Fails (exit 1) when the provider refused.
    Start(StartArgs),
    /// Prints a fresh access token (refreshed first when it is due).
    Get {
        #[command(flatten)]
        token: TokenRef,
        #[command(flatten)]
        which: Which,
    },
    /// Shows a token: status, connector, provider, expiry, error; never secrets.
    Show(TokenRef),
    /// RefreshAccessToken: a new access token now.
    Refresh {
        #[command(flatten)]
        token: TokenRef,
        #[command(flatten)]
        which: Which,
    },
    /// ResetClientCredentialsToken: revokes and requests anew.
    Reset {
        #[command(flatten)]
        token: TokenRef,
        /// What to ask for; the old scopes when none are given.
        #[command(flatten)]
        asked: Asked,
    },
    /// A new auth link for a token that failed or needs re-authorization;
    /// with --username (and the password), a password token requested anew.
    Retry {
        #[command(flatten)]
        token: TokenRef,
        /// Re-authorize an active token; it keeps serving until the new
        /// authorization completes.
        #[arg(long, conflicts_with = "username")]
        force: bool,
        /// A password token's user, requested anew with her current
        /// password (saved where the provider says SAVE_PASSWORD_CREDENTIALS=true).
        #[arg(long, requires = "password")]
        username: Option<String>,
        /// Her current password. Prefer FLOWAUTH_PASSWORD to keep it out of
        /// the process list.
        #[arg(long, env = "FLOWAUTH_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The server's public URL, when it differs from the one the
        /// running server recorded.
        #[arg(long, env = "FLOWAUTH_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Asks the provider whether the token is still good.
    Validate(TokenRef),
    /// Renames a token.
    Rename {
        #[command(flatten)]
        token: TokenRef,
        /// The new name, unique within the tenant.
        new_name: String,
    },
    /// Lists a tenant's tokens, newest first (never their secrets).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Only tokens in this status: pending, active, needs_reauth, failed.
        #[arg(long)]
        status: Option<String>,
        /// Only tokens of this connector.
        #[arg(long)]
        connector: Option<String>,
        /// Only tokens of providers of this display name.
        #[arg(long)]
        provider: Option<String>,
        /// Only tokens whose name starts with this (case-sensitive).
        #[arg(long)]
        name_prefix: Option<String>,
        /// At most this many (with the cursor of the next page under --json).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
        /// The cursor a previous page gave.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Deletes a token, revoking it at the provider first where the
    /// connector offers revocation. When the provider cannot be reached or
    /// refuses, the token is kept and the command fails (exit 1).
    Delete {
        #[command(flatten)]
        token: TokenRef,
        /// Delete without revoking at the provider (the grant lives on
        /// there until it expires or the user ends it).
        #[arg(long)]
        no_revoke: bool,
    },
}

/// A tenant's token, by id or name.
#[derive(Args)]
pub struct TokenRef {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// The token's id or name.
    token: String,
}

/// Which token of the grant to print.
#[derive(Args)]
pub struct Which {
    /// A further token of the grant: `user` for Slack's user token (the
    /// API's `which`); the main (bot) token without it.
    #[arg(long)]
    which: Option<String>,
}

/// `flowauth token start`.
#[derive(Args)]
pub struct StartArgs {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// A name for people, unique within the tenant, e.g. `sales-bot`.
    #[arg(long)]
    name: String,
    /// The connector, e.g. `devtools`.
    #[arg(long)]
    connector: String,
    /// The provider's display name, e.g. `HTTP`.
    #[arg(long)]
    provider: String,
    /// authorization_code, client_credentials or password.
    #[arg(long, default_value = "authorization_code")]
    flow: String,
    #[command(flatten)]
    asked: Asked,
    /// The user, for the password grant.
    #[arg(long)]
    username: Option<String>,
    /// The password, for the password grant: kept (sealed) to renew the
    /// token only where the provider says SAVE_PASSWORD_CREDENTIALS=true.
    /// Prefer FLOWAUTH_PASSWORD to keep it out of the process list.
    #[arg(long, env = "FLOWAUTH_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// This token's own client id instead of the provider's (the API's
    /// `consumer_key`, with `use_default_keys` false).
    #[arg(long)]
    consumer_key: Option<String>,
    /// That client's secret (the API's `secret_key`). Prefer
    /// FLOWAUTH_SECRET_KEY to keep it out of the process list.
    #[arg(long, env = "FLOWAUTH_SECRET_KEY", hide_env_values = true, requires = "consumer_key")]
    secret_key: Option<String>,
    /// The server's public URL, when it differs from the one the running
    /// server recorded (auth links carry `<URL>/oauth/return`).
    #[arg(long, env = "FLOWAUTH_PUBLIC_URL")]
    public_url: Option<String>,
}

/// What a token asks the provider for.
#[derive(Args)]
pub struct Asked {
    /// A scope to ask for (repeat for several).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// The resource (audience) the token is for.
    #[arg(long)]
    resource: Option<String>,
    /// A further authorization value, KEY=VALUE (repeat for several), e.g.
    /// `--input prompt=consent` or a value the connector requires.
    #[arg(long = "input", value_parser = key_value)]
    inputs: Vec<(String, String)>,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| format!("{text:?} is not KEY=VALUE"))?;
    Ok((key.to_owned(), value.to_owned()))
}

pub async fn run(ctx: &Context, command: TokenCommand, json: bool) -> anyhow::Result<()> {
    match command {
        TokenCommand::Start(args) => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &args.tenant).await?;
            let service = ctx.service(&store, args.public_url.as_deref()).await?;
            let request = StartRequest {
                name: args.name,
                connector: args.connector,
                provider: args.provider,
                flow: Flow::parse(&args.flow)?,
                scopes: args.asked.scopes,
                resource: args.asked.resource,
                additional: args.asked.inputs,
                username: args.username,
                password: args.password,
                use_default_keys: args.consumer_key.is_none(),
                consumer_key: args.consumer_key,
                secret_key: args.secret_key,
            };
            started(&service.start(&tenant, request).await?, json)
        }
        TokenCommand::Get { token, which } => {
            let (service, tenant_id, id) = open(ctx, &token).await?;
            access(&service.access_token(&tenant_id, &id).await?.select(which.which.as_deref())?, json);
            Ok(())
        }
        TokenCommand::Show(token) => {
            let (service, tenant_id, id) = open(ctx, &token).await?;
            match service.store().token(&tenant_id, &id).await? {
                Some(record) => record_line(&record, json),
                None => bail!("token {} not found", token.token),
            }
            Ok(())
        }
        TokenCommand::Refresh { token, which } => {
            let (service, tenant_id, id) = open(ctx, &token).await?;
            access(&service.refresh(&tenant_id, &id).await?.select(which.which.as_deref())?, json);
            Ok(())
        }
        TokenCommand::Reset { token, asked } => {
            let (service, tenant_id, id) = open(ctx, &token).await?;
            let scopes = (!asked.scopes.is_empty()).then_some(asked.scopes);
            started(&service.reset(&tenant_id, &id, scopes, asked.resource, asked.inputs).await?, json)
        }
        TokenCommand::Retry { token, force, username, password, public_url } => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &token.tenant).await?;
            let service = ctx.service(&store, public_url.as_deref()).await?;
            let id = service.token_id(&tenant.id, &token.token).await?;
            match username.zip(password) {
                Some((username, password)) => {
                    let credentials = PasswordCredentials { username, password };
                    started(&service.retry_password(&tenant.id, &id, credentials).await?, json)
                }
                None => started(&service.retry(&tenant.id, &id, force).await?, json),
            }
        }
        TokenCommand::Validate(token) => {
            let (service, tenant_id, id) = open(ctx, &token).await?;
            let v = service.validate(&tenant_id, &id).await?;
            match json {
                true => line(
                    json!({"active": v.active, "expires_in": v.expires_in, "scope": v.scope, "subject": v.subject}),
                ),
                false => line(if v.active { "active" } else { "not active" }),
            }
            Ok(())
        }
        TokenCommand::Rename { token, new_name } => {
            let (service, tenant_id, id) = open(ctx, &token).await?;
            service.rename(&tenant_id, &id, &new_name).await?;
            if let Some(record) = service.store().token(&tenant_id, &id).await? {
                record_line(&record, json);
            }
            Ok(())
        }
        TokenCommand::List { tenant, status, connector, provider, name_prefix, limit, cursor } => {
            let store = ctx.store().await?;
            let tenant = context::tenant(&store, &tenant).await?;
            let status = match status.as_deref() {
                Some(name) => Some(TokenStatus::from_name(name).ok_or_else(|| {
                    anyhow::anyhow!("status {name:?} is not one of pending, active, needs_reauth, failed")
                })?),
                None => None,
            };
            let filter = TokenFilter { status, connector, provider, name: None, name_prefix };
            let (tokens, next) =
                store.token_page(&tenant.id, &filter, limit.unwrap_or(u32::MAX), cursor.as_deref()).await?;
            tokens.iter().for_each(|t| record_line(t, json));
            if let Some(next) = next.filter(|_| json) {
                line(json!({"next_cursor": next}));
            }
            Ok(())
        }
        TokenCommand::Delete { token, no_revoke } => {
            let (service, tenant_id, id) = open(ctx, &token).await?;
            let revocation = match no_revoke {
                true => None,
                false => Some(service.revoke(&tenant_id, &id).await.with_context(|| {
                    format!(
                        "token {} not deleted: revoking it at the provider failed (try again, or pass --no-revoke \
                         to delete it without revoking)",
                        token.token
                    )
                })?),
            };
            service.forget(&tenant_id, &id).await?;
            match json {
                true => line(json!({"deleted": id, "revocation": revocation.map_or("skipped", Revocation::as_str)})),
                false => line(format!("deleted {id} ({})", revocation_words(revocation))),
            }
            Ok(())
        }
    }
}

/// What `token delete` did at the provider, in words.
fn revocation_words(revocation: Option<Revocation>) -> &'static str {
    match revocation {
        Some(Revocation::Revoked) => "revoked at the provider",
        Some(Revocation::NotOffered) => "not revoked: the connector offers no revocation",
        Some(Revocation::NothingHeld) => "it held no grant to revoke",
        None => "not revoked: --no-revoke",
    }
}

/// The service, the tenant's id and the token's id, for a token that must exist.
async fn open(ctx: &Context, token: &TokenRef) -> anyhow::Result<(TokenService, String, String)> {
    let store = ctx.store().await?;
    let tenant = context::tenant(&store, &token.tenant).await?;
    let service = ctx.service(&store, None).await?;
    let id = service.token_id(&tenant.id, &token.token).await?;
    Ok((service, tenant.id, id))
}

/// Prints what a start, retry or reset produced; fails when the provider refused.
fn started(s: &Started, json: bool) -> anyhow::Result<()> {
    if json {
        line(view_json(&started_view(s)));
    } else {
        line(format!("token {} is {}", s.id, s.status.as_str()));
        if let Some(link) = &s.auth_link {
            line(format!("authorize at: {link}"));
        }
    }
    match &s.error {
        Some((code, message)) if s.status == TokenStatus::Failed => {
            if !json {
                eprintln!("error {code}: {message}");
            }
            Err(Reported(format!("token {} failed: {code}", s.id)).into())
        }
        _ => Ok(()),
    }
}

fn access(token: &AccessToken, json: bool) {
    match json {
        true => line(view_json(&access_view(token))),
        false => line(&token.access_token),
    }
}

fn record_line(t: &TokenRecord, json: bool) {
    if json {
        return line(view_json(&token_view(t)));
    }
    let expires = t.expires_at.map(|at| format!("expires {at}")).unwrap_or_default();
    let error = t.error_code.as_deref().map(|code| format!("error {code}")).unwrap_or_default();
    let saved = if t.credentials_saved { "password saved" } else { "" };
    line(format!(
        "{}  {:<20} {:<12} {:<14} {:<12} {expires} {saved} {error}",
        t.id,
        t.name,
        t.connector,
        t.provider,
        t.status.as_str()
    ));
}
