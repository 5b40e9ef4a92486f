//! Comparing two profiles field by field. Each comparable field gives a [`Level`] of
//! agreement (or nothing, when either side lacks the value, so missing values are neutral),
//! and for exact agreement a key of the shared value, so the model can weigh agreement on a
//! rare value (`siggins`) above agreement on a common one (`smith`).

use super::index::hash;
use super::profile::{Profile, Trait};
use super::text::{self, one_typo_apart};
use super::words::{words_level, TokenWeight, Words};

/// How far two values agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// The same value once normalised.
    Exact,
    /// A typing error apart, or one contains the other.
    Close,
    /// Some real overlap.
    Partial,
    Different,
}

impl Level {
    pub(crate) const ALL: [Level; 4] =
        [Level::Exact, Level::Close, Level::Partial, Level::Different];

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The things compared; several traits can feed one (street number and street are one
/// address; full names become given and family names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    GivenName,
    FamilyName,
    Organisation,
    Title,
    Email,
    Phone,
    Domain,
    Address,
    Locality,
    Postcode,
    Region,
    Country,
    BirthDate,
    Identifier,
    Category,
}

pub(crate) const FIELD_COUNT: usize = 15;

impl Field {
    pub(crate) const ALL: [Field; FIELD_COUNT] = [
        Field::GivenName,
        Field::FamilyName,
        Field::Organisation,
        Field::Title,
        Field::Email,
        Field::Phone,
        Field::Domain,
        Field::Address,
        Field::Locality,
        Field::Postcode,
        Field::Region,
        Field::Country,
        Field::BirthDate,
        Field::Identifier,
        Field::Category,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One field's agreement, with the hash of the shared value when it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub level: Level,
    pub key: u64,
}

fn level(level: Level) -> Option<Outcome> {
    Some(Outcome { level, key: 0 })
}

fn exact(key: u64) -> Option<Outcome> {
    Some(Outcome {
        level: Level::Exact,
        key,
    })
}

/// The keys a profile has exact agreement on, per field (what [`compare`] reports as `key`).
pub(crate) fn exact_keys(p: &Profile) -> Vec<(Field, u64)> {
    let mut keys = Vec::new();
    let mut one = |field: Field, value: Option<&str>| {
        if let Some(v) = value {
            keys.push((field, hash(&[v])));
        }
    };
    one(Field::GivenName, p.given());
    one(Field::FamilyName, p.family());
    one(
        Field::Organisation,
        p.organisation.as_ref().map(|w| w.key()),
    );
    one(Field::Title, p.title.as_ref().map(|w| w.key()));
    one(Field::Locality, p.locality.as_ref().map(|w| w.key()));
    one(Field::Category, p.category.as_ref().map(|w| w.key()));
    one(Field::Postcode, p.first(Trait::Postcode));
    one(Field::Region, p.first(Trait::Region));
    one(Field::Country, p.first(Trait::Country));
    one(Field::BirthDate, p.first(Trait::BirthDate));
    for (field, t) in [
        (Field::Email, Trait::Email),
        (Field::Domain, Trait::Domain),
        (Field::Identifier, Trait::Identifier),
    ] {
        for v in p.all(t) {
            keys.push((field, hash(&[v])));
        }
    }
    for v in p.all(Trait::Phone) {
        keys.push((Field::Phone, hash(&[phone_tail(v)])));
    }
    if let Some(street) = &p.street {
        if p.first(Trait::StreetNumber).is_none() {
            keys.push((Field::Address, hash(&["", street.key()])));
        }
        for number in p.all(Trait::StreetNumber) {
            keys.push((Field::Address, hash(&[number, street.key()])));
        }
    }
    keys
}

/// Compares two profiles: one outcome per field, `None` where either side has no value.
pub(crate) fn compare(
    a: &Profile,
    b: &Profile,
    weights: &dyn TokenWeight,
) -> [Option<Outcome>; FIELD_COUNT] {
    let mut out = [None; FIELD_COUNT];
    let (given, family) = names(a, b);
    out[Field::GivenName.index()] = given;
    out[Field::FamilyName.index()] = family;
    out[Field::Organisation.index()] =
        both(a.organisation.as_ref(), b.organisation.as_ref(), |x, y| {
            let (level, _, _) = words_level(x, y, Field::Organisation, weights);
            Some(with_key(level, x.key()))
        });
    out[Field::Title.index()] = both(a.title.as_ref(), b.title.as_ref(), |x, y| {
        labels(x, y, Field::Title, weights)
    });
    out[Field::Category.index()] = both(a.category.as_ref(), b.category.as_ref(), |x, y| {
        labels(x, y, Field::Category, weights)
    });
    out[Field::Locality.index()] = both(a.locality.as_ref(), b.locality.as_ref(), |x, y| {
        let (level, hi, _) = words_level(x, y, Field::Locality, weights);
        match level {
            Level::Exact => exact(hash(&[x.key()])),
            _ if hi >= 0.85 => self::level(Level::Close),
            _ if text::initials_of(x.key(), y.key()) || text::initials_of(y.key(), x.key()) => {
                self::level(Level::Close)
            }
            _ => self::level(Level::Different),
        }
    });
    out[Field::Address.index()] = address(a, b, weights);
    out[Field::Postcode.index()] = both(
        a.first(Trait::Postcode),
        b.first(Trait::Postcode),
        typed_code,
    );
    out[Field::Region.index()] = both(a.first(Trait::Region), b.first(Trait::Region), place);
    out[Field::Country.index()] = both(a.first(Trait::Country), b.first(Trait::Country), place);
    out[Field::BirthDate.index()] = both(
        a.first(Trait::BirthDate),
        b.first(Trait::BirthDate),
        |x, y| Some(birth(x, y)),
    );
    out[Field::Email.index()] = any_of(a.all(Trait::Email), b.all(Trait::Email), email);
    out[Field::Phone.index()] = any_of(a.all(Trait::Phone), b.all(Trait::Phone), |x, y| {
        typed_code(phone_tail(x), phone_tail(y))
    });
    out[Field::Domain.index()] = any_of(a.all(Trait::Domain), b.all(Trait::Domain), |x, y| {
        if x == y {
            exact(hash(&[x]))
        } else {
            level(Level::Different)
        }
    });
    let (ids_a, ids_b) = (a.all(Trait::Identifier), b.all(Trait::Identifier));
    out[Field::Identifier.index()] = any_of(ids_a, ids_b, |x, y| {
        if x == y {
            exact(hash(&[x]))
        } else if x.len() >= 5 && one_typo_apart(x, y) {
            level(Level::Close)
        } else {
            level(Level::Different)
        }
    });
    out
}

fn both<T>(a: Option<T>, b: Option<T>, f: impl Fn(T, T) -> Option<Outcome>) -> Option<Outcome> {
    match (a, b) {
        (Some(x), Some(y)) => f(x, y),
        _ => None,
    }
}

/// The best agreement between any value of one side and any of the other.
fn any_of<'a>(
    a: impl Iterator<Item = &'a str>,
    b: impl Iterator<Item = &'a str> + Clone,
    f: impl Fn(&str, &str) -> Option<Outcome>,
) -> Option<Outcome> {
    a.flat_map(|x| b.clone().map(move |y| (x, y)))
        .filter_map(|(x, y)| f(x, y))
        .min_by_key(|o| o.level.index())
}

fn with_key(level: Level, key: &str) -> Outcome {
    Outcome {
        level,
        key: if level == Level::Exact {
            hash(&[key])
        } else {
            0
        },
    }
}

/// The last nine digits: the subscriber number, whatever country prefix is written.
pub(crate) fn phone_tail(digits: &str) -> &str {
    &digits[digits.len().saturating_sub(9)..]
}

/// A code typed by hand (postcode, phone number): equal, one typing error apart, or different.
fn typed_code(x: &str, y: &str) -> Option<Outcome> {
    if x == y {
        exact(hash(&[x]))
    } else if one_typo_apart(x, y) {
        level(Level::Close)
    } else {
        level(Level::Different)
    }
}

fn place(x: &str, y: &str) -> Option<Outcome> {
    if x == y {
        exact(hash(&[x]))
    } else if text::initials_of(x, y) || text::initials_of(y, x) {
        level(Level::Close)
    } else {
        level(Level::Different)
    }
}

fn labels(x: &Words, y: &Words, field: Field, weights: &dyn TokenWeight) -> Option<Outcome> {
    let (level, hi, _) = words_level(x, y, field, weights);
    Some(match level {
        Level::Exact => with_key(level, x.key()),
        _ if hi >= 0.5 => with_key(Level::Partial, ""),
        _ => with_key(Level::Different, ""),
    })
}

fn name_level(a: &str, b: &str) -> Level {
    if a == b {
        return Level::Exact;
    }
    let single = |s: &str| s.chars().nth(1).is_none();
    if single(a) || single(b) {
        return if a.chars().next() == b.chars().next() {
            Level::Partial
        } else {
            Level::Different
        };
    }
    if a.len().min(b.len()) >= 4 && text::one_edit(a, b) {
        return Level::Close;
    }
    match text::jaro_winkler_at_least(a, b, 0.8) {
        Some(jw) if jw >= 0.92 => Level::Close,
        Some(_) => Level::Partial,
        None => Level::Different,
    }
}

/// Given and family names, forgiving names written the wrong way round.
fn names(a: &Profile, b: &Profile) -> (Option<Outcome>, Option<Outcome>) {
    let cmp = |x: Option<&str>, y: Option<&str>| match (x, y) {
        (Some(x), Some(y)) => Some(Outcome {
            level: name_level(x, y),
            key: hash(&[x]),
        }),
        _ => None,
    };
    let given = cmp(a.given(), b.given());
    let family = cmp(a.family(), b.family());
    let good =
        |o: Option<Outcome>| o.is_some_and(|o| matches!(o.level, Level::Exact | Level::Close));
    if !(good(given) && good(family)) {
        let crossed = (cmp(a.given(), b.family()), cmp(a.family(), b.given()));
        if good(crossed.0) && good(crossed.1) {
            return (level(Level::Close), level(Level::Close));
        }
    }
    (given, family)
}

/// A birth date: one mistyped digit, two neighbours swapped or day and month swapped is close.
fn birth(x: &str, y: &str) -> Outcome {
    if x == y {
        return with_key(Level::Exact, x);
    }
    let swapped = x.len() == 8
        && y.len() == 8
        && x[..4] == y[..4]
        && x[4..6] == y[6..8]
        && x[6..8] == y[4..6];
    if swapped || one_typo_apart(x, y) {
        return with_key(Level::Close, "");
    }
    let differing = x.chars().zip(y.chars()).filter(|(p, q)| p != q).count();
    let same_year_and_more = x.len() == 8
        && y.len() == 8
        && x[..4] == y[..4]
        && (x[4..6] == y[4..6] || x[6..8] == y[6..8]);
    if (x.len() == y.len() && differing == 2) || same_year_and_more {
        with_key(Level::Partial, "")
    } else {
        with_key(Level::Different, "")
    }
}

fn email(x: &str, y: &str) -> Option<Outcome> {
    if x == y {
        return exact(hash(&[x]));
    }
    let (xl, xd) = x.split_once('@').unwrap_or((x, ""));
    let (yl, yd) = y.split_once('@').unwrap_or((y, ""));
    if (xl == yl && xl.len() >= 4) || (xd == yd && xl.len() >= 4 && text::one_edit(xl, yl)) {
        level(Level::Close)
    } else {
        level(Level::Different)
    }
}

/// Street number and street together: one address.
fn address(a: &Profile, b: &Profile, weights: &dyn TokenWeight) -> Option<Outcome> {
    let (sa, sb) = (a.street.as_ref()?, b.street.as_ref()?);
    // Some(number) when the numbers agree ("" when neither has one), None when they differ,
    // and no comparison when only one side has a number.
    let (mut numbers_a, numbers_b) = (a.all(Trait::StreetNumber), b.all(Trait::StreetNumber));
    let numbers: Option<Option<&str>> = match (
        numbers_a.clone().next().is_none(),
        numbers_b.clone().next().is_none(),
    ) {
        (false, false) => Some(numbers_a.find(|n| numbers_b.clone().any(|m| m == *n))),
        (true, true) => Some(Some("")),
        _ => None,
    };
    let (street, hi, _) = words_level(sa, sb, Field::Address, weights);
    let street = match street {
        Level::Exact => Level::Exact,
        _ if hi >= 0.9 => Level::Close,
        _ if hi >= 0.5 => Level::Partial,
        _ => Level::Different,
    };
    let level = match (numbers, street) {
        (Some(Some(number)), Level::Exact) => return exact(hash(&[number, sa.key()])),
        (Some(Some(_)), Level::Close | Level::Partial) | (None, Level::Exact) => Level::Close,
        (Some(Some(_)), Level::Different)
        | (Some(None), Level::Exact | Level::Close)
        | (None, Level::Close | Level::Partial) => Level::Partial,
        _ => Level::Different,
    };
    self::level(level)
}
