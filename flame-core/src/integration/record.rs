//! The integration record: one of the four kinds (messaging, accounting, advertising,
//! webhook) with its settings, and the credentials that go with it (stored sealed, never
//! shown again).

use std::collections::BTreeMap;
use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::crypto::Credential;
use crate::error::{FlameError, Result};
use crate::id::{CompanyId, IntegrationId, PipelineId, SourceId, UserId};
use crate::text;

use super::accounting::{AccountingPlatform, Vat, VatMode};
use super::advertising::AdvertisingPlatform;
use super::messaging::{MessagingPlatform, MessagingSettings};
use super::webhook::EventSubscription;

/// The most credentials one integration holds.
pub const CREDENTIALS_MAX: usize = 8;

/// The credential field a webhook integration signs its deliveries with.
pub const WEBHOOK_SIGNING_SECRET: &str = "signing_secret";

/// The four kinds of integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    /// A messaging channel: inbound messages become contacts, deals and activities.
    Messaging,
    /// An accounting system: won deals become invoice documents.
    Accounting,
    /// An advertising account: lead forms become contacts and deals; spend is imported.
    Advertising,
    /// An outgoing webhook: domain events are posted to a URL.
    Webhook,
}

impl IntegrationKind {
    /// Every kind.
    pub const ALL: [IntegrationKind; 4] =
        [Self::Messaging, Self::Accounting, Self::Advertising, Self::Webhook];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Messaging => "messaging",
            Self::Accounting => "accounting",
            Self::Advertising => "advertising",
            Self::Webhook => "webhook",
        }
    }
}

impl fmt::Display for IntegrationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for IntegrationKind {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "messaging" => Ok(Self::Messaging),
            "accounting" => Ok(Self::Accounting),
            "advertising" => Ok(Self::Advertising),
            "webhook" => Ok(Self::Webhook),
            _ => Err(FlameError::validation(
                "kind",
                "must be messaging, accounting, advertising or webhook",
            )),
        }
    }
}

/// An accounting connection's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountingSettings {
    /// The accounting system.
    pub platform: AccountingPlatform,
    /// The VAT rate of its invoices, in basis points (2000 = 20 %).
    pub vat_rate_bp: u32,
    /// Whether deal amounts include the VAT.
    pub vat_included: bool,
    /// Whether winning a deal queues its invoice document (otherwise only on demand).
    pub invoice_on_won: bool,
}

impl AccountingSettings {
    /// The VAT its invoices carry.
    pub fn vat(&self) -> Result<Vat> {
        let mode = if self.vat_included { VatMode::Included } else { VatMode::Excluded };
        Vat::new(self.vat_rate_bp, mode)
    }
}

/// An advertising account's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvertisingSettings {
    /// The ad platform.
    pub platform: AdvertisingPlatform,
    /// Whether a lead opens a deal (a contact is always found or created).
    pub auto_create_deal: bool,
    /// The pipeline its deals open in; required when `auto_create_deal` is on.
    pub default_pipeline_id: Option<PipelineId>,
    /// The member its contacts and deals are assigned to.
    pub default_assignee_id: Option<UserId>,
    /// The currency of the deals it opens (ISO 4217; `USD` when `None`).
    #[serde(default)]
    pub deal_currency: Option<String>,
}

/// An outgoing webhook's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSettings {
    /// Where events are posted (checked against the SSRF rules when saved and when sent).
    pub url: String,
    /// The event types it receives: exact names (`"deal.won"`), families (`"deal.*"`) or `"*"`.
    pub events: Vec<String>,
}

/// What an integration does, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntegrationSettings {
    /// A messaging channel.
    Messaging(MessagingSettings),
    /// An accounting system.
    Accounting(AccountingSettings),
    /// An advertising account.
    Advertising(AdvertisingSettings),
    /// An outgoing webhook.
    Webhook(WebhookSettings),
}

impl IntegrationSettings {
    /// Its kind.
    pub const fn kind(&self) -> IntegrationKind {
        match self {
            Self::Messaging(_) => IntegrationKind::Messaging,
            Self::Accounting(_) => IntegrationKind::Accounting,
            Self::Advertising(_) => IntegrationKind::Advertising,
            Self::Webhook(_) => IntegrationKind::Webhook,
        }
    }

    /// The platform's stored name (`"telegram"`, `"one_c"`, `"meta"`, `"webhook"`).
    pub fn platform(&self) -> String {
        match self {
            Self::Messaging(m) => m.platform.as_str().to_owned(),
            Self::Accounting(a) => a.platform.as_str().to_owned(),
            Self::Advertising(a) => a.platform.as_str().to_owned(),
            Self::Webhook(_) => "webhook".to_owned(),
        }
    }

