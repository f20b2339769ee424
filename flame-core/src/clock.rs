//! Time as Flame stores it: UTC, to the microsecond (the finest both SQLite text and
//! PostgreSQL `timestamptz` keep), so that a record reads back exactly as it was written.

use time::{OffsetDateTime, UtcOffset};

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
}
