//! The model end to end on deals generated with a known truth: it finds real signal and its
//! direction, admits when there is none, survives values it never saw, and predicts the same
//! after a JSON round trip.

use super::metrics::{brier_score, expected_calibration_error, roc_auc};
use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const STAGES: [&str; 4] = ["Discovery", "Demo", "Proposal", "Negotiation"];
const REGIONS: [&str; 3] = ["North", "South", "West"];

fn schema() -> Schema {
    Schema::new(vec![
        FeatureSpec::categorical("stage"),
        FeatureSpec::categorical("budget").with_label("Budget allocated"),
        FeatureSpec::numeric("amount"),
        FeatureSpec::numeric("days_in_stage"),
        FeatureSpec::categorical("region"),
    ])
    .unwrap()
}

/// Deals whose win log-odds depend on stage, budget and days in stage when `signal`; the
/// region never matters. Outcomes are drawn from the true probability.
fn deals(n: usize, seed: u64, signal: bool) -> (FeatureTable, Vec<bool>, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut table = FeatureTable::new(schema());
    let mut outcomes = Vec::new();
    let mut truth = Vec::new();
    for _ in 0..n {
        let stage = rng.gen_range(0..STAGES.len());
        let budget = rng.gen_bool(0.5);
        let amount: f64 = (rng.gen_range(6.0f64..12.0)).exp();
        let days = if rng.gen_bool(0.1) {
            None
        } else {
            Some(rng.gen_range(0.0f64..120.0).round())
        };
        let region = REGIONS[rng.gen_range(0..REGIONS.len())];
        let logit = if signal {
            -1.0 + 0.7 * stage as f64 + if budget { 1.2 } else { -0.3 }
                - 0.02 * days.unwrap_or(60.0)
        } else {
            -0.4
        };
        let p = 1.0 / (1.0 + (-logit).exp());
        table
            .push(vec![
                STAGES[stage].into(),
                (if budget { "Yes" } else { "No" }).into(),
                amount.into(),
                days.into(),
                region.into(),
            ])
            .unwrap();
        outcomes.push(rng.gen_bool(p));
        truth.push(p);
    }
    (table, outcomes, truth)
}

fn probabilities(model: &Model, table: &FeatureTable) -> Vec<f64> {
    table
        .rows()
        .iter()
        .map(|row| model.probability(row).unwrap())
        .collect()
}

#[test]
fn a_known_signal_is_found_with_its_direction() {
    let (train, outcomes, _) = deals(3000, 1, true);
    let model = Model::train(&train, &outcomes, &TrainOptions::default()).unwrap();
    let (test, test_outcomes, truth) = deals(4000, 2, true);
    let p = probabilities(&model, &test);
    let auc = roc_auc(&p, &test_outcomes).unwrap();
    let best_possible = roc_auc(&truth, &test_outcomes).unwrap();
    assert!(
        auc > best_possible - 0.02,
        "AUC {auc} against {best_possible}"
    );
    assert!(model.cross_validation.auc.unwrap() > best_possible - 0.04);
    let ece = expected_calibration_error(&p, &test_outcomes).unwrap();
    assert!(ece < 0.04, "ECE {ece}");

    let row = vec![
        "Negotiation".into(),
        "Yes".into(),
        5000.0.into(),
        3.0.into(),
        "North".into(),
    ];
    let prediction = model.predict(&row).unwrap();
    assert!(prediction.probability > 0.7, "{prediction:?}");
    let budget = prediction
        .factors
        .iter()
        .find(|f| f.feature == "budget")
        .unwrap();
    assert_eq!(budget.direction, Direction::Positive);
    assert_eq!(budget.name, "Budget allocated");
    assert!(
        budget
            .detail
            .starts_with("Budget allocated is \"Yes\" (deals with this value won"),
        "{}",
        budget.detail
    );
    assert!(prediction.factors.iter().all(|f| f.feature != "region"));
    let summary = model.summary();
    assert!(["stage", "budget", "days_in_stage"].contains(&summary[0].feature.as_str()));
    let region = summary.iter().find(|s| s.feature == "region").unwrap();
    assert!(region.importance < MATERIAL_LOG_ODDS, "{region:?}");
}

