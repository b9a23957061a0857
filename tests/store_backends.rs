//! What the store promises on every backend beyond the token lifecycle:
//! the sealed-column list covers the schema, bad stored data is an error,
//! leases keep their contract, a key rotation by another process is
//! followed and never undoes a concurrent refresh, a change on one instance
//! reaches another's cache at once (PostgreSQL), and `store copy` moves a
//! whole store across backends.

use std::sync::Arc;
use std::time::Duration;

use flowauth::store::{
    AfterAttempt, Attempt, CircuitState, EndpointReport, Issued, KeySource, LoadMode, NewDelivery, NewToken, Outcome,
    Slots, Store, StoreError, new_id, now_ms,
};
use flowauth::tokens::TokenService;
use flowauth_tests::lifecycle::{REDIRECT, Setup, authorized, given_key, open_at, setup_on};
use flowauth_tests::postgres::{Backend, outside};
use flowauth_tests::{eventually, on_each_backend};

/// The column type of sealed values on `backend`.
fn blob(backend: &Backend) -> &'static str {
    if backend.name == "postgres" { "BYTEA" } else { "BLOB" }
}

/// Queues `count` deliveries for the tenant's webhook (set here if it has none).
async fn queue_deliveries(store: &Store, tenant_id: &str, count: usize) {
    let webhook = match store.webhook(tenant_id).await.unwrap() {
        Some(webhook) => webhook,
        None => store.put_webhook(tenant_id, "https://hooks.example.com/in", &[], "whsec", true).await.unwrap().0,
    };
    for n in 0..count {
        let delivery = NewDelivery {
            id: new_id(),
            webhook_id: webhook.id.clone(),
            tenant_id: tenant_id.to_owned(),
            event: "token.active".into(),
            payload: format!("{{\"n\":{n}}}"),
        };
        store.queue_delivery(&delivery).await.unwrap();
    }
}

/// What the worker tells the store after an attempt: two failures in a row open the circuit until `open_until_ms`.
fn report(open_until_ms: i64) -> EndpointReport {
    EndpointReport { timed_out: false, open_after: 2, open_until_ms }
}

/// Records a failed first attempt of `delivery_id`, due again at once.
async fn fail(store: &Store, delivery_id: &str, open_until_ms: i64) {
    let attempt = Attempt { attempt: 1, at: 0, status_code: Some(503), error: Some("503".into()), duration_ms: 1 };
    store
        .record_attempt(delivery_id, &attempt, AfterAttempt::RetryAt(now_ms() - 1), report(open_until_ms))
        .await
        .unwrap();
}

/// Moves a token's expiry into the past, so the next access refreshes it.
async fn expire(s: &Setup, id: &str) {
    sqlx::query("UPDATE tokens SET expires_at = 1, issued_at = 0 WHERE id = $1")
        .bind(id)
        .execute(&s.database().await)
        .await
        .unwrap();
}

