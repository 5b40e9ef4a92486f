//! Monte Carlo over the revenue model: each trial draws every stage's win rate once from its
//! Beta posterior, then every deal once against its probability for that draw.
//!
//! Trials run in fixed chunks, each with its own generator seeded from the caller's seed and
//! the chunk number, so a seed gives the same answer whatever the number of threads. A win is
//! a compare of 16 random bits against the deal's threshold, four deals per 64-bit
//! draw: with 10,000 deals and 10,000 trials that is 10⁸ draws, which must fit in 100 ms.
//! A stage with thousands of deals (a million-deal workspace has hundreds of thousands open)
//! draws only its largest deals one by one and the rest as one normal with their exact
//! conditional mean and variance, so a trial costs the same whatever the pipeline's size.

use super::stats::{Moments, Percentiles};
use super::{ForecastError, NewBusiness, RevenueModel, Term};
use rand_distr::{Beta, Distribution, Gamma, StandardNormal};
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Most simulations one request may ask for.
pub const MAX_SIMULATIONS: usize = 1_000_000;

const TRIALS_PER_CHUNK: usize = 250;
const TWO_POW_16: f64 = 65_536.0;

/// The simulated distribution of revenue.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Revenue of every trial, sorted ascending.
    pub totals: Vec<f64>,
}

impl Simulation {
    pub fn moments(&self) -> Moments {
        Moments::of(&self.totals)
    }

    pub fn percentiles(&self) -> Percentiles {
        Percentiles::of_sorted(&self.totals)
    }

    /// Share of trials that reach at least `revenue`.
    pub fn chance_of_reaching(&self, revenue: f64) -> f64 {
        let below = self.totals.partition_point(|&total| total < revenue);
        (self.totals.len() - below) as f64 / self.totals.len().max(1) as f64
    }

    /// The distribution as `bins` equal revenue bands from P1 to P99, each with its share of
    /// trials; the first and last bands also hold the few trials beyond P1 and P99, so the
    /// shares sum to 1 while a rare extreme does not flatten the picture.
    pub fn histogram(&self, bins: usize) -> Vec<Band> {
        let (Some(&first), Some(&last)) = (self.totals.first(), self.totals.last()) else {
            return Vec::new();
        };
        let at = |q: f64| self.totals[((self.totals.len() - 1) as f64 * q).round() as usize];
        let (low, high) = (at(0.01), at(0.99));
        if bins == 0 || high <= low {
            return vec![Band {
                from: first,
                to: last,
                share: 1.0,
            }];
        }
        let width = (high - low) / bins as f64;
        let mut counts = vec![0usize; bins];
        for &total in &self.totals {
            let bin = ((total - low) / width)
                .floor()
                .clamp(0.0, (bins - 1) as f64) as usize;
            counts[bin] += 1;
        }
        let trials = self.totals.len() as f64;
        counts
            .into_iter()
            .enumerate()
            .map(|(i, count)| Band {
                from: low + width * i as f64,
                to: low + width * (i + 1) as f64,
                share: count as f64 / trials,
            })
            .collect()
    }
}

/// One band of [`Simulation::histogram`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub from: f64,
    pub to: f64,
    pub share: f64,
}

/// Stages with more deals than this draw only their largest deals one by one.
pub const POOL_ABOVE: usize = 2_000;
/// How many of a large stage's deals, the largest, are still drawn one by one.
pub const DRAWN_IN_LARGE_STAGES: usize = 500;

/// The many small deals of a large stage, summed: given the stage's draw θ their revenue has
/// mean `mean.0 + mean.1·θ` and variance `var.0 + var.1·θ + var.2·θ²` exactly, and as a sum of
/// hundreds of independent small terms it is drawn as a normal with those moments.
#[derive(Debug, Clone, Copy, Default)]
struct Pool {
    mean: (f64, f64),
    var: (f64, f64, f64),
}

impl Pool {
    fn of(terms: &[Term]) -> Pool {
        let mut pool = Pool::default();
        for t in terms {
            let v2 = t.value * t.value;
            pool.mean.0 += t.value * t.base;
            pool.mean.1 += t.value * t.slope;
            pool.var.0 += v2 * t.base * (1.0 - t.base);
            pool.var.1 += v2 * t.slope * (1.0 - 2.0 * t.base);
            pool.var.2 -= v2 * t.slope * t.slope;
        }
        pool
    }

    fn draw(&self, theta: f64, normal: f64) -> f64 {
        let mean = self.mean.0 + self.mean.1 * theta;
        let variance = self.var.0 + theta * (self.var.1 + theta * self.var.2);
        (mean + variance.max(0.0).sqrt() * normal).max(0.0)
    }
}

/// How one stage is simulated: its win-rate posterior, the deals drawn one by one (their
/// thresholds pre-scaled by 2¹⁶) and, for a large stage, the pooled rest.
struct StagePlan {
    mean: f64,
    posterior: Option<Beta<f64>>,
    drawn: Vec<Term>,
    pool: Option<Pool>,
}

