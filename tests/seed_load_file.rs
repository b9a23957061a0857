//! Seed 000's whole sample load file, placeholders filled in, loads through
//! the real token service and store, and every connector in it builds an
//! auth link: what a new user tries first.

use flowauth::store::LoadMode;
use flowauth::tokens::{Flow, StartRequest, TokenService};
use flowauth_tests::lifecycle::{REDIRECT, given_key, open};
use flowauth_tests::providers::{CONSUMER_KEY, CONSUMER_SECRET, Provider, Style};
use flowauth_tests::test_runtime;
use serde_json::{Map, Value};

const SAMPLE: &str = include_str!("fixtures/seed-000-load-file.json");

/// A value for a placeholder, by setting key: URLs where URLs go,
/// OSLC's validation specs in their documented form.
fn value_for(key: &str) -> String {
    match key.to_ascii_uppercase().as_str() {
        "CLIENT_ID" => "flow-client".into(),
        "CLIENT_SECRET" | "CONSUMER_SECRET" => "s3cret".into(),
        "CONSUMER_KEY" => "trello-key".into(),
        "BASE_URL" => "https://auth.example.com:9031/as".into(),
        "RESOURCE_URL" | "CONNECTION_URL" => "https://api.example.com:8443/".into(),
        "SCOPE" => "read write".into(),
        "NEED_RESOURCE_URL" => "true".into(),
        "VALIDATE_METHOD" => "GET".into(),
        "VALIDATE_QUERY" => "token:access_token".into(),
        "VALIDATE_AUTH" => r#"basic:{"username":"{client_id}","password":"{client_secret}"}"#.into(),
        other => format!("/oauth/{}", other.trim_end_matches("_URL").to_ascii_lowercase()),
    }
}

/// The sample with every `<...>` replaced; Trello's provider moved to the
/// mock, since its auth link needs a request token first.
fn filled_in(trello: &Provider) -> Map<String, Value> {
    let Value::Object(mut root) = serde_json::from_str(SAMPLE).unwrap() else { panic!("the sample is an object") };
    for providers in root.values_mut() {
        for settings in providers.as_object_mut().unwrap().values_mut() {
            for (key, value) in settings.as_object_mut().unwrap() {
                if value.as_str().is_some_and(|v| v.contains('<') || v.contains('>')) {
                    *value = Value::String(value_for(key));
                }
            }
        }
    }
    let trello_settings = root["trello"]["Trello"].as_object_mut().unwrap();
    trello_settings.insert("CONSUMER_KEY".into(), CONSUMER_KEY.into());
    trello_settings.insert("CONSUMER_SECRET".into(), CONSUMER_SECRET.into());
    trello_settings.insert("BASE_URL".into(), trello.base_url().into());
    root
}

/// What a user gives when starting a token of `connector`.
fn additional(connector: &str) -> Vec<(String, String)> {
    match connector {
        "zendesk" => vec![("subdomain".into(), "acme".into())],
        "dynamics365" => vec![("resource".into(), "https://acme.crm.dynamics.com".into())],
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn the_whole_sample_load_file_loads_and_every_connector_builds_an_auth_link() {
    let trello = Provider::start(Style::Standard).await;
    let runtime = test_runtime(None).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), given_key(7)).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let service = TokenService::new(store, runtime, REDIRECT.into());
    let file = filled_in(&trello);
    let text = Value::Object(file.clone()).to_string();
    let report = service.load_configuration(&tenant, &text, LoadMode::Replace).await;
    let report = report.unwrap_or_else(|e| panic!("the sample load file was refused: {e:?}"));
    assert_eq!(report.created.len(), file.len(), "{report:?}");

    let mut failures = Vec::new();
    for (connector, providers) in &file {
        for display_name in providers.as_object().unwrap().keys() {
            let request = StartRequest {
                name: format!("{connector} user"),
                connector: connector.clone(),
                provider: display_name.clone(),
                flow: Flow::AuthorizationCode,
                additional: additional(connector),
                use_default_keys: true,
                ..StartRequest::default()
            };
            match service.start(&tenant, request).await {
                Ok(started) if started.auth_link.as_deref().is_some_and(|l| l.starts_with("http")) => {}
                Ok(started) => failures.push(format!("{connector}: {:?}", started.error)),
                Err(error) => failures.push(format!("{connector}: {error}")),
            }
        }
    }
    assert!(failures.is_empty(), "no auth link for: {failures:#?}");
}

