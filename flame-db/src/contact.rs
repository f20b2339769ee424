//! Contacts.

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::contact::{Contact, ContactFilter, ContactPatch, NewContact};
use flame_core::custom_field::{self, CustomEntity, CustomField};
use flame_core::event::EventPayload;
use flame_core::import::{ContactRow, ImportReport};
use flame_core::page::{KeyCursor, Page, PageRequest};
use flame_core::tag::Tagged;
use flame_core::{ContactId, Email, FlameError, Phone, Result, UserId, phone};

use crate::custom_field::{Narrowing, SortWalk, load as load_fields, write_index};
use crate::import::{Import, Row as ImportRow};
use crate::session::Session;
use crate::sql::{
    Arg, Backend, Executor, Row, Sql, Statement, Tx, args, found, prefix_op, prefix_pattern,
};
use crate::{org_link, outbox, tag, usage};
#[cfg(feature = "csv")]
use flame_core::import::ContactColumns;

#[cfg(feature = "csv")]
use crate::export;

/// The columns a [`Contact`] is read from.
macro_rules! fields {
    () => {
        "company_id, id, first_name, last_name, email, phone, organization_id, owner_id, custom,
        created_at, updated_at, version"
    };
}

pub(crate) const COLUMNS: &str = concat!("SELECT ", fields!(), " FROM contacts");

/// A contact read from `row`; its custom values are those of the current `fields`.
pub(crate) fn contact_from_row(row: &Row, fields: &[CustomField]) -> Result<Contact> {
    Ok(Contact {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        first_name: row.get("first_name")?,
        last_name: row.get("last_name")?,
        // Stored values were validated when written: only their shape is checked on the way
        // back (the full email and phone rules cost more than the query itself).
        email: row
            .get::<Option<String>>("email")?
            .map(|e| Email::from_stored(&e).map_err(|_| crate::sql::corrupt("email")))
            .transpose()?,
        phone: row
            .get::<Option<String>>("phone")?
            .map(|p| Phone::from_stored(&p).map_err(|_| crate::sql::corrupt("phone")))
            .transpose()?,
        organization_id: row.opt_id("organization_id")?,
        owner_id: row.opt_id("owner_id")?,
        custom: custom_field::by_key(fields, &crate::custom_field::stored(row)?),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
        tags: Vec::new(),
    })
}

/// Fills in the tags of `contacts` with one query.
pub(crate) async fn with_tags(
    exec: &mut impl Executor,
    session: &Session,
    mut contacts: Vec<Contact>,
) -> Result<Vec<Contact>> {
    let ids = contacts.iter().map(|c| c.id.as_uuid()).collect::<Vec<_>>();
    let mut names = tag::names_of(exec, session, Tagged::Contact, &ids).await?;
    for c in &mut contacts {
        c.tags = names.remove(&c.id.as_uuid()).unwrap_or_default();
    }
    Ok(contacts)
}

/// Checks that `user` is a member of the session's company; `field` names the input.
pub(crate) async fn ensure_member(
    exec: &mut impl Executor,
    session: &Session,
    user: UserId,
    field: &str,
) -> Result<()> {
    let found = exec
        .fetch_optional(
            "SELECT user_id FROM memberships WHERE company_id = $1 AND user_id = $2",
            args![session.tenant(), user.as_uuid()],
        )
        .await?;
    flame_core::deal::ensure_member(field, found.is_some())
}

/// Checks that `id` is a contact of the session's company; `field` names the input.
pub(crate) async fn ensure_exists(
    exec: &mut impl Executor,
    session: &Session,
    id: ContactId,
    field: &str,
) -> Result<()> {
    let found = exec
        .fetch_optional(
            "SELECT id FROM contacts WHERE company_id = $1 AND id = $2",
            args![session.tenant(), id.as_uuid()],
        )
        .await?;
    found.map(drop).ok_or_else(|| FlameError::validation(field, "is not a contact of this company"))
}

/// The company's contacts.
#[derive(Debug, Clone)]
pub struct Contacts {
    pub(crate) session: Session,
}

impl Contacts {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    fn tenant(&self) -> uuid::Uuid {
        self.session.tenant()
    }