on_each_backend! {
    async fn a_sealed_column_missing_from_the_list_refuses_to_open(backend) {
        let s = setup_on(backend).await;
        let alter = format!("ALTER TABLE tokens ADD COLUMN note_sealed {}", blob(backend));
        sqlx::query(&alter).execute(&s.database().await).await.unwrap();
        let refused = s.open_again(given_key(1)).await.unwrap_err();
        assert!(matches!(refused, StoreError::Corrupt(_)), "{backend}: {refused}");
        assert!(refused.to_string().contains("tokens.note_sealed"), "{backend}: {refused}");
    }

    async fn stored_values_flowauth_did_not_write_are_errors_not_defaults(backend) {
        let s = setup_on(backend).await;
        let id = authorized(&s, "good-code").await;
        let store = s.service.store();
        let database = s.database().await;
        sqlx::query("UPDATE tokens SET status = 'bogus' WHERE id = $1").bind(&id).execute(&database).await.unwrap();
        let error = store.token(&s.tenant.id, &id).await.unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(_)), "{backend}: {error}");
        assert!(error.to_string().contains("bogus"), "{backend}: {error}");
        sqlx::query("UPDATE tokens SET status = 'active', scopes = 'not json' WHERE id = $1")
            .bind(&id)
            .execute(&database)
            .await
            .unwrap();
        let error = store.token(&s.tenant.id, &id).await.unwrap_err();
        assert!(error.to_string().contains("tokens.scopes"), "{backend}: {error}");
    }

    async fn leases_are_exclusive_and_given_back_on_every_path(backend) {
        let s = setup_on(backend).await;
        let id = authorized(&s, "good-code").await;
        let (one, other) = (s.service.store().clone(), s.open_again(given_key(1)).await.unwrap());
        let lease = one.try_lease(&id, 60).await.unwrap().expect("a free lease");
        assert!(other.try_lease(&id, 60).await.unwrap().is_none(), "{backend}: held by the first handle");
        assert!(one.try_lease(&id, 60).await.unwrap().is_none(), "{backend}: not even its holder takes it twice");
        lease.release().await;
        let lease = other.try_lease(&id, 60).await.unwrap().expect("free once released");
        drop(lease);
        let mut taken = None;
        for _ in 0..200 {
            taken = one.try_lease(&id, 60).await.unwrap();
            if taken.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(taken.is_some(), "{backend}: a dropped lease is given back");
    }

    async fn instances_claiming_webhook_deliveries_at_once_never_share_one(backend) {
        let s = setup_on(backend).await;
        let store = s.service.store().clone();
        let (webhook, _) =
            store.put_webhook(&s.tenant.id, "https://hooks.example.com/in", &[], "whsec", true).await.unwrap();
        for n in 0..60 {
            let delivery = NewDelivery {
                id: new_id(),
                webhook_id: webhook.id.clone(),
                tenant_id: s.tenant.id.clone(),
                event: "token.active".into(),
                payload: format!("{{\"n\":{n}}}"),
            };
            store.queue_delivery(&delivery).await.unwrap();
        }
        let mut workers = Vec::new();
        for _ in 0..4 {
            let handle = s.open_again(given_key(1)).await.unwrap();
            workers.push(tokio::spawn(async move {
                let mut claimed = Vec::new();
                for _ in 0..10 {
                    let due = handle.claim_deliveries(now_ms() + 1000, 60_000, &mut Slots::new(5, 5)).await.unwrap();
                    claimed.extend(due.into_iter().map(|d| d.id));
                }
                claimed
            }));
        }
        let mut all = Vec::new();
        for worker in workers {
            all.extend(worker.await.unwrap());
        }
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!((all.len(), count), (60, 60), "{backend}: every delivery claimed once, by one instance");
    }

    async fn claims_take_turns_across_tenants_within_their_share(backend) {
        let s = setup_on(backend).await;
        let store = s.service.store().clone();
        let beta = store.create_tenant("beta").await.unwrap();
        queue_deliveries(&store, &s.tenant.id, 10).await;
        queue_deliveries(&store, &beta.id, 2).await;
        let mut slots = Slots::new(4, 2);
        let due = store.claim_deliveries(now_ms() + 1000, 60_000, &mut slots).await.unwrap();
        let beta_claimed = due.iter().filter(|d| d.tenant_id == beta.id).count();
        assert_eq!((due.len(), beta_claimed), (4, 2), "{backend}: two each, though acme's are older");
        assert!(store.claim_deliveries(now_ms() + 1000, 60_000, &mut slots).await.unwrap().is_empty());
        slots.give_back(&s.tenant.id);
        let due = store.claim_deliveries(now_ms() + 1000, 60_000, &mut slots).await.unwrap();
        assert_eq!(due.len(), 1, "{backend}: a slot given back is taken again");
        assert_eq!(due[0].tenant_id, s.tenant.id);
    }

    async fn an_open_circuit_holds_deliveries_and_a_half_open_one_lets_one_probe_through(backend) {
        let s = setup_on(backend).await;
        let store = s.service.store().clone();
        queue_deliveries(&store, &s.tenant.id, 5).await;
        let claim = |store: Store| async move {
            store.claim_deliveries(now_ms() + 1000, 60_000, &mut Slots::new(16, 16)).await.unwrap()
        };
        let first = claim(store.clone()).await;
        assert_eq!(first.len(), 5, "{backend}");
        // Two failures in a row open the circuit for a minute; nothing is dropped.
        for delivery in &first[..2] {
            fail(&store, &delivery.id, now_ms() + 60_000).await;
        }
        let health = store.endpoint_health(&s.tenant.id).await.unwrap().unwrap();
        assert_eq!((health.circuit(now_ms()), health.consecutive_failures), (CircuitState::Open, 2), "{backend}");
        assert!(claim(store.clone()).await.is_empty(), "{backend}: an open circuit holds its deliveries");
        assert!(store.next_delivery_due().await.unwrap().unwrap() >= health.circuit_open_until_ms.unwrap());

        // Past the pause, instances claiming at once send one probe between them.
        fail(&store, &first[2].id, now_ms() - 1).await;
        assert_eq!(store.endpoint_health(&s.tenant.id).await.unwrap().unwrap().circuit(now_ms()), CircuitState::HalfOpen);
        let mut claiming = Vec::new();
        for _ in 0..4 {
            let handle = s.open_again(given_key(1)).await.unwrap();
            claiming.push(tokio::spawn(claim(handle)));
        }
        let mut probes = Vec::new();
        for handle in claiming {
            probes.extend(handle.await.unwrap());
        }
        assert_eq!(probes.len(), 1, "{backend}: one probe");
        assert!(probes[0].probe);
        assert!(claim(store.clone()).await.is_empty(), "{backend}: the others wait for the probe's outcome");

        // The probe succeeds: the circuit closes and the held deliveries go.
        let attempt = Attempt { attempt: probes[0].attempts + 1, at: 0, status_code: Some(200), error: None, duration_ms: 1 };
        store.record_attempt(&probes[0].id, &attempt, AfterAttempt::Delivered, report(0)).await.unwrap();
        let health = store.endpoint_health(&s.tenant.id).await.unwrap().unwrap();
        assert_eq!((health.circuit(now_ms()), health.consecutive_failures), (CircuitState::Closed, 0), "{backend}");
        let rest = claim(store.clone()).await;
        assert_eq!(rest.len(), 2, "{backend}: the two failed ones, due again; two are still claimed");
        assert!(rest.iter().all(|d| !d.probe));

        // A new URL is a new endpoint: its circuit starts closed.
        for delivery in &rest {
            fail(&store, &delivery.id, now_ms() + 60_000).await;
        }
        let open = store.endpoint_health(&s.tenant.id).await.unwrap().unwrap();
        assert_eq!(open.circuit(now_ms()), CircuitState::Open, "{backend}");
        store.put_webhook(&s.tenant.id, "https://hooks.example.com/in", &[], "whsec", false).await.unwrap();
        assert_eq!(store.endpoint_health(&s.tenant.id).await.unwrap(), Some(open), "{backend}: same URL, same circuit");
        store.put_webhook(&s.tenant.id, "https://hooks.example.com/new", &[], "whsec", false).await.unwrap();
        let health = store.endpoint_health(&s.tenant.id).await.unwrap().unwrap();
        assert_eq!((health.circuit(now_ms()), health.consecutive_failures), (CircuitState::Closed, 0), "{backend}");
    }

    async fn a_rotation_by_another_process_is_followed(backend) {
        let s = setup_on(backend).await;
        // Two handles on one key file, as two processes sharing a data directory.
        let keys = KeySource::File(s.dir.path().join("master.key"));
        let fresh = Backend::fresh_like(backend).await;
        let first = open_at(s.dir.path(), &fresh.url, keys.clone()).await.unwrap();
        let second = open_at(s.dir.path(), &fresh.url, keys.clone()).await.unwrap();
        let tenant = first.create_tenant("acme").await.unwrap();
        let runtime = s.runtime.clone();
        let service = TokenService::new(first.clone(), runtime.clone(), REDIRECT.into());
        let load = flowauth_tests::lifecycle::load_file(&s.idp, "HTTP", flowauth_tests::CLIENT_SECRET);
        service.load_configuration(&tenant, &load, LoadMode::Replace).await.unwrap();

        let old = keys.load().unwrap();
        let ring = keys.add_key().unwrap();
        first.reseal(ring.clone()).await.unwrap();
        keys.retire_inactive().unwrap();
        assert_ne!(ring.active(), old.active());
        // The second handle still holds only the old key. It seals first:
        // it sees the key file changed and seals with the new key...
        let other_tenant = second.create_tenant("globex").await.unwrap();
        let other = TokenService::new(second.clone(), runtime, REDIRECT.into());
        other.load_configuration(&other_tenant, &load, LoadMode::Replace).await.unwrap();
        // ...and it opens what the rotation resealed.
        let provider = second.provider(&tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
        assert!(provider.settings.iter().any(|(k, _)| k == "CLIENT_SECRET"), "{backend}");
        // A new process with only the new key reads everything.
        let reopened = open_at(s.dir.path(), &fresh.url, keys).await.unwrap();
        for tenant in [&tenant, &other_tenant] {
            let provider = reopened.provider(&tenant.id, "devtools", "HTTP").await.unwrap();
            assert!(provider.is_some(), "{backend}: sealed after the rotation with the new key");
        }
    }
}

/// On PostgreSQL, a token refreshed through one instance is never handed
/// out stale by another: the change is announced and every cache drops it
/// at once (on SQLite the bound is the cache's 5 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_changed_on_one_instance_leaves_every_cache_at_once_on_postgres() {
    let Some(backend) = Backend::postgres().await else { return };
    let s = setup_on(&backend).await;
    let id = authorized(&s, "short-code").await;
    let other =
        Arc::new(TokenService::new(s.open_again(given_key(1)).await.unwrap(), s.runtime.clone(), REDIRECT.into()));
    let first = other.access_token(&s.tenant.id, &id).await.unwrap().access_token;
    assert_eq!(first, "at-fam-1", "the short-lived token was refreshed once");
    assert_eq!(other.access_token(&s.tenant.id, &id).await.unwrap().access_token, first, "cached");
    let renewed = s.service.refresh(&s.tenant.id, &id).await.unwrap().access_token;
    assert_eq!(renewed, "at-fam-2");
    let mut seen = String::new();
    for _ in 0..100 {
        seen = other.access_token(&s.tenant.id, &id).await.unwrap().access_token;
        if seen == renewed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen, renewed, "the other instance dropped its cached token within a second");
    s.service.delete(&s.tenant.id, &id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(other.access_token(&s.tenant.id, &id).await.is_err(), "a deleted token is not handed out");
}

/// An instance whose listening connection drops forgets its whole cache
/// when it listens again: a change announced meanwhile may be lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_lost_its_listener_forgets_its_cache_on_postgres() {
    let Some(backend) = Backend::postgres().await else { return };
    let s = setup_on(&backend).await;
    let id = authorized(&s, "short-code").await;
    let other = TokenService::new(s.open_again(given_key(1)).await.unwrap(), s.runtime.clone(), REDIRECT.into());
    let access = async || other.access_token(&s.tenant.id, &id).await.unwrap().access_token;
    assert_eq!(access().await, "at-fam-1");
    // Once through every pool the refresh below needs.
    assert_eq!(s.service.refresh(&s.tenant.id, &id).await.unwrap().access_token, "at-fam-2");
    eventually("the other instance seeing the refresh", async || access().await == "at-fam-2").await;

    // The listeners cannot reconnect while the token changes: its
    // announcement is lost for good, and only forgetting everything on
    // reconnecting keeps the other instance from handing out the old token.
    // A refresh may hold several connections at once (its lease, its
    // provider's key, its reads): open a few now, while the database still
    // takes new ones.
    let store = s.service.store();
    let warm = || store.token(&s.tenant.id, &id);
    let opened = tokio::join!(warm(), warm(), warm(), warm());
    assert!(opened.0.is_ok() && opened.3.is_ok());
    let (server, name) = outside(&s.database_url).await;
    // sqlx gives a connection back to its pool in a task of its own: let
    // those of the refresh above land there, so that the refresh below
    // finds them instead of opening new ones (which are refused).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let allow = |yes: bool| format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {yes}");
    sqlx::query(&allow(false)).execute(&server).await.unwrap();
    let stopped: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'",
    )
    .bind(&name)
    .fetch_all(&server)
    .await
    .unwrap();
    assert!(!stopped.is_empty(), "the instances listen");
    assert_eq!(s.service.refresh(&s.tenant.id, &id).await.unwrap().access_token, "at-fam-3");
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::query(&allow(true)).execute(&server).await.unwrap();
    let started = std::time::Instant::now();
    eventually("the other instance forgetting its cache", async || access().await == "at-fam-3").await;
    assert!(started.elapsed() < Duration::from_secs(4), "sooner than the cache's own 5 s");
}

