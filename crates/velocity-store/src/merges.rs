//! Merging duplicate contacts or accounts into a survivor, and undoing it.
//!
//! Field rules: the survivor keeps every value it has; an empty field takes the first value
//! the merged records hold, in the order they were named; attributes are united the same way;
//! emails and phones of the merged records that differ from the survivor's are kept in the
//! `merged_emails` / `merged_phones` attributes. Every record that pointed at a merged record
//! (a contact's account, a deal's contacts, activities, tasks) is moved to the survivor, and the
//! merged records are soft-deleted. All of it is one transaction and one entry in `merges`,
//! which is what undo reads: the survivor gets its earlier values back (unless edited since),
//! moved records that still point at the survivor move back, and the merged records return.

use crate::error::StoreError;
use crate::events::{self, Draft, WriteContext};
use crate::records::{
    fetch, links::DEAL_LINKS, set_deleted_without_event, update_without_event, Record, Updated,
};
use crate::Db;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::{AnyConnection, Row};
use velocity_domain::values::now_timestamp;
use velocity_domain::{new_id, parse_record, FieldType, Mode, ObjectKind};

/// The most records one merge takes in.
pub const MAX_MERGED: usize = 20;

/// A merge as stored, for the API.
#[derive(Debug, Clone, Serialize)]
pub struct Merge {
    pub id: String,
    pub object: String,
    pub survivor_id: String,
    pub merged_ids: Vec<String>,
    /// Related records moved to the survivor: `{"object","id","field","from"}`.
    pub moved: Vec<Value>,
    /// `merged` or `undone`.
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub undone_at: Option<String>,
}

/// What a merge or an undo did.
#[derive(Debug, Clone, Serialize)]
pub struct MergeResult {
    pub merge: Merge,
    /// The survivor as it is now.
    pub record: Record,
    /// Related records an undo left alone because they were edited since.
    pub conflicts: Vec<Value>,
}

/// The survivor's patch: its empty fields filled from the merged records, attributes united,
/// and the merged records' other emails and phones kept.
fn survivor_patch(kind: ObjectKind, survivor: &Record, merged: &[Record]) -> Map<String, Value> {
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    let mut patch = Map::new();
    for field in kind.fields() {
        if !empty(survivor.get(field.name)) {
            continue;
        }
        if let Some(value) = merged
            .iter()
            .map(|r| r.get(field.name))
            .find(|v| !empty(*v))
        {
            patch.insert(field.name.into(), value.cloned().unwrap_or(Value::Null));
        }
    }
    let mut attributes = Map::new();
    let own = survivor["attributes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for record in merged {
        for (key, value) in record["attributes"].as_object().into_iter().flatten() {
            if !own.contains_key(key) && !attributes.contains_key(key) {
                attributes.insert(key.clone(), value.clone());
            }
        }
    }
    for (field, key) in [("email", "merged_emails"), ("phone", "merged_phones")] {
        let mut kept: Vec<Value> = own
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let survivor_value = patch.get(field).or(survivor.get(field)).cloned();
        for value in merged
            .iter()
            .filter_map(|r| r.get(field))
            .filter(|v| !empty(Some(v)))
        {
            if Some(value) != survivor_value.as_ref() && !kept.contains(value) {
                kept.push(value.clone());
            }
        }
        if !kept.is_empty() && kind.field(field).is_some() {
            attributes.insert(key.into(), Value::Array(kept));
        }
    }
    if !attributes.is_empty() {
        patch.insert("attributes".into(), Value::Object(attributes));
    }
    patch
}

/// A field of another object that points at the merged kind; `link` names the link table and
/// its column for a list field (a deal's contacts).
struct Reference {
    object: ObjectKind,
    field: &'static str,
    link: Option<(&'static str, &'static str)>,
}

