//! Accounting: the invoice documents queued for accounting integrations — when a deal is won,
//! or on demand — and the state of their hand-over, which the host reports back.
//!
//! A document is the JSON of [`InvoiceDocument`](flame_core::integration::accounting::InvoiceDocument) (`"flame.invoice.v1"`, see
//! [`flame_core::integration::accounting`]), stored with its status. There is at most one per
//! deal and integration, so winning a deal again after reopening it queues nothing new.

use uuid::Uuid;

use flame_core::auth::{Action, Resource};
use flame_core::integration::accounting::{AccountingDocument, DocumentFilter, DocumentState};
use flame_core::page::{Page, PageRequest};
use flame_core::{CompanyId, DealId, FlameError, Result, clock};

use crate::deal::Deals;
use crate::flame::Flame;
use crate::invoicing::{customer_of, enabled_integrations, fetch, find_for, insert, list, save};
use crate::session::Session;
use crate::sql::{Executor, args};

/// The company's accounting documents, for admins and owners: what was queued for the
/// accounting systems and how the hand-over went, and queueing a deal's invoice on demand.
#[derive(Debug, Clone)]
pub struct Accounting {
    session: Session,
}

impl Accounting {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

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
        let deal = Deals::new(self.session.clone()).get(deal_id).await?;
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
/// [`InvoiceDocument`](flame_core::integration::accounting::InvoiceDocument) to the accounting system, and report how it went.
#[derive(Debug, Clone)]
pub struct AccountingDocuments {
    flame: Flame,
}

impl AccountingDocuments {
    pub(crate) fn new(flame: Flame) -> Self {
        Self { flame }
    }

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
