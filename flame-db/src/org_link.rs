//! Organizations as other records see them: their stored row, the check that an
//! organization id a contact or deal names is one of the company's, and the lookup (or
//! creation) of an organization by name that imports and leads use. The handle,
//! [`Organizations`](crate::Organizations), lives in `organization.rs`, above contacts and
//! deals, whose lists it reads; this module lies below them, so that they can link to
//! organizations without a cycle.

use time::OffsetDateTime;

use flame_core::billing::Limit;
use flame_core::custom_field::{self, CustomField};
use flame_core::event::EventPayload;
use flame_core::organization::{self, NewOrganization, Organization};
use flame_core::{CompanyId, FlameError, OrganizationId, Phone, Result, UserId};

use crate::sql::{Executor, Row, Tx, args};
use crate::usage;

/// The columns an [`Organization`] is read from.
macro_rules! fields {
    () => {
        "company_id, id, name, domain, phone, street, city, region, postal_code, country,
        website, industry, size, owner_id, custom, created_at, updated_at, version"
    };
}

pub(crate) const COLUMNS: &str = concat!("SELECT ", fields!(), " FROM organizations");

/// The columns an [`Organization`] is read from, comma-separated.
pub(crate) const FIELDS: &str = fields!();

/// An organization read from `row`; its custom values are those of the current `fields`
/// (its tags are filled in by the caller).
pub(crate) fn organization_from_row(row: &Row, fields: &[CustomField]) -> Result<Organization> {
    Ok(Organization {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        name: row.get("name")?,
        domain: row.get("domain")?,
        phone: row
            .get::<Option<String>>("phone")?
            .map(|p| Phone::from_stored(&p).map_err(|_| crate::sql::corrupt("phone")))
            .transpose()?,
        street: row.get("street")?,
        city: row.get("city")?,
        region: row.get("region")?,
        postal_code: row.get("postal_code")?,
        country: row.get("country")?,
        website: row.get("website")?,
        industry: row.get("industry")?,
        size: row.parse_opt("size")?,
        owner_id: row.opt_id("owner_id")?,
        custom: custom_field::by_key(fields, &crate::custom_field::stored(row)?),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
        tags: Vec::new(),
    })
}

/// Checks that `id` is an organization of `company`: `NotFound` naming `organization`
/// otherwise (another company's id is answered as one that does not exist).
pub(crate) async fn ensure_exists(
    exec: &mut impl Executor,
    company: CompanyId,
    id: OrganizationId,
) -> Result<()> {
    let found = exec
        .fetch_optional(
            "SELECT id FROM organizations WHERE company_id = $1 AND id = $2",
            args![company.as_uuid(), id.as_uuid()],
        )
        .await?;
    found.map(drop).ok_or_else(organization::not_found)
}

/// The company's organization named `name` (compared by [`organization::name_key`]; the
/// oldest when several have it), or a new one of that name owned by `owner`: its use is
/// reserved against the plan's `organizations` limit and its `organization.created` event
/// pushed onto `events`, for the caller to record in the same transaction. An organization
/// made here has no custom values (the name is all the caller knows), even where the company
/// defined a required field: it is filled in later through `update`.
pub(crate) async fn find_or_create_named(
    tx: &mut Tx,
    company: CompanyId,
    name: &str,
    owner: Option<UserId>,
    now: OffsetDateTime,
    events: &mut Vec<EventPayload>,
) -> Result<OrganizationId> {
    let key = organization::name_key(name);
    let found = tx
        .fetch_optional(
            "SELECT id FROM organizations WHERE company_id = $1 AND name_key = $2
             ORDER BY id LIMIT 1",
            args![company.as_uuid(), key],
        )
        .await?;
    if let Some(row) = found {
        return row.id("id");
    }
    let input = NewOrganization { name: name.to_owned(), ..NewOrganization::default() };
    let mut org = Organization::create(company, &input, owner.unwrap_or(NO_OWNER), now)
        .map_err(|e| e.at("organization"))?;
    org.owner_id = owner;
    usage::reserve(tx, company, Limit::Organizations, 1).await?;
    insert(tx, &org, serde_json::json!({})).await?;
    events.push(EventPayload::OrganizationCreated { organization_id: org.id });
    Ok(org.id)
}

