//! Advertising: leads from ad platforms, the UTM tags of the landing pages that brought them,
//! and the lead source a lead is filed under.
//!
//! Two lead formats are read: a Meta Lead Ads lead as the Graph API returns it
//! ([`parse_meta_lead`]) and a VK Ads lead form event of the VK Callback API
//! ([`parse_vk_lead_callback`]). A lead keeps every answer of its form as given
//! ([`Lead::answers`]); the name, email and phone are picked out of them, and an email or
//! phone that does not validate is left out of [`Lead::email`] / [`Lead::phone`] rather than
//! losing the lead.
//!
//! What a lead becomes is decided here too: the contact for someone new
//! ([`Lead::new_contact`]), the deal it opens ([`Lead::new_deal`]) and the lead source it is
//! filed under ([`Lead::source_name`]). Ad spend is imported per campaign and day
//! ([`AdSpend`], checked by [`check_spend`]: an ad account spends in one currency), and
//! [`cost_by_source`] turns leads, won deals and spend into the cost per lead and per won deal
//! of each source, per currency.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::record::AdvertisingSettings;
use super::{from_json, normalize_phone, received_opt, received_text, required_id, webhook};
use crate::contact::{Contact, NewContact};
use crate::deal::{Deal, NewDeal};
use crate::email::Email;
use crate::error::{FlameError, Result};
use crate::event::EventPayload;
use crate::id::{CompanyId, ContactId, DealId, IntegrationId, PipelineId, SourceId};
use crate::money::{Currency, Money};
use crate::phone::Phone;
use crate::pipeline::Stage;
use crate::text;

platform_enum! {
    /// An advertising platform leads come from.
    AdvertisingPlatform {
        /// Yandex Direct.
        YandexDirect => "yandex_direct", "Yandex Direct";
        /// VK Ads (and VK community lead forms).
        VkAds => "vk_ads", "VK Ads";
        /// Google Ads.
        GoogleAds => "google_ads", "Google Ads";
        /// Meta (Facebook and Instagram Lead Ads).
        Meta => "meta", "Meta";
        /// TikTok Ads.
        TikTok => "tiktok", "TikTok";
        /// Any other platform.
        Other => "other", "Other";
    }
}

/// The UTM tags of a landing page URL (`utm_source`, `utm_medium`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Utm {
    /// `utm_source`: who sent the visitor (`"yandex"`, `"newsletter"`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub source: Option<String>,
    /// `utm_medium`: how (`"cpc"`, `"email"`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub medium: Option<String>,
    /// `utm_campaign`: which campaign.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub campaign: Option<String>,
    /// `utm_content`: which ad or link.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub content: Option<String>,
    /// `utm_term`: which keyword.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub term: Option<String>,
}

impl Utm {
    /// The tags of the landing page `url`. Everything before the first `'?'` and after the
    /// `'#'` is ignored, so a URL without a scheme or a bare query (`"?utm_source=vk"`) works
    /// too. Names are matched in any case; the first non-blank value of a tag wins; other
    /// parameters are ignored. A value is percent-decoded, cleaned of control characters and
    /// trimmed; one longer than [`text::NAME_MAX`] characters is a
    /// [`FlameError::Validation`] naming the tag (`"utm_campaign"`).
    pub fn from_url(url: &str) -> Result<Utm> {
        let without_fragment = url.split('#').next().unwrap_or_default();
        let query = without_fragment.split_once('?').map_or("", |(_, query)| query);
        Self::from_query(query)
    }

    /// The tags of a query string (`"utm_source=vk&utm_medium=cpc"`, a leading `'?'` allowed);
    /// see [`from_url`](Self::from_url).
    pub fn from_query(query: &str) -> Result<Utm> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut utm = Utm::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let name = name.trim().to_ascii_lowercase();
            let slot = match name.as_str() {
                "utm_source" => &mut utm.source,
                "utm_medium" => &mut utm.medium,
                "utm_campaign" => &mut utm.campaign,
                "utm_content" => &mut utm.content,
                "utm_term" => &mut utm.term,
                _ => continue,
            };
            if slot.is_none() {
                *slot = received_text(&name, &value, text::NAME_MAX)?;
            }
        }
        Ok(utm)
    }

    /// Whether no tag is set.
    pub fn is_empty(&self) -> bool {
        *self == Utm::default()
    }
}

/// One answer of a lead form, as the platform sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LeadAnswer {
    /// The field's key on the platform (`"email"`, `"phone_number"`, `"custom_0"`).
    pub key: String,
    /// The answer; several values of one field are joined with `", "`.
    pub value: String,
}

/// A lead: a person who filled in an ad's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    /// The platform it came from.
    pub platform: AdvertisingPlatform,
    /// Its id on the platform: a redelivered lead is recognizable by it.
    pub external_lead_id: String,
    /// The person's name.
    pub name: Option<String>,
    /// The person's email, when the form's answer is a valid address.
    pub email: Option<Email>,
    /// The person's phone, when the form's answer is a valid international number.
    pub phone: Option<Phone>,
    /// The campaign (its name, else its id).
    pub campaign: Option<String>,
    /// The ad (its name, else its id).
    pub ad: Option<String>,
    /// The form (its name, else its id).
    pub form: Option<String>,
    /// The UTM tags of the landing page, when the host knows it (see [`Utm::from_url`]).
    pub utm: Utm,
    /// Every answer of the form, in order, as given.
    pub answers: Vec<LeadAnswer>,
    /// When the lead was created, UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Lead {
    /// The name of the lead source the lead is filed under: its `utm_source`, else the
    /// platform's display name (`"Meta"`).
    pub fn source_name(&self) -> String {
        lead_source_name(self)
    }

    /// The first answer whose key is one of `keys`.
    fn answer(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|key| self.answers.iter().find(|answer| answer.key == *key))
            .map(|answer| answer.value.as_str())
    }

    /// Picks the name, email and phone out of the answers.
    fn with_contact_fields(mut self) -> Result<Self> {
        let name = match self.answer(&["full_name", "name"]) {
            Some(full) => full.to_owned(),
            None => [self.answer(&["first_name"]), self.answer(&["last_name"])]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        };
        self.name = received_text("name", &name, text::NAME_MAX)?;
        self.email = self.answer(&["email", "work_email"]).and_then(|e| Email::parse(e).ok());
        self.phone =
            self.answer(&["phone_number", "phone", "work_phone_number"]).and_then(normalize_phone);
        Ok(self)
    }
}

