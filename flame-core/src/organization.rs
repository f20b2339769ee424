//! Organizations: the companies, shops and institutions a company sells to. Contacts work
//! for at most one of them and deals may name one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::custom_field::{CustomCondition, CustomSort, CustomValues, CustomValuesPatch};
use crate::error::{FlameError, Result};
use crate::id::{CompanyId, OrganizationId, UserId};
use crate::phone::Phone;
use crate::text;

/// The most characters an industry may have.
pub const INDUSTRY_MAX: usize = 200;
/// The most characters of one address line (street, city, region, postal code).
pub const ADDRESS_MAX: usize = 200;
/// The most characters a website URL may have.
pub const WEBSITE_MAX: usize = 2_000;

/// How many people an organization employs, in bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum OrganizationSize {
    /// 1 to 10 people (`"1-10"`).
    #[serde(rename = "1-10")]
    Micro,
    /// 11 to 50 people (`"11-50"`).
    #[serde(rename = "11-50")]
    Small,
    /// 51 to 200 people (`"51-200"`).
    #[serde(rename = "51-200")]
    Medium,
    /// 201 to 1000 people (`"201-1000"`).
    #[serde(rename = "201-1000")]
    Large,
    /// More than 1000 people (`"1000+"`).
    #[serde(rename = "1000+")]
    Enterprise,
}

impl OrganizationSize {
    /// Every size, smallest first.
    pub const ALL: [OrganizationSize; 5] =
        [Self::Micro, Self::Small, Self::Medium, Self::Large, Self::Enterprise];

    /// The stored name (`"11-50"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Micro => "1-10",
            Self::Small => "11-50",
            Self::Medium => "51-200",
            Self::Large => "201-1000",
            Self::Enterprise => "1000+",
        }
    }
}

impl fmt::Display for OrganizationSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrganizationSize {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|size| size.as_str() == s).ok_or_else(|| {
            FlameError::validation("size", "must be one of 1-10, 11-50, 51-200, 201-1000, 1000+")
        })
    }
}

/// An organization the company is in touch with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Organization {
    /// Its id.
    pub id: OrganizationId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// Its name.
    pub name: String,
    /// Its internet domain, normalized (`"example.com"`: lowercase, no scheme, path or
    /// leading `www.`); unique in the company.
    pub domain: Option<String>,
    /// Phone in E.164.
    pub phone: Option<Phone>,
    /// Street address.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Region, state or province.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country, ISO 3166-1 alpha-2 in upper case (`"DE"`).
    pub country: Option<String>,
    /// Website, an http or https URL.
    pub website: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// How many people it employs.
    pub size: Option<OrganizationSize>,
    /// The member responsible for it.
    pub owner_id: Option<UserId>,
    /// Its custom field values, by field key (fields the company defined for organizations).
    pub custom: CustomValues,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version: pass it back to update or delete.
    pub version: i64,
    /// The names of its tags, sorted (case-insensitively). Tagging does not change
    /// `version`.
    pub tags: Vec<String>,
}

/// An organization to create. Optional text that is blank counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrganization {
    /// Its name; required.
    pub name: String,
    /// Its domain (`"Example.com"`, `"https://www.example.com/about"`); normalized.
    pub domain: Option<String>,
    /// Phone in any common notation; stored as E.164.
    pub phone: Option<String>,
    /// ISO 3166 region for phones written without a country code.
    pub phone_region: Option<String>,
    /// Street address.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Region, state or province.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country, ISO 3166-1 alpha-2 (`"de"` is read as `"DE"`).
    pub country: Option<String>,
    /// Website, an http or https URL.
    pub website: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Size band: `"1-10"`, `"11-50"`, `"51-200"`, `"201-1000"` or `"1000+"`.
    pub size: Option<String>,
    /// The responsible member; defaults to the session's user.
    pub owner_id: Option<UserId>,
    /// Custom field values by key, each checked against its definition.
    pub custom: CustomValues,
}

/// Changes to an organization: `None` keeps a field, an empty string clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationPatch {
    /// New name.
    pub name: Option<String>,
    /// New domain (`""` clears it).
    pub domain: Option<String>,
    /// New phone (`""` clears it).
    pub phone: Option<String>,
    /// Region hint for `phone`.
    pub phone_region: Option<String>,
    /// New street (`""` clears it).
    pub street: Option<String>,
    /// New city (`""` clears it).
    pub city: Option<String>,
    /// New region (`""` clears it).
    pub region: Option<String>,
    /// New postal code (`""` clears it).
    pub postal_code: Option<String>,
    /// New country (`""` clears it).
    pub country: Option<String>,
    /// New website (`""` clears it).
    pub website: Option<String>,
    /// New industry (`""` clears it).
    pub industry: Option<String>,
    /// New size band (`""` clears it).
    pub size: Option<String>,
    /// New responsible member.
    pub owner_id: Option<UserId>,
    /// Custom values to set (a `None` value clears one); keys it does not name keep theirs.
    pub custom: CustomValuesPatch,
}

