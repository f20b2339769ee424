//! How Flame writes times and dates as text, whichever engine reads them: SQLite stores them
//! so (text order is time order) and PostgreSQL's `COPY` reads them so.

use time::{Date, OffsetDateTime};

/// A time as fixed-width RFC 3339 text in UTC with microseconds: how SQLite stores times
/// (text order is time order), and how PostgreSQL's `COPY` reads them.
pub(crate) fn encode_time(t: OffsetDateTime) -> String {
    let t = flame_core::clock::normalize(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

pub(crate) fn encode_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(crate) fn decode_time(text: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        // SQLite's own `datetime()` form: "YYYY-MM-DD HH:MM:SS[.SSS]", in UTC.
        let format = time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        time::PrimitiveDateTime::parse(text, &format).ok().map(|t| t.assume_utc())
    })
}

pub(crate) fn decode_date(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}
