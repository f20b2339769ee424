//! Bulk import and CSV export of contacts, organizations and deals: how CSV columns map
//! onto the new records an import creates ([`ContactColumns`], [`OrganizationColumns`],
//! [`DealColumns`]), how an export writes a record in the same columns ([`ContactExport`],
//! [`OrganizationExport`], [`DealExport`]), and the report of what an import did (every
//! rejected row, with its line and reason, up to [`MAX_REPORTED_ERRORS`]; the count is always
//! exact). Good rows are imported, bad rows are reported, nothing is dropped silently.
//!
//! Each entity has ONE list of column names ([`CONTACT_COLUMNS`], [`ORGANIZATION_COLUMNS`],
//! [`DEAL_COLUMNS`]) that its import reads and its export writes, in that order, followed by
//! a [`CUSTOM_PREFIX`]`<key>` column per custom field; so an export imports back into another
//! company as it was (the tests export, import elsewhere and compare every column). Ids,
//! versions and the times of creation, change and closing are not columns: the importing
//! company's records get their own. Records other records point to are written by what
//! identifies them in any company: an organization by [`organization_reference`] (its domain,
//! else its name), a member by email, a contact by email (else its full name), a pipeline,
//! stage or source by name.

use serde::{Deserialize, Serialize};

use crate::contact::{Contact, NewContact};
use crate::custom_field::{CustomEntity, CustomField, CustomValue, CustomValues};
use crate::email::Email;
use crate::error::{FlameError, Result};

mod deals;
mod organizations;

pub use deals::{
    ContactKey, DEAL_COLUMNS, DealColumns, DealExport, DealLinks, DealRow, contact_reference,
};
pub use organizations::{
    ORGANIZATION_COLUMNS, OrganizationColumns, OrganizationExport, OrganizationLinks,
    OrganizationRow, domain_taken,
};

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

/// The columns a contacts CSV may have (header names, case-insensitive), in the order an
/// export writes them: `first_name` (required), `last_name`, `email`, `phone`,
/// `phone_region`, `organization`, `owner`, `tags`; and a [`CUSTOM_PREFIX`]`<key>` column per
/// custom field (`custom.industry`), whose cells are the values' text forms
/// ([`CustomValue::to_text`](crate::custom_field::CustomValue::to_text)).
///
/// - `organization` names the contact's organization by [`organization_reference`]: the
///   company's organization with that domain when the text reads as one, else the one of
///   that name (case-insensitively; the oldest when several have it), created when there is
///   none (see [`ContactRow`]).
/// - `owner` is the email of the member responsible for the contact (blank: the importing
///   user).
/// - `tags` lists tag names separated by `;` ([`tag::parse_list`](crate::tag::parse_list)),
///   each created in the company's vocabulary on first use.
///
/// An export ([`ContactExport`]) writes every column, `phone_region` empty (its phones are
/// already in E.164), so that what it writes imports back as it was.
pub const CONTACT_COLUMNS: [&str; 8] =
    ["first_name", "last_name", "email", "phone", "phone_region", "organization", "owner", "tags"];

/// What starts the header of a custom field's column.
pub const CUSTOM_PREFIX: &str = "custom.";

/// What a spreadsheet reads as the start of a formula: a CSV cell that starts with one of
/// these would run as one when the file is opened in Excel, LibreOffice or Google Sheets
/// (OWASP's "CSV injection"), and contact names and messages come from strangers.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell must be escaped: after any leading `'`s it starts with a formula character
/// (the quotes count, so that a text that looks escaped comes back as it was).
fn needs_escape(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A cell as an export writes it: one that a spreadsheet would read as a formula gets a
/// leading `'` (which spreadsheets show as text and do not display), so that an export
/// opened in a spreadsheet runs nothing; [`unescape_cell`] takes it off again on import.
/// A phone number `+4930…` is written `'+4930…`.
pub fn escape_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if needs_escape(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A cell as an import reads it: the `'` that [`escape_cell`] put before a formula character
/// is taken off; any other cell is read as it is.
pub fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_escape(rest) => rest,
        _ => cell,
    }
}

