//! CSV export (the `csv` feature): the writer every export goes through ([`CsvOut`]: a
//! header, then records, flushed to the host's `Write` after every page) and the lookups
//! that turn the ids a page's records hold into what the CSV names them by (members'
//! emails, organizations' domains or names, contacts' emails or names, pipelines', stages'
//! and sources' names), read per page or once per export, so that memory stays bounded by a
//! page whatever the number of records. The walk over pages is each handle's own
//! (`Contacts::export_csv`, `Organizations::export_csv`, `Deals::export_csv`): its `list`,
//! a page at a time.
//!
//! Cells are written as the records hold them, quoted where CSV needs it; a cell that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage return first) gets
//! a leading `'`, which the import takes off again (`flame_core::import::escape_cell`), so an
//! export is safe to open in a spreadsheet and still re-imports losslessly.

use std::collections::HashMap;
use std::io::Write;

use flame_core::import::{contact_reference, organization_reference};
use flame_core::{
    ContactId, FlameError, OrganizationId, PipelineId, Result, SourceId, StageId, UserId,
};

use crate::session::Session;
use crate::sql::{Executor, Statement, args};

/// Records per page an export reads (the largest page a list serves).
pub(crate) const PAGE: u32 = flame_core::page::MAX_LIMIT;

/// A CSV being written to a host's `Write`.
pub(crate) struct CsvOut<W: Write> {
    csv: csv::Writer<W>,
    rows: u64,
}

fn write_error(e: impl std::fmt::Display) -> FlameError {
    tracing::warn!(error = %e, "could not write the CSV output");
    FlameError::storage("could not write the CSV output")
}

impl<W: Write> CsvOut<W> {
    /// Starts a CSV on `writer` with its `header` row.
    pub(crate) fn new(writer: W, header: &[String]) -> Result<Self> {
        let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(writer);
        csv.write_record(header).map_err(write_error)?;
        Ok(Self { csv, rows: 0 })
    }

    /// Writes one record, each cell escaped where a spreadsheet would read a formula
    /// ([`escape_cell`](flame_core::import::escape_cell)).
    pub(crate) fn write(&mut self, record: &[String]) -> Result<()> {
        let cells = record.iter().map(|cell| flame_core::import::escape_cell(cell));
        self.csv.write_record(cells.map(|c| c.into_owned())).map_err(write_error)?;
        self.rows += 1;
        Ok(())
    }

    /// Hands what was written so far to the host's writer (after each page).
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.csv.flush().map_err(write_error)
    }

    /// Flushes the last records; returns how many records were written (the header aside).
    pub(crate) fn finish(mut self) -> Result<u64> {
        self.flush()?;
        Ok(self.rows)
    }
}

/// Creates (or truncates) the file at `path` for an export: a `Validation` error on `path`
/// when it cannot be opened for writing.
pub(crate) fn create(path: &std::path::Path) -> Result<std::io::BufWriter<std::fs::File>> {
    let file = std::fs::File::create(path).map_err(|e| {
        tracing::debug!(error = %e, "could not create a CSV file to export to");
        FlameError::validation("path", "cannot be opened for writing")
    })?;
    Ok(std::io::BufWriter::new(file))
}

/// The emails of the members of the session's company, by user id (a record whose owner or
/// assignee is no longer a member exports a blank cell).
pub(crate) async fn member_emails(
    exec: &mut impl Executor,
    session: &Session,
) -> Result<HashMap<UserId, String>> {
    let rows = exec
        .fetch_all(
            "SELECT m.user_id AS user_id, u.email AS email FROM memberships m
             JOIN users u ON u.id = m.user_id WHERE m.company_id = $1",
            args![session.tenant()],
        )
        .await?;
    rows.iter().map(|r| Ok((r.id("user_id")?, r.get("email")?))).collect()
}

/// `SELECT {columns} FROM {table} WHERE company_id = … AND id IN (ids)`, the rows of one
/// page's references.
async fn rows_of(
    exec: &mut impl Executor,
    session: &Session,
    columns: &str,
    table: &str,
    ids: &[uuid::Uuid],
) -> Result<Vec<crate::sql::Row>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Statement::new("", vec![]);
    let company = q.bind(session.tenant());
    let list = ids.iter().map(|id| q.bind(*id)).collect::<Vec<_>>().join(", ");
    q.push(&format!(
        "SELECT {columns} FROM {table} WHERE company_id = {company} AND id IN ({list})"
    ));
    let (sql, args) = q.build();
    exec.fetch_all(sql, args).await
}

/// The organizations of a page by
/// [`organization_reference`](flame_core::import::organization_reference) (domain, else
/// name), by id.
pub(crate) async fn organization_references(
    exec: &mut impl Executor,
    session: &Session,
    ids: impl Iterator<Item = OrganizationId>,
) -> Result<HashMap<OrganizationId, String>> {
    let mut ids: Vec<uuid::Uuid> = ids.map(|id| id.as_uuid()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = rows_of(exec, session, "id, name, domain", "organizations", &ids).await?;
    rows.iter()
        .map(|r| {
            let domain: Option<String> = r.get("domain")?;
            Ok((r.id("id")?, organization_reference(&r.get::<String>("name")?, domain.as_deref())))
        })
        .collect()
}

/// The contacts of a page by [`contact_reference`](flame_core::import::contact_reference)
/// (email, else full name), by id.
pub(crate) async fn contact_references(
    exec: &mut impl Executor,
    session: &Session,
    ids: impl Iterator<Item = ContactId>,
) -> Result<HashMap<ContactId, String>> {
    let mut ids: Vec<uuid::Uuid> = ids.map(|id| id.as_uuid()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = rows_of(exec, session, "id, first_name, last_name, email", "contacts", &ids).await?;
    rows.iter()
        .map(|r| {
            let first: String = r.get("first_name")?;
            let name = match r.get::<Option<String>>("last_name")? {
                Some(last) => format!("{first} {last}"),
                None => first,
            };
            let email: Option<String> = r.get("email")?;
            Ok((r.id("id")?, contact_reference(email.as_deref(), &name)))
        })
        .collect()
}

/// The names of the company's pipelines and stages, by id (read once per export: a
/// company has few).
pub(crate) async fn stage_names(
    exec: &mut impl Executor,
    session: &Session,
) -> Result<(HashMap<PipelineId, String>, HashMap<StageId, String>)> {
    let pipelines = exec
        .fetch_all("SELECT id, name FROM pipelines WHERE company_id = $1", args![session.tenant()])
        .await?
        .iter()
        .map(|r| Ok((r.id("id")?, r.get("name")?)))
        .collect::<Result<_>>()?;
    let stages = exec
        .fetch_all("SELECT id, name FROM stages WHERE company_id = $1", args![session.tenant()])
        .await?
        .iter()
        .map(|r| Ok((r.id("id")?, r.get("name")?)))
        .collect::<Result<_>>()?;
    Ok((pipelines, stages))
}

/// The names of the company's lead sources, by id (read once per export).
pub(crate) async fn source_names(
    exec: &mut impl Executor,
    session: &Session,
) -> Result<HashMap<SourceId, String>> {
    exec.fetch_all("SELECT id, name FROM sources WHERE company_id = $1", args![session.tenant()])
        .await?
        .iter()
        .map(|r| Ok((r.id("id")?, r.get("name")?)))
        .collect()
}
