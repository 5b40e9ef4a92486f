//! The `q` search index: lower-cased terms per record, matched by prefix with a plain range
//! query (`term >= 'ab' AND term < 'ac'`) that a B-tree serves on both databases.
//!
//! Each record also keeps its terms in its own `search_text` column, every term preceded by
//! [`SEPARATOR`], so "some term starts with `ab`" is "the text contains SEPARATOR + `ab`": a
//! list walking its sort order checks a common prefix on the row it reads anyway.

use crate::bulk::{insert_rows, text, Cell};
use crate::dialect::{json_list, Dialect};
use crate::error::StoreError;
use serde_json::{Map, Value};
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use velocity_domain::schema::Search;
use velocity_domain::ObjectKind;

const MAX_TERM_LEN: usize = 100;

/// Starts every term in `search_text`. A control character, so no term contains it: they are
/// removed from terms and query words.
pub(crate) const SEPARATOR: char = '\u{1f}';

/// The search terms of a record, from its searchable fields.
pub(crate) fn terms_of(kind: ObjectKind, record: &Map<String, Value>) -> Vec<String> {
    let mut terms = Vec::new();
    for field in kind.fields() {
        let Some(text) = record.get(field.name).and_then(Value::as_str) else {
            continue;
        };
        let lowered = text.to_lowercase();
        match field.search {
            Search::No => {}
            Search::Words => terms.extend(
                lowered
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string),
            ),
            Search::Whole => {
                let lowered = lowered.replace(|c: char| c.is_control(), "");
                if let Some((_, domain)) = lowered.split_once('@') {
                    terms.push(domain.to_string());
                }
                terms.push(lowered);
            }
        }
    }
    for term in &mut terms {
        if term.len() > MAX_TERM_LEN {
            let cut = (0..=MAX_TERM_LEN)
                .rev()
                .find(|i| term.is_char_boundary(*i))
                .unwrap_or(0);
            term.truncate(cut);
        }
    }
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// A record's `search_text` column: its terms, each preceded by [`SEPARATOR`]; `None` when it
/// has none.
pub(crate) fn search_text(terms: &[String]) -> Option<String> {
    (!terms.is_empty()).then(|| {
        let mut text = String::new();
        for term in terms {
            text.push(SEPARATOR);
            text.push_str(term);
        }
        text
    })
}

/// The `search_terms` rows of new records, and the terms that may have just become common.
pub(crate) struct TermRows {
    pub rows: Vec<Vec<Cell>>,
    /// Terms entered more than once by this batch: candidates for [`mark_common`]. A term
    /// that grows one record per batch is never listed, which costs entries, not results.
    pub growing: Vec<String>,
}

impl TermRows {
    /// The rows of new records, given with their [`terms_of`], leaving out `common` terms.
    pub(crate) fn of(
        workspace: &str,
        kind: ObjectKind,
        records: &[(&Map<String, Value>, Vec<String>)],
        common: &HashSet<String>,
    ) -> TermRows {
        let mut rows = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (record, record_terms) in records {
            let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
            for term in record_terms.iter().filter(|t| !common.contains(*t)) {
                *seen.entry(term).or_default() += 1;
                rows.push(term_row(workspace, kind, id, term));
            }
        }
        let growing = seen
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|(term, _)| term.to_owned())
            .collect();
        TermRows { rows, growing }
    }
}

fn term_row(workspace: &str, kind: ObjectKind, id: &str, term: &str) -> Vec<Cell> {
    vec![text(workspace), text(kind.name()), text(term), text(id)]
}

/// The workspace's common terms for `kind` (see [`mark_common`]), read as one JSON row.
pub(crate) async fn common_terms(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
) -> Result<HashSet<String>, StoreError> {
    let listed = Dialect::of_connection(conn).sorted_json_array(
        "term",
        "search_common_terms WHERE workspace_id = $1 AND object = $2",
    );
    let text: String = sqlx::query_scalar(&format!("SELECT {listed} AS terms"))
        .bind(workspace)
        .bind(kind.name())
        .fetch_one(&mut *conn)
        .await?;
    serde_json::from_str(&text).map_err(StoreError::corrupt)
}

