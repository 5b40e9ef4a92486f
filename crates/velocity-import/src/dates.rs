//! Dates and times as exports really write them: ISO 8601 with or without a zone, US and
//! European day orders, month names (`15 Apr, 2021 00:02:00`), dotted dates and Excel serial
//! numbers. Whether `03/04/2025` is March or April is decided once per column from its values
//! (see [`DayOrder::detect`]), never guessed row by row.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The order of day and month in numeric dates such as `03/04/2025`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DayOrder {
    #[default]
    MonthFirst,
    DayFirst,
}

impl DayOrder {
    /// The order a column's values prove (a first number above 12 proves day first, a second
    /// above 12 month first); `fallback` when none of them decides.
    pub fn detect<'a>(values: impl IntoIterator<Item = &'a str>, fallback: DayOrder) -> DayOrder {
        for value in values {
            let Some((a, b)) = numeric_day_month(value) else {
                continue;
            };
            if a > 12 && b <= 12 {
                return DayOrder::DayFirst;
            }
            if b > 12 && a <= 12 {
                return DayOrder::MonthFirst;
            }
        }
        fallback
    }
}

fn numeric_day_month(value: &str) -> Option<(u32, u32)> {
    let date = value.trim().split([' ', 'T']).next()?;
    let mut parts = date.split(['/', '.', '-']);
    let a: u32 = parts.next()?.parse().ok()?;
    let b: u32 = parts.next()?.parse().ok()?;
    let year = parts.next()?;
    ((year.len() == 4 || year.len() == 2) && a <= 31 && b <= 31).then_some((a, b))
}

/// A point in time, normalised to UTC. Values without a zone are taken as UTC.
pub fn parse_datetime(text: &str, order: DayOrder) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let invalid = || format!("`{text}` is not a date or time Velocity recognises");
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Some(at) = excel_serial(text) {
        return Ok(at);
    }
    let (body, offset) = split_offset(text);
    let local = parse_local(body, order).ok_or_else(invalid)?;
    let offset = offset.ok_or_else(invalid)?;
    offset
        .from_local_datetime(&local)
        .single()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(invalid)
}

/// A calendar date; a time part, if present, is dropped after moving to UTC only when the value
/// named a zone (a date-only column exported at midnight UTC must not shift a day).
pub fn parse_date(text: &str, order: DayOrder) -> Result<NaiveDate, String> {
    let trimmed = text.trim();
    let (body, offset) = split_offset(trimmed);
    if offset == Some(utc()) && !trimmed.ends_with('Z') && body.len() <= 11 {
        if let Some(local) = parse_local(body, order) {
            return Ok(local.date());
        }
    }
    parse_datetime(trimmed, order).map(|at| at.date_naive())
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("zero is a valid offset"))
}

/// Splits a trailing zone (`Z`, `+0800`, `-03:00`, `UTC`, `GMT`) off a date-time.
fn split_offset(text: &str) -> (&str, Option<FixedOffset>) {
    let text = text.trim();
    for suffix in [" UTC", " GMT", "Z", "z"] {
        if let Some(body) = text.strip_suffix(suffix) {
            return (body.trim_end(), Some(utc()));
        }
    }
    // A numeric offset follows the time, so it only counts after a `:`-separated time.
    if let Some(index) = text.rfind(['+', '-']) {
        let (body, zone) = text.split_at(index);
        if body.contains(':') {
            if let Some(offset) = parse_offset(zone) {
                // Some systems write both a `Z` and an offset (`12:00:00.000Z-0300`).
                let body = body.strip_suffix('Z').unwrap_or(body);
                return (body.trim_end(), Some(offset));
            }
        }
    }
    (text, Some(utc()))
}

fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

const TIME_FORMATS: &[&str] = &[
    "%H:%M:%S%.f",
    "%H:%M:%S",
    "%H:%M",
    "%I:%M:%S %p",
    "%I:%M %p",
];

fn parse_local(text: &str, order: DayOrder) -> Option<NaiveDateTime> {
    let text = text.trim();
    let (date_part, time_part) = split_time(text);
    let date = parse_plain_date(date_part, order)?;
    let time = match time_part {
        None => NaiveTime::MIN,
        Some(time) => TIME_FORMATS
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(time, f).ok())?,
    };
    Some(date.and_time(time))
}

/// Separates the time from the date: after a `T`, or after the last space before a `:`.
fn split_time(text: &str) -> (&str, Option<&str>) {
    if let Some((date, time)) = text.split_once('T') {
        if date.len() == 10 && time.contains(':') {
            return (date, Some(time));
        }
    }
    match text.find(':') {
        Some(colon) => match text[..colon].rfind(' ') {
            Some(space) => (text[..space].trim(), Some(text[space + 1..].trim())),
            None => (text, None),
        },
        None => (text, None),
    }
}