/// The column of a record's tags, in every entity's CSV.
const TAGS: &str = "tags";

/// Where each known column of one entity's CSV is in its records (`N` known columns, named by
/// a `…_COLUMNS` list), and where each custom field's column is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout<const N: usize> {
    positions: [Option<usize>; N],
    custom: Vec<(String, usize)>,
    width: usize,
}

impl<const N: usize> Layout<N> {
    /// Reads a header row against `columns`, the `required` ones (indexes into `columns`)
    /// needed. An unknown column (it would be dropped silently), a repeated one or a missing
    /// required one is a `Validation` error on `header`.
    fn read<S: AsRef<str>>(header: &[S], columns: &[&str; N], required: &[usize]) -> Result<Self> {
        let mut positions = [None; N];
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
            let Some(slot) = columns.iter().position(|c| *c == name) else {
                return Err(FlameError::validation(
                    "header",
                    format!(
                        "column {} is not one of {}, {CUSTOM_PREFIX}<key>",
                        i + 1,
                        columns.join(", ")
                    ),
                ));
            };
            if positions[slot].replace(i).is_some() {
                return Err(FlameError::validation(
                    "header",
                    format!("column {} repeats {}", i + 1, columns[slot]),
                ));
            }
        }
        for &slot in required {
            if positions[slot].is_none() {
                return Err(FlameError::validation(
                    "header",
                    format!("needs a {} column", columns[slot]),
                ));
            }
        }
        Ok(Self { positions, custom, width: header.len() })
    }

    fn custom_keys(&self) -> impl Iterator<Item = &str> {
        self.custom.iter().map(|(k, _)| k.as_str())
    }

    /// A `Validation` error on `row` when `record` does not have as many fields as the header.
    fn check<S: AsRef<str>>(&self, record: &[S]) -> Result<()> {
        if record.len() != self.width {
            return Err(FlameError::validation(
                "row",
                format!("has {} fields where the header has {}", record.len(), self.width),
            ));
        }
        Ok(())
    }

    /// The trimmed text of the known column `slot` in `record` (a checked record); `None`
    /// when the header has no such column or the cell is blank.
    fn text<S: AsRef<str>>(&self, record: &[S], slot: usize) -> Option<String> {
        self.positions[slot].map(|i| record[i].as_ref().trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The custom values of `record` (a checked record), as text, blank cells left out.
    fn custom<S: AsRef<str>>(&self, record: &[S]) -> CustomValues {
        self.custom
            .iter()
            .filter(|(_, i)| !record[*i].as_ref().trim().is_empty())
            .map(|(k, i)| (k.clone(), CustomValue::text(record[*i].as_ref().trim())))
            .collect()
    }

    /// The tags of the known column `slot` (the `tags` column), validated.
    fn tags<S: AsRef<str>>(&self, record: &[S], slot: usize) -> Result<Vec<String>> {
        self.text(record, slot).map_or(Ok(Vec::new()), |cell| crate::tag::parse_list(TAGS, &cell))
    }
}

/// The custom fields of `entity` among `fields`, in display order (position, then key): the
/// custom columns of an export, one per field whether or not records have a value for it.
fn export_keys(fields: &[CustomField], entity: CustomEntity) -> Vec<String> {
    let mut mine: Vec<&CustomField> = fields.iter().filter(|f| f.entity == entity).collect();
    mine.sort_by(|a, b| (a.position, &a.key).cmp(&(b.position, &b.key)));
    mine.into_iter().map(|f| f.key.clone()).collect()
}

/// An export's header: the known `columns`, then a [`CUSTOM_PREFIX`]`<key>` column per key.
fn export_header(columns: &[&str], keys: &[String]) -> Vec<String> {
    columns
        .iter()
        .map(|c| (*c).to_owned())
        .chain(keys.iter().map(|k| format!("{CUSTOM_PREFIX}{k}")))
        .collect()
}

/// An export's record: the known columns' cells (in the order of their `…_COLUMNS` list,
/// which the array's length ties to it), then the text form of each custom value, in the
/// order of `keys` (blank where the record has none).
fn export_record<const N: usize>(
    fixed: [String; N],
    keys: &[String],
    values: &CustomValues,
) -> Vec<String> {
    fixed
        .into_iter()
        .chain(keys.iter().map(|k| values.get(k).map(CustomValue::to_text).unwrap_or_default()))
        .collect()
}

/// How an export names an organization another record points to, and how an import reads
/// it back (the `organization` column of contacts and deals): its domain when it has one
/// (unique in the company), else its name. An import looks the text up as a domain first
/// (when it reads as one, [`normalize_domain`](crate::organization::normalize_domain)),
/// then as a name (case-insensitively; the oldest of that name), and creates an
/// organization of that name when neither finds one.
pub fn organization_reference(name: &str, domain: Option<&str>) -> String {
    domain.map_or_else(|| name.to_owned(), str::to_owned)
}

/// Where each known column is in a CSV's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactColumns {
    layout: Layout<8>,
}