/// `store copy` moves every row from SQLite into a new PostgreSQL
/// database; the copy's tokens open and refresh there, and a second copy
/// into the same database is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_copy_moves_a_whole_store_from_sqlite_to_postgres() {
    let Some(target) = Backend::postgres().await else { return };
    let source = Backend::sqlite();
    let s = setup_on(&source).await;
    let id = authorized(&s, "short-code").await;
    let store = s.service.store();
    store
        .put_webhook(&s.tenant.id, "https://hooks.example.com/in", &["token.active".into()], "whsec", true)
        .await
        .unwrap();
    expire(&s, &id).await;

    let copy = open_at(s.dir.path(), &target.url, given_key(1)).await.unwrap();
    let copied = store.copy_into(&copy).await.unwrap();
    assert_eq!(copied.tokens_verified, 1);
    let rows = |table: &str| copied.rows.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
    assert_eq!(
        (rows("tenants"), rows("providers"), rows("tokens"), rows("webhooks")),
        (Some(1), Some(1), Some(1), Some(1))
    );

    let moved = TokenService::new(copy.clone(), s.runtime.clone(), REDIRECT.into());
    let token = moved.access_token(&s.tenant.id, &id).await.unwrap();
    assert_eq!(token.access_token, "at-fam-1", "the copied refresh token refreshes on the target");
    let webhook = copy.subscription(&s.tenant.id).await.unwrap().expect("the webhook came along");
    assert_eq!(webhook.events, ["token.active"]);

    let again = store.copy_into(&copy).await.unwrap_err();
    assert!(again.to_string().contains("empty database"), "{again}");
    let wrong_keys = open_at(s.dir.path(), &target.url, given_key(9)).await.unwrap_err();
    assert!(matches!(wrong_keys, StoreError::MissingKey(_)), "the copy stays sealed with the source's keys");
}