/// Filters for listing organizations; all given filters must match. A blank text is no
/// filter. The list is ordered by name (lowercase, by code point), then by id, and walks an
/// index from its cursor: each page costs what the page holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationFilter {
    /// Case-insensitive prefix of the name.
    pub name_prefix: Option<String>,
    /// The domain, in any form [`normalize_domain`] reads (at most one organization has it).
    pub domain: Option<String>,
    /// Case-insensitive prefix of the domain (`"acme"` finds acme.com and acme.de; a scheme
    /// or a leading `www.` is ignored). Without a name prefix, the list is then ordered by
    /// domain, then id.
    pub domain_prefix: Option<String>,
    /// Only organizations of this member.
    pub owner_id: Option<UserId>,
    /// Only organizations carrying every one of these tags (names, any case). A name that is
    /// no tag of the company gives an empty list.
    pub tags: Vec<String>,
    /// Only organizations whose custom values match every condition.
    pub custom: Vec<CustomCondition>,
    /// Orders the list by a custom field instead (see [`CustomSort`]); the other filters
    /// still apply.
    pub sort: Option<CustomSort>,
}

impl Organization {
    /// The lowercase name that prefix search and the name order use.
    pub fn name_key(&self) -> String {
        name_key(&self.name)
    }

    /// Builds an organization from `input`; the owner defaults to `default_owner`.
    pub fn create(
        company_id: CompanyId,
        input: &NewOrganization,
        default_owner: UserId,
        now: OffsetDateTime,
    ) -> Result<Self> {
        Ok(Self {
            id: OrganizationId::new(),
            company_id,
            name: text::required("name", &input.name, text::NAME_MAX)?,
            domain: optional_domain(input.domain.as_deref())?,
            phone: parse_phone(input.phone.as_deref(), input.phone_region.as_deref())?,
            street: text::optional("street", input.street.as_deref(), ADDRESS_MAX)?,
            city: text::optional("city", input.city.as_deref(), ADDRESS_MAX)?,
            region: text::optional("region", input.region.as_deref(), ADDRESS_MAX)?,
            postal_code: text::optional("postal_code", input.postal_code.as_deref(), ADDRESS_MAX)?,
            country: optional_country(input.country.as_deref())?,
            website: optional_website(input.website.as_deref())?,
            industry: text::optional("industry", input.industry.as_deref(), INDUSTRY_MAX)?,
            size: optional_size(input.size.as_deref())?,
            owner_id: Some(input.owner_id.unwrap_or(default_owner)),
            // Checked against the company's definitions by the store, which knows them.
            custom: CustomValues::new(),
            created_at: now,
            updated_at: now,
            version: 1,
            tags: Vec::new(),
        })
    }

