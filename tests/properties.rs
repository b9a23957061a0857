//! Property tests of every parser of outside input the host has, through
//! its public functions and a real `flowauth serve`: load files, connector
//! `config.json` files (run by the real generic component), callback
//! queries, pagination cursors, webhook signatures, host patterns and
//! database URLs. Whatever the input: no panic, no trap that takes more
//! than the call, an answer in bounded time, and an error that names the
//! place at fault. Cases shrunk from failures are kept as regression tests.
//!
//! Each property runs 64 cases by default; `PROPTEST_CASES` raises them.

use std::sync::Arc;
use std::time::Duration;

use flowauth::events::{SignatureError, signature, verify};
use flowauth::runtime::HostPattern;
use flowauth::store::StoreConfig;
use flowauth_tests::lifecycle::{authorized, setup};
use flowauth_tests::postgres::postgres_database;
use flowauth_tests::server::{ADMIN_KEY, Server};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowauth")
}

/// 64 cases unless `PROPTEST_CASES` says otherwise.
fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Text that looks like what each parser takes, and text that does not.
fn text_like(pattern: &'static str) -> BoxedStrategy<String> {
    prop_oneof![3 => proptest::string::string_regex(pattern).unwrap(), 1 => any::<String>()].boxed()
}

// --- Host patterns -------------------------------------------------------

