//! What a row did, written back onto the stored row together with the import's counts: one
//! statement per chunk of rows, inside the transaction that made the change, so the outcome
//! and the change are never apart.

use super::add_counts;
use crate::bulk::{self, Cell};
use crate::error::StoreError;
use crate::records::sql::SqlKind;
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;

/// A row's outcome, written with the change it made.
pub(crate) struct Outcome {
    pub row: i64,
    pub outcome: &'static str,
    pub record_id: Option<String>,
    pub version: Option<i64>,
    pub previous: Option<String>,
    pub message: Option<String>,
    /// For a row waiting for review: how sure the engine is, and the prepared record.
    pub confidence: Option<f64>,
    pub proposal: Option<String>,
}

impl Outcome {
    /// An outcome that changed no record (skipped, error).
    pub fn without_change(row: i64, outcome: &'static str, message: String) -> Outcome {
        Outcome {
            row,
            outcome,
            record_id: None,
            version: None,
            previous: None,
            message: Some(message),
            confidence: None,
            proposal: None,
        }
    }

    /// The key of the import's counts this outcome adds to.
    fn count_key(&self) -> &'static str {
        match self.outcome {
            "error" => "errors",
            other => other,
        }
    }
}

/// Writes the outcomes onto their rows and adds them to the import's counts; `from` names the
/// count the rows leave (a reviewed row leaves `review`), `None` for rows processed now.
pub(crate) async fn record_outcomes(
    conn: &mut AnyConnection,
    workspace: &str,
    import: &str,
    outcomes: &[Outcome],
    from: Option<&str>,
) -> Result<Map<String, Value>, StoreError> {
    let optional = |text: &Option<String>| (SqlKind::Text, json!(text));
    let cells: Vec<Vec<Cell>> = outcomes
        .iter()
        .map(|o| {
            vec![
                bulk::text(workspace),
                bulk::text(import),
                (SqlKind::Int, json!(o.row)),
                bulk::text(o.outcome),
                optional(&o.record_id),
                (SqlKind::Int, json!(o.version)),
                optional(&o.previous),
                optional(&o.message),
                (SqlKind::Float, json!(o.confidence)),
                optional(&o.proposal),
            ]
        })
        .collect();
    bulk::update_rows(
        conn,
        "import_rows",
        &["workspace_id", "import_id", "row_no"],
        &[
            "outcome",
            "record_id",
            "record_version",
            "previous",
            "message",
            "confidence",
            "proposal",
        ],
        &cells,
    )
    .await?;
    let mut delta = Map::new();
    let mut bump = |key: &str, by: i64| {
        let n = delta.get(key).and_then(Value::as_i64).unwrap_or(0);
        delta.insert(key.to_string(), json!(n + by));
    };
    for outcome in outcomes {
        bump(outcome.count_key(), 1);
        match from {
            Some(previous) => bump(previous, -1),
            None => bump("processed", 1),
        }
    }
    add_counts(conn, workspace, import, &delta).await?;
    Ok(delta)
}
