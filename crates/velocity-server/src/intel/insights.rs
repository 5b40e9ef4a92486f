//! Feeding the insight rules: each open deal's view (score, health now and a week ago, stage
//! and activity against the team's norms) and the quarter's position (run rate, won so far,
//! pipeline, win-rate trend), then keeping the stored insights in step with the findings.

use super::forecast::period;
use super::learn::Learned;
use super::score::{Analysis, DealScore};
use crate::error::ApiError;
use chrono::{Datelike, Utc};
use velocity_domain::WorkspaceId;
use velocity_intel::health;
use velocity_intel::insights::{DealView, PeriodView, HEALTH_LOOKBACK_DAYS};
use velocity_store::intel::date_days;
use velocity_store::intel::facts::DealFacts;
use velocity_store::intel::insights::InsightSync;
use velocity_store::Db;

const DAYS_PER_QUARTER: f64 = 365.25 / 4.0;
const TREND_WINDOW_DAYS: f64 = 90.0;
/// The most past quarters a target averages.
const MAX_HISTORY_QUARTERS: usize = 4;

/// An open deal as the insight rules see it, with its fresh score.
pub fn deal_view(deal: &DealFacts, score: &DealScore, learned: &Learned, now: f64) -> DealView {
    let timeline = &deal.timeline;
    let norms = learned.norms.for_stage(&deal.stage_id);
    let signals = timeline.signals_at(now);
    let week_ago = now - HEALTH_LOOKBACK_DAYS;
    let health_a_week_ago = if timeline.created_at <= week_ago {
        health::assess(&timeline.signals_at(week_ago), norms).score
    } else {
        score.health
    };
    DealView {
        id: deal.id.clone(),
        name: deal.name.clone(),
        amount: deal.amount.unwrap_or(0.0),
        win_probability: score.win_probability,
        health: score.health,
        health_a_week_ago,
        days_in_stage: signals.days_in_stage,
        typical_stage_days: norms.stage_days,
        days_since_activity: signals.days_since_activity,
        typical_activity_gap: norms.activity_gap_days,
        days_overdue: signals.days_overdue,
        close_date_slips: signals.close_date_slips,
        overdue_tasks: signals.overdue_tasks,
        has_next_step: signals.has_next_step,
        days_to_close: deal
            .close_date
            .as_deref()
            .and_then(date_days)
            .map(|d| d - now.floor()),
    }
}

/// The quarter's position, gathered one deal at a time.
pub struct PeriodTally {
    now: f64,
    start_days: f64,
    end_days: f64,
    earliest: f64,
    /// What was won in each of the quarters before this one, the latest first; a target
    /// averages those the workspace's history covers.
    won_before: [f64; MAX_HISTORY_QUARTERS],
    view: PeriodView,
}

impl PeriodTally {
    pub fn new(now: f64) -> PeriodTally {
        let today = Utc::now().date_naive();
        let (start, end) = period("quarter", today);
        PeriodTally {
            now,
            start_days: date_days(&start.to_string()).unwrap_or(0.0),
            end_days: date_days(&end.to_string()).unwrap_or(0.0),
            earliest: f64::INFINITY,
            won_before: [0.0; MAX_HISTORY_QUARTERS],
            view: PeriodView {
                period: format!("{}-Q{}", today.year(), today.month0() / 3 + 1),
                ..PeriodView::default()
            },
        }
    }

    pub fn add(&mut self, deal: &DealFacts) {
        let (now, view) = (self.now, &mut self.view);
        self.earliest = self.earliest.min(deal.timeline.created_at);
        let amount = deal.amount.unwrap_or(0.0);
        match deal.timeline.closed {
            Some((at, won)) => {
                if won && at >= self.start_days && at <= now {
                    view.won_so_far += amount;
                }
                let quarters_back = ((self.start_days - at) / DAYS_PER_QUARTER).ceil();
                if won && at < self.start_days && quarters_back <= MAX_HISTORY_QUARTERS as f64 {
                    self.won_before[quarters_back as usize - 1] += amount;
                }
                let window = if at > now - TREND_WINDOW_DAYS && at <= now {
                    Some(&mut view.recent)
                } else if at > now - 2.0 * TREND_WINDOW_DAYS && at <= now - TREND_WINDOW_DAYS {
                    Some(&mut view.earlier)
                } else {
                    None
                };
                if let Some((wins, closed)) = window {
                    *closed += 1;
                    *wins += usize::from(won);
                }
            }
            None => {
                let closes = deal.close_date.as_deref().and_then(date_days);
                if closes.is_some_and(|d| d >= now.floor() && d <= self.end_days) {
                    view.pipeline_in_period += amount;
                }
            }
        }
    }

    pub fn finish(mut self) -> PeriodView {
        let history_quarters = ((self.start_days - self.earliest) / DAYS_PER_QUARTER)
            .ceil()
            .clamp(0.0, MAX_HISTORY_QUARTERS as f64) as usize;
        if history_quarters > 0 {
            let won: f64 = self.won_before[..history_quarters].iter().sum();
            self.view.target = won / history_quarters as f64;
        }
        self.view
    }
}

/// Stores what the analysis found: new insights raised, current ones updated, the rest
/// resolved.
pub async fn generate(
    db: &Db,
    workspace: WorkspaceId,
    analysis: &Analysis,
) -> Result<InsightSync, ApiError> {
    Ok(db.sync_insights(workspace, &analysis.findings).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::test_deals;

    fn deal(created_at: f64, closed: Option<(f64, bool)>, amount: f64) -> DealFacts {
        test_deals::deal("", created_at, closed, amount)
    }

    #[test]
    fn the_target_averages_the_quarters_the_history_covers() {
        let now = super::super::now_days();
        let start = PeriodTally::new(now).start_days;
        let quarter = DAYS_PER_QUARTER;
        let mut tally = PeriodTally::new(now);
        // History from a day into the second quarter back: two quarters count.
        tally.add(&deal(start - quarter - 1.0, None, 0.0));
        tally.add(&deal(start - 50.0, Some((start - 10.0, true)), 300.0));
        tally.add(&deal(
            start - 50.0,
            Some((start - 1.5 * quarter, true)),
            100.0,
        ));
        tally.add(&deal(start - 50.0, Some((start - 20.0, false)), 5_000.0));
        // Won three quarters back, before the history's first deal: not counted.
        tally.add(&deal(
            start - 50.0,
            Some((start - 2.5 * quarter, true)),
            7_000.0,
        ));
        tally.add(&deal(start, Some((start.max(now - 1.0), true)), 40.0));
        let view = tally.finish();
        assert_eq!(view.target, 200.0, "(300 + 100) over two quarters");
        assert_eq!(view.won_so_far, 40.0);
    }
}