#[test]
fn noise_gives_no_factors_and_the_base_rate() {
    let (train, outcomes, _) = deals(1500, 3, false);
    let model = Model::train(&train, &outcomes, &TrainOptions::default()).unwrap();
    let (test, test_outcomes, _) = deals(3000, 4, false);
    let p = probabilities(&model, &test);
    let rate = outcomes.iter().filter(|&&o| o).count() as f64 / outcomes.len() as f64;
    let constant = brier_score(&vec![rate; p.len()], &test_outcomes).unwrap();
    let brier = brier_score(&p, &test_outcomes).unwrap();
    assert!(brier <= constant + 0.002, "{brier} against {constant}");
    for row in test.rows().iter().take(200) {
        let prediction = model.predict(row).unwrap();
        assert!(prediction.factors.is_empty(), "{prediction:?}");
    }
    assert!(model
        .summary()
        .iter()
        .all(|s| s.importance < MATERIAL_LOG_ODDS));
}

#[test]
fn unseen_and_missing_values_are_scored() {
    let (train, outcomes, _) = deals(400, 5, true);
    let model = Model::train(&train, &outcomes, &TrainOptions::default()).unwrap();
    let odd = vec![
        "Stage nobody has".into(),
        FeatureValue::Missing,
        FeatureValue::Missing,
        "12".into(),
        FeatureValue::Number(3.0),
    ];
    let prediction = model.predict(&odd).unwrap();
    assert!(prediction.probability > 0.0 && prediction.probability < 1.0);
    assert!(matches!(
        model.predict(&odd[..2]),
        Err(ScoringError::RowWidth {
            expected: 5,
            found: 2
        })
    ));
}

#[test]
fn a_json_round_trip_predicts_identically() {
    let (train, outcomes, _) = deals(600, 6, true);
    let mut model = Model::train(&train, &outcomes, &TrainOptions::default()).unwrap();
    model.trained_at = Some(chrono::DateTime::UNIX_EPOCH);
    let json = serde_json::to_string(&model).unwrap();
    let back: Model = serde_json::from_str(&json).unwrap();
    assert_eq!(back, model);
    let (test, _, _) = deals(100, 7, true);
    for row in test.rows() {
        assert_eq!(back.predict(row).unwrap(), model.predict(row).unwrap());
    }
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["kind"], "logistic_regression");
    assert_eq!(value["training_rows"], 600);
}

#[test]
fn leaks_are_left_out_and_small_data_refused() {
    let (train, outcomes, _) = deals(300, 8, true);
    let schema = {
        let mut features = schema().features().to_vec();
        features.push(FeatureSpec::numeric("close_value"));
        Schema::new(features).unwrap()
    };
    let mut leaky = FeatureTable::new(schema);
    for (row, &won) in train.rows().iter().zip(&outcomes) {
        let mut row = row.clone();
        row.push(if won { 1200.0 } else { 0.0 }.into());
        leaky.push(row).unwrap();
    }
    let model = Model::train(&leaky, &outcomes, &TrainOptions::default()).unwrap();
    assert!(model.excluded.iter().any(|e| e.feature == "close_value"));
    assert!(model.cross_validation.auc.unwrap() < 0.95);

    let few = train.select(&[0, 1, 2, 3, 4, 5]);
    assert!(matches!(
        Model::train(&few, &outcomes[..6], &TrainOptions::default()),
        Err(ScoringError::NotEnoughOutcomes { .. })
    ));
    assert!(matches!(
        Model::train(&train, &outcomes[..5], &TrainOptions::default()),
        Err(ScoringError::OutcomeCount { .. })
    ));
}

#[test]
fn values_beyond_the_training_range_count_as_its_ends() {
    let (table, outcomes, _) = deals(2_000, 17, true);
    let model = Model::train(&table, &outcomes, &TrainOptions::default()).unwrap();
    let row = |days: f64| -> Vec<FeatureValue> {
        vec![
            "Demo".into(),
            "Yes".into(),
            5_000.0.into(),
            days.into(),
            "North".into(),
        ]
    };
    let at_the_end = model.predict(&row(120.0)).unwrap();
    let far_beyond = model.predict(&row(1e9)).unwrap();
    assert!((at_the_end.probability - far_beyond.probability).abs() < 1e-9);
    assert!(far_beyond.factors.iter().all(|f| f.weight.abs() < 10.0));
}
