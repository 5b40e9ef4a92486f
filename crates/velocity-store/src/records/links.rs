//! Values that live outside an object's own table: a deal's contacts and products (link
//! tables) and a pipeline's stages (their own table, referenced by deals).

use super::Change;
use crate::bulk::{insert_rows, text};
use crate::dialect::{json_list, Dialect};
use crate::error::StoreError;
use serde_json::{json, Map, Value};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use velocity_domain::{new_id, ObjectKind, ValidationErrors};

/// The link tables of a deal: (record field, table, column naming the linked record).
pub(crate) const DEAL_LINKS: [(&str, &str, &str); 2] = [
    ("contact_ids", "deal_contacts", "contact_id"),
    ("product_ids", "deal_products", "product_id"),
];

/// Gives new stages their ids and checks that the ids sent belong to this pipeline, so the
/// stored record and its event show the final ids.
pub(crate) fn prepare_stages(
    previous: Option<&Map<String, Value>>,
    next: &mut Map<String, Value>,
) -> Result<(), ValidationErrors> {
    let known = stage_ids(previous);
    let Some(Value::Array(stages)) = next.get_mut("stages") else {
        return Ok(());
    };
    for (index, stage) in stages.iter_mut().enumerate() {
        match stage.get("id").and_then(Value::as_str) {
            Some(id) if !known.iter().any(|k| k == id) => {
                return Err(ValidationErrors::single(
                    "stages",
                    format!(
                        "stage {}: id {id} is not a stage of this pipeline",
                        index + 1
                    ),
                ))
            }
            Some(_) => {}
            None => stage["id"] = Value::String(new_id().to_string()),
        }
    }
    Ok(())
}

fn stage_ids(record: Option<&Map<String, Value>>) -> Vec<String> {
    record
        .and_then(|r| r.get("stages"))
        .and_then(Value::as_array)
        .map(|stages| {
            stages
                .iter()
                .filter_map(|s| s.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the out-of-table values that changed, for a batch of `(previous, next)` pairs.
pub(crate) async fn save(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    batch: &[Change<'_>],
) -> Result<(), StoreError> {
    let changed = |previous: Option<&Map<String, Value>>, next: &Map<String, Value>, name: &str| {
        previous.is_none_or(|p| p.get(name) != next.get(name))
    };
    let id_of = |record: &Map<String, Value>| {
        record
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match kind {
        ObjectKind::Deal => {
            for (field, table, column) in DEAL_LINKS {
                let mut rows = Vec::new();
                for (previous, next) in batch {
                    if !changed(*previous, next, field) {
                        continue;
                    }
                    let id = id_of(next);
                    if previous.is_some() {
                        sqlx::query(&format!(
                            "DELETE FROM {table} WHERE workspace_id = $1 AND deal_id = $2"
                        ))
                        .bind(workspace)
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                    }
                    for target in next
                        .get(field)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        rows.push(vec![text(workspace), text(id.as_str()), text(target)]);
                    }
                }
                insert_rows(conn, table, &["workspace_id", "deal_id", column], &rows).await?;
            }
        }
        ObjectKind::Pipeline => {
            for (previous, next) in batch {
                if changed(*previous, next, "stages") {
                    save_stages(conn, workspace, &id_of(next), *previous, next).await?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

async fn save_stages(
    conn: &mut AnyConnection,
    workspace: &str,
    pipeline_id: &str,
    previous: Option<&Map<String, Value>>,
    next: &Map<String, Value>,
) -> Result<(), StoreError> {
    let old_stages = previous
        .and_then(|p| p.get("stages"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let new_stages = next
        .get("stages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let find = |stages: &[Value], id: &str| stages.iter().find(|s| s["id"] == id).cloned();
    let mut errors = ValidationErrors::default();
    for old in &old_stages {
        let id = old["id"].as_str().unwrap_or_default();
        let kind_changed = find(&new_stages, id).is_none_or(|new| new["kind"] != old["kind"]);
        if kind_changed && deals_in_stage(conn, workspace, id).await? > 0 {
            errors.push(
                "stages",
                format!("stage `{}` still holds deals; move them before removing it or changing its kind",
                    old["name"].as_str().unwrap_or_default()),
            );
        }
    }
    errors.into_result(()).map_err(StoreError::Invalid)?;
    for old in &old_stages {
        let id = old["id"].as_str().unwrap_or_default();
        if find(&new_stages, id).is_none() {
            sqlx::query("DELETE FROM pipeline_stages WHERE workspace_id = $1 AND id = $2")
                .bind(workspace)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    for stage in &new_stages {
        let id = stage["id"].as_str().unwrap_or_default();
        let sql = if find(&old_stages, id).is_some() {
            "UPDATE pipeline_stages SET name = $4, probability = $5, kind = $6, position = $7 \
             WHERE workspace_id = $1 AND id = $2 AND pipeline_id = $3"
        } else {
            "INSERT INTO pipeline_stages (workspace_id, id, pipeline_id, name, probability, kind, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        };
        sqlx::query(sql)
            .bind(workspace)
            .bind(id)
            .bind(pipeline_id)
            .bind(stage["name"].as_str().unwrap_or_default().to_string())
            .bind(stage["probability"].as_f64().unwrap_or_default())
            .bind(stage["kind"].as_str().unwrap_or("open").to_string())
            .bind(stage["position"].as_i64().unwrap_or_default())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn deals_in_stage(
    conn: &mut AnyConnection,
    workspace: &str,
    stage: &str,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM deals WHERE workspace_id = $1 AND stage_id = $2")
            .bind(workspace)
            .bind(stage)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Fills in the stages of freshly read pipelines, with one query however many there are. (A
/// deal's links come with its row: see `sql::select_list`.)
pub(crate) async fn load(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    records: &mut [Map<String, Value>],
) -> Result<(), StoreError> {
    if kind != ObjectKind::Pipeline || records.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = records
        .iter()
        .map(|r| {
            r.get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let sql = format!(
        "SELECT pipeline_id, id, name, probability, kind, position FROM pipeline_stages \
         WHERE workspace_id = $1 AND {} ORDER BY position, id",
        Dialect::of_connection(conn).is_in_json("pipeline_id", "$2")
    );
    for record in records.iter_mut() {
        record.insert("stages".into(), Value::Array(Vec::new()));
    }
    let query = sqlx::query(&sql).bind(workspace).bind(json_list(&ids));
    let position: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    for row in query.fetch_all(&mut *conn).await? {
        let pipeline: String = row.try_get("pipeline_id")?;
        let stage = json!({
            "id": row.try_get::<String, _>("id")?,
            "name": row.try_get::<String, _>("name")?,
            "probability": row.try_get::<f64, _>("probability")?,
            "kind": row.try_get::<String, _>("kind")?,
            "position": row.try_get::<i64, _>("position")?,
        });
        if let Some(Value::Array(stages)) = position
            .get(pipeline.as_str())
            .and_then(|&i| records[i].get_mut("stages"))
        {
            stages.push(stage);
        }
    }
    Ok(())
}
