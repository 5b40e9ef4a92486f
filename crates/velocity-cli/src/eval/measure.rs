//! One train/test split of `velocity eval scoring`: how the deals are split, the model trained
//! on one side and scored on the other, and the baselines scored beside it.

use super::report::Scores;
use anyhow::Result;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use velocity_intel::scoring::metrics::{
    brier_score, calibration_table, expected_calibration_error, log_loss, roc_auc, CalibrationBin,
    CALIBRATION_BINS,
};
use velocity_intel::scoring::{FeatureTable, Model, TrainOptions};

/// Share of the deals the model learns from; the rest test it.
pub const TRAIN_SHARE: f64 = 0.7;

/// One split's results.
pub struct Run {
    pub model: Model,
    pub scores: Scores,
    pub constant: Scores,
    pub owner: Option<Scores>,
    pub calibration: Vec<CalibrationBin>,
}

pub fn sorted(part: &[usize]) -> Vec<usize> {
    let mut part = part.to_vec();
    part.sort_unstable();
    part
}

/// 70% of the won and 70% of the lost deals for training, the rest for testing.
pub fn stratified_split(outcomes: &[bool], seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in [true, false] {
        let mut members: Vec<usize> = (0..outcomes.len())
            .filter(|&p| outcomes[p] == class)
            .collect();
        members.shuffle(&mut rng);
        let cut = (TRAIN_SHARE * members.len() as f64).round() as usize;
        train.extend_from_slice(&members[..cut]);
        test.extend_from_slice(&members[cut..]);
    }
    (sorted(&train), sorted(&test))
}

fn scores(probabilities: &[f64], outcomes: &[bool]) -> Result<Scores> {
    Ok(Scores {
        auc: roc_auc(probabilities, outcomes).ok(),
        brier: brier_score(probabilities, outcomes)?,
        log_loss: log_loss(probabilities, outcomes)?,
        ece: expected_calibration_error(probabilities, outcomes)?,
        chance_ece: chance_ece(probabilities)?,
    })
}

/// Draws of outcomes for [`chance_ece`].
const CHANCE_DRAWS: usize = 200;

/// The ECE that perfectly calibrated probabilities would still show on this many deals: each
/// outcome drawn as a win with exactly its predicted probability, averaged over many draws.
/// On a few hundred deals it is far from 0, and a measured ECE near it is all one can ask.
fn chance_ece(probabilities: &[f64]) -> Result<f64> {
    let mut rng = StdRng::seed_from_u64(0);
    let mut total = 0.0;
    let mut drawn = vec![false; probabilities.len()];
    for _ in 0..CHANCE_DRAWS {
        for (outcome, &p) in drawn.iter_mut().zip(probabilities) {
            *outcome = rng.gen_bool(p.clamp(0.0, 1.0));
        }
        total += expected_calibration_error(probabilities, &drawn)?;
    }
    Ok(total / CHANCE_DRAWS as f64)
}

pub fn run_split(
    table: &FeatureTable,
    outcomes: &[bool],
    owners: Option<&[String]>,
    train: &[usize],
    test: &[usize],
    seed: u64,
) -> Result<Run> {
    let train_outcomes: Vec<bool> = train.iter().map(|&p| outcomes[p]).collect();
    let test_outcomes: Vec<bool> = test.iter().map(|&p| outcomes[p]).collect();
    let options = TrainOptions {
        seed,
        ..TrainOptions::default()
    };
    let model = Model::train(&table.select(train), &train_outcomes, &options)?;
    let probabilities = table
        .select(test)
        .rows()
        .iter()
        .map(|row| model.probability(row))
        .collect::<Result<Vec<f64>, _>>()?;
    let rate = train_outcomes.iter().filter(|&&o| o).count() as f64 / train.len().max(1) as f64;
    let constant = vec![rate; test.len()];
    let owner = match owners {
        Some(owners) => {
            let mut record: HashMap<&str, (f64, f64)> = HashMap::new();
            for (&p, &won) in train.iter().zip(&train_outcomes) {
                let entry = record.entry(owners[p].as_str()).or_default();
                entry.0 += 1.0;
                entry.1 += f64::from(u8::from(won));
            }
            // Laplace's rule: one imagined win and one imagined loss per owner.
            let p: Vec<f64> = test
                .iter()
                .map(|&p| {
                    record
                        .get(owners[p].as_str())
                        .map_or(rate, |(n, wins)| (wins + 1.0) / (n + 2.0))
                })
                .collect();
            Some(scores(&p, &test_outcomes)?)
        }
        None => None,
    };
    Ok(Run {
        scores: scores(&probabilities, &test_outcomes)?,
        constant: scores(&constant, &test_outcomes)?,
        owner,
        calibration: calibration_table(&probabilities, &test_outcomes, CALIBRATION_BINS)?,
        model,
    })
}
