//! Numeric features as model columns: a standardised value (after a signed log when the
//! values are skewed, as amounts and ages are), quantile-bin indicators so that a non-linear
//! effect (deals that are neither too small nor too large win most) can show, and a missing
//! indicator when training rows lacked a value.

use super::encode::{take_column, Encoding, Level, Slot, ValueStats};
use super::features::FeatureValue;
use serde::{Deserialize, Serialize};

/// Numeric features with at least [`MIN_DISTINCT_FOR_BINS`] distinct values also get this many
/// quantile bins (fewer when values repeat).
pub const QUANTILE_BINS: usize = 4;
pub const MIN_DISTINCT_FOR_BINS: usize = 8;
/// Sample skewness above which a numeric feature is log-transformed (sign kept) before it is
/// standardised, so a few huge amounts do not flatten everyone else into one value.
pub const SKEW_FOR_LOG: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Numeric {
    pub log: bool,
    pub centre: f64,
    pub scale: f64,
    /// Mean of the raw values, for explanations.
    pub raw_mean: f64,
    /// The training range. A value outside it counts as its nearest end: the model has no
    /// evidence beyond, and a linear term extrapolated there can swamp every other factor.
    pub low: f64,
    pub high: f64,
    pub linear: Option<usize>,
    /// Raw-unit bin edges, ascending: bin k holds values with exactly k edges ≤ value.
    pub cuts: Vec<f64>,
    /// One per bin when binned (its `value` is unused).
    pub bins: Vec<Level>,
    /// Rows that had a value, when the feature is not binned.
    pub present: ValueStats,
    pub missing: Option<Level>,
}

impl Numeric {
    /// Appends the columns a value sets and says which group of training rows it falls into.
    pub(crate) fn encode(&self, value: &FeatureValue, set: &mut impl FnMut(usize, f64)) -> Slot {
        let Some(x) = value.as_number() else {
            return match &self.missing {
                Some(level) => {
                    set(level.column, 1.0);
                    Slot::Missing
                }
                None => Slot::Neutral,
            };
        };
        let x = x.clamp(self.low, self.high);
        if let Some(column) = self.linear {
            set(column, (transform(x, self.log) - self.centre) / self.scale);
        }
        if self.bins.is_empty() {
            Slot::Present
        } else {
            let bin = self.bin(x);
            set(self.bins[bin].column, 1.0);
            Slot::Bin(bin)
        }
    }

    fn bin(&self, x: f64) -> usize {
        self.cuts.iter().filter(|&&c| c <= x).count()
    }
}

/// Signed log1p: keeps order and sign, compresses magnitude.
fn transform(x: f64, log: bool) -> f64 {
    if log {
        x.signum() * x.abs().ln_1p()
    } else {
        x
    }
}

pub(crate) fn fit<'a>(
    values: impl Iterator<Item = &'a FeatureValue>,
    outcomes: &[bool],
    columns: &mut usize,
) -> Encoding {
    let mut present: Vec<(f64, bool)> = Vec::new();
    let mut missing = ValueStats::default();
    for (value, &won) in values.zip(outcomes) {
        match value.as_number() {
            Some(x) => present.push((x, won)),
            None => missing.add(won),
        }
    }
    let mut sorted: Vec<f64> = present.iter().map(|p| p.0).collect();
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() < 2 && (missing.rows == 0 || present.is_empty()) {
        return Encoding::Unused {
            reason: if present.is_empty() {
                "empty in every training row".into()
            } else {
                "the same value in every training row".into()
            },
        };
    }
    let log = skewness(&sorted) > SKEW_FOR_LOG;
    let transformed: Vec<f64> = sorted.iter().map(|&x| transform(x, log)).collect();
    let (centre, scale) = mean_sd(&transformed);
    let linear = (distinct.len() >= 2 && scale > 0.0).then(|| take_column(columns));
    let cuts = if distinct.len() >= MIN_DISTINCT_FOR_BINS {
        quantile_cuts(&sorted)
    } else {
        Vec::new()
    };
    let mut bins: Vec<Level> = if cuts.is_empty() {
        Vec::new()
    } else {
        (0..=cuts.len())
            .map(|_| Level {
                value: String::new(),
                column: take_column(columns),
                stats: ValueStats::default(),
            })
            .collect()
    };
    let mut present_stats = ValueStats::default();
    for &(x, won) in &present {
        present_stats.add(won);
        if !bins.is_empty() {
            let bin = cuts.iter().filter(|&&c| c <= x).count();
            bins[bin].stats.add(won);
        }
    }
    let missing = (missing.rows > 0).then(|| Level {
        value: String::new(),
        column: take_column(columns),
        stats: missing,
    });
    Encoding::Numeric(Numeric {
        log,
        centre,
        scale: if scale > 0.0 { scale } else { 1.0 },
        raw_mean: mean_sd(&sorted).0,
        low: sorted.first().copied().unwrap_or(f64::NEG_INFINITY),
        high: sorted.last().copied().unwrap_or(f64::INFINITY),
        linear,
        cuts,
        bins,
        present: present_stats,
        missing,
    })
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, variance.sqrt())
}

fn skewness(values: &[f64]) -> f64 {
    let (mean, sd) = mean_sd(values);
    if sd == 0.0 {
        return 0.0;
    }
    values
        .iter()
        .map(|x| ((x - mean) / sd).powi(3))
        .sum::<f64>()
        / values.len() as f64
}

/// Bin edges at the inner quantiles of the sorted values, without repeats and without an edge
/// at the minimum (it would leave the first bin empty).
fn quantile_cuts(sorted: &[f64]) -> Vec<f64> {
    let mut cuts: Vec<f64> = (1..QUANTILE_BINS)
        .map(|k| sorted[k * sorted.len() / QUANTILE_BINS])
        .filter(|&c| c > sorted[0])
        .collect();
    cuts.dedup();
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::encode::tests::table;
    use crate::scoring::encode::Encoder;

    #[test]
    fn skewed_amounts_are_logged_standardised_and_binned() {
        let rows: Vec<_> = (0..40)
            .map(|i| {
                let amount = if i % 10 == 0 {
                    1e6
                } else {
                    f64::from(i) * 100.0
                };
                ("A".into(), FeatureValue::Number(amount))
            })
            .collect();
        let outcomes: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        let (encoder, design) = Encoder::fit(&table(rows), &outcomes, &[None, None]);
        assert!(matches!(
            encoder.features[0].encoding,
            Encoding::Unused { .. }
        ));
        let Encoding::Numeric(n) = &encoder.features[1].encoding else {
            panic!("numeric")
        };
        assert!(n.log);
        assert_eq!(n.bins.len(), QUANTILE_BINS);
        assert!(n.missing.is_none());
        let linear = n.linear.unwrap();
        assert!(
            encoder.means[linear].abs() < 1e-9,
            "standardised values average 0"
        );
        assert_eq!(design.columns(), 1 + QUANTILE_BINS);
        let mut out = Vec::new();
        assert_eq!(
            encoder.encode(1, &FeatureValue::Missing, &mut out),
            Slot::Neutral
        );
        assert!(out.is_empty());
    }
}
