//! The import engine: each stored row is prepared through the plan, its references resolved,
//! matched against existing records (and the rows before it), and then created, used to update
//! a record, skipped or reported as an error. A dry run (preview) decides without writing.
//!
//! Rows are applied in batches; a batch's records, its rows' outcomes, the progress counts and
//! the events all commit in one transaction, so after a crash the rows without an outcome are
//! exactly the ones still to do: nothing is applied twice and nothing is lost.

use super::choices::{Choices, Tally};
use super::lookup::{self, fold, Lookup};
use super::matching::{Found, Matcher};
use super::outcome::{record_outcomes, Outcome};
use super::review::fill_gaps;
use super::Import;
use crate::dialect::{json_list, Dialect};
use crate::duplicates::{self, DEDUPLICATED};
use crate::error::StoreError;
use crate::events::{self, Actor, ActorKind, Draft, WriteContext};
use crate::records::{self, append_created_events, insert_records_without_events};
use crate::Db;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use velocity_domain::{parse_record, FieldType, Mode, ObjectKind, RecordInput, WorkspaceId};
use velocity_import::dedupe::{profile_of, Index, Profile, MERGE_THRESHOLD, REVIEW_THRESHOLD};
use velocity_import::values::{is_enumerated, ValueOverrides};
use velocity_import::{prepare, Column, Context, ImportMode, Plan, ValueMapping};

const BATCH: i64 = 2000;
const MATCH_KEYS: [&str; 6] = ["external_id", "email", "phone", "domain", "sku", "name"];

/// What a row will do (or did).
enum Decision {
    Create(RecordInput),
    Update {
        id: String,
        input: RecordInput,
        merged: bool,
    },
    /// Surely an existing record by likeness (no key matched): fill its gaps from the row.
    Fill {
        id: String,
        proposal: Value,
    },
    /// Probably an existing record, but not surely: a person decides (the review queue).
    Review {
        candidate: String,
        confidence: f64,
        proposal: Value,
    },
    Skip(String),
    Error(String),
}

/// The existing records of a contacts or accounts import, compared by likeness with rows that
/// match no key.
struct Fuzzy {
    index: Index,
    ids: Vec<String>,
}

impl Fuzzy {
    async fn load(
        conn: &mut AnyConnection,
        workspace: &str,
        kind: ObjectKind,
    ) -> Result<Option<Fuzzy>, StoreError> {
        let (ids, profiles) = duplicates::profiles(conn, workspace, kind).await?;
        if profiles.is_empty() {
            return Ok(None);
        }
        let index = tokio::task::spawn_blocking(move || Index::new(profiles))
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Some(Fuzzy { index, ids }))
    }

    /// The most likely existing record, if it is at least worth a review.
    fn best(&self, profile: &Profile) -> Option<(String, f64)> {
        self.index
            .matches(profile)
            .into_iter()
            .find(|(_, confidence)| *confidence >= REVIEW_THRESHOLD)
            .map(|(i, confidence)| (self.ids[i].clone(), confidence))
    }
}

/// A row read back for processing.
struct PendingRow {
    row: i64,
    values: Vec<String>,
    problem: Option<String>,
}

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

