//! The backtest: the forecasts Velocity would have made on past days, rebuilt from the event
//! log and scored against what then closed, with the same measures as stored snapshots
//! ([`super::accuracy`]). Each day sees only what was known that day: the deals as they stood
//! (stage, amount, close date, activities, tasks) and what the deals closed before it teach
//! (stage records, slippage, team norms, the win model), so no outcome leaks into its own
//! forecast. A workspace with a history but no months of stored snapshots yet (an imported one,
//! the demo) gets a forecast-quality figure this way.

use super::accuracy::{summarise, SnapshotScore, TimeframeAccuracy};
use super::forecast::{chances, period};
use super::learn::Learned;
use super::score::score_deal;
use crate::error::ApiError;
use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use velocity_domain::WorkspaceId;
use velocity_intel::forecast::{OpenDeal, RevenueModel};
use velocity_intel::timeline::value_at;
use velocity_store::intel::facts::DealFacts;
use velocity_store::intel::state::StageInfo;
use velocity_store::intel::{date_days, days_date};
use velocity_store::Db;

/// Which past forecasts to rebuild: one a week for the last `weeks` weeks, for each timeframe
/// whose period has ended by today.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    pub timeframes: Vec<&'static str>,
    pub weeks: u32,
    pub simulations: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub by_timeframe: Vec<TimeframeAccuracy>,
    pub forecasts: Vec<SnapshotScore>,
    /// Per timeframe, the share of the revenue won in the periods that came from deals created
    /// after the forecast was made: business no forecast of the pipeline could have seen.
    pub won_from_later_deals: HashMap<&'static str, f64>,
}

/// Rebuilds and scores the workspace's past forecasts.
pub async fn replay(
    db: &Db,
    workspace: WorkspaceId,
    request: &ReplayRequest,
) -> Result<Replay, ApiError> {
    let deals = db.all_deal_facts(workspace).await?;
    let stages = db.stages(workspace).await?;
    let today = Utc::now().date_naive();
    let mut forecasts = Vec::new();
    let mut later: HashMap<&'static str, (f64, f64)> = HashMap::new();
    for weeks_ago in (1..=request.weeks).rev() {
        let day = today - Duration::weeks(i64::from(weeks_ago));
        let ended: Vec<&'static str> = request
            .timeframes
            .iter()
            .copied()
            .filter(|timeframe| period(timeframe, day).1 < today)
            .collect();
        if ended.is_empty() {
            continue;
        }
        let at = date_days(&day.to_string()).unwrap_or_default();
        let known: Vec<DealFacts> = deals
            .iter()
            .filter_map(|deal| as_of(deal, at, &stages))
            .collect();
        let learned = Learned::from_history(&known, &stages, at);
        let past = PastDay::new(day, &known, &learned, &stages);
        for timeframe in ended {
            let (score, won_later) = past.forecast(timeframe, &deals, request)?;
            let totals = later.entry(timeframe).or_default();
            totals.0 += won_later;
            totals.1 += score.actual;
            forecasts.push(score);
        }
    }
    Ok(Replay {
        by_timeframe: summarise(&forecasts),
        forecasts,
        won_from_later_deals: later
            .into_iter()
            .map(|(timeframe, (later, all))| (timeframe, if all > 0.0 { later / all } else { 0.0 }))
            .collect(),
    })
}

/// The deal as it stood at `at`, or `None` if it did not exist yet.
fn as_of(deal: &DealFacts, at: f64, stages: &[StageInfo]) -> Option<DealFacts> {
    if deal.timeline.created_at > at {
        return None;
    }
    let timeline = deal.timeline.as_of(at);
    let stage_id = timeline.stage_at(at)?.to_owned();
    let status = stages.iter().find(|s| s.id == stage_id)?.kind.clone();
    Some(DealFacts {
        amount: value_at(&timeline.amounts, at).copied().flatten(),
        close_date: value_at(&timeline.close_dates, at)
            .copied()
            .flatten()
            .map(|day| days_date(day as i64)),
        owner_id: value_at(&timeline.owners, at).cloned().flatten(),
        stage_id,
        status,
        forecast_category: None,
        timeline,
        ..deal.clone()
    })
}

