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
        }
    }

    /// The currency of the deals it opens.
    pub fn deal_currency(&self) -> Result<Currency> {
        Currency::parse(self.deal_currency.as_deref().unwrap_or("USD"))
            .map_err(|e| e.at("deal_currency"))
    }

    /// The settings checked: a connection that opens deals names the pipeline they open in.
    pub fn validated(self) -> Result<Self> {
        if self.auto_create_deal {
            self.deal_pipeline()?;
        }
        self.deal_currency()?;
        Ok(self)
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
    /// errors name the field.
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
            sent_at: crate::clock::normalize(self.sent_at),
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
            organization: None,
            owner_id: owner,
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
        let input = self.activity(contact, deal, settings.default_assignee_id);
        let mut activity = Activity::create(company_id, &input, super::NO_MEMBER, now)?;
        activity.owner_id = settings.default_assignee_id;
        Ok(activity)
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
}