#[test]
fn host_patterns_parse_or_say_what_is_wrong_and_print_back_to_themselves() {
    runner()
        .run(&text_like(r"[\[\]a-zA-Z0-9.*:@/ -]{0,24}"), |text| {
            match HostPattern::parse(&text) {
                Ok(pattern) => {
                    let again = HostPattern::parse(&pattern.to_string());
                    prop_assert_eq!(again.as_ref(), Ok(&pattern), "{} printed as {}", text, pattern);
                }
                Err(message) => prop_assert!(message.contains("is not valid"), "{message}"),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_host_pattern_with_text_after_its_bracketed_address_is_refused() {
    // Shrunk from the property above: the `8443` was silently dropped.
    let refused = HostPattern::parse("[::1]8443").unwrap_err();
    assert!(refused.contains("[::1]8443"), "{refused}");
    assert_eq!(HostPattern::parse("[::1]:8443").unwrap().to_string(), "[::1]:8443");
}

// --- Webhook signatures ----------------------------------------------------

#[test]
fn webhook_signature_headers_verify_or_are_refused_without_a_panic() {
    let header = prop_oneof![
        text_like(r"(t=-?[0-9]{0,20}|v1=[0-9a-f]{0,66}|v0=x| |,){0,4}"),
        (any::<i64>(), "[0-9a-f]{0,64}").prop_map(|(t, v)| format!("t={t},v1={v}")),
    ];
    runner()
        .run(&(header, any::<Vec<u8>>(), any::<i64>(), 0..=i64::MAX), |(header, body, now, tolerance)| {
            let verified = verify("whsec", &header, &body, now, tolerance);
            prop_assert!(verified.is_err() || header.contains("v1="));
            Ok(())
        })
        .unwrap();
    runner()
        .run(&(any::<i64>(), any::<Vec<u8>>(), "[ -~]{1,16}"), |(t, body, secret)| {
            prop_assert_eq!(verify(&secret, &signature(&secret, t, &body), &body, t, 0), Ok(()));
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_signature_from_the_far_past_is_stale_not_an_overflow() {
    // Shrunk from the property above: `now - t` overflowed (a panic in
    // debug builds, a wrapped age that passed the tolerance in release).
    let header = format!("t={},v1=00", i64::MIN);
    assert_eq!(verify("whsec", &header, b"{}", 1, 300), Err(SignatureError::Stale(i64::MAX)));
    let header = format!("t={},v1=00", i64::MAX);
    assert_eq!(verify("whsec", &header, b"{}", -2, 300), Err(SignatureError::Stale(i64::MIN)));
}

// --- Token responses, as the host stores them --------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expires_in_beyond_what_the_clock_holds_keeps_the_token_valid() {
    // Found with the SDK's token-response property: `expires_in` is a u64;
    // `now + expires_in as i64` wrapped into the past (a refresh at every
    // flow step) or overflowed (a panic in debug builds).
    for lifetime in [u64::MAX, i64::MAX as u64] {
        let s = setup().await;
        s.idp.family(|f| f.lifetime = Some(lifetime));
        let id = authorized(&s, "short-code").await;
        let token = s.service.access_token(&s.tenant.id, &id).await.unwrap();
        assert_eq!(token.access_token, "at-fam-0", "expires_in {lifetime}: no refresh of a token valid for ages");
        assert_eq!(s.idp.family_refreshes(), 0);
    }
}

// --- Database URLs ---------------------------------------------------------

#[test]
fn database_urls_are_shown_without_their_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = (
        "(postgres|postgresql|sqlite|mysql)://",
        "[a-z0-9_%.-]{0,8}",
        "S3CRET[a-zA-Z0-9%!*]{0,8}",
        "[a-z0-9.\\[\\]:-]{0,12}",
        "[a-z0-9/._-]{0,12}",
        "[a-z0-9=&_]{0,16}",
        any::<bool>(),
    )
        .prop_map(|(scheme, user, password, host, path, query, in_query)| match in_query {
            true => (format!("{scheme}{host}/{path}?{query}&password={password}"), password),
            false => (format!("{scheme}{user}:{password}@{host}/{path}?{query}"), password),
        });
    runner()
        .run(&prop_oneof![url, any::<String>().prop_map(|s| (s, "S3CRET".to_owned()))], |(url, password)| {
            let config = StoreConfig { database_url: Some(url.clone()), ..StoreConfig::in_dir(dir.path()) };
            let shown = config.display();
            prop_assert!(!shown.contains(&password) || !url.contains(&password), "{url} shown as {shown}");
            let _ = config.missing_file();
            Ok(())
        })
        .unwrap();
}

// --- Through a running server ---------------------------------------------

/// A server with a tenant `acme` whose `devtools` provider points nowhere; its key.
async fn server_with_tenant(database_url: Option<&str>) -> (Server, String) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let server = match database_url {
        Some(url) => Server::instance(binary(), dir, url).await,
        None => Server::start_in(binary(), dir).await,
    };
    let (status, tenant) = server.api().post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let file = json!({"devtools": {"HTTP": {"CLIENT_ID": "c", "CLIENT_SECRET": "s",
        "BASE_URL": "http://127.0.0.1:9", "AUTH_URL": "/authorize", "TOKEN_URL": "/token"}}});
    let (status, report) = server.api().post("/v1/tenants/acme/oauth-configurations", &key, file).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    (server, key)
}

/// Sends `body` as it is; the status and the JSON answer.
async fn send(server: &Server, method: reqwest::Method, path: &str, key: &str, body: &str) -> (StatusCode, Value) {
    let request = server.api().http.request(method, format!("{}{path}", server.base)).bearer_auth(key);
    let request = request.header("content-type", "application/json").body(body.to_owned());
    let response =
        tokio::time::timeout(Duration::from_secs(30), request.send()).await.expect("an answer within 30 s").unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// JSON shaped like a load file: known and unknown connectors, display
/// names and settings, with values of every type.
fn load_file() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        text_like(r"(https?://|/|//|ftp:|)[a-z0-9.:@#/?=&{}-]{0,20}").prop_map(Value::from),
    ];
    let key = |known: &'static [&'static str]| prop_oneof![3 => proptest::sample::select(known).prop_map(str::to_owned), 1 => any::<String>()];
    let settings = prop::collection::vec(
        (
            key(&["CLIENT_ID", "CLIENT_SECRET", "TOKEN_URL", "BASE_URL", "AUTH_URL", "client_id", "ISSUER"]),
            leaf.clone(),
        ),
        0..5,
    )
    .prop_map(|pairs| Value::Object(pairs.into_iter().collect()));
    let providers =
        prop::collection::vec((key(&["HTTP", "Other", ""]), prop_oneof![3 => settings, 1 => leaf.clone()]), 0..3)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect()));
    let connectors = prop::collection::vec(
        (key(&["devtools", "google_gmail", "devtool"]), prop_oneof![3 => providers, 1 => leaf.clone()]),
        0..3,
    )
    .prop_map(|pairs| Value::Object(pairs.into_iter().collect()));
    prop_oneof![6 => connectors.prop_map(|v| v.to_string()), 1 => leaf.prop_map(|v| v.to_string()), 1 => any::<String>()]
}

