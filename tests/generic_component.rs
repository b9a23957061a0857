//! The generic component driven through the host against a mock identity
//! provider on 127.0.0.1: auth URLs, code exchange, refresh, validation and
//! the provider errors users hit.

use flowauth::runtime::{AuthRequest, CallError, Callback, Client, OauthError, Runtime, Target, TokenSet};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp, assertion_signing_key, test_runtime};
use serde_json::json;

const REDIRECT: &str = "https://flow.example.com/Thingworx/Oauths/oauth/return";

/// A custom connector as ThingWorx writes it: escaped JSON strings in the
/// arrays, URLs relative to `base_url`, deployment parameters.
fn config_json(base_url: &str) -> String {
    json!({
        "name": "acme_crm",
        "title": "Acme CRM",
        "oauth_type": "OAuth2",
        "base_url": base_url,
        "oauth2_auth_url": "/authorize",
        "oauth2_auth_query": [
            "{\"client_id\":\"{client_id}\"}",
            "{\"response_type\":\"code\"}",
            "{\"scope\":\"{scope}\"}",
            "{\"resource\":\"{resource}\"}",
            "{\"prompt\":\"login\"}",
            "{\"redirect_uri\":\"{redirect_uri}\"}"
        ],
        "oauth2_token_url": "/token",
        "oauth2_token_data": [
            "{\"grant_type\":\"authorization_code\"}",
            "{\"redirect_uri\":\"{redirect_uri}\"}",
            "{\"client_id\":\"{client_id}\"}",
            "{\"client_secret\":\"{client_secret}\"}"
        ],
        "oauth2_refresh_url": "/token",
        "oauth2_refresh_data": [
            "{\"grant_type\":\"refresh_token\"}",
            "{\"refresh_token\":\"{refresh_token}\"}",
            "{\"client_id\":\"{client_id}\"}",
            "{\"client_secret\":\"{client_secret}\"}"
        ],
        "oauth2_validate_url": "/userinfo",
        "oauth2_validate_method": "GET",
        "oauth2_validate_headers": ["{\"Authorization\":\"Bearer {access_token}\"}"],
        "oauth2_params_scope": ["{\"read\":\"Read\"}", "{\"write\":\"Write\"}"],
        "oauth2_required": [{"id": "resource", "title": "Resource URL", "default": "https://api.acme.example.com"}],
        "oauth2_include": ["{\"resource\":\"{resource}\"}"],
        "oauth2_no_state": false,
        "env_production_params": [
            "{\"redirect_uri\":\"{OAUTH_ENDPOINT_OAUTH_RETURN}\"}",
            "{\"client_id\":\"{{{production.CLIENT_ID}}}\"}",
            "{\"client_secret\":\"{{{production.CLIENT_SECRET}}}\"}"
        ],
        "env_local_params": ["{\"client_id\":\"{{{local.LOCAL_CLIENT_ID}}}\"}"],
        "development_phase": "new",
        "published": true
    })
    .to_string()
}

