//! The sandbox: components that spin, hoard memory, call undeclared hosts
//! or crash are stopped with a typed error, and the next call to a good
//! component still works.

use flowauth::runtime::{AuthRequest, CallError, Callback, Client, OauthError, Runtime, RuntimeConfig, Target};
use flowauth_tests::{misbehave_wasm, test_runtime};

fn request() -> AuthRequest {
    AuthRequest {
        redirect_uri: "https://flow.example.com/oauth/return".into(),
        state: "s".into(),
        scopes: vec![],
        code_challenge: None,
        extra: vec![],
    }
}

async fn misbehave(runtime: &Runtime, connector: &str, settings: Vec<(String, String)>) -> CallError {
    let component = runtime.install("misbehave", &misbehave_wasm(), false).await.unwrap();
    let target = Target::new(component, Client { connector: connector.into(), settings, definition: None }).unwrap();
    runtime.build_auth_url(&target, &request()).await.unwrap_err()
}

/// A good call to the built-in generic component.
async fn assert_still_serving(runtime: &Runtime) {
    let component = runtime.component_for("devtools").unwrap();
    let settings =
        vec![("CLIENT_ID".into(), "c".into()), ("AUTH_URL".into(), "https://idp.example.com/authorize".into())];
    let target = Target::new(component, Client { connector: "devtools".into(), settings, definition: None }).unwrap();
    let link = runtime.build_auth_url(&target, &request()).await.expect("the host still serves");
    assert!(link.url.starts_with("https://idp.example.com/authorize?"));
}

#[tokio::test]
async fn an_endless_loop_is_stopped() {
    let runtime = test_runtime(None).await;
    let error = misbehave(&runtime, "spin", vec![]).await;
    assert!(matches!(error, CallError::CpuBudget { .. }), "{error}");
    assert!(error.is_sandbox_fault());
    assert_still_serving(&runtime).await;
}

#[tokio::test]
async fn endless_memory_growth_is_stopped() {
    let runtime = test_runtime(None).await;
    let error = misbehave(&runtime, "hog", vec![]).await;
    assert!(matches!(error, CallError::MemoryCap { .. }), "{error}");
    assert_still_serving(&runtime).await;
}

#[tokio::test]
async fn a_panic_is_reported_as_a_crash() {
    let runtime = test_runtime(None).await;
    let error = misbehave(&runtime, "crash", vec![]).await;
    assert!(matches!(error, CallError::Trap { .. }), "{error}");
    assert_still_serving(&runtime).await;
}

#[tokio::test]
async fn undeclared_hosts_are_refused() {
    let runtime = test_runtime(None).await;
    let error = misbehave(&runtime, "rogue", vec![]).await;
    assert!(
        matches!(&error, CallError::OAuth(OauthError::Config(m)) if m.contains("undeclared.example.net") && m.contains("not declared")),
        "{error}"
    );
    assert_still_serving(&runtime).await;
}

#[tokio::test]
async fn plain_http_and_internal_addresses_are_refused_by_default() {
    let strict = Runtime::new(RuntimeConfig::default()).await.unwrap();
    let component = strict.component_for("devtools").unwrap();
    for (token_url, expected) in [
        ("http://idp.example.com/token", "--allow-private-network"),
        ("https://127.0.0.1/token", "127.0.0.1"),
        ("https://[::ffff:10.0.0.1]/token", "10.0.0.1"),
        ("https://[2002:7f00:1::]/token", "2002:7f00:1::"),
        ("https://[2001::5efe:7f00:1]/token", "2001::5efe:7f00:1"),
        ("https://[64:ff9b:1::a9fe:a9fe]/token", "64:ff9b:1::a9fe:a9fe"),
        ("https://[::127.0.0.1]/token", "::7f00:1"),
        ("https://198.18.0.1/token", "198.18.0.1"),
        ("https://100.64.0.1/token", "100.64.0.1"),
        ("https://localhost/token", "resolves only to addresses that are not public"),
    ] {
        let settings = vec![
            ("CLIENT_ID".into(), "c".into()),
            ("CLIENT_SECRET".into(), "s".into()),
            ("TOKEN_URL".into(), token_url.into()),
        ];
        let target =
            Target::new(component.clone(), Client { connector: "devtools".into(), settings, definition: None })
                .unwrap();
        let callback = Callback {
            redirect_uri: "https://flow.example.com/oauth/return".into(),
            query: vec![("code".into(), "c".into())],
            code_verifier: None,
            pending: None,
            extra: vec![],
        };
        let error = strict.exchange_code(&target, &callback).await.unwrap_err();
        assert!(
            matches!(&error, CallError::OAuth(OauthError::Config(m)) if m.contains(expected)),
            "{token_url}: {error}"
        );
    }
    assert_still_serving(&strict).await;
}

#[tokio::test]
async fn every_component_exports_the_provider_interface() {
    let runtime = test_runtime(None).await;
    let generic = runtime.component_for("devtools").unwrap();
    assert!(generic.built_in);
    let names: Vec<_> = generic.connectors.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["devtools", "odata", "soap", "swagger", "oslc"]);
    let test_component = runtime.install("misbehave", &misbehave_wasm(), false).await.unwrap();
    assert_eq!(test_component.connectors.len(), 4);
    // Install verified the `provider` export; bytes that are not a
    // component are refused with a reason.
    let error = runtime.install("junk", b"\0asm\x01\0\0\0", false).await.unwrap_err();
    assert!(error.to_string().contains("junk"), "{error}");
}

#[tokio::test]
async fn compiled_code_is_cached_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let first = test_runtime(Some(dir.path().to_owned())).await;
    let digest = first.component_for("devtools").unwrap().digest.clone();
    let cached: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(cached.iter().any(|name| name.starts_with(&digest) && name.ends_with(".cwasm")), "{cached:?}");
    let second = test_runtime(Some(dir.path().to_owned())).await;
    assert_eq!(second.component_for("devtools").unwrap().digest, digest);
    assert_still_serving(&second).await;
}
