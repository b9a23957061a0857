//! `flowauth serve`: the HTTP API on the embedded store.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use flowauth::api::{AppState, BodyPace, Limits, router, serve};
use flowauth::events::{DeliveryConfig, Events};
use flowauth::runtime::Runtime;
use flowauth::store::Store;
use flowauth::tokens::{RefreshAhead, TokenService};

use super::context::{Context, PUBLIC_URL_SETTING, redirect_uri};

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
    /// Sets the admin API key instead of generating one.
    #[arg(long, env = "FLOWAUTH_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Component instances that may run at once (each call runs in its own).
    #[arg(long, env = "FLOWAUTH_MAX_INSTANCES", default_value_t = 128)]
    max_instances: u32,
    /// Instances one tenant's calls may hold at once, so that a tenant whose
    /// provider hangs cannot starve the others.
    #[arg(long, env = "FLOWAUTH_MAX_CALLS_PER_TENANT", default_value_t = 32)]
    max_calls_per_tenant: u32,
    /// Client connections open at once; others wait until one closes.
    #[arg(long, env = "FLOWAUTH_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// Seconds a client has to send a request's head; slower ones are cut off.
    #[arg(long, env = "FLOWAUTH_HEADER_TIMEOUT_SECONDS", default_value_t = 10)]
    header_timeout_seconds: u64,
    /// Seconds a client has to send a request's whole body once its head is
    /// in; a slower one is answered 408 and cut off.
    #[arg(long, env = "FLOWAUTH_BODY_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_seconds: u64,
    /// Bytes a second a request body must average once the grace period is
    /// over (0: no minimum); a slower one is answered 408 and cut off.
    #[arg(long, env = "FLOWAUTH_BODY_MIN_RATE", default_value_t = 1024)]
    body_min_rate: u64,
    /// Seconds a request body may take before the minimum rate counts.
    #[arg(long, env = "FLOWAUTH_BODY_GRACE_SECONDS", default_value_t = 5)]
    body_grace_seconds: u64,
    /// Requests one tenant may have open at once (default: a quarter of
    /// --max-connections), so that its slow clients cannot hold every
    /// connection; further ones are answered 429 with Retry-After.
    #[arg(long, env = "FLOWAUTH_MAX_REQUESTS_PER_TENANT", value_parser = clap::value_parser!(u64).range(1..))]
    max_requests_per_tenant: Option<u64>,
    /// Seconds a call waits for a free instance before the API answers 503
    /// with Retry-After.
    #[arg(long, env = "FLOWAUTH_SLOT_WAIT_SECONDS", default_value_t = 5)]
    slot_wait_seconds: u64,
    /// Attempts per webhook delivery before it is marked failed.
    #[arg(long, env = "FLOWAUTH_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=50))]
    webhook_max_attempts: u32,
    /// Milliseconds before the first webhook retry, doubled for each
    /// further one (at most an hour apart).
    #[arg(long, env = "FLOWAUTH_WEBHOOK_RETRY_MS", default_value_t = 10_000)]
    webhook_retry_ms: u64,
    /// Webhook delivery slots (of 16) one tenant may hold at once, so that
    /// a tenant whose receiver hangs cannot delay the others.
    #[arg(long, env = "FLOWAUTH_WEBHOOK_TENANT_SLOTS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16))]
    webhook_tenant_slots: u32,
    /// Failed webhook attempts in a row that open an endpoint's circuit:
    /// its deliveries wait, then one is sent as a probe.
    #[arg(long, env = "FLOWAUTH_WEBHOOK_CIRCUIT_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    webhook_circuit_failures: u32,
    /// Milliseconds an open circuit pauses an endpoint before the probe.
    #[arg(long, env = "FLOWAUTH_WEBHOOK_CIRCUIT_OPEN_MS", default_value_t = 60_000)]
    webhook_circuit_open_ms: u64,
    /// Renews tokens in the background before they expire (a refresh
    /// token, client credentials or a saved password), so that a dead grant
    /// is found, and token.needs_reauth fires, before a flow step needs the
    /// token. Instances sharing a PostgreSQL database renew each token once.
    #[arg(long, env = "FLOWAUTH_REFRESH_AHEAD")]
    refresh_ahead: bool,
    /// With --refresh-ahead: renew a token this many seconds before it
    /// expires, or at half its lifetime when that is later.
    #[arg(long, env = "FLOWAUTH_REFRESH_AHEAD_MARGIN_SECONDS", default_value_t = 300, requires = "refresh_ahead", value_parser = clap::value_parser!(u32).range(1..))]
    refresh_ahead_margin_seconds: u32,
    /// With --refresh-ahead: renewals one tenant may run at once (the
    /// others wait), so that its flow steps keep their share of instances.
    #[arg(long, env = "FLOWAUTH_REFRESH_AHEAD_PER_TENANT", default_value_t = 4, requires = "refresh_ahead", value_parser = clap::value_parser!(u32).range(1..=64))]
    refresh_ahead_per_tenant: u32,
    /// Milliseconds between two sweeps (expired authorizations, client
    /// secret warnings). Hidden: for tests, which cannot wait a minute.
    #[arg(long, env = "FLOWAUTH_SWEEP_INTERVAL_MS", default_value_t = 60_000, hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    sweep_interval_ms: u64,
}

