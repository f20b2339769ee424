//! Integrations: the pure rules for talking to the world outside a company's CRM.
//!
//! - [`messaging`] — messaging channels (Telegram, WhatsApp, …), their settings and the
//!   common [`InboundMessage`](messaging::InboundMessage), with the parsers of
//!   [`telegram`] updates and [`whatsapp`] webhooks;
//! - [`advertising`] — leads from ad platforms (Meta Lead Ads, VK Ads lead forms) and UTM tags;
//! - [`accounting`] — invoice documents handed to accounting systems;
//! - [`webhook`] — signatures, retries and event subscriptions of outgoing webhooks;
//! - [`ssrf`] — which webhook URLs and addresses Flame may call at all;
//! - [`verify`] — proof that an inbound webhook came from its platform (Telegram secret token,
//!   Meta `X-Hub-Signature-256`, the Meta subscription handshake).
//!
//! Nothing here performs I/O: the parsers take the bytes a host received, the builders return
//! values for `flame-db` to store and for a host to send. The credentials of an integration are
//! [`Credential`](crate::crypto::Credential)s, sealed at rest with
//! [`crypto::seal`](crate::crypto::seal).
//!
//! Payloads from outside are parsed all or nothing: a malformed one is a
//! [`FlameError::Validation`] whose `field` is the path of the offending JSON value
//! (`"message.date"`, `"entry[0].changes[0].value.messages[0].timestamp"`) — or `"body"` when
//! the body is not JSON at all — and whose reason never repeats the value.

use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::error::{FlameError, Result};
use crate::phone::Phone;
use crate::text;

/// Declares a platform enum: its variants with their stored and display names, `ALL`,
/// `as_str`, `display_name`, `Display`, and parsing (`FromStr`, serde) that accepts the stored
/// name in any case and refuses anything else with a `Validation` on `"platform"`.
macro_rules! platform_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident => $stored:literal, $display:literal; )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[serde(try_from = "String", into = "String")]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $name {
            /// Every platform, in display order.
            pub const ALL: [$name; [$(stringify!($variant)),*].len()] = [$(Self::$variant),*];

            /// The stored name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $stored,)*
                }
            }

            /// The name people know it by.
            pub const fn display_name(self) -> &'static str {
                match self {
                    $(Self::$variant => $display,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::FlameError;

            /// Parses the stored name, trimmed and in any case.
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                let name = s.trim().to_ascii_lowercase();
                Self::ALL.into_iter().find(|p| p.as_str() == name).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|p| p.as_str()).collect();
                    $crate::error::FlameError::validation(
                        "platform",
                        format!("must be one of {}", names.join(", ")),
                    )
                })
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::FlameError;

            fn try_from(value: String) -> $crate::error::Result<Self> {
                value.parse()
            }
        }

        impl From<$name> for String {
            fn from(platform: $name) -> Self {
                platform.as_str().to_owned()
            }
        }
    };
}

pub mod accounting;
pub mod advertising;
pub mod messaging;
pub mod record;
pub mod ssrf;
pub mod telegram;
pub mod verify;
pub mod webhook;
pub mod whatsapp;

pub use crate::id::IntegrationId;

/// Records made by an integration have no acting member. The core constructors take one as the
/// default owner; it is replaced by the integration's assignee (or none) right after.
pub(crate) const NO_MEMBER: crate::id::UserId = crate::id::UserId::from_uuid(uuid::Uuid::nil());
pub use record::{
    Credentials, Integration, IntegrationKind, IntegrationPatch, IntegrationSettings, KindSettings,
    NewIntegration,
};

/// Deserializes the JSON `bytes` as a `T`, all or nothing. Errors name the JSON path of the
/// offending value (`"message.date"`) and never repeat it.
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(json_error)?;
    deserializer.end().map_err(|_| FlameError::validation("body", "is not valid JSON"))?;
    Ok(value)
}

fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> FlameError {
    use serde_json::error::Category;
    let path = error.path().to_string();
    let inner = error.inner();
    if !matches!(inner.classify(), Category::Data) {
        return FlameError::validation("body", "is not valid JSON");
    }
    // serde reports a missing field at the path of the object that lacks it; name the field.
    let message = inner.to_string();
    if let Some(name) =
        message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next())
    {
        return FlameError::validation(join_path(&path, name), "is missing");
    }
    let field = if path == "." { "body".to_owned() } else { path };
    FlameError::validation(field, "has the wrong type or an invalid value")
}

/// `parent.name`, or `name` at the root.
pub(crate) fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() || parent == "." { name.to_owned() } else { format!("{parent}.{name}") }
}

