//! Messaging channels: which platforms a company can connect, what a connection does with the
//! people who write to it, and the one shape every platform's incoming message takes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::activity::{Activity, ActivityKind, NewActivity};
use crate::contact::{Contact, NewContact};
use crate::deal::{Deal, NewDeal};
use crate::error::{FlameError, Result};
use crate::event::EventPayload;
use crate::id::{CompanyId, ContactId, DealId, PipelineId, SourceId, UserId};
use crate::money::Currency;
use crate::phone::Phone;
use crate::pipeline::Stage;
use crate::text;

use super::{received_opt, required_id};

platform_enum! {
    /// A messaging platform a company can connect.
    MessagingPlatform {
        /// Telegram (a bot).
        Telegram => "telegram", "Telegram";
        /// WhatsApp (the WhatsApp Business Cloud API).
        WhatsApp => "whatsapp", "WhatsApp";
        /// VK (a community's messages).
        Vk => "vk", "VK";
        /// Viber (a bot).
        Viber => "viber", "Viber";
        /// Instagram (direct messages of a professional account).
        Instagram => "instagram", "Instagram";
        /// Email (a mailbox).
        Email => "email", "Email";
        /// SMS (a provider's number).
        Sms => "sms", "SMS";
    }
}

/// What a messaging connection does with the people who write to it. Its credentials (a bot
/// token, an access token) are kept apart, sealed (see [`crate::crypto`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagingSettings {
    /// The platform connected.
    pub platform: MessagingPlatform,
    /// Whether a first message from an unknown person creates a contact.
    pub auto_create_contact: bool,
    /// Whether a first message from an unknown person opens a deal.
    pub auto_create_deal: bool,
    /// The lead source of what the connection creates.
    pub default_source_id: Option<SourceId>,
    /// The pipeline its deals open in; required when `auto_create_deal` is on.
    pub default_pipeline_id: Option<PipelineId>,
    /// The member its contacts and deals are assigned to (unassigned when `None`).
    pub default_assignee_id: Option<UserId>,
    /// The currency of the deals it opens (ISO 4217; `USD` when `None`).
    #[serde(default)]
    pub deal_currency: Option<String>,
    /// WhatsApp only: the Cloud API id of the business number this integration owns
    /// (`metadata.phone_number_id` of its webhooks). Webhook messages are routed by it, and a
    /// WhatsApp integration without one accepts no webhook (fail closed).
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

impl MessagingSettings {
    /// Settings for `platform` that create contacts but no deals, with no defaults.
    pub fn new(platform: MessagingPlatform) -> Self {
        Self {
            platform,
            auto_create_contact: true,
            auto_create_deal: false,
            default_source_id: None,
            default_pipeline_id: None,
            default_assignee_id: None,
            deal_currency: None,
            phone_number_id: None,
        }
    }

    /// The currency of the deals it opens.
    pub fn deal_currency(&self) -> Result<Currency> {
        Currency::parse(self.deal_currency.as_deref().unwrap_or("USD"))
            .map_err(|e| e.at("deal_currency"))
    }

    /// The settings checked: a connection that opens deals names the pipeline they open in;
    /// a `phone_number_id` (trimmed) is digits, at most [`PHONE_NUMBER_ID_MAX`], and only on
    /// a WhatsApp connection.
    pub fn validated(mut self) -> Result<Self> {
        if self.auto_create_deal {
            self.deal_pipeline()?;
        }
        self.deal_currency()?;
        if let Some(id) = self.phone_number_id.take() {
            let field = "phone_number_id";
            if self.platform != MessagingPlatform::WhatsApp {
                return Err(FlameError::validation(field, "is for WhatsApp integrations only"));
            }
            let id = id.trim();
            if id.is_empty()
                || id.len() > PHONE_NUMBER_ID_MAX
                || !id.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(FlameError::validation(
                    field,
                    format!("must be the number's Cloud API id: 1 to {PHONE_NUMBER_ID_MAX} digits"),
                ));
            }
            self.phone_number_id = Some(id.to_owned());
        }
        Ok(self)
    }

    /// Whether this connection owns the WhatsApp business number `phone_number_id`.
    pub fn owns_number(&self, phone_number_id: &str) -> bool {
        self.platform == MessagingPlatform::WhatsApp
            && self.phone_number_id.as_deref() == Some(phone_number_id)
    }

    /// The pipeline its deals open in; a `Validation` on `default_pipeline_id` without one.
    pub fn deal_pipeline(&self) -> Result<PipelineId> {
        self.default_pipeline_id.ok_or_else(|| {
            FlameError::validation("default_pipeline_id", "is required when auto_create_deal is on")
        })
    }
}

