//! What `velocity eval scoring` makes of a CSV nobody described: the file is read with the
//! import engine's sniffing (encoding, delimiter, header), and each column is judged from its
//! values as numeric, date or categorical, or dropped (empty, constant, an identifier) with the
//! reason a person needs to trust the evaluation.

use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use velocity_import::dates::{self, DayOrder};
use velocity_import::normalise::parse_number;
use velocity_import::{sniff, EncodingProbe, Rows};
use velocity_intel::scoring::{FeatureKind, FeatureSpec, FeatureTable, FeatureValue, Schema};

/// Share of non-empty values that must read as numbers (or dates) for the column to be one.
const TYPED_SHARE: f64 = 0.95;
/// Share of distinct values among the filled ones from which a text column is an identifier.
const ID_SHARE: f64 = 0.9;

/// The file as read.
pub struct Csv {
    pub encoding: &'static str,
    pub delimiter: char,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows that could not be used as they stand (ragged, unparsable).
    pub bad_rows: usize,
}

impl Csv {
    pub fn cell(&self, row: usize, column: usize) -> &str {
        self.rows[row].get(column).map_or("", |v| v.trim())
    }

    /// A column by its exact name, else by name ignoring case and surrounding spaces.
    pub fn column(&self, name: &str) -> Result<usize> {
        let wanted = name.trim().to_lowercase();
        self.headers
            .iter()
            .position(|h| h == name)
            .or_else(|| {
                self.headers
                    .iter()
                    .position(|h| h.trim().to_lowercase() == wanted)
            })
            .with_context(|| {
                format!(
                    "the file has no column `{name}`; its columns are: {}",
                    self.headers.join(", ")
                )
            })
    }
}

pub fn read(path: &Path) -> Result<Csv> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut probe = EncodingProbe::default();
    probe.feed(&bytes);
    let encoding = probe.finish()?;
    let mut head = String::new();
    encoding
        .decode(probe.head())
        .read_to_string(&mut head)
        .context("cannot decode the start of the file")?;
    let layout = sniff::sniff_layout(&head)?;
    let mut rows = Vec::new();
    let mut bad_rows = 0;
    for row in Rows::new(encoding.decode(bytes.as_slice()), &layout) {
        let row = row?;
        if row.problem.is_some() {
            bad_rows += 1;
        } else {
            rows.push(row.values);
        }
    }
    Ok(Csv {
        encoding: encoding.name(),
        delimiter: char::from(layout.delimiter),
        headers: layout.headers,
        rows,
        bad_rows,
    })
}

