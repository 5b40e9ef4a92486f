//! Insight rules: conditions a manager wants to hear about, each turned into a titled,
//! prioritised finding with suggested actions. Every finding carries a condition key (rule and
//! subject), so the server can keep one open insight per condition and resolve it when the
//! condition clears. Thresholds are constants here, named for what they mean.

use serde::Serialize;
use serde_json::{json, Value};

/// Days past the norm, as a multiple of it, before a quiet deal in a long stage is stalled.
pub const STALLED_MULTIPLE: f64 = 2.0;
/// Health points lost over [`HEALTH_LOOKBACK_DAYS`] that count as falling.
pub const HEALTH_DROP: i32 = 15;
pub const HEALTH_LOOKBACK_DAYS: f64 = 7.0;
/// Win probability from which a deal counts as hot.
pub const HOT_PROBABILITY: f64 = 0.6;
/// Pipeline expected to close in the period, as a multiple of the revenue still to win,
/// below which coverage is too thin.
pub const COVERAGE_TARGET: f64 = 3.0;
/// A fall in win rate, in percentage points, between two equal periods that is reported
/// when each period has at least [`MIN_CLOSED_FOR_TREND`] closed deals.
pub const WIN_RATE_DROP: f64 = 0.10;
pub const MIN_CLOSED_FOR_TREND: usize = 10;

/// One open deal as the rules see it.
#[derive(Debug, Clone, Default)]
pub struct DealView {
    pub id: String,
    pub name: String,
    pub amount: f64,
    pub win_probability: f64,
    pub health: u8,
    pub health_a_week_ago: u8,
    pub days_in_stage: f64,
    pub typical_stage_days: f64,
    pub days_since_activity: Option<f64>,
    pub typical_activity_gap: f64,
    pub days_overdue: f64,
    pub close_date_slips: u32,
    pub overdue_tasks: u32,
    pub has_next_step: bool,
    /// Days until the close date (negative when passed).
    pub days_to_close: Option<f64>,
}

/// The workspace's position for the current period.
#[derive(Debug, Clone, Default)]
pub struct PeriodView {
    pub period: String,
    /// Revenue to win this period (the run rate of past periods), and what was won so far.
    pub target: f64,
    pub won_so_far: f64,
    /// Open pipeline value with a close date inside the period.
    pub pipeline_in_period: f64,
    /// Closed deals (won, total) in the latest window and the window before it.
    pub recent: (usize, usize),
    pub earlier: (usize, usize),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub condition: String,
    pub kind: &'static str,
    /// risk | opportunity | warning | recommendation
    #[serde(rename = "type")]
    pub category: &'static str,
    /// critical | high | medium | low
    pub priority: &'static str,
    pub confidence: f64,
    pub title: String,
    pub description: String,
    pub deal_id: Option<String>,
    pub data: Value,
    pub actions: Vec<&'static str>,
}

