//! A deal's history as plain data, rebuilt by the server from the event log, and what can be
//! read off it at any moment: the signals health needs, the delays the slippage model learns,
//! the norms of the team. Reading *as of* a moment is what keeps training honest: a closed
//! deal is looked at as it stood before it closed, never in its final state.
//!
//! Times are days since the Unix epoch as `f64` (so hours survive); close dates are whole days.

use crate::health::{DealSignals, Norms};
use std::collections::HashMap;

const ONE_SECOND: f64 = 1.0 / 86_400.0;

/// A value a field held from a moment on.
#[derive(Debug, Clone, PartialEq)]
pub struct Since<T> {
    pub at: f64,
    pub value: T,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpan {
    pub created_at: f64,
    pub due: Option<f64>,
    pub completed_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DealTimeline {
    pub created_at: f64,
    /// When it was won or lost, and which.
    pub closed: Option<(f64, bool)>,
    /// Every stage it was in, oldest first (the first entry is where it was created).
    pub stages: Vec<Since<String>>,
    pub close_dates: Vec<Since<Option<f64>>>,
    pub amounts: Vec<Since<Option<f64>>>,
    pub owners: Vec<Since<Option<String>>>,
    /// When its activities happened, in any order.
    pub activities: Vec<f64>,
    pub tasks: Vec<TaskSpan>,
}

/// The value in force at `at`: the last one set at or before it.
pub fn value_at<T>(history: &[Since<T>], at: f64) -> Option<&T> {
    history
        .iter()
        .take_while(|s| s.at <= at)
        .last()
        .map(|s| &s.value)
}

impl DealTimeline {
    /// The history as it was known at `at`: nothing later, and a deal closed later still open.
    /// What a forecast made that day could have seen.
    pub fn as_of(&self, at: f64) -> DealTimeline {
        fn known<T: Clone>(history: &[Since<T>], at: f64) -> Vec<Since<T>> {
            history.iter().take_while(|s| s.at <= at).cloned().collect()
        }
        DealTimeline {
            created_at: self.created_at,
            closed: self.closed.filter(|(closed_at, _)| *closed_at <= at),
            stages: known(&self.stages, at),
            close_dates: known(&self.close_dates, at),
            amounts: known(&self.amounts, at),
            owners: known(&self.owners, at),
            activities: self
                .activities
                .iter()
                .copied()
                .filter(|&a| a <= at)
                .collect(),
            tasks: self
                .tasks
                .iter()
                .filter(|t| t.created_at <= at)
                .map(|t| TaskSpan {
                    completed_at: t.completed_at.filter(|&done| done <= at),
                    ..t.clone()
                })
                .collect(),
        }
    }

    pub fn stage_at(&self, at: f64) -> Option<&str> {
        value_at(&self.stages, at).map(String::as_str)
    }

    /// When the deal entered the stage it is in at `at`.
    pub fn stage_entered(&self, at: f64) -> f64 {
        let mut entered = self.created_at;
        let mut current: Option<&str> = None;
        for change in self.stages.iter().take_while(|s| s.at <= at) {
            if current != Some(change.value.as_str()) {
                entered = change.at;
                current = Some(change.value.as_str());
            }
        }
        entered
    }

    /// How many times the close date moved later up to `at`.
    pub fn slips(&self, at: f64) -> u32 {
        let mut slips = 0;
        let mut previous: Option<f64> = None;
        for change in self.close_dates.iter().take_while(|s| s.at <= at) {
            if let (Some(before), Some(after)) = (previous, change.value) {
                if after > before {
                    slips += 1;
                }
            }
            previous = change.value.or(previous);
        }
        slips
    }

    /// Share of the highest amount so far that has been cut by `at`.
    pub fn amount_cut(&self, at: f64) -> f64 {
        let held: Vec<f64> = self
            .amounts
            .iter()
            .take_while(|s| s.at <= at)
            .filter_map(|s| s.value)
            .collect();
        match (held.iter().copied().fold(None, max_of), held.last()) {
            (Some(peak), Some(&now)) if peak > 0.0 => ((peak - now) / peak).max(0.0),
            _ => 0.0,
        }
    }

    pub fn owner_changes(&self, at: f64) -> u32 {
        let held = self.owners.iter().take_while(|s| s.at <= at);
        let mut changes = 0;
        let mut previous: Option<&Option<String>> = None;
        for owner in held {
            if previous.is_some_and(|p| *p != owner.value) {
                changes += 1;
            }
            previous = Some(&owner.value);
        }
        changes
    }

    pub fn last_activity(&self, at: f64) -> Option<f64> {
        self.activities
            .iter()
            .copied()
            .filter(|&a| a <= at)
            .fold(None, max_of)
    }

    pub fn activities_within(&self, at: f64, days: f64) -> usize {
        self.activities
            .iter()
            .filter(|&&a| a <= at && a > at - days)
            .count()
    }

    /// Tasks open at `at`: `(planned ahead, overdue)`.
    pub fn open_tasks(&self, at: f64) -> (u32, u32) {
        let open = self
            .tasks
            .iter()
            .filter(|t| t.created_at <= at && t.completed_at.is_none_or(|done| done > at));
        let (mut ahead, mut overdue) = (0, 0);
        for task in open {
            match task.due {
                Some(due) if due < at.floor() => overdue += 1,
                _ => ahead += 1,
            }
        }
        (ahead, overdue)
    }

    /// Everything health needs, as the deal stood at `at`.
    pub fn signals_at(&self, at: f64) -> DealSignals {
        let (ahead, overdue) = self.open_tasks(at);
        let close_date = value_at(&self.close_dates, at).copied().flatten();
        DealSignals {
            age_days: (at - self.created_at).max(0.0),
            days_since_activity: self.last_activity(at).map(|last| (at - last).max(0.0)),
            days_in_stage: (at - self.stage_entered(at)).max(0.0),
            days_overdue: close_date.map_or(0.0, |date| (at.floor() - date).max(0.0)),
            close_date_slips: self.slips(at),
            amount_cut: self.amount_cut(at),
            has_next_step: ahead > 0,
            overdue_tasks: overdue,
            owner_changes: self.owner_changes(at),
        }
    }

    /// Whether the deal was open before it closed: one created already closed (an imported
    /// history) never was.
    pub fn lived_open(&self) -> bool {
        self.closed
            .is_none_or(|(closed_at, _)| closed_at - self.created_at >= ONE_SECOND)
    }

    /// For a closed deal, how many days its actual close landed after each close date it
    /// carried (negative when early): what the slippage model learns from.
    pub fn close_delays(&self) -> Vec<i64> {
        let Some((closed_at, _)) = self.closed else {
            return Vec::new();
        };
        // A deal that was never open says nothing about slipping.
        if !self.lived_open() {
            return Vec::new();
        }
        let mut seen: Vec<f64> = Vec::new();
        for date in self.close_dates.iter().filter_map(|s| s.value) {
            if !seen.contains(&date) {
                seen.push(date);
            }
        }
        seen.iter()
            .map(|&date| (closed_at.floor() - date) as i64)
            .collect()
    }

    /// Stages the deal was in up to its close, each once. The stage it closed in is among
    /// them (callers keep the open ones): a deal can be created and closed within the same
    /// clock tick, so "before the close" cannot be told apart from "at the close".
    pub fn stages_visited(&self) -> Vec<&str> {
        let end = self.closed.map_or(f64::INFINITY, |(at, _)| at);
        let mut visited: Vec<&str> = Vec::new();
        for change in self.stages.iter().filter(|s| s.at <= end) {
            if !visited.contains(&change.value.as_str()) {
                visited.push(&change.value);
            }
        }
        visited
    }
}

fn max_of(best: Option<f64>, value: f64) -> Option<f64> {
    Some(best.map_or(value, |b| b.max(value)))
}

/// The team's norms, learned from its deals: the median gap between activities on a deal,
/// and per stage the median time deals spent there before moving on. Falls back to
/// [`Norms::default`] where there is too little history (fewer than [`MIN_SAMPLES`]).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TeamNorms {
    pub activity_gap_days: Option<f64>,
    pub stage_days: HashMap<String, f64>,
}

pub const MIN_SAMPLES: usize = 5;

impl TeamNorms {
    pub fn learn<'a>(deals: impl IntoIterator<Item = &'a DealTimeline>) -> TeamNorms {
        let mut tally = NormsTally::default();
        for deal in deals {
            tally.add(deal);
        }
        tally.finish()
    }