/// A message a person sent to a company's messaging connection, the same shape for every
/// platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The platform it came through.
    pub platform: MessagingPlatform,
    /// The message's id on the platform, unique per connection: it makes a redelivered
    /// webhook recognizable. (Telegram numbers messages per chat, so its id is
    /// `"<chat id>:<message id>"`.)
    pub external_message_id: String,
    /// The conversation to answer in (a Telegram chat id, a WhatsApp id).
    pub chat_id: String,
    /// The sender's id on the platform: what a contact is matched by.
    pub sender_id: String,
    /// The sender's name as the platform shows it.
    pub sender_name: Option<String>,
    /// The sender's handle (a Telegram `@username`, without the `'@'`).
    pub sender_username: Option<String>,
    /// The sender's phone number as the platform sent it.
    pub phone_raw: Option<String>,
    /// The phone number normalized, when `phone_raw` is a valid international number.
    pub phone: Option<Phone>,
    /// The text of the message (a caption for media); `None` for a shared contact.
    pub text: Option<String>,
    /// When it was sent, UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

impl InboundMessage {
    /// A message a host built itself (a platform Flame does not parse), checked with the
    /// parsers' bounds: the message, chat and sender ids are required and at most
    /// [`text::NAME_MAX`] characters, as are the sender's name, handle and raw phone; the
    /// text at most [`text::NOTE_MAX`]. Text is cleaned of control characters and trimmed;
    /// errors name the field. A `sent_at` outside the years 1 to 9999 ([`crate::clock::YEARS`])
    /// is refused, not clamped: the platform's time is recorded on the activity as sent, and a
    /// made-up one would misdate it.
    pub fn validated(self) -> Result<InboundMessage> {
        Ok(InboundMessage {
            platform: self.platform,
            external_message_id: required_id("external_message_id", &self.external_message_id)?,
            chat_id: required_id("chat_id", &self.chat_id)?,
            sender_id: required_id("sender_id", &self.sender_id)?,
            sender_name: received_opt("sender_name", self.sender_name, text::NAME_MAX)?,
            sender_username: received_opt("sender_username", self.sender_username, text::NAME_MAX)?,
            phone_raw: received_opt("phone_raw", self.phone_raw, text::NAME_MAX)?,
            phone: self.phone,
            text: received_opt("text", self.text, text::NOTE_MAX)?,
            sent_at: crate::clock::checked("sent_at", self.sent_at)?,
        })
    }

    /// The name to file an unknown sender under: the name the platform shows, else the
    /// handle, else the platform and the sender's id.
    pub fn sender_display_name(&self) -> String {
        self.sender_name
            .clone()
            .or_else(|| self.sender_username.as_ref().map(|u| format!("@{u}")))
            .unwrap_or_else(|| format!("{} {}", self.platform.display_name(), self.sender_id))
    }