/// Fields of other objects that point at `kind`.
fn references_to(kind: ObjectKind) -> Vec<Reference> {
    let mut found = Vec::new();
    for other in ObjectKind::ALL {
        for field in other.fields() {
            match field.ty {
                FieldType::Ref(target) if target == kind => found.push(Reference {
                    object: other,
                    field: field.name,
                    link: None,
                }),
                FieldType::RefList(target) if target == kind => {
                    let link = DEAL_LINKS
                        .iter()
                        .find(|(name, _, _)| *name == field.name)
                        .map(|(_, table, column)| (*table, *column));
                    found.push(Reference {
                        object: other,
                        field: field.name,
                        link,
                    });
                }
                _ => {}
            }
        }
    }
    found
}

/// Ids of live `object` records whose `field` holds `id`.
async fn pointing_at(
    conn: &mut AnyConnection,
    workspace: &str,
    object: ObjectKind,
    field: &str,
    link: Option<(&str, &str)>,
    id: &str,
) -> Result<Vec<String>, StoreError> {
    let statement = match link {
        Some((table, column)) => format!(
            "SELECT l.deal_id AS id FROM {table} l JOIN deals d ON d.workspace_id = l.workspace_id \
             AND d.id = l.deal_id WHERE l.workspace_id = $1 AND l.{column} = $2 AND d.deleted_at IS NULL"
        ),
        None => format!(
            "SELECT id FROM {} WHERE workspace_id = $1 AND {field} = $2 AND deleted_at IS NULL",
            object.plural()
        ),
    };
    let rows = sqlx::query(&statement)
        .bind(workspace)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// A field's value with `from` replaced by `to` (a single reference, or one in a list).
fn repoint(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::Array(items) => {
            let mut ids: Vec<Value> = Vec::new();
            for item in items {
                let id = if item.as_str() == Some(from) {
                    json!(to)
                } else {
                    item.clone()
                };
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Value::Array(ids)
        }
        Value::String(s) if s == from => json!(to),
        other => other.clone(),
    }
}

/// Who writes and how rows are locked, for the patches of one merge or undo.
struct Scope<'a> {
    ctx: &'a WriteContext,
    lock: &'static str,
}

/// Applies a patch inside the transaction, collecting its event.
async fn patch(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
    kind: ObjectKind,
    id: &str,
    body: Map<String, Value>,
    if_match: Option<i64>,
    drafts: &mut Vec<Draft>,
) -> Result<Record, StoreError> {
    let input = parse_record(kind, &Value::Object(body), Mode::Patch)?;
    match update_without_event(conn, scope.ctx, id, &input, if_match, scope.lock).await? {
        Updated::Unchanged(record) => Ok(record),
        Updated::Changed(update) => {
            drafts.push(update.draft);
            Ok(update.next)
        }
    }
}

fn decode_merge(row: &sqlx::any::AnyRow) -> Result<Merge, StoreError> {
    let json = |column: &str| -> Result<Value, StoreError> {
        let text: String = row.try_get(column)?;
        serde_json::from_str(&text).map_err(StoreError::corrupt)
    };
    Ok(Merge {
        id: row.try_get("id")?,
        object: row.try_get("object")?,
        survivor_id: row.try_get("survivor_id")?,
        merged_ids: serde_json::from_value(json("merged_ids")?).map_err(StoreError::corrupt)?,
        moved: serde_json::from_value(json("moved")?).map_err(StoreError::corrupt)?,
        status: row.try_get("status")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        undone_at: row.try_get("undone_at")?,
    })
}