pub async fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let mut config = ctx.runtime_config();
    config.sandbox.max_instances = args.max_instances;
    config.sandbox.max_instances_per_tenant = args.max_calls_per_tenant;
    config.sandbox.slot_wait = Duration::from_secs(args.slot_wait_seconds);
    let store = ctx.store().await?;
    let runtime = Runtime::new(config).await.context("starting the component runtime")?;
    if let Some(key) = store.ensure_admin_key(args.admin_key.as_deref()).await? {
        println!("admin API key (shown once, keep it safe): {key}");
    }
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));
    // Auth links the other commands build must come back here.
    store.set_server_setting(PUBLIC_URL_SETTING, &public_url).await?;
    let redirect_uri = redirect_uri(&public_url);
    let events = Events::new(store.clone(), delivery_config(&args, ctx.allow_private_network));
    events.spawn_worker().context("starting the webhook delivery worker")?;
    tokio::spawn(sweep(store.clone(), events.clone(), Duration::from_millis(args.sweep_interval_ms)));
    let service = TokenService::new(store, runtime.clone(), redirect_uri.clone()).with_events(events.clone());
    let service = Arc::new(service);
    let (finishing, runtime_limit) = (service.clone(), runtime.longest_call());
    service.load_components().await.context("loading installed components")?;
    let refresher = args.refresh_ahead.then(|| {
        let config = RefreshAhead {
            margin_seconds: i64::from(args.refresh_ahead_margin_seconds),
            per_tenant: args.refresh_ahead_per_tenant as usize,
        };
        tracing::info!(?config, "renewing tokens ahead of their expiry");
        service.spawn_refresh_ahead(config)
    });
    let per_tenant = args.max_requests_per_tenant.map_or(args.max_connections / 4, |n| n as usize);
    let state = AppState::new(service, runtime).with_events(events).with_requests_per_tenant(per_tenant);
    for warning in state.warnings.iter() {
        tracing::warn!("{warning}");
    }
    let app = router(state);
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    println!("flowauth listening on http://{} (redirect URI {redirect_uri})", listener.local_addr()?);
    let limits = Limits {
        max_connections: args.max_connections,
        header_read_timeout: Duration::from_secs(args.header_timeout_seconds),
        body: BodyPace {
            timeout: Duration::from_secs(args.body_timeout_seconds),
            grace: Duration::from_secs(args.body_grace_seconds),
            min_rate: args.body_min_rate,
        },
    };
    serve(listener, app, limits, shutdown()).await;
    if let Some(refresher) = refresher {
        refresher.abort();
    }
    // A refresh that reached its provider is stored before the process ends.
    finishing.finish_refreshes(runtime_limit).await;
    Ok(())
}

/// How webhook deliveries are sent by this server.
fn delivery_config(args: &ServeArgs, allow_private_network: bool) -> DeliveryConfig {
    DeliveryConfig {
        allow_private_network,
        max_attempts: args.webhook_max_attempts,
        retry_base: Duration::from_millis(args.webhook_retry_ms),
        tenant_slots: args.webhook_tenant_slots as usize,
        circuit_failures: args.webhook_circuit_failures,
        circuit_open: Duration::from_millis(args.webhook_circuit_open_ms),
        ..DeliveryConfig::default()
    }
}

/// Deletes what no request will need again, and sends the client secret
/// warnings that are due, now and then.
async fn sweep(store: Store, events: Events, every: Duration) {
    let mut every = tokio::time::interval(every);
    loop {
        every.tick().await;
        match store.sweep().await {
            Ok(swept) => tracing::debug!(?swept, "swept"),
            Err(error) => tracing::warn!(%error, "sweeping expired authorizations and leases failed"),
        }
        match events.warn_expiring_secrets().await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "client secret expiry warnings queued"),
            Err(error) => tracing::warn!(%error, "checking client secret expiries failed"),
        }
    }
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