/// The UTC time of `seconds` since the Unix epoch.
pub(crate) fn unix_time(field: &str, seconds: i64) -> Result<OffsetDateTime> {
    if seconds < 0 {
        return Err(FlameError::validation(field, "must not be before 1970"));
    }
    OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| FlameError::validation(field, "is not a valid Unix time"))
}

/// Text received from outside (a message, a display name), made safe to store: `"\r\n"`
/// becomes `"\n"`, control characters other than `'\n'` and `'\t'` are dropped, the result is
/// trimmed. Blank text is `None`; text longer than `max_chars` is refused (the platforms'
/// own limits are far below Flame's, so longer text means a malformed payload).
pub(crate) fn received_text(field: &str, value: &str, max_chars: usize) -> Result<Option<String>> {
    let cleaned: String = value
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().nth(max_chars).is_some() {
        return Err(FlameError::validation(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// A required id received from outside: cleaned like [`received_text`], at most
/// [`text::NAME_MAX`] characters, not empty.
pub(crate) fn required_id(field: &str, value: &str) -> Result<String> {
    received_text(field, value, text::NAME_MAX)?
        .ok_or_else(|| FlameError::validation(field, "must not be empty"))
}

/// Optional text received from outside, checked as the parsers check it.
pub(crate) fn received_opt(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>> {
    match value {
        Some(value) => received_text(field, &value, max),
        None => Ok(None),
    }
}

/// A phone number as a platform sent it, normalized when it is a valid international number.
///
/// Messaging platforms and ad forms send international numbers, often without the `'+'`
/// (`"79991234567"`), so a number of digits alone is read as international. A number that
/// does not parse gives `None`: the raw text is kept by the caller, the message is not lost.
pub(crate) fn normalize_phone(raw: &str) -> Option<Phone> {
    let raw = raw.trim();
    Phone::parse(raw, None).ok().or_else(|| {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let only_digits_and_separators =
            raw.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.'));
        if digits.is_empty() || !only_digits_and_separators {
            return None;
        }
        Phone::parse(&format!("+{digits}"), None).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        inner: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        date: i64,
    }

    #[test]
    fn json_errors_name_the_path_without_the_value() {
        let err = from_json::<Outer>(br#"{"inner": [{"date": 1}, {"date": "secret"}]}"#)
            .expect_err("wrong type");
        assert_eq!(
            err,
            FlameError::validation("inner[1].date", "has the wrong type or an invalid value")
        );
        assert!(!err.to_string().contains("secret"));
        let err = from_json::<Outer>(br#"{"inner": [{}]}"#).expect_err("missing");
        assert_eq!(err, FlameError::validation("inner[0].date", "is missing"));
        let err = from_json::<Outer>(br"{}").expect_err("missing");
        assert_eq!(err, FlameError::validation("inner", "is missing"));
        for body in [&b"{"[..], b"", b"not json", br#"{"inner": []} trailing"#] {
            let err = from_json::<Outer>(body).expect_err("syntax");
            assert_eq!(err, FlameError::validation("body", "is not valid JSON"));
        }
        let err = from_json::<Outer>(b"[]").expect_err("not an object");
        assert_eq!(err, FlameError::validation("body", "has the wrong type or an invalid value"));
    }

    #[test]
    fn unix_times() {
        assert_eq!(unix_time("date", 0).expect("epoch"), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            unix_time("date", 1_700_000_000).expect("valid"),
            time::macros::datetime!(2023-11-14 22:13:20 UTC)
        );
        assert!(unix_time("date", -1).is_err());
        assert_eq!(
            unix_time("message.date", i64::MAX),
            Err(FlameError::validation("message.date", "is not a valid Unix time"))
        );
    }

    #[test]
    fn received_text_is_cleaned() {
        assert_eq!(
            received_text("t", " hi\r\nthere\u{0}\u{7} ", 100).expect("ok").as_deref(),
            Some("hi\nthere")
        );
        assert_eq!(received_text("t", " \u{1b} ", 100).expect("ok"), None);
        assert_eq!(
            received_text("t", "abc", 2),
            Err(FlameError::validation("t", "must be at most 2 characters"))
        );
    }

    #[test]
    fn phones_from_platforms() {
        for (raw, expected) in [
            ("79991234567", Some("+79991234567")),
            ("+79991234567", Some("+79991234567")),
            ("1 (415) 555-2671", Some("+14155552671")),
            ("+1 415 555 2671", Some("+14155552671")),
            ("12345", None),
            ("call me", None),
            ("", None),
        ] {
            assert_eq!(normalize_phone(raw).as_ref().map(Phone::as_str), expected, "{raw}");
        }
    }
}
