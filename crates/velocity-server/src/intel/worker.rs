//! Keeps intelligence fresh in the background: a workspace is relearned, rescored and its
//! insights regenerated once it
//! has been quiet for the debounce period after a change (or, during a long stream of changes
//! such as an import, at least every ten debounce periods), every workspace nightly, and each
//! refresh stores the day's forecast snapshots.

use super::forecast::{self, Request, DEFAULT_SIMULATIONS};
use super::insights;
use super::score::Analysis;
use crate::error::ApiError;
use crate::state::AppState;
use chrono::Utc;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use velocity_domain::values::now_timestamp;
use velocity_domain::WorkspaceId;
use velocity_store::intel::state::{ForecastScope, Snapshot};

/// Timeframes snapshotted every day.
pub const SNAPSHOT_TIMEFRAMES: [&str; 2] = ["30d", "quarter"];
const NIGHTLY: Duration = Duration::from_secs(24 * 3600);

/// Runs until the hub closes.
pub async fn run(state: AppState, debounce: Duration) {
    let mut feed = state.hub.subscribe();
    // Workspace → (first unrefreshed change, latest change).
    let mut pending: HashMap<WorkspaceId, (Instant, Instant)> = HashMap::new();
    let mut tick =
        tokio::time::interval(debounce.clamp(Duration::from_millis(50), Duration::from_secs(1)));
    let mut nightly = tokio::time::interval_at(Instant::now() + NIGHTLY, NIGHTLY);
    loop {
        tokio::select! {
            changed = feed.recv() => match changed {
                Ok(workspace) => {
                    let now = Instant::now();
                    pending.entry(workspace).and_modify(|(_, last)| *last = now).or_insert((now, now));
                }
                // Missed wake-ups are caught by the nightly run.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                let due: Vec<WorkspaceId> = pending
                    .iter()
                    .filter(|(_, (first, last))| last.elapsed() >= debounce || first.elapsed() >= debounce * 10)
                    .map(|(workspace, _)| *workspace)
                    .collect();
                for workspace in due {
                    pending.remove(&workspace);
                    refresh_logged(&state, workspace).await;
                }
            }
            _ = nightly.tick() => {
                match state.db.workspace_ids().await {
                    Ok(workspaces) => {
                        for workspace in workspaces {
                            refresh_logged(&state, workspace).await;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "listing workspaces for the nightly refresh failed"),
                }
            }
        }
    }
}

async fn refresh_logged(state: &AppState, workspace: WorkspaceId) {
    if let Err(error) = refresh(state, workspace).await {
        tracing::warn!(%workspace, %error, "refreshing pipeline intelligence failed");
    }
}

/// Relearns and rescores a workspace, brings its insights up to date, then stores today's
/// forecast snapshots.
pub async fn refresh(state: &AppState, workspace: WorkspaceId) -> Result<(), ApiError> {
    let analysis = Analysis::run(state, workspace).await?;
    insights::generate(&state.db, workspace, &analysis).await?;
    // The forecasts below read their own copy of the open deals: the findings go first.
    drop(analysis.findings);
    let learned = analysis.learned;
    let today = Utc::now().date_naive();
    for timeframe in SNAPSHOT_TIMEFRAMES {
        let request = Request {
            timeframe,
            scenario: "likely",
            simulations: DEFAULT_SIMULATIONS,
            seed: forecast::DEFAULT_SEED,
            scope: ForecastScope::default(),
        };
        let result = forecast::forecast(
            &state.db,
            &state.forecast_inputs,
            workspace,
            &learned,
            request,
        )
        .await?;
        let (start, end) = forecast::period(timeframe, today);
        let snapshot = Snapshot {
            id: uuid::Uuid::now_v7().to_string(),
            taken_on: today.to_string(),
            timeframe: timeframe.to_owned(),
            period_start: start.to_string(),
            period_end: end.to_string(),
            forecast: result,
            created_at: now_timestamp(),
        };
        state.db.save_snapshot(workspace, &snapshot).await?;
    }
    Ok(())
}
