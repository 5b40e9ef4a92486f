//! The revenue forecast for a period: open deals in scope, each with its win probability (its
//! current score, else its stage's win rate) and the chance its close date holds, plus what
//! deals not created yet bring (whole-workspace forecasts only), simulated with
//! `velocity-intel` and summed up by stage, category, owner and pipeline.

use super::inputs::ForecastInputs;
use super::learn::Learned;
use crate::error::ApiError;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use velocity_domain::values::now_timestamp;
use velocity_domain::WorkspaceId;
use velocity_intel::forecast::slippage::SlipModel;
use velocity_intel::forecast::{NewBusiness, OpenDeal, RevenueModel, StageRecord};
use velocity_store::intel::state::{ForecastDeal, ForecastScope, StageInfo};
use velocity_store::intel::{date_days, days_date};
use velocity_store::Db;

pub const TIMEFRAMES: &[&str] = &["30d", "60d", "90d", "quarter", "year"];
pub const SCENARIOS: &[&str] = &["worst", "likely", "best"];
pub const DEFAULT_SIMULATIONS: usize = 10_000;
pub const MAX_SIMULATIONS: usize = 100_000;
/// The seed when none is given, so the same data gives the same figures on every reload.
/// Bands in the response's histogram: enough for a smooth chart, few enough to stay small.
const HISTOGRAM_BANDS: usize = 40;
pub const DEFAULT_SEED: u64 = 42;
/// Deals listed in `forecasted_deals`, largest weighted value first.
pub const LISTED_DEALS: usize = 100;

/// A forecast request, already checked.
#[derive(Debug, Clone)]
pub struct Request {
    pub timeframe: &'static str,
    pub scenario: &'static str,
    pub simulations: usize,
    pub seed: u64,
    pub scope: ForecastScope,
}

/// The period a timeframe covers, as of `today`: the next N days, or the calendar quarter or
/// year that contains today. Both ends inclusive.
pub fn period(timeframe: &str, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    match timeframe {
        "quarter" => {
            let first_month = (today.month0() / 3) * 3 + 1;
            let start = NaiveDate::from_ymd_opt(today.year(), first_month, 1).unwrap_or(today);
            let next = if first_month == 10 {
                NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(today.year(), first_month + 3, 1)
            };
            (start, next.map_or(today, |n| n - Duration::days(1)))
        }
        "year" => (
            NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today),
        ),
        days => {
            let n: i64 = days.trim_end_matches('d').parse().unwrap_or(30);
            (today, today + Duration::days(n - 1))
        }
    }
}

/// The category a deal is forecast in: its own override, else from its probability.
fn category(set: Option<&str>, probability: f64) -> &'static str {
    match set {
        Some("omitted") => "omitted",
        Some("commit" | "closed") => "commit",
        Some("best_case") => "best_case",
        Some("pipeline") => "pipeline",
        _ if probability >= 0.7 => "commit",
        _ if probability >= 0.4 => "best_case",
        _ => "pipeline",
    }
}

#[derive(Default, Serialize, Clone)]
struct Rollup {
    deals: usize,
    total_value: f64,
    weighted_value: f64,
}

impl Rollup {
    fn add(&mut self, value: f64, weighted: f64) {
        self.deals += 1;
        self.total_value += value;
        self.weighted_value += weighted;
    }
}

/// The chance that a deal with win probability `win`, expected on `close_date` and with the
/// category override `set_category`, closes inside the period that ends on `end` (days since
/// the epoch) as seen on `today`, and the category it counts in; `None` when it cannot count:
/// no close date, no chance of closing in time, or left out of the forecast.
pub fn chances(
    close_date: Option<&str>,
    set_category: Option<&str>,
    win: f64,
    slip: &SlipModel,
    (today, end): (i64, i64),
) -> Option<(f64, &'static str)> {
    let expected = close_date.and_then(date_days)?;
    let close = slip.close_probability(today, expected as i64, end);
    let group = category(set_category, win);
    (close > 0.0 && group != "omitted").then_some((close, group))
}

/// A deal in the forecast, kept light until the few listed are written out.
struct Listed<'a> {
    deal: &'a ForecastDeal,
    stage: usize,
    group: &'static str,
    win: f64,
    close: f64,
    weighted: f64,
}

