//! Each deal's history, rebuilt from the event log, with the activity and task dates that
//! hang off it. One pass over the workspace's deal events serves training, health and the
//! slippage model; a single deal reads only its own events through the entity index. Rows are
//! streamed, not collected: a large workspace has millions of events.

use super::{date_days, timestamp_days};
use crate::error::StoreError;
use crate::Db;
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::Row;
use std::collections::HashMap;
use uuid::Uuid;
use velocity_domain::WorkspaceId;
use velocity_intel::timeline::{DealTimeline, Since, TaskSpan};

/// A deal as it stands, with its history.
#[derive(Debug, Clone, PartialEq)]
pub struct DealFacts {
    pub id: String,
    pub name: String,
    pub pipeline_id: String,
    pub stage_id: String,
    pub amount: Option<f64>,
    pub close_date: Option<String>,
    pub owner_id: Option<String>,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub account_industry: Option<String>,
    pub account_employees: Option<i64>,
    /// Names of the products on the deal, sorted.
    pub products: Vec<String>,
    pub status: String,
    pub forecast_category: Option<String>,
    pub version: i64,
    pub timeline: DealTimeline,
}

/// Which deals to read.
#[derive(Debug, Clone, Copy)]
pub enum DealScope<'a> {
    One(&'a str),
    /// Up to `limit` deals after the deal `after` in id order (`""`: from the first), only the
    /// open ones when `open_only`.
    Page {
        after: &'a str,
        limit: usize,
        open_only: bool,
    },
}

/// How many deals a page holds: a page of deals with their histories takes ~10 MB.
pub const DEAL_PAGE: usize = 5_000;

