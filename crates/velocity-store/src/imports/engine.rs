//! The import engine: each stored row is prepared through the plan, its references resolved,
//! matched against existing records (and the rows before it), and then created, used to update
//! a record, skipped or reported as an error. It decides; it writes nothing. A preview counts
//! its decisions, a commit ([`super::commit`]) hands them to the writer ([`super::apply`]).

use super::apply::{Batch, Change, Edit};
use super::choices::{Choices, Tally};
use super::held::{Held, HeldKeys};
use super::lookup::{self, fold, Lookup};
use super::matching::{hash_of, Claims, Found, Matcher};
use super::outcome::Outcome;
use super::Import;
use crate::dialect::{json_list, Dialect};
use crate::duplicates::{self, DEDUPLICATED};
use crate::error::StoreError;
use crate::events::ReadyEvent;
use crate::records::{Creator, Record};
use serde_json::{json, Map, Value};
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet, VecDeque};
use uuid::Uuid;
use velocity_domain::{new_id, parse_record, FieldType, Mode, ObjectKind, RecordInput};
use velocity_import::dedupe::{profile_of, Index, Profile, MERGE_THRESHOLD, REVIEW_THRESHOLD};
use velocity_import::values::{is_enumerated, ValueOverrides};
use velocity_import::{prepare, Column, Context, ImportMode, Plan};

const MATCH_KEYS: [&str; 6] = ["external_id", "email", "phone", "domain", "sku", "name"];

/// What a row will do (or did).
pub(super) enum Decision {
    /// A new record, its rules run, with its `created` event.
    Create(Box<(Record, ReadyEvent)>),
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
pub(super) struct PendingRow {
    pub(super) row: i64,
    values: Vec<String>,
    problem: Option<String>,
}

/// Everything the decisions need, read once.
pub(super) struct Engine {
    pub(super) kind: ObjectKind,
    plan: Plan,
    columns: Vec<Column>,
    pub(super) context: Context,
    own: Matcher,
    /// Keys of rows decided to create or change a record but not written yet (the database
    /// does not show them), with what the row does: a later row with one of these keys
    /// matches that record.
    /// Keyed by the hash of (key, folded text), as the matcher's memory is: a preview holds
    /// every row of the file here.
    pending: HeldKeys,
    /// For records that rows not written yet change: the match keys those rows give them,
    /// folded, with the batch. The database's match of such a record by another value of
    /// one of those keys is out of date.
    changing: HashMap<Uuid, Vec<(&'static str, u64, u64)>>,
    /// The number of the batch being decided.
    pub(super) batch: u64,
    /// What the records of each batch not yet written claim in memory, oldest batch first.
    unwritten: VecDeque<(u64, Vec<Claims>)>,
    refs: HashMap<ObjectKind, Lookup>,
    pub(super) pipeline: Option<String>,
    pub(super) choices: Choices,
    fuzzy: Option<Fuzzy>,
}

fn referenced_kind(ty: FieldType) -> Option<ObjectKind> {
    match ty {
        FieldType::Ref(kind) | FieldType::RefList(kind) => Some(kind),
        _ => None,
    }
}

impl Engine {
    pub(super) async fn load(
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
            pending: HeldKeys::default(),
            changing: HashMap::new(),
            batch: 1,
            unwritten: VecDeque::new(),
            refs,
            pipeline,
            choices,
            fuzzy,
        })
    }

