//! `flowauth serve`: the HTTP API on the embedded store.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use flowauth::api::{AppState, router};
use flowauth::runtime::Runtime;
use flowauth::store::{Store, StoreConfig};
use flowauth::tokens::TokenService;

/// Options of `flowauth serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "FLOWAUTH_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The public URL of this server; auth links carry `<URL>/oauth/return`
    /// as redirect URI (register exactly that at providers).
    #[arg(long, env = "FLOWAUTH_PUBLIC_URL")]
    public_url: Option<String>,
    /// A database URL instead of the SQLite file in the data directory.
    #[arg(long, env = "FLOWAUTH_DATABASE_URL")]
    database_url: Option<String>,
    /// Sets the admin API key instead of generating one.
    #[arg(long, env = "FLOWAUTH_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
}

pub async fn serve(data_dir: &Path, runtime: Runtime, args: ServeArgs) -> anyhow::Result<()> {
    let mut store_config = StoreConfig::in_dir(data_dir);
    store_config.database_url = args.database_url;
    let store =
        Store::open(&store_config).await.with_context(|| format!("opening the store in {}", data_dir.display()))?;
    if let Some(key) = store.ensure_admin_key(args.admin_key.as_deref()).await? {
        println!("admin API key (shown once, keep it safe): {key}");
    }
    let public_url = args.public_url.unwrap_or_else(|| format!("http://{}", args.listen));
    let redirect_uri = format!("{}/oauth/return", public_url.trim_end_matches('/'));
    let service = Arc::new(TokenService::new(store, runtime.clone(), redirect_uri.clone()));
    service.load_components().await.context("loading installed components")?;
    let app = router(AppState::new(service, runtime));
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    println!("flowauth listening on http://{} (redirect URI {redirect_uri})", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight.
async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
