//! Summaries of a revenue distribution (moments, percentiles) and the scores a forecaster
//! uses to judge one against what actually closed (pinball loss, CRPS).

use serde::Serialize;

/// Mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moments {
    pub mean: f64,
    pub standard_deviation: f64,
}

impl Moments {
    /// Sample moments (population variance, as the number of trials is large).
    pub fn of(values: &[f64]) -> Moments {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        Moments {
            mean,
            standard_deviation: variance.sqrt(),
        }
    }
}

/// The percentiles a forecast reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub min: f64,
    pub max: f64,
    pub p5: f64,
    pub p10: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p95: f64,
}

/// Levels of [`Percentiles`] other than min and max, in order.
pub const LEVELS: [f64; 7] = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95];

impl Percentiles {
    /// From values sorted ascending.
    pub fn of_sorted(sorted: &[f64]) -> Percentiles {
        Percentiles::from_quantile(|level| quantile_of_sorted(sorted, level))
    }

    pub fn from_quantile(quantile: impl Fn(f64) -> f64) -> Percentiles {
        let [p5, p10, p25, p50, p75, p90, p95] = LEVELS.map(&quantile);
        Percentiles {
            min: quantile(0.0),
            max: quantile(1.0),
            p5,
            p10,
            p25,
            p50,
            p75,
            p90,
            p95,
        }
    }

    /// The values at [`LEVELS`], in order.
    pub fn at_levels(&self) -> [f64; 7] {
        [
            self.p5, self.p10, self.p25, self.p50, self.p75, self.p90, self.p95,
        ]
    }
}

/// Linear interpolation between order statistics (the common "type 7" definition).
pub fn quantile_of_sorted(sorted: &[f64], level: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n => {
            let position = level.clamp(0.0, 1.0) * (n - 1) as f64;
            let below = position.floor() as usize;
            let above = position.ceil() as usize;
            let fraction = position - below as f64;
            sorted[below] + (sorted[above] - sorted[below]) * fraction
        }
    }
}

/// Pinball (quantile) loss of a forecast quantile at `level` against the outcome.
pub fn pinball_loss(level: f64, forecast: f64, outcome: f64) -> f64 {
    if outcome >= forecast {
        level * (outcome - forecast)
    } else {
        (1.0 - level) * (forecast - outcome)
    }
}

/// Continuous ranked probability score approximated from quantiles: twice the mean pinball
/// loss over the levels, which converges to the CRPS as the levels fill (0, 1).
pub fn crps_from_quantiles(levels: &[f64], quantiles: &[f64], outcome: f64) -> f64 {
    let total: f64 = levels
        .iter()
        .zip(quantiles)
        .map(|(&level, &forecast)| pinball_loss(level, forecast, outcome))
        .sum();
    2.0 * total / levels.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_of_sorted(&sorted, 0.0), 1.0);
        assert_eq!(quantile_of_sorted(&sorted, 0.5), 3.0);
        assert_eq!(quantile_of_sorted(&sorted, 1.0), 5.0);
        assert!((quantile_of_sorted(&sorted, 0.1) - 1.4).abs() < 1e-12);
        assert_eq!(quantile_of_sorted(&[], 0.5), 0.0);
    }

    #[test]
    fn pinball_loss_weighs_misses_by_level() {
        assert!((pinball_loss(0.9, 100.0, 150.0) - 45.0).abs() < 1e-12);
        assert!((pinball_loss(0.9, 100.0, 50.0) - 5.0).abs() < 1e-12);
        assert_eq!(pinball_loss(0.5, 10.0, 10.0), 0.0);
    }

    #[test]
    fn crps_of_a_dense_point_forecast_is_the_absolute_error() {
        let levels: Vec<f64> = (1..1000).map(|i| f64::from(i) / 1000.0).collect();
        let quantiles = vec![10.0; levels.len()];
        let crps = crps_from_quantiles(&levels, &quantiles, 13.0);
        assert!((crps - 3.0).abs() < 0.01, "{crps}");
    }

    #[test]
    fn moments_of_a_sample() {
        let moments = Moments::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(moments.mean, 5.0);
        assert_eq!(moments.standard_deviation, 2.0);
    }
}
