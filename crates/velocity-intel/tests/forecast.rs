//! The forecast against exact answers: closed-form moments, the exact distribution of
//! pipelines with fixed probabilities, determinism, and bad input.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use velocity_intel::forecast::distribution::Distribution;
use velocity_intel::forecast::{ForecastError, NewBusiness, OpenDeal, RevenueModel, StageRecord};

/// A pseudo-random pipeline (a linear congruential walk keeps it reproducible without a
/// generator dependency in the tests).
fn pipeline(deals: usize, stages: usize, salt: u64) -> Vec<OpenDeal> {
    let mut state = salt
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..deals)
        .map(|i| OpenDeal {
            value: 1_000.0 + (next() * 99_000.0).round(),
            win_probability: next(),
            close_probability: 0.3 + 0.7 * next(),
            stage: i % stages,
        })
        .collect()
}

fn histories() -> Vec<StageRecord> {
    vec![
        StageRecord {
            wins: 3,
            losses: 12,
        },
        StageRecord {
            wins: 20,
            losses: 25,
        },
        StageRecord { wins: 8, losses: 2 },
        StageRecord::default(),
    ]
}

#[test]
fn simulated_moments_match_the_closed_form() {
    let deals = pipeline(300, 4, 7);
    let model = RevenueModel::new(&deals, &histories(), 50_000.0).unwrap();
    let exact = model.exact();
    let simulations = 40_000;
    let moments = model.simulate(simulations, 11).unwrap().moments();
    let standard_error = exact.standard_deviation / (simulations as f64).sqrt();
    assert!(
        (moments.mean - exact.mean).abs() < 3.0 * standard_error,
        "mean {} vs exact {} (se {standard_error})",
        moments.mean,
        exact.mean
    );
    let relative = (moments.standard_deviation / exact.standard_deviation - 1.0).abs();
    assert!(relative < 0.02, "sd off by {:.2}%", relative * 100.0);
}

#[test]
fn new_business_adds_its_moments_and_is_simulated_with_them() {
    let deals = pipeline(300, 4, 8);
    let plain = RevenueModel::new(&deals, &histories(), 0.0).unwrap();
    let arrivals = NewBusiness {
        mean: 2_000_000.0,
        variance: 4.0e11,
    };
    let model = plain.clone().with_new_business(arrivals).unwrap();
    let (before, exact) = (plain.exact(), model.exact());
    assert!((exact.mean - before.mean - arrivals.mean).abs() < 1e-6 * exact.mean);
    let variance = exact.standard_deviation.powi(2) - before.standard_deviation.powi(2);
    assert!((variance / arrivals.variance - 1.0).abs() < 1e-9);
    let simulations = 40_000;
    let moments = model.simulate(simulations, 3).unwrap().moments();
    let standard_error = exact.standard_deviation / (simulations as f64).sqrt();
    assert!((moments.mean - exact.mean).abs() < 3.0 * standard_error);
    assert!((moments.standard_deviation / exact.standard_deviation - 1.0).abs() < 0.02);
    // Known exactly, it shifts every trial by its mean.
    let certain = NewBusiness {
        mean: 500.0,
        variance: 0.0,
    };
    let shifted = plain.clone().with_new_business(certain).unwrap();
    let (low, high) = (
        plain.simulate(1_000, 1).unwrap(),
        shifted.simulate(1_000, 1).unwrap(),
    );
    assert!((high.percentiles().p50 - low.percentiles().p50 - 500.0).abs() < 1e-6);
    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        let refused = plain.clone().with_new_business(NewBusiness {
            mean: bad,
            variance: 1.0,
        });
        assert!(matches!(refused, Err(ForecastError::NewBusiness(_))));
    }
}

