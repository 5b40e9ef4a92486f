//! Win scoring: a per-workspace model of how likely an open deal is to be won, learned from the
//! workspace's closed deals. The caller (the server, or `velocity eval scoring`) describes each
//! deal as a row of named numeric or categorical features ([`FeatureTable`]); training leaves
//! out leaks ([`leakage`]), encodes the features, chooses the L2 penalty of a logistic
//! regression by cross-validation and keeps the out-of-fold AUC and Brier score with the
//! model. Predictions come with their reasons ([`Factor`]), and [`blend`] decides how far to
//! trust a young model against a prior. Everything here is pure: no clock, no I/O.
//!
//! Why logistic regression: on the few hundred to few thousand closed deals a workspace has,
//! a regularised linear model ranks nearly as well as boosted trees (scikit-learn on the
//! Salvirt data: 0.83 against 0.84 AUC over 20 splits), is close to calibrated by
//! construction, and is explainable exactly, since each feature's contribution is additive in
//! log-odds. The solver is written here (see `solver` for the measurements) because
//! `linfa-logistic` doubled this crate's clean release build and took 9.6 s for one dense fit
//! on 100,000 deals, where training must fit dozens of times in under 5 s.

mod blend;
mod cv;
mod encode;
mod explain;
mod features;
pub mod leakage;
pub mod metrics;
mod model;
mod numeric;
mod solver;

pub use blend::{blend, ClosedDeals, MODEL_ONLY_FROM_CLOSED, PRIOR_ONLY_BELOW_PER_CLASS};
pub use cv::{LAMBDAS, MAX_SLOPE, STANDARD_ERRORS};
pub use encode::MIN_LEVEL_ROWS;
pub use explain::{Direction, Factor, FeatureSummary, ValueEffect, MATERIAL_LOG_ODDS, MAX_FACTORS};
pub use features::{FeatureKind, FeatureSpec, FeatureTable, FeatureValue, Schema};
pub use leakage::{single_feature_auc, LEAK_AUC};
pub use model::{
    CrossValidation, ExcludedFeature, Model, ModelKind, Prediction, TrainOptions, MIN_CLASS_ROWS,
};
pub use numeric::{MIN_DISTINCT_FOR_BINS, QUANTILE_BINS, SKEW_FOR_LOG};

/// Why a table cannot be trained on or a row cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    #[error("feature names must be unique, but `{0}` appears twice")]
    DuplicateFeature(String),
    #[error("a row has {found} values but the schema has {expected} features")]
    RowWidth { expected: usize, found: usize },
    #[error("row {row} holds a value of the wrong kind for feature `{feature}`")]
    KindMismatch { feature: String, row: usize },
    #[error("{outcomes} outcomes were given for {rows} rows")]
    OutcomeCount { rows: usize, outcomes: usize },
    #[error("training needs at least {needed} won and {needed} lost deals; there are {won} won and {lost} lost")]
    NotEnoughOutcomes {
        won: usize,
        lost: usize,
        needed: usize,
    },
}

#[cfg(test)]
mod tests;