    /// The contact to create for an unknown sender, owned by `owner`.
    pub fn new_contact(&self, owner: Option<UserId>) -> NewContact {
        let name = self.sender_display_name();
        let mut words = name.splitn(2, ' ');
        let first: String = words.next().unwrap_or_default().chars().take(text::NAME_MAX).collect();
        let last = words.next().map(|l| l.chars().take(text::NAME_MAX).collect::<String>());
        NewContact {
            first_name: first,
            last_name: last.filter(|l| !l.trim().is_empty()),
            email: None,
            phone: self.phone.as_ref().map(|p| p.as_str().to_owned()),
            phone_region: None,
            organization_id: None,
            owner_id: owner,
            // A message fills no custom field (and required ones do not stop a message).
            custom: Default::default(),
        }
    }

    /// The deal a first message opens: named after the channel and the sender, no amount yet.
    pub fn new_deal(&self, settings: &MessagingSettings) -> Result<NewDeal> {
        let title: String =
            format!("{}: {}", self.platform.display_name(), self.sender_display_name())
                .chars()
                .take(text::TITLE_MAX)
                .collect();
        let mut deal = NewDeal::new(title, 0, settings.deal_currency()?.code());
        deal.source_id = settings.default_source_id;
        deal.assignee_id = settings.default_assignee_id;
        Ok(deal)
    }

    /// The contact an unknown sender becomes, in `company`: unassigned unless the integration
    /// names an assignee.
    pub fn contact(
        &self,
        company_id: CompanyId,
        settings: &MessagingSettings,
        now: OffsetDateTime,
    ) -> Result<Contact> {
        let input = self.new_contact(settings.default_assignee_id);
        let mut contact = Contact::create(company_id, &input, super::NO_MEMBER, now)?;
        contact.owner_id = settings.default_assignee_id;
        Ok(contact)
    }

    /// The deal the message opens for `contact`, in the first open stage of the integration's
    /// pipeline (whose `stages` are given), assigned to its assignee or to no one.
    pub fn deal(
        &self,
        company_id: CompanyId,
        settings: &MessagingSettings,
        stages: &[Stage],
        contact: ContactId,
        now: OffsetDateTime,
    ) -> Result<(Deal, EventPayload)> {
        let mut input = self.new_deal(settings)?;
        input.contact_id = Some(contact);
        let pipeline = settings.deal_pipeline()?;
        let (mut deal, event) =
            Deal::create(company_id, &input, pipeline, stages, super::NO_MEMBER, now)?;
        deal.assignee_id = settings.default_assignee_id;
        Ok((deal, event))
    }

    /// The incoming-message activity that records the message, recorded by the integration:
    /// unassigned unless it names an assignee.
    pub fn activity_record(
        &self,
        company_id: CompanyId,
        settings: &MessagingSettings,
        contact: ContactId,
        deal: Option<DealId>,
        now: OffsetDateTime,
    ) -> Result<Activity> {
        self.activity_record_noting(company_id, settings, contact, deal, None, now)
    }

    /// [`activity_record`](Self::activity_record), recording on the activity a shared phone
    /// number the contact did not take ([`PhoneUpdate::Record`]): the body gets a last line
    /// `"Shared phone number: <number>"` (the body cut to fit [`text::NOTE_MAX`]).
    pub fn activity_record_noting(
        &self,
        company_id: CompanyId,
        settings: &MessagingSettings,
        contact: ContactId,
        deal: Option<DealId>,
        phone: Option<&PhoneUpdate>,
        now: OffsetDateTime,
    ) -> Result<Activity> {
        let mut input = self.activity(contact, deal, settings.default_assignee_id);
        if let Some(PhoneUpdate::Record(number)) = phone {
            let line = format!("Shared phone number: {number}");
            let room = text::NOTE_MAX.saturating_sub(line.chars().count() + 1);
            let kept: String = input.body.chars().take(room).collect();
            input.body = if self.text.is_some() { format!("{kept}\n{line}") } else { line };
        }
        let mut activity = Activity::create(company_id, &input, super::NO_MEMBER, now)?;
        activity.owner_id = settings.default_assignee_id;
        Ok(activity)
    }

