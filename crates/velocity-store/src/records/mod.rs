//! Records of the client graph (accounts, contacts, deals, pipelines, activities, tasks,
//! products): create, read, partial update with optimistic concurrency, soft delete, restore,
//! and list. One generic code path serves every object, driven by the domain schema; the
//! object-specific behaviour lives in [`rules`] and [`links`].

mod create;
mod dossier;
mod history;
pub(crate) mod links;
mod list;
mod rules;
pub(crate) mod sql;

pub(crate) use create::{
    append_created_events, create_in_transaction, insert_default_pipeline, insert_records,
    insert_records_without_events,
};
pub use dossier::ContactDossier;
pub(crate) use history::{write_records, Creator};
pub use history::{PreparedLives, Step};
pub use list::{ListParams, Page};

use crate::error::StoreError;
use crate::events::{self, Event, WriteContext};
use crate::{search, Db};
use rules::StageBook;
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;
use velocity_domain::{check_invariants, ObjectKind, RecordInput, WorkspaceId};

/// A record as JSON: its fields, `attributes`, `id`, `version` and timestamps.
pub type Record = Map<String, Value>;

/// A record before (`None` for a create) and after a write.
pub(crate) type Change<'a> = (Option<&'a Record>, &'a Record);

/// The outcome of a mutation: the record as stored and the event it appended (none when a
/// patch changed nothing).
#[derive(Debug, Clone)]
pub struct Written {
    pub record: Record,
    pub event: Option<Event>,
}

/// Reads one record (live, or also soft-deleted) inside a connection or transaction.
pub(crate) async fn fetch(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    id: &str,
    deleted: bool,
    lock: &str,
) -> Result<Option<Record>, StoreError> {
    let condition = if deleted { "IS NOT NULL" } else { "IS NULL" };
    let statement =
        format!(
        "SELECT {} FROM {} WHERE workspace_id = $1 AND id = $2 AND deleted_at {condition}{lock}",
        sql::select_list(kind, kind.plural(), crate::dialect::Dialect::of_connection(conn)),
        kind.plural()
    );
    let Some(row) = sqlx::query(&statement)
        .bind(workspace)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut records = vec![sql::decode_record(kind, &row)?];
    links::load(conn, workspace, kind, &mut records).await?;
    Ok(records.pop())
}

/// Applies parsed input to a record: fields are replaced, attributes merged (`null` removes).
fn merge(base: &Record, input: &RecordInput) -> Record {
    let mut next = base.clone();
    for (field, value) in &input.values {
        next.insert(field.name.into(), value.to_json());
    }
    if input.attributes.is_some() || input.clear_attributes {
        let mut attributes = match base.get("attributes") {
            Some(Value::Object(existing)) if !input.clear_attributes => existing.clone(),
            _ => Map::new(),
        };
        for (key, value) in input.attributes.iter().flatten() {
            if value.is_null() {
                attributes.remove(key);
            } else {
                attributes.insert(key.clone(), value.clone());
            }
        }
        next.insert("attributes".into(), Value::Object(attributes));
    }
    next
}