/// The mock's client, with `extra` added or overriding.
fn settings(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    [("CLIENT_ID", CLIENT_ID), ("CLIENT_SECRET", CLIENT_SECRET)]
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn custom_target(runtime: &Runtime, idp: &MockIdp, extra: &[(&str, &str)]) -> Target {
    let component = runtime.component_for("devtools").expect("the generic component is built in");
    let definition = config_json(&idp.base_url());
    let connector = runtime.describe_definition(&component, &definition).await.expect("valid config.json");
    let client = Client { connector: connector.name.clone(), settings: settings(extra), definition: Some(definition) };
    Target::with_connector(component, connector, client)
}

/// An authorization request without scopes or PKCE.
fn plain_request(extra: Vec<(String, String)>) -> AuthRequest {
    AuthRequest { redirect_uri: REDIRECT.into(), state: "s".into(), scopes: vec![], code_challenge: None, extra }
}

fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn callback(code: &str) -> Callback {
    Callback {
        redirect_uri: REDIRECT.into(),
        query: vec![("code".into(), code.into()), ("state".into(), "st".into())],
        code_verifier: Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
        pending: None,
        extra: Vec::new(),
    }
}

fn rejected_code(error: &CallError) -> Option<(&str, u16)> {
    match error {
        CallError::OAuth(OauthError::Rejected(e)) => Some((e.code.as_str(), e.status)),
        _ => None,
    }
}

#[tokio::test]
async fn auth_url_carries_pkce_state_scopes_and_extra_params() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[]).await;
    let (verifier, challenge) = flowauth::pkce::new_pair();
    let request = AuthRequest {
        redirect_uri: REDIRECT.into(),
        state: "state-123".into(),
        scopes: vec!["read".into(), "write".into()],
        code_challenge: Some(challenge.clone()),
        extra: vec![("prompt".into(), "consent".into()), ("login_hint".into(), "ann@example.com".into())],
    };
    let link = runtime.build_auth_url(&target, &request).await.unwrap();
    assert!(link.url.starts_with(&format!("{}/authorize?", idp.base_url())), "{}", link.url);
    let q = query(&link.url);
    assert_eq!(get(&q, "client_id"), Some(CLIENT_ID));
    assert_eq!(get(&q, "response_type"), Some("code"));
    assert_eq!(get(&q, "redirect_uri"), Some(REDIRECT));
    assert_eq!(get(&q, "scope"), Some("read write"));
    assert_eq!(get(&q, "state"), Some("state-123"));
    assert_eq!(get(&q, "code_challenge"), Some(challenge.as_str()));
    assert_eq!(get(&q, "code_challenge_method"), Some("S256"));
    assert_eq!(get(&q, "resource"), Some("https://api.acme.example.com"), "oauth2_required default");
    assert_eq!(get(&q, "prompt"), Some("consent"), "additional values override the definition's");
    assert_eq!(get(&q, "login_hint"), Some("ann@example.com"));
    assert!(!link.url.contains(&verifier), "the verifier never leaves the host");
    assert!(!link.url.contains("s3cret"), "no secret in the auth URL");
}

#[tokio::test]
async fn deployment_params_follow_the_environment_setting() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[("ENVIRONMENT", "local"), ("LOCAL_CLIENT_ID", "local-client")]).await;
    let request = plain_request(vec![]);
    let link = runtime.build_auth_url(&target, &request).await.unwrap();
    let q = query(&link.url);
    assert_eq!(get(&q, "client_id"), Some("local-client"));
    assert_eq!(get(&q, "scope"), Some("read write"), "no scope asked: every declared scope");
    assert_eq!(get(&q, "code_challenge"), None);
}

#[tokio::test]
async fn built_in_devtools_uses_the_admins_urls() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let component = runtime.component_for("devtools").unwrap();
    let client = Client {
        connector: "devtools".into(),
        settings: settings(&[
            ("BASE_URL", &idp.base_url()),
            ("AUTH_URL", "/authorize"),
            ("TOKEN_URL", "/token"),
            ("SCOPE", "api offline"),
        ]),
        definition: None,
    };
    let target = Target::new(component, client).unwrap();
    let request = plain_request(vec![]);
    let link = runtime.build_auth_url(&target, &request).await.unwrap();
    assert!(link.url.starts_with(&format!("{}/authorize?", idp.base_url())));
    assert_eq!(get(&query(&link.url), "scope"), Some("api offline"));
    let tokens = runtime.exchange_code(&target, &callback("good-code")).await.unwrap();
    assert_eq!(tokens.access_token, "at-1");
}

#[tokio::test]
async fn built_in_odata_resolves_tenant_and_resource() {
    let runtime = test_runtime(None).await;
    let component = runtime.component_for("odata").unwrap();
    let connector = component.connector("odata").unwrap();
    assert_eq!(connector.hosts, vec!["login.microsoftonline.com".to_owned()]);
    let client = Client { connector: "odata".into(), settings: settings(&[]), definition: None };
    let target = Target::new(component, client).unwrap();
    let request = plain_request(vec![("resource".into(), "https://acme.crm5.dynamics.com".into())]);
    let link = runtime.build_auth_url(&target, &request).await.unwrap();
    assert!(link.url.starts_with("https://login.microsoftonline.com/common/oauth2/authorize?"), "{}", link.url);
    let q = query(&link.url);
    assert_eq!(get(&q, "resource"), Some("https://acme.crm5.dynamics.com"));
    assert_eq!(get(&q, "prompt"), Some("login"));
    assert_eq!(get(&q, "scope"), Some("user_impersonation"));
}