impl ContactColumns {
    /// Reads the header row. A missing `first_name` column, an unknown column (it would be
    /// dropped silently) or a repeated one is a `Validation` error on `header`.
    pub fn from_header<S: AsRef<str>>(header: &[S]) -> Result<Self> {
        Ok(Self { layout: Layout::read(header, &CONTACT_COLUMNS, &[0])? })
    }

    /// The custom field keys the header names, in column order.
    pub fn custom_keys(&self) -> impl Iterator<Item = &str> {
        self.layout.custom_keys()
    }

    /// The contact in one record, or a `Validation` error on `row` when the record does not
    /// have as many fields as the header (or on `tags` for a bad tag name).
    pub fn contact<S: AsRef<str>>(&self, record: &[S]) -> Result<ContactRow> {
        let l = &self.layout;
        l.check(record)?;
        Ok(ContactRow {
            contact: NewContact {
                first_name: l.text(record, 0).unwrap_or_default(),
                last_name: l.text(record, 1),
                email: l.text(record, 2),
                phone: l.text(record, 3),
                phone_region: l.text(record, 4),
                organization_id: None,
                owner_id: None,
                custom: l.custom(record),
            },
            organization: l.text(record, 5),
            owner: l.text(record, 6),
            tags: l.tags(record, 7)?,
        })
    }
}

/// One contact of an import: the contact, the name of its organization as the input
/// writes it, its owner's email and its tags. The import finds the company's organization
/// by [`organization_reference`] (its domain, else its name case-insensitively, the oldest
/// when several have it) or creates it, owned by the importing user (an
/// `organization.created` event, counted against the plan's `organizations` limit), in the
/// batch's transaction. A name that is not valid text is a `Validation` error on
/// `organization` and the row is rejected; a row with both a name and an `organization_id`
/// takes the name's. An `owner` that is no member's email is a `Validation` error on
/// `owner`; a row with both an `owner` and an `owner_id` takes the email's. Tags are created
/// in the company's vocabulary on first use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRow {
    /// The contact.
    pub contact: NewContact,
    /// The name (or domain) of its organization.
    pub organization: Option<String>,
    /// The email of the member who owns it (`None`: `contact.owner_id`, else the importing
    /// user).
    #[serde(default)]
    pub owner: Option<String>,
    /// The names of its tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl From<NewContact> for ContactRow {
    fn from(contact: NewContact) -> Self {
        Self { contact, ..Self::default() }
    }
}

impl ContactRow {
    /// The organization's name, validated (trimmed, bounded like every name); `None` when
    /// the row names none.
    pub fn organization_name(&self) -> Result<Option<String>> {
        crate::text::optional("organization", self.organization.as_deref(), crate::text::NAME_MAX)
    }
}

