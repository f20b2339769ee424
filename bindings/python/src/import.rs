//! Bulk import of contacts: the `NewContact` rows an iterable yields (or mappings of the same
//! keys), the `ImportReport` with its `RowError`s, and the conversions behind
//! `Contacts.import_rows` and `Contacts.import_csv`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyMapping, PyString};
use uuid::Uuid;

use flame_core::contact::NewContact as RNewContact;
use flame_core::import::{
    ContactRow, ImportFailure as RImportFailure, ImportReport as RImportReport,
    MAX_REPORTED_ERRORS, RowError as RRowError,
};
use flame_core::{OrganizationId, UserId};

use crate::csv_io::{self, CsvSource};
use crate::errors::to_py_err;
use crate::records::record;
use crate::runtime::{run, run_infallible};

/// Rows converted (with the GIL) and imported (without it) at a time by
/// `Contacts.import_rows`: the size of the Rust import's own batches, so that memory stays
/// bounded whatever the iterable's length.
pub(crate) const IMPORT_CHUNK: usize = 5_000;

/// The keys a row mapping may have: the arguments of `Contacts.create`.
const ROW_KEYS: &str = "first_name, last_name, email, phone, phone_region, organization_id, \
     organization (a domain or name, found or created), owner_id, owner (a member's email), \
     tags (a list of names) or custom";

