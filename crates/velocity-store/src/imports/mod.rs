//! Imports as stored: the batch (what was uploaded, how it was read, the plan, progress), the raw
//! file in chunks, and every raw row with the outcome it had. The engine that turns rows into
//! records lives in [`engine`] (with the keys of rows not written yet in [`held`]), [`commit`]
//! runs it for a preview or a commit, and [`apply`] writes what it decides; [`undo`] reverts a batch;
//! [`lookup`] finds existing records by their keys; [`upload`] reads a file in; [`report`] writes
//! the error file; [`review`] applies a person's decisions on likely duplicates.

mod apply;
mod choices;
mod commit;
mod engine;
mod held;
mod lookup;
mod matching;
mod outcome;
mod report;
mod review;
mod undo;
mod upload;

pub use commit::Preview;
pub use review::{ReviewDecision, ReviewItem};

use crate::bulk::{insert_rows, text, Cell};
use crate::error::StoreError;
use crate::records::sql::SqlKind;
use crate::Db;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::Row;
use velocity_domain::values::now_timestamp;
use velocity_domain::{new_id, ObjectKind, WorkspaceId};
use velocity_import::{Layout, Plan};

/// An import batch as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    pub id: String,
    pub object: String,
    pub file_name: String,
    /// SHA-256 of the file as uploaded, hex.
    pub checksum: String,
    pub size_bytes: i64,
    pub encoding: String,
    pub layout: Value,
    pub row_count: i64,
    pub plan: Value,
    /// `uploaded`, `committing`, `committed`, `undoing`, `undone` or `failed`.
    pub status: String,
    /// Rows per outcome so far: `processed`, `created`, `updated`, `merged`, `skipped`,
    /// `errors`, and after an undo `undone` and `conflicts`.
    pub counts: Value,
    pub failure: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Import {
    pub fn object_kind(&self) -> Result<ObjectKind, StoreError> {
        ObjectKind::from_plural(&self.object).ok_or_else(|| StoreError::corrupt(&self.object))
    }

    pub fn headers(&self) -> Vec<String> {
        texts(&self.layout["headers"])
    }

    pub fn parsed_plan(&self) -> Result<Plan, StoreError> {
        serde_json::from_value(self.plan.clone()).map_err(StoreError::corrupt)
    }
}

/// What an upload found out about its file.
pub(crate) struct NewImport {
    pub object: ObjectKind,
    pub file_name: String,
    pub encoding: String,
    pub layout: Layout,
    pub plan: Plan,
}

/// One stored row, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRow {
    pub row: i64,
    pub line: i64,
    pub values: Vec<String>,
    pub outcome: Option<String>,
    pub record_id: Option<String>,
    pub message: Option<String>,
}

/// A raw row on its way into the store.
pub(crate) struct StagedRow {
    pub row: i64,
    pub line: i64,
    pub values: Vec<String>,
    pub problem: Option<String>,
}

const SELECT_IMPORT: &str =
    "SELECT id, object, file_name, checksum, size_bytes, encoding, layout, \
     row_count, mapping, status, counts, failure, created_by, created_at, updated_at FROM imports";