impl Db {
    /// Deals of a workspace with their histories, in id order.
    pub async fn deal_facts(
        &self,
        workspace: WorkspaceId,
        scope: DealScope<'_>,
    ) -> Result<Vec<DealFacts>, StoreError> {
        let ws = workspace.to_string();
        let (filter, after) = match scope {
            DealScope::One(id) => (String::from(" AND d.id = $2"), id),
            DealScope::Page {
                after,
                limit,
                open_only,
            } => {
                let open = if open_only {
                    " AND d.status = 'open'"
                } else {
                    ""
                };
                (
                    format!(" AND d.id > $2{open} ORDER BY d.id LIMIT {limit}"),
                    after,
                )
            }
        };
        let deals_sql = format!(
            "SELECT d.id, d.name, d.pipeline_id, d.stage_id, d.amount, d.close_date, d.owner_id, \
             d.account_id, a.name AS account_name, a.industry AS account_industry, \
             a.employees AS account_employees, d.status, d.closed_at, d.forecast_category, \
             d.version, d.created_at \
             FROM deals d LEFT JOIN accounts a ON a.workspace_id = d.workspace_id AND a.id = d.account_id \
             WHERE d.workspace_id = $1 AND d.deleted_at IS NULL{filter}"
        );
        let deals = sqlx::query(&deals_sql)
            .bind(&ws)
            .bind(after)
            .fetch(self.reader());
        let mut facts = DealsById::default();
        let mut deals = std::pin::pin!(deals);
        while let Some(row) = deals.try_next().await? {
            facts.add(decode_deal(&row)?)?;
        }
        // The rest hangs off the deals by id: read for the id range the deals span (in the
        // database's own order, which paging follows), each table through its index by deal.
        let (Some(first), Some(last)) = (facts.deals.first(), facts.deals.last()) else {
            return Ok(Vec::new());
        };
        let (first, last) = (first.id.clone(), last.id.clone());
        let range = |sql: &'static str| {
            sqlx::query(sql)
                .bind(ws.clone())
                .bind(first.clone())
                .bind(last.clone())
        };
        let events = range(
            "SELECT entity_id, changes, created_at FROM events \
             WHERE workspace_id = $1 AND entity_id BETWEEN $2 AND $3 AND entity = 'deal' \
             ORDER BY entity_id, seq",
        )
        .fetch(self.reader());
        let mut events = std::pin::pin!(events);
        while let Some(row) = events.try_next().await? {
            let id: String = row.try_get("entity_id")?;
            if let Some(deal) = facts.get_mut(&id) {
                let at: String = row.try_get("created_at")?;
                let changes: String = row.try_get("changes")?;
                let changes: Value = serde_json::from_str(&changes).map_err(StoreError::corrupt)?;
                apply_change(
                    &mut deal.timeline,
                    timestamp_days(&at).unwrap_or(0.0),
                    &changes,
                );
            }
        }
        let activities = range(
            "SELECT deal_id, COALESCE(occurred_at, created_at) AS at FROM activities \
             WHERE workspace_id = $1 AND deal_id BETWEEN $2 AND $3 AND deleted_at IS NULL",
        )
        .fetch(self.reader());
        let mut activities = std::pin::pin!(activities);
        while let Some(row) = activities.try_next().await? {
            let id: String = row.try_get("deal_id")?;
            let at: String = row.try_get("at")?;
            if let (Some(deal), Some(at)) = (facts.get_mut(&id), timestamp_days(&at)) {
                deal.timeline.activities.push(at);
            }
        }
        let tasks = range(
            "SELECT deal_id, created_at, due_at, completed_at FROM tasks \
             WHERE workspace_id = $1 AND deal_id BETWEEN $2 AND $3 AND deleted_at IS NULL",
        )
        .fetch(self.reader());
        let mut tasks = std::pin::pin!(tasks);
        while let Some(row) = tasks.try_next().await? {
            let id: String = row.try_get("deal_id")?;
            let Some(deal) = facts.get_mut(&id) else {
                continue;
            };
            let created: String = row.try_get("created_at")?;
            let due: Option<String> = row.try_get("due_at")?;
            let completed: Option<String> = row.try_get("completed_at")?;
            deal.timeline.tasks.push(TaskSpan {
                created_at: timestamp_days(&created).unwrap_or(0.0),
                due: due.as_deref().and_then(timestamp_days),
                completed_at: completed.as_deref().and_then(timestamp_days),
            });
        }
        let products = range(
            "SELECT dp.deal_id, p.name FROM deal_products dp \
             JOIN products p ON p.workspace_id = dp.workspace_id AND p.id = dp.product_id \
             WHERE dp.workspace_id = $1 AND dp.deal_id BETWEEN $2 AND $3",
        )
        .fetch(self.reader());
        let mut products = std::pin::pin!(products);
        while let Some(row) = products.try_next().await? {
            let id: String = row.try_get("deal_id")?;
            if let Some(deal) = facts.get_mut(&id) {
                deal.products.push(row.try_get("name")?);
            }
        }
        Ok(facts.deals.into_iter().map(fill_gaps).collect())
    }

    /// Every deal of a workspace with its history, read a page at a time, sorted by id (the
    /// same order on either database).
    pub async fn all_deal_facts(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<DealFacts>, StoreError> {
        let mut pages = DealPages::new(workspace, false);
        let mut deals = Vec::new();
        while let Some(page) = pages.next(self).await? {
            deals.extend(page);
        }
        deals.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(deals)
    }
}

/// A workspace's deals with their histories, a page of [`DEAL_PAGE`] at a time, in id order.
pub struct DealPages {
    workspace: WorkspaceId,
    open_only: bool,
    after: String,
    done: bool,
}

impl DealPages {
    /// Every deal, or only the open ones.
    pub fn new(workspace: WorkspaceId, open_only: bool) -> DealPages {
        DealPages {
            workspace,
            open_only,
            after: String::new(),
            done: false,
        }
    }

    /// The next page; `None` once every deal was read.
    pub async fn next(&mut self, db: &Db) -> Result<Option<Vec<DealFacts>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let scope = DealScope::Page {
            after: &self.after,
            limit: DEAL_PAGE,
            open_only: self.open_only,
        };
        let page = db.deal_facts(self.workspace, scope).await?;
        self.done = page.len() < DEAL_PAGE;
        match page.last() {
            Some(last) => self.after.clone_from(&last.id),
            None => return Ok(None),
        }
        Ok(Some(page))
    }
}

/// The deals read so far, in a list, found by id through a small index. A million deals are
/// most of a rescore's memory: a map holding the deals themselves (1.9 GB on the million-deal
/// demo) doubled its table as it grew and was held alongside the list made from it at the
/// end, 2.9 GB at that moment.
#[derive(Default)]
struct DealsById {
    deals: Vec<DealFacts>,
    /// A deal's id as a number → where it is in `deals`.
    index: HashMap<u128, usize>,
}

