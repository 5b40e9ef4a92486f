//! What pipeline intelligence reads and keeps: each deal's history rebuilt from the event log
//! ([`facts`]) and what was learned and scored from it ([`state`]). The computing itself is in
//! `velocity-intel`, whose plain types these functions fill directly.

pub mod facts;
pub mod insights;
pub mod state;
pub mod summary;

use chrono::{DateTime, NaiveDate};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// A stored timestamp as days since the Unix epoch.
pub fn timestamp_days(text: &str) -> Option<f64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros() as f64 / 1e6 / SECONDS_PER_DAY)
}

/// A stored `YYYY-MM-DD` date as whole days since the Unix epoch.
pub fn date_days(text: &str) -> Option<f64> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.signed_duration_since(NaiveDate::default()).num_days() as f64)
}

/// Whole days since the epoch back to a `YYYY-MM-DD` date.
pub fn days_date(days: i64) -> String {
    (NaiveDate::default() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        assert_eq!(date_days("1970-01-02"), Some(1.0));
        assert_eq!(days_date(1), "1970-01-02");
        assert_eq!(timestamp_days("1970-01-01T12:00:00.000000Z"), Some(0.5));
        assert_eq!(date_days("2025-02-30"), None);
    }
}
