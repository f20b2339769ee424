//! The rows of accounting documents (`accounting_documents`): reading them, and queueing the
//! invoices of a deal when it is won ([`queue_if_won`], called by `deal.rs` inside the
//! transaction that wins the deal) or on demand (`accounting.rs`). Below both `deal` and
//! `accounting` in the module graph, so that a deal can queue its invoices and the accounting
//! handles can read deals.

use time::OffsetDateTime;
use uuid::Uuid;

use flame_core::deal::{Deal, DealStatus};
use flame_core::integration::accounting::{
    AccountingDocument, Billed, DocumentFilter, DocumentState, DocumentStatus, InvoiceDocument,
};
use flame_core::integration::record::AccountingSettings;
use flame_core::integration::{IntegrationKind, IntegrationSettings};
use flame_core::page::{Page, PageRequest};
use flame_core::{CompanyId, DealId, FlameError, IntegrationId, Result};

use crate::sql::{Executor, Row, Statement, Tx, args, found};

pub(crate) const COLUMNS: &str = "SELECT company_id, id, integration_id, deal_id, status, document,
        failure_reason, created_at, updated_at, version FROM accounting_documents";

pub(crate) fn document_from_row(row: &Row) -> Result<AccountingDocument> {
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

pub(crate) fn document_json(document: &AccountingDocument) -> Result<serde_json::Value> {
    serde_json::to_value(&document.document)
        .map_err(|_| FlameError::storage("could not serialize an invoice document"))
}

/// The enabled accounting integrations of `company` and their settings, oldest first.
pub(crate) async fn enabled_integrations(
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

/// The contact of `deal`, who the invoice is made out to (`None` without one), with the name
/// of the organization it works for.
pub(crate) async fn customer_of(exec: &mut impl Executor, deal: &Deal) -> Result<Option<Billed>> {
    let Some(id) = deal.contact_id else { return Ok(None) };
    let sql = format!("{} WHERE company_id = $1 AND id = $2", crate::contact::COLUMNS);
    let row = exec.fetch_optional(sql, args![deal.company_id.as_uuid(), id.as_uuid()]).await?;
    let Some(contact) =
        row.as_ref().map(|r| crate::contact::contact_from_row(r, &[])).transpose()?
    else {
        return Ok(None);
    };
    let organization = match contact.organization_id {
        None => None,
        Some(org) => exec
            .fetch_optional(
                "SELECT name FROM organizations WHERE company_id = $1 AND id = $2",
                args![deal.company_id.as_uuid(), org.as_uuid()],
            )
            .await?
            .map(|r| r.get::<String>("name"))
            .transpose()?,
    };
    Ok(Some(Billed { contact, organization }))
}

/// Stores a new document; with `once`, a document the pair (integration, deal) already has
/// stands and nothing is written.
pub(crate) async fn insert(tx: &mut Tx, document: &AccountingDocument, once: bool) -> Result<()> {
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
pub(crate) async fn save(
    tx: &mut Tx,
    before: &AccountingDocument,
    next: &AccountingDocument,
) -> Result<()> {
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

pub(crate) async fn fetch(
    exec: &mut impl Executor,
    company: CompanyId,
    id: Uuid,
) -> Result<AccountingDocument> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
    let row = exec.fetch_optional(sql, args![company.as_uuid(), id]).await?;
    found(row, document_from_row, "accounting document")
}

/// The document of the pair (integration, deal), if there is one.
pub(crate) async fn find_for(
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

pub(crate) async fn list(
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
