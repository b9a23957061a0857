//! A soak of a deployment as it runs for real: two `flowauth serve`
//! processes on one PostgreSQL database and one on SQLite, tokens with
//! 30–120 s lifetimes from a strictly rotating provider that answers 1% of
//! calls 503 and holds 0.1% past the host's timeout, flow steps at a steady
//! rate, and one PostgreSQL instance killed -9 and restarted every minute
//! (every `seconds / 10`, at least 20 s, in shorter runs).
//!
//! Prints flow steps served, provider calls per renewal, refresh tokens
//! reused, tokens lost to `needs_reauth` without an `invalid_grant`, p99
//! handout latency and each instance's RSS; exits non-zero when a refresh
//! token was reused or a token was lost. Everything stays on 127.0.0.1 and
//! stops by itself.
//!
//! `cargo bench -p flowauth --bench soak -- [--seconds 600] [--tokens 10000] [--rate 100]`

#[path = "soak/idp.rs"]
mod idp;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flowauth::store::{Issued, KeySource, NewToken, Outcome, Store, StoreConfig, new_id, now};
use flowauth_tests::postgres::postgres_database;
use flowauth_tests::server::{ADMIN_KEY, Server};
use idp::RotatingIdp;
use rand::Rng as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::{RwLock, Semaphore};

/// Flow steps in flight at most; a tick finding them all busy is counted, not queued.
const IN_FLIGHT: usize = 256;
/// Tasks seeding tokens into a store at once.
const SEEDERS: usize = 8;

struct Args {
    seconds: u64,
    tokens: u32,
    rate: u32,
}

