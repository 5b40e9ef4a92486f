//! Blocking: which records are worth comparing at all. Every profile gets several keys (sound
//! of the family name with the postcode, both names in either order, birth date, national id,
//! email, phone, house number with the street, words of an organisation's name, …); two
//! records are candidates when they share any key. A key shared by too many records (a common
//! word, a default value) says nothing and is skipped, so the work stays near linear in the
//! number of records. The [`Index`] keeps the keys and the fitted model of a set of profiles.
//! Keys and value counts are 64-bit hashes ([`hash`]) in maps that do not hash them again.

use super::model::Model;
use super::profile::{Profile, Trait};
use super::text::soundex;
use super::ScoredPair;

/// A block with more records than this is skipped: its key is too common to tell anything.
pub const MAX_BLOCK: usize = 200;

/// The blocking keys of a profile.
pub(crate) fn block_keys(p: &Profile) -> Vec<u64> {
    let mut keys = Vec::new();
    let prefix = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let given = p.given().map(soundex);
    let family = p.family().map(soundex);
    let postcode = p.first(Trait::Postcode);
    if let (Some(f), Some(pc)) = (&family, postcode) {
        keys.push(hash(&["family+postcode", f, pc]));
    }
    if let (Some(g), Some(pc)) = (&given, postcode) {
        keys.push(hash(&["given+postcode", g, pc]));
    }
    if let (Some(g), Some(f)) = (&given, &family) {
        let (x, y) = if g <= f { (g, f) } else { (f, g) };
        keys.push(hash(&["names", x, y]));
    }
    if let (Some(f), Some(birth)) = (&family, p.first(Trait::BirthDate)) {
        keys.push(hash(&["family+birth-year", f, &prefix(birth, 4)]));
    }
    if let Some(birth) = p.first(Trait::BirthDate) {
        // With a name's first letter (either name, for names written the wrong way round) or
        // the postcode: a birth date alone is shared by too many people in a large set.
        for name in [p.given(), p.family()].into_iter().flatten() {
            keys.push(hash(&["birth+initial", birth, &prefix(name, 1)]));
        }
        if let Some(pc) = postcode {
            keys.push(hash(&["birth+postcode", birth, pc]));
        }
    }
    for id in p.all(Trait::Identifier) {
        keys.push(hash(&["id", id]));
    }
    for email in p.all(Trait::Email) {
        keys.push(hash(&["email", email]));
        if let Some((local, _)) = email.split_once('@') {
            if local.len() >= 4 {
                keys.push(hash(&["email-local", local]));
            }
        }
    }
    for phone in p.all(Trait::Phone) {
        keys.push(hash(&["phone", super::compare::phone_tail(phone)]));
    }
    for domain in p.all(Trait::Domain) {
        keys.push(hash(&["domain", domain]));
    }
    let street_word = p.street.as_ref().and_then(|s| s.tokens().next());
    for number in p.all(Trait::StreetNumber) {
        if let Some(pc) = postcode {
            keys.push(hash(&["number+postcode", number, pc]));
        }
        if let Some(word) = street_word {
            keys.push(hash(&["number+street", number, &prefix(word, 3)]));
        }
    }
    if let Some(org) = &p.organisation {
        for token in org.tokens().filter(|t| t.chars().count() >= 2) {
            keys.push(hash(&["organisation-word", &prefix(token, 4)]));
        }
        let squashed: String = org.tokens().collect();
        keys.push(hash(&["organisation-start", &prefix(&squashed, 6)]));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A set of existing profiles, ready to be searched for the duplicates of a new one.
#[derive(Debug, Clone)]
pub struct Index {
    profiles: Vec<Profile>,
    /// Blocking key → where its profiles' positions lie in `members` (start, length). One
    /// flat list instead of a list per key: most keys (an email, a phone) have one member.
    blocks: HashMap<u64, (u32, u32)>,
    members: Vec<u32>,
    model: Model,
}

impl Index {
    /// Indexes the profiles and measures how common their values are.
    pub fn new(profiles: Vec<Profile>) -> Index {
        let mut keyed: Vec<(u64, u32)> = Vec::new();
        for (i, p) in profiles.iter().enumerate() {
            keyed.extend(block_keys(p).into_iter().map(|key| (key, i as u32)));
        }
        keyed.sort_unstable();
        let mut blocks: HashMap<u64, (u32, u32)> = HashMap::default();
        for (position, &(key, _)) in keyed.iter().enumerate() {
            blocks.entry(key).or_insert((position as u32, 0)).1 += 1;
        }
        let members = keyed.into_iter().map(|(_, i)| i).collect();
        let model = Model::fit(&profiles);
        Index {
            profiles,
            blocks,
            members,
            model,
        }
    }

    /// The positions of the profiles with each key, one slice per key.
    fn block(&self, &(start, len): &(u32, u32)) -> &[u32] {
        &self.members[start as usize..(start + len) as usize]
    }

    /// The indexed profiles, in the order given.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The indexed profiles that may be the same as `profile`, each with the confidence that
    /// it is (0 to 1), most likely first. `profile` is a new record, not one of the indexed.
    pub fn matches(&self, profile: &Profile) -> Vec<(usize, f64)> {
        let mut candidates: Vec<u32> = block_keys(profile)
            .iter()
            .filter_map(|key| self.blocks.get(key))
            .map(|span| self.block(span))
            .filter(|block| block.len() <= MAX_BLOCK)
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut scored: Vec<(usize, f64)> = candidates
            .into_iter()
            .filter_map(|i| {
                let other = self.profiles.get(i as usize)?;
                Some((i as usize, self.model.confidence(profile, other, false)))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }

    /// The confidence that indexed profiles `a` and `b` are the same; `None` if either is out
    /// of range.
    pub fn score(&self, a: usize, b: usize) -> Option<f64> {
        let (pa, pb) = (self.profiles.get(a)?, self.profiles.get(b)?);
        Some(self.model.confidence(pa, pb, true))
    }

    /// Why indexed profiles `a` and `b` look alike or not: each compared field with its level
    /// of agreement and its weight of evidence in bits (positive for a match).
    pub fn explain(&self, a: usize, b: usize) -> Vec<super::Evidence> {
        let (Some(pa), Some(pb)) = (self.profiles.get(a), self.profiles.get(b)) else {
            return Vec::new();
        };
        self.model
            .evidence(pa, pb, true)
            .into_iter()
            .map(|(field, level, bits)| super::Evidence { field, level, bits })
            .collect()
    }

    /// Every pair of indexed profiles that share a blocking key, `a < b`, in order.
    pub fn candidate_pairs(&self) -> Vec<(usize, usize)> {
        let mut pairs: Vec<u64> = Vec::new();
        for block in self.blocks.values().map(|span| self.block(span)) {
            if block.len() < 2 || block.len() > MAX_BLOCK {
                continue;
            }
            for (x, &i) in block.iter().enumerate() {
                for &j in &block[x + 1..] {
                    pairs.push((u64::from(i) << 32) | u64::from(j));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
            .into_iter()
            .map(|p| ((p >> 32) as usize, (p & 0xffff_ffff) as usize))
            .collect()
    }

    /// Every candidate pair with its confidence.
    pub fn scored_pairs(&self) -> Vec<ScoredPair> {
        self.candidate_pairs()
            .into_iter()
            .filter_map(|(a, b)| {
                self.score(a, b)
                    .map(|confidence| ScoredPair { a, b, confidence })
            })
            .collect()
    }
}

/// A 64-bit FNV-1a hash of the parts, for blocking keys and value counts.
pub fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A hasher for keys that are already hashes (`u64`s from [`hash`]): mixes them once instead
/// of running SipHash over them again.
#[derive(Debug, Clone, Copy, Default)]
pub struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A map keyed by pre-hashed values.
pub type HashMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<PreHashed>>;