/// The organizations an import batch's rows name, each found or created once per batch
/// ([`find_or_create`]; names compared by [`organization::name_key`]).
#[derive(Default)]
pub(crate) struct Named {
    ids: std::collections::HashMap<String, OrganizationId>,
}

impl Named {
    /// The organization `reference` names: the one this batch already resolved for that
    /// name, else [`find_or_create`]'s.
    pub(crate) async fn resolve(
        &mut self,
        tx: &mut Tx,
        company: CompanyId,
        reference: &str,
        owner: Option<UserId>,
        now: OffsetDateTime,
        events: &mut Vec<EventPayload>,
    ) -> Result<OrganizationId> {
        let key = organization::name_key(reference);
        if let Some(id) = self.ids.get(&key) {
            return Ok(*id);
        }
        let id = find_or_create(tx, company, reference, owner, now, events).await?;
        self.ids.insert(key, id);
        Ok(id)
    }
}

/// The company's organization an import row names by
/// [`organization_reference`](flame_core::import::organization_reference): the one with
/// that domain when the text reads as a domain, else [`find_or_create_named`] (the oldest of
/// that name, or a new one of that name owned by `owner`, its event pushed onto `events`).
pub(crate) async fn find_or_create(
    tx: &mut Tx,
    company: CompanyId,
    reference: &str,
    owner: Option<UserId>,
    now: OffsetDateTime,
    events: &mut Vec<EventPayload>,
) -> Result<OrganizationId> {
    if let Ok(domain) = organization::normalize_domain(reference) {
        let found = tx
            .fetch_optional(
                "SELECT id FROM organizations WHERE company_id = $1 AND domain = $2",
                args![company.as_uuid(), domain],
            )
            .await?;
        if let Some(row) = found {
            return row.id("id");
        }
    }
    find_or_create_named(tx, company, reference, owner, now, events).await
}

/// A placeholder owner, replaced before the record is written.
const NO_OWNER: UserId = UserId::from_uuid(uuid::Uuid::nil());

/// Inserts a validated organization (its usage already reserved) with its `custom` column
/// (`crate::custom_field::encode`). A domain another organization of the company has is a
/// `Conflict` naming `domain`.
pub(crate) async fn insert(tx: &mut Tx, o: &Organization, custom: serde_json::Value) -> Result<()> {
    tx.execute(
        concat!(
            "INSERT INTO organizations (",
            fields!(),
            ", name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
             $15, $16, $17, $18, $19)"
        ),
        args![
            o.company_id.as_uuid(),
            o.id.as_uuid(),
            o.name.clone(),
            o.domain.clone(),
            o.phone.as_ref().map(|p| p.as_str().to_owned()),
            o.street.clone(),
            o.city.clone(),
            o.region.clone(),
            o.postal_code.clone(),
            o.country.clone(),
            o.website.clone(),
            o.industry.clone(),
            o.size.map(|s| s.as_str().to_owned()),
            o.owner_id.map(|u| u.as_uuid()),
            custom,
            o.created_at,
            o.updated_at,
            o.version,
            o.name_key(),
        ],
    )
    .await
    .map_err(|e| domain_conflict(e, o))?;
    Ok(())
}

/// A unique-key refusal of a write of `o` is its domain's (the only unique key an
/// organization has besides its new id).
pub(crate) fn domain_conflict(e: FlameError, o: &Organization) -> FlameError {
    match e {
        FlameError::Conflict { ref entity, ref reason }
            if entity == "record" && reason.contains("unique") && o.domain.is_some() =>
        {
            organization::domain_taken()
        }
        other => other,
    }
}
