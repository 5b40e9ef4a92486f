//! What a workspace's history teaches: each open stage's record of wins and losses among the
//! deals that passed through it, how far actual wins land from the close dates deals
//! carried, how long new deals take to be won, and the team's norms. Stored as one JSON
//! document per workspace.

use super::training::{train, RecentClosed, WinModel};
use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use velocity_domain::values::now_timestamp;
use velocity_domain::WorkspaceId;
use velocity_intel::forecast::arrivals::LeadTimes;
use velocity_intel::forecast::slippage::SlipModel;
use velocity_intel::forecast::StageRecord;
use velocity_intel::timeline::{NormsTally, TeamNorms};
use velocity_store::intel::facts::DealFacts;
use velocity_store::intel::state::StageInfo;
use velocity_store::Db;

/// How much a stage's configured probability counts, in closed deals, against its record.
pub const STAGE_PRIOR_WEIGHT: f64 = 10.0;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Learned {
    pub trained_at: String,
    pub won: u64,
    pub lost: u64,
    /// Per open stage id.
    pub stage_records: HashMap<String, StageRecord>,
    /// Close delay in days → how many times it was seen.
    pub delays: BTreeMap<i64, u64>,
    pub norms: TeamNorms,
    /// The learned win model, once enough deals closed after being open a while.
    pub model: Option<WinModel>,
    /// How fast new deals turn into wins: what deals not created yet bring to a forecast.
    #[serde(default)]
    pub lead_times: LeadTimes,
}

impl Learned {
    /// Learns from the deals as known at `now` (days since the epoch).
    pub fn from_history(deals: &[DealFacts], stages: &[StageInfo], now: f64) -> Learned {
        let mut learner = Learner::new(stages, now);
        for deal in deals {
            learner.add(deal);
        }
        learner.finish()
    }

    pub fn slip_model(&self) -> SlipModel {
        SlipModel::learn(
            self.delays
                .iter()
                .flat_map(|(&delay, &count)| std::iter::repeat_n(delay, count as usize)),
        )
    }

    pub fn stage_record(&self, stage: &str) -> StageRecord {
        self.stage_records.get(stage).copied().unwrap_or_default()
    }

    /// A stage's win rate: its configured probability, worth [`STAGE_PRIOR_WEIGHT`] deals,
    /// updated by the deals that passed through it.
    pub fn stage_probability(&self, stage: &StageInfo) -> f64 {
        let record = self.stage_record(&stage.id);
        let seen = (record.wins + record.losses) as f64;
        (stage.probability * STAGE_PRIOR_WEIGHT + record.wins as f64) / (STAGE_PRIOR_WEIGHT + seen)
    }

    pub fn closed_deals(&self) -> u64 {
        self.won + self.lost
    }
}

/// What the history teaches, gathered one deal at a time: a large workspace's deals are read
/// a page at a time, never all at once.
pub struct Learner<'a> {
    stages: &'a [StageInfo],
    open: HashSet<&'a str>,
    now: f64,
    /// The counts, stage records and close delays, complete as each deal is added.
    learned: Learned,
    norms: NormsTally,
    /// (created, won, amount) of each deal won after being open a while.
    wins: Vec<(f64, f64, f64)>,
    recent: RecentClosed,
}

impl<'a> Learner<'a> {
    /// Learns as of `now` (days since the epoch).
    pub fn new(stages: &'a [StageInfo], now: f64) -> Learner<'a> {
        Learner {
            stages,
            open: stages
                .iter()
                .filter(|s| s.kind == "open")
                .map(|s| s.id.as_str())
                .collect(),
            now,
            learned: Learned::default(),
            norms: NormsTally::default(),
            wins: Vec::new(),
            recent: RecentClosed::default(),
        }
    }

    pub fn add(&mut self, deal: &DealFacts) {
        self.norms.add(&deal.timeline);
        self.recent.add(deal);
        let Some((closed_at, won)) = deal.timeline.closed else {
            return;
        };
        let learned = &mut self.learned;
        if won {
            learned.won += 1;
            // A deal created already won (an imported history) says nothing about lead times.
            if deal.timeline.lived_open() {
                let amount = deal.amount.unwrap_or_default();
                self.wins
                    .push((deal.timeline.created_at, closed_at, amount));
            }
        } else {
            learned.lost += 1;
        }
        for stage in deal.timeline.stages_visited() {
            if self.open.contains(stage) {
                // Looked up before inserting: an owned key per visit would be a string
                // allocated for each of a million deals' stages.
                let record = match learned.stage_records.get_mut(stage) {
                    Some(record) => record,
                    None => learned.stage_records.entry(stage.to_owned()).or_default(),
                };
                if won {
                    record.wins += 1;
                } else {
                    record.losses += 1;
                }
            }
        }
        // The forecast asks when a deal closes if it is won, so only wins teach it: lost
        // deals often die well before their close date, and would pull wins earlier.
        if won {
            for delay in deal.timeline.close_delays() {
                *learned.delays.entry(delay).or_default() += 1;
            }
        }
    }

    pub fn finish(self) -> Learned {
        let trained_at = now_timestamp();
        Learned {
            model: train(self.recent, self.stages, &trained_at),
            trained_at,
            norms: self.norms.finish(),
            lead_times: LeadTimes::learn(self.now, self.wins),
            ..self.learned
        }
    }
}

/// The stored state, or nothing learned yet (day one).
pub async fn current(db: &Db, workspace: WorkspaceId) -> Result<Learned, ApiError> {
    match db.intel_state(workspace).await? {
        Some((_, payload)) => serde_json::from_str(&payload).map_err(ApiError::internal),
        None => Ok(Learned::default()),
    }
}