/// The name of the lead source `lead` is filed under: its `utm_source`, else the platform's
/// display name.
pub fn lead_source_name(lead: &Lead) -> String {
    match &lead.utm.source {
        Some(source) => source.clone(),
        None => lead.platform.display_name().to_owned(),
    }
}

/// A Meta lead as the Graph API returns it (`GET /<lead id>`).
#[derive(Deserialize)]
struct MetaLead {
    id: String,
    created_time: String,
    field_data: Vec<MetaField>,
    ad_id: Option<String>,
    ad_name: Option<String>,
    campaign_id: Option<String>,
    campaign_name: Option<String>,
    form_id: Option<String>,
    form_name: Option<String>,
}

#[derive(Deserialize)]
struct MetaField {
    name: String,
    values: Vec<String>,
}

/// The time format of the Graph API: ISO 8601 with an offset without a colon
/// (`2015-02-28T08:49:14+0000`).
const META_TIME: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
);

/// Reads a Meta Lead Ads lead, the JSON of the Graph API's lead object: `id`,
/// `created_time`, `field_data[]` (`{name, values[]}`), and when requested `ad_id`/`ad_name`,
/// `campaign_id`/`campaign_name`, `form_id`.
///
/// The name is `full_name`, else `first_name` and `last_name`; the email `email` (or
/// `work_email`); the phone `phone_number` (or `work_phone_number`). A malformed lead is a
/// [`FlameError::Validation`] naming the JSON path (`"field_data[0].values"`).
pub fn parse_meta_lead(body: &[u8]) -> Result<Lead> {
    let lead: MetaLead = from_json(body)?;
    let id = required_id("id", &lead.id)?;
    let created_at = OffsetDateTime::parse(lead.created_time.trim(), META_TIME)
        .or_else(|_| OffsetDateTime::parse(lead.created_time.trim(), &Rfc3339))
        .map_err(|_| FlameError::validation("created_time", "is not an ISO 8601 date and time"))?
        .to_offset(time::UtcOffset::UTC);
    let mut answers = Vec::with_capacity(lead.field_data.len());
    for (i, field) in lead.field_data.iter().enumerate() {
        let key = received_text(&format!("field_data[{i}].name"), &field.name, text::NAME_MAX)?
            .ok_or_else(|| FlameError::validation(format!("field_data[{i}].name"), "is empty"))?;
        let value = received_text(
            &format!("field_data[{i}].values"),
            &field.values.join(", "),
            text::NOTE_MAX,
        )?;
        answers.push(LeadAnswer { key, value: value.unwrap_or_default() });
    }
    let name_or_id = |field: &str, name: &Option<String>, id: &Option<String>| {
        let value = name.as_deref().filter(|n| !n.trim().is_empty()).or(id.as_deref());
        received_text(field, value.unwrap_or_default(), text::NAME_MAX)
    };
    Lead {
        platform: AdvertisingPlatform::Meta,
        external_lead_id: id,
        name: None,
        email: None,
        phone: None,
        campaign: name_or_id("campaign_name", &lead.campaign_name, &lead.campaign_id)?,
        ad: name_or_id("ad_name", &lead.ad_name, &lead.ad_id)?,
        form: name_or_id("form_name", &lead.form_name, &lead.form_id)?,
        utm: Utm::default(),
        answers,
        created_at,
    }
    .with_contact_fields()
}

/// Just enough of a VK Callback API event to know what it is.
#[derive(Deserialize)]
struct VkEnvelope {
    #[serde(rename = "type")]
    kind: String,
    secret: Option<String>,
}

/// A `lead_forms_new` event.
#[derive(Deserialize)]
struct VkLeadEvent {
    object: VkLead,
}

/// The `object` of a `lead_forms_new` event.
#[derive(Deserialize)]
struct VkLead {
    lead_id: i64,
    group_id: i64,
    form_id: i64,
    form_name: Option<String>,
    ad_id: Option<i64>,
    answers: Vec<VkAnswer>,
}

#[derive(Deserialize)]
struct VkAnswer {
    key: String,
    answer: VkAnswerValue,
}

/// An answer is a string; a multiple-choice answer may be a list of strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum VkAnswerValue {
    One(String),
    Many(Vec<String>),
}

/// The VK Callback API event type of a new lead form submission.
pub const VK_LEAD_EVENT: &str = "lead_forms_new";

/// Reads a VK Callback API request: a `lead_forms_new` event is a lead, any other event type
/// (`"confirmation"`, `"message_new"`, …) is `Ok(None)` — the host answers the confirmation
/// request itself. VK sends no time with the event, so the lead is dated `received_at`.
///
/// The lead's id is `"<group_id>:<lead_id>"`; its form the form's name (else its id); its ad
/// the `ad_id` when there is one. The answers' keys are VK's (`first_name`, `last_name`,
/// `phone_number`, `email`, `custom_0`, …). Check the request's secret with
/// [`verify_vk_secret`] first. A malformed event is a [`FlameError::Validation`] naming the
/// JSON path (`"object.answers[2].answer"`).
pub fn parse_vk_lead_callback(body: &[u8], received_at: OffsetDateTime) -> Result<Option<Lead>> {
    let envelope: VkEnvelope = from_json(body)?;
    if envelope.kind != VK_LEAD_EVENT {
        return Ok(None);
    }
    let lead = from_json::<VkLeadEvent>(body)?.object;
    let mut answers = Vec::with_capacity(lead.answers.len());
    for (i, answer) in lead.answers.iter().enumerate() {
        let key = received_text(&format!("object.answers[{i}].key"), &answer.key, text::NAME_MAX)?
            .ok_or_else(|| {
                FlameError::validation(format!("object.answers[{i}].key"), "is empty")
            })?;
        let value = match &answer.answer {
            VkAnswerValue::One(value) => value.clone(),
            VkAnswerValue::Many(values) => values.join(", "),
        };
        let value = received_text(&format!("object.answers[{i}].answer"), &value, text::NOTE_MAX)?;
        answers.push(LeadAnswer { key, value: value.unwrap_or_default() });
    }
    let form = match lead.form_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => lead.form_id.to_string(),
    };
    Lead {
        platform: AdvertisingPlatform::VkAds,
        external_lead_id: format!("{}:{}", lead.group_id, lead.lead_id),
        name: None,
        email: None,
        phone: None,
        campaign: None,
        ad: lead.ad_id.filter(|id| *id != 0).map(|id| id.to_string()),
        form: received_text("object.form_name", &form, text::NAME_MAX)?,
        utm: Utm::default(),
        answers,
        created_at: crate::clock::normalize(received_at),
    }
    .with_contact_fields()
    .map(Some)
}

