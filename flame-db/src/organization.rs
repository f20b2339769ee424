//! Organizations: the handle, [`Organizations`]. Their stored row and the checks other
//! records use are in `org_link.rs`.

use time::OffsetDateTime;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::contact::Contact;
use flame_core::custom_field::{self, CustomEntity, CustomField};
use flame_core::deal::Deal;
use flame_core::event::EventPayload;
#[cfg(feature = "csv")]
use flame_core::import::OrganizationColumns;
use flame_core::import::{ImportReport, OrganizationRow};
use flame_core::money::{Currency, Money};
use flame_core::organization::{
    self, NewOrganization, Organization, OrganizationFilter, OrganizationPatch,
};
use flame_core::page::{KeyCursor, Page, PageRequest};
use flame_core::tag::Tagged;
use flame_core::{FlameError, OrganizationId, Result};

use crate::contact::{ensure_member, non_blank, prefix_end};
use crate::custom_field::{Narrowing, SortWalk, load as load_fields, write_index};
#[cfg(feature = "csv")]
use crate::export;
use crate::import::Row as ImportRow;
use crate::import_org::OrganizationImport;
use crate::org_link::{self, COLUMNS, domain_conflict, organization_from_row};
use crate::session::Session;
use crate::sql::{Executor, Statement, Tx, args, found};
use crate::{contact, deal, outbox, pipeline, tag, usage};

/// Fills in the tags of `orgs` with one query.
async fn with_tags(
    exec: &mut impl Executor,
    session: &Session,
    mut orgs: Vec<Organization>,
) -> Result<Vec<Organization>> {
    let ids = orgs.iter().map(|o| o.id.as_uuid()).collect::<Vec<_>>();
    let mut names = tag::names_of(exec, session, Tagged::Organization, &ids).await?;
    for o in &mut orgs {
        o.tags = names.remove(&o.id.as_uuid()).unwrap_or_default();
    }
    Ok(orgs)
}

/// The ordering of organization lists, named in their cursors.
const ORDER: &str = "organization_name";
/// The cursor ordering of a list walked by domain (a domain prefix without a name prefix).
const DOMAIN_ORDER: &str = "organization_domain";

/// The company's organizations.
#[derive(Debug, Clone)]
pub struct Organizations {
    session: Session,
}

impl Organizations {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    fn tenant(&self) -> uuid::Uuid {
        self.session.tenant()
    }

