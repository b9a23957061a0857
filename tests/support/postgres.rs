//! PostgreSQL for the tests: a new empty database per call, on the server
//! named by `FLOWAUTH_TEST_POSTGRES_URL` or else on a throwaway cluster the
//! harness starts itself, and the SQLite/PostgreSQL pair a store test runs
//! its body against.
//!
//! The throwaway cluster lives in a temporary directory, listens on a free
//! port of 127.0.0.1 only, trusts every local connection and never syncs to
//! disk: it holds nothing worth keeping. Rust statics have no destructors
//! and a test process may be killed, so a watchdog shell process stops the
//! cluster and removes its directory: it reads a pipe whose only writer is
//! the test process, and the kernel closes that pipe however the process
//! ends, crash and SIGKILL included.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection as _, Executor as _, PgConnection};

/// The variable naming a server to create test databases on, as
/// `postgres://user:password@host:port/database`; its user must be allowed
/// to create databases.
pub const URL_VARIABLE: &str = "FLOWAUTH_TEST_POSTGRES_URL";

/// Set (as CI does) to fail instead of skipping the PostgreSQL suite when
/// there is no PostgreSQL to test against.
pub const REQUIRE_VARIABLE: &str = "FLOWAUTH_TEST_REQUIRE_POSTGRES";

/// The prefix of every database the harness creates; the rest of the name
/// is `<unix seconds>_<pid>_<random>_<counter>`.
const PREFIX: &str = "flowauth_test_";

/// Databases older than this on a `FLOWAUTH_TEST_POSTGRES_URL` server are
/// leftovers of finished test processes, dropped by the next one.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// A new empty database, as a connection URL; `None` when there is no
/// PostgreSQL to test against, after one line on stderr per test process
/// saying the PostgreSQL suite was skipped.
///
/// Each call creates its own database, so tests share nothing but the
/// server, and names are unique across test processes using one server.
/// The first call of a process may start the throwaway cluster, which
/// blocks the calling thread for a second or two.
///
/// Panics when PostgreSQL is there but does not work (the cluster does not
/// start, the server refuses the connection): a broken setup fails the
/// tests rather than skipping them.
pub async fn postgres_database() -> Option<String> {
    let server = match server() {
        Ok(server) => server.as_ref()?,
        Err(message) => panic!("{message}"),
    };
    let mut admin = PgConnection::connect(&server.admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server {}: {e}", server.shown_url));
    if server.external && !SWEPT.swap(true, Ordering::SeqCst) {
        drop_stale_databases(&mut admin).await;
    }
    let name = database_name();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name} on {}: {e}", server.shown_url));
    admin.close().await.ok();
    let mut url = server.url.clone();
    url.set_path(&format!("/{name}"));
    Some(url.into())
}

/// The directory of the throwaway cluster this process started (its data
/// directory is `data/` in it), or `None` when the tests use
/// `FLOWAUTH_TEST_POSTGRES_URL`'s server, no PostgreSQL at all, or have
/// not called [`postgres_database`] yet. For tests of the harness itself.
pub fn throwaway_cluster_dir() -> Option<&'static Path> {
    SERVER.get()?.as_ref().ok()?.as_ref()?.cluster.as_ref().map(|c| c.dir.as_path())
}

/// A store backend for one test: a test body loops over [`backends`] and
/// names `backend` (its `Display` is the name) in its assertion messages,
/// so a failure says which backend it failed on.
pub struct Backend {
    /// `"sqlite"` or `"postgres"`.
    pub name: &'static str,
    /// A new empty database: `sqlite://<temporary directory>/flowauth.db`
    /// (an empty file), or a `postgres://` URL from [`postgres_database`].
    pub url: String,
    /// The SQLite file's directory, removed when the backend is dropped.
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The backends a store test runs its body against, each with a new empty
/// database: SQLite always, then PostgreSQL when [`postgres_database`] has
/// one (the skip is said once per process on stderr, not per test).
pub async fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::sqlite()];
    backends.extend(Backend::postgres().await);
    backends
}

