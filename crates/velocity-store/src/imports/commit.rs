//! Running an import: a preview decides every row with the engine ([`super::engine`]) and
//! writes nothing; a commit decides batch n + 1 while the writer ([`super::apply`]) writes
//! batch n. A batch's records, its rows' outcomes, the progress counts and the events all commit
//! in one transaction, so after a crash the rows without an outcome are exactly the ones still to
//! do: nothing is applied twice and nothing is lost.

use super::apply::{Batch, Written};
use super::choices::Tally;
use super::engine::{pending_rows, Decision, Engine};
use super::lookup;
use crate::error::StoreError;
use crate::events::{Actor, ActorKind, WriteContext};
use crate::records::Creator;
use crate::Db;
use serde::Serialize;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use velocity_domain::values::now_timestamp;
use velocity_domain::{parse_record, Mode, ObjectKind, WorkspaceId};
use velocity_import::ValueMapping;

/// Rows read, decided and written at a time (see `BENCHMARKS.md` for 1,000 and 4,000).
const BATCH: i64 = 2000;

/// The dry run's findings.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub counts: Map<String, Value>,
    /// Rows that match an existing record or an earlier row, with the key that matched.
    pub duplicates: Vec<Value>,
    /// Stage names the pipeline lacks; the commit adds them as open stages.
    pub new_stages: Vec<String>,
    /// Every distinct value of an enumerated column (stage, owner, kind, status) with where it
    /// goes, how sure that is and how many rows hold it; change one with `PUT …/mapping`.
    pub values: Vec<ValueMapping>,
    /// The first rows that would fail, with why.
    pub errors: Vec<Value>,
}