impl Db {
    /// Merges `others` into `survivor` (see the module header for the rules).
    pub async fn merge_records(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        survivor: &str,
        others: &[String],
        if_match: Option<i64>,
    ) -> Result<MergeResult, StoreError> {
        if others.is_empty() || others.len() > MAX_MERGED {
            return Err(StoreError::invalid(
                "other_ids",
                format!("name between 1 and {MAX_MERGED} records to merge"),
            ));
        }
        if others.iter().any(|o| o == survivor)
            || (1..others.len()).any(|i| others[..i].contains(&others[i]))
        {
            return Err(StoreError::invalid(
                "other_ids",
                "each record may be named once, and not the survivor itself",
            ));
        }
        let ws = ctx.workspace.to_string();
        let lock = self.dialect().lock_for_update;
        let scope = Scope { ctx, lock };
        let mut tx = self.writer().begin().await?;
        let before = fetch(&mut tx, &ws, kind, survivor, false, lock)
            .await?
            .ok_or(StoreError::NotFound(kind.name()))?;
        let mut merged = Vec::new();
        for id in others {
            merged.push(
                fetch(&mut tx, &ws, kind, id, false, lock)
                    .await?
                    .ok_or(StoreError::NotFound(kind.name()))?,
            );
        }
        let mut drafts = Vec::new();
        // Related records move first: the merged records must still be live while they do.
        let mut moved = Vec::new();
        for Reference {
            object,
            field,
            link,
        } in references_to(kind)
        {
            for from in others {
                for id in pointing_at(&mut tx, &ws, object, field, link, from).await? {
                    let record = fetch(&mut tx, &ws, object, &id, false, lock)
                        .await?
                        .ok_or(StoreError::NotFound(object.name()))?;
                    let value = repoint(&record[field], from, survivor);
                    let mut body = Map::new();
                    body.insert(field.into(), value);
                    patch(&mut tx, &scope, object, &id, body, None, &mut drafts).await?;
                    moved.push(
                        json!({"object": object.plural(), "id": id, "field": field, "from": from}),
                    );
                }
            }
        }
        let body = survivor_patch(kind, &before, &merged);
        let record = if body.is_empty() {
            crate::records::check_version_of(&before, if_match)?;
            before.clone()
        } else {
            patch(&mut tx, &scope, kind, survivor, body, if_match, &mut drafts).await?
        };
        for id in others {
            let (_, mut draft) =
                set_deleted_without_event(&mut tx, ctx, kind, id, None, true, lock).await?;
            draft.changes["merged_into"] = json!(survivor);
            drafts.push(draft);
        }
        let merge = Merge {
            id: new_id().to_string(),
            object: kind.plural().into(),
            survivor_id: survivor.into(),
            merged_ids: others.to_vec(),
            moved,
            status: "merged".into(),
            created_by: ctx.actor.id.clone().unwrap_or_default(),
            created_at: now_timestamp(),
            undone_at: None,
        };
        drafts.push(Draft {
            entity: kind.name(),
            entity_id: survivor.into(),
            action: "merged",
            changes: json!({"merge_id": merge.id, "merged_ids": others}),
        });
        sqlx::query(
            "INSERT INTO merges (workspace_id, id, object, survivor_id, merged_ids, survivor_before, \
             survivor_version, moved, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'merged', $9, $10)",
        )
        .bind(&ws)
        .bind(&merge.id)
        .bind(&merge.object)
        .bind(survivor)
        .bind(json!(others).to_string())
        .bind(Value::Object(before).to_string())
        .bind(record["version"].as_i64().unwrap_or_default())
        .bind(json!(merge.moved).to_string())
        .bind(&merge.created_by)
        .bind(&merge.created_at)
        .execute(&mut *tx)
        .await?;
        events::append_many(&mut tx, ctx, drafts).await?;
        tx.commit().await?;
        Ok(MergeResult {
            merge,
            record,
            conflicts: Vec::new(),
        })
    }

