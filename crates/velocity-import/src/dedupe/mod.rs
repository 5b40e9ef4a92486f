//! Fuzzy duplicate detection for contacts and accounts: the same person or company written
//! twice, with typing errors, abbreviations, swapped names, missing values or a new address.
//!
//! A record becomes a [`Profile`] of normalised values tagged with their [`Trait`]
//! ([`profile_of`] reads a stored record). An [`Index`] over existing profiles blocks them by
//! several keys, so only plausible pairs are compared, and scores each pair with a
//! Fellegi–Sunter model whose evidence comes from per-field agreement levels ([`Level`]) and
//! how common the shared values are in the set — no labelled data is needed. Pairs at or above
//! [`MERGE_THRESHOLD`] are the same record; between [`REVIEW_THRESHOLD`] and it a person
//! decides. [`groups`] turns pairs into clusters.
//!
//! Files: `text` normalises, `profile` builds profiles and `hints` reads them off records,
//! `words` and `compare` compare values, `model` weighs the evidence, `index` blocks and
//! searches, `group` clusters.

mod compare;
mod group;
mod hints;
mod index;
mod model;
mod profile;
#[cfg(test)]
mod tests;
mod text;
mod words;

pub use compare::{Field, Level};
pub use group::groups;
pub use hints::{profile_of, trait_of_attribute};
pub use index::{Index, MAX_BLOCK};
pub use profile::{Profile, Trait};

/// At or above this confidence two records are the same and may be merged without asking.
/// Confidences are posterior probabilities (see `model`); on the labelled evaluation sets
/// (FEBRL 1–3, Fodor's/Zagat restaurants; run `dedupe-eval`) at least 99% of the pairs at or
/// above it are true duplicates and at least 95% of the true duplicates reach it.
pub const MERGE_THRESHOLD: f64 = 0.85;

/// At or above this confidence (and below [`MERGE_THRESHOLD`]) a pair goes to a person's
/// review queue: even odds or better, but not sure enough to merge unasked. Below it the
/// records are treated as different.
pub const REVIEW_THRESHOLD: f64 = 0.5;

/// Two records of one set (`a < b`, positions in the set) and how sure the engine is that
/// they are the same (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: usize,
    pub b: usize,
    pub confidence: f64,
}

/// One field's part in a pair's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    pub field: Field,
    pub level: Level,
    /// Weight of evidence in bits: positive for the same record, negative against.
    pub bits: f64,
}

/// The confidence (0 to 1) that two profiles are the same, judged on their own: values are
/// taken to be as common as in a typical CRM of a thousand records. Use an [`Index`] to judge
/// against real frequencies.
pub fn confidence(a: &Profile, b: &Profile) -> f64 {
    model::Model::prior().confidence(a, b, false)
}

/// Every candidate pair of the set (those sharing a blocking key), scored.
pub fn duplicate_pairs(profiles: &[Profile]) -> Vec<ScoredPair> {
    Index::new(profiles.to_vec()).scored_pairs()
}
