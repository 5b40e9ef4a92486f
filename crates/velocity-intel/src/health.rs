//! Deal health, 0–100, from signals a rep understands: how long since anyone touched the
//! deal compared with the team's norm, how long it has sat in its stage compared with deals
//! that moved on, whether its close date passed or kept slipping, whether its amount was cut,
//! whether a next step is planned, and whether it changed hands.
//!
//! Health starts at 100 and each signal takes away up to a fixed number of points, so every
//! point lost is explained by a named signal. The weights are judgement, kept in one table
//! ([`WEIGHTS`]) so they can be tuned against outcomes; the win score learns its own weights.

use serde::Serialize;

/// Most points each signal can take away.
pub struct Weights {
    pub quiet: f64,
    pub stuck: f64,
    pub overdue: f64,
    pub slipped: f64,
    pub amount_cut: f64,
    pub no_next_step: f64,
    pub overdue_tasks: f64,
    pub owner_changes: f64,
}

pub const WEIGHTS: Weights = Weights {
    quiet: 25.0,
    stuck: 20.0,
    overdue: 20.0,
    slipped: 15.0,
    amount_cut: 15.0,
    no_next_step: 10.0,
    overdue_tasks: 9.0,
    owner_changes: 10.0,
};

/// What is known about one open deal today.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealSignals {
    /// Days since the deal was created.
    pub age_days: f64,
    /// Days since its last activity; `None` if it never had one.
    pub days_since_activity: Option<f64>,
    pub days_in_stage: f64,
    /// Days its close date lies in the past (0 when it is today or later, or unset).
    pub days_overdue: f64,
    /// How many times the close date was pushed later.
    pub close_date_slips: u32,
    /// Share of the deal's highest amount that has since been cut, 0–1.
    pub amount_cut: f64,
    /// Whether an open task with a due date today or later exists.
    pub has_next_step: bool,
    pub overdue_tasks: u32,
    pub owner_changes: u32,
}

/// What is normal for the team, learned from its own history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Norms {
    /// Typical days between activities on open deals.
    pub activity_gap_days: f64,
    /// Typical days deals spend in this stage before moving on.
    pub stage_days: f64,
}

impl Default for Norms {
    /// For a workspace with no history yet: a touch every week, two weeks per stage.
    fn default() -> Norms {
        Norms {
            activity_gap_days: 7.0,
            stage_days: 14.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Excellent,
    Good,
    Fair,
    Poor,
    Critical,
}

impl Band {
    pub fn of(score: u8) -> Band {
        match score {
            80.. => Band::Excellent,
            60..=79 => Band::Good,
            40..=59 => Band::Fair,
            20..=39 => Band::Poor,
            _ => Band::Critical,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Excellent => "excellent",
            Band::Good => "good",
            Band::Fair => "fair",
            Band::Poor => "poor",
            Band::Critical => "critical",
        }
    }

    /// What the band means for the rep.
    pub fn meaning(self) -> &'static str {
        match self {
            Band::Excellent => {
                "On track: recent contact, moving at the team's pace, a next step planned."
            }
            Band::Good => "Mostly on track, with one thing worth a look.",
            Band::Fair => "Needs attention: several signs that the deal is cooling.",
            Band::Poor => "At risk: the deal has stalled or slipped; act this week.",
            Band::Critical => "Likely lost unless something changes now.",
        }
    }
}

/// One signal that cost the deal points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub name: &'static str,
    /// Points taken away.
    pub penalty: f64,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub score: u8,
    pub band: Band,
    /// Signals that cost points, largest first.
    pub signals: Vec<Signal>,
}

/// Scores a deal's health against the team's norms.
pub fn assess(deal: &DealSignals, norms: Norms) -> Health {
    let mut signals = Vec::new();
    let mut add = |name, penalty: f64, detail: String| {
        if penalty >= 0.5 {
            signals.push(Signal {
                name,
                penalty,
                detail,
            });
        }
    };
    let gap = norms.activity_gap_days.max(1.0);
    match deal.days_since_activity {
        Some(days) => add(
            "quiet",
            WEIGHTS.quiet * beyond_norm(days / gap),
            format!("No activity for {days:.0} days; the team's norm is {gap:.0}."),
        ),
        None => add(
            "quiet",
            WEIGHTS.quiet * beyond_norm(deal.age_days / gap),
            format!(
                "No activity logged in the {:.0} days since it was created.",
                deal.age_days
            ),
        ),
    }
    let typical = norms.stage_days.max(1.0);
    add(
        "stuck_in_stage",
        WEIGHTS.stuck * beyond_norm(deal.days_in_stage / typical),
        format!(
            "{:.0} days in this stage; deals that moved on took {typical:.0}.",
            deal.days_in_stage
        ),
    );
    if deal.days_overdue > 0.0 {
        add(
            "close_date_passed",
            WEIGHTS.overdue * (0.5 + 0.5 * (deal.days_overdue / 30.0).min(1.0)),
            format!(
                "The close date passed {:.0} days ago and the deal is still open.",
                deal.days_overdue
            ),
        );
    }
    add(
        "close_date_slipped",
        WEIGHTS.slipped * (f64::from(deal.close_date_slips) / 3.0).min(1.0),
        format!(
            "The close date was pushed back {} time(s).",
            deal.close_date_slips
        ),
    );
    if deal.amount_cut >= 0.05 {
        add(
            "amount_cut",
            WEIGHTS.amount_cut * (deal.amount_cut / 0.5).min(1.0),
            format!(
                "The amount is {:.0}% below its peak.",
                deal.amount_cut * 100.0
            ),
        );
    }
    if !deal.has_next_step {
        add(
            "no_next_step",
            WEIGHTS.no_next_step,
            "No open task is planned as a next step.".to_owned(),
        );
    }
    add(
        "overdue_tasks",
        WEIGHTS.overdue_tasks * (f64::from(deal.overdue_tasks) / 3.0).min(1.0),
        format!("{} task(s) on the deal are overdue.", deal.overdue_tasks),
    );
    add(
        "owner_changed",
        WEIGHTS.owner_changes * (f64::from(deal.owner_changes) / 2.0).min(1.0),
        format!("The deal changed owner {} time(s).", deal.owner_changes),
    );
    signals.sort_by(|a, b| b.penalty.total_cmp(&a.penalty));
    let lost: f64 = signals.iter().map(|s| s.penalty).sum();
    let score = (100.0 - lost).round().clamp(0.0, 100.0) as u8;
    Health {
        score,
        band: Band::of(score),
        signals,
    }
}

