//! `session.contacts`: the company's contacts, with bulk import. Each method is a conversion and a
//! call of the matching `flame-db` method.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use flame_core::contact::{ContactFilter, ContactPatch};
use flame_core::{ContactId, UserId};
use uuid::Uuid;

use crate::convert::page;
use crate::csv_io::{self, CsvDest};
use crate::import::{self, ImportReport, NewContact};
use crate::organizations::organization_link;
use crate::records::{Contact, Page, page_of};
use crate::runtime::run;

/// Contacts of the company (`session.contacts`).
#[pyclass(frozen, module = "flame", name = "Contacts")]
pub(crate) struct Contacts {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Contacts {
    /// Creates a contact. Blank optional text counts as absent; `phone_region` (ISO 3166,
    /// "US") helps parse phones written without a country code; `owner_id` defaults to the
    /// session's user.
    ///
    /// `custom` gives custom field values by key, as native values (`str`, `Decimal`, `int`,
    /// `Money`, `date`, aware `datetime`, `bool`, `list[str]`) or their text; each is checked
    /// against its definition (`ValidationError` on "custom.<key>").
    #[pyo3(signature = (first_name, *, last_name=None, email=None, phone=None, phone_region=None, organization_id=None, owner_id=None, custom=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        first_name: String,
        last_name: Option<String>,
        email: Option<String>,
        phone: Option<String>,
        phone_region: Option<String>,
        organization_id: Option<Uuid>,
        owner_id: Option<Uuid>,
        custom: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Contact> {
        // The same input as an imported row: one conversion, `NewContact`'s.
        let NewContact(input) = NewContact::new(
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization_id,
            owner_id,
            custom,
        )?;
        let api = self.session.contacts();
        run(py, async move { api.create(input).await }).map(Contact)
    }

    /// One contact; another company's id raises `NotFoundError`.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Contact> {
        let api = self.session.contacts();
        run(py, async move { api.get(ContactId::from_uuid(id)).await }).map(Contact)
    }

    /// Changes the contact read at `version`: `None` keeps a field, `""` clears an optional
    /// one; `organization_id=""` takes the contact out of its organization. A stale version
    /// raises `ConflictError`. `custom` sets values by key (`None` clears one); keys it does
    /// not name keep their values.
    #[pyo3(signature = (id, version, *, first_name=None, last_name=None, email=None, phone=None, phone_region=None, organization_id=None, owner_id=None, custom=None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        first_name: Option<String>,
        last_name: Option<String>,
        email: Option<String>,
        phone: Option<String>,
        phone_region: Option<String>,
        organization_id: Option<&Bound<'_, PyAny>>,
        owner_id: Option<Uuid>,
        custom: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Contact> {
        let patch = ContactPatch {
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization_id: organization_link(organization_id)?,
            owner_id: owner_id.map(UserId::from_uuid),
            custom: crate::custom::patch_from_py(custom)?,
        };
        let api = self.session.contacts();
        run(py, async move { api.update(ContactId::from_uuid(id), version, patch).await })
            .map(Contact)
    }

    /// Puts the tag `name` on the contact, creating it in the company's vocabulary on first
    /// use; whoever may update the contact may tag it. A tag it already carries changes
    /// nothing; the contact's version does not change. Returns the contact.
    fn add_tag(&self, py: Python<'_>, id: Uuid, name: String) -> PyResult<Contact> {
        let api = self.session.contacts();
        run(py, async move { api.add_tag(ContactId::from_uuid(id), &name).await }).map(Contact)
    }

    /// Takes the tag `name` (any case) off the contact; the tag stays in the vocabulary.
    fn remove_tag(&self, py: Python<'_>, id: Uuid, name: String) -> PyResult<Contact> {
        let api = self.session.contacts();
        run(py, async move { api.remove_tag(ContactId::from_uuid(id), &name).await }).map(Contact)
    }