/// The owner's (or assignee's) email of an import row, normalized like a login's, as the
/// store looks it up among the company's members; `field` names the column in the error of
/// text that is not an email. `None` when the row names none.
pub fn member_email(field: &str, email: Option<&str>) -> Result<Option<String>> {
    match email.map(str::trim) {
        None | Some("") => Ok(None),
        Some(e) => Email::parse(e).map(|e| Some(e.into_string())).map_err(|e| e.at(field)),
    }
}

/// The columns of a contacts export and each contact's record, in the terms
/// [`ContactColumns`] reads back: [`CONTACT_COLUMNS`], then a `custom.<key>` column per
/// custom field of contacts (in display order, one per field whether or not any contact has
/// a value for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactExport {
    keys: Vec<String>,
}

/// What a contact's record names by reference, as the store found it: the columns an
/// export cannot read off the [`Contact`] itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactLinks {
    /// Its organization, by [`organization_reference`].
    pub organization: Option<String>,
    /// Its owner's email (`None` when the owner is no longer a member).
    pub owner: Option<String>,
}

impl ContactExport {
    /// The export of contacts under `fields`, the company's custom field definitions (those
    /// of other entities are skipped).
    pub fn new(fields: &[CustomField]) -> Self {
        Self { keys: export_keys(fields, CustomEntity::Contact) }
    }

    /// The header row.
    pub fn header(&self) -> Vec<String> {
        export_header(&CONTACT_COLUMNS, &self.keys)
    }