    /// Creates a contact, owned by `input.owner_id` or by the session's user.
    pub async fn create(&self, input: NewContact) -> Result<Contact> {
        let owner = input.owner_id.unwrap_or(self.session.user_id());
        let resource = Resource::Contact { owner: Some(owner) };
        let now = self.session.authorize(Action::Create, resource).await?;
        let mut contact =
            Contact::create(self.session.company_id(), &input, self.session.user_id(), now)?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, resource)?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Contact).await?;
        let values = custom_field::check_new(&fields, CustomEntity::Contact, &input.custom)?;
        contact.custom = custom_field::by_key(&fields, &values);
        if let Some(owner) = input.owner_id {
            ensure_member(&mut tx, &self.session, owner, "owner_id").await?;
        }
        if let Some(org) = input.organization_id {
            org_link::ensure_exists(&mut tx, self.session.company_id(), org).await?;
        }
        usage::reserve(&mut tx, self.session.company_id(), Limit::Contacts, 1).await?;
        insert(&mut tx, &contact, &fields).await?;
        write_index(&mut tx, self.tenant(), contact.id.as_uuid(), &fields, &values, true).await?;
        self.emit(&mut tx, now, EventPayload::ContactCreated { contact_id: contact.id }).await?;
        tx.commit().await?;
        Ok(contact)
    }

    async fn emit(
        &self,
        tx: &mut Tx,
        now: time::OffsetDateTime,
        event: EventPayload,
    ) -> Result<()> {
        outbox::record(
            tx,
            self.session.company_id(),
            Some(self.session.user_id()),
            now,
            vec![event],
        )
        .await
    }

    async fn fetch(
        &self,
        exec: &mut impl Executor,
        id: ContactId,
        fields: &[CustomField],
    ) -> Result<Contact> {
        let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = exec.fetch_optional(sql, args![self.tenant(), id.as_uuid()]).await?;
        let contact = found(row, |row| contact_from_row(row, fields), "contact")?;
        let mut one = with_tags(exec, &self.session, vec![contact]).await?;
        Ok(one.remove(0))
    }

    /// Puts the tag `name` on the contact, creating the tag in the company's vocabulary on
    /// first use (the name keeps the case it is first written in; later uses match it in any
    /// case). Whoever may update the contact may tag it. Idempotent: a tag the contact
    /// already carries changes nothing. The contact's version does not change; a
    /// `contact.tagged` event is written when the tag is added. Returns the contact with its
    /// tags.
    pub async fn add_tag(&self, id: ContactId, name: &str) -> Result<Contact> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let name = flame_core::tag::name(name)?;
        let mut tx = self.session.begin().await?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Contact).await?;
        let current = self.fetch(&mut tx, id, &fields).await?;
        let now =
            self.session.permit(Action::Update, Resource::Contact { owner: current.owner_id })?;
        let added =
            tag::add(&mut tx, &self.session, Tagged::Contact, id.as_uuid(), &name, now).await?;
        let Some(tag_id) = added else {
            return Ok(current);
        };
        self.emit(&mut tx, now, EventPayload::ContactTagged { contact_id: id, tag_id }).await?;
        let next = self.fetch(&mut tx, id, &fields).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Takes the tag `name` (any case) off the contact, under the same rule as
    /// [`add_tag`](Self::add_tag); a tag the contact does not carry changes nothing. The tag
    /// stays in the vocabulary. Returns the contact with its tags.
    pub async fn remove_tag(&self, id: ContactId, name: &str) -> Result<Contact> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let name = flame_core::tag::name(name)?;
        let mut tx = self.session.begin().await?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Contact).await?;
        let current = self.fetch(&mut tx, id, &fields).await?;
        let now =
            self.session.permit(Action::Update, Resource::Contact { owner: current.owner_id })?;
        let removed =
            tag::remove(&mut tx, &self.session, Tagged::Contact, id.as_uuid(), &name).await?;
        let Some(tag_id) = removed else {
            return Ok(current);
        };
        self.emit(&mut tx, now, EventPayload::ContactUntagged { contact_id: id, tag_id }).await?;
        let next = self.fetch(&mut tx, id, &fields).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// One contact.
    pub async fn get(&self, id: ContactId) -> Result<Contact> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let mut exec = self.session.flame().pool().exec();
        let fields = load_fields(&mut exec, self.tenant(), CustomEntity::Contact).await?;
        self.fetch(&mut exec, id, &fields).await
    }

    /// Applies `patch` to the contact read at `version`; a stale version is `Conflict`.
    pub async fn update(
        &self,
        id: ContactId,
        version: i64,
        patch: ContactPatch,
    ) -> Result<Contact> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let mut tx = self.session.begin().await?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Contact).await?;
        let current = self.fetch(&mut tx, id, &fields).await?;
        let now =
            self.session.permit(Action::Update, Resource::Contact { owner: current.owner_id })?;
        if let Some(owner) = patch.owner_id {
            self.session.permit(Action::Update, Resource::Contact { owner: Some(owner) })?;
            ensure_member(&mut tx, &self.session, owner, "owner_id").await?;
        }
        if current.version != version {
            return Err(FlameError::stale("contact"));
        }
        if let Some(Some(org)) = patch.organization_id {
            org_link::ensure_exists(&mut tx, self.session.company_id(), org).await?;
        }
        let mut next = current.patched(&patch, now)?;
        let before = custom_field::by_id(&fields, CustomEntity::Contact, &current.custom);
        let values =
            custom_field::check_patch(&fields, CustomEntity::Contact, &before, &patch.custom)?;
        next.custom = custom_field::by_key(&fields, &values);
        let changed = tx
            .execute(
                "UPDATE contacts SET first_name = $1, last_name = $2, email = $3, phone = $4, organization_id = $5,
                        owner_id = $6, search_name = $7, last_name_key = $8, updated_at = $9, version = $10,
                        custom = $14
                 WHERE company_id = $11 AND id = $12 AND version = $13",
                args![
                    next.first_name.clone(),
                    next.last_name.clone(),
                    next.email.as_ref().map(|e| e.as_str().to_owned()),
                    next.phone.as_ref().map(|p| p.as_str().to_owned()),
                    next.organization_id.map(|o| o.as_uuid()),
                    next.owner_id.map(|o| o.as_uuid()),
                    next.search_name(),
                    next.last_name.as_ref().map(|l| l.to_lowercase()),
                    now,
                    next.version,
                    self.tenant(),
                    id.as_uuid(),
                    version,
                    crate::custom_field::encode(&fields, &values),
                ],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("contact"));
        }
        if values != before {
            write_index(&mut tx, self.tenant(), id.as_uuid(), &fields, &values, false).await?;
        }
        self.emit(&mut tx, now, EventPayload::ContactUpdated { contact_id: id }).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes the contact read at `version`. Its deals stay, without a contact; its
    /// activities stay on their deal, and those about the contact alone are deleted.
    pub async fn delete(&self, id: ContactId, version: i64) -> Result<()> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch(&mut tx, id, &[]).await?;
        let now =
            self.session.permit(Action::Delete, Resource::Contact { owner: current.owner_id })?;
        if current.version != version {
            return Err(FlameError::stale("contact"));
        }
        let (c, i) = (self.tenant(), id.as_uuid());
        tx.execute(
            "DELETE FROM channel_identities WHERE company_id = $1 AND contact_id = $2",
            args![c, i],
        )
        .await?;
        tx.execute(
            "DELETE FROM activities WHERE company_id = $1 AND contact_id = $2 AND deal_id IS NULL",
            args![c, i],
        )
        .await?;
        tx.execute(
            "UPDATE activities SET contact_id = NULL WHERE company_id = $1 AND contact_id = $2",
            args![c, i],
        )
        .await?;
        tx.execute(
            "UPDATE deals SET contact_id = NULL WHERE company_id = $1 AND contact_id = $2",
            args![c, i],
        )
        .await?;
        let changed = tx
            .execute(
                "DELETE FROM contacts WHERE company_id = $1 AND id = $2 AND version = $3",
                args![c, i, version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("contact"));
        }
        crate::custom_field::forget(&mut tx, c, i).await?;
        usage::release(&mut tx, self.session.company_id(), Limit::Contacts, 1).await?;
        self.emit(&mut tx, now, EventPayload::ContactDeleted { contact_id: id }).await?;
        tx.commit().await
    }

    /// Contacts matching `filter`, a page at a time: ordered by the key a prefix matches
    /// (the name, else the phone, else the email prefix), then by id; newest first without a
    /// prefix. See [`ContactFilter`] for the rules.
    pub async fn list(&self, filter: ContactFilter, page: PageRequest) -> Result<Page<Contact>> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let limit = page.limit()?;
        let backend = self.session.flame().backend();
        let mut exec = self.session.flame().pool().exec();
        let fields = load_fields(&mut exec, self.tenant(), CustomEntity::Contact).await?;
        let conditions =
            custom_field::index_conditions(&fields, CustomEntity::Contact, &filter.custom)?;
        let mut search = Search::new(&filter, Narrowing::new(&conditions))?;
        let walk = filter
            .sort
            .as_ref()
            .map(|sort| SortWalk::new(&fields, CustomEntity::Contact, sort, &page))
            .transpose()?;
        let Some(tags) = tag::resolve(&mut exec, &self.session, &search.tag_keys).await? else {
            // A tag no contact can carry: nothing matches (the cursor is still checked).
            match search.key() {
                _ if walk.is_some() => {}
                None => page.cursor_uuid().map(drop)?,
                Some((key, _)) => page.cursor_key(key.order()).map(drop)?,
            }
            return Ok(Page { items: Vec::new(), next_cursor: None });
        };
        search.tags = tags;
        if let Some(walk) = walk {
            let columns = tag::qualified(fields!(), "r");
            let page = walk
                .page(
                    &mut exec,
                    self.tenant(),
                    "contacts",
                    &columns,
                    limit,
                    |q, company| search.narrow(q, company),
                    |row| contact_from_row(row, &fields),
                    |c| c.id.as_uuid(),
                )
                .await?;
            let items = with_tags(&mut exec, &self.session, page.items).await?;
            return Ok(Page { items, next_cursor: page.next_cursor });
        }
        let Some((key, prefix)) = search.key() else {
            let (sql, args) = search.newest_first(self.tenant(), page.cursor_uuid()?, limit);
            let rows = exec.fetch_all(sql, args).await?;
            let contacts =
                rows.iter().map(|r| contact_from_row(r, &fields)).collect::<Result<Vec<_>>>()?;
            let contacts = with_tags(&mut exec, &self.session, contacts).await?;
            return Ok(Page::from_overfetch(contacts, limit, |c: &Contact| c.id.as_uuid()));
        };
        let after = page.cursor_key(key.order())?;
        if after.as_ref().is_some_and(|c| !c.key.starts_with(prefix)) {
            // Every key of this list starts with the prefix: the cursor is another search's.
            return Err(FlameError::validation("cursor", "is not a cursor of this list"));
        }
        let (sql, args) =
            search.by_key(backend, self.tenant(), (key, prefix), after.as_ref(), limit);
        let rows = exec.fetch_all(sql, args).await?;
        let mut contacts = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            contacts.push(contact_from_row(row, &fields)?);
            keys.push(row.get::<String>("sort_key")?);
        }
        let contacts = with_tags(&mut exec, &self.session, contacts).await?;
        let found = contacts.into_iter().zip(keys).collect::<Vec<_>>();
        let page = Page::from_overfetch_keyed(found, limit, key.order(), |(c, k)| KeyCursor {
            key: k.clone(),
            id: c.id.as_uuid(),
        });
        Ok(page.map(|(contact, _)| contact))
    }

    /// Imports contacts from `rows`, in batches of 5,000, one transaction per batch. Each
    /// row is validated like [`create`](Self::create); a bad row is rejected and reported
    /// (its 1-based position as `line`) and the rest go on. Rows without an owner are the
    /// session's user's; a row naming an owner who is not a member is rejected.
    ///
    /// Each batch re-reads the session's standing inside its transaction: a member removed,
    /// demoted (say to viewer) or logged out during the import, a canceled subscription, the
    /// plan's contact limit or a storage failure stop the import at that batch, which is not
    /// written. The batches before it stay imported, and the report says so: `imported`
    /// counts them and [`ImportReport::failed`] gives the first line not imported (the
    /// failed batch's first) and the error. Only a failure before any row is read (no right
    /// to create contacts at all) is an `Err`.
    /// One `contacts.imported` event is written per batch.
    ///
    /// A row is a [`NewContact`] or a [`ContactRow`]: a contact with the domain or name of its
    /// organization, which the import finds among the company's organizations (by domain,
    /// else name case-insensitively) or creates, its owner's email (a member's, else a
    /// `Validation` error on `owner`) and its tags, created on first use (see
    /// [`ContactRow`]). A row naming an `organization_id`
    /// that is not one of the company's is rejected (a `Validation` error on
    /// `organization_id`).
    pub async fn import_rows<I>(&self, rows: I) -> Result<ImportReport>
    where
        I: IntoIterator,
        I::Item: Into<ContactRow>,
        I::IntoIter: Send,
    {
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| (i as u64 + 1, ImportRow::Record(row.into())));
        Import::import_numbered(&self.session, rows).await
    }

    /// Imports contacts from the CSV file at `path`, streamed like
    /// [`import_csv`](Self::import_csv) (memory stays bounded whatever the file's size). A
    /// file that cannot be opened is a `Validation` error on `path`, and nothing is imported.
    #[cfg(feature = "csv")]
    pub async fn import_csv_file(&self, path: impl AsRef<std::path::Path>) -> Result<ImportReport> {
        self.import_csv(crate::import_csv::open(path.as_ref())?).await
    }

    /// Imports contacts from CSV text (UTF-8, comma-separated, first line the header; see
    /// [`flame_core::import::CONTACT_COLUMNS`]). A bad header is a `Validation` error on
    /// `header` and nothing is imported; a bad record — ragged, not UTF-8, an invalid value,
    /// longer than [`MAX_RECORD_BYTES`](flame_core::import::MAX_RECORD_BYTES) — is reported with its line and the rest go on.
    ///
    /// Memory stays bounded per record too: a record so long that it would hold more than
    /// about twice [`MAX_RECORD_BYTES`](flame_core::import::MAX_RECORD_BYTES) in memory, or an input that fails to read, stops the
    /// import like a failing batch ([`ImportReport::failed`]: a `Validation` error on `row`,
    /// or a `Storage` error): the batch it is in is not written, the earlier ones stay.
    #[cfg(feature = "csv")]
    pub async fn import_csv<R: std::io::Read + Send>(&self, reader: R) -> Result<ImportReport> {
        let mut import = Import::begin(&self.session).await?;
        let known: Vec<String> = import.fields().iter().map(|f| f.key.clone()).collect();
        crate::import_csv::import::<ContactColumns, _, _>(&mut import, &known, reader).await
    }

    /// Writes the contacts matching `filter` (any filter [`list`](Self::list) takes, in its
    /// order) to `writer` as CSV, and returns how many records it wrote (the header aside).
    /// The header is [`CONTACT_COLUMNS`](flame_core::import::CONTACT_COLUMNS), then a
    /// `custom.<key>` column per custom field of contacts, the names
    /// [`import_csv`](Self::import_csv) reads: what an export writes imports back, into this
    /// company or another that defines the same custom fields (and has the same members and
    /// organizations), as it was — ids, versions and times aside. A contact's organization is
    /// written by its domain, else its name; its owner by email (blank when the owner is no
    /// longer a member); its tags separated by `;`; custom values in their text forms.
    ///
    /// Streamed: the list is read a page of 500 at a time and each page written and flushed
    /// to `writer` before the next is read, so memory stays bounded by a page whatever the
    /// number of contacts. Whoever may read contacts may export them (a viewer too); only the
    /// session's company's contacts appear. A `writer` that fails is a `Storage` error; what
    /// was written until then stays written. (The `csv` feature.)
    #[cfg(feature = "csv")]
    pub async fn export_csv<W: std::io::Write + Send>(
        &self,
        filter: ContactFilter,
        writer: W,
    ) -> Result<u64> {
        use flame_core::import::{ContactExport, ContactLinks};
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        let mut exec = self.session.flame().pool().exec();
        let fields = load_fields(&mut exec, self.tenant(), CustomEntity::Contact).await?;
        let columns = ContactExport::new(&fields);
        let members = export::member_emails(&mut exec, &self.session).await?;
        // The first page is read before anything is written: a bad filter writes nothing.
        let mut found = self.list(filter.clone(), PageRequest::first(export::PAGE)).await?;
        let mut out = export::CsvOut::new(writer, &columns.header())?;
        loop {
            let orgs = found.items.iter().filter_map(|c| c.organization_id);
            let orgs = export::organization_references(&mut exec, &self.session, orgs).await?;
            for c in &found.items {
                let links = ContactLinks {
                    organization: c.organization_id.and_then(|o| orgs.get(&o).cloned()),
                    owner: c.owner_id.and_then(|u| members.get(&u).cloned()),
                };
                out.write(&columns.record(c, &links))?;
            }
            out.flush()?;
            let Some(cursor) = found.next_cursor.take() else { return out.finish() };
            found = self.list(filter.clone(), PageRequest::after(export::PAGE, cursor)).await?;
        }
    }

    /// [`export_csv`](Self::export_csv) into the file at `path`, created or truncated. A
    /// file that cannot be opened for writing is a `Validation` error on `path`, and nothing
    /// is written. (The `csv` feature.)
    #[cfg(feature = "csv")]
    pub async fn export_csv_file(
        &self,
        filter: ContactFilter,
        path: impl AsRef<std::path::Path>,
    ) -> Result<u64> {
        self.session.authorize(Action::Read, Resource::Contact { owner: None }).await?;
        self.export_csv(filter, export::create(path.as_ref())?).await
    }
}

