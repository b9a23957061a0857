//! Stores made by every earlier schema version open with this flowauth
//! with nothing lost. Each fixture is made from the migrations themselves:
//! a database migrated up to version N only, holding the rows a current
//! store wrote (sealed values included: they are bound to their tenant,
//! table, row and column, which do not change), copied column by column
//! into the columns version N had. Opening it with the current store then
//! runs the later migrations.

use std::path::{Path, PathBuf};

use flowauth::store::{Issued, KeyOwner, LoadMode, NewToken, Outcome, ProviderInput, Store, Tenant, new_id};
use flowauth_tests::CapturedLogs;
use flowauth_tests::lifecycle::{given_key, open_at};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

const SQLITE_MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../host/migrations/sqlite");
const POSTGRES_MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../host/migrations/postgres");

/// The first SQLite version that makes tenant names unique whatever their
/// case: databases made before it may hold `acme` and `ACME`.
const FOLDED_NAMES: i64 = 8;

/// The tables the fixtures fill: what a deployment cannot lose.
const TABLES: [&str; 4] = ["tenants", "providers", "tokens", "seal_keys"];

/// One tenant of the source store, with what it holds.
struct Held {
    tenant: Tenant,
    key: String,
    token_id: String,
}

/// A current store at `file` with two tenants (`acme`, then
/// `acme-later`, which the fixtures rename `ACME`), each with a key, a
/// provider and a token with sealed access and refresh tokens.
async fn source(dir: &Path, file: &Path) -> Vec<Held> {
    let store = open_at(dir, &format!("sqlite://{}", file.display()), given_key(1)).await.unwrap();
    let mut held = Vec::new();
    for name in ["acme", "acme-later"] {
        let tenant = store.create_tenant(name).await.unwrap();
        let key = store.issue_tenant_key(&tenant.id).await.unwrap();
        let settings = vec![("CLIENT_ID".into(), "client".into()), ("CLIENT_SECRET".into(), format!("secret-{name}"))];
        let input = ProviderInput { connector: "devtools".into(), display_name: "HTTP".into(), settings };
        store.load_providers(&tenant.id, &[input], LoadMode::Replace).await.unwrap().unwrap();
        let provider = store.provider(&tenant.id, "devtools", "HTTP").await.unwrap().unwrap();
        let token = NewToken {
            id: new_id(),
            tenant_id: tenant.id.clone(),
            provider_id: provider.id,
            name: "nightly".into(),
            flow: "client_credentials".into(),
            scopes: vec!["read".into()],
            inputs: vec![],
            client: None,
        };
        let issued = Issued {
            access_token: format!("at-{name}"),
            token_type: "Bearer".into(),
            refresh_token: Some(format!("rt-{name}")),
            id_token: None,
            expires_at: Some(4_000_000_000),
            extra: vec![],
        };
        store.create_token(&token, Outcome::Issued(&issued)).await.unwrap();
        held.push(Held { tenant, key, token_id: token.id });
    }
    held
}

/// The migrations in `dir`, up to `version` only.
async fn migrations_up_to(dir: &str, version: i64) -> Migrator {
    let mut migrator = Migrator::new(Path::new(dir)).await.unwrap();
    migrator.migrations =
        migrator.migrations.iter().filter(|m| m.version <= version).cloned().collect::<Vec<_>>().into();
    migrator
}

/// The versions of the migrations in `dir`.
async fn versions(dir: &str) -> Vec<i64> {
    Migrator::new(Path::new(dir)).await.unwrap().iter().map(|m| m.version).collect()
}

/// One connection (so that `ATTACH` holds for every statement).
async fn connection(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap()
}

/// The columns of `table` in the schema `schema` (`main` or an attached one).
async fn columns(pool: &AnyPool, schema: &str, table: &str) -> Vec<String> {
    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}', '{schema}') ORDER BY cid"))
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Every row of `table`, its `columns` quoted as SQL literals, sorted.
async fn rows(pool: &AnyPool, table: &str, columns: &[String]) -> Vec<String> {
    let quoted: Vec<String> = columns.iter().map(|c| format!("quote({c})")).collect();
    let query = format!("SELECT {} FROM {table} ORDER BY 1", quoted.join(" || '|' || "));
    sqlx::query_scalar(&query).fetch_all(pool).await.unwrap()
}

