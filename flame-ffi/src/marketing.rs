//! Advertising leads, ad spend, the cost report and accounting documents on the uniffi
//! surface. Every method is a conversion and a call.

use flame_db::LeadOutcome;
use std::collections::HashMap;
use std::time::SystemTime;

use fc::integration::verify::WebhookRequest;
use flame_db::core as fc;
use uuid::Uuid;

use crate::error::{FlameError, Result};
use crate::integrations::AdvertisingPlatform;

use crate::types::*;
pub use fc::integration::accounting::DocumentStatus;
pub use fc::integration::advertising::{LeadAnswer, LeadRecord, SourceCost, Utm};
/// Hosts call it `DeliveryStatus` (`#[uniffi(name)]` in flame-core).
pub use fc::integration::webhook::DeliveryState;

fn uuid(field: &str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| FlameError::Validation {
        field: field.into(),
        reason: "is not a valid id".into(),
    })
}

fn date(field: &str, text: &str) -> Result<time::Date> {
    fc::clock::parse_date(field, text)
}

/// The UTM tags of the landing page `url` (a bare query such as `?utm_source=vk` works too);
/// a tag longer than a name may be is a `Validation` error naming it (`"utm_campaign"`).
#[uniffi::export]
pub fn utm_from_url(url: String) -> Result<Utm> {
    fc::integration::advertising::Utm::from_url(&url)
}

/// A lead the host parsed or built itself, for `Advertising.ingestLead`: a person who filled
/// in an ad's form on a platform Flame does not parse, or a parsed one with the UTM tags of
/// its landing page.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Lead {
    /// The platform it came from (the integration's).
    pub platform: AdvertisingPlatform,
    /// Its id on the platform: a redelivered lead is recognized by it.
    pub external_lead_id: String,
    /// When the lead was created on the platform.
    pub created_at: SystemTime,
    /// The person's name.
    #[uniffi(default)]
    pub name: Option<String>,
    /// The person's email (checked: a `Validation` error on `"email"`).
    #[uniffi(default)]
    pub email: Option<String>,
    /// The person's phone in international form (checked: a `Validation` error on `"phone"`).
    #[uniffi(default)]
    pub phone: Option<String>,
    /// The campaign.
    #[uniffi(default)]
    pub campaign: Option<String>,
    /// The ad.
    #[uniffi(default)]
    pub ad: Option<String>,
    /// The form.
    #[uniffi(default)]
    pub form: Option<String>,
    /// The UTM tags of the landing page (see `utmFromUrl`).
    #[uniffi(default)]
    pub utm: Utm,
    /// Every answer of the form, in order.
    #[uniffi(default)]
    pub answers: Vec<LeadAnswer>,
}

impl TryFrom<Lead> for fc::integration::advertising::Lead {
    type Error = FlameError;
    fn try_from(l: Lead) -> Result<Self> {
        let Lead {
            platform,
            external_lead_id,
            created_at,
            name,
            email,
            phone,
            campaign,
            ad,
            form,
            utm,
            answers,
        } = l;
        Ok(Self {
            platform,
            external_lead_id,
            name,
            email: email.map(|e| fc::Email::parse(&e)).transpose()?,
            phone: phone.map(|p| fc::Phone::parse(&p, None)).transpose()?,
            campaign,
            ad,
            form,
            utm,
            answers,
            created_at: from_time(created_at),
        })
    }
}

crate::types::page!(/** A page of leads. */ LeadPage of LeadRecord from fc::integration::advertising::LeadRecord);

/// One day of spend on one campaign.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AdSpend {
    /// The campaign.
    pub campaign: String,
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// The amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The lead source to file it under (default: the platform's).
    #[uniffi(default)]
    pub source: Option<String>,
}

/// An invoice document for an accounting integration.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AccountingDocument {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// The accounting integration.
    pub integration_id: String,
    /// The deal invoiced.
    pub deal_id: String,
    /// Queued, sent or failed.
    pub status: DocumentStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// The invoice in its documented JSON form (`flame.invoice.v1`); `null` when it could not
    /// be made.
    pub document_json: Option<String>,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::integration::accounting::AccountingDocument> for AccountingDocument {
    fn from(d: fc::integration::accounting::AccountingDocument) -> Self {
        let fc::integration::accounting::AccountingDocument {
            id: document_id,
            company_id,
            integration_id,
            deal_id,
            state,
            document,
            created_at,
            updated_at,
            version,
        } = d;
        Self {
            id: document_id.to_string(),
            company_id: id(company_id),
            integration_id: id(integration_id),
            deal_id: id(deal_id),
            status: state.status(),
            failure_reason: state.reason().map(str::to_owned),
            document_json: document.as_ref().and_then(|doc| serde_json::to_string(doc).ok()),
            created_at: time(created_at),
            updated_at: time(updated_at),
            version,
        }
    }
}

