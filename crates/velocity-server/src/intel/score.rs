//! A deal's health and win probability with the reasons behind them.
//!
//! Until a workspace has a learned model, the probability starts from the stage's win rate
//! (its configured probability updated by the deals that passed through the stage, see
//! [`Learned::stage_probability`]) and moves with health: every point of health lost costs
//! 1/40 of a unit of log-odds, at most one unit either way
//! ([`velocity_intel::health::adjust_probability`]). Once enough deals have closed after being
//! open a while, the learned model ([`super::training`]) takes over, blended with that prior
//! in log-odds until 200 closed deals and alone from then on; the factors of each side are
//! weighted by its share.

use super::insights::{self, PeriodTally};
use super::learn::{Learned, Learner};
use super::training::features_at;
use crate::error::ApiError;
use crate::state::AppState;
use serde::Serialize;
use std::collections::HashMap;
use velocity_domain::WorkspaceId;
use velocity_intel::health::{self, Band};
use velocity_intel::insights::{deal_findings, large_deal_threshold, period_findings, Finding};
use velocity_intel::scoring::blend;
use velocity_store::intel::facts::{DealFacts, DealPages, DealScope};
use velocity_store::intel::state::{StageInfo, StoredScore};
use velocity_store::Db;

/// Log-odds per point of health, as in `adjust_probability`.
const LOGIT_PER_HEALTH_POINT: f64 = 1.0 / 40.0;

