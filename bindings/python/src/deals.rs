//! `session.deals`: deals moving through pipelines. Each method is a conversion and a call of the
//! matching `flame-db` method.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use flame_core::deal::{DealFilter, DealPatch, DealStatus, NewDeal};
use flame_core::{ContactId, DealId, OrganizationId, PipelineId, SourceId, StageId, UserId};
use time::Date;
use uuid::Uuid;

use crate::convert::{amount_text, page, parse_opt};
use crate::csv_io::{self, CsvDest, CsvSource};
use crate::errors::to_py_err;
use crate::import::ImportReport;
use crate::organizations::organization_link;
use crate::records::{Deal, Page, page_of};
use crate::runtime::run;

/// Deals of the company (`session.deals`).
#[pyclass(frozen, module = "flame", name = "Deals")]
pub(crate) struct Deals {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Deals {
    /// Creates a deal worth `amount` (a `Decimal`, `int` or `str`, never a float) of
    /// `currency`. It goes to the default pipeline's first open stage unless `pipeline_id` /
    /// `stage_id` say otherwise; `assignee_id` defaults to the session's user. `custom` gives
    /// custom field values by key, as for `Contacts.create`.
    #[pyo3(signature = (title, amount, currency, *, contact_id=None, organization_id=None, pipeline_id=None, stage_id=None, source_id=None, assignee_id=None, expected_close=None, custom=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        title: String,
        amount: &Bound<'_, PyAny>,
        currency: &str,
        contact_id: Option<Uuid>,
        organization_id: Option<Uuid>,
        pipeline_id: Option<Uuid>,
        stage_id: Option<Uuid>,
        source_id: Option<Uuid>,
        assignee_id: Option<Uuid>,
        expected_close: Option<Date>,
        custom: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Deal> {
        let value = flame_core::Money::parse(&amount_text("amount", amount)?, currency)
            .map_err(|e| to_py_err(py, e))?;
        let input = NewDeal {
            title,
            amount_minor: value.amount_minor(),
            currency: value.currency().code().to_owned(),
            contact_id: contact_id.map(ContactId::from_uuid),
            organization_id: organization_id.map(OrganizationId::from_uuid),
            pipeline_id: pipeline_id.map(PipelineId::from_uuid),
            stage_id: stage_id.map(StageId::from_uuid),
            source_id: source_id.map(SourceId::from_uuid),
            assignee_id: assignee_id.map(UserId::from_uuid),
            expected_close,
            custom: crate::custom::values_from_py(custom)?,
        };
        let api = self.session.deals();
        run(py, async move { api.create(input).await }).map(Deal)
    }

    /// One deal.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.get(DealId::from_uuid(id)).await }).map(Deal)
    }

    /// Changes the fields of the deal read at `version` (its stage changes through
    /// `move_to_stage`, `win`, `lose`, `reopen`). `amount` is read in `currency`, or in the
    /// deal's current currency when `currency` is not given. `organization_id=""` takes the
    /// deal out of its organization. `custom` sets values by key (`None` clears one); keys it
    /// does not name keep their values.
    #[pyo3(signature = (id, version, *, title=None, amount=None, currency=None, contact_id=None, organization_id=None, source_id=None, assignee_id=None, expected_close=None, custom=None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        title: Option<String>,
        amount: Option<&Bound<'_, PyAny>>,
        currency: Option<String>,
        contact_id: Option<Uuid>,
        organization_id: Option<&Bound<'_, PyAny>>,
        source_id: Option<Uuid>,
        assignee_id: Option<Uuid>,
        expected_close: Option<Date>,
        custom: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Deal> {
        let organization_id = organization_link(organization_id)?;
        let id = DealId::from_uuid(id);
        let api = self.session.deals();
        let amount_minor = match amount {
            None => None,
            Some(amount) => {
                let text = amount_text("amount", amount)?;
                // The decimal places of an amount depend on its currency: without a new one,
                // the amount is read in the deal's current currency.
                let in_currency = match &currency {
                    Some(code) => code.clone(),
                    None => {
                        let api = api.clone();
                        run(py, async move { api.get(id).await })?
                            .value
                            .currency()
                            .code()
                            .to_owned()
                    }
                };
                let money =
                    flame_core::Money::parse(&text, &in_currency).map_err(|e| to_py_err(py, e))?;
                Some(money.amount_minor())
            }
        };
        let patch = DealPatch {
            title,
            amount_minor,
            currency,
            contact_id: contact_id.map(ContactId::from_uuid),
            organization_id,
            source_id: source_id.map(SourceId::from_uuid),
            assignee_id: assignee_id.map(UserId::from_uuid),
            expected_close,
            custom: crate::custom::patch_from_py(custom)?,
        };
        run(py, async move { api.update(id, version, patch).await }).map(Deal)
    }