/// A refresh that stores a new token set while a key rotation reseals the
/// same row keeps its token set: the rotation's write is a compare-and-swap
/// on the value it read. (On SQLite the rotation's transaction holds the
/// one write lock, so the two cannot interleave.) Made deterministic with a
/// row lock: the rotation reads the old value, then waits on the row while
/// the "refresh" commits its new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_during_a_key_rotation_keeps_its_token_set_on_postgres() {
    let Some(backend) = Backend::postgres().await else { return };
    let scratch = Backend::sqlite();
    let s = setup_on(&scratch).await;
    let keys = KeySource::File(s.dir.path().join("master.key"));
    let store = open_at(s.dir.path(), &backend.url, keys.clone()).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let service = TokenService::new(store.clone(), s.runtime.clone(), REDIRECT.into());
    let load = flowauth_tests::lifecycle::load_file(&s.idp, "HTTP", flowauth_tests::CLIENT_SECRET);
    service.load_configuration(&tenant, &load, LoadMode::Replace).await.unwrap();
    let provider = store.provider(&tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
    let token = NewToken {
        id: new_id(),
        tenant_id: tenant.id.clone(),
        provider_id: provider.id,
        name: "bot".into(),
        flow: "authorization_code".into(),
        scopes: vec![],
        inputs: vec![],
        client: None,
    };
    let issued = |access: &str| Issued {
        access_token: access.into(),
        token_type: "Bearer".into(),
        refresh_token: Some(format!("rt-{access}")),
        id_token: None,
        expires_at: Some(4_000_000_000),
        extra: vec![],
    };
    let database = {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&backend.url).await.unwrap()
    };
    let sealed = async || -> Vec<u8> {
        sqlx::query_scalar("SELECT access_token_sealed FROM tokens WHERE id = $1")
            .bind(&token.id)
            .fetch_one(&database)
            .await
            .unwrap()
    };
    // The refresh's new value, sealed for this row; then the old one back.
    store.create_token(&token, Outcome::Issued(&issued("at-new"))).await.unwrap();
    let newer = sealed().await;
    store.store_issued(&tenant.id, &token.id, &issued("at-old"), None).await.unwrap();

    let mut refresh = database.begin().await.unwrap();
    sqlx::query("UPDATE tokens SET access_token_sealed = $1 WHERE id = $2")
        .bind(&newer)
        .bind(&token.id)
        .execute(&mut *refresh)
        .await
        .unwrap();
    let ring = keys.add_key().unwrap();
    let rotation = tokio::spawn({
        let (store, ring) = (store.clone(), ring.clone());
        async move { store.reseal(ring).await.unwrap() }
    });
    // The rotation has read the old value and waits on the row.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!rotation.is_finished(), "the rotation waits for the row");
    refresh.commit().await.unwrap();
    rotation.await.unwrap();

    let kept = store.token(&tenant.id, &token.id).await.unwrap().unwrap();
    assert_eq!(kept.access_token.as_deref(), Some("at-new"), "the rotation did not undo the refresh");
    assert_eq!(store.reseal(ring).await.unwrap(), 1, "a second pass reseals what the refresh wrote");
}

