//! Stores made by every earlier schema version open with this flowauth
//! with nothing lost. Each fixture is made from the migrations themselves:
//! a database migrated up to version N only, holding the rows a current
//! store wrote (sealed values included: they are bound to their tenant,
//! table, row and column, which do not change), copied column by column
//! into the columns version N had. Opening it with the current store then
//! runs the later migrations.

use std::path::Path;

use flowauth::store::{
    AfterAttempt, Attempt, EndpointReport, Issued, KeyOwner, LoadMode, NewDelivery, NewToken, Outcome,
    PasswordCredentials, ProviderInput, Slots, Store, Tenant, new_id, now_ms,
};
use flowauth_tests::CapturedLogs;
use flowauth_tests::lifecycle::{given_key, open_at};
use flowauth_tests::postgres::Backend;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

const SQLITE_MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../host/migrations/sqlite");
const POSTGRES_MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../host/migrations/postgres");

/// The tables the fixtures fill, parents first: what a deployment cannot
/// lose. Those a version did not have yet are left out of its fixture.
const TABLES: [&str; 7] =
    ["tenants", "providers", "tokens", "seal_keys", "webhooks", "webhook_deliveries", "webhook_attempts"];

/// What one backend's schema history says.
struct Schema {
    migrations: &'static str,
    /// The first version that makes tenant names unique whatever their
    /// case: databases made before it may hold `acme` and `ACME`.
    folded_names: i64,
    /// The first version with tenant API keys.
    api_keys: i64,
    /// The first version with saved password credentials.
    saved_credentials: i64,
    /// A table's columns in order (`$1`: the table; none when it is absent).
    columns: &'static str,
    /// The function that writes any value as an SQL literal.
    quote: &'static str,
}

const SQLITE: Schema = Schema {
    migrations: SQLITE_MIGRATIONS,
    folded_names: 8,
    api_keys: 2,
    saved_credentials: 15,
    columns: "SELECT name FROM pragma_table_info($1) ORDER BY cid",
    quote: "quote",
};

const POSTGRES: Schema = Schema {
    migrations: POSTGRES_MIGRATIONS,
    folded_names: 1,
    api_keys: 1,
    saved_credentials: 6,
    columns: "SELECT column_name::text FROM information_schema.columns \
              WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    quote: "quote_nullable",
};

fn schema(backend: &Backend) -> &'static Schema {
    if backend.name == "postgres" { &POSTGRES } else { &SQLITE }
}

/// One tenant of the source store, with what it holds.
struct Held {
    tenant: Tenant,
    key: String,
    token_id: String,
}

