//! Refresh the way providers and callers misbehave, over each store
//! backend and a mock provider on 127.0.0.1 that rotates refresh tokens strictly
//! (a used one revokes the grant): callers that give up, refreshes that
//! fail, short-lived tokens, 5xx answers, hanging providers, concurrent
//! admins and oversized input.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flowauth::runtime::{CallError, Runtime};
use flowauth::store::{LoadMode, TokenStatus};
use flowauth::tokens::{Flow, LoadError, StartRequest, TokenError, TokenService};
use flowauth_tests::lifecycle::{REDIRECT, Setup, authorized, query, setup_on, setup_with_on, start_request, state_of};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, eventually, on_each_backend, test_runtime_config};
use serde_json::json;

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Moves a token's clock: `left` seconds to expiry out of a `lifetime`.
async fn age(s: &Setup, id: &str, left: i64, lifetime: i64) {
    let pool = s.database().await;
    let expires_at = unix_now() + left;
    sqlx::query("UPDATE tokens SET expires_at = $1, issued_at = $2 WHERE id = $3")
        .bind(expires_at)
        .bind(expires_at - lifetime)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
}

/// Runs `calls` concurrent access-token calls; their answers in order.
async fn concurrent_access(s: &Setup, id: &str, calls: usize) -> Vec<Result<String, TokenError>> {
    let calls: Vec<_> = (0..calls)
        .map(|_| {
            let (service, tenant, id) = (s.service.clone(), s.tenant.id.clone(), id.to_owned());
            tokio::spawn(async move { service.access_token(&tenant, &id).await.map(|t| t.access_token) })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    answers
}

on_each_backend! {
    async fn caller_gone_mid_refresh_keeps_the_rotated_token(backend) {
        let s = setup_on(backend).await;
        s.idp.family(|f| f.lifetime = Some(0));
        let id = authorized(&s, "short-code").await;
        s.idp.family(|f| {
            f.lifetime = Some(3600);
            f.delay = Duration::from_millis(500);
        });
        let (service, tenant, token) = (s.service.clone(), s.tenant.id.clone(), id.clone());
        let caller = tokio::spawn(async move { service.access_token(&tenant, &token).await });
        eventually("the refresh reaching the provider", async || s.idp.family_refreshes() == 1).await;
        caller.abort();

        let store = s.service.store();
        eventually("the rotated refresh token being stored", async || {
            store.token(&s.tenant.id, &id).await.unwrap().unwrap().refresh_token.as_deref() == Some("fam-1")
        })
        .await;
        let next = s.service.access_token(&s.tenant.id, &id).await.unwrap();
        assert_eq!(next.access_token, "at-fam-1");
        assert_eq!(store.token(&s.tenant.id, &id).await.unwrap().unwrap().status, TokenStatus::Active);
        assert_eq!((s.idp.uses_of("fam-0"), s.idp.uses_of("fam-1")), (1, 0), "each refresh token used once");
        assert!(!s.idp.family_revoked());
    }
}

on_each_backend! {
    async fn a_failed_refresh_reaches_every_waiter_with_one_provider_call(backend) {
        let s = setup_on(backend).await;
        s.idp.family(|f| f.lifetime = Some(0));
        let id = authorized(&s, "short-code").await;
        s.idp.family(|f| {
            f.revoked = true;
            f.delay = Duration::from_millis(200);
        });
        let answers = concurrent_access(&s, &id, 50).await;
        assert_eq!(s.idp.family_refreshes(), 1, "one provider call for 50 waiters");
        for answer in answers {
            assert_eq!(answer.unwrap_err().code(), "invalid_grant");
        }
        let token = s.service.store().token(&s.tenant.id, &id).await.unwrap().unwrap();
        assert_eq!(token.status, TokenStatus::NeedsReauth);
    }
}

on_each_backend! {
    async fn short_lived_tokens_refresh_once_per_half_lifetime(backend) {
        let s = setup_on(backend).await;
        s.idp.family(|f| f.lifetime = Some(30));
        let id = authorized(&s, "short-code").await;
        // Another process, so this one's cache stays cold.
        let other = TokenService::new(s.service.store().clone(), s.runtime.clone(), REDIRECT.into());
        let fresh = other.access_token(&s.tenant.id, &id).await.unwrap();
        assert_eq!(fresh.access_token, "at-fam-0", "a 30 s token is not due while more than 15 s are left");
        assert_eq!(s.idp.family_refreshes(), 0);

        age(&s, &id, 10, 30).await;
        let first = concurrent_access(&s, &id, 200).await;
        let later = concurrent_access(&s, &id, 200).await;
        assert!(first.iter().chain(&later).all(|a| a.as_deref().unwrap() == "at-fam-1"));
        assert_eq!(s.idp.family_refreshes(), 1, "400 calls on a 30 s token, one refresh");
    }
}

on_each_backend! {
    async fn a_provider_hiccup_hands_out_the_still_valid_token(backend) {
        let s = setup_on(backend).await;
        s.idp.family(|f| f.lifetime = Some(30));
        let id = authorized(&s, "short-code").await;
        age(&s, &id, 10, 30).await;
        s.idp.family(|f| f.failing = Some(503));
        let stale = || flowauth::metrics::METRICS.render();
        let before = stale_count(&stale());

        assert_eq!(s.service.access_token(&s.tenant.id, &id).await.unwrap().access_token, "at-fam-0");
        assert_eq!(s.service.access_token(&s.tenant.id, &id).await.unwrap().access_token, "at-fam-0");
        assert_eq!(s.idp.family_refreshes(), 1, "the failure is shared for a while, not retried by every caller");
        assert!(stale_count(&stale()) >= before + 2, "stale hand-outs are counted");

        let explicit = s.service.refresh(&s.tenant.id, &id).await.unwrap_err();
        assert!(explicit.is_passing() && explicit.retry_after_seconds().is_some(), "{explicit}");

        age(&s, &id, -1, 30).await;
        let expired = s.service.access_token(&s.tenant.id, &id).await.unwrap_err();
        assert!(expired.is_passing(), "an expired token is not handed out: {expired}");
        let token = s.service.store().token(&s.tenant.id, &id).await.unwrap().unwrap();
        assert_eq!(token.status, TokenStatus::Active, "a 503 is no reason to re-authorize");
    }
}

fn stale_count(metrics: &str) -> u64 {
    let line = metrics.lines().find(|l| l.starts_with("flowauth_token_stale_handouts_total ")).unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

on_each_backend! {
    async fn retry_refuses_an_active_token_unless_forced_and_keeps_it_serving(backend) {
        let s = setup_on(backend).await;
        let id = authorized(&s, "good-code").await;
        let refused = s.service.retry(&s.tenant.id, &id, false).await.unwrap_err();
        assert!(matches!(refused, TokenError::Conflict(_)) && refused.to_string().contains("refresh"), "{refused}");

        let denied = s.service.retry(&s.tenant.id, &id, true).await.unwrap();
        assert_eq!(denied.status, TokenStatus::Active);
        assert_eq!(s.service.access_token(&s.tenant.id, &id).await.unwrap().access_token, "at-1");
        let state = state_of(denied.auth_link.as_deref().unwrap());
        let done = s.service.callback(&query(&[("error", "access_denied"), ("state", &state)]), None).await.unwrap();
        assert_eq!(done.status, TokenStatus::Active, "a refused re-authorization leaves the token serving");
        assert!(done.error.is_some());
        assert_eq!(s.service.access_token(&s.tenant.id, &id).await.unwrap().access_token, "at-1");

        let generation = s.service.store().token(&s.tenant.id, &id).await.unwrap().unwrap().generation;
        let again = s.service.retry(&s.tenant.id, &id, true).await.unwrap();
        let state = state_of(again.auth_link.as_deref().unwrap());
        let done = s.service.callback(&query(&[("code", "good-code"), ("state", &state)]), None).await.unwrap();
        assert_eq!((done.status, done.error), (TokenStatus::Active, None));
        let token = s.service.store().token(&s.tenant.id, &id).await.unwrap().unwrap();
        assert_eq!(token.generation, generation + 1, "the new authorization replaced the token set");
    }
}

/// A provider entry whose token endpoint hangs until the test opens it.
fn hanging_provider(s: &Setup, display: &str) -> String {
    json!({"devtools": {display: {
        "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": s.idp.base_url(),
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token-gated",
    }}})
    .to_string()
}

fn client_credentials(provider: &str) -> StartRequest {
    StartRequest { provider: provider.into(), ..start_request(Flow::ClientCredentials) }
}

on_each_backend! {
    async fn a_client_credentials_start_given_up_leaves_no_token(backend) {
        let s = setup_on(backend).await;
        s.service.load_configuration(&s.tenant, &hanging_provider(&s, "Hanging"), LoadMode::Replace).await.unwrap();
        let (service, tenant) = (s.service.clone(), s.tenant.clone());
        let start = tokio::spawn(async move { service.start(&tenant, client_credentials("Hanging")).await });
        eventually("the request reaching the provider", async || s.idp.gated() == 1).await;
        start.abort();
        s.idp.open_gate();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(s.service.store().tokens(&s.tenant.id).await.unwrap().is_empty(), "no pending token left behind");

        let named = || StartRequest { name: "cc-bot".into(), ..client_credentials("Hanging") };
        let done = s.service.start(&s.tenant, named()).await.unwrap();
        let again = s.service.start(&s.tenant, named()).await.unwrap_err();
        assert!(matches!(again, TokenError::Conflict(_)), "token names are unique within a tenant: {again}");
        let token = s.service.store().token(&s.tenant.id, &done.id).await.unwrap().unwrap();
        assert_eq!(token.status, TokenStatus::Active, "the row appears with its outcome");
    }
}

on_each_backend! {
    async fn twenty_admins_loading_at_once_all_succeed(backend) {
        let s = setup_on(backend).await;
        let loads: Vec<_> = (0..20)
            .map(|i| {
                let (service, tenant) = (s.service.clone(), s.tenant.clone());
                let file = flowauth_tests::lifecycle::load_file(&s.idp, &format!("P{}", i % 5), CLIENT_SECRET);
                let mode = if i % 2 == 0 { LoadMode::Replace } else { LoadMode::Update };
                tokio::spawn(async move { service.load_configuration(&tenant, &file, mode).await })
            })
            .collect();
        for load in loads {
            if let Err(error) = load.await.unwrap() {
                panic!("a concurrent load failed: {error:?}");
            }
        }
        assert_eq!(s.service.store().providers(&s.tenant.id).await.unwrap().len(), 6);
    }
}

on_each_backend! {
    async fn oversized_load_files_are_refused_before_any_work(backend) {
        let s = setup_on(backend).await;
        let mut huge = String::from("{");
        for i in 0..1_000_000 {
            huge.push_str(&format!("\"k{i}\":{{}},"));
        }
        huge.push_str("\"last\":{}}");
        let Err(LoadError::Invalid(errors)) = s.service.load_configuration(&s.tenant, &huge, LoadMode::Replace).await
        else {
            panic!("a 16 MB load file was accepted")
        };
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("bytes"), "{}", errors[0].message);

        let many: serde_json::Map<_, _> = (0..150).map(|i| (format!("unknown_{i}"), json!({}))).collect();
        let Err(LoadError::Invalid(errors)) =
            s.service.load_configuration(&s.tenant, &serde_json::Value::Object(many).to_string(), LoadMode::Replace).await
        else {
            panic!("unknown connectors were accepted")
        };
        assert_eq!(errors.len(), 101, "the first 100 problems, then a count");
        assert!(errors[100].message.contains("50 more"), "{}", errors[100].message);

        let wide: serde_json::Map<_, _> = (0..300).map(|i| (format!("c{i}"), json!({}))).collect();
        let Err(LoadError::Invalid(errors)) =
            s.service.load_configuration(&s.tenant, &serde_json::Value::Object(wide).to_string(), LoadMode::Replace).await
        else {
            panic!("300 connectors were accepted")
        };
        assert!(errors.len() == 1 && errors[0].message.contains("256"), "{errors:?}");
    }
}

on_each_backend! {
    async fn a_refresh_never_overwrites_a_newer_token_set(backend) {
        let s = setup_on(backend).await;
        let id = authorized(&s, "good-code").await;
        let store = s.service.store();
        let before = store.token(&s.tenant.id, &id).await.unwrap().unwrap();
        let set = |token: &str| flowauth::store::Issued {
            access_token: token.into(),
            token_type: "Bearer".into(),
            refresh_token: None,
            id_token: None,
            expires_at: None,
            extra: vec![],
        };
        let reauthorized = store.store_issued(&s.tenant.id, &id, &set("at-new"), None).await.unwrap();
        assert_eq!(reauthorized, Some(before.generation + 1));
        let late = store.store_issued(&s.tenant.id, &id, &set("at-late"), Some(before.generation)).await.unwrap();
        assert_eq!(late, None, "a refresh that started from an older generation loses");
        let after = store.token(&s.tenant.id, &id).await.unwrap().unwrap();
        assert_eq!(after.access_token.as_deref(), Some("at-new"));
    }
}

on_each_backend! {
    async fn one_tenant_with_a_hanging_provider_cannot_starve_another(backend) {
        let mut config = test_runtime_config(None);
        config.sandbox.max_instances = 8;
        config.sandbox.max_instances_per_tenant = 2;
        config.sandbox.slot_wait = Duration::from_millis(300);
        let s = setup_with_on(Runtime::new(config).await.unwrap(), backend).await;
        s.service.load_configuration(&s.tenant, &hanging_provider(&s, "Hanging"), LoadMode::Replace).await.unwrap();
        let store = s.service.store();
        let beta = store.create_tenant("beta").await.unwrap();
        let file = flowauth_tests::lifecycle::load_file(&s.idp, "HTTP", CLIENT_SECRET);
        s.service.load_configuration(&beta, &file, LoadMode::Replace).await.unwrap();

        let flood: Vec<_> = (0..20)
            .map(|i| {
                let (service, tenant) = (s.service.clone(), s.tenant.clone());
                let request = StartRequest { name: format!("flood-{i}"), ..client_credentials("Hanging") };
                tokio::spawn(async move { service.start(&tenant, request).await })
            })
            .collect();
        eventually("the tenant's share hanging at the provider", async || s.idp.gated() == 2).await;
        let other = s.service.start(&beta, client_credentials("HTTP")).await.unwrap();
        assert_eq!(other.status, TokenStatus::Active, "another tenant is served while the flood hangs");
        assert_eq!(s.idp.gated(), 2, "the flooding tenant holds no more than its share");

        eventually("the calls beyond the share giving up", async || flood.iter().filter(|c| c.is_finished()).count() == 18)
            .await;
        s.idp.open_gate();
        let mut busy = 0;
        for call in flood {
            match call.await.unwrap() {
                Err(TokenError::Provider(CallError::Busy { .. })) => busy += 1,
                // Held at the provider: active once let through, failed if the
                // outbound timeout came first.
                Ok(_) => {}
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!(busy, 18, "calls beyond the tenant's share end as busy (503 with Retry-After)");
    }
}

on_each_backend! {
    async fn the_sweeper_removes_expired_authorizations_and_lapsed_leases(backend) {
        let s = setup_on(backend).await;
        let started = s.service.start(&s.tenant, start_request(Flow::AuthorizationCode)).await.unwrap();
        let store = s.service.store();
        sqlx::query("UPDATE pending_authorizations SET expires_at = $1")
            .bind(unix_now() - 7200)
            .execute(&s.database().await)
            .await
            .unwrap();
        // A lease whose holder hangs: never released, its TTL of 1 s lapses.
        let lease = store.try_lease(&started.id, 1).await.unwrap().expect("a free lease");
        std::mem::forget(lease);
        assert!(store.try_lease(&started.id, 90).await.unwrap().is_none(), "{backend}: the lease is held");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let swept = store.sweep().await.unwrap();
        assert_eq!(swept.authorizations, 1);
        // SQLite sweeps the lease row; PostgreSQL ended the idle session itself.
        assert_eq!(swept.leases, u64::from(backend.name == "sqlite"), "{backend}");
        eventually("the lease is free again", async || store.try_lease(&started.id, 90).await.unwrap().is_some()).await;
        let state = state_of(started.auth_link.as_deref().unwrap());
        let late = s.service.callback(&query(&[("code", "good-code"), ("state", &state)]), None).await;
        assert!(matches!(late, Err(TokenError::State(_))));
    }
}
