//! The token lifecycle over each store backend (a real SQLite file, a real
//! PostgreSQL database) and the mock identity provider: every flow,
//! single-flight refresh (one process and two), state checks, load files,
//! sealing and keys.

use std::sync::Arc;

use flowauth::store::{KeySource, LoadMode, StoreError, TokenStatus};
use flowauth::tokens::{Flow, LoadError, StartRequest, TokenError, TokenService};
use flowauth_tests::lifecycle::{
    REDIRECT, authorized, given_key, load_file, open, query, setup_on, start_request, state_of,
};
use flowauth_tests::{CLIENT_SECRET, MockIdp, on_each_backend, test_runtime};
use serde_json::json;
use sha2::{Digest, Sha256};

on_each_backend! {
    async fn authorization_code_lifecycle(backend) {
        let s = setup_on(backend).await;
        let started = s.service.start(&s.tenant, start_request(Flow::AuthorizationCode)).await.unwrap();
        assert_eq!(started.status, TokenStatus::Pending);
        let link = started.auth_link.unwrap();
        assert!(link.contains("code_challenge=") && link.contains("prompt=consent"), "{link}");
        let state = state_of(&link);
        assert!(state.len() >= 22, "at least 128 bits of state");
        let iss = s.idp.base_url();
        let done =
            s.service.callback(&query(&[("code", "good-code"), ("state", &state), ("iss", &iss)]), None).await.unwrap();
        assert_eq!((done.status, done.token_id.as_str()), (TokenStatus::Active, started.id.as_str()));
        let form = s.idp.seen().last().unwrap().form.clone();
        assert_eq!(form.get("code_verifier").map(String::len), Some(43), "the PKCE verifier goes with the code");

        let token = s.service.access_token(&s.tenant.id, &started.id).await.unwrap();
        assert_eq!(token.access_token, "at-1");
        assert!(token.extra.contains(&("instance_url".into(), "https://acme.example.com".into())));
        let refreshed = s.service.refresh(&s.tenant.id, &started.id).await.unwrap();
        assert_eq!(refreshed.access_token, "at-2");
        let record = s.service.store().token(&s.tenant.id, &started.id).await.unwrap().unwrap();
        assert_eq!(record.refresh_token.as_deref(), Some("rt-1"), "an answer without a refresh token keeps the old one");
        assert!(s.service.validate(&s.tenant.id, &started.id).await.is_ok());

        s.service.rename(&s.tenant.id, &started.id, "renamed").await.unwrap();
        assert_eq!(s.service.store().tokens(&s.tenant.id).await.unwrap()[0].name, "renamed");
        s.service.delete(&s.tenant.id, &started.id).await.unwrap();
        assert!(matches!(s.service.access_token(&s.tenant.id, &started.id).await, Err(TokenError::NotFound(_))));
    }
}

on_each_backend! {
    async fn client_credentials_reset_and_password(backend) {
        let s = setup_on(backend).await;
        let started = s.service.start(&s.tenant, start_request(Flow::ClientCredentials)).await.unwrap();
        assert_eq!(started.status, TokenStatus::Active);
        let first = s.service.access_token(&s.tenant.id, &started.id).await.unwrap();
        let reset = s.service.reset(&s.tenant.id, &started.id, Some(vec!["admin".into()]), None, vec![]).await.unwrap();
        assert_eq!(reset.status, TokenStatus::Active);
        let second = s.service.access_token(&s.tenant.id, &started.id).await.unwrap();
        assert_ne!(first.access_token, second.access_token);
        assert_eq!(s.idp.seen().last().unwrap().form.get("scope").map(String::as_str), Some("admin"));

        let password =
            StartRequest { username: Some("ann".into()), password: Some("pw".into()), ..start_request(Flow::Password) };
        let started = s.service.start(&s.tenant, password).await.unwrap();
        assert_eq!(s.service.access_token(&s.tenant.id, &started.id).await.unwrap().access_token, "at-pw-1");
    }
}

