//! How good win probabilities are, as pure functions of predictions and outcomes: ranking
//! (ROC AUC), accuracy of the probabilities themselves (Brier score, log loss) and calibration
//! (expected calibration error and the table behind it). Used by cross-validation inside
//! training, by `velocity eval scoring`, and by anyone judging a model.

use serde::{Deserialize, Serialize};

/// Why a metric is undefined for the given data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("{predictions} predictions for {outcomes} outcomes")]
    LengthMismatch { predictions: usize, outcomes: usize },
    #[error("no predictions to judge")]
    Empty,
    #[error("ranking needs both won and lost outcomes")]
    OneClass,
}

/// Log loss clips probabilities to [EPSILON, 1 − EPSILON] so one confident miss costs a large
/// but finite penalty (the same convention as scikit-learn).
pub const LOG_LOSS_EPSILON: f64 = 1e-15;

/// The number of equal-width bins of [0, 1] that calibration is judged on.
pub const CALIBRATION_BINS: usize = 10;

fn check(predictions: &[f64], outcomes: &[bool]) -> Result<(), MetricError> {
    if predictions.len() != outcomes.len() {
        return Err(MetricError::LengthMismatch {
            predictions: predictions.len(),
            outcomes: outcomes.len(),
        });
    }
    if predictions.is_empty() {
        return Err(MetricError::Empty);
    }
    Ok(())
}