impl Db {
    /// Decides every row without writing anything.
    pub async fn preview_import(
        &self,
        workspace: WorkspaceId,
        id: &str,
    ) -> Result<Preview, StoreError> {
        let import = self.import(workspace, id).await?;
        let ws = workspace.to_string();
        let mut conn = self.scanner().acquire().await?;
        let mut engine = Engine::load(&mut conn, &ws, &import).await?;
        let mut counts = Map::new();
        let mut duplicates = Vec::new();
        let mut errors = Vec::new();
        let mut new_stages: Vec<String> = Vec::new();
        let mut tally = Tally::default();
        let mut after = 0;
        // A preview writes nothing, so the stages and common terms it reads stay as they are.
        let creator = Creator::load(&mut conn, workspace, engine.kind).await?;
        loop {
            let rows = pending_rows(&mut conn, &ws, id, after, BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = last.row;
            for row in &rows {
                engine.note_missing_stage(row, &mut new_stages);
                engine.tally(row, &mut tally);
            }
            let decided = engine
                .decide_batch(&mut conn, &ws, id, &rows, (&creator, &now_timestamp()))
                .await?;
            for (row, decision, _, duplicate) in decided {
                let outcome = match &decision {
                    Decision::Create(_) => "created",
                    Decision::Update { merged: true, .. } => "merged",
                    Decision::Update { .. } => "updated",
                    Decision::Skip(_) => "skipped",
                    Decision::Fill { .. } => "merged",
                    Decision::Review { .. } => "review",
                    Decision::Error(message) => {
                        if errors.len() < 50 {
                            errors.push(json!({"row": row, "message": message}));
                        }
                        "errors"
                    }
                };
                let seen = counts.get(outcome).and_then(Value::as_i64).unwrap_or(0);
                counts.insert(outcome.to_string(), json!(seen + 1));
                if let Some(duplicate) = duplicate.filter(|_| duplicates.len() < 200) {
                    duplicates.push(duplicate);
                }
            }
        }
        Ok(Preview {
            counts,
            duplicates,
            new_stages,
            values: tally.into_mappings(engine.kind, &engine.choices, &engine.context.values),
            errors,
        })
    }

    /// Marks an uploaded import as committing; the caller then runs [`Db::run_import`].
    pub async fn begin_import_commit(
        &self,
        workspace: WorkspaceId,
        id: &str,
    ) -> Result<(), StoreError> {
        self.move_import(workspace, id, &["uploaded"], "committing", None)
            .await
    }

    /// Applies the rows of a committing import that have no outcome yet, batch by batch, and
    /// marks it committed (or failed, with the reason).
    pub async fn run_import(&self, workspace: WorkspaceId, id: &str) -> Result<(), StoreError> {
        let result = self.apply_rows_again_on_new_stages(workspace, id).await;
        match &result {
            Ok(()) => {
                self.move_import(workspace, id, &["committing"], "committed", None)
                    .await?
            }
            Err(error) => {
                let message = error.to_string();
                self.move_import(workspace, id, &["committing"], "failed", Some(&message))
                    .await?;
            }
        }
        result
    }

    /// [`Db::apply_rows`], again from the rows left when the workspace's pipelines changed
    /// during the commit: the batch written then is refused (its deals were placed with the
    /// stages as they were) and the rows without an outcome are decided again with the new
    /// ones. A few times at most, so pipelines that keep changing end the import.
    async fn apply_rows_again_on_new_stages(
        &self,
        workspace: WorkspaceId,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut attempts = 1;
        loop {
            match self.apply_rows(workspace, id).await {
                Err(StoreError::StagesChanged) if attempts < 5 => attempts += 1,
                done => return done,
            }
        }
    }

    async fn apply_rows(&self, workspace: WorkspaceId, id: &str) -> Result<(), StoreError> {
        let import = self.import(workspace, id).await?;
        let ctx = WriteContext::new(workspace, Actor::new(ActorKind::Import, id), "import");
        let mut conn = self.scanner().acquire().await?;
        let mut engine = Engine::load(&mut conn, &workspace.to_string(), &import).await?;
        drop(conn);
        if engine.kind == ObjectKind::Deal {
            self.add_missing_stages(&ctx, id, &mut engine).await?;
        }
        let (to_writer, batches) = mpsc::channel(1);
        let (written, acknowledgements) = mpsc::unbounded_channel();
        let writer =
            tokio::spawn(
                self.clone()
                    .write_batches(ctx.clone(), engine.kind, batches, written),
            );
        let decided = self
            .decide_rows(&ctx, &mut engine, to_writer, acknowledgements)
            .await;
        // A writer that failed stops the engine too; its error is the one that explains.
        writer
            .await
            .map_err(|e| StoreError::Io(format!("the import's writer stopped: {e}")))??;
        decided
    }

    /// Decides the rows without an outcome batch by batch and hands each batch to the writer,
    /// deciding the next while the writer writes it (and waiting for no more than that).
    /// Rows that match rows not written yet find them among the engine's held keys, so no
    /// row waits for the database to show what an earlier row did.
    async fn decide_rows(
        &self,
        ctx: &WriteContext,
        engine: &mut Engine,
        to_writer: mpsc::Sender<Batch>,
        mut acknowledgements: mpsc::UnboundedReceiver<Written>,
    ) -> Result<(), StoreError> {
        let ws = ctx.workspace.to_string();
        let import = ctx.actor.id.clone().unwrap_or_default();
        // Every row up to the last one decided has its outcome or is in a batch on its way to
        // the writer; the next read starts after it.
        let mut after = 0;
        loop {
            let mut conn = self.scanner().acquire().await?;
            let rows = pending_rows(&mut conn, &ws, &import, after, BATCH).await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.row;
            let creator = Creator::load(&mut conn, ctx.workspace, engine.kind).await?;
            let decided = engine
                .decide_batch(&mut conn, &ws, &import, &rows, (&creator, &ctx.now()))
                .await?;
            let batch = engine.prepare_batch(creator, decided)?;
            drop(conn);
            let writer_stopped = || StoreError::Io("the import's writer stopped".into());
            to_writer.send(batch).await.map_err(|_| writer_stopped())?;
            // Deciding runs one batch ahead of writing, no more: what is held stays small.
            if engine.batch > 1 {
                // The written batch's records are freed here, off the writer's path.
                let (written, _records) =
                    acknowledgements.recv().await.ok_or_else(writer_stopped)?;
                engine.written(written);
            }
            engine.batch += 1;
        }
    }

    /// Adds the stages a deals file names but the pipeline lacks, as open stages before the
    /// closed ones, so no row is refused for its stage name.
    async fn add_missing_stages(
        &self,
        ctx: &WriteContext,
        import: &str,
        engine: &mut Engine,
    ) -> Result<(), StoreError> {
        let Some(pipeline) = engine.pipeline.clone() else {
            return Ok(());
        };
        // Only the stage column matters here: no row is decided twice.
        let ws = ctx.workspace.to_string();
        let mut missing = Vec::new();
        let mut conn = self.scanner().acquire().await?;
        let mut after = 0;
        loop {
            let rows = pending_rows(&mut conn, &ws, import, after, BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = last.row;
            for row in &rows {
                engine.note_missing_stage(row, &mut missing);
            }
        }
        drop(conn);
        if missing.is_empty() {
            return Ok(());
        }
        let first_closed = engine
            .choices
            .stages
            .iter()
            .position(|s| s.2 != "open")
            .unwrap_or(engine.choices.stages.len());
        let before = engine.choices.stages[..first_closed]
            .last()
            .map_or(0.1, |s| s.3);
        let mut stages: Vec<Value> = engine.choices.stages.iter().map(|(id, name, kind, p)| json!({"id": id, "name": name, "kind": kind, "probability": p})).collect();
        let added: Vec<Value> = missing
            .iter()
            .map(|name| json!({"name": name, "kind": "open", "probability": before}))
            .collect();
        stages.splice(first_closed..first_closed, added);
        let input = parse_record(
            ObjectKind::Pipeline,
            &json!({"stages": stages}),
            Mode::Patch,
        )?;
        self.update_record(ctx, &pipeline, input, None).await?;
        let mut conn = self.scanner().acquire().await?;
        engine.choices.stages = lookup::stages(&mut conn, &ws, &pipeline).await?;
        Ok(())
    }
}
