//! Integrations on the uniffi surface: encryption keys, the four kinds with their settings,
//! inbound messages and key rotation. Credentials and keys cross as function arguments or
//! objects, never as record fields, so that no printed record shows them.

use flame_db::InboundOutcome;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use flame_db::core as fc;

use crate::error::Result;
use crate::types::*;

// ---------------------------------------------------------------------------------------------
// Keys

/// A 256-bit key that encrypts integration credentials, with the id stored ciphertexts name
/// it by. It prints nothing.
#[derive(uniffi::Object)]
pub struct EncryptionKey {
    pub(crate) inner: fc::crypto::EncryptionKey,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionKey").field("id", &self.inner.id()).finish_non_exhaustive()
    }
}

#[uniffi::export]
impl EncryptionKey {
    /// A key from its 32 raw bytes.
    #[uniffi::constructor]
    pub fn from_bytes(id: String, bytes: Vec<u8>) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { inner: fc::crypto::EncryptionKey::from_bytes(&id, &bytes)? }))
    }

    /// A key from its base64 text (44 characters for 32 bytes).
    #[uniffi::constructor]
    pub fn from_base64(id: String, text: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { inner: fc::crypto::EncryptionKey::from_base64(&id, &text)? }))
    }

    /// A key from the base64 text in the environment variable `variable`.
    #[uniffi::constructor]
    pub fn from_env(id: String, variable: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { inner: fc::crypto::EncryptionKey::from_env(&id, &variable)? }))
    }

    /// The key's id.
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Settings

pub use fc::integration::IntegrationKind;
pub use fc::integration::accounting::AccountingPlatform;
pub use fc::integration::advertising::AdvertisingPlatform;
pub use fc::integration::messaging::MessagingPlatform;

/// What an integration does, by kind.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum IntegrationSettings {
    /// A messaging channel: inbound messages become contacts, deals and activities.
    Messaging {
        /// The platform.
        platform: MessagingPlatform,
        /// Whether an unknown sender becomes a contact.
        auto_create_contact: bool,
        /// Whether a contact without an open deal gets one.
        auto_create_deal: bool,
        /// The source of what it creates.
        default_source_id: Option<String>,
        /// The pipeline its deals open in (required with `autoCreateDeal`).
        default_pipeline_id: Option<String>,
        /// The member its records are assigned to.
        default_assignee_id: Option<String>,
        /// The currency of its deals (`USD` when `null`).
        deal_currency: Option<String>,
        /// WhatsApp only: the Cloud API id of the business number it owns; webhook messages
        /// are routed by it, and without one no WhatsApp webhook is accepted.
        #[uniffi(default = None)]
        phone_number_id: Option<String>,
    },
    /// An accounting system: won deals become invoice documents.
    Accounting {
        /// The system.
        platform: AccountingPlatform,
        /// VAT rate in basis points (2000 = 20 %).
        vat_rate_bp: u32,
        /// Whether deal amounts include VAT.
        vat_included: bool,
        /// Whether winning a deal queues its invoice.
        invoice_on_won: bool,
    },
    /// An advertising account: lead forms become contacts and deals.
    Advertising {
        /// The platform.
        platform: AdvertisingPlatform,
        /// Whether a lead opens a deal.
        auto_create_deal: bool,
        /// The pipeline its deals open in.
        default_pipeline_id: Option<String>,
        /// The member its records are assigned to.
        default_assignee_id: Option<String>,
        /// The currency of its deals (`USD` when `null`).
        deal_currency: Option<String>,
    },
    /// An outgoing webhook.
    Webhook {
        /// Where events are posted.
        url: String,
        /// Event types: exact (`deal.won`), families (`deal.*`) or `*`.
        events: Vec<String>,
    },
}