    pub fn for_stage(&self, stage: &str) -> Norms {
        let default = Norms::default();
        Norms {
            activity_gap_days: self.activity_gap_days.unwrap_or(default.activity_gap_days),
            stage_days: self
                .stage_days
                .get(stage)
                .copied()
                .unwrap_or(default.stage_days),
        }
    }
}

/// The samples the norms are the medians of, gathered one deal at a time: a large workspace's
/// deals are read a page at a time, never all at once.
#[derive(Debug, Default)]
pub struct NormsTally {
    gaps: Vec<f64>,
    stays: HashMap<String, Vec<f64>>,
}

impl NormsTally {
    pub fn add(&mut self, deal: &DealTimeline) {
        let mut times = deal.activities.clone();
        times.sort_by(f64::total_cmp);
        self.gaps.extend(times.windows(2).map(|w| w[1] - w[0]));
        for pair in deal.stages.windows(2) {
            let (stage, next) = (&pair[0], &pair[1]);
            if next.value != stage.value {
                let days = next.at - stage.at;
                match self.stays.get_mut(&stage.value) {
                    Some(stays) => stays.push(days),
                    None => {
                        self.stays.insert(stage.value.clone(), vec![days]);
                    }
                }
            }
        }
    }

    pub fn finish(self) -> TeamNorms {
        TeamNorms {
            activity_gap_days: median(self.gaps),
            stage_days: self
                .stays
                .into_iter()
                .filter_map(|(stage, days)| Some((stage, median(days)?)))
                .collect(),
        }
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.len() < MIN_SAMPLES {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since<T>(at: f64, value: T) -> Since<T> {
        Since { at, value }
    }

    fn deal() -> DealTimeline {
        DealTimeline {
            created_at: 100.0,
            closed: Some((160.0, true)),
            stages: vec![
                since(100.0, "a".into()),
                since(110.0, "b".into()),
                since(160.0, "won".into()),
            ],
            close_dates: vec![
                since(100.0, Some(130.0)),
                since(120.0, Some(150.0)),
                since(140.0, Some(155.0)),
            ],
            amounts: vec![since(100.0, Some(1000.0)), since(130.0, Some(800.0))],
            owners: vec![
                since(100.0, Some("u1".into())),
                since(125.0, Some("u2".into())),
            ],
            activities: vec![101.0, 108.0, 115.0],
            tasks: vec![TaskSpan {
                created_at: 105.0,
                due: Some(112.0),
                completed_at: Some(118.0),
            }],
        }
    }

    #[test]
    fn signals_read_the_deal_as_it_stood() {
        let deal = deal();
        let early = deal.signals_at(111.0);
        assert_eq!(early.days_in_stage, 1.0);
        assert_eq!(early.close_date_slips, 0);
        assert_eq!(early.amount_cut, 0.0);
        assert!(early.has_next_step);
        assert_eq!(early.days_since_activity, Some(3.0));

        let later = deal.signals_at(135.0);
        assert_eq!(later.days_in_stage, 25.0);
        assert_eq!(later.close_date_slips, 1);
        assert!((later.amount_cut - 0.2).abs() < 1e-12);
        assert_eq!(later.owner_changes, 1);
        assert_eq!(later.days_since_activity, Some(20.0));
        assert!(!later.has_next_step);
        assert_eq!(later.days_overdue, 0.0);
        assert_eq!(deal.signals_at(156.0).days_overdue, 1.0);
    }

    #[test]
    fn a_past_view_knows_nothing_later() {
        let deal = deal();
        let then = deal.as_of(114.0);
        assert_eq!(then.closed, None);
        assert_eq!(then.stage_at(200.0), Some("b"));
        assert_eq!(then.close_dates.len(), 1);
        assert_eq!(then.amounts.len(), 1);
        assert_eq!(then.owners.len(), 1);
        assert_eq!(then.activities, vec![101.0, 108.0]);
        assert_eq!(then.tasks[0].completed_at, None);
        assert_eq!(then.signals_at(114.0), deal.signals_at(114.0));
        assert!(then.close_delays().is_empty());
        assert_eq!(deal.as_of(99.0).stages, Vec::new());
        assert_eq!(deal.as_of(1_000.0), deal);
    }

    #[test]
    fn overdue_tasks_count_until_done() {
        let deal = deal();
        assert_eq!(deal.open_tasks(114.0), (0, 1));
        assert_eq!(deal.open_tasks(119.0), (0, 0));
    }

    #[test]
    fn delays_compare_every_close_date_carried_with_the_close() {
        assert_eq!(deal().close_delays(), vec![30, 10, 5]);
        let open = DealTimeline {
            closed: None,
            ..deal()
        };
        assert!(open.close_delays().is_empty());
    }

    #[test]
    fn visited_stages_end_at_the_close() {
        assert_eq!(deal().stages_visited(), vec!["a", "b", "won"]);
        let reopened = DealTimeline {
            closed: Some((115.0, false)),
            ..deal()
        };
        assert_eq!(reopened.stages_visited(), vec!["a", "b"]);
    }

    #[test]
    fn norms_need_enough_history() {
        let few = TeamNorms::learn([&deal()]);
        assert_eq!(few.activity_gap_days, None);
        assert_eq!(few.for_stage("a"), Norms::default());
        let many: Vec<DealTimeline> = (0..5).map(|_| deal()).collect();
        let norms = TeamNorms::learn(&many);
        assert_eq!(norms.activity_gap_days, Some(7.0));
        assert_eq!(norms.for_stage("a").stage_days, 10.0);
        assert_eq!(norms.for_stage("b").stage_days, 50.0);
    }
}
