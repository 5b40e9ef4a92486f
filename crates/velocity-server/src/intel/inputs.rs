//! The open deals a forecast reads, kept in memory for large workspaces. Reading the ~200,000
//! deals a million-deal workspace has in a year's scope takes seconds; with a copy kept here a
//! forecast reads only the deals touched since the copy was made (the event log names them) and
//! starts from the copy. A copy is always current: it is tagged with the last event it includes
//! and the learned state it was read under, and is dropped when scores are saved.

use crate::error::ApiError;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use velocity_domain::WorkspaceId;
use velocity_store::intel::state::{ForecastDeal, ForecastScope};
use velocity_store::Db;

/// More deals touched than this since the copy: reading everything again is as quick.
const REREAD_ABOVE: usize = 2_000;

/// Open deals up to a horizon, as read at event `seq` under the learned state of `trained_at`.
pub struct OpenDeals {
    seq: i64,
    trained_at: String,
    horizon: String,
    deals: Vec<Arc<ForecastDeal>>,
}

impl OpenDeals {
    /// The deals a forecast of `scope` counts.
    pub fn in_scope<'a>(
        &'a self,
        scope: &'a ForecastScope,
    ) -> impl Iterator<Item = &'a ForecastDeal> + 'a {
        self.deals.iter().map(Arc::as_ref).filter(move |deal| {
            scope
                .pipeline_id
                .as_ref()
                .is_none_or(|p| **p == *deal.pipeline_id)
                && scope
                    .owner_id
                    .as_ref()
                    .is_none_or(|o| deal.owner_id.as_deref() == Some(o.as_str()))
                && match (&scope.close_by, &deal.close_date) {
                    (Some(last), Some(date)) => date <= last,
                    _ => true,
                }
        })
    }
}

/// The copies, per workspace. Workspaces whose deals in scope number fewer than `keep_from`
/// are read afresh every time (quick enough, and no memory held for them).
pub struct ForecastInputs {
    keep_from: usize,
    copies: Mutex<HashMap<WorkspaceId, Arc<OpenDeals>>>,
}

impl ForecastInputs {
    pub fn new(keep_from: usize) -> ForecastInputs {
        ForecastInputs {
            keep_from,
            copies: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets a workspace's copy (its scores changed).
    pub fn forget(&self, workspace: WorkspaceId) {
        if let Ok(mut copies) = self.copies.lock() {
            copies.remove(&workspace);
        }
    }

    /// The workspace's open deals with a close date up to `horizon`, current as of now.
    pub async fn open_deals(
        &self,
        db: &Db,
        workspace: WorkspaceId,
        trained_at: &str,
        horizon: &str,
    ) -> Result<Arc<OpenDeals>, ApiError> {
        // The sequence number is read first: a copy may include later changes, never miss one.
        let seq = db.latest_event_seq(workspace).await?;
        let scope = ForecastScope {
            close_by: Some(horizon.to_owned()),
            ..ForecastScope::default()
        };
        let kept = self
            .copies
            .lock()
            .ok()
            .and_then(|copies| copies.get(&workspace).cloned())
            .filter(|copy| copy.trained_at == trained_at && copy.horizon == horizon);
        let deals = match kept {
            Some(copy) if copy.seq == seq => return Ok(copy),
            Some(copy) => match db
                .touched_since(workspace, "deal", copy.seq, REREAD_ABOVE)
                .await?
            {
                Some(touched) => {
                    let fresh = db.forecast_deals_by_id(workspace, &scope, &touched).await?;
                    let touched: HashSet<&str> = touched.iter().map(String::as_str).collect();
                    copy.deals
                        .iter()
                        .filter(|deal| !touched.contains(deal.id.as_str()))
                        .cloned()
                        .chain(fresh)
                        .collect()
                }
                None => db.forecast_deals(workspace, &scope).await?,
            },
            None => db.forecast_deals(workspace, &scope).await?,
        };
        let copy = Arc::new(OpenDeals {
            seq,
            trained_at: trained_at.to_owned(),
            horizon: horizon.to_owned(),
            deals,
        });
        if let Ok(mut copies) = self.copies.lock() {
            if copy.deals.len() >= self.keep_from {
                copies.insert(workspace, copy.clone());
            } else {
                copies.remove(&workspace);
            }
        }
        Ok(copy)
    }
}