    /// Adds the row's stage name to `missing` if the pipeline lacks it (and it is not there yet).
    pub(super) fn note_missing_stage(&self, row: &PendingRow, missing: &mut Vec<String>) {
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
    pub(super) fn tally(&self, row: &PendingRow, tally: &mut Tally) {
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
                    let texts = super::texts(&values[&name]);
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

    /// The existing record, or the earlier row not written yet, that this row matches, by
    /// the plan's keys in order.
    fn matched(&self, found: &Found, keys: &[(&'static str, String)]) -> Match {
        for (key, text) in keys {
            let key_text = Some((*key, text.clone()));
            let shown = self.own.find(found, key, text);
            if let Some(id) = shown.filter(|id| !self.replaces(id, key, text)) {
                return (Some(id), None, key_text);
            }
            if let Some(held) = self.pending.get(hash_of(key, text)) {
                return (None, Some(held), key_text);
            }
        }
        (None, None, None)
    }

    /// Whether a row not written yet gives record `id` another value of `key` than `text`.
    fn replaces(&self, id: &str, key: &str, text: &str) -> bool {
        let Some(keys) = Uuid::parse_str(id)
            .ok()
            .and_then(|id| self.changing.get(&id))
        else {
            return false;
        };
        let hash = hash_of(key, text);
        keys.iter().any(|(k, h, _)| *k == key && *h != hash)
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

    /// Decides a batch of rows in order.
    pub(super) async fn decide_batch(
        &mut self,
        conn: &mut AnyConnection,
        workspace: &str,
        import: &str,
        rows: &[PendingRow],
        new: NewRecords<'_>,
    ) -> Result<Vec<Decided>, StoreError> {
        let ready: Vec<Result<Ready, Decision>> = rows.iter().map(|row| self.ready(row)).collect();
        let keys = ready.iter().flatten().flat_map(|r| r.keys.iter());
        let found = self.own.lookup(conn, workspace, keys).await?;
        let mut decided = Vec::with_capacity(rows.len());
        for (row, ready) in rows.iter().zip(ready) {
            let decision = match ready {
                Ok(ready) => self.decide(row.row, ready, &found, new),
                Err(decision) => (decision, Vec::new(), None),
            };
            decided.push((row.row, decision.0, decision.1, decision.2));
        }
        let updated: Vec<&str> = decided
            .iter()
            .filter_map(|(_, decision, _, _)| match decision {
                Decision::Update { id, merged, .. } if !merged => Some(id.as_str()),
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

    /// Decides one prepared row.
    fn decide(
        &mut self,
        row: i64,
        ready: Ready,
        found: &Found,
        (creator, now): NewRecords<'_>,
    ) -> (Decision, Vec<String>, Option<Value>) {
        let Ready {
            values,
            attributes,
            notes,
            keys,
            profile,
        } = ready;
        let (mut existing, earlier, key) = self.matched(found, &keys);
        let earlier_row = earlier.as_ref().map(|held| held.row);
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
            return (decision, notes, duplicate);
        }
        let matched = existing.is_some() || earlier_row.is_some();
        let mode = self.plan.mode;
        if matched && mode == ImportMode::CreateOnly {
            return (
                Decision::Skip("matches an existing record and the mode is create only".into()),
                notes,
                duplicate,
            );
        }
        if !matched && mode == ImportMode::UpdateOnly {
            return (
                Decision::Skip("matches no existing record and the mode is update only".into()),
                notes,
                duplicate,
            );
        }
        let mut body = values.clone();
        if !attributes.is_empty() {
            body.insert("attributes".into(), Value::Object(attributes));
        }
        let parse_mode = if matched { Mode::Patch } else { Mode::Create };
        let input = match parse_record(self.kind, &Value::Object(body), parse_mode) {
            Ok(input) => input,
            Err(errors) => return (Decision::Error(errors.to_string()), notes, duplicate),
        };
        // Whether a record the database shows was created by this import is settled for the
        // whole batch (see `decide_batch`).
        let (id, created_here) = match (existing, earlier) {
            (Some(id), _) => (id, false),
            (None, Some(held)) => (held.record.to_string(), held.created),
            (None, None) => {
                let id = new_id();
                let decision = match creator.create(id.to_string(), &input, now, None) {
                    Ok(made) => {
                        self.hold(&keys, row, id, true);
                        Decision::Create(Box::new(made))
                    }
                    Err(StoreError::Invalid(errors)) => Decision::Error(
                        errors
                            .0
                            .iter()
                            .map(|e| e.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    Err(other) => Decision::Error(other.to_string()),
                };
                return (decision, notes, duplicate);
            }
        };
        // The row may give its record a key that the database does not show yet, or another
        // value of one. (Record ids are UUIDs.)
        if let Ok(record) = Uuid::parse_str(&id) {
            self.hold(&keys, row, record, created_here);
            let batch = self.batch;
            let changing = self.changing.entry(record).or_default();
            changing.extend(
                keys.iter()
                    .map(|(key, text)| (*key, hash_of(key, text), batch)),
            );
        }
        let decision = Decision::Update {
            id,
            input,
            merged: created_here,
        };
        (decision, notes, duplicate)
    }

    /// Lets later rows with one of `keys` match the record that `row` creates or changes
    /// before the database shows it with them.
    fn hold(&mut self, keys: &[(&'static str, String)], row: i64, record: Uuid, created: bool) {
        let hashes = keys.iter().map(|(key, text)| hash_of(key, text));
        let held = Held {
            row,
            record,
            created,
        };
        self.pending.hold(self.batch, hashes, held);
    }

    /// Batch `number` and those before it are written: the database (or, for in-memory keys,
    /// the matcher) shows their records with their keys from now on.
    pub(super) fn written(&mut self, number: u64) {
        while self
            .unwritten
            .front()
            .is_some_and(|(batch, _)| *batch <= number)
        {
            for claim in self.unwritten.pop_front().into_iter().flat_map(|(_, c)| c) {
                self.own.claim(claim);
            }
        }
        self.pending.release_through(number);
        self.changing.retain(|_, keys| {
            keys.retain(|(_, _, batch)| *batch > number);
            !keys.is_empty()
        });
    }

    /// Turns a batch's decisions into what the writer needs: the outcomes of rows that change
    /// no record, the changes to existing records, and the new records with their rows.
    pub(super) fn prepare_batch(
        &mut self,
        creator: Creator,
        decided: Vec<Decided>,
    ) -> Result<Batch, StoreError> {
        let mut outcomes = Vec::new();
        let mut changes = Vec::new();
        let (mut made, mut rows) = (Vec::new(), Vec::new());
        for (row, decision, notes, _) in decided {
            let note = (!notes.is_empty()).then(|| notes.join("; "));
            match decision {
                Decision::Create(record) => {
                    made.push(*record);
                    rows.push((row, note));
                }
                Decision::Update { id, input, merged } => changes.push(Change {
                    row,
                    id,
                    note,
                    edit: Edit::Patch { input, merged },
                }),
                Decision::Fill { id, proposal } => changes.push(Change {
                    row,
                    id,
                    note,
                    edit: Edit::Fill(proposal),
                }),
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
                        self.kind.name()
                    )),
                    record_id: Some(candidate),
                    confidence: Some(confidence),
                    proposal: Some(proposal.to_string()),
                    ..Outcome::without_change(row, "review", String::new())
                }),
            }
        }
        let mut created = None;
        if !made.is_empty() {
            let (records, events) = made.into_iter().unzip();
            let prepared = creator.finish(records, events)?;
            let claims = prepared
                .records()
                .iter()
                .map(|record| self.own.claims_of(record))
                .collect::<Result<_, _>>()?;
            self.unwritten.push_back((self.batch, claims));
            created = Some((prepared, rows));
        }
        Ok(Batch {
            number: self.batch,
            outcomes,
            changes,
            created,
        })
    }
}

/// How a batch's new records are made: by the creator, created at the time given.
type NewRecords<'a> = (&'a Creator, &'a str);

/// A row's decision with its notes and, when it matched, the duplicate it is.
type Decided = (i64, Decision, Vec<String>, Option<Value>);

/// What a row matched: an existing record's id, or an earlier row not written yet, and the
/// key (and its text) that matched.
type Match = (Option<String>, Option<Held>, Option<(&'static str, String)>);

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

/// The next `limit` rows after row `after` that have no outcome yet.
pub(super) async fn pending_rows(
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
