//! `flowauth export` and `flowauth import`: a tenant moved between
//! instances as a bundle sealed with a passphrase (docs/BUNDLES.md).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;
use flowauth::api::{import_report_view, json as view_json};
use flowauth::bundle::MAX_BUNDLE_BYTES;

use super::context::{self, Context};
use super::output::line;

/// Where the passphrase comes from when no file is named.
const PASSPHRASE_VARIABLE: &str = "FLOWAUTH_BUNDLE_PASSPHRASE";

/// `flowauth export`
#[derive(Args)]
pub struct ExportArgs {
    /// The tenant to export.
    #[arg(long)]
    tenant: String,
    /// Include the tenant's tokens (access and refresh tokens, sealed in
    /// the bundle); tokens waiting for a callback are left out.
    #[arg(long)]
    with_tokens: bool,
    /// A file whose first line is the passphrase (at least 12 characters);
    /// without it, FLOWAUTH_BUNDLE_PASSPHRASE.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

/// `flowauth import`
#[derive(Args)]
pub struct ImportArgs {
    /// The bundle `flowauth export` wrote (`-` for stdin).
    bundle: PathBuf,
    /// The tenant to import into (default: the bundle's own); created, with
    /// a new API key printed once, when there is none.
    #[arg(long)]
    tenant: Option<String>,
    /// A file whose first line is the passphrase the bundle was exported
    /// with; without it, FLOWAUTH_BUNDLE_PASSPHRASE.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

/// The passphrase from `file` (its first line), else the environment.
fn passphrase(file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    match std::env::var(PASSPHRASE_VARIABLE) {
        Ok(passphrase) if !passphrase.is_empty() => Ok(passphrase),
        _ => bail!("give the bundle's passphrase: --passphrase-file FILE, or set {PASSPHRASE_VARIABLE}"),
    }
}

/// The bundle's bytes, from a file or stdin, refused past the largest bundle.
fn read_bundle(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let limit = MAX_BUNDLE_BYTES as u64 + 1;
    if path == Path::new("-") {
        std::io::stdin().take(limit).read_to_end(&mut bytes).context("reading the bundle from stdin")?;
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        file.take(limit).read_to_end(&mut bytes).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(bytes)
}

pub async fn export(ctx: &Context, args: ExportArgs) -> anyhow::Result<()> {
    let passphrase = passphrase(args.passphrase_file.as_deref())?;
    let store = ctx.store().await?;
    let tenant = context::tenant(&store, &args.tenant).await?;
    let service = ctx.service(&store, None).await?;
    let exported = service.export_bundle(&tenant, passphrase, args.with_tokens).await?;
    // stdout carries the bundle alone; what it holds goes to stderr.
    line(exported.bundle.trim_end());
    let tokens = match exported.tokens {
        Some(n) => format!("{n} tokens"),
        None => "no tokens (--with-tokens adds them)".into(),
    };
    eprintln!(
        "exported tenant {}: {} providers, {} connectors, {} components, {}, {tokens}",
        tenant.name,
        exported.providers,
        exported.connectors,
        exported.components,
        if exported.webhook { "its webhook" } else { "no webhook" },
    );
    Ok(())
}

pub async fn import(ctx: &Context, args: ImportArgs, json: bool) -> anyhow::Result<()> {
    let passphrase = passphrase(args.passphrase_file.as_deref())?;
    let bundle = read_bundle(&args.bundle)?;
    let store = ctx.store().await?;
    let service = ctx.service(&store, None).await?;
    let imported = service
        .import_bundle(args.tenant.as_deref(), bundle, passphrase)
        .await
        .with_context(|| format!("{} not imported, nothing changed", args.bundle.display()))?;
    let view = import_report_view(&imported);
    if json {
        line(view_json(&view));
        return Ok(());
    }
    if let Some(key) = &view.api_key {
        line(format!("created tenant {}; its API key (shown once): {key}", view.tenant));
    }
    let items = view.created.iter().filter(|item| !item.starts_with("tenant ")).map(|i| ("created", i));
    let items = items.chain(view.updated.iter().map(|i| ("updated", i)));
    for (what, item) in items.chain(view.unchanged.iter().map(|i| ("unchanged", i))) {
        line(format!("{what} {item}"));
    }
    Ok(())
}