/// A token service over a fresh store, with `load` loaded for tenant acme.
async fn service_with(load: Value) -> (tempfile::TempDir, TokenService, flowauth::store::Tenant) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), given_key(9)).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let service = TokenService::new(store, test_runtime(None).await, REDIRECT.into());
    service.load_configuration(&tenant, &load.to_string(), LoadMode::Replace).await.unwrap();
    (dir, service, tenant)
}

fn start(connector: &str, provider: &str) -> StartRequest {
    StartRequest {
        name: "bot".into(),
        connector: connector.into(),
        provider: provider.into(),
        flow: Flow::AuthorizationCode,
        use_default_keys: true,
        ..StartRequest::default()
    }
}

#[tokio::test]
async fn a_trello_token_completes_its_flow_and_carries_its_secret() {
    let trello = Provider::start(Style::Standard).await;
    let load = serde_json::json!({"trello": {"Trello": {
        "CONSUMER_KEY": CONSUMER_KEY, "CONSUMER_SECRET": CONSUMER_SECRET, "BASE_URL": trello.base_url(),
    }}});
    let (_dir, service, tenant) = service_with(load).await;
    let started = service.start(&tenant, start("trello", "Trello")).await.unwrap();
    assert!(started.auth_link.unwrap().contains("/1/OAuthAuthorizeToken?oauth_token=req-token"));
    // Trello sends the user back to the callback given with the request
    // token, adding the request token and the verifier.
    let header = trello.last("OAuthGetRequestToken").headers["authorization"].clone();
    let callback = header.split(", ").find_map(|f| f.strip_prefix("oauth_callback=\"")).unwrap().trim_end_matches('"');
    let callback = url::form_urlencoded::parse(format!("u={callback}").as_bytes()).next().unwrap().1.into_owned();
    let state = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let query = [("state", state.as_str()), ("oauth_token", "req-token"), ("oauth_verifier", "verifier-1")];
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let finished = service.callback(&query, None).await.unwrap();
    assert_eq!(finished.status, flowauth::store::TokenStatus::Active, "{:?}", finished.error);

    let token = service.access_token(&tenant.id, &started.id).await.unwrap();
    assert_eq!(token.access_token, "access-token");
    let secret = token.extra.iter().find(|(k, _)| k == "oauth_token_secret").map(|(_, v)| v.as_str());
    assert_eq!(secret, Some("access-secret"), "flows sign with the token secret");
}

#[tokio::test]
async fn a_salesforce_token_hands_out_its_instance_url() {
    let salesforce = Provider::start(Style::Salesforce).await;
    let load = serde_json::json!({"salesforce": {"Salesforce": {
        "CLIENT_ID": flowauth_tests::CLIENT_ID, "CLIENT_SECRET": flowauth_tests::CLIENT_SECRET,
        "BASE_URL": salesforce.base_url(),
    }}});
    let (_dir, service, tenant) = service_with(load).await;
    let started = service.start(&tenant, start("salesforce", "Salesforce")).await.unwrap();
    let link = started.auth_link.unwrap();
    let state = url::Url::parse(&link).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let query = vec![("code".to_owned(), "good-code".to_owned()), ("state".to_owned(), state)];
    let finished = service.callback(&query, None).await.unwrap();
    assert_eq!(finished.status, flowauth::store::TokenStatus::Active, "{:?}", finished.error);
    let token = service.access_token(&tenant.id, &started.id).await.unwrap();
    let instance = token.extra.iter().find(|(k, _)| k == "instance_url").map(|(_, v)| v.as_str());
    assert_eq!((instance, token.expires_at), (Some("https://acme.my.salesforce.com"), None));
}
