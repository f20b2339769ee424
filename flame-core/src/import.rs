//! Bulk import of contacts: how CSV columns map onto [`NewContact`], and the report of what
//! was imported and what was rejected (every rejected row, with its line and reason, up to
//! [`MAX_REPORTED_ERRORS`]; the count is always exact). Good rows are imported, bad rows are
//! reported, nothing is dropped silently.

use serde::{Deserialize, Serialize};

use crate::contact::NewContact;
use crate::custom_field::CustomValue;
use crate::error::{FlameError, Result};

/// The most rejected rows an [`ImportReport`] lists one by one (it still counts them all).
pub const MAX_REPORTED_ERRORS: usize = 1_000;

/// The most bytes one CSV record (the header included) may have. A longer record is
/// rejected as a `Validation` error on `row` ([`record_too_long`]); one so long that reading
/// it would hold more than about this much again in memory stops the import there
/// ([`ImportReport::failed`]).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// The error of a CSV record longer than [`MAX_RECORD_BYTES`]: a `Validation` on `field`
/// (`"row"`, or `"header"` for the first line).
pub fn record_too_long(field: &str) -> FlameError {
    FlameError::validation(field, format!("is longer than {MAX_RECORD_BYTES} bytes"))
}

/// The columns a contacts CSV may have (header names, case-insensitive): `first_name`
/// (required), `last_name`, `email`, `phone`, `phone_region`, `organization`; and a
/// [`CUSTOM_PREFIX`]`<key>` column per custom field (`custom.industry`), whose cells are the
/// values' text forms ([`CustomValue::to_text`](crate::custom_field::CustomValue::to_text)).
/// The `organization` column names the contact's organization: the company's organization
/// of that name (case-insensitively; the oldest when several have it), created when there is
/// none (see [`ContactRow`]).
pub const CONTACT_COLUMNS: [&str; 6] =
    ["first_name", "last_name", "email", "phone", "phone_region", "organization"];

/// What starts the header of a custom field's column.
pub const CUSTOM_PREFIX: &str = "custom.";

/// Where each known column is in a CSV's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactColumns {
    positions: [Option<usize>; 6],
    custom: Vec<(String, usize)>,
    width: usize,
}

impl ContactColumns {
    /// Reads the header row. A missing `first_name` column, an unknown column (it would be
    /// dropped silently) or a repeated one is a `Validation` error on `header`.
    pub fn from_header<S: AsRef<str>>(header: &[S]) -> Result<Self> {
        let mut positions = [None; 6];
        let mut custom: Vec<(String, usize)> = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.as_ref().trim().trim_start_matches('\u{feff}').to_lowercase();
            if let Some(key) = name.strip_prefix(CUSTOM_PREFIX) {
                if custom.iter().any(|(k, _)| k == key) {
                    return Err(FlameError::validation(
                        "header",
                        format!("column {} repeats {name}", i + 1),
                    ));
                }
                custom.push((key.to_owned(), i));
                continue;
            }
            let Some(slot) = CONTACT_COLUMNS.iter().position(|c| *c == name) else {
                return Err(FlameError::validation(
                    "header",
                    format!(
                        "column {} is not one of first_name, last_name, email, phone, \
                         phone_region, organization, custom.<key>",
                        i + 1
                    ),
                ));
            };
            if positions[slot].replace(i).is_some() {
                return Err(FlameError::validation(
                    "header",
                    format!("column {} repeats {}", i + 1, CONTACT_COLUMNS[slot]),
                ));
            }
        }
        if positions[0].is_none() {
            return Err(FlameError::validation("header", "needs a first_name column"));
        }
        Ok(Self { positions, custom, width: header.len() })
    }

    /// The custom field keys the header names, in column order.
    pub fn custom_keys(&self) -> impl Iterator<Item = &str> {
        self.custom.iter().map(|(k, _)| k.as_str())
    }

    /// The contact in one record, or a `Validation` error on `row` when the record does not
    /// have as many fields as the header.
    pub fn contact<S: AsRef<str>>(&self, record: &[S]) -> Result<ContactRow> {
        if record.len() != self.width {
            return Err(FlameError::validation(
                "row",
                format!("has {} fields where the header has {}", record.len(), self.width),
            ));
        }
        let field = |slot: usize| -> Option<String> {
            self.positions[slot]
                .map(|i| record[i].as_ref().trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Ok(ContactRow {
            contact: NewContact {
                first_name: field(0).unwrap_or_default(),
                last_name: field(1),
                email: field(2),
                phone: field(3),
                phone_region: field(4),
                organization_id: None,
                owner_id: None,
                custom: self
                    .custom
                    .iter()
                    .filter(|(_, i)| !record[*i].as_ref().trim().is_empty())
                    .map(|(k, i)| (k.clone(), CustomValue::text(record[*i].as_ref().trim())))
                    .collect(),
            },
            organization: field(5),
        })
    }
}

/// One contact of an import: the contact, and the name of its organization as the input
/// writes it. The import finds the company's organization of that name case-insensitively
/// (the oldest when several have it) or creates it, owned by the importing user (an
/// `organization.created` event, counted against the plan's `organizations` limit), in the
/// batch's transaction. A name that is not valid text is a `Validation` error on
/// `organization` and the row is rejected; a row with both a name and an `organization_id`
/// takes the name's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRow {
    /// The contact.
    pub contact: NewContact,
    /// The name of its organization.
    pub organization: Option<String>,
}

