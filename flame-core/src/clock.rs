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

/// Parses a `YYYY-MM-DD` date given as text (a deal's expected close date from a host
/// without a native date type); `field` names the input in the error.
pub fn parse_date(field: &str, text: &str) -> Result<Date> {
    Date::parse(text.trim(), DATE)
        .map_err(|_| FlameError::validation(field, "is not a date (YYYY-MM-DD)"))
}

/// The `YYYY-MM-DD` text of `date`.
pub fn format_date(date: Date) -> String {
    date.format(DATE).unwrap_or_else(|_| date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
