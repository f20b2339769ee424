//! Bulk import of contacts, from an iterator or a CSV stream (`import_csv.rs`, the `csv`
//! feature): rows are validated one by one,
//! good ones inserted in batches (one transaction per batch: `COPY` on PostgreSQL,
//! multi-row statements on SQLite), bad ones
//! reported with their line and reason. Memory stays bounded by the batch size, whatever the
//! input's size.

use std::collections::{BTreeSet, HashMap};

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::contact::Contact;
use flame_core::custom_field::{self, CustomEntity, CustomField};
use flame_core::event::EventPayload;
use flame_core::import::{ContactRow, ImportReport};
use flame_core::organization::name_key;
use flame_core::{FlameError, OrganizationId, Result, UserId};

use crate::custom_field::write_index;
use crate::session::Session;
use crate::sql::{Arg, Executor, Tx, args};
use crate::{org_link, outbox, usage};

/// Rows per transaction.
const BATCH: usize = 5_000;
/// Rows per INSERT statement (13 values each; SQLite and PostgreSQL both take this many).
const ROWS_PER_STATEMENT: usize = 200;

/// One row of an import's input.
pub(crate) enum Row {
    /// A contact to check and import, with the name of its organization.
    Contact(ContactRow),
    /// A bad row: reported with its line, and the import goes on. (Only CSV input has rows
    /// that fail before they are contacts.)
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    Rejected(FlameError),
    /// The input cannot be read on from here: the import stops, reporting this error.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    Stop(FlameError),
}

/// An import into the contacts of a session's company ([`Contacts::import_rows`], and the
/// CSV import's batches).
///
/// [`Contacts::import_rows`]: crate::Contacts::import_rows
pub(crate) struct Import<'a> {
    session: &'a Session,
}

