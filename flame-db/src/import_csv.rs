//! CSV import of contacts (the `csv` feature): the CSV stream read record by record, each
//! record bounded in size, into the batches of `Import::import_numbered`.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flame_core::auth::{Action, Resource};
use flame_core::import::{ContactColumns, ImportReport, MAX_RECORD_BYTES, record_too_long};
use flame_core::{FlameError, Result};

use crate::import::{Import, Row};
use crate::session::Session;

/// A CSV import into the contacts of a session's company ([`Contacts::import_csv`]).
///
/// [`Contacts::import_csv`]: crate::Contacts::import_csv
pub(crate) struct CsvImport<'a> {
    session: &'a Session,
}

impl<'a> CsvImport<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Self { session }
    }

    pub(crate) async fn import_csv_file(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<ImportReport> {
        let file = std::fs::File::open(path.as_ref()).map_err(|e| {
            tracing::debug!(error = %e, "could not open a CSV file to import");
            FlameError::validation("path", "cannot be opened for reading")
        })?;
        self.import_csv(std::io::BufReader::new(file)).await
    }

    pub(crate) async fn import_csv<R: Read + Send>(&self, reader: R) -> Result<ImportReport> {
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
        let fields = crate::custom_field::load(
            &mut self.session.flame().pool().exec(),
            self.session.tenant(),
            flame_core::custom_field::CustomEntity::Contact,
        )
        .await?;
        if let Some(key) = columns.custom_keys().find(|k| !fields.iter().any(|f| f.key == *k)) {
            return Err(FlameError::validation(
                "header",
                format!("custom.{key} is not a custom field of contacts"),
            ));
        }
        let records = CsvRows { csv, columns, mark, record: csv::StringRecord::new(), done: false };
        Import::new(self.session).import_numbered(records).await
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