/// Large deals: at or above the 75th percentile of open amounts.
pub fn large_deal_threshold(mut amounts: Vec<f64>) -> f64 {
    amounts.sort_by(f64::total_cmp);
    amounts
        .get(amounts.len() * 3 / 4)
        .copied()
        .unwrap_or(f64::INFINITY)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Every finding for the given deals and period.
pub fn findings(deals: &[DealView], period: &PeriodView) -> Vec<Finding> {
    let large = large_deal_threshold(deals.iter().map(|d| d.amount).collect());
    let mut found: Vec<Finding> = deals
        .iter()
        .flat_map(|deal| deal_findings(deal, large))
        .collect();
    found.extend(period_findings(period));
    found
}

/// The findings about the period as a whole.
pub fn period_findings(period: &PeriodView) -> impl Iterator<Item = Finding> {
    coverage(period).into_iter().chain(win_rate_trend(period))
}

/// A finding about one deal, keyed by rule and deal.
fn about(deal: &DealView, kind: &'static str) -> Finding {
    Finding {
        condition: format!("{kind}:{}", deal.id),
        kind,
        category: "risk",
        priority: "medium",
        confidence: 1.0,
        title: String::new(),
        description: String::new(),
        deal_id: Some(deal.id.clone()),
        data: Value::Null,
        actions: Vec::new(),
    }
}

/// The findings about one open deal; `large` is the [`large_deal_threshold`] of the open
/// deals' amounts.
pub fn deal_findings(deal: &DealView, large: f64) -> Vec<Finding> {
    let mut found = Vec::new();
    let is_large = deal.amount >= large && deal.amount > 0.0;
    let stage_ratio = deal.days_in_stage / deal.typical_stage_days.max(1.0);
    let quiet_ratio = deal
        .days_since_activity
        .map_or(f64::INFINITY, |d| d / deal.typical_activity_gap.max(1.0));
    if stage_ratio >= STALLED_MULTIPLE && quiet_ratio >= STALLED_MULTIPLE {
        found.push(Finding {
            category: "risk",
            priority: if is_large { "high" } else { "medium" },
            confidence: round2((stage_ratio.min(quiet_ratio) / (2.0 * STALLED_MULTIPLE)).min(1.0)),
            title: format!("{} has stalled", deal.name),
            description: format!(
                "{:.0} days in its stage (typical {:.0}) and {} without activity.",
                deal.days_in_stage,
                deal.typical_stage_days,
                deal.days_since_activity.map_or("never touched".to_owned(), |d| format!("{d:.0} days")),
            ),
            data: json!({"days_in_stage": deal.days_in_stage, "typical_stage_days": deal.typical_stage_days, "days_since_activity": deal.days_since_activity}),
            actions: vec!["log_activity", "create_task", "update_stage"],
            ..about(deal, "stalled_deal")
        });
    }
    if deal.days_overdue > 0.0 {
        found.push(Finding {
            category: "warning",
            priority: if is_large || deal.days_overdue > 14.0 { "high" } else { "medium" },
            confidence: 1.0,
            title: format!("{}: close date passed", deal.name),
            description: format!("The close date passed {:.0} days ago and the deal is still open. Update the date or close it.", deal.days_overdue),
            data: json!({"days_overdue": deal.days_overdue}),
            actions: vec!["update_close_date", "mark_won", "mark_lost"],
            ..about(deal, "close_date_passed")
        });
    }
    if deal.close_date_slips >= 2 {
        found.push(Finding {
            category: "risk",
            priority: if deal.close_date_slips >= 3 || is_large { "high" } else { "medium" },
            confidence: round2((f64::from(deal.close_date_slips) / 4.0).min(1.0)),
            title: format!("{} keeps slipping", deal.name),
            description: format!("The close date was pushed back {} times. Confirm the buyer's timeline and decision process.", deal.close_date_slips),
            data: json!({"slips": deal.close_date_slips}),
            actions: vec!["create_task", "update_close_date"],
            ..about(deal, "close_date_slipped")
        });
    }
    let drop = i32::from(deal.health_a_week_ago) - i32::from(deal.health);
    if is_large && drop >= HEALTH_DROP {
        found.push(Finding {
            category: "risk",
            priority: if deal.health < 40 { "critical" } else { "high" },
            confidence: round2((f64::from(drop) / 40.0).min(1.0)),
            title: format!("{}: a large deal is losing health", deal.name),
            description: format!("Health fell from {} to {} in a week on one of the largest open deals.", deal.health_a_week_ago, deal.health),
            data: json!({"health": deal.health, "health_a_week_ago": deal.health_a_week_ago, "amount": deal.amount}),
            actions: vec!["log_activity", "create_task", "view_deal"],
            ..about(deal, "large_deal_health_falling")
        });
    }
    if deal.win_probability >= HOT_PROBABILITY && deal.overdue_tasks > 0 {
        found.push(Finding {
            category: "recommendation",
            priority: "high",
            confidence: round2(deal.win_probability),
            title: format!("{}: overdue tasks on a hot deal", deal.name),
            description: format!("{} overdue task(s) on a deal with a {:.0}% win probability. Clear them before it cools.", deal.overdue_tasks, deal.win_probability * 100.0),
            data: json!({"overdue_tasks": deal.overdue_tasks, "win_probability": deal.win_probability}),
            actions: vec!["complete_tasks", "reschedule_tasks"],
            ..about(deal, "hot_deal_overdue_tasks")
        });
    }
    let closing_soon = deal
        .days_to_close
        .is_some_and(|d| (0.0..=14.0).contains(&d));
    if deal.win_probability >= 0.7 && deal.health >= 60 && closing_soon {
        found.push(Finding {
            category: "opportunity",
            priority: if is_large { "high" } else { "medium" },
            confidence: round2(deal.win_probability),
            title: format!("{} is ready to close", deal.name),
            description: format!("{:.0}% likely to win, healthy, and due to close within two weeks. Send the contract and book the signature.", deal.win_probability * 100.0),
            data: json!({"win_probability": deal.win_probability, "health": deal.health, "days_to_close": deal.days_to_close}),
            actions: vec!["create_task", "send_contract"],
            ..about(deal, "ready_to_close")
        });
    }
    found
}

fn coverage(period: &PeriodView) -> Option<Finding> {
    let remaining = period.target - period.won_so_far;
    if period.target <= 0.0 || remaining <= 0.0 {
        return None;
    }
    let ratio = period.pipeline_in_period / remaining;
    (ratio < COVERAGE_TARGET).then(|| Finding {
        condition: format!("low_coverage:{}", period.period),
        kind: "low_coverage",
        category: "warning",
        priority: if ratio < 1.0 { "critical" } else if ratio < 2.0 { "high" } else { "medium" },
        confidence: round2((1.0 - ratio / COVERAGE_TARGET).clamp(0.3, 1.0)),
        title: format!("Pipeline coverage is {ratio:.1}× for {}", period.period),
        description: format!(
            "Open pipeline closing this period is {:.0} against {:.0} still to win (run rate {:.0}); teams aim for {COVERAGE_TARGET:.0}×.",
            period.pipeline_in_period, remaining, period.target
        ),
        deal_id: None,
        data: json!({"coverage": round2(ratio), "pipeline": period.pipeline_in_period, "remaining": remaining, "target": period.target}),
        actions: vec!["prospect", "review_pipeline"],
    })
}

fn win_rate_trend(period: &PeriodView) -> Option<Finding> {
    let ((won_now, closed_now), (won_before, closed_before)) = (period.recent, period.earlier);
    if closed_now < MIN_CLOSED_FOR_TREND || closed_before < MIN_CLOSED_FOR_TREND {
        return None;
    }
    let now = won_now as f64 / closed_now as f64;
    let before = won_before as f64 / closed_before as f64;
    (before - now >= WIN_RATE_DROP).then(|| Finding {
        condition: "win_rate_dropping:workspace".to_owned(),
        kind: "win_rate_dropping",
        category: "warning",
        priority: if before - now >= 2.0 * WIN_RATE_DROP { "high" } else { "medium" },
        confidence: round2(((before - now) / (2.0 * WIN_RATE_DROP)).min(1.0)),
        title: format!("Win rate fell from {:.0}% to {:.0}%", before * 100.0, now * 100.0),
        description: format!(
            "{won_now} of {closed_now} deals closed in the last 90 days were won, against {won_before} of {closed_before} in the 90 days before."
        ),
        deal_id: None,
        data: json!({"recent_win_rate": round2(now), "earlier_win_rate": round2(before)}),
        actions: vec!["review_lost_reasons", "coach_team"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calm(id: &str, amount: f64) -> DealView {
        DealView {
            id: id.into(),
            name: format!("Deal {id}"),
            amount,
            win_probability: 0.3,
            health: 90,
            health_a_week_ago: 90,
            days_in_stage: 3.0,
            typical_stage_days: 14.0,
            days_since_activity: Some(1.0),
            typical_activity_gap: 7.0,
            has_next_step: true,
            days_to_close: Some(30.0),
            ..DealView::default()
        }
    }

    fn kinds(found: &[Finding]) -> Vec<&'static str> {
        found.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_calm_pipeline_raises_nothing() {
        let deals = [calm("a", 100.0), calm("b", 200.0)];
        assert!(findings(&deals, &PeriodView::default()).is_empty());
    }

    #[test]
    fn each_rule_fires_on_its_condition_with_a_stable_key() {
        let deals = [
            DealView {
                days_in_stage: 40.0,
                days_since_activity: Some(30.0),
                ..calm("stalled", 10.0)
            },
            DealView {
                days_overdue: 3.0,
                ..calm("late", 10.0)
            },
            DealView {
                close_date_slips: 2,
                ..calm("slips", 10.0)
            },
            DealView {
                health: 50,
                health_a_week_ago: 80,
                ..calm("falling", 1000.0)
            },
            DealView {
                win_probability: 0.8,
                overdue_tasks: 1,
                ..calm("hot", 10.0)
            },
            DealView {
                win_probability: 0.8,
                days_to_close: Some(5.0),
                ..calm("ready", 10.0)
            },
        ];
        let found = findings(&deals, &PeriodView::default());
        for (kind, deal) in [
            ("stalled_deal", "stalled"),
            ("close_date_passed", "late"),
            ("close_date_slipped", "slips"),
            ("large_deal_health_falling", "falling"),
            ("hot_deal_overdue_tasks", "hot"),
            ("ready_to_close", "ready"),
        ] {
            let finding = found
                .iter()
                .find(|f| f.kind == kind)
                .unwrap_or_else(|| panic!("{kind}: {:?}", kinds(&found)));
            assert_eq!(finding.condition, format!("{kind}:{deal}"));
            assert_eq!(finding.deal_id.as_deref(), Some(deal));
            assert!((0.0..=1.0).contains(&finding.confidence));
            assert!(!finding.actions.is_empty());
        }
        assert_eq!(found.len(), 6, "{:?}", kinds(&found));
    }

    #[test]
    fn thin_coverage_and_a_falling_win_rate_are_workspace_warnings() {
        let period = PeriodView {
            period: "2026-Q4".into(),
            target: 100.0,
            won_so_far: 40.0,
            pipeline_in_period: 90.0,
            recent: (3, 12),
            earlier: (8, 12),
        };
        let found = findings(&[], &period);
        assert_eq!(kinds(&found), ["low_coverage", "win_rate_dropping"]);
        assert_eq!(found[0].priority, "high");
        assert_eq!(found[0].condition, "low_coverage:2026-Q4");
        let healthy = PeriodView {
            pipeline_in_period: 500.0,
            recent: (8, 12),
            ..period
        };
        assert!(findings(&[], &healthy).is_empty());
    }

    #[test]
    fn trends_need_enough_closed_deals() {
        let period = PeriodView {
            recent: (0, 5),
            earlier: (5, 5),
            ..PeriodView::default()
        };
        assert!(findings(&[], &period).is_empty());
    }
}
