//! The columns of an organizations CSV: what an import reads into a [`NewOrganization`] and
//! what an export writes of an [`Organization`].

use serde::{Deserialize, Serialize};

use super::{Layout, export_header, export_keys, export_record};
use crate::custom_field::{CustomEntity, CustomField};
use crate::error::{FlameError, Result};
use crate::organization::{NewOrganization, Organization};

/// The columns an organizations CSV may have (header names, case-insensitive), in the order
/// an export writes them: `name` (required), `domain`, `phone`, `phone_region`, `street`,
/// `city`, `region`, `postal_code`, `country`, `website`, `industry`, `size` (`"11-50"`…),
/// `owner` (the email of the member responsible for it; blank: the importing user) and
/// `tags` (names separated by `;`); and a [`CUSTOM_PREFIX`](super::CUSTOM_PREFIX)`<key>`
/// column per custom field of organizations. Each cell is read like the matching field of
/// [`NewOrganization`]. An export writes every column, `phone_region` empty.
pub const ORGANIZATION_COLUMNS: [&str; 14] = [
    "name",
    "domain",
    "phone",
    "phone_region",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "website",
    "industry",
    "size",
    "owner",
    "tags",
];

/// Where each column of an organizations CSV is in its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationColumns {
    layout: Layout<14>,
}

impl OrganizationColumns {
    /// Reads the header row. A missing `name` column, an unknown column (it would be dropped
    /// silently) or a repeated one is a `Validation` error on `header`.
    pub fn from_header<S: AsRef<str>>(header: &[S]) -> Result<Self> {
        Ok(Self { layout: Layout::read(header, &ORGANIZATION_COLUMNS, &[0])? })
    }

    /// The custom field keys the header names, in column order.
    pub fn custom_keys(&self) -> impl Iterator<Item = &str> {
        self.layout.custom_keys()
    }

    /// The organization in one record, or a `Validation` error on `row` when the record does
    /// not have as many fields as the header (or on `tags` for a bad tag name).
    pub fn organization<S: AsRef<str>>(&self, record: &[S]) -> Result<OrganizationRow> {
        let l = &self.layout;
        l.check(record)?;
        Ok(OrganizationRow {
            organization: NewOrganization {
                name: l.text(record, 0).unwrap_or_default(),
                domain: l.text(record, 1),
                phone: l.text(record, 2),
                phone_region: l.text(record, 3),
                street: l.text(record, 4),
                city: l.text(record, 5),
                region: l.text(record, 6),
                postal_code: l.text(record, 7),
                country: l.text(record, 8),
                website: l.text(record, 9),
                industry: l.text(record, 10),
                size: l.text(record, 11),
                owner_id: None,
                custom: l.custom(record),
            },
            owner: l.text(record, 12),
            tags: l.tags(record, 13)?,
        })
    }
}

/// One organization of an import: the organization, its owner's email and its tags. Each
/// row is checked like flame-db's `Organizations::create` checks its input: a domain another organization of the company has (or an earlier row of the same
/// import) is a `Validation` error on `domain` and the row is rejected; an `owner` that is
/// no member's email is a `Validation` error on `owner`. Tags are created in the company's
/// vocabulary on first use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationRow {
    /// The organization.
    pub organization: NewOrganization,
    /// The email of the member responsible for it (`None`: `organization.owner_id`, else
    /// the importing user).
    pub owner: Option<String>,
    /// The names of its tags.
    pub tags: Vec<String>,
}

/// The error of an import row whose domain is taken: by another organization of the company
/// (`earlier_row` false), or by an earlier row of the same batch, not yet written. A
/// `Validation` error on `domain`, which rejects the row (where `create` answers a
/// `Conflict`).
pub fn domain_taken(earlier_row: bool) -> FlameError {
    let reason = if earlier_row {
        "an earlier row of the import has this domain"
    } else {
        "another organization of this company has this domain"
    };
    FlameError::validation("domain", reason)
}

/// What an organization's record names by reference, as the store found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationLinks {
    /// Its owner's email (`None` when the owner is no longer a member).
    pub owner: Option<String>,
}

/// The columns of an organizations export and each organization's record, in the terms
/// [`OrganizationColumns`] reads back: [`ORGANIZATION_COLUMNS`], then a `custom.<key>`
/// column per custom field of organizations (in display order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationExport {
    keys: Vec<String>,
}

