//! Activities: notes, tasks, calls and messages.

use flame_core::activity::{Activity, ActivityFilter, ActivityKind, ActivityPatch, NewActivity};
use flame_core::auth::{Action, Resource};
use flame_core::event::EventPayload;
use flame_core::page::{Page, PageRequest};
use flame_core::{ActivityId, DealId, FlameError, Result};

use crate::contact::{ensure_exists as ensure_contact, ensure_member};
use crate::sql::{Executor, Row, Statement, Tx, args, found};
use crate::{Session, outbox};

const COLUMNS: &str =
    "SELECT company_id, id, kind, subject, body, contact_id, deal_id, owner_id, due_at, done_at,
        occurred_at, created_at, updated_at, version FROM activities";

fn activity_from_row(row: &Row) -> Result<Activity> {
    Ok(Activity {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        kind: row.parse("kind")?,
        subject: row.get("subject")?,
        body: row.get("body")?,
        contact_id: row.opt_id("contact_id")?,
        deal_id: row.opt_id("deal_id")?,
        owner_id: row.opt_id("owner_id")?,
        due_at: row.opt_time("due_at")?,
        done_at: row.opt_time("done_at")?,
        occurred_at: row.time("occurred_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

async fn ensure_deal(exec: &mut impl Executor, session: &Session, id: DealId) -> Result<()> {
    let found = exec
        .fetch_optional(
            "SELECT id FROM deals WHERE company_id = $1 AND id = $2",
            args![session.tenant(), id.as_uuid()],
        )
        .await?;
    found
        .map(drop)
        .ok_or_else(|| FlameError::validation("deal_id", "is not a deal of this company"))
}

/// The company's activities.
#[derive(Debug, Clone)]
pub struct Activities {
    session: Session,
}

impl Activities {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Records an activity about a contact, a deal or both.
    pub async fn create(&self, input: NewActivity) -> Result<Activity> {
        let owner = input.owner_id.unwrap_or(self.session.user_id());
        let resource = Resource::Activity { owner: Some(owner) };
        let now = self.session.authorize(Action::Create, resource).await?;
        let activity =
            Activity::create(self.session.company_id(), &input, self.session.user_id(), now)?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, resource)?;
        if let Some(contact) = activity.contact_id {
            ensure_contact(&mut tx, &self.session, contact, "contact_id").await?;
        }
        if let Some(deal) = activity.deal_id {
            ensure_deal(&mut tx, &self.session, deal).await?;
        }
        if input.owner_id.is_some() {
            ensure_member(&mut tx, &self.session, owner, "owner_id").await?;
        }
        insert(&mut tx, &activity).await?;
        outbox::record(
            &mut tx,
            activity.company_id,
            Some(self.session.user_id()),
            now,
            vec![EventPayload::ActivityCreated {
                activity_id: activity.id,
                kind: activity.kind,
                contact_id: activity.contact_id,
                deal_id: activity.deal_id,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(activity)
    }

    async fn fetch(&self, exec: &mut impl Executor, id: ActivityId) -> Result<Activity> {
        let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = exec.fetch_optional(sql, args![self.session.tenant(), id.as_uuid()]).await?;
        found(row, activity_from_row, "activity")
    }

    /// One activity.
    pub async fn get(&self, id: ActivityId) -> Result<Activity> {
        self.session.authorize(Action::Read, Resource::Activity { owner: None }).await?;
        self.fetch(&mut self.session.flame().pool().exec(), id).await
    }

    async fn for_change(
        &self,
        tx: &mut Tx,
        id: ActivityId,
        version: i64,
        action: Action,
    ) -> Result<(Activity, time::OffsetDateTime)> {
        self.session.permit(Action::Read, Resource::Activity { owner: None })?;
        let current = self.fetch(tx, id).await?;
        let now = self.session.permit(action, Resource::Activity { owner: current.owner_id })?;
        if current.version != version {
            return Err(FlameError::stale("activity"));
        }
        Ok((current, now))
    }

    async fn save(&self, tx: &mut Tx, next: &Activity, version: i64) -> Result<()> {
        let changed = tx
            .execute(
                "UPDATE activities SET subject = $1, body = $2, due_at = $3, done_at = $4, updated_at = $5, version = $6
                 WHERE company_id = $7 AND id = $8 AND version = $9",
                args![
                    next.subject.clone(),
                    next.body.clone(),
                    next.due_at,
                    next.done_at,
                    next.updated_at,
                    next.version,
                    self.session.tenant(),
                    next.id.as_uuid(),
                    version,
                ],
            )
            .await?;
        if changed == 0 { Err(FlameError::stale("activity")) } else { Ok(()) }
    }

    /// Applies `patch` to the activity read at `version`.
    pub async fn update(
        &self,
        id: ActivityId,
        version: i64,
        patch: ActivityPatch,
    ) -> Result<Activity> {
        let mut tx = self.session.begin().await?;
        let (current, now) = self.for_change(&mut tx, id, version, Action::Update).await?;
        let next = current.patched(&patch, now)?;
        self.save(&mut tx, &next, version).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Marks the task read at `version` done.
    pub async fn complete(&self, id: ActivityId, version: i64) -> Result<Activity> {
        let mut tx = self.session.begin().await?;
        let (current, now) = self.for_change(&mut tx, id, version, Action::Update).await?;
        let next = current.completed(now)?;
        self.save(&mut tx, &next, version).await?;
        outbox::record(
            &mut tx,
            self.session.company_id(),
            Some(self.session.user_id()),
            now,
            vec![EventPayload::ActivityCompleted { activity_id: id }],
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes the activity read at `version`.
    pub async fn delete(&self, id: ActivityId, version: i64) -> Result<()> {
        let mut tx = self.session.begin().await?;
        self.for_change(&mut tx, id, version, Action::Delete).await?;
        let changed = tx
            .execute(
                "DELETE FROM activities WHERE company_id = $1 AND id = $2 AND version = $3",
                args![self.session.tenant(), id.as_uuid(), version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("activity"));
        }
        tx.commit().await
    }

    /// Activities matching `filter`, newest first, a page at a time; with `due_before`, only
    /// the open tasks due by then.
    pub async fn list(&self, filter: ActivityFilter, page: PageRequest) -> Result<Page<Activity>> {
        self.session.authorize(Action::Read, Resource::Activity { owner: None }).await?;
        let limit = page.limit()?;
        let mut q = Statement::new(COLUMNS, vec![]);
        let company = q.bind(self.session.tenant());
        q.push(&format!(" WHERE company_id = {company}"));
        let kind = if filter.due_before.is_some() { Some(ActivityKind::Task) } else { filter.kind };
        if filter.due_before.is_some() && filter.kind.is_some_and(|k| k != ActivityKind::Task) {
            return Err(FlameError::validation("kind", "only tasks have a due time"));
        }
        q.and("contact_id", "=", filter.contact_id.map(|v| v.as_uuid()))
            .and("deal_id", "=", filter.deal_id.map(|v| v.as_uuid()))
            .and("kind", "=", kind.map(|k| k.as_str().to_owned()))
            .and("owner_id", "=", filter.owner_id.map(|v| v.as_uuid()));
        if let Some(due) = filter.due_before {
            q.push(" AND done_at IS NULL AND due_at IS NOT NULL");
            q.and("due_at", "<=", Some(due));
        }
        q.page(page.cursor_uuid()?, limit, true);
        let (sql, args) = q.build();
        let rows = self.session.flame().pool().exec().fetch_all(sql, args).await?;
        let items = rows.iter().map(activity_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, limit, |a: &Activity| a.id.as_uuid()))
    }
}

pub(crate) async fn insert(tx: &mut Tx, a: &Activity) -> Result<()> {
    tx.execute(
        "INSERT INTO activities (company_id, id, kind, subject, body, contact_id, deal_id, owner_id, due_at, done_at,
                                 occurred_at, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        args![
            a.company_id.as_uuid(),
            a.id.as_uuid(),
            a.kind.as_str(),
            a.subject.clone(),
            a.body.clone(),
            a.contact_id.map(|c| c.as_uuid()),
            a.deal_id.map(|d| d.as_uuid()),
            a.owner_id.map(|o| o.as_uuid()),
            a.due_at,
            a.done_at,
            a.occurred_at,
            a.created_at,
            a.updated_at,
            a.version,
        ],
    )
    .await?;
    Ok(())
}
