//! The command line, run as users run it: the real binary in a temporary
//! folder.

use std::process::Command;

use flowauth_tests::test_runtime;

fn flowauth(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flowauth"))
        .current_dir(dir)
        .args(args)
        .env_remove("FLOWAUTH_MASTER_KEY")
        .output()
        .unwrap()
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
    assert_eq!(
        report["unchanged"],
        serde_json::json!(["devtools/HTTP"]),
        "the store still opens after rotation (and an unchanged reload is a no-op)"
    );
}

#[tokio::test]
async fn token_commands_for_scripts() {
    let idp = flowauth_tests::MockIdp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let run = move |args: Vec<String>| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            let mut all = vec!["--allow-private-network".to_owned(), "--json".to_owned()];
            all.extend(args);
            let out = flowauth(&path, &all.iter().map(String::as_str).collect::<Vec<_>>());
            assert!(out.status.success(), "{all:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        })
    };
    let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    run(args("tenant create acme")).await.unwrap();
    let load = serde_json::json!({"devtools": {"HTTP": {"CLIENT_ID": flowauth_tests::CLIENT_ID,
        "CLIENT_SECRET": flowauth_tests::CLIENT_SECRET, "TOKEN_URL": format!("{}/token", idp.base_url())}}});
    std::fs::write(dir.path().join("load.json"), load.to_string()).unwrap();
    run(args("oauth load load.json --tenant acme")).await.unwrap();
    let started = run(args("token start --tenant acme --name nightly --connector devtools --provider HTTP --flow client_credentials --scope reports")).await.unwrap();
    let started: serde_json::Value = serde_json::from_str(&started).unwrap();
    assert_eq!(started["status"], "active", "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    let got: serde_json::Value =
        serde_json::from_str(&run(args(&format!("token get --tenant acme {id}"))).await.unwrap()).unwrap();
    assert!(got["access_token"].as_str().unwrap().starts_with("at-cc-"));
    let reset: serde_json::Value =
        serde_json::from_str(&run(args(&format!("token reset --tenant acme {id} --scope admin"))).await.unwrap())
            .unwrap();
    assert_eq!(reset["status"], "active");
    let list = run(args("token list --tenant acme")).await.unwrap();
    assert!(list.contains("nightly") && !list.contains(flowauth_tests::CLIENT_SECRET), "{list}");
    run(args(&format!("token delete --tenant acme {id}"))).await.unwrap();
    assert_eq!(run(args("token list --tenant acme")).await.unwrap(), "");
}

#[test]
fn an_unreachable_database_is_named_without_its_password_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://flowauth:sekret@127.0.0.1:{port}/flowauth");
    let out = flowauth(dir.path(), &["--database-url", &url, "tenant", "create", "acme"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot connect to the database"), "{stderr}");
    assert!(stderr.contains(&format!("postgres://flowauth:***@127.0.0.1:{port}/flowauth")), "{stderr}");
    assert!(!stderr.contains("sekret"), "{stderr}");
    let unknown = flowauth(dir.path(), &["--database-url", "mysql://db/flowauth", "tenant", "create", "acme"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("use sqlite://FILE or postgres://"));
    assert!(!dir.path().join("flowauth-data").exists(), "nothing was created");
}

#[test]
fn a_tenants_key_is_rotated_and_the_tenant_deleted_only_when_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let out = flowauth(dir.path(), &["--json", "tenant", "create", "acme"]);
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = flowauth(dir.path(), &["--json", "tenant", "rotate-key", "acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rotated["name"], "acme");
    assert!(rotated["api_key"].as_str().unwrap().starts_with("fa_"));
    assert_ne!(rotated["api_key"], created["api_key"]);

    let refused = flowauth(dir.path(), &["tenant", "delete", "acme"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --yes"), "{refused:?}");
    let listed = flowauth(dir.path(), &["tenant", "list"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "acme\n", "nothing was deleted");
    let deleted = flowauth(dir.path(), &["tenant", "delete", "acme", "--yes"]);
    assert!(deleted.status.success(), "{}", String::from_utf8_lossy(&deleted.stderr));
    assert_eq!(flowauth(dir.path(), &["tenant", "list"]).stdout, b"");
    let unknown = flowauth(dir.path(), &["tenant", "rotate-key", "acme"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no tenant \"acme\""), "{unknown:?}");
}