    /// The organization with `patch` applied and its version bumped.
    pub fn patched(&self, patch: &OrganizationPatch, now: OffsetDateTime) -> Result<Self> {
        let mut next = self.clone();
        if let Some(name) = &patch.name {
            next.name = text::required("name", name, text::NAME_MAX)?;
        }
        if let Some(domain) = &patch.domain {
            next.domain = optional_domain(Some(domain))?;
        }
        if let Some(phone) = &patch.phone {
            next.phone = parse_phone(Some(phone), patch.phone_region.as_deref())?;
        }
        let lines = [
            (&patch.street, &mut next.street, "street"),
            (&patch.city, &mut next.city, "city"),
            (&patch.region, &mut next.region, "region"),
            (&patch.postal_code, &mut next.postal_code, "postal_code"),
        ];
        for (new, slot, field) in lines {
            if let Some(value) = new {
                *slot = text::optional(field, Some(value), ADDRESS_MAX)?;
            }
        }
        if let Some(country) = &patch.country {
            next.country = optional_country(Some(country))?;
        }
        if let Some(website) = &patch.website {
            next.website = optional_website(Some(website))?;
        }
        if let Some(industry) = &patch.industry {
            next.industry = text::optional("industry", Some(industry), INDUSTRY_MAX)?;
        }
        if let Some(size) = &patch.size {
            next.size = optional_size(Some(size))?;
        }
        if let Some(owner) = patch.owner_id {
            next.owner_id = Some(owner);
        }
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}

/// The key an organization's name is searched and ordered by: its lowercase form.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The stored form of a domain prefix a list is filtered by: trimmed, lowercase, without a
/// scheme or a leading `www.`; `None` when blank. Longer than a domain may be is a
/// `Validation` error on `domain_prefix`.
pub fn domain_prefix(input: Option<&str>) -> Result<Option<String>> {
    let Some(input) = input else { return Ok(None) };
    let mut d = input.trim().to_lowercase();
    if let Some(at) = d.find("://") {
        d = d[at + 3..].to_owned();
    }
    let d = d.strip_prefix("www.").unwrap_or(&d);
    if d.len() > 253 {
        return Err(FlameError::validation("domain_prefix", "must be at most 253 characters"));
    }
    Ok(Some(d.to_owned()).filter(|d| !d.is_empty()))
}

/// The error of a second organization with a domain already taken in the company.
pub fn domain_taken() -> FlameError {
    FlameError::conflict("domain", "another organization of this company has this domain")
}

/// The error of an organization id that is not one of the company's.
pub fn not_found() -> FlameError {
    FlameError::not_found("organization")
}

fn parse_phone(phone: Option<&str>, region: Option<&str>) -> Result<Option<Phone>> {
    match phone.map(str::trim) {
        None | Some("") => Ok(None),
        Some(phone) => Phone::parse(phone, region).map(Some).map_err(|e| match &e {
            FlameError::Validation { field, .. } if field == "region" => e.at("phone_region"),
            _ => e,
        }),
    }
}

fn optional_domain(domain: Option<&str>) -> Result<Option<String>> {
    match domain.map(str::trim) {
        None | Some("") => Ok(None),
        Some(d) => normalize_domain(d).map(Some),
    }
}

/// Normalizes a domain as people write it: trimmed, lowercase, without a scheme
/// (`https://`), user info, port, path, query or fragment, without a leading `www.` and a
/// trailing dot. The result must be a hostname of at least two labels, each of ASCII letters,
/// digits and inner hyphens (international names in their `xn--` form), at most 253
/// characters; anything else is a `Validation` error on `domain`.
pub fn normalize_domain(input: &str) -> Result<String> {
    let bad = |reason: &str| FlameError::validation("domain", reason.to_owned());
    let mut d = input.trim().to_lowercase();
    if let Some(at) = d.find("://") {
        d = d[at + 3..].to_owned();
    }
    if let Some(end) = d.find(['/', '?', '#']) {
        d.truncate(end);
    }
    if let Some(at) = d.rfind('@') {
        d = d[at + 1..].to_owned();
    }
    if let Some(colon) = d.find(':') {
        d.truncate(colon);
    }
    let d = d.strip_suffix('.').unwrap_or(&d);
    let d = d.strip_prefix("www.").unwrap_or(d);
    if d.is_empty() {
        return Err(bad("must be a domain name such as example.com"));
    }
    if d.len() > 253 {
        return Err(bad("must be at most 253 characters"));
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Err(bad("must be a domain name such as example.com"));
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(bad("must be a hostname: labels of letters, digits and inner hyphens \
                 (international names in their xn-- form)"));
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad("must be a domain name, not an address"));
    }
    Ok(d.to_owned())
}

fn optional_country(country: Option<&str>) -> Result<Option<String>> {
    match country.map(str::trim) {
        None | Some("") => Ok(None),
        Some(c) => {
            let upper = c.to_ascii_uppercase();
            if upper.len() == 2 && COUNTRIES.split(' ').any(|known| known == upper) {
                Ok(Some(upper))
            } else {
                Err(FlameError::validation(
                    "country",
                    "must be an ISO 3166-1 alpha-2 code (\"DE\")",
                ))
            }
        }
    }
}

fn optional_website(website: Option<&str>) -> Result<Option<String>> {
    let bad = |reason: &str| FlameError::validation("website", reason.to_owned());
    match website.map(str::trim) {
        None | Some("") => Ok(None),
        Some(w) => {
            if w.chars().count() > WEBSITE_MAX {
                return Err(bad("must be at most 2000 characters"));
            }
            let url = url::Url::parse(w).map_err(|_| bad("must be an http or https URL"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(bad("must be an http or https URL"));
            }
            if url.host_str().is_none_or(str::is_empty) {
                return Err(bad("must name a host"));
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(bad("must not carry a user name or password"));
            }
            Ok(Some(url.to_string()))
        }
    }
}

fn optional_size(size: Option<&str>) -> Result<Option<OrganizationSize>> {
    match size.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some),
    }
}

