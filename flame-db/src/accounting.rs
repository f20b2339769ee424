//! Accounting: the invoice documents queued for accounting integrations — when a deal is won,
//! or on demand — and the state of their hand-over, which the host reports back.
//!
//! A document is the JSON of [`InvoiceDocument`] (`"flame.invoice.v1"`, see
//! [`flame_core::integration::accounting`]), stored with its status. There is at most one per
//! deal and integration, so winning a deal again after reopening it queues nothing new.

use time::OffsetDateTime;
use uuid::Uuid;

use flame_core::auth::{Action, Resource};
use flame_core::contact::Contact;
use flame_core::deal::{Deal, DealStatus};
use flame_core::integration::accounting::{
    AccountingDocument, DocumentFilter, DocumentState, DocumentStatus, InvoiceDocument,
};
use flame_core::integration::record::AccountingSettings;
use flame_core::integration::{IntegrationKind, IntegrationSettings};
use flame_core::page::{Page, PageRequest};
use flame_core::{CompanyId, DealId, FlameError, IntegrationId, Result, clock};

use crate::sql::{Executor, Row, Statement, Tx, args, found};
use crate::{Flame, Session};

const COLUMNS: &str = "SELECT company_id, id, integration_id, deal_id, status, document,
        failure_reason, created_at, updated_at, version FROM accounting_documents";