    /// The settings checked: messaging and advertising connections that open deals name their
    /// pipeline; VAT rates are in range; webhook URLs are well formed (the SSRF rules, which
    /// depend on the host's options, are applied by the store) and subscribe to at least one
    /// valid event pattern.
    pub fn validated(self) -> Result<Self> {
        Ok(match self {
            Self::Messaging(m) => Self::Messaging(m.validated()?),
            Self::Accounting(a) => {
                a.vat()?;
                Self::Accounting(a)
            }
            Self::Advertising(a) => {
                a.deal_currency()?;
                if a.auto_create_deal && a.default_pipeline_id.is_none() {
                    return Err(FlameError::validation(
                        "default_pipeline_id",
                        "is required when auto_create_deal is on",
                    ));
                }
                Self::Advertising(a)
            }
            Self::Webhook(w) => {
                let url = text::required("url", &w.url, super::ssrf::URL_MAX)?;
                let events = EventSubscription::new(&w.events)
                    .map_err(|e| e.at("events"))?
                    .patterns()
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect();
                Self::Webhook(WebhookSettings { url, events })
            }
        })
    }

    /// The defaults that must point at records of the company: (source, pipeline, assignee).
    pub fn defaults(&self) -> (Option<SourceId>, Option<PipelineId>, Option<UserId>) {
        match self {
            Self::Messaging(m) => {
                (m.default_source_id, m.default_pipeline_id, m.default_assignee_id)
            }
            Self::Advertising(a) => (None, a.default_pipeline_id, a.default_assignee_id),
            Self::Accounting(_) | Self::Webhook(_) => (None, None, None),
        }
    }
}

/// An integration of a company. Its credentials are not here: they are stored sealed and
/// only their field names are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    /// Its id.
    pub id: IntegrationId,
    /// The company.
    pub company_id: CompanyId,
    /// Its name, as members see it (`"Support bot"`), unique in the company.
    pub name: String,
    /// Disabled integrations receive and send nothing.
    pub enabled: bool,
    /// What it does.
    pub settings: IntegrationSettings,
    /// The names of the credentials it holds (`["token"]`), never their values.
    pub credential_fields: Vec<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl Integration {
    /// Its kind.
    pub const fn kind(&self) -> IntegrationKind {
        self.settings.kind()
    }

    /// Its settings as those of the kind `S`. An integration of another kind is `NotFound`
    /// (`"advertising integration"`), the same answer as an unknown id: the caller asked for
    /// an integration of that kind and there is none.
    pub fn settings_as<S: KindSettings>(&self) -> Result<&S> {
        S::of(&self.settings)
            .ok_or_else(|| FlameError::not_found(format!("{} integration", S::KIND)))
    }

    /// Checks that the integration can take what a host hands it for the kind `S` — a lead,
    /// an inbound message, ad spend — coming from `platform` when the input names one, and
    /// returns its settings:
    ///
    /// - an integration of another kind is `NotFound` ([`settings_as`](Self::settings_as));
    /// - a disabled one is a `Conflict` on `"integration"`: disabled integrations receive
    ///   nothing;
    /// - input from another platform than the integration's is a `Validation` error on
    ///   `"platform"`.
    pub fn usable<S: KindSettings>(&self, platform: Option<S::Platform>) -> Result<&S> {
        let settings = self.settings_as::<S>()?;
        if !self.enabled {
            return Err(FlameError::conflict("integration", "the integration is disabled"));
        }
        if platform.is_some_and(|p| p != settings.platform()) {
            return Err(FlameError::validation("platform", "is not the integration's platform"));
        }
        Ok(settings)
    }
}

/// The settings of one kind of integration, as held in [`IntegrationSettings`]; see
/// [`Integration::usable`].
pub trait KindSettings: Sized {
    /// The kind these settings belong to.
    const KIND: IntegrationKind;
    /// What names its platform (`()` for webhooks, which have none).
    type Platform: Copy + PartialEq;
    /// The settings, when `settings` are of this kind.
    fn of(settings: &IntegrationSettings) -> Option<&Self>;
    /// The platform connected.
    fn platform(&self) -> Self::Platform;
}

macro_rules! kind_settings {
    ($($settings:ty => $variant:ident, $platform:ty, |$s:ident| $get:expr;)*) => {$(
        impl KindSettings for $settings {
            const KIND: IntegrationKind = IntegrationKind::$variant;
            type Platform = $platform;
            fn of(settings: &IntegrationSettings) -> Option<&Self> {
                match settings {
                    IntegrationSettings::$variant(s) => Some(s),
                    _ => None,
                }
            }
            fn platform(&self) -> $platform {
                let $s = self;
                $get
            }
        }
    )*};
}