    /// What the phone number the sender shared (a Telegram contact shared through the bot's
    /// button, a WhatsApp sender's number) does to the existing contact they are filed under,
    /// whose number is `current`:
    ///
    /// - no number in the message, or the contact's own: nothing (`None`);
    /// - a contact without a number takes it, normalized to E.164 ([`PhoneUpdate::Attach`]);
    /// - a contact with a different number keeps it; when the number was *shared* (a
    ///   Telegram contact, whose phone is only ever taken from a contact the sender shared),
    ///   it is recorded on the message's activity ([`PhoneUpdate::Record`]) — as it is when
    ///   it is not a valid international number (the raw text then), so that nothing the
    ///   sender gave is lost. On other platforms the number is the sender's address (a
    ///   WhatsApp id), repeated on every message: a contact filed under another number is
    ///   left alone, without a note on each message.
    pub fn phone_update(&self, current: Option<&Phone>) -> Option<PhoneUpdate> {
        let shared_contact = self.platform == MessagingPlatform::Telegram;
        match (&self.phone, current) {
            (Some(shared), None) => Some(PhoneUpdate::Attach(shared.clone())),
            (Some(shared), Some(current)) if shared == current => None,
            (Some(shared), Some(_)) if shared_contact => {
                Some(PhoneUpdate::Record(shared.as_str().to_owned()))
            }
            (None, _) if shared_contact => self.phone_raw.clone().map(PhoneUpdate::Record),
            _ => None,
        }
    }

    /// The activity that records the message on the contact (and the deal).
    pub fn activity(
        &self,
        contact: ContactId,
        deal: Option<DealId>,
        owner: Option<UserId>,
    ) -> NewActivity {
        NewActivity {
            kind: ActivityKind::MessageIn,
            subject: Some(self.platform.display_name().to_owned()),
            body: self.text.clone().unwrap_or_else(|| "(shared a contact)".to_owned()),
            contact_id: Some(contact),
            deal_id: deal,
            due_at: None,
            occurred_at: Some(self.sent_at),
            owner_id: owner,
        }
    }
}

/// What a phone number shared in a message does to the contact it is filed under (see
/// [`InboundMessage::phone_update`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneUpdate {
    /// The contact had no number: it takes this one.
    Attach(Phone),
    /// The contact keeps its number; this one (normalized, or raw when it does not parse) is
    /// recorded on the message's activity.
    Record(String),
}

/// The most digits of a WhatsApp [`MessagingSettings::phone_number_id`].
pub const PHONE_NUMBER_ID_MAX: usize = 32;

