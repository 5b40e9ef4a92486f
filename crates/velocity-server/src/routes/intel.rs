//! Pipeline intelligence endpoints: a deal's score, rescoring every open deal, the revenue
//! forecast and its daily snapshots, and insights.

use crate::error::ApiError;
use crate::extract::{parse_path_id, Access, ApiJson, Caller};
use crate::intel::accuracy::{accuracy, Accuracy};
use crate::intel::forecast::{
    self, Request, DEFAULT_SEED, DEFAULT_SIMULATIONS, MAX_SIMULATIONS, SCENARIOS, TIMEFRAMES,
};
use crate::intel::score::{self, Analysis, DealScore, Rescored};
use crate::intel::{insights, learn, worker};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use velocity_domain::values::now_timestamp;
use velocity_domain::{RecordId, UserId, ValidationErrors};
use velocity_store::intel::insights::{Insight, InsightFilter, InsightSync};
use velocity_store::intel::state::ForecastScope;

const PRIORITIES: &[&str] = &["critical", "high", "medium", "low"];

#[derive(Deserialize)]
pub struct DealPath {
    id: String,
}

/// `GET /deals/{id}/score`: health and win probability as the deal stands now.
pub async fn score(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<DealPath>,
) -> Result<Json<DealScore>, ApiError> {
    let id: RecordId = parse_path_id(&path.id, "deal")?;
    let score = score::score_one(&state.db, access.workspace, &id.to_string()).await?;
    Ok(Json(score))
}

/// `POST /deals/score`: relearn from history and rescore every open deal now.
pub async fn rescore(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Rescored>, ApiError> {
    access.require_write()?;
    Ok(Json(Analysis::rescore(&state, access.workspace).await?))
}

/// A query parameter that must be one of a fixed set.
fn one_of(
    params: &HashMap<String, String>,
    name: &str,
    allowed: &'static [&'static str],
    default: &'static str,
    errors: &mut ValidationErrors,
) -> &'static str {
    match params.get(name) {
        None => default,
        Some(value) => allowed
            .iter()
            .find(|a| **a == value)
            .copied()
            .unwrap_or_else(|| {
                errors.push(
                    name,
                    format!("`{value}` is not one of {}", allowed.join(", ")),
                );
                default
            }),
    }
}

fn parsed<T: std::str::FromStr>(
    params: &HashMap<String, String>,
    name: &str,
    expected: &str,
    errors: &mut ValidationErrors,
) -> Option<T> {
    let value = params.get(name)?;
    match value.trim().parse() {
        Ok(parsed) => Some(parsed),
        Err(_) => {
            errors.push(name, format!("`{value}` is not {expected}"));
            None
        }
    }
}

/// The `pipeline_id` and `owner_id` filters of a query, parsed (problems join `errors`).
fn scope_filters(
    params: &HashMap<String, String>,
    errors: &mut ValidationErrors,
) -> (Option<RecordId>, Option<UserId>) {
    (
        parsed::<RecordId>(params, "pipeline_id", "a pipeline id", errors),
        parsed::<UserId>(params, "owner_id", "a user id", errors),
    )
}

/// The deals a forecast or summary covers. A pipeline must be one of the workspace's
/// (another's is 404).
async fn scope_in_workspace(
    state: &AppState,
    access: &Access,
    (pipeline, owner): (Option<RecordId>, Option<UserId>),
) -> Result<ForecastScope, ApiError> {
    if let Some(pipeline) = pipeline {
        let stages = state.db.stages(access.workspace).await?;
        if !stages.iter().any(|s| s.pipeline_id == pipeline.to_string()) {
            return Err(ApiError::NotFound("pipeline not found".into()));
        }
    }
    Ok(ForecastScope {
        pipeline_id: pipeline.map(|p| p.to_string()),
        owner_id: owner.map(|o| o.to_string()),
        close_by: None,
    })
}

