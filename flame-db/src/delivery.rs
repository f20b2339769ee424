//! What admins see of outgoing webhook deliveries: the deliveries of their company, paged and
//! filtered, and a retry of a dead one. Built with or without the delivery worker
//! ([`crate::WebhookWorker`], the `webhooks` feature): a phone can read what its server sent.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use flame_core::auth::{Action, Resource};
use flame_core::integration::IntegrationId;
use flame_core::integration::webhook::DeliveryState;
use flame_core::page::{Page, PageRequest};
use flame_core::{EventId, FlameError, Result};

use crate::Session;
use crate::sql::{Executor, Row, Statement, args, found};

/// The delivery of one event to one webhook, as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// The webhook.
    pub integration_id: IntegrationId,
    /// The event delivered; the receiver sees it as `Flame-Event-Id` and in the body's `id`.
    pub event_id: EventId,
    /// The event type (`"deal.won"`).
    pub event_type: String,
    /// The kind of record the event is about (`"deal"`).
    pub aggregate_type: String,
    /// The record the event is about.
    pub aggregate_id: Uuid,
    /// Pending, delivered or dead.
    pub status: DeliveryState,
    /// How many attempts were made (a crashed worker's attempt is not counted).
    pub attempts: u32,
    /// When a pending delivery is tried next, at the earliest (while a worker holds it, the
    /// end of its lease).
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    /// Why the last failed attempt failed (`"HTTP 500 Internal Server Error"`, `"timed out
    /// after 10s"`); never a secret, nor the URL, nor the receiver's answer body.
    pub last_error: Option<String>,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<u16>,
    /// When the receiver accepted it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
    /// When it was queued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Which deliveries to list; every given filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDeliveryFilter {
    /// Only deliveries in this state (dead ones, to see what needs attention).
    pub status: Option<DeliveryState>,
    /// Only deliveries to this webhook.
    pub integration_id: Option<IntegrationId>,
}

const DELIVERY_COLUMNS: &str = "SELECT id, integration_id, event_id, event_type, aggregate_type,
        aggregate_id, status, attempts, next_attempt_at, last_error, last_status, delivered_at,
        created_at, updated_at FROM webhook_deliveries";

fn delivery_from_row(row: &Row) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: row.get("id")?,
        integration_id: row.id("integration_id")?,
        event_id: row.id("event_id")?,
        event_type: row.get("event_type")?,
        aggregate_type: row.get("aggregate_type")?,
        aggregate_id: row.get("aggregate_id")?,
        status: row.parse("status")?,
        attempts: u32::try_from(row.int32("attempts")?).unwrap_or(0),
        next_attempt_at: row.time("next_attempt_at")?,
        last_error: row.get("last_error")?,
        last_status: row
            .get::<Option<i32>>("last_status")?
            .map(|s| u16::try_from(s).map_err(|_| crate::sql::corrupt("last_status")))
            .transpose()?,
        delivered_at: row.opt_time("delivered_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// The company's webhook deliveries: what was sent, what failed and why, what is dead — and
/// sending a dead one again. Admins and owners only.
#[derive(Debug, Clone)]
pub struct WebhookDeliveries {
    session: Session,
}

impl WebhookDeliveries {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Deliveries matching `filter`, newest first.
    pub async fn list(
        &self,
        filter: WebhookDeliveryFilter,
        page: PageRequest,
    ) -> Result<Page<WebhookDelivery>> {
        self.session.authorize(Action::Read, Resource::Integration).await?;
        let limit = page.limit()?;
        let after = page.cursor_uuid()?;
        let mut q = Statement::new(
            "SELECT id, integration_id, event_id, event_type, aggregate_type, aggregate_id,
                    status, attempts, next_attempt_at, last_error, last_status, delivered_at,
                    created_at, updated_at
             FROM webhook_deliveries WHERE company_id = $1",
            args![self.session.tenant()],
        );
        q.and("status", "=", filter.status.map(|s| s.as_str()));
        q.and("integration_id", "=", filter.integration_id.map(|i| i.as_uuid()));
        q.page(after, limit, true);
        let (sql, args) = q.build();
        let rows = self.session.flame().pool().exec().fetch_all(sql, args).await?;
        let items = rows.iter().map(delivery_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, limit, |d: &WebhookDelivery| d.id))
    }

    /// One delivery.
    pub async fn get(&self, id: Uuid) -> Result<WebhookDelivery> {
        self.session.authorize(Action::Read, Resource::Integration).await?;
        let sql = format!("{DELIVERY_COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_optional(sql, args![self.session.tenant(), id])
            .await?;
        found(row, delivery_from_row, "webhook delivery")
    }

    /// Sends a dead delivery again: pending, due now, with a fresh count of attempts (its last
    /// error stays until the next attempt). A pending one is left as it is; a delivered one is
    /// final (`InvalidTransition`).
    pub async fn retry(&self, id: Uuid) -> Result<WebhookDelivery> {
        self.session.authorize(Action::Update, Resource::Integration).await?;
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Update, Resource::Integration)?;
        let sql = format!("{DELIVERY_COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = tx.fetch_optional(sql, args![self.session.tenant(), id]).await?;
        let current = found(row, delivery_from_row, "webhook delivery")?;
        if current.status == DeliveryState::Pending {
            return Ok(current);
        }
        current.status.transition(DeliveryState::Pending)?;
        let changed = tx
            .execute(
                "UPDATE webhook_deliveries
                 SET status = $1, attempts = 0, next_attempt_at = $2, updated_at = $2
                 WHERE company_id = $3 AND id = $4 AND status = $5",
                args![
                    DeliveryState::Pending.as_str(),
                    now,
                    self.session.tenant(),
                    id,
                    current.status.as_str()
                ],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("webhook delivery"));
        }
        tx.commit().await?;
        tracing::info!(delivery = %id, "dead webhook delivery queued again");
        Ok(WebhookDelivery {
            status: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: now,
            updated_at: now,
            ..current
        })
    }
}
