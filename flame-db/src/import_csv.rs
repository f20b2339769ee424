//! CSV import (the `csv` feature): the CSV stream read record by record, each record
//! bounded in size, into the batches of an import (`import::run`) of contacts,
//! organizations or deals, each entity's columns read by its flame-core `…Columns`.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flame_core::import::{
    ContactColumns, ContactRow, DealColumns, DealRow, ImportReport, MAX_RECORD_BYTES,
    OrganizationColumns, OrganizationRow, record_too_long,
};
use flame_core::{FlameError, Result};

use crate::import::{Importer, Row};

/// The columns of one entity's CSV, as its flame-core type reads them.
pub(crate) trait Columns: Sized + Send {
    /// A row of the entity's import.
    type Row: Send;
    /// The entity's records, in the error of an unknown custom column (`"contacts"`).
    const RECORDS: &'static str;
    /// Reads the header (a `Validation` error on `header`).
    fn from_header(header: &[&str]) -> Result<Self>;
    /// The custom field keys the header names.
    fn custom_keys(&self) -> Vec<String>;
    /// The row of one record.
    fn row(&self, record: &[&str]) -> Result<Self::Row>;
}

impl Columns for ContactColumns {
    type Row = ContactRow;
    const RECORDS: &'static str = "contacts";
    fn from_header(header: &[&str]) -> Result<Self> {
        ContactColumns::from_header(header)
    }
    fn custom_keys(&self) -> Vec<String> {
        ContactColumns::custom_keys(self).map(str::to_owned).collect()
    }
    fn row(&self, record: &[&str]) -> Result<ContactRow> {
        self.contact(record)
    }
}

impl Columns for OrganizationColumns {
    type Row = OrganizationRow;
    const RECORDS: &'static str = "organizations";
    fn from_header(header: &[&str]) -> Result<Self> {
        OrganizationColumns::from_header(header)
    }
    fn custom_keys(&self) -> Vec<String> {
        OrganizationColumns::custom_keys(self).map(str::to_owned).collect()
    }
    fn row(&self, record: &[&str]) -> Result<OrganizationRow> {
        self.organization(record)
    }
}

impl Columns for DealColumns {
    type Row = DealRow;
    const RECORDS: &'static str = "deals";
    fn from_header(header: &[&str]) -> Result<Self> {
        DealColumns::from_header(header)
    }
    fn custom_keys(&self) -> Vec<String> {
        DealColumns::custom_keys(self).map(str::to_owned).collect()
    }
    fn row(&self, record: &[&str]) -> Result<DealRow> {
        self.deal(record)
    }
}

/// Opens the CSV file at `path` for an import: a `Validation` error on `path` when it cannot
/// be opened for reading.
pub(crate) fn open(path: &std::path::Path) -> Result<std::io::BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| {
        tracing::debug!(error = %e, "could not open a CSV file to import");
        FlameError::validation("path", "cannot be opened for reading")
    })?;
    Ok(std::io::BufReader::new(file))
}

/// Imports the CSV `reader` (first line the header, read by `C`) with `importer`, which has
/// already checked that the session may import and read the custom field definitions
/// (`known`: their keys). A bad header — not UTF-8, longer than [`MAX_RECORD_BYTES`], an
/// unknown or repeated column, a custom column of no field — is a `Validation` error on
/// `header` and nothing is imported.
pub(crate) async fn import<C, M, R>(
    importer: &mut M,
    known: &[String],
    reader: R,
) -> Result<ImportReport>
where
    C: Columns,
    M: Importer<Row = C::Row>,
    R: Read + Send,
{
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
    let columns = C::from_header(&header.iter().collect::<Vec<_>>())?;
    if let Some(key) = columns.custom_keys().into_iter().find(|k| !known.contains(k)) {
        return Err(FlameError::validation(
            "header",
            format!("custom.{key} is not a custom field of {}", C::RECORDS),
        ));
    }
    let records = CsvRows { csv, columns, mark, record: csv::StringRecord::new(), done: false };
    Ok(crate::import::run(importer, records).await)
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
struct CsvRows<R, C> {
    csv: csv::Reader<Bounded<R>>,
    columns: C,
    mark: Arc<AtomicU64>,
    record: csv::StringRecord,
    done: bool,
}

impl<R: Read, C: Columns> Iterator for CsvRows<R, C> {
    type Item = (u64, Row<C::Row>);

    fn next(&mut self) -> Option<(u64, Row<C::Row>)> {
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
                // A `'` an export put before a formula character comes off.
                let fields: Vec<&str> =
                    self.record.iter().map(flame_core::import::unescape_cell).collect();
                Some((
                    line,
                    match self.columns.row(&fields) {
                        Ok(row) => Row::Record(row),
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
