//! Turning field agreements into one confidence, Fellegi–Sunter style. For each field and
//! level, `m` is the chance that two records of the same person or company agree that far and
//! `u` the chance that two unrelated records do; the evidence of a pair is the sum of
//! `log2(m / u)` over the fields both records have (a missing value adds nothing).
//!
//! `m` comes from the published priors below (how often duplicates keep a value intact).
//! `u` is measured on the records themselves, without any labels: exact agreement by how
//! common the shared value is (two `smith`s say less than two `siggins`), the other levels on a
//! fixed sample of random pairs, which are almost all unrelated. The confidence is the
//! posterior probability with prior odds `1 : n` (each record has about one twin among `n`).

use super::compare::{self, Field, Level, Outcome, FIELD_COUNT};
use super::index::{hash, HashMap};
use super::profile::Profile;
use super::words::TokenWeight;

/// `m` per field and level (exact, close, partial, different): how duplicates agree.
fn m(field: Field) -> [f64; 4] {
    match field {
        Field::GivenName | Field::FamilyName => [0.80, 0.11, 0.04, 0.05],
        Field::Organisation => [0.55, 0.38, 0.04, 0.03],
        Field::Title => [0.50, 0.0, 0.20, 0.30],
        Field::Email => [0.85, 0.05, 0.0, 0.10],
        Field::Phone => [0.80, 0.05, 0.0, 0.15],
        Field::Domain => [0.85, 0.0, 0.0, 0.15],
        Field::Address => [0.65, 0.17, 0.06, 0.12],
        Field::Locality => [0.72, 0.10, 0.0, 0.18],
        Field::Postcode => [0.85, 0.08, 0.0, 0.07],
        Field::Region => [0.90, 0.03, 0.0, 0.07],
        Field::Country => [0.95, 0.02, 0.0, 0.03],
        Field::BirthDate => [0.82, 0.10, 0.03, 0.05],
        Field::Identifier => [0.82, 0.10, 0.0, 0.08],
        Field::Category => [0.35, 0.0, 0.20, 0.45],
    }
}

/// `u` before any data is seen, per field and level. Measured frequencies are blended with it
/// (as [`PSEUDO_COUNT`] pairs' worth), so small record sets do not over-trust themselves.
fn u_prior(field: Field) -> [f64; 4] {
    match field {
        Field::GivenName => [0.01, 0.01, 0.05, 0.93],
        Field::FamilyName => [0.005, 0.005, 0.03, 0.96],
        Field::Organisation => [0.001, 0.002, 0.01, 0.987],
        Field::Title => [0.05, 0.0, 0.1, 0.85],
        Field::Email | Field::Phone | Field::Identifier => [0.0001, 0.0005, 0.0, 0.9994],
        Field::Domain => [0.001, 0.0, 0.0, 0.999],
        Field::Address => [0.0005, 0.002, 0.01, 0.9875],
        Field::Locality => [0.02, 0.01, 0.0, 0.97],
        Field::Postcode => [0.005, 0.01, 0.0, 0.985],
        Field::Region => [0.2, 0.01, 0.0, 0.79],
        Field::Country => [0.5, 0.01, 0.0, 0.49],
        Field::BirthDate => [0.0002, 0.002, 0.01, 0.9878],
        Field::Category => [0.1, 0.0, 0.2, 0.7],
    }
}

/// The most evidence agreement on a field can give, in bits. Places, categories and titles
/// are shared by many unrelated records, however rare a value looks in one set. Partial
/// agreement is weak evidence whatever a sample says; two organisation names that share a
/// word but each have words the other lacks (`Ritz-Carlton Café`, `Ritz-Carlton Dining Room`)
/// are more often two outlets of one brand than one company, so they count against.
fn max_bits(field: Field, level: Level) -> f64 {
    let for_field = match field {
        Field::Locality | Field::Title => 4.0,
        Field::Category | Field::Region => 2.0,
        Field::Country => 1.0,
        _ => MAX_WEIGHT,
    };
    let for_level = match (field, level) {
        (Field::Organisation, Level::Partial) => -1.5,
        (_, Level::Partial) => 3.0,
        _ => MAX_WEIGHT,
    };
    f64::min(for_field, for_level)
}

const PSEUDO_COUNT: f64 = 20.0;
const SAMPLE_PAIRS: usize = 10_000;
const MAX_WEIGHT: f64 = 24.0;
const MIN_WEIGHT: f64 = -12.0;

/// What the model has learnt from a set of profiles.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    n: usize,
    present: [f64; FIELD_COUNT],
    counts: HashMap<(usize, u64), u32>,
    document_frequency: HashMap<(usize, u64), u32>,
    u: [[f64; 4]; FIELD_COUNT],
}

impl TokenWeight for Model {
    fn weight(&self, field: Field, token: &str) -> f64 {
        let present = self.present[field.index()].max(1.0);
        let df = self
            .document_frequency
            .get(&(field.index(), hash(&[token])))
            .copied()
            .unwrap_or(0);
        (1.0 + present / (f64::from(df) + 1.0)).ln()
    }
}

impl Model {
    /// The model before any data: prior frequencies, as if among a thousand records.
    pub fn prior() -> Model {
        let mut model = Model::fit(&[]);
        model.n = 1000;
        model
    }

