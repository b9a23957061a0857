//! The soak's identity provider on 127.0.0.1: strictly rotating refresh
//! tokens, one family per token (`rt-<family>-<generation>`, each good
//! once), 1% of calls answered 503 and 0.1% held past the host's request
//! timeout, neither of them spending the refresh token. It counts what the
//! soak judges: renewals, calls, reused refresh tokens and the families it
//! refused with `invalid_grant`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rand::Rng as _;
use serde_json::json;

/// How long a hanging call is held: past the host's 15 s request timeout.
const HANG: Duration = Duration::from_secs(20);
/// A reuse of a token rotated this shortly before a kill -9 is the window
/// the design documents (the answer reached a process that died before
/// storing it), counted apart from the reuses that must not happen.
const KILL_WINDOW: Duration = Duration::from_secs(1);

/// What the provider saw.
#[derive(Debug, Default)]
pub struct Counts {
    pub calls: AtomicU64,
    pub renewals: AtomicU64,
    pub injected_503: AtomicU64,
    pub hung: AtomicU64,
    /// Refresh tokens presented after they were spent.
    pub reused: AtomicU64,
    /// Of those, the ones spent within [`KILL_WINDOW`] before a kill -9.
    pub reused_at_a_kill: AtomicU64,
}

#[derive(Debug, Default)]
struct Families {
    /// Each family's current generation and when it was issued.
    current: HashMap<u32, (u32, Instant)>,
    /// Families answered `invalid_grant` at least once.
    refused: HashSet<u32>,
}

/// The running provider.
#[derive(Clone)]
pub struct RotatingIdp {
    pub base_url: String,
    pub counts: Arc<Counts>,
    families: Arc<Mutex<Families>>,
    kills: Arc<Mutex<Vec<Instant>>>,
}

impl RotatingIdp {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let idp = Self { base_url, counts: Arc::default(), families: Arc::default(), kills: Arc::default() };
        let app = Router::new().route("/token", post(token)).with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        idp
    }

    /// A new family; its first refresh token.
    pub fn family(&self, family: u32) -> String {
        self.families.lock().unwrap().current.insert(family, (0, Instant::now()));
        format!("rt-{family}-0")
    }

    /// Notes a kill -9 of an instance, now.
    pub fn killed(&self) {
        self.kills.lock().unwrap().push(Instant::now());
    }

    /// Whether `family` was ever answered `invalid_grant`.
    pub fn refused(&self, family: u32) -> bool {
        self.families.lock().unwrap().refused.contains(&family)
    }
}

fn unavailable() -> Response {
    let page = "<html><head><title>Service Unavailable</title></head><body>try later</body></html>";
    (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

async fn token(State(idp): State<RotatingIdp>, body: String) -> Response {
    let counts = &idp.counts;
    counts.calls.fetch_add(1, Ordering::Relaxed);
    let roll: f64 = rand::rng().random();
    if roll < 0.001 {
        counts.hung.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(HANG).await;
        return unavailable();
    }
    if roll < 0.011 {
        counts.injected_503.fetch_add(1, Ordering::Relaxed);
        return unavailable();
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let presented = form.get("refresh_token").map(String::as_str).unwrap_or_default();
    let Some((family, generation)) = presented
        .strip_prefix("rt-")
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(f, g)| Some((f.parse::<u32>().ok()?, g.parse::<u32>().ok()?)))
    else {
        return refusal("invalid_request", "not a refresh token of this provider");
    };
    let mut families = idp.families.lock().unwrap();
    let Some(&(current, issued_at)) = families.current.get(&family) else {
        return refusal("invalid_grant", "unknown refresh token");
    };
    if generation != current {
        families.refused.insert(family);
        if generation < current {
            counts.reused.fetch_add(1, Ordering::Relaxed);
            let at_a_kill = idp.kills.lock().unwrap().iter().any(|k| *k >= issued_at && *k - issued_at < KILL_WINDOW);
            if at_a_kill && generation + 1 == current {
                counts.reused_at_a_kill.fetch_add(1, Ordering::Relaxed);
            }
        }
        return refusal("invalid_grant", "refresh token already used");
    }
    let next = current + 1;
    families.current.insert(family, (next, Instant::now()));
    drop(families);
    counts.renewals.fetch_add(1, Ordering::Relaxed);
    let lifetime = rand::rng().random_range(30..=120);
    axum::Json(json!({
        "access_token": format!("at-{family}-{next}"), "token_type": "Bearer",
        "expires_in": lifetime, "refresh_token": format!("rt-{family}-{next}"),
    }))
    .into_response()
}

fn refusal(code: &str, description: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": code, "error_description": description}))).into_response()
}
