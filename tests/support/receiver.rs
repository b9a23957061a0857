//! A webhook receiver on 127.0.0.1, as a flow engine would run one: it
//! records every request and verifies signatures on its own (HMAC-SHA256
//! over `<t>.<body>`, as docs/WEBHOOKS.md tells receivers to), not with
//! flowauth's code. It answers 200 unless told to answer otherwise (the
//! next few requests, or every request until told again), and
//! `/hang` never answers, `/moved` redirects to `/hooks`.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    /// The raw body.
    pub body: String,
    /// What the receiver answered.
    pub answered: u16,
}

impl Received {
    /// The header `name`, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }

    /// The payload, if `flowauth-signature` is `t=<ts>,v1=<hex>` with `ts`
    /// equal to `flowauth-timestamp` and within 5 minutes of now, and the
    /// hex is HMAC-SHA256(secret, "<ts>.<body>").
    pub fn verified(&self, secret: &str) -> Result<Value, String> {
        let header = self.header("flowauth-signature");
        let fields: HashMap<&str, &str> = header.split(',').filter_map(|p| p.split_once('=')).collect();
        let t = fields.get("t").ok_or(format!("no t in {header:?}"))?;
        let v1 = fields.get("v1").ok_or(format!("no v1 in {header:?}"))?;
        if *t != self.header("flowauth-timestamp") {
            return Err(format!("t={t} differs from flowauth-timestamp"));
        }
        let age = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
            - t.parse::<i64>().map_err(|e| e.to_string())?;
        if age.abs() > 300 {
            return Err(format!("signed {age} s ago"));
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{}", self.body).as_bytes());
        mac.verify_slice(&hex::decode(v1).map_err(|e| e.to_string())?).map_err(|_| "signature mismatch".to_owned())?;
        serde_json::from_str(&self.body).map_err(|e| e.to_string())
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    always: Arc<Mutex<Option<u16>>>,
}

/// A running receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
}

impl Receiver {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/hooks", post(receive))
            .route(
                "/hang",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    StatusCode::OK
                }),
            )
            .route("/moved", post(|| async { (StatusCode::TEMPORARY_REDIRECT, [("location", "/hooks")]) }))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, shared }
    }

    /// `http://127.0.0.1:<port>/hooks`.
    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// `http://127.0.0.1:<port>/hang`: a receiver that never answers.
    pub fn hanging_url(&self) -> String {
        format!("http://{}/hang", self.addr)
    }

    /// `http://127.0.0.1:<port>/moved`: redirects to `/hooks`.
    pub fn redirecting_url(&self) -> String {
        format!("http://{}/moved", self.addr)
    }

    /// Answers the next requests with these statuses, then 200 again.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.shared.answers.lock().unwrap().extend(statuses);
    }

    /// Answers every request with `status` (after those queued by
    /// [`answer_next`](Self::answer_next)); `None`: 200 again.
    pub fn answer_always(&self, status: Option<u16>) {
        *self.shared.always.lock().unwrap() = status;
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `count` requests arrived (at most `within`); returns them all.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= count || tokio::time::Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: String) -> StatusCode {
    let queued = shared.answers.lock().unwrap().pop_front();
    let answered = queued.or(*shared.always.lock().unwrap()).unwrap_or(200);
    let headers = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    shared.received.lock().unwrap().push(Received { headers, body, answered });
    StatusCode::from_u16(answered).unwrap()
}
