//! The input of win scoring: a schema of named features, each numeric or categorical, and a
//! table of rows in that schema. Any deal snapshot the server can describe (stage, ages, amount,
//! activity counts, owner and account history, custom attributes) fits it, so the model knows
//! nothing about CRM entities.

use super::ScoringError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Whether a feature is a quantity or a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    Numeric,
    Categorical,
}

/// One named feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// The key the caller knows the feature by (`amount`, `Budgt_alloc`, `attr:industry`).
    pub name: String,
    /// What a person reads in an explanation ("Budget allocated"); the name when not given.
    pub label: String,
    pub kind: FeatureKind,
}

impl FeatureSpec {
    pub fn numeric(name: impl Into<String>) -> FeatureSpec {
        let name = name.into();
        FeatureSpec {
            label: name.clone(),
            name,
            kind: FeatureKind::Numeric,
        }
    }

    pub fn categorical(name: impl Into<String>) -> FeatureSpec {
        let name = name.into();
        FeatureSpec {
            label: name.clone(),
            name,
            kind: FeatureKind::Categorical,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> FeatureSpec {
        self.label = label.into();
        self
    }
}

/// One cell. In JSON a number, a string or `null`, so stored snapshots read naturally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeatureValue {
    Number(f64),
    Category(String),
    Missing,
}

impl From<f64> for FeatureValue {
    fn from(value: f64) -> Self {
        if value.is_finite() {
            FeatureValue::Number(value)
        } else {
            FeatureValue::Missing
        }
    }
}

impl From<&str> for FeatureValue {
    fn from(value: &str) -> Self {
        FeatureValue::Category(value.to_string())
    }
}

impl From<String> for FeatureValue {
    fn from(value: String) -> Self {
        FeatureValue::Category(value)
    }
}

impl<T: Into<FeatureValue>> From<Option<T>> for FeatureValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(FeatureValue::Missing, Into::into)
    }
}

impl FeatureValue {
    /// The value as a quantity. Live data drifts from the schema it was trained on, so a
    /// category that reads as a number counts as that number rather than failing a prediction.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            FeatureValue::Number(x) if x.is_finite() => Some(*x),
            FeatureValue::Category(text) => {
                text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
            }
            _ => None,
        }
    }

    /// The value as a label; blank text is missing, and a number is labelled by its text.
    pub fn as_category(&self) -> Option<Cow<'_, str>> {
        match self {
            FeatureValue::Category(text) if !text.trim().is_empty() => {
                Some(Cow::Borrowed(text.as_str()))
            }
            FeatureValue::Number(x) if x.is_finite() => Some(Cow::Owned(x.to_string())),
            _ => None,
        }
    }
}

/// The features of a table, in column order, with unique names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    features: Vec<FeatureSpec>,
}

impl Schema {
    pub fn new(features: Vec<FeatureSpec>) -> Result<Schema, ScoringError> {
        let mut names = std::collections::HashSet::new();
        for feature in &features {
            if !names.insert(feature.name.as_str()) {
                return Err(ScoringError::DuplicateFeature(feature.name.clone()));
            }
        }
        Ok(Schema { features })
    }

    pub fn features(&self) -> &[FeatureSpec] {
        &self.features
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f.name == name)
    }
}

/// Rows of feature values that all follow one schema.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    schema: Schema,
    rows: Vec<Vec<FeatureValue>>,
}

impl FeatureTable {
    pub fn new(schema: Schema) -> FeatureTable {
        FeatureTable {
            schema,
            rows: Vec::new(),
        }
    }

    /// Adds a row. Training data must say what it means: a number in a categorical feature or
    /// text in a numeric one is refused, so a mistyped column is found before it is learned.
    /// Non-finite numbers count as missing.
    pub fn push(&mut self, mut row: Vec<FeatureValue>) -> Result<(), ScoringError> {
        check_width(&self.schema, &row)?;
        for (value, spec) in row.iter_mut().zip(self.schema.features()) {
            match (&*value, spec.kind) {
                (FeatureValue::Number(x), _) if !x.is_finite() => *value = FeatureValue::Missing,
                (FeatureValue::Number(_), FeatureKind::Categorical)
                | (FeatureValue::Category(_), FeatureKind::Numeric) => {
                    return Err(ScoringError::KindMismatch {
                        feature: spec.name.clone(),
                        row: self.rows.len(),
                    });
                }
                _ => {}
            }
        }
        self.rows.push(row);
        Ok(())
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn rows(&self) -> &[Vec<FeatureValue>] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The values of one feature, row by row.
    pub fn column(&self, feature: usize) -> impl Iterator<Item = &FeatureValue> + '_ {
        self.rows
            .iter()
            .map(move |row| row.get(feature).unwrap_or(&FeatureValue::Missing))
    }

    /// A table of the given rows, in the given order (for train/test splits and folds).
    pub fn select(&self, rows: &[usize]) -> FeatureTable {
        FeatureTable {
            schema: self.schema.clone(),
            rows: rows
                .iter()
                .filter_map(|&i| self.rows.get(i).cloned())
                .collect(),
        }
    }
}

pub(crate) fn check_width(schema: &Schema, row: &[FeatureValue]) -> Result<(), ScoringError> {
    if row.len() == schema.len() {
        Ok(())
    } else {
        Err(ScoringError::RowWidth {
            expected: schema.len(),
            found: row.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_refuse_repeated_names() {
        let err = Schema::new(vec![
            FeatureSpec::numeric("amount"),
            FeatureSpec::categorical("amount"),
        ])
        .unwrap_err();
        assert_eq!(err, ScoringError::DuplicateFeature("amount".into()));
    }

    #[test]
    fn tables_check_width_and_kinds() {
        let schema = Schema::new(vec![
            FeatureSpec::numeric("amount"),
            FeatureSpec::categorical("stage"),
        ])
        .unwrap();
        let mut table = FeatureTable::new(schema);
        table.push(vec![1.0.into(), "Won".into()]).unwrap();
        table
            .push(vec![f64::NAN.into(), FeatureValue::Missing])
            .unwrap();
        assert_eq!(table.rows()[1][0], FeatureValue::Missing);
        assert!(matches!(
            table.push(vec![1.0.into()]),
            Err(ScoringError::RowWidth {
                expected: 2,
                found: 1
            })
        ));
        assert!(matches!(
            table.push(vec!["x".into(), "y".into()]),
            Err(ScoringError::KindMismatch { row: 2, .. })
        ));
        assert_eq!(table.select(&[1, 0]).rows()[1][1], "Won".into());
    }

    #[test]
    fn values_read_across_kinds_and_serialise_plainly() {
        assert_eq!(FeatureValue::from(" 12.5 ").as_number(), Some(12.5));
        assert_eq!(
            FeatureValue::Number(3.0).as_category().as_deref(),
            Some("3")
        );
        assert_eq!(FeatureValue::from("  ").as_category(), None);
        let json = serde_json::to_string(&vec![
            FeatureValue::Number(1.5),
            "Yes".into(),
            FeatureValue::Missing,
        ])
        .unwrap();
        assert_eq!(json, r#"[1.5,"Yes",null]"#);
        let back: Vec<FeatureValue> = serde_json::from_str(&json).unwrap();
        assert_eq!(back[2], FeatureValue::Missing);
    }
}