/// Leads and ad spend (trusted host calls).
#[derive(Debug, uniffi::Object)]
pub struct Advertising {
    pub(crate) inner: flame_db::Advertising,
}

#[uniffi::export(async_runtime = "tokio")]
impl Advertising {
    /// Ingests a Meta Lead Ads lead (the Graph API lead object): `headers` as received (names
    /// in any case) and the raw `body`. Its `X-Hub-Signature-256` must be the HMAC of the body
    /// under the integration's `app_secret` credential; without that credential every request
    /// is refused. A missing or wrong signature is `Unauthenticated` naming the header, and
    /// nothing is written.
    pub async fn ingest_meta_lead(
        &self,
        company_id: String,
        integration_id: String,
        headers: HashMap<String, String>,
        body: Vec<u8>,
    ) -> Result<LeadOutcome> {
        let company = crate::types::company_id("company_id", &company_id)?;
        let integration = crate::types::integration_id("integration_id", &integration_id)?;
        let request = WebhookRequest::new(headers.into_iter().collect(), body);
        self.inner.ingest_meta_lead(company, integration, &request).await
    }

    /// Ingests a VK Ads lead-form callback (`headers` as received, the raw `body`); `null` for
    /// callbacks that carry no lead. When the integration holds the credential `secret`, the
    /// callback must carry it (else `Unauthenticated`, nothing written); without it every
    /// callback is taken, and the host must authenticate the request itself.
    pub async fn ingest_vk_lead(
        &self,
        company_id: String,
        integration_id: String,
        headers: HashMap<String, String>,
        body: Vec<u8>,
        received_at: SystemTime,
    ) -> Result<Option<LeadOutcome>> {
        let company = crate::types::company_id("company_id", &company_id)?;
        let integration = crate::types::integration_id("integration_id", &integration_id)?;
        let request = WebhookRequest::new(headers.into_iter().collect(), body);
        self.inner.ingest_vk_lead(company, integration, &request, received_at.into()).await
    }

    /// Ingests a lead the host parsed or built itself, checked like a parsed one; what it
    /// does is what `ingestMetaLead` does. Another company's, an unknown or a non-advertising
    /// integration is `NotFound`, a disabled one `Conflict`, a lead of another platform a
    /// `Validation` error on `"platform"`; nothing is written on any error.
    pub async fn ingest_lead(
        &self,
        company_id: String,
        integration_id: String,
        lead: Lead,
    ) -> Result<LeadOutcome> {
        let company = crate::types::company_id("company_id", &company_id)?;
        let integration = crate::types::integration_id("integration_id", &integration_id)?;
        self.inner.ingest_lead(company, integration, lead.try_into()?).await
    }

