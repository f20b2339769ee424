//! `session.organizations`: the companies a company sells to. Each method is a conversion and
//! a call of the matching `flame-db` method.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use flame_core::organization::{NewOrganization, OrganizationFilter, OrganizationPatch};
use flame_core::{OrganizationId, UserId};
use uuid::Uuid;

use crate::convert::page;
use crate::csv_io::{self, CsvDest, CsvSource};
use crate::import::ImportReport;
use crate::records::{Contact, Deal, Money, Organization, Page, page_of};
use crate::runtime::run;

/// An `organization_id` argument of an update: `None` keeps the link, `""` clears it, a
/// `uuid.UUID` sets it.
pub(crate) fn organization_link(
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Option<OrganizationId>>> {
    let Some(value) = value else { return Ok(None) };
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(text) = value.cast::<PyString>()
        && text.to_cow()?.is_empty()
    {
        return Ok(Some(None));
    }
    let id: Uuid = value.extract().map_err(|_| {
        PyTypeError::new_err("organization_id must be a uuid.UUID, \"\" (to clear it) or None")
    })?;
    Ok(Some(Some(OrganizationId::from_uuid(id))))
}

/// Organizations of the company (`session.organizations`).
#[pyclass(frozen, module = "flame", name = "Organizations")]
pub(crate) struct Organizations {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Organizations {
    /// Creates an organization. Blank optional text counts as absent; `domain` is normalized
    /// (lowercase, without scheme, path or a leading "www.") and unique in the company (a
    /// second one raises `ConflictError`); `owner_id` defaults to the session's user.
    /// `custom` gives custom field values by key, as for `Contacts.create`.
    #[pyo3(signature = (name, *, domain=None, phone=None, phone_region=None, street=None, city=None, region=None, postal_code=None, country=None, website=None, industry=None, size=None, owner_id=None, custom=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        name: String,
        domain: Option<String>,
        phone: Option<String>,
        phone_region: Option<String>,
        street: Option<String>,
        city: Option<String>,
        region: Option<String>,
        postal_code: Option<String>,
        country: Option<String>,
        website: Option<String>,
        industry: Option<String>,
        size: Option<String>,
        owner_id: Option<Uuid>,
        custom: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Organization> {
        let input = NewOrganization {
            name,
            domain,
            phone,
            phone_region,
            street,
            city,
            region,
            postal_code,
            country,
            website,
            industry,
            size,
            owner_id: owner_id.map(UserId::from_uuid),
            custom: crate::custom::values_from_py(custom)?,
        };
        let api = self.session.organizations();
        run(py, async move { api.create(input).await }).map(Organization)
    }

    /// One organization; another company's id raises `NotFoundError`.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Organization> {
        let api = self.session.organizations();
        run(py, async move { api.get(OrganizationId::from_uuid(id)).await }).map(Organization)
    }

    /// Changes the organization read at `version`: `None` keeps a field, `""` clears an
    /// optional one. A stale version raises `ConflictError`. `custom` sets values by key
    /// (`None` clears one); keys it does not name keep their values.
    #[pyo3(signature = (id, version, *, name=None, domain=None, phone=None, phone_region=None, street=None, city=None, region=None, postal_code=None, country=None, website=None, industry=None, size=None, owner_id=None, custom=None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        name: Option<String>,
        domain: Option<String>,
        phone: Option<String>,
        phone_region: Option<String>,
        street: Option<String>,
        city: Option<String>,
        region: Option<String>,
        postal_code: Option<String>,
        country: Option<String>,
        website: Option<String>,
        industry: Option<String>,
        size: Option<String>,
        owner_id: Option<Uuid>,
        custom: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Organization> {
        let patch = OrganizationPatch {
            name,
            domain,
            phone,
            phone_region,
            street,
            city,
            region,
            postal_code,
            country,
            website,
            industry,
            size,
            owner_id: owner_id.map(UserId::from_uuid),
            custom: crate::custom::patch_from_py(custom)?,
        };
        let api = self.session.organizations();
        run(py, async move { api.update(OrganizationId::from_uuid(id), version, patch).await })
            .map(Organization)
    }

    /// Puts the tag `name` on the organization, creating it in the company's vocabulary on
    /// first use; whoever may update the organization may tag it. A tag it already carries
    /// changes nothing; the version does not change. Returns the organization.
    fn add_tag(&self, py: Python<'_>, id: Uuid, name: String) -> PyResult<Organization> {
        let api = self.session.organizations();
        run(py, async move { api.add_tag(OrganizationId::from_uuid(id), &name).await })
            .map(Organization)
    }

    /// Takes the tag `name` (any case) off the organization; the tag stays in the vocabulary.
    fn remove_tag(&self, py: Python<'_>, id: Uuid, name: String) -> PyResult<Organization> {
        let api = self.session.organizations();
        run(py, async move { api.remove_tag(OrganizationId::from_uuid(id), &name).await })
            .map(Organization)
    }

    /// Deletes the organization read at `version`; its contacts and deals stay, without an
    /// organization.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.organizations();
        run(py, async move { api.delete(OrganizationId::from_uuid(id), version).await })
    }

    /// Organizations matching every given filter, ordered by name, a page at a time (`limit`
    /// defaults to 50). `domain_prefix` keeps the domains starting with it (ordered by domain
    /// when there is no `name_prefix`). `tag` is a tag name or a list of names (all must be
    /// carried); `custom` filters by custom values and `sort` orders by a custom field, as for
    /// `Contacts.list`.
    #[pyo3(signature = (*, name_prefix=None, domain=None, domain_prefix=None, owner_id=None, tag=None, custom=None, sort=None, descending=false, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        name_prefix: Option<String>,
        domain: Option<String>,
        domain_prefix: Option<String>,
        owner_id: Option<Uuid>,
        tag: Option<&Bound<'_, PyAny>>,
        custom: Option<&Bound<'_, PyDict>>,
        sort: Option<String>,
        descending: bool,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = OrganizationFilter {
            name_prefix,
            domain,
            domain_prefix,
            owner_id: owner_id.map(UserId::from_uuid),
            tags: crate::tags::names(tag)?,
            custom: crate::custom::conditions_from_py(custom)?,
            sort: crate::custom::sort_from_py(sort, descending)?,
        };
        let api = self.session.organizations();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, Organization)
    }

    /// Imports organizations from CSV (UTF-8, comma-separated, first line the header with
    /// the columns name — required —, domain, phone, phone_region, street, city, region,
    /// postal_code, country, website, industry, size, owner — a member's email —, tags —
    /// names separated by ";" — and a "custom.<key>" column per custom field): `source` is a
    /// path (`str` or `os.PathLike`), streamed by Rust, or the CSV as `bytes`. Each row is
    /// checked like `create`; a bad one is reported with its line (the header is line 1) and
    /// the column at fault — a domain already taken by another organization or an earlier
    /// row on "domain" — and the rest go on, 5,000 rows per transaction. A bad header raises
    /// `ValidationError` on "header" and nothing is imported; a file that cannot be opened
    /// raises `ValidationError` on "path"; a batch that cannot be written stops the import
    /// (the report's `failed`).
    fn import_csv(&self, py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<ImportReport> {
        let api = self.session.organizations();
        match csv_io::source(source)? {
            CsvSource::Bytes(text) => run(py, async move { api.import_csv(text).await }),
            CsvSource::Path(path) => run(py, async move { api.import_csv_file(path).await }),
        }
        .map(ImportReport)
    }

    /// Writes the organizations matching every given filter (those of `list`, in its order)
    /// as CSV to `dest` — a path, created or truncated, or a writable file object — and
    /// returns how many it wrote, in the columns `import_csv` reads (owner by email, tags
    /// separated by ";", a "custom.<key>" column per custom field), streamed 500 at a time.
    /// A path that cannot be written raises `ValidationError` on "path".
    #[pyo3(signature = (dest, *, name_prefix=None, domain=None, domain_prefix=None, owner_id=None, tag=None, custom=None, sort=None, descending=false))]
    #[allow(clippy::too_many_arguments)]
    fn export_csv(
        &self,
        py: Python<'_>,
        dest: &Bound<'_, PyAny>,
        name_prefix: Option<String>,
        domain: Option<String>,
        domain_prefix: Option<String>,
        owner_id: Option<Uuid>,
        tag: Option<&Bound<'_, PyAny>>,
        custom: Option<&Bound<'_, PyDict>>,
        sort: Option<String>,
        descending: bool,
    ) -> PyResult<u64> {
        let filter = OrganizationFilter {
            name_prefix,
            domain,
            domain_prefix,
            owner_id: owner_id.map(UserId::from_uuid),
            tags: crate::tags::names(tag)?,
            custom: crate::custom::conditions_from_py(custom)?,
            sort: crate::custom::sort_from_py(sort, descending)?,
        };
        let api = self.session.organizations();
        match csv_io::dest(dest)? {
            CsvDest::Path(path) => run(py, async move { api.export_csv_file(filter, path).await }),
            CsvDest::File(file) => {
                let failure = file.failure();
                let result = run(py, async move { api.export_csv(filter, file).await });
                csv_io::raised_or(result, &failure)
            }
        }
    }

    /// The organization's contacts, newest first, a page at a time.
    #[pyo3(signature = (id, *, limit=None, cursor=None))]
    fn contacts(
        &self,
        py: Python<'_>,
        id: Uuid,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let api = self.session.organizations();
        let id = OrganizationId::from_uuid(id);
        let rust = run(py, async move { api.contacts(id, page(limit, cursor)).await })?;
        page_of(py, rust, Contact)
    }

    /// The organization's deals, newest first, a page at a time.
    #[pyo3(signature = (id, *, limit=None, cursor=None))]
    fn deals(
        &self,
        py: Python<'_>,
        id: Uuid,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let api = self.session.organizations();
        let id = OrganizationId::from_uuid(id);
        let rust = run(py, async move { api.deals(id, page(limit, cursor)).await })?;
        page_of(py, rust, Deal)
    }

    /// The value of the organization's open deals, one `Money` per currency, ordered by
    /// currency code.
    fn open_value(&self, py: Python<'_>, id: Uuid) -> PyResult<Vec<Money>> {
        let api = self.session.organizations();
        let id = OrganizationId::from_uuid(id);
        let totals = run(py, async move { api.open_value(id).await })?;
        Ok(totals.into_iter().map(Money).collect())
    }
}