/// The ISO 3166-1 alpha-2 codes (officially assigned).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM \
ZW";

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NewOrganization {
        NewOrganization {
            name: " Analytical Engines ".into(),
            domain: Some("https://WWW.Engines.example/about?x=1".into()),
            phone: Some("+44 20 7946 0958".into()),
            country: Some("gb".into()),
            website: Some("https://engines.example/".into()),
            size: Some("11-50".into()),
            ..NewOrganization::default()
        }
    }

    fn field_of(err: FlameError) -> String {
        match err {
            FlameError::Validation { field, .. } => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn creates_normalized_organizations() {
        let owner = UserId::new();
        let o = Organization::create(CompanyId::new(), &input(), owner, OffsetDateTime::UNIX_EPOCH)
            .expect("valid");
        assert_eq!(o.name, "Analytical Engines");
        assert_eq!(o.name_key(), "analytical engines");
        assert_eq!(o.domain.as_deref(), Some("engines.example"));
        assert_eq!(o.phone.as_ref().map(Phone::as_str), Some("+442079460958"));
        assert_eq!(o.country.as_deref(), Some("GB"));
        assert_eq!(o.size, Some(OrganizationSize::Small));
        assert_eq!(o.owner_id, Some(owner));
        assert_eq!(o.version, 1);
    }

    #[test]
    fn domains_normalize_or_are_refused() {
        for (raw, want) in [
            ("Example.COM", "example.com"),
            ("http://www.example.com", "example.com"),
            ("www.shop.example.co.uk/path", "shop.example.co.uk"),
            ("example.com.", "example.com"),
            ("https://user@example.com:8443/x#y", "example.com"),
            ("xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),
        ] {
            assert_eq!(normalize_domain(raw).expect(raw), want);
        }
        for bad in ["localhost", "exa mple.com", "-a.com", "a-.com", "пример.рф", "1.2.3.4", "www."]
        {
            assert_eq!(field_of(normalize_domain(bad).expect_err(bad)), "domain", "{bad}");
        }
    }

    #[test]
    fn rejects_bad_fields_by_name() {
        let cases = [
            (NewOrganization { name: " ".into(), ..input() }, "name"),
            (NewOrganization { name: "n".repeat(201), ..input() }, "name"),
            (NewOrganization { domain: Some("nope".into()), ..input() }, "domain"),
            (NewOrganization { phone: Some("12".into()), ..input() }, "phone"),
            (NewOrganization { country: Some("XX".into()), ..input() }, "country"),
            (NewOrganization { country: Some("GBR".into()), ..input() }, "country"),
            (NewOrganization { website: Some("ftp://x.example".into()), ..input() }, "website"),
            (NewOrganization { website: Some("not a url".into()), ..input() }, "website"),
            (NewOrganization { industry: Some("i".repeat(201)), ..input() }, "industry"),
            (NewOrganization { street: Some("s".repeat(201)), ..input() }, "street"),
            (NewOrganization { city: Some("bad\u{7}".into()), ..input() }, "city"),
            (NewOrganization { region: Some("r".repeat(201)), ..input() }, "region"),
            (NewOrganization { postal_code: Some("p".repeat(201)), ..input() }, "postal_code"),
            (NewOrganization { size: Some("huge".into()), ..input() }, "size"),
        ];
        for (bad, expected) in cases {
            let err = Organization::create(
                CompanyId::new(),
                &bad,
                UserId::new(),
                OffsetDateTime::UNIX_EPOCH,
            )
            .expect_err(expected);
            assert_eq!(field_of(err), expected);
        }
    }

    #[test]
    fn patch_clears_and_bumps_version() {
        let o = Organization::create(
            CompanyId::new(),
            &input(),
            UserId::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("valid");
        let patch = OrganizationPatch {
            domain: Some(String::new()),
            size: Some(String::new()),
            city: Some("London".into()),
            ..OrganizationPatch::default()
        };
        let next = o.patched(&patch, OffsetDateTime::UNIX_EPOCH).expect("valid");
        assert_eq!(next.domain, None);
        assert_eq!(next.size, None);
        assert_eq!(next.city.as_deref(), Some("London"));
        assert_eq!(next.name, o.name);
        assert_eq!(next.version, 2);
    }

    #[test]
    fn sizes_round_trip_and_countries_are_complete() {
        for size in OrganizationSize::ALL {
            assert_eq!(size.as_str().parse::<OrganizationSize>().expect("parses"), size);
        }
        assert_eq!(COUNTRIES.split(' ').count(), 249);
    }
}
