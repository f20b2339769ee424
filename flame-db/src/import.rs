//! Bulk import of contacts, from an iterator or a CSV stream: rows are validated one by one,
//! good ones inserted in batches (one transaction per batch: `COPY` on PostgreSQL,
//! multi-row statements on SQLite), bad ones
//! reported with their line and reason. Memory stays bounded by the batch size, whatever the
//! input's size.

use std::collections::BTreeSet;
#[cfg(feature = "csv")]
use std::io::Read;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::contact::{Contact, NewContact};
use flame_core::event::EventPayload;
use flame_core::import::ImportReport;
use flame_core::{FlameError, Result, UserId};

use crate::contact::Contacts;
use crate::sql::{Arg, Executor, Tx, args};
use crate::{outbox, usage};

/// Rows per transaction.
const BATCH: usize = 5_000;
/// Rows per INSERT statement (13 values each; SQLite and PostgreSQL both take this many).
const ROWS_PER_STATEMENT: usize = 200;

impl Contacts {
    /// Imports contacts from `rows`, in batches of 5,000, one transaction per batch. Each
    /// row is validated like [`create`](Self::create); a bad row is rejected and reported
    /// (its 1-based position as `line`) and the rest go on. Rows without an owner are the
    /// session's user's; a row naming an owner who is not a member is rejected.
    ///
    /// The plan's contact limit applies per batch: a batch that would exceed it is not
    /// written and the import stops with `PlanLimitExceeded` (earlier batches stay imported).
    /// One `contacts.imported` event is written per batch.
    pub async fn import<I>(&self, rows: I) -> Result<ImportReport>
    where
        I: IntoIterator<Item = NewContact>,
        I::IntoIter: Send,
    {
        self.import_rows(rows.into_iter().enumerate().map(|(i, row)| (i as u64 + 1, Ok(row)))).await
    }

    /// Imports contacts from CSV text (UTF-8, comma-separated, first line the header; see
    /// [`flame_core::import::CONTACT_COLUMNS`]). A bad header is a `Validation` error on
    /// `header` and nothing is imported; a bad record — ragged, not UTF-8, an invalid value —
    /// is reported with its line and the rest go on. (The `csv` feature, on by default.)
    #[cfg(feature = "csv")]
    pub async fn import_csv<R: Read + Send>(&self, reader: R) -> Result<ImportReport> {
        self.session
            .authorize(Action::Create, Resource::Contact { owner: Some(self.session.user_id()) })
            .await?;
        let mut csv =
            csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(reader);
        let header = csv
            .headers()
            .map_err(|_| FlameError::validation("header", "is not a valid UTF-8 CSV header"))?
            .clone();
        let columns =
            flame_core::import::ContactColumns::from_header(&header.iter().collect::<Vec<_>>())?;
        let records = csv.into_records().map(move |record| match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                let fields: Vec<&str> = r.iter().collect();
                (line, columns.contact(&fields))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    // The input itself failed: stop, rather than report it as a bad line.
                    tracing::warn!(error = %e, "could not read the CSV input");
                    return (line, Err(FlameError::storage("could not read the CSV input")));
                }
                (line, Err(FlameError::validation("row", "is not valid UTF-8 CSV")))
            }
        });
        self.import_rows(records).await
    }

    async fn import_rows<I>(&self, rows: I) -> Result<ImportReport>
    where
        I: Iterator<Item = (u64, Result<NewContact>)> + Send,
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
        let mut report = ImportReport::default();
        let mut batch: Vec<(u64, Contact)> = Vec::with_capacity(BATCH);
        for (line, row) in rows {
            let now = flame_core::clock::now();
            let checked = row.and_then(|input| {
                let owner = input.owner_id.unwrap_or(me);
                self.session.permit(Action::Create, Resource::Contact { owner: Some(owner) })?;
                if !members.contains(&owner) {
                    return Err(FlameError::validation(
                        "owner_id",
                        "is not a member of this company",
                    ));
                }
                Contact::create(company, &input, me, now)
            });
            match checked {
                Ok(contact) => batch.push((line, contact)),
                Err(e @ (FlameError::Validation { .. } | FlameError::Forbidden { .. })) => {
                    report.reject(line, &e)
                }
                Err(other) => return Err(other),
            }
            if batch.len() == BATCH {
                self.flush(&mut batch, &mut report).await?;
            }
        }
        self.flush(&mut batch, &mut report).await?;
        Ok(report)
    }

    async fn flush(
        &self,
        batch: &mut Vec<(u64, Contact)>,
        report: &mut ImportReport,
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let company = self.session.company_id();
        let mut tx = self.session.begin().await?;
        usage::reserve(&mut tx, company, Limit::Contacts, batch.len() as u64).await?;
        let copied = tx.copy_in(COPY_CONTACTS, copy_rows(batch.iter().map(|(_, c)| c))).await?;
        if copied.is_none() {
            for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                insert_many(&mut tx, chunk.iter().map(|(_, c)| c)).await?;
            }
        }
        let (first, last) = (batch[0].1.id, batch[batch.len() - 1].1.id);
        let now = flame_core::clock::now();
        let event = EventPayload::ContactsImported {
            count: batch.len() as u64,
            first_id: first,
            last_id: last,
        };
        outbox::record(&mut tx, company, Some(self.session.user_id()), now, vec![event]).await?;
        tx.commit().await?;
        report.imported += batch.len() as u64;
        batch.clear();
        Ok(())
    }
}

/// PostgreSQL's bulk load of the columns [`copy_rows`] writes.
const COPY_CONTACTS: &str = "COPY contacts (company_id, id, first_name, last_name, email, phone,
    organization, owner_id, search_name, last_name_key, created_at, updated_at, version) FROM STDIN";

/// Validated contacts in `COPY`'s text format (a line per row, tab-separated, `\N` for
/// null), the same values [`insert_many`] binds.
fn copy_rows<'a>(contacts: impl Iterator<Item = &'a Contact>) -> Vec<u8> {
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
        text(&mut out, c.organization.as_deref());
        out.push('\t');
        text(&mut out, c.owner_id.map(|o| o.as_uuid().to_string()).as_deref());
        out.push('\t');
        text(&mut out, Some(&c.search_name()));
        out.push('\t');
        text(&mut out, c.last_name.as_ref().map(|l| l.to_lowercase()).as_deref());
        let _ = writeln!(out, "\t{}\t{}\t{}", time(c.created_at), time(c.updated_at), c.version);
    }
    out.into_bytes()
}

/// One multi-row INSERT of validated contacts.
pub(crate) async fn insert_many<'a>(
    tx: &mut Tx,
    contacts: impl Iterator<Item = &'a Contact>,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization,
                               owner_id, search_name, last_name_key, created_at, updated_at, version)
         VALUES ",
    );
    let mut values: Vec<Arg> = Vec::new();
    for (i, c) in contacts.enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let base = values.len();
        sql.push('(');
        sql.push_str(&(1..=13).map(|k| format!("${}", base + k)).collect::<Vec<_>>().join(", "));
        sql.push(')');
        values.extend(args![
            c.company_id.as_uuid(),
            c.id.as_uuid(),
            c.first_name.clone(),
            c.last_name.clone(),
            c.email.as_ref().map(|e| e.as_str().to_owned()),
            c.phone.as_ref().map(|p| p.as_str().to_owned()),
            c.organization.clone(),
            c.owner_id.map(|o| o.as_uuid()),
            c.search_name(),
            c.last_name.as_ref().map(|l| l.to_lowercase()),
            c.created_at,
            c.updated_at,
            c.version,
        ]);
    }
    tx.execute(sql, values).await?;
    Ok(())
}
