//! `flowauth token ...`: the flow steps, for scripts. They act on the
//! store directly; the callback of an authorization still needs the server.

use std::path::Path;

use anyhow::Context;
use clap::Subcommand;
use flowauth::runtime::Runtime;
use flowauth::store::{Store, StoreConfig, TokenRecord};
use flowauth::tokens::{AccessToken, Flow, StartRequest, Started, TokenService};
use serde_json::json;

/// `flowauth token ...`
#[derive(Subcommand)]
pub enum TokenCommand {
    /// StartTokenRequestAndGetAuthLink: prints the auth link, or the token's status.
    Start {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// A name for people, e.g. `sales-bot`.
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
        /// A scope to ask for (repeat for several).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// The server's public URL, for the redirect URI in the auth link.
        #[arg(long, env = "FLOWAUTH_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
    /// Prints a fresh access token (refreshing first when it expires soon).
    Get {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The token id.
        id: String,
    },
    /// RefreshAccessToken.
    Refresh {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The token id.
        id: String,
    },
    /// ResetClientCredentialsToken: revokes and requests anew.
    Reset {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The token id.
        id: String,
        /// New scopes (repeat for several); the old ones when absent.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Lists a tenant's tokens (never their secrets).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Deletes a token, revoking it at the provider where it can.
    Delete {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The token id.
        id: String,
    },
}

fn print_started(s: &Started, json: bool) {
    let error = s.error.as_ref().map(|(code, message)| json!({"code": code, "message": message}));
    if json {
        println!("{}", json!({"id": s.id, "status": s.status.as_str(), "auth_link": s.auth_link, "error": error}));
    } else {
        println!("token {} is {}", s.id, s.status.as_str());
        if let Some(link) = &s.auth_link {
            println!("authorize at: {link}");
        }
        if let Some((code, message)) = &s.error {
            println!("error {code}: {message}");
        }
    }
}

fn print_access(token: &AccessToken, json: bool) {
    if json {
        println!(
            "{}",
            json!({"access_token": token.access_token, "token_type": token.token_type, "expires_at": token.expires_at})
        );
    } else {
        println!("{}", token.access_token);
    }
}

fn print_record(t: &TokenRecord, json: bool) {
    if json {
        println!(
            "{}",
            json!({"id": t.id, "name": t.name, "flow": t.flow, "status": t.status.as_str(), "expires_at": t.expires_at})
        );
    } else {
        println!("{}  {:<20} {:<18} {}", t.id, t.name, t.flow, t.status.as_str());
    }
}

pub async fn run(data_dir: &Path, runtime: Runtime, command: TokenCommand, json: bool) -> anyhow::Result<()> {
    let store = Store::open(&StoreConfig::in_dir(data_dir)).await?;
    let tenant_of = async |name: &str| store.tenant(name).await?.with_context(|| format!("no tenant {name:?}"));
    let ready = async |redirect: String| -> anyhow::Result<TokenService> {
        let service = TokenService::new(store.clone(), runtime.clone(), redirect);
        service.load_components().await?;
        Ok(service)
    };
    match command {
        TokenCommand::Start { tenant, name, connector, provider, flow, scopes, public_url } => {
            let tenant = tenant_of(&tenant).await?;
            let service = ready(format!("{}/oauth/return", public_url.trim_end_matches('/'))).await?;
            let request = StartRequest {
                name,
                connector,
                provider,
                flow: Flow::parse(&flow)?,
                scopes,
                use_default_keys: true,
                ..StartRequest::default()
            };
            print_started(&service.start(&tenant, request).await?, json);
        }
        TokenCommand::Get { tenant, id } => {
            let tenant = tenant_of(&tenant).await?;
            let service = ready(String::new()).await?;
            print_access(&service.access_token(&tenant.id, &id).await?, json);
        }
        TokenCommand::Refresh { tenant, id } => {
            let tenant = tenant_of(&tenant).await?;
            let service = ready(String::new()).await?;
            print_access(&service.refresh(&tenant.id, &id).await?, json);
        }
        TokenCommand::Reset { tenant, id, scopes } => {
            let tenant = tenant_of(&tenant).await?;
            let service = ready(String::new()).await?;
            let scopes = (!scopes.is_empty()).then_some(scopes);
            print_started(&service.reset(&tenant.id, &id, scopes, None, Vec::new()).await?, json);
        }
        TokenCommand::List { tenant } => {
            let tenant = tenant_of(&tenant).await?;
            store.tokens(&tenant.id).await?.iter().for_each(|t| print_record(t, json));
        }
        TokenCommand::Delete { tenant, id } => {
            let tenant = tenant_of(&tenant).await?;
            let service = ready(String::new()).await?;
            service.delete(&tenant.id, &id).await?;
            if !json {
                println!("deleted {id}");
            }
        }
    }
    Ok(())
}