kind_settings! {
    MessagingSettings => Messaging, MessagingPlatform, |s| s.platform;
    AccountingSettings => Accounting, AccountingPlatform, |s| s.platform;
    AdvertisingSettings => Advertising, AdvertisingPlatform, |s| s.platform;
    WebhookSettings => Webhook, (), |_s| ();
}

/// Credentials to store with an integration, by field name (`"token"`, `"signing_secret"`).
/// Values are secrets: `Debug` shows only the field names.
#[derive(Clone, Default)]
pub struct Credentials(BTreeMap<String, SecretString>);

impl Credentials {
    /// No credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the credential `field`.
    pub fn with(mut self, field: &str, value: impl Into<String>) -> Self {
        self.0.insert(field.to_owned(), SecretString::from(value.into()));
        self
    }

    /// Checked credentials: at most [`CREDENTIALS_MAX`], field names of lowercase letters,
    /// digits and `_`, values non-empty and bounded ([`Credential::new`]).
    pub fn validated(&self) -> Result<Vec<(String, Credential)>> {
        if self.0.len() > CREDENTIALS_MAX {
            return Err(FlameError::validation(
                "credentials",
                format!("at most {CREDENTIALS_MAX} per integration"),
            ));
        }
        self.0
            .iter()
            .map(|(field, value)| {
                let ok = !field.is_empty()
                    && field.len() <= 64
                    && field
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    return Err(FlameError::validation(
                        "credentials",
                        "field names are lowercase letters, digits and '_'",
                    ));
                }
                let path = format!("credentials.{field}");
                Ok((field.clone(), Credential::new(&path, value.clone())?))
            })
            .collect()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` is among them.
    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.keys().map(|k| (k, "[redacted]"))).finish()
    }
}

/// An integration to create.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    /// Its name, unique in the company.
    pub name: String,
    /// What it does.
    pub settings: IntegrationSettings,
    /// Its credentials (a bot token, an API key, a webhook signing secret).
    pub credentials: Credentials,
}

impl NewIntegration {
    /// Checks every field and builds the record for `company` at `now`. A webhook needs a
    /// signing secret.
    pub fn validate(
        &self,
        company_id: CompanyId,
        now: OffsetDateTime,
    ) -> Result<(Integration, Vec<(String, Credential)>)> {
        let name = text::required("name", &self.name, text::NAME_MAX)?;
        let settings = self.settings.clone().validated()?;
        if settings.kind() == IntegrationKind::Webhook
            && !self.credentials.contains(WEBHOOK_SIGNING_SECRET)
        {
            return Err(FlameError::validation(
                "credentials.signing_secret",
                "is required for a webhook",
            ));
        }
        let credentials = self.credentials.validated()?;
        Ok((
            Integration {
                id: IntegrationId::new(),
                company_id,
                name,
                enabled: true,
                settings,
                credential_fields: credentials.iter().map(|(f, _)| f.clone()).collect(),
                created_at: now,
                updated_at: now,
                version: 1,
            },
            credentials,
        ))
    }
}

/// Changes to an integration; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct IntegrationPatch {
    /// A new name.
    pub name: Option<String>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New settings (of the same kind).
    pub settings: Option<IntegrationSettings>,
    /// Credentials to set or replace (others are kept).
    pub credentials: Credentials,
}

impl Integration {
    /// The integration with `patch` applied at `now`, and the credentials to store.
    pub fn patched(
        &self,
        patch: &IntegrationPatch,
        now: OffsetDateTime,
    ) -> Result<(Integration, Vec<(String, Credential)>)> {
        let mut next = self.clone();
        if let Some(name) = &patch.name {
            next.name = text::required("name", name, text::NAME_MAX)?;
        }
        if let Some(enabled) = patch.enabled {
            next.enabled = enabled;
        }
        if let Some(settings) = &patch.settings {
            if settings.kind() != self.kind() {
                return Err(FlameError::validation(
                    "settings",
                    "cannot change the integration's kind",
                ));
            }
            next.settings = settings.clone().validated()?;
        }
        let credentials = patch.credentials.validated()?;
        for (field, _) in &credentials {
            if !next.credential_fields.contains(field) {
                next.credential_fields.push(field.clone());
            }
        }
        next.credential_fields.sort();
        if next.credential_fields.len() > CREDENTIALS_MAX {
            return Err(FlameError::validation(
                "credentials",
                format!("at most {CREDENTIALS_MAX} per integration"),
            ));
        }
        next.updated_at = now;
        next.version += 1;
        Ok((next, credentials))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook(events: &[&str]) -> IntegrationSettings {
        IntegrationSettings::Webhook(WebhookSettings {
            url: "https://hooks.example.com/flame".into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
        })
    }

    #[test]
    fn webhooks_need_a_signing_secret_and_valid_patterns() {
        let now = crate::clock::now();
        let company = CompanyId::new();
        let no_secret = NewIntegration {
            name: "Zapier".into(),
            settings: webhook(&["deal.*"]),
            credentials: Credentials::new(),
        };
        assert!(matches!(
            no_secret.validate(company, now),
            Err(FlameError::Validation { field, .. }) if field == "credentials.signing_secret"
        ));
        let bad_pattern = NewIntegration {
            settings: webhook(&["deal.**"]),
            credentials: Credentials::new().with(WEBHOOK_SIGNING_SECRET, "whsec_123"),
            ..no_secret.clone()
        };
        assert!(matches!(
            bad_pattern.validate(company, now),
            Err(FlameError::Validation { field, .. }) if field == "events"
        ));
        let ok = NewIntegration { settings: webhook(&["deal.won", "contact.*"]), ..bad_pattern };
        let (integration, credentials) = ok.validate(company, now).expect("valid");
        assert_eq!(integration.credential_fields, vec!["signing_secret"]);
        assert_eq!(credentials.len(), 1);
    }

    #[test]
    fn credentials_never_show_their_values() {
        let c = Credentials::new().with("token", "123456:ABC-bot-token");
        let shown = format!("{c:?}");
        assert!(shown.contains("token") && !shown.contains("ABC-bot"), "{shown}");
        let bad = Credentials::new().with("Bad Field", "x");
        assert!(bad.validated().is_err());
        let empty = Credentials::new().with("token", " ");
        assert!(matches!(
            empty.validated(),
            Err(FlameError::Validation { field, .. }) if field == "credentials.token"
        ));
    }

    #[test]
    fn usable_integrations_are_of_the_kind_enabled_and_of_the_platform() {
        let now = crate::clock::now();
        let (mut bot, _) = NewIntegration {
            name: "Bot".into(),
            settings: IntegrationSettings::Messaging(MessagingSettings::new(
                MessagingPlatform::Telegram,
            )),
            credentials: Credentials::new(),
        }
        .validate(CompanyId::new(), now)
        .expect("valid");
        let settings = bot.usable::<MessagingSettings>(Some(MessagingPlatform::Telegram));
        assert_eq!(settings.map(|s| s.platform), Ok(MessagingPlatform::Telegram));
        assert!(bot.usable::<MessagingSettings>(None).is_ok());
        assert_eq!(
            bot.usable::<MessagingSettings>(Some(MessagingPlatform::WhatsApp)),
            Err(FlameError::validation("platform", "is not the integration's platform"))
        );
        assert_eq!(
            bot.usable::<AdvertisingSettings>(None),
            Err(FlameError::not_found("advertising integration"))
        );
        assert_eq!(
            bot.settings_as::<WebhookSettings>(),
            Err(FlameError::not_found("webhook integration"))
        );
        bot.enabled = false;
        assert!(matches!(
            bot.usable::<MessagingSettings>(Some(MessagingPlatform::Telegram)),
            Err(FlameError::Conflict { entity, .. }) if entity == "integration"
        ));
        // The kind is checked first: a disabled integration of another kind is not found.
        assert_eq!(
            bot.usable::<AccountingSettings>(None),
            Err(FlameError::not_found("accounting integration"))
        );
        assert!(bot.settings_as::<MessagingSettings>().is_ok(), "settings_as ignores enabled");
    }

    #[test]
    fn settings_keep_their_kind_and_json_form() {
        let messaging =
            IntegrationSettings::Messaging(MessagingSettings::new(MessagingPlatform::Telegram));
        let json = serde_json::to_value(&messaging).expect("json");
        assert_eq!(json["kind"], "messaging");
        assert_eq!(json["platform"], "telegram");
        let back: IntegrationSettings = serde_json::from_value(json).expect("back");
        assert_eq!(back, messaging);
        let now = crate::clock::now();
        let (integration, _) = NewIntegration {
            name: "Bot".into(),
            settings: messaging,
            credentials: Credentials::new(),
        }
        .validate(CompanyId::new(), now)
        .expect("valid");
        let patch = IntegrationPatch { settings: Some(webhook(&["*"])), ..Default::default() };
        assert!(integration.patched(&patch, now).is_err());
    }
}