impl RevenueModel {
    fn plan(&self) -> Vec<StagePlan> {
        self.stages
            .iter()
            .zip(&self.by_stage)
            .filter(|(_, terms)| !terms.is_empty())
            .map(|(record, terms)| {
                let mut terms = terms.clone();
                let pool = (terms.len() > POOL_ABOVE).then(|| {
                    terms.sort_by(|a, b| b.value.total_cmp(&a.value));
                    Pool::of(&terms.split_off(DRAWN_IN_LARGE_STAGES))
                });
                let drawn = terms
                    .iter()
                    .map(|term| Term {
                        value: term.value,
                        base: term.base * TWO_POW_16,
                        slope: term.slope * TWO_POW_16,
                    })
                    .collect();
                StagePlan {
                    mean: record.mean(),
                    posterior: Beta::new(record.alpha(), record.beta()).ok(),
                    drawn,
                    pool,
                }
            })
            .collect()
    }

    /// Runs `simulations` trials, deterministically for a given `seed`.
    pub fn simulate(&self, simulations: usize, seed: u64) -> Result<Simulation, ForecastError> {
        if !(1..=MAX_SIMULATIONS).contains(&simulations) {
            return Err(ForecastError::Simulations {
                got: simulations,
                max: MAX_SIMULATIONS,
            });
        }
        let plan = self.plan();
        let arrivals = self.arrivals();
        let mut totals = vec![0.0; simulations];
        let chunks: Vec<(usize, &mut [f64])> =
            totals.chunks_mut(TRIALS_PER_CHUNK).enumerate().collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(chunks.len());
        let mut shares: Vec<Vec<(usize, &mut [f64])>> = (0..threads).map(|_| Vec::new()).collect();
        for (position, chunk) in chunks.into_iter().enumerate() {
            shares[position % threads].push(chunk);
        }
        std::thread::scope(|scope| {
            for share in shares {
                let (plan, arrivals) = (&plan, &arrivals);
                scope.spawn(move || {
                    for (number, trials) in share {
                        self.run_chunk(trials, plan, arrivals, seed, number as u64);
                    }
                });
            }
        });
        totals.sort_unstable_by(f64::total_cmp);
        Ok(Simulation { totals })
    }

    /// New business per trial: a Gamma with its mean and variance, or its mean when certain.
    fn arrivals(&self) -> Result<Gamma<f64>, f64> {
        let NewBusiness { mean, variance } = self.new_business;
        if mean > 0.0 && variance > 0.0 {
            Gamma::new(mean * mean / variance, variance / mean).map_err(|_| mean)
        } else {
            Err(mean)
        }
    }

    fn run_chunk(
        &self,
        trials: &mut [f64],
        plan: &[StagePlan],
        arrivals: &Result<Gamma<f64>, f64>,
        seed: u64,
        chunk: u64,
    ) {
        let mut rng =
            Xoshiro256PlusPlus::seed_from_u64(seed ^ chunk.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for total in trials.iter_mut() {
            let mut revenue = self.certain
                + match arrivals {
                    Ok(gamma) => gamma.sample(&mut rng),
                    Err(mean) => *mean,
                };
            for stage in plan {
                let theta = stage
                    .posterior
                    .as_ref()
                    .map_or(stage.mean, |beta| beta.sample(&mut rng));
                revenue += trial_of_stage(&stage.drawn, theta, &mut rng);
                if let Some(pool) = &stage.pool {
                    let normal: f64 = StandardNormal.sample(&mut rng);
                    revenue += pool.draw(theta, normal);
                }
            }
            *total = revenue;
        }
    }
}

/// Revenue won in one trial by the deals of one stage, given the stage's drawn win rate.
/// Each 64-bit draw decides four deals (16 bits each: probabilities resolve to 1/65,536,
/// far below the simulation's own error), and four separate sums keep the additions from
/// waiting on each other.
fn trial_of_stage(terms: &[Term], theta: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
    let mut sums = [0.0; 4];
    let mut blocks = terms.chunks_exact(4);
    for block in &mut blocks {
        let bits = rng.next_u64();
        for (lane, term) in block.iter().enumerate() {
            sums[lane] += won(term, theta, (bits >> (16 * lane)) as u16);
        }
    }
    let bits = rng.next_u64();
    for (lane, term) in blocks.remainder().iter().enumerate() {
        sums[lane] += won(term, theta, (bits >> (16 * lane)) as u16);
    }
    sums.iter().sum()
}

/// The deal's value if the 16 random bits fall under its probability, else zero, without a
/// branch: a random outcome would mispredict half the time and cost more than the draw.
/// `base` and `slope` are pre-scaled by 2¹⁶.
#[inline(always)]
fn won(term: &Term, theta: f64, bits: u16) -> f64 {
    let hit = f64::from(bits) < term.base + term.slope * theta;
    term.value * f64::from(u8::from(hit))
}