/// The most characters an incoming message's text may have (the platforms allow 4096).
pub(crate) const MESSAGE_TEXT_MAX: usize = text::NOTE_MAX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_round_trip() {
        for platform in MessagingPlatform::ALL {
            assert_eq!(platform.as_str().parse::<MessagingPlatform>().expect("parses"), platform);
            let json = serde_json::to_string(&platform).expect("json");
            assert_eq!(json, format!("\"{platform}\""));
            assert_eq!(serde_json::from_str::<MessagingPlatform>(&json).expect("back"), platform);
        }
        assert_eq!(" WhatsApp ".parse::<MessagingPlatform>(), Ok(MessagingPlatform::WhatsApp));
        assert_eq!(MessagingPlatform::Vk.display_name(), "VK");
    }

    #[test]
    fn unknown_platform_is_a_validation_error() {
        let err = "icq".parse::<MessagingPlatform>().expect_err("unknown");
        assert!(matches!(&err, FlameError::Validation { field, .. } if field == "platform"));
        assert!(!err.to_string().contains("icq"));
        assert!(serde_json::from_str::<MessagingPlatform>("\"whats_app\"").is_err());
    }

    #[test]
    fn opening_deals_needs_a_pipeline() {
        let mut settings = MessagingSettings::new(MessagingPlatform::WhatsApp);
        settings.auto_create_deal = true;
        assert_eq!(
            settings.clone().validated(),
            Err(FlameError::validation(
                "default_pipeline_id",
                "is required when auto_create_deal is on"
            ))
        );
        settings.default_pipeline_id = Some(PipelineId::new());
        assert!(settings.validated().is_ok());
    }

    fn shared(phone_raw: Option<&str>) -> InboundMessage {
        InboundMessage {
            platform: MessagingPlatform::Telegram,
            external_message_id: "1:1".into(),
            chat_id: "1".into(),
            sender_id: "1".into(),
            sender_name: None,
            sender_username: None,
            phone_raw: phone_raw.map(str::to_owned),
            phone: phone_raw.and_then(super::super::normalize_phone),
            text: None,
            sent_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_shared_number_is_attached_only_where_there_is_none() {
        let ru: Phone = "+79991234567".parse().expect("phone");
        let us: Phone = "+16505551234".parse().expect("phone");
        let message = shared(Some("79991234567"));
        assert_eq!(message.phone_update(None), Some(PhoneUpdate::Attach(ru.clone())));
        assert_eq!(message.phone_update(Some(&ru)), None);
        assert_eq!(
            message.phone_update(Some(&us)),
            Some(PhoneUpdate::Record("+79991234567".into()))
        );
        assert_eq!(shared(None).phone_update(Some(&us)), None);
        // A WhatsApp sender's number is their address, on every message: no note each time.
        let whatsapp = InboundMessage { platform: MessagingPlatform::WhatsApp, ..message.clone() };
        assert_eq!(whatsapp.phone_update(None), Some(PhoneUpdate::Attach(ru.clone())));
        assert_eq!(whatsapp.phone_update(Some(&us)), None);
        assert_eq!(shared(None).phone_update(None), None);
        // Not a valid number: kept as sent, on the activity.
        assert_eq!(
            shared(Some("12345")).phone_update(None),
            Some(PhoneUpdate::Record("12345".into()))
        );

        let settings = MessagingSettings::new(MessagingPlatform::Telegram);
        let (company, contact) = (CompanyId::new(), ContactId::new());
        let record = PhoneUpdate::Record("+79991234567".into());
        let noted = |m: &InboundMessage| {
            let at = OffsetDateTime::UNIX_EPOCH;
            m.activity_record_noting(company, &settings, contact, None, Some(&record), at)
                .expect("activity")
                .body
        };
        assert_eq!(noted(&message), "Shared phone number: +79991234567");
        let with_text = InboundMessage { text: Some("x".repeat(text::NOTE_MAX)), ..message };
        let long = noted(&with_text);
        assert!(long.ends_with("\nShared phone number: +79991234567"));
        assert_eq!(long.chars().count(), text::NOTE_MAX);
    }

    #[test]
    fn a_whatsapp_number_id_is_digits_on_whatsapp_only() {
        let mut settings = MessagingSettings::new(MessagingPlatform::WhatsApp);
        settings.phone_number_id = Some(" 106540352242922 ".into());
        let settings = settings.validated().expect("digits");
        assert_eq!(settings.phone_number_id.as_deref(), Some("106540352242922"));
        assert!(settings.owns_number("106540352242922"));
        assert!(!settings.owns_number("106540352242923"));
        for bad in ["", "+1 650", "1".repeat(PHONE_NUMBER_ID_MAX + 1).as_str()] {
            let mut s = MessagingSettings::new(MessagingPlatform::WhatsApp);
            s.phone_number_id = Some(bad.into());
            assert!(
                matches!(s.validated(), Err(FlameError::Validation { field, .. }) if field == "phone_number_id"),
                "{bad:?}"
            );
        }
        let mut telegram = MessagingSettings::new(MessagingPlatform::Telegram);
        telegram.phone_number_id = Some("1".into());
        assert!(telegram.validated().is_err());
    }
}
