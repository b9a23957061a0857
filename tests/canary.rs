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
    let mut disk = Vec::new();
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            disk.extend(std::fs::read(path).unwrap());
        }
    }
    let logged = logs.text();
    assert!(logged.contains("outbound request"), "logs were captured");
    for canary in [CLIENT_SECRET, "at-fam-0", "at-fam-1", "fam-1", "good-code", "short-code"] {
        assert!(!disk.windows(canary.len()).any(|w| w == canary.as_bytes()), "{canary} is on disk");
        assert!(!logged.contains(canary), "{canary} is in the logs");
    }
}