/// Everything the decisions need, read once.
struct Engine {
    kind: ObjectKind,
    plan: Plan,
    columns: Vec<Column>,
    context: Context,
    own: Matcher,
    /// Keys of rows decided as creates but not yet written, with their row number.
    pending: HashMap<(&'static str, String), i64>,
    refs: HashMap<ObjectKind, Lookup>,
    pipeline: Option<String>,
    choices: Choices,
    fuzzy: Option<Fuzzy>,
}

fn referenced_kind(ty: FieldType) -> Option<ObjectKind> {
    match ty {
        FieldType::Ref(kind) | FieldType::RefList(kind) => Some(kind),
        _ => None,
    }
}

impl Engine {
    async fn load(
        conn: &mut AnyConnection,
        workspace: &str,
        import: &Import,
    ) -> Result<Engine, StoreError> {
        let kind = import.object_kind()?;
        let plan = import.parsed_plan()?;
        let columns = plan.resolve(kind, &import.headers()).map_err(|errors| {
            StoreError::Conflict(format!("the import's mapping is not valid: {errors:?}"))
        })?;
        let mut refs = HashMap::new();
        for column in &columns {
            if let velocity_import::Target::Field(name) = column.target {
                let referenced = kind.field(name).and_then(|f| referenced_kind(f.ty));
                if let Some(other) = referenced.filter(|o| !refs.contains_key(o)) {
                    refs.insert(other, Lookup::load(conn, workspace, other).await?);
                }
            }
        }
        let pipeline = lookup::default_pipeline(conn, workspace).await?;
        let choices = Choices::load(conn, workspace, pipeline.as_deref(), kind).await?;
        let fuzzy = if plan.fuzzy_matching && DEDUPLICATED.contains(&kind) {
            Fuzzy::load(conn, workspace, kind).await?
        } else {
            None
        };
        let own = Matcher::load(conn, workspace, kind, &plan.match_keys).await?;
        Ok(Engine {
            kind,
            context: Context {
                default_country: plan.default_country.clone(),
                day_order: plan.day_order,
                values: ValueOverrides::new(&plan.values),
            },
            plan,
            columns,
            own,
            pending: HashMap::new(),
            refs,
            pipeline,
            choices,
            fuzzy,
        })
    }

    /// Adds the row's stage name to `missing` if the pipeline lacks it (and it is not there yet).
    fn note_missing_stage(&self, row: &PendingRow, missing: &mut Vec<String>) {
        let column = self
            .columns
            .iter()
            .find(|c| c.target == velocity_import::Target::Field("stage_id"));
        let Some(text) = column
            .and_then(|c| row.values.get(c.index))
            .map(|t| t.trim())
        else {
            return;
        };
        let text = match self.context.values.get("stage_id", text) {
            Some(Some(chosen)) => chosen,
            Some(None) => return,
            None => text,
        };
        if !text.is_empty()
            && self.choices.stage(text).is_none()
            && !missing.iter().any(|s| fold(s) == fold(text))
        {
            missing.push(text.to_string());
        }
    }

    /// Counts the row's values of enumerated columns.
    fn tally(&self, row: &PendingRow, tally: &mut Tally) {
        for column in &self.columns {
            let velocity_import::Target::Field(name) = column.target else {
                continue;
            };
            let enumerated = self.kind.field(name).is_some_and(|f| is_enumerated(f.ty));
            if let Some(text) = row.values.get(column.index).filter(|_| enumerated) {
                tally.add(name, text);
            }
        }
    }

    /// Replaces reference text by ids; what cannot be resolved is kept as an attribute.
    fn resolve_references(
        &self,
        values: &mut Map<String, Value>,
        attributes: &mut Map<String, Value>,
    ) -> Vec<String> {
        let mut notes = Vec::new();
        let names: Vec<String> = values.keys().cloned().collect();
        for name in names {
            let Some(field) = self.kind.field(&name) else {
                continue;
            };
            let keep = |attributes: &mut Map<String, Value>, text: &Value| {
                attributes.insert(
                    name.trim_end_matches("_ids")
                        .trim_end_matches("_id")
                        .to_string(),
                    text.clone(),
                );
            };
            match field.ty {
                FieldType::Ref(other) => {
                    let text = values[&name].as_str().unwrap_or_default().to_string();
                    match self.refs.get(&other).and_then(|l| l.find_any(&text)) {
                        Some(id) => {
                            values.insert(name.clone(), json!(id));
                        }
                        None => {
                            notes.push(format!(
                                "{} `{text}` not found; kept as an attribute",
                                other.name()
                            ));
                            keep(attributes, &values[&name]);
                            values.remove(&name);
                        }
                    }
                }
                FieldType::RefList(other) => {
                    let texts: Vec<String> = values[&name]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default();
                    let (found, missing): (Vec<_>, Vec<_>) = texts
                        .iter()
                        .map(|t| (t, self.refs.get(&other).and_then(|l| l.find_any(t))))
                        .partition(|(_, id)| id.is_some());
                    if !missing.is_empty() {
                        let missing: Vec<&String> = missing.into_iter().map(|(t, _)| t).collect();
                        notes.push(format!(
                            "{} not found: {missing:?}; kept as an attribute",
                            other.plural()
                        ));
                        keep(attributes, &json!(missing));
                    }
                    let mut ids: Vec<&String> =
                        found.into_iter().filter_map(|(_, id)| id).collect();
                    ids.dedup();
                    values.insert(name.clone(), json!(ids));
                }
                FieldType::Member => {
                    let text = values[&name].as_str().unwrap_or_default().to_string();
                    match self.choices.member(&text) {
                        Some(member) => {
                            values.insert(name.clone(), json!(member.id));
                        }
                        None => {
                            notes.push(format!("no member `{text}`; kept as an attribute"));
                            keep(attributes, &values[&name]);
                            values.remove(&name);
                        }
                    }
                }
                FieldType::Stage => {
                    let text = values[&name].as_str().unwrap_or_default().to_string();
                    match (self.choices.stage(&text), &self.pipeline) {
                        (Some(stage), Some(pipeline)) => {
                            values.insert(name.clone(), json!(stage.id));
                            values.entry("pipeline_id").or_insert(json!(pipeline));
                        }
                        _ => {
                            notes.push(format!("the pipeline has no stage `{text}`"));
                            keep(attributes, &values[&name]);
                            values.remove(&name);
                        }
                    }
                }
                _ => {}
            }
        }
        notes
    }

