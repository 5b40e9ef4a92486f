//! Mapping between record JSON and table columns: which SQL type each field is stored as, how a
//! value is bound, and how a row becomes JSON again. Every record table shares the same
//! system columns, so the statements are derived from the schema rather than written per object.

use crate::error::StoreError;
use serde_json::{Map, Number, Value};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use super::links::DEAL_LINKS;
use crate::bulk::Cell;
use crate::dialect::Dialect;
use velocity_domain::schema::FieldType;
use velocity_domain::{Field, ObjectKind};

pub(crate) type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// How a value is represented in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqlKind {
    Text,
    Int,
    Float,
}

pub(crate) fn sql_kind(ty: FieldType) -> SqlKind {
    match ty {
        FieldType::Integer { .. } => SqlKind::Int,
        FieldType::Decimal { .. } | FieldType::Probability => SqlKind::Float,
        _ => SqlKind::Text,
    }
}

/// The SQL kind of a sortable or filterable name, including the system timestamps.
pub(crate) fn sql_kind_of(kind: ObjectKind, name: &str) -> SqlKind {
    kind.field(name).map_or(SqlKind::Text, |f| sql_kind(f.ty))
}

/// Binds a JSON value as the given SQL kind; NULL is bound with the column's type so that
/// PostgreSQL accepts it.
pub(crate) fn bind_json<'q>(query: AnyQuery<'q>, kind: SqlKind, value: &Value) -> AnyQuery<'q> {
    match kind {
        SqlKind::Text => query.bind(value.as_str().map(str::to_string)),
        SqlKind::Int => query.bind(value.as_i64()),
        SqlKind::Float => match value.as_f64() {
            Some(number) => query.bind(number),
            // sqlx 0.8's Any driver swaps the types of NULL `f32` and `f64` when converting
            // arguments for PostgreSQL: a NULL `f64` is declared `float4`, and the cached
            // statement then rejects the next non-NULL `float8`. A NULL `f32` comes out as the
            // `float8` the column is. (SQLite ignores the declared type of a NULL.)
            None => query.bind(None::<f32>),
        },
    }
}

/// `t.id, t.version, …, t.col1, t.col2` for the record table of `kind` read as `table` (its
/// name or an alias), and a deal's linked contact and product ids as JSON arrays: one query
/// reads whole deals, where a second for their links doubled the round trips of a read.
pub(crate) fn select_list(kind: ObjectKind, table: &str, dialect: Dialect) -> String {
    let mut list = insert_columns(kind)
        .into_iter()
        .filter(|column| !matches!(*column, "workspace_id" | "search_text"))
        .map(|column| format!("{table}.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    if kind == ObjectKind::Deal {
        for (field, link_table, column) in DEAL_LINKS {
            let links = format!(
                "{link_table} l WHERE l.workspace_id = {table}.workspace_id AND l.deal_id = {table}.id"
            );
            list.push_str(&format!(
                ", {} AS {field}",
                dialect.sorted_json_array(&format!("l.{column}"), &links)
            ));
        }
    }
    list
}

/// Decodes a row selected with [`select_list`] into record JSON.
pub(crate) fn decode_record(
    kind: ObjectKind,
    row: &AnyRow,
) -> Result<Map<String, Value>, StoreError> {
    let mut record = Map::new();
    record.insert("id".into(), Value::String(row.try_get("id")?));
    for field in kind.columns() {
        record.insert(field.name.into(), decode_column(row, field)?);
    }
    let attributes: String = row.try_get("attributes")?;
    record.insert(
        "attributes".into(),
        serde_json::from_str(&attributes).map_err(StoreError::corrupt)?,
    );
    record.insert(
        "version".into(),
        Value::from(row.try_get::<i64, _>("version")?),
    );
    record.insert(
        "created_at".into(),
        Value::String(row.try_get("created_at")?),
    );
    record.insert(
        "updated_at".into(),
        Value::String(row.try_get("updated_at")?),
    );
    if kind == ObjectKind::Deal {
        for (field, _, _) in DEAL_LINKS {
            let ids: String = row.try_get(field)?;
            record.insert(
                field.into(),
                serde_json::from_str(&ids).map_err(StoreError::corrupt)?,
            );
        }
    }
    let deleted: Option<String> = row.try_get("deleted_at")?;
    record.insert(
        "deleted_at".into(),
        deleted.map_or(Value::Null, Value::String),
    );
    Ok(record)
}

fn decode_column(row: &AnyRow, field: &Field) -> Result<Value, StoreError> {
    Ok(match sql_kind(field.ty) {
        SqlKind::Text => row
            .try_get::<Option<String>, _>(field.name)?
            .map_or(Value::Null, Value::String),
        SqlKind::Int => row
            .try_get::<Option<i64>, _>(field.name)?
            .map_or(Value::Null, Value::from),
        SqlKind::Float => row
            .try_get::<Option<f64>, _>(field.name)?
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
    })
}

/// The columns of `kind`'s table, system columns first.
pub(crate) fn insert_columns(kind: ObjectKind) -> Vec<&'static str> {
    let mut columns = vec![
        "workspace_id",
        "id",
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "attributes",
    ];
    columns.extend(kind.columns().map(|f| f.name));
    columns.push("search_text");
    columns
}

/// One row for [`insert_columns`], with the record's [`crate::search::search_text`].
pub(crate) fn insert_row(
    kind: ObjectKind,
    workspace: &str,
    record: &Map<String, Value>,
    search_text: Option<String>,
) -> Result<Vec<Cell>, StoreError> {
    let text = |name: &str| {
        (
            SqlKind::Text,
            record.get(name).cloned().unwrap_or(Value::Null),
        )
    };
    let mut row = vec![
        (SqlKind::Text, Value::String(workspace.to_string())),
        text("id"),
        (
            SqlKind::Int,
            record.get("version").cloned().unwrap_or(Value::from(1)),
        ),
        text("created_at"),
        text("updated_at"),
        text("deleted_at"),
        (SqlKind::Text, Value::String(attributes_text(record)?)),
    ];
    for field in kind.columns() {
        row.push((
            sql_kind(field.ty),
            record.get(field.name).cloned().unwrap_or(Value::Null),
        ));
    }
    row.push((
        SqlKind::Text,
        search_text.map_or(Value::Null, Value::String),
    ));
    Ok(row)
}

/// The attributes object serialised for storage.
pub(crate) fn attributes_text(record: &Map<String, Value>) -> Result<String, StoreError> {
    match record.get("attributes") {
        Some(value @ Value::Object(_)) => Ok(value.to_string()),
        _ => Ok("{}".to_string()),
    }
}