impl From<fc::integration::IntegrationSettings> for IntegrationSettings {
    fn from(s: fc::integration::IntegrationSettings) -> Self {
        use fc::integration::IntegrationSettings as S;
        use fc::integration::record::{AccountingSettings, AdvertisingSettings, WebhookSettings};
        match s {
            S::Messaging(fc::integration::messaging::MessagingSettings {
                platform,
                auto_create_contact,
                auto_create_deal,
                default_source_id,
                default_pipeline_id,
                default_assignee_id,
                deal_currency,
                phone_number_id,
            }) => Self::Messaging {
                platform,
                auto_create_contact,
                auto_create_deal,
                default_source_id: opt_id(default_source_id),
                default_pipeline_id: opt_id(default_pipeline_id),
                default_assignee_id: opt_id(default_assignee_id),
                deal_currency,
                phone_number_id,
            },
            S::Accounting(AccountingSettings {
                platform,
                vat_rate_bp,
                vat_included,
                invoice_on_won,
            }) => Self::Accounting { platform, vat_rate_bp, vat_included, invoice_on_won },
            S::Advertising(AdvertisingSettings {
                platform,
                auto_create_deal,
                default_pipeline_id,
                default_assignee_id,
                deal_currency,
            }) => Self::Advertising {
                platform,
                auto_create_deal,
                default_pipeline_id: opt_id(default_pipeline_id),
                default_assignee_id: opt_id(default_assignee_id),
                deal_currency,
            },
            S::Webhook(WebhookSettings { url, events }) => Self::Webhook { url, events },
        }
    }
}

impl TryFrom<IntegrationSettings> for fc::integration::IntegrationSettings {
    type Error = crate::error::FlameError;
    fn try_from(s: IntegrationSettings) -> Result<Self> {
        use fc::integration::IntegrationSettings as S;
        use fc::integration::record::{AccountingSettings, AdvertisingSettings, WebhookSettings};
        Ok(match s {
            IntegrationSettings::Messaging {
                platform,
                auto_create_contact,
                auto_create_deal,
                default_source_id,
                default_pipeline_id,
                default_assignee_id,
                deal_currency,
                phone_number_id,
            } => S::Messaging(fc::integration::messaging::MessagingSettings {
                platform,
                auto_create_contact,
                auto_create_deal,
                default_source_id: opt_source_id("default_source_id", default_source_id)?,
                default_pipeline_id: opt_pipeline_id("default_pipeline_id", default_pipeline_id)?,
                default_assignee_id: opt_user_id("default_assignee_id", default_assignee_id)?,
                deal_currency,
                phone_number_id,
            }),
            IntegrationSettings::Accounting {
                platform,
                vat_rate_bp,
                vat_included,
                invoice_on_won,
            } => S::Accounting(AccountingSettings {
                platform,
                vat_rate_bp,
                vat_included,
                invoice_on_won,
            }),
            IntegrationSettings::Advertising {
                platform,
                auto_create_deal,
                default_pipeline_id,
                default_assignee_id,
                deal_currency,
            } => S::Advertising(AdvertisingSettings {
                platform,
                auto_create_deal,
                default_pipeline_id: opt_pipeline_id("default_pipeline_id", default_pipeline_id)?,
                default_assignee_id: opt_user_id("default_assignee_id", default_assignee_id)?,
                deal_currency,
            }),
            IntegrationSettings::Webhook { url, events } => {
                S::Webhook(WebhookSettings { url, events })
            }
        })
    }
}

/// An integration (its credentials are never shown; only their field names).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Integration {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Its name.
    pub name: String,
    /// Disabled integrations receive and send nothing.
    pub enabled: bool,
    /// What it does.
    pub settings: IntegrationSettings,
    /// The names of its credentials.
    pub credential_fields: Vec<String>,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::integration::Integration> for Integration {
    fn from(i: fc::integration::Integration) -> Self {
        let fc::integration::Integration {
            id: integration_id,
            company_id,
            name,
            enabled,
            settings,
            credential_fields,
            created_at,
            updated_at,
            version,
        } = i;
        Self {
            id: id(integration_id),
            company_id: id(company_id),
            name,
            enabled,
            settings: settings.into(),
            credential_fields,
            created_at: time(created_at),
            updated_at: time(updated_at),
            version,
        }
    }
}