on_each_backend! {
    async fn deleting_a_tenant_leaves_no_row_of_it_and_keeps_the_others(backend) {
        let s = setup_on(backend).await;
        let store = s.service.store().clone();
        authorized(&s, "good-code").await;
        s.service.start(&s.tenant, flowauth_tests::lifecycle::start_request(flowauth::tokens::Flow::AuthorizationCode))
            .await
            .unwrap();
        let (webhook, _) =
            store.put_webhook(&s.tenant.id, "https://hooks.example.com/in", &[], "whsec", true).await.unwrap();
        let delivery = NewDelivery {
            id: new_id(),
            webhook_id: webhook.id.clone(),
            tenant_id: s.tenant.id.clone(),
            event: "token.active".into(),
            payload: "{}".into(),
        };
        store.queue_delivery(&delivery).await.unwrap();
        let pool = s.database().await;
        sqlx::query("INSERT INTO webhook_attempts (delivery_id, attempt, at, duration_ms) VALUES ($1, 1, 0, 0)")
            .bind(&delivery.id)
            .execute(&pool)
            .await
            .unwrap();
        store.put_connector(&s.tenant.id, "own", "{}").await.unwrap();
        store.set_connect_origins(&s.tenant.id, &["https://app.example.com".into()]).await.unwrap();
        let session = flowauth::store::NewConnectSession {
            secret_hash: "h".into(),
            tenant_id: s.tenant.id.clone(),
            connector: "devtools".into(),
            provider: "HTTP".into(),
            name: "n".into(),
            scopes: vec![],
            return_to: "https://app.example.com/".into(),
            expires_at: 0,
        };
        store.create_connect_session(&session).await.unwrap();
        let beta = store.create_tenant("beta").await.unwrap();
        s.service
            .load_configuration(&beta, &flowauth_tests::lifecycle::load_file(&s.idp, "HTTP", "x"), LoadMode::Replace)
            .await
            .unwrap();

        assert!(store.delete_tenant(&s.tenant.id).await.unwrap());
        let columns = if backend.name == "postgres" {
            "SELECT table_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = 'tenant_id'"
        } else {
            "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = 'tenant_id'"
        };
        let tables: Vec<String> = sqlx::query_scalar(columns).fetch_all(&pool).await.unwrap();
        assert!(tables.len() >= 9, "{backend}: {tables:?}");
        for table in tables {
            let count = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
            let left: i64 = sqlx::query_scalar(&count).bind(&s.tenant.id).fetch_one(&pool).await.unwrap();
            assert_eq!(left, 0, "{backend}: {table} keeps rows of the deleted tenant");
        }
        let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_attempts").fetch_one(&pool).await.unwrap();
        assert_eq!(attempts, 0, "{backend}");
        assert!(store.tenant("acme").await.unwrap().is_none());
        assert_eq!(store.providers(&beta.id).await.unwrap().len(), 1, "{backend}: another tenant keeps its own");
        assert!(!store.delete_tenant(&s.tenant.id).await.unwrap(), "{backend}: gone already");
    }
}