#[test]
fn shared_stage_uncertainty_widens_the_distribution() {
    let deals = pipeline(500, 2, 3);
    let settled = [
        StageRecord {
            wins: 1 << 40,
            losses: 1 << 40,
        },
        StageRecord {
            wins: 1 << 40,
            losses: 1 << 40,
        },
    ];
    let uncertain = [
        StageRecord { wins: 5, losses: 5 },
        StageRecord { wins: 5, losses: 5 },
    ];
    let narrow = RevenueModel::new(&deals, &settled, 0.0).unwrap().exact();
    let wide = RevenueModel::new(&deals, &uncertain, 0.0).unwrap().exact();
    assert!((narrow.mean - wide.mean).abs() < 1e-6 * narrow.mean);
    assert!(
        wide.standard_deviation > 1.5 * narrow.standard_deviation,
        "{wide:?} vs {narrow:?}"
    );
    let simulated = RevenueModel::new(&deals, &uncertain, 0.0)
        .unwrap()
        .simulate(20_000, 5)
        .unwrap()
        .moments();
    assert!((simulated.standard_deviation / wide.standard_deviation - 1.0).abs() < 0.02);
}

#[test]
fn percentiles_with_fixed_probabilities_match_the_exact_distribution() {
    for (size, salt) in [(1, 1), (12, 2), (200, 3), (1_000, 4)] {
        assert_percentiles_match_the_exact_distribution(&pipeline(size, 1, salt), 9);
    }
}

/// With probabilities fixed (a stage history too long to move), every simulated percentile
/// lies within 1% of the pipeline's total value of the exact distribution's.
fn assert_percentiles_match_the_exact_distribution(deals: &[OpenDeal], seed: u64) {
    let settled = [StageRecord {
        wins: 1 << 50,
        losses: 1 << 50,
    }];
    let total: f64 = deals.iter().map(|d| d.value).sum();
    let fixed: Vec<(f64, f64)> = deals
        .iter()
        .map(|d| (d.value, d.win_probability * d.close_probability))
        .collect();
    let exact = Distribution::exact(&fixed, 0.0, 20_000).percentiles();
    let simulated = RevenueModel::new(deals, &settled, 0.0)
        .unwrap()
        .simulate(50_000, seed)
        .unwrap()
        .percentiles();
    for (got, want) in simulated.at_levels().iter().zip(exact.at_levels()) {
        assert!(
            (got - want).abs() <= 0.01 * total,
            "{} deals: simulated {got} vs exact {want} (total {total})",
            deals.len()
        );
    }
}

#[test]
fn a_seed_gives_the_same_answer_and_another_seed_another() {
    let deals = pipeline(100, 4, 21);
    let model = RevenueModel::new(&deals, &histories(), 0.0).unwrap();
    let first = model.simulate(3_000, 42).unwrap().totals;
    assert_eq!(first, model.simulate(3_000, 42).unwrap().totals);
    assert_ne!(first, model.simulate(3_000, 43).unwrap().totals);
}

#[test]
fn certain_revenue_and_sure_deals_leave_no_spread() {
    let deals = [OpenDeal {
        value: 10.0,
        win_probability: 1.0,
        close_probability: 1.0,
        stage: 0,
    }];
    let model = RevenueModel::new(&deals, &[StageRecord::default()], 5.0).unwrap();
    let simulation = model.simulate(100, 1).unwrap();
    assert!(simulation.totals.iter().all(|&t| t == 15.0));
    assert_eq!(model.exact().mean, 15.0);
    assert_eq!(simulation.chance_of_reaching(15.0), 1.0);
    assert_eq!(simulation.chance_of_reaching(15.5), 0.0);
    let histogram = simulation.histogram(20);
    assert_eq!(histogram.len(), 1, "no spread, one band");
    assert_eq!(histogram[0].share, 1.0);
}

