//! `flowauth provider key ...`: a provider's key for `private_key_jwt`
//! (docs/KEYS.md), as the API's `.../providers/{connector}/{display_name}/key` routes.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use flowauth::api::{json as view_json, provider_key_view};
use flowauth::client_keys::{KeyReport, KeyService};
use flowauth::store::Store;

use super::context::{self, Context, PUBLIC_URL_SETTING};
use super::output::line;

/// The largest key file read (a 16384-bit RSA key is about 13 KB).
const MAX_KEY_FILE_BYTES: u64 = 64 << 10;

/// `flowauth provider key ...`
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Makes a private key the provider's key for private_key_jwt and prints
    /// its public JWK to register at the identity provider. The key:
    /// PKCS#8 PEM (BEGIN PRIVATE KEY), RSA of at least 2048 bits (RS256)
    /// or EC P-256 (ES256). The key active before stays published as the
    /// previous one.
    Set {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The provider, as CONNECTOR/DISPLAY_NAME (`flowauth provider list`).
        #[arg(value_parser = provider_name)]
        provider: (String, String),
        /// The PEM file; `-` reads it from standard input.
        file: PathBuf,
    },
    /// Prints the provider's key: kid, algorithm, public JWK, JWKS address,
    /// and the previous key while it is published. Never the private key.
    Show {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The provider, as CONNECTOR/DISPLAY_NAME.
        #[arg(value_parser = provider_name)]
        provider: (String, String),
    },
    /// Makes a new key the provider's active key and prints its public JWK;
    /// the key it replaces stays published (in the JWKS document) until
    /// `remove --previous`.
    Rotate {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The provider, as CONNECTOR/DISPLAY_NAME.
        #[arg(value_parser = provider_name)]
        provider: (String, String),
        /// RS256 or ES256; by default the active key's, else RS256.
        #[arg(long)]
        algorithm: Option<String>,
    },
    /// Removes the provider's keys; with --previous only the key a rotation
    /// replaced, once the identity provider uses the new one.
    Remove {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The provider, as CONNECTOR/DISPLAY_NAME.
        #[arg(value_parser = provider_name)]
        provider: (String, String),
        /// Remove only the previous key.
        #[arg(long)]
        previous: bool,
    },
}

/// `CONNECTOR/DISPLAY_NAME`: the connector is everything before the first
/// `/` (connector names have none), the display name the rest.
fn provider_name(text: &str) -> Result<(String, String), String> {
    match text.split_once('/') {
        Some((connector, display_name)) if !connector.is_empty() && !display_name.is_empty() => {
            Ok((connector.to_owned(), display_name.to_owned()))
        }
        _ => Err(format!("{text:?}: name the provider as CONNECTOR/DISPLAY_NAME, e.g. salesforce/Sales")),
    }
}

pub async fn run(ctx: &Context, command: KeyCommand, json: bool) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let keys = KeyService::new(&store);
    let report = match command {
        KeyCommand::Set { tenant, provider: (connector, display_name), file } => {
            let pem = read_key_file(&file)?;
            let tenant = context::tenant(&store, &tenant).await?;
            keys.set(&tenant, &connector, &display_name, &pem).await?
        }
        KeyCommand::Show { tenant, provider: (connector, display_name) } => {
            let tenant = context::tenant(&store, &tenant).await?;
            keys.show(&tenant, &connector, &display_name).await?
        }
        KeyCommand::Rotate { tenant, provider: (connector, display_name), algorithm } => {
            let tenant = context::tenant(&store, &tenant).await?;
            keys.rotate(&tenant, &connector, &display_name, algorithm.as_deref()).await?
        }
        KeyCommand::Remove { tenant, provider: (connector, display_name), previous } => {
            let tenant = context::tenant(&store, &tenant).await?;
            let removed = keys.remove(&tenant, &connector, &display_name, previous).await?;
            let what = if previous { "the previous key" } else { "every key" };
            match json {
                true => {
                    line(serde_json::json!({"provider": format!("{connector}/{display_name}"), "removed": removed}))
                }
                false => line(format!("removed {what} of {connector}/{display_name} ({removed})")),
            }
            return Ok(());
        }
    };
    print(&store, &report, json).await
}

/// The key file's text, from a file or standard input.
fn read_key_file(file: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    let what = || format!("reading the key file {}", file.display());
    if file.as_os_str() == "-" {
        std::io::stdin().take(MAX_KEY_FILE_BYTES + 1).read_to_string(&mut text).with_context(what)?;
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_KEY_FILE_BYTES + 1).read_to_string(&mut text))
            .with_context(what)?;
    }
    anyhow::ensure!(
        text.len() as u64 <= MAX_KEY_FILE_BYTES,
        "{} is larger than {MAX_KEY_FILE_BYTES} bytes: not a private key file",
        file.display()
    );
    Ok(text)
}

async fn print(store: &Store, report: &KeyReport, json: bool) -> anyhow::Result<()> {
    let public_url = store.server_setting(PUBLIC_URL_SETTING).await?;
    let view = provider_key_view(report, public_url.as_deref());
    if json {
        line(view_json(&view));
        return Ok(());
    }
    let state = if view.changed { "now active" } else { "active (unchanged)" };
    line(format!("provider {}: key {} ({}) {state}", view.provider, view.kid, view.algorithm));
    if let Some(previous) = &view.previous {
        line(format!(
            "previous key {} ({}) still published: remove it with `flowauth provider key remove --previous` once the \
             identity provider uses the new one",
            previous.kid, previous.algorithm
        ));
    }
    line(format!("JWKS: {}", view.jwks_url.as_deref().unwrap_or(&view.jwks_path)));
    line("public JWK, to register at the identity provider:");
    line(serde_json::to_string_pretty(&view.public_jwk)?);
    Ok(())
}
