//! What a record says about who or what it is: a [`Profile`] of normalised values, each
//! tagged with a [`Trait`] (what the value means), built from `(Trait, text)` pairs (or from a
//! stored record by `hints::profile_of`).

use super::text::{self, clean};
use super::words::{bracketed_words, Words};

/// What a value means, whatever the field or column holding it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trait {
    GivenName,
    FamilyName,
    /// A person's whole name, split into given and family name.
    FullName,
    /// A company, shop or other organisation's name (for contacts: their employer).
    Organisation,
    /// A job title.
    Title,
    Email,
    Phone,
    /// A web domain or website.
    Domain,
    StreetNumber,
    /// Street and building lines; several lines are one address.
    Street,
    /// City, suburb or town.
    Locality,
    Postcode,
    /// State, province or county.
    Region,
    Country,
    BirthDate,
    /// A national, tax or registration number.
    Identifier,
    /// Industry, cuisine or any other category.
    Category,
}

/// The normalised values of one record, and the word sets derived from them for comparing.
/// A likeness index holds one profile per existing record, so the values share one string
/// and are read from it where they are used rather than copied out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    /// The values, one after the other.
    text: String,
    /// Which trait each value has and where it lies in `text`, in the order added.
    spans: Vec<Span>,
    /// The first given and family names without spaces, where that differs from the value.
    squashed_given: Option<Box<str>>,
    squashed_family: Option<Box<str>>,
    pub(crate) organisation: Option<Words>,
    pub(crate) title: Option<Words>,
    pub(crate) street: Option<Words>,
    pub(crate) locality: Option<Words>,
    pub(crate) category: Option<Words>,
}

impl Profile {
    /// An empty profile.
    pub fn new() -> Profile {
        Profile::default()
    }

    /// A profile of the given values.
    pub fn from_values<'a>(values: impl IntoIterator<Item = (Trait, &'a str)>) -> Profile {
        let mut profile = Profile::new();
        for (t, value) in values {
            profile.add(t, value);
        }
        profile.shrink_to_fit();
        profile
    }

    /// Gives back the room kept for more values.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.spans.shrink_to_fit();
    }

    /// The profile with one more value.
    pub fn with(mut self, t: Trait, value: &str) -> Profile {
        self.add(t, value);
        self
    }

    /// Adds a value, normalised; blank and unusable values are ignored.
    pub fn add(&mut self, t: Trait, value: &str) {
        match t {
            Trait::FullName => {
                let (given, family) = split_full_name(value);
                if let Some(given) = given {
                    self.push(Trait::GivenName, given);
                }
                if let Some(family) = family {
                    self.push(Trait::FamilyName, family);
                }
            }
            Trait::Street => {
                let tokens = text::street_tokens(value);
                let leading_number = tokens
                    .first()
                    .filter(|t| is_house_number(t) && tokens.len() > 1);
                match leading_number {
                    Some(number) if self.first(Trait::StreetNumber).is_none() => {
                        self.push(Trait::StreetNumber, number.clone());
                        self.push(Trait::Street, tokens[1..].join(" "));
                    }
                    _ => self.push(Trait::Street, tokens.join(" ")),
                }
            }
            _ => {
                if let Some(normal) = normalise(t, value) {
                    self.push(t, normal);
                }
            }
        }
    }

    fn push(&mut self, t: Trait, value: String) {
        if value.is_empty() || self.all(t).any(|v| v == value) {
            return;
        }
        let start = self.text.len() as u32;
        self.text.push_str(&value);
        self.spans.push(Span {
            t,
            start,
            end: self.text.len() as u32,
        });
        self.derive(t);
    }

    /// The normalised values, in the order they were added; a profile built from them is
    /// equal to this one.
    pub fn values(&self) -> Vec<(Trait, &str)> {
        self.spans.iter().map(|s| (s.t, s.of(&self.text))).collect()
    }

    /// Whether the profile holds no value at all.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Every value of one trait, in the order added.
    pub(crate) fn all(&self, t: Trait) -> impl Iterator<Item = &str> + Clone {
        self.spans
            .iter()
            .filter(move |s| s.t == t)
            .map(|s| s.of(&self.text))
    }

    /// The first given name, without spaces.
    pub(crate) fn given(&self) -> Option<&str> {
        self.squashed_given
            .as_deref()
            .or_else(|| self.first(Trait::GivenName))
    }

    /// The first family name, without spaces.
    pub(crate) fn family(&self) -> Option<&str> {
        self.squashed_family
            .as_deref()
            .or_else(|| self.first(Trait::FamilyName))
    }

    /// The first value of one trait.
    pub(crate) fn first(&self, t: Trait) -> Option<&str> {
        self.all(t).next()
    }

    fn derive(&mut self, t: Trait) {
        let joined = |p: &Profile| p.all(t).collect::<Vec<_>>().join(" ");
        let squashed = |p: &Profile| {
            p.first(t)
                .filter(|v| v.contains(' '))
                .map(|v| v.replace(' ', "").into())
        };
        match t {
            Trait::GivenName => self.squashed_given = squashed(self),
            Trait::FamilyName => self.squashed_family = squashed(self),
            Trait::Organisation => {
                self.organisation = bracketed_words(&joined(self), true);
            }
            Trait::Title => self.title = bracketed_words(&joined(self), true),
            Trait::Category => self.category = bracketed_words(&joined(self), false),
            Trait::Street => {
                let all: Vec<String> = joined(self).split(' ').map(str::to_string).collect();
                let sequence: Vec<String> = all
                    .iter()
                    .map(|t| text::direction_in_full(t).to_string())
                    .collect();
                let (minor, tokens): (Vec<String>, Vec<String>) =
                    all.into_iter().partition(|t| text::is_direction(t));
                self.street = Words::new(tokens, minor, &sequence);
            }
            Trait::Locality => {
                let first = self.first(t).unwrap_or_default();
                let tokens: Vec<String> = first.split(' ').map(str::to_string).collect();
                self.locality = Words::new(tokens.clone(), vec![], &tokens);
            }
            // The rest are read from the entries as they are.
            _ => {}
        }
    }
}