/// What a column is for in the evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "detail")]
pub enum Role {
    Feature(FeatureKindName),
    Outcome,
    SplitDate,
    Dropped(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKindName {
    Numeric,
    Categorical,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub column: String,
    #[serde(flatten)]
    pub role: Role,
    pub filled: usize,
    pub distinct: usize,
}

/// Judges every column on the rows that take part.
pub fn profile(
    csv: &Csv,
    rows: &[usize],
    outcome: usize,
    date: Option<usize>,
    excluded: &HashSet<usize>,
) -> Vec<Profile> {
    (0..csv.headers.len())
        .map(|column| {
            let values: Vec<&str> = rows
                .iter()
                .map(|&r| csv.cell(r, column))
                .filter(|v| !v.is_empty())
                .collect();
            let distinct = values.iter().collect::<HashSet<_>>().len();
            let filled = values.len();
            let role = if column == outcome {
                Role::Outcome
            } else if Some(column) == date {
                Role::SplitDate
            } else if excluded.contains(&column) {
                Role::Dropped("left out with --exclude".into())
            } else {
                judge(&csv.headers[column], &values, distinct, rows.len())
            };
            Profile {
                column: csv.headers[column].clone(),
                role,
                filled,
                distinct,
            }
        })
        .collect()
}

fn share(values: &[&str], test: impl Fn(&str) -> bool) -> f64 {
    values.iter().filter(|v| test(v)).count() as f64 / values.len().max(1) as f64
}

fn judge(name: &str, values: &[&str], distinct: usize, rows: usize) -> Role {
    if values.is_empty() {
        return Role::Dropped("empty in every row".into());
    }
    // A single value with no blanks says nothing; with blanks, being filled in may.
    if distinct == 1 && values.len() == rows {
        return Role::Dropped("the same value in every row".into());
    }
    let unique = distinct as f64 >= ID_SHARE * values.len() as f64 && values.len() >= 10;
    if share(values, |v| parse_number(v).is_ok()) >= TYPED_SHARE {
        if unique && looks_like_id(name) {
            return Role::Dropped("a different number in nearly every row (an identifier)".into());
        }
        return Role::Feature(FeatureKindName::Numeric);
    }
    let order = DayOrder::detect(values.iter().copied(), DayOrder::MonthFirst);
    if share(values, |v| dates::parse_date(v, order).is_ok()) >= TYPED_SHARE {
        return Role::Dropped("a date (dates are used only to split with --date)".into());
    }
    if unique {
        return Role::Dropped("a different value in nearly every row (an identifier)".into());
    }
    Role::Feature(FeatureKindName::Categorical)
}

/// `opportunity_id`, `Deal ID`, `OpportunityId`, `Account number`, `ref`.
fn looks_like_id(name: &str) -> bool {
    let trimmed = name.trim();
    let last = trimmed
        .split(|c: char| !c.is_alphanumeric())
        .rfind(|w| !w.is_empty())
        .unwrap_or("")
        .to_lowercase();
    matches!(
        last.as_str(),
        "id" | "number" | "no" | "key" | "uuid" | "ref" | "code"
    ) || trimmed.ends_with("Id")
        || trimmed.ends_with("ID")
}

/// The feature table of the columns kept as features, over the given rows, and the file
/// column of each feature.
pub fn features(
    csv: &Csv,
    profiles: &[Profile],
    rows: &[usize],
) -> Result<(FeatureTable, Vec<usize>)> {
    let mut specs = Vec::new();
    let mut columns = Vec::new();
    for (column, profile) in profiles.iter().enumerate() {
        if let Role::Feature(kind) = profile.role {
            specs.push(match kind {
                FeatureKindName::Numeric => FeatureSpec::numeric(&profile.column),
                FeatureKindName::Categorical => FeatureSpec::categorical(&profile.column),
            });
            columns.push(column);
        }
    }
    let schema = Schema::new(specs)?;
    let kinds: Vec<FeatureKind> = schema.features().iter().map(|f| f.kind).collect();
    let mut table = FeatureTable::new(schema);
    for &row in rows {
        let values = columns
            .iter()
            .zip(&kinds)
            .map(|(&column, kind)| {
                let text = csv.cell(row, column);
                match kind {
                    _ if text.is_empty() => FeatureValue::Missing,
                    // The few cells of a numeric column that are not numbers count as missing.
                    FeatureKind::Numeric => parse_number(text).ok().into(),
                    FeatureKind::Categorical => FeatureValue::Category(text.to_string()),
                }
            })
            .collect();
        table.push(values)?;
    }
    Ok((table, columns))
}

/// The column that names each deal's owner, by its header, if there is one.
pub fn owner_column(headers: &[String]) -> Option<usize> {
    const NAMES: [&str; 8] = [
        "owner",
        "seller",
        "sales agent",
        "sales rep",
        "rep",
        "account owner",
        "salesperson",
        "sales person",
    ];
    let fold = |h: &str| {
        h.split(|c: char| c.is_whitespace() || c == '_' || c == '-')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    folded
        .iter()
        .position(|h| NAMES.contains(&h.as_str()))
        .or_else(|| folded.iter().position(|h| h.ends_with(" owner")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_judged_by_their_values() {
        let money = ["$1,200.50", "300", "", "4,000", "12"];
        let filled: Vec<&str> = money.iter().copied().filter(|v| !v.is_empty()).collect();
        assert_eq!(
            judge("Amount", &filled, 4, 5),
            Role::Feature(FeatureKindName::Numeric)
        );
        let days = ["2016-10-20", "2017-03-01", "2016-11-02"];
        assert!(matches!(judge("close_date", &days, 3, 3), Role::Dropped(r) if r.contains("date")));
        let ids: Vec<String> = (0..20).map(|i| format!("X{i}Q")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert!(
            matches!(judge("opportunity_id", &ids, 20, 20), Role::Dropped(r) if r.contains("identifier"))
        );
        let numbers: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
        assert!(matches!(
            judge("DealID", &numbers, 20, 20),
            Role::Dropped(_)
        ));
        assert_eq!(
            judge("Employees", &numbers, 20, 20),
            Role::Feature(FeatureKindName::Numeric)
        );
        assert!(matches!(judge("x", &["a", "a"], 1, 2), Role::Dropped(_)));
        assert_eq!(
            judge("x", &["a", "a"], 1, 3),
            Role::Feature(FeatureKindName::Categorical)
        );
    }

    #[test]
    fn owners_are_found_by_header() {
        let headers = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(owner_column(&headers(&["Product", "Seller"])), Some(1));
        assert_eq!(owner_column(&headers(&["id", "sales_agent"])), Some(1));
        assert_eq!(owner_column(&headers(&["Opportunity Owner", "x"])), Some(0));
        assert_eq!(owner_column(&headers(&["Ownership", "Report"])), None);
    }
}