impl DealsById {
    fn add(&mut self, deal: DealFacts) -> Result<(), StoreError> {
        let key = Uuid::parse_str(&deal.id).map_err(StoreError::corrupt)?;
        self.index.insert(key.as_u128(), self.deals.len());
        self.deals.push(deal);
        Ok(())
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut DealFacts> {
        let position = *self.index.get(&Uuid::parse_str(id).ok()?.as_u128())?;
        self.deals.get_mut(position)
    }
}

fn decode_deal(row: &sqlx::any::AnyRow) -> Result<DealFacts, StoreError> {
    let created: String = row.try_get("created_at")?;
    let status: String = row.try_get("status")?;
    let closed_at: Option<String> = row.try_get("closed_at")?;
    let created_at = timestamp_days(&created).unwrap_or(0.0);
    let closed = match (
        status.as_str(),
        closed_at.as_deref().and_then(timestamp_days),
    ) {
        ("won", at) => Some((at.unwrap_or(created_at), true)),
        ("lost", at) => Some((at.unwrap_or(created_at), false)),
        _ => None,
    };
    Ok(DealFacts {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        pipeline_id: row.try_get("pipeline_id")?,
        stage_id: row.try_get("stage_id")?,
        amount: row.try_get("amount")?,
        close_date: row.try_get("close_date")?,
        owner_id: row.try_get("owner_id")?,
        account_id: row.try_get("account_id")?,
        account_name: row.try_get("account_name")?,
        account_industry: row.try_get("account_industry")?,
        account_employees: row.try_get("account_employees")?,
        products: Vec::new(),
        status,
        forecast_category: row.try_get("forecast_category")?,
        version: row.try_get("version")?,
        timeline: DealTimeline {
            created_at,
            closed,
            ..DealTimeline::default()
        },
    })
}

/// Adds the fields an event changed to the deal's history.
fn apply_change(timeline: &mut DealTimeline, at: f64, changes: &Value) {
    let new = |field: &str| changes.get(field).map(|change| &change["new"]);
    if let Some(stage) = new("stage_id").and_then(Value::as_str) {
        timeline.stages.push(Since {
            at,
            value: stage.to_owned(),
        });
    }
    if let Some(date) = new("close_date") {
        timeline.close_dates.push(Since {
            at,
            value: date.as_str().and_then(date_days),
        });
    }
    if let Some(amount) = new("amount") {
        timeline.amounts.push(Since {
            at,
            value: amount.as_f64(),
        });
    }
    if let Some(owner) = new("owner_id") {
        timeline.owners.push(Since {
            at,
            value: owner.as_str().map(str::to_owned),
        });
    }
}

/// A deal whose events were lost to a restore or predate the log still gets its current
/// values as its history, dated at its creation. The creation event is written a moment after
/// the record's creation time; its values are dated at the creation time itself.
fn fill_gaps(mut deal: DealFacts) -> DealFacts {
    deal.products.sort();
    let at = deal.timeline.created_at;
    let timeline = &mut deal.timeline;
    if let Some(first) = timeline.stages.first_mut() {
        first.at = first.at.min(at);
    }
    if let Some(first) = timeline.close_dates.first_mut() {
        first.at = first.at.min(at);
    }
    if let Some(first) = timeline.amounts.first_mut() {
        first.at = first.at.min(at);
    }
    if let Some(first) = timeline.owners.first_mut() {
        first.at = first.at.min(at);
    }
    if timeline.stages.is_empty() {
        timeline.stages.push(Since {
            at,
            value: deal.stage_id.clone(),
        });
    }
    if timeline.close_dates.is_empty() {
        timeline.close_dates.push(Since {
            at,
            value: deal.close_date.as_deref().and_then(date_days),
        });
    }
    if timeline.amounts.is_empty() {
        timeline.amounts.push(Since {
            at,
            value: deal.amount,
        });
    }
    if timeline.owners.is_empty() {
        timeline.owners.push(Since {
            at,
            value: deal.owner_id.clone(),
        });
    }
    deal
}