fn parse_plain_date(text: &str, order: DayOrder) -> Option<NaiveDate> {
    let text = text.trim().trim_end_matches(',');
    let numeric = match order {
        DayOrder::MonthFirst => ["%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y"],
        DayOrder::DayFirst => ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"],
    };
    let named = [
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y.%m.%d",
        "%Y%m%d",
        "%d %b, %Y",
        "%d %b %Y",
        "%d %B %Y",
        "%d %B, %Y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%b %d %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
        "%a, %d %b %Y",
    ];
    numeric
        .iter()
        .chain(named.iter())
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .filter(|date| (1800..=2200).contains(&chrono::Datelike::year(date)))
}

/// Excel stores dates as days since 1899-12-30; a plain number in a date column in the range
/// of plausible business dates (1954 to 2119) is one of those.
fn excel_serial(text: &str) -> Option<DateTime<Utc>> {
    let serial: f64 = text.parse().ok()?;
    if !(20_000.0..80_000.0).contains(&serial) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(NaiveTime::MIN);
    let seconds = (serial * 86_400.0).round() as i64;
    let at = epoch.checked_add_signed(chrono::Duration::seconds(seconds))?;
    Some(Utc.from_utc_datetime(&at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(text: &str, order: DayOrder) -> String {
        parse_date(text, order)
            .map(|d| d.to_string())
            .unwrap_or_else(|e| e)
    }

    fn at(text: &str) -> String {
        parse_datetime(text, DayOrder::MonthFirst)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn the_formats_exports_use() {
        let us = DayOrder::MonthFirst;
        let eu = DayOrder::DayFirst;
        assert_eq!(date("2021-04-15", us), "2021-04-15");
        assert_eq!(date("04/15/2021", us), "2021-04-15");
        assert_eq!(date("15/04/2021", eu), "2021-04-15");
        assert_eq!(date("15.04.2021", eu), "2021-04-15");
        assert_eq!(date("15 Apr, 2021 00:02:00", us), "2021-04-15");
        assert_eq!(date("Apr 15, 2021", us), "2021-04-15");
        assert_eq!(date("15-Apr-2021", us), "2021-04-15");
        assert_eq!(date("44301", us), "2021-04-15");
        assert_eq!(date("2010-10-14T00:00:00.000Z", us), "2010-10-14");
        assert!(date("2025-02-30", us).contains("not a date"));
        assert!(date("2009\\7\\14", us).contains("not a date"));
        assert!(date("soon", us).contains("not a date"));
    }

    #[test]
    fn zones_move_times_to_utc() {
        assert_eq!(at("07/15/2009 02:14:45+0800"), "2009-07-14T18:14:45Z");
        assert_eq!(at("07/13/2009 22:14:45-0800"), "2009-07-14T06:14:45Z");
        assert_eq!(at("2010-10-14T12:00:00.000Z-0300"), "2010-10-14T15:00:00Z");
        assert_eq!(at("2010-10-14T12:00:00.000"), "2010-10-14T12:00:00Z");
        assert_eq!(at("2021-04-15 09:30"), "2021-04-15T09:30:00Z");
        assert_eq!(at("2021-04-15T09:30:00+02:00"), "2021-04-15T07:30:00Z");
        assert_eq!(at("4/15/2021 9:30 PM"), "2021-04-15T21:30:00Z");
    }

    #[test]
    fn day_order_is_decided_by_the_column() {
        let eu = ["03/04/2025", "25/12/2024"];
        assert_eq!(
            DayOrder::detect(eu, DayOrder::MonthFirst),
            DayOrder::DayFirst
        );
        let us = ["03/04/2025", "12/25/2024"];
        assert_eq!(
            DayOrder::detect(us, DayOrder::DayFirst),
            DayOrder::MonthFirst
        );
        assert_eq!(
            DayOrder::detect(["2025-01-02"], DayOrder::DayFirst),
            DayOrder::DayFirst
        );
        assert_eq!(
            DayOrder::detect(["2016-10-20"], DayOrder::MonthFirst),
            DayOrder::MonthFirst
        );
    }

    proptest! {
        #[test]
        fn every_real_date_round_trips_in_every_layout(days in 0i64..100_000) {
            let day = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            for (text, order) in [
                (day.format("%Y-%m-%d").to_string(), DayOrder::MonthFirst),
                (day.format("%m/%d/%Y").to_string(), DayOrder::MonthFirst),
                (day.format("%d.%m.%Y").to_string(), DayOrder::DayFirst),
                (day.format("%d %b, %Y 10:00:00").to_string(), DayOrder::MonthFirst),
            ] {
                prop_assert_eq!(parse_date(&text, order), Ok(day), "{}", text);
            }
        }

        #[test]
        fn no_text_makes_the_parser_panic(text in "\\PC{0,40}") {
            let _ = parse_datetime(&text, DayOrder::DayFirst);
            let _ = parse_date(&text, DayOrder::MonthFirst);
        }
    }
}
