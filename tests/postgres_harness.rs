//! The PostgreSQL test harness itself: each call gives a database of its
//! own, the throwaway cluster does not run as root, and a store test can
//! run one body against every backend. Passes, after the harness's one
//! skip line, where there is no PostgreSQL.

use std::os::unix::fs::MetadataExt as _;

use flowauth_tests::postgres::{backends, postgres_database, throwaway_cluster_dir};
use sqlx::{AnyConnection, Connection as _, Executor as _, PgConnection};

#[tokio::test]
async fn each_database_is_new_and_separate() {
    let (Some(first), Some(second)) = (postgres_database().await, postgres_database().await) else {
        return;
    };
    assert_ne!(first, second);
    let mut first = PgConnection::connect(&first).await.unwrap();
    let mut second = PgConnection::connect(&second).await.unwrap();
    assert_eq!(tables(&mut first).await, Vec::<String>::new(), "a new database is empty");

    first.execute("CREATE TABLE probe (id integer)").await.unwrap();

    assert_eq!(tables(&mut first).await, ["probe"]);
    assert_eq!(tables(&mut second).await, Vec::<String>::new(), "the other database does not see the table");
}

/// The tables of the database's `public` schema.
async fn tables(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        .fetch_all(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_throwaway_cluster_does_not_run_as_root() {
    let Some(url) = postgres_database().await else { return };
    let Some(dir) = throwaway_cluster_dir() else { return };
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let data: String =
        sqlx::query_scalar("SELECT current_setting('data_directory')").fetch_one(&mut conn).await.unwrap();
    assert_eq!(std::path::Path::new(&data), dir.join("data"), "the URL leads to the throwaway cluster");

    let pid = std::fs::read_to_string(dir.join("data/postmaster.pid")).unwrap();
    let pid = pid.lines().next().unwrap();
    let owner = std::fs::metadata(format!("/proc/{pid}")).unwrap().uid();

    assert_ne!(owner, 0, "the postmaster (pid {pid}) runs as root");
}

#[tokio::test]
async fn a_body_runs_against_every_backend() {
    sqlx::any::install_default_drivers();
    let backends = backends().await;
    let names: Vec<&str> = backends.iter().map(|b| b.name).collect();
    assert!(names == ["sqlite"] || names == ["sqlite", "postgres"], "{names:?}");

    for backend in &backends {
        let mut conn = AnyConnection::connect(&backend.url).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        conn.execute("CREATE TABLE probe (id bigint)").await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        conn.execute("INSERT INTO probe (id) VALUES (7)").await.unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM probe").fetch_one(&mut conn).await.unwrap();
        assert_eq!(id, 7, "{backend}: the row reads back");
    }
}
