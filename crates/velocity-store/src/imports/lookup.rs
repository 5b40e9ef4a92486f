//! Finding the records a file's references name (an account by id, external id, domain or
//! name, …): one read per referenced object at the start of a commit or preview builds an index
//! in memory, so a million rows cost a million hash lookups, not a million queries. The rows'
//! own matches are found by [`super::matching`].

use crate::error::StoreError;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use velocity_domain::ObjectKind;
use velocity_import::mapping::EXTERNAL_ID_ATTRIBUTE;

/// A record's keys by kind of key (`email`, `name`, …) and folded value.
#[derive(Default)]
pub(crate) struct Lookup {
    keys: HashMap<(&'static str, String), String>,
}

/// The keys each object can be found by, and the column (or attribute) each is read from.
fn key_columns(kind: ObjectKind) -> &'static [&'static str] {
    match kind {
        ObjectKind::Contact => &["email", "phone", "first_name", "last_name"],
        ObjectKind::Account => &["domain", "name"],
        ObjectKind::Product => &["sku", "name"],
        ObjectKind::Deal | ObjectKind::Pipeline => &["name"],
        ObjectKind::Activity | ObjectKind::Task => &[],
    }
}

pub(crate) fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Lookup {
    pub(crate) async fn load(
        conn: &mut AnyConnection,
        workspace: &str,
        kind: ObjectKind,
    ) -> Result<Lookup, StoreError> {
        let columns = key_columns(kind);
        let mut select = vec!["id", "attributes"];
        select.extend_from_slice(columns);
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {} WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
            select.join(", "),
            kind.plural()
        ))
        .bind(workspace)
        .fetch_all(&mut *conn)
        .await?;
        let mut lookup = Lookup::default();
        for row in rows {
            let id: String = row.try_get("id")?;
            let mut values: HashMap<&'static str, String> = HashMap::new();
            for column in columns {
                if let Some(value) = row.try_get::<Option<String>, _>(*column)? {
                    values.insert(column, value);
                }
            }
            let attributes: String = row.try_get("attributes")?;
            if attributes.contains(EXTERNAL_ID_ATTRIBUTE) {
                if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&attributes) {
                    if let Some(external) = map.get(EXTERNAL_ID_ATTRIBUTE).and_then(|v| v.as_str())
                    {
                        values.insert("external_id", external.to_string());
                    }
                }
            }
            lookup.add(kind, &id, |key| values.get(key).cloned());
        }
        Ok(lookup)
    }

    /// Indexes one record under every key it has; the first record to claim a key keeps it.
    fn add(&mut self, kind: ObjectKind, id: &str, value: impl Fn(&str) -> Option<String>) {
        self.keys
            .entry(("id", id.to_lowercase()))
            .or_insert_with(|| id.to_string());
        let mut claim = |key: &'static str, text: Option<String>| {
            if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
                self.keys
                    .entry((key, fold(&text)))
                    .or_insert_with(|| id.to_string());
            }
        };
        claim("external_id", value("external_id"));
        for column in key_columns(kind) {
            if !matches!(*column, "first_name" | "last_name") {
                claim(column, value(column));
            }
        }
        if kind == ObjectKind::Contact {
            let full = [value("first_name"), value("last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            claim("name", Some(full));
        }
    }

    /// The record a key names.
    pub(crate) fn find(&self, key: &'static str, text: &str) -> Option<&String> {
        self.keys.get(&(key, fold(text)))
    }

    /// The record any of its keys names, trying the strongest first: how references in a file
    /// (an account by name, domain, external id or id) are resolved.
    pub(crate) fn find_any(&self, text: &str) -> Option<&String> {
        let domain = velocity_domain::values::parse_domain(text).ok();
        ["id", "external_id", "email", "sku", "name"]
            .into_iter()
            .find_map(|key| self.find(key, text))
            .or_else(|| domain.and_then(|d| self.find("domain", &d)))
    }
}

/// The workspace's active members: (id, name, email).
pub(crate) async fn members(
    conn: &mut AnyConnection,
    workspace: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.name, u.email FROM users u JOIN memberships m ON m.user_id = u.id \
         WHERE m.workspace_id = $1 AND m.removed_at IS NULL ORDER BY m.created_at, u.id",
    )
    .bind(workspace)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("name")?,
                row.try_get("email")?,
            ))
        })
        .collect()
}

/// A pipeline's stages: (id, name, kind, probability) in order.
pub(crate) async fn stages(
    conn: &mut AnyConnection,
    workspace: &str,
    pipeline: &str,
) -> Result<Vec<super::choices::Stage>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, kind, probability FROM pipeline_stages \
         WHERE workspace_id = $1 AND pipeline_id = $2 ORDER BY position",
    )
    .bind(workspace)
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("name")?,
                row.try_get("kind")?,
                row.try_get::<f64, _>("probability")?,
            ))
        })
        .collect()
}

/// The pipeline deals go to when a file names none: the oldest live one.
pub(crate) async fn default_pipeline(
    conn: &mut AnyConnection,
    workspace: &str,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM pipelines WHERE workspace_id = $1 AND deleted_at IS NULL \
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(workspace)
    .fetch_optional(&mut *conn)
    .await?)
}