/// Changes to an integration; `null` leaves a field as it is.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct IntegrationPatch {
    /// A new name.
    #[uniffi(default)]
    pub name: Option<String>,
    /// Enable or disable.
    #[uniffi(default)]
    pub enabled: Option<bool>,
    /// New settings of the same kind.
    #[uniffi(default)]
    pub settings: Option<IntegrationSettings>,
}

fn credentials(map: HashMap<String, String>) -> fc::integration::Credentials {
    map.into_iter().fold(fc::integration::Credentials::new(), |c, (k, v)| c.with(&k, v))
}

/// A message a person sent to a messaging integration, parsed by the host (for platforms
/// whose webhooks Flame does not parse), for `Inbound.handleMessage`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct InboundMessage {
    /// The platform it came through (the integration's).
    pub platform: MessagingPlatform,
    /// The message's id on the platform, unique per integration: a redelivered message is
    /// recognized by it.
    pub external_message_id: String,
    /// The conversation to answer in.
    pub chat_id: String,
    /// The sender's id on the platform: what a contact is matched by.
    pub sender_id: String,
    /// When it was sent.
    pub sent_at: SystemTime,
    /// The sender's name as the platform shows it.
    #[uniffi(default)]
    pub sender_name: Option<String>,
    /// The sender's handle (without the `@`).
    #[uniffi(default)]
    pub sender_username: Option<String>,
    /// The sender's phone number as the platform sent it.
    #[uniffi(default)]
    pub phone_raw: Option<String>,
    /// The phone number in international form (checked: a `Validation` error on `"phone"`);
    /// senders are matched by it.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// The text of the message.
    #[uniffi(default)]
    pub text: Option<String>,
}

impl TryFrom<InboundMessage> for fc::integration::messaging::InboundMessage {
    type Error = crate::error::FlameError;
    fn try_from(m: InboundMessage) -> Result<Self> {
        let InboundMessage {
            platform,
            external_message_id,
            chat_id,
            sender_id,
            sent_at,
            sender_name,
            sender_username,
            phone_raw,
            phone,
            text,
        } = m;
        Ok(Self {
            platform,
            external_message_id,
            chat_id,
            sender_id,
            sender_name,
            sender_username,
            phone_raw,
            phone: phone.map(|p| fc::Phone::parse(&p, None)).transpose()?,
            text,
            sent_at: from_time(sent_at),
        })
    }
}

/// What a key rotation did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Rotation {
    /// Secrets re-encrypted under the primary key.
    pub resealed: u64,
    /// Secrets still under another key (the skipped ones too).
    pub remaining: u64,
    /// The integrations holding a secret no configured key decrypts (or a malformed one),
    /// left as stored while the others rotated.
    pub skipped: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Objects

/// The company's integrations (admins and owners).
#[derive(Debug, uniffi::Object)]
pub struct Integrations {
    pub(crate) inner: flame_db::Integrations,
}

#[uniffi::export(async_runtime = "tokio")]
impl Integrations {
    /// Creates an integration; `credentials` (field → secret) are sealed with the store's key.
    #[uniffi::method(default(credentials))]
    pub async fn create(
        &self,
        name: String,
        settings: IntegrationSettings,
        credentials: HashMap<String, String>,
    ) -> Result<Integration> {
        let input = fc::integration::NewIntegration {
            name,
            settings: settings.try_into()?,
            credentials: self::credentials(credentials),
        };
        Ok(self.inner.create(input).await?.into())
    }

    /// One integration.
    pub async fn get(&self, id: String) -> Result<Integration> {
        Ok(self.inner.get(integration_id("id", &id)?).await?.into())
    }

    /// The integrations, by creation: all of them, or those of one `kind`.
    #[uniffi::method(default(kind = None))]
    pub async fn list(&self, kind: Option<IntegrationKind>) -> Result<Vec<Integration>> {
        Ok(self.inner.list(kind).await?.into_iter().map(Into::into).collect())
    }