/// The key a prefix search orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchKey {
    /// `search_name`, or `last_name_key` for contacts whose full name does not match.
    Name,
    /// `phone`.
    Phone,
    /// `email`.
    Email,
}

impl SearchKey {
    /// The name of the ordering in its cursors.
    fn order(self) -> &'static str {
        match self {
            SearchKey::Name => "name",
            SearchKey::Phone => "phone",
            SearchKey::Email => "email",
        }
    }
}

/// A contact filter, validated and normalized to the stored forms of its keys.
struct Search<'a> {
    /// Lowercase name prefix.
    name: Option<String>,
    /// Lowercase email prefix.
    email: Option<String>,
    /// Phone prefix: `+` and digits.
    phone: Option<String>,
    owner: Option<uuid::Uuid>,
    /// The keys of the tags every contact must carry.
    tag_keys: Vec<String>,
    /// Their ids, once resolved: the first drives the newest-first walk.
    tags: Vec<uuid::Uuid>,
    /// The custom field conditions.
    custom: Narrowing<'a>,
}

impl<'a> Search<'a> {
    fn new(filter: &ContactFilter, custom: Narrowing<'a>) -> Result<Self> {
        let lower = |text: Option<String>| text.map(|t| t.to_lowercase());
        let phone = non_blank(filter.phone_prefix.as_deref(), "phone_prefix")?
            .map(|p| {
                phone::search_prefix(&p)
                    .ok_or_else(|| FlameError::validation("phone_prefix", "must contain digits"))
            })
            .transpose()?;
        Ok(Self {
            name: lower(non_blank(filter.name_prefix.as_deref(), "name_prefix")?),
            email: lower(non_blank(filter.email_prefix.as_deref(), "email_prefix")?),
            phone,
            owner: filter.owner_id.map(|o| o.as_uuid()),
            tag_keys: flame_core::tag::filter_keys(&filter.tags)?,
            tags: Vec::new(),
            custom,
        })
    }

