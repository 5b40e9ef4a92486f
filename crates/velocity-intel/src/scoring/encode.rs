//! How raw feature values become model columns, learned once from the training rows and stored
//! with the model: categoricals become one column per level (levels with fewer than
//! [`MIN_LEVEL_ROWS`] rows pooled into "other", missing as a level of its own); numerics are
//! encoded by [`super::numeric`]. Every level and bin keeps how often its training deals won,
//! for explanations, and the training mean of every column, from which contributions are
//! measured.

use super::features::{FeatureKind, FeatureSpec, FeatureTable, FeatureValue};
use super::numeric::{self, Numeric};
use super::solver::Design;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Range;

/// Levels seen in fewer training rows than this are pooled into "other": a handful of deals
/// says little about a level, and pooled they still say something about rare values.
pub const MIN_LEVEL_ROWS: usize = 5;

/// Training rows and wins of one level or bin, and its average contribution once fitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValueStats {
    pub rows: usize,
    pub wins: usize,
    /// Mean log-odds contribution of the feature over the training rows holding this value.
    pub effect: f64,
}

impl ValueStats {
    pub(crate) fn add(&mut self, won: bool) {
        self.rows += 1;
        self.wins += usize::from(won);
    }

    pub fn win_rate(&self) -> f64 {
        self.wins as f64 / self.rows.max(1) as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Level {
    pub value: String,
    pub column: usize,
    pub stats: ValueStats,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Categorical {
    /// Sorted by value, for lookup by binary search.
    pub levels: Vec<Level>,
    pub other: Option<Level>,
    pub missing: Option<Level>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Encoding {
    Numeric(Numeric),
    Categorical(Categorical),
    /// Contributes nothing: constant, empty, or excluded before training.
    Unused {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FeatureEncoding {
    pub spec: FeatureSpec,
    pub encoding: Encoding,
    pub columns: Range<usize>,
    /// Mean |log-odds contribution| over the training rows (set after fitting).
    pub importance: f64,
}

/// Which group of training rows a value falls into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    /// Carries no information the model learned (a new category with no "other" level, an
    /// unused feature, a value missing where training never missed one).
    Neutral,
    Level(usize),
    /// Pooled rare training levels, and values training never saw.
    Other,
    Missing,
    Bin(usize),
    Present,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Encoder {
    pub features: Vec<FeatureEncoding>,
    pub columns: usize,
    /// Training mean of every column: contributions are measured from it.
    pub means: Vec<f64>,
}

impl Encoder {
    /// Learns the encoding from the training rows and returns it with their design matrix.
    /// `excluded[f]` names why feature f must not be used, if it must not.
    pub(crate) fn fit(
        table: &FeatureTable,
        outcomes: &[bool],
        excluded: &[Option<String>],
    ) -> (Encoder, Design) {
        let mut columns = 0;
        let features = table
            .schema()
            .features()
            .iter()
            .enumerate()
            .map(|(f, spec)| {
                let start = columns;
                let encoding = match excluded.get(f).cloned().flatten() {
                    Some(reason) => Encoding::Unused { reason },
                    None => match spec.kind {
                        FeatureKind::Categorical => {
                            categorical(table.column(f), outcomes, &mut columns)
                        }
                        FeatureKind::Numeric => {
                            numeric::fit(table.column(f), outcomes, &mut columns)
                        }
                    },
                };
                FeatureEncoding {
                    spec: spec.clone(),
                    encoding,
                    columns: start..columns,
                    importance: 0.0,
                }
            })
            .collect();
        let mut encoder = Encoder {
            features,
            columns,
            means: Vec::new(),
        };
        let design = encoder.design(table);
        encoder.means = design.column_means();
        (encoder, design)
    }

    pub(crate) fn design(&self, table: &FeatureTable) -> Design {
        let mut design = Design::new(self.columns);
        let mut entries = Vec::new();
        for row in table.rows() {
            entries.clear();
            for (f, value) in row.iter().enumerate() {
                self.encode(f, value, &mut entries);
            }
            design.push_row(&entries);
        }
        design
    }

    /// Appends the columns one value sets and says which group it falls into.
    pub(crate) fn encode(&self, f: usize, value: &FeatureValue, out: &mut Vec<(u32, f64)>) -> Slot {
        let Some(feature) = self.features.get(f) else {
            return Slot::Neutral;
        };
        let mut set = |column: usize, value: f64| out.push((column as u32, value));
        match &feature.encoding {
            Encoding::Unused { .. } => Slot::Neutral,
            Encoding::Categorical(c) => {
                let Some(text) = value.as_category() else {
                    return match &c.missing {
                        Some(level) => {
                            set(level.column, 1.0);
                            Slot::Missing
                        }
                        None => Slot::Neutral,
                    };
                };
                match c
                    .levels
                    .binary_search_by(|l| l.value.as_str().cmp(text.as_ref()))
                {
                    Ok(index) => {
                        set(c.levels[index].column, 1.0);
                        Slot::Level(index)
                    }
                    Err(_) => match &c.other {
                        Some(other) => {
                            set(other.column, 1.0);
                            Slot::Other
                        }
                        None => Slot::Neutral,
                    },
                }
            }
            Encoding::Numeric(n) => n.encode(value, &mut set),
        }
    }

    pub(crate) fn stats_mut(&mut self, f: usize, slot: Slot) -> Option<&mut ValueStats> {
        match (&mut self.features.get_mut(f)?.encoding, slot) {
            (Encoding::Categorical(c), Slot::Level(i)) => c.levels.get_mut(i).map(|l| &mut l.stats),
            (Encoding::Categorical(c), Slot::Other) => c.other.as_mut().map(|l| &mut l.stats),
            (Encoding::Categorical(c), Slot::Missing) => c.missing.as_mut().map(|l| &mut l.stats),
            (Encoding::Numeric(n), Slot::Bin(i)) => n.bins.get_mut(i).map(|l| &mut l.stats),
            (Encoding::Numeric(n), Slot::Missing) => n.missing.as_mut().map(|l| &mut l.stats),
            (Encoding::Numeric(n), Slot::Present) => Some(&mut n.present),
            _ => None,
        }
    }

    pub(crate) fn stats(&self, f: usize, slot: Slot) -> Option<&ValueStats> {
        match (&self.features.get(f)?.encoding, slot) {
            (Encoding::Categorical(c), Slot::Level(i)) => c.levels.get(i).map(|l| &l.stats),
            (Encoding::Categorical(c), Slot::Other) => c.other.as_ref().map(|l| &l.stats),
            (Encoding::Categorical(c), Slot::Missing) => c.missing.as_ref().map(|l| &l.stats),
            (Encoding::Numeric(n), Slot::Bin(i)) => n.bins.get(i).map(|l| &l.stats),
            (Encoding::Numeric(n), Slot::Missing) => n.missing.as_ref().map(|l| &l.stats),
            (Encoding::Numeric(n), Slot::Present) => Some(&n.present),
            _ => None,
        }
    }
}

pub(crate) fn take_column(columns: &mut usize) -> usize {
    *columns += 1;
    *columns - 1
}

fn categorical<'a>(
    values: impl Iterator<Item = &'a FeatureValue>,
    outcomes: &[bool],
    columns: &mut usize,
) -> Encoding {
    let mut counts: HashMap<String, ValueStats> = HashMap::new();
    let mut missing = ValueStats::default();
    for (value, &won) in values.zip(outcomes) {
        match value.as_category() {
            Some(text) => counts.entry(text.into_owned()).or_default().add(won),
            None => missing.add(won),
        }
    }
    let mut frequent: Vec<(String, ValueStats)> = Vec::new();
    let mut rare = ValueStats::default();
    for (value, stats) in counts {
        if stats.rows >= MIN_LEVEL_ROWS {
            frequent.push((value, stats));
        } else {
            rare.rows += stats.rows;
            rare.wins += stats.wins;
        }
    }
    let groups = frequent.len() + usize::from(rare.rows > 0) + usize::from(missing.rows > 0);
    if groups < 2 {
        return Encoding::Unused {
            reason: "the same value in every training row".into(),
        };
    }
    frequent.sort_by(|a, b| a.0.cmp(&b.0));
    let levels = frequent
        .into_iter()
        .map(|(value, stats)| Level {
            value,
            column: take_column(columns),
            stats,
        })
        .collect();
    let pooled = |stats: ValueStats, columns: &mut usize| {
        (stats.rows > 0).then(|| Level {
            value: String::new(),
            column: take_column(columns),
            stats,
        })
    };
    let other = pooled(rare, columns);
    let missing = pooled(missing, columns);
    Encoding::Categorical(Categorical {
        levels,
        other,
        missing,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scoring::features::Schema;

    /// A table of (categorical `source`, numeric `amount`) rows.
    pub(crate) fn table(values: Vec<(FeatureValue, FeatureValue)>) -> FeatureTable {
        let schema = Schema::new(vec![
            FeatureSpec::categorical("source"),
            FeatureSpec::numeric("amount"),
        ])
        .unwrap();
        let mut table = FeatureTable::new(schema);
        for (a, b) in values {
            table.push(vec![a, b]).unwrap();
        }
        table
    }

    #[test]
    fn rare_levels_pool_and_new_values_join_them() {
        let mut rows = Vec::new();
        for i in 0..20 {
            rows.push(("Web".into(), FeatureValue::Number(f64::from(i))));
        }
        for i in 0..6 {
            rows.push(("Referral".into(), FeatureValue::Number(f64::from(i))));
        }
        rows.push(("Fair".into(), FeatureValue::Missing));
        rows.push((FeatureValue::Missing, FeatureValue::Number(1e6)));
        let outcomes: Vec<bool> = (0..rows.len()).map(|i| i % 3 == 0).collect();
        let (encoder, design) = Encoder::fit(&table(rows), &outcomes, &[None, None]);
        assert_eq!(design.rows(), 28);
        let Encoding::Categorical(c) = &encoder.features[0].encoding else {
            panic!("categorical")
        };
        let names: Vec<&str> = c.levels.iter().map(|l| l.value.as_str()).collect();
        assert_eq!(names, vec!["Referral", "Web"]);
        assert_eq!(c.other.as_ref().unwrap().stats.rows, 1);
        assert_eq!(c.missing.as_ref().unwrap().stats.rows, 1);
        let mut out = Vec::new();
        let slot = encoder.encode(0, &"Trade show".into(), &mut out);
        assert_eq!(slot, Slot::Other);
        assert_eq!(out, vec![(c.other.as_ref().unwrap().column as u32, 1.0)]);
    }
}
