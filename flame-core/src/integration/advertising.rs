//! Advertising: leads from ad platforms, the UTM tags of the landing pages that brought them,
//! and the lead source a lead is filed under.
//!
//! Two lead formats are read: a Meta Lead Ads lead as the Graph API returns it
//! ([`parse_meta_lead`]) and a VK Ads lead form event of the VK Callback API
//! ([`parse_vk_lead_callback`]). A lead keeps every answer of its form as given
//! ([`Lead::answers`]); the name, email and phone are picked out of them, and an email or
//! phone that does not validate is left out of [`Lead::email`] / [`Lead::phone`] rather than
//! losing the lead.

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{from_json, normalize_phone, received_text, webhook};
use crate::email::Email;
use crate::error::{FlameError, Result};
use crate::phone::Phone;
use crate::text;

/// An advertising platform leads come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AdvertisingPlatform {
    /// Yandex Direct.
    YandexDirect,
    /// VK Ads (and VK community lead forms).
    VkAds,
    /// Google Ads.
    GoogleAds,
    /// Meta (Facebook and Instagram Lead Ads).
    Meta,
    /// TikTok Ads.
    TikTok,
    /// Any other platform.
    Other,
}

impl AdvertisingPlatform {
    /// Every platform, in display order.
    pub const ALL: [AdvertisingPlatform; 6] =
        [Self::YandexDirect, Self::VkAds, Self::GoogleAds, Self::Meta, Self::TikTok, Self::Other];

    /// The stored name (`"yandex_direct"`, `"vk_ads"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::YandexDirect => "yandex_direct",
            Self::VkAds => "vk_ads",
            Self::GoogleAds => "google_ads",
            Self::Meta => "meta",
            Self::TikTok => "tiktok",
            Self::Other => "other",
        }
    }

    /// The name people know it by (`"Yandex Direct"`), also the name of the lead source its
    /// leads are filed under when they carry no `utm_source`.
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::YandexDirect => "Yandex Direct",
            Self::VkAds => "VK Ads",
            Self::GoogleAds => "Google Ads",
            Self::Meta => "Meta",
            Self::TikTok => "TikTok",
            Self::Other => "Other",
        }
    }
}

impl fmt::Display for AdvertisingPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AdvertisingPlatform {
    type Err = FlameError;

    /// Parses the stored name, trimmed and in any case.
    fn from_str(s: &str) -> Result<Self> {
        let name = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|p| p.as_str() == name).ok_or_else(|| {
            FlameError::validation(
                "platform",
                "must be one of yandex_direct, vk_ads, google_ads, meta, tiktok, other",
            )
        })
    }
}

impl TryFrom<String> for AdvertisingPlatform {
    type Error = FlameError;

    fn try_from(value: String) -> Result<Self> {
        value.parse()
    }
}

impl From<AdvertisingPlatform> for String {
    fn from(platform: AdvertisingPlatform) -> Self {
        platform.as_str().to_owned()
    }
}

/// The UTM tags of a landing page URL (`utm_source`, `utm_medium`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    /// `utm_source`: who sent the visitor (`"yandex"`, `"newsletter"`).
    pub source: Option<String>,
    /// `utm_medium`: how (`"cpc"`, `"email"`).
    pub medium: Option<String>,
    /// `utm_campaign`: which campaign.
    pub campaign: Option<String>,
    /// `utm_content`: which ad or link.
    pub content: Option<String>,
    /// `utm_term`: which keyword.
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

fn required_id(field: &str, value: &str) -> Result<String> {
    received_text(field, value, text::NAME_MAX)?
        .ok_or_else(|| FlameError::validation(field, "must not be empty"))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

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