/// The texts of a JSON list (anything else in it, or a value that is not a list, gives none).
fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn decode_import(row: &sqlx::any::AnyRow) -> Result<Import, StoreError> {
    let json = |column: &str| -> Result<Value, StoreError> {
        let text: String = row.try_get(column)?;
        serde_json::from_str(&text).map_err(StoreError::corrupt)
    };
    Ok(Import {
        id: row.try_get("id")?,
        object: row.try_get("object")?,
        file_name: row.try_get("file_name")?,
        checksum: row.try_get("checksum")?,
        size_bytes: row.try_get("size_bytes")?,
        encoding: row.try_get("encoding")?,
        layout: json("layout")?,
        row_count: row.try_get("row_count")?,
        plan: json("mapping")?,
        status: row.try_get("status")?,
        counts: json("counts")?,
        failure: row.try_get("failure")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn zero_counts() -> Value {
    json!({"processed": 0, "created": 0, "updated": 0, "merged": 0, "skipped": 0, "errors": 0})
}

impl Db {
    /// Starts an import: the batch row, before any chunk or row of the file is stored.
    pub(crate) async fn create_import(
        &self,
        workspace: WorkspaceId,
        by: &str,
        new: &NewImport,
    ) -> Result<String, StoreError> {
        let id = new_id().to_string();
        let now = now_timestamp();
        sqlx::query(
            "INSERT INTO imports (workspace_id, id, object, file_name, checksum, size_bytes, \
             encoding, layout, row_count, mapping, status, counts, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, '', 0, $5, $6, 0, $7, 'uploaded', $8, $9, $10, $10)",
        )
        .bind(workspace.to_string())
        .bind(&id)
        .bind(new.object.plural())
        .bind(&new.file_name)
        .bind(&new.encoding)
        .bind(serde_json::to_string(&new.layout).map_err(StoreError::corrupt)?)
        .bind(serde_json::to_string(&new.plan).map_err(StoreError::corrupt)?)
        .bind(zero_counts().to_string())
        .bind(by)
        .bind(&now)
        .execute(self.writer())
        .await?;
        Ok(id)
    }

    /// Stores the next piece of the raw file, byte for byte.
    pub(crate) async fn add_import_chunk(
        &self,
        workspace: WorkspaceId,
        import: &str,
        seq: i64,
        data: Vec<u8>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO import_chunks (workspace_id, import_id, seq, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(workspace.to_string())
        .bind(import)
        .bind(seq)
        .bind(data)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// The raw file, chunk by chunk in order.
    pub async fn import_chunk(
        &self,
        workspace: WorkspaceId,
        import: &str,
        seq: i64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let data = sqlx::query_scalar(
            "SELECT data FROM import_chunks WHERE workspace_id = $1 AND import_id = $2 AND seq = $3",
        )
        .bind(workspace.to_string())
        .bind(import)
        .bind(seq)
        .fetch_optional(self.reader())
        .await?;
        Ok(data)
    }

    /// Stores raw rows as read from the file.
    pub(crate) async fn add_import_rows(
        &self,
        workspace: WorkspaceId,
        import: &str,
        rows: &[StagedRow],
    ) -> Result<(), StoreError> {
        let workspace = workspace.to_string();
        let cells = rows
            .iter()
            .map(|row| {
                Ok(vec![
                    text(&workspace),
                    text(import),
                    (SqlKind::Int, Value::from(row.row)),
                    (SqlKind::Int, Value::from(row.line)),
                    text(serde_json::to_string(&row.values).map_err(StoreError::corrupt)?),
                    (
                        SqlKind::Text,
                        row.problem.clone().map_or(Value::Null, Value::String),
                    ),
                ])
            })
            .collect::<Result<Vec<Vec<Cell>>, StoreError>>()?;
        let mut tx = self.writer().begin().await?;
        insert_rows(
            &mut tx,
            "import_rows",
            &[
                "workspace_id",
                "import_id",
                "row_no",
                "line",
                "raw",
                "problem",
            ],
            &cells,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the upload as complete.
    pub(crate) async fn finish_upload(
        &self,
        workspace: WorkspaceId,
        import: &str,
        checksum: &str,
        size_bytes: i64,
        row_count: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE imports SET checksum = $3, size_bytes = $4, row_count = $5, updated_at = $6 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(import)
        .bind(checksum)
        .bind(size_bytes)
        .bind(row_count)
        .bind(now_timestamp())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Removes an upload that could not be completed; its chunks and rows go with it (the
    /// foreign keys cascade).
    pub async fn discard_import(
        &self,
        workspace: WorkspaceId,
        import: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM imports WHERE workspace_id = $1 AND id = $2")
            .bind(workspace.to_string())
            .bind(import)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    pub async fn import(&self, workspace: WorkspaceId, id: &str) -> Result<Import, StoreError> {
        let row = sqlx::query(&format!(
            "{SELECT_IMPORT} WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(workspace.to_string())
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound("import"))?;
        decode_import(&row)
    }

    /// The workspace's imports, newest first.
    pub async fn imports(&self, workspace: WorkspaceId) -> Result<Vec<Import>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_IMPORT} WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200"
        ))
        .bind(workspace.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(decode_import).collect()
    }

    /// Replaces the plan of an import that has not been committed.
    pub async fn set_import_plan(
        &self,
        workspace: WorkspaceId,
        id: &str,
        plan: &Plan,
    ) -> Result<(), StoreError> {
        let changed = sqlx::query(
            "UPDATE imports SET mapping = $3, updated_at = $4 \
             WHERE workspace_id = $1 AND id = $2 AND status = 'uploaded'",
        )
        .bind(workspace.to_string())
        .bind(id)
        .bind(serde_json::to_string(plan).map_err(StoreError::corrupt)?)
        .bind(now_timestamp())
        .execute(self.writer())
        .await?
        .rows_affected();
        if changed == 0 {
            self.import(workspace, id).await?;
            return Err(StoreError::Conflict(
                "the import has been committed; its mapping can no longer change".into(),
            ));
        }
        Ok(())
    }

    /// Moves an import from one status to the next; a conflict if it is not in `from`.
    pub(crate) async fn move_import(
        &self,
        workspace: WorkspaceId,
        id: &str,
        from: &[&str],
        to: &str,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        let current = self.import(workspace, id).await?.status;
        if !from.contains(&current.as_str()) {
            return Err(StoreError::Conflict(format!(
                "the import is {current}; this needs it to be {}",
                from.join(" or ")
            )));
        }
        let changed = sqlx::query(
            "UPDATE imports SET status = $3, failure = $4, updated_at = $5 \
             WHERE workspace_id = $1 AND id = $2 AND status = $6",
        )
        .bind(workspace.to_string())
        .bind(id)
        .bind(to)
        .bind(failure.map(str::to_string))
        .bind(now_timestamp())
        .bind(&current)
        .execute(self.writer())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict(
                "the import changed status meanwhile; reload it".into(),
            ));
        }
        Ok(())
    }

    /// Rows of an import in file order, optionally only those with one outcome.
    pub async fn import_rows(
        &self,
        workspace: WorkspaceId,
        import: &str,
        outcome: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ImportRow>, StoreError> {
        let filter = if outcome.is_some() {
            " AND outcome = $5"
        } else {
            ""
        };
        let statement = format!(
            "SELECT row_no, line, raw, outcome, record_id, message FROM import_rows \
             WHERE workspace_id = $1 AND import_id = $2 AND row_no > $3{filter} \
             ORDER BY row_no LIMIT $4"
        );
        let rows = sqlx::query(&statement)
            .bind(workspace.to_string())
            .bind(import)
            .bind(after)
            .bind(limit);
        let rows = match outcome {
            Some(outcome) => rows.bind(outcome.to_string()),
            None => rows,
        }
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let raw: String = row.try_get("raw")?;
                Ok(ImportRow {
                    row: row.try_get("row_no")?,
                    line: row.try_get("line")?,
                    values: serde_json::from_str(&raw).map_err(StoreError::corrupt)?,
                    outcome: row.try_get("outcome")?,
                    record_id: row.try_get("record_id")?,
                    message: row.try_get("message")?,
                })
            })
            .collect()
    }

    /// Imports a crash left half committed or half undone, to resume at start.
    pub async fn interrupted_imports(
        &self,
    ) -> Result<Vec<(WorkspaceId, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT workspace_id, id, status FROM imports WHERE status IN ('committing', 'undoing')",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    crate::error::parse_column(row, "workspace_id")?,
                    row.try_get("id")?,
                    row.try_get("status")?,
                ))
            })
            .collect()
    }
}

/// Adds to the counts of an import (inside the caller's transaction).
pub(crate) async fn add_counts(
    conn: &mut sqlx::AnyConnection,
    workspace: &str,
    import: &str,
    delta: &Map<String, Value>,
) -> Result<(), StoreError> {
    let current: String =
        sqlx::query_scalar("SELECT counts FROM imports WHERE workspace_id = $1 AND id = $2")
            .bind(workspace)
            .bind(import)
            .fetch_one(&mut *conn)
            .await?;
    let mut counts: Map<String, Value> =
        serde_json::from_str(&current).map_err(StoreError::corrupt)?;
    for (key, n) in delta {
        let total = counts.get(key).and_then(Value::as_i64).unwrap_or(0) + n.as_i64().unwrap_or(0);
        counts.insert(key.clone(), Value::from(total));
    }
    sqlx::query(
        "UPDATE imports SET counts = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
    )
    .bind(workspace)
    .bind(import)
    .bind(Value::Object(counts).to_string())
    .bind(now_timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
