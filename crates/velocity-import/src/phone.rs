//! Phone numbers to E.164 (`+14155550100`). International numbers (`+44 …`, `0044 …`) keep their
//! country code; national numbers get the workspace's default country and lose their trunk
//! prefix (`020 7946 0958` in GB is `+442079460958`). Validating numbers against each country's
//! numbering plan is deliberately out of scope: the libphonenumber port would bring a regex
//! engine and megabytes of metadata to decide what a length check and a table of calling codes
//! decide well enough for matching and dialling.

/// Calling code and national trunk prefix per ISO 3166 country code.
const COUNTRIES: &[(&str, &str, &str)] = &[
    ("AE", "971", "0"),
    ("AR", "54", "0"),
    ("AT", "43", "0"),
    ("AU", "61", "0"),
    ("BE", "32", "0"),
    ("BR", "55", "0"),
    ("CA", "1", "1"),
    ("CH", "41", "0"),
    ("CL", "56", ""),
    ("CN", "86", "0"),
    ("CO", "57", ""),
    ("CZ", "420", ""),
    ("DE", "49", "0"),
    ("DK", "45", ""),
    ("EG", "20", "0"),
    ("ES", "34", ""),
    ("FI", "358", "0"),
    ("FR", "33", "0"),
    ("GB", "44", "0"),
    ("GR", "30", ""),
    ("HK", "852", ""),
    ("HU", "36", "06"),
    ("ID", "62", "0"),
    ("IE", "353", "0"),
    ("IL", "972", "0"),
    ("IN", "91", "0"),
    ("IT", "39", ""),
    ("JP", "81", "0"),
    ("KE", "254", "0"),
    ("KR", "82", "0"),
    ("MA", "212", "0"),
    ("MX", "52", ""),
    ("MY", "60", "0"),
    ("NG", "234", "0"),
    ("NL", "31", "0"),
    ("NO", "47", ""),
    ("NZ", "64", "0"),
    ("PH", "63", "0"),
    ("PK", "92", "0"),
    ("PL", "48", ""),
    ("PT", "351", ""),
    ("RO", "40", "0"),
    ("SA", "966", "0"),
    ("SE", "46", "0"),
    ("SG", "65", ""),
    ("TH", "66", "0"),
    ("TR", "90", "0"),
    ("TW", "886", "0"),
    ("UA", "380", "0"),
    ("US", "1", "1"),
    ("VN", "84", "0"),
    ("ZA", "27", "0"),
];

/// Whether Velocity knows a country's calling code (for the workspace default).
pub fn is_known_country(code: &str) -> bool {
    COUNTRIES
        .iter()
        .any(|(c, _, _)| c.eq_ignore_ascii_case(code))
}

/// The number in E.164 form, or why it cannot be one.
pub fn to_e164(text: &str, default_country: &str) -> Result<String, String> {
    let invalid = |why: &str| format!("`{}` is not a phone number: {why}", text.trim());
    let without_extension = strip_extension(text);
    if without_extension.chars().any(char::is_alphabetic) {
        return Err(invalid("it contains letters"));
    }
    let trimmed = without_extension.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let international = if trimmed.starts_with('+') {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00").filter(|_| digits.len() > 10)
    };
    let number = match international {
        Some(number) => number.to_string(),
        None => {
            let (_, code, trunk) = COUNTRIES
                .iter()
                .find(|(c, _, _)| c.eq_ignore_ascii_case(default_country))
                .ok_or_else(|| invalid("no default country is known for national numbers"))?;
            national(&digits, code, trunk)
        }
    };
    if !(8..=15).contains(&number.len()) || number.starts_with('0') {
        return Err(invalid("it has too few or too many digits"));
    }
    Ok(format!("+{number}"))
}

fn national(digits: &str, code: &str, trunk: &str) -> String {
    // North American numbers are often written with their `1` but no `+`.
    if code == "1" && digits.len() == 11 && digits.starts_with('1') {
        return digits.to_string();
    }
    let subscriber = if trunk.is_empty() || code == "1" {
        digits
    } else {
        digits.strip_prefix(trunk).unwrap_or(digits)
    };
    format!("{code}{subscriber}")
}

fn strip_extension(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    for marker in ["ext.", "ext", " x", "#"] {
        if let Some(index) = lower.find(marker) {
            return &text[..index];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn national_and_international_numbers() {
        assert_eq!(to_e164("(415) 555-0100", "US"), Ok("+14155550100".into()));
        assert_eq!(to_e164("1-415-555-0100", "US"), Ok("+14155550100".into()));
        assert_eq!(
            to_e164("415.555.0100 ext. 12", "US"),
            Ok("+14155550100".into())
        );
        assert_eq!(to_e164("020 7946 0958", "GB"), Ok("+442079460958".into()));
        assert_eq!(
            to_e164("+44 20 7946 0958", "US"),
            Ok("+442079460958".into())
        );
        assert_eq!(
            to_e164("0044 20 7946 0958", "DE"),
            Ok("+442079460958".into())
        );
        assert_eq!(to_e164("06 12 34 56 78", "FR"), Ok("+33612345678".into()));
        assert_eq!(to_e164("06 1234 5678", "IT"), Ok("+390612345678".into()));
        assert!(to_e164("call me", "US").is_err());
        assert!(to_e164("12", "US").is_err());
        assert!(to_e164("555 0100", "XX").is_err());
    }

    proptest! {
        #[test]
        fn formatting_never_changes_the_number(
            area in 200u32..999, exchange in 200u32..999, line in 0u32..9999,
            style in 0usize..4,
        ) {
            let text = match style {
                0 => format!("({area}) {exchange}-{line:04}"),
                1 => format!("{area}.{exchange}.{line:04}"),
                2 => format!("+1 {area} {exchange} {line:04}"),
                _ => format!("1{area}{exchange}{line:04}"),
            };
            prop_assert_eq!(to_e164(&text, "US"), Ok(format!("+1{area}{exchange}{line:04}")));
        }
    }
}