record! {
    /// A contact to import: `NewContact(first_name, *, last_name=None, email=None, ...)`, the
    /// same fields as `Contacts.create`. It is checked when imported, not when made.
    NewContact = "NewContact" (RNewContact) |c, py| {
        first_name;
        last_name;
        email;
        phone;
        phone_region;
        organization_id;
        owner_id;
        custom;
    }
    stub r#"
        def __new__(
            cls,
            first_name: str,
            *,
            last_name: Optional[str] = None,
            email: Optional[str] = None,
            phone: Optional[str] = None,
            phone_region: Optional[str] = None,
            organization_id: Optional[UUID] = None,
            owner_id: Optional[UUID] = None,
            custom: Optional[Mapping[str, Union[str, Decimal, int, Money, date, datetime, bool, Sequence[str]]]] = None,
        ) -> NewContact:
            """A contact row; blank optional text counts as absent."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (first_name, *, last_name=None, email=None, phone=None, phone_region=None, organization_id=None, owner_id=None, custom=None))]
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn new(
            first_name: String,
            last_name: Option<String>,
            email: Option<String>,
            phone: Option<String>,
            phone_region: Option<String>,
            organization_id: Option<Uuid>,
            owner_id: Option<Uuid>,
            custom: Option<&Bound<'_, pyo3::types::PyDict>>,
        ) -> PyResult<Self> {
            Ok(NewContact(RNewContact {
                first_name,
                last_name,
                email,
                phone,
                phone_region,
                organization_id: organization_id.map(OrganizationId::from_uuid),
                owner_id: owner_id.map(UserId::from_uuid),
                custom: crate::custom::values_from_py(custom)?,
            }))
        }
    }
}

record! {
    RowError = "RowError" (RRowError) |e, py| {
        line;
        field;
        reason;
    }
}

record! {
    ImportFailure = "ImportFailure" (RImportFailure) |f, py| {
        line;
        /// Why, as the exception it would raise (`ForbiddenError` for a member demoted
        /// during the import, `PlanLimitExceededError`, `ValidationError` on "row" for a
        /// record past the size bound, `StorageError`…).
        error: "FlameError" => to_py_err(py, f.error.clone()).into_value(py).into_bound(py).into_any();
    }
}

record! {
    /// What an import did: how many rows were imported and rejected, the rejected rows in
    /// order (the first 1,000; `rejected` counts them all), and where and why it stopped
    /// when it did not read its whole input (`failed`, else `None`).
    ImportReport = "ImportReport" (RImportReport) |r, py| {
        imported;
        rejected;
        /// The rejected rows, in order, up to 1,000.
        errors;
        /// Where and why the import stopped early; `None` when it read everything.
        failed;
    }
}

/// The contact in one row of an iterable: a `NewContact`, or a mapping with the keys of
/// `Contacts.create` (a missing or `None` `first_name` is imported as blank, and so rejected
/// with the row's line like any invalid value), or the keys of the CSV's columns:
/// `organization` (the domain or name of the company's organization, found or created),
/// `owner` (a member's email) and `tags` (a list of names, created on first use). Type errors
/// name the row and the key, never the value.
fn row_from_py(row: &Bound<'_, PyAny>, line: u64) -> PyResult<ContactRow> {
    if let Ok(contact) = row.cast::<NewContact>() {
        return Ok(ContactRow::from(contact.get().0.clone()));
    }
    let Ok(mapping) = row.cast::<PyMapping>() else {
        let type_name = row.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "row {line}: expected a NewContact or a mapping, not {type_name}"
        )));
    };
    let mut contact = RNewContact::default();
    let mut organization = None;
    let mut owner = None;
    let mut tags = Vec::new();
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key = key
            .cast_into::<PyString>()
            .map_err(|_| PyTypeError::new_err(format!("row {line}: keys must be str")))?;
        let key_repr = key.repr()?.to_cow()?.into_owned();
        let key = key.to_cow()?.into_owned();
        let text = |value: &Bound<'_, PyAny>| -> PyResult<Option<String>> {
            if value.is_none() {
                return Ok(None);
            }
            let text = value.cast::<PyString>().map_err(|_| {
                let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                PyTypeError::new_err(format!(
                    "row {line}: {key} must be a str or None, not {type_name}"
                ))
            })?;
            Ok(Some(text.to_cow()?.into_owned()))
        };
        match key.as_str() {
            "first_name" => contact.first_name = text(&value)?.unwrap_or_default(),
            "last_name" => contact.last_name = text(&value)?,
            "email" => contact.email = text(&value)?,
            "phone" => contact.phone = text(&value)?,
            "phone_region" => contact.phone_region = text(&value)?,
            "organization" => organization = text(&value)?,
            "owner" => owner = text(&value)?,
            "tags" => {
                tags = crate::tags::names(Some(&value)).map_err(|_| {
                    PyTypeError::new_err(format!("row {line}: tags must be a list of str"))
                })?;
            }
            "organization_id" => {
                let id: Option<Uuid> = value.extract().map_err(|_| {
                    let type_name =
                        value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                    PyTypeError::new_err(format!(
                        "row {line}: organization_id must be a uuid.UUID or None, not {type_name}"
                    ))
                })?;
                contact.organization_id = id.map(OrganizationId::from_uuid);
            }
            "owner_id" => {
                let owner: Option<Uuid> = value.extract().map_err(|_| {
                    let type_name =
                        value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                    PyTypeError::new_err(format!(
                        "row {line}: owner_id must be a uuid.UUID or None, not {type_name}"
                    ))
                })?;
                contact.owner_id = owner.map(UserId::from_uuid);
            }
            "custom" => {
                let custom = value.cast::<pyo3::types::PyDict>().map_err(|_| {
                    PyTypeError::new_err(format!("row {line}: custom must be a dict"))
                })?;
                contact.custom = crate::custom::values_from_py(Some(custom))?;
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "row {line}: unknown key {key_repr} (expected {ROW_KEYS})"
                )));
            }
        }
    }
    // The keys above are the core struct's fields: naming every field here, without `..`,
    // makes a field added to `NewContact` fail to compile until this match (and `ROW_KEYS`)
    // reads it.
    let RNewContact {
        first_name: _,
        last_name: _,
        email: _,
        phone: _,
        phone_region: _,
        organization_id: _,
        owner_id: _,
        custom: _,
    } = &contact;
    Ok(ContactRow { contact, organization, owner, tags })
}

/// Adds the report of the chunk whose first row is row `offset + 1` of the whole import:
/// counts are summed, the chunk's lines shifted by `offset`, and the listed errors kept to
/// the first [`MAX_REPORTED_ERRORS`] as one import would.
fn add_chunk(total: &mut RImportReport, chunk: RImportReport, offset: u64) {
    total.imported += chunk.imported;
    total.rejected += chunk.rejected;
    let room = MAX_REPORTED_ERRORS.saturating_sub(total.errors.len());
    total.errors.extend(chunk.errors.into_iter().take(room).map(|mut e| {
        e.line += offset;
        e
    }));
    if let Some(mut failed) = chunk.failed {
        failed.line += offset;
        total.failed = Some(failed);
    }
}

/// `Contacts.import_rows`: converts [`IMPORT_CHUNK`] rows of `rows` at a time with the GIL,
/// imports each chunk with `Contacts::import_rows` with the GIL released, and sums the reports.
/// A row of the wrong shape raises `TypeError` before its chunk is imported, as an error of
/// the iterable itself does; earlier chunks stay imported, like the batches of one import.
pub(crate) fn import_rows(
    py: Python<'_>,
    api: &flame_db::Contacts,
    rows: &Bound<'_, PyAny>,
) -> PyResult<ImportReport> {
    let mut iter = rows.try_iter()?;
    let mut total = RImportReport::default();
    let mut offset = 0_u64;
    loop {
        let mut chunk = Vec::with_capacity(IMPORT_CHUNK);
        for row in iter.by_ref().take(IMPORT_CHUNK) {
            let line = offset + chunk.len() as u64 + 1;
            chunk.push(row_from_py(&row?, line)?);
        }
        let n = chunk.len();
        // The first chunk is imported even when empty, so that permissions are checked.
        if n == 0 && offset > 0 {
            break;
        }
        let api = api.clone();
        let report = match run_infallible(py, async move { api.import_rows(chunk).await })? {
            Ok(report) => report,
            // After a chunk was imported, a chunk refused as a whole (a session revoked or
            // demoted since) is where the import stopped: the report of the chunks before it
            // is kept, not lost to an exception.
            Err(error) if offset > 0 => {
                total.stop(offset + 1, error);
                break;
            }
            Err(error) => return Err(to_py_err(py, error)),
        };
        let stopped = report.failed.is_some();
        add_chunk(&mut total, report, offset);
        offset += n as u64;
        if n < IMPORT_CHUNK || stopped {
            break;
        }
    }
    Ok(ImportReport(total))
}

/// `Contacts.import_csv`: `bytes` are the CSV text; anything else is a path (`str` or
/// `os.PathLike`), opened and streamed by Rust with the GIL released, never read whole.
pub(crate) fn import_csv(
    py: Python<'_>,
    api: &flame_db::Contacts,
    source: &Bound<'_, PyAny>,
) -> PyResult<ImportReport> {
    let api = api.clone();
    match csv_io::source(source)? {
        CsvSource::Bytes(text) => run(py, async move { api.import_csv(text).await }),
        CsvSource::Path(path) => run(py, async move { api.import_csv_file(path).await }),
    }
    .map(ImportReport)
}

/// Adds the import classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NewContact>()?;
    m.add_class::<RowError>()?;
    m.add_class::<ImportReport>()?;
    m.add_class::<ImportFailure>()?;
    Ok(())
}