    /// Creates an organization, owned by `input.owner_id` or by the session's user. A domain
    /// another organization of the company has is a `Conflict` naming `domain`.
    pub async fn create(&self, input: NewOrganization) -> Result<Organization> {
        let owner = input.owner_id.unwrap_or(self.session.user_id());
        let resource = Resource::Organization { owner: Some(owner) };
        let now = self.session.authorize(Action::Create, resource).await?;
        let mut org =
            Organization::create(self.session.company_id(), &input, self.session.user_id(), now)?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, resource)?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Organization).await?;
        let values = custom_field::check_new(&fields, CustomEntity::Organization, &input.custom)?;
        org.custom = custom_field::by_key(&fields, &values);
        if let Some(owner) = input.owner_id {
            ensure_member(&mut tx, &self.session, owner, "owner_id").await?;
        }
        // The usage row is locked first: concurrent creates of the company queue there, so
        // the domain check below sees any organization committed before.
        usage::reserve(&mut tx, self.session.company_id(), Limit::Organizations, 1).await?;
        self.ensure_domain_free(&mut tx, &org).await?;
        org_link::insert(&mut tx, &org, crate::custom_field::encode(&fields, &values)).await?;
        write_index(&mut tx, self.tenant(), org.id.as_uuid(), &fields, &values, true).await?;
        let event = EventPayload::OrganizationCreated { organization_id: org.id };
        self.emit(&mut tx, now, event).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn ensure_domain_free(&self, tx: &mut Tx, org: &Organization) -> Result<()> {
        let Some(domain) = &org.domain else { return Ok(()) };
        let taken = tx
            .fetch_optional(
                "SELECT id FROM organizations WHERE company_id = $1 AND domain = $2 AND id <> $3",
                args![self.tenant(), domain.clone(), org.id.as_uuid()],
            )
            .await?;
        match taken {
            Some(_) => Err(organization::domain_taken()),
            None => Ok(()),
        }
    }

    async fn emit(&self, tx: &mut Tx, now: OffsetDateTime, event: EventPayload) -> Result<()> {
        outbox::record(
            tx,
            self.session.company_id(),
            Some(self.session.user_id()),
            now,
            vec![event],
        )
        .await
    }

    async fn emit_all(
        &self,
        tx: &mut Tx,
        now: OffsetDateTime,
        events: Vec<EventPayload>,
    ) -> Result<()> {
        outbox::record(tx, self.session.company_id(), Some(self.session.user_id()), now, events)
            .await
    }

    async fn fetch(
        &self,
        exec: &mut impl Executor,
        id: OrganizationId,
        fields: &[CustomField],
    ) -> Result<Organization> {
        let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = exec.fetch_optional(sql, args![self.tenant(), id.as_uuid()]).await?;
        let org = found(row, |r| organization_from_row(r, fields), "organization")?;
        let mut one = with_tags(exec, &self.session, vec![org]).await?;
        Ok(one.remove(0))
    }

    /// [`fetch`](Self::fetch) with the company's current field definitions.
    async fn fetch_full(
        &self,
        exec: &mut impl Executor,
        id: OrganizationId,
    ) -> Result<Organization> {
        let fields = load_fields(exec, self.tenant(), CustomEntity::Organization).await?;
        self.fetch(exec, id, &fields).await
    }

    async fn authorize_read(&self) -> Result<OffsetDateTime> {
        self.session.authorize(Action::Read, Resource::Organization { owner: None }).await
    }

    /// One organization.
    pub async fn get(&self, id: OrganizationId) -> Result<Organization> {
        self.authorize_read().await?;
        self.fetch_full(&mut self.session.flame().pool().exec(), id).await
    }

    /// Puts the tag `name` on the organization, creating the tag on first use, like
    /// [`Contacts::add_tag`](crate::Contacts::add_tag): whoever may update the organization
    /// may tag it; idempotent; the version does not change; `organization.tagged` is written
    /// when the tag is added. Returns the organization with its tags.
    pub async fn add_tag(&self, id: OrganizationId, name: &str) -> Result<Organization> {
        self.authorize_read().await?;
        let name = flame_core::tag::name(name)?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch_full(&mut tx, id).await?;
        let now = self
            .session
            .permit(Action::Update, Resource::Organization { owner: current.owner_id })?;
        let added =
            tag::add(&mut tx, &self.session, Tagged::Organization, id.as_uuid(), &name, now)
                .await?;
        let Some(tag_id) = added else {
            return Ok(current);
        };
        let event = EventPayload::OrganizationTagged { organization_id: id, tag_id };
        self.emit_all(&mut tx, now, vec![event]).await?;
        let next = self.fetch_full(&mut tx, id).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Takes the tag `name` (any case) off the organization, under the same rule as
    /// [`add_tag`](Self::add_tag); a tag it does not carry changes nothing. Returns the
    /// organization with its tags.
    pub async fn remove_tag(&self, id: OrganizationId, name: &str) -> Result<Organization> {
        self.authorize_read().await?;
        let name = flame_core::tag::name(name)?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch_full(&mut tx, id).await?;
        let now = self
            .session
            .permit(Action::Update, Resource::Organization { owner: current.owner_id })?;
        let removed =
            tag::remove(&mut tx, &self.session, Tagged::Organization, id.as_uuid(), &name).await?;
        let Some(tag_id) = removed else {
            return Ok(current);
        };
        let event = EventPayload::OrganizationUntagged { organization_id: id, tag_id };
        self.emit_all(&mut tx, now, vec![event]).await?;
        let next = self.fetch_full(&mut tx, id).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Applies `patch` to the organization read at `version`; a stale version is `Conflict`.
    pub async fn update(
        &self,
        id: OrganizationId,
        version: i64,
        patch: OrganizationPatch,
    ) -> Result<Organization> {
        self.authorize_read().await?;
        let mut tx = self.session.begin().await?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Organization).await?;
        let current = self.fetch(&mut tx, id, &fields).await?;
        let now = self
            .session
            .permit(Action::Update, Resource::Organization { owner: current.owner_id })?;
        if let Some(owner) = patch.owner_id {
            self.session.permit(Action::Update, Resource::Organization { owner: Some(owner) })?;
            ensure_member(&mut tx, &self.session, owner, "owner_id").await?;
        }
        if current.version != version {
            return Err(FlameError::stale("organization"));
        }
        let mut next = current.patched(&patch, now)?;
        let before = custom_field::by_id(&fields, CustomEntity::Organization, &current.custom);
        let values =
            custom_field::check_patch(&fields, CustomEntity::Organization, &before, &patch.custom)?;
        next.custom = custom_field::by_key(&fields, &values);
        if next.domain != current.domain {
            self.ensure_domain_free(&mut tx, &next).await?;
        }
        let changed = tx
            .execute(
                "UPDATE organizations SET name = $1, name_key = $2, domain = $3, phone = $4,
                        street = $5, city = $6, region = $7, postal_code = $8, country = $9,
                        website = $10, industry = $11, size = $12, owner_id = $13,
                        updated_at = $14, version = $15, custom = $19
                 WHERE company_id = $16 AND id = $17 AND version = $18",
                args![
                    next.name.clone(),
                    next.name_key(),
                    next.domain.clone(),
                    next.phone.as_ref().map(|p| p.as_str().to_owned()),
                    next.street.clone(),
                    next.city.clone(),
                    next.region.clone(),
                    next.postal_code.clone(),
                    next.country.clone(),
                    next.website.clone(),
                    next.industry.clone(),
                    next.size.map(|s| s.as_str().to_owned()),
                    next.owner_id.map(|o| o.as_uuid()),
                    now,
                    next.version,
                    self.tenant(),
                    id.as_uuid(),
                    version,
                    crate::custom_field::encode(&fields, &values),
                ],
            )
            .await
            .map_err(|e| domain_conflict(e, &next))?;
        if changed == 0 {
            return Err(FlameError::stale("organization"));
        }
        if values != before {
            write_index(&mut tx, self.tenant(), id.as_uuid(), &fields, &values, false).await?;
        }
        self.emit(&mut tx, now, EventPayload::OrganizationUpdated { organization_id: id }).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes the organization read at `version`. Its contacts and deals stay, without an
    /// organization (their `organization_id` is cleared in the same transaction; their
    /// versions do not change).
    pub async fn delete(&self, id: OrganizationId, version: i64) -> Result<()> {
        self.authorize_read().await?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch(&mut tx, id, &[]).await?;
        let now = self
            .session
            .permit(Action::Delete, Resource::Organization { owner: current.owner_id })?;
        if current.version != version {
            return Err(FlameError::stale("organization"));
        }
        let (c, i) = (self.tenant(), id.as_uuid());
        tx.execute(
            "UPDATE contacts SET organization_id = NULL WHERE company_id = $1 AND organization_id = $2",
            args![c, i],
        )
        .await?;
        tx.execute(
            "UPDATE deals SET organization_id = NULL WHERE company_id = $1 AND organization_id = $2",
            args![c, i],
        )
        .await?;
        let changed = tx
            .execute(
                "DELETE FROM organizations WHERE company_id = $1 AND id = $2 AND version = $3",
                args![c, i, version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("organization"));
        }
        // Its taggings go with it (ON DELETE CASCADE); its custom index rows are removed here.
        crate::custom_field::forget(&mut tx, c, i).await?;
        usage::release(&mut tx, self.session.company_id(), Limit::Organizations, 1).await?;
        self.emit(&mut tx, now, EventPayload::OrganizationDeleted { organization_id: id }).await?;
        tx.commit().await
    }

    /// Organizations matching `filter`, a page at a time, ordered by name (lowercase, by
    /// code point), then by id; with a domain prefix and no name prefix, by domain, then id;
    /// with a [`sort`](OrganizationFilter::sort), by that custom field. Each page walks an
    /// index from the cursor (`(company, name)`, `(company, owner, name)` or the unique
    /// `(company, domain)`), so it costs what it holds.
    /// Tags and custom conditions are probes of their indexes for each organization walked
    /// (one key lookup each), so a page of a rare tag reads past the organizations without it.
    /// A cursor of another list (or of another name prefix) is a `Validation` error on
    /// `cursor`.
    pub async fn list(
        &self,
        filter: OrganizationFilter,
        page: PageRequest,
    ) -> Result<Page<Organization>> {
        self.authorize_read().await?;
        let limit = page.limit()?;
        let prefix = non_blank(filter.name_prefix.as_deref(), "name_prefix")?
            .map(|p| organization::name_key(&p));
        let domain = match filter.domain.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(organization::normalize_domain(d)?),
        };
        let domain_prefix = organization::domain_prefix(filter.domain_prefix.as_deref())?;
        // The key the list walks, and its prefix: the name's, else the domain's.
        let (order, key_prefix) = match (&prefix, &domain_prefix) {
            (None, Some(d)) => (DOMAIN_ORDER, Some(d)),
            _ => (ORDER, prefix.as_ref()),
        };
        let mut exec = self.session.flame().pool().exec();
        let fields = load_fields(&mut exec, self.tenant(), CustomEntity::Organization).await?;
        let conditions =
            custom_field::index_conditions(&fields, CustomEntity::Organization, &filter.custom)?;
        let walk = filter
            .sort
            .as_ref()
            .map(|sort| SortWalk::new(&fields, CustomEntity::Organization, sort, &page))
            .transpose()?;
        let after = match walk {
            Some(_) => None,
            None => page.cursor_key(order)?,
        };
        if let (Some(cursor), Some(prefix)) = (&after, key_prefix)
            && !cursor.key.starts_with(prefix.as_str())
        {
            return Err(FlameError::validation("cursor", "is not a cursor of this list"));
        }
        let keys = flame_core::tag::filter_keys(&filter.tags)?;
        let Some(tags) = tag::resolve(&mut exec, &self.session, &keys).await? else {
            // A tag no organization can carry: nothing matches.
            return Ok(Page { items: Vec::new(), next_cursor: None });
        };
        let owner = filter.owner_id.map(|o| o.as_uuid());
        if let Some(walk) = walk {
            let narrow = |q: &mut Statement, company: &str| {
                within(q, "r.name_key", prefix.as_deref());
                within(q, "r.domain", domain_prefix.as_deref());
                q.and("r.domain", "=", domain.clone()).and("r.owner_id", "=", owner);
                let probes = tag::carries(q, Tagged::Organization, company, "r.id", &tags);
                q.push(&probes);
                let probes = Narrowing::new(&conditions).exists(q, "r", None);
                q.push(&probes);
            };
            let columns = tag::qualified(org_link::FIELDS, "r");
            let page = walk
                .page(
                    &mut exec,
                    self.tenant(),
                    "organizations",
                    &columns,
                    limit,
                    narrow,
                    |row| organization_from_row(row, &fields),
                    |o| o.id.as_uuid(),
                )
                .await?;
            let items = with_tags(&mut exec, &self.session, page.items).await?;
            return Ok(Page { items, next_cursor: page.next_cursor });
        }
        let mut q = Statement::new(COLUMNS, vec![]);
        let company = q.bind(self.tenant());
        q.push(&format!(" WHERE company_id = {company}"));
        within(&mut q, "name_key", prefix.as_deref());
        within(&mut q, "domain", domain_prefix.as_deref());
        // Domains are unique in a company, so the domain alone orders that walk (and the
        // unique index serves it without a sort).
        let (column, by) = match order {
            DOMAIN_ORDER => ("domain", "domain"),
            _ => ("(name_key, id)", "name_key, id"),
        };
        if let Some(cursor) = &after {
            let key = q.bind(cursor.key.clone());
            let at = match order {
                DOMAIN_ORDER => key,
                _ => format!("({key}, {})", q.bind(cursor.id)),
            };
            q.push(&format!(" AND {column} > {at}"));
        }
        q.and("domain", "=", domain).and("owner_id", "=", owner);
        let probes =
            tag::carries(&mut q, Tagged::Organization, &company, "organizations.id", &tags);
        q.push(&probes);
        let probes = Narrowing::new(&conditions).exists(&mut q, "organizations", None);
        q.push(&probes);
        let n = q.bind(i64::from(limit) + 1);
        q.push(&format!(" ORDER BY {by} LIMIT {n}"));
        let (sql, args) = q.build();
        let rows = exec.fetch_all(sql, args).await?;
        let orgs =
            rows.iter().map(|r| organization_from_row(r, &fields)).collect::<Result<Vec<_>>>()?;
        let orgs = with_tags(&mut exec, &self.session, orgs).await?;
        Ok(Page::from_overfetch_keyed(orgs, limit, order, |o: &Organization| KeyCursor {
            key: match order {
                DOMAIN_ORDER => o.domain.clone().unwrap_or_default(),
                _ => o.name_key(),
            },
            id: o.id.as_uuid(),
        }))
    }

    /// The organization's contacts, newest first, a page at a time (an index walk from the
    /// cursor). An organization that is not the company's is `NotFound`.
    pub async fn contacts(&self, id: OrganizationId, page: PageRequest) -> Result<Page<Contact>> {
        self.authorize_read().await?;
        let limit = page.limit()?;
        let mut exec = self.session.flame().pool().exec();
        org_link::ensure_exists(&mut exec, self.session.company_id(), id).await?;
        let mut q = Statement::new(contact::COLUMNS, vec![]);
        let (company, org) = (q.bind(self.tenant()), q.bind(id.as_uuid()));
        q.push(&format!(" WHERE company_id = {company} AND organization_id = {org}"));
        q.page(page.cursor_uuid()?, limit, true);
        let (sql, args) = q.build();
        let rows = exec.fetch_all(sql, args).await?;
        let fields =
            crate::custom_field::load(&mut exec, self.tenant(), CustomEntity::Contact).await?;
        let contacts = rows
            .iter()
            .map(|r| contact::contact_from_row(r, &fields))
            .collect::<Result<Vec<_>>>()?;
        let contacts = contact::with_tags(&mut exec, &self.session, contacts).await?;
        Ok(Page::from_overfetch(contacts, limit, |c: &Contact| c.id.as_uuid()))
    }

    /// The organization's deals, newest first, a page at a time (an index walk from the
    /// cursor). An organization that is not the company's is `NotFound`.
    pub async fn deals(&self, id: OrganizationId, page: PageRequest) -> Result<Page<Deal>> {
        self.authorize_read().await?;
        let limit = page.limit()?;
        let mut exec = self.session.flame().pool().exec();
        org_link::ensure_exists(&mut exec, self.session.company_id(), id).await?;
        let mut q = Statement::new(deal::COLUMNS, vec![]);
        let (company, org) = (q.bind(self.tenant()), q.bind(id.as_uuid()));
        q.push(&format!(" WHERE company_id = {company} AND organization_id = {org}"));
        q.page(page.cursor_uuid()?, limit, true);
        let (sql, args) = q.build();
        let rows = exec.fetch_all(sql, args).await?;
        let fields =
            crate::custom_field::load(&mut exec, self.tenant(), CustomEntity::Deal).await?;
        let deals =
            rows.iter().map(|r| deal::deal_from_row(r, &fields)).collect::<Result<Vec<_>>>()?;
        let deals = deal::with_tags(&mut exec, &self.session, deals).await?;
        Ok(Page::from_overfetch(deals, limit, |d: &Deal| d.id.as_uuid()))
    }

    /// Imports organizations from `rows`, in batches of 5,000, one transaction per batch,
    /// the way [`Contacts::import_rows`](crate::Contacts::import_rows) imports contacts: each
    /// row is checked like [`create`](Self::create) (a bad row is rejected and reported with
    /// its 1-based position as `line`, and the rest go on); each batch re-checks the session's
    /// standing and reserves the plan's `organizations` limit, and one that cannot be written
    /// stops the import ([`ImportReport::failed`]), the batches before it staying imported.
    /// Only a failure before any row is read (no right to create organizations) is an `Err`.
    ///
    /// A row is an [`OrganizationRow`]: the organization, the email of its owner (a member;
    /// else `owner_id`, else the session's user) and its tags (created on first use). A
    /// domain another organization of the company has, or an earlier row of the same batch,
    /// is a `Validation` error on `domain` and rejects the row (`create` answers a
    /// `Conflict`). One `organizations.imported` event is written per batch.
    pub async fn import_rows<I>(&self, rows: I) -> Result<ImportReport>
    where
        I: IntoIterator<Item = OrganizationRow>,
        I::IntoIter: Send,
    {
        let rows =
            rows.into_iter().enumerate().map(|(i, row)| (i as u64 + 1, ImportRow::Record(row)));
        OrganizationImport::import_numbered(&self.session, rows).await
    }

    /// Imports organizations from CSV text (UTF-8, comma-separated, first line the header;
    /// see [`ORGANIZATION_COLUMNS`](flame_core::import::ORGANIZATION_COLUMNS): `name`
    /// required, then any of `domain`, `phone`, `phone_region`, `street`, `city`, `region`,
    /// `postal_code`, `country`, `website`, `industry`, `size`, `owner`, `tags` and
    /// `custom.<key>`), streamed and checked as [`import_rows`](Self::import_rows) checks its
    /// rows. A bad header — an unknown or repeated column, no `name`, a custom column of no
    /// field — is a `Validation` error on `header` and nothing is imported; a bad record
    /// (ragged, not UTF-8, an invalid value, longer than
    /// [`MAX_RECORD_BYTES`](flame_core::import::MAX_RECORD_BYTES)) is reported with its line
    /// (the header is line 1), naming its column, and the rest go on; an input that fails to
    /// read stops the import like a failing batch. (The `csv` feature.)
    #[cfg(feature = "csv")]
    pub async fn import_csv<R: std::io::Read + Send>(&self, reader: R) -> Result<ImportReport> {
        let mut import = OrganizationImport::begin(&self.session).await?;
        let known: Vec<String> = import.fields().iter().map(|f| f.key.clone()).collect();
        crate::import_csv::import::<OrganizationColumns, _, _>(&mut import, &known, reader).await
    }

    /// Imports organizations from the CSV file at `path`, streamed like
    /// [`import_csv`](Self::import_csv). A file that cannot be opened is a `Validation` error
    /// on `path`, and nothing is imported. (The `csv` feature.)
    #[cfg(feature = "csv")]
    pub async fn import_csv_file(&self, path: impl AsRef<std::path::Path>) -> Result<ImportReport> {
        self.import_csv(crate::import_csv::open(path.as_ref())?).await
    }

    /// Writes the organizations matching `filter` (any filter [`list`](Self::list) takes, in
    /// its order) to `writer` as CSV, and returns how many records it wrote. The header is
    /// [`ORGANIZATION_COLUMNS`](flame_core::import::ORGANIZATION_COLUMNS), then a
    /// `custom.<key>` column per custom field of organizations: the names
    /// [`import_csv`](Self::import_csv) reads, so that an export imports back as it was
    /// (ids, versions and times aside). The owner is written by email (blank when no longer
    /// a member), tags separated by `;`, custom values in their text forms.
    ///
    /// Streamed a page of 500 at a time, each page flushed to `writer` before the next is
    /// read: memory stays bounded by a page. Whoever may read organizations may export them;
    /// only the session's company's appear. A failing `writer` is a `Storage` error. (The
    /// `csv` feature.)
    #[cfg(feature = "csv")]
    pub async fn export_csv<W: std::io::Write + Send>(
        &self,
        filter: OrganizationFilter,
        writer: W,
    ) -> Result<u64> {
        use flame_core::import::{OrganizationExport, OrganizationLinks};
        self.authorize_read().await?;
        let mut exec = self.session.flame().pool().exec();
        let fields = load_fields(&mut exec, self.tenant(), CustomEntity::Organization).await?;
        let columns = OrganizationExport::new(&fields);
        let members = export::member_emails(&mut exec, &self.session).await?;
        // The first page is read before anything is written: a bad filter writes nothing.
        let mut found = self.list(filter.clone(), PageRequest::first(export::PAGE)).await?;
        let mut out = export::CsvOut::new(writer, &columns.header())?;
        loop {
            for o in &found.items {
                let links =
                    OrganizationLinks { owner: o.owner_id.and_then(|u| members.get(&u).cloned()) };
                out.write(&columns.record(o, &links))?;
            }
            out.flush()?;
            let Some(cursor) = found.next_cursor.take() else { return out.finish() };
            found = self.list(filter.clone(), PageRequest::after(export::PAGE, cursor)).await?;
        }
    }

    /// [`export_csv`](Self::export_csv) into the file at `path`, created or truncated. A
    /// file that cannot be opened for writing is a `Validation` error on `path`. (The `csv`
    /// feature.)
    #[cfg(feature = "csv")]
    pub async fn export_csv_file(
        &self,
        filter: OrganizationFilter,
        path: impl AsRef<std::path::Path>,
    ) -> Result<u64> {
        self.authorize_read().await?;
        self.export_csv(filter, export::create(path.as_ref())?).await
    }

    /// The value of the organization's open deals, one total per currency, ordered by
    /// currency code (empty when it has none). An organization that is not the company's is
    /// `NotFound`.
    pub async fn open_value(&self, id: OrganizationId) -> Result<Vec<Money>> {
        self.authorize_read().await?;
        let mut exec = self.session.flame().pool().exec();
        org_link::ensure_exists(&mut exec, self.session.company_id(), id).await?;
        let rows = exec
            .fetch_all(
                "SELECT currency,
                        CAST(SUM(amount_minor / 1000000000) AS BIGINT) AS total_high,
                        CAST(SUM(amount_minor % 1000000000) AS BIGINT) AS total_low FROM deals
                 WHERE company_id = $1 AND organization_id = $2 AND status = 'open'
                 GROUP BY currency",
                args![self.tenant(), id.as_uuid()],
            )
            .await?;
        let mut totals = rows
            .iter()
            .map(|row| {
                let currency: Currency = row.parse("currency")?;
                Money::from_total(pipeline::split_sum(row, "total")?, currency)
                    .map_err(|e| e.at("total"))
            })
            .collect::<Result<Vec<_>>>()?;
        totals.sort_by_key(|m| m.currency().code());
        Ok(totals)
    }
}

/// Appends ` AND {column} >= prefix AND {column} < prefix_end(prefix)` when `prefix` is given:
/// the texts of `column` that start with it, as a range of its index.
fn within(q: &mut Statement, column: &str, prefix: Option<&str>) {
    let Some(prefix) = prefix else { return };
    let start = q.bind(prefix.to_owned());
    q.push(&format!(" AND {column} >= {start}"));
    if let Some(end) = prefix_end(prefix) {
        let end = q.bind(end);
        q.push(&format!(" AND {column} < {end}"));
    }
}