impl OrganizationExport {
    /// The export of organizations under `fields`, the company's custom field definitions
    /// (those of other entities are skipped).
    pub fn new(fields: &[CustomField]) -> Self {
        Self { keys: export_keys(fields, CustomEntity::Organization) }
    }

    /// The header row.
    pub fn header(&self) -> Vec<String> {
        export_header(&ORGANIZATION_COLUMNS, &self.keys)
    }

    /// The record of `org`, whose owner is `links`.
    pub fn record(&self, org: &Organization, links: &OrganizationLinks) -> Vec<String> {
        let o = org;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let fixed: [String; ORGANIZATION_COLUMNS.len()] = [
            o.name.clone(),
            text(&o.domain),
            o.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            String::new(),
            text(&o.street),
            text(&o.city),
            text(&o.region),
            text(&o.postal_code),
            text(&o.country),
            text(&o.website),
            text(&o.industry),
            o.size.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            text(&links.owner),
            crate::tag::list_text(&o.tags),
        ];
        export_record(fixed, &self.keys, &o.custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{CompanyId, UserId};
    use crate::import::tests::{as_text, fields, values};
    use time::OffsetDateTime;

    #[test]
    fn an_exported_organization_reads_back_in_every_column() {
        let fields = fields(CustomEntity::Organization);
        let export = OrganizationExport::new(&fields);
        let header = export.header();
        assert_eq!(header[..ORGANIZATION_COLUMNS.len()], ORGANIZATION_COLUMNS);
        assert_eq!(header[ORGANIZATION_COLUMNS.len()..], ["custom.colors", "custom.notes"]);
        let input = NewOrganization {
            name: "Analytical Engines, Ltd".into(),
            domain: Some("https://www.engines.example/".into()),
            phone: Some("+44 20 7946 0958".into()),
            street: Some("1 Dorset St".into()),
            city: Some("London".into()),
            region: Some("Greater London".into()),
            postal_code: Some("W1U 4EG".into()),
            country: Some("gb".into()),
            website: Some("https://engines.example/about".into()),
            industry: Some("Computing".into()),
            size: Some("11-50".into()),
            ..NewOrganization::default()
        };
        let mut org = Organization::create(
            CompanyId::new(),
            &input,
            UserId::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("valid");
        org.tags = vec!["Partner".into(), "VIP".into()];
        org.custom = values();
        let links = OrganizationLinks { owner: Some("olga@acme.test".into()) };
        let record = export.record(&org, &links);
        assert_eq!(record.len(), header.len());
        for (column, cell) in ORGANIZATION_COLUMNS.iter().zip(&record) {
            assert_eq!(cell.is_empty(), *column == "phone_region", "{column}: {cell:?}");
        }
        let cols = OrganizationColumns::from_header(&header).expect("header");
        let row = cols.organization(&record).expect("row");
        let expected = OrganizationRow {
            organization: NewOrganization {
                name: org.name.clone(),
                domain: Some("engines.example".into()),
                phone: Some("+442079460958".into()),
                phone_region: None,
                street: org.street.clone(),
                city: org.city.clone(),
                region: org.region.clone(),
                postal_code: org.postal_code.clone(),
                country: Some("GB".into()),
                website: org.website.clone(),
                industry: org.industry.clone(),
                size: Some("11-50".into()),
                owner_id: None,
                custom: as_text(&values()),
            },
            owner: links.owner.clone(),
            tags: org.tags.clone(),
        };
        assert_eq!(row, expected);
        // The organization the row makes is the one exported, field for field.
        let again = Organization::create(
            org.company_id,
            &row.organization,
            org.owner_id.expect("an owner"),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("valid");
        assert_eq!(
            Organization {
                id: org.id,
                custom: org.custom.clone(),
                tags: org.tags.clone(),
                ..again
            },
            org
        );
    }

    #[test]
    fn the_header_needs_a_name() {
        for bad in [vec!["domain"], vec!["name", "fax"], vec!["name", "Name"]] {
            assert!(matches!(
                OrganizationColumns::from_header(&bad),
                Err(crate::FlameError::Validation { field, .. }) if field == "header"
            ));
        }
        let cols = OrganizationColumns::from_header(&["name", "domain"]).expect("ok");
        assert!(matches!(
            cols.organization(&["Solo"]),
            Err(crate::FlameError::Validation { field, .. }) if field == "row"
        ));
    }
}
