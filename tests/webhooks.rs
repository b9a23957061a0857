//! Signed webhooks: events emitted through the `Events` API reach a
//! receiver on 127.0.0.1 that verifies their signature; failed attempts
//! are retried with backoff and logged; the URL policy refuses what it
//! should; no secret ever travels in a payload or lands in a log. End to
//! end, the real `flowauth serve` is configured over HTTP and delivers
//! events another process queued in its store.

use std::sync::Arc;
use std::time::Duration;

use flowauth::events::{DeliveryConfig, Event, EventKind, Events, WebhookRequest};
use flowauth::store::{DeliveryStatus, Provider, Store, StoreConfig, Tenant};
use flowauth_tests::lifecycle::{given_key, open};
use flowauth_tests::receiver::Receiver;
use flowauth_tests::server::{ADMIN_KEY, Server};
use flowauth_tests::{CLIENT_SECRET, CapturedLogs};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

/// Fast retries, plain http to 127.0.0.1 allowed.
fn fast(max_attempts: u32) -> DeliveryConfig {
    DeliveryConfig {
        allow_private_network: true,
        max_attempts,
        retry_base: Duration::from_millis(50),
        poll: Duration::from_millis(50),
        request_timeout: Duration::from_secs(2),
        ..DeliveryConfig::default()
    }
}

/// A provider whose settings hold a client secret, which no event may carry.
fn provider(tenant: &Tenant) -> Provider {
    Provider {
        id: "p1".into(),
        tenant_id: tenant.id.clone(),
        connector: "salesforce".into(),
        display_name: "Salesforce".into(),
        settings: vec![("CLIENT_SECRET".into(), CLIENT_SECRET.into())],
    }
}

async fn store_with_tenant() -> (tempfile::TempDir, Store, Tenant) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), given_key(3)).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    (dir, store, tenant)
}

#[tokio::test(flavor = "current_thread")]
async fn an_emitted_event_arrives_signed_and_carries_no_secret() {
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let receiver = Receiver::start().await;
    let (dir, store, tenant) = store_with_tenant().await;
    let events = Events::new(store, fast(3));
    let request = WebhookRequest { url: receiver.url(), ..WebhookRequest::default() };
    let (webhook, secret) = events.set_webhook(&tenant.id, request).await.unwrap();
    let secret = secret.expect("a new webhook answers its secret");
    assert!(secret.starts_with("whsec_") && secret.len() >= 49, "256 random bits: {secret}");
    assert_eq!(webhook.events.len(), EventKind::ALL.len(), "all events when none are named");
    events.spawn_worker().unwrap();

    let event = Event::new(EventKind::NeedsReauth, "tok-1", "sales-bot", &provider(&tenant))
        .with_error("invalid_grant", "refresh token revoked");
    events.emit(&tenant.id, event).await;

    let received = receiver.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "one delivery");
    let got = &received[0];
    let payload = got.verified(&secret).unwrap_or_else(|e| panic!("{e}: {got:?}"));
    assert_eq!(payload["type"], "token.needs_reauth");
    assert_eq!(payload["tenant"], "acme");
    assert_eq!(
        payload["token"],
        json!({"id": "tok-1", "name": "sales-bot", "connector": "salesforce", "provider": "Salesforce",
               "status": "needs_reauth"})
    );
    assert_eq!(payload["error"], json!({"code": "invalid_grant", "message": "refresh token revoked"}));
    assert_eq!(got.header("flowauth-event"), "token.needs_reauth");
    assert_eq!(got.header("flowauth-delivery"), payload["id"].as_str().unwrap());
    assert_eq!(got.header("content-type"), "application/json");
    assert!(got.verified("whsec_another").is_err(), "another secret does not verify");

    let log = wait_delivered(&events, &tenant, 1).await;
    assert_eq!(log[0].status, DeliveryStatus::Delivered);
    assert_eq!(log[0].attempt_log.len(), 1);
    assert_eq!(log[0].attempt_log[0].status_code, Some(200));

    let everything = format!("{}{}{}", got.body, serde_json::to_string(&got.headers).unwrap(), logs.text());
    for secret in [secret.as_str(), CLIENT_SECRET] {
        assert!(!everything.contains(secret), "{secret} leaked into a payload, a header or the log");
    }
    let mut disk = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            disk.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(!disk.windows(secret.len()).any(|w| w == secret.as_bytes()), "the signing secret is sealed at rest");
    assert!(logs.text().contains("webhook delivered"), "deliveries are logged: {}", logs.text());
}