/// A database migrated up to `version`, holding the source's rows in the
/// columns it had then (`acme-later` named `ACME` where names could still
/// differ in case only); returns its URL and what each table held.
async fn fixture(dir: &Path, source: &Path, version: i64) -> (String, Vec<(&'static str, Vec<String>, Vec<String>)>) {
    let file: PathBuf = dir.join(format!("v{version}.db"));
    std::fs::File::create(&file).unwrap();
    let url = format!("sqlite://{}", file.display());
    let pool = connection(&url).await;
    migrations_up_to(SQLITE_MIGRATIONS, version).await.run(&pool).await.unwrap();
    sqlx::query(&format!("ATTACH DATABASE '{}' AS source", source.display())).execute(&pool).await.unwrap();
    let mut held = Vec::new();
    for table in TABLES {
        let theirs = columns(&pool, "source", table).await;
        let kept: Vec<String> =
            columns(&pool, "main", table).await.into_iter().filter(|c| theirs.contains(c)).collect();
        let list = kept.join(", ");
        sqlx::query(&format!("INSERT INTO main.{table} ({list}) SELECT {list} FROM source.{table}"))
            .execute(&pool)
            .await
            .unwrap();
        if table == "tenants" && version < FOLDED_NAMES {
            sqlx::query("UPDATE main.tenants SET name = 'ACME', created_at = created_at + 1 WHERE name = 'acme-later'")
                .execute(&pool)
                .await
                .unwrap();
        }
        held.push((table, rows(&pool, table, &kept).await, kept));
    }
    pool.close().await;
    (url, held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stores_of_every_earlier_version_upgrade_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let source_file = dir.path().join("source.db");
    let source = source(dir.path(), &source_file).await;
    let all = versions(SQLITE_MIGRATIONS).await;
    let (_, earlier) = all.split_last().unwrap();
    assert!(earlier.contains(&(FOLDED_NAMES - 1)), "{all:?}");
    for &version in earlier {
        let (url, held) = fixture(dir.path(), &source_file, version).await;
        let logs = CapturedLogs::default();
        let opened = {
            let _logging = tracing::subscriber::set_default(logs.subscriber());
            open_at(dir.path(), &url, given_key(1)).await
        };
        let store: Store = opened.unwrap_or_else(|e| panic!("a store of version {version} does not open: {e}"));

        let later = &source[1].tenant;
        let later_name = if version < FOLDED_NAMES { format!("ACME-{}", &later.id[..8]) } else { later.name.clone() };
        if version < FOLDED_NAMES {
            let warned = format!("tenant \"ACME\" is now \"{later_name}\"");
            assert!(logs.text().contains(&warned) && logs.text().contains("\"acme\" had the name"), "{}", logs.text());
        }
        let pool = connection(&url).await;
        for (table, before, columns) in &held {
            let mut expected = before.clone();
            if *table == "tenants" {
                expected = expected.iter().map(|row| row.replace("'ACME'", &format!("'{later_name}'"))).collect();
                expected.sort();
            }
            assert_eq!(&rows(&pool, table, columns).await, &expected, "version {version}: {table}");
        }

        let tenants = store.tenants().await.unwrap();
        let names: Vec<&str> = tenants.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), 2, "version {version}: no tenant is dropped: {names:?}");
        assert_eq!(store.tenant("acme").await.unwrap().map(|t| t.id), Some(source[0].tenant.id.clone()));
        assert_eq!(store.tenant(&later_name).await.unwrap().map(|t| t.id), Some(later.id.clone()));
        for (held, name) in source.iter().zip(["acme", "acme-later"]) {
            let token = store.token(&held.tenant.id, &held.token_id).await.unwrap().expect("the token is kept");
            let sealed = (token.access_token.as_deref(), token.refresh_token.as_deref());
            assert_eq!(sealed, (Some(format!("at-{name}").as_str()), Some(format!("rt-{name}").as_str())));
            let provider = store.provider_by_id(&held.tenant.id, &token.provider_id).await.unwrap();
            assert!(provider.settings.contains(&("CLIENT_SECRET".into(), format!("secret-{name}"))));
            if version >= 2 {
                let owner = store.key_owner(&held.key).await.unwrap();
                assert!(matches!(owner, Some(KeyOwner::Tenant(t)) if t.id == held.tenant.id), "version {version}");
            }
        }
    }
}

/// PostgreSQL has had one schema version so far: there is no earlier one
/// to upgrade from. A second migration must come with its upgrade test.
#[tokio::test]
async fn postgresql_has_no_earlier_schema_to_upgrade_from_yet() {
    assert_eq!(
        versions(POSTGRES_MIGRATIONS).await,
        [1],
        "a new PostgreSQL migration: add a test here that a database made by the earlier ones upgrades"
    );
}
