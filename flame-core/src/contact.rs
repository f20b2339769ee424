//! Contacts: the people a company sells to.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::custom_field::{CustomCondition, CustomSort, CustomValues, CustomValuesPatch};
use crate::email::Email;
use crate::error::Result;
use crate::id::{CompanyId, ContactId, OrganizationId, UserId};
use crate::phone::Phone;
use crate::text;

/// A person the company is in touch with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// First (or only) name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Normalized email.
    pub email: Option<Email>,
    /// Phone in E.164.
    pub phone: Option<Phone>,
    /// The organization the person works for (one of the company's).
    pub organization_id: Option<OrganizationId>,
    /// The member responsible for the contact.
    pub owner_id: Option<UserId>,
    /// Its custom field values, by field key (fields the company defined for contacts).
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

impl Contact {
    /// "First Last", or the first name alone.
    pub fn full_name(&self) -> String {
        match &self.last_name {
            Some(last) => format!("{} {last}", self.first_name),
            None => self.first_name.clone(),
        }
    }

    /// The lowercase name that prefix search matches against.
    pub fn search_name(&self) -> String {
        self.full_name().to_lowercase()
    }

    /// Builds a contact from `input`; the owner defaults to `default_owner`.
    pub fn create(
        company_id: CompanyId,
        input: &NewContact,
        default_owner: UserId,
        now: OffsetDateTime,
    ) -> Result<Self> {
        Ok(Self {
            id: ContactId::new(),
            company_id,
            first_name: text::required("first_name", &input.first_name, text::NAME_MAX)?,
            last_name: text::optional("last_name", input.last_name.as_deref(), text::NAME_MAX)?,
            email: parse_email(input.email.as_deref())?,
            phone: parse_phone(input.phone.as_deref(), input.phone_region.as_deref())?,
            organization_id: input.organization_id,
            owner_id: Some(input.owner_id.unwrap_or(default_owner)),
            // Checked against the company's definitions by the store, which knows them.
            custom: CustomValues::new(),
            created_at: now,
            updated_at: now,
            version: 1,
            tags: Vec::new(),
        })
    }

    /// The contact with `patch` applied and its version bumped.
    pub fn patched(&self, patch: &ContactPatch, now: OffsetDateTime) -> Result<Self> {
        let mut next = self.clone();
        if let Some(first) = &patch.first_name {
            next.first_name = text::required("first_name", first, text::NAME_MAX)?;
        }
        if let Some(last) = &patch.last_name {
            next.last_name = text::optional("last_name", Some(last), text::NAME_MAX)?;
        }
        if let Some(email) = &patch.email {
            next.email = parse_email(Some(email))?;
        }
        if let Some(phone) = &patch.phone {
            next.phone = parse_phone(Some(phone), patch.phone_region.as_deref())?;
        }
        if let Some(org) = patch.organization_id {
            next.organization_id = org;
        }
        if let Some(owner) = patch.owner_id {
            next.owner_id = Some(owner);
        }
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}

fn parse_email(email: Option<&str>) -> Result<Option<Email>> {
    match email.map(str::trim) {
        None | Some("") => Ok(None),
        Some(email) => Email::parse(email).map(Some),
    }
}

fn parse_phone(phone: Option<&str>, region: Option<&str>) -> Result<Option<Phone>> {
    match phone.map(str::trim) {
        None | Some("") => Ok(None),
        Some(phone) => Phone::parse(phone, region).map(Some).map_err(|e| match &e {
            crate::FlameError::Validation { field, .. } if field == "region" => {
                e.at("phone_region")
            }
            _ => e,
        }),
    }
}

/// A contact to create. Optional text that is blank counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// First (or only) name; required.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Email; normalized to lowercase.
    pub email: Option<String>,
    /// Phone in any common notation; stored as E.164.
    pub phone: Option<String>,
    /// ISO 3166 region for phones written without a country code (`"RU"`, `"US"`).
    pub phone_region: Option<String>,
    /// The organization the person works for: one of the company's (else `NotFound`
    /// naming `organization`).
    pub organization_id: Option<OrganizationId>,
    /// The responsible member; defaults to the session's user.
    pub owner_id: Option<UserId>,
    /// Custom field values by key; each is checked against its definition.
    pub custom: CustomValues,
}

/// Changes to a contact: `None` keeps a field, an empty string clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPatch {
    /// New first name.
    pub first_name: Option<String>,
    /// New last name (`""` clears it).
    pub last_name: Option<String>,
    /// New email (`""` clears it).
    pub email: Option<String>,
    /// New phone (`""` clears it).
    pub phone: Option<String>,
    /// Region hint for `phone`.
    pub phone_region: Option<String>,
    /// New organization: `Some(None)` takes the contact out of its organization.
    pub organization_id: Option<Option<OrganizationId>>,
    /// New responsible member.
    pub owner_id: Option<UserId>,
    /// Custom values to set (`Some`) or clear (`None`), by key; others keep their value.
    pub custom: CustomValuesPatch,
}