#[tokio::test]
async fn only_subscribed_events_are_queued() {
    let (_dir, store, tenant) = store_with_tenant().await;
    let events = Events::new(store, fast(3));
    let request = WebhookRequest {
        url: "https://hooks.example.com/flowauth".into(),
        events: vec!["token.failed".into()],
        ..WebhookRequest::default()
    };
    events.set_webhook(&tenant.id, request).await.unwrap();
    events.emit(&tenant.id, Event::new(EventKind::Active, "t1", "a", &provider(&tenant))).await;
    events.emit(&tenant.id, Event::new(EventKind::Failed, "t2", "b", &provider(&tenant))).await;
    let log = events.deliveries(&tenant.id, 10).await.unwrap();
    let kinds: Vec<_> = log.iter().map(|d| d.event.as_str()).collect();
    assert_eq!(kinds, ["token.failed"]);
}

#[tokio::test]
async fn attempts_are_bounded_then_the_delivery_fails() {
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500, 503, 502, 500]);
    let (_dir, store, tenant) = store_with_tenant().await;
    let events = Events::new(store, fast(3));
    let request = WebhookRequest { url: receiver.url(), ..WebhookRequest::default() };
    events.set_webhook(&tenant.id, request).await.unwrap();
    events.spawn_worker().unwrap();
    events.emit(&tenant.id, Event::new(EventKind::Failed, "t1", "a", &provider(&tenant))).await;

    let deadline = tokio::time::Instant::now() + WAIT;
    let log = loop {
        let log = events.deliveries(&tenant.id, 10).await.unwrap();
        if log[0].status != DeliveryStatus::Pending || tokio::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(log[0].status, DeliveryStatus::Failed, "{log:?}");
    assert_eq!(log[0].attempts, 3);
    let codes: Vec<_> = log[0].attempt_log.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(503), Some(502)]);
    assert_eq!(log[0].last_error.as_deref(), Some("the receiver answered 502"));
    assert_eq!(log[0].next_attempt_at_ms, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3, "no attempt after the last");
}

