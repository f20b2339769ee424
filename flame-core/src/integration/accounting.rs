//! Accounting: the invoice document Flame hands to an accounting system (1C, MoySklad,
//! QuickBooks, Xero…) when a deal is won, and the state of its hand-over.
//!
//! # The document
//!
//! [`InvoiceDocument`] serializes to JSON with snake_case names and a `schema` field whose
//! value is `"flame.invoice.v1"`; a consumer checks it before reading the rest. Amounts are
//! integers in minor units of `currency` (cents for USD), VAT rates in basis points
//! (2000 = 20 %), times RFC 3339 in UTC:
//!
//! ```json
//! {
//!   "schema": "flame.invoice.v1",
//!   "document_id": "…", "deal_id": "…",
//!   "customer": {"name": "Ivan Petrov", "organization": null, "email": "…", "phone": "+7…"},
//!   "lines": [{"description": "…", "quantity": 1, "unit_price_minor": 100000,
//!              "vat_rate_bp": 2000, "total_minor": 100000}],
//!   "subtotal_minor": 100000, "vat_minor": 20000, "total_minor": 120000,
//!   "currency": "RUB", "issued_at": "2026-03-01T10:00:00Z"
//! }
//! ```
//!
//! # VAT and rounding
//!
//! A line's `total_minor` is `quantity × unit_price_minor`, before VAT. The document's
//! `subtotal_minor` is the sum of the line totals, `vat_minor` the sum of each line's VAT
//! (`line total × rate`, rounded per line to the minor unit, half away from zero), and
//! `total_minor = subtotal_minor + vat_minor`. When the deal's amount includes VAT
//! ([`VatMode::Included`]), the VAT inside it is `amount × rate / (1 + rate)`, rounded the same
//! way, and the line's net price is the amount less that VAT — so the document's total is
//! exactly the deal's amount.
//!
//! # The hand-over
//!
//! An [`AccountingDocument`] is one invoice for one deal and one accounting integration — never
//! more than one per pair — with its [`DocumentState`]: queued, then sent or failed with the
//! reason; a failed one may be queued again, a sent one is final. Winning a deal queues it
//! ([`AccountingDocument::on_won`]; a deal that cannot be invoiced is recorded as failed, and
//! the win stands), and so does asking for it ([`AccountingDocument::on_demand`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::record::AccountingSettings;
use crate::contact::Contact;
use crate::deal::{Deal, DealStatus};
use crate::email::Email;
use crate::error::{FlameError, Result};
use crate::id::{CompanyId, DealId, IntegrationId};
use crate::money::Currency;
use crate::phone::Phone;
use crate::text;

platform_enum! {
    /// An accounting system a company can hand its invoices to.
    AccountingPlatform {
        /// 1C:Enterprise (1С:Предприятие).
        OneC => "one_c", "1C";
        /// MoySklad (МойСклад).
        MoySklad => "moysklad", "MoySklad";
        /// QuickBooks Online.
        QuickBooks => "quickbooks", "QuickBooks";
        /// Xero.
        Xero => "xero", "Xero";
        /// Any other system, fed the [`InvoiceDocument`] JSON.
        Other => "other", "Other";
    }
}

/// The schema tag of an [`InvoiceDocument`]; serialized as `"flame.invoice.v1"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvoiceSchema {
    /// The first version of the document.
    #[serde(rename = "flame.invoice.v1")]
    V1,
}

/// The contact an invoice is made out to, with the name of the organization it works for
/// (read from the contact's `organization_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billed {
    /// The deal's contact.
    pub contact: Contact,
    /// The name of the contact's organization.
    pub organization: Option<String>,
}

/// Who an invoice is made out to: the deal's contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Customer {
    /// The contact's full name.
    pub name: String,
    /// The organization the contact works for.
    pub organization: Option<String>,
    /// The contact's email.
    pub email: Option<Email>,
    /// The contact's phone, E.164.
    pub phone: Option<Phone>,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct InvoiceLine {
    /// What is sold.
    pub description: String,
    /// How many (whole units).
    pub quantity: u32,
    /// The price of one unit before VAT, in minor units.
    pub unit_price_minor: i64,
    /// The VAT rate in basis points (2000 = 20 %).
    pub vat_rate_bp: u32,
    /// `quantity × unit_price_minor`, before VAT.
    pub total_minor: i64,
}

/// An invoice for a won deal, as handed to an accounting system (see the
/// [module documentation](self) for its JSON form and its rounding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct InvoiceDocument {
    /// Always [`InvoiceSchema::V1`] (`"flame.invoice.v1"`).
    pub schema: InvoiceSchema,
    /// The document's id: the same on every retry of its hand-over, so that the accounting
    /// system can drop duplicates.
    pub document_id: Uuid,
    /// The deal invoiced.
    pub deal_id: DealId,
    /// Who pays.
    pub customer: Customer,
    /// What is sold.
    pub lines: Vec<InvoiceLine>,
    /// The sum of the lines' totals, before VAT.
    pub subtotal_minor: i64,
    /// The VAT, summed over the lines.
    pub vat_minor: i64,
    /// `subtotal_minor + vat_minor`.
    pub total_minor: i64,
    /// The currency of every amount.
    pub currency: Currency,
    /// When the invoice was issued, UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
}

