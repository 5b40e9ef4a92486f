//! Undoing an import: every record it created is deleted (softly, so it can be restored) and
//! every record it updated gets its earlier values back, newest row first. A record someone
//! edited after the import is left as it is and reported as a conflict.

use crate::error::StoreError;
use crate::events::{Actor, ActorKind, WriteContext};
use crate::Db;
use serde_json::{json, Map, Value};
use sqlx::Row;
use std::collections::HashMap;
use velocity_domain::{parse_record, FieldType, Mode, ObjectKind, WorkspaceId};

impl Db {
    /// Marks a committed import as undoing; the caller then runs [`Db::run_undo`].
    pub async fn begin_import_undo(
        &self,
        workspace: WorkspaceId,
        id: &str,
    ) -> Result<(), StoreError> {
        self.move_import(workspace, id, &["committed", "failed"], "undoing", None)
            .await
    }

    /// Reverts the rows of an undoing import that still hold an outcome to revert.
    pub async fn run_undo(&self, workspace: WorkspaceId, id: &str) -> Result<(), StoreError> {
        let import = self.import(workspace, id).await?;
        let kind = import.object_kind()?;
        let ctx = WriteContext::new(workspace, Actor::new(ActorKind::Import, id), "import-undo");
        let ws = workspace.to_string();
        let rows = sqlx::query(
            "SELECT row_no, outcome, record_id, record_version, previous FROM import_rows \
             WHERE workspace_id = $1 AND import_id = $2 AND outcome IN ('created', 'updated', 'merged') \
             ORDER BY row_no DESC",
        )
        .bind(&ws)
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        // The version each record should be at, as undoing later rows moves it on.
        let mut expected: HashMap<String, i64> = HashMap::new();
        for row in rows {
            let row_no: i64 = row.try_get("row_no")?;
            let outcome: String = row.try_get("outcome")?;
            let record: String = row
                .try_get::<Option<String>, _>("record_id")?
                .unwrap_or_default();
            let version = expected
                .get(&record)
                .copied()
                .or(row.try_get::<Option<i64>, _>("record_version")?);
            let result = if outcome == "created" {
                self.delete_record(&ctx, kind, &record, version)
                    .await
                    .map(|w| w.record)
            } else {
                let previous: Option<String> = row.try_get("previous")?;
                let previous: Map<String, Value> = previous
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(StoreError::corrupt)?
                    .unwrap_or_default();
                let current = self.get_record(workspace, kind, &record).await;
                let current_attributes = current
                    .as_ref()
                    .ok()
                    .and_then(|r| r.get("attributes").cloned())
                    .unwrap_or(json!({}));
                let patch = restoring_patch(kind, &previous, &current_attributes);
                let input = parse_record(kind, &patch, Mode::Patch)?;
                self.update_record(&ctx, &record, input, version)
                    .await
                    .map(|w| w.record)
            };
            let (outcome, message) = match result {
                Ok(record_now) => {
                    if let Some(v) = record_now.get("version").and_then(Value::as_i64) {
                        expected.insert(record.clone(), v);
                    }
                    ("undone", None)
                }
                Err(StoreError::VersionMismatch { current }) => (
                    "conflict",
                    Some(format!(
                        "the record was changed after the import (it is at version {current}); left as it is"
                    )),
                ),
                Err(StoreError::NotFound(_)) => ("conflict", Some("the record has been deleted since the import".to_string())),
                Err(other) => return Err(other),
            };
            // The row's new outcome and the count move together, so a resumed undo counts right.
            let mut tx = self.writer().begin().await?;
            sqlx::query(
                "UPDATE import_rows SET outcome = $4, message = $5 \
                 WHERE workspace_id = $1 AND import_id = $2 AND row_no = $3",
            )
            .bind(&ws)
            .bind(id)
            .bind(row_no)
            .bind(outcome)
            .bind(message)
            .execute(&mut *tx)
            .await?;
            let key = if outcome == "undone" {
                "undone"
            } else {
                "conflicts"
            };
            let delta = Map::from_iter([(key.to_string(), json!(1))]);
            super::add_counts(&mut tx, &ws, id, &delta).await?;
            tx.commit().await?;
        }
        self.move_import(workspace, id, &["undoing"], "undone", None)
            .await
    }
}

/// A patch that puts a record's earlier field values and attributes back.
fn restoring_patch(
    kind: ObjectKind,
    previous: &Map<String, Value>,
    current_attributes: &Value,
) -> Value {
    let mut patch = Map::new();
    for field in kind.fields() {
        if field.read_only || matches!(field.ty, FieldType::Stages) {
            continue;
        }
        patch.insert(
            field.name.into(),
            previous.get(field.name).cloned().unwrap_or(Value::Null),
        );
    }
    let before = previous
        .get("attributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut attributes = before.clone();
    for key in current_attributes
        .as_object()
        .into_iter()
        .flat_map(|a| a.keys())
    {
        if !before.contains_key(key) {
            attributes.insert(key.clone(), Value::Null);
        }
    }
    patch.insert("attributes".into(), Value::Object(attributes));
    Value::Object(patch)
}
