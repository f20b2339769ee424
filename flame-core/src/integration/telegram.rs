//! Telegram: the [`Update`](https://core.telegram.org/bots/api#update) a bot receives on its
//! webhook, read into an [`InboundMessage`].
//!
//! Only new messages matter to the CRM. An update of another kind (`edited_message`,
//! `callback_query`, `channel_post`, `my_chat_member`, …) is valid but not a new message:
//! [`parse_update`] answers `Ok(None)` for it, so that the host acknowledges it (Telegram
//! redelivers what is not acknowledged) and moves on. The same goes for a message with nothing
//! the CRM keeps — no text, no caption, no shared contact (a sticker, a voice note without a
//! caption).

use serde::Deserialize;

use super::messaging::{InboundMessage, MESSAGE_TEXT_MAX, MessagingPlatform};
use super::{from_json, normalize_phone, received_text, unix_time};
use crate::error::{FlameError, Result};
use crate::text;

/// The parts of a Telegram `Update` Flame reads.
#[derive(Deserialize)]
struct Update {
    #[allow(dead_code)] // Required: a body without it is not an Update.
    update_id: i64,
    message: Option<Message>,
}

/// The parts of a Telegram `Message` Flame reads.
#[derive(Deserialize)]
struct Message {
    message_id: i64,
    from: Option<User>,
    chat: Chat,
    date: i64,
    text: Option<String>,
    caption: Option<String>,
    contact: Option<Contact>,
}

/// A Telegram `User`.
#[derive(Deserialize)]
struct User {
    id: i64,
    first_name: String,
    last_name: Option<String>,
    username: Option<String>,
}

/// A Telegram `Chat`.
#[derive(Deserialize)]
struct Chat {
    id: i64,
}

/// A Telegram `Contact` (a phone number shared in a message).
#[derive(Deserialize)]
struct Contact {
    phone_number: String,
    user_id: Option<i64>,
}

