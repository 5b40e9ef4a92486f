//! The learned win model: closed deals looked at as they stood while still open (point-in-time
//! snapshots read off their timelines, at fixed ages), never in their final state, so time in
//! stage, activity counts and amounts cannot leak the outcome. A deal created already closed (an imported
//! history, say) has no open moment to learn from and is left out. The account's industry and
//! size and the deal's products are read as they are now: they describe the deal rather than
//! its progress, and their history is not in the deal's events.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
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

/// The [`MAX_TRAINING_DEALS`] most recently closed deals that were open a while, gathered one
/// deal at a time (a workspace's deals are read a page at a time): the latest closes first,
/// ties in id order.
#[derive(Default)]
pub struct RecentClosed {
    /// The worst kept candidate on top, to be dropped when a better one comes.
    kept: BinaryHeap<Candidate>,
}

struct Candidate {
    closed_at: f64,
    won: bool,
    deal: DealFacts,
}

/// Where a deal closed at `closed_at` ranks against a candidate: later closes first, then ids
/// in order.
fn rank(closed_at: f64, id: &str, other: &Candidate) -> Ordering {
    other
        .closed_at
        .total_cmp(&closed_at)
        .then_with(|| id.cmp(&other.deal.id))
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        rank(self.closed_at, &self.deal.id, other)
    }
}

impl RecentClosed {
    pub fn add(&mut self, deal: &DealFacts) {
        let Some((closed_at, won)) = deal.timeline.closed else {
            return;
        };
        if closed_at <= deal.timeline.created_at {
            return;
        }
        let full = self.kept.len() >= MAX_TRAINING_DEALS;
        if full
            && self
                .kept
                .peek()
                .is_some_and(|worst| rank(closed_at, &deal.id, worst) != Ordering::Less)
        {
            return;
        }
        self.kept.push(Candidate {
            closed_at,
            won,
            deal: deal.clone(),
        });
        if self.kept.len() > MAX_TRAINING_DEALS {
            self.kept.pop();
        }
    }
}

/// Trains on the closed deals' open moments; `None` until both outcomes have enough deals.
pub fn train(recent: RecentClosed, stages: &[StageInfo], trained_at: &str) -> Option<WinModel> {
    let open: HashSet<&str> = stages
        .iter()
        .filter(|s| s.kind == "open")
        .map(|s| s.id.as_str())
        .collect();
    let by_id: HashMap<&str, &StageInfo> = stages.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut table = FeatureTable::new(schema()?);
    let mut outcomes = Vec::new();
    let mut counted = ClosedDeals::default();
    for Candidate {
        closed_at,
        won,
        deal,
    } in recent.kept.into_sorted_vec()
    {
        let deal = &deal;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::test_deals::deal;

    #[test]
    fn the_most_recently_closed_deals_are_kept_latest_first_ties_by_id() {
        let mut recent = RecentClosed::default();
        // Never open a moment: not kept.
        recent.add(&deal("x", 50.0, Some((50.0, true)), 0.0));
        recent.add(&deal("open", 0.0, None, 0.0));
        for n in 0..MAX_TRAINING_DEALS + 10 {
            let closed_at = 100.0 + (n / 2) as f64;
            recent.add(&deal(
                &format!("{n:06}"),
                0.0,
                Some((closed_at, n % 3 == 0)),
                0.0,
            ));
        }
        let kept: Vec<(f64, String)> = recent
            .kept
            .into_sorted_vec()
            .into_iter()
            .map(|c| (c.closed_at, c.deal.id))
            .collect();
        assert_eq!(kept.len(), MAX_TRAINING_DEALS);
        let last = MAX_TRAINING_DEALS + 9;
        assert_eq!(
            kept[0],
            (100.0 + (last / 2) as f64, format!("{:06}", last - 1))
        );
        assert_eq!(kept[1], (100.0 + (last / 2) as f64, format!("{last:06}")));
        assert_eq!(
            kept.last().unwrap(),
            &(105.0, format!("{:06}", 11)),
            "the ten oldest dropped; of a tie, the later id comes last"
        );
        assert!(kept
            .windows(2)
            .all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
    }
}
