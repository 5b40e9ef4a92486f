//! Connecting to SQLite or PostgreSQL and running the migrations of that backend.
//!
//! SQLite gets two pools: many readers and a single writer. SQLite admits one writer at a time
//! anyway; funnelling writes through one connection means our own transactions never fail with
//! `SQLITE_BUSY` when a read snapshot would need upgrading. Request readers map the file;
//! background jobs that scan read through a small pool of their own that does not. PostgreSQL
//! uses one pool for all.

use crate::dialect::Dialect;
use crate::error::StoreError;
use crate::group_commit::CreateQueue;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Executor};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub url: String,
    /// Reader connections (SQLite) or total connections (PostgreSQL).
    pub max_connections: u32,
}

impl DbConfig {
    /// Defaults that suit each backend: four SQLite readers (more only contend on a small
    /// machine; writes have their own connection), sixteen PostgreSQL connections.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let max_connections = if url.starts_with("sqlite:") { 4 } else { 16 };
        DbConfig {
            url,
            max_connections,
        }
    }
}

/// A handle to the database: cheap to clone, shared by every request.
#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    reader: AnyPool,
    /// Readers for background jobs that pass over large parts of the database (an import reads
    /// every raw row of its file). On SQLite they do not map the file, so those pages stay in
    /// the kernel's cache instead of the server's resident memory.
    scanner: AnyPool,
    writer: AnyPool,
    creates: CreateQueue,
    /// SQLite's background checkpointer connection (see [`crate::checkpoint`]).
    checkpointer: Option<AnyPool>,
}

/// Per-connection settings. The page cache is per connection (16 MiB each); reads beyond it
/// come from the operating system's file cache, shared by all connections.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -16384; \
     PRAGMA temp_store = MEMORY;";

/// The writer's settings on top. A write dirties pages all over the record, search-term,
/// sort and event indexes; past a million records a 16 MiB cache evicts them between
/// commits: a 128 MiB cache took creates on a million deals from 1,566/s to 2,591–2,839/s.
/// Checkpoints run on a connection of their own ([`crate::checkpoint`]); the writer's own
/// threshold (100,000 pages, 400 MB) restarts the WAL under a steady stream of writes. Sorts
/// too large for memory (building a deferred index) may use a second thread.
const SQLITE_WRITER_PRAGMAS: &str =
    "PRAGMA cache_size = -131072; PRAGMA wal_autocheckpoint = 100000; PRAGMA threads = 2;";

/// Readers map the database file into memory: a page read is then a memory access instead of
/// a system call and a copy. The mapped pages are the operating system's file cache, shared by
/// every connection (and dropped under memory pressure), not memory of the server's own.
/// SQLite caps the mapping at the size it was built with (see `.cargo/config.toml`).
const SQLITE_READER_PRAGMAS: &str = "PRAGMA mmap_size = 1099511627776;";

/// Statements are prepared once per connection and reused. After a few executions PostgreSQL
/// may switch a prepared statement to a generic plan costed when its tables were small, and
/// keep it as they grow: a batched `id IN (…)` lookup fell to a sequential scan (1.9 s instead
/// of milliseconds). Planning each execution with its real parameters avoids that.
///
/// Requests read a page through an index; PostgreSQL would still hand a search over a million
/// records to parallel workers, whose start-up alone took 10 ms of a 17 ms query (4 ms
/// without), and under concurrent requests they only compete for the same cores.
const POSTGRES_SETTINGS: &str =
    "SET plan_cache_mode = force_custom_plan; SET max_parallel_workers_per_gather = 0";