/// Reads the body of a Telegram webhook request.
///
/// - a new message with text, a caption or a shared contact: `Ok(Some(message))`;
/// - any other update, or a message with none of these: `Ok(None)` (see the
///   [module documentation](self));
/// - a body that is not an `Update` or a message missing what Telegram always sends
///   (`message.chat`, `message.date`, `message.from`): a [`FlameError::Validation`] naming the
///   JSON path (`"message.date"`).
///
/// The phone is taken from a shared contact only when it is the sender's own (its `user_id`
/// is the sender's id): a forwarded contact card is someone else's number. Telegram numbers
/// messages per chat, so the message id is `"<chat id>:<message id>"`.
pub fn parse_update(body: &[u8]) -> Result<Option<InboundMessage>> {
    let update: Update = from_json(body)?;
    let Some(message) = update.message else {
        return Ok(None);
    };
    let from = message.from.ok_or_else(|| FlameError::validation("message.from", "is missing"))?;
    let text = match message.text.as_deref().or(message.caption.as_deref()) {
        Some(text) => {
            let field = if message.text.is_some() { "message.text" } else { "message.caption" };
            received_text(field, text, MESSAGE_TEXT_MAX)?
        }
        None => None,
    };
    let phone_raw = message
        .contact
        .filter(|contact| contact.user_id == Some(from.id))
        .map(|contact| contact.phone_number.trim().to_owned())
        .filter(|phone| !phone.is_empty());
    if text.is_none() && phone_raw.is_none() {
        return Ok(None);
    }
    let full_name = match &from.last_name {
        Some(last) => format!("{} {last}", from.first_name),
        None => from.first_name.clone(),
    };
    let username = from.username.as_deref().unwrap_or_default();
    Ok(Some(InboundMessage {
        platform: MessagingPlatform::Telegram,
        external_message_id: format!("{}:{}", message.chat.id, message.message_id),
        chat_id: message.chat.id.to_string(),
        sender_id: from.id.to_string(),
        sender_name: received_text("message.from.first_name", &full_name, text::NAME_MAX)?,
        sender_username: received_text("message.from.username", username, text::NAME_MAX)?,
        phone: phone_raw.as_deref().and_then(normalize_phone),
        phone_raw,
        text,
        sent_at: unix_time("message.date", message.date)?,
    }))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/src/integration/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parse(name: &str) -> Result<Option<InboundMessage>> {
        parse_update(&fixture(name))
    }

    #[test]
    fn a_text_message() {
        let message = parse("telegram_text_message.json").expect("valid").expect("a message");
        assert_eq!(
            message,
            InboundMessage {
                platform: MessagingPlatform::Telegram,
                external_message_id: "1111111:1365".to_owned(),
                chat_id: "1111111".to_owned(),
                sender_id: "1111111".to_owned(),
                sender_name: Some("Test Lastname".to_owned()),
                sender_username: Some("Testusername".to_owned()),
                phone_raw: None,
                phone: None,
                text: Some("Hello! How much is the Pro plan?".to_owned()),
                sent_at: datetime!(2015-09-07 17:05:32 UTC),
            }
        );
    }

    #[test]
    fn a_shared_own_contact_gives_the_phone() {
        let message = parse("telegram_contact_message.json").expect("valid").expect("a message");
        assert_eq!(message.phone_raw.as_deref(), Some("79991234567"));
        assert_eq!(message.phone.as_ref().map(|p| p.as_str()), Some("+79991234567"));
        assert_eq!(message.text, None);
        assert_eq!(message.sender_name.as_deref(), Some("Test"));
    }

    #[test]
    fn a_forwarded_contact_is_not_the_senders_phone() {
        // Someone else's card and no text: nothing for the CRM.
        assert_eq!(parse("telegram_forwarded_contact.json"), Ok(None));
    }

    #[test]
    fn a_caption_is_the_text() {
        let message = parse("telegram_photo_with_caption.json").expect("valid").expect("message");
        assert_eq!(message.text.as_deref(), Some("Do you have this in red?"));
        assert_eq!(message.chat_id, "-1001234567890");
        assert_eq!(message.sender_id, "3333333");
        assert_eq!(message.external_message_id, "-1001234567890:42");
    }

    #[test]
    fn updates_that_are_not_new_messages_are_skipped() {
        for name in [
            "telegram_edited_message.json",
            "telegram_callback_query.json",
            "telegram_sticker.json",
        ] {
            assert_eq!(parse(name), Ok(None), "{name}");
        }
    }

    #[test]
    fn malformed_updates_name_the_field() {
        for (name, field, reason) in [
            (
                "telegram_malformed_date.json",
                "message.date",
                "has the wrong type or an invalid value",
            ),
            ("telegram_missing_chat.json", "message.chat", "is missing"),
            ("telegram_missing_from.json", "message.from", "is missing"),
        ] {
            assert_eq!(parse(name), Err(FlameError::validation(field, reason)), "{name}");
        }
        assert_eq!(
            parse_update(br#"{"edited_message": {}}"#),
            Err(FlameError::validation("update_id", "is missing"))
        );
        assert_eq!(
            parse_update(b"<html>"),
            Err(FlameError::validation("body", "is not valid JSON"))
        );
        let negative = br#"{"update_id": 1, "message": {"message_id": 1, "from": {"id": 1,
            "first_name": "A"}, "chat": {"id": 1}, "date": -5, "text": "hi"}}"#;
        assert_eq!(
            parse_update(negative),
            Err(FlameError::validation("message.date", "must not be before 1970"))
        );
    }

    #[test]
    fn received_text_is_cleaned_and_bounded() {
        let body = |text: &str| {
            serde_json::json!({"update_id": 1, "message": {"message_id": 7,
                "from": {"id": 5, "first_name": " Ann\u{0} "}, "chat": {"id": 5},
                "date": 1_700_000_000, "text": text}})
            .to_string()
        };
        let message =
            parse_update(body("  hi\r\nthere\u{7} ").as_bytes()).expect("ok").expect("msg");
        assert_eq!(message.text.as_deref(), Some("hi\nthere"));
        assert_eq!(message.sender_name.as_deref(), Some("Ann"));
        assert_eq!(message.sender_username, None);
        let long = "x".repeat(MESSAGE_TEXT_MAX + 1);
        let err = parse_update(body(&long).as_bytes()).expect_err("too long");
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "message.text"));
    }
}
