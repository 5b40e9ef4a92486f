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
use sqlx::AnyConnection;
use std::collections::HashSet;
use velocity_domain::values::format_timestamp;
use velocity_domain::{new_id, ObjectKind, RecordInput, ValidationErrors, WorkspaceId};

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

    /// Their events, for a writer that appends them after [`write_records`].
    pub(crate) fn events(&self) -> &[ReadyEvent] {
        &self.events
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
        let mut conn = self.reader().acquire().await?;
        let creator = Creator::load(&mut conn, workspace, kind).await?;
        drop(conn);
        prepare(creator, lives)
    }

    /// The second half of [`Db::create_with_history`]: writes prepared batches (of any kinds,
    /// in order) in one transaction, all or none. A batch prepared for another workspace, or
    /// before the workspace's pipelines changed, is refused.
    pub async fn write_lives(
        &self,
        ctx: &WriteContext,
        batches: &[PreparedLives],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer().begin().await?;
        for batch in batches {
            write_records(&mut tx, ctx, batch).await?;
        }
        // Events last: see `insert_records_without_events`.
        for batch in batches {
            append_ready(&mut tx, ctx, &batch.events).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Writes a prepared batch's records, their links and search terms inside the caller's
/// transaction, but not their events (see [`PreparedLives::events`]). A batch prepared for
/// another workspace, or before the workspace's pipelines changed, is refused.
pub(crate) async fn write_records(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    batch: &PreparedLives,
) -> Result<(), StoreError> {
    if batch.workspace != ctx.workspace {
        return Err(StoreError::Conflict(
            "the records were prepared for another workspace".into(),
        ));
    }
    let workspace = ctx.workspace.to_string();
    if stage_book(conn, &workspace, batch.kind).await? != batch.book {
        return Err(StoreError::StagesChanged);
    }
    write_new(conn, &workspace, batch.kind, &batch.records, &batch.rows).await
}

/// Makes new records of one kind, one at a time (an import's rows as it decides them, the
/// lives of a bulk load), with what their rules and search terms need read once: the stages
/// and the common terms. [`Creator::finish`] then works out their rows for a writer that writes
/// them in a transaction of its own making ([`write_records`], then the events).
pub(crate) struct Creator {
    workspace: WorkspaceId,
    kind: ObjectKind,
    book: StageBook,
    common: HashSet<String>,
    empty: Record,
}

impl Creator {
    pub(crate) async fn load(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        kind: ObjectKind,
    ) -> Result<Creator, StoreError> {
        let ws = workspace.to_string();
        Ok(Creator {
            workspace,
            kind,
            book: stage_book(conn, &ws, kind).await?,
            common: search::common_terms(conn, &ws, kind).await?,
            empty: blank(kind),
        })
    }

    /// A new record holding `input` with the id given, created `at`, its rules run, with its
    /// `created` event; `StoreError::Invalid` when the rules refuse it (errors prefixed with
    /// `position` when given).
    pub(crate) fn create(
        &self,
        id: String,
        input: &RecordInput,
        at: &str,
        position: Option<usize>,
    ) -> Result<(Record, ReadyEvent), StoreError> {
        let mut record = new_record(self.kind, id.clone(), input, at);
        prepare_one(&self.book, self.kind, None, &mut record, position, at)?;
        let changes = Value::Object(diff(self.kind, &self.empty, &record));
        let created = event(self.kind, &id, "created", &changes, at.to_owned());
        Ok((record, created))
    }

    /// The records made by [`Creator::create`] (and changed since, for lives) with their
    /// events, and their rows, ready for [`write_records`].
    pub(crate) fn finish(
        self,
        records: Vec<Record>,
        events: Vec<ReadyEvent>,
    ) -> Result<PreparedLives, StoreError> {
        let rows = NewRows::of(
            &self.workspace.to_string(),
            self.kind,
            &records,
            &self.common,
        )?;
        Ok(PreparedLives {
            workspace: self.workspace,
            kind: self.kind,
            book: self.book,
            records,
            rows,
            events,
        })
    }
}

fn prepare(creator: Creator, lives: Vec<Vec<Step>>) -> Result<PreparedLives, StoreError> {
    let (kind, book) = (creator.kind, &creator.book);
    let mut records = Vec::with_capacity(lives.len());
    let mut events = Vec::new();
    for (index, life) in lives.into_iter().enumerate() {
        let mut steps = life.into_iter();
        let Some((created_at, first)) = steps.next() else {
            return Err(StoreError::Invalid(ValidationErrors::single(
                format!("records[{index}]"),
                "a record's life needs at least its creation",
            )));
        };
        let (mut record, created) = creator.create(
            new_id().to_string(),
            &first,
            &format_timestamp(created_at),
            Some(index),
        )?;
        let id = record["id"].as_str().unwrap_or_default().to_owned();
        events.push(created);
        for (at, step) in steps {
            let at = format_timestamp(at);
            let mut next = merge(&record, &step);
            prepare_one(book, kind, Some(&record), &mut next, Some(index), &at)?;
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
    creator.finish(records, events)
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