/// Area under the ROC curve: the chance that a random won deal scores above a random lost one,
/// ties counting half. Computed as the Mann–Whitney U statistic with midranks, so tied scores
/// (common with categorical features) are neither rewarded nor punished by their order.
pub fn roc_auc(scores: &[f64], outcomes: &[bool]) -> Result<f64, MetricError> {
    check(scores, outcomes)?;
    let positives = outcomes.iter().filter(|&&o| o).count();
    let negatives = outcomes.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(MetricError::OneClass);
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks are 1-based: the group [start, end) shares the mean of ranks start+1..=end.
        let midrank = (start + 1 + end) as f64 / 2.0;
        let group_positives = order[start..end].iter().filter(|&&i| outcomes[i]).count();
        positive_rank_sum += midrank * group_positives as f64;
        start = end;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Ok((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Mean squared distance between the probability and the outcome (0 is perfect; always
/// predicting the base rate r scores r(1 − r)).
pub fn brier_score(probabilities: &[f64], outcomes: &[bool]) -> Result<f64, MetricError> {
    check(probabilities, outcomes)?;
    let total: f64 = probabilities
        .iter()
        .zip(outcomes)
        .map(|(&p, &o)| (p - f64::from(u8::from(o))).powi(2))
        .sum();
    Ok(total / probabilities.len() as f64)
}

/// Mean negative log-likelihood of the outcomes, with probabilities clipped by
/// [`LOG_LOSS_EPSILON`].
pub fn log_loss(probabilities: &[f64], outcomes: &[bool]) -> Result<f64, MetricError> {
    check(probabilities, outcomes)?;
    let total: f64 = probabilities
        .iter()
        .zip(outcomes)
        .map(|(&p, &o)| {
            let p = p.clamp(LOG_LOSS_EPSILON, 1.0 - LOG_LOSS_EPSILON);
            if o {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    Ok(total / probabilities.len() as f64)
}

/// One bin of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// 0-based bin index; bin i holds probabilities in [i/bins, (i+1)/bins), the last bin
    /// includes 1.
    pub bin: usize,
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Predictions grouped into `bins` equal-width bins, each with how often its deals really won.
/// Empty bins are left out.
pub fn calibration_table(
    probabilities: &[f64],
    outcomes: &[bool],
    bins: usize,
) -> Result<Vec<CalibrationBin>, MetricError> {
    check(probabilities, outcomes)?;
    let bins = bins.max(1);
    let mut sums = vec![(0usize, 0.0f64, 0usize); bins];
    for (&p, &o) in probabilities.iter().zip(outcomes) {
        let p = p.clamp(0.0, 1.0);
        // Truncation is the binning; p = 1 falls into the last bin.
        let index = ((p * bins as f64) as usize).min(bins - 1);
        let entry = &mut sums[index];
        entry.0 += 1;
        entry.1 += p;
        entry.2 += usize::from(o);
    }
    Ok(sums
        .into_iter()
        .enumerate()
        .filter(|(_, (count, _, _))| *count > 0)
        .map(|(bin, (count, predicted, won))| CalibrationBin {
            bin,
            lower: bin as f64 / bins as f64,
            upper: (bin + 1) as f64 / bins as f64,
            count,
            mean_predicted: predicted / count as f64,
            observed_rate: won as f64 / count as f64,
        })
        .collect())
}

/// Expected calibration error over [`CALIBRATION_BINS`] equal-width bins: the gap between
/// predicted and observed win rates, averaged with each bin weighted by its share of deals.
pub fn expected_calibration_error(
    probabilities: &[f64],
    outcomes: &[bool],
) -> Result<f64, MetricError> {
    let table = calibration_table(probabilities, outcomes, CALIBRATION_BINS)?;
    let total = probabilities.len() as f64;
    Ok(table
        .iter()
        .map(|b| b.count as f64 / total * (b.mean_predicted - b.observed_rate).abs())
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn auc_matches_hand_counts() {
        // Pairs (won, lost): (0.9,0.1) (0.9,0.5) (0.4,0.1) (0.4,0.5) → 3 of 4 ranked right.
        let auc = roc_auc(&[0.9, 0.4, 0.1, 0.5], &[true, true, false, false]).unwrap();
        assert!(close(auc, 0.75));
        // A tie between a won and a lost deal counts half: (0.5 vs 0.5) = ½, (0.5 vs 0.2) = 1.
        let auc = roc_auc(&[0.5, 0.5, 0.2], &[true, false, false]).unwrap();
        assert!(close(auc, 0.75));
        assert!(close(
            roc_auc(&[0.3; 4], &[true, false, true, false]).unwrap(),
            0.5
        ));
        assert_eq!(
            roc_auc(&[0.1, 0.2], &[true, true]),
            Err(MetricError::OneClass)
        );
        assert!(matches!(
            roc_auc(&[0.1], &[true, false]),
            Err(MetricError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn brier_and_log_loss_match_hand_values() {
        let p = [0.8, 0.3];
        let y = [true, false];
        assert!(close(brier_score(&p, &y).unwrap(), (0.04 + 0.09) / 2.0));
        let expected = -(0.8f64.ln() + 0.7f64.ln()) / 2.0;
        assert!(close(log_loss(&p, &y).unwrap(), expected));
        // A confident miss is clipped, not infinite.
        let loss = log_loss(&[0.0], &[true]).unwrap();
        assert!(close(loss, -LOG_LOSS_EPSILON.ln()));
        assert_eq!(brier_score(&[], &[]), Err(MetricError::Empty));
    }

    #[test]
    fn calibration_bins_hold_what_they_should() {
        let p = [0.05, 0.15, 0.15, 1.0, 0.95];
        let y = [false, true, false, true, true];
        let table = calibration_table(&p, &y, 10).unwrap();
        let bins: Vec<usize> = table.iter().map(|b| b.bin).collect();
        assert_eq!(bins, vec![0, 1, 9]);
        assert_eq!(table[1].count, 2);
        assert!(close(table[1].observed_rate, 0.5));
        assert!(close(table[2].mean_predicted, 0.975));
        // |0.05−0|·1 + |0.15−0.5|·2 + |0.975−1|·2, over 5 deals.
        let ece = expected_calibration_error(&p, &y).unwrap();
        assert!(close(ece, (0.05 + 0.7 + 0.05) / 5.0));
    }

    fn outcomes_and_scores() -> impl Strategy<Value = Vec<(f64, bool)>> {
        proptest::collection::vec(
            ((0u8..20).prop_map(|s| f64::from(s) / 20.0), any::<bool>()),
            2..60,
        )
    }

    /// The AUC by definition: every (won, lost) pair, ties counting half.
    fn auc_by_pairs(pairs: &[(f64, bool)]) -> f64 {
        let (mut score, mut count) = (0.0, 0.0);
        for &(won, _) in pairs.iter().filter(|p| p.1) {
            for &(lost, _) in pairs.iter().filter(|p| !p.1) {
                count += 1.0;
                score += if won > lost {
                    1.0
                } else if won == lost {
                    0.5
                } else {
                    0.0
                };
            }
        }
        score / count
    }

    proptest! {
        #[test]
        fn auc_equals_the_pairwise_definition(pairs in outcomes_and_scores()) {
            let scores: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            let outcomes: Vec<bool> = pairs.iter().map(|p| p.1).collect();
            match roc_auc(&scores, &outcomes) {
                Ok(auc) => prop_assert!((auc - auc_by_pairs(&pairs)).abs() < 1e-9),
                Err(e) => prop_assert_eq!(e, MetricError::OneClass),
            }
        }

        #[test]
        fn auc_flips_when_scores_are_negated(pairs in outcomes_and_scores()) {
            let scores: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            let negated: Vec<f64> = scores.iter().map(|s| -s).collect();
            let outcomes: Vec<bool> = pairs.iter().map(|p| p.1).collect();
            if let (Ok(a), Ok(b)) = (roc_auc(&scores, &outcomes), roc_auc(&negated, &outcomes)) {
                prop_assert!((a + b - 1.0).abs() < 1e-9);
            }
        }

        #[test]
        fn probability_scores_stay_in_range(pairs in outcomes_and_scores()) {
            let p: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            let y: Vec<bool> = pairs.iter().map(|p| p.1).collect();
            let brier = brier_score(&p, &y).unwrap();
            prop_assert!((0.0..=1.0).contains(&brier));
            prop_assert!(log_loss(&p, &y).unwrap() >= 0.0);
            let ece = expected_calibration_error(&p, &y).unwrap();
            prop_assert!((0.0..=1.0).contains(&ece));
            let table = calibration_table(&p, &y, CALIBRATION_BINS).unwrap();
            prop_assert_eq!(table.iter().map(|b| b.count).sum::<usize>(), p.len());
        }

        #[test]
        fn perfect_calibration_has_zero_ece(rate in 1u32..10, n in 1usize..5) {
            // In each bin, predict exactly the observed rate: 10 deals per bin, `rate` won.
            let p_value = f64::from(rate) / 10.0 - 0.0001;
            let mut p = Vec::new();
            let mut y = Vec::new();
            for _ in 0..n {
                for k in 0..10 {
                    p.push(p_value);
                    y.push(k < rate);
                }
            }
            let ece = expected_calibration_error(&p, &y).unwrap();
            prop_assert!(ece < 1e-3);
        }
    }
}