/// `GET /forecast?timeframe=&scenario=&simulations=&pipeline_id=&owner_id=&seed=`
pub async fn forecast(
    State(state): State<AppState>,
    access: Access,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let mut errors = ValidationErrors::default();
    let timeframe = one_of(&params, "timeframe", TIMEFRAMES, "30d", &mut errors);
    let scenario = one_of(&params, "scenario", SCENARIOS, "likely", &mut errors);
    let simulations = parsed::<usize>(&params, "simulations", "a whole number", &mut errors)
        .unwrap_or(DEFAULT_SIMULATIONS);
    if !(1..=MAX_SIMULATIONS).contains(&simulations) {
        errors.push(
            "simulations",
            format!("must be between 1 and {MAX_SIMULATIONS}"),
        );
    }
    let seed = parsed::<u64>(
        &params,
        "seed",
        "a whole number of zero or more",
        &mut errors,
    )
    .unwrap_or(DEFAULT_SEED);
    let filters = scope_filters(&params, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let scope = scope_in_workspace(&state, &access, filters).await?;
    let learned = learn::current(&state.db, access.workspace).await?;
    let request = Request {
        timeframe,
        scenario,
        simulations,
        seed,
        scope,
    };
    Ok(Json(
        forecast::forecast(
            &state.db,
            &state.forecast_inputs,
            access.workspace,
            &learned,
            request,
        )
        .await?,
    ))
}

/// `GET /pipeline/summary?timeframe=&pipeline_id=&owner_id=`: the dashboard's figures.
pub async fn pipeline_summary(
    State(state): State<AppState>,
    access: Access,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let mut errors = ValidationErrors::default();
    let timeframe = one_of(&params, "timeframe", TIMEFRAMES, "quarter", &mut errors);
    let filters = scope_filters(&params, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let scope = scope_in_workspace(&state, &access, filters).await?;
    let (start, end) = forecast::period(timeframe, chrono::Utc::now().date_naive());
    let until = (end + chrono::Duration::days(1)).to_string();
    let user = match access.caller {
        Caller::User(id) => Some(id.to_string()),
        Caller::ApiKey { .. } => None,
    };
    let summary = state
        .db
        .pipeline_summary(
            access.workspace,
            &scope,
            (&start.to_string(), &until),
            &now_timestamp(),
            user.as_deref(),
        )
        .await?;
    let decided = summary.won.deals + summary.lost.deals;
    let mut body = json!(summary);
    body["timeframe"] = json!(timeframe);
    body["period"] = json!({"start": start.to_string(), "end": end.to_string()});
    body["win_rate"] = json!((decided > 0).then(|| summary.won.deals as f64 / decided as f64));
    Ok(Json(body))
}

/// `GET /forecast/snapshots?timeframe=&limit=`: stored daily forecasts, newest first.
pub async fn snapshots(
    State(state): State<AppState>,
    access: Access,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let mut errors = ValidationErrors::default();
    let timeframe = params
        .get("timeframe")
        .map(|_| one_of(&params, "timeframe", TIMEFRAMES, "30d", &mut errors));
    let limit = parsed::<i64>(&params, "limit", "a whole number", &mut errors).unwrap_or(90);
    if !(1..=1000).contains(&limit) {
        errors.push("limit", "must be between 1 and 1000");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let items = state
        .db
        .snapshots(access.workspace, timeframe, limit)
        .await?;
    Ok(Json(json!({ "items": items })))
}

/// `POST /forecast/snapshots`: refresh scores and take today's snapshots now (the worker does
/// this nightly and after changes).
pub async fn take_snapshots(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Value>, ApiError> {
    access.require_write()?;
    worker::refresh(&state, access.workspace).await?;
    let items = state
        .db
        .snapshots(
            access.workspace,
            None,
            worker::SNAPSHOT_TIMEFRAMES.len() as i64,
        )
        .await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /insights?unread=true&priority=high&status=open|resolved&limit=`
pub async fn insights(
    State(state): State<AppState>,
    access: Access,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let mut errors = ValidationErrors::default();
    let unread = parsed::<bool>(&params, "unread", "true or false", &mut errors);
    let priority = params
        .get("priority")
        .map(|_| one_of(&params, "priority", PRIORITIES, "high", &mut errors).to_owned());
    let status = one_of(
        &params,
        "status",
        &["open", "resolved"],
        "open",
        &mut errors,
    );
    let limit = parsed::<i64>(&params, "limit", "a whole number", &mut errors).unwrap_or(100);
    if !(1..=500).contains(&limit) {
        errors.push("limit", "must be between 1 and 500");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let filter = InsightFilter {
        unread,
        priority,
        status: Some(status.to_owned()),
        limit,
    };
    let items = state.db.insights(access.workspace, &filter).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightChange {
    is_read: bool,
}

#[derive(Deserialize)]
pub struct InsightPath {
    id: String,
}

/// `PATCH /insights/{id}` `{"is_read": true}`
pub async fn mark_insight(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<InsightPath>,
    ApiJson(change): ApiJson<InsightChange>,
) -> Result<Json<Insight>, ApiError> {
    let id: uuid::Uuid = parse_path_id(&path.id, "insight")?;
    let insight = state
        .db
        .mark_insight(access.workspace, &id.to_string(), change.is_read)
        .await?;
    Ok(Json(insight))
}

/// `POST /insights/generate`: rescore and run the insight rules now.
pub async fn generate_insights(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<InsightSync>, ApiError> {
    access.require_write()?;
    let analysis = Analysis::run(&state, access.workspace).await?;
    Ok(Json(
        insights::generate(&state.db, access.workspace, &analysis).await?,
    ))
}

/// `GET /forecast/accuracy`: past snapshots scored against what was won in their periods.
pub async fn forecast_accuracy(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Accuracy>, ApiError> {
    Ok(Json(accuracy(&state.db, access.workspace).await?))
}
