//! WhatsApp: the webhook the WhatsApp Business Cloud API sends for a business number, read
//! into [`InboundMessage`]s.
//!
//! One webhook may carry several messages (`entry[].changes[].value.messages[]`) and the
//! senders' profiles beside them (`value.contacts[]`, matched by `wa_id`). Delivery receipts
//! (`value.statuses[]`) carry no message: a webhook with only those gives an empty list. Only
//! text messages are read; messages of other types (images, audio, reactions, …) are skipped.

use serde::Deserialize;

use super::messaging::{InboundMessage, MESSAGE_TEXT_MAX, MessagingPlatform};
use super::{from_json, normalize_phone, received_text, unix_time};
use crate::error::{FlameError, Result};
use crate::text;

/// The `object` of every WhatsApp Business webhook.
pub const WEBHOOK_OBJECT: &str = "whatsapp_business_account";

/// Just enough of a webhook to know which product sent it.
#[derive(Deserialize)]
struct Envelope {
    object: String,
}

/// The parts of a WhatsApp webhook Flame reads.
#[derive(Deserialize)]
struct Webhook {
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    field: String,
    value: Value,
}

#[derive(Deserialize)]
struct Value {
    metadata: Option<Metadata>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Message>,
}

/// The business number a change is for.
#[derive(Deserialize)]
struct Metadata {
    phone_number_id: String,
}

#[derive(Deserialize)]
struct Contact {
    wa_id: String,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<Text>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

/// Reads the body of a WhatsApp Cloud API webhook request into its text messages, in the
/// order they appear.
///
/// A body whose `object` is not `"whatsapp_business_account"`, or that is malformed anywhere,
/// is a [`FlameError::Validation`] naming the JSON path
/// (`"entry[0].changes[0].value.messages[1].timestamp"`): no message of it is returned, so
/// that the host answers with an error and nothing is half-imported.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<InboundMessage>> {
    Ok(parse_webhook_by_number(body)?.into_iter().flat_map(|n| n.messages).collect())
}

/// The text messages of one change of a WhatsApp webhook, with the business number they were
/// sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberMessages {
    /// The Cloud API id of the business number (`value.metadata.phone_number_id`): what
    /// routes the messages to the integration that owns the number
    /// ([`MessagingSettings::phone_number_id`](super::messaging::MessagingSettings::phone_number_id)).
    pub phone_number_id: String,
    /// The JSON path of that id (`"entry[0].changes[0].value.metadata.phone_number_id"`), for
    /// an error that refuses it.
    pub field: String,
    /// The text messages, in the order they appear (never empty).
    pub messages: Vec<InboundMessage>,
}

/// Reads a WhatsApp webhook as [`parse_webhook`] does, keeping each change's messages with
/// the business number they were sent to. A change with text messages but without
/// `value.metadata.phone_number_id` is a [`FlameError::Validation`] naming that path: a
/// message that cannot be routed is refused, not guessed.
pub fn parse_webhook_by_number(body: &[u8]) -> Result<Vec<NumberMessages>> {
    let envelope: Envelope = from_json(body)?;
    if envelope.object != WEBHOOK_OBJECT {
        return Err(FlameError::validation("object", "must be whatsapp_business_account"));
    }
    let webhook: Webhook = from_json(body)?;
    let mut numbers = Vec::new();
    for (e, entry) in webhook.entry.iter().enumerate() {
        for (c, change) in entry.changes.iter().enumerate() {
            if change.field != "messages" {
                continue;
            }
            let path = format!("entry[{e}].changes[{c}].value");
            let mut messages = Vec::new();
            for (m, message) in change.value.messages.iter().enumerate() {
                if let Some(message) = read_message(&path, m, message, &change.value.contacts)? {
                    messages.push(message);
                }
            }
            if messages.is_empty() {
                continue;
            }
            let field = format!("{path}.metadata.phone_number_id");
            let phone_number_id = change
                .value
                .metadata
                .as_ref()
                .map(|m| m.phone_number_id.trim())
                .filter(|id| !id.is_empty())
                .ok_or_else(|| FlameError::validation(field.clone(), "is missing"))?
                .to_owned();
            numbers.push(NumberMessages { phone_number_id, field, messages });
        }
    }
    Ok(numbers)
}

