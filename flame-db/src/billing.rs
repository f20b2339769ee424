//! The plan catalog (host-level) and each company's subscription.

use flame_core::auth::{Action, Resource};
use flame_core::billing::{NewPlan, Plan, PlanLimits, Subscription};
use flame_core::money::{Currency, Money};
use flame_core::{FlameError, PlanId, Result, clock};

use crate::sql::{Executor, Row, Tx, args, found};
use crate::{Flame, Session};

const PLAN_COLUMNS: &str =
    "SELECT id, code, name, price_minor, currency, billing_interval, trial_days,
        limit_seats, limit_contacts, limit_deals, limit_pipelines, limit_integrations,
        public, is_default, version FROM plans";

fn limit(row: &Row, col: &str) -> Result<Option<u32>> {
    row.get::<Option<i32>>(col)?
        .map(|n| u32::try_from(n).map_err(|_| crate::sql::corrupt(col)))
        .transpose()
}

fn plan_from_row(row: &Row) -> Result<Plan> {
    let currency: Currency = row.parse("currency")?;
    Ok(Plan {
        id: row.id("id")?,
        code: row.get("code")?,
        name: row.get("name")?,
        price: Money::from_minor(row.int("price_minor")?, currency)
            .map_err(|_| crate::sql::corrupt("price_minor"))?,
        interval: row.parse("billing_interval")?,
        trial_days: u32::try_from(row.int32("trial_days")?)
            .map_err(|_| crate::sql::corrupt("trial_days"))?,
        limits: PlanLimits {
            seats: limit(row, "limit_seats")?,
            contacts: limit(row, "limit_contacts")?,
            deals: limit(row, "limit_deals")?,
            pipelines: limit(row, "limit_pipelines")?,
            integrations: limit(row, "limit_integrations")?,
        },
        public: row.get("public")?,
        is_default: row.get("is_default")?,
        version: row.int("version")?,
    })
}

fn subscription_from_row(row: &Row) -> Result<Subscription> {
    Ok(Subscription {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        plan_id: row.id("plan_id")?,
        status: row.parse("status")?,
        trial_ends_at: row.opt_time("trial_ends_at")?,
        current_period_start: row.time("current_period_start")?,
        current_period_end: row.time("current_period_end")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

/// The plan new companies start on.
pub(crate) async fn default_plan(tx: &mut Tx) -> Result<Plan> {
    let sql = format!("{PLAN_COLUMNS} WHERE is_default = $1");
    let row = tx.fetch_optional(sql, args![true]).await?;
    row.as_ref()
        .map(plan_from_row)
        .transpose()?
        .ok_or_else(|| FlameError::conflict("plan", "the catalog has no default plan"))
}

pub(crate) async fn insert_subscription(tx: &mut Tx, s: &Subscription) -> Result<()> {
    tx.execute(
        "INSERT INTO subscriptions (company_id, id, plan_id, status, trial_ends_at, current_period_start,
                                    current_period_end, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![
            s.company_id.as_uuid(),
            s.id.as_uuid(),
            s.plan_id.as_uuid(),
            s.status.as_str(),
            s.trial_ends_at,
            s.current_period_start,
            s.current_period_end,
            s.created_at,
            s.updated_at,
            s.version,
        ],
    )
    .await?;
    Ok(())
}

fn opt_limit(n: Option<u32>) -> Option<i64> {
    n.map(i64::from)
}

/// The plan catalog. Host-level: the host decides who edits it; reading the public plans
/// needs no session (the product's public pricing page).
#[derive(Debug, Clone)]
pub struct Plans {
    flame: Flame,
}

impl Flame {
    /// The plan catalog.
    pub fn plans(&self) -> Plans {
        Plans { flame: self.clone() }
    }
}

impl Plans {
    /// Every plan, public ones first, then by price.
    pub async fn list(&self) -> Result<Vec<Plan>> {
        let sql = format!("{PLAN_COLUMNS} ORDER BY public DESC, price_minor, code");
        let rows = self.flame.pool().exec().fetch_all(sql, args![]).await?;
        rows.iter().map(plan_from_row).collect()
    }

    /// The public plans, by price.
    pub async fn list_public(&self) -> Result<Vec<Plan>> {
        Ok(self.list().await?.into_iter().filter(|p| p.public).collect())
    }

    /// One plan.
    pub async fn get(&self, id: PlanId) -> Result<Plan> {
        let sql = format!("{PLAN_COLUMNS} WHERE id = $1");
        let row = self.flame.pool().exec().fetch_optional(sql, args![id.as_uuid()]).await?;
        found(row, plan_from_row, "plan")
    }

    /// Adds a plan to the catalog; its code must be new.
    pub async fn create(&self, input: NewPlan) -> Result<Plan> {
        let plan = input.validate()?;
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let taken = tx
            .fetch_optional("SELECT id FROM plans WHERE code = $1", args![plan.code.clone()])
            .await?;
        if taken.is_some() {
            return Err(FlameError::conflict("plan", "a plan with this code already exists"));
        }
        tx.execute(
            "INSERT INTO plans (id, code, name, price_minor, currency, billing_interval, trial_days,
                                limit_seats, limit_contacts, limit_deals, limit_pipelines,
                                limit_integrations, public, is_default, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1)",
            args![
                plan.id.as_uuid(),
                plan.code.clone(),
                plan.name.clone(),
                plan.price.amount_minor(),
                plan.price.currency().code(),
                plan.interval.as_str(),
                i64::from(plan.trial_days),
                opt_limit(plan.limits.seats),
                opt_limit(plan.limits.contacts),
                opt_limit(plan.limits.deals),
                opt_limit(plan.limits.pipelines),
                opt_limit(plan.limits.integrations),
                plan.public,
                false,
                now,
                now,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Makes `id` the plan new companies start their trial on.
    pub async fn set_default(&self, id: PlanId) -> Result<Plan> {
        let mut tx = self.flame.pool().begin().await?;
        let exists =
            tx.fetch_optional("SELECT id FROM plans WHERE id = $1", args![id.as_uuid()]).await?;
        if exists.is_none() {
            return Err(FlameError::not_found("plan"));
        }
        tx.execute(
            "UPDATE plans SET is_default = $1, version = version + 1 WHERE is_default = $2",
            args![false, true],
        )
        .await?;
        tx.execute(
            "UPDATE plans SET is_default = $1, version = version + 1 WHERE id = $2",
            args![true, id.as_uuid()],
        )
        .await?;
        tx.commit().await?;
        self.get(id).await
    }
}

/// The session's company subscription.
#[derive(Debug, Clone)]
pub struct Billing {
    session: Session,
}

impl Billing {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// The company's subscription.
    pub async fn subscription(&self) -> Result<Subscription> {
        self.session.authorize(Action::Read, Resource::Billing)?;
        let row = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_optional(
                "SELECT company_id, id, plan_id, status, trial_ends_at, current_period_start,
                        current_period_end, created_at, updated_at, version
                 FROM subscriptions WHERE company_id = $1",
                args![self.session.tenant()],
            )
            .await?;
        found(row, subscription_from_row, "subscription")
    }

    /// The plan the company is subscribed to.
    pub async fn plan(&self) -> Result<Plan> {
        let sub = self.subscription().await?;
        self.session.flame().plans().get(sub.plan_id).await
    }
}
