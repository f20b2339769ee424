//! A validated phone number, stored in E.164 form.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use phonenumber::country::Id;
use phonenumber::{Mode, ParseError, PhoneNumber};
use serde::{Deserialize, Serialize};

use crate::error::{FlameError, Result};

/// The most characters a phone number may have as typed.
const MAX_CHARS: usize = 32;

/// A valid phone number in E.164 form (`"+79991234567"`).
///
/// Serialized as the E.164 string; deserialization validates it again.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses `input` as typed by a person (`"+1 (415) 555-2671"`, `"8 (999) 123-45-67"`).
    ///
    /// `region` is an ISO 3166-1 alpha-2 code (any case) telling which country a national
    /// number belongs to; a number starting with `+` needs none. The number must be valid for
    /// its country and must not carry an extension.
    pub fn parse(input: &str, region: Option<&str>) -> Result<Phone> {
        let region = region.map(parse_region).transpose()?;
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if trimmed.chars().nth(MAX_CHARS).is_some() {
            return Err(invalid("must be at most 32 characters"));
        }
        let number = match phonenumber::parse(region, trimmed) {
            Ok(number) => number,
            Err(ParseError::InvalidCountryCode) if region.is_none() && !trimmed.contains('+') => {
                return Err(invalid("needs a country code or a region"));
            }
            Err(_) => return Err(invalid("is not a valid phone number")),
        };
        if !phonenumber::is_valid(&number) {
            return Err(invalid("is not a valid phone number"));
        }
        if number.extension().is_some() {
            return Err(invalid("must not have an extension"));
        }
        let e164 = to_e164(&number)?;
        // The stored form must parse back to itself without a region hint (serde, `FromStr`);
        // the few numbers the `phonenumber` crate cannot read back from E.164 are refused.
        // Input that already is that form, read without a hint, was just read back: the
        // check would repeat the parse above (half the cost of importing E.164 numbers).
        if region.is_none() && trimmed == e164 {
            return Ok(Phone(e164));
        }
        match phonenumber::parse(None, &e164) {
            Ok(again) if phonenumber::is_valid(&again) && to_e164(&again)? == e164 => {}
            _ => return Err(invalid("is not a valid phone number")),
        }
        Ok(Phone(e164))
    }

    /// The number in E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number in E.164 form, as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Turns a partial phone number typed into a search box (`"+7 999"`, `"7999-12"`) into the
/// prefix of the E.164 numbers it may match: `"+"` and its digits (`"+7999"`). `None` when it
/// has no digit.
pub fn search_prefix(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() { None } else { Some(format!("+{digits}")) }
}

fn parse_region(region: &str) -> Result<Id> {
    let code = region.trim().to_ascii_uppercase();
    let unknown = || FlameError::validation("region", "is not a known ISO 3166-1 alpha-2 code");
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(unknown());
    }
    Id::from_str(&code).map_err(|_| unknown())
}

fn invalid(reason: &str) -> FlameError {
    FlameError::validation("phone", reason)
}

fn to_e164(number: &PhoneNumber) -> Result<String> {
    let mut e164 = String::new();
    write!(e164, "{}", number.format().mode(Mode::E164))
        .map_err(|_| invalid("is not a valid phone number"))?;
    Ok(e164)
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Phone {
    /// A number as Flame stored it (E.164, written by [`Phone::parse`] when the record was
    /// saved): only its shape is checked — `+` and 2 to 15 digits — so that reading a page of
    /// contacts does not run the full numbering-plan parse once per row again.
    pub fn from_stored(text: &str) -> Result<Phone> {
        let digits = text.strip_prefix('+').unwrap_or_default();
        if (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(text.to_owned()))
        } else {
            Err(invalid("is not a stored E.164 number"))
        }
    }
}

impl FromStr for Phone {
    type Err = FlameError;

