//! Checks the Monte Carlo forecast against exact answers and prints the figures for
//! BENCHMARKS.md: for random pipelines of several sizes, the simulated mean against the closed
//! form (in standard errors), the simulated standard deviation against the closed form (in %),
//! and, with fixed probabilities, every reported percentile against the exact distribution
//! (as % of the pipeline's total value).
//!
//! `cargo run --release -p velocity-bench --bin forecast-check`

use anyhow::Result;
use rand::{Rng, SeedableRng};
use velocity_intel::forecast::distribution::Distribution;
use velocity_intel::forecast::{OpenDeal, RevenueModel, StageRecord};

const SIMULATIONS: usize = 10_000;

fn pipeline(rng: &mut impl Rng, deals: usize, stages: usize) -> Vec<OpenDeal> {
    (0..deals)
        .map(|_| OpenDeal {
            // Log-uniform values: a few large deals among many small ones, as in real pipelines.
            value: (rng.gen_range(7.0f64..13.0)).exp().round(),
            win_probability: rng.gen_range(0.02..0.98),
            close_probability: rng.gen_range(0.2..1.0),
            stage: rng.gen_range(0..stages),
        })
        .collect()
}

fn main() -> Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    println!("| deals | mean off (standard errors) | sd off | worst percentile off (% of total) | simulate |");
    println!("|---|---|---|---|---|");
    for size in [10, 100, 1_000, 10_000] {
        let deals = pipeline(&mut rng, size, 5);
        let stages: Vec<StageRecord> = (0..5)
            .map(|_| StageRecord {
                wins: rng.gen_range(0..60),
                losses: rng.gen_range(0..60),
            })
            .collect();
        let model = RevenueModel::new(&deals, &stages, 0.0)?;
        let exact = model.exact();
        let started = std::time::Instant::now();
        let simulated = model.simulate(SIMULATIONS, 7)?;
        let elapsed = started.elapsed();
        let moments = simulated.moments();
        let standard_error = exact.standard_deviation / (SIMULATIONS as f64).sqrt();
        let mean_off = (moments.mean - exact.mean).abs() / standard_error;
        let sd_off = (moments.standard_deviation / exact.standard_deviation - 1.0).abs() * 100.0;

        let settled = vec![
            StageRecord {
                wins: 1 << 50,
                losses: 1 << 50
            };
            5
        ];
        let fixed_model = RevenueModel::new(&deals, &settled, 0.0)?;
        let fixed: Vec<(f64, f64)> = deals
            .iter()
            .map(|d| (d.value, d.win_probability * d.close_probability))
            .collect();
        let reference = Distribution::exact(&fixed, 0.0, 20_000).percentiles();
        let total: f64 = deals.iter().map(|d| d.value).sum();
        let percentile_off = if size <= 1_000 {
            let got = fixed_model.simulate(SIMULATIONS, 7)?.percentiles();
            let worst = got
                .at_levels()
                .iter()
                .zip(reference.at_levels())
                .map(|(g, r)| (g - r).abs() / total * 100.0)
                .fold(0.0, f64::max);
            format!("{worst:.3}%")
        } else {
            "—".to_owned()
        };
        println!(
            "| {size} | {mean_off:.2} | {sd_off:.2}% | {percentile_off} | {:.1} ms |",
            elapsed.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
