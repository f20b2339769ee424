//! How flame-core's values cross to Kotlin and Swift (feature `uniffi`): the custom types
//! that the derived records use. Ids (declared with each id, in `id.rs`), emails, phones and
//! currencies cross as their text; decimals as their text; times as `SystemTime` (Kotlin `java.time.Instant`, Swift
//! `Date`); calendar dates as `"YYYY-MM-DD"` text; other UUIDs hyphenated.
//!
//! A failing lift is an untyped internal error on the host side, so these types appear only in
//! records that Flame hands out; inputs that a host types stay plain strings in flame-ffi and
//! are parsed there with a `Validation` error naming the field.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::SystemTime;

use rust_decimal::Decimal;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::custom_field::{CustomValue, CustomValues, OptionMoves};
use crate::{Currency, Email, Phone};

uniffi::custom_type!(OffsetDateTime, SystemTime, {
    remote,
    lower: |t| t.into(),
    try_lift: |t| Ok(t.into()),
});

/// A calendar date; the alias gives the host type a name that shadows no platform type
/// (Swift's `Date` is a time).
type CalendarDate = time::Date;

uniffi::custom_type!(CalendarDate, String, {
    remote,
    lower: |d| crate::clock::format_date(d),
    try_lift: |text| Ok(crate::clock::parse_date("date", &text)?),
});

uniffi::custom_type!(Uuid, String, {
    remote,
    lower: |u| u.to_string(),
    try_lift: |text| Ok(Uuid::parse_str(text.trim())?),
});

uniffi::custom_type!(Email, String, {
    lower: |e| e.into_string(),
    try_lift: |text| Ok(Email::parse(&text)?),
});

uniffi::custom_type!(Phone, String, {
    lower: |p| p.into_string(),
    try_lift: |text| Ok(Phone::parse(&text, None)?),
});

uniffi::custom_type!(Currency, String, {
    lower: |c| c.code().to_owned(),
    try_lift: |text| Ok(Currency::parse(&text)?),
});

/// An exact decimal; the alias names the host type without shadowing a platform one (Swift's
/// `Decimal`). It crosses as its text (`"12.5"`).
type DecimalNumber = Decimal;

uniffi::custom_type!(DecimalNumber, String, {
    remote,
    lower: |d| d.normalize().to_string(),
    try_lift: |text| Ok(Decimal::from_str(text.trim())?),
});

// A record's custom values cross as a map (Kotlin `Map`, Swift `Dictionary`) keyed by field key.
uniffi::custom_type!(CustomValues, HashMap<String, CustomValue>, {
    remote,
    lower: |values| values.into_iter().collect(),
    try_lift: |map| Ok(map.into_iter().collect::<BTreeMap<_, _>>()),
});

uniffi::custom_type!(OptionMoves, HashMap<String, Option<String>>, {
    remote,
    lower: |moves| moves.into_iter().collect(),
    try_lift: |map| Ok(map.into_iter().collect::<BTreeMap<_, _>>()),
});