/// The message `index` of the change value at `path`; `None` when it is not a text message.
fn read_message(
    path: &str,
    index: usize,
    message: &Message,
    contacts: &[Contact],
) -> Result<Option<InboundMessage>> {
    let field = |name: &str| format!("{path}.messages[{index}].{name}");
    let from = message.from.trim();
    if from.is_empty() || !from.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FlameError::validation(field("from"), "must be the sender's phone digits"));
    }
    let id = message.id.trim();
    if id.is_empty() {
        return Err(FlameError::validation(field("id"), "must not be empty"));
    }
    let seconds: i64 = message
        .timestamp
        .trim()
        .parse()
        .map_err(|_| FlameError::validation(field("timestamp"), "is not a Unix time"))?;
    let sent_at = unix_time(&field("timestamp"), seconds)?;
    if message.kind != "text" {
        return Ok(None);
    }
    let body =
        message.text.as_ref().ok_or_else(|| FlameError::validation(field("text"), "is missing"))?;
    let sender_name = match contacts.iter().position(|contact| contact.wa_id == from) {
        Some(c) => match contacts[c].profile.as_ref().and_then(|p| p.name.as_deref()) {
            Some(name) => {
                let field = format!("{path}.contacts[{c}].profile.name");
                received_text(&field, name, text::NAME_MAX)?
            }
            None => None,
        },
        None => None,
    };
    Ok(Some(InboundMessage {
        platform: MessagingPlatform::WhatsApp,
        external_message_id: id.to_owned(),
        chat_id: from.to_owned(),
        sender_id: from.to_owned(),
        sender_name,
        sender_username: None,
        phone_raw: Some(from.to_owned()),
        phone: normalize_phone(from),
        text: received_text(&field("text.body"), &body.body, MESSAGE_TEXT_MAX)?,
        sent_at,
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

    fn parse(name: &str) -> Result<Vec<InboundMessage>> {
        parse_webhook(&fixture(name))
    }

    #[test]
    fn a_text_message() {
        let messages = parse("whatsapp_text_message.json").expect("valid");
        assert_eq!(
            messages,
            [InboundMessage {
                platform: MessagingPlatform::WhatsApp,
                external_message_id:
                    "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=".to_owned(),
                chat_id: "16505551234".to_owned(),
                sender_id: "16505551234".to_owned(),
                sender_name: Some("Sheena Nelson".to_owned()),
                sender_username: None,
                phone_raw: Some("16505551234".to_owned()),
                phone: Some("+16505551234".parse().expect("valid phone")),
                text: Some("Does it come in another color?".to_owned()),
                sent_at: datetime!(2025-06-08 20:59:43 UTC),
            }]
        );
    }

    #[test]
    fn several_senders_and_skipped_media() {
        let messages = parse("whatsapp_two_senders.json").expect("valid");
        let summary: Vec<_> = messages
            .iter()
            .map(|m| (m.external_message_id.as_str(), m.sender_name.as_deref(), m.text.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("wamid.AAA1", Some("Sheena Nelson"), Some("First")),
                ("wamid.AAA3", Some("Иван Петров"), Some("Здравствуйте! Сколько стоит доставка?")),
            ]
        );
        assert_eq!(messages[1].phone.as_ref().map(|p| p.as_str()), Some("+79991234567"));
    }

    #[test]
    fn messages_keep_the_number_they_were_sent_to() {
        let numbers = parse_webhook_by_number(&fixture("whatsapp_two_senders.json")).expect("ok");
        assert_eq!(numbers.len(), 1);
        assert_eq!(numbers[0].phone_number_id, "106540352242922");
        assert_eq!(numbers[0].field, "entry[0].changes[0].value.metadata.phone_number_id");
        assert_eq!(numbers[0].messages.len(), 2);
        let unroutable = br#"{"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "messages", "value": {"messages": [{"from": "1", "id": "w",
            "timestamp": "1", "type": "text", "text": {"body": "x"}}]}}]}]}"#;
        assert_eq!(
            parse_webhook_by_number(unroutable),
            Err(FlameError::validation(
                "entry[0].changes[0].value.metadata.phone_number_id",
                "is missing"
            ))
        );
        assert_eq!(parse_webhook_by_number(&fixture("whatsapp_status_delivered.json")), Ok(vec![]));
    }

    #[test]
    fn status_webhooks_have_no_messages() {
        assert_eq!(parse("whatsapp_status_delivered.json"), Ok(vec![]));
    }

    #[test]
    fn malformed_webhooks_give_no_partial_result() {
        assert_eq!(
            parse("whatsapp_malformed_timestamp.json"),
            Err(FlameError::validation(
                "entry[0].changes[0].value.messages[1].timestamp",
                "is not a Unix time"
            ))
        );
        assert_eq!(
            parse("whatsapp_text_without_body.json"),
            Err(FlameError::validation("entry[0].changes[0].value.messages[0].text", "is missing"))
        );
        assert_eq!(
            parse("whatsapp_wrong_object.json"),
            Err(FlameError::validation("object", "must be whatsapp_business_account"))
        );
        assert_eq!(
            parse_webhook(br#"{"object": "whatsapp_business_account"}"#),
            Err(FlameError::validation("entry", "is missing"))
        );
        assert_eq!(parse_webhook(b"{}"), Err(FlameError::validation("object", "is missing")));
        let bad_from = br#"{"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "messages", "value": {"messages": [{"from": "+1 650", "id": "w",
            "timestamp": "1", "type": "text", "text": {"body": "x"}}]}}]}]}"#;
        assert_eq!(
            parse_webhook(bad_from),
            Err(FlameError::validation(
                "entry[0].changes[0].value.messages[0].from",
                "must be the sender's phone digits"
            ))
        );
        let wrong_type = br#"{"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "messages", "value": {"messages": [{"from": "1", "id": "w",
            "timestamp": 1749416383, "type": "text"}]}}]}]}"#;
        assert_eq!(
            parse_webhook(wrong_type),
            Err(FlameError::validation(
                "entry[0].changes[0].value.messages[0].timestamp",
                "has the wrong type or an invalid value"
            ))
        );
    }
}