/// Where one value of a [`Profile`] lies in its text.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    t: Trait,
    start: u32,
    end: u32,
}

impl Span {
    fn of(self, text: &str) -> &str {
        &text[self.start as usize..self.end as usize]
    }
}

/// `12`, `12a`: digits with at most one letter after them (`3rd` is a street name).
fn is_house_number(token: &str) -> bool {
    let digits = token.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && token.len() - digits.len() <= 1
}

const HONORIFICS: [&str; 10] = [
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "jr", "sr", "iii",
];

fn split_full_name(value: &str) -> (Option<String>, Option<String>) {
    let (first, last) = crate::normalise::split_name(value);
    let tidy = |part: Option<String>| {
        let words: Vec<String> = clean(&part.unwrap_or_default())
            .split(' ')
            .filter(|w| !w.is_empty() && !HONORIFICS.contains(w))
            .map(str::to_string)
            .collect();
        (!words.is_empty()).then(|| words.join(" "))
    };
    match (tidy(first), tidy(last)) {
        // `Dr Smith` leaves only one name: the family name.
        (Some(only), None) if value.contains(',') => (None, Some(only)),
        (given, family) => (given, family),
    }
}

/// The normalised form of a value of a trait, or `None` when nothing usable is left.
fn normalise(t: Trait, value: &str) -> Option<String> {
    let value = value.trim();
    let normal = match t {
        Trait::Email => {
            let email = value.to_lowercase();
            let (local, domain) = email.split_once('@')?;
            if local.is_empty() || !domain.contains('.') {
                return None;
            }
            email
        }
        Trait::Phone => Some(text::digits(value)).filter(|d| d.len() >= 6)?,
        Trait::Domain => domain_of(value)?,
        Trait::StreetNumber | Trait::Postcode | Trait::Identifier => text::alnum(value),
        Trait::BirthDate => birth_date(value)?,
        Trait::Locality => locality(value),
        Trait::Organisation | Trait::Title | Trait::Category => {
            let (main, inner) = text::split_brackets(value);
            let (main, inner) = (clean(&main), clean(&inner));
            match (main.is_empty(), inner.is_empty()) {
                (_, true) => main,
                (true, false) => inner,
                (false, false) => format!("{main} ({inner})"),
            }
        }
        Trait::Street => text::street_tokens(value).join(" "),
        Trait::GivenName | Trait::FamilyName | Trait::FullName | Trait::Region => clean(value),
        Trait::Country => clean(value),
    };
    (!normal.is_empty()).then_some(normal)
}

/// `https://www.Acme.com/about` → `acme.com`; an email gives its domain.
fn domain_of(value: &str) -> Option<String> {
    let lower = value.trim().to_lowercase();
    let rest = lower.rsplit('@').next().unwrap_or_default();
    let rest = rest.split("://").last().unwrap_or_default();
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or_default();
    let host = host.trim_start_matches("www.").trim_matches('.');
    (host.contains('.') && !host.contains(' ')).then(|| host.to_string())
}

/// A town's name with compass abbreviations written out and a trailing `city` dropped
/// (`W. Hollywood` → `west hollywood`, `New York City` → `new york`).
fn locality(value: &str) -> String {
    let cleaned = clean(value);
    let mut words: Vec<&str> = cleaned
        .split(' ')
        .map(|w| match w {
            "n" => "north",
            "s" => "south",
            "e" => "east",
            "w" => "west",
            "st" => "saint",
            "mt" => "mount",
            "ft" => "fort",
            _ => w,
        })
        .collect();
    if words.len() > 1 && words.last() == Some(&"city") {
        words.pop();
    }
    words.join(" ")
}

/// A birth date as `yyyymmdd`: ISO, `yyyymmdd` digits, or the US and European forms the
/// import understands. Eight digits that are not a valid date are kept as they are, since a
/// typing error in one digit still says much.
fn birth_date(value: &str) -> Option<String> {
    let digits = text::digits(value);
    let year = |s: &str| s.parse::<u32>().is_ok_and(|y| (1800..=2100).contains(&y));
    if digits.len() == 8 && digits.len() == value.len() {
        if year(&digits[..4]) {
            return Some(digits);
        }
        if year(&digits[4..]) {
            return Some(format!("{}{}{}", &digits[4..], &digits[2..4], &digits[..2]));
        }
        return Some(digits);
    }
    [crate::DayOrder::MonthFirst, crate::DayOrder::DayFirst]
        .into_iter()
        .find_map(|order| crate::dates::parse_date(value, order).ok())
        .map(|date| date.format("%Y%m%d").to_string())
}