#[tokio::test]
async fn a_receiver_that_is_down_is_retried_with_the_error_logged() {
    let (_dir, store, tenant) = store_with_tenant().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let events = Events::new(store, fast(2));
    let request = WebhookRequest { url: format!("http://{closed}/hooks"), ..WebhookRequest::default() };
    events.set_webhook(&tenant.id, request).await.unwrap();
    events.spawn_worker().unwrap();
    events.emit(&tenant.id, Event::new(EventKind::Failed, "t1", "a", &provider(&tenant))).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let log = loop {
        let log = events.deliveries(&tenant.id, 10).await.unwrap();
        if log[0].status != DeliveryStatus::Pending || tokio::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!((log[0].status, log[0].attempts), (DeliveryStatus::Failed, 2), "{log:?}");
    assert!(log[0].attempt_log.iter().all(|a| a.status_code.is_none() && a.error.is_some()), "{log:?}");
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_cut_off_at_the_timeout() {
    let receiver = Receiver::start().await;
    let (_dir, store, tenant) = store_with_tenant().await;
    let events = Events::new(store, DeliveryConfig { request_timeout: Duration::from_millis(300), ..fast(1) });
    let request = WebhookRequest { url: receiver.hanging_url(), ..WebhookRequest::default() };
    events.set_webhook(&tenant.id, request).await.unwrap();
    events.spawn_worker().unwrap();
    events.emit(&tenant.id, Event::new(EventKind::Failed, "t1", "a", &provider(&tenant))).await;
    let log = wait_finished(&events, &tenant).await;
    assert_eq!(log[0].status, DeliveryStatus::Failed, "{log:?}");
    let attempt = &log[0].attempt_log[0];
    assert_eq!(attempt.error.as_deref(), Some("the receiver did not answer in time"));
    assert!(attempt.duration_ms < 3000, "{attempt:?}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let receiver = Receiver::start().await;
    let (_dir, store, tenant) = store_with_tenant().await;
    let events = Events::new(store, fast(1));
    let request = WebhookRequest { url: receiver.redirecting_url(), ..WebhookRequest::default() };
    events.set_webhook(&tenant.id, request).await.unwrap();
    events.spawn_worker().unwrap();
    events.emit(&tenant.id, Event::new(EventKind::Failed, "t1", "a", &provider(&tenant))).await;
    let log = wait_finished(&events, &tenant).await;
    assert_eq!((log[0].status, log[0].last_status_code), (DeliveryStatus::Failed, Some(307)), "{log:?}");
    assert!(log[0].last_error.as_deref().unwrap_or_default().contains("set the final URL"), "{log:?}");
    assert!(receiver.received().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn a_webhook_set_by_a_permissive_process_is_refused_by_a_strict_sender() {
    let (_dir, store, tenant) = store_with_tenant().await;
    let receiver = Receiver::start().await;
    let permissive = Events::new(store.clone(), fast(1));
    let request = WebhookRequest { url: receiver.url(), ..WebhookRequest::default() };
    permissive.set_webhook(&tenant.id, request).await.unwrap();
    let strict = Events::new(store, DeliveryConfig { allow_private_network: false, ..fast(1) });
    strict.spawn_worker().unwrap();
    strict.emit(&tenant.id, Event::new(EventKind::Failed, "t1", "a", &provider(&tenant))).await;
    let log = wait_finished(&strict, &tenant).await;
    let error = log[0].last_error.clone().unwrap_or_default();
    assert!(error.starts_with("refused:") && error.contains("--allow-private-network"), "{error}");
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn finished_deliveries_are_pruned_pending_ones_kept() {
    let (_dir, store, tenant) = store_with_tenant().await;
    let events = Events::new(store.clone(), fast(3));
    let request = WebhookRequest { url: "https://hooks.example.com/x".into(), ..WebhookRequest::default() };
    events.set_webhook(&tenant.id, request).await.unwrap();
    events.emit(&tenant.id, Event::new(EventKind::Failed, "t1", "a", &provider(&tenant))).await;
    events.emit(&tenant.id, Event::new(EventKind::Failed, "t2", "b", &provider(&tenant))).await;
    let log = events.deliveries(&tenant.id, 10).await.unwrap();
    let attempt = flowauth::store::Attempt { attempt: 1, at: 0, status_code: Some(200), error: None, duration_ms: 1 };
    let endpoint = flowauth::store::EndpointReport { timed_out: false, open_after: 5, open_until_ms: 0 };
    store.record_attempt(&log[0].id, &attempt, flowauth::store::AfterAttempt::Delivered, endpoint).await.unwrap();
    let pruned = store.prune_deliveries(flowauth::store::now() + 1).await.unwrap();
    assert_eq!(pruned, 1);
    let left = events.deliveries(&tenant.id, 10).await.unwrap();
    assert_eq!((left.len(), left[0].status), (1, DeliveryStatus::Pending));
}

async fn wait_delivered(events: &Events, tenant: &Tenant, count: usize) -> Vec<flowauth::store::DeliveryRecord> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log = events.deliveries(&tenant.id, 50).await.unwrap();
        let delivered = log.iter().filter(|d| d.status == DeliveryStatus::Delivered).count();
        if delivered >= count || tokio::time::Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_finished(events: &Events, tenant: &Tenant) -> Vec<flowauth::store::DeliveryRecord> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log = events.deliveries(&tenant.id, 50).await.unwrap();
        if log.iter().all(|d| d.status != DeliveryStatus::Pending) || tokio::time::Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// End to end, through the real binary.

fn flowauth(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flowauth"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("FLOWAUTH_MASTER_KEY")
        .output()
        .unwrap()
}

async fn put_webhook(server: &Server, key: &str, body: Value) -> (StatusCode, Value) {
    server.api().call(reqwest::Method::PUT, "/v1/tenants/acme/webhook", key, Some(body)).await
}

#[tokio::test]
async fn the_server_delivers_what_another_process_queued_retrying_after_a_500() {
    let receiver = Receiver::start().await;
    receiver.answer_next(&[500]);
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let server = Server::start_with(
        env!("CARGO_BIN_EXE_flowauth"),
        dir.clone(),
        &["--allow-private-network", "--webhook-retry-ms", "100"],
    )
    .await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();

    let (status, set) =
        put_webhook(&server, &key, json!({"url": receiver.url(), "events": ["token.needs_reauth"]})).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let secret = set["secret"].as_str().unwrap().to_owned();
    let (status, shown) = api.get("/v1/tenants/acme/webhook", &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["url"], receiver.url());
    assert_eq!(shown["events"], json!(["token.needs_reauth"]));
    assert!(shown.get("secret").is_none(), "the secret is shown once: {shown}");
    let (_, again) = put_webhook(&server, &key, json!({"url": receiver.url(), "events": ["token.needs_reauth"]})).await;
    assert!(again.get("secret").is_none(), "an update keeps the secret: {again}");

    // Another process (a CLI, say) emits into the same store.
    let store = Store::open(&StoreConfig::in_dir(dir.path())).await.unwrap();
    let tenant = store.tenant("acme").await.unwrap().unwrap();
    let elsewhere = Events::new(store, DeliveryConfig::default());
    elsewhere.emit(&tenant.id, Event::new(EventKind::Active, "tok-0", "ignored", &provider(&tenant))).await;
    let event = Event::new(EventKind::NeedsReauth, "tok-1", "sales-bot", &provider(&tenant))
        .with_error("invalid_grant", "refresh token revoked");
    elsewhere.emit(&tenant.id, event).await;

    let received = receiver.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "a 500, then the retry: {received:?}");
    assert_eq!((received[0].answered, received[1].answered), (500, 200));
    for got in &received {
        let payload = got.verified(&secret).unwrap_or_else(|e| panic!("{e}: {got:?}"));
        assert_eq!(payload["type"], "token.needs_reauth");
        assert_eq!(got.header("flowauth-delivery"), received[0].header("flowauth-delivery"), "one delivery, retried");
    }

    let deadline = tokio::time::Instant::now() + WAIT;
    let deliveries = loop {
        let (status, body) = api.get("/v1/tenants/acme/webhook/deliveries", &key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["deliveries"][0]["status"] != "pending" || tokio::time::Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let list = deliveries["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 1, "token.active is not subscribed: {deliveries}");
    let delivery = &list[0];
    assert_eq!((delivery["status"].as_str(), delivery["attempts"].as_i64()), (Some("delivered"), Some(2)));
    let attempts = delivery["attempt_log"].as_array().unwrap();
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[0]["error"], "the receiver answered 500");
    assert_eq!(attempts[1]["status_code"], 200);
    assert!(attempts[1]["error"].is_null());

    let cli = flowauth(dir.path(), &["--json", "webhook", "deliveries", "--tenant", "acme"]);
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let from_cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(from_cli["deliveries"][0]["attempt_log"], delivery["attempt_log"], "the CLI and the API agree");

    let openapi: Value = reqwest::get(format!("{}/v1/openapi.json", server.base)).await.unwrap().json().await.unwrap();
    assert!(openapi["paths"].get("/v1/tenants/{tenant}/webhook/deliveries").is_some());

    let (exit, log) = server.stop();
    assert!(exit.success());
    assert!(log.contains("webhook delivered"), "{log}");
    let everything = format!("{log}{deliveries}{}", received.iter().map(|r| r.body.clone()).collect::<String>());
    for secret in [secret.as_str(), CLIENT_SECRET, ADMIN_KEY, key.as_str()] {
        assert!(!everything.contains(secret), "{secret} leaked into a payload, the log or the delivery log");
    }
}

#[tokio::test]
async fn urls_are_refused_unless_https_and_the_server_allows_private_networks() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let server = Server::start_with(env!("CARGO_BIN_EXE_flowauth"), dir.clone(), &[]).await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();
    let (_, beta) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "beta"})).await;
    let beta_key = beta["api_key"].as_str().unwrap().to_owned();

    let (status, error) = put_webhook(&server, &key, json!({"url": "http://127.0.0.1:9/hooks"})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_allowed")));
    assert!(error["error"]["message"].as_str().unwrap().contains("--allow-private-network"), "{error}");
    for not_public in [
        "https://10.1.2.3/in",
        "https://169.254.169.254/latest",
        "https://[2002:a9fe:a9fe::]/latest",
        "https://[2001::5efe:7f00:1]/in",
        "https://[64:ff9b:1::7f00:1]/in",
        "https://[::127.0.0.1]/in",
        "https://198.18.0.1/in",
        "https://localhost/in",
    ] {
        let (status, error) = put_webhook(&server, &key, json!({"url": not_public})).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("not_allowed")),
            "{not_public}"
        );
    }
    for refused in [
        json!({"url": "http://hooks.example.com/in"}),
        json!({"url": "hooks.example.com/in"}),
        json!({"url": "https://hooks.example.com/in", "events": ["token.expired"]}),
        json!({"url": "https://hooks.example.com/in", "secret": "short"}),
    ] {
        let (status, error) = put_webhook(&server, &key, refused.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}: {error}");
    }
    let (status, error) = api.get("/v1/tenants/acme/webhook", &key).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

    let own = "x".repeat(40);
    let (status, set) = put_webhook(&server, &key, json!({"url": "https://hooks.example.com/in", "secret": own})).await;
    assert_eq!((status, set["secret"].as_str()), (StatusCode::OK, Some(own.as_str())), "{set}");
    let (status, _) = api.get("/v1/tenants/acme/webhook", &beta_key).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api.call(reqwest::Method::DELETE, "/v1/tenants/acme/webhook", &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get("/v1/tenants/acme/webhook", &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    drop(server);

    // The CLI applies the same policy under its own flag.
    let refused = flowauth(dir.path(), &["webhook", "set", "--tenant", "acme", "--url", "http://127.0.0.1:9/hooks"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--allow-private-network"));
    let allowed = flowauth(
        dir.path(),
        &[
            "--allow-private-network",
            "--json",
            "webhook",
            "set",
            "--tenant",
            "acme",
            "--url",
            "http://127.0.0.1:9/hooks",
        ],
    );
    assert!(allowed.status.success(), "{}", String::from_utf8_lossy(&allowed.stderr));
    let set: Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert!(set["secret"].as_str().unwrap().starts_with("whsec_"));
    let shown = flowauth(dir.path(), &["--json", "webhook", "show", "--tenant", "acme"]);
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!((shown["url"].as_str(), shown.get("secret")), (Some("http://127.0.0.1:9/hooks"), None));
    let rotated = flowauth(
        dir.path(),
        &["--json", "webhook", "set", "--tenant", "acme", "--url", "https://hooks.example.com/in", "--rotate-secret"],
    );
    let rotated: Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_ne!(rotated["secret"], set["secret"], "a rotated secret is new");
    let removed = flowauth(dir.path(), &["webhook", "remove", "--tenant", "acme"]);
    assert!(removed.status.success());
}

#[tokio::test]
async fn key_rotation_reseals_the_signing_secret() {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = flowauth(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    run(&["--json", "init"]);
    run(&["--json", "tenant", "create", "acme"]);
    let set =
        run(&["--allow-private-network", "--json", "webhook", "set", "--tenant", "acme", "--url", &receiver.url()]);
    let secret = set["secret"].as_str().unwrap().to_owned();
    let rotated = run(&["--json", "keys", "rotate"]);
    assert_eq!(rotated["resealed"], 1, "the webhook secret is among the sealed columns: {rotated}");

    let store = Store::open(&StoreConfig::in_dir(dir.path())).await.unwrap();
    let tenant = store.tenant("acme").await.unwrap().unwrap();
    let events = Events::new(store, fast(1));
    events.spawn_worker().unwrap();
    events.emit(&tenant.id, Event::new(EventKind::Active, "t1", "a", &provider(&tenant))).await;
    let received = receiver.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "{:?}", events.deliveries(&tenant.id, 5).await.unwrap());
    received[0].verified(&secret).expect("signed with the same secret after rotation");
}

#[tokio::test]
async fn the_token_lifecycle_tells_the_webhook_when_a_token_needs_reauthorization() {
    let receiver = Receiver::start().await;
    let idp = flowauth_tests::MockIdp::start().await;
    let server = Server::start(env!("CARGO_BIN_EXE_flowauth")).await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();
    let load = json!({"devtools": {"HTTP": {"CLIENT_ID": flowauth_tests::CLIENT_ID, "CLIENT_SECRET": flowauth_tests::CLIENT_SECRET,
        "BASE_URL": idp.base_url(), "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}});
    api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    let (_, set) = put_webhook(&server, &key, json!({"url": receiver.url()})).await;
    let secret = set["secret"].as_str().unwrap().to_owned();

    let start = json!({"name": "bot", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code"});
    let (_, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;
    let link = url::Url::parse(started["auth_link"].as_str().unwrap()).unwrap();
    let state = link.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    reqwest::get(format!("{}/oauth/return?code=short-code&state={state}", server.base)).await.unwrap();
    idp.family(|f| f.revoked = true);
    let (status, answer) = api.post("/v1/tenants/acme/tokens/bot/access-token", &key, json!({})).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_grant")));

    let received = receiver.wait_for(2, WAIT).await;
    let payloads: Vec<Value> = received.iter().map(|got| got.verified(&secret).unwrap()).collect();
    let types: Vec<&str> = payloads.iter().filter_map(|p| p["type"].as_str()).collect();
    assert!(types.contains(&"token.active") && types.contains(&"token.needs_reauth"), "{payloads:?}");
    let reauth = payloads.iter().find(|p| p["type"] == "token.needs_reauth").unwrap().to_string();
    assert!(reauth.contains("invalid_grant") && !reauth.contains("fam-0"), "{reauth}");
}

/// The red team's scenario, scaled down: tenant A's receiver hangs with a
/// backlog queued before tenant B's one event.
#[tokio::test]
async fn a_hanging_receiver_does_not_hold_up_another_tenants_delivery() {
    const BACKLOG: usize = 40;
    let (_dir, store, acme) = store_with_tenant().await;
    let beta = store.create_tenant("beta").await.unwrap();
    let (hung, fine) = (Receiver::start().await, Receiver::start().await);
    let events = Events::new(store, fast(8));
    let to = |url: String| WebhookRequest { url, ..WebhookRequest::default() };
    events.set_webhook(&acme.id, to(hung.hanging_url())).await.unwrap();
    events.set_webhook(&beta.id, to(fine.url())).await.unwrap();
    for n in 0..BACKLOG {
        events.emit(&acme.id, Event::new(EventKind::Failed, &format!("a{n}"), "a", &provider(&acme))).await;
    }
    events.spawn_worker().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    events.emit(&beta.id, Event::new(EventKind::Failed, "b", "b", &provider(&beta))).await;

    // Only a guard against hanging forever: B's event must not wait for A's backlog.
    let received = fine.wait_for(1, Duration::from_secs(120)).await;
    assert_eq!(received.len(), 1, "tenant B's event never arrived");
    let backlog = events.deliveries(&acme.id, BACKLOG).await.unwrap();
    let untouched = backlog.iter().filter(|d| d.attempts == 0).count();
    assert!(
        untouched >= BACKLOG / 2,
        "tenant B waited until {} of tenant A's {BACKLOG} deliveries had been tried",
        BACKLOG - untouched
    );
}

#[tokio::test]
async fn an_endpoint_that_keeps_timing_out_gets_a_shorter_deadline() {
    let hung = Receiver::start().await;
    let (_dir, store, tenant) = store_with_tenant().await;
    let config = DeliveryConfig {
        short_request_timeout: Duration::from_millis(200),
        short_timeout_after: 2,
        tenant_slots: 1,
        circuit_failures: 100,
        ..fast(8)
    };
    let events = Events::new(store, config);
    events
        .set_webhook(&tenant.id, WebhookRequest { url: hung.hanging_url(), ..WebhookRequest::default() })
        .await
        .unwrap();
    events.spawn_worker().unwrap();
    for n in 0..3 {
        events.emit(&tenant.id, Event::new(EventKind::Failed, &format!("t{n}"), "a", &provider(&tenant))).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let attempts = loop {
        let log = events.deliveries(&tenant.id, 10).await.unwrap();
        let attempts: Vec<_> = log.into_iter().flat_map(|d| d.attempt_log).collect();
        if attempts.len() >= 5 || tokio::time::Instant::now() > deadline {
            break attempts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let errors: Vec<&str> = attempts.iter().filter_map(|a| a.error.as_deref()).collect();
    assert_eq!(errors.len(), attempts.len(), "{attempts:?}");
    let plain = errors.iter().filter(|e| **e == "the receiver did not answer in time").count();
    assert_eq!(plain, 2, "the first two attempts (one at a time) get the whole deadline: {errors:?}");
    let short: Vec<_> = attempts.iter().filter(|a| a.error.as_deref().unwrap().contains("shorter deadline")).collect();
    assert_eq!(short.len(), attempts.len() - 2, "{errors:?}");
    // Generous: cut at 200 ms, well before the 2 s deadline.
    assert!(short.iter().all(|a| a.duration_ms < 1500), "{short:?}");
}

#[tokio::test]
async fn a_failing_endpoint_opens_its_circuit_says_so_in_the_log_and_recovers() {
    const EVENTS: usize = 6;
    let receiver = Receiver::start().await;
    receiver.answer_always(Some(503));
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let flags = [
        "--allow-private-network",
        "--webhook-retry-ms",
        "100",
        "--webhook-circuit-failures",
        "3",
        "--webhook-circuit-open-ms",
        "1500",
    ];
    let server = Server::start_with(env!("CARGO_BIN_EXE_flowauth"), dir.clone(), &flags).await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();
    let (status, _) = put_webhook(&server, &key, json!({"url": receiver.url()})).await;
    assert_eq!(status, StatusCode::OK);
    let store = Store::open(&StoreConfig::in_dir(dir.path())).await.unwrap();
    let tenant = store.tenant("acme").await.unwrap().unwrap();
    let elsewhere = Events::new(store, DeliveryConfig::default());
    for n in 0..EVENTS {
        elsewhere.emit(&tenant.id, Event::new(EventKind::Failed, &format!("t{n}"), "a", &provider(&tenant))).await;
    }

    // Open: the log says so, and until when.
    let log_until = |wanted: &'static str| {
        let api = server.api();
        let key = key.clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            loop {
                let before_ms = flowauth::store::now_ms();
                let (status, log) = api.get("/v1/tenants/acme/webhook/deliveries", &key).await;
                assert_eq!(status, StatusCode::OK, "{log}");
                if log["circuit"]["state"] == wanted || tokio::time::Instant::now() > deadline {
                    return (before_ms, log);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let (before_ms, log) = log_until("open").await;
    let circuit = &log["circuit"];
    assert_eq!(circuit["state"], "open", "{log}");
    assert!(circuit["open_until"].as_i64().unwrap() * 1000 >= before_ms, "{circuit}");
    assert!(circuit["consecutive_failures"].as_i64().unwrap() >= 3, "{circuit}");
    assert!(circuit["message"].as_str().unwrap().contains("probe"), "{circuit}");
    let pending = log["deliveries"].as_array().unwrap().iter().filter(|d| d["status"] == "pending").count();
    assert_eq!(pending, EVENTS, "nothing is dropped while the circuit is open: {log}");

    // The CLI shows the same log (JSON), and says it in its text.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (json_log, text) = loop {
        let json_log = flowauth(dir.path(), &["--json", "webhook", "deliveries", "--tenant", "acme"]);
        let text = flowauth(dir.path(), &["webhook", "deliveries", "--tenant", "acme"]);
        let json_log: Value = serde_json::from_slice(&json_log.stdout).unwrap();
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        let open = json_log["circuit"]["state"] == "open" && text.starts_with("circuit open until");
        if open || tokio::time::Instant::now() > deadline {
            break (json_log, text);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(json_log["circuit"]["state"], "open", "{json_log}");
    assert!(json_log["circuit"]["open_until"].is_i64(), "{json_log}");
    assert!(text.starts_with("circuit open until") && text.contains("probe"), "{text}");

    // The receiver recovers: a probe succeeds, the circuit closes and the
    // held deliveries are sent.
    receiver.answer_always(None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let log = loop {
        let (_, log) = log_until("closed").await;
        let delivered = log["deliveries"].as_array().unwrap().iter().filter(|d| d["status"] == "delivered").count();
        if delivered == EVENTS || tokio::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(log["circuit"]["state"], "closed", "{log}");
    assert_eq!(log["circuit"]["consecutive_failures"], 0, "{log}");
    let statuses: Vec<&str> =
        log["deliveries"].as_array().unwrap().iter().filter_map(|d| d["status"].as_str()).collect();
    assert_eq!(statuses, ["delivered"; EVENTS], "{log}");
    let received = receiver.received();
    let mut ids: Vec<&str> =
        received.iter().filter(|r| r.answered == 200).map(|r| r.header("flowauth-delivery")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), EVENTS, "every held event reached the receiver");
    let (_, server_log) = server.stop();
    assert!(server_log.contains("webhook circuit opened"), "{server_log}");
    assert!(server_log.contains("webhook circuit closed"), "{server_log}");
}
