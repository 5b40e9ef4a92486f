//! Likely duplicates among the contacts or accounts a workspace already holds: every live record
//! is profiled (a contact with its account's name as its company), the duplicate engine's
//! blocking index proposes and scores pairs, and pairs above the asked confidence are grouped.
//! Each group carries its pairs with the evidence per field, so a person can see why.

use crate::dialect::{json_list, Dialect};
use crate::error::StoreError;
use crate::records::sql::{decode_record, select_list};
use crate::records::{links, Record};
use crate::Db;
use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use velocity_domain::{ObjectKind, WorkspaceId};
use velocity_import::dedupe::{groups, profile_of, Index, Profile};

/// Records that are probably one person or organisation.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateGroup {
    /// The strongest pair's confidence (0 to 1).
    pub confidence: f64,
    pub records: Vec<Record>,
    pub pairs: Vec<DuplicatePair>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DuplicatePair {
    pub a: String,
    pub b: String,
    pub confidence: f64,
    /// Per field: how the two agree and how much that weighs (bits; negative is against).
    pub evidence: Vec<Value>,
}

/// The objects whose duplicates can be listed and merged.
pub const DEDUPLICATED: [ObjectKind; 2] = [ObjectKind::Contact, ObjectKind::Account];

impl Db {
    /// Groups of likely duplicates with at least `min_confidence`, strongest first.
    pub async fn duplicate_groups(
        &self,
        workspace: WorkspaceId,
        kind: ObjectKind,
        min_confidence: f64,
        limit: usize,
    ) -> Result<Vec<DuplicateGroup>, StoreError> {
        let workspace = workspace.to_string();
        let mut conn = self.reader().acquire().await?;
        let (ids, profiles) = profiles(&mut conn, &workspace, kind).await?;
        drop(conn);
        let found = tokio::task::spawn_blocking(move || {
            let index = Index::new(profiles);
            let pairs: Vec<_> = index
                .scored_pairs()
                .into_iter()
                .filter(|p| p.confidence >= min_confidence)
                .collect();
            let mut found: Vec<Found> = groups(&pairs, min_confidence)
                .into_iter()
                .filter(|members| members.len() > 1)
                .map(|members| {
                    let inside: Vec<DuplicatePair> = pairs
                        .iter()
                        .filter(|p| members.contains(&p.a) && members.contains(&p.b))
                        .map(|p| DuplicatePair {
                            a: ids[p.a].clone(),
                            b: ids[p.b].clone(),
                            confidence: p.confidence,
                            evidence: evidence(&index, p.a, p.b),
                        })
                        .collect();
                    Found {
                        confidence: inside.iter().map(|p| p.confidence).fold(0.0, f64::max),
                        members,
                        pairs: inside,
                    }
                })
                .collect();
            found.sort_by(|x, y| y.confidence.total_cmp(&x.confidence));
            found.truncate(limit);
            (found, ids)
        })
        .await
        .map_err(|e| StoreError::Io(e.to_string()))?;
        let (found, ids) = found;
        // Only the records of the groups shown are read in full.
        let shown: Vec<&str> = found
            .iter()
            .flat_map(|f| f.members.iter().map(|&m| ids[m].as_str()))
            .collect();
        let mut conn = self.reader().acquire().await?;
        let mut records = records_by_id(&mut conn, &workspace, kind, &shown).await?;
        Ok(found
            .into_iter()
            .map(|found| DuplicateGroup {
                confidence: found.confidence,
                records: found
                    .members
                    .iter()
                    .filter_map(|&m| records.remove(&ids[m]))
                    .collect(),
                pairs: found.pairs,
            })
            .collect())
    }
}

/// A group as the engine found it, by position in the loaded records.
struct Found {
    confidence: f64,
    members: Vec<usize>,
    pairs: Vec<DuplicatePair>,
}

fn evidence(index: &Index, a: usize, b: usize) -> Vec<Value> {
    index
        .explain(a, b)
        .into_iter()
        .map(|e| {
            json!({
                "field": format!("{:?}", e.field).to_lowercase(),
                "agreement": format!("{:?}", e.level).to_lowercase(),
                "bits": (e.bits * 100.0).round() / 100.0,
            })
        })
        .collect()
}

/// A stored record's profile; a contact's account name counts as its company.
fn profile(kind: ObjectKind, record: &Record, companies: &HashMap<String, String>) -> Profile {
    let mut attributes = record["attributes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(company) = record
        .get("account_id")
        .and_then(Value::as_str)
        .and_then(|id| companies.get(id))
    {
        attributes.insert("company".into(), json!(company));
    }
    let values: Map<String, Value> = record
        .iter()
        .filter(|(key, _)| kind.field(key).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    profile_of(kind, &values, &attributes)
}

/// The id and profile of every live record of `kind`, oldest first. Rows are streamed and
/// profiled one at a time: a workspace's full records would take several times the memory of
/// their profiles (200,000 contacts: over a gigabyte held at once).
pub(crate) async fn profiles(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
) -> Result<(Vec<String>, Vec<Profile>), StoreError> {
    let companies = if kind == ObjectKind::Contact {
        account_names(conn, workspace).await?
    } else {
        HashMap::new()
    };
    let statement = format!(
        "SELECT {} FROM {} WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
        select_list(kind, kind.plural(), Dialect::of_connection(conn)),
        kind.plural()
    );
    let mut rows = sqlx::query(&statement).bind(workspace).fetch(&mut *conn);
    let (mut ids, mut profiles) = (Vec::new(), Vec::new());
    while let Some(row) = rows.try_next().await? {
        let record = decode_record(kind, &row)?;
        ids.push(record["id"].as_str().unwrap_or_default().to_owned());
        profiles.push(profile(kind, &record, &companies));
    }
    Ok((ids, profiles))
}

/// The live records with these ids, with their links, read in batches.
async fn records_by_id(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    ids: &[&str],
) -> Result<HashMap<String, Record>, StoreError> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let dialect = Dialect::of_connection(conn);
        let statement = format!(
            "SELECT {} FROM {} WHERE workspace_id = $1 AND deleted_at IS NULL AND {}",
            select_list(kind, kind.plural(), dialect),
            kind.plural(),
            dialect.is_in_json("id", "$2")
        );
        let query = sqlx::query(&statement)
            .bind(workspace)
            .bind(json_list(chunk));
        let mut records = query
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| decode_record(kind, row))
            .collect::<Result<Vec<Record>, StoreError>>()?;
        links::load(conn, workspace, kind, &mut records).await?;
        for record in records {
            let id = record["id"].as_str().unwrap_or_default().to_owned();
            found.insert(id, record);
        }
    }
    Ok(found)
}

async fn account_names(
    conn: &mut AnyConnection,
    workspace: &str,
) -> Result<HashMap<String, String>, StoreError> {
    let rows =
        sqlx::query("SELECT id, name FROM accounts WHERE workspace_id = $1 AND deleted_at IS NULL")
            .bind(workspace)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
        .collect()
}