    /// Deletes the deal read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.deals();
        run(py, async move { api.delete(DealId::from_uuid(id), version).await })
    }

    /// Moves an open deal to a stage of its pipeline (a won stage wins it; a lost stage
    /// needs `lose_in_stage`). A closed deal raises `InvalidTransitionError`.
    fn move_to_stage(
        &self,
        py: Python<'_>,
        id: Uuid,
        stage_id: Uuid,
        version: i64,
    ) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move {
            api.move_to_stage(DealId::from_uuid(id), StageId::from_uuid(stage_id), version).await
        })
        .map(Deal)
    }

    /// Wins the deal: moves it to its pipeline's won stage.
    fn win(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.win(DealId::from_uuid(id), version).await }).map(Deal)
    }

    /// Loses the deal, with the reason: moves it to its pipeline's lost stage.
    fn lose(&self, py: Python<'_>, id: Uuid, reason: String, version: i64) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.lose(DealId::from_uuid(id), &reason, version).await }).map(Deal)
    }

    /// Loses the deal into a given lost stage of its pipeline, with the reason.
    fn lose_in_stage(
        &self,
        py: Python<'_>,
        id: Uuid,
        stage_id: Uuid,
        reason: String,
        version: i64,
    ) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move {
            api.lose_in_stage(DealId::from_uuid(id), StageId::from_uuid(stage_id), &reason, version)
                .await
        })
        .map(Deal)
    }

    /// Reopens a won or lost deal into an open stage of its pipeline.
    fn reopen(&self, py: Python<'_>, id: Uuid, stage_id: Uuid, version: i64) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move {
            api.reopen(DealId::from_uuid(id), StageId::from_uuid(stage_id), version).await
        })
        .map(Deal)
    }

    /// Puts the tag `name` on the deal, creating it in the company's vocabulary on first use;
    /// whoever may update the deal may tag it. Its version does not change. Returns the deal.
    fn add_tag(&self, py: Python<'_>, id: Uuid, name: String) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.add_tag(DealId::from_uuid(id), &name).await }).map(Deal)
    }

    /// Takes the tag `name` (any case) off the deal; the tag stays in the vocabulary.
    fn remove_tag(&self, py: Python<'_>, id: Uuid, name: String) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.remove_tag(DealId::from_uuid(id), &name).await }).map(Deal)
    }

    /// Deals matching every given filter, newest first, a page at a time; `status` is
    /// "open", "won" or "lost"; `tag` keeps the deals carrying a tag (a name, any case) or
    /// every tag of a list; `custom` filters by custom values and `sort` orders by a custom
    /// field, as for `Contacts.list`.
    #[pyo3(signature = (*, pipeline_id=None, stage_id=None, status=None, assignee_id=None, source_id=None, contact_id=None, tag=None, custom=None, sort=None, descending=false, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        pipeline_id: Option<Uuid>,
        stage_id: Option<Uuid>,
        status: Option<&str>,
        assignee_id: Option<Uuid>,
        source_id: Option<Uuid>,
        contact_id: Option<Uuid>,
        tag: Option<&Bound<'_, PyAny>>,
        custom: Option<&Bound<'_, PyDict>>,
        sort: Option<String>,
        descending: bool,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = DealFilter {
            pipeline_id: pipeline_id.map(PipelineId::from_uuid),
            stage_id: stage_id.map(StageId::from_uuid),
            status: parse_opt::<DealStatus>(py, status)?,
            assignee_id: assignee_id.map(UserId::from_uuid),
            source_id: source_id.map(SourceId::from_uuid),
            contact_id: contact_id.map(ContactId::from_uuid),
            tags: crate::tags::names(tag)?,
            custom: crate::custom::conditions_from_py(custom)?,
            sort: crate::custom::sort_from_py(sort, descending)?,
        };
        let api = self.session.deals();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, Deal)
    }

    /// Imports deals from CSV (UTF-8, comma-separated, first line the header with the columns
    /// title and currency — required —, amount — a decimal in the currency —, pipeline and
    /// stage — by name —, status, lost_reason, contact — an email, else a full name —,
    /// organization — a domain or name, found or created —, source — by name —, assignee — a
    /// member's email —, expected_close, tags and a "custom.<key>" column per custom field):
    /// `source` is a path (`str` or `os.PathLike`), streamed by Rust, or the CSV as `bytes`.
    /// Each deal lands in the stage its row names, won or lost there (a lost one needs its
    /// lost_reason). A bad row is reported with its line and the column at fault ("stage",
    /// "pipeline", "assignee", "contact", "amount", "custom.<key>"…) and the rest go on,
    /// 5,000 rows per transaction; pipelines, stages, sources, members and contacts of
    /// another company never match. A bad header raises `ValidationError` on "header"; a
    /// file that cannot be opened raises `ValidationError` on "path".
    fn import_csv(&self, py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<ImportReport> {
        let api = self.session.deals();
        match csv_io::source(source)? {
            CsvSource::Bytes(text) => run(py, async move { api.import_csv(text).await }),
            CsvSource::Path(path) => run(py, async move { api.import_csv_file(path).await }),
        }
        .map(ImportReport)
    }

    /// Writes the deals matching every given filter (those of `list`, newest first) as CSV
    /// to `dest` — a path, created or truncated, or a writable file object — and returns how
    /// many it wrote, in the columns `import_csv` reads, streamed 500 at a time. A path that
    /// cannot be written raises `ValidationError` on "path".
    #[pyo3(signature = (dest, *, pipeline_id=None, stage_id=None, status=None, assignee_id=None, source_id=None, contact_id=None, tag=None, custom=None, sort=None, descending=false))]
    #[allow(clippy::too_many_arguments)]
    fn export_csv(
        &self,
        py: Python<'_>,
        dest: &Bound<'_, PyAny>,
        pipeline_id: Option<Uuid>,
        stage_id: Option<Uuid>,
        status: Option<&str>,
        assignee_id: Option<Uuid>,
        source_id: Option<Uuid>,
        contact_id: Option<Uuid>,
        tag: Option<&Bound<'_, PyAny>>,
        custom: Option<&Bound<'_, PyDict>>,
        sort: Option<String>,
        descending: bool,
    ) -> PyResult<u64> {
        let filter = DealFilter {
            pipeline_id: pipeline_id.map(PipelineId::from_uuid),
            stage_id: stage_id.map(StageId::from_uuid),
            status: parse_opt::<DealStatus>(py, status)?,
            assignee_id: assignee_id.map(UserId::from_uuid),
            source_id: source_id.map(SourceId::from_uuid),
            contact_id: contact_id.map(ContactId::from_uuid),
            tags: crate::tags::names(tag)?,
            custom: crate::custom::conditions_from_py(custom)?,
            sort: crate::custom::sort_from_py(sort, descending)?,
        };
        let api = self.session.deals();
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
