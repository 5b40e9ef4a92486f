//! The revenue forecast: which open deals close inside a period, and for how much.
//!
//! Each open deal `i` closes inside the period with probability `c_i` (its close date holds,
//! see [`slippage`]) and is won with probability `q_i` (its score). Uncertainty about win
//! rates is shared: every stage `s` has a win rate `θ_s` drawn once per simulated trial from
//! its Beta posterior (wins + 1, losses + 1), and each deal in that stage moves with it. A
//! deal's probability in a trial is linear in the draw,
//! `p_i(θ) = c_i · (q_i + k_i · (θ_s − μ_s))` with `μ_s` the posterior mean and
//! `k_i = min(q_i / μ_s, (1 − q_i) / (1 − μ_s))`, the largest slope that keeps `p_i` inside
//! [0, 1] for every draw. Because it is linear, its mean is exactly `c_i · q_i` and the
//! mean and variance of revenue have closed forms ([`RevenueModel::exact`]) that the
//! simulation ([`RevenueModel::simulate`]) is checked against. An independent draw per deal
//! would average out and leave the revenue distribution unchanged, which is why the draw is
//! per stage and per trial.
//!
//! Deals not created yet add their own independent share ([`arrivals`]), given by its mean and
//! variance and drawn as a Gamma with those moments.

pub mod arrivals;
pub mod distribution;
mod simulate;
pub mod slippage;
pub mod stats;

pub use arrivals::NewBusiness;
pub use simulate::{Band, Simulation};
pub use stats::{Moments, Percentiles};

/// One open deal as the forecast sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenDeal {
    /// Revenue if won, in the workspace currency.
    pub value: f64,
    /// Probability of winning at all (its score), 0–1.
    pub win_probability: f64,
    /// Probability that it closes inside the period, 0–1.
    pub close_probability: f64,
    /// Index into the stage records passed alongside.
    pub stage: usize,
}

/// What a stage's closed history says about its win rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StageRecord {
    pub wins: u64,
    pub losses: u64,
}

impl StageRecord {
    fn alpha(self) -> f64 {
        self.wins as f64 + 1.0
    }

    fn beta(self) -> f64 {
        self.losses as f64 + 1.0
    }

    /// Posterior mean of the win rate under a uniform prior.
    pub fn mean(self) -> f64 {
        self.alpha() / (self.alpha() + self.beta())
    }

    /// Posterior variance of the win rate.
    pub fn variance(self) -> f64 {
        let (a, b) = (self.alpha(), self.beta());
        a * b / ((a + b) * (a + b) * (a + b + 1.0))
    }

    /// How settled the win rate is, 0 (no history: a uniform prior) to 1 (certain).
    pub fn confidence(self) -> f64 {
        const UNIFORM_SD: f64 = 0.288_675_134_594_812_9; // sqrt(1/12)
        (1.0 - self.variance().sqrt() / UNIFORM_SD).clamp(0.0, 1.0)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ForecastError {
    #[error("deal {index}: value must be a finite amount of zero or more, got {value}")]
    Value { index: usize, value: f64 },
    #[error("deal {index}: {what} must be between 0 and 1, got {value}")]
    Probability {
        index: usize,
        what: &'static str,
        value: f64,
    },
    #[error("deal {index}: stage {stage} is not one of the {stages} stages given")]
    Stage {
        index: usize,
        stage: usize,
        stages: usize,
    },
    #[error("revenue already closed must be a finite amount of zero or more, got {0}")]
    Certain(f64),
    #[error("new business must have a finite mean and variance of zero or more, got {0:?}")]
    NewBusiness(NewBusiness),
    #[error("the number of simulations must be between 1 and {max}, got {got}")]
    Simulations { got: usize, max: usize },
}

/// A deal's contribution in a trial: it brings `value` with probability `base + slope · θ`.
#[derive(Debug, Clone, Copy)]
struct Term {
    value: f64,
    base: f64,
    slope: f64,
}

/// Open deals grouped by stage, ready to be simulated or summed in closed form.
#[derive(Debug, Clone)]
pub struct RevenueModel {
    stages: Vec<StageRecord>,
    /// Terms of each stage, in stage order.
    by_stage: Vec<Vec<Term>>,
    certain: f64,
    new_business: NewBusiness,
}

impl RevenueModel {
    /// `certain` is revenue already won inside the period.
    pub fn new(
        deals: &[OpenDeal],
        stages: &[StageRecord],
        certain: f64,
    ) -> Result<RevenueModel, ForecastError> {
        if !(certain.is_finite() && certain >= 0.0) {
            return Err(ForecastError::Certain(certain));
        }
        let mut by_stage = vec![Vec::new(); stages.len()];
        for (index, deal) in deals.iter().enumerate() {
            check(index, deal, stages.len())?;
            let record = stages[deal.stage];
            let mean = record.mean();
            let q = deal.win_probability;
            let slope = (q / mean).min((1.0 - q) / (1.0 - mean));
            let c = deal.close_probability;
            by_stage[deal.stage].push(Term {
                value: deal.value,
                base: c * (q - slope * mean),
                slope: c * slope,
            });
        }
        Ok(RevenueModel {
            stages: stages.to_vec(),
            by_stage,
            certain,
            new_business: NewBusiness::default(),
        })
    }

    /// The same model with revenue from deals not created yet.
    pub fn with_new_business(
        mut self,
        new_business: NewBusiness,
    ) -> Result<RevenueModel, ForecastError> {
        let valid = |x: f64| x.is_finite() && x >= 0.0;
        if !(valid(new_business.mean) && valid(new_business.variance)) {
            return Err(ForecastError::NewBusiness(new_business));
        }
        self.new_business = new_business;
        Ok(self)
    }

    /// Mean and standard deviation of revenue, in closed form.
    ///
    /// By the law of total variance over the stage draws θ:
    /// `Var R = Σ_i v_i² (m_i − m_i² − b_i² Var θ_s) + Σ_s (Σ_{i∈s} v_i b_i)² Var θ_s`
    /// where `m_i` is the deal's mean probability and `b_i` its slope.
    pub fn exact(&self) -> Moments {
        let mut mean = self.certain + self.new_business.mean;
        let mut variance = self.new_business.variance;
        for (record, terms) in self.stages.iter().zip(&self.by_stage) {
            let theta_mean = record.mean();
            let theta_variance = record.variance();
            let mut shared = 0.0;
            for term in terms {
                let m = term.base + term.slope * theta_mean;
                mean += term.value * m;
                let within = m - m * m - term.slope * term.slope * theta_variance;
                variance += term.value * term.value * within;
                shared += term.value * term.slope;
            }
            variance += shared * shared * theta_variance;
        }
        Moments {
            mean,
            standard_deviation: variance.max(0.0).sqrt(),
        }
    }
}

fn check(index: usize, deal: &OpenDeal, stages: usize) -> Result<(), ForecastError> {
    if !(deal.value.is_finite() && deal.value >= 0.0) {
        return Err(ForecastError::Value {
            index,
            value: deal.value,
        });
    }
    for (what, value) in [
        ("win probability", deal.win_probability),
        ("close probability", deal.close_probability),
    ] {
        if !(0.0..=1.0).contains(&value) {
            return Err(ForecastError::Probability { index, what, value });
        }
    }
    if deal.stage >= stages {
        return Err(ForecastError::Stage {
            index,
            stage: deal.stage,
            stages,
        });
    }
    Ok(())
}