/// What a forecast made on `day` could see: the deals as they stood, what had been learned,
/// and each open deal's stage and win probability, scored once for all timeframes.
struct PastDay<'a> {
    day: NaiveDate,
    at: f64,
    known: &'a [DealFacts],
    learned: &'a Learned,
    stages: &'a [StageInfo],
    /// Per known deal: its stage's position and win probability, when it was open.
    open: Vec<Option<(usize, f64)>>,
}

impl<'a> PastDay<'a> {
    fn new(
        day: NaiveDate,
        known: &'a [DealFacts],
        learned: &'a Learned,
        stages: &'a [StageInfo],
    ) -> PastDay<'a> {
        let at = date_days(&day.to_string()).unwrap_or_default();
        let by_id: HashMap<&str, &StageInfo> = stages.iter().map(|s| (s.id.as_str(), s)).collect();
        let index: HashMap<&str, usize> = stages
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let open = known
            .iter()
            .map(|deal| {
                let stage = *index.get(deal.stage_id.as_str())?;
                deal.timeline
                    .closed
                    .is_none()
                    .then(|| (stage, score_deal(deal, &by_id, learned, at).win_probability))
            })
            .collect();
        PastDay {
            day,
            at,
            known,
            learned,
            stages,
            open,
        }
    }

    /// The forecast for `timeframe`, scored against what all `deals` went on to win, and the
    /// part of that won by deals created after the day.
    fn forecast(
        &self,
        timeframe: &'static str,
        deals: &[DealFacts],
        request: &ReplayRequest,
    ) -> Result<(SnapshotScore, f64), ApiError> {
        let (start, end) = period(timeframe, self.day);
        let (start_text, end_text) = (start.to_string(), end.to_string());
        let in_period =
            |date: Option<&String>| date.is_some_and(|d| *d >= start_text && *d <= end_text);
        let days = (
            self.at as i64,
            date_days(&end_text).unwrap_or_default() as i64,
        );
        let slip = self.learned.slip_model();
        let mut won_already = 0.0;
        let mut weighted_pipeline = 0.0;
        let mut open = Vec::new();
        for (deal, seen) in self.known.iter().zip(&self.open) {
            let amount = deal.amount.unwrap_or_default().max(0.0);
            let Some((stage, win)) = *seen else {
                if matches!(deal.timeline.closed, Some((_, true)))
                    && in_period(deal.close_date.as_ref())
                {
                    won_already += amount;
                }
                continue;
            };
            if deal.close_date.as_ref().is_some_and(|d| *d <= end_text) {
                weighted_pipeline += amount * self.stages[stage].probability;
            }
            let close_date = deal.close_date.as_deref();
            if let Some((close, _)) = chances(close_date, None, win, &slip, days) {
                open.push(OpenDeal {
                    value: amount,
                    win_probability: win,
                    close_probability: close,
                    stage,
                });
            }
        }
        let records: Vec<_> = self
            .stages
            .iter()
            .map(|s| self.learned.stage_record(&s.id))
            .collect();
        let arrivals = self
            .learned
            .lead_times
            .new_business((days.1 - days.0 + 1) as f64);
        let simulation = RevenueModel::new(&open, &records, won_already)
            .and_then(|model| model.with_new_business(arrivals))
            .map_err(ApiError::internal)?
            .simulate(request.simulations, request.seed)
            .map_err(|e| ApiError::validation("simulations", e.to_string()))?;
        let (mut actual, mut won_later) = (0.0, 0.0);
        for deal in deals {
            if matches!(deal.timeline.closed, Some((_, true)))
                && in_period(deal.close_date.as_ref())
            {
                let amount = deal.amount.unwrap_or_default().max(0.0);
                actual += amount;
                if deal.timeline.created_at > self.at {
                    won_later += amount;
                }
            }
        }
        let mut score = SnapshotScore::new(
            format!("replay-{}-{timeframe}", self.day),
            self.day.to_string(),
            timeframe.to_owned(),
            (start_text.clone(), end_text.clone()),
            &simulation.percentiles().at_levels(),
            actual,
        );
        score.weighted_pipeline = Some(won_already + weighted_pipeline);
        Ok((score, won_later))
    }
}