/// Whether a deal's amount already includes VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatMode {
    /// The amount is net: VAT is added on top.
    Excluded,
    /// The amount is gross: the VAT is the part of it computed back from the rate.
    Included,
}

/// The VAT applied to an invoice: a rate in basis points and whether the deal's amount
/// includes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vat {
    rate_bp: u32,
    mode: VatMode,
}

/// The largest VAT rate accepted, in basis points (100 %).
const VAT_RATE_MAX_BP: u32 = 10_000;
/// Basis points in a whole.
const BP: i128 = 10_000;

impl Vat {
    /// No VAT.
    pub const NONE: Vat = Vat { rate_bp: 0, mode: VatMode::Excluded };

    /// A VAT of `rate_bp` basis points (2000 = 20 %, at most 10000) applied as `mode` says.
    pub fn new(rate_bp: u32, mode: VatMode) -> Result<Self> {
        if rate_bp > VAT_RATE_MAX_BP {
            return Err(FlameError::validation("vat_rate_bp", "must be from 0 to 10000"));
        }
        Ok(Self { rate_bp, mode })
    }

    /// The rate in basis points.
    pub fn rate_bp(&self) -> u32 {
        self.rate_bp
    }

    /// Whether the amount includes it.
    pub fn mode(&self) -> VatMode {
        self.mode
    }
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero.
/// `denominator` must not be zero.
pub fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if 2 * remainder.abs() >= denominator.abs() {
        quotient + numerator.signum() * denominator.signum()
    } else {
        quotient
    }
}

/// The VAT on a net `amount_minor` at `rate_bp`, rounded half away from zero.
pub fn vat_on_net(amount_minor: i64, rate_bp: u32) -> i64 {
    let vat = div_round_half_away(i128::from(amount_minor) * i128::from(rate_bp), BP);
    // |vat| <= |amount| because the rate is at most 100 %, so it fits.
    i64::try_from(vat).unwrap_or(i64::MAX)
}

/// The VAT inside a gross `amount_minor` at `rate_bp` (`amount × rate / (1 + rate)`), rounded
/// half away from zero.
pub fn vat_in_gross(amount_minor: i64, rate_bp: u32) -> i64 {
    let rate = i128::from(rate_bp);
    let vat = div_round_half_away(i128::from(amount_minor) * rate, BP + rate);
    i64::try_from(vat).unwrap_or(i64::MAX)
}

impl InvoiceDocument {
    /// The invoice for the won `deal`, made out to its `contact`: one line, the deal's title
    /// at the deal's amount, with `vat`.
    ///
    /// Refused with [`FlameError::Validation`] when the deal is not won (`"deal.status"`), has
    /// no contact or another one than `contact` (`"deal.contact_id"`), or has a zero amount or
    /// one too large to add VAT to (`"deal.value"`).
    pub fn for_won_deal(
        deal: &Deal,
        contact: &Billed,
        vat: Vat,
        document_id: Uuid,
        issued_at: OffsetDateTime,
    ) -> Result<Self> {
        if deal.status != DealStatus::Won {
            return Err(FlameError::validation("deal.status", "must be won to be invoiced"));
        }
        match deal.contact_id {
            None => {
                return Err(FlameError::validation(
                    "deal.contact_id",
                    "must be set for the deal to be invoiced",
                ));
            }
            Some(id) if id != contact.contact.id => {
                return Err(FlameError::validation(
                    "deal.contact_id",
                    "is not the contact given for the invoice",
                ));
            }
            Some(_) => {}
        }
        let amount = deal.value.amount_minor();
        if amount == 0 {
            return Err(FlameError::validation("deal.value", "must be positive to be invoiced"));
        }
        let net = match vat.mode {
            VatMode::Excluded => amount,
            VatMode::Included => amount - vat_in_gross(amount, vat.rate_bp),
        };
        let line = InvoiceLine {
            description: text::required("deal.title", &deal.title, text::TITLE_MAX)?,
            quantity: 1,
            unit_price_minor: net,
            vat_rate_bp: vat.rate_bp,
            total_minor: net,
        };
        Self::from_lines(
            document_id,
            deal.id,
            customer_of(contact),
            vec![line],
            deal.value.currency(),
            issued_at,
        )
    }

