//! Bulk imports: the driver every import runs on ([`run`]: rows checked one by one, good
//! ones written in batches, one transaction per batch, bad ones reported with their line and
//! reason), the members rows name by email ([`Members`]), and the import of contacts, from an
//! iterator or a CSV stream (`import_csv.rs`, the `csv` feature): their batches are inserted
//! with `COPY` on PostgreSQL and multi-row statements on SQLite. Organizations and deals have
//! their importers in `import_org.rs` and `import_deal.rs`. Memory stays bounded by the batch
//! size, whatever the input's size.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::contact::Contact;
use flame_core::custom_field::{self, CustomEntity, CustomField};
use flame_core::event::EventPayload;
use flame_core::import::{ContactRow, ImportReport, member_email};
use flame_core::tag::Tagged;
use flame_core::{FlameError, OrganizationId, Result, UserId};

use crate::custom_field::write_index;
use crate::session::Session;
use crate::sql::{Arg, Executor, Tx, args};
use crate::{org_link, outbox, tag, usage};

/// Rows per transaction.
const BATCH: usize = 5_000;
/// Rows per INSERT statement (14 values each; SQLite and PostgreSQL both take this many).
const ROWS_PER_STATEMENT: usize = 200;

/// One row of an import's input.
pub(crate) enum Row<T> {
    /// A record to check and import.
    Record(T),
    /// A bad row: reported with its line, and the import goes on. (Only CSV input has rows
    /// that fail before they are records.)
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    Rejected(FlameError),
    /// The input cannot be read on from here: the import stops, reporting this error.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    Stop(FlameError),
}

/// What one kind of import does with its rows: [`run`] checks each, then writes the good ones
/// in batches.
pub(crate) trait Importer: Send {
    /// A row of the input.
    type Row: Send;
    /// A row checked and ready to write.
    type Checked: Send;

    /// Checks one row outside any transaction, in input order. A `Validation` or `Forbidden`
    /// error rejects the row; any other error stops the import.
    fn check(&mut self, row: Self::Row) -> impl Future<Output = Result<Self::Checked>> + Send;

    /// Writes a batch of checked rows in one transaction, all or nothing, re-reading the
    /// session's standing inside it.
    fn write(&mut self, batch: &mut [Self::Checked]) -> impl Future<Output = Result<()>> + Send;

    /// Forgets what the checks of a batch remembered, once it is written (or failed).
    fn next_batch(&mut self) {}
}

/// Imports numbered rows with `importer`: each row is checked, good ones are written in
/// batches of [`BATCH`] (one transaction each), bad ones reported. A batch that cannot be
/// written, a check failing for another reason than the row, or an input that cannot be read
/// on stops the import there: the report's `failed` names the first line not imported (the
/// batch's first) and the error, and the batches before stay imported.
pub(crate) async fn run<M, I>(importer: &mut M, rows: I) -> ImportReport
where
    M: Importer,
    I: Iterator<Item = (u64, Row<M::Row>)> + Send,
{
    let mut report = ImportReport::default();
    let mut batch: Vec<M::Checked> = Vec::with_capacity(BATCH);
    let mut first = 0_u64;
    for (line, row) in rows {
        let start = if batch.is_empty() { line } else { first };
        let checked = match row {
            Row::Record(row) => importer.check(row).await,
            Row::Rejected(e) => Err(e),
            Row::Stop(e) => {
                // The batch being read is not written: the import stops at its start.
                report.stop(start, e);
                return report;
            }
        };
        match checked {
            Ok(checked) => {
                first = start;
                batch.push(checked);
            }
            Err(e @ (FlameError::Validation { .. } | FlameError::Forbidden { .. })) => {
                report.reject(line, &e)
            }
            Err(other) => {
                report.stop(start, other);
                return report;
            }
        }
        if batch.len() == BATCH && !flush(importer, &mut batch, first, &mut report).await {
            return report;
        }
    }
    flush(importer, &mut batch, first, &mut report).await;
    report
}

