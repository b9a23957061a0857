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

/// `flowauth --allow-private-network --json LINE...` in `dir`, off the
/// async runtime (the mock provider runs on it).
async fn script(dir: &std::path::Path, line: &str) -> std::process::Output {
    let dir = dir.to_owned();
    let mut all = vec!["--allow-private-network".to_owned(), "--json".to_owned()];
    all.extend(line.split_whitespace().map(str::to_owned));
    tokio::task::spawn_blocking(move || flowauth(&dir, &all.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

/// [`script`] that must succeed; its stdout.
async fn script_ok(dir: &std::path::Path, line: &str) -> String {
    let out = script(dir, line).await;
    assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
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
    assert!(flowauth(dir.path(), &["init"]).status.success());
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
    script_ok(&path, "init").await;
    script_ok(&path, "tenant create acme").await;
    let load = serde_json::json!({"devtools": {"HTTP": {"CLIENT_ID": flowauth_tests::CLIENT_ID,
        "CLIENT_SECRET": flowauth_tests::CLIENT_SECRET, "TOKEN_URL": format!("{}/token", idp.base_url())}}});
    std::fs::write(dir.path().join("load.json"), load.to_string()).unwrap();
    script_ok(&path, "oauth load load.json --tenant acme").await;
    let started = script_ok(&path, "token start --tenant acme --name nightly --connector devtools --provider HTTP --flow client_credentials --scope reports").await;
    let started: serde_json::Value = serde_json::from_str(&started).unwrap();
    assert_eq!(started["status"], "active", "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    let got: serde_json::Value =
        serde_json::from_str(&script_ok(&path, &format!("token get --tenant acme {id}")).await).unwrap();
    assert!(got["access_token"].as_str().unwrap().starts_with("at-cc-"));
    let reset: serde_json::Value =
        serde_json::from_str(&script_ok(&path, &format!("token reset --tenant acme {id} --scope admin")).await)
            .unwrap();
    assert_eq!(reset["status"], "active");
    let list = script_ok(&path, "token list --tenant acme").await;
    assert!(list.contains("nightly") && !list.contains(flowauth_tests::CLIENT_SECRET), "{list}");
    let deleted: serde_json::Value =
        serde_json::from_str(&script_ok(&path, &format!("token delete --tenant acme {id}")).await).unwrap();
    assert_eq!(deleted["revocation"], "not_offered", "{deleted}");
    assert_eq!(script_ok(&path, "token list --tenant acme").await, "");
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

/// `flowauth ARGS...` in `dir` under umask 000, as a careless service
/// manager would start it.
fn under_umask_000(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", "umask 000; exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_flowauth")])
        .args(args)
        .current_dir(dir)
        .env_remove("FLOWAUTH_MASTER_KEY");
    command
}

/// Every folder below `root` (itself included) and every file, with its mode.
fn modes(root: &std::path::Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = vec![(root.display().to_string(), std::fs::metadata(root).unwrap().permissions().mode() & 0o777)];
    for entry in std::fs::read_dir(root).unwrap().map(Result::unwrap) {
        let path = entry.path();
        match entry.file_type().unwrap().is_dir() {
            true => found.extend(modes(&path)),
            false => found.push((path.display().to_string(), entry.metadata().unwrap().permissions().mode() & 0o777)),
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_of_the_data_directory_is_its_owners_only_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("flowauth-data");
    let init = under_umask_000(dir.path(), &["init"]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let listed = under_umask_000(dir.path(), &["connectors"]).output().unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));

    // A running server holds its holder file; compiled components are cached.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = under_umask_000(dir.path(), &["serve", "--listen", &listen])
        .env("FLOWAUTH_ADMIN_KEY", "admin-key-for-the-umask-test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = format!("http://{listen}/readyz");
    flowauth_tests::eventually("the server answers", async || reqwest::get(&ready).await.is_ok()).await;
    let found = modes(&data);
    server.kill().unwrap();
    server.wait().unwrap();

    let names: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
    for part in ["master.key", "flowauth.db", "flowauth.db-wal", "/compiled/", ".cwasm", "/holders/", ".lock"] {
        assert!(names.iter().any(|name| name.contains(part)), "no {part} among {names:#?}");
    }
    let open: Vec<String> = found
        .iter()
        .filter(|(path, mode)| *mode != if std::path::Path::new(path).is_dir() { 0o700 } else { 0o600 })
        .map(|(path, mode)| format!("{path}: {mode:o}"))
        .collect();
    assert!(open.is_empty(), "open to others under umask 000: {open:#?}");
}

#[test]
fn a_data_directory_others_may_enter_gets_a_warning_saying_how_to_close_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("flowauth-data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let init = flowauth(dir.path(), &["init"]);
    assert!(init.status.success());
    let stderr = String::from_utf8_lossy(&init.stderr);
    let data = data.canonicalize().unwrap();
    assert!(stderr.contains(&format!("chmod 700 {}", data.display())) && stderr.contains("755"), "{stderr}");

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let closed = flowauth(dir.path(), &["tenant", "list"]);
    assert!(!String::from_utf8_lossy(&closed.stderr).contains("chmod"), "{}", String::from_utf8_lossy(&closed.stderr));
}

#[test]
fn commands_other_than_serve_and_init_create_no_store_and_say_which_they_use() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().canonicalize().unwrap();
    let refused = flowauth(&here, &["--json", "tenant", "create", "acme"]);
    assert!(!refused.status.success());
    let message = serde_json::from_slice::<serde_json::Value>(&refused.stdout).unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = here.join("flowauth-data/flowauth.db");
    let at = format!("no flowauth store at {}", file.display());
    for hint in [at.as_str(), "--data-dir", "FLOWAUTH_DATA_DIR", "flowauth init"] {
        assert!(message.contains(hint), "{hint:?} not in {message}");
    }
    assert!(!here.join("flowauth-data").exists(), "a command other than serve and init created a store");

    let init = flowauth(&here, &["init"]);
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let store_line = format!("using the store in {} (SQLite)", here.join("flowauth-data").display());
    assert!(String::from_utf8_lossy(&init.stderr).contains(&store_line), "{}", String::from_utf8_lossy(&init.stderr));
    let created = flowauth(&here, &["--json", "tenant", "create", "acme"]);
    assert!(String::from_utf8_lossy(&created.stderr).contains(&store_line));
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).expect("stdout holds the JSON only");
    assert_eq!(created["name"], "acme");
    assert!(flowauth(&here, &["init"]).status.success(), "init on a store changes nothing");

    let elsewhere = here.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let data = here.join("flowauth-data").display().to_string();
    let listed = flowauth(&elsewhere, &["--data-dir", &data, "tenant", "list"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "acme");
    assert!(String::from_utf8_lossy(&listed.stderr).contains(&store_line));
}

#[tokio::test]
async fn a_token_the_provider_cannot_revoke_is_kept_unless_no_revoke_is_given() {
    let idp = flowauth_tests::MockIdp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    script(&path, "init").await;
    script(&path, "tenant create acme").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let load = serde_json::json!({"devtools": {"HTTP": {"CLIENT_ID": flowauth_tests::CLIENT_ID,
        "CLIENT_SECRET": flowauth_tests::CLIENT_SECRET, "TOKEN_URL": format!("{}/token", idp.base_url()),
        "REVOKE_URL": format!("http://127.0.0.1:{closed}/revoke")}}});
    std::fs::write(dir.path().join("load.json"), load.to_string()).unwrap();
    assert!(script(&path, "oauth load load.json --tenant acme").await.status.success());
    let started = script(
        &path,
        "token start --tenant acme --name nightly --connector devtools --provider HTTP --flow client_credentials",
    )
    .await;
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));

    let refused = script(&path, "token delete --tenant acme nightly").await;
    assert_eq!(refused.status.code(), Some(1));
    let error: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("not deleted") && message.contains("--no-revoke"), "{message}");
    assert!(message.contains("could not be reached"), "{message}");
    let listed = script(&path, "token list --tenant acme").await;
    assert!(String::from_utf8_lossy(&listed.stdout).contains("nightly"), "the token is kept");

    let deleted = script(&path, "token delete --tenant acme nightly --no-revoke").await;
    assert!(deleted.status.success(), "{}", String::from_utf8_lossy(&deleted.stderr));
    let deleted: serde_json::Value = serde_json::from_slice(&deleted.stdout).unwrap();
    assert_eq!(deleted["revocation"], "skipped");
    assert_eq!(script(&path, "token list --tenant acme").await.stdout, b"");
}

/// Everything a command prints with `url` as its database, `more` as
/// its arguments: stdout and stderr together.
fn printed_with_database(dir: &std::path::Path, url: &str, more: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flowauth"))
        .current_dir(dir)
        .args(["--database-url", url])
        .args(more)
        .env("RUST_LOG", "debug")
        .env_remove("FLOWAUTH_MASTER_KEY")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// `url` with `secret` as its password in every form a PostgreSQL URL may
/// carry one, and as the value of a parameter the driver does not take.
fn with_passwords(url: &str, secret: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_password(Some(secret)).unwrap();
    url.set_query(Some(&format!(
        "Password={secret}&PASSWORD={secret}&%50assword={secret}&sslmode=disable&unknown_option={secret}"
    )));
    url.into()
}

#[test]
fn a_database_password_never_shows_whatever_the_case_of_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = with_passwords(&format!("postgres://flowauth@127.0.0.1:{port}/flowauth"), "sekret");
    for command in [&["tenant", "list"][..], &["init"], &["--json", "keys", "rotate"]] {
        let (ok, printed) = printed_with_database(dir.path(), &url, command);
        assert!(!ok && printed.contains("cannot connect to the database"), "{command:?}: {printed}");
        assert!(!printed.contains("sekret"), "{command:?}: {printed}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_flowauth")).arg("--help").env("FLOWAUTH_DATABASE_URL", &url).output();
    assert!(!String::from_utf8_lossy(&help.unwrap().stdout).contains("sekret"));
}

/// On a real server the URL's password is the test server's own (none on
/// the throwaway cluster, which trusts local connections).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_password_never_shows_on_a_real_postgresql_either() {
    let Some(database) = flowauth_tests::postgres::postgres_database().await else { return };
    let secret = url::Url::parse(&database).unwrap().password().unwrap_or("sekret-trusted").to_owned();
    let url = with_passwords(&database, &secret);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let printed = tokio::task::spawn_blocking(move || {
        [&["init"][..], &["tenant", "create", "acme"], &["tenant", "list"]]
            .map(|command| printed_with_database(&path, &url, command))
    })
    .await
    .unwrap();
    for (ok, text) in &printed {
        assert!(*ok, "{text}");
        assert!(!text.contains(&secret), "{text}");
    }
    assert!(printed[0].1.contains("(PostgreSQL)"), "{}", printed[0].1);
    assert!(printed[2].1.contains("acme"), "{}", printed[2].1);
}

#[test]
fn a_tenants_key_is_rotated_and_the_tenant_deleted_only_when_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    assert!(flowauth(dir.path(), &["init"]).status.success());
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