    /// A document of several `lines`, with the totals computed as the
    /// [module documentation](self) says. A line's `total_minor` is recomputed from its
    /// quantity and unit price; its description is checked like a title (see
    /// [`text::required`]) and its quantity must be at least 1. Amounts must not be negative
    /// and must fit in `i64`. Errors name the line (`"lines[1].unit_price_minor"`).
    pub fn from_lines(
        document_id: Uuid,
        deal_id: DealId,
        customer: Customer,
        lines: Vec<InvoiceLine>,
        currency: Currency,
        issued_at: OffsetDateTime,
    ) -> Result<Self> {
        let issued_at = crate::clock::checked("issued_at", issued_at)?;
        if lines.is_empty() {
            return Err(FlameError::validation("lines", "must not be empty"));
        }
        let too_large = |field: String| FlameError::validation(field, "is too large");
        let mut subtotal: i64 = 0;
        let mut vat: i64 = 0;
        let mut checked = Vec::with_capacity(lines.len());
        for (i, mut line) in lines.into_iter().enumerate() {
            line.description = text::required(
                &format!("lines[{i}].description"),
                &line.description,
                text::TITLE_MAX,
            )?;
            if line.quantity == 0 {
                return Err(FlameError::validation(
                    format!("lines[{i}].quantity"),
                    "must be at least 1",
                ));
            }
            if line.unit_price_minor < 0 {
                return Err(FlameError::validation(
                    format!("lines[{i}].unit_price_minor"),
                    "must not be negative",
                ));
            }
            if line.vat_rate_bp > VAT_RATE_MAX_BP {
                return Err(FlameError::validation(
                    format!("lines[{i}].vat_rate_bp"),
                    "must be from 0 to 10000",
                ));
            }
            line.total_minor = line
                .unit_price_minor
                .checked_mul(i64::from(line.quantity))
                .ok_or_else(|| too_large(format!("lines[{i}].total_minor")))?;
            subtotal = subtotal
                .checked_add(line.total_minor)
                .ok_or_else(|| too_large("subtotal_minor".into()))?;
            vat = vat
                .checked_add(vat_on_net(line.total_minor, line.vat_rate_bp))
                .ok_or_else(|| too_large("vat_minor".into()))?;
            checked.push(line);
        }
        let total = subtotal.checked_add(vat).ok_or_else(|| too_large("total_minor".into()))?;
        Ok(Self {
            schema: InvoiceSchema::V1,
            document_id,
            deal_id,
            customer,
            lines: checked,
            subtotal_minor: subtotal,
            vat_minor: vat,
            total_minor: total,
            currency,
            issued_at,
        })
    }
}

fn customer_of(billed: &Billed) -> Customer {
    let contact = &billed.contact;
    Customer {
        name: contact.full_name(),
        organization: billed.organization.clone(),
        email: contact.email.clone(),
        phone: contact.phone.clone(),
    }
}

/// Where the hand-over of a document to the accounting system stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DocumentState {
    /// Waiting to be sent.
    Queued,
    /// Accepted by the accounting system.
    Sent,
    /// The accounting system refused it or could not be reached.
    Failed {
        /// Why, in Flame's words (never a credential).
        reason: String,
    },
}

impl DocumentState {
    /// The stored name (`"queued"`, `"sent"`, `"failed"`).
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed { .. } => "failed",
        }
    }

    /// A failed state whose `reason` is checked like any reason (see [`text::required`]).
    pub fn failed(reason: &str) -> Result<Self> {
        Ok(Self::Failed { reason: text::required("reason", reason, text::REASON_MAX)? })
    }

    /// Whether a document may go from `self` to `next`: a queued one is sent or fails, a
    /// failed one is queued again (a retry), a sent one is final.
    pub fn can_become(&self, next: &DocumentState) -> bool {
        matches!(
            (self, next),
            (Self::Queued, Self::Sent | Self::Failed { .. }) | (Self::Failed { .. }, Self::Queued)
        )
    }

    /// `next`, when allowed (see [`can_become`](Self::can_become)); otherwise
    /// [`FlameError::InvalidTransition`].
    pub fn transition(&self, next: DocumentState) -> Result<DocumentState> {
        if self.can_become(&next) {
            return Ok(next);
        }
        Err(FlameError::InvalidTransition {
            entity: "accounting document".to_owned(),
            from_state: self.as_str().to_owned(),
            to_state: next.as_str().to_owned(),
            reason: match self {
                Self::Sent => "a sent document is final",
                Self::Queued => "a queued document is sent or fails",
                Self::Failed { .. } => "a failed document is queued again first",
            }
            .to_owned(),
        })
    }
}

/// Where a document stands, without the reason of a failure: what lists filter by and what
/// storage keeps beside the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Waiting to be sent.
    Queued,
    /// Accepted by the accounting system.
    Sent,
    /// Refused, unreachable, or the deal could not be invoiced.
    Failed,
}

impl DocumentStatus {
    /// Every status.
    pub const ALL: [DocumentStatus; 3] = [Self::Queued, Self::Sent, Self::Failed];

    /// The stored name (`"queued"`, `"sent"`, `"failed"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentStatus {
    type Err = FlameError;

    /// Parses the stored name, trimmed and in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "queued" => Ok(Self::Queued),
            "sent" => Ok(Self::Sent),
            "failed" => Ok(Self::Failed),
            _ => Err(FlameError::validation("status", "must be queued, sent or failed")),
        }
    }
}