impl<'a> Import<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Self { session }
    }

    pub(crate) async fn import_numbered<I>(&self, rows: I) -> Result<ImportReport>
    where
        I: Iterator<Item = (u64, Row)> + Send,
    {
        let me = self.session.user_id();
        self.session.authorize(Action::Create, Resource::Contact { owner: Some(me) }).await?;
        let company = self.session.company_id();
        // Owners named by rows must be members: read the (few) members once, so that every
        // row is judged in order.
        let members: BTreeSet<UserId> = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_all(
                "SELECT user_id FROM memberships WHERE company_id = $1",
                args![company.as_uuid()],
            )
            .await?
            .iter()
            .map(|r| r.id("user_id"))
            .collect::<Result<_>>()?;
        // Custom values are checked against the definitions as the import starts.
        let fields = crate::custom_field::load(
            &mut self.session.flame().pool().exec(),
            company.as_uuid(),
            CustomEntity::Contact,
        )
        .await?;
        let mut report = ImportReport::default();
        let mut batch: Vec<(u64, Contact, Option<String>)> = Vec::with_capacity(BATCH);
        // Organization ids rows name, checked once each.
        let mut organizations: HashMap<OrganizationId, bool> = HashMap::new();
        for (line, row) in rows {
            let now = flame_core::clock::now();
            let checked = match row {
                Row::Contact(row) => {
                    let input = &row.contact;
                    let owner = input.owner_id.unwrap_or(me);
                    let known = match input.organization_id {
                        Some(org) if !organizations.contains_key(&org) => {
                            let mut exec = self.session.flame().pool().exec();
                            let found = match org_link::ensure_exists(&mut exec, company, org).await
                            {
                                Ok(()) => true,
                                Err(FlameError::NotFound { .. }) => false,
                                Err(other) => {
                                    report.stop(batch.first().map_or(line, |b| b.0), other);
                                    return Ok(report);
                                }
                            };
                            *organizations.entry(org).or_insert(found)
                        }
                        Some(org) => organizations[&org],
                        None => true,
                    };
                    self.session
                        .permit(Action::Create, Resource::Contact { owner: Some(owner) })
                        .and_then(|_| match members.contains(&owner) {
                            true => Ok(()),
                            false => Err(FlameError::validation(
                                "owner_id",
                                "is not a member of this company",
                            )),
                        })
                        .and_then(|()| match known {
                            true => Ok(()),
                            false => Err(FlameError::validation(
                                "organization_id",
                                "is not an organization of this company",
                            )),
                        })
                        .and_then(|()| Contact::create(company, input, me, now))
                        .and_then(|mut contact| {
                            let values = custom_field::check_new(
                                &fields,
                                CustomEntity::Contact,
                                &input.custom,
                            )?;
                            contact.custom = custom_field::by_key(&fields, &values);
                            Ok((contact, row.organization_name()?))
                        })
                }
                Row::Rejected(e) => Err(e),
                Row::Stop(e) => {
                    // The batch being read is not written: the import stops at its start.
                    report.stop(batch.first().map_or(line, |b| b.0), e);
                    return Ok(report);
                }
            };
            match checked {
                Ok((contact, organization)) => batch.push((line, contact, organization)),
                Err(e @ (FlameError::Validation { .. } | FlameError::Forbidden { .. })) => {
                    report.reject(line, &e)
                }
                Err(other) => {
                    report.stop(batch.first().map_or(line, |b| b.0), other);
                    return Ok(report);
                }
            }
            if batch.len() == BATCH && !self.flush(&mut batch, &mut report, &fields).await {
                return Ok(report);
            }
        }
        self.flush(&mut batch, &mut report, &fields).await;
        Ok(report)
    }

    /// Writes `batch` in one transaction and counts it in `report`; `false` when it could
    /// not be written, with the failure recorded in `report` (at the batch's first line).
    async fn flush(
        &self,
        batch: &mut Vec<(u64, Contact, Option<String>)>,
        report: &mut ImportReport,
        fields: &[CustomField],
    ) -> bool {
        if batch.is_empty() {
            return true;
        }
        match self.write_batch(batch, fields).await {
            Ok(()) => {
                report.imported += batch.len() as u64;
                batch.clear();
                true
            }
            Err(e) => {
                report.stop(batch[0].0, e);
                batch.clear();
                false
            }
        }
    }

    async fn write_batch(
        &self,
        batch: &mut [(u64, Contact, Option<String>)],
        fields: &[CustomField],
    ) -> Result<()> {
        let company = self.session.company_id();
        // The session's standing is read again inside the batch's transaction: a member
        // demoted or removed since the import began writes no further batch.
        let mut tx = self.session.begin().await?;
        let me = self.session.user_id();
        self.session.permit(Action::Create, Resource::Contact { owner: Some(me) })?;
        for (_, contact, _) in batch.iter() {
            self.session.permit(Action::Create, Resource::Contact { owner: contact.owner_id })?;
        }
        usage::reserve(&mut tx, company, Limit::Contacts, batch.len() as u64).await?;
        // Organizations named by rows: found by name, or created (owned by the importing
        // user), once per name in the batch.
        let now = flame_core::clock::now();
        let mut events = Vec::new();
        let mut named: HashMap<String, OrganizationId> = HashMap::new();
        for (_, contact, organization) in batch.iter_mut() {
            let Some(name) = organization else { continue };
            let key = name_key(name);
            let id = match named.get(&key) {
                Some(id) => *id,
                None => {
                    let id = org_link::find_or_create_named(
                        &mut tx,
                        company,
                        name,
                        Some(me),
                        now,
                        &mut events,
                    )
                    .await?;
                    named.insert(key, id);
                    id
                }
            };
            contact.organization_id = Some(id);
        }
        let copied =
            tx.copy_in(COPY_CONTACTS, copy_rows(batch.iter().map(|b| &b.1), fields)).await?;
        if copied.is_none() {
            for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                insert_many(&mut tx, chunk.iter().map(|b| &b.1), fields).await?;
            }
        }
        for (_, contact, _) in batch.iter().filter(|(_, c, _)| !c.custom.is_empty()) {
            let values = custom_field::by_id(fields, CustomEntity::Contact, &contact.custom);
            write_index(&mut tx, company.as_uuid(), contact.id.as_uuid(), fields, &values, true)
                .await?;
        }
        let (first, last) = (batch[0].1.id, batch[batch.len() - 1].1.id);
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
