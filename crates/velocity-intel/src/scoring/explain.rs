//! Why a deal scores as it does, in plain words: each feature's contribution is its weights
//! times how far its value sits from the training average (in log-odds), grouped back from
//! model columns to the original feature, and told with the win rate of training deals that
//! shared the value. Contributions below [`MATERIAL_LOG_ODDS`] are not reported, so a model
//! trained on noise does not claim reasons the data cannot support.

use super::encode::{Encoder, Encoding, FeatureEncoding, Slot, ValueStats};
use super::features::FeatureValue;
use serde::{Deserialize, Serialize};

/// Smallest |log-odds| contribution worth telling a person about (0.1 moves a 50% deal to
/// about 52.5%).
pub const MATERIAL_LOG_ODDS: f64 = 0.1;
/// At most this many factors per prediction, strongest first.
pub const MAX_FACTORS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Raises the chance of winning.
    Positive,
    Negative,
}

/// One reason behind a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The feature's key in the schema.
    pub feature: String,
    /// The feature's label.
    pub name: String,
    pub direction: Direction,
    /// The contribution in log-odds (signed; its sign is `direction`).
    pub weight: f64,
    pub detail: String,
}

/// What a feature does across the training data, for a model overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSummary {
    pub feature: String,
    pub name: String,
    /// Mean |log-odds contribution| over the training deals (0 for an unused feature).
    pub importance: f64,
    /// Each level or range with its training rows, win rate and mean contribution.
    pub values: Vec<ValueEffect>,
    /// Why the feature takes no part, when it does not.
    pub unused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueEffect {
    /// The value in words: `"Yes"`, `below 1,000`, `empty`, `rare values`.
    pub value: String,
    pub rows: usize,
    pub win_rate: f64,
    /// Mean log-odds contribution of the feature for deals with this value.
    pub effect: f64,
}

/// The material factors of one prediction, strongest first.
pub(crate) fn factors(
    encoder: &Encoder,
    contributions: &[(f64, Slot)],
    row: &[FeatureValue],
) -> Vec<Factor> {
    let mut factors: Vec<Factor> = encoder
        .features
        .iter()
        .enumerate()
        .zip(contributions)
        .filter(|(_, (weight, _))| weight.abs() >= MATERIAL_LOG_ODDS)
        .map(|((f, feature), &(weight, slot))| Factor {
            feature: feature.spec.name.clone(),
            name: feature.spec.label.clone(),
            direction: if weight > 0.0 {
                Direction::Positive
            } else {
                Direction::Negative
            },
            weight,
            detail: describe(
                encoder,
                f,
                slot,
                row.get(f).unwrap_or(&FeatureValue::Missing),
            ),
        })
        .collect();
    factors.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    factors.truncate(MAX_FACTORS);
    factors
}

fn percent(stats: &ValueStats) -> String {
    format!("{:.0}%", 100.0 * stats.win_rate())
}

fn describe(encoder: &Encoder, f: usize, slot: Slot, value: &FeatureValue) -> String {
    let Some(feature) = encoder.features.get(f) else {
        return String::new();
    };
    let name = &feature.spec.label;
    let rate = encoder.stats(f, slot).map(percent).unwrap_or_default();
    let text = value
        .as_category()
        .map(|c| c.into_owned())
        .unwrap_or_default();
    match (&feature.encoding, slot) {
        (_, Slot::Missing) => format!("{name} is empty (deals without it won {rate} of the time)"),
        (Encoding::Categorical(_), Slot::Level(_)) => {
            format!("{name} is \"{text}\" (deals with this value won {rate} of the time)")
        }
        (Encoding::Categorical(_), Slot::Other) => format!(
            "{name} is \"{text}\", a rare or new value (rare values won {rate} of the time)"
        ),
        (Encoding::Numeric(n), Slot::Bin(bin)) => {
            let x = value.as_number().map(number).unwrap_or_default();
            format!(
                "{name} is {x} (deals with {name} {} won {rate} of the time)",
                range(&n.cuts, bin)
            )
        }
        (Encoding::Numeric(n), Slot::Present) => {
            let x = value.as_number().unwrap_or(n.raw_mean);
            let side = if x >= n.raw_mean { "above" } else { "below" };
            format!(
                "{name} is {}, {side} the average of {}",
                number(x),
                number(n.raw_mean)
            )
        }
        _ => format!("{name} is {text}"),
    }
}

/// A bin of a numeric feature in words.
fn range(cuts: &[f64], bin: usize) -> String {
    match (bin.checked_sub(1).and_then(|i| cuts.get(i)), cuts.get(bin)) {
        (None, Some(upper)) => format!("below {}", number(*upper)),
        (Some(lower), Some(upper)) => {
            format!("from {} to under {}", number(*lower), number(*upper))
        }
        (Some(lower), None) => format!("of {} or more", number(*lower)),
        (None, None) => "with any value".into(),
    }
}

/// A number as a person writes it: thousands separated, at most two decimals.
pub(crate) fn number(x: f64) -> String {
    let decimals = if x.abs() >= 100.0 || x.fract() == 0.0 {
        0
    } else {
        2
    };
    let text = format!("{:.*}", decimals, x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let fraction = fraction.trim_end_matches('0');
    let sign = if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

pub(crate) fn summary(feature: &FeatureEncoding) -> FeatureSummary {
    let effect = |value: String, stats: &ValueStats| ValueEffect {
        value,
        rows: stats.rows,
        win_rate: stats.win_rate(),
        effect: stats.effect,
    };
    let mut values = Vec::new();
    let mut unused = None;
    match &feature.encoding {
        Encoding::Categorical(c) => {
            values.extend(
                c.levels
                    .iter()
                    .map(|l| effect(format!("\"{}\"", l.value), &l.stats)),
            );
            values.extend(
                c.other
                    .iter()
                    .map(|l| effect("rare values".into(), &l.stats)),
            );
            values.extend(c.missing.iter().map(|l| effect("empty".into(), &l.stats)));
        }
        Encoding::Numeric(n) => {
            if n.bins.is_empty() {
                values.push(effect("with a value".into(), &n.present));
            }
            values.extend(
                n.bins
                    .iter()
                    .enumerate()
                    .map(|(bin, l)| effect(range(&n.cuts, bin), &l.stats)),
            );
            values.extend(n.missing.iter().map(|l| effect("empty".into(), &l.stats)));
        }
        Encoding::Unused { reason } => unused = Some(reason.clone()),
    }
    FeatureSummary {
        feature: feature.spec.name.clone(),
        name: feature.spec.label.clone(),
        importance: feature.importance,
        values,
        unused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(999.4), "999");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-0.25), "-0.25");
        assert_eq!(number(-0.001), "0");
        assert_eq!(number(7.0), "7");
    }

    #[test]
    fn ranges_name_their_edges() {
        let cuts = [1000.0, 5000.0];
        assert_eq!(range(&cuts, 0), "below 1,000");
        assert_eq!(range(&cuts, 1), "from 1,000 to under 5,000");
        assert_eq!(range(&cuts, 2), "of 5,000 or more");
    }
}
