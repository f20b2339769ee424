//! Time as Flame stores it: UTC, to the microsecond (the finest both SQLite text and
//! PostgreSQL `timestamptz` keep), so that a record reads back exactly as it was written.

use time::{Date, OffsetDateTime, UtcOffset};

use crate::error::{FlameError, Result};

/// The text form of a calendar date that hosts exchange: ISO 8601 `YYYY-MM-DD`.
const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The current time, UTC, truncated to microseconds.
pub fn now() -> OffsetDateTime {
    normalize(OffsetDateTime::now_utc())
}

/// `t` in UTC, truncated to microseconds.
pub fn normalize(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.replace_nanosecond(micros).unwrap_or(t)
}

/// The years a host-supplied time or date may fall in: 1 to 9999. Earlier (or negative)
/// years cannot be read back by SQLite, so one such row would break every list holding it.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

fn year_error(field: &str) -> FlameError {
    FlameError::validation(field, "must be in the years 1 to 9999")
}

/// A host-supplied time, [`normalize`]d; a year outside [`YEARS`] is a
/// [`FlameError::Validation`] on `field`.
pub fn checked(field: &str, t: OffsetDateTime) -> Result<OffsetDateTime> {
    let t = normalize(t);
    if YEARS.contains(&t.year()) { Ok(t) } else { Err(year_error(field)) }
}

/// A host-supplied date; a year outside [`YEARS`] is a [`FlameError::Validation`] on `field`.
pub fn checked_date(field: &str, date: Date) -> Result<Date> {
    if YEARS.contains(&date.year()) { Ok(date) } else { Err(year_error(field)) }
}

/// Parses a `YYYY-MM-DD` date given as text (a deal's expected close date from a host
/// without a native date type); `field` names the input in the error.
pub fn parse_date(field: &str, text: &str) -> Result<Date> {
    let date = Date::parse(text.trim(), DATE)
        .map_err(|_| FlameError::validation(field, "is not a date (YYYY-MM-DD)"))?;
    checked_date(field, date)
}

/// The `YYYY-MM-DD` text of `date`.
pub fn format_date(date: Date) -> String {
    date.format(DATE).unwrap_or_else(|_| date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_outside_1_to_9999_are_refused() {
        let at = |y: i32| Date::from_calendar_date(y, time::Month::January, 1).unwrap_or(Date::MIN);
        for y in [0, -1, -9999, 10_000] {
            let err = checked_date("due_at", at(y)).expect_err("refused");
            assert_eq!(err, FlameError::validation("due_at", "must be in the years 1 to 9999"));
            assert!(checked("due_at", at(y).midnight().assume_utc()).is_err());
        }
        for y in [1, 2026, 9999] {
            assert_eq!(checked_date("d", at(y)).ok(), Some(at(y)));
            assert!(checked("d", at(y).midnight().assume_utc()).is_ok());
        }
    }

    #[test]
    fn normalizes_to_utc_micros() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.123456789 +03:00);
        let n = normalize(t);
        assert_eq!(n.offset(), UtcOffset::UTC);
        assert_eq!(n.nanosecond(), 123_456_000);
        assert_eq!(n, time::macros::datetime!(2026-01-02 00:04:05.123456 UTC));
    }

    #[test]
    fn dates_round_trip_as_iso_text() {
        let d = parse_date("expected_close", " 2026-12-31 ").expect("valid");
        assert_eq!(format_date(d), "2026-12-31");
        assert_eq!(
            parse_date("expected_close", "31.12.2026"),
            Err(FlameError::validation("expected_close", "is not a date (YYYY-MM-DD)"))
        );
    }
}
