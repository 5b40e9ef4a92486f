//! The leak guard: a feature that on its own separates won from lost almost perfectly is far
//! more often written *because* of the outcome (a close value only won deals have, a loss
//! reason only lost deals have) than a cause of it, and a model that learns it scores history
//! brilliantly and open deals uselessly. Training leaves such features out and says so.

use super::features::{FeatureKind, FeatureTable, FeatureValue};
use super::metrics::roc_auc;
use std::collections::HashMap;

/// Single-feature AUC from which a feature counts as a leak.
pub const LEAK_AUC: f64 = 0.98;

/// Folds for judging a categorical feature by win rates learned on the other rows, so a
/// feature with many small levels cannot look perfect by memorising its own rows.
const FOLDS: usize = 5;

/// How well one feature alone ranks the outcomes, from 0.5 (not at all) to 1 (perfectly), in
/// whichever direction it points. `None` when the outcomes are all one class.
///
/// Numeric features are ranked by value, with missing values placed first or last (whichever
/// separates better: a value present only for won deals is a leak too). Categorical features
/// are ranked by each level's win rate in the other folds.
pub fn single_feature_auc(table: &FeatureTable, outcomes: &[bool], feature: usize) -> Option<f64> {
    let spec = table.schema().features().get(feature)?;
    let values: Vec<&FeatureValue> = table.column(feature).collect();
    match spec.kind {
        FeatureKind::Numeric => {
            let numbers: Vec<Option<f64>> = values.iter().map(|v| v.as_number()).collect();
            [f64::NEG_INFINITY, f64::INFINITY]
                .into_iter()
                .filter_map(|fill| {
                    let scores: Vec<f64> = numbers.iter().map(|x| x.unwrap_or(fill)).collect();
                    roc_auc(&scores, outcomes).ok()
                })
                .map(|auc| auc.max(1.0 - auc))
                .reduce(f64::max)
        }
        FeatureKind::Categorical => {
            let keys: Vec<String> = values
                .iter()
                .map(|v| v.as_category().map_or_else(String::new, |c| c.into_owned()))
                .collect();
            let scores = out_of_fold_rates(&keys, outcomes);
            roc_auc(&scores, outcomes)
                .ok()
                .map(|auc| auc.max(1.0 - auc))
        }
    }
}

/// Each row scored by its level's win rate among the rows of the other folds, shrunk towards
/// the overall rate by one pseudo-row so a level seen once is not taken at its word.
fn out_of_fold_rates(keys: &[String], outcomes: &[bool]) -> Vec<f64> {
    let mut per_fold: Vec<HashMap<&str, (f64, f64)>> = vec![HashMap::new(); FOLDS];
    let mut totals: HashMap<&str, (f64, f64)> = HashMap::new();
    for (i, (key, &won)) in keys.iter().zip(outcomes).enumerate() {
        let won = f64::from(u8::from(won));
        for map in [&mut per_fold[i % FOLDS], &mut totals] {
            let entry = map.entry(key.as_str()).or_default();
            entry.0 += 1.0;
            entry.1 += won;
        }
    }
    let rate = outcomes.iter().filter(|&&o| o).count() as f64 / outcomes.len().max(1) as f64;
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let (rows, wins) = totals.get(key.as_str()).copied().unwrap_or_default();
            let (own_rows, own_wins) = per_fold[i % FOLDS]
                .get(key.as_str())
                .copied()
                .unwrap_or_default();
            (wins - own_wins + rate) / (rows - own_rows + 1.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::features::{FeatureSpec, Schema};

    fn table(rows: Vec<Vec<FeatureValue>>) -> FeatureTable {
        let schema = Schema::new(vec![
            FeatureSpec::numeric("close_value"),
            FeatureSpec::categorical("deal_id"),
            FeatureSpec::categorical("loss_reason"),
            FeatureSpec::categorical("region"),
        ])
        .unwrap();
        let mut table = FeatureTable::new(schema);
        for row in rows {
            table.push(row).unwrap();
        }
        table
    }

    #[test]
    fn leaks_are_found_and_ids_and_noise_are_not() {
        let outcomes: Vec<bool> = (0..200).map(|i| (i * 7) % 3 == 0).collect();
        let rows = outcomes
            .iter()
            .enumerate()
            .map(|(i, &won)| {
                vec![
                    FeatureValue::Number(if won { 1000.0 + i as f64 } else { 0.0 }),
                    FeatureValue::Category(format!("D-{i}")),
                    if won {
                        FeatureValue::Missing
                    } else {
                        "Price".into()
                    },
                    ["North", "South"][i % 2].into(),
                ]
            })
            .collect();
        let table = table(rows);
        let auc = |f| single_feature_auc(&table, &outcomes, f).unwrap();
        assert!(auc(0) >= LEAK_AUC);
        assert!(
            auc(1) < 0.7,
            "unique ids cannot memorise out of fold: {}",
            auc(1)
        );
        assert!(auc(2) >= LEAK_AUC);
        assert!(auc(3) < 0.7);
    }
}