/// 0 up to the norm, rising to 1 at three times the norm.
fn beyond_norm(ratio: f64) -> f64 {
    ((ratio - 1.0) / 2.0).clamp(0.0, 1.0)
}

/// A day-one win probability: the stage's probability moved in log-odds by health, at most
/// one unit either way (a healthy deal at 50% reads about 70%, a critical one about 30%).
pub fn adjust_probability(stage_probability: f64, health: u8) -> f64 {
    let p = stage_probability.clamp(0.001, 0.999);
    let shift = ((f64::from(health) - 60.0) / 40.0).clamp(-1.0, 1.0);
    let logit = (p / (1.0 - p)).ln() + shift;
    1.0 / (1.0 + (-logit).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> DealSignals {
        DealSignals {
            age_days: 20.0,
            days_since_activity: Some(2.0),
            days_in_stage: 5.0,
            has_next_step: true,
            ..DealSignals::default()
        }
    }

    #[test]
    fn an_active_deal_on_pace_is_excellent_with_nothing_to_explain() {
        let health = assess(&healthy(), Norms::default());
        assert_eq!(health.score, 100);
        assert_eq!(health.band, Band::Excellent);
        assert!(health.signals.is_empty());
    }

    #[test]
    fn every_lost_point_is_explained() {
        let deal = DealSignals {
            days_since_activity: Some(30.0),
            days_in_stage: 60.0,
            days_overdue: 10.0,
            close_date_slips: 2,
            amount_cut: 0.3,
            has_next_step: false,
            overdue_tasks: 1,
            owner_changes: 1,
            ..healthy()
        };
        let health = assess(&deal, Norms::default());
        let explained: f64 = health.signals.iter().map(|s| s.penalty).sum();
        assert_eq!(
            f64::from(health.score),
            (100.0 - explained).round().max(0.0)
        );
        assert_eq!(health.band, Band::Critical);
        assert_eq!(health.signals[0].name, "quiet");
        assert!(health
            .signals
            .windows(2)
            .all(|w| w[0].penalty >= w[1].penalty));
    }

    #[test]
    fn each_signal_on_its_own_lowers_health() {
        let base = assess(&healthy(), Norms::default()).score;
        let worse = [
            DealSignals {
                days_since_activity: Some(20.0),
                ..healthy()
            },
            DealSignals {
                days_since_activity: None,
                age_days: 30.0,
                ..healthy()
            },
            DealSignals {
                days_in_stage: 40.0,
                ..healthy()
            },
            DealSignals {
                days_overdue: 1.0,
                ..healthy()
            },
            DealSignals {
                close_date_slips: 1,
                ..healthy()
            },
            DealSignals {
                amount_cut: 0.2,
                ..healthy()
            },
            DealSignals {
                has_next_step: false,
                ..healthy()
            },
            DealSignals {
                overdue_tasks: 2,
                ..healthy()
            },
            DealSignals {
                owner_changes: 1,
                ..healthy()
            },
        ];
        for deal in worse {
            assert!(assess(&deal, Norms::default()).score < base, "{deal:?}");
        }
    }

    #[test]
    fn norms_decide_what_counts_as_quiet() {
        let deal = DealSignals {
            days_since_activity: Some(20.0),
            ..healthy()
        };
        let weekly = assess(&deal, Norms::default()).score;
        let monthly = assess(
            &deal,
            Norms {
                activity_gap_days: 30.0,
                stage_days: 14.0,
            },
        )
        .score;
        assert!(monthly > weekly);
    }

    #[test]
    fn bands_cover_the_scale() {
        assert_eq!(Band::of(100), Band::Excellent);
        assert_eq!(Band::of(80), Band::Excellent);
        assert_eq!(Band::of(79), Band::Good);
        assert_eq!(Band::of(40), Band::Fair);
        assert_eq!(Band::of(20), Band::Poor);
        assert_eq!(Band::of(0), Band::Critical);
    }

    #[test]
    fn health_moves_the_day_one_probability_within_bounds() {
        assert!((adjust_probability(0.5, 60) - 0.5).abs() < 1e-12);
        assert!(adjust_probability(0.5, 100) > 0.7);
        assert!(adjust_probability(0.5, 0) < 0.3);
        assert!(adjust_probability(1.0, 0) < 1.0);
        assert!(adjust_probability(0.0, 100) > 0.0);
    }
}