/// Writes `batch` (whose first line is `first`) and counts it in `report`; `false` when it
/// could not be written, with the failure recorded in `report`.
async fn flush<M: Importer>(
    importer: &mut M,
    batch: &mut Vec<M::Checked>,
    first: u64,
    report: &mut ImportReport,
) -> bool {
    if batch.is_empty() {
        return true;
    }
    let written = importer.write(batch).await;
    importer.next_batch();
    let n = batch.len() as u64;
    batch.clear();
    match written {
        Ok(()) => {
            report.imported += n;
            true
        }
        Err(e) => {
            report.stop(first, e);
            false
        }
    }
}

/// The members of the session's company, read once as an import begins, so that every row
/// naming an owner or assignee is judged in order.
pub(crate) struct Members {
    by_email: HashMap<String, UserId>,
    ids: HashSet<UserId>,
}

impl Members {
    pub(crate) async fn load(session: &Session) -> Result<Self> {
        let rows = session
            .flame()
            .pool()
            .exec()
            .fetch_all(
                "SELECT m.user_id AS user_id, u.email AS email FROM memberships m
                 JOIN users u ON u.id = m.user_id WHERE m.company_id = $1",
                args![session.tenant()],
            )
            .await?;
        let mut by_email = HashMap::with_capacity(rows.len());
        for row in &rows {
            by_email.insert(row.get::<String>("email")?, row.id("user_id")?);
        }
        let ids = by_email.values().copied().collect();
        Ok(Self { by_email, ids })
    }

    /// The member a row names: by the email in the column `field` (a `Validation` error on
    /// `field` when it is no member's), else by `id` (a `Validation` error on `id_field` when
    /// it is no member's), else `default`.
    pub(crate) fn pick(
        &self,
        field: &str,
        email: Option<&str>,
        id_field: &str,
        id: Option<UserId>,
        default: UserId,
    ) -> Result<UserId> {
        if let Some(email) = member_email(field, email)? {
            let found = self.by_email.get(&email).copied();
            flame_core::deal::ensure_member(field, found.is_some())?;
            return Ok(found.unwrap_or(default));
        }
        match id {
            Some(id) => {
                flame_core::deal::ensure_member(id_field, self.ids.contains(&id)).map(|()| id)
            }
            None => Ok(default),
        }
    }
}

/// The tag names an import row gives, each checked like a tag's name (a bad one is a
/// `Validation` error on `tags`).
pub(crate) fn checked_tags(names: &[String]) -> Result<Vec<String>> {
    names.iter().map(|n| flame_core::tag::name(n).map_err(|e| e.at("tags"))).collect()
}

/// An import into the contacts of a session's company ([`Contacts::import_rows`], and the
/// CSV import's batches).
///
/// [`Contacts::import_rows`]: crate::Contacts::import_rows
pub(crate) struct Import<'a> {
    session: &'a Session,
    me: UserId,
    members: Members,
    /// The company's custom field definitions for contacts, read as the import starts.
    fields: Vec<CustomField>,
    /// Organization ids rows name, checked once each.
    organizations: HashMap<OrganizationId, bool>,
}

/// A contact checked for import: the contact, the name of its organization, its tags.
pub(crate) struct Checked {
    contact: Contact,
    organization: Option<String>,
    tags: Vec<String>,
}

impl<'a> Import<'a> {
    /// Checks that the session may import contacts at all and reads the members and the
    /// custom field definitions rows are judged against.
    pub(crate) async fn begin(session: &'a Session) -> Result<Self> {
        let me = session.user_id();
        session.authorize(Action::Create, Resource::Contact { owner: Some(me) }).await?;
        let members = Members::load(session).await?;
        let fields = crate::custom_field::load(
            &mut session.flame().pool().exec(),
            session.tenant(),
            CustomEntity::Contact,
        )
        .await?;
        Ok(Self { session, me, members, fields, organizations: HashMap::new() })
    }

