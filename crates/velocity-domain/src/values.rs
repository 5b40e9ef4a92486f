//! Value types that parse: each function takes user text and returns the canonical stored form,
//! or a message that tells the user what is wrong. Parsing once here keeps bad values out of the
//! store entirely.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// The canonical timestamp text stored everywhere: UTC, microseconds, `Z`. Fixed width, so it
/// sorts correctly as text on both databases.
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Now, in the canonical timestamp form.
pub fn now_timestamp() -> String {
    format_timestamp(Utc::now())
}

/// An RFC 3339 timestamp with any offset, normalised to UTC.
pub fn parse_timestamp(text: &str) -> Result<String, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| format_timestamp(t.with_timezone(&Utc)))
        .map_err(|_| format!("`{text}` is not an RFC 3339 timestamp such as 2025-04-15T09:30:00Z"))
}

/// A calendar date written `YYYY-MM-DD`; impossible dates such as 2025-02-30 are refused.
pub fn parse_date(text: &str) -> Result<String, String> {
    let text = text.trim();
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(format!("`{text}` is not a date in the form YYYY-MM-DD"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("`{text}` is not a real calendar date"))
}

/// An email address, trimmed and case-folded (mail systems treat addresses case-insensitively
/// in practice, and duplicates must be found regardless of case).
pub fn parse_email(text: &str) -> Result<String, String> {
    let email = text.trim().to_lowercase();
    let invalid = || format!("`{}` is not a valid email address", text.trim());
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return Err(invalid());
    }
    parse_domain_name(domain).map_err(|_| invalid())?;
    Ok(email)
}

/// A web domain. Pasted URLs (`https://www.acme.com/about`) are reduced to the domain
/// (`acme.com`) because that is the matching key for companies.
pub fn parse_domain(text: &str) -> Result<String, String> {
    let lowered = text.trim().to_lowercase();
    let without_scheme = lowered
        .strip_prefix("https://")
        .or_else(|| lowered.strip_prefix("http://"))
        .unwrap_or(&lowered);
    let host = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = host.strip_prefix("www.").unwrap_or(host);
    parse_domain_name(host).map_err(|_| format!("`{}` is not a valid domain", text.trim()))
}

fn parse_domain_name(domain: &str) -> Result<String, ()> {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(());
    }
    Ok(domain.to_string())
}

/// A phone number as people write it. Digits are required; letters are not (beyond an
/// extension marker). Conversion to E.164 belongs to import normalisation, where the
/// workspace's default country is known.
pub fn parse_phone(text: &str) -> Result<String, String> {
    let phone = text.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = |c: char| c.is_ascii_digit() || " +-().,/x#".contains(c) || phone.contains("ext");
    if !(3..=20).contains(&digits) || phone.len() > 40 || !phone.chars().all(allowed) {
        return Err(format!("`{phone}` is not a phone number"));
    }
    Ok(phone.to_string())
}

/// ISO 4217 currency codes in current use.
const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SYP", "SZL", "THB", "TJS",
    "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL",
];

/// An ISO 4217 currency code; lower case is accepted and upper-cased.
pub fn parse_currency(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if CURRENCIES.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(format!(
            "`{}` is not an ISO 4217 currency code such as USD or EUR",
            text.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_table_is_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(parse_currency("eur"), Ok("EUR".into()));
        assert!(parse_currency("EUX").is_err());
    }

    #[test]
    fn dates_must_exist_on_the_calendar() {
        assert_eq!(parse_date("2024-02-29"), Ok("2024-02-29".into()));
        assert!(parse_date("2025-02-30").is_err());
        assert!(parse_date("2025-2-3").is_err());
        assert!(parse_date("03/04/2025").is_err());
    }

    #[test]
    fn timestamps_are_normalised_to_utc_micros() {
        assert_eq!(
            parse_timestamp("2025-04-15T11:30:00+02:00"),
            Ok("2025-04-15T09:30:00.000000Z".into())
        );
        assert!(parse_timestamp("yesterday").is_err());
    }

    #[test]
    fn emails_are_case_folded_and_checked() {
        assert_eq!(
            parse_email(" Ana@Example.COM "),
            Ok("ana@example.com".into())
        );
        for bad in ["ana", "ana@", "@x.com", "ana@x", "a b@x.com", "ana@-x.com"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains_are_reduced_from_urls() {
        assert_eq!(
            parse_domain("https://www.Acme.com/about"),
            Ok("acme.com".into())
        );
        assert_eq!(parse_domain("acme.co.uk"), Ok("acme.co.uk".into()));
        assert!(parse_domain("not a domain").is_err());
    }

    #[test]
    fn phones_need_digits() {
        assert!(parse_phone("+1 (555) 010-9999").is_ok());
        assert!(parse_phone("call me").is_err());
        assert!(parse_phone("12").is_err());
    }
}