    /// Parses a number with its country code (no region hint).
    fn from_str(s: &str) -> Result<Self> {
        Phone::parse(s, None)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = FlameError;

    fn try_from(value: String) -> Result<Self> {
        Phone::parse(&value, None)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stored_numbers_are_shape_checked_only() {
        let parsed = Phone::parse("+44 20 7946 0958", None).expect("valid");
        assert_eq!(Phone::from_stored(parsed.as_str()), Ok(parsed));
        for bad in ["442079460958", "+", "+1234567890123456", "+44 20", "+44a"] {
            assert!(Phone::from_stored(bad).is_err(), "{bad}");
        }
    }

    fn error_of(input: &str, region: Option<&str>) -> (String, String) {
        match Phone::parse(input, region).unwrap_err() {
            FlameError::Validation { field, reason } => (field, reason),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn phone_reason(input: &str, region: Option<&str>) -> String {
        let (field, reason) = error_of(input, region);
        assert_eq!(field, "phone");
        reason
    }

    #[test]
    fn international_without_region() {
        let phone = Phone::parse("+1 (415) 555-2671", None).unwrap();
        assert_eq!(phone.as_str(), "+14155552671");
        assert_eq!(phone.to_string(), "+14155552671");
        assert_eq!(phone.as_ref(), "+14155552671");
        assert_eq!(phone.into_string(), "+14155552671");
    }

    #[test]
    fn russian_national_with_region() {
        let phone = Phone::parse("8 (999) 123-45-67", Some("RU")).unwrap();
        assert_eq!(phone.as_str(), "+79991234567");
        assert_eq!(Phone::parse("+7 999 123-45-67", None).unwrap(), phone);
        assert_eq!(Phone::parse("  +79991234567  ", None).unwrap(), phone);
    }

    #[test]
    fn region_is_case_insensitive() {
        assert_eq!(Phone::parse("(415) 555-2671", Some("us")).unwrap().as_str(), "+14155552671");
        assert_eq!(Phone::parse("8 999 123 45 67", Some(" ru ")).unwrap().as_str(), "+79991234567");
    }

    #[test]
    fn plus_number_ignores_region_hint() {
        assert_eq!(Phone::parse("+79991234567", Some("US")).unwrap().as_str(), "+79991234567");
    }

    #[test]
    fn other_countries() {
        assert_eq!(Phone::parse("+44 20 7946 0958", None).unwrap().as_str(), "+442079460958");
        // Italian numbers keep their leading zero.
        assert_eq!(Phone::parse("02 1234 5678", Some("IT")).unwrap().as_str(), "+390212345678");
    }

    #[test]
    fn unknown_region() {
        for region in ["XX", "", "RUS", "1", "ру"] {
            let (field, reason) = error_of("+79991234567", Some(region));
            assert_eq!(field, "region", "{region}");
            assert_eq!(reason, "is not a known ISO 3166-1 alpha-2 code");
        }
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(phone_reason("", None), "must not be empty");
        assert_eq!(phone_reason("  ", Some("RU")), "must not be empty");
    }

    #[test]
    fn rejects_too_long() {
        let long = format!("+7 999 123 45 67{}", " ".repeat(17));
        assert_eq!(phone_reason(&format!("{long}0"), None), "must be at most 32 characters");
        // 32 characters are fine (length is counted on the trimmed input).
        let at_limit = "+7 (999) 123 - 45 - 67         1";
        assert_eq!(at_limit.chars().count(), 32);
        assert_eq!(phone_reason(at_limit, None), "is not a valid phone number");
        assert_eq!(Phone::parse("+7 (999) 123 - 45 - 67 ", None).unwrap().as_str(), "+79991234567");
    }

    #[test]
    fn national_number_needs_region() {
        assert_eq!(phone_reason("8 (999) 123-45-67", None), "needs a country code or a region");
        assert_eq!(phone_reason("79991234567", None), "needs a country code or a region");
        assert!("79991234567".parse::<Phone>().is_err());
    }

    #[test]
    fn rejects_invalid_numbers() {
        for (input, region) in [
            ("+7 999 123", None),
            ("123", Some("RU")),
            ("12345", Some("US")),
            ("+1 555", None),
            ("+0000000000", None),
            ("abc", None),
            ("abc", Some("RU")),
            ("+", None),
            ("+7 999 1234 5678 9", None),
        ] {
            assert_eq!(phone_reason(input, region), "is not a valid phone number", "{input}");
        }
    }

    #[test]
    fn refuses_numbers_that_do_not_read_back() {
        // `phonenumber` accepts this with region RU but cannot parse its E.164 form back.
        assert_eq!(phone_reason("88808678 0056", Some("RU")), "is not a valid phone number");
    }

    #[test]
    fn e164_reads_back_to_itself() {
        for (input, region) in [
            ("+1 (415) 555-2671", None),
            ("8 (999) 123-45-67", Some("RU")),
            ("02 1234 5678", Some("IT")),
            ("020 7946 0958", Some("GB")),
            ("030 123456", Some("DE")),
        ] {
            let phone = Phone::parse(input, region).unwrap();
            assert_eq!(phone.as_str().parse::<Phone>().unwrap(), phone, "{input}");
        }
    }

    #[test]
    fn rejects_extensions() {
        assert_eq!(phone_reason("+1 415 555 2671 ext. 12", None), "must not have an extension");
    }

    #[test]
    fn errors_do_not_echo_the_value() {
        let err = Phone::parse("+7 999 123", None).unwrap_err();
        assert!(!err.to_string().contains("999"));
    }

    #[test]
    fn from_str_uses_no_region() {
        let phone: Phone = "+1 415 555 2671".parse().unwrap();
        assert_eq!(phone.as_str(), "+14155552671");
        assert_eq!(Phone::try_from(String::from("+14155552671")).unwrap(), phone);
        assert_eq!(String::from(phone), "+14155552671");
    }

    #[test]
    fn serde_round_trip() {
        let phone = Phone::parse("8 (999) 123-45-67", Some("RU")).unwrap();
        let json = serde_json::to_string(&phone).unwrap();
        assert_eq!(json, "\"+79991234567\"");
        let back: Phone = serde_json::from_str(&json).unwrap();
        assert_eq!(back, phone);
    }

    #[test]
    fn serde_validates() {
        let phone: Phone = serde_json::from_str("\"+1 (415) 555-2671\"").unwrap();
        assert_eq!(phone.as_str(), "+14155552671");
        let err = serde_json::from_str::<Phone>("\"+7 999\"").unwrap_err();
        assert!(err.to_string().contains("invalid phone"));
        assert!(serde_json::from_str::<Phone>("\"89991234567\"").is_err());
        assert!(serde_json::from_str::<Phone>("79991234567").is_err());
    }

    #[test]
    fn search_prefix_keeps_digits() {
        assert_eq!(search_prefix("+7 999").as_deref(), Some("+7999"));
        assert_eq!(search_prefix("7999-12").as_deref(), Some("+799912"));
        assert_eq!(search_prefix(" +1 (415) 555 ").as_deref(), Some("+1415555"));
        assert_eq!(search_prefix("8").as_deref(), Some("+8"));
    }

    #[test]
    fn search_prefix_without_digits() {
        assert_eq!(search_prefix(""), None);
        assert_eq!(search_prefix("+"), None);
        assert_eq!(search_prefix("  ( ) - "), None);
        assert_eq!(search_prefix("alice"), None);
    }
}
