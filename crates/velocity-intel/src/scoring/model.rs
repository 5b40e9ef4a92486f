//! The trained win model of one workspace: training from closed deals (leak guard, encoding,
//! cross-validated λ, final fit on every row), prediction with factors, and the metadata the
//! server stores beside it. The whole model serialises to JSON and predicts identically after
//! a round trip.

use super::cv::{cross_validate, platt};
use super::encode::{Encoder, Slot};
use super::explain::{self, Factor, FeatureSummary};
use super::features::{check_width, FeatureTable, FeatureValue, Schema};
use super::leakage::{single_feature_auc, LEAK_AUC};
use super::metrics::{brier_score, expected_calibration_error, log_loss, roc_auc};
use super::solver::{self, sigmoid, Problem};
use super::ScoringError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Training refuses data with fewer won or fewer lost deals than this: cross-validation needs
/// a few of each. (Whether a model this small should be *used* is [`super::blend`]'s call.)
pub const MIN_CLASS_ROWS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    LogisticRegression,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Folds of cross-validation (fewer when a class has fewer rows).
    pub folds: usize,
    /// Seed of the fold assignment, so a retrain on the same data gives the same model.
    pub seed: u64,
    /// Cross-validation uses a stratified sample of at most this many rows.
    pub max_cv_rows: usize,
    /// Features whose single-feature AUC reaches this are left out as leaks; `None` keeps all.
    pub leak_auc: Option<f64>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            folds: 5,
            seed: 42,
            max_cv_rows: 20_000,
            leak_auc: Some(LEAK_AUC),
        }
    }
}

/// Out-of-fold quality of the model, measured while choosing λ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    pub folds: usize,
    pub rows: usize,
    pub auc: Option<f64>,
    pub brier: f64,
    pub log_loss: f64,
    pub ece: f64,
}

/// A feature the model does not use, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExcludedFeature {
    pub feature: String,
    pub reason: String,
    /// The single-feature AUC, when the feature was left out as a leak.
    pub leak_auc: Option<f64>,
}

/// A win probability and the reasons behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub probability: f64,
    pub factors: Vec<Factor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub kind: ModelKind,
    /// Set by the caller (training is pure and does not read the clock).
    pub trained_at: Option<DateTime<Utc>>,
    pub training_rows: usize,
    pub won: usize,
    pub lost: usize,
    /// The penalty of the final fit.
    pub lambda: f64,
    pub cross_validation: CrossValidation,
    /// Leaks and features without information.
    pub excluded: Vec<ExcludedFeature>,
    schema: Schema,
    encoder: Encoder,
    intercept: f64,
    weights: Vec<f64>,
}

impl Model {
    /// Learns from closed deals: `outcomes[i]` is whether row i was won.
    pub fn train(
        table: &FeatureTable,
        outcomes: &[bool],
        options: &TrainOptions,
    ) -> Result<Model, ScoringError> {
        if outcomes.len() != table.len() {
            return Err(ScoringError::OutcomeCount {
                rows: table.len(),
                outcomes: outcomes.len(),
            });
        }
        let won = outcomes.iter().filter(|&&o| o).count();
        let lost = outcomes.len() - won;
        if won < MIN_CLASS_ROWS || lost < MIN_CLASS_ROWS {
            return Err(ScoringError::NotEnoughOutcomes {
                won,
                lost,
                needed: MIN_CLASS_ROWS,
            });
        }
        let leak_aucs: Vec<Option<f64>> = (0..table.schema().len())
            .map(|f| {
                let threshold = options.leak_auc?;
                single_feature_auc(table, outcomes, f).filter(|&auc| auc >= threshold)
            })
            .collect();
        let leaks: Vec<Option<String>> = leak_aucs
            .iter()
            .map(|auc| {
                auc.map(|auc| {
                    format!(
                        "alone it separates won from lost almost perfectly (AUC {auc:.3}), \
                         so it is most likely recorded because of the outcome"
                    )
                })
            })
            .collect();
        let (encoder, design) = Encoder::fit(table, outcomes, &leaks);
        let cv = cross_validate(
            &design,
            outcomes,
            options.folds,
            options.seed,
            options.max_cv_rows,
        );
        let cv_outcomes: Vec<bool> = cv.rows.iter().map(|&r| outcomes[r]).collect();
        let (offset, slope) = platt(&cv.probabilities, &cv_outcomes);
        let recalibrated: Vec<f64> = cv
            .probabilities
            .iter()
            .map(|&p| {
                let p = p.clamp(1e-12, 1.0 - 1e-12);
                sigmoid(offset + slope * (p / (1.0 - p)).ln())
            })
            .collect();
        let p = &recalibrated;
        let cross_validation = CrossValidation {
            folds: cv.folds,
            rows: cv.rows.len(),
            auc: roc_auc(p, &cv_outcomes).ok(),
            brier: brier_score(p, &cv_outcomes).unwrap_or(f64::NAN),
            log_loss: log_loss(p, &cv_outcomes).unwrap_or(f64::NAN),
            ece: expected_calibration_error(p, &cv_outcomes).unwrap_or(f64::NAN),
        };
        // With the loss a mean over rows, the same prior strength over more rows is a
        // proportionally smaller λ.
        let lambda = cv.lambda * cv.train_rows / table.len() as f64;
        let all: Vec<usize> = (0..table.len()).collect();
        let fit = solver::fit(
            &Problem {
                design: &design,
                outcomes,
                rows: &all,
                lambda,
            },
            cv.start.as_ref(),
        );
        let excluded = encoder
            .features
            .iter()
            .zip(&leak_aucs)
            .filter_map(|(f, &leak_auc)| match &f.encoding {
                super::encode::Encoding::Unused { reason } => Some(ExcludedFeature {
                    feature: f.spec.name.clone(),
                    reason: reason.clone(),
                    leak_auc,
                }),
                _ => None,
            })
            .collect();
        let mut model = Model {
            kind: ModelKind::LogisticRegression,
            trained_at: None,
            training_rows: table.len(),
            won,
            lost,
            lambda,
            cross_validation,
            excluded,
            schema: table.schema().clone(),
            encoder,
            // The recalibration is folded into the coefficients, so contributions and factors
            // are measured on the probabilities the model actually gives.
            intercept: offset + slope * fit.intercept,
            weights: fit.weights.iter().map(|w| slope * w).collect(),
        };
        model.measure_effects(table)?;
        Ok(model)
    }