    /// Appends every filter to a statement over `contacts` aliased `r` (for a list ordered
    /// by something else: a custom field): the prefixes as ranges, the owner, the tags and the
    /// custom conditions as probes.
    fn narrow(&self, q: &mut Statement, company: &str) {
        let range = |q: &mut Statement, column: &str, prefix: &str| {
            let start = q.bind(prefix.to_owned());
            match prefix_end(prefix) {
                Some(end) => format!("{column} >= {start} AND {column} < {}", q.bind(end)),
                None => format!("{column} >= {start}"),
            }
        };
        if let Some(name) = &self.name {
            let full = range(q, "r.search_name", name);
            let last = range(q, "r.last_name_key", name);
            q.push(&format!(" AND (({full}) OR ({last}))"));
        }
        for (column, prefix) in [("r.phone", &self.phone), ("r.email", &self.email)] {
            if let Some(prefix) = prefix {
                let matches = range(q, column, prefix);
                q.push(&format!(" AND {matches}"));
            }
        }
        q.and("r.owner_id", "=", self.owner);
        let probes = tag::carries(q, Tagged::Contact, company, "r.id", &self.tags);
        q.push(&probes);
        let probes = self.custom.exists(q, "r", None);
        q.push(&probes);
    }

    /// The key the list is ordered by and its prefix; `None` orders newest first.
    fn key(&self) -> Option<(SearchKey, &str)> {
        [
            (SearchKey::Name, self.name.as_deref()),
            (SearchKey::Phone, self.phone.as_deref()),
            (SearchKey::Email, self.email.as_deref()),
        ]
        .into_iter()
        .find_map(|(key, prefix)| prefix.map(|p| (key, p)))
    }