    /// The custom field definitions of contacts.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn fields(&self) -> &[CustomField] {
        &self.fields
    }

    pub(crate) async fn import_numbered<I>(session: &'a Session, rows: I) -> Result<ImportReport>
    where
        I: Iterator<Item = (u64, Row<ContactRow>)> + Send,
    {
        let mut import = Self::begin(session).await?;
        Ok(run(&mut import, rows).await)
    }
}

impl Importer for Import<'_> {
    type Row = ContactRow;
    type Checked = Checked;

    async fn check(&mut self, row: ContactRow) -> Result<Checked> {
        let company = self.session.company_id();
        let now = flame_core::clock::now();
        let input = &row.contact;
        let owner = self.members.pick(
            "owner",
            row.owner.as_deref(),
            "owner_id",
            input.owner_id,
            self.me,
        )?;
        self.session.permit(Action::Create, Resource::Contact { owner: Some(owner) })?;
        if let Some(org) = input.organization_id {
            let known = match self.organizations.get(&org) {
                Some(known) => *known,
                None => {
                    let mut exec = self.session.flame().pool().exec();
                    let found = match org_link::ensure_exists(&mut exec, company, org).await {
                        Ok(()) => true,
                        Err(FlameError::NotFound { .. }) => false,
                        Err(other) => return Err(other),
                    };
                    *self.organizations.entry(org).or_insert(found)
                }
            };
            if !known {
                return Err(FlameError::validation(
                    "organization_id",
                    "is not an organization of this company",
                ));
            }
        }
        let mut contact = Contact::create(company, input, self.me, now)?;
        contact.owner_id = Some(owner);
        let values = custom_field::check_new(&self.fields, CustomEntity::Contact, &input.custom)?;
        contact.custom = custom_field::by_key(&self.fields, &values);
        let organization = row.organization_name()?;
        let tags = checked_tags(&row.tags)?;
        Ok(Checked { contact, organization, tags })
    }

    async fn write(&mut self, batch: &mut [Checked]) -> Result<()> {
        let fields = &self.fields;
        let company = self.session.company_id();
        // The session's standing is read again inside the batch's transaction: a member
        // demoted or removed since the import began writes no further batch.
        let mut tx = self.session.begin().await?;
        let me = self.me;
        self.session.permit(Action::Create, Resource::Contact { owner: Some(me) })?;
        for c in batch.iter() {
            self.session.permit(Action::Create, Resource::Contact { owner: c.contact.owner_id })?;
        }
        usage::reserve(&mut tx, company, Limit::Contacts, batch.len() as u64).await?;
        // Organizations named by rows: found by domain or name, or created (owned by the
        // importing user), once per name in the batch.
        let now = flame_core::clock::now();
        let mut events = Vec::new();
        let mut named = org_link::Named::default();
        for c in batch.iter_mut() {
            let Some(name) = &c.organization else { continue };
            let id = named.resolve(&mut tx, company, name, Some(me), now, &mut events).await?;
            c.contact.organization_id = Some(id);
        }
        let copied =
            tx.copy_in(COPY_CONTACTS, copy_rows(batch.iter().map(|c| &c.contact), fields)).await?;
        if copied.is_none() {
            for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                insert_many(&mut tx, chunk.iter().map(|c| &c.contact), fields).await?;
            }
        }
        for c in batch.iter().filter(|c| !c.contact.custom.is_empty()) {
            let values = custom_field::by_id(fields, CustomEntity::Contact, &c.contact.custom);
            write_index(&mut tx, company.as_uuid(), c.contact.id.as_uuid(), fields, &values, true)
                .await?;
        }
        let taggings: Vec<(uuid::Uuid, &[String])> = batch
            .iter()
            .filter(|c| !c.tags.is_empty())
            .map(|c| (c.contact.id.as_uuid(), c.tags.as_slice()))
            .collect();
        tag::add_all(&mut tx, self.session, Tagged::Contact, &taggings, now).await?;
        let (first, last) = (batch[0].contact.id, batch[batch.len() - 1].contact.id);
        events.push(EventPayload::ContactsImported {
            count: batch.len() as u64,
            first_id: first,
            last_id: last,
        });
        outbox::record(&mut tx, company, Some(me), now, events).await?;
        tx.commit().await
    }
}

