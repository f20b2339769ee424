//! Bulk import of contacts, from an iterator or a CSV stream: rows are validated one by one,
//! good ones inserted in batches (one transaction per batch: `COPY` on PostgreSQL,
//! multi-row statements on SQLite), bad ones
//! reported with their line and reason. Memory stays bounded by the batch size, whatever the
//! input's size.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::contact::{Contact, NewContact};
use flame_core::event::EventPayload;
use flame_core::import::{ContactColumns, ImportReport, MAX_RECORD_BYTES, record_too_long};
use flame_core::{FlameError, Result, UserId};

use crate::contact::Contacts;
use crate::sql::{Arg, Executor, Tx, args};
use crate::{outbox, usage};

/// Rows per transaction.
const BATCH: usize = 5_000;
/// Rows per INSERT statement (13 values each; SQLite and PostgreSQL both take this many).
const ROWS_PER_STATEMENT: usize = 200;

/// One row of an import's input.
enum Row {
    /// A contact to check and import.
    Contact(NewContact),
    /// A bad row: reported with its line, and the import goes on.
    Rejected(FlameError),
    /// The input cannot be read on from here: the import stops, reporting this error.
    Stop(FlameError),
}

impl Contacts {
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
    pub async fn import<I>(&self, rows: I) -> Result<ImportReport>
    where
        I: IntoIterator<Item = NewContact>,
        I::IntoIter: Send,
    {
        self.import_rows(
            rows.into_iter().enumerate().map(|(i, row)| (i as u64 + 1, Row::Contact(row))),
        )
        .await
    }

    /// Imports contacts from CSV text (UTF-8, comma-separated, first line the header; see
    /// [`flame_core::import::CONTACT_COLUMNS`]). A bad header is a `Validation` error on
    /// `header` and nothing is imported; a bad record — ragged, not UTF-8, an invalid value,
    /// longer than [`MAX_RECORD_BYTES`] — is reported with its line and the rest go on.
    ///
    /// Memory stays bounded per record too: a record so long that it would hold more than
    /// about twice [`MAX_RECORD_BYTES`] in memory, or an input that fails to read, stops the
    /// import like a failing batch ([`ImportReport::failed`]: a `Validation` error on `row`,
    /// or a `Storage` error): the batch it is in is not written, the earlier ones stay.
    pub async fn import_csv<R: Read + Send>(&self, reader: R) -> Result<ImportReport> {
        self.session
            .authorize(Action::Create, Resource::Contact { owner: Some(self.session.user_id()) })
            .await?;
        let mark = Arc::new(AtomicU64::new(0));
        let bounded = Bounded { inner: reader, pulled: 0, mark: Arc::clone(&mark) };
        let mut csv = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .buffer_capacity(CSV_BUFFER)
            .from_reader(bounded);
        let header = match csv.headers() {
            Ok(header) => header.clone(),
            Err(e) if is_too_long(&e) => return Err(record_too_long("header")),
            Err(_) => {
                return Err(FlameError::validation("header", "is not a valid UTF-8 CSV header"));
            }
        };
        if header.as_slice().len() > MAX_RECORD_BYTES {
            return Err(record_too_long("header"));
        }
        let columns = ContactColumns::from_header(&header.iter().collect::<Vec<_>>())?;
        let records = CsvRows { csv, columns, mark, record: csv::StringRecord::new(), done: false };
        self.import_rows(records).await
    }

