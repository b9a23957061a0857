//! Canary secrets and tokens never reach the disk in plaintext, nor the
//! logs. Alone in its binary so its log subscriber is the global one.

use flowauth_tests::lifecycle::{authorized, setup};
use flowauth_tests::{CLIENT_SECRET, CapturedLogs};

#[tokio::test]
async fn canary_secrets_never_reach_the_disk_or_the_logs() {
    let logs = CapturedLogs::default();
    tracing::subscriber::set_global_default(logs.subscriber()).unwrap();
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
    let mut disk = Vec::new();
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            disk.extend(std::fs::read(path).unwrap());
        }
    }
    let logged = logs.text();
    assert!(logged.contains("outbound request"), "logs were captured");
    for canary in [CLIENT_SECRET, "at-fam-0", "at-fam-1", "fam-1", "good-code", "short-code", "token-secret-canary"] {
        assert!(!disk.windows(canary.len()).any(|w| w == canary.as_bytes()), "{canary} is on disk");
        assert!(!logged.contains(canary), "{canary} is in the logs");
    }
}