/// Checks the `secret` of a VK Callback API request against the one configured for the
/// community, in constant time. A missing or different secret is
/// [`FlameError::Unauthenticated`]; neither secret appears in the error.
pub fn verify_vk_secret(body: &[u8], expected: &SecretString) -> Result<()> {
    let envelope: VkEnvelope = from_json(body)?;
    let given = envelope.secret.unwrap_or_default();
    if given.is_empty()
        || !webhook::constant_time_eq(given.as_bytes(), expected.expose_secret().as_bytes())
    {
        return Err(FlameError::unauthenticated("the VK callback secret does not match"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What a lead becomes in the CRM, ad spend, and the cost report.
// ---------------------------------------------------------------------------------------------

/// The credential field of a VK Ads integration that holds the community's Callback API
/// secret. When the integration has it, every callback must carry it ([`verify_vk_secret`]).
pub const VK_CALLBACK_SECRET: &str = "secret";

/// The currency of the deals that leads open when the integration names none
/// ([`AdvertisingSettings::deal_currency`]); their amount is 0 until someone prices them.
pub const LEAD_DEAL_CURRENCY: &str = "USD";

/// The most spend rows one import may carry.
pub const SPEND_ROWS_MAX: usize = 10_000;

/// `value` cut to at most `max` characters.
fn truncated(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

impl Lead {
    /// A lead a host built itself — from a platform Flame does not parse, or a parsed one given
    /// the UTM tags of its landing page ([`Utm::from_url`]) — checked with the parsers' bounds:
    /// the id is required, names and tags at most [`text::NAME_MAX`] characters, answers at most
    /// [`text::NOTE_MAX`]; text is cleaned of control characters and trimmed. Errors name the
    /// field (`"utm.campaign"`, `"answers[2].key"`).
    pub fn validated(self) -> Result<Lead> {
        let mut answers = Vec::with_capacity(self.answers.len());
        for (i, answer) in self.answers.into_iter().enumerate() {
            let key = received_text(&format!("answers[{i}].key"), &answer.key, text::NAME_MAX)?
                .ok_or_else(|| FlameError::validation(format!("answers[{i}].key"), "is empty"))?;
            let value =
                received_text(&format!("answers[{i}].value"), &answer.value, text::NOTE_MAX)?;
            answers.push(LeadAnswer { key, value: value.unwrap_or_default() });
        }
        let utm = self.utm;
        Ok(Lead {
            platform: self.platform,
            external_lead_id: required_id("external_lead_id", &self.external_lead_id)?,
            name: received_opt("name", self.name, text::NAME_MAX)?,
            email: self.email,
            phone: self.phone,
            campaign: received_opt("campaign", self.campaign, text::NAME_MAX)?,
            ad: received_opt("ad", self.ad, text::NAME_MAX)?,
            form: received_opt("form", self.form, text::NAME_MAX)?,
            utm: Utm {
                source: received_opt("utm.source", utm.source, text::NAME_MAX)?,
                medium: received_opt("utm.medium", utm.medium, text::NAME_MAX)?,
                campaign: received_opt("utm.campaign", utm.campaign, text::NAME_MAX)?,
                content: received_opt("utm.content", utm.content, text::NAME_MAX)?,
                term: received_opt("utm.term", utm.term, text::NAME_MAX)?,
            },
            answers,
            created_at: crate::clock::normalize(self.created_at),
        })
    }

    /// The name a new contact is filed under: the lead's name, else its email, else its phone,
    /// else the platform and the lead's id (`"Meta lead 1234"`).
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.email.as_ref().map(|e| e.as_str().to_owned()))
            .or_else(|| self.phone.as_ref().map(|p| p.as_str().to_owned()))
            .unwrap_or_else(|| {
                format!("{} lead {}", self.platform.display_name(), self.external_lead_id)
            })
    }

    /// The organization a lead names: the answer `company_name` (or `company`), cut to a
    /// name's length; the contact it creates joins the company's organization of that name
    /// (case-insensitively), created when there is none.
    pub fn organization_name(&self) -> Option<String> {
        self.answer(&["company_name", "company"])
            .map(|o| truncated(o, text::NAME_MAX))
            .filter(|o| !o.trim().is_empty())
    }

    /// The contact for a lead from someone the company does not know yet: the first word of
    /// [`display_name`](Self::display_name) as first name, the rest as last name, the email,
    /// and the phone (the organization it names is [`organization_name`](Self::organization_name)).
    /// It belongs to the integration's `default_assignee_id`, or to no one.
    pub fn new_contact(
        &self,
        company_id: CompanyId,
        settings: &AdvertisingSettings,
        now: OffsetDateTime,
    ) -> Result<Contact> {
        let name = self.display_name();
        let (first, last) = name.split_once(' ').unwrap_or((name.as_str(), ""));
        let input = NewContact {
            first_name: truncated(first, text::NAME_MAX),
            last_name: Some(truncated(last.trim(), text::NAME_MAX)).filter(|l| !l.is_empty()),
            email: self.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: self.phone.as_ref().map(|p| p.as_str().to_owned()),
            phone_region: None,
            organization_id: None,
            owner_id: settings.default_assignee_id,
            // Lead ads fill no custom field (and required ones do not stop a lead).
            custom: Default::default(),
        };
        let mut contact = Contact::create(company_id, &input, super::NO_MEMBER, now)?;
        contact.owner_id = settings.default_assignee_id;
        Ok(contact)
    }

    /// The deal a lead opens when its integration has `auto_create_deal` on: titled
    /// `"<Platform>: <name>"`, worth 0 [`LEAD_DEAL_CURRENCY`], with `contact` and `source`, in
    /// the first open stage of the integration's pipeline (whose `stages` are given), assigned
    /// to the integration's `default_assignee_id` or to no one.
    #[allow(clippy::too_many_arguments)]
    pub fn new_deal(
        &self,
        company_id: CompanyId,
        settings: &AdvertisingSettings,
        pipeline_id: PipelineId,
        stages: &[Stage],
        contact: ContactId,
        source: SourceId,
        now: OffsetDateTime,
    ) -> Result<(Deal, EventPayload)> {
        let title = format!("{}: {}", self.platform.display_name(), self.display_name());
        let currency = settings.deal_currency()?;
        let mut input = NewDeal::new(truncated(&title, text::TITLE_MAX), 0, currency.code());
        input.contact_id = Some(contact);
        input.source_id = Some(source);
        input.assignee_id = settings.default_assignee_id;
        let (mut deal, event) =
            Deal::create(company_id, &input, pipeline_id, stages, super::NO_MEMBER, now).map_err(
                |e| match e {
                    FlameError::Validation { field, reason } if field == "pipeline_id" => {
                        FlameError::validation("default_pipeline_id", reason)
                    }
                    other => other,
                },
            )?;
        deal.assignee_id = settings.default_assignee_id;
        Ok((deal, event))
    }
}

impl AdvertisingSettings {
    /// The currency of the deals leads open.
    pub fn deal_currency(&self) -> Result<Currency> {
        Currency::parse(self.deal_currency.as_deref().unwrap_or(LEAD_DEAL_CURRENCY))
            .map_err(|e| e.at("deal_currency"))
    }

    /// The pipeline leads open deals in: `None` when `auto_create_deal` is off; a
    /// [`FlameError::Validation`] on `"default_pipeline_id"` when it is on without one.
    pub fn deal_pipeline(&self) -> Result<Option<PipelineId>> {
        if !self.auto_create_deal {
            return Ok(None);
        }
        self.default_pipeline_id.map(Some).ok_or_else(|| {
            FlameError::validation("default_pipeline_id", "is required when auto_create_deal is on")
        })
    }
}

/// A lead as stored: where it came from, the campaign and UTM tags it carried (the attribution
/// of its deal), and what it was filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LeadRecord {
    /// Its id.
    pub id: uuid::Uuid,
    /// The company.
    pub company_id: CompanyId,
    /// The advertising integration it came through.
    pub integration_id: IntegrationId,
    /// Its id on the platform ([`Lead::external_lead_id`]).
    pub external_id: String,
    /// The contact it was filed under (found or created).
    pub contact_id: Option<ContactId>,
    /// The deal it opened, if the integration opens deals.
    pub deal_id: Option<DealId>,
    /// The lead source it was filed under ([`Lead::source_name`]).
    pub source_id: Option<SourceId>,
    /// The campaign, as the platform named it.
    pub campaign: Option<String>,
    /// The UTM tags of its landing page.
    pub utm: Utm,
    /// When the lead was made on the platform ([`Lead::created_at`]; for VK, when the host
    /// received it), UTC: the time the cost report counts it at.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// One day's spend on one campaign, as a host reads it from the ad platform's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdSpend {
    /// The campaign, named as the platform names it (as in [`Lead::campaign`]).
    pub campaign: String,
    /// The day (the platform's reporting day).
    pub day: Date,
    /// What was spent, in minor units of `currency`; not negative.
    pub amount_minor: i64,
    /// ISO 4217 code. An ad account spends in one currency: every row of an integration has
    /// the same.
    pub currency: String,
    /// The lead source the spend is filed under; by default the platform's display name
    /// (`"Meta"`), the source of its leads that carry no `utm_source`.
    pub source: Option<String>,
}

/// A spend row checked by [`check_spend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSpend {
    /// The campaign, trimmed.
    pub campaign: String,
    /// The day.
    pub day: Date,
    /// The amount.
    pub amount: Money,
    /// The name of the lead source it is filed under.
    pub source_name: String,
}

/// Checks a spend import for an integration of `platform`, all rows or none: the campaign
/// is required (at most [`text::NAME_MAX`] characters), the amount not negative, the currency
/// an ISO 4217 code and the same on every row, the source a name when given, and no
/// (campaign, day) twice. At most [`SPEND_ROWS_MAX`] rows. Errors name the row
/// (`"rows[3].currency"`).
pub fn check_spend(rows: &[AdSpend], platform: AdvertisingPlatform) -> Result<Vec<CheckedSpend>> {
    if rows.len() > SPEND_ROWS_MAX {
        return Err(FlameError::validation(
            "rows",
            format!("must be at most {SPEND_ROWS_MAX} per import"),
        ));
    }
    let mut checked: Vec<CheckedSpend> = Vec::with_capacity(rows.len());
    let mut seen = std::collections::HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let at = |field: &str| format!("rows[{i}].{field}");
        let campaign = text::required(&at("campaign"), &row.campaign, text::NAME_MAX)?;
        let currency = Currency::parse(&row.currency).map_err(|e| e.at(&at("currency")))?;
        if let Some(first) = checked.first()
            && first.amount.currency() != currency
        {
            return Err(FlameError::validation(
                at("currency"),
                "must be the currency of rows[0]: an ad account spends in one currency",
            ));
        }
        let amount =
            Money::from_minor(row.amount_minor, currency).map_err(|e| e.at(&at("amount_minor")))?;
        let day = crate::clock::checked_date(&at("day"), row.day)?;
        let source_name = text::optional(&at("source"), row.source.as_deref(), text::NAME_MAX)?
            .unwrap_or_else(|| platform.display_name().to_owned());
        if let Some(first) = seen.insert((campaign.clone(), day), i) {
            return Err(FlameError::validation(
                at("day"),
                format!("repeats the campaign and day of rows[{first}]"),
            ));
        }
        checked.push(CheckedSpend { campaign, day, amount, source_name });
    }
    Ok(checked)
}

