//! The review queue of an import: rows the engine found probably, but not surely, the same as an
//! existing record wait with outcome `review`, the candidate, the confidence and the prepared
//! record. A person merges a row into the candidate (or another record), creates it as new, or
//! skips it (a merge fills the record's gaps, see [`fill_gaps`]); the decision is applied in one
//! transaction with its outcome and counts, attributed
//! to the import like the rest of the batch, so undo treats it like any other row.

use super::outcome::{record_outcomes, Outcome};
use crate::error::StoreError;
use crate::events::{self, Actor, ActorKind, WriteContext};
use crate::records::{self, insert_records, Record};
use crate::Db;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::{AnyConnection, Row};
use velocity_domain::{parse_record, Mode, ObjectKind, WorkspaceId};

/// A row waiting for a person.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub row: i64,
    pub line: i64,
    /// The row as the file holds it.
    pub values: Vec<String>,
    /// The existing record it probably is (absent if deleted since).
    pub candidate: Option<Record>,
    pub confidence: f64,
    /// The record the row would make or merge in.
    pub proposal: Value,
}

/// What a person decides for a row under review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewDecision {
    /// Merge into the candidate, or into the record named.
    Merge(Option<String>),
    Create,
    Skip,
}

/// Merges a row into a record it is only probably the same as: the record keeps every value
/// it has (the file may spell a name differently); empty fields and missing attributes are
/// filled from the row.
pub(super) async fn fill_gaps(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    kind: ObjectKind,
    target: &str,
    proposal: &Value,
    lock: &str,
) -> Result<records::Updated, StoreError> {
    let existing = records::fetch(conn, &ctx.workspace.to_string(), kind, target, false, lock)
        .await?
        .ok_or(StoreError::NotFound(kind.name()))?;
    let empty = |value: Option<&Value>| {
        value.is_none_or(|v| v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()))
    };
    let mut patch = Map::new();
    for (key, value) in proposal.as_object().into_iter().flatten() {
        if key == "attributes" {
            let own = existing["attributes"].as_object();
            let added: Map<String, Value> = value
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| own.is_none_or(|o| !o.contains_key(*k)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !added.is_empty() {
                patch.insert(key.clone(), Value::Object(added));
            }
        } else if empty(existing.get(key)) {
            patch.insert(key.clone(), value.clone());
        }
    }
    let input = parse_record(kind, &Value::Object(patch), Mode::Patch)?;
    records::update_without_event(conn, ctx, target, &input, None, lock).await
}

impl Db {
    /// Rows waiting for review, in file order.
    pub async fn review_items(
        &self,
        workspace: WorkspaceId,
        import: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ReviewItem>, StoreError> {
        let kind = self.import(workspace, import).await?.object_kind()?;
        let rows = sqlx::query(
            "SELECT row_no, line, raw, record_id, confidence, proposal FROM import_rows \
             WHERE workspace_id = $1 AND import_id = $2 AND outcome = 'review' AND row_no > $3 \
             ORDER BY row_no LIMIT $4",
        )
        .bind(workspace.to_string())
        .bind(import)
        .bind(after)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut items = Vec::new();
        for row in rows {
            let candidate: Option<String> = row.try_get("record_id")?;
            let candidate = match candidate {
                Some(id) => match self.get_record(workspace, kind, &id).await {
                    Ok(record) => Some(record),
                    Err(StoreError::NotFound(_)) => None,
                    Err(other) => return Err(other),
                },
                None => None,
            };
            let json = |column: &str| -> Result<Value, StoreError> {
                let text: Option<String> = row.try_get(column)?;
                serde_json::from_str(text.as_deref().unwrap_or("null")).map_err(StoreError::corrupt)
            };
            items.push(ReviewItem {
                row: row.try_get("row_no")?,
                line: row.try_get("line")?,
                values: serde_json::from_value(json("raw")?).map_err(StoreError::corrupt)?,
                candidate,
                confidence: row.try_get::<Option<f64>, _>("confidence")?.unwrap_or(0.0),
                proposal: json("proposal")?,
            });
        }
        Ok(items)
    }

    /// Applies a person's decision for one row under review; returns the row's new outcome and
    /// record.
    pub async fn decide_review(
        &self,
        workspace: WorkspaceId,
        import: &str,
        row_no: i64,
        decision: ReviewDecision,
    ) -> Result<(String, Option<String>), StoreError> {
        let batch = self.import(workspace, import).await?;
        if !matches!(batch.status.as_str(), "committing" | "committed") {
            return Err(StoreError::Conflict(format!(
                "the import is {}; rows can be reviewed once it is committed",
                batch.status
            )));
        }
        let kind = batch.object_kind()?;
        let ws = workspace.to_string();
        let ctx = WriteContext::new(workspace, Actor::new(ActorKind::Import, import), "import");
        let lock = self.dialect().lock_for_update;
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(&format!(
            "SELECT outcome, record_id, proposal FROM import_rows \
             WHERE workspace_id = $1 AND import_id = $2 AND row_no = $3{lock}"
        ))
        .bind(&ws)
        .bind(import)
        .bind(row_no)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("import row"))?;
        let outcome: Option<String> = row.try_get("outcome")?;
        if outcome.as_deref() != Some("review") {
            return Err(StoreError::Conflict(format!(
                "row {row_no} is not waiting for review (its outcome is {})",
                outcome.as_deref().unwrap_or("not decided yet")
            )));
        }
        let candidate: Option<String> = row.try_get("record_id")?;
        let proposal: Value = serde_json::from_str(
            row.try_get::<Option<String>, _>("proposal")?
                .as_deref()
                .unwrap_or("{}"),
        )
        .map_err(StoreError::corrupt)?;
        let decided = match decision {
            ReviewDecision::Skip => {
                Outcome::without_change(row_no, "skipped", "skipped in review".into())
            }
            ReviewDecision::Create => {
                let input = parse_record(kind, &proposal, Mode::Create)?;
                let written = insert_records(&mut tx, &ctx, kind, vec![input]).await?;
                Outcome {
                    record_id: written
                        .first()
                        .and_then(|w| w.record["id"].as_str())
                        .map(str::to_string),
                    version: Some(1),
                    message: Some("created in review".into()),
                    ..Outcome::without_change(row_no, "created", String::new())
                }
            }
            ReviewDecision::Merge(into) => {
                let target = into
                    .or(candidate)
                    .ok_or(StoreError::NotFound(kind.name()))?;
                match fill_gaps(&mut tx, &ctx, kind, &target, &proposal, lock).await? {
                    records::Updated::Changed(update) => {
                        events::append_many(&mut tx, &ctx, vec![update.draft]).await?;
                        Outcome {
                            record_id: Some(target),
                            version: update.next["version"].as_i64(),
                            previous: Some(Value::Object(update.previous).to_string()),
                            message: Some("merged in review".into()),
                            ..Outcome::without_change(row_no, "merged", String::new())
                        }
                    }
                    records::Updated::Unchanged(_) => Outcome {
                        record_id: Some(target),
                        ..Outcome::without_change(
                            row_no,
                            "skipped",
                            "merged in review; the record already holds these values".into(),
                        )
                    },
                }
            }
        };
        let result = (decided.outcome.to_string(), decided.record_id.clone());
        record_outcomes(&mut tx, &ws, import, &[decided], Some("review")).await?;
        tx.commit().await?;
        Ok(result)
    }
}
