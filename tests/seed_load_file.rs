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
