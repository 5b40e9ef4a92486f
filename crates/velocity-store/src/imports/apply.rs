//! The writing half of an import's commit. The engine ([`super::engine`]) decides a batch of
//! rows and prepares its new records while this half writes the batch before it, so deciding
//! and writing use both of a small machine's cores instead of taking turns. A batch's record
//! changes, its rows' outcomes, the progress counts and the events commit in one transaction.

use super::outcome::{record_outcomes, Outcome};
use super::review::fill_gaps;
use crate::error::StoreError;
use crate::events::{self, Draft, WriteContext};
use crate::records::{self, PreparedLives};
use crate::Db;
use serde_json::Value;
use tokio::sync::mpsc;
use velocity_domain::{ObjectKind, RecordInput};

/// Statistics are refreshed as an import doubles what it applied, starting here.
const FIRST_ANALYZE: usize = 2000;

/// A decided batch with everything its writing needs worked out.
pub(super) struct Batch {
    /// Batches are numbered from 1 in the order they are decided and written.
    pub number: u64,
    /// Rows decided without changing a record: skipped, errors, waiting for review.
    pub outcomes: Vec<Outcome>,
    /// Rows that change a record: an existing one, or one an earlier row creates.
    pub changes: Vec<Change>,
    /// The records the batch creates, prepared, with the row and note of each.
    pub created: Created,
}

/// A batch's new records, prepared, with the row and note of each.
pub(super) type Created = Option<(PreparedLives, Vec<RowNote>)>;

/// A written batch's number, with its new records handed back.
pub(super) type Written = (u64, Created);

/// A row's number and the note its outcome carries.
pub(super) type RowNote = (i64, Option<String>);

impl Batch {
    fn rows(&self) -> usize {
        self.outcomes.len() + self.changes.len() + self.created.as_ref().map_or(0, |c| c.1.len())
    }
}

/// A row that changes a record.
pub(super) struct Change {
    pub row: i64,
    pub id: String,
    pub note: Option<String>,
    pub edit: Edit,
}

pub(super) enum Edit {
    /// The row's values over the record's; `merged` when this import created the record.
    Patch { input: RecordInput, merged: bool },
    /// Surely the record by likeness: the row only fills its empty fields.
    Fill(Value),
}

impl Db {
    /// Writes the batches as they arrive, in order, and hands each written one back. Stops at
    /// the first failure; the rows of unwritten batches keep no outcome, so a later run decides
    /// them again.
    pub(super) async fn write_batches(
        self,
        ctx: WriteContext,
        kind: ObjectKind,
        mut batches: mpsc::Receiver<Batch>,
        written: mpsc::UnboundedSender<Written>,
    ) -> Result<(), StoreError> {
        let (mut applied, mut next_analyze) = (0, FIRST_ANALYZE);
        while let Some(batch) = batches.recv().await {
            let number = batch.number;
            applied += batch.rows();
            let created = self.write_batch(&ctx, kind, batch).await?;
            // The engine stops listening once it has nothing more to decide.
            let _ = written.send((number, created));
            if applied >= next_analyze {
                next_analyze *= 2;
                self.refresh_statistics(kind).await?;
            }
        }
        Ok(())
    }

    /// Brings PostgreSQL's statistics of the tables an import grows up to date. Autovacuum
    /// lags behind a bulk load, and with statistics from when the table was small the planner
    /// read a record by id through another index of the workspace (30 ms instead of 0.1 ms
    /// per update, and an import ten times slower). SQLite plans these reads by their unique
    /// keys without statistics.
    async fn refresh_statistics(&self, kind: ObjectKind) -> Result<(), StoreError> {
        if self.backend() == crate::db::Backend::Postgres {
            sqlx::query(&format!("ANALYZE {}, events", kind.plural()))
                .execute(self.writer())
                .await?;
        }
        Ok(())
    }

    /// Writes one batch and gives back its new records, for the engine to free: the writer
    /// is the import's bottleneck, and freeing a batch's records took 3% of the machine.
    async fn write_batch(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        batch: Batch,
    ) -> Result<Created, StoreError> {
        let ws = ctx.workspace.to_string();
        let import = ctx.actor.id.clone().unwrap_or_default();
        let lock = self.dialect().lock_for_update;
        let mut tx = self.writer().begin().await?;
        let mut outcomes = batch.outcomes;
        let mut drafts = Vec::new();
        // Creates first: a later row of the batch may change a record an earlier one creates.
        if let Some((created, rows)) = &batch.created {
            records::write_records(&mut tx, ctx, created).await?;
            for ((row, note), record) in rows.iter().zip(created.records()) {
                outcomes.push(Outcome {
                    record_id: record["id"].as_str().map(str::to_string),
                    version: Some(1),
                    message: note.clone(),
                    ..Outcome::without_change(*row, "created", String::new())
                });
            }
        }
        for Change {
            row,
            id,
            note,
            edit,
        } in batch.changes
        {
            let (result, outcome) = match &edit {
                Edit::Patch { input, merged } => (
                    records::update_without_event(&mut tx, ctx, &id, input, None, lock).await,
                    if *merged { "merged" } else { "updated" },
                ),
                Edit::Fill(proposal) => (
                    fill_gaps(&mut tx, ctx, kind, &id, proposal, lock).await,
                    "merged",
                ),
            };
            match result {
                Ok(records::Updated::Changed(update)) => {
                    outcomes.push(Outcome {
                        record_id: Some(id),
                        version: update.next["version"].as_i64(),
                        previous: Some(Value::Object(update.previous).to_string()),
                        message: note,
                        ..Outcome::without_change(row, outcome, String::new())
                    });
                    drafts.push(update.draft);
                }
                Ok(records::Updated::Unchanged(_)) => outcomes.push(Outcome {
                    record_id: Some(id),
                    ..Outcome::without_change(
                        row,
                        "skipped",
                        "the record already holds these values".into(),
                    )
                }),
                Err(StoreError::Invalid(errors)) => {
                    outcomes.push(Outcome::without_change(row, "error", errors.to_string()))
                }
                // Deleted since the row was matched to it, or never created (its row failed).
                Err(StoreError::NotFound(_)) => outcomes.push(Outcome::without_change(
                    row,
                    "error",
                    format!("the {} this row matches no longer exists", kind.name()),
                )),
                Err(other) => return Err(other),
            }
        }
        let delta = record_outcomes(&mut tx, &ws, &import, &outcomes, None).await?;
        // Events last: see `insert_records_without_events`.
        if let Some((created, _)) = &batch.created {
            events::append_ready(&mut tx, ctx, created.events()).await?;
        }
        drafts.push(Draft {
            entity: "import",
            entity_id: import,
            action: "progress",
            changes: Value::Object(delta),
        });
        events::append_many(&mut tx, ctx, drafts).await?;
        tx.commit().await?;
        Ok(batch.created)
    }
}