#[test]
fn load_files_apply_or_name_the_path_of_each_problem() {
    let rt = runtime();
    let (server, key) = rt.block_on(server_with_tenant(None));
    runner()
        .run(&load_file(), |file| {
            let (status, answer) =
                rt.block_on(send(&server, reqwest::Method::POST, "/v1/tenants/acme/oauth-configurations", &key, &file));
            let parsed: Option<Value> = serde_json::from_str(&file).ok();
            match status {
                StatusCode::OK => {}
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST | StatusCode::CONFLICT => {
                    prop_assert!(answer["error"]["message"].is_string(), "{file}: {answer}");
                    for entry in answer["errors"].as_array().into_iter().flatten() {
                        let path = entry["path"].as_str().unwrap_or_default();
                        let names_a_connector = parsed
                            .as_ref()
                            .and_then(Value::as_object)
                            .is_some_and(|c| c.keys().any(|k| path.starts_with(&format!("$.{k}"))));
                        prop_assert!(path == "$" || names_a_connector, "{file}: {entry}");
                    }
                }
                other => prop_assert!(false, "{file}: {other} {answer}"),
            }
            Ok(())
        })
        .unwrap();
}

/// A connector `config.json`: the generic component's own `devtools.json`
/// with fields replaced by values of every type, or any text at all.
fn config_json() -> impl Strategy<Value = String> {
    let base: Value = serde_json::from_str(include_str!("../components/generic/connectors/devtools.json")).unwrap();
    let fields: Vec<String> = base.as_object().unwrap().keys().cloned().collect();
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text_like(r#"[a-z0-9{}\\":_ .-]{0,16}"#).prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|p| Value::Object(p.into_iter().collect())),
            // An escaped one-entry object, as ThingWorx writes array items.
            ("[a-z_{}]{0,8}", "[a-z_{}\"]{0,8}").prop_map(|(k, v)| Value::from(json!({k: v}).to_string())),
        ]
    });
    let name = "[a-z][a-z0-9_-]{0,10}";
    let changes = prop::collection::vec((proptest::sample::select(fields), value), 0..4);
    prop_oneof![
        5 => (name, changes).prop_map(move |(name, changes)| {
            let mut definition = base.clone();
            definition["name"] = Value::from(format!("p-{name}"));
            for (field, value) in changes {
                definition[field] = value;
            }
            definition.to_string()
        }),
        1 => any::<String>(),
    ]
}