impl Backend {
    /// A new SQLite database in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flowauth.db");
        // An empty file is an empty SQLite database; creating it here makes the
        // URL open whether or not the opener creates missing files.
        std::fs::File::create(&file).unwrap();
        Backend { name: "sqlite", url: format!("sqlite://{}", file.display()), _dir: Some(dir) }
    }

    /// A new, empty database on the same kind of backend as `other`.
    pub async fn fresh_like(other: &Backend) -> Self {
        match other.name {
            "postgres" => Self::postgres().await.expect("PostgreSQL served the other database"),
            _ => Self::sqlite(),
        }
    }

    /// A new PostgreSQL database, when there is PostgreSQL to test against.
    pub async fn postgres() -> Option<Self> {
        Some(Backend { name: "postgres", url: postgres_database().await?, _dir: None })
    }
}

/// A connection to the server of `database_url` from outside that
/// database (its `postgres` database), and the database's name: for tests
/// that cut a database off (`ALTER DATABASE ... ALLOW_CONNECTIONS`,
/// `pg_terminate_backend`), which cannot be done from inside it.
pub async fn outside(database_url: &str) -> (sqlx::AnyPool, String) {
    let mut url = url::Url::parse(database_url).unwrap();
    let name = url.path().trim_start_matches('/').to_owned();
    url.set_path("/postgres");
    sqlx::any::install_default_drivers();
    (sqlx::AnyPool::connect(url.as_str()).await.unwrap(), name)
}

/// Where test databases are created.
struct Server {
    /// The URL test databases' URLs are made from (path replaced).
    url: url::Url,
    /// The URL to connect to for `CREATE DATABASE`.
    admin_url: String,
    /// `admin_url` without its password, for messages.
    shown_url: String,
    /// Whether the server is `FLOWAUTH_TEST_POSTGRES_URL`'s (shared, so
    /// stale databases are swept) rather than the throwaway cluster.
    external: bool,
    cluster: Option<Cluster>,
}

/// The throwaway cluster of this process.
struct Cluster {
    dir: PathBuf,
    /// The write end of the watchdog's pipe, never written to: it closes
    /// when this process ends, and the watchdog then stops the cluster.
    _watchdog: ChildStdin,
}

static SERVER: OnceLock<Result<Option<Server>, String>> = OnceLock::new();
static SWEPT: AtomicBool = AtomicBool::new(false);

fn server() -> &'static Result<Option<Server>, String> {
    SERVER.get_or_init(|| {
        if let Some(url) = std::env::var(URL_VARIABLE).ok().filter(|url| !url.is_empty()) {
            return external_server(&url).map(Some);
        }
        let Some(bin) = server_binaries() else {
            if std::env::var_os(REQUIRE_VARIABLE).is_some() {
                return Err(format!("{REQUIRE_VARIABLE} is set, but there are no PostgreSQL server binaries (initdb, pg_ctl) and {URL_VARIABLE} is unset"));
            }
            // Straight to stderr: libtest captures `eprintln!` in tests and
            // shows it only for failures.
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL suite skipped: no PostgreSQL server binaries (initdb, pg_ctl) and {URL_VARIABLE} unset"
            );
            return Ok(None);
        };
        start_cluster(&bin).map(Some)
    })
}

fn external_server(raw: &str) -> Result<Server, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{URL_VARIABLE} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!("{URL_VARIABLE} must be a postgres:// URL, not {}://", url.scheme()));
    }
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    Ok(Server { admin_url: raw.to_owned(), shown_url: shown.into(), url, external: true, cluster: None })
}

/// `<prefix><unix seconds>_<pid>_<random>_<counter>`: the time lets a later
/// process tell leftovers, the rest keeps names apart between concurrent
/// processes, also from other machines or containers sharing the server.
fn database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    static RANDOM: OnceLock<u32> = OnceLock::new();
    let random = RANDOM.get_or_init(|| RandomState::new().hash_one(std::process::id()) as u32);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{PREFIX}{}_{}_{random:08x}_{n}", unix_seconds(), std::process::id())
}

fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Drops the harness's databases older than [`STALE_AFTER`] on a shared
/// server, so that they do not pile up there: no test process removes its
/// own. Best effort: failures are ignored.
async fn drop_stale_databases(admin: &mut PgConnection) {
    let Ok(names) = sqlx::query_scalar::<_, String>("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
        .bind(PREFIX)
        .fetch_all(&mut *admin)
        .await
    else {
        return;
    };
    let now = unix_seconds();
    for name in names {
        let created = name[PREFIX.len()..].split('_').next().and_then(|s| s.parse::<u64>().ok());
        let valid = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid && created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER.as_secs()) {
            let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
        }
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: on `PATH`, or
/// where Debian installs them (`/usr/lib/postgresql/<version>/bin`, newest
/// version first), which is not on `PATH`.
fn server_binaries() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    let mut debian: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let version = entry.file_name().to_string_lossy().split('.').map(|n| n.parse().unwrap_or(0)).collect();
            (version, entry.path().join("bin"))
        })
        .collect();
    debian.sort_by(|a, b| b.0.cmp(&a.0));
    dirs.extend(debian.into_iter().map(|(_, dir)| dir));
    dirs.into_iter().find(|dir| ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file()))
}

/// Settings appended to the cluster's `postgresql.conf`: loopback only, the
/// socket in the cluster's directory, no durability (the cluster dies with
/// the tests), and connections enough for several test processes with
/// pools of 8–16 each.
const SETTINGS: &str = "
listen_addresses = '127.0.0.1'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
";

/// Starts this process's throwaway cluster, as an unprivileged user when
/// the tests run as root (`initdb` and `pg_ctl` refuse root).
fn start_cluster(bin: &Path) -> Result<Server, String> {
    let user = if is_root() {
        Some(
            unprivileged_user()
                .ok_or("the tests run as root and there is no postgres or nobody user to run PostgreSQL as")?,
        )
    } else {
        None
    };
    let dir = tempfile::Builder::new()
        .prefix("flowauth-postgres-")
        .tempdir()
        .map_err(|e| format!("cannot create the PostgreSQL cluster's directory: {e}"))?
        .keep();
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("cannot give {} to uid {uid}: {e}", dir.display()))?;
    }
    let command = |program: &Path| {
        let mut command = Command::new(program);
        command.current_dir(&dir).stdin(Stdio::null()).env_remove("PGDATA").env("LC_ALL", "C");
        // Its own process group: a Ctrl-C for the tests does not reach it.
        command.process_group(0);
        if let Some((uid, gid)) = user {
            command.uid(uid).gid(gid);
        }
        command
    };

    // The watchdog comes first, so that whatever happens next the
    // directory goes when this process does.
    let script = r#"trap '' INT HUP
read -r _ignored
"$0" stop -D "$1/data" -m immediate -w -t 30 >/dev/null 2>&1
rm -rf "$1""#;
    let watchdog = command(Path::new("/bin/sh"))
        .arg("-c")
        .arg(script)
        .arg(bin.join("pg_ctl"))
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the PostgreSQL cluster's watchdog: {e}"))?
        .stdin
        .take()
        .unwrap();

    let data = dir.join("data");
    let output = command(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !output.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let settings = format!("{SETTINGS}unix_socket_directories = '{}'\n", dir.display());
    std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .and_then(|mut conf| conf.write_all(settings.as_bytes()))
        .map_err(|e| format!("cannot configure the PostgreSQL cluster: {e}"))?;

    // A free port may be taken by someone else before the server binds it:
    // try a few.
    let log = dir.join("postgres.log");
    let mut failure = String::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let output = command(&bin.join("pg_ctl"))
            .arg("start")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &format!("-p {port}")])
            .output()
            .map_err(|e| format!("cannot run pg_ctl: {e}"))?;
        if output.status.success() {
            let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
            return Ok(Server {
                url: url::Url::parse(&url).unwrap(),
                admin_url: url.clone(),
                shown_url: url,
                external: false,
                cluster: Some(Cluster { dir, _watchdog: watchdog }),
            });
        }
        failure = std::fs::read_to_string(&log).unwrap_or_default();
    }
    Err(format!("the throwaway PostgreSQL cluster in {} did not start:\n{failure}", dir.display()))
}

fn is_root() -> bool {
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of `postgres`, else `nobody`, from /etc/passwd.
fn unprivileged_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    ["postgres", "nobody"].iter().find_map(|name| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 4 || fields[0] != *name {
                return None;
            }
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        })
    })
}