    /// Counts how common each value and word is in the profiles and measures `u` on them.
    pub fn fit(profiles: &[Profile]) -> Model {
        let mut model = Model {
            n: profiles.len(),
            present: [0.0; FIELD_COUNT],
            counts: HashMap::default(),
            document_frequency: HashMap::default(),
            u: [[0.0; 4]; FIELD_COUNT],
        };
        for p in profiles {
            let mut seen = [false; FIELD_COUNT];
            for (field, key) in compare::exact_keys(p) {
                *model.counts.entry((field.index(), key)).or_insert(0) += 1;
                seen[field.index()] = true;
            }
            for (field, words) in [
                (Field::Organisation, &p.organisation),
                (Field::Address, &p.street),
                (Field::Locality, &p.locality),
                (Field::Title, &p.title),
                (Field::Category, &p.category),
            ] {
                let Some(words) = words else { continue };
                seen[field.index()] = true;
                let mut distinct: Vec<&str> = words.tokens().chain(words.minor()).collect();
                distinct.sort();
                distinct.dedup();
                for token in distinct {
                    *model
                        .document_frequency
                        .entry((field.index(), hash(&[token])))
                        .or_insert(0) += 1;
                }
            }
            for (i, s) in seen.iter().enumerate() {
                if *s {
                    model.present[i] += 1.0;
                }
            }
        }
        model.u = model.sample_u(profiles);
        model
    }

    /// `u` per field and level from random pairs (all pairs when there are few).
    fn sample_u(&self, profiles: &[Profile]) -> [[f64; 4]; FIELD_COUNT] {
        let n = profiles.len();
        let mut counts = [[0.0f64; 4]; FIELD_COUNT];
        let mut visit = |i: usize, j: usize| {
            let (Some(a), Some(b)) = (profiles.get(i), profiles.get(j)) else {
                return;
            };
            for (f, outcome) in compare::compare(a, b, self).iter().enumerate() {
                if let Some(o) = outcome {
                    counts[f][o.level.index()] += 1.0;
                }
            }
        };
        if n * n.saturating_sub(1) / 2 <= SAMPLE_PAIRS {
            for i in 0..n {
                for j in i + 1..n {
                    visit(i, j);
                }
            }
        } else {
            let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % n as u64) as usize
            };
            for _ in 0..SAMPLE_PAIRS {
                let (i, j) = (next(), next());
                if i != j {
                    visit(i, j);
                }
            }
        }
        let mut u = [[0.0; 4]; FIELD_COUNT];
        for field in Field::ALL {
            let f = field.index();
            let prior = u_prior(field);
            let total: f64 = counts[f].iter().sum();
            for level in Level::ALL {
                let l = level.index();
                let estimate = (counts[f][l] + PSEUDO_COUNT * prior[l]) / (total + PSEUDO_COUNT);
                // A sample cannot show anything rarer than one pair in the sample.
                u[f][l] = if total > 0.0 {
                    estimate.max(0.5 / total)
                } else {
                    estimate
                };
            }
            // Agreeing less never weighs more than agreeing more (a rare kind of near miss
            // is still a near miss).
            let m = m(field);
            for l in 1..3 {
                if m[l - 1] > 0.0 {
                    u[f][l] = u[f][l].max(m[l] * u[f][l - 1] / m[l - 1]);
                }
            }
        }
        u
    }

    /// The weight of evidence (in bits) of one field's outcome. `in_set` says whether the
    /// compared record is itself among the fitted profiles (its own value is then not counted
    /// as another record sharing it).
    fn weight(&self, field: Field, outcome: Outcome, in_set: bool) -> f64 {
        let f = field.index();
        let m = m(field)[outcome.level.index()].max(0.005);
        let u = if outcome.level == Level::Exact {
            let count = f64::from(self.counts.get(&(f, outcome.key)).copied().unwrap_or(0));
            let others = if in_set { count - 1.0 } else { count }.max(1.0);
            let prior = u_prior(field)[0];
            if self.present[f] > 0.0 {
                (others + PSEUDO_COUNT * prior) / (self.present[f] + PSEUDO_COUNT)
            } else {
                prior
            }
        } else {
            self.u[f][outcome.level.index()]
        };
        (m / u)
            .log2()
            .clamp(MIN_WEIGHT, max_bits(field, outcome.level))
    }

    /// The evidence of each compared field, in bits.
    ///
    /// Places nest: agreeing on the street address already says the town, the postcode and the
    /// region agree, so those then add no evidence of their own (disagreeing still counts);
    /// likewise a postcode or a town says the region and the country.
    pub fn evidence(&self, a: &Profile, b: &Profile, in_set: bool) -> Vec<(Field, Level, f64)> {
        let outcomes = compare::compare(a, b, self);
        let agrees = |field: Field, close_enough: bool| {
            outcomes[field.index()].is_some_and(|o| {
                o.level == Level::Exact || (close_enough && o.level == Level::Close)
            })
        };
        let implied = |field: Field| match field {
            Field::Locality | Field::Postcode => agrees(Field::Address, true),
            Field::Region | Field::Country => {
                agrees(Field::Address, true)
                    || agrees(Field::Postcode, false)
                    || agrees(Field::Locality, false)
            }
            _ => false,
        };
        outcomes
            .iter()
            .zip(Field::ALL)
            .filter_map(|(outcome, field)| {
                let o = (*outcome)?;
                let bits = self.weight(field, o, in_set);
                let bits = if implied(field) { bits.min(0.0) } else { bits };
                Some((field, o.level, bits))
            })
            .collect()
    }

    /// The probability that `a` and `b` are the same (0 to 1).
    pub fn confidence(&self, a: &Profile, b: &Profile, in_set: bool) -> f64 {
        let bits = self
            .evidence(a, b, in_set)
            .iter()
            .map(|(_, _, w)| w)
            .sum::<f64>();
        let prior = (self.n.max(2) as f64).log2();
        1.0 / (1.0 + (prior - bits).exp2())
    }
}