/// `{"field": {"old", "new"}}` for each field (and each attribute) that differs.
fn diff(kind: ObjectKind, previous: &Record, next: &Record) -> Map<String, Value> {
    let mut changes = Map::new();
    let mut note = |name: String, old: Option<&Value>, new: Option<&Value>| {
        let (old, new) = (old.unwrap_or(&Value::Null), new.unwrap_or(&Value::Null));
        if old != new {
            changes.insert(name, json!({"old": old, "new": new}));
        }
    };
    for field in kind.fields() {
        note(
            field.name.to_string(),
            previous.get(field.name),
            next.get(field.name),
        );
    }
    let empty = Map::new();
    let attributes = |r: &'_ Record| {
        r.get("attributes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (old_attrs, new_attrs) = (attributes(previous), attributes(next));
    let mut keys: Vec<&String> = old_attrs.keys().chain(new_attrs.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        note(
            format!("attributes.{key}"),
            old_attrs.get(key),
            new_attrs.get(key),
        );
    }
    changes
}

/// A new record of `kind` with every field empty.
fn blank(kind: ObjectKind) -> Record {
    let mut record = Map::new();
    for field in kind.fields() {
        let empty = if field.is_column() {
            Value::Null
        } else {
            Value::Array(Vec::new())
        };
        record.insert(field.name.into(), empty);
    }
    record.insert("attributes".into(), Value::Object(Map::new()));
    record
}

/// Rules and invariants for one record of a batch, changed at `now`; errors are prefixed with
/// the record's position when the batch holds more than one.
fn prepare_one(
    book: &StageBook,
    kind: ObjectKind,
    previous: Option<&Record>,
    next: &mut Record,
    position: Option<usize>,
    now: &str,
) -> Result<(), StoreError> {
    let checked = (|| {
        if kind == ObjectKind::Pipeline {
            links::prepare_stages(previous, next)?;
        }
        rules::apply(book, kind, previous, next, now)?;
        check_invariants(kind, next)
    })();
    checked.map_err(|mut errors| {
        if let Some(index) = position {
            for error in &mut errors.0 {
                error.field = format!("records[{index}].{}", error.field);
            }
        }
        StoreError::Invalid(errors)
    })
}

async fn stage_book(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
) -> Result<StageBook, StoreError> {
    if kind == ObjectKind::Deal {
        StageBook::load(conn, workspace).await
    } else {
        Ok(StageBook::default())
    }
}

impl Db {
    /// A live record; soft-deleted and other workspaces' records are not found.
    pub async fn get_record(
        &self,
        workspace: WorkspaceId,
        kind: ObjectKind,
        id: &str,
    ) -> Result<Record, StoreError> {
        let mut conn = self.reader().acquire().await?;
        fetch(&mut conn, &workspace.to_string(), kind, id, false, "")
            .await?
            .ok_or(StoreError::NotFound(kind.name()))
    }

    /// Applies a partial update. With `if_match`, a record at another version is left untouched.
    pub async fn update_record(
        &self,
        ctx: &WriteContext,
        id: &str,
        input: RecordInput,
        if_match: Option<i64>,
    ) -> Result<Written, StoreError> {
        let kind = input.kind;
        let mut tx = self.writer().begin().await?;
        let lock = self.dialect().lock_for_update;
        let update = match update_without_event(&mut tx, ctx, id, &input, if_match, lock).await? {
            Updated::Changed(update) => update,
            Updated::Unchanged(record) => {
                return Ok(Written {
                    record,
                    event: None,
                })
            }
        };
        let event = events::append(
            &mut tx,
            ctx,
            kind.name(),
            id,
            "updated",
            update.draft.changes,
        )
        .await?;
        tx.commit().await?;
        Ok(Written {
            record: update.next,
            event: Some(event),
        })
    }

    /// Soft-deletes a record: it leaves reads and lists but can be restored.
    pub async fn delete_record(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        id: &str,
        if_match: Option<i64>,
    ) -> Result<Written, StoreError> {
        self.set_deleted(ctx, kind, id, if_match, true).await
    }

    /// Brings a soft-deleted record back.
    pub async fn restore_record(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        id: &str,
    ) -> Result<Written, StoreError> {
        self.set_deleted(ctx, kind, id, None, false).await
    }

    async fn set_deleted(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        id: &str,
        if_match: Option<i64>,
        delete: bool,
    ) -> Result<Written, StoreError> {
        let mut tx = self.writer().begin().await?;
        let lock = self.dialect().lock_for_update;
        let (record, draft) =
            set_deleted_without_event(&mut tx, ctx, kind, id, if_match, delete, lock).await?;
        let event =
            events::append(&mut tx, ctx, draft.entity, id, draft.action, draft.changes).await?;
        tx.commit().await?;
        Ok(Written {
            record,
            event: Some(event),
        })
    }
}

/// Soft-deletes (or restores) a record inside the caller's transaction and returns it with the
/// event to log.
pub(crate) async fn set_deleted_without_event(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    kind: ObjectKind,
    id: &str,
    if_match: Option<i64>,
    delete: bool,
    lock: &str,
) -> Result<(Record, events::Draft), StoreError> {
    let workspace = ctx.workspace.to_string();
    let mut record = fetch(&mut *conn, &workspace, kind, id, !delete, lock)
        .await?
        .ok_or(StoreError::NotFound(kind.name()))?;
    let version = record["version"].as_i64().unwrap_or_default();
    check_version(version, if_match)?;
    if delete && kind == ObjectKind::Pipeline {
        let deals: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deals WHERE workspace_id = $1 AND pipeline_id = $2 AND deleted_at IS NULL",
        )
        .bind(&workspace)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        if deals > 0 {
            return Err(StoreError::Conflict(format!(
                "the pipeline still holds {deals} deals; move or delete them first"
            )));
        }
    }
    // A live deal always sits in a live pipeline: one deleted after the deal was must come
    // back first.
    if !delete && kind == ObjectKind::Deal {
        let pipeline = record["pipeline_id"].as_str().unwrap_or_default();
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pipelines WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(&workspace)
        .bind(pipeline)
        .fetch_one(&mut *conn)
        .await?;
        if live == 0 {
            return Err(StoreError::Conflict(
                "the deal's pipeline has been deleted; restore the pipeline first".into(),
            ));
        }
    }
    let now = ctx.now();
    let deleted_at = if delete {
        Value::String(now.clone())
    } else {
        Value::Null
    };
    sqlx::query(&format!(
        "UPDATE {} SET deleted_at = $3, version = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        kind.plural()
    ))
    .bind(&workspace)
    .bind(id)
    .bind(deleted_at.as_str().map(str::to_string))
    .bind(version + 1)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    let changes = json!({"deleted_at": {"old": record["deleted_at"], "new": deleted_at}});
    let action = if delete { "deleted" } else { "restored" };
    record.insert("deleted_at".into(), deleted_at);
    record.insert("version".into(), Value::from(version + 1));
    record.insert("updated_at".into(), Value::String(now));
    let draft = events::Draft {
        entity: kind.name(),
        entity_id: id.to_string(),
        action,
        changes,
    };
    Ok((record, draft))
}