    /// Deletes the contact read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.contacts();
        run(py, async move { api.delete(ContactId::from_uuid(id), version).await })
    }

    /// Contacts matching every given filter, a page at a time (`limit` defaults to 50). With a
    /// prefix, ordered by the key it matches, then id (name, else phone, else email); without
    /// one, newest first. `custom` filters by custom values: `{key: value}` for equality (a
    /// list: has every option), `{key: (min, max)}` for a range of a number, money, date or
    /// datetime field (either bound `None`). `tag` keeps the contacts carrying a tag (a name,
    /// any case) or every tag of a list. `sort` orders by a custom field instead (its key;
    /// `descending=True` for the largest first): contacts with a value first, then those
    /// without; the other filters still apply.
    #[pyo3(signature = (*, name_prefix=None, email_prefix=None, phone_prefix=None, owner_id=None, tag=None, custom=None, sort=None, descending=false, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        name_prefix: Option<String>,
        email_prefix: Option<String>,
        phone_prefix: Option<String>,
        owner_id: Option<Uuid>,
        tag: Option<&Bound<'_, PyAny>>,
        custom: Option<&Bound<'_, PyDict>>,
        sort: Option<String>,
        descending: bool,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = ContactFilter {
            name_prefix,
            email_prefix,
            phone_prefix,
            owner_id: owner_id.map(UserId::from_uuid),
            tags: crate::tags::names(tag)?,
            custom: crate::custom::conditions_from_py(custom)?,
            sort: crate::custom::sort_from_py(sort, descending)?,
        };
        let api = self.session.contacts();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, Contact)
    }

    /// Imports contacts from an iterable of `NewContact`s or mappings with the keys of
    /// `create` (a generator is consumed lazily). Each row is checked like `create`; a bad
    /// row is rejected and reported with its 1-based position as `line`, and the rest go on.
    /// Rows without an owner are the session user's.
    ///
    /// Rows are converted and imported 5,000 at a time, with the GIL released while each
    /// chunk is written (one transaction and one "contacts.imported" event per chunk), so
    /// memory stays bounded. A chunk that cannot be written — the plan limit, the session
    /// demoted or revoked since the import began, a read-only company — stops the import:
    /// the report's `failed` gives the first row not imported and the error, and the
    /// earlier chunks stay imported. A row that is neither a `NewContact` nor a mapping of
    /// those keys (or a failing iterable) raises `TypeError` (or its own exception): that
    /// chunk is not written and the earlier chunks stay imported.
    fn import_rows(&self, py: Python<'_>, rows: &Bound<'_, PyAny>) -> PyResult<ImportReport> {
        import::import_rows(py, &self.session.contacts(), rows)
    }

    /// Imports contacts from CSV (UTF-8, comma-separated, first line the header with the
    /// columns first_name, last_name, email, phone, phone_region, organization — the domain
    /// or name of an organization, found or created —, owner — a member's email —, tags —
    /// names separated by ";" — and a "custom.<key>" column per custom field): `source` is
    /// a path (`str` or `os.PathLike`), which Rust opens and streams without reading it
    /// whole, or the CSV itself as `bytes`. A bad header raises `ValidationError` on
    /// "header" and nothing is imported; a bad line (one longer than 64 KiB among them) is
    /// reported with its line number (the header is line 1) and the rest go on. A batch that
    /// cannot be written, an unreadable input or a record too long to read stops the import
    /// (the report's `failed`). A file that cannot be opened raises `ValidationError` on "path".
    fn import_csv(&self, py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<ImportReport> {
        import::import_csv(py, &self.session.contacts(), source)
    }

    /// Writes the contacts matching every given filter (those of `list`, in its order) as
    /// CSV to `dest` — a path (`str` or `os.PathLike`), created or truncated, or a writable
    /// file object (text or binary) — and returns how many contacts it wrote. The columns are
    /// those `import_csv` reads (first_name, last_name, email, phone, phone_region,
    /// organization — by domain, else name —, owner — a member's email —, tags separated by
    /// ";", then a "custom.<key>" column per custom field), so that the CSV imports back as
    /// it was. Streamed 500 contacts at a time with the GIL released (taken for each write to
    /// a file object): memory stays bounded. A path that cannot be written raises
    /// `ValidationError` on "path"; an exception of the file object's `write` is raised as
    /// it is.
    #[pyo3(signature = (dest, *, name_prefix=None, email_prefix=None, phone_prefix=None, owner_id=None, tag=None, custom=None, sort=None, descending=false))]
    #[allow(clippy::too_many_arguments)]
    fn export_csv(
        &self,
        py: Python<'_>,
        dest: &Bound<'_, PyAny>,
        name_prefix: Option<String>,
        email_prefix: Option<String>,
        phone_prefix: Option<String>,
        owner_id: Option<Uuid>,
        tag: Option<&Bound<'_, PyAny>>,
        custom: Option<&Bound<'_, PyDict>>,
        sort: Option<String>,
        descending: bool,
    ) -> PyResult<u64> {
        let filter = ContactFilter {
            name_prefix,
            email_prefix,
            phone_prefix,
            owner_id: owner_id.map(UserId::from_uuid),
            tags: crate::tags::names(tag)?,
            custom: crate::custom::conditions_from_py(custom)?,
            sort: crate::custom::sort_from_py(sort, descending)?,
        };
        let api = self.session.contacts();
        match csv_io::dest(dest)? {
            CsvDest::Path(path) => run(py, async move { api.export_csv_file(filter, path).await }),
            CsvDest::File(file) => {
                let failure = file.failure();
                let result = run(py, async move { api.export_csv(filter, file).await });
                csv_io::raised_or(result, &failure)
            }
        }
    }
}