impl From<NewContact> for ContactRow {
    fn from(contact: NewContact) -> Self {
        Self { contact, organization: None }
    }
}

impl ContactRow {
    /// The organization's name, validated (trimmed, bounded like every name); `None` when
    /// the row names none.
    pub fn organization_name(&self) -> Result<Option<String>> {
        crate::text::optional("organization", self.organization.as_deref(), crate::text::NAME_MAX)
    }
}

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RowError {
    /// Its line: the CSV line (the header is line 1), or the 1-based position in an iterator.
    pub line: u64,
    /// The field that was wrong (`"email"`, `"row"` for a malformed record).
    pub field: String,
    /// Why, without the rejected value.
    pub reason: String,
}

/// Where and why an import stopped before the end of its input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ImportFailure {
    /// The first line (or 1-based position) **not** imported: the first row of the batch
    /// that could not be written, or the record that could not be read. Every row before it
    /// was imported or is listed as rejected; no row from it on was imported, so the import
    /// can be resumed from this line.
    pub line: u64,
    /// Why: the batch's error (`Forbidden` for a member demoted during the import,
    /// `PlanLimitExceeded`, `ReadOnly`, `Storage`…) or the record's (`Validation` on `row`
    /// for a record longer than [`MAX_RECORD_BYTES`]).
    pub error: FlameError,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ImportReport {
    /// Rows imported (committed).
    pub imported: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// The rejected rows, in order, up to [`MAX_REPORTED_ERRORS`].
    pub errors: Vec<RowError>,
    /// `Some` when the import stopped before the end of its input (the rows imported until
    /// then stay imported, and are counted above); `None` when it read everything.
    #[serde(default)]
    pub failed: Option<ImportFailure>,
}

impl ImportReport {
    /// Whether the whole input was read (every row imported or rejected).
    pub fn is_complete(&self) -> bool {
        self.failed.is_none()
    }

    /// Records that the import stopped at `line` with `error`.
    pub fn stop(&mut self, line: u64, error: FlameError) {
        self.failed = Some(ImportFailure { line, error });
    }

    /// Records that the row at `line` was rejected with `error`.
    pub fn reject(&mut self, line: u64, error: &FlameError) {
        self.rejected += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            let (field, reason) = match error {
                FlameError::Validation { field, reason } => (field.clone(), reason.clone()),
                other => ("row".to_owned(), other.to_string()),
            };
            self.errors.push(RowError { line, field, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_columns_and_refuse_unknown_ones() {
        let cols =
            ContactColumns::from_header(&["\u{feff}First_Name", "EMAIL", "phone"]).expect("ok");
        let c = cols.contact(&["Ada", " ada@example.com ", ""]).expect("row").contact;
        assert_eq!(c.first_name, "Ada");
        assert_eq!(c.email.as_deref(), Some("ada@example.com"));
        assert_eq!(c.phone, None);
        assert!(cols.contact(&["Ada"]).is_err(), "ragged rows are refused");
        for bad in [vec!["email"], vec!["first_name", "fax"], vec!["first_name", "first_name"]] {
            assert!(matches!(
                ContactColumns::from_header(&bad),
                Err(FlameError::Validation { field, .. }) if field == "header"
            ));
        }
    }

    #[test]
    fn reports_count_everything_and_list_a_bounded_number() {
        let mut report = ImportReport::default();
        for line in 0..(MAX_REPORTED_ERRORS as u64 + 5) {
            report.reject(line, &FlameError::validation("email", "is not a valid email address"));
        }
        assert_eq!(report.rejected, MAX_REPORTED_ERRORS as u64 + 5);
        assert_eq!(report.errors.len(), MAX_REPORTED_ERRORS);
        assert_eq!(report.errors[0].field, "email");
        assert!(report.is_complete());
        report.stop(7, FlameError::forbidden("create contact"));
        assert!(!report.is_complete());
        let json = serde_json::to_string(&report).expect("json");
        let back: ImportReport = serde_json::from_str(&json).expect("back");
        assert_eq!(back, report);
        assert_eq!(
            record_too_long("row"),
            FlameError::validation("row", format!("is longer than {MAX_RECORD_BYTES} bytes"))
        );
    }
}