impl Db {
    /// Connects without migrating. The URL's scheme picks the backend.
    pub async fn connect(config: &DbConfig) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(&config.url)?;
        let options = AnyConnectOptions::from_str(&sqlite_create_mode(&config.url, backend))
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let pool = |max: u32, extra: &'static str| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                // sqlx pings an idle connection before handing it out. A SQLite connection is
                // a file handle that cannot hang up, and its ping is a round trip to the
                // connection's worker thread on every request; PostgreSQL's can drop.
                .test_before_acquire(backend == Backend::Postgres)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        let settings = match backend {
                            Backend::Sqlite => SQLITE_PRAGMAS,
                            Backend::Postgres => POSTGRES_SETTINGS,
                        };
                        conn.execute(settings).await?;
                        if !extra.is_empty() {
                            conn.execute(extra).await?;
                        }
                        Ok(())
                    })
                })
        };
        let connect_error = |e: sqlx::Error| StoreError::Connect(e.to_string());
        let db = match backend {
            Backend::Sqlite => {
                // The writer connects first so that WAL mode is set before readers open.
                let writer = pool(1, SQLITE_WRITER_PRAGMAS)
                    .connect_with(options.clone())
                    .await
                    .map_err(connect_error)?;
                let reader = pool(config.max_connections.max(1), SQLITE_READER_PRAGMAS)
                    .connect_with(options.clone())
                    .await
                    .map_err(connect_error)?;
                let scanner = pool(2, "")
                    .connect_with(options.clone())
                    .await
                    .map_err(connect_error)?;
                let checkpointer = pool(1, "")
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?;
                crate::checkpoint::start(checkpointer.clone());
                let creates = CreateQueue::start(writer.clone());
                Db {
                    backend,
                    reader,
                    scanner,
                    writer,
                    creates,
                    checkpointer: Some(checkpointer),
                }
            }
            Backend::Postgres => {
                let pool = pool(config.max_connections.max(2), "")
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?;
                Db {
                    backend,
                    reader: pool.clone(),
                    scanner: pool.clone(),
                    creates: CreateQueue::start(pool.clone()),
                    writer: pool,
                    checkpointer: None,
                }
            }
        };
        Ok(db)
    }

    /// Connects, applies any migrations not yet applied, and refreshes planner statistics
    /// where they are missing or stale.
    pub async fn connect_and_migrate(config: &DbConfig) -> Result<Db, StoreError> {
        let db = Db::connect(config).await?;
        // Indexes a bulk load left unbuilt belong to the schema as it was then: build them
        // before a migration alters it.
        db.build_indexes_left_by_an_interrupted_load().await?;
        db.migrate().await?;
        if db.backend == Backend::Sqlite {
            // 0x10002: analyse only tables whose statistics are missing or far off, which is
            // cheap enough to do at every start.
            sqlx::query("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
                .execute(&db.writer)
                .await?;
        }
        Ok(db)
    }

    /// Refreshes the query planner's statistics. SQLite has none until asked, and without them
    /// it can prefer scanning a sort index over a selective one; run after bulk loads and
    /// periodically (the server does).
    pub async fn optimize(&self) -> Result<(), StoreError> {
        let statement = match self.backend {
            Backend::Sqlite => "PRAGMA analysis_limit = 1000; PRAGMA optimize;",
            Backend::Postgres => "ANALYZE",
        };
        sqlx::query(statement).execute(&self.writer).await?;
        Ok(())
    }

    /// [`Db::optimize`] after loading a large amount of data at once. PostgreSQL also vacuums,
    /// which marks the new pages all-visible: until then an index-only scan still visits the
    /// table for every row (autovacuum would get there, but later).
    pub async fn optimize_after_bulk_load(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => self.optimize().await,
            Backend::Postgres => {
                sqlx::query("VACUUM (ANALYZE)")
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }
        }
    }

    /// Applies this backend's pending migrations; already-applied ones are checked, not re-run.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_up_to(i64::MAX).await
    }

    /// Applies pending migrations up to and including version `last`.
    async fn migrate_up_to(&self, last: i64) -> Result<(), StoreError> {
        let migrator = Migrator::new(EmbeddedMigrations {
            backend: self.backend,
            last,
        })
        .await
        .map_err(|e| StoreError::Migrate(e.to_string()))?;
        migrator
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn dialect(&self) -> Dialect {
        Dialect::of(self.backend)
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }

    pub(crate) fn scanner(&self) -> &AnyPool {
        &self.scanner
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub(crate) fn creates(&self) -> &CreateQueue {
        &self.creates
    }

    /// A trivial round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database to `destination` while others keep using
    /// it (`VACUUM INTO` runs inside one read transaction).
    pub async fn backup_sqlite(&self, destination: &str) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Conflict(
                "backup copies SQLite databases; back up PostgreSQL with pg_dump".into(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(destination)
            .execute(&self.reader)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
        self.reader.close().await;
        self.scanner.close().await;
        self.writer.close().await;
    }
}

fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnknownScheme(redact(url)))
    }
}

/// SQLite opens read-only unless asked to create the file; Velocity always wants the file.
fn sqlite_create_mode(url: &str, backend: Backend) -> String {
    if backend == Backend::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}mode=rwc")
    } else {
        url.to_string()
    }
}

/// Hides a password in a URL before it goes into an error message.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}://…{}", &url[..start], &url[at..]),
        _ => url.to_string(),
    }
}

