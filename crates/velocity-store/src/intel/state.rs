//! What intelligence keeps between requests: the learned state of a workspace (an opaque JSON
//! document owned by the server's intelligence module), each deal's latest score, the open
//! deals a forecast reads, and the daily forecast snapshots.

use crate::error::StoreError;
use crate::Db;
use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use velocity_domain::values::now_timestamp;
use velocity_domain::WorkspaceId;

/// A stage of any pipeline of the workspace.
#[derive(Debug, Clone, Serialize)]
pub struct StageInfo {
    pub id: String,
    pub pipeline_id: String,
    pub name: String,
    pub probability: f64,
    pub kind: String,
    pub position: i64,
}

/// A deal's latest score.
#[derive(Debug, Clone)]
pub struct StoredScore {
    pub deal_id: String,
    pub deal_version: i64,
    pub win_probability: f64,
    pub health: i64,
    pub health_band: String,
    /// The factors as JSON text.
    pub factors: String,
}

/// An open deal as the forecast reads it, with its latest score if it is current. Only what
/// the simulation needs: a million-deal workspace has hundreds of thousands open, so the
/// pipeline, stage, owner and category (a few values shared by many deals) are shared
/// strings.
#[derive(Debug, Clone)]
pub struct ForecastDeal {
    pub id: String,
    pub pipeline_id: Arc<str>,
    pub stage_id: Arc<str>,
    pub owner_id: Option<Arc<str>>,
    pub amount: f64,
    pub close_date: Option<String>,
    pub forecast_category: Option<Arc<str>>,
    /// The scored probability, when the score is of the deal's current version.
    pub scored_probability: Option<f64>,
}

/// One shared copy of each value read, for values that repeat across many rows.
#[derive(Default)]
struct Shared(HashSet<Arc<str>>);

impl Shared {
    fn get(&mut self, value: String) -> Arc<str> {
        if let Some(shared) = self.0.get(value.as_str()) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(value);
        self.0.insert(shared.clone());
        shared
    }
}

/// Which open deals a forecast covers.
#[derive(Debug, Clone, Default)]
pub struct ForecastScope {
    pub pipeline_id: Option<String>,
    pub owner_id: Option<String>,
    /// Deals with a close date after this day cannot close in time (`YYYY-MM-DD`); deals
    /// without a close date are never read, as they cannot be placed in a period.
    pub close_by: Option<String>,
}

