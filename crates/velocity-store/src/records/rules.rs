//! Object rules applied before records are written: defaults (a deal's pipeline and stage, a
//! task's status), derived fields (a deal's status and close time from its stage, a task's
//! completion time) and the check that every reference points at a live record of the same
//! workspace. Both work on a whole batch: stages are read once, and references are checked with
//! one query per referenced table, however many records there are.

use super::Change;
use crate::dialect::{json_list, Dialect};
use crate::error::StoreError;
use serde_json::{Map, Value};
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use velocity_domain::schema::FieldType;
use velocity_domain::{ObjectKind, ValidationErrors};

/// A workspace's pipelines and stages, read once per write.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct StageBook {
    /// stage id → (pipeline id, kind)
    stages: HashMap<String, (String, String)>,
    /// pipeline id → its first stage (id, kind)
    first_stage: HashMap<String, (String, String)>,
    /// The oldest live pipeline, where deals go when none is named.
    default_pipeline: Option<String>,
}

impl StageBook {
    pub(crate) async fn load(
        conn: &mut AnyConnection,
        workspace: &str,
    ) -> Result<StageBook, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.pipeline_id, s.kind, p.deleted_at FROM pipeline_stages s \
             JOIN pipelines p ON p.workspace_id = s.workspace_id AND p.id = s.pipeline_id \
             WHERE s.workspace_id = $1 ORDER BY p.created_at, p.id, s.position, s.id",
        )
        .bind(workspace)
        .fetch_all(&mut *conn)
        .await?;
        let mut book = StageBook::default();
        for row in rows {
            let (id, pipeline, kind): (String, String, String) = (
                row.try_get("id")?,
                row.try_get("pipeline_id")?,
                row.try_get("kind")?,
            );
            let live = row.try_get::<Option<String>, _>("deleted_at")?.is_none();
            if live && book.default_pipeline.is_none() {
                book.default_pipeline = Some(pipeline.clone());
            }
            book.first_stage
                .entry(pipeline.clone())
                .or_insert_with(|| (id.clone(), kind.clone()));
            book.stages.insert(id, (pipeline, kind));
        }
        Ok(book)
    }
}

fn changed(previous: Option<&Map<String, Value>>, next: &Map<String, Value>, name: &str) -> bool {
    previous.is_none_or(|p| p.get(name) != next.get(name))
}

/// Fills defaults and derived fields of `next`, the record about to be stored. `previous` is
/// the stored record for an update, `None` for a create; `now` is the time of the change.
pub(crate) fn apply(
    book: &StageBook,
    kind: ObjectKind,
    previous: Option<&Map<String, Value>>,
    next: &mut Map<String, Value>,
    now: &str,
) -> Result<(), ValidationErrors> {
    match kind {
        ObjectKind::Deal => {
            if changed(previous, next, "pipeline_id") || changed(previous, next, "stage_id") {
                place_deal(book, previous, next, now)?;
            }
        }
        ObjectKind::Task => {
            default(next, "status", "open");
            if changed(previous, next, "status") {
                let done = next.get("status").and_then(Value::as_str) == Some("done");
                let completed = if done {
                    Value::String(now.to_owned())
                } else {
                    Value::Null
                };
                next.insert("completed_at".into(), completed);
            }
        }
        ObjectKind::Product => default(next, "status", "available"),
        ObjectKind::Activity => {
            if previous.is_none() {
                default(next, "occurred_at", now);
            }
        }
        ObjectKind::Account | ObjectKind::Contact | ObjectKind::Pipeline => {}
    }
    Ok(())
}

fn default(record: &mut Map<String, Value>, name: &str, value: &str) {
    if record.get(name).is_none_or(Value::is_null) {
        record.insert(name.into(), Value::String(value.into()));
    }
}

