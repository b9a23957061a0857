//! Canary secrets and tokens never reach the disk in plaintext, nor the
//! logs, nor the errors stored and shown. Alone in its binary so its log
//! subscriber is the global one.

use std::sync::OnceLock;

use base64::Engine as _;
use flowauth::store::LoadMode;
use flowauth::tokens::{Flow, StartRequest};
use flowauth_tests::lifecycle::{Setup, authorized, setup, start_request};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, CapturedLogs, ECHOES, echo};
use serde_json::{Map, Value, json};

/// What every test of this binary logs.
fn logs() -> &'static CapturedLogs {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        tracing::subscriber::set_global_default(logs.subscriber()).unwrap();
        logs
    })
}

/// Every file of the data directory, one after the other.
fn disk(s: &Setup) -> Vec<u8> {
    let mut disk = Vec::new();
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            disk.extend(std::fs::read(path).unwrap());
        }
    }
    disk
}

fn holds(disk: &[u8], text: &str) -> bool {
    disk.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test]
async fn canary_secrets_never_reach_the_disk_or_the_logs() {
    let logs = logs();
    let s = setup().await;
    let id = authorized(&s, "short-code").await;
    s.service.access_token(&s.tenant.id, &id).await.unwrap();
    s.service.store().token(&s.tenant.id, &id).await.unwrap();
    // OAuth 1.0a's token secret travels among a token answer's extra values.
    let oauth1 = flowauth::store::Issued {
        access_token: "at-oauth1".into(),
        token_type: "OAuth".into(),
        refresh_token: None,
        id_token: None,
        expires_at: None,
        extra: vec![("oauth_token_secret".into(), "token-secret-canary".into())],
    };
    s.service.store().store_issued(&s.tenant.id, &id, &oauth1, None).await.unwrap();
    let stored = s.service.store().token(&s.tenant.id, &id).await.unwrap().unwrap();
    assert_eq!(stored.extra, oauth1.extra, "the extra values open again");
    let disk = disk(&s);
    let logged = logs.text();
    assert!(logged.contains("outbound request"), "logs were captured");
    for canary in [CLIENT_SECRET, "at-fam-0", "at-fam-1", "fam-1", "good-code", "short-code", "token-secret-canary"] {
        assert!(!holds(&disk, canary), "{canary} is on disk");
        assert!(!logged.contains(canary), "{canary} is in the logs");
    }
}

/// A space, a quote, a backslash, reserved and non-ASCII characters: each
/// encoding writes this secret differently.
const ECHOED_SECRET: &str = "s3cret/with +reserved&chars\"é\\~*";

#[tokio::test]
async fn a_secret_the_provider_echoes_in_any_encoding_is_never_stored_shown_or_logged() {
    let logs = logs();
    let s = setup().await;
    let providers: Map<String, Value> = ECHOES
        .iter()
        .map(|how| {
            let settings = json!({
                "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": ECHOED_SECRET, "CLIENT_AUTH": "client_secret_basic",
                "BASE_URL": s.idp.base_url(), "AUTH_URL": "/authorize", "TOKEN_URL": format!("/token-echo-as/{how}"),
            });
            (format!("Echo-{how}"), settings)
        })
        .collect();
    let file = json!({"devtools": providers}).to_string();
    s.service.load_configuration(&s.tenant, &file, LoadMode::Replace).await.unwrap();
    let form: String = url::form_urlencoded::byte_serialize(ECHOED_SECRET.as_bytes()).collect();
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{form}")));
    let echoes: Vec<(&str, String)> = ECHOES.iter().map(|how| (*how, echo(how, ECHOED_SECRET, &basic))).collect();
    for (how, echoed) in &echoes {
        let request = StartRequest { provider: format!("Echo-{how}"), ..start_request(Flow::ClientCredentials) };
        let started = s.service.start(&s.tenant, request).await.unwrap();
        let (_, answered) = started.error.clone().unwrap_or_else(|| panic!("{how}: the provider did not refuse"));
        let stored = s.service.store().token(&s.tenant.id, &started.id).await.unwrap().unwrap();
        for shown in [answered, stored.error_message.unwrap_or_default()] {
            assert!(shown.contains("rejected: ") && shown.contains("[redacted]"), "{how}: {shown}");
            assert!(!shown.contains(echoed.as_str()) && !shown.contains("reserved"), "{how} leaked: {shown}");
        }
    }
    let disk = disk(&s);
    let logged = logs.text();
    for (how, echoed) in &echoes {
        assert!(!holds(&disk, echoed), "{how} is on disk");
        assert!(!logged.contains(echoed.as_str()), "{how} is in the logs");
    }
}