impl ForecastScope {
    /// `AND column = $n` for each of the pipeline and owner filters that is set, with its
    /// value appended to the query's values.
    pub(crate) fn filters(&self, values: &mut Vec<String>) -> String {
        let mut sql = String::new();
        for (column, value) in [
            ("pipeline_id", &self.pipeline_id),
            ("owner_id", &self.owner_id),
        ] {
            if let Some(value) = value {
                values.push(value.clone());
                sql.push_str(&format!(" AND {column} = ${}", values.len()));
            }
        }
        sql
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub id: String,
    pub taken_on: String,
    pub timeframe: String,
    pub period_start: String,
    pub period_end: String,
    pub forecast: serde_json::Value,
    pub created_at: String,
}

impl Db {
    pub async fn stages(&self, workspace: WorkspaceId) -> Result<Vec<StageInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.pipeline_id, s.name, s.probability, s.kind, s.position FROM pipeline_stages s \
             JOIN pipelines p ON p.workspace_id = s.workspace_id AND p.id = s.pipeline_id \
             WHERE s.workspace_id = $1 AND p.deleted_at IS NULL ORDER BY s.pipeline_id, s.position, s.id",
        )
        .bind(workspace.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StageInfo {
                    id: row.try_get("id")?,
                    pipeline_id: row.try_get("pipeline_id")?,
                    name: row.try_get("name")?,
                    probability: row.try_get("probability")?,
                    kind: row.try_get("kind")?,
                    position: row.try_get("position")?,
                })
            })
            .collect()
    }

    /// The learned state of a workspace and when it was learned.
    pub async fn intel_state(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row =
            sqlx::query("SELECT trained_at, payload FROM intel_state WHERE workspace_id = $1")
                .bind(workspace.to_string())
                .fetch_optional(self.reader())
                .await?;
        row.map(|row| Ok((row.try_get("trained_at")?, row.try_get("payload")?)))
            .transpose()
    }

    pub async fn save_intel_state(
        &self,
        workspace: WorkspaceId,
        trained_at: &str,
        payload: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO intel_state (workspace_id, trained_at, payload) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id) DO UPDATE SET trained_at = excluded.trained_at, payload = excluded.payload",
        )
        .bind(workspace.to_string())
        .bind(trained_at)
        .bind(payload)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Replaces the scores of the given deals, in one transaction.
    pub async fn save_scores(
        &self,
        workspace: WorkspaceId,
        scores: &[StoredScore],
    ) -> Result<(), StoreError> {
        let ws = workspace.to_string();
        let scored_at = now_timestamp();
        let mut tx = self.writer().begin().await?;
        for score in scores {
            sqlx::query(
                "INSERT INTO deal_scores (workspace_id, deal_id, deal_version, win_probability, health, \
                 health_band, factors, scored_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (workspace_id, deal_id) DO UPDATE SET deal_version = excluded.deal_version, \
                 win_probability = excluded.win_probability, health = excluded.health, \
                 health_band = excluded.health_band, factors = excluded.factors, scored_at = excluded.scored_at",
            )
            .bind(&ws)
            .bind(&score.deal_id)
            .bind(score.deal_version)
            .bind(score.win_probability)
            .bind(score.health)
            .bind(&score.health_band)
            .bind(&score.factors)
            .bind(&scored_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Open deals for a forecast, with their current scores, each shared: the forecast's copy
    /// of a workspace's open deals is rebuilt from the old one and the few deals touched since.
    pub async fn forecast_deals(
        &self,
        workspace: WorkspaceId,
        scope: &ForecastScope,
    ) -> Result<Vec<Arc<ForecastDeal>>, StoreError> {
        self.read_forecast_deals(workspace, scope, None).await
    }

    /// The same for the named deals only (those of them that are open and in scope).
    pub async fn forecast_deals_by_id(
        &self,
        workspace: WorkspaceId,
        scope: &ForecastScope,
        ids: &[String],
    ) -> Result<Vec<Arc<ForecastDeal>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read_forecast_deals(workspace, scope, Some(ids)).await
    }

    async fn read_forecast_deals(
        &self,
        workspace: WorkspaceId,
        scope: &ForecastScope,
        ids: Option<&[String]>,
    ) -> Result<Vec<Arc<ForecastDeal>>, StoreError> {
        let mut sql = String::from(
            "SELECT d.id, d.pipeline_id, d.stage_id, d.owner_id, d.amount, d.close_date, \
             d.forecast_category, \
             CASE WHEN s.deal_version = d.version THEN s.win_probability END AS scored_probability \
             FROM deals d \
             LEFT JOIN deal_scores s ON s.workspace_id = d.workspace_id AND s.deal_id = d.id \
             WHERE d.workspace_id = $1 AND d.status = 'open' AND d.deleted_at IS NULL \
             AND d.close_date IS NOT NULL",
        );
        let mut values = vec![workspace.to_string()];
        for (column, value) in [
            ("d.pipeline_id", &scope.pipeline_id),
            ("d.owner_id", &scope.owner_id),
        ] {
            if let Some(value) = value {
                values.push(value.clone());
                sql.push_str(&format!(" AND {column} = ${}", values.len()));
            }
        }
        if let Some(day) = &scope.close_by {
            values.push(day.clone());
            sql.push_str(&format!(" AND d.close_date <= ${}", values.len()));
        }
        if let Some(ids) = ids {
            let first = values.len() + 1;
            values.extend(ids.iter().cloned());
            let list: Vec<String> = (first..=values.len()).map(|n| format!("${n}")).collect();
            sql.push_str(&format!(" AND d.id IN ({})", list.join(", ")));
        }
        let mut query = sqlx::query(&sql);
        for value in &values {
            query = query.bind(value);
        }
        // Streamed, not fetched whole: the rows of a few hundred thousand deals take more
        // memory than the deals made from them.
        let rows = query.fetch(self.reader());
        let mut rows = std::pin::pin!(rows);
        let mut shared = Shared::default();
        let mut deals = Vec::new();
        while let Some(row) = rows.try_next().await? {
            let amount: Option<f64> = row.try_get("amount")?;
            let owner: Option<String> = row.try_get("owner_id")?;
            let category: Option<String> = row.try_get("forecast_category")?;
            deals.push(Arc::new(ForecastDeal {
                id: row.try_get("id")?,
                pipeline_id: shared.get(row.try_get("pipeline_id")?),
                stage_id: shared.get(row.try_get("stage_id")?),
                owner_id: owner.map(|owner| shared.get(owner)),
                amount: amount.unwrap_or(0.0),
                close_date: row.try_get("close_date")?,
                forecast_category: category.map(|category| shared.get(category)),
                scored_probability: row.try_get("scored_probability")?,
            }));
        }
        Ok(deals)
    }

    /// Names and account names of the given deals: `id → (name, account)`.
    pub async fn deal_labels(
        &self,
        workspace: WorkspaceId,
        ids: &[&str],
    ) -> Result<HashMap<String, (String, Option<String>)>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT d.id, d.name, a.name AS account_name FROM deals d \
             LEFT JOIN accounts a ON a.workspace_id = d.workspace_id AND a.id = d.account_id \
             WHERE d.workspace_id = $1 AND d.id IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(workspace.to_string());
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    (row.try_get("name")?, row.try_get("account_name")?),
                ))
            })
            .collect()
    }

    /// Stores today's snapshot of a forecast; a second one the same day replaces the first.
    pub async fn save_snapshot(
        &self,
        workspace: WorkspaceId,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO forecast_snapshots (workspace_id, id, taken_on, timeframe, period_start, \
             period_end, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace_id, taken_on, timeframe) DO UPDATE SET \
             period_start = excluded.period_start, period_end = excluded.period_end, \
             payload = excluded.payload, created_at = excluded.created_at",
        )
        .bind(workspace.to_string())
        .bind(&snapshot.id)
        .bind(&snapshot.taken_on)
        .bind(&snapshot.timeframe)
        .bind(&snapshot.period_start)
        .bind(&snapshot.period_end)
        .bind(snapshot.forecast.to_string())
        .bind(&snapshot.created_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Snapshots, newest first, optionally of one timeframe.
    pub async fn snapshots(
        &self,
        workspace: WorkspaceId,
        timeframe: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Snapshot>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, taken_on, timeframe, period_start, period_end, payload, created_at \
             FROM forecast_snapshots WHERE workspace_id = $1 AND ($2 IS NULL OR timeframe = $2) \
             ORDER BY taken_on DESC, timeframe LIMIT $3",
        )
        .bind(workspace.to_string())
        .bind(timeframe)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let payload: String = row.try_get("payload")?;
                Ok(Snapshot {
                    id: row.try_get("id")?,
                    taken_on: row.try_get("taken_on")?,
                    timeframe: row.try_get("timeframe")?,
                    period_start: row.try_get("period_start")?,
                    period_end: row.try_get("period_end")?,
                    forecast: serde_json::from_str(&payload).map_err(StoreError::corrupt)?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
