//! Whether a deal's close date holds: learned from how far actual closes landed from the
//! close dates deals carried (every value a close date held, from the event log).
//!
//! A delay is `actual close − expected close` in days (negative when a deal closed early). The
//! learned distribution is mixed with a prior that close dates hold, worth
//! [`PRIOR_WEIGHT`] observations, so a new workspace trusts its close dates and a workspace
//! whose deals slip learns to discount them. A deal still open today cannot have closed
//! before today, so its chance is conditioned on the delay being at least `today − expected`.

/// How many observations the "close dates hold" prior is worth.
pub const PRIOR_WEIGHT: f64 = 10.0;

/// Observed delays between expected and actual close dates, in days.
#[derive(Debug, Clone, Default)]
pub struct SlipModel {
    delays: Vec<i64>,
}

impl SlipModel {
    pub fn learn(delays: impl IntoIterator<Item = i64>) -> SlipModel {
        let mut delays: Vec<i64> = delays.into_iter().collect();
        delays.sort_unstable();
        SlipModel { delays }
    }

    pub fn observations(&self) -> usize {
        self.delays.len()
    }

    /// Share of observed closes that landed after their expected date.
    pub fn slip_rate(&self) -> f64 {
        let late = self.delays.len() - self.delays.partition_point(|&d| d <= 0);
        late as f64 / self.delays.len().max(1) as f64
    }

    /// Weight of delays in `from..=to` (observations plus the prior's mass at zero).
    fn weight(&self, from: i64, to: i64) -> f64 {
        if from > to {
            return 0.0;
        }
        let observed =
            self.delays.partition_point(|&d| d <= to) - self.delays.partition_point(|&d| d < from);
        let prior = if (from..=to).contains(&0) {
            PRIOR_WEIGHT
        } else {
            0.0
        };
        observed as f64 + prior
    }

    /// Chance that a deal open `today`, expected to close on day `expected`, closes on or
    /// before `period_end` (all in days since any common epoch).
    pub fn close_probability(&self, today: i64, expected: i64, period_end: i64) -> f64 {
        if period_end < today {
            return 0.0;
        }
        let earliest = today - expected;
        let latest = period_end - expected;
        let inside = self.weight(earliest, latest);
        let possible = self.weight(earliest, i64::MAX);
        if earliest > 0 {
            // Overdue: few observations may remain, so estimate the share with half an
            // observation each way rather than trusting a ratio of tiny counts.
            (inside + 0.5) / (possible + 1.0)
        } else {
            inside / possible
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_no_history_close_dates_hold() {
        let model = SlipModel::default();
        assert_eq!(model.close_probability(0, 10, 30), 1.0);
        assert_eq!(model.close_probability(0, 40, 30), 0.0);
        assert_eq!(model.close_probability(0, 30, 30), 1.0);
    }

    #[test]
    fn slipping_history_discounts_dates_near_the_period_end() {
        // Half the deals slipped by 20 days, half closed on time.
        let model = SlipModel::learn((0..50).map(|_| 0).chain((0..50).map(|_| 20)));
        let near_end = model.close_probability(0, 25, 30);
        let early = model.close_probability(0, 5, 30);
        assert!((near_end - 60.0 / 110.0).abs() < 1e-12, "{near_end}");
        assert_eq!(early, 1.0);
        assert!((model.slip_rate() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn early_closes_bring_later_deals_in() {
        let model = SlipModel::learn((0..90).map(|_| -15));
        assert!(model.close_probability(0, 40, 30) > 0.8);
    }

    #[test]
    fn overdue_deals_are_conditioned_on_not_having_closed() {
        let model = SlipModel::learn([0, 0, 0, 0, 5, 10, 30, 60]);
        // Ten days overdue: of the delays ≥ 10 (10, 30, 60), the window reaches 10 and 30.
        let p = model.close_probability(100, 90, 120);
        assert!((p - 2.5 / 4.0).abs() < 1e-12, "{p}");
        // Far beyond any history: a small, non-zero chance.
        let stale = model.close_probability(1000, 0, 1030);
        assert!(stale > 0.0 && stale < 0.6);
    }

    #[test]
    fn periods_that_ended_cannot_be_reached() {
        assert_eq!(SlipModel::default().close_probability(10, 5, 9), 0.0);
    }
}
