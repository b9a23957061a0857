//! `flowauth webhook ...`: a tenant's signed webhook, on the store
//! directly. A running server's worker sends the deliveries.

use anyhow::Context as _;
use clap::Subcommand;
use flowauth::events::{WebhookRequest, circuit_json, webhook_json};
use flowauth::store::{CircuitState, Store, Tenant, now_ms};

use super::context::Context;
use super::output::line;

/// `flowauth webhook ...`
#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Creates or replaces the tenant's webhook; prints the signing secret
    /// when it is new (shown once).
    Set {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Absolute https URL events are posted to (plain http only to
        /// loopback, with --allow-private-network).
        #[arg(long)]
        url: String,
        /// An event type to receive (repeat for several): token.active,
        /// token.failed, token.needs_reauth, token.refresh_failed,
        /// provider.secret_expiring. All when left out.
        #[arg(long = "event")]
        events: Vec<String>,
        /// A signing secret of your own (32 to 256 printable characters)
        /// instead of a generated one.
        #[arg(long, env = "FLOWAUTH_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// Replace the signing secret of an existing webhook with a new one.
        #[arg(long)]
        rotate_secret: bool,
    },
    /// Shows the tenant's webhook (never its secret).
    Show {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Removes the tenant's webhook and its delivery log.
    Remove {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Shows the latest deliveries, newest first, with every attempt.
    Deliveries {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

pub async fn run(ctx: &Context, command: WebhookCommand, json: bool) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let events = ctx.events(&store);
    match command {
        WebhookCommand::Set { tenant, url, events: kinds, secret, rotate_secret } => {
            let tenant = tenant_named(&store, &tenant).await?;
            let request = WebhookRequest { url, events: kinds, secret, rotate_secret };
            let (webhook, secret) = events.set_webhook(&tenant.id, request).await?;
            if json {
                line(webhook_json(&webhook, secret.as_deref()));
            } else {
                line(format!("webhook for {}: {} ({})", tenant.name, webhook.url, webhook.events.join(", ")));
                if let Some(secret) = secret {
                    line(format!("signing secret (shown once, keep it safe): {secret}"));
                }
            }
        }
        WebhookCommand::Show { tenant } => {
            let tenant = tenant_named(&store, &tenant).await?;
            let webhook = events.webhook(&tenant.id).await?;
            if json {
                line(webhook_json(&webhook, None));
            } else {
                line(format!("{} ({})", webhook.url, webhook.events.join(", ")));
            }
        }
        WebhookCommand::Remove { tenant } => {
            let tenant = tenant_named(&store, &tenant).await?;
            events.remove_webhook(&tenant.id).await?;
            if json {
                line(serde_json::json!({"removed": true}));
            } else {
                line(format!("removed the webhook of {}", tenant.name));
            }
        }
        WebhookCommand::Deliveries { tenant, limit } => {
            let tenant = tenant_named(&store, &tenant).await?;
            if json {
                line(events.delivery_log(&tenant.id, limit).await?);
                return Ok(());
            }
            let (health, at) = (events.endpoint_health(&tenant.id).await?, now_ms());
            if let Some(health) = health.filter(|h| h.circuit(at) != CircuitState::Closed) {
                let view = circuit_json(&health, at);
                let until = health.circuit_open_until_ms.unwrap_or(at);
                line(format!(
                    "circuit {} until {} (in {} s): {}",
                    view["state"].as_str().unwrap_or_default(),
                    (until + 999) / 1000,
                    ((until - at).max(0) + 999) / 1000,
                    view["message"].as_str().unwrap_or_default()
                ));
            }
            let deliveries = events.deliveries(&tenant.id, limit).await?;
            for d in &deliveries {
                let last = match (d.last_status_code, &d.last_error) {
                    (_, Some(error)) => error.clone(),
                    (Some(code), None) => code.to_string(),
                    (None, None) => "-".into(),
                };
                line(format!("{}  {:<22} {:<9} attempts {}  {last}", d.id, d.event, d.status.as_str(), d.attempts));
            }
        }
    }
    Ok(())
}

async fn tenant_named(store: &Store, name: &str) -> anyhow::Result<Tenant> {
    store.tenant(name).await?.with_context(|| format!("no tenant {name:?}: create it with `flowauth tenant create`"))
}
