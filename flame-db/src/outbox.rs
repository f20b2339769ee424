//! The transactional outbox: every domain event is written in the same transaction as the
//! change that caused it, for later delivery (webhooks, integrations).

use time::OffsetDateTime;

use flame_core::auth::{Action, Resource};
use flame_core::event::{Event, EventPayload};
use flame_core::page::{Page, PageRequest};
use flame_core::{CompanyId, EventId, FlameError, Result, UserId};

use crate::Session;
use crate::sql::{Executor, Row, Statement, Tx, args};

/// Writes `payloads` as events of `company`, caused by `actor`, inside `tx`.
pub(crate) async fn record(
    tx: &mut Tx,
    company: CompanyId,
    actor: Option<UserId>,
    now: OffsetDateTime,
    payloads: Vec<EventPayload>,
) -> Result<()> {
    for payload in payloads {
        let event = Event::new(company, actor, now, payload);
        let (aggregate_type, aggregate_id) = event.payload.aggregate();
        let json = serde_json::to_value(&event.payload)
            .map_err(|_| FlameError::storage("could not serialize an event"))?;
        tx.execute(
            "INSERT INTO outbox (company_id, id, event_type, aggregate_type, aggregate_id, actor_id,
                                 payload, occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                company.as_uuid(),
                event.id.as_uuid(),
                event.payload.event_type(),
                aggregate_type,
                aggregate_id,
                actor.map(|a| a.as_uuid()),
                json,
                now,
            ],
        )
        .await?;
    }
    Ok(())
}

fn event_from_row(row: &Row) -> Result<Event> {
    let payload: crate::sql::Json<EventPayload> = row.get("payload")?;
    Ok(Event {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        actor_id: row.opt_id("actor_id")?,
        occurred_at: row.time("occurred_at")?,
        payload: payload.0,
    })
}

/// Reads a company's events. Admins and owners only (the events feed integrations).
#[derive(Debug, Clone)]
pub struct Events {
    session: Session,
}

impl Events {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Events in the order they were recorded, oldest first.
    pub async fn list(&self, page: PageRequest) -> Result<Page<Event>> {
        self.session.authorize(Action::Read, Resource::Integration).await?;
        let limit = page.limit()?;
        let after = page.cursor_uuid()?;
        let mut q = Statement::new(
            "SELECT company_id, id, actor_id, payload, occurred_at FROM outbox WHERE company_id = $1",
            args![self.session.tenant()],
        );
        q.page(after, limit, false);
        let (sql, args) = q.build();
        let rows = self.session.flame().pool().exec().fetch_all(sql, args).await?;
        let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(events, limit, |e: &Event| EventId::as_uuid(&e.id)))
    }
}
