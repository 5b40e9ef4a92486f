//! Feeding the insight rules: each open deal's view (score, health now and a week ago, stage
//! and activity against the team's norms) and the quarter's position (run rate, won so far,
//! pipeline, win-rate trend), then keeping the stored insights in step with the findings.

use super::forecast::period;
use super::score::Analysis;
use crate::error::ApiError;
use chrono::{Datelike, Utc};
use velocity_domain::WorkspaceId;
use velocity_intel::health;
use velocity_intel::insights::{findings, DealView, PeriodView, HEALTH_LOOKBACK_DAYS};
use velocity_store::intel::date_days;
use velocity_store::intel::insights::InsightSync;
use velocity_store::Db;

const DAYS_PER_QUARTER: f64 = 365.25 / 4.0;
const TREND_WINDOW_DAYS: f64 = 90.0;

fn deal_views(analysis: &Analysis) -> Vec<DealView> {
    let today = analysis.now.floor();
    analysis
        .scores
        .iter()
        .zip(&analysis.scored)
        .map(|(score, index)| {
            let deal = &analysis.deals[*index];
            let health = u8::try_from(score.health).unwrap_or(u8::MAX);
            let timeline = &deal.timeline;
            let norms = analysis.learned.norms.for_stage(&deal.stage_id);
            let signals = timeline.signals_at(analysis.now);
            let week_ago = analysis.now - HEALTH_LOOKBACK_DAYS;
            let health_a_week_ago = if timeline.created_at <= week_ago {
                health::assess(&timeline.signals_at(week_ago), norms).score
            } else {
                health
            };
            DealView {
                id: deal.id.clone(),
                name: deal.name.clone(),
                amount: deal.amount.unwrap_or(0.0),
                win_probability: score.win_probability,
                health,
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
                    .map(|d| d - today),
            }
        })
        .collect()
}

fn period_view(analysis: &Analysis) -> PeriodView {
    let today = Utc::now().date_naive();
    let (start, end) = period("quarter", today);
    let start_days = date_days(&start.to_string()).unwrap_or(0.0);
    let end_days = date_days(&end.to_string()).unwrap_or(0.0);
    let now = analysis.now;
    let earliest = analysis
        .deals
        .iter()
        .map(|d| d.timeline.created_at)
        .fold(f64::INFINITY, f64::min);
    let history_quarters = ((start_days - earliest) / DAYS_PER_QUARTER)
        .ceil()
        .clamp(0.0, 4.0);
    let mut view = PeriodView {
        period: format!("{}-Q{}", today.year(), today.month0() / 3 + 1),
        ..PeriodView::default()
    };
    let mut won_before = 0.0;
    for deal in &analysis.deals {
        let amount = deal.amount.unwrap_or(0.0);
        match deal.timeline.closed {
            Some((at, won)) => {
                if won && at >= start_days && at <= now {
                    view.won_so_far += amount;
                }
                if won && at < start_days && at >= start_days - history_quarters * DAYS_PER_QUARTER
                {
                    won_before += amount;
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
                if closes.is_some_and(|d| d >= now.floor() && d <= end_days) {
                    view.pipeline_in_period += amount;
                }
            }
        }
    }
    if history_quarters > 0.0 {
        view.target = won_before / history_quarters;
    }
    view
}

/// Runs the rules over the analysis and stores the result.
pub async fn generate(
    db: &Db,
    workspace: WorkspaceId,
    analysis: &Analysis,
) -> Result<InsightSync, ApiError> {
    let found = findings(&deal_views(analysis), &period_view(analysis));
    Ok(db.sync_insights(workspace, &found).await?)
}