#[test]
fn config_json_files_through_the_generic_component_never_take_more_than_the_call() {
    let rt = runtime();
    let (server, key) = rt.block_on(server_with_tenant(None));
    runner()
        .run(&config_json(), |definition| {
            let (status, answer) =
                rt.block_on(send(&server, reqwest::Method::POST, "/v1/tenants/acme/connectors", &key, &definition));
            match status {
                StatusCode::CREATED => {
                    let name = answer["name"].as_str().unwrap_or_default().to_owned();
                    let path = format!("/v1/tenants/acme/connectors/{name}");
                    let (removed, _) = rt.block_on(send(&server, reqwest::Method::DELETE, &path, &key, ""));
                    prop_assert_eq!(removed, StatusCode::NO_CONTENT);
                }
                s if s.is_client_error() => {
                    let message = answer["error"]["message"].as_str().unwrap_or_default();
                    let names_a_place = message.contains('$') || message.contains("not JSON");
                    prop_assert!(names_a_place, "{definition}: {answer}");
                }
                other => prop_assert!(false, "{definition}: {other} {answer}"),
            }
            // The component and the server still serve the next call.
            let (status, _) = rt.block_on(send(&server, reqwest::Method::GET, "/v1/tenants/acme/connectors", &key, ""));
            prop_assert_eq!(status, StatusCode::OK);
            Ok(())
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_json_of_another_oauth_type_is_refused_as_the_admins_to_fix() {
    // Shrunk from the property above: this was a 502, as if a provider had failed.
    let (server, key) = server_with_tenant(None).await;
    let definition = json!({"name": "p-a", "oauth_type": "OAuth1"}).to_string();
    let (status, answer) = send(&server, reqwest::Method::POST, "/v1/tenants/acme/connectors", &key, &definition).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("$.oauth_type"), "{answer}");
}

#[test]
fn callback_queries_of_any_shape_get_a_page_not_a_crash() {
    let rt = runtime();
    let (server, key) = rt.block_on(server_with_tenant(None));
    let pairs = prop::collection::vec(
        (
            prop_oneof![
                proptest::sample::select(&["state", "code", "error", "error_description", "iss"][..])
                    .prop_map(str::to_owned),
                any::<String>()
            ],
            any::<String>(),
        ),
        0..5,
    );
    // With a state that is real, the query's other fields reach the token.
    let query = (pairs, any::<bool>(), text_like(r"[%&=;+a-z0-9]{0,24}"));
    let client = reqwest::Client::new();
    runner()
        .run(&query, |(pairs, real_state, raw)| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            if real_state {
                let body = json!({"name": format!("t-{}", rand_name()), "connector": "devtools", "provider": "HTTP",
                    "flow": "authorization_code"});
                let (_, started) = rt.block_on(server.api().post("/v1/tenants/acme/tokens", &key, body));
                let link = url::Url::parse(started["auth_link"].as_str().unwrap()).unwrap();
                let state = link.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
                query.append_pair("state", &state);
            }
            for (k, v) in &pairs {
                query.append_pair(k, v);
            }
            let query = format!("{}&{raw}", query.finish());
            let response = rt.block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(30),
                    client.get(format!("{}/oauth/return?{query}", server.base)).send(),
                )
                .await
                .expect("an answer within 30 s")
                .unwrap()
            });
            let status = response.status();
            let page = rt.block_on(response.text()).unwrap();
            prop_assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{query}: {status} {page}");
            let text = page.split("<p>").nth(1).and_then(|rest| rest.split("</p>").next()).unwrap_or_default();
            prop_assert!(!text.contains('<'), "the page escapes what the query said: {text}");
            Ok(())
        })
        .unwrap();
}

fn rand_name() -> String {
    flowauth::store::new_id()
}

/// Cursors on `server`: any text answers a page or a 400 naming the cursor.
fn cursors_on(rt: &tokio::runtime::Runtime, server: &Server, key: &str) {
    // Shrunk from the property: PostgreSQL refuses a NUL in text, which
    // was a 500 instead of this 400.
    let url = format!("{}/v1/tenants/acme/tokens?cursor=0_%00", server.base);
    let response = rt.block_on(reqwest::Client::new().get(url).bearer_auth(key).send()).unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a cursor holding a NUL");
    let cursor = text_like(r"-?[0-9]{0,20}_?[0-9a-f_\x00 %]{0,34}");
    let client = reqwest::Client::new();
    runner()
        .run(&cursor, |cursor| {
            let mut url = url::Url::parse(&format!("{}/v1/tenants/acme/tokens", server.base)).unwrap();
            url.query_pairs_mut().append_pair("cursor", &cursor);
            let response = rt.block_on(client.get(url).bearer_auth(key).send()).unwrap();
            let status = response.status();
            let answer: Value = rt.block_on(response.json()).unwrap_or(Value::Null);
            match status {
                StatusCode::OK => prop_assert!(answer["tokens"].is_array()),
                StatusCode::BAD_REQUEST => {
                    prop_assert!(answer["error"]["message"].as_str().unwrap_or_default().contains("cursor"), "{answer}")
                }
                other => prop_assert!(false, "{cursor:?}: {other} {answer}"),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn pagination_cursors_of_any_shape_answer_a_page_or_a_clear_error_on_sqlite() {
    let rt = runtime();
    let (server, key) = rt.block_on(server_with_tenant(None));
    cursors_on(&rt, &server, &key);
}

#[test]
fn pagination_cursors_of_any_shape_answer_a_page_or_a_clear_error_on_postgres() {
    let rt = runtime();
    let Some(url) = rt.block_on(postgres_database()) else { return };
    let (server, key) = rt.block_on(server_with_tenant(Some(&url)));
    cursors_on(&rt, &server, &key);
}
