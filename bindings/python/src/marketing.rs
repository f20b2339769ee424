//! Advertising leads and ad spend (`flame.advertising`), the company's leads
//! (`session.leads`), the cost report (`session.reports`) and accounting documents
//! (`session.accounting`, `flame.accounting`). Every method is a conversion and a call.

use std::collections::HashMap;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyMapping, PyString};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use flame_core::integration::accounting::{
    AccountingDocument as RAccountingDocument, DocumentFilter, DocumentStatus,
};
use flame_core::integration::advertising::{
    AdSpend as RAdSpend, AdvertisingPlatform, Lead as RLead, LeadAnswer, LeadRecord as RLeadRecord,
    SourceCost as RSourceCost, Utm as RUtm,
};
use flame_core::integration::verify::WebhookRequest;
use flame_core::{CompanyId, Currency, DealId, FlameError, IntegrationId};

use crate::convert::{amount_text, decimal, page, parse, parse_opt};
use crate::errors::to_py_err;
use crate::records::{Page, json, page_of, record};
use crate::runtime::run;

/// A `Money` of `minor` units of `currency`.
fn money(py: Python<'_>, minor: i64, currency: Currency) -> PyResult<flame_core::Money> {
    flame_core::Money::from_minor(minor, currency).map_err(|e| to_py_err(py, e))
}

/// The amount of a spend row as a `Decimal`.
fn spend_amount<'py>(py: Python<'py>, row: &RAdSpend) -> PyResult<Bound<'py, PyAny>> {
    let currency = Currency::parse(&row.currency).map_err(|e| to_py_err(py, e))?;
    decimal(py, &money(py, row.amount_minor, currency)?.to_decimal_string())
}

record! {
    LeadOutcome = "LeadOutcome" (flame_db::LeadOutcome) |o, py| {
        lead_id;
        contact_id;
        deal_id;
        /// The lead source it was filed under.
        source_id;
        duplicate;
        created_contact;
    }
}

record! {
    /// The UTM tags of a lead's landing page: `Utm(source=..., medium=..., ...)`, or
    /// `Utm.from_url(url)`.
    Utm = "Utm" (RUtm) |u, py| {
        source;
        medium;
        campaign;
        content;
        term;
    }
    stub r#"
        def __new__(
            cls,
            *,
            source: Optional[str] = None,
            medium: Optional[str] = None,
            campaign: Optional[str] = None,
            content: Optional[str] = None,
            term: Optional[str] = None,
        ) -> Utm:
            """Tags given one by one; they are checked when the lead is ingested."""
        @staticmethod
        def from_url(url: str) -> Utm:
            """The tags of the landing page ``url`` (a bare query such as "?utm_source=vk" works
            too). A tag longer than a name may be raises ``ValidationError`` naming it
            ("utm_campaign")."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (*, source=None, medium=None, campaign=None, content=None, term=None))]
        fn new(
            source: Option<String>,
            medium: Option<String>,
            campaign: Option<String>,
            content: Option<String>,
            term: Option<String>,
        ) -> Self {
            Utm(RUtm { source, medium, campaign, content, term })
        }

        #[staticmethod]
        fn from_url(py: Python<'_>, url: &str) -> PyResult<Self> {
            RUtm::from_url(url).map(Utm).map_err(|e| to_py_err(py, e))
        }
    }
}

record! {
    /// A lead the host parsed or built itself, for `Advertising.ingest_lead`: a person who
    /// filled in an ad's form on a platform Flame does not parse, or a parsed one with the UTM
    /// tags of its landing page.
    Lead = "Lead" (RLead) |l, py| {
        platform;
        external_lead_id;
        created_at;
        name;
        email;
        phone;
        campaign;
        ad;
        form;
        /// The UTM tags of its landing page.
        utm;
        /// Every answer of the form, in order, as `(key, value)` pairs.
        answers => l.answers.iter().map(|a| (a.key.clone(), a.value.clone())).collect::<Vec<_>>();
    }
    stub r#"
        def __new__(
            cls,
            platform: AdvertisingPlatform,
            external_lead_id: str,
            created_at: datetime,
            *,
            name: Optional[str] = None,
            email: Optional[str] = None,
            phone: Optional[str] = None,
            campaign: Optional[str] = None,
            ad: Optional[str] = None,
            form: Optional[str] = None,
            utm: Optional[Utm] = None,
            answers: Optional[Sequence[tuple[str, str]]] = None,
        ) -> Lead:
            """``created_at`` is timezone-aware; ``answers`` are the form's ``(key, value)``
            pairs in order. The platform, ``email`` and ``phone`` (international form) are
            checked here (``ValidationError`` on "platform", "email", "phone"), the rest when it
            is ingested."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (platform, external_lead_id, created_at, *, name=None, email=None, phone=None, campaign=None, ad=None, form=None, utm=None, answers=None))]
        #[allow(clippy::too_many_arguments)]
        fn new(
            py: Python<'_>,
            platform: &str,
            external_lead_id: String,
            created_at: OffsetDateTime,
            name: Option<String>,
            email: Option<&str>,
            phone: Option<&str>,
            campaign: Option<String>,
            ad: Option<String>,
            form: Option<String>,
            utm: Option<&Bound<'_, Utm>>,
            answers: Option<Vec<(String, String)>>,
        ) -> PyResult<Self> {
            let err = |e| to_py_err(py, e);
            Ok(Lead(RLead {
                platform: parse::<AdvertisingPlatform>(py, platform)?,
                external_lead_id,
                name,
                email: email.map(flame_core::Email::parse).transpose().map_err(err)?,
                phone: phone.map(|p| flame_core::Phone::parse(p, None)).transpose().map_err(err)?,
                campaign,
                ad,
                form,
                utm: utm.map(|u| u.get().0.clone()).unwrap_or_default(),
                answers: answers
                    .into_iter()
                    .flatten()
                    .map(|(key, value)| LeadAnswer { key, value })
                    .collect(),
                created_at,
            }))
        }
    }
}