    /// The list without a prefix: newest first, after the id `after`. With tags, the walk
    /// follows the first tag's taggings (newest first) and joins each contact; see
    /// [`by_custom_value`](Self::by_custom_value) without them.
    fn newest_first(
        &self,
        company: uuid::Uuid,
        after: Option<uuid::Uuid>,
        limit: u32,
    ) -> (Sql, Vec<Arg>) {
        debug_assert!(self.key().is_none());
        let Some((first, others)) = self.tags.split_first() else {
            return self.by_custom_value(company, after, limit);
        };
        // Walk the first tag's taggings newest first (its key, backwards from the cursor),
        // joining each to its contact; SQLite's CROSS JOIN keeps that order of the loops.
        // The other tags and every custom condition are probes.
        let mut q = Statement::new("", vec![]);
        let company = q.bind(company);
        let first = q.bind(*first);
        let mut sql = format!(
            "SELECT {} FROM contact_tags t CROSS JOIN contacts
             WHERE t.company_id = {company} AND t.tag_id = {first}
               AND contacts.company_id = {company} AND contacts.id = t.contact_id",
            tag::qualified(fields!(), "contacts"),
        );
        sql.push_str(&tag::carries(
            &mut q,
            Tagged::Contact,
            company.as_str(),
            "t.contact_id",
            others,
        ));
        sql.push_str(&self.custom.exists(&mut q, "contacts", None));
        if let Some(owner) = self.owner {
            let p = q.bind(owner);
            sql.push_str(&format!(" AND contacts.owner_id = {p}"));
        }
        if let Some(after) = after {
            let p = q.bind(after);
            sql.push_str(&format!(" AND t.contact_id < {p}"));
        }
        let n = q.bind(i64::from(limit) + 1);
        sql.push_str(&format!(" ORDER BY t.contact_id DESC LIMIT {n}"));
        q.push(&sql);
        q.build()
    }

