//! Records written with their past: each arrives as the steps of its life (created as it first
//! was, then changed, each step dated), and is stored once in its final state with one dated
//! event per step, exactly as if every step had been made at its time. The rules run at each
//! step with that step's time, so a deal closed on a past day carries that day as its close
//! time. The demo writes its deals this way; intelligence learns from such histories as from
//! lived ones.

use super::create::{new_record, write_new, NewRows};
use super::rules::StageBook;
use super::{blank, diff, merge, prepare_one, stage_book, Record};
use crate::error::StoreError;
use crate::events::{append_ready, ReadyEvent, WriteContext};
use crate::{search, Db};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashSet;
use velocity_domain::values::format_timestamp;
use velocity_domain::{ObjectKind, RecordInput, ValidationErrors, WorkspaceId};

/// One step of a record's life: when it happened and what it set (the whole record for the
/// first step, a partial update for the others).
pub type Step = (DateTime<Utc>, RecordInput);

/// Records of one kind made from their lives, with their rows and dated events worked out,
/// ready for [`Db::write_lives`]. Preparing takes as long as writing, and needs no database,
/// so a bulk writer prepares the next batch while the database writes this one.
pub struct PreparedLives {
    workspace: WorkspaceId,
    kind: ObjectKind,
    /// The stages the rules placed deals with; writing checks they are still the same.
    book: StageBook,
    records: Vec<Record>,
    rows: NewRows,
    events: Vec<ReadyEvent>,
}

impl PreparedLives {
    /// The records as they will be stored, with their ids.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
}

impl Db {
    /// Creates records of one kind from their lives, in one transaction: all or none. A step
    /// that changes nothing leaves no event. References are checked on the final state.
    pub async fn create_with_history(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        lives: Vec<Vec<Step>>,
    ) -> Result<Vec<Record>, StoreError> {
        let prepared = self.prepare_lives(ctx.workspace, kind, lives).await?;
        self.write_lives(ctx, std::slice::from_ref(&prepared))
            .await?;
        Ok(prepared.records)
    }

    /// The first half of [`Db::create_with_history`]: runs the rules at every step and works
    /// out the rows and events, writing nothing.
    pub async fn prepare_lives(
        &self,
        workspace: WorkspaceId,
        kind: ObjectKind,
        lives: Vec<Vec<Step>>,
    ) -> Result<PreparedLives, StoreError> {
        let ws = workspace.to_string();
        let mut conn = self.reader().acquire().await?;
        let book = stage_book(&mut conn, &ws, kind).await?;
        let common = search::common_terms(&mut conn, &ws, kind).await?;
        drop(conn);
        prepare(workspace, kind, book, &common, lives)
    }

    /// The second half of [`Db::create_with_history`]: writes prepared batches (of any kinds,
    /// in order) in one transaction, all or none. A batch prepared for another workspace, or
    /// before the workspace's pipelines changed, is refused.
    pub async fn write_lives(
        &self,
        ctx: &WriteContext,
        batches: &[PreparedLives],
    ) -> Result<(), StoreError> {
        let workspace = ctx.workspace.to_string();
        let mut tx = self.writer().begin().await?;
        for batch in batches {
            if batch.workspace != ctx.workspace {
                return Err(StoreError::Conflict(
                    "the records were prepared for another workspace".into(),
                ));
            }
            if stage_book(&mut tx, &workspace, batch.kind).await? != batch.book {
                return Err(StoreError::Conflict(
                    "the workspace's pipelines changed while the records were prepared; \
                     prepare them again"
                        .into(),
                ));
            }
            write_new(&mut tx, &workspace, batch.kind, &batch.records, &batch.rows).await?;
        }
        // Events last: see `insert_records_without_events`.
        for batch in batches {
            append_ready(&mut tx, ctx, &batch.events).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn prepare(
    workspace: WorkspaceId,
    kind: ObjectKind,
    book: StageBook,
    common: &HashSet<String>,
    lives: Vec<Vec<Step>>,
) -> Result<PreparedLives, StoreError> {
    let empty = blank(kind);
    let mut records = Vec::with_capacity(lives.len());
    let mut events = Vec::new();
    for (index, life) in lives.into_iter().enumerate() {
        let mut steps = life.into_iter();
        let Some((born, first)) = steps.next() else {
            return Err(StoreError::Invalid(ValidationErrors::single(
                format!("records[{index}]"),
                "a record's life needs at least its creation",
            )));
        };
        let born = format_timestamp(born);
        let mut record = new_record(kind, &first, &born);
        let id = record["id"].as_str().unwrap_or_default().to_owned();
        prepare_one(&book, kind, None, &mut record, Some(index), &born)?;
        let changes = Value::Object(diff(kind, &empty, &record));
        events.push(event(kind, &id, "created", &changes, born));
        for (at, step) in steps {
            let at = format_timestamp(at);
            let mut next = merge(&record, &step);
            prepare_one(&book, kind, Some(&record), &mut next, Some(index), &at)?;
            let changes = diff(kind, &record, &next);
            if changes.is_empty() {
                continue;
            }
            let version = record["version"].as_i64().unwrap_or(1) + 1;
            next.insert("version".into(), Value::from(version));
            next.insert("updated_at".into(), Value::String(at.clone()));
            events.push(event(kind, &id, "updated", &Value::Object(changes), at));
            record = next;
        }
        records.push(record);
    }
    let rows = NewRows::of(&workspace.to_string(), kind, &records, common)?;
    Ok(PreparedLives {
        workspace,
        kind,
        book,
        records,
        rows,
        events,
    })
}

fn event(
    kind: ObjectKind,
    id: &str,
    action: &'static str,
    changes: &Value,
    at: String,
) -> ReadyEvent {
    ReadyEvent::new(kind.name(), id.to_owned(), action, changes, at)
}