record! {
    LeadRecord = "LeadRecord" (RLeadRecord) |l, py| {
        id;
        company_id;
        integration_id;
        /// Its id on the platform.
        external_id;
        contact_id;
        deal_id;
        /// The lead source it was filed under.
        source_id;
        campaign;
        utm;
        /// When the lead was made on the platform (for VK, when the host received it), UTC.
        received_at;
    }
}

record! {
    /// One day's spend on one campaign: `AdSpend(campaign, day, amount, currency, *,
    /// source=None)`. `amount` is a `Decimal`, `int` or `str` (never a float) with at most as
    /// many decimal places as `currency` has.
    AdSpend = "AdSpend" (RAdSpend) |s, py| {
        /// The campaign, named as the platform names it.
        campaign;
        day;
        /// What was spent, exact.
        @derived amount: "Decimal" => spend_amount(py, s)?;
        currency;
        source;
    }
    skip { amount_minor }
    stub r#"
        def __new__(
            cls,
            campaign: str,
            day: date,
            amount: Amount,
            currency: str,
            *,
            source: Optional[str] = None,
        ) -> AdSpend:
            """``amount`` is a ``Decimal``, ``int`` or ``str`` (never a float) with at most as
            many decimal places as ``currency`` has; both are checked here (``ValidationError``),
            the rest when imported. ``source`` names the lead source (the platform's by
            default)."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (campaign, day, amount, currency, *, source=None))]
        fn new(
            py: Python<'_>,
            campaign: String,
            day: Date,
            amount: &Bound<'_, PyAny>,
            currency: &str,
            source: Option<String>,
        ) -> PyResult<Self> {
            let amount = flame_core::Money::parse(&amount_text("amount", amount)?, currency)
                .map_err(|e| to_py_err(py, e))?;
            Ok(AdSpend(spend(campaign, day, amount, source)))
        }
    }
}

fn spend(
    campaign: String,
    day: Date,
    amount: flame_core::Money,
    source: Option<String>,
) -> RAdSpend {
    RAdSpend {
        campaign,
        day,
        amount_minor: amount.amount_minor(),
        currency: amount.currency().code().to_owned(),
        source,
    }
}

/// The keys a spend row mapping may have.
const SPEND_KEYS: &str = "campaign, day, amount, currency or source";

/// Row `i` of a spend import: an `AdSpend`, or a mapping with the keys of its constructor.
/// Type errors name the row (`rows[3]`) and the key, never the value; a bad amount or
/// currency is a `ValidationError` on `rows[3].amount` or `rows[3].currency`.
fn spend_from_py(py: Python<'_>, row: &Bound<'_, PyAny>, i: usize) -> PyResult<RAdSpend> {
    if let Ok(spend) = row.cast::<AdSpend>() {
        return Ok(spend.get().0.clone());
    }
    let at = format!("rows[{i}]");
    let Ok(mapping) = row.cast::<PyMapping>() else {
        let type_name = row.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "{at}: expected an AdSpend or a mapping, not {type_name}"
        )));
    };
    let (mut campaign, mut day, mut amount, mut currency, mut source) =
        (None, None, None, None, None);
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key = key
            .cast_into::<PyString>()
            .map_err(|_| PyTypeError::new_err(format!("{at}: keys must be str")))?;
        let type_error = |expected: &str| {
            let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            PyTypeError::new_err(format!("{at}.{key}: expected {expected}, not {type_name}"))
        };
        match &*key.to_cow()? {
            "campaign" => {
                campaign = Some(value.extract::<String>().map_err(|_| type_error("str"))?)
            }
            "day" => day = Some(value.extract::<Date>().map_err(|_| type_error("datetime.date"))?),
            "amount" => amount = Some(amount_text(&format!("{at}.amount"), &value)?),
            "currency" => {
                currency = Some(value.extract::<String>().map_err(|_| type_error("str"))?)
            }
            "source" => {
                source =
                    value.extract::<Option<String>>().map_err(|_| type_error("str or None"))?;
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "{at}: unknown key {} (expected {SPEND_KEYS})",
                    key.repr()?
                )));
            }
        }
    }
    let missing = |name: &str| PyTypeError::new_err(format!("{at}: missing key '{name}'"));
    let campaign = campaign.ok_or_else(|| missing("campaign"))?;
    let day = day.ok_or_else(|| missing("day"))?;
    let amount = amount.ok_or_else(|| missing("amount"))?;
    let currency = currency.ok_or_else(|| missing("currency"))?;
    let amount = flame_core::Money::parse(&amount, &currency).map_err(|e| {
        let e = match &e {
            FlameError::Validation { field, .. } => {
                let field = format!("{at}.{field}");
                e.at(&field)
            }
            _ => e,
        };
        to_py_err(py, e)
    })?;
    Ok(spend(campaign, day, amount, source))
}

/// Leads and ad spend of advertising integrations (`flame.advertising`): trusted host calls,
/// for the host's endpoint, which knows the company and the integration from its routing.
#[pyclass(frozen, module = "flame", name = "Advertising")]
pub(crate) struct Advertising {
    pub(crate) flame: flame_db::Flame,
}

#[pymethods]
impl Advertising {
    /// Ingests a Meta Lead Ads lead, the JSON of the Graph API's lead object (`bytes`, exactly
    /// as received), for the Meta integration `integration_id`, with the request's `headers`
    /// (a `dict`, names in any case). The request is verified first: its
    /// `X-Hub-Signature-256` must be the HMAC-SHA256 of the body under the integration's
    /// `app_secret` credential; an integration without it refuses every request. A missing or
    /// wrong signature raises `UnauthenticatedError` naming the header, and nothing is
    /// written. Then, in one transaction, the contact is found (by email, then phone) or
    /// created, the lead source found or created, a deal opened when the integration says
    /// so, and the lead stored — once: a redelivered lead is a `duplicate`. A malformed body
    /// raises `ValidationError` naming the JSON path, and nothing is written.
    #[pyo3(signature = (company_id, integration_id, body, headers=None))]
    fn ingest_meta_lead(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        integration_id: Uuid,
        body: &[u8],
        headers: Option<HashMap<String, String>>,
    ) -> PyResult<LeadOutcome> {
        let api = self.flame.advertising();
        let company = CompanyId::from_uuid(company_id);
        let integration = IntegrationId::from_uuid(integration_id);
        let request = WebhookRequest::new(headers.unwrap_or_default().into_iter().collect(), body);
        run(py, async move { api.ingest_meta_lead(company, integration, &request).await })
            .map(LeadOutcome)
    }

    /// Ingests a VK Callback API request (`bytes`, and its `headers`) for the VK Ads
    /// integration `integration_id`, dated `received_at` (timezone-aware; VK sends no time).
    /// When the integration holds the credential "secret", the request must carry it (else
    /// `UnauthenticatedError`, nothing written); without that credential every callback is
    /// taken, and the host must authenticate the request itself. A `lead_forms_new` event is
    /// ingested as `ingest_meta_lead` says; any other event (the `confirmation` request, which
    /// the host answers itself) returns `None`.
    #[pyo3(signature = (company_id, integration_id, body, received_at, headers=None))]
    fn ingest_vk_lead(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        integration_id: Uuid,
        body: &[u8],
        received_at: OffsetDateTime,
        headers: Option<HashMap<String, String>>,
    ) -> PyResult<Option<LeadOutcome>> {
        let api = self.flame.advertising();
        let company = CompanyId::from_uuid(company_id);
        let integration = IntegrationId::from_uuid(integration_id);
        let request = WebhookRequest::new(headers.unwrap_or_default().into_iter().collect(), body);
        let outcome = run(py, async move {
            api.ingest_vk_lead(company, integration, &request, received_at).await
        })?;
        Ok(outcome.map(LeadOutcome))
    }

    /// Ingests a `Lead` the host parsed or built itself, for the advertising integration
    /// `integration_id`, checked like a parsed one (a bad field raises `ValidationError`
    /// naming it, "utm.campaign"), then as `ingest_meta_lead` says. Another company's or an
    /// unknown integration, or one of another kind, raises `NotFoundError`; a disabled one
    /// `ConflictError`; a lead of another platform than the integration's `ValidationError`
    /// on "platform". Nothing is written on any error.
    fn ingest_lead(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        integration_id: Uuid,
        lead: &Bound<'_, Lead>,
    ) -> PyResult<LeadOutcome> {
        let lead = lead.get().0.clone();
        let api = self.flame.advertising();
        let company = CompanyId::from_uuid(company_id);
        let integration = IntegrationId::from_uuid(integration_id);
        run(py, async move { api.ingest_lead(company, integration, lead).await }).map(LeadOutcome)
    }

    /// Imports ad spend of the integration `integration_id`: `rows` is an iterable of
    /// `AdSpend`s or mappings with the keys of its constructor (`campaign`, `day`, `amount`,
    /// `currency`, optional `source`), one per campaign and day, inserted or replacing the
    /// row of the same campaign and day. All rows or none: a bad row raises
    /// `ValidationError` naming it (`"rows[3].currency"`), and so does a currency other than
    /// that of the integration's earlier spend. Returns how many rows were written.
    fn import_spend(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        integration_id: Uuid,
        rows: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let rows = rows
            .try_iter()?
            .enumerate()
            .map(|(i, row)| spend_from_py(py, &row?, i))
            .collect::<PyResult<Vec<_>>>()?;
        let api = self.flame.advertising();
        let company = CompanyId::from_uuid(company_id);
        let integration = IntegrationId::from_uuid(integration_id);
        run(py, async move { api.import_spend(company, integration, rows).await })
    }
}

/// The company's ad leads (`session.leads`): the campaign and UTM tags behind its contacts and
/// deals. Everyone who reads deals reads them.
#[pyclass(frozen, module = "flame", name = "Leads")]
pub(crate) struct Leads {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Leads {
    /// The leads, newest first, a page at a time.
    #[pyo3(signature = (*, limit=None, cursor=None))]
    fn list(&self, py: Python<'_>, limit: Option<u32>, cursor: Option<String>) -> PyResult<Page> {
        let api = self.session.leads();
        let rust = run(py, async move { api.list(page(limit, cursor)).await })?;
        page_of(py, rust, LeadRecord)
    }

    /// The lead that opened the deal `deal_id` — its attribution — or `None` for a deal no
    /// lead opened (or another company's).
    fn of_deal(&self, py: Python<'_>, deal_id: Uuid) -> PyResult<Option<LeadRecord>> {
        let api = self.session.leads();
        Ok(run(py, async move { api.of_deal(DealId::from_uuid(deal_id)).await })?.map(LeadRecord))
    }
}

record! {
    /// What a lead source cost in one currency over a period. Amounts are `Money`; a row
    /// without a currency (leads and won deals no spend can be attributed to) has `None`
    /// for every amount.
    SourceCost = "SourceCost" (RSourceCost) |c, py| {
        source_id;
        source_name;
        currency;
        leads;
        won_deals;
        /// Spend in the period (`None` without a currency).
        @derived spend => c.currency.map(|cur| money(py, c.spend_minor, cur)).transpose()?;
        /// Spend per lead, rounded half away from zero; `None` without leads or currency.
        @derived cost_per_lead => c
            .currency
            .zip(c.cost_per_lead_minor)
            .map(|(cur, minor)| money(py, minor, cur))
            .transpose()?;
        /// Spend per won deal, rounded the same way; `None` without won deals or currency.
        @derived cost_per_won_deal => c
            .currency
            .zip(c.cost_per_won_deal_minor)
            .map(|(cur, minor)| money(py, minor, cur))
            .transpose()?;
    }
    skip { spend_minor, cost_per_lead_minor, cost_per_won_deal_minor }
}

/// Reports over the company's data (`session.reports`); every role may read them.
#[pyclass(frozen, module = "flame", name = "Reports")]
pub(crate) struct Reports {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Reports {
    /// Cost per lead and per won deal of each lead source, per currency, over the days
    /// `from_` to `to` (UTC, both included): leads received and deals won in the period,
    /// spend of the period's days. Deals without a source are left out; `to` before `from_`
    /// raises `ValidationError` on "to".
    fn cost_by_source(&self, py: Python<'_>, from_: Date, to: Date) -> PyResult<Vec<SourceCost>> {
        let api = self.session.reports();
        Ok(run(py, async move { api.cost_by_source(from_, to).await })?
            .into_iter()
            .map(SourceCost)
            .collect())
    }
}

record! {
    AccountingDocument = "AccountingDocument" (RAccountingDocument) |d, py| {
        /// Its id, also the invoice's `document_id` the accounting system deduplicates by.
        id;
        company_id;
        integration_id;
        deal_id;
        /// "queued", "sent" or "failed".
        @derived status => d.state.status();
        /// Why it failed (set exactly when it failed).
        @derived failure_reason => d.state.reason();
        /// The invoice in its documented JSON form (`"schema": "flame.invoice.v1"`) as a
        /// dict; `None` when the deal could not be invoiced.
        document: "Optional[dict[str, Any]]" => d.document.as_ref().map(|doc| json(py, doc)).transpose()?;
        created_at;
        updated_at;
        version;
    }
    skip { state }
}

/// A document filter from keyword arguments.
fn filter(
    py: Python<'_>,
    status: Option<&str>,
    deal_id: Option<Uuid>,
    integration_id: Option<Uuid>,
) -> PyResult<DocumentFilter> {
    Ok(DocumentFilter {
        status: parse_opt::<DocumentStatus>(py, status)?,
        deal_id: deal_id.map(DealId::from_uuid),
        integration_id: integration_id.map(IntegrationId::from_uuid),
    })
}

fn wrap_document(d: RAccountingDocument) -> AccountingDocument {
    AccountingDocument(d)
}

/// The company's accounting documents (`session.accounting`), for admins and owners.
#[pyclass(frozen, module = "flame", name = "Accounting")]
pub(crate) struct Accounting {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Accounting {
    /// Queues the invoice of the won deal `deal_id` for every enabled accounting integration
    /// and returns the deal's documents for them: exactly one hand-over per deal and
    /// integration (a failed document is queued again; a queued or sent one stands). A deal
    /// that is not won, or has no contact or amount, raises `ValidationError` naming it;
    /// without an enabled accounting integration, `ConflictError`.
    fn queue_invoice(&self, py: Python<'_>, deal_id: Uuid) -> PyResult<Vec<AccountingDocument>> {
        let api = self.session.accounting();
        Ok(run(py, async move { api.queue_invoice(DealId::from_uuid(deal_id)).await })?
            .into_iter()
            .map(AccountingDocument)
            .collect())
    }

    /// The documents matching every given filter (`status` "queued", "sent" or "failed"),
    /// oldest first, a page at a time.
    #[pyo3(signature = (*, status=None, deal_id=None, integration_id=None, limit=None, cursor=None))]
    fn documents(
        &self,
        py: Python<'_>,
        status: Option<&str>,
        deal_id: Option<Uuid>,
        integration_id: Option<Uuid>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = filter(py, status, deal_id, integration_id)?;
        let api = self.session.accounting();
        let rust = run(py, async move { api.documents(filter, page(limit, cursor)).await })?;
        page_of(py, rust, wrap_document)
    }

    /// One document.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<AccountingDocument> {
        let api = self.session.accounting();
        run(py, async move { api.get(id).await }).map(AccountingDocument)
    }
}

/// The hand-over of accounting documents (`flame.accounting`), for the host or the adapter
/// that sends them: trusted host calls. Read a company's queued documents, send each
/// `document` to the accounting system, and report how it went.
#[pyclass(frozen, module = "flame", name = "AccountingDocuments")]
pub(crate) struct AccountingDocuments {
    pub(crate) flame: flame_db::Flame,
}

#[pymethods]
impl AccountingDocuments {
    /// The documents of `company_id` matching every given filter (the queued ones, to send
    /// them), oldest first, a page at a time.
    #[pyo3(signature = (company_id, *, status=None, deal_id=None, integration_id=None, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        status: Option<&str>,
        deal_id: Option<Uuid>,
        integration_id: Option<Uuid>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = filter(py, status, deal_id, integration_id)?;
        let api = self.flame.accounting();
        let company = CompanyId::from_uuid(company_id);
        let rust = run(py, async move { api.list(company, filter, page(limit, cursor)).await })?;
        page_of(py, rust, wrap_document)
    }

    /// One document of `company_id`; another company's raises `NotFoundError`.
    fn get(&self, py: Python<'_>, company_id: Uuid, id: Uuid) -> PyResult<AccountingDocument> {
        let api = self.flame.accounting();
        run(py, async move { api.get(CompanyId::from_uuid(company_id), id).await })
            .map(AccountingDocument)
    }

    /// Records that the accounting system accepted the queued document `id`. A document
    /// that is not queued raises `InvalidTransitionError` (a sent one is final).
    fn mark_sent(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        id: Uuid,
    ) -> PyResult<AccountingDocument> {
        let api = self.flame.accounting();
        run(py, async move { api.mark_sent(CompanyId::from_uuid(company_id), id).await })
            .map(AccountingDocument)
    }

    /// Records that the hand-over of the queued document `id` failed, and why (required, at
    /// most 1000 characters; never put a credential in it). A document that is not queued
    /// raises `InvalidTransitionError`; an admin queues a failed one again with
    /// `session.accounting.queue_invoice`.
    fn mark_failed(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        id: Uuid,
        reason: String,
    ) -> PyResult<AccountingDocument> {
        let api = self.flame.accounting();
        run(py, async move { api.mark_failed(CompanyId::from_uuid(company_id), id, &reason).await })
            .map(AccountingDocument)
    }
}

/// Adds the classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<LeadOutcome>()?;
    m.add_class::<Utm>()?;
    m.add_class::<Lead>()?;
    m.add_class::<LeadRecord>()?;
    m.add_class::<AdSpend>()?;
    m.add_class::<Advertising>()?;
    m.add_class::<Leads>()?;
    m.add_class::<SourceCost>()?;
    m.add_class::<Reports>()?;
    m.add_class::<AccountingDocument>()?;
    m.add_class::<Accounting>()?;
    m.add_class::<AccountingDocuments>()?;
    Ok(())
}