fn document_from_row(row: &Row) -> Result<AccountingDocument> {
    let status: DocumentStatus = row.parse("status")?;
    let document: crate::sql::Json<Option<InvoiceDocument>> = row.get("document")?;
    Ok(AccountingDocument {
        id: row.get("id")?,
        company_id: row.id("company_id")?,
        integration_id: row.id("integration_id")?,
        deal_id: row.id("deal_id")?,
        state: DocumentState::from_stored(status, row.get("failure_reason")?),
        document: document.0,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

fn document_json(document: &AccountingDocument) -> Result<serde_json::Value> {
    serde_json::to_value(&document.document)
        .map_err(|_| FlameError::storage("could not serialize an invoice document"))
}

/// The enabled accounting integrations of `company` and their settings, oldest first.
async fn enabled_integrations(
    exec: &mut impl Executor,
    company: CompanyId,
) -> Result<Vec<(IntegrationId, AccountingSettings)>> {
    let rows = exec
        .fetch_all(
            "SELECT id, settings FROM integrations
             WHERE company_id = $1 AND kind = $2 AND enabled = $3 ORDER BY id",
            args![company.as_uuid(), IntegrationKind::Accounting.as_str(), true],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let settings: crate::sql::Json<IntegrationSettings> = row.get("settings")?;
        if let IntegrationSettings::Accounting(settings) = settings.0 {
            out.push((row.id("id")?, settings));
        }
    }
    Ok(out)
}

/// The contact of `deal`, who the invoice is made out to (`None` without one).
async fn customer_of(exec: &mut impl Executor, deal: &Deal) -> Result<Option<Contact>> {
    let Some(id) = deal.contact_id else { return Ok(None) };
    let sql = format!("{} WHERE company_id = $1 AND id = $2", crate::contact::COLUMNS);
    let row = exec.fetch_optional(sql, args![deal.company_id.as_uuid(), id.as_uuid()]).await?;
    row.as_ref().map(crate::contact::contact_from_row).transpose()
}

/// Stores a new document; with `once`, a document the pair (integration, deal) already has
/// stands and nothing is written.
async fn insert(tx: &mut Tx, document: &AccountingDocument, once: bool) -> Result<()> {
    let sql = if once {
        "INSERT INTO accounting_documents (company_id, id, integration_id, deal_id, status, document,
                                           failure_reason, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (company_id, integration_id, deal_id) DO NOTHING"
    } else {
        "INSERT INTO accounting_documents (company_id, id, integration_id, deal_id, status, document,
                                           failure_reason, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    };
    tx.execute(
        sql,
        args![
            document.company_id.as_uuid(),
            document.id,
            document.integration_id.as_uuid(),
            document.deal_id.as_uuid(),
            document.state.status().as_str(),
            document_json(document)?,
            document.state.reason().map(str::to_owned),
            document.created_at,
            document.updated_at,
            document.version
        ],
    )
    .await?;
    Ok(())
}

/// Stores `next`, the document read at `before.version`; a stale version is `Conflict`.
async fn save(tx: &mut Tx, before: &AccountingDocument, next: &AccountingDocument) -> Result<()> {
    let changed = tx
        .execute(
            "UPDATE accounting_documents SET status = $1, document = $2, failure_reason = $3,
                    updated_at = $4, version = $5
             WHERE company_id = $6 AND id = $7 AND version = $8",
            args![
                next.state.status().as_str(),
                document_json(next)?,
                next.state.reason().map(str::to_owned),
                next.updated_at,
                next.version,
                before.company_id.as_uuid(),
                before.id,
                before.version
            ],
        )
        .await?;
    if changed == 0 { Err(FlameError::stale("accounting document")) } else { Ok(()) }
}

/// Queues the invoice of a deal that `before` → `after` won, inside the transaction that
/// saved it: one document for each enabled accounting integration that invoices on win, unless
/// that integration already has one for the deal (won before, reopened, won again). A deal
/// that cannot be invoiced (no contact, no amount) still wins; its documents are recorded as
/// failed with the reason ([`AccountingDocument::on_won`]). Any other transition does nothing.
pub(crate) async fn queue_if_won(
    tx: &mut Tx,
    before: &Deal,
    after: &Deal,
    now: OffsetDateTime,
) -> Result<()> {
    if after.status != DealStatus::Won || before.status == DealStatus::Won {
        return Ok(());
    }
    let integrations = enabled_integrations(tx, after.company_id).await?;
    // Collected, not a lazy iterator: the future must stay `Send` across the awaits below.
    let on_won: Vec<_> = integrations.iter().filter(|(_, s)| s.invoice_on_won).collect();
    if on_won.is_empty() {
        return Ok(());
    }
    let contact = customer_of(tx, after).await?;
    for (integration, settings) in on_won {
        let document =
            AccountingDocument::on_won(*integration, settings, after, contact.as_ref(), now);
        insert(tx, &document, true).await?;
    }
    Ok(())
}

async fn fetch(
    exec: &mut impl Executor,
    company: CompanyId,
    id: Uuid,
) -> Result<AccountingDocument> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
    let row = exec.fetch_optional(sql, args![company.as_uuid(), id]).await?;
    found(row, document_from_row, "accounting document")
}

/// The document of the pair (integration, deal), if there is one.
async fn find_for(
    exec: &mut impl Executor,
    company: CompanyId,
    integration: IntegrationId,
    deal: DealId,
) -> Result<Option<AccountingDocument>> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 AND integration_id = $2 AND deal_id = $3");
    let row = exec
        .fetch_optional(sql, args![company.as_uuid(), integration.as_uuid(), deal.as_uuid()])
        .await?;
    row.as_ref().map(document_from_row).transpose()
}

async fn list(
    exec: &mut impl Executor,
    company: CompanyId,
    filter: DocumentFilter,
    page: PageRequest,
) -> Result<Page<AccountingDocument>> {
    let limit = page.limit()?;
    let mut q = Statement::new(COLUMNS, vec![]);
    let c = q.bind(company.as_uuid());
    q.push(&format!(" WHERE company_id = {c}"));
    q.and("status", "=", filter.status.map(|s| s.as_str().to_owned()))
        .and("deal_id", "=", filter.deal_id.map(|d| d.as_uuid()))
        .and("integration_id", "=", filter.integration_id.map(|i| i.as_uuid()))
        .page(page.cursor_uuid()?, limit, false);
    let (sql, values) = q.build();
    let rows = exec.fetch_all(sql, values).await?;
    let documents = rows.iter().map(document_from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(documents, limit, |d: &AccountingDocument| d.id))
}

/// The company's accounting documents, for admins and owners: what was queued for the
/// accounting systems and how the hand-over went, and queueing a deal's invoice on demand.
#[derive(Debug, Clone)]
pub struct Accounting {
    session: Session,
}

impl Session {
    /// The company's accounting documents.
    pub fn accounting(&self) -> Accounting {
        Accounting { session: self.clone() }
    }
}

impl Accounting {
    /// Queues the invoice of the won deal `deal_id` for every enabled accounting integration
    /// (whether or not it invoices on win), and returns the deal's documents for them. An
    /// integration without a document for the deal gets one; a failed document is queued again
    /// (with a new invoice if it had none); a queued or sent one stands — exactly one hand-over
    /// per deal and integration ([`AccountingDocument::on_demand`]).
    ///
    /// A deal that is not won, has no contact or no amount is a `Validation` error naming it
    /// (`"deal.contact_id"`), and nothing is queued; without an enabled accounting integration,
    /// `Conflict`.
    pub async fn queue_invoice(&self, deal_id: DealId) -> Result<Vec<AccountingDocument>> {
        self.session.authorize(Action::Create, Resource::Integration).await?;
        let deal = self.session.deals().get(deal_id).await?;
        let company = self.session.company_id();
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Create, Resource::Integration)?;
        let current = tx
            .fetch_optional(
                "SELECT version FROM deals WHERE company_id = $1 AND id = $2",
                args![company.as_uuid(), deal_id.as_uuid()],
            )
            .await?
            .ok_or_else(|| FlameError::not_found("deal"))?;
        if current.int("version")? != deal.version {
            return Err(FlameError::stale("deal"));
        }
        let integrations = enabled_integrations(&mut tx, company).await?;
        if integrations.is_empty() {
            return Err(FlameError::conflict(
                "accounting integration",
                "no accounting integration is enabled",
            ));
        }
        let contact = customer_of(&mut tx, &deal).await?;
        let mut documents = Vec::with_capacity(integrations.len());
        for (integration, settings) in &integrations {
            let existing = find_for(&mut tx, company, *integration, deal_id).await?;
            let next = AccountingDocument::on_demand(
                existing.as_ref(),
                *integration,
                settings,
                &deal,
                contact.as_ref(),
                now,
            )?;
            match (existing, next) {
                (None, Some(next)) => {
                    insert(&mut tx, &next, false).await?;
                    documents.push(next);
                }
                (Some(before), Some(next)) => {
                    save(&mut tx, &before, &next).await?;
                    documents.push(next);
                }
                (Some(stands), None) => documents.push(stands),
                (None, None) => {}
            }
        }
        tx.commit().await?;
        Ok(documents)
    }

    /// The documents matching `filter`, oldest first, a page at a time.
    pub async fn documents(
        &self,
        filter: DocumentFilter,
        page: PageRequest,
    ) -> Result<Page<AccountingDocument>> {
        self.session.authorize(Action::Read, Resource::Integration).await?;
        let exec = &mut self.session.flame().pool().exec();
        list(exec, self.session.company_id(), filter, page).await
    }

    /// One document.
    pub async fn get(&self, id: Uuid) -> Result<AccountingDocument> {
        self.session.authorize(Action::Read, Resource::Integration).await?;
        fetch(&mut self.session.flame().pool().exec(), self.session.company_id(), id).await
    }
}