/// Filters for listing contacts; all given filters must match. A blank prefix is no filter.
///
/// The filter also decides the order of the list (what a contact picker shows):
/// - with a `name_prefix`: by the matched name key, then by id. A contact matches by its
///   full name (lowercase "first last") or by its last name, and appears once: by its full
///   name when that matches, else by its last name.
/// - with a `phone_prefix` and no name prefix: by phone (E.164), then by id;
/// - with an `email_prefix` and neither of the others: by email, then by id;
/// - without a prefix: newest first.
///
/// `tags` narrows any of these orders to the contacts carrying every named tag. Newest first,
/// the list walks the index of the first tag's taggings from the cursor (O(page) for one
/// tag; each further tag is one index probe per row walked, so the walk is longer when few
/// contacts of the first tag carry the others). With a prefix, the prefix's index is walked
/// and each row is probed for the tags: it reads as many rows of the prefix range as it takes
/// to find a page of tagged contacts (O(page) only when the tags are common in that range; an
/// index per tag and key would be needed for more).
///
/// Keys compare by Unicode code point (byte order of their UTF-8), the same on SQLite and
/// PostgreSQL. The other given filters only narrow the list. A page's `next_cursor` belongs to
/// its ordering and prefix: passed with another one it is a `Validation` error on `"cursor"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFilter {
    /// Case-insensitive prefix of the first name, the last name or the full name.
    pub name_prefix: Option<String>,
    /// Case-insensitive prefix of the email.
    pub email_prefix: Option<String>,
    /// Prefix of the phone, in any notation (`"+7 999"`).
    pub phone_prefix: Option<String>,
    /// Only contacts of this member.
    pub owner_id: Option<UserId>,
    /// Only contacts carrying every one of these tags (names, any case). A name that is no
    /// tag of the company gives an empty list.
    pub tags: Vec<String>,
    /// Only contacts whose custom values match every condition.
    pub custom: Vec<CustomCondition>,
    /// Orders the list by a custom field instead (see [`CustomSort`]); the other filters
    /// still apply.
    pub sort: Option<CustomSort>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlameError;

    fn input() -> NewContact {
        NewContact {
            first_name: " Ada ".into(),
            last_name: Some("Lovelace".into()),
            email: Some("Ada@Example.COM".into()),
            phone: Some("+44 20 7946 0958".into()),
            ..NewContact::default()
        }
    }

    #[test]
    fn creates_normalized_contacts() {
        let owner = UserId::new();
        let c = Contact::create(CompanyId::new(), &input(), owner, OffsetDateTime::UNIX_EPOCH)
            .expect("valid");
        assert_eq!(c.first_name, "Ada");
        assert_eq!(c.email.as_ref().map(Email::as_str), Some("ada@example.com"));
        assert_eq!(c.phone.as_ref().map(Phone::as_str), Some("+442079460958"));
        assert_eq!(c.owner_id, Some(owner));
        assert_eq!(c.search_name(), "ada lovelace");
    }

    #[test]
    fn rejects_bad_fields_by_name() {
        let cases = [
            (NewContact { first_name: "  ".into(), ..input() }, "first_name"),
            (NewContact { email: Some("not-an-email".into()), ..input() }, "email"),
            (NewContact { phone: Some("12".into()), ..input() }, "phone"),
            (
                NewContact {
                    phone: Some("8 999 123 45 67".into()),
                    phone_region: Some("ZZ".into()),
                    ..input()
                },
                "phone_region",
            ),
        ];
        for (bad, expected) in cases {
            let err =
                Contact::create(CompanyId::new(), &bad, UserId::new(), OffsetDateTime::UNIX_EPOCH)
                    .expect_err("rejected");
            assert!(
                matches!(&err, FlameError::Validation { field, .. } if field == expected),
                "{expected}: {err:?}"
            );
        }
    }

    #[test]
    fn patch_clears_and_bumps_version() {
        let c =
            Contact::create(CompanyId::new(), &input(), UserId::new(), OffsetDateTime::UNIX_EPOCH)
                .expect("valid");
        let patch = ContactPatch { email: Some(String::new()), ..ContactPatch::default() };
        let next = c.patched(&patch, OffsetDateTime::UNIX_EPOCH).expect("valid");
        assert_eq!(next.email, None);
        assert_eq!(next.version, 2);
    }
}