#[derive(Debug, Clone, Serialize)]
pub struct Factor {
    pub name: String,
    /// `positive` raises the win probability, `negative` lowers it.
    pub direction: &'static str,
    /// Size of the effect in log-odds.
    pub weight: f64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub kind: &'static str,
    pub trained_at: Option<String>,
    pub training_deals: u64,
    pub auc: Option<f64>,
    pub brier: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DealScore {
    pub deal_id: String,
    pub win_probability: f64,
    pub health: u8,
    pub health_band: Band,
    pub health_explanation: &'static str,
    pub factors: Vec<Factor>,
    pub model: ModelInfo,
}

fn factor(name: &str, weight: f64, detail: String) -> Factor {
    Factor {
        name: name.to_owned(),
        direction: if weight >= 0.0 {
            "positive"
        } else {
            "negative"
        },
        weight: (weight * 1000.0).round() / 1000.0,
        detail,
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(0.001, 0.999);
    (p / (1.0 - p)).ln()
}

/// Scores one deal as it stands at `now` (days since the epoch).
pub fn score_deal(
    deal: &DealFacts,
    stages: &HashMap<&str, &StageInfo>,
    learned: &Learned,
    now: f64,
) -> DealScore {
    let at = deal.timeline.closed.map_or(now, |(closed_at, _)| closed_at);
    let norms = learned.norms.for_stage(&deal.stage_id);
    let assessed = health::assess(&deal.timeline.signals_at(at), norms);
    let stage = stages.get(deal.stage_id.as_str());
    let stage_probability = stage.map_or(0.5, |s| learned.stage_probability(s));
    let mut factors = Vec::new();
    let baseline = if learned.closed_deals() > 0 {
        (learned.won as f64 + 1.0) / (learned.closed_deals() as f64 + 2.0)
    } else {
        0.5
    };
    if let Some(stage) = stage {
        let record = learned.stage_record(&stage.id);
        factors.push(factor(
            "stage",
            logit(stage_probability) - logit(baseline),
            format!(
                "Deals in {} win {:.0}% of the time (configured {:.0}%; {} of {} closed deals that passed through it won), against {:.0}% overall.",
                stage.name,
                stage_probability * 100.0,
                stage.probability * 100.0,
                record.wins,
                record.wins + record.losses,
                baseline * 100.0
            ),
        ));
    }
    let shift = ((f64::from(assessed.score) - 60.0) * LOGIT_PER_HEALTH_POINT).clamp(-1.0, 1.0);
    if shift > 0.0 {
        factors.push(factor(
            "health",
            shift,
            format!(
                "Health {} ({}): {}",
                assessed.score,
                assessed.band.as_str(),
                assessed.band.meaning()
            ),
        ));
    }
    for signal in &assessed.signals {
        factors.push(factor(
            signal.name,
            -signal.penalty * LOGIT_PER_HEALTH_POINT,
            signal.detail.clone(),
        ));
    }
    let prior = health::adjust_probability(stage_probability, assessed.score);
    let (probability, model) = match &learned.model {
        Some(win) => {
            let share = win.closed.model_weight();
            let predicted = win
                .model
                .predict(&features_at(deal, stages, at))
                .ok()
                .filter(|_| share > 0.0);
            match predicted {
                Some(prediction) => {
                    for f in &mut factors {
                        f.weight *= 1.0 - share;
                    }
                    factors.extend(
                        prediction
                            .factors
                            .iter()
                            .map(|f| factor(&f.feature, f.weight * share, f.detail.clone())),
                    );
                    factors.retain(|f| f.weight.abs() >= 0.005);
                    let cv = &win.model.cross_validation;
                    let info = ModelInfo {
                        kind: if share >= 1.0 {
                            "logistic_regression"
                        } else {
                            "logistic_regression_blended_with_stage_prior"
                        },
                        trained_at: Some(learned.trained_at.clone()),
                        training_deals: (win.closed.won + win.closed.lost) as u64,
                        auc: cv.auc,
                        brier: Some(cv.brier),
                    };
                    (blend(prior, prediction.probability, win.closed), info)
                }
                None => (prior, prior_model(learned)),
            }
        }
        None => (prior, prior_model(learned)),
    };
    factors.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    DealScore {
        deal_id: deal.id.clone(),
        win_probability: match deal.timeline.closed {
            Some((_, won)) => f64::from(u8::from(won)),
            None => probability,
        },
        health: assessed.score,
        health_band: assessed.band,
        health_explanation: assessed.band.meaning(),
        factors,
        model,
    }
}

/// The day-one model: stage win rates moved by health.
fn prior_model(learned: &Learned) -> ModelInfo {
    ModelInfo {
        kind: "stage_prior_with_health",
        trained_at: (!learned.trained_at.is_empty()).then(|| learned.trained_at.clone()),
        training_deals: learned.closed_deals(),
        auc: None,
        brier: None,
    }
}

/// What a rescoring run did.
#[derive(Debug, Clone, Serialize)]
pub struct Rescored {
    pub scored_deals: usize,
    pub total_deals: usize,
    pub average_health: f64,
    pub health_distribution: HashMap<&'static str, usize>,
    /// The sum of the health counted so far, averaged by [`Rescored::finish`].
    #[serde(skip)]
    health_total: f64,
}

impl Rescored {
    fn new() -> Rescored {
        Rescored {
            scored_deals: 0,
            total_deals: 0,
            average_health: 0.0,
            health_total: 0.0,
            health_distribution: [
                Band::Excellent,
                Band::Good,
                Band::Fair,
                Band::Poor,
                Band::Critical,
            ]
            .into_iter()
            .map(|band| (band.as_str(), 0))
            .collect(),
        }
    }

    fn count(&mut self, score: &DealScore) {
        self.scored_deals += 1;
        self.health_total += f64::from(score.health);
        if let Some(count) = self.health_distribution.get_mut(score.health_band.as_str()) {
            *count += 1;
        }
    }

    fn finish(mut self) -> Rescored {
        self.average_health = if self.scored_deals == 0 {
            0.0
        } else {
            (self.health_total / self.scored_deals as f64 * 10.0).round() / 10.0
        };
        self
    }
}

/// A workspace relearned from its history and every open deal rescored as of now, the scores
/// stored. The deals are read twice, a page at a time (a million-deal workspace with
/// its histories is gigabytes): once to learn, once to score the open ones with what was
/// learned.
pub struct Analysis {
    pub learned: Learned,
    pub rescored: Rescored,
    /// What the insight rules found, when asked for: about each open deal as it was scored,
    /// and about the quarter.
    pub findings: Vec<Finding>,
}

impl Analysis {
    /// Relearns (storing what it learned), rescores, and runs the insight rules.
    pub async fn run(state: &AppState, workspace: WorkspaceId) -> Result<Analysis, ApiError> {
        Analysis::passes(state, workspace, true).await
    }

    /// Relearns and rescores only.
    pub async fn rescore(state: &AppState, workspace: WorkspaceId) -> Result<Rescored, ApiError> {
        Ok(Analysis::passes(state, workspace, false).await?.rescored)
    }

    async fn passes(
        state: &AppState,
        workspace: WorkspaceId,
        with_findings: bool,
    ) -> Result<Analysis, ApiError> {
        let db = &state.db;
        let stages = db.stages(workspace).await?;
        let now = super::now_days();
        let mut learner = Learner::new(&stages, now);
        let mut period = PeriodTally::new(now);
        let mut rescored = Rescored::new();
        let mut open_amounts = Vec::new();
        let mut pages = DealPages::new(workspace, false);
        while let Some(page) = pages.next(db).await? {
            rescored.total_deals += page.len();
            for deal in &page {
                learner.add(deal);
                period.add(deal);
                if with_findings && deal.timeline.closed.is_none() {
                    open_amounts.push(deal.amount.unwrap_or(0.0));
                }
            }
        }
        let large = large_deal_threshold(open_amounts);
        let learned = learner.finish();
        let payload = serde_json::to_string(&learned).map_err(ApiError::internal)?;
        db.save_intel_state(workspace, &learned.trained_at, &payload)
            .await?;
        let by_id: HashMap<&str, &StageInfo> = stages.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut findings = Vec::new();
        let mut pages = DealPages::new(workspace, true);
        while let Some(page) = pages.next(db).await? {
            let mut scores = Vec::with_capacity(page.len());
            for deal in page.iter().filter(|deal| deal.timeline.closed.is_none()) {
                let score = score_deal(deal, &by_id, &learned, now);
                rescored.count(&score);
                if with_findings {
                    let view = insights::deal_view(deal, &score, &learned, now);
                    findings.extend(deal_findings(&view, large));
                }
                scores.push(StoredScore {
                    deal_version: deal.version,
                    win_probability: score.win_probability,
                    health: i64::from(score.health),
                    health_band: score.health_band.as_str().to_owned(),
                    factors: serde_json::to_string(&score.factors).map_err(ApiError::internal)?,
                    deal_id: score.deal_id,
                });
            }
            db.save_scores(workspace, &scores).await?;
        }
        // The forecast's copy of the open deals holds the old scores.
        state.forecast_inputs.forget(workspace);
        if with_findings {
            findings.extend(period_findings(&period.finish()));
        }
        Ok(Analysis {
            learned,
            rescored: rescored.finish(),
            findings,
        })
    }
}

/// Scores one deal now, from the stored learning; a deal of another workspace is not found.
pub async fn score_one(db: &Db, workspace: WorkspaceId, id: &str) -> Result<DealScore, ApiError> {
    let deal = db
        .deal_facts(workspace, DealScope::One(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound("deal not found".into()))?;
    let stages = db.stages(workspace).await?;
    let by_id: HashMap<&str, &StageInfo> = stages.iter().map(|s| (s.id.as_str(), s)).collect();
    let learned = super::learn::current(db, workspace).await?;
    Ok(score_deal(&deal, &by_id, &learned, super::now_days()))
}