    pub async fn merge(
        &self,
        workspace: velocity_domain::WorkspaceId,
        id: &str,
    ) -> Result<Merge, StoreError> {
        let row = sqlx::query(
            "SELECT id, object, survivor_id, merged_ids, moved, status, created_by, created_at, undone_at \
             FROM merges WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound("merge"))?;
        decode_merge(&row)
    }

    /// Reverts a merge. A survivor edited since is a conflict (nothing is undone); a moved
    /// record that no longer points at the survivor is left alone and reported.
    pub async fn undo_merge(
        &self,
        ctx: &WriteContext,
        id: &str,
    ) -> Result<MergeResult, StoreError> {
        let ws = ctx.workspace.to_string();
        let lock = self.dialect().lock_for_update;
        let scope = Scope { ctx, lock };
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(
            "SELECT id, object, survivor_id, merged_ids, moved, status, created_by, created_at, undone_at, \
             survivor_before, survivor_version FROM merges WHERE workspace_id = $1 AND id = $2",
        )
        .bind(&ws)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("merge"))?;
        let mut merge = decode_merge(&row)?;
        if merge.status != "merged" {
            return Err(StoreError::Conflict(
                "the merge has already been undone".into(),
            ));
        }
        let kind = ObjectKind::from_plural(&merge.object)
            .ok_or_else(|| StoreError::corrupt(&merge.object))?;
        let before: Record = serde_json::from_str(&row.try_get::<String, _>("survivor_before")?)
            .map_err(StoreError::corrupt)?;
        let version: i64 = row.try_get("survivor_version")?;
        let current = fetch(&mut tx, &ws, kind, &merge.survivor_id, false, lock)
            .await?
            .ok_or(StoreError::Conflict(
                "the surviving record has been deleted since the merge; restore it first".into(),
            ))?;
        if current["version"].as_i64() != Some(version) {
            return Err(StoreError::Conflict(
                "the surviving record has been edited since the merge; undoing would overwrite those edits".into(),
            ));
        }
        let mut drafts = Vec::new();
        let mut body = Map::new();
        for field in kind.fields() {
            if current.get(field.name) != before.get(field.name) {
                body.insert(
                    field.name.into(),
                    before.get(field.name).cloned().unwrap_or(Value::Null),
                );
            }
        }
        if current.get("attributes") != before.get("attributes") {
            let mut attributes = before["attributes"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for key in current["attributes"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                attributes.entry(key.clone()).or_insert(Value::Null);
            }
            body.insert("attributes".into(), Value::Object(attributes));
        }
        let record = if body.is_empty() {
            current
        } else {
            patch(
                &mut tx,
                &scope,
                kind,
                &merge.survivor_id,
                body,
                Some(version),
                &mut drafts,
            )
            .await?
        };
        for merged in &merge.merged_ids {
            let (_, draft) =
                set_deleted_without_event(&mut tx, ctx, kind, merged, None, false, lock).await?;
            drafts.push(draft);
        }
        let mut conflicts = Vec::new();
        for moved in &merge.moved {
            let object = moved["object"].as_str().and_then(ObjectKind::from_plural);
            let (Some(object), Some(record_id), Some(field), Some(from)) = (
                object,
                moved["id"].as_str(),
                moved["field"].as_str(),
                moved["from"].as_str(),
            ) else {
                return Err(StoreError::corrupt("a moved record of the merge"));
            };
            let Some(related) = fetch(&mut tx, &ws, object, record_id, false, lock).await? else {
                conflicts.push(json!({"object": object.plural(), "id": record_id, "reason": "deleted since the merge"}));
                continue;
            };
            let value = &related[field];
            let points = value.as_str() == Some(merge.survivor_id.as_str())
                || value.as_array().is_some_and(|ids| {
                    ids.iter()
                        .any(|i| i.as_str() == Some(merge.survivor_id.as_str()))
                });
            if !points {
                conflicts.push(json!({"object": object.plural(), "id": record_id, "reason": "moved elsewhere since the merge"}));
                continue;
            }
            let mut body = Map::new();
            body.insert(field.into(), repoint(value, &merge.survivor_id, from));
            patch(&mut tx, &scope, object, record_id, body, None, &mut drafts).await?;
        }
        merge.status = "undone".into();
        merge.undone_at = Some(now_timestamp());
        sqlx::query("UPDATE merges SET status = 'undone', undone_at = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(&ws)
            .bind(id)
            .bind(&merge.undone_at)
            .execute(&mut *tx)
            .await?;
        drafts.push(Draft {
            entity: kind.name(),
            entity_id: merge.survivor_id.clone(),
            action: "unmerged",
            changes: json!({"merge_id": merge.id, "restored_ids": merge.merged_ids}),
        });
        events::append_many(&mut tx, ctx, drafts).await?;
        tx.commit().await?;
        Ok(MergeResult {
            merge,
            record,
            conflicts,
        })
    }
}
