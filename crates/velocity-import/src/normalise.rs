//! Turning the text of a cell into the value a field stores: trimmed, case-folded emails, E.164
//! phones, dates in any layout exports use, money in US and European notation, percentages,
//! booleans and names. Every function names what was wrong, so a per-row error can say it.

use crate::dates::{self, DayOrder};
use crate::phone;
use crate::values::{best_choice, enum_choices, ValueOverrides};
use serde_json::{json, Value};
use velocity_domain::values;
use velocity_domain::FieldType;

/// What normalising needs to know beyond the cell.
#[derive(Debug, Clone)]
pub struct Context {
    /// ISO 3166 code used for phone numbers written without a country code.
    pub default_country: String,
    pub day_order: DayOrder,
    /// A person's choices for values of enumerated columns.
    pub values: ValueOverrides,
}

/// The stored form of a cell for a field of the given type; `None` for an empty cell.
/// References, members and stages are resolved later (by name, domain or external id), so here
/// they only lose their surrounding blanks.
pub fn normalise(ty: FieldType, raw: &str, context: &Context) -> Result<Option<Value>, String> {
    let text = raw.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    let value = match ty {
        FieldType::Text { max_len } => {
            if text.chars().count() > max_len {
                return Err(format!("is longer than {max_len} characters"));
            }
            json!(text)
        }
        FieldType::Email => json!(values::parse_email(text)?),
        FieldType::Phone => json!(phone::to_e164(text, &context.default_country)?),
        FieldType::Domain => json!(values::parse_domain(text)?),
        FieldType::Integer { min } => {
            let number = parse_number(text)?;
            if number.fract() != 0.0 || number < min as f64 || number > 9.0e15 {
                return Err(format!("`{text}` is not a whole number of at least {min}"));
            }
            json!(number as i64)
        }
        FieldType::Decimal { min } => {
            let (amount, _) = parse_money(text)?;
            if amount < min {
                return Err(format!("`{text}` is below the minimum of {min}"));
            }
            json!(amount)
        }
        FieldType::Probability => json!(parse_probability(text)?),
        FieldType::Currency => json!(values::parse_currency(currency_code(text).unwrap_or(text))?),
        FieldType::Date => json!(dates::parse_date(text, context.day_order)?
            .format("%Y-%m-%d")
            .to_string()),
        FieldType::Timestamp => json!(values::format_timestamp(dates::parse_datetime(
            text,
            context.day_order
        )?)),
        FieldType::Enum(allowed) => {
            let folded = text.to_lowercase().replace([' ', '-'], "_");
            match allowed.iter().find(|a| **a == folded) {
                Some(value) => json!(value),
                None => match best_choice(text, &enum_choices(allowed)) {
                    Some((value, _, _)) => json!(value),
                    None => return Err(format!("`{text}` is not one of {}", allowed.join(", "))),
                },
            }
        }
        FieldType::Ref(_)
        | FieldType::Member
        | FieldType::Stage
        | FieldType::RefList(_)
        | FieldType::Stages => json!(text),
    };
    Ok(Some(value))
}

/// A number with optional thousands separators in either notation.
pub fn parse_number(text: &str) -> Result<f64, String> {
    parse_money(text).map(|(amount, _)| amount)
}

/// An amount of money and, if the cell names it, its currency: `$22,700.00`,
/// `22.700,00 €`, `EUR 1 234,5`, `(1,000)` for a negative amount.
pub fn parse_money(text: &str) -> Result<(f64, Option<&'static str>), String> {
    let invalid = || format!("`{}` is not a number", text.trim());
    let trimmed = text.trim();
    let (negative, inner) = match trimmed.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, trimmed),
    };
    // Salesforce's Data Loader and spreadsheets write large amounts as `6.0E7`.
    if let Some(amount) = scientific(inner) {
        return Ok((if negative { -amount } else { amount }, None));
    }
    let currency = currency_code(inner);
    let number: String = inner
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | '\''))
        .collect();
    let leftover = inner.chars().any(|c| {
        c.is_alphabetic() && !currency.is_some_and(|code| code.contains(c.to_ascii_uppercase()))
    });
    if number.is_empty() || leftover {
        return Err(invalid());
    }
    let canonical = decimal_point_form(&number.replace('\'', ""));
    let amount: f64 = canonical.parse().map_err(|_| invalid())?;
    if !amount.is_finite() {
        return Err(invalid());
    }
    Ok((if negative { -amount } else { amount }, currency))
}