    /// Applies `patch` to the integration read at `version`; `credentials` set or replace
    /// fields.
    #[uniffi::method(default(credentials))]
    pub async fn update(
        &self,
        id: String,
        version: i64,
        patch: IntegrationPatch,
        credentials: HashMap<String, String>,
    ) -> Result<Integration> {
        let core = fc::integration::IntegrationPatch {
            name: patch.name,
            enabled: patch.enabled,
            settings: patch.settings.map(TryInto::try_into).transpose()?,
            credentials: self::credentials(credentials),
        };
        Ok(self.inner.update(integration_id("id", &id)?, version, core).await?.into())
    }

    /// Deletes the integration read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(integration_id("id", &id)?, version).await
    }

    /// The decrypted credential `field`, for the host's platform adapter.
    pub async fn credential(
        &self,
        id: String,
        field: String,
    ) -> Result<Arc<crate::accounts::Secret>> {
        let secret = self.inner.credential(integration_id("id", &id)?, &field).await?;
        Ok(crate::accounts::Secret::new(secret))
    }
}

/// Inbound messages for messaging integrations (trusted host calls).
#[derive(Debug, uniffi::Object)]
pub struct Inbound {
    pub(crate) inner: flame_db::Inbound,
}

#[uniffi::export(async_runtime = "tokio")]
impl Inbound {
    /// Handles a platform's webhook request (Telegram `Update`, WhatsApp Cloud API webhook):
    /// `headers` as received (names in any case) and the raw `body`. It is verified before
    /// its body is read: Telegram's `X-Telegram-Bot-Api-Secret-Token` must be the
    /// integration's `secret_token` credential, WhatsApp's `X-Hub-Signature-256` the HMAC of
    /// the body under its `app_secret`; without that credential every request is refused. A
    /// missing or wrong header is `Unauthenticated` naming it, and nothing is written.
    /// WhatsApp messages go to the integration whose `phoneNumberId` is their
    /// `metadata.phone_number_id`; a body for a number none owns is a `Validation` error.
    pub async fn handle_webhook(
        &self,
        company_id: String,
        integration_id: String,
        headers: HashMap<String, String>,
        body: Vec<u8>,
    ) -> Result<Vec<InboundOutcome>> {
        let company = crate::types::company_id("company_id", &company_id)?;
        let integration = crate::types::integration_id("integration_id", &integration_id)?;
        let request =
            fc::integration::verify::WebhookRequest::new(headers.into_iter().collect(), body);
        self.inner.handle_webhook(company, integration, &request).await
    }

    /// Answers Meta's subscription handshake: `challenge` when `mode` is `subscribe` and
    /// `verify_token` is the integration's `verify_token` credential. Another mode is a
    /// `Validation` error on `hub.mode`; no credential or another token `Unauthenticated`.
    pub async fn verify_subscription(
        &self,
        company_id: String,
        integration_id: String,
        mode: String,
        verify_token: String,
        challenge: String,
    ) -> Result<String> {
        let company = crate::types::company_id("company_id", &company_id)?;
        let integration = crate::types::integration_id("integration_id", &integration_id)?;
        self.inner.verify_subscription(company, integration, &mode, &verify_token, &challenge).await
    }

    /// Handles one message the host parsed: its contact is found (by channel identity, then
    /// phone) or created, a deal opened when the integration says so, and the message
    /// recorded as an activity, once. Another company's, an unknown or a non-messaging
    /// integration is `NotFound`, a disabled one `Conflict`, a message of another platform a
    /// `Validation` error on `"platform"`; nothing is written on any error.
    pub async fn handle_message(
        &self,
        company_id: String,
        integration_id: String,
        message: InboundMessage,
    ) -> Result<InboundOutcome> {
        let company = crate::types::company_id("company_id", &company_id)?;
        let integration = crate::types::integration_id("integration_id", &integration_id)?;
        self.inner.handle_message(company, integration, message.try_into()?).await
    }
}
