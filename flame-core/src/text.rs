//! Validation of free text: names, titles, notes and reasons.
//!
//! Every piece of text a user types goes through [`required`] or [`optional`]: it is trimmed,
//! bounded in characters (not bytes) and must not carry control characters other than line
//! feeds and tabs. Windows line endings (`"\r\n"`) are normalized to `"\n"`.

use crate::error::{FlameError, Result};

/// The most characters a name (of a person, company, pipeline, …) may have.
pub const NAME_MAX: usize = 200;
/// The most characters a title (of a deal, an activity, …) may have.
pub const TITLE_MAX: usize = 200;
/// The most characters a note may have.
pub const NOTE_MAX: usize = 10_000;
/// The most characters a reason (a deal lost, a refusal, …) may have.
pub const REASON_MAX: usize = 1_000;

/// Validates the mandatory text `value` of `field`: trimmed, not empty, at most `max_chars`
/// characters, no control characters other than `'\n'` and `'\t'`.
pub fn required(field: &str, value: &str, max_chars: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FlameError::validation(field, "must not be empty"));
    }
    let text =
        if trimmed.contains("\r\n") { trimmed.replace("\r\n", "\n") } else { trimmed.to_owned() };
    if text.chars().nth(max_chars).is_some() {
        return Err(FlameError::validation(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FlameError::validation(field, "must not contain control characters"));
    }
    Ok(text)
}

/// Validates the optional text `value` of `field`: `None` or blank is `Ok(None)`, anything
/// else is checked as by [`required`].
pub fn optional(field: &str, value: Option<&str>, max_chars: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => required(field, v, max_chars).map(Some),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn reason_of(err: FlameError) -> (String, String) {
        match err {
            FlameError::Validation { field, reason } => (field, reason),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn constants() {
        assert_eq!(NAME_MAX, 200);
        assert_eq!(TITLE_MAX, 200);
        assert_eq!(NOTE_MAX, 10_000);
        assert_eq!(REASON_MAX, 1_000);
    }

    #[test]
    fn required_trims() {
        assert_eq!(required("name", "  Alice Smith \n\t", NAME_MAX).unwrap(), "Alice Smith");
        assert_eq!(required("name", "Ünïcødé", NAME_MAX).unwrap(), "Ünïcødé");
    }

    #[test]
    fn required_rejects_empty_and_blank() {
        for input in ["", "   ", "\n\t ", "\u{a0}"] {
            let (field, reason) = reason_of(required("name", input, NAME_MAX).unwrap_err());
            assert_eq!(field, "name");
            assert_eq!(reason, "must not be empty");
        }
    }

    #[test]
    fn required_counts_chars_not_bytes() {
        // 200 two-byte characters: 400 bytes but exactly the limit.
        let at_limit = "é".repeat(NAME_MAX);
        assert_eq!(required("name", &at_limit, NAME_MAX).unwrap(), at_limit);
        let over = "é".repeat(NAME_MAX + 1);
        let (field, reason) = reason_of(required("name", &over, NAME_MAX).unwrap_err());
        assert_eq!(field, "name");
        assert_eq!(reason, "must be at most 200 characters");
    }

    #[test]
    fn required_limit_applies_after_trim() {
        let padded = format!("  {}  ", "a".repeat(TITLE_MAX));
        assert_eq!(required("title", &padded, TITLE_MAX).unwrap().chars().count(), TITLE_MAX);
    }

    #[test]
    fn required_limit_boundaries() {
        assert!(required("reason", &"x".repeat(REASON_MAX), REASON_MAX).is_ok());
        let (_, reason) =
            reason_of(required("reason", &"x".repeat(1_001), REASON_MAX).unwrap_err());
        assert_eq!(reason, "must be at most 1000 characters");
        assert!(required("note", &"x".repeat(NOTE_MAX), NOTE_MAX).is_ok());
        let (field, reason) =
            reason_of(required("note", &"x".repeat(10_001), NOTE_MAX).unwrap_err());
        assert_eq!(field, "note");
        assert_eq!(reason, "must be at most 10000 characters");
    }

    #[test]
    fn required_allows_newlines_and_tabs() {
        let note = "line one\n\tline two";
        assert_eq!(required("note", note, NOTE_MAX).unwrap(), note);
    }

    #[test]
    fn required_normalizes_crlf() {
        assert_eq!(required("note", "one\r\ntwo\r\n", NOTE_MAX).unwrap(), "one\ntwo");
    }

    #[test]
    fn required_rejects_control_characters() {
        for input in ["a\0b", "a\u{7}b", "a\rb", "a\u{1b}[31mb", "a\u{7f}b", "a\u{85}b"] {
            let (field, reason) = reason_of(required("title", input, TITLE_MAX).unwrap_err());
            assert_eq!(field, "title");
            assert_eq!(reason, "must not contain control characters");
        }
    }

    #[test]
    fn errors_do_not_echo_the_value() {
        let err = required("name", "secret\u{0}value", NAME_MAX).unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn optional_none_and_blank() {
        assert_eq!(optional("note", None, NOTE_MAX).unwrap(), None);
        assert_eq!(optional("note", Some(""), NOTE_MAX).unwrap(), None);
        assert_eq!(optional("note", Some("  \n "), NOTE_MAX).unwrap(), None);
    }

    #[test]
    fn optional_validates_like_required() {
        assert_eq!(optional("note", Some(" hi "), NOTE_MAX).unwrap(), Some("hi".to_owned()));
        let (field, reason) = reason_of(optional("title", Some("a\u{0}"), TITLE_MAX).unwrap_err());
        assert_eq!(
            (field.as_str(), reason.as_str()),
            ("title", "must not contain control characters")
        );
        let (field, reason) = reason_of(optional("title", Some("abc"), 2).unwrap_err());
        assert_eq!((field.as_str(), reason.as_str()), ("title", "must be at most 2 characters"));
    }
}