on_each_backend! {
    async fn fifty_concurrent_callers_share_one_refresh(backend) {
        let s = setup_on(backend).await;
        let id = authorized(&s, "short-code").await;
        let calls = (0..50).map(|_| {
            let (service, tenant, id) = (s.service.clone(), s.tenant.id.clone(), id.clone());
            tokio::spawn(async move { service.access_token(&tenant, &id).await.unwrap().access_token })
        });
        let tokens: Vec<String> = futures_join(calls).await;
        assert_eq!(s.idp.family_refreshes(), 1, "exactly one refresh reached the provider");
        assert!(tokens.iter().all(|t| t == "at-fam-1"), "{tokens:?}");
        let record = s.service.store().token(&s.tenant.id, &id).await.unwrap().unwrap();
        assert_eq!(record.refresh_token.as_deref(), Some("fam-1"), "the rotated refresh token is stored");
        assert!(!s.idp.family_revoked());
    }
}

on_each_backend! {
    async fn two_processes_share_one_refresh(backend) {
        let s = setup_on(backend).await;
        let id = authorized(&s, "short-code").await;
        let other_store = s.open_again(given_key(1)).await.unwrap();
        let other = Arc::new(TokenService::new(other_store, s.runtime.clone(), REDIRECT.into()));
        let calls = (0..50).map(|i| {
            let service = if i % 2 == 0 { s.service.clone() } else { other.clone() };
            let (tenant, id) = (s.tenant.id.clone(), id.clone());
            tokio::spawn(async move { service.access_token(&tenant, &id).await.unwrap().access_token })
        });
        let tokens: Vec<String> = futures_join(calls).await;
        assert_eq!(s.idp.family_refreshes(), 1, "one refresh across both processes");
        assert!(tokens.iter().all(|t| t == "at-fam-1"), "{tokens:?}");
        assert!(!s.idp.family_revoked(), "no refresh token was used twice");
    }
}

