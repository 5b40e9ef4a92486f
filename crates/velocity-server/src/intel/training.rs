//! The learned win model: closed deals looked at as they stood while still open (point-in-time
//! snapshots read off their timelines, at fixed ages), never in their final state, so time in
//! stage, activity counts and amounts cannot leak the outcome. A deal created already closed (an imported
//! history, say) has no open moment to learn from and is left out. The account's industry and
//! size and the deal's products are read as they are now: they describe the deal rather than
//! its progress, and their history is not in the deal's events.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use velocity_intel::scoring::{
    ClosedDeals, FeatureSpec, FeatureTable, FeatureValue, Model, Schema, TrainOptions,
};
use velocity_store::intel::facts::DealFacts;
use velocity_store::intel::state::StageInfo;

/// The ages, in days, at which a closed deal is looked at while it was still open. Fixed
/// ages rather than shares of each deal's life: a deal looked at a quarter of the way through
/// would be young only because its whole life was short, and short lives are mostly quick
/// losses, so youth itself would predict losing, a leak of the outcome through the sampling.
/// At a fixed age every deal still open then counts once, as an open deal of that age is
/// scored; the first look is at its creation.
const AGES_DAYS: [f64; 10] = [0.0, 0.5, 2.0, 7.0, 14.0, 30.0, 60.0, 90.0, 180.0, 365.0];
/// The most recent closed deals trained on; enough to learn from, and training (a few rows
/// per deal) stays within a few seconds.
const MAX_TRAINING_DEALS: usize = 20_000;
const ACTIVITY_WINDOW_DAYS: f64 = 30.0;

/// The model and how many closed deals it learned from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WinModel {
    pub model: Model,
    pub closed: ClosedDeals,
}

fn schema() -> Option<Schema> {
    let features = vec![
        FeatureSpec::categorical("stage").with_label("Stage"),
        FeatureSpec::numeric("age_days").with_label("Age in days"),
        FeatureSpec::numeric("days_in_stage").with_label("Days in stage"),
        FeatureSpec::numeric("amount").with_label("Amount"),
        FeatureSpec::numeric("close_date_slips").with_label("Close date slips"),
        FeatureSpec::numeric("amount_cut").with_label("Amount cut from its peak"),
        FeatureSpec::numeric("days_since_activity").with_label("Days since last activity"),
        FeatureSpec::numeric("recent_activities").with_label("Activities in the last 30 days"),
        FeatureSpec::numeric("planned_tasks").with_label("Planned tasks"),
        FeatureSpec::numeric("overdue_tasks").with_label("Overdue tasks"),
        FeatureSpec::categorical("owner").with_label("Owner"),
        FeatureSpec::numeric("owner_changes").with_label("Owner changes"),
        FeatureSpec::categorical("account").with_label("Account"),
        FeatureSpec::categorical("industry").with_label("Account industry"),
        FeatureSpec::numeric("employees").with_label("Account employees"),
        FeatureSpec::categorical("product").with_label("Product"),
    ];
    Schema::new(features).ok()
}

/// The deal's features as it stood at `at`.
pub fn features_at(
    deal: &DealFacts,
    stages: &HashMap<&str, &StageInfo>,
    at: f64,
) -> Vec<FeatureValue> {
    let timeline = &deal.timeline;
    let signals = timeline.signals_at(at);
    let (planned, overdue) = timeline.open_tasks(at);
    let stage = timeline.stage_at(at).and_then(|id| stages.get(id));
    let owner = velocity_intel::timeline::value_at(&timeline.owners, at)
        .cloned()
        .flatten();
    let amount = velocity_intel::timeline::value_at(&timeline.amounts, at)
        .copied()
        .flatten();
    vec![
        stage.map(|s| s.name.clone()).into(),
        signals.age_days.into(),
        signals.days_in_stage.into(),
        amount.into(),
        f64::from(signals.close_date_slips).into(),
        signals.amount_cut.into(),
        signals.days_since_activity.into(),
        (timeline.activities_within(at, ACTIVITY_WINDOW_DAYS) as f64).into(),
        f64::from(planned).into(),
        f64::from(overdue).into(),
        owner.into(),
        f64::from(signals.owner_changes).into(),
        deal.account_name.clone().into(),
        deal.account_industry.clone().into(),
        deal.account_employees.map(|n| n as f64).into(),
        product(&deal.products).into(),
    ]
}

/// The deal's product, or the products joined when it has several (a bundle is its own
/// kind of deal).
fn product(products: &[String]) -> Option<String> {
    (!products.is_empty()).then(|| products.join(" + "))
}

/// Trains on the closed deals' open moments; `None` until both outcomes have enough deals.
pub fn train(deals: &[DealFacts], stages: &[StageInfo], trained_at: &str) -> Option<WinModel> {
    let open: HashSet<&str> = stages
        .iter()
        .filter(|s| s.kind == "open")
        .map(|s| s.id.as_str())
        .collect();
    let by_id: HashMap<&str, &StageInfo> = stages.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut closed: Vec<(&DealFacts, f64, bool)> = deals
        .iter()
        .filter_map(|deal| deal.timeline.closed.map(|(at, won)| (deal, at, won)))
        .filter(|(deal, at, _)| *at > deal.timeline.created_at)
        .collect();
    closed.sort_by(|a, b| b.1.total_cmp(&a.1));
    closed.truncate(MAX_TRAINING_DEALS);
    let mut table = FeatureTable::new(schema()?);
    let mut outcomes = Vec::new();
    let mut counted = ClosedDeals::default();
    for (deal, closed_at, won) in closed {
        let created = deal.timeline.created_at;
        let mut used = false;
        for age in AGES_DAYS {
            let at = created + age;
            if at >= closed_at {
                break;
            }
            let still_open = deal.timeline.stage_at(at).is_some_and(|s| open.contains(s));
            if still_open && table.push(features_at(deal, &by_id, at)).is_ok() {
                outcomes.push(won);
                used = true;
            }
        }
        if used {
            if won {
                counted.won += 1;
            } else {
                counted.lost += 1;
            }
        }
    }
    if counted.model_weight() <= 0.0 {
        return None;
    }
    let mut model = Model::train(&table, &outcomes, &TrainOptions::default()).ok()?;
    model.trained_at = chrono::DateTime::parse_from_rfc3339(trained_at)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc));
    Some(WinModel {
        model,
        closed: counted,
    })
}