/// A current store on `backend` with two tenants (`acme`, then
/// `acme-later`, which SQLite fixtures of versions before folded names
/// rename `ACME`), each with a key, a provider and a token with sealed
/// access and refresh tokens and saved password credentials, and a webhook with two deliveries due, one
/// of them after a failed attempt.
async fn source(dir: &Path, backend: &Backend) -> Vec<Held> {
    let store = open_at(dir, &backend.url, given_key(1)).await.unwrap();
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
            flow: "password".into(),
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
        let credentials = PasswordCredentials { username: format!("user-{name}"), password: format!("pw-{name}") };
        store.create_token(&token, Outcome::IssuedSaving(&issued, &credentials)).await.unwrap();
        let url = format!("https://hooks.example.com/{name}");
        let events = ["token.active".to_owned()];
        let (webhook, _) = store.put_webhook(&tenant.id, &url, &events, &format!("whsec-{name}"), true).await.unwrap();
        for n in 0..2 {
            let delivery = NewDelivery {
                id: new_id(),
                webhook_id: webhook.id.clone(),
                tenant_id: tenant.id.clone(),
                event: "token.active".into(),
                payload: format!("{{\"n\":{n}}}"),
            };
            store.queue_delivery(&delivery).await.unwrap();
            if n == 0 {
                let error = Some("the receiver answered 503".to_owned());
                let attempt = Attempt { attempt: 1, at: 1_700_000_000, status_code: Some(503), error, duration_ms: 12 };
                let endpoint = EndpointReport { timed_out: false, open_after: 5, open_until_ms: 0 };
                store.record_attempt(&delivery.id, &attempt, AfterAttempt::RetryAt(now_ms()), endpoint).await.unwrap();
            }
        }
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

/// A plain connection to a database, beside the store's.
async fn connection(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap()
}

/// The columns of `table` (none when there is no such table).
async fn columns(schema: &Schema, pool: &AnyPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(schema.columns).bind(table).fetch_all(pool).await.unwrap()
}

/// Every row of `table`, its `columns` as SQL literals separated by
/// commas (a `VALUES` list), sorted.
async fn rows(schema: &Schema, pool: &AnyPool, table: &str, columns: &[String]) -> Vec<String> {
    let quoted: Vec<String> = columns.iter().map(|c| format!("{}({c})", schema.quote)).collect();
    let query = format!("SELECT {} FROM {table} ORDER BY 1", quoted.join(" || ', ' || "));
    sqlx::query_scalar(&query).fetch_all(pool).await.unwrap()
}

/// What one table of a fixture held: its name, rows and columns.
type Table = (&'static str, Vec<String>, Vec<String>);

/// Fills `fixture`, a new database, migrated up to `version`, with the
/// rows of `source` in the columns it had then (`acme-later` named `ACME`
/// where names could still differ in case only); returns what each table
/// held.
async fn fill(source: &Backend, fixture: &Backend, version: i64) -> Vec<Table> {
    let schema = schema(source);
    let from = connection(&source.url).await;
    let pool = connection(&fixture.url).await;
    migrations_up_to(schema.migrations, version).await.run(&pool).await.unwrap();
    let mut held = Vec::new();
    for table in TABLES {
        let theirs = columns(schema, &from, table).await;
        let kept: Vec<String> =
            columns(schema, &pool, table).await.into_iter().filter(|c| theirs.contains(c)).collect();
        if kept.is_empty() {
            continue;
        }
        let list = kept.join(", ");
        for values in rows(schema, &from, table, &kept).await {
            sqlx::query(&format!("INSERT INTO {table} ({list}) VALUES ({values})")).execute(&pool).await.unwrap();
        }
        if table == "tenants" && version < schema.folded_names {
            sqlx::query("UPDATE tenants SET name = 'ACME', created_at = created_at + 1 WHERE name = 'acme-later'")
                .execute(&pool)
                .await
                .unwrap();
        }
        held.push((table, rows(schema, &pool, table, &kept).await, kept));
    }
    from.close().await;
    pool.close().await;
    held
}

/// Makes a store of every earlier schema version of `source`'s backend
/// from the rows of a current store there, opens it with this flowauth
/// and checks that every row and column is kept, sealed values open and
/// keys still work.
async fn every_earlier_version_upgrades(source_db: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema(&source_db);
    let source = source(dir.path(), &source_db).await;
    let all = versions(schema.migrations).await;
    let (_, earlier) = all.split_last().unwrap();
    assert!(!earlier.is_empty(), "{source_db}: {all:?}");
    for &version in earlier {
        let fixture = Backend::fresh_like(&source_db).await;
        let held = fill(&source_db, &fixture, version).await;
        let logs = CapturedLogs::default();
        let opened = {
            let _logging = tracing::subscriber::set_default(logs.subscriber());
            open_at(dir.path(), &fixture.url, given_key(1)).await
        };
        let store: Store =
            opened.unwrap_or_else(|e| panic!("{source_db}: a store of version {version} does not open: {e}"));

        let later = &source[1].tenant;
        let renamed = version < schema.folded_names;
        let later_name = if renamed { format!("ACME-{}", &later.id[..8]) } else { later.name.clone() };
        if renamed {
            let warned = format!("tenant \"ACME\" is now \"{later_name}\"");
            assert!(logs.text().contains(&warned) && logs.text().contains("\"acme\" had the name"), "{}", logs.text());
        }
        let pool = connection(&fixture.url).await;
        for (table, before, columns) in &held {
            let mut expected = before.clone();
            if *table == "tenants" {
                expected = expected.iter().map(|row| row.replace("'ACME'", &format!("'{later_name}'"))).collect();
                expected.sort();
            }
            assert_eq!(&rows(schema, &pool, table, columns).await, &expected, "{source_db} version {version}: {table}");
        }
        pool.close().await;

        let tenants = store.tenants().await.unwrap();
        let names: Vec<&str> = tenants.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), 2, "{source_db} version {version}: no tenant is dropped: {names:?}");
        assert_eq!(store.tenant("acme").await.unwrap().map(|t| t.id), Some(source[0].tenant.id.clone()));
        assert_eq!(store.tenant(&later_name).await.unwrap().map(|t| t.id), Some(later.id.clone()));
        for (held, name) in source.iter().zip(["acme", "acme-later"]) {
            let token = store.token(&held.tenant.id, &held.token_id).await.unwrap().expect("the token is kept");
            let sealed = (token.access_token.as_deref(), token.refresh_token.as_deref());
            assert_eq!(sealed, (Some(format!("at-{name}").as_str()), Some(format!("rt-{name}").as_str())));
            if version >= schema.saved_credentials {
                let saved = store.saved_credentials(&held.tenant.id, &held.token_id).await.unwrap();
                assert_eq!(saved.map(|c| c.password), Some(format!("pw-{name}")), "{source_db} version {version}");
            }
            let provider = store.provider_by_id(&held.tenant.id, &token.provider_id).await.unwrap();
            assert!(provider.settings.contains(&("CLIENT_SECRET".into(), format!("secret-{name}"))));
            if version >= schema.api_keys {
                let owner = store.key_owner(&held.key).await.unwrap();
                assert!(
                    matches!(owner, Some(KeyOwner::Tenant(t)) if t.id == held.tenant.id),
                    "{source_db} version {version}"
                );
            }
        }
        if held.iter().any(|(table, ..)| *table == "webhook_deliveries") {
            let due = store.claim_deliveries(now_ms() + 1000, 60_000, &mut Slots::new(8, 8)).await.unwrap();
            let mut secrets: Vec<(String, String)> = due.into_iter().map(|d| (d.tenant_id, d.secret)).collect();
            secrets.sort();
            let mut expected: Vec<(String, String)> = source
                .iter()
                .zip(["acme", "acme-later"])
                .flat_map(|(held, name)| vec![(held.tenant.id.clone(), format!("whsec-{name}")); 2])
                .collect();
            expected.sort();
            assert_eq!(secrets, expected, "{source_db} version {version}: every delivery is due, its secret opens");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stores_of_every_earlier_version_upgrade_with_nothing_lost() {
    let earlier = versions(SQLITE_MIGRATIONS).await;
    assert!(earlier.contains(&(SQLITE.folded_names - 1)), "{earlier:?}");
    every_earlier_version_upgrades(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_stores_of_every_earlier_version_upgrade_with_nothing_lost() {
    let Some(source) = Backend::postgres().await else { return };
    every_earlier_version_upgrades(source).await;
}
