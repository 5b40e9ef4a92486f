//! Text normalisation for duplicate detection: case and accent folding, punctuation, the
//! abbreviations addresses and company names are written with, ordinals, and the small string
//! measures the comparisons are built from (token similarity, Soundex, edit distance). Every
//! function here is idempotent: normalising normalised text changes nothing.

/// Lower case, accents folded, possessive `'s` and apostrophes dropped, `&` as `and`, every
/// other character that is not a letter or digit a blank, blanks collapsed.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '\'' | '’' | '`' | '´') {
            // `morton's` → `morton`; `o'brien` → `obrien`.
            let s_follows = matches!(chars.get(i + 1), Some('s' | 'S'))
                && !chars.get(i + 2).is_some_and(|c| c.is_alphanumeric());
            i += if s_follows { 2 } else { 1 };
            continue;
        }
        if c == '&' {
            out.push_str(" and ");
        } else if c.is_alphanumeric() {
            // Lowercasing can add a combining mark (`İ` → `i` + U+0307) that a second pass
            // would read as a separator, so only letters and digits are kept.
            for lower in c.to_lowercase().filter(|c| c.is_alphanumeric()) {
                match fold(lower) {
                    Some(folded) => out.push_str(folded),
                    None => out.push(lower),
                }
            }
        } else {
            out.push(' ');
        }
        i += 1;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
        'ý' | 'ÿ' => "y",
        'ś' | 'š' => "s",
        'ž' | 'ź' | 'ż' => "z",
        'ł' => "l",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        _ => return None,
    })
}

/// Only the letters and digits of a text, lower case (`+1 (415) 555` → `1415555`).
pub fn alnum(text: &str) -> String {
    clean(text).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Only the digits of a text.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

const ORDINALS: [(&str, &str); 12] = [
    ("first", "1st"),
    ("second", "2nd"),
    ("third", "3rd"),
    ("fourth", "4th"),
    ("fifth", "5th"),
    ("sixth", "6th"),
    ("seventh", "7th"),
    ("eighth", "8th"),
    ("ninth", "9th"),
    ("tenth", "10th"),
    ("eleventh", "11th"),
    ("twelfth", "12th"),
];

/// `third` and `3rd` are one token: `3rd`.
pub fn ordinal(token: &str) -> &str {
    ORDINALS
        .iter()
        .find(|(word, _)| *word == token)
        .map_or(token, |(_, short)| short)
}

/// Street-type and place abbreviations with their full word.
const STREET_WORDS: [(&str, &str); 34] = [
    ("st", "street"),
    ("str", "street"),
    ("sts", "streets"),
    ("rd", "road"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("blvd", "boulevard"),
    ("blv", "boulevard"),
    ("bvd", "boulevard"),
    ("ln", "lane"),
    ("dr", "drive"),
    ("ct", "court"),
    ("crt", "court"),
    ("pl", "place"),
    ("sq", "square"),
    ("hwy", "highway"),
    ("pkwy", "parkway"),
    ("pky", "parkway"),
    ("cres", "crescent"),
    ("cr", "crescent"),
    ("cir", "circle"),
    ("ter", "terrace"),
    ("tce", "terrace"),
    ("pde", "parade"),
    ("esp", "esplanade"),
    ("ctr", "center"),
    ("centre", "center"),
    ("plz", "plaza"),
    ("mt", "mount"),
    ("ft", "fort"),
    ("apt", "apartment"),
    ("bldg", "building"),
    ("fl", "floor"),
    ("hts", "heights"),
];

/// Compass words, which addresses add or drop freely (`1972 n. hillhurst ave.`).
const DIRECTIONS: [(&str, &str); 8] = [
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
    ("northeast", "ne"),
    ("northwest", "nw"),
    ("southeast", "se"),
    ("southwest", "sw"),
];

/// Whether a (normalised) token is a compass direction.
pub fn is_direction(token: &str) -> bool {
    DIRECTIONS.iter().any(|(_, short)| *short == token)
}

/// A compass abbreviation in full (`n` → `north`); other words as they are.
pub fn direction_in_full(token: &str) -> &str {
    DIRECTIONS
        .iter()
        .find(|(_, short)| *short == token)
        .map_or(token, |(long, _)| long)
}

/// The tokens of a street address with abbreviations written out, ordinals as numbers and
/// directions shortened (`435 S. La Cienega Blvd.` → `435 s la cienega boulevard`). A leading
/// `st` is a saint; `la` is a lane only at the end.
pub fn street_tokens(text: &str) -> Vec<String> {
    let raw = clean(text);
    let tokens: Vec<&str> = raw.split(' ').filter(|t| !t.is_empty()).collect();
    let last = tokens.len().saturating_sub(1);
    tokens
        .iter()
        .enumerate()
        .map(|(i, &token)| {
            let token = ordinal(token);
            if let Some((_, short)) = DIRECTIONS.iter().find(|(long, _)| *long == token) {
                return (*short).to_string();
            }
            if token == "st" && i == 0 && tokens.len() > 1 {
                return "saint".to_string();
            }
            if token == "la" && i == last && i > 0 {
                return "lane".to_string();
            }
            match STREET_WORDS.iter().find(|(short, _)| *short == token) {
                Some((_, long)) => (*long).to_string(),
                None => token.to_string(),
            }
        })
        .collect()
}

/// Words that say nothing about which organisation is meant: articles and legal forms.
const ORGANISATION_NOISE: [&str; 32] = [
    "the",
    "and",
    "of",
    "at",
    "on",
    "in",
    "for",
    "a",
    "an",
    "by",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "plc",
    "pty",
    "ag",
    "sa",
    "nv",
    "bv",
    "srl",
    "sarl",
    "oy",
    "kk",
];

/// Whether a token of an organisation name carries no identity.
pub fn is_organisation_noise(token: &str) -> bool {
    ORGANISATION_NOISE.contains(&token)
}

/// Splits `Spago (Los Angeles)` into the name and its bracketed qualifiers.
pub fn split_brackets(text: &str) -> (String, String) {
    let mut main = String::new();
    let mut inner = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                inner.push(' ');
            }
            ')' | ']' if depth > 0 => {
                depth -= 1;
                inner.push(' ');
            }
            _ if depth > 0 => inner.push(c),
            _ => main.push(c),
        }
    }
    (main, inner)
}

