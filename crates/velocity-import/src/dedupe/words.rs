//! Names and addresses as sets of words: how much of one set the other covers, each word
//! weighted by how much it tells (rare words more than `street` or `cafe`), with typing errors,
//! abbreviations and words split or run together forgiven.

use super::compare::{Field, Level};
use super::text::{self, clean, joined_similarity, token_similarity};

/// Words of a name or address, compared as a set. The four lists live in one string, each a
/// space-separated section ending at `ends`: a likeness index holds one of these per name and
/// address of every existing record, and a single allocation instead of one per word is most
/// of what they weigh.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Words {
    /// The words that say what it is; the qualifiers (bracketed words, compass directions)
    /// that count only when both sides have them; each token joined to the next, so
    /// `lubuma place` meets `lubum a place`; the sorted distinct tokens, whose equality is an
    /// exact match.
    text: Box<str>,
    /// Where the first three sections end (the last ends with the text).
    ends: [u32; 3],
}

fn each_word(list: &str) -> impl Iterator<Item = &str> + Clone {
    list.split(' ').filter(|w| !w.is_empty())
}

impl Words {
    /// Words from the telling tokens, the qualifiers, and the whole sequence as written
    /// (whose neighbours are joined).
    pub(crate) fn new(
        mut tokens: Vec<String>,
        mut minor: Vec<String>,
        sequence: &[String],
    ) -> Option<Words> {
        if tokens.is_empty() {
            tokens = std::mem::take(&mut minor);
        }
        if tokens.is_empty() {
            return None;
        }
        let joined: Vec<String> = sequence
            .windows(2)
            .map(|w| format!("{}{}", w[0], w[1]))
            .collect();
        let mut sorted = tokens.clone();
        sorted.sort();
        sorted.dedup();
        let mut text = String::new();
        let mut ends = [0; 3];
        for (i, section) in [tokens, minor, joined].iter().enumerate() {
            text.push_str(&section.join(" "));
            ends[i] = text.len() as u32;
        }
        text.push_str(&sorted.join(" "));
        Some(Words {
            text: text.into_boxed_str(),
            ends,
        })
    }

    fn section(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        &self.text[start..end]
    }

    pub(crate) fn tokens(&self) -> impl Iterator<Item = &str> + Clone {
        each_word(self.section(0))
    }

    pub(crate) fn minor(&self) -> impl Iterator<Item = &str> + Clone {
        each_word(self.section(1))
    }

    pub(crate) fn joined(&self) -> impl Iterator<Item = &str> + Clone {
        each_word(self.section(2))
    }

    pub(crate) fn key(&self) -> &str {
        self.section(3)
    }
}

/// Words of a name with its bracketed qualifiers apart; organisation names also lose their
/// articles and legal forms.
pub(crate) fn bracketed_words(entry: &str, organisation: bool) -> Option<Words> {
    let (main, inner) = text::split_brackets(entry);
    let keep = |t: &&str| !(organisation && text::is_organisation_noise(t));
    let split = |s: &str| -> Vec<String> {
        let cleaned = clean(s);
        let all: Vec<&str> = cleaned.split(' ').filter(|t| !t.is_empty()).collect();
        let kept: Vec<&str> = all.iter().copied().filter(keep).collect();
        let chosen = if kept.is_empty() { all } else { kept };
        chosen
            .into_iter()
            .map(|t| text::ordinal(t).to_string())
            .collect()
    };
    let tokens = split(&main);
    Words::new(tokens.clone(), split(&inner), &tokens)
}

/// How much a word of a field tells (its inverse document frequency, or 1 without a corpus).
pub(crate) trait TokenWeight {
    fn weight(&self, field: Field, token: &str) -> f64;
}

/// How two sets of words agree: the level, and how much of the better and the worse covered
/// side the other covers (0 to 1, each word weighted by how much it tells).
pub(crate) fn words_level(
    a: &Words,
    b: &Words,
    field: Field,
    weights: &dyn TokenWeight,
) -> (Level, f64, f64) {
    if a.key() == b.key() {
        return (Level::Exact, 1.0, 1.0);
    }
    let (ca, cb) = (
        coverage(a, b, field, weights),
        coverage(b, a, field, weights),
    );
    let (hi, lo) = if ca >= cb { (ca, cb) } else { (cb, ca) };
    let level = if lo >= 0.95 || hi >= 0.9 {
        Level::Close
    } else if hi >= 0.6 {
        Level::Partial
    } else {
        Level::Different
    };
    (level, hi, lo)
}

/// The share of `a`'s words (by weight) that `b` has, typing errors and split or joined words
/// forgiven; qualifiers count only where `b` has them.
fn coverage(a: &Words, b: &Words, field: Field, weights: &dyn TokenWeight) -> f64 {
    let best = |t: &str| {
        let single = b.tokens().chain(b.minor()).map(|u| token_similarity(t, u));
        let joined = b.joined().map(|u| joined_similarity(t, u));
        single.chain(joined).fold(0.0, f64::max)
    };
    let mut total = 0.0;
    let mut matched = 0.0;
    for token in a.tokens() {
        let mut s = best(token);
        if s < 1.0 {
            // `lubum a place` against `lubuma place`: a word split in two.
            for joined in a
                .joined()
                .filter(|j| j.starts_with(token) || j.ends_with(token))
            {
                let t = b
                    .tokens()
                    .map(|u| joined_similarity(joined, u))
                    .fold(0.0, f64::max);
                s = s.max(t);
            }
        }
        let w = weights.weight(field, token);
        total += w;
        matched += w * s;
    }
    for token in a.minor() {
        let s = best(token);
        if s >= 0.85 {
            let w = weights.weight(field, token);
            total += w;
            matched += w * s;
        }
    }
    if total > 0.0 {
        matched / total
    } else {
        0.0
    }
}