impl DocumentState {
    /// Its status, without the reason.
    pub const fn status(&self) -> DocumentStatus {
        match self {
            Self::Queued => DocumentStatus::Queued,
            Self::Sent => DocumentStatus::Sent,
            Self::Failed { .. } => DocumentStatus::Failed,
        }
    }

    /// The state as stored: a status and, for a failure, its reason.
    pub fn from_stored(status: DocumentStatus, reason: Option<String>) -> Self {
        match status {
            DocumentStatus::Queued => Self::Queued,
            DocumentStatus::Sent => Self::Sent,
            DocumentStatus::Failed => Self::Failed { reason: reason.unwrap_or_default() },
        }
    }

    /// The reason of a failure.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Failed { reason } => Some(reason),
            Self::Queued | Self::Sent => None,
        }
    }
}

impl InvoiceDocument {
    /// [`for_won_deal`](Self::for_won_deal) for a deal whose contact may not have been found
    /// (`None`): the same checks in the same order, the missing contact refused on
    /// `"deal.contact_id"`.
    pub fn for_deal(
        deal: &Deal,
        contact: Option<&Billed>,
        vat: Vat,
        document_id: Uuid,
        issued_at: OffsetDateTime,
    ) -> Result<Self> {
        match contact {
            Some(contact) => Self::for_won_deal(deal, contact, vat, document_id, issued_at),
            None if deal.status != DealStatus::Won => {
                Err(FlameError::validation("deal.status", "must be won to be invoiced"))
            }
            None if deal.contact_id.is_some() => {
                Err(FlameError::validation("deal.contact_id", "is not a contact of this company"))
            }
            None => Err(FlameError::validation(
                "deal.contact_id",
                "must be set for the deal to be invoiced",
            )),
        }
    }
}

