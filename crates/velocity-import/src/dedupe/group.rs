//! Grouping scored pairs into clusters of records that are one person or company, with care
//! against chaining: two clusters are joined by a strong pair only if most of the other pairs
//! between them are plausible too, so `A ~ B` and `B ~ C` do not make `A` and `C` one record
//! when `A` and `C` plainly differ.

use super::{ScoredPair, REVIEW_THRESHOLD};
use std::collections::HashMap;

/// The clusters formed by the pairs at or above `threshold`, each a sorted list of record
/// positions with at least two members, ordered by their first member. Pairs are taken
/// strongest first; a pair joins two clusters of more than two records in all only when at
/// least half of the pairs between them score at least [`REVIEW_THRESHOLD`] (pairs that are
/// not in `pairs` count as implausible).
pub fn groups(pairs: &[ScoredPair], threshold: f64) -> Vec<Vec<usize>> {
    let size = pairs.iter().map(|p| p.a.max(p.b) + 1).max().unwrap_or(0);
    let scores: HashMap<(usize, usize), f64> = pairs
        .iter()
        .map(|p| ((p.a.min(p.b), p.a.max(p.b)), p.confidence))
        .collect();
    let plausible = |x: usize, y: usize| {
        scores
            .get(&(x.min(y), x.max(y)))
            .is_some_and(|c| *c >= REVIEW_THRESHOLD)
    };
    let mut strong: Vec<&ScoredPair> = pairs.iter().filter(|p| p.confidence >= threshold).collect();
    strong.sort_by(|x, y| y.confidence.total_cmp(&x.confidence));

    // Each record's cluster id, and each cluster's members.
    let mut cluster: Vec<usize> = (0..size).collect();
    let mut members: Vec<Vec<usize>> = (0..size).map(|x| vec![x]).collect();
    for pair in strong {
        let (ca, cb) = (cluster[pair.a], cluster[pair.b]);
        if ca == cb {
            continue;
        }
        let (left, right) = (&members[ca], &members[cb]);
        let cross = left.len() * right.len();
        if cross > 1 {
            let supported = left
                .iter()
                .flat_map(|&x| right.iter().map(move |&y| (x, y)))
                .filter(|&(x, y)| plausible(x, y))
                .count();
            if supported * 2 < cross {
                continue;
            }
        }
        let (keep, gone) = (ca.min(cb), ca.max(cb));
        let moved = std::mem::take(&mut members[gone]);
        for &x in &moved {
            cluster[x] = keep;
        }
        members[keep].extend(moved);
    }
    let mut out: Vec<Vec<usize>> = members.into_iter().filter(|g| g.len() >= 2).collect();
    for group in &mut out {
        group.sort_unstable();
    }
    out.sort_by_key(|g| g.first().copied());
    out
}