on_each_backend! {
    async fn invalid_grant_marks_the_token_for_reauthorization(backend) {
        let s = setup_on(backend).await;
        let id = authorized(&s, "short-code").await;
        // Someone else spends the refresh token behind flowauth's back.
        let component = s.runtime.component_for("devtools").unwrap();
        let provider = s.service.store().provider(&s.tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
        let client =
            flowauth::runtime::Client { connector: "devtools".into(), settings: provider.settings, definition: None };
        let target = flowauth::runtime::Target::new(component, client).unwrap();
        s.runtime.refresh(&target, "fam-0", &[], &[]).await.unwrap();
        let error = s.service.access_token(&s.tenant.id, &id).await.unwrap_err();
        assert_eq!(error.code(), "invalid_grant");
        let record = s.service.store().token(&s.tenant.id, &id).await.unwrap().unwrap();
        assert_eq!(record.status, TokenStatus::NeedsReauth);
        let retried = s.service.retry(&s.tenant.id, &id, false).await.unwrap();
        assert!(retried.auth_link.is_some());
    }
}

on_each_backend! {
    async fn states_are_single_use_bound_to_a_tenant_and_expire(backend) {
        let s = setup_on(backend).await;
        let beta = s.service.store().create_tenant("beta").await.unwrap();
        let started = s.service.start(&s.tenant, start_request(Flow::AuthorizationCode)).await.unwrap();
        let state = state_of(started.auth_link.as_deref().unwrap());
        let callback = query(&[("code", "good-code"), ("state", &state)]);
        let other_tenant = s.service.callback(&callback, Some(&beta.id)).await.unwrap_err();
        assert!(matches!(other_tenant, TokenError::State(m) if m.contains("unknown")));
        let done = s.service.callback(&callback, Some(&s.tenant.id)).await.unwrap();
        assert_eq!(done.status, TokenStatus::Active, "the refused attempt changed nothing");
        let replayed = s.service.callback(&callback, None).await.unwrap_err();
        assert!(matches!(replayed, TokenError::State(m) if m.contains("already used")));
        let unknown = s.service.callback(&query(&[("code", "c"), ("state", "made-up")]), None).await.unwrap_err();
        assert!(matches!(unknown, TokenError::State(m) if m.contains("unknown")));

        let expired = flowauth::store::PendingAuthorization {
            state_hash: hex(&Sha256::digest(b"old-state")),
            tenant_id: s.tenant.id.clone(),
            token_id: started.id.clone(),
            redirect_uri: REDIRECT.into(),
            verifier: None,
            pending: None,
            nonce: None,
            expires_at: flowauth::store::now() - 1,
        };
        s.service.store().insert_pending(&expired).await.unwrap();
        let error = s.service.callback(&query(&[("code", "good-code"), ("state", "old-state")]), None).await.unwrap_err();
        assert!(matches!(error, TokenError::State(m) if m.contains("expired")));
    }
}

on_each_backend! {
    async fn provider_errors_and_issuer_mismatch_fail_the_token(backend) {
        let s = setup_on(backend).await;
        let started = s.service.start(&s.tenant, start_request(Flow::AuthorizationCode)).await.unwrap();
        let state = state_of(started.auth_link.as_deref().unwrap());
        let done = s
            .service
            .callback(&query(&[("code", "good-code"), ("state", &state), ("iss", "https://evil.example")]), None)
            .await
            .unwrap();
        assert_eq!(done.status, TokenStatus::Failed);
        assert_eq!(done.error.unwrap().0, "invalid_issuer");
        assert_eq!(s.idp.seen().len(), 0, "the code was never exchanged");

        let started = s.service.start(&s.tenant, start_request(Flow::AuthorizationCode)).await.unwrap();
        let state = state_of(started.auth_link.as_deref().unwrap());
        let done = s.service.callback(&query(&[("error", "access_denied"), ("state", &state)]), None).await.unwrap();
        assert_eq!((done.status, done.error.unwrap().0.as_str()), (TokenStatus::Failed, "access_denied"));
        let error = s.service.access_token(&s.tenant.id, &started.id).await.unwrap_err();
        assert_eq!(error.code(), "token_not_active");
    }
}

on_each_backend! {
    async fn load_files_are_all_or_nothing(backend) {
        let s = setup_on(backend).await;
        let other = s.service.store().create_tenant("other").await.unwrap();
        let file = json!({
            "devtools": {"Good": {"CLIENT_ID": "a", "CLIENT_SECRET": "b"}, "Bad": {"CLIENT_ID": 42}},
            "no_such_connector": {"X": {"CLIENT_ID": "a"}},
            "odata": {"Missing": {"CLIENT_SECRET": "b"}}
        });
        let Err(LoadError::Invalid(errors)) =
            s.service.load_configuration(&other, &file.to_string(), LoadMode::Replace).await
        else {
            panic!("the file must be refused")
        };
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"$.devtools.Bad.CLIENT_ID"), "{errors:?}");
        assert!(paths.contains(&"$.no_such_connector"), "{errors:?}");
        assert!(paths.contains(&"$.odata.Missing.CLIENT_ID"), "{errors:?}");
        assert!(!errors.iter().any(|e| e.message.contains("42")), "values are never echoed");
        assert!(s.service.store().providers(&other.id).await.unwrap().is_empty(), "nothing was loaded");

        // Several providers per connector.
        let two = json!({"devtools": {"Gmail-1": {"CLIENT_ID": "a"}, "Gmail-2": {"CLIENT_ID": "b"}}});
        let report = s.service.load_configuration(&other, &two.to_string(), LoadMode::Replace).await.unwrap();
        assert_eq!(report.created.len(), 2);

        // A provider in use: refused whole, naming the token; update mode changes it in place.
        let id = authorized(&s, "good-code").await;
        let unchanged = load_file(&s.idp, "HTTP", CLIENT_SECRET);
        let report = s.service.load_configuration(&s.tenant, &unchanged, LoadMode::Replace).await.unwrap();
        assert_eq!(report.unchanged, vec!["devtools/HTTP".to_owned()], "an unchanged reload is no conflict");
        let rotated = load_file(&s.idp, "HTTP", "a-rotated-secret");
        let Err(LoadError::Conflict(conflicts)) =
            s.service.load_configuration(&s.tenant, &rotated, LoadMode::Replace).await
        else {
            panic!("replacing a provider in use must be refused")
        };
        assert!(conflicts[0].message.contains("sales-bot"), "{conflicts:?}");
        let report = s.service.load_configuration(&s.tenant, &rotated, LoadMode::Update).await.unwrap();
        assert_eq!(report.updated, vec!["devtools/HTTP".to_owned()]);
        let restored = load_file(&s.idp, "HTTP", CLIENT_SECRET);
        s.service.load_configuration(&s.tenant, &restored, LoadMode::Update).await.unwrap();
        assert_eq!(s.service.refresh(&s.tenant.id, &id).await.unwrap().access_token, "at-2", "the token still works");

        let store = s.service.store();
        let name = store.token(&s.tenant.id, &id).await.unwrap().unwrap().name;
        assert_eq!(store.delete_provider(&s.tenant.id, "devtools", "HTTP", false).await.unwrap(), Err(vec![name]));
        assert_eq!(store.delete_provider(&s.tenant.id, "devtools", "HTTP", true).await.unwrap(), Ok(()));
    }
}

