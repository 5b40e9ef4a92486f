//! Scoring from day one: a workspace with little history has a prior (the stage's default
//! probability, say) and, later, a model. [`blend`] trusts the prior while the model has too few
//! examples of either outcome, the model once it has plenty, and moves from one to the other
//! in log-odds space in between.

use serde::{Deserialize, Serialize};

/// Below this many won deals, or this many lost deals, the model is not used at all.
pub const PRIOR_ONLY_BELOW_PER_CLASS: usize = 20;
/// From this many closed deals (won + lost, with enough of each) the model is used alone.
pub const MODEL_ONLY_FROM_CLOSED: usize = 200;

/// Probabilities are kept this far from 0 and 1 so their log-odds stay finite.
const EDGE: f64 = 1e-6;

/// How many closed deals the model learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClosedDeals {
    pub won: usize,
    pub lost: usize,
}

impl ClosedDeals {
    /// The model's share of the blend, from 0 (prior only) to 1 (model only). It grows
    /// linearly from the fewest closed deals a usable model can have
    /// (2 × [`PRIOR_ONLY_BELOW_PER_CLASS`]) to [`MODEL_ONLY_FROM_CLOSED`].
    pub fn model_weight(self) -> f64 {
        if self.won < PRIOR_ONLY_BELOW_PER_CLASS || self.lost < PRIOR_ONLY_BELOW_PER_CLASS {
            return 0.0;
        }
        let closed = (self.won + self.lost) as f64;
        let start = (2 * PRIOR_ONLY_BELOW_PER_CLASS) as f64;
        let end = MODEL_ONLY_FROM_CLOSED as f64;
        ((closed - start) / (end - start)).clamp(0.0, 1.0)
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(EDGE, 1.0 - EDGE);
    (p / (1.0 - p)).ln()
}

/// The probability to show: the prior, the model, or their blend in log-odds space.
pub fn blend(prior_probability: f64, model_probability: f64, closed: ClosedDeals) -> f64 {
    let weight = closed.model_weight();
    if weight <= 0.0 {
        return prior_probability;
    }
    if weight >= 1.0 {
        return model_probability;
    }
    let z = (1.0 - weight) * logit(prior_probability) + weight * logit(model_probability);
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn thresholds_decide_who_speaks() {
        let few_lost = ClosedDeals { won: 500, lost: 19 };
        assert_eq!(blend(0.3, 0.9, few_lost), 0.3);
        let plenty = ClosedDeals {
            won: 100,
            lost: 100,
        };
        assert_eq!(blend(0.3, 0.9, plenty), 0.9);
        let start = ClosedDeals { won: 20, lost: 20 };
        assert!((blend(0.3, 0.9, start) - 0.3).abs() < 1e-12);
        // Halfway (120 closed): the mean of the log-odds, ln(3/7 · 9) / 2 → p = 0.6625…
        let half = ClosedDeals { won: 60, lost: 60 };
        let expected = 1.0 / (1.0 + (-((3.0f64 / 7.0).ln() + 9.0f64.ln()) / 2.0).exp());
        assert!((blend(0.3, 0.9, half) - expected).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn blends_lie_between_prior_and_model(
            prior in 0.001f64..0.999,
            model in 0.001f64..0.999,
            won in 0usize..300,
            lost in 0usize..300,
        ) {
            let p = blend(prior, model, ClosedDeals { won, lost });
            prop_assert!(p >= prior.min(model) - 1e-9 && p <= prior.max(model) + 1e-9);
        }

        #[test]
        fn more_history_moves_towards_the_model(prior in 0.05f64..0.95, model in 0.05f64..0.95, closed in 40usize..200) {
            let now = blend(prior, model, ClosedDeals { won: closed / 2, lost: closed - closed / 2 });
            let later = blend(prior, model, ClosedDeals { won: closed / 2 + 5, lost: closed - closed / 2 + 5 });
            prop_assert!((later - model).abs() <= (now - model).abs() + 1e-12);
        }
    }
}