/// An invoice document for one deal and one accounting integration — at most one per pair —
/// and where its hand-over stands. The host (or an adapter) sends the queued ones and reports
/// back `sent` or `failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountingDocument {
    /// Its id, also the [`InvoiceDocument::document_id`] the accounting system deduplicates by.
    pub id: Uuid,
    /// The company.
    pub company_id: CompanyId,
    /// The accounting integration it is for.
    pub integration_id: IntegrationId,
    /// The deal invoiced.
    pub deal_id: DealId,
    /// Queued, sent, or failed with the reason.
    pub state: DocumentState,
    /// The invoice; `None` only for a failed document whose deal could not be invoiced when
    /// it was won (the reason says why).
    pub document: Option<InvoiceDocument>,
    /// When it was first queued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When its state last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl AccountingDocument {
    /// The document queued for the won `deal` of `integration`, whose settings give the VAT.
    ///
    /// When the deal cannot be invoiced as it stands (no contact, a zero amount), the win
    /// stands all the same: the document is recorded as failed, without an invoice, the reason
    /// naming what is missing, so that the gap shows in the documents list; once the deal is
    /// fixed, queueing its invoice again ([`requeued`](Self::requeued)) retries it.
    pub fn on_won(
        integration: IntegrationId,
        settings: &AccountingSettings,
        deal: &Deal,
        contact: Option<&Billed>,
        now: OffsetDateTime,
    ) -> Self {
        let id = Uuid::now_v7();
        let built =
            settings.vat().and_then(|vat| InvoiceDocument::for_deal(deal, contact, vat, id, now));
        let (document, state) = match built {
            Ok(document) => (Some(document), DocumentState::Queued),
            Err(e) => (
                None,
                DocumentState::failed(&e.to_string()).unwrap_or_else(|_| DocumentState::Failed {
                    reason: "the deal cannot be invoiced".to_owned(),
                }),
            ),
        };
        Self::new(id, integration, deal, state, document, now)
    }

    /// What queueing the invoice of the won `deal` on demand does for `integration`, which
    /// may already have a document for it (`existing`): without one, a queued document; a
    /// failed one is queued again ([`requeued`](Self::requeued)); a queued or sent one stands
    /// (`Ok(None)`: exactly one hand-over per deal and integration). Unlike
    /// [`on_won`](Self::on_won), a deal that cannot be invoiced is refused — the error names
    /// what is missing — and nothing is queued.
    pub fn on_demand(
        existing: Option<&AccountingDocument>,
        integration: IntegrationId,
        settings: &AccountingSettings,
        deal: &Deal,
        contact: Option<&Billed>,
        now: OffsetDateTime,
    ) -> Result<Option<Self>> {
        let id = existing.map_or_else(Uuid::now_v7, |d| d.id);
        let fresh = InvoiceDocument::for_deal(deal, contact, settings.vat()?, id, now)?;
        match existing {
            None => {
                Ok(Some(Self::new(id, integration, deal, DocumentState::Queued, Some(fresh), now)))
            }
            Some(document) if document.state.status() == DocumentStatus::Failed => {
                document.requeued(fresh, now).map(Some)
            }
            Some(_) => Ok(None),
        }
    }

    fn new(
        id: Uuid,
        integration_id: IntegrationId,
        deal: &Deal,
        state: DocumentState,
        document: Option<InvoiceDocument>,
        now: OffsetDateTime,
    ) -> Self {
        let now = crate::clock::normalize(now);
        Self {
            id,
            company_id: deal.company_id,
            integration_id,
            deal_id: deal.id,
            state,
            document,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The document moved to `next` as the hand-over reports it ([`DocumentState::transition`]):
    /// a queued one is sent or fails, a sent one is final, a failed one is queued again only
    /// with its invoice ([`requeued`](Self::requeued) for one that has none). Refused with
    /// [`FlameError::InvalidTransition`].
    pub fn transitioned(&self, next: DocumentState, now: OffsetDateTime) -> Result<Self> {
        let state = self.state.transition(next)?;
        if state == DocumentState::Queued && self.document.is_none() {
            return Err(FlameError::validation(
                "document",
                "the deal's invoice must be made again to queue it (queue the deal's invoice)",
            ));
        }
        Ok(Self {
            state,
            updated_at: crate::clock::normalize(now),
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// A failed document queued again (a retry). It keeps its invoice — the same
    /// `document_id`, so that the accounting system drops a duplicate — and one that had none
    /// takes `fresh`. Only a failed document is queued again: a queued or sent one is refused
    /// with [`FlameError::InvalidTransition`].
    pub fn requeued(&self, fresh: InvoiceDocument, now: OffsetDateTime) -> Result<Self> {
        let state = self.state.transition(DocumentState::Queued)?;
        Ok(Self {
            state,
            document: Some(self.document.clone().unwrap_or(fresh)),
            updated_at: crate::clock::normalize(now),
            version: self.version + 1,
            ..self.clone()
        })
    }
}

/// Filters for listing accounting documents; all given filters must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFilter {
    /// Only documents in this status.
    pub status: Option<DocumentStatus>,
    /// Only documents of this deal.
    pub deal_id: Option<DealId>,
    /// Only documents for this integration.
    pub integration_id: Option<IntegrationId>,
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::id::{CompanyId, ContactId, PipelineId, StageId};
    use crate::money::Money;

    fn uuid(n: u128) -> Uuid {
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
    }

    fn contact() -> Billed {
        let contact = Contact {
            id: ContactId::from_uuid(uuid(2)),
            company_id: CompanyId::from_uuid(uuid(1)),
            first_name: "Ivan".to_owned(),
            last_name: Some("Petrov".to_owned()),
            email: Some(Email::parse("ivan@example.ru").expect("email")),
            phone: Some(Phone::parse("+79991234567", None).expect("phone")),
            organization_id: None,
            owner_id: None,
            custom: Default::default(),
            created_at: datetime!(2026-01-01 00:00 UTC),
            updated_at: datetime!(2026-01-01 00:00 UTC),
            version: 1,
            tags: Vec::new(),
        };
        Billed { contact, organization: Some("Romashka LLC".to_owned()) }
    }

    fn won_deal(amount: &str, currency: &str) -> Deal {
        let at = datetime!(2026-02-01 00:00 UTC);
        Deal {
            id: DealId::from_uuid(uuid(3)),
            company_id: CompanyId::from_uuid(uuid(1)),
            title: "Annual support".to_owned(),
            value: Money::parse(amount, currency).expect("money"),
            contact_id: Some(ContactId::from_uuid(uuid(2))),
            organization_id: None,
            pipeline_id: PipelineId::from_uuid(uuid(4)),
            stage_id: StageId::from_uuid(uuid(5)),
            source_id: None,
            assignee_id: None,
            status: DealStatus::Won,
            expected_close: None,
            lost_reason: None,
            closed_at: Some(at),
            custom: Default::default(),
            created_at: at,
            updated_at: at,
            version: 3,
            tags: Vec::new(),
        }
    }

    const ISSUED: OffsetDateTime = datetime!(2026-03-01 10:00:00 UTC);

    #[test]
    fn golden_json() {
        let vat = Vat::new(2000, VatMode::Excluded).expect("20 %");
        let document = InvoiceDocument::for_won_deal(
            &won_deal("1000.00", "RUB"),
            &contact(),
            vat,
            uuid(9),
            ISSUED,
        )
        .expect("invoice");
        let golden = r#"{
  "schema": "flame.invoice.v1",
  "document_id": "01900000-0000-7000-8000-000000000009",
  "deal_id": "01900000-0000-7000-8000-000000000003",
  "customer": {
    "name": "Ivan Petrov",
    "organization": "Romashka LLC",
    "email": "ivan@example.ru",
    "phone": "+79991234567"
  },
  "lines": [
    {
      "description": "Annual support",
      "quantity": 1,
      "unit_price_minor": 100000,
      "vat_rate_bp": 2000,
      "total_minor": 100000
    }
  ],
  "subtotal_minor": 100000,
  "vat_minor": 20000,
  "total_minor": 120000,
  "currency": "RUB",
  "issued_at": "2026-03-01T10:00:00Z"
}"#;
        assert_eq!(serde_json::to_string_pretty(&document).expect("json"), golden);
        let back: InvoiceDocument = serde_json::from_str(golden).expect("reads back");
        assert_eq!(back, document);
        let other_schema = golden.replace("flame.invoice.v1", "flame.invoice.v2");
        assert!(serde_json::from_str::<InvoiceDocument>(&other_schema).is_err());
    }

    #[test]
    fn vat_included_keeps_the_deal_amount_as_total() {
        let vat = Vat::new(2000, VatMode::Included).expect("20 %");
        let doc = InvoiceDocument::for_won_deal(
            &won_deal("1000.00", "RUB"),
            &contact(),
            vat,
            uuid(9),
            ISSUED,
        )
        .expect("invoice");
        // 100000 × 2000 / 12000 = 16666.67 → 16667.
        assert_eq!((doc.subtotal_minor, doc.vat_minor, doc.total_minor), (83_333, 16_667, 100_000));
        assert_eq!(doc.lines[0].unit_price_minor, 83_333);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 2), 3);
        assert_eq!(div_round_half_away(-5, 2), -3);
        assert_eq!(div_round_half_away(7, 3), 2);
        assert_eq!(div_round_half_away(-7, 3), -2);
        assert_eq!(div_round_half_away(8, 3), 3);
        assert_eq!(div_round_half_away(5, -2), -3);
        assert_eq!(div_round_half_away(0, 7), 0);
        assert_eq!(vat_on_net(25, 2000), 5);
        assert_eq!(vat_on_net(1, 5000), 1, "0.5 rounds up");
        assert_eq!(vat_on_net(3, 1500), 0, "0.45 rounds down");
        assert_eq!(vat_on_net(1_05, 1000), 11, "10.5 → 11");
        assert_eq!(vat_on_net(-1_05, 1000), -11, "-10.5 → -11");
        assert_eq!(vat_in_gross(120, 2000), 20);
        assert_eq!(vat_in_gross(1, 2000), 0);
        assert_eq!(vat_on_net(i64::MAX, 10_000), i64::MAX);
    }

    #[test]
    fn vat_rounds_per_line() {
        let line = |price: i64, quantity: u32| InvoiceLine {
            description: "Widget".to_owned(),
            quantity,
            unit_price_minor: price,
            vat_rate_bp: 1000,
            total_minor: 0,
        };
        let doc = InvoiceDocument::from_lines(
            uuid(9),
            DealId::from_uuid(uuid(3)),
            customer_of(&contact()),
            vec![line(105, 1), line(105, 1), line(250, 3)],
            Currency::parse("USD").expect("usd"),
            ISSUED,
        )
        .expect("valid");
        // 10.5 → 11 twice, 75 once: per-line rounding gives 97 (a document-level 96).
        assert_eq!(doc.lines[2].total_minor, 750);
        assert_eq!((doc.subtotal_minor, doc.vat_minor, doc.total_minor), (960, 97, 1057));
    }

    #[test]
    fn zero_decimal_currencies_work_in_their_own_units() {
        let vat = Vat::new(1000, VatMode::Excluded).expect("10 %");
        let doc = InvoiceDocument::for_won_deal(
            &won_deal("12345", "JPY"),
            &contact(),
            vat,
            uuid(9),
            ISSUED,
        )
        .expect("invoice");
        assert_eq!((doc.vat_minor, doc.total_minor), (1235, 13_580));
        assert_eq!(doc.currency.code(), "JPY");
        let none = InvoiceDocument::for_won_deal(
            &won_deal("12345", "JPY"),
            &contact(),
            Vat::NONE,
            uuid(9),
            ISSUED,
        )
        .expect("invoice");
        assert_eq!((none.vat_minor, none.total_minor), (0, 12_345));
    }

    #[test]
    fn only_won_deals_of_the_contact_are_invoiced() {
        let vat = Vat::NONE;
        let mut open = won_deal("10.00", "EUR");
        open.status = DealStatus::Open;
        assert_eq!(
            InvoiceDocument::for_won_deal(&open, &contact(), vat, uuid(9), ISSUED),
            Err(FlameError::validation("deal.status", "must be won to be invoiced"))
        );
        let mut no_contact = won_deal("10.00", "EUR");
        no_contact.contact_id = None;
        assert!(matches!(
            InvoiceDocument::for_won_deal(&no_contact, &contact(), vat, uuid(9), ISSUED),
            Err(FlameError::Validation { field, .. }) if field == "deal.contact_id"
        ));
        let mut stranger = contact();
        stranger.contact.id = ContactId::new();
        assert_eq!(
            InvoiceDocument::for_won_deal(
                &won_deal("10.00", "EUR"),
                &stranger,
                vat,
                uuid(9),
                ISSUED
            ),
            Err(FlameError::validation(
                "deal.contact_id",
                "is not the contact given for the invoice"
            ))
        );
        assert_eq!(
            InvoiceDocument::for_won_deal(&won_deal("0", "EUR"), &contact(), vat, uuid(9), ISSUED),
            Err(FlameError::validation("deal.value", "must be positive to be invoiced"))
        );
        assert_eq!(
            Vat::new(10_001, VatMode::Excluded),
            Err(FlameError::validation("vat_rate_bp", "must be from 0 to 10000"))
        );
    }

    #[test]
    fn overflowing_or_invalid_lines_are_refused() {
        let line = |price: i64| InvoiceLine {
            description: "Item".to_owned(),
            quantity: 1,
            unit_price_minor: price,
            vat_rate_bp: 0,
            total_minor: 0,
        };
        let huge = InvoiceLine {
            description: "Everything".to_owned(),
            quantity: 2,
            unit_price_minor: i64::MAX / 2 + 1,
            vat_rate_bp: 0,
            total_minor: 0,
        };
        let result = InvoiceDocument::from_lines(
            uuid(9),
            DealId::from_uuid(uuid(3)),
            customer_of(&contact()),
            vec![huge],
            Currency::parse("USD").expect("usd"),
            ISSUED,
        );
        assert_eq!(result, Err(FlameError::validation("lines[0].total_minor", "is too large")));
        let customer = customer_of(&contact());
        let usd = Currency::parse("USD").expect("usd");
        let deal_id = DealId::from_uuid(uuid(3));
        let bad_lines = [
            (InvoiceLine { quantity: 0, ..line(1) }, "lines[0].quantity", "must be at least 1"),
            (
                InvoiceLine { unit_price_minor: -1, ..line(1) },
                "lines[0].unit_price_minor",
                "must not be negative",
            ),
            (
                InvoiceLine { description: " ".into(), ..line(1) },
                "lines[0].description",
                "must not be empty",
            ),
            (
                InvoiceLine { vat_rate_bp: 10_001, ..line(1) },
                "lines[0].vat_rate_bp",
                "must be from 0 to 10000",
            ),
        ];
        for (bad, field, reason) in bad_lines {
            let result = InvoiceDocument::from_lines(
                uuid(9),
                deal_id,
                customer.clone(),
                vec![bad],
                usd,
                ISSUED,
            );
            assert_eq!(result, Err(FlameError::validation(field, reason)));
        }
        assert_eq!(
            InvoiceDocument::from_lines(uuid(9), deal_id, customer, vec![], usd, ISSUED),
            Err(FlameError::validation("lines", "must not be empty"))
        );
        let mut deal = won_deal("1", "USD");
        // A stored value from before the bound (amounts now stop at 10^15).
        deal.value = Money::from_total(i128::from(i64::MAX), deal.value.currency()).expect("money");
        let vat = Vat::new(2000, VatMode::Excluded).expect("20 %");
        assert_eq!(
            InvoiceDocument::for_won_deal(&deal, &contact(), vat, uuid(9), ISSUED),
            Err(FlameError::validation("total_minor", "is too large"))
        );
    }

    #[test]
    fn document_states() {
        let failed = DocumentState::failed(" accounting system answered 503 ").expect("reason");
        assert_eq!(
            failed,
            DocumentState::Failed { reason: "accounting system answered 503".into() }
        );
        assert_eq!(DocumentState::Queued.transition(DocumentState::Sent), Ok(DocumentState::Sent));
        assert_eq!(DocumentState::Queued.transition(failed.clone()), Ok(failed.clone()));
        assert_eq!(failed.transition(DocumentState::Queued), Ok(DocumentState::Queued));
        for (from, to) in [
            (DocumentState::Sent, DocumentState::Queued),
            (DocumentState::Sent, failed.clone()),
            (failed.clone(), DocumentState::Sent),
            (DocumentState::Queued, DocumentState::Queued),
        ] {
            let err = from.transition(to.clone()).expect_err("refused");
            assert!(matches!(err, FlameError::InvalidTransition { .. }), "{from:?} -> {to:?}");
        }
        assert_eq!(
            DocumentState::failed(""),
            Err(FlameError::validation("reason", "must not be empty"))
        );
        assert_eq!(
            serde_json::to_string(&failed).expect("json"),
            r#"{"state":"failed","reason":"accounting system answered 503"}"#
        );
        assert_eq!(
            serde_json::to_string(&DocumentState::Sent).expect("json"),
            r#"{"state":"sent"}"#
        );
    }

    fn settings(vat_rate_bp: u32) -> AccountingSettings {
        AccountingSettings {
            platform: AccountingPlatform::OneC,
            vat_rate_bp,
            vat_included: false,
            invoice_on_won: true,
        }
    }

    #[test]
    fn a_won_deal_is_queued_or_recorded_as_failed_with_the_reason() {
        let integration = IntegrationId::new();
        let deal = won_deal("1000.00", "RUB");
        let queued = AccountingDocument::on_won(
            integration,
            &settings(2000),
            &deal,
            Some(&contact()),
            ISSUED,
        );
        assert_eq!(queued.state, DocumentState::Queued);
        let invoice = queued.document.as_ref().expect("invoice");
        assert_eq!((invoice.document_id, invoice.total_minor), (queued.id, 120_000));
        assert_eq!(
            (queued.deal_id, queued.integration_id, queued.version),
            (deal.id, integration, 1)
        );

        let mut no_contact = deal.clone();
        no_contact.contact_id = None;
        let failed =
            AccountingDocument::on_won(integration, &settings(2000), &no_contact, None, ISSUED);
        assert_eq!(failed.document, None);
        assert_eq!(failed.state.status(), DocumentStatus::Failed);
        assert_eq!(
            failed.state.reason(),
            Some("invalid deal.contact_id: must be set for the deal to be invoiced")
        );
        // On demand the same deal is refused instead.
        assert_eq!(
            AccountingDocument::on_demand(
                None,
                integration,
                &settings(2000),
                &no_contact,
                None,
                ISSUED
            ),
            Err(FlameError::validation(
                "deal.contact_id",
                "must be set for the deal to be invoiced"
            ))
        );
        // Once it has its contact, the failed document is queued again under its id.
        let retried = AccountingDocument::on_demand(
            Some(&failed),
            integration,
            &settings(2000),
            &deal,
            Some(&contact()),
            ISSUED,
        )
        .expect("valid")
        .expect("queued again");
        assert_eq!(
            (retried.id, &retried.state, retried.version),
            (failed.id, &DocumentState::Queued, 2)
        );
        assert_eq!(retried.document.as_ref().map(|d| d.document_id), Some(failed.id));
        // A queued or sent document stands.
        assert_eq!(
            AccountingDocument::on_demand(
                Some(&retried),
                integration,
                &settings(2000),
                &deal,
                Some(&contact()),
                ISSUED
            ),
            Ok(None)
        );
        let mut open = deal.clone();
        open.status = DealStatus::Open;
        assert_eq!(
            InvoiceDocument::for_deal(&open, None, Vat::NONE, uuid(9), ISSUED),
            Err(FlameError::validation("deal.status", "must be won to be invoiced"))
        );
    }

    #[test]
    fn the_hand_over_follows_the_document_states() {
        let deal = won_deal("10.00", "EUR");
        let queued = AccountingDocument::on_won(
            IntegrationId::new(),
            &settings(0),
            &deal,
            Some(&contact()),
            ISSUED,
        );
        let sent = queued.transitioned(DocumentState::Sent, ISSUED).expect("sent");
        assert_eq!(
            (sent.state.status(), sent.version, &sent.document),
            (DocumentStatus::Sent, 2, &queued.document)
        );
        assert!(matches!(
            sent.transitioned(DocumentState::Queued, ISSUED),
            Err(FlameError::InvalidTransition { .. })
        ));
        let failed = queued
            .transitioned(DocumentState::failed("503").expect("reason"), ISSUED)
            .expect("failed");
        let again =
            failed.transitioned(DocumentState::Queued, ISSUED).expect("a retry keeps the invoice");
        assert_eq!(again.document, queued.document);
        let mut no_contact = deal;
        no_contact.contact_id = None;
        let empty = AccountingDocument::on_won(
            IntegrationId::new(),
            &settings(0),
            &no_contact,
            None,
            ISSUED,
        );
        assert!(matches!(
            empty.transitioned(DocumentState::Queued, ISSUED),
            Err(FlameError::Validation { field, .. }) if field == "document"
        ));
        for status in [DocumentStatus::Queued, DocumentStatus::Sent, DocumentStatus::Failed] {
            assert_eq!(status.as_str().parse::<DocumentStatus>(), Ok(status));
        }
        assert_eq!(
            DocumentState::from_stored(DocumentStatus::Failed, Some("503".into())),
            DocumentState::Failed { reason: "503".into() }
        );
    }

    #[test]
    fn platforms_round_trip() {
        for platform in AccountingPlatform::ALL {
            assert_eq!(platform.as_str().parse::<AccountingPlatform>(), Ok(platform));
        }
        assert_eq!(AccountingPlatform::OneC.display_name(), "1C");
        assert!(" 1c ".parse::<AccountingPlatform>().is_err());
        assert_eq!(" MoySklad ".parse::<AccountingPlatform>(), Ok(AccountingPlatform::MoySklad));
    }

    #[test]
    fn an_issue_time_outside_years_1_to_9999_is_refused() {
        let line = InvoiceLine {
            description: "Robots".into(),
            quantity: 1,
            unit_price_minor: 100,
            vat_rate_bp: 0,
            total_minor: 100,
        };
        let customer =
            Customer { name: "Ada".into(), email: None, phone: None, organization: None };
        let usd = Currency::parse("USD").expect("usd");
        for year in [0, -1, -9999] {
            let at = time::Date::from_calendar_date(year, time::Month::June, 1)
                .expect("date")
                .midnight()
                .assume_utc();
            let doc = InvoiceDocument::from_lines(
                Uuid::nil(),
                DealId::new(),
                customer.clone(),
                vec![line.clone()],
                usd,
                at,
            );
            assert_eq!(
                doc.expect_err("refused"),
                FlameError::validation("issued_at", "must be in the years 1 to 9999")
            );
        }
    }
}