    /// The existing record (or earlier row) this row matches, by the plan's keys in order.
    fn matched(
        &self,
        found: &Found,
        keys: &[(&'static str, String)],
    ) -> (Option<String>, Option<i64>, Option<(&'static str, String)>) {
        for (key, text) in keys {
            if let Some(id) = self.own.find(found, key, text) {
                return (Some(id), None, Some((key, text.clone())));
            }
            if let Some(row) = self.pending.get(&(*key, fold(text))) {
                return (None, Some(*row), Some((key, text.clone())));
            }
        }
        (None, None, None)
    }

    /// The row's values for the plan's match keys, in the plan's order.
    fn keys_of(
        &self,
        values: &Map<String, Value>,
        external_id: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        self.plan
            .match_keys
            .iter()
            .filter_map(|wanted| {
                let key = MATCH_KEYS.into_iter().find(|k| k == wanted)?;
                let text = match key {
                    "external_id" => external_id,
                    _ => values.get(key).and_then(Value::as_str),
                };
                text.filter(|t| !t.trim().is_empty())
                    .map(|t| (key, t.to_string()))
            })
            .collect()
    }

    /// Decides a batch of rows in order, up to the first that matches a create of this batch
    /// (not yet written: it waits for the next batch); a dry run decides them all.
    async fn decide_batch(
        &mut self,
        conn: &mut AnyConnection,
        workspace: &str,
        import: &str,
        rows: &[PendingRow],
        dry_run: bool,
    ) -> Result<Vec<Decided>, StoreError> {
        let ready: Vec<Result<Ready, Decision>> = rows.iter().map(|row| self.ready(row)).collect();
        let keys = ready.iter().flatten().flat_map(|r| r.keys.iter());
        let found = self.own.lookup(conn, workspace, keys).await?;
        let mut decided = Vec::with_capacity(rows.len());
        for (row, ready) in rows.iter().zip(ready) {
            let decision = match ready {
                Ok(ready) => match self.decide(row.row, ready, &found, dry_run) {
                    Ok(decision) => decision,
                    Err(_) => break,
                },
                Err(decision) => (decision, Vec::new(), None),
            };
            decided.push((row.row, decision.0, decision.1, decision.2));
        }
        let updated: Vec<&str> = decided
            .iter()
            .filter_map(|(_, decision, _, _)| match decision {
                Decision::Update { id, .. } if !id.is_empty() => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let created_here = created_by(conn, workspace, import, &updated).await?;
        for (_, decision, _, _) in &mut decided {
            if let Decision::Update { id, merged, .. } = decision {
                *merged |= created_here.contains(id.as_str());
            }
        }
        Ok(decided)
    }

    /// Prepares a row through the plan and resolves its references, or decides it already (an
    /// error).
    fn ready(&self, row: &PendingRow) -> Result<Ready, Decision> {
        if let Some(problem) = &row.problem {
            return Err(Decision::Error(problem.clone()));
        }
        let prepared = prepare(self.kind, &self.columns, &row.values, &self.context);
        if !prepared.errors.is_empty() {
            let message = prepared
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.column, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Decision::Error(message));
        }
        let mut values = prepared.values;
        let mut attributes = prepared.attributes;
        // A row that carries its own identity (a contact's email, an account's domain) and
        // matches no key is someone new: people share names, cities and employers, and an
        // email that differs outweighs them. Likeness decides only for rows without one.
        // Profiled before references are resolved, while a contact's company is still a name.
        let identity = if self.kind == ObjectKind::Contact {
            "email"
        } else {
            "domain"
        };
        let profile = self
            .fuzzy
            .as_ref()
            .filter(|_| !values.contains_key(identity))
            .map(|_| profile_of(self.kind, &values, &attributes));
        let notes = self.resolve_references(&mut values, &mut attributes);
        let keys = self.keys_of(&values, prepared.external_id.as_deref());
        Ok(Ready {
            values,
            attributes,
            notes,
            keys,
            profile,
        })
    }

    /// Decides one prepared row; `Err(row)` when it matches a row of the current batch not
    /// yet written.
    fn decide(
        &mut self,
        row: i64,
        ready: Ready,
        found: &Found,
        dry_run: bool,
    ) -> Result<(Decision, Vec<String>, Option<Value>), i64> {
        let Ready {
            values,
            attributes,
            notes,
            keys,
            profile,
        } = ready;
        let (mut existing, earlier_row, key) = self.matched(found, &keys);
        if let Some(earlier) = earlier_row.filter(|_| !dry_run) {
            return Err(earlier);
        }
        let mut duplicate = key.as_ref().map(|(key, text)| {
            json!({"row": row, "key": key, "value": text, "record_id": existing, "earlier_row": earlier_row, "confidence": 1.0})
        });
        let mut alike = None;
        if let (None, None, Some(fuzzy), Some(profile)) =
            (&existing, earlier_row, &self.fuzzy, &profile)
        {
            if let Some((id, confidence)) = fuzzy.best(profile) {
                duplicate = Some(
                    json!({"row": row, "key": "likeness", "record_id": id, "confidence": confidence}),
                );
                if confidence >= MERGE_THRESHOLD {
                    existing = Some(id);
                } else {
                    alike = Some((id, confidence));
                }
            }
        }
        let likely = existing.clone().filter(|_| key.is_none());
        if alike.is_some() || likely.is_some() {
            let mut proposal = values.clone();
            if !attributes.is_empty() {
                proposal.insert("attributes".into(), Value::Object(attributes.clone()));
            }
            let proposal = Value::Object(proposal);
            let decision = match (alike, likely) {
                (Some((candidate, confidence)), _) => Decision::Review {
                    candidate,
                    confidence,
                    proposal,
                },
                (None, Some(id)) if self.plan.mode != ImportMode::CreateOnly => {
                    Decision::Fill { id, proposal }
                }
                _ => {
                    Decision::Skip("matches an existing record and the mode is create only".into())
                }
            };
            return Ok((decision, notes, duplicate));
        }
        let matched = existing.is_some() || earlier_row.is_some();
        let mode = self.plan.mode;
        if matched && mode == ImportMode::CreateOnly {
            return Ok((
                Decision::Skip("matches an existing record and the mode is create only".into()),
                notes,
                duplicate,
            ));
        }
        if !matched && mode == ImportMode::UpdateOnly {
            return Ok((
                Decision::Skip("matches no existing record and the mode is update only".into()),
                notes,
                duplicate,
            ));
        }
        let mut body = values.clone();
        if !attributes.is_empty() {
            body.insert("attributes".into(), Value::Object(attributes));
        }
        let parse_mode = if matched { Mode::Patch } else { Mode::Create };
        let input = match parse_record(self.kind, &Value::Object(body), parse_mode) {
            Ok(input) => input,
            Err(errors) => return Ok((Decision::Error(errors.to_string()), notes, duplicate)),
        };
        let decision = match (existing, earlier_row) {
            // Whether the record was created by this import is settled for the whole batch.
            (Some(id), _) => Decision::Update {
                merged: false,
                id,
                input,
            },
            // Only in a dry run: the earlier row would have been created by now.
            (None, Some(_)) => Decision::Update {
                id: String::new(),
                input,
                merged: true,
            },
            (None, None) => {
                for (key, text) in keys {
                    self.pending.entry((key, fold(&text))).or_insert(row);
                }
                Decision::Create(input)
            }
        };
        Ok((decision, notes, duplicate))
    }
}

/// A row's decision with its notes and, when it matched, the duplicate it is.
type Decided = (i64, Decision, Vec<String>, Option<Value>);

/// A row prepared through the plan, ready to be matched.
struct Ready {
    values: Map<String, Value>,
    attributes: Map<String, Value>,
    notes: Vec<String>,
    keys: Vec<(&'static str, String)>,
    /// For likeness matching, when the engine does it for this row.
    profile: Option<Profile>,
}

/// Which of `ids` this import created (by their `created` events).
async fn created_by(
    conn: &mut AnyConnection,
    workspace: &str,
    import: &str,
    ids: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let mut created = HashSet::new();
    if ids.is_empty() {
        return Ok(created);
    }
    let statement = format!(
        "SELECT entity_id FROM events WHERE workspace_id = $1 AND {} \
         AND action = 'created' AND actor_kind = 'import' AND actor_id = $2",
        Dialect::of_connection(conn).is_in_json("entity_id", "$3")
    );
    let query = sqlx::query(&statement)
        .bind(workspace)
        .bind(import)
        .bind(json_list(ids));
    for row in query.fetch_all(&mut *conn).await? {
        created.insert(row.try_get("entity_id")?);
    }
    Ok(created)
}

async fn pending_rows(
    conn: &mut AnyConnection,
    workspace: &str,
    import: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<PendingRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT row_no, raw, problem FROM import_rows WHERE workspace_id = $1 AND import_id = $2 \
         AND row_no > $3 AND outcome IS NULL ORDER BY row_no LIMIT $4",
    )
    .bind(workspace)
    .bind(import)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let raw: String = row.try_get("raw")?;
            Ok(PendingRow {
                row: row.try_get("row_no")?,
                values: serde_json::from_str(&raw).map_err(StoreError::corrupt)?,
                problem: row.try_get("problem")?,
            })
        })
        .collect()
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
        loop {
            let rows = pending_rows(&mut conn, &ws, id, after, 2000).await?;
            let Some(last) = rows.last() else { break };
            after = last.row;
            for row in &rows {
                engine.note_missing_stage(row, &mut new_stages);
                engine.tally(row, &mut tally);
            }
            let decided = engine.decide_batch(&mut conn, &ws, id, &rows, true).await?;
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
        let result = self.apply_rows(workspace, id).await;
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

    async fn apply_rows(&self, workspace: WorkspaceId, id: &str) -> Result<(), StoreError> {
        let import = self.import(workspace, id).await?;
        let ws = workspace.to_string();
        let ctx = WriteContext::new(workspace, Actor::new(ActorKind::Import, id), "import");
        let mut conn = self.scanner().acquire().await?;
        let mut engine = Engine::load(&mut conn, &ws, &import).await?;
        drop(conn);
        if engine.kind == ObjectKind::Deal {
            self.add_missing_stages(&ctx, id, &mut engine).await?;
        }
        // Rows are applied in order, so every row up to the last one applied has its outcome;
        // the next read starts after it instead of skipping the done rows again.
        let mut after = 0;
        // Statistics are refreshed as the import doubles what it applied, a handful of times.
        let (mut applied, mut next_analyze) = (0, BATCH);
        loop {
            let mut conn = self.scanner().acquire().await?;
            let rows = pending_rows(&mut conn, &ws, id, after, BATCH).await?;
            if rows.is_empty() {
                return Ok(());
            }
            let decided = engine
                .decide_batch(&mut conn, &ws, id, &rows, false)
                .await?;
            drop(conn);
            let batch: Vec<_> = decided
                .into_iter()
                .map(|(row, decision, notes, _)| (row, decision, notes))
                .collect();
            applied += batch.len() as i64;
            after = batch.last().map_or(after, |(row, _, _)| *row);
            engine.pending.clear();
            self.apply_batch(&ctx, &mut engine, batch).await?;
            if applied >= next_analyze {
                next_analyze *= 2;
                self.refresh_statistics(engine.kind).await?;
            }
        }
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

    async fn apply_batch(
        &self,
        ctx: &WriteContext,
        engine: &mut Engine,
        batch: Vec<(i64, Decision, Vec<String>)>,
    ) -> Result<(), StoreError> {
        let ws = ctx.workspace.to_string();
        let import = ctx.actor.id.clone().unwrap_or_default();
        let mut tx = self.writer().begin().await?;
        let mut outcomes = Vec::new();
        let mut creates: Vec<(i64, RecordInput, Option<String>)> = Vec::new();
        let mut drafts: Vec<Draft> = Vec::new();
        let mut updated = Vec::new();
        let lock = self.dialect().lock_for_update;
        for (row, decision, notes) in batch {
            let note = (!notes.is_empty()).then(|| notes.join("; "));
            match decision {
                Decision::Create(input) => creates.push((row, input, note)),
                Decision::Skip(message) => {
                    outcomes.push(Outcome::without_change(row, "skipped", message))
                }
                Decision::Error(message) => {
                    outcomes.push(Outcome::without_change(row, "error", message))
                }
                Decision::Review {
                    candidate,
                    confidence,
                    proposal,
                } => outcomes.push(Outcome {
                    message: Some(format!(
                        "may be the same as the {} {candidate} (confidence {confidence:.2}); \
                         decide in the review queue",
                        engine.kind.name()
                    )),
                    record_id: Some(candidate),
                    confidence: Some(confidence),
                    proposal: Some(proposal.to_string()),
                    ..Outcome::without_change(row, "review", String::new())
                }),
                Decision::Update { id, input, merged } => {
                    let outcome = if merged { "merged" } else { "updated" };
                    let result =
                        records::update_without_event(&mut tx, ctx, &id, &input, None, lock).await;
                    updated.push((row, id, outcome, note, result));
                }
                Decision::Fill { id, proposal } => {
                    let result = fill_gaps(&mut tx, ctx, engine.kind, &id, &proposal, lock).await;
                    updated.push((row, id, "merged", note, result));
                }
            }
        }
        for (row, id, outcome, note, result) in updated {
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
                Err(other) => return Err(other),
            }
        }
        // Validation inside the insert names failing records by position; those rows become
        // errors and the rest are inserted.
        let created = loop {
            let inputs: Vec<RecordInput> =
                creates.iter().map(|(_, input, _)| input.clone()).collect();
            match insert_records_without_events(&mut tx, ctx, engine.kind, inputs).await {
                Ok(records) => break records,
                Err(StoreError::Invalid(errors)) => {
                    let failing = failing_positions(&errors, creates.len());
                    if failing.is_empty() {
                        return Err(StoreError::Invalid(errors));
                    }
                    for position in failing.into_iter().rev() {
                        let (row, _, _) = creates.remove(position);
                        let message = errors
                            .0
                            .iter()
                            .filter(|e| e.field.starts_with(&format!("records[{position}]")))
                            .map(|e| e.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ");
                        outcomes.push(Outcome::without_change(row, "error", message));
                    }
                }
                Err(other) => return Err(other),
            }
        };
        for ((row, _, note), record) in creates.iter().zip(&created) {
            outcomes.push(Outcome {
                record_id: record["id"].as_str().map(str::to_string),
                version: Some(1),
                message: note.clone(),
                ..Outcome::without_change(*row, "created", String::new())
            });
        }
        let delta = record_outcomes(&mut tx, &ws, &import, &outcomes, None).await?;
        for record in &created {
            engine.own.remember(record)?;
        }
        append_created_events(&mut tx, ctx, engine.kind, created).await?;
        drafts.push(Draft {
            entity: "import",
            entity_id: import.clone(),
            action: "progress",
            changes: Value::Object(delta),
        });
        events::append_many(&mut tx, ctx, drafts).await?;
        tx.commit().await?;
        Ok(())
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
            let rows = pending_rows(&mut conn, &ws, import, after, 2000).await?;
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

fn failing_positions(errors: &velocity_domain::ValidationErrors, count: usize) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..count)
        .filter(|i| {
            errors
                .0
                .iter()
                .any(|e| e.field.starts_with(&format!("records[{i}]")))
        })
        .collect();
    positions.dedup();
    positions
}
