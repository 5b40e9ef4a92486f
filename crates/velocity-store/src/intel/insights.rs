//! Stored insights: the rules' findings kept one per open condition, updated while the
//! condition holds, resolved when it clears, and marked read by people.

use crate::error::StoreError;
use crate::Db;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use velocity_domain::values::now_timestamp;
use velocity_domain::WorkspaceId;
use velocity_intel::insights::Finding;

#[derive(Debug, Clone, Serialize)]
pub struct Insight {
    pub id: String,
    pub kind: String,
    #[serde(rename = "type")]
    pub category: String,
    pub priority: String,
    pub confidence: f64,
    pub title: String,
    pub description: String,
    pub deal_id: Option<String>,
    pub data: Value,
    pub actions: Value,
    pub is_read: bool,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
}

/// What a generation run changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InsightSync {
    pub created: usize,
    pub updated: usize,
    pub resolved: usize,
    pub open: usize,
}

/// Which insights to list.
#[derive(Debug, Clone, Default)]
pub struct InsightFilter {
    pub unread: Option<bool>,
    pub priority: Option<String>,
    /// `open` unless asked otherwise.
    pub status: Option<String>,
    pub limit: i64,
}

const COLUMNS: &str = "id, kind, type, priority, confidence, title, description, deal_id, data, \
    actions, is_read, status, created_at, updated_at, resolved_at";

fn decode(row: &sqlx::any::AnyRow) -> Result<Insight, StoreError> {
    let data: String = row.try_get("data")?;
    let actions: String = row.try_get("actions")?;
    let is_read: i64 = row.try_get("is_read")?;
    Ok(Insight {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        category: row.try_get("type")?,
        priority: row.try_get("priority")?,
        confidence: row.try_get("confidence")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        deal_id: row.try_get("deal_id")?,
        data: serde_json::from_str(&data).map_err(StoreError::corrupt)?,
        actions: serde_json::from_str(&actions).map_err(StoreError::corrupt)?,
        is_read: is_read != 0,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        resolved_at: row.try_get("resolved_at")?,
    })
}

impl Db {
    /// Makes the open insights match the findings: new conditions are created, held ones
    /// refreshed (keeping whether they were read), cleared ones resolved. One transaction.
    pub async fn sync_insights(
        &self,
        workspace: WorkspaceId,
        findings: &[Finding],
    ) -> Result<InsightSync, StoreError> {
        let ws = workspace.to_string();
        let now = now_timestamp();
        let mut tx = self.writer().begin().await?;
        let open: HashMap<String, String> = sqlx::query(
            "SELECT id, condition_key FROM insights WHERE workspace_id = $1 AND status = 'open'",
        )
        .bind(&ws)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("condition_key")?, row.try_get("id")?)))
        .collect::<Result<_, StoreError>>()?;
        let mut sync = InsightSync::default();
        let mut held = HashSet::new();
        for finding in findings {
            if !held.insert(finding.condition.as_str()) {
                continue;
            }
            let data = finding.data.to_string();
            let actions = serde_json::to_string(&finding.actions).map_err(StoreError::corrupt)?;
            match open.get(&finding.condition) {
                Some(id) => {
                    sqlx::query(
                        "UPDATE insights SET type = $3, priority = $4, confidence = $5, title = $6, \
                         description = $7, data = $8, actions = $9, updated_at = $10 \
                         WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(&ws)
                    .bind(id)
                    .bind(finding.category)
                    .bind(finding.priority)
                    .bind(finding.confidence)
                    .bind(&finding.title)
                    .bind(&finding.description)
                    .bind(&data)
                    .bind(&actions)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                    sync.updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO insights (workspace_id, id, condition_key, kind, type, priority, \
                         confidence, title, description, deal_id, data, actions, is_read, status, \
                         created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 'open', $13, $13)",
                    )
                    .bind(&ws)
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(&finding.condition)
                    .bind(finding.kind)
                    .bind(finding.category)
                    .bind(finding.priority)
                    .bind(finding.confidence)
                    .bind(&finding.title)
                    .bind(&finding.description)
                    .bind(finding.deal_id.as_deref())
                    .bind(&data)
                    .bind(&actions)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                    sync.created += 1;
                }
            }
        }
        for (condition, id) in &open {
            if !held.contains(condition.as_str()) {
                sqlx::query(
                    "UPDATE insights SET status = 'resolved', resolved_at = $3, updated_at = $3 \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(&ws)
                .bind(id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                sync.resolved += 1;
            }
        }
        tx.commit().await?;
        sync.open = held.len();
        Ok(sync)
    }

    /// Insights, most urgent and newest first.
    pub async fn insights(
        &self,
        workspace: WorkspaceId,
        filter: &InsightFilter,
    ) -> Result<Vec<Insight>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM insights WHERE workspace_id = $1 AND status = $2 \
             AND ($3 IS NULL OR priority = $3) AND ($4 IS NULL OR is_read = $4) \
             ORDER BY CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, \
             created_at DESC, id LIMIT $5"
        );
        let rows = sqlx::query(&sql)
            .bind(workspace.to_string())
            .bind(filter.status.as_deref().unwrap_or("open"))
            .bind(filter.priority.as_deref())
            .bind(filter.unread.map(|unread| i64::from(!unread)))
            .bind(filter.limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Marks an insight read or unread.
    pub async fn mark_insight(
        &self,
        workspace: WorkspaceId,
        id: &str,
        is_read: bool,
    ) -> Result<Insight, StoreError> {
        let sql = format!(
            "UPDATE insights SET is_read = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2 \
             RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(workspace.to_string())
            .bind(id)
            .bind(i64::from(is_read))
            .bind(now_timestamp())
            .fetch_optional(self.writer())
            .await?
            .ok_or(StoreError::NotFound("insight"))?;
        decode(&row)
    }
}
