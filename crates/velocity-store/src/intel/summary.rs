//! The pipeline at a glance, summed in the database: open value per stage, what was won and
//! lost in a period, open and overdue tasks, unread insights. The dashboard reads it in one
//! call however many deals there are.

use super::state::ForecastScope;
use crate::{Db, StoreError};
use serde::Serialize;
use sqlx::Row;
use velocity_domain::WorkspaceId;

#[derive(Debug, Clone, Serialize)]
pub struct StageTotal {
    pub stage_id: String,
    pub deals: i64,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Closed {
    pub deals: i64,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineSummary {
    pub open_by_stage: Vec<StageTotal>,
    pub won: Closed,
    pub lost: Closed,
    pub open_tasks: i64,
    pub overdue_tasks: i64,
    pub my_overdue_tasks: i64,
    pub unread_insights: i64,
    /// The currency most of the workspace's deals are in, for showing the sums.
    pub currency: Option<String>,
}

impl Db {
    /// The summary for deals in `scope`, closed ones counted as [`Db::closed_in_period`] does;
    /// overdue means an open task with `due_at` before `now`.
    pub async fn pipeline_summary(
        &self,
        workspace: WorkspaceId,
        scope: &ForecastScope,
        (from, until): (&str, &str),
        now: &str,
        user: Option<&str>,
    ) -> Result<PipelineSummary, StoreError> {
        let ws = workspace.to_string();
        let mut values = vec![ws.clone()];
        let filters = scope.filters(&mut values);
        let sql = format!(
            "SELECT stage_id, COUNT(*) AS deals, COALESCE(SUM(amount), 0.0) AS value FROM deals \
             WHERE workspace_id = $1 AND status = 'open' AND deleted_at IS NULL{filters} \
             GROUP BY stage_id"
        );
        let mut query = sqlx::query(&sql);
        for value in &values {
            query = query.bind(value);
        }
        let open_by_stage = query
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|row| {
                Ok(StageTotal {
                    stage_id: row.try_get("stage_id")?,
                    deals: row.try_get("deals")?,
                    value: row.try_get("value")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let (won, lost) = self
            .closed_in_period(workspace, scope, (from, until), true)
            .await?;

        let tasks = sqlx::query(
            "SELECT COUNT(*) AS open, \
             COALESCE(SUM(CASE WHEN due_at < $2 THEN 1 ELSE 0 END), 0) AS overdue, \
             COALESCE(SUM(CASE WHEN due_at < $2 AND assignee_id = $3 THEN 1 ELSE 0 END), 0) AS mine \
             FROM tasks WHERE workspace_id = $1 AND status = 'open' AND deleted_at IS NULL",
        )
        .bind(&ws)
        .bind(now)
        .bind(user.unwrap_or(""))
        .fetch_one(self.reader())
        .await?;
        let unread: i64 = sqlx::query(
            "SELECT COUNT(*) AS unread FROM insights \
             WHERE workspace_id = $1 AND status = 'open' AND is_read = 0",
        )
        .bind(&ws)
        .fetch_one(self.reader())
        .await?
        .try_get("unread")?;
        let currency = sqlx::query(
            "SELECT currency FROM deals WHERE workspace_id = $1 AND deleted_at IS NULL \
             AND currency IS NOT NULL GROUP BY currency ORDER BY COUNT(*) DESC, currency LIMIT 1",
        )
        .bind(&ws)
        .fetch_optional(self.reader())
        .await?
        .map(|row| row.try_get("currency"))
        .transpose()?;
        Ok(PipelineSummary {
            open_by_stage,
            won,
            lost,
            open_tasks: tasks.try_get("open")?,
            overdue_tasks: tasks.try_get("overdue")?,
            my_overdue_tasks: tasks.try_get("mine")?,
            unread_insights: unread,
            currency,
        })
    }

    /// Deals won (and, with `and_lost`, lost) from day `from` up to, not including, day
    /// `until` (`YYYY-MM-DD`), in `scope`. A deal counts on its close date (closing dates it),
    /// or on the day it closed when it has none. The forecast asks for won deals only: a year
    /// of a million-deal workspace holds hundreds of thousands of each.
    pub async fn closed_in_period(
        &self,
        workspace: WorkspaceId,
        scope: &ForecastScope,
        (from, until): (&str, &str),
        and_lost: bool,
    ) -> Result<(Closed, Closed), StoreError> {
        let mut values = vec![workspace.to_string(), from.to_owned(), until.to_owned()];
        let filters = scope.filters(&mut values);
        let statuses = if and_lost { "'won', 'lost'" } else { "'won'" };
        let sql = format!(
            "SELECT status, COUNT(*) AS deals, COALESCE(SUM(amount), 0.0) AS value FROM deals \
             WHERE workspace_id = $1 AND status IN ({statuses}) AND deleted_at IS NULL \
             AND ((close_date >= $2 AND close_date < $3) \
             OR (close_date IS NULL AND closed_at >= $2 AND closed_at < $3)){filters} \
             GROUP BY status"
        );
        let mut query = sqlx::query(&sql);
        for value in &values {
            query = query.bind(value);
        }
        let (mut won, mut lost) = (Closed::default(), Closed::default());
        for row in query.fetch_all(self.reader()).await? {
            let status: String = row.try_get("status")?;
            let closed = Closed {
                deals: row.try_get("deals")?,
                value: row.try_get("value")?,
            };
            if status == "won" {
                won = closed;
            } else {
                lost = closed;
            }
        }
        Ok((won, lost))
    }
}
