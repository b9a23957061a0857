//! The versions of the WIT contract: a component built against the
//! released 0.1.0 still installs and serves calls; a 0.2.0 component that
//! does not export `definitions` works and is refused definitions at once;
//! the generic component exports it. (An unknown version is refused at
//! install: tests/components.rs.)

use flowauth::runtime::{AuthRequest, CallError, Client, Runtime, Target};
use flowauth_tests::{CLIENT_ID, contract_v0_1_wasm, test_runtime};

fn request() -> AuthRequest {
    AuthRequest {
        redirect_uri: "https://flow.example.com/oauth/return".into(),
        state: "s1".into(),
        scopes: vec![],
        code_challenge: None,
        extra: vec![],
    }
}

async fn auth_url(runtime: &Runtime, connector: &str, settings: &[(&str, &str)]) -> String {
    let component = runtime.component_for(connector).unwrap();
    let settings = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let target = Target::new(component, Client { connector: connector.into(), settings, definition: None }).unwrap();
    runtime.build_auth_url(&target, &request()).await.unwrap().url
}

#[tokio::test]
async fn a_component_built_against_0_1_0_installs_and_serves_calls() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = test_runtime(Some(dir.path().to_owned())).await;
    let component = runtime.install("v01", &contract_v0_1_wasm(), false).await.unwrap();
    assert_eq!(component.contract_version(), "0.1.0");
    assert!(component.takes_definitions(), "0.1.0's provider holds describe-definition");
    assert_eq!(component.connectors.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["v01"]);
    assert_eq!(auth_url(&runtime, "v01", &[]).await, "https://v01.example.com/authorize?for=v01&state=s1");
    let described = runtime.describe_definition(&component, "from-a-definition").await.unwrap();
    assert_eq!(described.name, "from-a-definition");

    // Loaded again from the compiled-code cache, as a restarted server does.
    let restarted = test_runtime(Some(dir.path().to_owned())).await;
    let again = restarted.install("v01", &contract_v0_1_wasm(), false).await.unwrap();
    assert_eq!((again.contract_version(), again.takes_definitions()), ("0.1.0", true));
    assert_eq!(auth_url(&restarted, "v01", &[]).await, "https://v01.example.com/authorize?for=v01&state=s1");
}

#[tokio::test]
async fn a_0_2_0_component_without_definitions_works_and_is_refused_definitions() {
    let runtime = test_runtime(None).await;
    let github = runtime.component_for("github").unwrap();
    assert_eq!((github.contract_version(), github.takes_definitions()), ("0.2.0", false));
    let url = auth_url(&runtime, "github", &[("CLIENT_ID", CLIENT_ID)]).await;
    assert!(url.contains(&format!("client_id={CLIENT_ID}")), "{url}");

    let error = runtime.describe_definition(&github, "{}").await.unwrap_err();
    assert!(matches!(error, CallError::NoDefinitions { .. }), "{error:?}");
    assert!(!error.is_sandbox_fault());
    let message = error.to_string();
    assert!(message.contains("github takes no run-time connector definitions"), "{message}");
    assert!(message.contains("0.2.0"), "{message}");
}

#[tokio::test]
async fn only_the_generic_built_in_takes_definitions() {
    let runtime = test_runtime(None).await;
    let taking: Vec<_> =
        runtime.components().into_iter().filter(|c| c.takes_definitions()).map(|c| c.name.clone()).collect();
    assert_eq!(taking, ["generic"]);
    assert!(runtime.components().iter().all(|c| c.contract_version() == "0.2.0"));
}