/// The rule that an integration's spend is in one currency: `stored` is the currency of spend
/// already recorded for it (and not replaced by this import), `given` the import's; `field`
/// names the row.
pub fn ensure_spend_currency(field: &str, stored: Currency, given: Currency) -> Result<()> {
    if stored == given {
        return Ok(());
    }
    Err(FlameError::validation(
        field,
        format!(
            "must be {}, the currency of the integration's earlier spend: an ad account spends \
             in one currency",
            stored.code()
        ),
    ))
}

/// The UTC interval of the days `from` to `to`, both included: `[from 00:00, to + 1 day 00:00)`.
/// `to` before `from` is a [`FlameError::Validation`] on `"to"`.
pub fn report_period(from: Date, to: Date) -> Result<(OffsetDateTime, OffsetDateTime)> {
    if to < from {
        return Err(FlameError::validation("to", "must not be before from"));
    }
    let end = to.next_day().ok_or_else(|| FlameError::validation("to", "is too late"))?;
    Ok((from.midnight().assume_utc(), end.midnight().assume_utc()))
}

/// What a lead source cost in one currency over a period ([`cost_by_source`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SourceCost {
    /// The source.
    pub source_id: SourceId,
    /// Its name (`None` if it was deleted since).
    pub source_name: Option<String>,
    /// The currency of this row's spend and costs; `None` for leads and won deals that no
    /// spend can be attributed to (their costs are `None`).
    pub currency: Option<Currency>,
    /// Leads received in the period.
    pub leads: u64,
    /// Deals won in the period.
    pub won_deals: u64,
    /// Spend in the period, in minor units of `currency`.
    pub spend_minor: i64,
    /// `spend_minor / leads`, rounded half away from zero; `None` without leads or currency.
    pub cost_per_lead_minor: Option<i64>,
    /// `spend_minor / won_deals`, rounded the same way; `None` without won deals or currency.
    pub cost_per_won_deal_minor: Option<i64>,
}

