//! A demo deal's life: created on a past day in the first stage, moved on stage by stage after
//! dwell times that depend on how keen the buyer is, re-dated when its close date passes,
//! sometimes cut in price at negotiation or handed to another agent, and won or lost on the day
//! it closes; a deal whose life reaches today is still open where it stands. Agents re-estimate
//! the close date as deals move on, a little too hopefully, as real ones do. Keen buyers (and
//! cash buyers) move faster, meet the agents more often and win more, so the scoring,
//! slippage and forecast models have real open moments and real signal to learn from.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

/// How far back the oldest deal was created, in days. Creation dates lean towards recent
/// days (see [`live`]), so about two in five deals are still open.
const HISTORY_DAYS: f64 = 400.0;
/// Mean days a deal spends in each open stage before it moves, for a buyer of middling keenness.
const MEAN_DWELL_DAYS: [f64; 5] = [9.0, 14.0, 20.0, 16.0, 12.0];
/// Chance of moving on from each open stage (else the deal is lost there), for the same buyer.
const ADVANCE: [f64; 5] = [0.82, 0.8, 0.72, 0.8, 0.86];
const LOST_REASONS: [&str; 5] = [
    "Chose a property with another agency",
    "Financing fell through",
    "Price above budget after survey",
    "Postponed the move by a year",
    "Preferred a newer building",
];

/// The pipeline's stages and the team, as the generator needs them.
pub struct Plan<'a> {
    /// Open stage ids in order.
    pub open: &'a [String],
    pub won: &'a str,
    pub lost: &'a str,
    pub members: &'a [String],
    pub today: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Won,
    Lost,
}

/// A deal's dated steps, and what the rest of the demo hangs on it.
pub struct Life {
    /// The create body first, then partial updates, in time order.
    pub steps: Vec<(DateTime<Utc>, Value)>,
    pub outcome: Outcome,
    /// How keen the buyer is, 0–1.
    pub keenness: f64,
    /// The span the deal was open: when to date its activities.
    pub open_from: DateTime<Utc>,
    pub open_until: DateTime<Utc>,
}

impl Life {
    /// Who owns the deal at the end of its life (it may have changed hands).
    pub fn owner(&self) -> &Value {
        self.steps
            .iter()
            .rev()
            .find_map(|(_, body)| body.get("owner_id"))
            .unwrap_or(&Value::Null)
    }
}

fn days(value: f64) -> Duration {
    Duration::seconds((value * 86_400.0) as i64)
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Lives out a deal whose create body is `body` (without stage and close date).
pub fn live(rng: &mut StdRng, plan: &Plan, mut body: Value) -> Life {
    let keenness: f64 = rng.gen();
    let cash = body["attributes"]["financing"] == "cash";
    let born = plan.today - days(HISTORY_DAYS * rng.gen::<f64>().powi(2) + 0.01);
    let mut close: NaiveDate = (born + days(rng.gen_range(45.0..150.0))).date_naive();
    let mut amount = body["amount"].as_f64().unwrap_or_default();
    let last = plan.open.len() - 1;
    body["stage_id"] = json!(plan.open[0]);
    body["close_date"] = json!(close.to_string());
    let mut owner = body["owner_id"].clone();
    let mut steps = vec![(born, body)];
    let mut stage = 0;
    let mut at = born;
    let outcome = loop {
        let mean = MEAN_DWELL_DAYS[stage.min(4)] * (1.4 - 0.8 * keenness);
        // Never before the step before it: a hand-over two hours after the last move can
        // outlast a short dwell.
        let last_step = steps.last().map_or(born, |(at, _)| *at);
        let moves_at = (at + days(-mean * (1.0 - rng.gen::<f64>()).ln())).max(last_step);
        // The agent re-dates the deal a few days after its close date passes.
        while close < moves_at.date_naive() {
            let last_step = steps.last().map_or(born, |(at, _)| *at);
            let noticed = (close.and_hms_opt(10, 0, 0).unwrap_or_default().and_utc()
                + days(rng.gen_range(1.0..5.0)))
            .max(last_step + Duration::hours(1));
            if noticed > plan.today.min(moves_at) {
                break;
            }
            close = noticed.date_naive() + Duration::days(rng.gen_range(14..50));
            steps.push((noticed, json!({"close_date": close.to_string()})));
        }
        if moves_at > plan.today {
            break Outcome::Open;
        }
        at = moves_at;
        let push = 0.35 * (keenness - 0.5) + if cash { 0.05 } else { 0.0 };
        if !rng.gen_bool((ADVANCE[stage.min(4)] + push).clamp(0.05, 0.98)) {
            steps.push((
                at,
                json!({"stage_id": plan.lost, "close_date": date(at), "lost_reason": LOST_REASONS.choose(rng)}),
            ));
            break Outcome::Lost;
        }
        if stage == last {
            steps.push((at, json!({"stage_id": plan.won, "close_date": date(at)})));
            break Outcome::Won;
        }
        stage += 1;
        let mut step = json!({"stage_id": plan.open[stage]});
        // Agents re-estimate the close as the deal moves on, usually too hopefully.
        if rng.gen_bool(0.7) {
            let remaining: f64 = MEAN_DWELL_DAYS[stage.min(4)..].iter().sum();
            close = (at + days(remaining * rng.gen_range(0.6..1.2))).date_naive();
            step["close_date"] = json!(close.to_string());
        }
        if stage == last && rng.gen_bool(0.35) {
            amount = (amount * (1.0 - rng.gen_range(0.02..0.08)) / 1000.0).round() * 1000.0;
            step["amount"] = json!(amount);
        }
        steps.push((at, step));
        if rng.gen_bool(0.03) {
            if let Some(other) = plan.members.iter().find(|m| owner != m.as_str()) {
                owner = json!(other);
                steps.push((at + Duration::hours(2), json!({"owner_id": other})));
            }
        }
    };
    let open_until = match outcome {
        Outcome::Open => plan.today,
        _ => at,
    };
    Life {
        steps,
        outcome,
        keenness,
        open_from: born,
        open_until,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn lives_are_dated_in_order_and_end_as_their_last_step_says() {
        let open: Vec<String> = (0..5).map(|i| format!("s{i}")).collect();
        let members = vec!["a".to_owned(), "b".to_owned()];
        // Lives depend on the time of day they are generated at: try several.
        for hours in [0, 5, 11, 17] {
            let plan = Plan {
                open: &open,
                won: "won",
                lost: "lost",
                members: &members,
                today: Utc::now() + Duration::hours(hours),
            };
            let mut rng = StdRng::seed_from_u64(1);
            let mut outcomes = [0; 3];
            for _ in 0..2_000 {
                let body = json!({"name": "d", "amount": 1_000_000.0, "owner_id": "a", "attributes": {"financing": "cash"}});
                let life = live(&mut rng, &plan, body);
                assert!(life.steps.windows(2).all(|w| w[0].0 <= w[1].0));
                assert!(life.steps.iter().all(|(at, _)| *at <= plan.today));
                let last_stage = life
                    .steps
                    .iter()
                    .rev()
                    .find_map(|(_, s)| s["stage_id"].as_str());
                match life.outcome {
                    Outcome::Won => assert_eq!(last_stage, Some("won")),
                    Outcome::Lost => assert_eq!(last_stage, Some("lost")),
                    Outcome::Open => assert!(last_stage.is_some_and(|s| s.starts_with('s'))),
                }
                outcomes[life.outcome as usize] += 1;
            }
            // A realistic mix: plenty open, and both outcomes well represented in the history.
            assert!(outcomes.iter().all(|&n| n > 300), "{outcomes:?}");
        }
    }
}
