//! The command line, run as users run it: the real binary in a temporary
//! folder.

use std::process::Command;

use flowauth_tests::test_runtime;

fn flowauth(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().unwrap().parent().unwrap().join("flowauth");
    assert!(binary.exists(), "{} is missing: run `cargo test --workspace`", binary.display());
    Command::new(binary).current_dir(dir).args(args).env_remove("FLOWAUTH_MASTER_KEY").output().unwrap()
}

#[tokio::test]
async fn new_oauth_scaffolds_a_config_the_generic_component_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = flowauth(dir.path(), &["new", "oauth", "acme-crm"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.path().join("auth/oauth/acme-crm/config.json")).unwrap();
    let runtime = test_runtime(None).await;
    let component = runtime.component_for("devtools").unwrap();
    let connector = runtime.describe_definition(&component, &text).await.unwrap();
    assert_eq!(connector.name, "acme_crm");
    let again = flowauth(dir.path(), &["new", "oauth", "acme-crm"]);
    assert!(!again.status.success(), "an existing config is never overwritten");
    let bad = flowauth(dir.path(), &["new", "oauth", "bad name!"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("letters, digits and hyphens"));
}

#[test]
fn admin_commands_work_on_the_store_directly() {
    let dir = tempfile::tempdir().unwrap();
    let out = flowauth(dir.path(), &["--json", "tenant", "create", "acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(created["api_key"].as_str().unwrap().starts_with("fa_"));

    std::fs::write(dir.path().join("bad.json"), r#"{"devtools": {"HTTP": {"CLIENT_ID": 1}}}"#).unwrap();
    let out = flowauth(dir.path(), &["oauth", "load", "bad.json", "--tenant", "acme"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json: $.devtools.HTTP.CLIENT_ID: must be a string"), "{stderr}");

    std::fs::write(dir.path().join("good.json"), r#"{"devtools": {"HTTP": {"CLIENT_ID": "a", "CLIENT_SECRET": "b"}}}"#)
        .unwrap();
    let out = flowauth(dir.path(), &["--json", "oauth", "load", "good.json", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = flowauth(dir.path(), &["--json", "keys", "rotate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rotated["resealed"], 1);
    let out = flowauth(dir.path(), &["--json", "oauth", "load", "good.json", "--tenant", "acme"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["updated"], serde_json::json!(["devtools/HTTP"]), "the store still opens after rotation");
}
