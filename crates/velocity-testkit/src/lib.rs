//! Test support. [`spawn_app`] starts the real server on port 0 against a fresh database: a
//! temporary SQLite file, or a new PostgreSQL database created under the server named by
//! `VELOCITY_TEST_DATABASE_URL`. [`both_databases!`] turns one async test function into a
//! SQLite test and a PostgreSQL test.
//!
//! PostgreSQL tests skip (with a note) when no server is configured or reachable, except under
//! `CI=true`, where that is a failure: CI must prove both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;

pub use client::{read, Session, TestApp};

use sqlx::Connection;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};
use velocity_server::{Application, Config};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's database lives, so it can be removed afterwards.
#[derive(Debug, Clone)]
pub enum TestDatabase {
    SqliteFile(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub fn url(&self) -> String {
        match self {
            TestDatabase::SqliteFile(path) => format!("sqlite://{}", path.display()),
            TestDatabase::Postgres { admin_url, name } => replace_database(admin_url, name),
        }
    }

    /// Removes the database. Called by [`TestApp::finish`]; a failed test leaves it for
    /// inspection (PostgreSQL leftovers older than an hour are swept at the next run).
    pub async fn drop_database(&self) {
        match self {
            TestDatabase::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDatabase::Postgres { admin_url, name } => {
                if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            }
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = match base.rfind('/') {
        Some(i) if i > base.find("://").map_or(0, |s| s + 2) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A fresh, empty database of the given backend; `None` when PostgreSQL is not available
/// outside CI.
pub async fn fresh_database(backend: Backend) -> Option<TestDatabase> {
    match backend {
        Backend::Sqlite => {
            let path =
                std::env::temp_dir().join(format!("velocity-test-{}.db", uuid::Uuid::new_v4()));
            Some(TestDatabase::SqliteFile(path))
        }
        Backend::Postgres => {
            let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
            let Ok(admin_url) = std::env::var("VELOCITY_TEST_DATABASE_URL") else {
                assert!(!in_ci, "CI=true but VELOCITY_TEST_DATABASE_URL is not set: PostgreSQL tests are mandatory in CI");
                eprintln!("skipping the PostgreSQL variant: VELOCITY_TEST_DATABASE_URL is not set");
                return None;
            };
            let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
                Ok(conn) => conn,
                Err(error) => {
                    assert!(!in_ci, "CI=true but PostgreSQL at VELOCITY_TEST_DATABASE_URL is unreachable: {error}");
                    eprintln!("skipping the PostgreSQL variant: cannot connect ({error})");
                    return None;
                }
            };
            sweep_stale_databases(&mut conn).await;
            let name = format!(
                "velocity_test_{}_{}",
                unix_seconds(),
                uuid::Uuid::new_v4().simple()
            );
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("creating a test database");
            Some(TestDatabase::Postgres { admin_url, name })
        }
    }
}

async fn sweep_stale_databases(conn: &mut sqlx::PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'velocity\\_test\\_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap_or_default();
    let cutoff = unix_seconds().saturating_sub(3600);
    for name in names {
        let created = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        if created < cutoff {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// The configuration tests use: port 0, a fixed signing secret, the given database.
pub fn test_config(database_url: String) -> Config {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("a valid address");
    let mut config = Config::new(listen, database_url);
    config.token_secret = Some("test-secret-test-secret-test-secret!".into());
    config.database.max_connections = 4;
    config
}

/// Starts the server against a fresh database; `None` when the backend is unavailable.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let database = fresh_database(backend).await?;
    Some(spawn_app_with(database, |_| {}).await)
}

/// Starts the server on an existing test database, after letting the test adjust the config.
pub async fn spawn_app_with(database: TestDatabase, adjust: impl FnOnce(&mut Config)) -> TestApp {
    // Server errors (500s) are logged; show them in the failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(std::env::var("VELOCITY_LOG").unwrap_or_else(|_| "warn".into()))
        .try_init();
    let mut config = test_config(database.url());
    adjust(&mut config);
    let app = Application::build(config).await.expect("the server starts");
    let port = app.port();
    let db = app.db().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp::new(
        format!("http://127.0.0.1:{port}"),
        database,
        db,
        stop,
        server,
    )
}

/// The sequence numbers of an event page (`{"items": [...]}`), asserting that they run without
/// holes or reordering.
pub fn gapless_sequence(page: &serde_json::Value, context: &str) -> Vec<i64> {
    let seqs: Vec<i64> = page["items"]
        .as_array()
        .expect("an event page")
        .iter()
        .map(|e| e["seq"].as_i64().expect("a sequence number"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "{context}: {seqs:?}"
    );
    seqs
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let app = $crate::spawn_app($crate::Backend::Sqlite).await.expect("SQLite is always available");
                    super::$name(app.clone_handle()).await;
                    app.finish().await;
                }

                #[tokio::test]
                async fn postgres() {
                    if let Some(app) = $crate::spawn_app($crate::Backend::Postgres).await {
                        super::$name(app.clone_handle()).await;
                        app.finish().await;
                    }
                }
            }
        )*
    };
}

/// An import upload as a multipart form: the `object` field and the file. Returns the
/// content type (with its boundary) and the body.
pub fn import_form(object: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "velocity-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"object\"\r\n\r\n{object}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_names_are_swapped_into_urls() {
        assert_eq!(
            replace_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            replace_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://u@h", "t1"),
            "postgres://u@h/t1"
        );
    }
}