/// Resolves a deal's pipeline and stage (either may be omitted), then derives its status, close
/// time and, unless the client set it, its forecast category.
fn place_deal(
    book: &StageBook,
    previous: Option<&Map<String, Value>>,
    next: &mut Map<String, Value>,
    now: &str,
) -> Result<(), ValidationErrors> {
    let text = |name: &str| next.get(name).and_then(Value::as_str).map(str::to_string);
    let pipeline = text("pipeline_id");
    let stage = text("stage_id").filter(|_| changed(previous, next, "stage_id"));
    let (pipeline_id, stage_id, stage_kind) = match stage {
        Some(stage_id) => {
            let (stage_pipeline, kind) = book.stages.get(&stage_id).ok_or_else(|| {
                ValidationErrors::single("stage_id", "no stage with this id in the workspace")
            })?;
            if pipeline.as_ref().is_some_and(|p| p != stage_pipeline) {
                return Err(ValidationErrors::single(
                    "stage_id",
                    "this stage belongs to another pipeline",
                ));
            }
            (stage_pipeline.clone(), stage_id, kind.clone())
        }
        None => {
            let pipeline_id = pipeline
                .or_else(|| book.default_pipeline.clone())
                .ok_or_else(|| {
                    ValidationErrors::single(
                        "pipeline_id",
                        "the workspace has no pipeline yet; create one first",
                    )
                })?;
            let (stage_id, kind) =
                book.first_stage.get(&pipeline_id).cloned().ok_or_else(|| {
                    ValidationErrors::single(
                        "pipeline_id",
                        "no pipeline with this id in the workspace",
                    )
                })?;
            (pipeline_id, stage_id, kind)
        }
    };
    next.insert("pipeline_id".into(), Value::String(pipeline_id));
    next.insert("stage_id".into(), Value::String(stage_id));
    let was = previous
        .and_then(|p| p.get("status"))
        .and_then(Value::as_str);
    if was != Some(stage_kind.as_str()) {
        let closed_at = match stage_kind.as_str() {
            "open" => Value::Null,
            _ => Value::String(now.to_owned()),
        };
        next.insert("closed_at".into(), closed_at);
        // As in HubSpot, closing a deal dates it today unless the client gave the date: the
        // close date is when its revenue counts (a deal created closed, as imports of
        // history are, keeps the date it came with).
        let date_set_by_client = match previous {
            Some(p) => p.get("close_date") != next.get("close_date"),
            None => next.get("close_date").is_some_and(|v| !v.is_null()),
        };
        if stage_kind != "open" && !date_set_by_client {
            let today = now.get(..10).unwrap_or(now);
            next.insert("close_date".into(), Value::String(today.to_owned()));
        }
        let category_set_by_client = match previous {
            Some(p) => p.get("forecast_category") != next.get("forecast_category"),
            None => next.get("forecast_category").is_some_and(|v| !v.is_null()),
        };
        if !category_set_by_client {
            let category = match stage_kind.as_str() {
                "won" => "closed",
                "lost" => "omitted",
                _ => "pipeline",
            };
            next.insert("forecast_category".into(), Value::String(category.into()));
        }
    }
    next.insert("status".into(), Value::String(stage_kind));
    Ok(())
}

/// Checks, for a batch of `(previous, next)` pairs, that every reference that changed names a
/// live record (or an active member) of this workspace. Errors name the field; in a batch of
/// more than one they are prefixed with the record's position (`records[3].account_id`).
pub(crate) async fn check_references(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    batch: &[Change<'_>],
) -> Result<(), StoreError> {
    let mut wanted: HashMap<&'static str, HashSet<String>> = HashMap::new();
    let references = |previous: Option<&Map<String, Value>>, next: &Map<String, Value>| {
        let mut found = Vec::new();
        for field in kind.fields() {
            let Some(table) = reference_table(field.ty) else {
                continue;
            };
            let value = next.get(field.name).unwrap_or(&Value::Null);
            if value.is_null() || previous.is_some_and(|p| p.get(field.name) == Some(value)) {
                continue;
            }
            let ids: Vec<String> = match value {
                Value::String(id) => vec![id.clone()],
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            found.push((field, table, ids));
        }
        found
    };
    for (previous, next) in batch {
        for (_, table, ids) in references(*previous, next) {
            wanted.entry(table).or_default().extend(ids);
        }
    }
    // Only the missing ids come back, usually none: each row returned is a hand-over from
    // the database driver, and a batch names thousands of live records.
    let ids = Dialect::of_connection(conn).json_strings("$2");
    let mut absent: HashMap<&'static str, HashSet<String>> = HashMap::new();
    for (table, wanted) in &wanted {
        let live = if *table == "memberships" {
            "SELECT 1 FROM memberships m WHERE m.workspace_id = $1 AND m.user_id = j.value \
             AND m.removed_at IS NULL"
                .to_string()
        } else {
            format!(
                "SELECT 1 FROM {table} t WHERE t.workspace_id = $1 AND t.id = j.value \
                 AND t.deleted_at IS NULL"
            )
        };
        let sql = format!("SELECT j.value AS id FROM {ids} WHERE NOT EXISTS ({live})");
        let rows = sqlx::query(&sql)
            .bind(workspace)
            .bind(json_list(wanted))
            .fetch_all(&mut *conn)
            .await?;
        let of_table = absent.entry(table).or_default();
        for row in rows {
            of_table.insert(row.try_get("id")?);
        }
    }
    let mut errors = ValidationErrors::default();
    for (index, (previous, next)) in batch.iter().enumerate() {
        for (field, table, ids) in references(*previous, next) {
            if let Some(missing) = ids
                .iter()
                .find(|id| absent.get(table).is_some_and(|a| a.contains(*id)))
            {
                let what = match field.ty {
                    FieldType::Ref(target) | FieldType::RefList(target) => target.name(),
                    _ => "member",
                };
                let name = if batch.len() > 1 {
                    format!("records[{index}].{}", field.name)
                } else {
                    field.name.to_string()
                };
                errors.push(
                    name,
                    format!("no {what} with id {missing} in this workspace"),
                );
            }
        }
    }
    errors.into_result(()).map_err(StoreError::Invalid)
}

/// The table a reference field points into.
fn reference_table(ty: FieldType) -> Option<&'static str> {
    match ty {
        FieldType::Ref(target) | FieldType::RefList(target) => Some(target.plural()),
        FieldType::Member => Some("memberships"),
        _ => None,
    }
}
