//! Finding the existing record a row matches, by the plan's match keys, with memory that does not
//! grow with the file or the workspace where the keys allow it.
//!
//! Emails and domains are stored normalised (trimmed, lower case) and phones as the import writes
//! them (E.164), each in an indexed column: those are looked up in the database for a whole batch
//! of rows at a time. Records that earlier rows create or change but the writer has not written yet
//! are not there; the engine finds those among the keys it holds. Names, SKUs and external ids are
//! stored as typed and compared folded (whitespace collapsed, Unicode lower case), which no index
//! of both databases can serve; when the plan matches by one of them, the records are indexed in
//! memory, compactly: a 64-bit hash of (key, folded text) to the position of a 16-byte id. Two
//! different texts with the same hash would make the later one match the earlier one's record; the
//! odds are about n²/2⁶⁵, under one in a million for five million keys, and are accepted.

use super::lookup::fold;
use crate::dialect::{json_list, Dialect};
use crate::error::StoreError;
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use uuid::Uuid;
use velocity_domain::ObjectKind;
use velocity_import::mapping::EXTERNAL_ID_ATTRIBUTE;

/// The match keys an object is looked up by in the database: each is a column of its table,
/// stored normalised and indexed.
fn column_keys(kind: ObjectKind) -> &'static [&'static str] {
    match kind {
        ObjectKind::Contact => &["email", "phone"],
        ObjectKind::Account => &["domain"],
        _ => &[],
    }
}

/// The match keys an object is found by in memory.
fn memory_keys(kind: ObjectKind) -> &'static [&'static str] {
    match kind {
        ObjectKind::Contact => &["external_id", "name"],
        ObjectKind::Account | ObjectKind::Deal | ObjectKind::Pipeline => &["external_id", "name"],
        ObjectKind::Product => &["external_id", "sku", "name"],
        ObjectKind::Activity | ObjectKind::Task => &["external_id"],
    }
}

/// The hash a match key's text is remembered by: of (key, folded text).
pub(super) fn hash_of(key: &str, text: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (key, fold(text)).hash(&mut hasher);
    hasher.finish()
}

/// The records of one object a file's rows can match.
pub(crate) struct Matcher {
    kind: ObjectKind,
    /// The plan's keys looked up in the database.
    columns: Vec<&'static str>,
    /// The plan's keys held in memory.
    remembered: Vec<&'static str>,
    /// Hash of (key, folded text) → position in `ids` of the first record to claim it.
    index: HashMap<u64, u32>,
    ids: Vec<Uuid>,
}

/// The in-memory keys of a record: the hashes it would be indexed under.
pub(crate) struct Claims {
    id: Uuid,
    hashes: Vec<u64>,
}