#[tokio::test]
async fn code_exchange_with_client_secret_in_the_body() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[]).await;
    let tokens = runtime.exchange_code(&target, &callback("good-code")).await.unwrap();
    assert_eq!(tokens.access_token, "at-1");
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-1"));
    assert_eq!(tokens.expires_in, Some(3599), "expires_in sent as a string");
    assert_eq!(get(&tokens.extra, "instance_url"), Some("https://acme.example.com"));
    assert_eq!(get(&tokens.extra, "resource"), Some("https://api.acme.example.com"), "oauth2_include");
    let seen = idp.seen();
    let form = &seen.last().unwrap().form;
    assert_eq!(seen.last().unwrap().authorization, None);
    assert_eq!(form.get("client_secret").map(String::as_str), Some(CLIENT_SECRET));
    assert_eq!(form.get("code").map(String::as_str), Some("good-code"));
    assert_eq!(form.get("redirect_uri").map(String::as_str), Some(REDIRECT));
    assert_eq!(form.get("code_verifier").map(String::as_str), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
}

#[tokio::test]
async fn code_exchange_with_client_secret_in_the_header() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[("CLIENT_AUTH", "client_secret_basic")]).await;
    let tokens = runtime.exchange_code(&target, &callback("good-code")).await.unwrap();
    assert_eq!(tokens.access_token, "at-1");
    let seen = idp.seen();
    let last = seen.last().unwrap();
    assert!(last.authorization.as_deref().unwrap().starts_with("Basic "));
    assert!(!last.form.contains_key("client_secret"), "the secret goes once, in the header");
    assert!(!last.form.contains_key("client_id"));
}

#[tokio::test]
async fn code_exchange_with_a_client_assertion_signed_by_the_host() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[("CLIENT_AUTH", "private_key_jwt"), ("CLIENT_SECRET", "")]).await;
    let without_key = runtime.exchange_code(&target, &callback("good-code")).await.unwrap_err();
    assert!(without_key.to_string().contains("no private key"), "{without_key}");
    let target = target.with_signing_key(assertion_signing_key());
    let tokens = runtime.exchange_code(&target, &callback("good-code")).await.unwrap();
    assert_eq!(tokens.access_token, "at-1");
    let seen = idp.seen();
    let form = &seen.last().unwrap().form;
    assert!(!form.contains_key("client_secret"));
    assert_eq!(form.get("client_id").map(String::as_str), Some(CLIENT_ID));
}

#[tokio::test]
async fn refresh_with_and_without_a_new_refresh_token() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[]).await;
    let rotated = runtime.refresh(&target, "rt-rotating", &[], &[]).await.unwrap();
    assert_eq!((rotated.access_token.as_str(), rotated.refresh_token.as_deref()), ("at-2", Some("rt-rotated")));
    assert_eq!(rotated.token_type, "bearer");
    let kept = runtime.refresh(&target, "rt-1", &[], &[]).await.unwrap();
    assert_eq!((kept.access_token.as_str(), kept.refresh_token), ("at-2", None));
    let seen = idp.seen();
    let form = &seen.last().unwrap().form;
    assert_eq!(form.get("grant_type").map(String::as_str), Some("refresh_token"));
    assert_eq!(form.get("refresh_token").map(String::as_str), Some("rt-1"));
    let revoked = runtime.refresh(&target, "rt-revoked", &[], &[]).await.unwrap_err();
    assert_eq!(rejected_code(&revoked), Some(("invalid_grant", 400)));
}