/// PostgreSQL's bulk load of the columns [`copy_rows`] writes.
const COPY_CONTACTS: &str = "COPY contacts (company_id, id, first_name, last_name, email, phone,
    organization_id, owner_id, search_name, last_name_key, custom, created_at, updated_at, version)
    FROM STDIN";

/// Validated contacts in `COPY`'s text format (a line per row, tab-separated, `\N` for
/// null), the same values [`insert_many`] binds.
fn copy_rows<'a>(contacts: impl Iterator<Item = &'a Contact>, fields: &[CustomField]) -> Vec<u8> {
    use std::fmt::Write as _;
    fn text(out: &mut String, value: Option<&str>) {
        match value {
            None => out.push_str("\\N"),
            Some(v) => {
                for c in v.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    let time = crate::sql::codec::encode_time;
    let mut out = String::new();
    for c in contacts {
        let _ = write!(out, "{}\t{}\t", c.company_id.as_uuid(), c.id.as_uuid());
        text(&mut out, Some(&c.first_name));
        out.push('\t');
        text(&mut out, c.last_name.as_deref());
        out.push('\t');
        text(&mut out, c.email.as_ref().map(|e| e.as_str()));
        out.push('\t');
        text(&mut out, c.phone.as_ref().map(|p| p.as_str()));
        out.push('\t');
        text(&mut out, c.organization_id.map(|o| o.as_uuid().to_string()).as_deref());
        out.push('\t');
        text(&mut out, c.owner_id.map(|o| o.as_uuid().to_string()).as_deref());
        out.push('\t');
        text(&mut out, Some(&c.search_name()));
        out.push('\t');
        text(&mut out, c.last_name.as_ref().map(|l| l.to_lowercase()).as_deref());
        out.push('\t');
        text(&mut out, Some(&custom_json(fields, c).to_string()));
        let _ = writeln!(out, "\t{}\t{}\t{}", time(c.created_at), time(c.updated_at), c.version);
    }
    out.into_bytes()
}

/// One multi-row INSERT of validated contacts.
pub(crate) async fn insert_many<'a>(
    tx: &mut Tx,
    contacts: impl Iterator<Item = &'a Contact>,
    fields: &[CustomField],
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization_id,
                               owner_id, search_name, last_name_key, created_at, updated_at, version,
                               custom)
         VALUES ",
    );
    let mut values: Vec<Arg> = Vec::new();
    for (i, c) in contacts.enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let base = values.len();
        sql.push('(');
        sql.push_str(&(1..=14).map(|k| format!("${}", base + k)).collect::<Vec<_>>().join(", "));
        sql.push(')');
        values.extend(args![
            c.company_id.as_uuid(),
            c.id.as_uuid(),
            c.first_name.clone(),
            c.last_name.clone(),
            c.email.as_ref().map(|e| e.as_str().to_owned()),
            c.phone.as_ref().map(|p| p.as_str().to_owned()),
            c.organization_id.map(|o| o.as_uuid()),
            c.owner_id.map(|o| o.as_uuid()),
            c.search_name(),
            c.last_name.as_ref().map(|l| l.to_lowercase()),
            c.created_at,
            c.updated_at,
            c.version,
            custom_json(fields, c),
        ]);
    }
    tx.execute(sql, values).await?;
    Ok(())
}

/// The `custom` column of a validated contact.
fn custom_json(fields: &[CustomField], c: &Contact) -> serde_json::Value {
    let values = custom_field::by_id(fields, CustomEntity::Contact, &c.custom);
    crate::custom_field::encode(fields, &values)
}