    /// The record of `contact`, whose organization and owner are `links`.
    pub fn record(&self, contact: &Contact, links: &ContactLinks) -> Vec<String> {
        let c = contact;
        let fixed: [String; CONTACT_COLUMNS.len()] = [
            c.first_name.clone(),
            c.last_name.clone().unwrap_or_default(),
            c.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
            c.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            String::new(),
            links.organization.clone().unwrap_or_default(),
            links.owner.clone().unwrap_or_default(),
            crate::tag::list_text(&c.tags),
        ];
        export_record(fixed, &self.keys, &c.custom)
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
pub(crate) mod tests {
    use super::*;
    use crate::custom_field::{CustomFieldKind, NewCustomField};
    use crate::id::{CompanyId, UserId};
    use time::OffsetDateTime;

    #[test]
    fn cells_a_spreadsheet_would_run_are_escaped_and_come_back() {
        for text in ["=1+2", "+4930123", "-5", "@SUM(A1)", "\tx", "\rx", "'=x", "''=x", "'''+1"] {
            let escaped = escape_cell(text);
            assert!(escaped.starts_with('\''), "{text:?} -> {escaped:?}");
            assert_eq!(unescape_cell(&escaped), text);
        }
        for text in ["Ada", "'quoted'", "", "a=b", "'", "'x"] {
            assert_eq!(escape_cell(text), text);
            assert_eq!(unescape_cell(text), text);
        }
    }

    /// A custom field of `entity`, at `position`.
    pub(crate) fn field(
        entity: CustomEntity,
        key: &str,
        kind: CustomFieldKind,
        position: i32,
    ) -> CustomField {
        let options = if kind.has_options() { vec!["red".into(), "blue".into()] } else { vec![] };
        let input = NewCustomField {
            entity,
            key: key.into(),
            label: key.into(),
            kind,
            options,
            required: false,
            position: Some(position),
        };
        CustomField::define(CompanyId::new(), &input, 0, OffsetDateTime::UNIX_EPOCH).expect("field")
    }

    /// Custom fields of every entity: two of `entity`, one of another.
    pub(crate) fn fields(entity: CustomEntity) -> Vec<CustomField> {
        let other = CustomEntity::ALL.into_iter().find(|e| *e != entity).expect("another");
        vec![
            field(entity, "notes", CustomFieldKind::Text, 2),
            field(other, "elsewhere", CustomFieldKind::Text, 0),
            field(entity, "colors", CustomFieldKind::MultiSelect, 1),
        ]
    }

    /// Values of the two fields of [`fields`], the second with text that needs quoting.
    pub(crate) fn values() -> CustomValues {
        [
            (
                "colors".to_owned(),
                CustomValue::Options { value: vec!["red".into(), "blue".into()] },
            ),
            ("notes".to_owned(), CustomValue::text("says \"hi\", twice\non two lines")),
        ]
        .into_iter()
        .collect()
    }

    /// The values as an import reads them: their text forms.
    pub(crate) fn as_text(values: &CustomValues) -> CustomValues {
        values.iter().map(|(k, v)| (k.clone(), CustomValue::text(v.to_text()))).collect()
    }

    #[test]
    fn an_exported_contact_reads_back_in_every_column() {
        let fields = fields(CustomEntity::Contact);
        let export = ContactExport::new(&fields);
        let header = export.header();
        assert_eq!(header[..CONTACT_COLUMNS.len()], CONTACT_COLUMNS);
        assert_eq!(header[CONTACT_COLUMNS.len()..], ["custom.colors", "custom.notes"]);
        let input = NewContact {
            first_name: "Ada".into(),
            last_name: Some("Lovelace".into()),
            email: Some("ADA@example.com".into()),
            phone: Some("+44 20 7946 0958".into()),
            ..NewContact::default()
        };
        let mut contact =
            Contact::create(CompanyId::new(), &input, UserId::new(), OffsetDateTime::UNIX_EPOCH)
                .expect("valid");
        contact.tags = vec!["Lead, warm".into(), "VIP".into()];
        contact.custom = values();
        let links = ContactLinks {
            organization: Some("engines.example".into()),
            owner: Some("olga@acme.test".into()),
        };
        let record = export.record(&contact, &links);
        assert_eq!(record.len(), header.len());
        // Every column carries its value (phones are E.164 already: no region).
        for (column, cell) in CONTACT_COLUMNS.iter().zip(&record) {
            assert_eq!(cell.is_empty(), *column == "phone_region", "{column}: {cell:?}");
        }
        let row =
            ContactColumns::from_header(&header).expect("header").contact(&record).expect("row");
        let expected = ContactRow {
            contact: NewContact {
                first_name: "Ada".into(),
                last_name: Some("Lovelace".into()),
                email: Some("ada@example.com".into()),
                phone: Some("+442079460958".into()),
                phone_region: None,
                organization_id: None,
                owner_id: None,
                custom: as_text(&values()),
            },
            organization: links.organization.clone(),
            owner: links.owner.clone(),
            tags: contact.tags.clone(),
        };
        assert_eq!(row, expected);
        // The values read back are the values exported.
        let stored =
            crate::custom_field::check_new(&fields, CustomEntity::Contact, &row.contact.custom)
                .expect("valid values");
        assert_eq!(crate::custom_field::by_key(&fields, &stored), values());
    }

    #[test]
    fn import_rows_name_their_columns() {
        let cols = ContactColumns::from_header(&["first_name", "owner", "tags"]).expect("ok");
        let bad_tag = cols.contact(&["Ada", "", &"x".repeat(70)]).expect_err("long tag");
        assert!(matches!(bad_tag, FlameError::Validation { field, .. } if field == "tags"));
        assert_eq!(
            member_email("owner", Some(" OLGA@Acme.test ")).expect("ok").as_deref(),
            Some("olga@acme.test")
        );
        assert_eq!(member_email("owner", Some(" ")).expect("blank"), None);
        assert!(matches!(
            member_email("assignee", Some("nope")),
            Err(FlameError::Validation { field, .. }) if field == "assignee"
        ));
        assert_eq!(organization_reference("Engines", Some("engines.example")), "engines.example");
        assert_eq!(organization_reference("Engines", None), "Engines");
        let unknown = ContactColumns::from_header(&["first_name", "fax"]).expect_err("fax");
        assert!(
            matches!(&unknown, FlameError::Validation { reason, .. } if reason.contains("owner, tags, custom.<key>")),
            "{unknown:?}"
        );
    }

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