/// What storage counts for the cost report, before attribution ([`cost_by_source`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostFacts {
    /// Leads received in the period, by (source, integration they came through).
    pub leads: Vec<(SourceId, IntegrationId, u64)>,
    /// Deals won in the period, by (source of the deal, integration of the lead that opened
    /// it — `None` for deals no lead opened).
    pub won_deals: Vec<(SourceId, Option<IntegrationId>, u64)>,
    /// Spend in the period, by (source, currency), in minor units.
    pub spend: Vec<(SourceId, Currency, i64)>,
    /// The currency each advertising integration spends in (from all its recorded spend).
    pub integration_currency: BTreeMap<IntegrationId, Currency>,
    /// The names of the sources.
    pub source_names: BTreeMap<SourceId, String>,
}

/// The cost per lead and per won deal of each lead source, one row per source and currency,
/// so that money is never added across currencies.
///
/// Spend counts in its own currency. A lead counts in the currency its integration spends in
/// (an ad account spends in one currency), a won deal in that of the integration whose lead
/// opened it; leads and deals with no such currency (an integration without recorded spend, a
/// deal entered by hand) make a row without currency and without costs. Costs are integer
/// minor units, rounded half away from zero, `None` when there is nothing to divide by. Rows
/// are ordered by source name (case-insensitively; deleted sources last), then currency
/// (none last).
pub fn cost_by_source(facts: &CostFacts) -> Result<Vec<SourceCost>> {
    #[derive(Default)]
    struct Sums {
        leads: u64,
        won: u64,
        spend: i64,
    }
    let mut rows: BTreeMap<(SourceId, Option<Currency>), Sums> = BTreeMap::new();
    let currency_of = |integration: Option<IntegrationId>| {
        integration.and_then(|i| facts.integration_currency.get(&i).copied())
    };
    for &(source, integration, n) in &facts.leads {
        let sums = rows.entry((source, currency_of(Some(integration)))).or_default();
        sums.leads = sums.leads.saturating_add(n);
    }
    for &(source, integration, n) in &facts.won_deals {
        let sums = rows.entry((source, currency_of(integration))).or_default();
        sums.won = sums.won.saturating_add(n);
    }
    for &(source, currency, amount) in &facts.spend {
        let sums = rows.entry((source, Some(currency))).or_default();
        sums.spend = sums
            .spend
            .checked_add(amount)
            .ok_or_else(|| FlameError::validation("spend_minor", "is too large to add up"))?;
    }
    let per = |spend: i64, count: u64, currency: Option<Currency>| {
        let count = i128::from(count);
        (currency.is_some() && count > 0).then(|| {
            let cost = super::accounting::div_round_half_away(i128::from(spend), count);
            // At most `spend`, so it fits.
            i64::try_from(cost).unwrap_or(i64::MAX)
        })
    };
    let mut out: Vec<SourceCost> = rows
        .into_iter()
        .map(|((source_id, currency), sums)| SourceCost {
            source_id,
            source_name: facts.source_names.get(&source_id).cloned(),
            currency,
            leads: sums.leads,
            won_deals: sums.won,
            spend_minor: sums.spend,
            cost_per_lead_minor: per(sums.spend, sums.leads, currency),
            cost_per_won_deal_minor: per(sums.spend, sums.won, currency),
        })
        .collect();
    out.sort_by(|a, b| {
        // Named sources by name, then those deleted since.
        let name = |c: &SourceCost| {
            (c.source_name.is_none(), c.source_name.as_deref().map(str::to_lowercase))
        };
        name(a).cmp(&name(b)).then_with(|| a.source_id.cmp(&b.source_id)).then_with(|| {
            match (a.currency, b.currency) {
                (Some(x), Some(y)) => x.code().cmp(y.code()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        })
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::id::UserId;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/src/integration/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn answer(key: &str, value: &str) -> LeadAnswer {
        LeadAnswer { key: key.to_owned(), value: value.to_owned() }
    }

    #[test]
    fn platforms_round_trip() {
        for platform in AdvertisingPlatform::ALL {
            assert_eq!(platform.as_str().parse::<AdvertisingPlatform>(), Ok(platform));
            let json = serde_json::to_string(&platform).expect("json");
            assert_eq!(serde_json::from_str::<AdvertisingPlatform>(&json).expect("back"), platform);
        }
        assert_eq!("TikTok".parse::<AdvertisingPlatform>(), Ok(AdvertisingPlatform::TikTok));
        let err = "myspace".parse::<AdvertisingPlatform>().expect_err("unknown");
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "platform"));
    }

    #[test]
    fn a_meta_lead() {
        let lead = parse_meta_lead(&fixture("meta_lead.json")).expect("valid");
        assert_eq!(
            lead,
            Lead {
                platform: AdvertisingPlatform::Meta,
                external_lead_id: "1234567890123456".to_owned(),
                name: Some("Joe Example".to_owned()),
                email: Some(Email::parse("joe@example.com").expect("email")),
                phone: Some(Phone::parse("+14155552671", None).expect("phone")),
                campaign: Some("Spring sale".to_owned()),
                ad: Some("Spring sale — carousel".to_owned()),
                form: Some("987654321098765".to_owned()),
                utm: Utm::default(),
                answers: vec![
                    answer("car_make", "Honda"),
                    answer("full_name", "Joe Example"),
                    answer("email", "Joe@Example.com"),
                    answer("phone_number", "+14155552671"),
                    answer("selected_dealer", "99213450"),
                ],
                created_at: datetime!(2015-02-28 08:49:14 UTC),
            }
        );
        assert_eq!(lead_source_name(&lead), "Meta");
    }

    #[test]
    fn a_meta_lead_with_split_name_and_unusable_contacts() {
        let lead = parse_meta_lead(&fixture("meta_lead_minimal.json")).expect("valid");
        assert_eq!(lead.name.as_deref(), Some("Анна Смирнова"));
        assert_eq!(lead.email, None, "an invalid email is left out");
        assert_eq!(lead.phone, None, "a national number without a country is left out");
        assert_eq!(lead.answers[2], answer("email", "not-an-email"), "but kept as answered");
        assert_eq!(lead.answers[4], answer("interests", "delivery, installation"));
        assert_eq!(lead.created_at, datetime!(2024-11-05 13:20:01 UTC));
        assert_eq!((lead.campaign, lead.ad, lead.form), (None, None, None));
    }

    #[test]
    fn malformed_meta_leads_name_the_field() {
        assert_eq!(
            parse_meta_lead(&fixture("meta_lead_bad_time.json")),
            Err(FlameError::validation("created_time", "is not an ISO 8601 date and time"))
        );
        assert_eq!(
            parse_meta_lead(&fixture("meta_lead_bad_field_data.json")),
            Err(FlameError::validation(
                "field_data[0].values",
                "has the wrong type or an invalid value"
            ))
        );
        assert_eq!(
            parse_meta_lead(br#"{"id": "1", "created_time": "2015-02-28T08:49:14+0000"}"#),
            Err(FlameError::validation("field_data", "is missing"))
        );
        assert_eq!(
            parse_meta_lead(
                br#"{"id": " ", "created_time": "2015-02-28T08:49:14Z", "field_data": []}"#
            ),
            Err(FlameError::validation("id", "must not be empty"))
        );
        let rfc3339 = br#"{"id": "7", "created_time": "2015-02-28T08:49:14Z", "field_data": []}"#;
        let lead = parse_meta_lead(rfc3339).expect("RFC 3339 is accepted too");
        assert_eq!((lead.name, lead.created_at), (None, datetime!(2015-02-28 08:49:14 UTC)));
    }

    #[test]
    fn a_vk_lead() {
        let received = datetime!(2026-03-01 10:00:00.123456789 UTC);
        let lead = parse_vk_lead_callback(&fixture("vk_lead_forms_new.json"), received)
            .expect("valid")
            .expect("a lead");
        assert_eq!(lead.platform, AdvertisingPlatform::VkAds);
        assert_eq!(lead.external_lead_id, "123456789:1001");
        assert_eq!(lead.name.as_deref(), Some("Иван Петров"));
        assert_eq!(lead.email.as_ref().map(Email::as_str), Some("ivan@example.ru"));
        assert_eq!(lead.phone.as_ref().map(Phone::as_str), Some("+79991234567"));
        assert_eq!(lead.form.as_deref(), Some("Заявка на консультацию"));
        assert_eq!(lead.ad.as_deref(), Some("55501"));
        assert_eq!(lead.campaign, None);
        assert_eq!(lead.answers.len(), 5);
        assert_eq!(lead.answers[4], answer("custom_0", "после 18:00"));
        assert_eq!(lead.created_at, datetime!(2026-03-01 10:00:00.123456 UTC));
        assert_eq!(lead.source_name(), "VK Ads");
        // The callback secret is not part of the lead.
        assert!(!format!("{lead:?}").contains("my-callback-secret"));
    }

    #[test]
    fn other_vk_events_are_not_leads() {
        let now = datetime!(2026-03-01 10:00 UTC);
        assert_eq!(parse_vk_lead_callback(&fixture("vk_confirmation.json"), now), Ok(None));
        assert_eq!(
            parse_vk_lead_callback(br#"{"type": "message_new", "object": {"message": {}}}"#, now),
            Ok(None)
        );
    }

    #[test]
    fn malformed_vk_leads_name_the_field() {
        let now = datetime!(2026-03-01 10:00 UTC);
        assert_eq!(
            parse_vk_lead_callback(&fixture("vk_lead_missing_answers.json"), now),
            Err(FlameError::validation("object.answers", "is missing"))
        );
        assert_eq!(
            parse_vk_lead_callback(br#"{"type": "lead_forms_new"}"#, now),
            Err(FlameError::validation("object", "is missing"))
        );
        assert_eq!(
            parse_vk_lead_callback(br#"{"object": {}}"#, now),
            Err(FlameError::validation("type", "is missing"))
        );
        let bad_answer = br#"{"type": "lead_forms_new", "object": {"lead_id": 1, "group_id": 2,
            "form_id": 3, "answers": [{"key": "email", "answer": 42}]}}"#;
        assert_eq!(
            parse_vk_lead_callback(bad_answer, now),
            Err(FlameError::validation(
                "object.answers[0].answer",
                "has the wrong type or an invalid value"
            ))
        );
        let many = br#"{"type": "lead_forms_new", "object": {"lead_id": 1, "group_id": 2,
            "form_id": 3, "answers": [{"key": "colors", "answer": ["red", "blue"]}]}}"#;
        let lead = parse_vk_lead_callback(many, now).expect("valid").expect("lead");
        assert_eq!(lead.answers, [answer("colors", "red, blue")]);
        assert_eq!(lead.form.as_deref(), Some("3"));
        assert_eq!(lead.name, None);
    }

    #[test]
    fn vk_secret() {
        let body = fixture("vk_lead_forms_new.json");
        assert_eq!(verify_vk_secret(&body, &SecretString::from("my-callback-secret")), Ok(()));
        let err = verify_vk_secret(&body, &SecretString::from("another")).expect_err("mismatch");
        assert!(matches!(err, FlameError::Unauthenticated { .. }));
        assert!(!err.to_string().contains("my-callback-secret"));
        let err = verify_vk_secret(&fixture("vk_confirmation.json"), &SecretString::from(""))
            .expect_err("no secret given is never a match");
        assert!(matches!(err, FlameError::Unauthenticated { .. }));
    }

    #[test]
    fn utm_from_landing_urls() {
        let utm = Utm::from_url(
            "https://shop.example/landing?utm_source=yandex&UTM_MEDIUM=cpc&utm_campaign=spring%20sale\
             &utm_content=banner+1&utm_term=red%20shoes&gclid=abc#form",
        )
        .expect("valid");
        assert_eq!(
            utm,
            Utm {
                source: Some("yandex".to_owned()),
                medium: Some("cpc".to_owned()),
                campaign: Some("spring sale".to_owned()),
                content: Some("banner 1".to_owned()),
                term: Some("red shoes".to_owned()),
            }
        );
        assert_eq!(Utm::from_url("?utm_source=vk").expect("bare").source.as_deref(), Some("vk"));
        assert_eq!(
            Utm::from_query("utm_source=&utm_source=%20mail%20&utm_source=other")
                .expect("ok")
                .source,
            Some("mail".to_owned()),
            "the first non-blank value wins"
        );
        assert!(Utm::from_url("https://shop.example/").expect("no query").is_empty());
        assert!(Utm::from_url("https://shop.example/#?utm_source=x").expect("fragment").is_empty());
        let long = format!("https://x.example/?utm_campaign={}", "a".repeat(text::NAME_MAX + 1));
        assert_eq!(
            Utm::from_url(&long),
            Err(FlameError::validation("utm_campaign", "must be at most 200 characters"))
        );
    }

    fn settings(assignee: Option<UserId>) -> AdvertisingSettings {
        AdvertisingSettings {
            platform: AdvertisingPlatform::Meta,
            auto_create_deal: true,
            default_pipeline_id: Some(PipelineId::new()),
            default_assignee_id: assignee,
            deal_currency: Some("RUB".into()),
        }
    }

    #[test]
    fn a_lead_becomes_a_contact_and_a_deal_of_the_integrations_assignee() {
        let company = CompanyId::new();
        let now = datetime!(2026-03-01 10:00 UTC);
        let lead = parse_meta_lead(&fixture("meta_lead.json")).expect("valid");
        let max = UserId::new();
        let contact = lead.new_contact(company, &settings(Some(max)), now).expect("contact");
        assert_eq!(
            (contact.first_name.as_str(), contact.last_name.as_deref()),
            ("Joe", Some("Example"))
        );
        assert_eq!(contact.owner_id, Some(max));
        let unassigned = lead.new_contact(company, &settings(None), now).expect("contact");
        assert_eq!(unassigned.owner_id, None, "records made by an integration have no member");

        let (pipeline, stages) =
            crate::pipeline::default_pipeline().build(company, 0, true, now).expect("pipeline");
        let source = SourceId::new();
        let mut with_pipeline = settings(None);
        with_pipeline.default_pipeline_id = Some(pipeline.id);
        let (deal, _) = lead
            .new_deal(company, &with_pipeline, pipeline.id, &stages, contact.id, source, now)
            .expect("deal");
        assert_eq!(deal.title, "Meta: Joe Example");
        assert_eq!(
            (deal.assignee_id, deal.source_id, deal.contact_id),
            (None, Some(source), Some(contact.id))
        );
        assert_eq!(deal.value.currency().code(), "RUB", "the integration's deal currency");
        assert_eq!(
            lead.new_deal(company, &with_pipeline, pipeline.id, &[], contact.id, source, now)
                .map(|_| ()),
            Err(FlameError::validation("default_pipeline_id", "has no open stage"))
        );
        let mut off = settings(None);
        off.auto_create_deal = false;
        assert_eq!(off.deal_pipeline(), Ok(None));
        off.auto_create_deal = true;
        off.default_pipeline_id = None;
        assert!(off.deal_pipeline().is_err());
    }

    #[test]
    fn a_nameless_lead_is_filed_under_its_email_phone_or_id() {
        let mut lead = parse_meta_lead(&fixture("meta_lead.json")).expect("valid");
        lead.name = None;
        assert_eq!(lead.display_name(), "joe@example.com");
        lead.email = None;
        assert_eq!(lead.display_name(), "+14155552671");
        lead.phone = None;
        assert_eq!(lead.display_name(), "Meta lead 1234567890123456");
        let contact = lead
            .new_contact(CompanyId::new(), &settings(None), datetime!(2026-03-01 10:00 UTC))
            .expect("contact");
        assert_eq!(contact.full_name(), "Meta lead 1234567890123456");
    }

    #[test]
    fn host_built_leads_are_checked_like_parsed_ones() {
        let lead = parse_meta_lead(&fixture("meta_lead.json")).expect("valid");
        assert_eq!(lead.clone().validated(), Ok(lead.clone()));
        let mut tagged = lead.clone();
        tagged.utm.source = Some(" yandex\u{0} ".into());
        tagged.campaign = Some("   ".into());
        let checked = tagged.validated().expect("cleaned");
        assert_eq!((checked.utm.source.as_deref(), checked.campaign), (Some("yandex"), None));
        let mut long = lead.clone();
        long.utm.term = Some("t".repeat(text::NAME_MAX + 1));
        assert_eq!(
            long.validated(),
            Err(FlameError::validation("utm.term", "must be at most 200 characters"))
        );
        let mut keyless = lead;
        keyless.answers[1].key = "\u{7}".into();
        assert_eq!(keyless.validated(), Err(FlameError::validation("answers[1].key", "is empty")));
    }

    fn spend(campaign: &str, day: Date, amount_minor: i64, currency: &str) -> AdSpend {
        AdSpend {
            campaign: campaign.into(),
            day,
            amount_minor,
            currency: currency.into(),
            source: None,
        }
    }

    #[test]
    fn spend_rows_are_checked_by_index() {
        let day = time::macros::date!(2026 - 03 - 01);
        let rows = vec![
            spend(" Spring ", day, 100, "usd"),
            AdSpend { source: Some(" Brand ".into()), ..spend("Brand", day, 0, "USD") },
        ];
        let checked = check_spend(&rows, AdvertisingPlatform::VkAds).expect("valid");
        assert_eq!(checked[0].campaign, "Spring");
        assert_eq!(checked[0].source_name, "VK Ads", "the platform's source by default");
        assert_eq!(checked[1].source_name, "Brand");
        assert_eq!(checked[0].amount.currency().code(), "USD");
        let cases = [
            (spend("A", day, 1, "EUR"), "rows[1].currency"),
            (spend("A", day, 1, "ABC"), "rows[1].currency"),
            (spend("A", day, -1, "USD"), "rows[1].amount_minor"),
            (spend("", day, 1, "USD"), "rows[1].campaign"),
            (spend("Spring", day, 1, "USD"), "rows[1].day"),
            (
                AdSpend { source: Some("x".repeat(201)), ..spend("A", day, 1, "USD") },
                "rows[1].source",
            ),
        ];
        for (bad, field) in cases {
            let rows = vec![spend("Spring", day, 1, "USD"), bad];
            assert!(
                matches!(check_spend(&rows, AdvertisingPlatform::Meta), Err(FlameError::Validation { field: f, .. }) if f == field),
                "{field}"
            );
        }
        assert!(check_spend(&[], AdvertisingPlatform::Meta).expect("empty").is_empty());
        let usd = Currency::parse("USD").expect("usd");
        assert_eq!(ensure_spend_currency("rows[0].currency", usd, usd), Ok(()));
        assert!(
            ensure_spend_currency("rows[0].currency", usd, Currency::parse("EUR").expect("eur"))
                .is_err()
        );
    }

    #[test]
    fn report_periods_include_both_days() {
        let (start, end) =
            report_period(time::macros::date!(2026 - 03 - 01), time::macros::date!(2026 - 03 - 31))
                .expect("valid");
        assert_eq!(
            (start, end),
            (datetime!(2026-03-01 00:00 UTC), datetime!(2026-04-01 00:00 UTC))
        );
        assert_eq!(
            report_period(time::macros::date!(2026 - 03 - 02), time::macros::date!(2026 - 03 - 01)),
            Err(FlameError::validation("to", "must not be before from"))
        );
    }

    #[test]
    fn costs_never_mix_currencies() {
        let (meta, vk, brand) = (SourceId::new(), SourceId::new(), SourceId::new());
        let (meta_ads, vk_ads, silent) =
            (IntegrationId::new(), IntegrationId::new(), IntegrationId::new());
        let usd = Currency::parse("USD").expect("usd");
        let rub = Currency::parse("RUB").expect("rub");
        let facts = CostFacts {
            leads: vec![
                (meta, meta_ads, 3),
                (meta, vk_ads, 1),
                (vk, vk_ads, 2),
                (brand, silent, 4),
            ],
            won_deals: vec![(meta, Some(meta_ads), 2), (meta, None, 1)],
            spend: vec![(meta, usd, 1000), (meta, rub, 5000), (vk, rub, 0)],
            integration_currency: [(meta_ads, usd), (vk_ads, rub)].into_iter().collect(),
            source_names: [(meta, "Meta".to_owned()), (vk, "vk".to_owned())].into_iter().collect(),
        };
        let rows = cost_by_source(&facts).expect("report");
        let summary: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.source_name.clone(),
                    r.currency.map(|c| c.code()),
                    r.leads,
                    r.won_deals,
                    r.spend_minor,
                    r.cost_per_lead_minor,
                    r.cost_per_won_deal_minor,
                )
            })
            .collect();
        let name = |n: &str| Some(n.to_owned());
        assert_eq!(
            summary,
            vec![
                // 1000 / 3 = 333.3 → 333; 1000 / 2 = 500.
                (name("Meta"), Some("RUB"), 1, 0, 5000, Some(5000), None),
                (name("Meta"), Some("USD"), 3, 2, 1000, Some(333), Some(500)),
                (name("Meta"), None, 0, 1, 0, None, None),
                (name("vk"), Some("RUB"), 2, 0, 0, Some(0), None),
                // A source deleted since, whose integration has no spend.
                (None, None, 4, 0, 0, None, None),
            ]
        );
        let overflow = CostFacts { spend: vec![(meta, usd, i64::MAX), (meta, usd, 1)], ..facts };
        assert!(cost_by_source(&overflow).is_err());
    }

    #[test]
    fn source_name_prefers_utm_source() {
        let mut lead = parse_meta_lead(&fixture("meta_lead.json")).expect("valid");
        lead.utm = Utm::from_url("https://x.example/?utm_source=instagram_stories").expect("ok");
        assert_eq!(lead_source_name(&lead), "instagram_stories");
        lead.utm = Utm::default();
        lead.platform = AdvertisingPlatform::YandexDirect;
        assert_eq!(lead.source_name(), "Yandex Direct");
    }
}