/// A record read earlier must still be at the version the caller expects.
pub(crate) fn check_version_of(record: &Record, if_match: Option<i64>) -> Result<(), StoreError> {
    check_version(record["version"].as_i64().unwrap_or_default(), if_match)
}

fn check_version(current: i64, if_match: Option<i64>) -> Result<(), StoreError> {
    match if_match {
        Some(expected) if expected != current => Err(StoreError::VersionMismatch { current }),
        _ => Ok(()),
    }
}

/// What [`update_without_event`] did: nothing (the record as it is), or a change.
pub(crate) enum Updated {
    Unchanged(Record),
    Changed(Update),
}

/// A record changed by [`update_without_event`]: as it was, as it is now, and the event to log.
pub(crate) struct Update {
    pub previous: Record,
    pub next: Record,
    pub draft: events::Draft,
}

/// Applies a partial update inside the caller's transaction and returns the event to append,
/// so a caller writing many records can append events last.
pub(crate) async fn update_without_event(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    id: &str,
    input: &RecordInput,
    if_match: Option<i64>,
    lock: &str,
) -> Result<Updated, StoreError> {
    let kind = input.kind;
    let workspace = ctx.workspace.to_string();
    let previous = fetch(conn, &workspace, kind, id, false, lock)
        .await?
        .ok_or(StoreError::NotFound(kind.name()))?;
    let version = previous["version"].as_i64().unwrap_or_default();
    check_version(version, if_match)?;
    let mut next = merge(&previous, input);
    let book = stage_book(conn, &workspace, kind).await?;
    let now = ctx.now();
    prepare_one(&book, kind, Some(&previous), &mut next, None, &now)?;
    rules::check_references(conn, &workspace, kind, &[(Some(&previous), &next)]).await?;
    let changes = diff(kind, &previous, &next);
    if changes.is_empty() {
        return Ok(Updated::Unchanged(previous));
    }
    next.insert("version".into(), Value::from(version + 1));
    next.insert("updated_at".into(), Value::String(now));
    let changed_columns: Vec<_> = kind
        .columns()
        .filter(|f| changes.contains_key(f.name))
        .collect();
    let mut statement = format!(
        "UPDATE {} SET version = $3, updated_at = $4, attributes = $5",
        kind.plural()
    );
    for (i, field) in changed_columns.iter().enumerate() {
        statement.push_str(&format!(", {} = ${}", field.name, i + 7));
    }
    let reindex = search::Reindex::of(kind, &previous, &next);
    let search_text = reindex.changed_text();
    if search_text.is_some() {
        statement.push_str(&format!(", search_text = ${}", changed_columns.len() + 7));
    }
    statement.push_str(" WHERE workspace_id = $1 AND id = $2 AND version = $6");
    let mut query = sqlx::query(&statement)
        .bind(&workspace)
        .bind(id)
        .bind(version + 1)
        .bind(next["updated_at"].as_str().unwrap_or_default().to_string())
        .bind(sql::attributes_text(&next)?)
        .bind(version);
    for field in &changed_columns {
        query = sql::bind_json(query, sql::sql_kind(field.ty), &next[field.name]);
    }
    if let Some(text) = search_text {
        query = query.bind(text.map(str::to_string));
    }
    if query.execute(&mut *conn).await?.rows_affected() != 1 {
        return Err(StoreError::VersionMismatch { current: version });
    }
    links::save(conn, &workspace, kind, &[(Some(&previous), &next)]).await?;
    reindex.apply(conn, &workspace, kind, id).await?;
    let draft = events::Draft {
        entity: kind.name(),
        entity_id: id.to_string(),
        action: "updated",
        changes: Value::Object(changes),
    };
    Ok(Updated::Changed(Update {
        previous,
        next,
        draft,
    }))
}