    /// Imports spend per campaign and day (all or nothing); returns the rows written.
    pub async fn import_spend(
        &self,
        company_id: String,
        integration_id: String,
        rows: Vec<AdSpend>,
    ) -> Result<u64> {
        let company = crate::types::company_id("company_id", &company_id)?;
        let integration = crate::types::integration_id("integration_id", &integration_id)?;
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(fc::integration::advertising::AdSpend {
                    campaign: r.campaign,
                    day: date(&format!("rows[{i}].day"), &r.day)?,
                    amount_minor: r.amount_minor,
                    currency: r.currency,
                    source: r.source,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.inner.import_spend(company, integration, rows).await
    }
}

/// The company's ad leads: the campaign and UTM tags behind its contacts and deals. Everyone
/// who reads deals reads them.
#[derive(Debug, uniffi::Object)]
pub struct Leads {
    pub(crate) inner: flame_db::Leads,
}

#[uniffi::export(async_runtime = "tokio")]
impl Leads {
    /// The leads, newest first, a page at a time.
    #[uniffi::method(default(page))]
    pub async fn list(&self, page: PageRequest) -> Result<LeadPage> {
        Ok(self.inner.list(page).await?.into())
    }

    /// The lead that opened the deal — its attribution — or `null` for a deal no lead opened
    /// (or another company's).
    pub async fn of_deal(&self, deal_id: String) -> Result<Option<LeadRecord>> {
        let deal = crate::types::deal_id("deal_id", &deal_id)?;
        self.inner.of_deal(deal).await
    }
}

/// Reports over the company's data.
#[derive(Debug, uniffi::Object)]
pub struct Reports {
    pub(crate) inner: flame_db::Reports,
}

#[uniffi::export(async_runtime = "tokio")]
impl Reports {
    /// Cost per lead and per won deal by source and currency, between two `YYYY-MM-DD` days.
    pub async fn cost_by_source(&self, from: String, to: String) -> Result<Vec<SourceCost>> {
        let rows = self.inner.cost_by_source(date("from", &from)?, date("to", &to)?).await?;
        Ok(rows.into_iter().collect())
    }
}

/// Invoice documents of the session's company (admins and owners).
#[derive(Debug, uniffi::Object)]
pub struct Accounting {
    pub(crate) inner: flame_db::Accounting,
}

#[uniffi::export(async_runtime = "tokio")]
impl Accounting {
    /// Queues the deal's invoice for each enabled accounting integration (once per deal).
    pub async fn queue_invoice(&self, deal_id: String) -> Result<Vec<AccountingDocument>> {
        let deal = crate::types::deal_id("deal_id", &deal_id)?;
        Ok(self.inner.queue_invoice(deal).await?.into_iter().map(Into::into).collect())
    }

    /// The documents matching `filter`, oldest first, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn documents(
        &self,
        filter: crate::surface::DocumentFilter,
        page: PageRequest,
    ) -> Result<crate::surface::AccountingDocumentPage> {
        Ok(self.inner.documents(filter.try_into()?, page).await?.into())
    }
}

/// The hand-over of accounting documents (trusted host calls).
#[derive(Debug, uniffi::Object)]
pub struct AccountingDocuments {
    pub(crate) inner: flame_db::AccountingDocuments,
}

#[uniffi::export(async_runtime = "tokio")]
impl AccountingDocuments {
    /// Records that the accounting system accepted the document.
    pub async fn mark_sent(&self, company_id: String, id: String) -> Result<AccountingDocument> {
        let company = crate::types::company_id("company_id", &company_id)?;
        Ok(self.inner.mark_sent(company, uuid("id", &id)?).await?.into())
    }

