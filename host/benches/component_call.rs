//! What a component call costs: `build-auth-url` of the generic component
//! and of a declared family (Google), and a token exchange, through the
//! sandbox against the same logic run as plain Rust. Figures in
//! docs/PERFORMANCE.md.
//!
//! Run with `cargo bench -p flowauth --bench component_call` (unset
//! RUST_BACKTRACE first: see quiet_library_backtraces in main.rs).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use flowauth::runtime::{AuthRequest, Callback, Client, Runtime, RuntimeConfig, Target};
use flowauth_sdk::Provider;

fn settings() -> Vec<(String, String)> {
    [
        ("CLIENT_ID", "flow-client"),
        ("CLIENT_SECRET", "secret"),
        ("AUTH_URL", "https://idp.example.com/authorize"),
        ("SCOPE", "api refresh_token"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn request() -> AuthRequest {
    AuthRequest {
        redirect_uri: "https://flow.example.com/Thingworx/Oauths/oauth/return".into(),
        state: "Zm9vYmFyYmF6cXV4cXV1eA".into(),
        scopes: vec![],
        code_challenge: Some(flowauth::pkce::challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")),
        extra: vec![("prompt".into(), "consent".into())],
    }
}

/// The same request in the guest SDK's types, for the native run.
fn native_request() -> flowauth_sdk::AuthRequest {
    let r = request();
    flowauth_sdk::AuthRequest {
        redirect_uri: r.redirect_uri,
        state: r.state,
        scopes: r.scopes,
        code_challenge: r.code_challenge,
        extra: r.extra,
    }
}

/// A token endpoint on 127.0.0.1 that answers every request with a token.
async fn token_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let body = r#"{"access_token":"at","token_type":"Bearer","expires_in":"3599","refresh_token":"rt","scope":"api"}"#;
    let app = axum::Router::new()
        .route("/token", axum::routing::post(move || async move { ([("content-type", "application/json")], body) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn component_call(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let mut config = RuntimeConfig::default();
    config.outbound.allow_private_network = true;
    let runtime = rt.block_on(Runtime::new(config)).unwrap();
    let component = runtime.component_for("devtools").unwrap();
    let client = Client { connector: "devtools".into(), settings: settings(), definition: None };
    let target = Target::new(component.clone(), client).unwrap();
    let req = request();

    let mut group = c.benchmark_group("build-auth-url");
    group.bench_function("component", |b| b.to_async(&rt).iter(|| runtime.build_auth_url(&target, &req)));
    group.bench_function("native", |b| {
        b.iter(|| {
            let client = flowauth_sdk::Client { connector: "devtools".into(), settings: settings(), definition: None };
            flowauth_generic::Generic::build_auth_url(client, native_request()).unwrap()
        })
    });
    let gmail = Client { connector: "google_gmail".into(), settings: settings(), definition: None };
    let family = Target::new(runtime.component_for("google_gmail").unwrap(), gmail).unwrap();
    group.bench_function("family-component", |b| b.to_async(&rt).iter(|| runtime.build_auth_url(&family, &req)));
    group.bench_function("family-native", |b| {
        b.iter(|| {
            let client =
                flowauth_sdk::Client { connector: "google_gmail".into(), settings: settings(), definition: None };
            flowauth_google::Google::build_auth_url(client, native_request()).unwrap()
        })
    });
    group.finish();

    let url = rt.block_on(token_endpoint());
    let mut exchange_settings = settings();
    exchange_settings.push(("TOKEN_URL".into(), url.clone()));
    let client = Client { connector: "devtools".into(), settings: exchange_settings, definition: None };
    let target = Target::new(component, client).unwrap();
    let callback = Callback {
        redirect_uri: req.redirect_uri.clone(),
        query: vec![("code".into(), "c".into())],
        code_verifier: None,
        pending: None,
        extra: vec![],
    };
    let http = reqwest::Client::new();
    let mut group = c.benchmark_group("token-exchange");
    group.bench_function("component", |b| b.to_async(&rt).iter(|| runtime.exchange_code(&target, &callback)));
    group.bench_function("native", |b| {
        b.to_async(&rt).iter(|| async {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", "c"),
                ("client_id", "flow-client"),
                ("client_secret", "secret"),
            ];
            let answer = http.post(&url).form(&form).send().await.unwrap();
            let status = answer.status().as_u16();
            let body = answer.bytes().await.unwrap().to_vec();
            let response = flowauth_sdk::http::Response(flowauth_sdk::bindings::flowauth::oauth::http::Response {
                status,
                headers: vec![],
                body,
            });
            flowauth_sdk::token::parse_token_response(&response).unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = component_call
}
criterion_main!(benches);