/// A number in E notation with a decimal point (`6.0E7`, `8.48e10`, `-1.5E-3`), nothing else.
fn scientific(text: &str) -> Option<f64> {
    fn unsigned(s: &str) -> &str {
        s.strip_prefix(['+', '-']).unwrap_or(s)
    }
    fn digits(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
    }
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let mantissa = unsigned(mantissa);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let exponent = unsigned(exponent);
    if !(digits(whole) && digits(fraction) && digits(exponent)) || exponent.len() > 3 {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Rewrites `1.234,56` and `1,234.56` alike as `1234.56`: the separator that comes last is the
/// decimal point when both appear; a lone comma followed by exactly three digits is a
/// thousands separator (`22,700`), otherwise a decimal comma (`22,5`).
fn decimal_point_form(number: &str) -> String {
    let last_dot = number.rfind('.');
    let last_comma = number.rfind(',');
    match (last_dot, last_comma) {
        (Some(dot), Some(comma)) if comma > dot => number.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => number.replace(',', ""),
        (None, Some(comma)) => {
            let decimals = number.len() - comma - 1;
            if number.matches(',').count() > 1 || decimals == 3 {
                number.replace(',', "")
            } else {
                number.replace(',', ".")
            }
        }
        (Some(_), None) if number.matches('.').count() > 1 => number.replace('.', ""),
        _ => number.to_string(),
    }
}

const SYMBOLS: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("CHF", "CHF"),
    ("R$", "BRL"),
];

/// The currency a money cell names by symbol or ISO code, if any.
pub fn currency_code(text: &str) -> Option<&'static str> {
    let upper = text.trim().to_uppercase();
    if let Some((_, code)) = SYMBOLS.iter().find(|(symbol, _)| upper.contains(symbol)) {
        return Some(code);
    }
    upper
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| word.len() == 3)
        .find_map(|word| {
            values::parse_currency(word)
                .ok()
                .and_then(|code| KNOWN_CODES.iter().find(|k| **k == code).copied())
        })
}

/// Codes returned as `'static` text; any other valid code is still accepted by the currency
/// field itself.
const KNOWN_CODES: &[&str] = &[
    "AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "INR", "JPY", "MXN", "NOK",
    "NZD", "PLN", "SEK", "SGD", "USD", "ZAR",
];

/// A probability from `0.25`, `25`, `25%` or `25,5 %`: numbers above 1 are percentages.
pub fn parse_probability(text: &str) -> Result<f64, String> {
    let percent = text.contains('%');
    let number = parse_number(&text.replace('%', ""))?;
    let probability = if percent || number > 1.0 {
        number / 100.0
    } else {
        number
    };
    if !(0.0..=1.0).contains(&probability) {
        return Err(format!(
            "`{}` is not a probability or percentage",
            text.trim()
        ));
    }
    Ok(probability)
}

/// Yes/no in the spellings exports use.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "x" | "checked" | "on" | "t" | "oui" | "ja" | "sí" | "si" => {
            Ok(true)
        }
        "false" | "no" | "n" | "0" | "" | "unchecked" | "off" | "f" | "non" | "nein" => Ok(false),
        _ => Err(format!("`{}` is not yes or no", text.trim())),
    }
}

