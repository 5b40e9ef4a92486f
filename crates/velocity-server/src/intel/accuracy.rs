//! How good past forecasts were: every stored snapshot whose period has ended is scored
//! against the revenue actually won in that period, with the measures a forecaster uses:
//! pinball loss at P10, P50 and P90, CRPS approximated from the stored percentiles, whether
//! the outcome fell inside the P10–P90 band, and the P50's error.

use crate::error::ApiError;
use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use velocity_domain::WorkspaceId;
use velocity_intel::forecast::stats::{crps_from_quantiles, pinball_loss, LEVELS};
use velocity_store::intel::state::ForecastScope;
use velocity_store::Db;

/// Snapshots read, newest first; a year of both daily timeframes.
const SNAPSHOTS_READ: i64 = 800;

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotScore {
    pub snapshot_id: String,
    pub taken_on: String,
    pub timeframe: String,
    pub period_start: String,
    pub period_end: String,
    pub actual: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub pinball_p10: f64,
    pub pinball_p50: f64,
    pub pinball_p90: f64,
    pub crps: f64,
    pub inside_p10_p90: bool,
    /// The weighted pipeline (won so far, plus each open deal closing in the period times its
    /// stage's configured probability), where known: the single figure most CRMs show, as a
    /// point forecast to measure against.
    pub weighted_pipeline: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeframeAccuracy {
    pub timeframe: String,
    pub snapshots: usize,
    pub mean_crps: f64,
    pub mean_pinball_p10: f64,
    pub mean_pinball_p50: f64,
    pub mean_pinball_p90: f64,
    /// Share of outcomes inside the P10–P90 band; 0.8 for a calibrated forecast.
    pub p10_p90_coverage: f64,
    /// Mean |P50 − actual| / actual, over periods that won anything.
    pub mean_absolute_percentage_error_p50: Option<f64>,
    /// Mean |weighted pipeline − actual|: the CRPS of that point forecast, to compare with
    /// `mean_crps`.
    pub mean_crps_weighted_pipeline: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    /// Snapshots whose period has not ended yet.
    pub pending: usize,
    pub by_timeframe: Vec<TimeframeAccuracy>,
    pub snapshots: Vec<SnapshotScore>,
}

fn at_levels(stats: &Value) -> Option<[f64; 7]> {
    let mut values = [0.0; 7];
    for (value, key) in values
        .iter_mut()
        .zip(["p5", "p10", "p25", "p50", "p75", "p90", "p95"])
    {
        *value = stats.get(key)?.as_f64()?;
    }
    Some(values)
}

/// Scores the workspace's stored snapshots whose period ended before today.
pub async fn accuracy(db: &Db, workspace: WorkspaceId) -> Result<Accuracy, ApiError> {
    let today = Utc::now().date_naive();
    let mut pending = 0;
    let mut scored = Vec::new();
    for snapshot in db.snapshots(workspace, None, SNAPSHOTS_READ).await? {
        let end: NaiveDate = snapshot.period_end.parse().map_err(ApiError::internal)?;
        if end >= today {
            pending += 1;
            continue;
        }
        let Some(quantiles) = at_levels(&snapshot.forecast["simulation_stats"]) else {
            continue;
        };
        let until = (end + Duration::days(1)).to_string();
        let (won, _) = db
            .closed_in_period(
                workspace,
                &ForecastScope::default(),
                (&snapshot.period_start, &until),
                false,
            )
            .await?;
        scored.push(SnapshotScore::new(
            snapshot.id,
            snapshot.taken_on,
            snapshot.timeframe,
            (snapshot.period_start, snapshot.period_end),
            &quantiles,
            won.value,
        ));
    }
    Ok(Accuracy {
        pending,
        by_timeframe: summarise(&scored),
        snapshots: scored,
    })
}

impl SnapshotScore {
    /// Scores a forecast given by its quantiles at [`LEVELS`] against what was won.
    pub fn new(
        snapshot_id: String,
        taken_on: String,
        timeframe: String,
        (period_start, period_end): (String, String),
        quantiles: &[f64; 7],
        actual: f64,
    ) -> SnapshotScore {
        let [_, p10, _, p50, _, p90, _] = *quantiles;
        SnapshotScore {
            snapshot_id,
            taken_on,
            timeframe,
            period_start,
            period_end,
            actual,
            p10,
            p50,
            p90,
            pinball_p10: pinball_loss(0.1, p10, actual),
            pinball_p50: pinball_loss(0.5, p50, actual),
            pinball_p90: pinball_loss(0.9, p90, actual),
            crps: crps_from_quantiles(&LEVELS, quantiles, actual),
            inside_p10_p90: (p10..=p90).contains(&actual),
            weighted_pipeline: None,
        }
    }
}

/// The measures averaged per timeframe.
pub fn summarise(scored: &[SnapshotScore]) -> Vec<TimeframeAccuracy> {
    let mut groups: BTreeMap<&str, Vec<&SnapshotScore>> = BTreeMap::new();
    for score in scored {
        groups.entry(&score.timeframe).or_default().push(score);
    }
    groups
        .into_iter()
        .map(|(timeframe, scores)| {
            let n = scores.len() as f64;
            let mean = |f: fn(&SnapshotScore) -> f64| scores.iter().map(|s| f(s)).sum::<f64>() / n;
            let average = |values: Vec<f64>| {
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
            };
            TimeframeAccuracy {
                timeframe: timeframe.to_owned(),
                snapshots: scores.len(),
                mean_crps: mean(|s| s.crps),
                mean_pinball_p10: mean(|s| s.pinball_p10),
                mean_pinball_p50: mean(|s| s.pinball_p50),
                mean_pinball_p90: mean(|s| s.pinball_p90),
                p10_p90_coverage: mean(|s| f64::from(u8::from(s.inside_p10_p90))),
                mean_absolute_percentage_error_p50: average(
                    scores
                        .iter()
                        .filter(|s| s.actual > 0.0)
                        .map(|s| (s.p50 - s.actual).abs() / s.actual)
                        .collect(),
                ),
                mean_crps_weighted_pipeline: average(
                    scores
                        .iter()
                        .filter_map(|s| s.weighted_pipeline.map(|w| (w - s.actual).abs()))
                        .collect(),
                ),
            }
        })
        .collect()
}
