//! `flowauth call FILE.wasm OPERATION`: runs one export of a component
//! file against the author's own provider, without a server or a store,
//! under the same sandbox and outbound policy as a server (hosts: what the
//! component declares, plus `--allow-host`, plus the hosts of URL settings).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use flowauth::runtime::{AuthRequest, Callback, Client, Grant, Runtime, RuntimeConfig, Target, TokenSet};
use serde_json::{Value, json};

use super::output::line;

/// `flowauth call ...`
#[derive(Args)]
pub struct CallArgs {
    /// The component (.wasm built for wasm32-wasip2).
    file: PathBuf,
    /// The connector to call; the component's only one by default.
    #[arg(long, global = true)]
    connector: Option<String>,
    /// A provider setting, `KEY=VALUE` (CLIENT_ID, CLIENT_SECRET, ...); repeatable.
    #[arg(long = "setting", value_name = "KEY=VALUE", global = true)]
    settings: Vec<String>,
    /// Approves one more host for this call (`host`, `host:port`); repeatable.
    #[arg(long = "allow-host", value_name = "HOST", global = true)]
    allow_hosts: Vec<String>,
    /// The redirect URI registered at the provider.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080/oauth/return")]
    redirect_uri: String,
    /// A scope; repeatable.
    #[arg(long = "scope", global = true)]
    scopes: Vec<String>,
    #[command(subcommand)]
    operation: Operation,
}

#[derive(Subcommand)]
enum Operation {
    /// Lists the component's connectors.
    Connectors,
    /// Builds the URL a user follows to authorize; prints the state and
    /// PKCE verifier to pass to `exchange-code`.
    BuildAuthUrl,
    /// Exchanges the code the provider sent to the redirect URI.
    ExchangeCode {
        /// The `code` query parameter of the callback.
        #[arg(long)]
        code: String,
        /// The verifier `build-auth-url` printed.
        #[arg(long)]
        code_verifier: Option<String>,
        /// The `pending` value `build-auth-url` printed, if any.
        #[arg(long)]
        pending: Option<String>,
    },
    /// Renews an access token.
    Refresh {
        /// The refresh token.
        #[arg(long)]
        refresh_token: String,
    },
    /// Requests a token without a user: `client-credentials` or `password`.
    RequestToken {
        /// The grant.
        #[arg(long, default_value = "client-credentials")]
        grant: String,
        /// A token request parameter, `KEY=VALUE` (username, password, ...); repeatable.
        #[arg(long = "input", value_name = "KEY=VALUE")]
        inputs: Vec<String>,
    },
}

fn pair(text: &str) -> anyhow::Result<(String, String)> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.to_owned())),
        _ => bail!("{text:?}: write KEY=VALUE"),
    }
}

/// Runs one operation and prints its answer as JSON.
pub async fn run(args: CallArgs, allow_private_network: bool) -> anyhow::Result<()> {
    let wasm = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let mut config = RuntimeConfig::default();
    config.outbound.allow_private_network = allow_private_network;
    let runtime = Runtime::new(config).await.context("starting the component runtime")?;
    let name = args.file.file_stem().and_then(|s| s.to_str()).unwrap_or("component").to_owned();
    let compiled = runtime.compile(&name, &wasm).await?;
    let mut hosts = compiled.declared_hosts();
    hosts.extend(args.allow_hosts.iter().cloned());
    let component = runtime.register(compiled, Some(hosts));
    let connector = match (&args.connector, component.connectors.as_slice()) {
        (Some(name), _) => name.clone(),
        (None, [only]) => only.name.clone(),
        (None, all) => bail!(
            "the component serves several connectors: pick one with --connector ({})",
            all.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    let settings = args.settings.iter().map(|s| pair(s)).collect::<anyhow::Result<Vec<_>>>()?;
    let client = Client { connector, settings, definition: None };
    let target = Target::new(component.clone(), client)?;
    let answer = match args.operation {
        Operation::Connectors => json!(
            component
                .connectors
                .iter()
                .map(|c| json!({
                    "name": c.name, "title": c.title, "hosts": c.hosts, "pkce": c.pkce,
                    "settings": c.settings.iter().map(|s| &s.key).collect::<Vec<_>>(),
                }))
                .collect::<Vec<_>>()
        ),
        Operation::BuildAuthUrl => {
            let state = flowauth::store::new_id();
            let pkce = target.connector.as_ref().is_some_and(|c| c.pkce).then(flowauth::pkce::new_pair);
            let request = AuthRequest {
                redirect_uri: args.redirect_uri,
                state: state.clone(),
                scopes: args.scopes,
                code_challenge: pkce.as_ref().map(|(_, challenge)| challenge.clone()),
                extra: Vec::new(),
            };
            let link = runtime.build_auth_url(&target, &request).await?;
            json!({"url": link.url, "state": state, "code_verifier": pkce.map(|(v, _)| v), "pending": link.pending})
        }
        Operation::ExchangeCode { code, code_verifier, pending } => {
            let callback = Callback {
                redirect_uri: args.redirect_uri,
                query: vec![("code".into(), code)],
                code_verifier,
                pending,
                extra: Vec::new(),
            };
            tokens(&runtime.exchange_code(&target, &callback).await?)
        }
        Operation::Refresh { refresh_token } => {
            tokens(&runtime.refresh(&target, &refresh_token, &args.scopes, &[]).await?)
        }
        Operation::RequestToken { grant, inputs } => {
            let grant = match grant.as_str() {
                "client-credentials" | "client_credentials" => Grant::ClientCredentials,
                "password" => Grant::Password,
                other => bail!("grant {other:?}: use client-credentials or password"),
            };
            let mut params = inputs.iter().map(|s| pair(s)).collect::<anyhow::Result<Vec<_>>>()?;
            if !args.scopes.is_empty() {
                params.push(("scope".into(), args.scopes.join(" ")));
            }
            tokens(&runtime.request_token(&target, grant, &params).await?)
        }
    };
    line(serde_json::to_string_pretty(&answer)?);
    Ok(())
}

/// A token set as JSON: this is the author's own provider and one-shot
/// output, so the tokens are shown.
fn tokens(set: &TokenSet) -> Value {
    json!({"access_token": set.access_token, "token_type": set.token_type, "refresh_token": set.refresh_token,
           "expires_in": set.expires_in, "scope": set.scope, "id_token": set.id_token, "extra": set.extra})
}