    /// [`newest_first`](Self::newest_first) without tags. With an equality on a custom field,
    /// the walk follows that value's index (newest record first) and joins each contact, so a
    /// page costs a page however rare the value; the other conditions are probes.
    fn by_custom_value(
        &self,
        company: uuid::Uuid,
        after: Option<uuid::Uuid>,
        limit: u32,
    ) -> (Sql, Vec<Arg>) {
        let Some(driver) = self.custom.driver() else {
            let mut q = Statement::new(COLUMNS, vec![]);
            let company = q.bind(company);
            q.push(&format!(" WHERE company_id = {company}"));
            q.and("owner_id", "=", self.owner);
            let probes = self.custom.exists(&mut q, "contacts", None);
            q.push(&probes);
            q.page(after, limit, true);
            return q.build();
        };
        let mut q = Statement::new("SELECT contacts.*", vec![]);
        let company = q.bind(company);
        let from = Narrowing::drive(&mut q, "contacts", "contacts", &company, driver);
        q.push(&from);
        q.and("contacts.owner_id", "=", self.owner);
        let probes = self.custom.exists(&mut q, "contacts", Some(driver));
        q.push(&probes);
        q.and("custom_values.record_id", "<", after);
        let n = q.bind(i64::from(limit) + 1);
        q.push(&format!(" ORDER BY custom_values.record_id DESC LIMIT {n}"));
        q.build()
    }