    /// Records that the hand-over failed, and why.
    pub async fn mark_failed(
        &self,
        company_id: String,
        id: String,
        reason: String,
    ) -> Result<AccountingDocument> {
        let company = crate::types::company_id("company_id", &company_id)?;
        Ok(self.inner.mark_failed(company, uuid("id", &id)?, &reason).await?.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Outgoing webhooks

/// Checks the `Flame-Signature` header of a webhook request Flame sent, for a receiver
/// written in Kotlin or Swift: `secret` is the webhook's signing secret, `header` the
/// header's value, `body` the raw request body, `tolerance` how far the signature's time may
/// be from now (`null`: five minutes). A malformed header is a `Validation` error on
/// `"Flame-Signature"`; an old timestamp (a replay) or a signature that does not match is
/// `Unauthenticated`. Neither shows the secret.
#[uniffi::export(default(tolerance = None))]
pub fn verify_webhook_signature(
    secret: String,
    header: String,
    body: Vec<u8>,
    tolerance: Option<std::time::Duration>,
) -> Result<()> {
    let secret = secrecy::SecretString::from(secret);
    let tolerance = tolerance.unwrap_or(fc::integration::webhook::SIGNATURE_TOLERANCE);
    fc::integration::webhook::verify(&secret, &header, &body, fc::clock::now(), tolerance)
}

/// One event for one webhook.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WebhookDelivery {
    /// Its id.
    pub id: String,
    /// The webhook integration.
    pub integration_id: String,
    /// The event (receivers dedupe on it: the `Flame-Event-Id` header).
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The kind of record the event is about (`"deal"`).
    pub aggregate_type: String,
    /// The record the event is about.
    pub aggregate_id: String,
    /// Pending, delivered or dead.
    pub status: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: SystemTime,
    /// Why the last attempt failed (Flame's wording; never a secret or the response body).
    pub last_error: Option<String>,
    /// The receiver's last HTTP status.
    pub last_status: Option<u16>,
    /// When it was delivered.
    pub delivered_at: Option<SystemTime>,
    /// When it was queued.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
}

impl From<flame_db::WebhookDelivery> for WebhookDelivery {
    fn from(d: flame_db::WebhookDelivery) -> Self {
        let flame_db::WebhookDelivery {
            id: delivery_id,
            integration_id,
            event_id,
            event_type,
            aggregate_type,
            aggregate_id,
            status,
            attempts,
            next_attempt_at,
            last_error,
            last_status,
            delivered_at,
            created_at,
            updated_at,
        } = d;
        Self {
            id: delivery_id.to_string(),
            integration_id: id(integration_id),
            event_id: id(event_id),
            event_type,
            aggregate_type,
            aggregate_id: aggregate_id.to_string(),
            status,
            attempts,
            next_attempt_at: time(next_attempt_at),
            last_error,
            last_status,
            delivered_at: opt_time(delivered_at),
            created_at: time(created_at),
            updated_at: time(updated_at),
        }
    }
}

#[cfg(feature = "webhooks")]
/// What one pass of the delivery worker did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WorkReport {
    /// Outbox events marked published.
    pub published: u64,
    /// Deliveries created.
    pub dispatched: u64,
    /// Deliveries accepted.
    pub delivered: u64,
    /// Attempts that failed (to be retried).
    pub failed: u64,
    /// Deliveries that died.
    pub dead: u64,
}

#[cfg(feature = "webhooks")]
/// How the delivery worker runs; every `null` takes the Rust default.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct WebhookOptions {
    /// The first retry delay.
    #[uniffi(default)]
    pub backoff_base: Option<std::time::Duration>,
    /// The longest retry delay.
    #[uniffi(default)]
    pub backoff_cap: Option<std::time::Duration>,
    /// Attempts before a delivery is dead.
    #[uniffi(default)]
    pub max_attempts: Option<u32>,
    /// How long one post may take.
    #[uniffi(default)]
    pub timeout: Option<std::time::Duration>,
    /// How long a claimed delivery stays reserved (must exceed `timeout`).
    #[uniffi(default)]
    pub lease: Option<std::time::Duration>,
    /// Events and deliveries per pass (1 to 500).
    #[uniffi(default)]
    pub batch: Option<u32>,
    /// How long a started worker sleeps when a pass found nothing more to do.
    #[uniffi(default)]
    pub poll_interval: Option<std::time::Duration>,
}

#[cfg(feature = "webhooks")]
impl TryFrom<WebhookOptions> for flame_db::WebhookOptions {
    type Error = FlameError;
    fn try_from(o: WebhookOptions) -> Result<Self> {
        let d = flame_db::WebhookOptions::default();
        let backoff = fc::integration::webhook::Backoff::new(
            o.backoff_base.unwrap_or(d.backoff.base()),
            o.backoff_cap.unwrap_or(d.backoff.cap()),
            o.max_attempts.unwrap_or(d.backoff.max_attempts()),
        )?;
        Ok(flame_db::WebhookOptions {
            backoff,
            timeout: o.timeout.unwrap_or(d.timeout),
            lease: o.lease.unwrap_or(d.lease),
            batch: o.batch.unwrap_or(d.batch),
            poll_interval: o.poll_interval.unwrap_or(d.poll_interval),
        })
    }
}

#[cfg(feature = "webhooks")]
/// The delivery worker: `runOnce` for a host's own scheduler, or `start` for a background
/// task until `stop`.
#[derive(Debug, uniffi::Object)]
pub struct WebhookWorker {
    pub(crate) inner: flame_db::WebhookWorker,
    pub(crate) running: std::sync::Mutex<Option<flame_db::WorkerHandle>>,
}

#[cfg(feature = "webhooks")]
#[uniffi::export(async_runtime = "tokio")]
impl WebhookWorker {
    /// One pass: dispatch new events, then post what is due.
    pub async fn run_once(&self) -> Result<WorkReport> {
        let r = self.inner.run_once().await?;
        Ok(WorkReport {
            published: r.published,
            dispatched: r.dispatched,
            delivered: r.delivered,
            failed: r.failed,
            dead: r.dead,
        })
    }

    /// Starts passes in the background until `stop` (a second start does nothing).
    pub async fn start(&self) {
        let mut running = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.is_none() {
            *running = Some(self.inner.clone().spawn());
        }
    }

    /// Stops the background passes after the current one.
    pub async fn stop(&self) {
        let handle = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(handle) = handle {
            handle.stop().await;
        }
    }
}

/// Webhook deliveries of the session's company (admins and owners).
#[derive(Debug, uniffi::Object)]
pub struct WebhookDeliveries {
    pub(crate) inner: flame_db::WebhookDeliveries,
}

#[uniffi::export(async_runtime = "tokio")]
impl WebhookDeliveries {
    /// Deliveries matching `filter`, newest first, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(
        &self,
        filter: crate::surface::WebhookDeliveryFilter,
        page: PageRequest,
    ) -> Result<crate::surface::WebhookDeliveryPage> {
        Ok(self.inner.list(filter.try_into()?, page).await?.into())
    }

    /// Sends a dead delivery again.
    pub async fn retry(&self, id: String) -> Result<WebhookDelivery> {
        Ok(self.inner.retry(uuid("id", &id)?).await?.into())
    }
}