on_each_backend! {
    async fn sealed_data_needs_its_key_and_its_place(backend) {
        let s = setup_on(backend).await;
        let a = authorized(&s, "good-code").await;
        let b = authorized(&s, "good-code").await;

        let wrong = s.open_again(given_key(2)).await.unwrap_err();
        assert!(matches!(&wrong, StoreError::MissingKey(_)), "{wrong}");
        assert!(wrong.to_string().contains("FLOWAUTH_MASTER_KEY"));
        let missing = s.open_again(KeySource::File(s.dir.path().join("master.key"))).await.unwrap_err();
        assert!(matches!(missing, StoreError::MissingKey(_)), "a new key file does not open old data");

        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&s.database_url).await.unwrap();
        sqlx::query(
            "UPDATE tokens SET access_token_sealed = (SELECT access_token_sealed FROM tokens WHERE id = $1) WHERE id = $2",
        )
        .bind(&a)
        .bind(&b)
        .execute(&pool)
        .await
        .unwrap();
        let moved = s.service.store().token(&s.tenant.id, &b).await.unwrap_err();
        assert!(matches!(moved, StoreError::Sealed(_)), "{moved}");
        assert!(s.service.store().token(&s.tenant.id, &a).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn keys_rotate_and_the_key_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let idp = MockIdp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let keys = KeySource::File(dir.path().join("master.key"));
    let store = open(dir.path(), keys.clone()).await.unwrap();
    let mode = std::fs::metadata(dir.path().join("master.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let tenant = store.create_tenant("acme").await.unwrap();
    let service = TokenService::new(store.clone(), test_runtime(None).await, REDIRECT.into());
    service.load_configuration(&tenant, &load_file(&idp, "HTTP", CLIENT_SECRET), LoadMode::Replace).await.unwrap();

    let old = keys.load().unwrap();
    let ring = keys.add_key().unwrap();
    assert_ne!(ring.active(), old.active());
    let resealed = store.reseal(ring).await.unwrap();
    assert!(resealed >= 1);
    assert_eq!(keys.retire_inactive().unwrap(), vec![old.active().to_owned()]);
    let reopened = open(dir.path(), keys.clone()).await.unwrap();
    let provider = reopened.provider(&tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
    assert!(provider.settings.contains(&("CLIENT_SECRET".into(), CLIENT_SECRET.into())));
}

async fn futures_join<T: Send + 'static>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
