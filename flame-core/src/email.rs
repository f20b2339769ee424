//! A validated, normalized email address.

use std::fmt;
use std::str::FromStr;

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

use crate::error::{FlameError, Result};

/// The most characters an email address may have.
const MAX_CHARS: usize = 254;

/// An email address: syntactically valid, with a dotted domain, trimmed and lowercased.
///
/// Serialized as a plain string; deserialization validates it again.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses `input`: trims it, checks its length and syntax (a bare address, no display
    /// name, no IP-literal domain, a domain with a dot) and lowercases it.
    pub fn parse(input: &str) -> Result<Email> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid("must not be empty"));
        }
        // Lowercasing may lengthen a few characters ('İ'), so the limit applies to the result.
        let lower = trimmed.to_lowercase();
        if lower.chars().nth(MAX_CHARS).is_some() {
            return Err(invalid("must be at most 254 characters"));
        }
        let options = Options::default().without_display_text().without_domain_literal();
        EmailAddress::parse_with_options(&lower, options)
            .map_err(|_| invalid("is not a valid email address"))?;
        let domain = lower.rsplit_once('@').map_or("", |(_, domain)| domain);
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid("is not a valid email address"));
        }
        Ok(Email(lower))
    }

    /// The address as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

fn invalid(reason: &str) -> FlameError {
    FlameError::validation("email", reason)
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Email {
    /// An address as Flame stored it (normalized by [`Email::parse`] when the record was
    /// saved): only its shape is checked — one `@`, no whitespace, lowercase — so that reading
    /// records does not run the full syntax check once per row again.
    pub fn from_stored(text: &str) -> Result<Email> {
        let shaped = text.matches('@').count() == 1
            && !text.starts_with('@')
            && !text.ends_with('@')
            && !text.chars().any(|c| c.is_whitespace() || c.is_uppercase());
        if shaped { Ok(Email(text.to_owned())) } else { Err(invalid("is not a stored address")) }
    }
}

impl FromStr for Email {
    type Err = FlameError;

    fn from_str(s: &str) -> Result<Self> {
        Email::parse(s)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = FlameError;

    fn try_from(value: String) -> Result<Self> {
        Email::parse(&value)
    }
}

impl TryFrom<&str> for Email {
    type Error = FlameError;

    fn try_from(value: &str) -> Result<Self> {
        Email::parse(value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn reason_of(input: &str) -> String {
        match Email::parse(input).unwrap_err() {
            FlameError::Validation { field, reason } => {
                assert_eq!(field, "email");
                reason
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    /// An address of exactly `len` characters (`len` ≥ 200), valid in every other respect.
    fn address_of_len(len: usize) -> String {
        let local = "a".repeat(64);
        let fixed = format!("{local}@{}.{}.", "b".repeat(63), "c".repeat(63));
        let last = len - fixed.len() - 4;
        format!("{fixed}{}.com", "d".repeat(last))
    }

    #[test]
    fn parses_and_normalizes() {
        let email = Email::parse("  Alice.Smith+CRM@Example.COM \n").unwrap();
        assert_eq!(email.as_str(), "alice.smith+crm@example.com");
        assert_eq!(email.to_string(), "alice.smith+crm@example.com");
        assert_eq!(email.as_ref(), "alice.smith+crm@example.com");
        assert_eq!(email.clone().into_string(), "alice.smith+crm@example.com");
        assert_eq!(String::from(email), "alice.smith+crm@example.com");
    }

    #[test]
    fn equal_after_normalization() {
        assert_eq!(Email::parse("BOB@x.io").unwrap(), Email::parse("bob@X.IO").unwrap());
    }

    #[test]
    fn accepts_common_forms() {
        for input in ["a@b.co", "first.last@sub.domain.example", "x_y-z@mail-server.org", "1@2.3"] {
            assert!(Email::parse(input).is_ok(), "{input} should be accepted");
        }
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(reason_of(""), "must not be empty");
        assert_eq!(reason_of("   \t"), "must not be empty");
    }

    #[test]
    fn length_boundary() {
        let ok = address_of_len(254);
        assert_eq!(ok.len(), 254);
        assert_eq!(Email::parse(&ok).unwrap().as_str(), ok);
        let too_long = address_of_len(255);
        assert_eq!(too_long.len(), 255);
        assert_eq!(reason_of(&too_long), "must be at most 254 characters");
        // Surrounding whitespace does not count.
        assert!(Email::parse(&format!("  {ok}  ")).is_ok());
    }

    #[test]
    fn length_is_counted_after_lowercasing() {
        // 'İ' is one character but lowercases to two ("i̇").
        let local = format!("İ{}", "a".repeat(60));
        let input = format!("{local}@{}.{}.{}.com", "b".repeat(63), "c".repeat(63), "d".repeat(60));
        assert_eq!(input.chars().count(), 254);
        assert_eq!(reason_of(&input), "must be at most 254 characters");
    }

    #[test]
    fn rejects_bad_syntax() {
        for input in [
            "plainaddress",
            "@example.com",
            "user@",
            "user@@example.com",
            "user name@example.com",
            "user@exa mple.com",
            "user@.example.com",
            "user@example.com.",
            "user@example..com",
            "user@-example.com",
            ".user@example.com",
            "user.@example.com",
        ] {
            assert_eq!(reason_of(input), "is not a valid email address", "{input}");
        }
    }

    #[test]
    fn rejects_domain_without_dot() {
        assert_eq!(reason_of("user@localhost"), "is not a valid email address");
    }

    #[test]
    fn rejects_display_name_forms() {
        assert_eq!(reason_of("Bob <b@x.com>"), "is not a valid email address");
        assert_eq!(reason_of("<b@x.com>"), "is not a valid email address");
        assert_eq!(reason_of("\"Bob\" <b@x.com>"), "is not a valid email address");
    }

    #[test]
    fn rejects_domain_literals() {
        assert_eq!(reason_of("user@[127.0.0.1]"), "is not a valid email address");
    }

    #[test]
    fn errors_do_not_echo_the_value() {
        let err = Email::parse("secret-person@localhost").unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn from_str_and_try_from() {
        let email: Email = "A@B.CD".parse().unwrap();
        assert_eq!(email.as_str(), "a@b.cd");
        assert_eq!(Email::try_from("a@b.cd").unwrap(), email);
        assert_eq!(Email::try_from(String::from("a@b.cd")).unwrap(), email);
        assert!("nope".parse::<Email>().is_err());
    }

    #[test]
    fn serde_round_trip() {
        let email = Email::parse("A@B.CD").unwrap();
        let json = serde_json::to_string(&email).unwrap();
        assert_eq!(json, "\"a@b.cd\"");
        let back: Email = serde_json::from_str(&json).unwrap();
        assert_eq!(back, email);
    }

    #[test]
    fn serde_normalizes_and_validates() {
        let email: Email = serde_json::from_str("\" Mixed@Case.Org \"").unwrap();
        assert_eq!(email.as_str(), "mixed@case.org");
        let err = serde_json::from_str::<Email>("\"not-an-email\"").unwrap_err();
        assert!(err.to_string().contains("invalid email"));
        assert!(serde_json::from_str::<Email>("42").is_err());
    }
}
