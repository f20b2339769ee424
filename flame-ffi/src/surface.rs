//! The operations Kotlin and Swift were missing beside Rust and Python: the paged, filtered
//! lists of accounting documents and webhook deliveries with their `get`, row import, and the
//! worker's options. Thin adapters over `flame-db`, like the rest of the crate; the table of
//! every operation in every host is `docs/bindings.md` (checked by `scripts/check-bindings`).

use flame_db::core as fc;
use uuid::Uuid;

use crate::error::{FlameError, Result};
#[cfg(feature = "webhooks")]
use crate::marketing::WebhookWorker;
use crate::marketing::{
    Accounting, AccountingDocument, AccountingDocuments, DeliveryState, DocumentStatus,
    WebhookDeliveries, WebhookDelivery,
};
use crate::objects::Contacts;
use crate::types::{ImportReport, NewContact, opt_deal_id, opt_integration_id};

fn uuid(field: &str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| FlameError::Validation {
        field: field.into(),
        reason: "is not a valid id".into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Accounting documents

/// Which accounting documents to list; every given filter must match (`null`: any).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct DocumentFilter {
    /// Only documents in this status.
    #[uniffi(default)]
    pub status: Option<DocumentStatus>,
    /// Only documents of this deal.
    #[uniffi(default)]
    pub deal_id: Option<String>,
    /// Only documents for this accounting integration.
    #[uniffi(default)]
    pub integration_id: Option<String>,
}

impl TryFrom<DocumentFilter> for fc::integration::accounting::DocumentFilter {
    type Error = FlameError;
    fn try_from(f: DocumentFilter) -> Result<Self> {
        Ok(Self {
            status: f.status,
            deal_id: opt_deal_id("deal_id", f.deal_id)?,
            integration_id: opt_integration_id("integration_id", f.integration_id)?,
        })
    }
}

crate::types::page!(
    /** A page of accounting documents. */
    AccountingDocumentPage of AccountingDocument from fc::integration::accounting::AccountingDocument
);

#[uniffi::export(async_runtime = "tokio")]
impl Accounting {
    /// One document of the session's company; another company's is `NotFound`.
    pub async fn get(&self, id: String) -> Result<AccountingDocument> {
        Ok(self.inner.get(uuid("id", &id)?).await?.into())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl AccountingDocuments {
    /// The documents of the company matching `filter` (the queued ones, to send them), oldest
    /// first, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(
        &self,
        company_id: String,
        filter: DocumentFilter,
        page: crate::types::PageRequest,
    ) -> Result<AccountingDocumentPage> {
        let company = crate::types::company_id("company_id", &company_id)?;
        Ok(self.inner.list(company, filter.try_into()?, page).await?.into())
    }

    /// One document of the company; another company's is `NotFound`.
    pub async fn get(&self, company_id: String, id: String) -> Result<AccountingDocument> {
        let company = crate::types::company_id("company_id", &company_id)?;
        Ok(self.inner.get(company, uuid("id", &id)?).await?.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook deliveries

/// Which webhook deliveries to list; every given filter must match (`null`: any).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct WebhookDeliveryFilter {
    /// Only deliveries in this status (dead ones, to see what needs attention).
    #[uniffi(default)]
    pub status: Option<DeliveryState>,
    /// Only deliveries to this webhook integration.
    #[uniffi(default)]
    pub integration_id: Option<String>,
}

impl TryFrom<WebhookDeliveryFilter> for flame_db::WebhookDeliveryFilter {
    type Error = FlameError;
    fn try_from(f: WebhookDeliveryFilter) -> Result<Self> {
        Ok(Self {
            status: f.status,
            integration_id: opt_integration_id("integration_id", f.integration_id)?,
        })
    }
}

/// A page of webhook deliveries.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WebhookDeliveryPage {
    /// The items, in the list's order.
    pub items: Vec<WebhookDelivery>,
    /// Pass it as `PageRequest.cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<fc::page::Page<flame_db::WebhookDelivery>> for WebhookDeliveryPage {
    fn from(p: fc::page::Page<flame_db::WebhookDelivery>) -> Self {
        Self { items: p.items.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl WebhookDeliveries {
    /// One delivery of the session's company; another company's is `NotFound`.
    pub async fn get(&self, id: String) -> Result<WebhookDelivery> {
        Ok(self.inner.get(uuid("id", &id)?).await?.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts

#[uniffi::export(async_runtime = "tokio")]
impl Contacts {
    /// Imports `rows` like `create` would, in batches: a bad row is rejected and reported (its
    /// 1-based position as `line`) and the rest go on, as with `importCsv`. A row whose
    /// `ownerId` is not an id is a `Validation` error on `owner_id`, before anything is
    /// imported.
    pub async fn import_rows(&self, rows: Vec<NewContact>) -> Result<ImportReport> {
        let rows =
            rows.into_iter().map(fc::contact::NewContact::try_from).collect::<Result<Vec<_>>>()?;
        self.inner.import_rows(rows).await
    }
}

// ---------------------------------------------------------------------------------------------
// The webhook worker's settings (Python shows them as properties)

#[cfg(feature = "webhooks")]
/// How a delivery worker runs, as it was opened: every value filled in.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WebhookWorkerOptions {
    /// The first retry delay.
    pub backoff_base: std::time::Duration,
    /// The longest retry delay.
    pub backoff_cap: std::time::Duration,
    /// Attempts before a delivery is dead.
    pub max_attempts: u32,
    /// How long one post may take.
    pub timeout: std::time::Duration,
    /// How long a claimed delivery stays reserved.
    pub lease: std::time::Duration,
    /// Events and deliveries per pass.
    pub batch: u32,
    /// How long a started worker sleeps when idle.
    pub poll_interval: std::time::Duration,
}

#[cfg(feature = "webhooks")]
#[uniffi::export]
impl WebhookWorker {
    /// The options the worker runs with (defaults filled in).
    pub fn options(&self) -> WebhookWorkerOptions {
        let o = self.inner.options();
        WebhookWorkerOptions {
            backoff_base: o.backoff.base(),
            backoff_cap: o.backoff.cap(),
            max_attempts: o.backoff.max_attempts(),
            timeout: o.timeout,
            lease: o.lease,
            batch: o.batch,
            poll_interval: o.poll_interval,
        }
    }

    /// Whether background passes are running (between `start` and `stop`).
    pub fn running(&self) -> bool {
        let running = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        running.as_ref().is_some_and(|h| !h.is_finished())
    }
}