/// Lists those of `terms` that now have at least [`COMMON_PREFIX`] entries as common: no
/// search reads their entries any more (any prefix of them is common), so later records skip
/// them. Counting stops at the threshold, as in [`is_common_prefix`].
pub(crate) async fn mark_common(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    terms: &[String],
) -> Result<(), StoreError> {
    if terms.is_empty() {
        return Ok(());
    }
    let candidates = Dialect::of_connection(conn).json_strings("$3");
    sqlx::query(&format!(
        "INSERT INTO search_common_terms (workspace_id, object, term) \
         SELECT $1, $2, j.value FROM {candidates} WHERE (SELECT COUNT(*) FROM (\
             SELECT 1 FROM search_terms t WHERE t.workspace_id = $1 AND t.object = $2 \
             AND t.term = j.value LIMIT $4) AS hits) >= $4 \
         ON CONFLICT DO NOTHING"
    ))
    .bind(workspace)
    .bind(kind.name())
    .bind(json_list(terms))
    .bind(COMMON_PREFIX)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts `search_terms` rows (see [`TermRows`]).
pub(crate) async fn insert_term_rows(
    conn: &mut AnyConnection,
    rows: &[Vec<Cell>],
) -> Result<(), StoreError> {
    let columns = ["workspace_id", "object", "term", "record_id"];
    insert_rows(conn, "search_terms", &columns, rows).await
}

/// How an update changes a record's terms.
pub(crate) struct Reindex {
    lost: Vec<String>,
    gained: Vec<String>,
    text: Option<String>,
}

impl Reindex {
    pub(crate) fn of(
        kind: ObjectKind,
        previous: &Map<String, Value>,
        next: &Map<String, Value>,
    ) -> Reindex {
        let (old, new) = (terms_of(kind, previous), terms_of(kind, next));
        Reindex {
            lost: old.iter().filter(|t| !new.contains(t)).cloned().collect(),
            gained: new.iter().filter(|t| !old.contains(t)).cloned().collect(),
            text: search_text(&new),
        }
    }

    /// The record's new `search_text`, when its terms changed.
    pub(crate) fn changed_text(&self) -> Option<Option<&str>> {
        (!self.lost.is_empty() || !self.gained.is_empty()).then_some(self.text.as_deref())
    }

    /// Brings the record's rows in `search_terms` up to date: removes the terms it lost (by
    /// primary key) and adds the ones it gained.
    pub(crate) async fn apply(
        &self,
        conn: &mut AnyConnection,
        workspace: &str,
        kind: ObjectKind,
        id: &str,
    ) -> Result<(), StoreError> {
        for term in &self.lost {
            sqlx::query(
                "DELETE FROM search_terms WHERE workspace_id = $1 AND object = $2 AND term = $3 AND record_id = $4",
            )
            .bind(workspace)
            .bind(kind.name())
            .bind(term)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        let gained: Vec<_> = self
            .gained
            .iter()
            .map(|term| term_row(workspace, kind, id, term))
            .collect();
        insert_term_rows(conn, &gained).await
    }
}

/// Term entries above which a prefix counts as common (see the list query).
const COMMON_PREFIX: i64 = 1000;

/// Whether `word` is a common prefix: a listed common term starts with it, or at least
/// [`COMMON_PREFIX`] term entries do. Counting stops there, so the check costs the same for
/// "a" as for "olivia". A prefix that is not common has every entry that starts with it (only
/// common terms go without), so the rare path's lookup by term finds every match.
pub(crate) async fn is_common_prefix(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    word: &str,
    upper: &str,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM search_common_terms WHERE workspace_id = $1 \
             AND object = $2 AND term >= $3 AND term < $4 LIMIT 1) AS listed) AS listed, \
         (SELECT COUNT(*) FROM (SELECT 1 FROM search_terms WHERE workspace_id = $1 AND object = $2 \
             AND term >= $3 AND term < $4 LIMIT $5) AS hits) AS hits",
    )
    .bind(workspace)
    .bind(kind.name())
    .bind(word)
    .bind(upper)
    .bind(COMMON_PREFIX)
    .fetch_one(&mut *conn)
    .await?;
    let (listed, hits): (i64, i64) = (row.try_get("listed")?, row.try_get("hits")?);
    Ok(listed > 0 || hits >= COMMON_PREFIX)
}

/// The query words of `q`, lower-cased; each must prefix-match a term of the record.
pub(crate) fn query_words(q: &str) -> Vec<String> {
    q.split_whitespace()
        .map(|word| word.to_lowercase().replace(|c: char| c.is_control(), ""))
        .filter(|w| !w.is_empty())
        .take(5)
        .collect()
}

/// The smallest string greater than every string starting with `prefix`.
pub(crate) fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contact_terms_cover_names_email_and_its_domain() {
        let record =
            json!({"first_name": "Ana María", "last_name": "O'Neil", "email": "ana@acme.com"});
        let terms = terms_of(ObjectKind::Contact, record.as_object().unwrap());
        for t in ["ana", "maría", "o", "neil", "ana@acme.com", "acme.com"] {
            assert!(terms.contains(&t.to_string()), "{t} in {terms:?}");
        }
    }

    #[test]
    fn search_text_starts_each_term_with_the_separator() {
        let record = json!({"first_name": "Ann\u{1f}e", "email": "ann@x.org"});
        let terms = terms_of(ObjectKind::Contact, record.as_object().unwrap());
        let text = search_text(&terms).unwrap();
        assert_eq!(text, "\u{1f}ann\u{1f}ann@x.org\u{1f}e\u{1f}x.org");
        assert_eq!(search_text(&[]), None);
    }

    #[test]
    fn upper_bound_sorts_after_prefixed_words() {
        let bound = prefix_upper_bound("ana");
        assert!("ana@zzz.com" < bound.as_str() && "anb" > bound.as_str());
    }
}
