//! The exact distribution of revenue when every deal's probability is fixed: a dynamic
//! program over values rounded to a fine grid. It is the reference the simulation's
//! percentiles are checked against (the stage draws make the full model's distribution a
//! mixture with no such closed form).

use super::stats::Percentiles;

/// Probability of each revenue level on a grid of `width`.
#[derive(Debug, Clone)]
pub struct Distribution {
    width: f64,
    offset: f64,
    probabilities: Vec<f64>,
}

impl Distribution {
    /// Independent deals as `(value, probability)` plus revenue already certain, with values
    /// rounded to `cells` steps of the pipeline's total value (the rounding error of any
    /// percentile is at most half a step per deal, and in practice far less).
    pub fn exact(deals: &[(f64, f64)], certain: f64, cells: usize) -> Distribution {
        let total: f64 = deals.iter().map(|&(value, _)| value).sum();
        let width = if total > 0.0 {
            total / cells.max(1) as f64
        } else {
            1.0
        };
        let mut probabilities = vec![1.0];
        for &(value, probability) in deals {
            let step = (value / width).round() as usize;
            let mut next = vec![0.0; probabilities.len() + step];
            for (level, &p) in probabilities.iter().enumerate() {
                next[level] += p * (1.0 - probability);
                next[level + step] += p * probability;
            }
            probabilities = next;
        }
        Distribution {
            width,
            offset: certain,
            probabilities,
        }
    }

    /// The smallest revenue whose cumulative probability reaches `level`.
    pub fn quantile(&self, level: f64) -> f64 {
        let mut cumulative = 0.0;
        for (index, p) in self.probabilities.iter().enumerate() {
            cumulative += p;
            if cumulative >= level - 1e-12 && *p > 0.0 {
                return self.offset + index as f64 * self.width;
            }
        }
        self.offset + self.probabilities.len().saturating_sub(1) as f64 * self.width
    }

    pub fn percentiles(&self) -> Percentiles {
        let first = self
            .probabilities
            .iter()
            .position(|&p| p > 0.0)
            .unwrap_or(0);
        let last = self
            .probabilities
            .iter()
            .rposition(|&p| p > 0.0)
            .unwrap_or(0);
        let mut percentiles = Percentiles::from_quantile(|level| self.quantile(level));
        percentiles.min = self.offset + first as f64 * self.width;
        percentiles.max = self.offset + last as f64 * self.width;
        percentiles
    }
}