/// The records a batch's keys name in the database: (key, folded text) → id.
pub(crate) type Found = HashMap<(&'static str, String), String>;

impl Matcher {
    /// Reads the records that the plan's in-memory keys need, oldest first (the first record
    /// to claim a key keeps it).
    pub(crate) async fn load(
        conn: &mut AnyConnection,
        workspace: &str,
        kind: ObjectKind,
        match_keys: &[String],
    ) -> Result<Matcher, StoreError> {
        let wanted = |keys: &[&'static str]| -> Vec<&'static str> {
            keys.iter()
                .copied()
                .filter(|k| match_keys.iter().any(|m| m == k))
                .collect()
        };
        let mut matcher = Matcher {
            kind,
            columns: wanted(column_keys(kind)),
            remembered: wanted(memory_keys(kind)),
            index: HashMap::new(),
            ids: Vec::new(),
        };
        if matcher.remembered.is_empty() {
            return Ok(matcher);
        }
        let name_columns = match kind {
            ObjectKind::Contact => "first_name, last_name",
            ObjectKind::Activity | ObjectKind::Task => "NULL AS name",
            _ => "name",
        };
        let sku = if kind == ObjectKind::Product {
            "sku"
        } else {
            "NULL AS sku"
        };
        let statement = format!(
            "SELECT id, attributes, {sku}, {name_columns} FROM {} \
             WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
            kind.plural()
        );
        // Streamed: all of a large workspace's rows at once took more memory than the import.
        let mut rows = sqlx::query(&statement).bind(workspace).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let text = |column: &str| row.try_get::<Option<String>, _>(column);
            let name = match kind {
                ObjectKind::Contact => Some(
                    [text("first_name")?, text("last_name")?]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                _ => text("name")?,
            };
            let sku = text("sku")?;
            let attributes: String = row.try_get("attributes")?;
            // Parsing every record's attributes would dominate; most have no external id.
            let external = if attributes.contains(EXTERNAL_ID_ATTRIBUTE) {
                serde_json::from_str::<serde_json::Value>(&attributes)
                    .ok()
                    .and_then(|a| a[EXTERNAL_ID_ATTRIBUTE].as_str().map(str::to_string))
            } else {
                None
            };
            let id: String = row.try_get("id")?;
            matcher.add(&id, |key| match key {
                "external_id" => external.clone(),
                "sku" => sku.clone(),
                _ => name.clone(),
            })?;
        }
        Ok(matcher)
    }

    /// Indexes a record under the in-memory keys it has.
    fn add(&mut self, id: &str, value: impl Fn(&str) -> Option<String>) -> Result<(), StoreError> {
        let claims = self.claims(id, value)?;
        self.claim(claims);
        Ok(())
    }

    /// The hashes a record would be indexed under.
    fn claims(
        &self,
        id: &str,
        value: impl Fn(&str) -> Option<String>,
    ) -> Result<Claims, StoreError> {
        let hashes = self
            .remembered
            .iter()
            .filter_map(|key| {
                let text = value(key).filter(|t| !t.trim().is_empty())?;
                Some(hash_of(key, &text))
            })
            .collect();
        let id = Uuid::parse_str(id).map_err(StoreError::corrupt)?;
        Ok(Claims { id, hashes })
    }

    /// Indexes a record under its claims that no earlier record holds.
    pub(crate) fn claim(&mut self, claims: Claims) {
        let position = self.ids.len() as u32;
        let mut claimed = false;
        for hash in claims.hashes {
            if let Entry::Vacant(entry) = self.index.entry(hash) {
                entry.insert(position);
                claimed = true;
            }
        }
        if claimed {
            self.ids.push(claims.id);
        }
    }

    /// What a record this import creates would claim in memory (nothing when the plan matches
    /// by no in-memory key), for [`Matcher::claim`] once the record is written.
    pub(crate) fn claims_of(&self, record: &crate::records::Record) -> Result<Claims, StoreError> {
        let text = |name: &str| record.get(name).and_then(|v| v.as_str());
        let id = text("id").unwrap_or_default();
        let name = match self.kind {
            ObjectKind::Contact => [text("first_name"), text("last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            _ => text("name").unwrap_or_default().to_string(),
        };
        self.claims(id, |key| match key {
            "external_id" => record["attributes"][EXTERNAL_ID_ATTRIBUTE]
                .as_str()
                .map(str::to_string),
            "sku" => text("sku").map(str::to_string),
            _ => Some(name.clone()),
        })
    }

    /// Looks up a batch's database keys: one query per key, its values bound as one JSON list.
    pub(crate) async fn lookup<'a>(
        &self,
        conn: &mut AnyConnection,
        workspace: &str,
        keys: impl Iterator<Item = &'a (&'static str, String)>,
    ) -> Result<Found, StoreError> {
        let mut wanted: HashMap<&'static str, Vec<String>> = HashMap::new();
        for (key, text) in keys {
            if self.columns.contains(key) {
                wanted.entry(key).or_default().push(fold(text));
            }
        }
        let dialect = Dialect::of_connection(conn);
        let mut earliest: HashMap<(&'static str, String), (String, String)> = HashMap::new();
        for (key, mut texts) in wanted {
            texts.sort_unstable();
            texts.dedup();
            // No ORDER BY: without statistics SQLite would walk the creation-order index of
            // the whole workspace to honour it instead of probing the key's index.
            let statement = format!(
                "SELECT id, created_at, {key} AS value FROM {} WHERE workspace_id = $1 \
                 AND deleted_at IS NULL AND {}",
                self.kind.plural(),
                dialect.is_in_json(key, "$2")
            );
            let query = sqlx::query(&statement)
                .bind(workspace)
                .bind(json_list(&texts));
            for row in query.fetch_all(&mut *conn).await? {
                let value: String = row.try_get("value")?;
                let claim: (String, String) = (row.try_get("created_at")?, row.try_get("id")?);
                // The oldest record with the key keeps it.
                match earliest.entry((key, fold(&value))) {
                    Entry::Occupied(mut held) if claim < *held.get() => {
                        held.insert(claim);
                    }
                    Entry::Occupied(_) => {}
                    Entry::Vacant(entry) => {
                        entry.insert(claim);
                    }
                }
            }
        }
        Ok(earliest
            .into_iter()
            .map(|(key, (_, id))| (key, id))
            .collect())
    }

    /// The record a key names: among the batch's database finds, or in memory.
    pub(crate) fn find(&self, found: &Found, key: &'static str, text: &str) -> Option<String> {
        if self.columns.contains(&key) {
            return found.get(&(key, fold(text))).cloned();
        }
        let position = *self.index.get(&hash_of(key, text))?;
        self.ids.get(position as usize).map(Uuid::to_string)
    }
}
