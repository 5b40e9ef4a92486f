//! Revenue from deals not created yet: a deal opened next week can be won before the period
//! ends, and over 60 or 90 days such deals bring a large share of what is won. The pipeline
//! alone cannot see them, so the forecast adds what history says they bring.
//!
//! Wins are counted by their lead time ℓ (days from creation to the win). A deal created `d`
//! days from now with lead time ℓ is won inside a period ending `T` days from now when
//! `d + ℓ ≤ T`, so creations at the historical rate bring, in expectation,
//! `Σ_ℓ r(ℓ) · (T − ℓ)⁺` where `r(ℓ)` is the value won per day of creation with lead time ℓ.
//! Over a look-back window of `W` days, a win with lead time ℓ can only have been seen if it
//! was created at least ℓ days ago, so `r(ℓ)` is the value so seen divided by `W − ℓ` days of
//! exposure. Arrivals are independent and many, a compound Poisson sum whose variance is
//! `Σ_ℓ r₂(ℓ) · (T − ℓ)⁺` with `r₂` summing squared values the same way.

use serde::{Deserialize, Serialize};

/// The look-back window of creations, in days.
pub const WINDOW_DAYS: f64 = 365.0;
/// Longest lead time counted: beyond it too few days of the window could have shown the win.
pub const MAX_LEAD_DAYS: usize = 270;

/// Mean and variance of revenue from deals not created yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct NewBusiness {
    pub mean: f64,
    pub variance: f64,
}

/// Value won per day of creation, by whole days of lead time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadTimes {
    /// `(lead days, value per day of creation, squared value per day of creation)`, for lead
    /// times that were seen.
    rates: Vec<(u32, f64, f64)>,
}

impl LeadTimes {
    /// Learns from wins `(created, won, value)`, times in days, as seen at `now`: those
    /// created in the window before it.
    pub fn learn(now: f64, wins: impl IntoIterator<Item = (f64, f64, f64)>) -> LeadTimes {
        let mut sums = vec![(0.0, 0.0); MAX_LEAD_DAYS + 1];
        for (created, won, value) in wins {
            let lead = (won - created).max(0.0).floor();
            let seen = created > now - WINDOW_DAYS && won <= now;
            if seen && lead <= MAX_LEAD_DAYS as f64 && value.is_finite() && value >= 0.0 {
                let slot = &mut sums[lead as usize];
                slot.0 += value;
                slot.1 += value * value;
            }
        }
        let rates = sums
            .into_iter()
            .enumerate()
            .filter(|(_, (sum, _))| *sum > 0.0)
            .map(|(lead, (sum, squares))| {
                let exposure = WINDOW_DAYS - lead as f64;
                (lead as u32, sum / exposure, squares / exposure)
            })
            .collect();
        LeadTimes { rates }
    }

    /// What deals created from now on bring by the end of a period `days` days long from now.
    pub fn new_business(&self, days: f64) -> NewBusiness {
        let mut total = NewBusiness::default();
        for &(lead, rate, squared) in &self.rates {
            let reach = (days - f64::from(lead)).max(0.0);
            total.mean += rate * reach;
            total.variance += squared * reach;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_creation_is_read_back() {
        // Every day of the past year one deal was created and won 10 days later, worth 100.
        let now = 1_000.0;
        let wins = (0..365).map(|d| {
            (
                now - 365.0 + f64::from(d),
                now - 355.0 + f64::from(d),
                100.0,
            )
        });
        let leads = LeadTimes::learn(now, wins);
        // Only the 355 created at least 10 days ago are seen, over 355 days of exposure.
        assert_eq!(leads.rates, vec![(10, 100.0, 10_000.0)]);
        // In 30 days, deals created in the first 20 of them are won in time.
        let month = leads.new_business(30.0);
        assert!((month.mean - 2_000.0).abs() < 1e-9);
        assert!((month.variance - 200_000.0).abs() < 1e-6);
        assert_eq!(leads.new_business(10.0), NewBusiness::default());
    }

    #[test]
    fn wins_outside_the_window_or_after_now_are_not_counted() {
        let now = 1_000.0;
        let leads = LeadTimes::learn(
            now,
            [
                (now - 400.0, now - 390.0, 100.0),
                (now - 5.0, now + 1.0, 100.0),
                (now - 300.0, now - 1.0, 100.0),
                (now - 20.0, now - 18.0, f64::NAN),
            ],
        );
        assert!(leads.rates.is_empty());
        assert_eq!(leads.new_business(90.0), NewBusiness::default());
    }
}