    /// The prefix search ordered by `key`, then id, after `after`: each selection walks an
    /// index `(company_id, key, id)` from the seek position and stops after `limit + 1` rows.
    ///
    /// The prefix is matched as a range, `key >= prefix AND key < prefix_end(prefix)` (both
    /// engines compare these columns by code point: SQLite's BINARY collation, PostgreSQL's
    /// `COLLATE "C"` columns), so that the range and the order come from the same index. A
    /// name search merges two ordered selections — full names that match, and last names that
    /// match where the full name does not — so that a contact appears once, under one key.
    /// (The second walk steps over, rather than seeks past, the contacts whose full name also
    /// matches; each selection also stops at `limit + 1` rows, so the merge reads at most two
    /// pages.)
    fn by_key(
        &self,
        backend: Backend,
        company: uuid::Uuid,
        (key, prefix): (SearchKey, &str),
        after: Option<&KeyCursor>,
        limit: u32,
    ) -> (Sql, Vec<Arg>) {
        let mut q = Statement::new("", vec![]);
        let company = q.bind(company);
        let range = PrefixRange {
            start: q.bind(prefix),
            end: prefix_end(prefix).map(|end| q.bind(end)),
            after: after.map(|c| (q.bind(c.key.clone()), q.bind(c.id))),
        };
        // The other filters narrow the walk; the key's own prefix is the range.
        let like = prefix_op(backend);
        let mut filters = String::new();
        let mut narrow = |column: &str, value: &Option<String>, is_key: bool| {
            if let (Some(v), false) = (value, is_key) {
                let p = q.bind(prefix_pattern(backend, v));
                filters.push_str(&format!(" AND {column} {like} {p}"));
            }
        };
        narrow("phone", &self.phone, key == SearchKey::Phone);
        narrow("email", &self.email, key == SearchKey::Email);
        if let Some(owner) = self.owner {
            let p = q.bind(owner);
            filters.push_str(&format!(" AND owner_id = {p}"));
        }
        filters.push_str(&tag::carries(
            &mut q,
            Tagged::Contact,
            &company,
            "contacts.id",
            &self.tags,
        ));
        filters.push_str(&self.custom.exists(&mut q, "contacts", None));
        let n = q.bind(i64::from(limit) + 1);
        let select = |column: &str, also: &str| {
            format!(
                "SELECT {}, {column} AS sort_key FROM contacts WHERE company_id = {company} AND {}{also}{filters} ORDER BY {column}, id LIMIT {n}",
                fields!(),
                range.seek(column),
            )
        };
        match key {
            SearchKey::Name => {
                let full = select("search_name", "");
                let last = select(
                    "last_name_key",
                    &format!(" AND NOT ({})", range.matches("search_name")),
                );
                q.push(&format!(
                    "SELECT * FROM ({full}) AS by_full_name UNION ALL SELECT * FROM ({last}) AS by_last_name ORDER BY sort_key, id LIMIT {n}"
                ));
            }
            SearchKey::Phone => {
                q.push(&select("phone", ""));
            }
            SearchKey::Email => {
                q.push(&select("email", ""));
            }
        }
        q.build()
    }
}