    async fn import_rows<I>(&self, rows: I) -> Result<ImportReport>
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
        let mut report = ImportReport::default();
        let mut batch: Vec<(u64, Contact)> = Vec::with_capacity(BATCH);
        for (line, row) in rows {
            let now = flame_core::clock::now();
            let checked = match row {
                Row::Contact(input) => {
                    let owner = input.owner_id.unwrap_or(me);
                    self.session
                        .permit(Action::Create, Resource::Contact { owner: Some(owner) })
                        .and_then(|_| match members.contains(&owner) {
                            true => Contact::create(company, &input, me, now),
                            false => Err(FlameError::validation(
                                "owner_id",
                                "is not a member of this company",
                            )),
                        })
                }
                Row::Rejected(e) => Err(e),
                Row::Stop(e) => {
                    // The batch being read is not written: the import stops at its start.
                    report.stop(batch.first().map_or(line, |(first, _)| *first), e);
                    return Ok(report);
                }
            };
            match checked {
                Ok(contact) => batch.push((line, contact)),
                Err(e @ (FlameError::Validation { .. } | FlameError::Forbidden { .. })) => {
                    report.reject(line, &e)
                }
                Err(other) => {
                    report.stop(batch.first().map_or(line, |(first, _)| *first), other);
                    return Ok(report);
                }
            }
            if batch.len() == BATCH && !self.flush(&mut batch, &mut report).await {
                return Ok(report);
            }
        }
        self.flush(&mut batch, &mut report).await;
        Ok(report)
    }

    /// Writes `batch` in one transaction and counts it in `report`; `false` when it could
    /// not be written, with the failure recorded in `report` (at the batch's first line).
    async fn flush(&self, batch: &mut Vec<(u64, Contact)>, report: &mut ImportReport) -> bool {
        if batch.is_empty() {
            return true;
        }
        match self.write_batch(batch).await {
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

    async fn write_batch(&self, batch: &[(u64, Contact)]) -> Result<()> {
        let company = self.session.company_id();
        // The session's standing is read again inside the batch's transaction: a member
        // demoted or removed since the import began writes no further batch.
        let mut tx = self.session.begin().await?;
        let me = self.session.user_id();
        self.session.permit(Action::Create, Resource::Contact { owner: Some(me) })?;
        for (_, contact) in batch {
            self.session.permit(Action::Create, Resource::Contact { owner: contact.owner_id })?;
        }
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
        outbox::record(&mut tx, company, Some(me), now, vec![event]).await?;
        tx.commit().await
    }
}

/// The CSV reader's buffer: how far it reads ahead of the record it parses.
const CSV_BUFFER: usize = 8 * 1024;

/// The marker of a record past the bound, inside the I/O error [`Bounded`] answers.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a CSV record is longer than {MAX_RECORD_BYTES} bytes")
    }
}

impl std::error::Error for RecordTooLong {}

/// The CSV input, refusing to hand the parser more than [`MAX_RECORD_BYTES`] (plus its
/// read-ahead) past the start of the record it is on (`mark`, set before each record): the
/// parser keeps a record whole in memory, so this bounds the memory one record can take.
struct Bounded<R> {
    inner: R,
    pulled: u64,
    mark: Arc<AtomicU64>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = self.mark.load(Ordering::Relaxed);
        if self.pulled.saturating_sub(start) > (MAX_RECORD_BYTES + CSV_BUFFER) as u64 {
            return Err(std::io::Error::other(RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        self.pulled += n as u64;
        Ok(n)
    }
}

fn is_too_long(error: &csv::Error) -> bool {
    match error.kind() {
        csv::ErrorKind::Io(io) => io.get_ref().is_some_and(|e| e.is::<RecordTooLong>()),
        _ => false,
    }
}

/// The records of a CSV input after its header, as rows of an import.
struct CsvRows<R> {
    csv: csv::Reader<Bounded<R>>,
    columns: ContactColumns,
    mark: Arc<AtomicU64>,
    record: csv::StringRecord,
    done: bool,
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = (u64, Row);

    fn next(&mut self) -> Option<(u64, Row)> {
        if self.done {
            return None;
        }
        let start = self.csv.position().clone();
        self.mark.store(start.byte(), Ordering::Relaxed);
        match self.csv.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(start.line(), |p| p.line());
                let length = self.csv.position().byte().saturating_sub(start.byte());
                if length > MAX_RECORD_BYTES as u64 {
                    return Some((line, Row::Rejected(record_too_long("row"))));
                }
                let fields: Vec<&str> = self.record.iter().collect();
                Some((
                    line,
                    match self.columns.contact(&fields) {
                        Ok(contact) => Row::Contact(contact),
                        Err(e) => Row::Rejected(e),
                    },
                ))
            }
            Err(e) if is_too_long(&e) => {
                self.done = true;
                Some((start.line(), Row::Stop(record_too_long("row"))))
            }
            Err(e) => {
                let line = e.position().map_or(start.line(), |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    // The input itself failed: stop, rather than report it as a bad line.
                    tracing::warn!(error = %e, "could not read the CSV input");
                    self.done = true;
                    return Some((
                        line,
                        Row::Stop(FlameError::storage("could not read the CSV input")),
                    ));
                }
                Some((line, Row::Rejected(FlameError::validation("row", "is not valid UTF-8 CSV"))))
            }
        }
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
    let time = crate::sqlite::encode_time;
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