/// American Soundex (`robert` → `r163`); empty for text without letters.
pub fn soundex(text: &str) -> String {
    let letters: Vec<char> = text.chars().filter(char::is_ascii_alphabetic).collect();
    let Some(&first) = letters.first() else {
        return String::new();
    };
    let code = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => '1',
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
        'd' | 't' => '3',
        'l' => '4',
        'm' | 'n' => '5',
        'r' => '6',
        _ => '0',
    };
    let mut out = String::from(first);
    let mut previous = code(first);
    for &c in &letters[1..] {
        let digit = code(c);
        if digit != '0' && digit != previous {
            out.push(digit);
            if out.len() == 4 {
                break;
            }
        }
        if c != 'h' && c != 'w' {
            previous = digit;
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

/// How alike two normalised tokens are, 0 to 1: equal 1; numbers only when equal; an
/// abbreviation that is a prefix of a longer word (`deli`, `delicatessen`) 0.9; otherwise,
/// for words of five letters or more, their Jaro-Winkler similarity when it is high enough to
/// be a typing error. Short words must be equal: `chin` is not `ching`.
pub fn token_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.chars().any(|c| c.is_ascii_digit()) || b.chars().any(|c| c.is_ascii_digit()) {
        return 0.0;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 3 && long.len() >= short.len() + 2 && long.starts_with(short) {
        return 0.9;
    }
    if short.len() < 5 {
        return 0.0;
    }
    if long.len() > 2 * short.len() {
        return 0.0;
    }
    if one_edit(a, b) {
        return strsim::jaro_winkler(a, b).max(0.88);
    }
    jaro_winkler_at_least(a, b, 0.9).unwrap_or(0.0)
}

/// The Jaro-Winkler similarity of two texts when it is at least `floor`. Texts that share too
/// few characters to get there are turned away without computing it.
pub fn jaro_winkler_at_least(a: &str, b: &str, floor: f64) -> Option<f64> {
    if a.is_ascii() && b.is_ascii() && !a.is_empty() && !b.is_empty() {
        let mut counts = [0i32; 128];
        for c in a.bytes() {
            counts[usize::from(c)] += 1;
        }
        let mut shared = 0usize;
        for c in b.bytes() {
            let slot = &mut counts[usize::from(c)];
            if *slot > 0 {
                *slot -= 1;
                shared += 1;
            }
        }
        let m = shared as f64;
        let jaro_bound = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
        // The Winkler bonus for a shared prefix of up to four letters.
        if jaro_bound + 0.4 * (1.0 - jaro_bound) < floor {
            return None;
        }
    }
    Some(strsim::jaro_winkler(a, b)).filter(|jw| *jw >= floor)
}

/// Whether a word and two words run together are the same (`lubuma` + `place`,
/// `lubumaplace`), a typing error forgiven in long ones.
pub fn joined_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        1.0
    } else if a.len().min(b.len()) >= 6 && one_edit(a, b) {
        0.9
    } else {
        0.0
    }
}

/// Whether two codes differ by at most one substituted character or one swap of neighbours.
pub fn one_typo_apart(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.len() >= 3 && one_edit(a, b)
}

/// Whether two texts are at most one edit apart: a character changed, added or dropped, or
/// two neighbours swapped (Damerau–Levenshtein distance ≤ 1), in linear time.
pub fn one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let start = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if start == short.len() {
        return true;
    }
    if short.len() == long.len() {
        let rest_equal = |from: usize| short[from..] == long[from..];
        // One change, or two neighbours swapped.
        rest_equal(start + 1)
            || (start + 1 < short.len()
                && short[start] == long[start + 1]
                && short[start + 1] == long[start]
                && rest_equal(start + 2))
    } else {
        short[start..] == long[start + 1..]
    }
}

/// Whether `short` is the initials of `long` (`nsw`, `new south wales`).
pub fn initials_of(short: &str, long: &str) -> bool {
    let words: Vec<&str> = long.split(' ').collect();
    words.len() >= 2
        && !short.contains(' ')
        && short.len() == words.len()
        && words
            .iter()
            .zip(short.chars())
            .all(|(w, c)| w.starts_with(c))
}