    /// The features a row must hold, in order.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The win probability of one deal, with its material factors.
    pub fn predict(&self, row: &[FeatureValue]) -> Result<Prediction, ScoringError> {
        let (logit, contributions) = self.contributions(row)?;
        Ok(Prediction {
            probability: sigmoid(logit),
            factors: explain::factors(&self.encoder, &contributions, row),
        })
    }

    /// The win probability alone, for scoring many deals.
    pub fn probability(&self, row: &[FeatureValue]) -> Result<f64, ScoringError> {
        Ok(sigmoid(self.contributions(row)?.0))
    }

    /// Every feature with its importance and per-value effects, most important first.
    pub fn summary(&self) -> Vec<FeatureSummary> {
        let mut summary: Vec<FeatureSummary> =
            self.encoder.features.iter().map(explain::summary).collect();
        summary.sort_by(|a, b| b.importance.total_cmp(&a.importance));
        summary
    }

    /// The logit and each feature's contribution (weights × (value − training mean)), with
    /// the group of training rows the value falls into.
    fn contributions(&self, row: &[FeatureValue]) -> Result<(f64, Vec<(f64, Slot)>), ScoringError> {
        check_width(&self.schema, row)?;
        let mut logit = self.intercept
            + self
                .weights
                .iter()
                .zip(&self.encoder.means)
                .map(|(w, m)| w * m)
                .sum::<f64>();
        let mut entries = Vec::new();
        let contributions = row
            .iter()
            .enumerate()
            .map(|(f, value)| {
                entries.clear();
                let slot = self.encoder.encode(f, value, &mut entries);
                if slot == Slot::Neutral {
                    return (0.0, slot);
                }
                let columns = self.encoder.features[f].columns.clone();
                let at_mean: f64 = columns
                    .map(|c| self.weights[c] * self.encoder.means[c])
                    .sum();
                let here: f64 = entries
                    .iter()
                    .map(|&(c, v)| self.weights[c as usize] * v)
                    .sum();
                logit += here - at_mean;
                (here - at_mean, slot)
            })
            .collect();
        Ok((logit, contributions))
    }

    /// Importance of each feature and the mean effect of each of its values on the training rows.
    fn measure_effects(&mut self, table: &FeatureTable) -> Result<(), ScoringError> {
        let features = self.encoder.features.len();
        let mut importance = vec![0.0; features];
        let mut effects: HashMap<(usize, Slot), (f64, usize)> = HashMap::new();
        for row in table.rows() {
            let (_, contributions) = self.contributions(row)?;
            for (f, (c, slot)) in contributions.into_iter().enumerate() {
                importance[f] += c.abs();
                let entry = effects.entry((f, slot)).or_default();
                entry.0 += c;
                entry.1 += 1;
            }
        }
        let n = table.len().max(1) as f64;
        for (feature, total) in self.encoder.features.iter_mut().zip(importance) {
            feature.importance = total / n;
        }
        for ((f, slot), (sum, count)) in effects {
            if let Some(stats) = self.encoder.stats_mut(f, slot) {
                stats.effect = sum / count.max(1) as f64;
            }
        }
        Ok(())
    }
}