fn args() -> Option<Args> {
    let mut parsed = Args { seconds: 600, tokens: 10_000, rate: 100 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> u64 {
            let value = args.next().unwrap_or_default();
            value.parse().unwrap_or_else(|_| panic!("{what} takes a number, not {value:?}"))
        };
        match arg.as_str() {
            "--list" => return None,
            "--seconds" => parsed.seconds = number("--seconds").max(1),
            "--tokens" => parsed.tokens = number("--tokens").clamp(1, 1_000_000) as u32,
            "--rate" => parsed.rate = number("--rate").clamp(1, 10_000) as u32,
            _ => {} // `--bench` and filters cargo passes along.
        }
    }
    Some(parsed)
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// One deployment: its instances (by URL, the live ones), its tenant key,
/// and which provider family each of its tokens is.
struct Deployment {
    name: &'static str,
    live: RwLock<Vec<String>>,
    key: String,
    tokens: Vec<(String, u32)>,
}

impl Deployment {
    /// Creates the tenant through the API, points its `devtools` provider
    /// at `idp`, and seeds the tokens of `families` into the store.
    async fn new(
        name: &'static str,
        servers: &[&Server],
        store: StoreConfig,
        idp: &RotatingIdp,
        families: std::ops::Range<u32>,
    ) -> Self {
        let api = servers[0].api();
        let (status, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
        assert_eq!(status, StatusCode::CREATED, "{tenant}");
        let key = tenant["api_key"].as_str().unwrap().to_owned();
        let file = json!({"devtools": {"HTTP": {
            "CLIENT_ID": "soak-client", "CLIENT_SECRET": "soak-secret", "BASE_URL": idp.base_url,
            "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}});
        let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, file).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let store = Store::open(&store).await.unwrap();
        let tenant = store.tenant("acme").await.unwrap().unwrap();
        let provider = store.provider(&tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
        let families: Vec<u32> = families.collect();
        let seeders: Vec<_> = families
            .chunks(families.len().div_ceil(SEEDERS).max(1))
            .map(|chunk| {
                let (store, tenant_id, provider_id, idp) =
                    (store.clone(), tenant.id.clone(), provider.id.clone(), idp.clone());
                let chunk = chunk.to_vec();
                tokio::spawn(async move {
                    let mut seeded = Vec::new();
                    for family in chunk {
                        let id = new_id();
                        let token = NewToken {
                            id: id.clone(),
                            tenant_id: tenant_id.clone(),
                            provider_id: provider_id.clone(),
                            name: format!("soak-{family}"),
                            flow: "authorization_code".into(),
                            scopes: vec![],
                            inputs: vec![],
                            client: None,
                        };
                        let issued = Issued {
                            access_token: format!("at-{family}-0"),
                            token_type: "Bearer".into(),
                            refresh_token: Some(idp.family(family)),
                            id_token: None,
                            expires_at: Some(now() + rand::rng().random_range(30..=120)),
                            extra: vec![],
                        };
                        store.create_token(&token, Outcome::Issued(&issued)).await.unwrap();
                        seeded.push((id, family));
                    }
                    seeded
                })
            })
            .collect();
        let mut tokens = Vec::new();
        for seeder in seeders {
            tokens.extend(seeder.await.unwrap());
        }
        let live = RwLock::new(servers.iter().map(|s| s.base.clone()).collect());
        Self { name, live, key, tokens }
    }

    /// Tokens of this deployment whose status is `status`, read through the API.
    async fn with_status(&self, status: &str) -> Vec<String> {
        let base = self.live.read().await[0].clone();
        let client = reqwest::Client::new();
        let (mut ids, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let mut url = format!("{base}/v1/tenants/acme/tokens?status={status}&limit=500");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let page: Value = client.get(url).bearer_auth(&self.key).send().await.unwrap().json().await.unwrap();
            ids.extend(page["tokens"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return ids,
            }
        }
    }
}

/// What the flow steps saw.
#[derive(Default)]
struct Steps {
    served: AtomicU64,
    /// 503 from flowauth: the provider failed while the token had expired.
    unavailable: AtomicU64,
    /// Other answers, by status: a token flowauth could not hand out for good.
    refused: std::sync::Mutex<std::collections::BTreeMap<u16, u64>>,
    /// No instance answered (the one asked was being killed).
    unreachable: AtomicU64,
    /// Ticks that found every step slot busy.
    skipped: AtomicU64,
    latencies_us: std::sync::Mutex<Vec<u64>>,
}

/// One flow step: `POST .../access-token` on a live instance of `deployment`,
/// on the next one when the first does not answer.
async fn step(client: &reqwest::Client, deployment: &Deployment, token: &str, n: usize, steps: &Steps) {
    let live = deployment.live.read().await.clone();
    let started = Instant::now();
    for attempt in 0..live.len() {
        let base = &live[(n + attempt) % live.len()];
        let url = format!("{base}/v1/tenants/acme/tokens/{token}/access-token");
        let Ok(response) = client.post(url).bearer_auth(&deployment.key).send().await else { continue };
        let status = response.status();
        let _ = response.bytes().await;
        match status {
            StatusCode::OK => {
                steps.served.fetch_add(1, Ordering::Relaxed);
                steps.latencies_us.lock().unwrap().push(started.elapsed().as_micros() as u64);
            }
            StatusCode::SERVICE_UNAVAILABLE => _ = steps.unavailable.fetch_add(1, Ordering::Relaxed),
            other => *steps.refused.lock().unwrap().entry(other.as_u16()).or_default() += 1,
        }
        return;
    }
    steps.unreachable.fetch_add(1, Ordering::Relaxed);
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let Some(args) = args() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let healthy = rt.block_on(soak(args));
    rt.shutdown_timeout(Duration::from_secs(1));
    if !healthy {
        std::process::exit(1);
    }
}

async fn soak(args: Args) -> bool {
    let Some(pg_url) = postgres_database().await else {
        eprintln!("soak: no PostgreSQL to run against (see tests/support/postgres.rs)");
        return false;
    };
    let idp = RotatingIdp::start().await;
    let kill_every = Duration::from_secs((args.seconds / 10).clamp(20, 60));
    let pg_tokens = args.tokens * 2 / 3;

    // `serve` creates each store; the soak seeds tokens into it afterwards.
    let pg_dir = Arc::new(tempfile::tempdir().unwrap());
    let sqlite_dir = Arc::new(tempfile::tempdir().unwrap());
    let pg_a = Server::instance(binary(), pg_dir.clone(), &pg_url).await;
    let mut pg_b = Server::instance(binary(), pg_dir.clone(), &pg_url).await;
    let sqlite = Server::start_in(binary(), sqlite_dir.clone()).await;
    let store_at = |dir: &std::path::Path, url: Option<&str>| StoreConfig {
        database_url: url.map(str::to_owned),
        keys: KeySource::File(dir.join(flowauth::store::KEY_FILE)),
        ..StoreConfig::in_dir(dir)
    };
    let seeding = Instant::now();
    let postgres =
        Deployment::new("postgres", &[&pg_a, &pg_b], store_at(pg_dir.path(), Some(&pg_url)), &idp, 0..pg_tokens).await;
    let embedded =
        Deployment::new("sqlite", &[&sqlite], store_at(sqlite_dir.path(), None), &idp, pg_tokens..args.tokens).await;
    let deployments = Arc::new([postgres, embedded]);
    println!(
        "soak: {} s, {} tokens ({} on PostgreSQL behind 2 instances, {} on SQLite, seeded in {:.1} s), \
         {} flow steps/s, one PostgreSQL instance killed -9 and restarted every {} s",
        args.seconds,
        args.tokens,
        pg_tokens,
        args.tokens - pg_tokens,
        seeding.elapsed().as_secs_f64(),
        args.rate,
        kill_every.as_secs()
    );
    let rss_start = [rss_mib(pg_a.pid()), rss_mib(pg_b.pid()), rss_mib(sqlite.pid())];

    let steps = Arc::new(Steps::default());
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let started = Instant::now();
    let end = started + Duration::from_secs(args.seconds);
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / args.rate);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let killer = tokio::spawn({
        let (deployments, idp, pg_url) = (deployments.clone(), idp.clone(), pg_url.clone());
        async move {
            let mut kills = 0u32;
            let mut next_kill = started + kill_every;
            while next_kill + Duration::from_secs(5) < end {
                tokio::time::sleep_until(next_kill.into()).await;
                // Out of the rotation first, so that steps do not pick a
                // dead instance; then kill -9 and start it again.
                let b = pg_b.base.clone();
                deployments[0].live.write().await.retain(|url| *url != b);
                idp.killed();
                let dir = pg_b.kill();
                pg_b = Server::instance(binary(), dir, &pg_url).await;
                deployments[0].live.write().await.push(pg_b.base.clone());
                kills += 1;
                next_kill += kill_every;
            }
            (pg_b, kills)
        }
    });
    let mut n = 0usize;
    while Instant::now() < end {
        ticker.tick().await;
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            steps.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        n += 1;
        let which = rand::rng().random_range(0..args.tokens) as usize;
        let (deployments, client, steps) = (deployments.clone(), client.clone(), steps.clone());
        tokio::spawn(async move {
            let pg = deployments[0].tokens.len();
            let (deployment, index) = if which < pg { (&deployments[0], which) } else { (&deployments[1], which - pg) };
            step(&client, deployment, &deployment.tokens[index].0, n, &steps).await;
            drop(slot);
        });
    }
    let driven = started.elapsed();
    let (pg_b, kills) = killer.await.unwrap();
    // Steps still running end within the client's timeout.
    let _ = tokio::time::timeout(Duration::from_secs(70), slots.acquire_many(IN_FLIGHT as u32)).await;
    let rss_end = [rss_mib(pg_a.pid()), rss_mib(pg_b.pid()), rss_mib(sqlite.pid())];

    let (mut lost, mut refused_then_lost) = (0, 0);
    for deployment in deployments.iter() {
        let needs_reauth = deployment.with_status("needs_reauth").await;
        for id in needs_reauth {
            let family = deployment.tokens.iter().find(|(t, _)| *t == id).map(|(_, f)| *f).unwrap();
            match idp.refused(family) {
                true => refused_then_lost += 1,
                false => lost += 1,
            }
        }
        let failed = deployment.with_status("failed").await.len();
        if failed > 0 {
            println!("{}: {failed} tokens failed", deployment.name);
            lost += failed;
        }
    }

    let c = &idp.counts;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (calls, renewals, injected, hung) = (load(&c.calls), load(&c.renewals), load(&c.injected_503), load(&c.hung));
    let (reused, reused_at_a_kill) = (load(&c.reused), load(&c.reused_at_a_kill));
    let mut latencies = std::mem::take(&mut *steps.latencies_us.lock().unwrap());
    latencies.sort_unstable();
    let at = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let per_renewal = |calls: u64| if renewals == 0 { 0.0 } else { calls as f64 / renewals as f64 };
    println!(
        "flow steps served: {} of {n} sent in {:.0} s ({:.1}/s); 503 (provider down, token expired): {}; \
         other answers: {:?}; no instance answered: {}; ticks skipped (all {IN_FLIGHT} slots busy): {}",
        load(&steps.served),
        driven.as_secs_f64(),
        load(&steps.served) as f64 / driven.as_secs_f64(),
        load(&steps.unavailable),
        steps.refused.lock().unwrap(),
        load(&steps.unreachable),
        load(&steps.skipped)
    );
    println!(
        "IdP calls per renewal: {:.3} without the injected failures (want 1.0); {:.3} with them \
         ({calls} calls, {renewals} renewals, {injected} answered 503, {hung} held)",
        per_renewal(calls - injected - hung),
        per_renewal(calls)
    );
    let reused_unexplained = reused - reused_at_a_kill;
    println!(
        "refresh tokens reused: {reused_unexplained} (want 0); {reused_at_a_kill} more spent within 1 s before \
         one of the {kills} kill -9 (the window docs/TOKENS.md describes)"
    );
    println!("tokens lost to needs_reauth without an invalid_grant: {lost} (want 0); after one: {refused_then_lost}");
    println!("p99 handout latency: {:.1} ms (p50 {:.1} ms, max {:.1} ms)", at(0.99), at(0.5), at(1.0));
    for (i, name) in ["pg-a", "pg-b (restarted)", "sqlite"].iter().enumerate() {
        println!("RSS {name}: {:.0} MiB at start, {:.0} MiB at end", rss_start[i], rss_end[i]);
    }
    reused_unexplained == 0 && lost == 0
}