#[tokio::test]
async fn client_credentials_grant() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[]).await;
    let params = vec![("scope".to_owned(), "reports".to_owned())];
    let tokens = runtime.request_token(&target, flowauth::runtime::Grant::ClientCredentials, &params).await.unwrap();
    assert!(tokens.access_token.starts_with("at-cc-"), "{}", tokens.access_token);
    assert_eq!(tokens.scope.as_deref(), Some("reports"));
}

#[tokio::test]
async fn validate_reports_active_and_expired_tokens() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;
    let target = custom_target(&runtime, &idp, &[]).await;
    let token = |access: &str| TokenSet {
        access_token: access.into(),
        token_type: "Bearer".into(),
        refresh_token: None,
        expires_in: None,
        scope: None,
        id_token: None,
        extra: vec![],
    };
    let good = runtime.validate(&target, &token("at-1")).await.unwrap();
    assert!(good.active);
    assert_eq!(good.subject.as_deref(), Some("user-42"));
    let expired = runtime.validate(&target, &token("at-old")).await.unwrap();
    assert!(!expired.active);
}

#[tokio::test]
async fn provider_errors_keep_their_meaning() {
    let idp = MockIdp::start().await;
    let runtime = test_runtime(None).await;

    let target = custom_target(&runtime, &idp, &[]).await;
    let error = runtime.exchange_code(&target, &callback("used-code")).await.unwrap_err();
    assert_eq!(rejected_code(&error), Some(("invalid_grant", 400)));
    assert_eq!(error.oauth_code(), Some("invalid_grant"));

    let wrong_secret = custom_target(&runtime, &idp, &[("CLIENT_SECRET", "wrong")]).await;
    let error = runtime.exchange_code(&wrong_secret, &callback("good-code")).await.unwrap_err();
    assert_eq!(rejected_code(&error), Some(("invalid_client", 401)));

    let html = custom_target(&runtime, &idp, &[("TOKEN_URL", "/token-html-500")]).await;
    let error = runtime.exchange_code(&html, &callback("good-code")).await.unwrap_err();
    assert!(
        matches!(&error, CallError::OAuth(OauthError::Transport(m)) if m.contains("HTTP 500") && m.contains("Internal Server Error")),
        "{error}"
    );

    let not_json = custom_target(&runtime, &idp, &[("TOKEN_URL", "/token-not-json")]).await;
    let error = runtime.exchange_code(&not_json, &callback("good-code")).await.unwrap_err();
    assert!(matches!(&error, CallError::OAuth(OauthError::Protocol(m)) if m.contains("Welcome")), "{error}");

    let silent = custom_target(&runtime, &idp, &[("TOKEN_URL", "/token-silent")]).await;
    let error = runtime.exchange_code(&silent, &callback("good-code")).await.unwrap_err();
    assert!(matches!(&error, CallError::OAuth(OauthError::Transport(m)) if m.contains("in time")), "{error}");

    let denied = runtime
        .exchange_code(
            &custom_target(&runtime, &idp, &[]).await,
            &Callback {
                query: vec![
                    ("error".into(), "access_denied".into()),
                    ("error_description".into(), "the user said no".into()),
                ],
                ..callback("")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(rejected_code(&denied), Some(("access_denied", 400)));
}

#[tokio::test]
async fn malformed_definitions_name_the_json_path() {
    let runtime = test_runtime(None).await;
    let component = runtime.component_for("devtools").unwrap();
    let mut bad: serde_json::Value = serde_json::from_str(&config_json("https://idp.example.com")).unwrap();
    bad["oauth2_token_data"][2] = json!("{\"client_id\": ");
    let error = runtime.describe_definition(&component, &bad.to_string()).await.unwrap_err();
    assert!(
        matches!(&error, CallError::OAuth(OauthError::Config(m)) if m.contains("$.oauth2_token_data[2]")),
        "{error}"
    );
    bad["oauth2_token_data"] = json!("not an array");
    let error = runtime.describe_definition(&component, &bad.to_string()).await.unwrap_err();
    assert!(error.to_string().contains("$.oauth2_token_data must be an array"), "{error}");
}