/// Migrations compiled into the binary, one folder per backend, append-only; those up to
/// version `last`.
#[derive(Debug)]
struct EmbeddedMigrations {
    backend: Backend,
    last: i64,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "core",
        include_str!("../migrations/sqlite/0001_core.sql"),
    ),
    (
        2,
        "search terms by record",
        include_str!("../migrations/sqlite/0002_search_terms_by_record.sql"),
    ),
    (
        3,
        "imports",
        include_str!("../migrations/sqlite/0003_imports.sql"),
    ),
    (
        4,
        "merges",
        include_str!("../migrations/sqlite/0004_merges.sql"),
    ),
    (
        5,
        "import review",
        include_str!("../migrations/sqlite/0005_import_review.sql"),
    ),
    (
        6,
        "contacts by phone",
        include_str!("../migrations/sqlite/0006_contacts_by_phone.sql"),
    ),
    (
        7,
        "intelligence",
        include_str!("../migrations/sqlite/0007_intelligence.sql"),
    ),
    (
        8,
        "sort indexes",
        include_str!("../migrations/sqlite/0008_sort_indexes.sql"),
    ),
    (
        9,
        "search text",
        include_str!("../migrations/sqlite/0009_search_text.sql"),
    ),
    (
        10,
        "common terms",
        include_str!("../migrations/sqlite/0010_common_terms.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "core",
        include_str!("../migrations/postgres/0001_core.sql"),
    ),
    (
        2,
        "search terms by record",
        include_str!("../migrations/postgres/0002_search_terms_by_record.sql"),
    ),
    (
        3,
        "imports",
        include_str!("../migrations/postgres/0003_imports.sql"),
    ),
    (
        4,
        "merges",
        include_str!("../migrations/postgres/0004_merges.sql"),
    ),
    (
        5,
        "import review",
        include_str!("../migrations/postgres/0005_import_review.sql"),
    ),
    (
        6,
        "contacts by phone",
        include_str!("../migrations/postgres/0006_contacts_by_phone.sql"),
    ),
    (
        7,
        "intelligence",
        include_str!("../migrations/postgres/0007_intelligence.sql"),
    ),
    (
        8,
        "sort indexes",
        include_str!("../migrations/postgres/0008_sort_indexes.sql"),
    ),
    (
        9,
        "search text",
        include_str!("../migrations/postgres/0009_search_text.sql"),
    ),
    (
        10,
        "common terms",
        include_str!("../migrations/postgres/0010_common_terms.sql"),
    ),
];

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send>>
    {
        let list = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrations = list
            .iter()
            .filter(|(version, _, _)| *version <= self.last)
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

/// A migrated SQLite database in a file of its own, for the store's unit tests.
#[cfg(test)]
pub(crate) struct ScratchDatabase {
    pub(crate) path: std::path::PathBuf,
    pub(crate) db: Db,
}

#[cfg(test)]
impl ScratchDatabase {
    /// Creates `velocity-{name}-{pid}.db` in the temporary directory and migrates it.
    pub(crate) async fn open(name: &str) -> ScratchDatabase {
        let path = ScratchDatabase::path_of(name);
        let db = Db::connect_and_migrate(&DbConfig::new(format!("sqlite://{}", path.display())))
            .await
            .expect("a scratch SQLite database opens");
        ScratchDatabase { path, db }
    }

    /// The same file, connected but without any migration applied.
    pub(crate) async fn unmigrated(name: &str) -> ScratchDatabase {
        let path = ScratchDatabase::path_of(name);
        let db = Db::connect(&DbConfig::new(format!("sqlite://{}", path.display())))
            .await
            .expect("a scratch SQLite database opens");
        ScratchDatabase { path, db }
    }

    fn path_of(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("velocity-{name}-{}.db", std::process::id()))
    }

    /// Closes the database and deletes its file, WAL and shared-memory index.
    pub(crate) async fn remove(self) {
        self.db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_schemes_are_refused_without_leaking_passwords() {
        let err = backend_of("mysql://root:secret@db/x").unwrap_err();
        assert!(!err.to_string().contains("secret"));
        assert_eq!(backend_of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgresql://h/db").unwrap(), Backend::Postgres);
    }

    /// Records written before records had a `search_text` column get theirs from the terms
    /// already indexed for them.
    #[tokio::test]
    async fn the_search_text_migration_fills_existing_records() {
        let scratch = ScratchDatabase::unmigrated("search-text").await;
        let db = &scratch.db;
        db.migrate_up_to(8).await.unwrap();
        let statements = [
            "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'W', 't')",
            "INSERT INTO contacts (workspace_id, id, version, created_at, updated_at, attributes, \
             first_name, last_name) VALUES ('w', 'c1', 1, 't', 't', '{}', 'Ann', 'Lee'), \
             ('w', 'c2', 1, 't', 't', '{}', NULL, NULL)",
            "INSERT INTO search_terms (workspace_id, object, term, record_id) VALUES \
             ('w', 'contact', 'ann', 'c1'), ('w', 'contact', 'lee', 'c1'), ('w', 'account', 'x', 'c2')",
        ];
        for statement in statements {
            sqlx::query(statement).execute(db.writer()).await.unwrap();
        }
        db.migrate().await.unwrap();
        let texts: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, search_text FROM contacts ORDER BY id")
                .fetch_all(db.writer())
                .await
                .unwrap();
        scratch.remove().await;
        let mut terms: Vec<_> = texts[0].1.as_deref().unwrap().split('\u{1f}').collect();
        terms.sort_unstable();
        assert_eq!(terms, ["", "ann", "lee"], "each term follows a separator");
        assert_eq!(
            texts[1].1, None,
            "another object's terms are not this record's"
        );
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(
            sqlite_create_mode("sqlite://a.db", Backend::Sqlite),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_create_mode("sqlite://a.db?x=1", Backend::Sqlite),
            "sqlite://a.db?x=1&mode=rwc"
        );
    }
}