/// The placeholders of a prefix range and of the cursor that resumes inside it.
struct PrefixRange {
    start: String,
    end: Option<String>,
    after: Option<(String, String)>,
}

impl PrefixRange {
    /// `column` starts with the prefix.
    fn matches(&self, column: &str) -> String {
        let start = format!("{column} >= {}", self.start);
        match &self.end {
            Some(end) => format!("{start} AND {column} < {end}"),
            None => start,
        }
    }

    /// `column` starts with the prefix and `(column, id)` comes after the cursor.
    fn seek(&self, column: &str) -> String {
        let Some((key, id)) = &self.after else {
            return self.matches(column);
        };
        // The cursor's key starts with the prefix, so it is at least the range's start.
        let after = format!("({column}, id) > ({key}, {id})");
        match &self.end {
            Some(end) => format!("{after} AND {column} < {end}"),
            None => after,
        }
    }
}

/// The least text greater than every text that starts with `prefix`, comparing by code point
/// (the byte order of UTF-8): `prefix` with its last character incremented. `None` when no
/// text is (the prefix is all `char::MAX`; then every text from `prefix` on starts with it).
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A search text, trimmed; blank is no filter, over 200 characters is refused.
pub(crate) fn non_blank(text: Option<&str>, field: &str) -> Result<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > flame_core::text::NAME_MAX => {
            Err(FlameError::validation(field, "must be at most 200 characters"))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// Inserts a validated contact (its usage already reserved); `fields` are the company's
/// contact fields, which its custom values are stored under.
pub(crate) async fn insert(tx: &mut Tx, contact: &Contact, fields: &[CustomField]) -> Result<()> {
    crate::import::insert_many(tx, std::iter::once(contact), fields).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_every_text_with_the_prefix() {
        assert_eq!(prefix_end("ada").as_deref(), Some("adb"));
        assert_eq!(prefix_end("+7912").as_deref(), Some("+7913"));
        assert_eq!(prefix_end("jo\u{D7FF}").as_deref(), Some("jo\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
        for (prefix, text) in [("ada", "ada lovelace"), ("é", "élan"), ("z", "z\u{10FFFF}")] {
            let end = prefix_end(prefix).expect("bounded");
            assert!(prefix <= text && text < end.as_str(), "{prefix} {text} {end}");
            // Byte order is code-point order: what both engines compare.
            assert!(text.as_bytes() < end.as_bytes());
        }
    }
}