fn money(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The last close date any timeframe's forecast reads today: a deal closing after the year or
/// the next 90 days can only count by closing early, as early as history shows.
fn widest_horizon(today: NaiveDate, earliest_delay: i64) -> String {
    let furthest = TIMEFRAMES
        .iter()
        .map(|timeframe| period(timeframe, today).1)
        .max()
        .unwrap_or(today);
    days_date(date_days(&furthest.to_string()).unwrap_or(0.0) as i64 - earliest_delay)
}

pub async fn forecast(
    db: &Db,
    inputs: &ForecastInputs,
    workspace: WorkspaceId,
    learned: &Learned,
    request: Request,
) -> Result<Value, ApiError> {
    let today = Utc::now().date_naive();
    let (start, end) = period(request.timeframe, today);
    let today_days = date_days(&today.to_string()).unwrap_or(0.0) as i64;
    let end_days = date_days(&end.to_string()).unwrap_or(0.0) as i64;
    let slip = learned.slip_model();
    // Deals expected after the period can still close early, as far early as history shows.
    let earliest = learned.delays.keys().next().copied().unwrap_or(0).min(0);
    let mut scope = request.scope.clone();
    scope.close_by = Some(days_date(end_days - earliest));
    let open = inputs
        .open_deals(
            db,
            workspace,
            &learned.trained_at,
            &widest_horizon(today, earliest),
        )
        .await?;
    let until = (end + Duration::days(1)).to_string();
    let (won, _) = db
        .closed_in_period(workspace, &scope, (&start.to_string(), &until), false)
        .await?;
    let (won_revenue, won_deals) = (won.value, won.deals);
    let stages = db.stages(workspace).await?;
    let stage_index: HashMap<&str, usize> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let records: Vec<StageRecord> = stages.iter().map(|s| learned.stage_record(&s.id)).collect();

    let mut deals = Vec::new();
    let mut listed = Vec::new();
    let mut by_stage: BTreeMap<usize, (Rollup, f64)> = BTreeMap::new();
    let mut by_category: BTreeMap<&str, Rollup> = BTreeMap::new();
    let mut by_owner: BTreeMap<String, Rollup> = BTreeMap::new();
    let mut by_pipeline: BTreeMap<String, Rollup> = BTreeMap::new();
    by_category.insert(
        "closed",
        Rollup {
            deals: won_deals as usize,
            total_value: won_revenue,
            weighted_value: won_revenue,
        },
    );
    for name in ["commit", "best_case", "pipeline"] {
        by_category.entry(name).or_default();
    }
    for deal in open.in_scope(&scope) {
        let Some(&stage) = stage_index.get(&*deal.stage_id) else {
            continue;
        };
        let info: &StageInfo = &stages[stage];
        let win = deal
            .scored_probability
            .unwrap_or_else(|| learned.stage_probability(info))
            .clamp(0.0, 1.0);
        let Some((close, group)) = chances(
            deal.close_date.as_deref(),
            deal.forecast_category.as_deref(),
            win,
            &slip,
            (today_days, end_days),
        ) else {
            continue;
        };
        let adjusted = win * close;
        let weighted = deal.amount * adjusted;
        deals.push(OpenDeal {
            value: deal.amount.max(0.0),
            win_probability: win,
            close_probability: close,
            stage,
        });
        let entry = by_stage.entry(stage).or_default();
        entry.0.add(deal.amount, weighted);
        entry.1 += adjusted;
        by_category
            .entry(group)
            .or_default()
            .add(deal.amount, weighted);
        by_owner
            .entry(deal.owner_id.as_deref().unwrap_or_default().to_owned())
            .or_default()
            .add(deal.amount, weighted);
        by_pipeline
            .entry(deal.pipeline_id.to_string())
            .or_default()
            .add(deal.amount, weighted);
        listed.push(Listed {
            deal,
            stage,
            group,
            win,
            close,
            weighted,
        });
    }
    // Deals not created yet belong to no owner or pipeline, so only the whole workspace's
    // forecast counts them.
    let whole_workspace = request.scope.pipeline_id.is_none() && request.scope.owner_id.is_none();
    let arrivals = if whole_workspace {
        learned
            .lead_times
            .new_business((end_days - today_days + 1) as f64)
    } else {
        NewBusiness::default()
    };
    let model = RevenueModel::new(&deals, &records, won_revenue)
        .and_then(|model| model.with_new_business(arrivals))
        .map_err(ApiError::internal)?;
    let simulation = model
        .simulate(request.simulations, request.seed)
        .map_err(|e| ApiError::validation("simulations", e.to_string()))?;
    let stats = simulation.percentiles();
    let moments = simulation.moments();
    let exact = model.exact();
    let (worst, likely, best) = (stats.p10, stats.p50, stats.p90);
    let predicted = match request.scenario {
        "worst" => worst,
        "best" => best,
        _ => likely,
    };
    // Ties go by id, so the list does not depend on the order deals were read in.
    listed.sort_unstable_by(|a, b| {
        b.weighted
            .total_cmp(&a.weighted)
            .then_with(|| a.deal.id.cmp(&b.deal.id))
    });
    listed.truncate(LISTED_DEALS);
    let ids: Vec<&str> = listed.iter().map(|l| l.deal.id.as_str()).collect();
    let labels = db.deal_labels(workspace, &ids).await?;
    let listed: Vec<Value> = listed
        .iter()
        .map(|l| {
            let (name, account) = labels.get(&l.deal.id).cloned().unwrap_or_default();
            json!({
                "deal_id": l.deal.id, "name": name, "account": account,
                "value": money(l.deal.amount), "stage": stages[l.stage].name,
                "close_date": l.deal.close_date, "forecast_category": l.group,
                "win_probability": l.win, "close_probability": l.close,
                "adjusted_probability": l.win * l.close, "weighted_value": money(l.weighted),
                "confidence_score": records[l.stage].confidence(),
            })
        })
        .collect();
    let rollups = |map: BTreeMap<String, Rollup>, key: &str| -> Vec<Value> {
        map.into_iter()
            .map(|(id, r)| json!({key: (!id.is_empty()).then_some(id), "deals": r.deals, "total_value": money(r.total_value), "weighted_value": money(r.weighted_value)}))
            .collect()
    };
    Ok(json!({
        "timeframe": request.timeframe,
        "scenario": request.scenario,
        "period": {"start": start.to_string(), "end": end.to_string()},
        "predicted_revenue": money(predicted),
        "confidence": simulation.chance_of_reaching(predicted),
        "worst_case": money(worst),
        "likely_case": money(likely),
        "best_case": money(best),
        "mean_forecast": money(moments.mean),
        "standard_deviation": money(moments.standard_deviation),
        "deals_analyzed": deals.len(),
        "closed_won": {"deals": won_deals, "revenue": money(won_revenue)},
        "new_business": {"mean": money(arrivals.mean), "standard_deviation": money(arrivals.variance.sqrt())},
        "breakdown_by_stage": by_stage.into_iter().map(|(stage, (r, probability))| json!({
            "stage_id": stages[stage].id, "stage": stages[stage].name, "deals": r.deals,
            "total_value": money(r.total_value), "weighted_value": money(r.weighted_value),
            "avg_probability": probability / r.deals.max(1) as f64,
        })).collect::<Vec<_>>(),
        "by_category": by_category.into_iter().map(|(name, r)| (name.to_owned(), json!(r))).collect::<serde_json::Map<_, _>>(),
        "by_owner": rollups(by_owner, "owner_id"),
        "by_pipeline": rollups(by_pipeline, "pipeline_id"),
        "simulation_stats": {
            "num_simulations": request.simulations, "seed": request.seed,
            "min": money(stats.min), "max": money(stats.max), "p5": money(stats.p5),
            "p10": money(stats.p10), "p25": money(stats.p25), "p50": money(stats.p50),
            "p75": money(stats.p75), "p90": money(stats.p90), "p95": money(stats.p95),
        },
        "histogram": simulation.histogram(HISTOGRAM_BANDS).into_iter().map(|band| json!({
            "from": money(band.from), "to": money(band.to), "share": band.share,
        })).collect::<Vec<_>>(),
        "forecasted_deals": listed,
        "exact": {"mean": money(exact.mean), "standard_deviation": money(exact.standard_deviation)},
        "generated_at": now_timestamp(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn periods_cover_the_timeframe() {
        let today = day("2026-11-23");
        assert_eq!(period("30d", today), (today, day("2026-12-22")));
        assert_eq!(
            period("quarter", today),
            (day("2026-10-01"), day("2026-12-31"))
        );
        assert_eq!(
            period("quarter", day("2026-05-02")),
            (day("2026-04-01"), day("2026-06-30"))
        );
        assert_eq!(
            period("year", today),
            (day("2026-01-01"), day("2026-12-31"))
        );
    }

    #[test]
    fn categories_follow_overrides_then_probability() {
        assert_eq!(category(Some("omitted"), 0.9), "omitted");
        assert_eq!(category(Some("pipeline"), 0.9), "pipeline");
        assert_eq!(category(None, 0.75), "commit");
        assert_eq!(category(None, 0.5), "best_case");
        assert_eq!(category(None, 0.1), "pipeline");
    }
}