#[test]
fn the_histogram_covers_every_trial_in_equal_bands() {
    let model = RevenueModel::new(&pipeline(200, 3, 9), &histories(), 0.0).unwrap();
    let simulation = model.simulate(10_000, 8).unwrap();
    let histogram = simulation.histogram(30);
    assert_eq!(histogram.len(), 30);
    let shares: f64 = histogram.iter().map(|band| band.share).sum();
    assert!((shares - 1.0).abs() < 1e-9, "shares sum to {shares}");
    let width = histogram[0].to - histogram[0].from;
    for pair in histogram.windows(2) {
        assert!((pair[0].to - pair[1].from).abs() < 1e-6 * width.max(1.0));
        assert!((pair[1].to - pair[1].from - width).abs() < 1e-6 * width.max(1.0));
    }
    let stats = simulation.percentiles();
    assert!(histogram[0].from <= stats.p5);
    assert!(histogram[29].to >= stats.p95);
    let median_band = histogram
        .iter()
        .position(|band| band.from <= stats.p50 && stats.p50 <= band.to)
        .unwrap();
    assert!(
        median_band > 3 && median_band < 26,
        "the median sits inside, band {median_band}"
    );
}

#[test]
fn bad_input_is_refused_with_the_reason() {
    let stages = [StageRecord::default()];
    let deal = |value, win_probability, stage| OpenDeal {
        value,
        win_probability,
        close_probability: 1.0,
        stage,
    };
    assert!(matches!(
        RevenueModel::new(&[deal(-1.0, 0.5, 0)], &stages, 0.0),
        Err(ForecastError::Value { index: 0, .. })
    ));
    assert!(matches!(
        RevenueModel::new(&[deal(1.0, f64::NAN, 0)], &stages, 0.0),
        Err(ForecastError::Probability { .. })
    ));
    assert!(matches!(
        RevenueModel::new(&[deal(1.0, 0.5, 3)], &stages, 0.0),
        Err(ForecastError::Stage { stage: 3, .. })
    ));
    assert!(matches!(
        RevenueModel::new(&[], &stages, f64::INFINITY),
        Err(ForecastError::Certain(_))
    ));
    let model = RevenueModel::new(&[], &stages, 0.0).unwrap();
    assert!(matches!(
        model.simulate(0, 1),
        Err(ForecastError::Simulations { .. })
    ));
}

proptest! {
    #[test]
    fn the_exact_mean_is_the_sum_of_adjusted_values(
        deals in prop::collection::vec((0.0..1e6f64, 0.0..=1.0f64, 0.0..=1.0f64, 0usize..3), 0..40),
        wins in prop::array::uniform3(0u64..50),
        losses in prop::array::uniform3(0u64..50),
        certain in 0.0..1e6f64,
    ) {
        let stages: Vec<StageRecord> =
            wins.iter().zip(losses).map(|(&wins, losses)| StageRecord { wins, losses }).collect();
        let deals: Vec<OpenDeal> = deals
            .into_iter()
            .map(|(value, win_probability, close_probability, stage)| OpenDeal {
                value, win_probability, close_probability, stage,
            })
            .collect();
        let want = certain
            + deals.iter().map(|d| d.value * d.win_probability * d.close_probability).sum::<f64>();
        let model = RevenueModel::new(&deals, &stages, certain).unwrap();
        let exact = model.exact();
        prop_assert!((exact.mean - want).abs() <= 1e-9 * want.max(1.0));
        prop_assert!(exact.standard_deviation.is_finite());
        // Every trial lies between the certain revenue and everything won.
        let ceiling = certain + deals.iter().map(|d| d.value).sum::<f64>();
        for total in model.simulate(50, 3).unwrap().totals {
            prop_assert!(total >= certain - 1e-6 && total <= ceiling + 1e-6);
        }
    }
}

#[test]
fn large_stages_pool_their_small_deals_without_moving_the_answer() {
    // Beyond 2,000 deals a stage draws its 500 largest one by one and pools the rest.
    assert_percentiles_match_the_exact_distribution(&pipeline(6_000, 1, 12), 3);

    let model = RevenueModel::new(&pipeline(9_000, 3, 13), &histories()[..3], 0.0).unwrap();
    let exact = model.exact();
    let simulations = 40_000;
    let moments = model.simulate(simulations, 4).unwrap().moments();
    let standard_error = exact.standard_deviation / (simulations as f64).sqrt();
    assert!((moments.mean - exact.mean).abs() < 3.0 * standard_error);
    assert!((moments.standard_deviation / exact.standard_deviation - 1.0).abs() < 0.02);
}