/// Splits a full name into first and last: `Ana María López` → (`Ana María`, `López`), and
/// the `López, Ana` form the other way round.
pub fn split_name(full: &str) -> (Option<String>, Option<String>) {
    let full = full.split_whitespace().collect::<Vec<_>>().join(" ");
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    if let Some((last, first)) = full.split_once(',') {
        return (non_empty(first), non_empty(last));
    }
    match full.rsplit_once(' ') {
        Some((first, last)) => (non_empty(first), non_empty(last)),
        None => (non_empty(&full), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn context() -> Context {
        Context {
            default_country: "US".into(),
            day_order: DayOrder::MonthFirst,
            values: ValueOverrides::default(),
        }
    }

    #[test]
    fn money_in_both_notations() {
        assert_eq!(parse_money("$22,700.00"), Ok((22700.0, Some("USD"))));
        assert_eq!(parse_money("22.700,00 €"), Ok((22700.0, Some("EUR"))));
        assert_eq!(parse_money("EUR 1 234,5"), Ok((1234.5, Some("EUR"))));
        assert_eq!(parse_money("(1,000)"), Ok((-1000.0, None)));
        assert_eq!(parse_money("1.234.567"), Ok((1_234_567.0, None)));
        assert_eq!(parse_money("22,5"), Ok((22.5, None)));
        assert_eq!(parse_money("1'000.50 CHF"), Ok((1000.5, Some("CHF"))));
        assert_eq!(parse_money("6.0E7"), Ok((60_000_000.0, None)));
        assert_eq!(parse_money("8.48E10"), Ok((84_800_000_000.0, None)));
        assert_eq!(parse_money("-1.5e-3"), Ok((-0.0015, None)));
        assert_eq!(parse_number("1.2E4"), Ok(12_000.0));
        assert!(parse_money("E7").is_err());
        assert!(parse_money("1.2.3E4").is_err());
        assert!(parse_money("1E9999").is_err());
        assert!(parse_money("twelve").is_err());
        assert!(parse_money("12 apples").is_err());
    }

    #[test]
    fn percentages_booleans_and_names() {
        assert_eq!(parse_probability("25%"), Ok(0.25));
        assert_eq!(parse_probability("100.0"), Ok(1.0));
        assert_eq!(parse_probability("0.4"), Ok(0.4));
        assert!(parse_probability("150%").is_err());
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("maybe").is_err());
        assert_eq!(
            split_name("  Ana  María López "),
            (Some("Ana María".into()), Some("López".into()))
        );
        assert_eq!(
            split_name("López, Ana"),
            (Some("Ana".into()), Some("López".into()))
        );
        assert_eq!(split_name("Cher"), (Some("Cher".into()), None));
    }

    #[test]
    fn cells_become_field_values() {
        let c = context();
        let n = |ty, raw| normalise(ty, raw, &c);
        assert_eq!(
            n(FieldType::Email, " Ana@X.com "),
            Ok(Some(json!("ana@x.com")))
        );
        assert_eq!(
            n(FieldType::Phone, "(415) 555-0100"),
            Ok(Some(json!("+14155550100")))
        );
        assert_eq!(
            n(FieldType::Date, "15 Apr, 2021"),
            Ok(Some(json!("2021-04-15")))
        );
        assert_eq!(
            n(FieldType::Timestamp, "2021-04-15 09:30"),
            Ok(Some(json!("2021-04-15T09:30:00.000000Z")))
        );
        assert_eq!(
            n(FieldType::Decimal { min: 0.0 }, "$1,000"),
            Ok(Some(json!(1000.0)))
        );
        assert!(n(FieldType::Decimal { min: 0.0 }, "-5").is_err());
        assert_eq!(
            n(FieldType::Integer { min: 0 }, "2,822"),
            Ok(Some(json!(2822)))
        );
        assert!(n(FieldType::Integer { min: 0 }, "2.5").is_err());
        assert_eq!(n(FieldType::Currency, "€"), Ok(Some(json!("EUR"))));
        assert_eq!(
            n(FieldType::Enum(&["site_visit"]), "Site Visit"),
            Ok(Some(json!("site_visit")))
        );
        assert_eq!(n(FieldType::Email, "   "), Ok(None));
        assert!(n(FieldType::Email, "not-an-email")
            .unwrap_err()
            .contains("not a valid email"));
    }

    proptest! {
        #[test]
        fn grouped_amounts_read_the_same_in_both_notations(whole in 0u64..10_000_000_000, cents in 0u32..100) {
            let grouped = |sep: char| {
                let digits = whole.to_string();
                let mut out = String::new();
                for (i, c) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i) % 3 == 0 { out.push(sep); }
                    out.push(c);
                }
                out
            };
            let expected = whole as f64 + f64::from(cents) / 100.0;
            let us = format!("${}.{cents:02}", grouped(','));
            let eu = format!("{},{cents:02} €", grouped('.'));
            prop_assert!((parse_money(&us).unwrap().0 - expected).abs() < 1e-6, "{}", us);
            prop_assert!((parse_money(&eu).unwrap().0 - expected).abs() < 1e-6, "{}", eu);
        }

        #[test]
        fn no_cell_makes_a_normaliser_panic(text in "\\PC{0,30}") {
            let c = context();
            for ty in [FieldType::Email, FieldType::Phone, FieldType::Decimal { min: 0.0 },
                       FieldType::Probability, FieldType::Date, FieldType::Currency] {
                let _ = normalise(ty, &text, &c);
            }
        }
    }
}