/// The hand-over of accounting documents, for the host or the adapter that sends them: trusted
/// host calls, without a session. Read the queued documents of a company, send each
/// [`InvoiceDocument`] to the accounting system, and report how it went.
#[derive(Debug, Clone)]
pub struct AccountingDocuments {
    flame: Flame,
}

impl Flame {
    /// The hand-over of accounting documents.
    pub fn accounting(&self) -> AccountingDocuments {
        AccountingDocuments { flame: self.clone() }
    }
}

impl AccountingDocuments {
    /// The documents of `company` matching `filter` (the queued ones, to send them), oldest
    /// first, a page at a time.
    pub async fn list(
        &self,
        company: CompanyId,
        filter: DocumentFilter,
        page: PageRequest,
    ) -> Result<Page<AccountingDocument>> {
        list(&mut self.flame.pool().exec(), company, filter, page).await
    }

    /// One document of `company`; another company's is `NotFound`.
    pub async fn get(&self, company: CompanyId, id: Uuid) -> Result<AccountingDocument> {
        fetch(&mut self.flame.pool().exec(), company, id).await
    }

    /// Records that the accounting system accepted the queued document `id`. A document that
    /// is not queued is an `InvalidTransition` (a sent one is final).
    pub async fn mark_sent(&self, company: CompanyId, id: Uuid) -> Result<AccountingDocument> {
        self.transition(company, id, DocumentState::Sent).await
    }

    /// Records that the hand-over of the queued document `id` failed, and why (checked like
    /// any reason: required, at most 1000 characters; never put a credential in it). A
    /// document that is not queued is an `InvalidTransition`; an admin queues a failed one
    /// again with [`Accounting::queue_invoice`].
    pub async fn mark_failed(
        &self,
        company: CompanyId,
        id: Uuid,
        reason: &str,
    ) -> Result<AccountingDocument> {
        self.transition(company, id, DocumentState::failed(reason)?).await
    }

    async fn transition(
        &self,
        company: CompanyId,
        id: Uuid,
        next: DocumentState,
    ) -> Result<AccountingDocument> {
        let mut tx = self.flame.pool().begin().await?;
        let current = fetch(&mut tx, company, id).await?;
        let moved = current.transitioned(next, clock::now())?;
        save(&mut tx, &current, &moved).await?;
        tx.commit().await?;
        Ok(moved)
    }
}
