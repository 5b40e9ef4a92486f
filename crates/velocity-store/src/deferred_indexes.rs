//! Bulk loads (the demo's `--deals 1000000`) with the secondary indexes of the record, link,
//! event and search tables built once at the end instead of kept up to date row by row.
//!
//! Records arrive in id order (ids are time-ordered), so their tables and primary keys grow at
//! the end; but every secondary index (by name, amount, close date, …) takes each new row at a
//! random place. Past a few hundred thousand rows those pages no longer fit in the cache, and
//! every batch reads and rewrites pages all over every index. Building an index from the
//! finished table sorts its entries once and writes each page once.
//!
//! Deferring is crash-safe: the statements that build the dropped indexes are saved in
//! `server_settings` in the same transaction that drops them, and each index is rebuilt and
//! struck from that list in a transaction of its own. A load that dies half-way leaves the
//! list behind, and the next [`Db::connect_and_migrate`] builds what is missing before anything
//! else runs. Unique indexes are never deferred, so no constraint goes unchecked meanwhile.

use crate::db::Backend;
use crate::error::StoreError;
use crate::Db;
use sqlx::Row;
use velocity_domain::ObjectKind;

/// Where the statements of indexes still to build are kept (a JSON list).
const PENDING_KEY: &str = "deferred_indexes";

/// The tables whose secondary indexes a bulk load defers: every object's table, the deal
/// link tables, the event log and the search terms.
fn deferrable_tables() -> Vec<&'static str> {
    let mut tables: Vec<&str> = ObjectKind::ALL.iter().map(|kind| kind.plural()).collect();
    tables.extend(crate::records::links::DEAL_LINKS.map(|(_, table, _)| table));
    tables.extend(["events", "search_terms"]);
    tables
}

impl Db {
    /// Drops the non-unique secondary indexes of the record, link, event and search tables
    /// and remembers how to build them again; [`Db::build_deferred_indexes`] does. Returns how
    /// many indexes were dropped.
    pub async fn defer_indexes(&self) -> Result<usize, StoreError> {
        let tables = deferrable_tables()
            .iter()
            .map(|table| format!("'{table}'"))
            .collect::<Vec<_>>()
            .join(", ");
        // The table names are our own constants, so they are spelled into the statement.
        let listing = match self.backend() {
            Backend::Sqlite => format!(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ({tables}) AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
            ),
            Backend::Postgres => format!(
                "SELECT i.indexname::text AS name, i.indexdef AS sql FROM pg_indexes i \
                 JOIN pg_class c ON c.relname = i.indexname \
                 JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname \
                 JOIN pg_index x ON x.indexrelid = c.oid \
                 WHERE i.schemaname = current_schema() AND i.tablename IN ({tables}) \
                 AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.indexname"
            ),
        };
        let mut tx = self.writer().begin().await?;
        let found: Vec<(String, String)> = sqlx::query(&listing)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("name")?, row.try_get("sql")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let mut pending = pending(&mut tx).await?;
        for (name, sql) in &found {
            sqlx::query(&format!("DROP INDEX {name}"))
                .execute(&mut *tx)
                .await?;
            pending.push(sql.clone());
        }
        save_pending(&mut tx, &pending).await?;
        tx.commit().await?;
        Ok(found.len())
    }

    /// Builds the indexes that [`Db::defer_indexes`] dropped, one transaction each, and returns
    /// how many it built (none when nothing was deferred).
    pub async fn build_deferred_indexes(&self) -> Result<usize, StoreError> {
        let mut built = 0;
        loop {
            let mut tx = self.writer().begin().await?;
            let mut pending = pending(&mut tx).await?;
            let Some(sql) = pending.pop() else {
                return Ok(built);
            };
            if self.backend() == Backend::Postgres {
                // Sorting a million entries in PostgreSQL's default 64 MB spills to disk.
                sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(&sql).execute(&mut *tx).await?;
            save_pending(&mut tx, &pending).await?;
            tx.commit().await?;
            built += 1;
        }
    }
}

impl Db {
    /// Builds what a bulk load that died half-way left unbuilt. A database not migrated yet
    /// has nothing deferred (nor the table that would say so).
    pub(crate) async fn build_indexes_left_by_an_interrupted_load(&self) -> Result<(), StoreError> {
        let settings_exist = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'server_settings'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename = 'server_settings'"
            }
        };
        let count: i64 = sqlx::query_scalar(settings_exist)
            .fetch_one(self.writer())
            .await?;
        if count > 0 {
            let built = self.build_deferred_indexes().await?;
            if built > 0 {
                tracing::warn!(
                    built,
                    "built the indexes an interrupted bulk load left unbuilt"
                );
            }
        }
        Ok(())
    }
}

async fn pending(conn: &mut sqlx::AnyConnection) -> Result<Vec<String>, StoreError> {
    let saved: Option<String> =
        sqlx::query_scalar("SELECT value FROM server_settings WHERE key = $1")
            .bind(PENDING_KEY)
            .fetch_optional(&mut *conn)
            .await?;
    match saved {
        Some(json) => serde_json::from_str(&json).map_err(StoreError::corrupt),
        None => Ok(Vec::new()),
    }
}

async fn save_pending(
    conn: &mut sqlx::AnyConnection,
    pending: &[String],
) -> Result<(), StoreError> {
    if pending.is_empty() {
        sqlx::query("DELETE FROM server_settings WHERE key = $1")
            .bind(PENDING_KEY)
            .execute(&mut *conn)
            .await?;
    } else {
        let json = serde_json::to_string(pending).map_err(StoreError::corrupt)?;
        sqlx::query(
            "INSERT INTO server_settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(PENDING_KEY)
        .bind(json)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
