//! The plan catalog (host-level) and each company's subscription.

use time::OffsetDateTime;

use flame_core::auth::{Action, Resource};
use flame_core::billing::{
    NewPayment, NewPlan, Payment, Plan, PlanLimits, Subscription, SubscriptionStatus, TrialLapse,
    Usage,
};
use flame_core::money::{Currency, Money};
use flame_core::{CompanyId, FlameError, PlanId, Result, clock};

use crate::sql::{Executor, Row, Tx, args, found};
use crate::{Flame, Session, usage};

const PLAN_COLUMNS: &str =
    "SELECT id, code, name, price_minor, currency, billing_interval, trial_days,
        limit_seats, limit_contacts, limit_deals, limit_pipelines, limit_integrations,
        limit_organizations, public, is_default, version FROM plans";

pub(crate) fn limits_from_row(row: &Row) -> Result<PlanLimits> {
    Ok(PlanLimits {
        seats: usage::plan_limit(row, "limit_seats")?,
        contacts: usage::plan_limit(row, "limit_contacts")?,
        deals: usage::plan_limit(row, "limit_deals")?,
        pipelines: usage::plan_limit(row, "limit_pipelines")?,
        integrations: usage::plan_limit(row, "limit_integrations")?,
        organizations: usage::plan_limit(row, "limit_organizations")?,
    })
}

pub(crate) fn plan_from_row(row: &Row) -> Result<Plan> {
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
        limits: limits_from_row(row)?,
        public: row.get("public")?,
        is_default: row.get("is_default")?,
        version: row.int("version")?,
    })
}

/// The subscription as stored, its status as of `now` (a lapsed trial reads as expired).
pub(crate) fn subscription_from_row(row: &Row, now: OffsetDateTime) -> Result<Subscription> {
    let stored = stored_subscription(row)?;
    Ok(Subscription { status: stored.status_at(now), ..stored })
}

fn stored_subscription(row: &Row) -> Result<Subscription> {
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

impl Plans {
    pub(crate) fn new(flame: Flame) -> Self {
        Self { flame }
    }

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
                                limit_integrations, public, is_default, created_at, updated_at, version,
                                limit_organizations)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17)",
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
                opt_limit(plan.limits.organizations),
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

pub(crate) const SUBSCRIPTION_COLUMNS: &str =
    "SELECT company_id, id, plan_id, status, trial_ends_at, current_period_start,
            current_period_end, created_at, updated_at, version FROM subscriptions";

async fn subscription_of(exec: &mut impl Executor, company: CompanyId) -> Result<Subscription> {
    let sql = format!("{SUBSCRIPTION_COLUMNS} WHERE company_id = $1");
    let row = exec.fetch_optional(sql, args![company.as_uuid()]).await?;
    found(row, stored_subscription, "subscription")
}

async fn update_subscription(tx: &mut Tx, before: &Subscription, s: &Subscription) -> Result<()> {
    let changed = tx
        .execute(
            "UPDATE subscriptions SET plan_id = $1, status = $2, trial_ends_at = $3,
                    current_period_start = $4, current_period_end = $5, updated_at = $6,
                    version = $7
             WHERE company_id = $8 AND id = $9 AND version = $10",
            args![
                s.plan_id.as_uuid(),
                s.status.as_str(),
                s.trial_ends_at,
                s.current_period_start,
                s.current_period_end,
                s.updated_at,
                s.version,
                s.company_id.as_uuid(),
                s.id.as_uuid(),
                before.version,
            ],
        )
        .await?;
    if changed == 0 {
        return Err(FlameError::stale("subscription"));
    }
    Ok(())
}

fn payment_from_row(row: &Row) -> Result<Payment> {
    let currency: Currency = row.parse("currency")?;
    Ok(Payment {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        subscription_id: row.id("subscription_id")?,
        provider_ref: row.get("provider_ref")?,
        outcome: row.parse("outcome")?,
        amount: Money::from_minor(row.int("amount_minor")?, currency)
            .map_err(|_| crate::sql::corrupt("amount_minor"))?,
        period_end: row.opt_time("period_end")?,
        failure_reason: row.get("failure_reason")?,
        recorded_at: row.time("recorded_at")?,
    })
}

const PAYMENT_COLUMNS: &str = "SELECT company_id, id, subscription_id, provider_ref, outcome,
        amount_minor, currency, period_end, failure_reason, recorded_at FROM payments";

/// The session's company subscription.
#[derive(Debug, Clone)]
pub struct Billing {
    session: Session,
}

impl Billing {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// The company's subscription, its status as of now (a trial past its end reads as
    /// expired even before [`Subscriptions::expire_lapsed_trials`] stores it).
    pub async fn subscription(&self) -> Result<Subscription> {
        let now = self.session.authorize(Action::Read, Resource::Billing).await?;
        let sql = format!("{SUBSCRIPTION_COLUMNS} WHERE company_id = $1");
        let row = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_optional(sql, args![self.session.tenant()])
            .await?;
        match row {
            Some(row) => subscription_from_row(&row, now),
            None => Err(FlameError::not_found("subscription")),
        }
    }

    /// The plan the company is subscribed to.
    pub async fn plan(&self) -> Result<Plan> {
        let sub = self.subscription().await?;
        Plans::new(self.session.flame().clone()).get(sub.plan_id).await
    }

    /// What the company uses of each limited thing.
    pub async fn usage(&self) -> Result<Usage> {
        self.session.authorize(Action::Read, Resource::Billing).await?;
        usage::read(&mut self.session.flame().pool().exec(), self.session.company_id(), false).await
    }

    /// The payments recorded for the company, newest first.
    pub async fn payments(&self) -> Result<Vec<Payment>> {
        self.session.authorize(Action::Read, Resource::Billing).await?;
        let sql = format!("{PAYMENT_COLUMNS} WHERE company_id = $1 ORDER BY id DESC");
        let rows =
            self.session.flame().pool().exec().fetch_all(sql, args![self.session.tenant()]).await?;
        rows.iter().map(payment_from_row).collect()
    }

    /// Moves the company to another plan, at once. Refused with `PlanLimitExceeded` (naming
    /// the limit) while the company uses more than the new plan allows, and `ReadOnly` while
    /// the subscription is canceled or expired. Owners only.
    pub async fn change_plan(&self, plan_id: PlanId, version: i64) -> Result<Subscription> {
        self.session.authorize(Action::Update, Resource::Billing).await?;
        let plan = Plans::new(self.session.flame().clone()).get(plan_id).await?;
        let company = self.session.company_id();
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Update, Resource::Billing)?;
        // Lock the usage row first: writers adding usage wait until the plan has changed.
        let usage = usage::read(&mut tx, company, true).await?;
        let current = subscription_of(&mut tx, company).await?;
        if current.version != version {
            return Err(FlameError::stale("subscription"));
        }
        let next = current.change_plan(&plan, &usage, now)?;
        update_subscription(&mut tx, &current, &next).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Cancels the subscription: the company becomes read-only until a payment reactivates
    /// it. Owners only.
    pub async fn cancel(&self, version: i64) -> Result<Subscription> {
        self.session.authorize(Action::Update, Resource::Billing).await?;
        let company = self.session.company_id();
        let mut tx = self.session.begin_any().await?;
        let now = self.session.permit(Action::Update, Resource::Billing)?;
        let current = subscription_of(&mut tx, company).await?;
        if current.version != version {
            return Err(FlameError::stale("subscription"));
        }
        let effective = Subscription { status: current.status_at(now), ..current.clone() };
        let next = effective.transition(SubscriptionStatus::Canceled, now)?;
        update_subscription(&mut tx, &current, &next).await?;
        tx.commit().await?;
        self.session.flame().standing_changed();
        Ok(next)
    }
}

/// The host's side of billing: what its payment provider reports, and the sweep that
/// stores lapsed trials as expired. Trusted host calls, like the plan catalog.
#[derive(Debug, Clone)]
pub struct Subscriptions {
    flame: Flame,
}

impl Subscriptions {
    pub(crate) fn new(flame: Flame) -> Self {
        Self { flame }
    }

    /// A company's subscription, its status as of now.
    pub async fn get(&self, company: CompanyId) -> Result<Subscription> {
        let now = clock::now();
        let stored = subscription_of(&mut self.flame.pool().exec(), company).await?;
        Ok(Subscription { status: stored.status_at(now), ..stored })
    }

    /// Records a payment the provider reports and applies it: a success activates (or
    /// renews, or reactivates) the subscription up to `period_end`; a failure puts an active
    /// subscription past due and expires a trial. Recording the same `provider_ref` again
    /// changes nothing and returns the subscription as it is.
    pub async fn record_payment(
        &self,
        company: CompanyId,
        payment: NewPayment,
    ) -> Result<Subscription> {
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let current = subscription_of(&mut tx, company).await?;
        let recorded = payment.validate(&current, now)?;
        let seen = tx
            .fetch_optional(
                "SELECT id FROM payments WHERE company_id = $1 AND provider_ref = $2",
                args![company.as_uuid(), recorded.provider_ref.clone()],
            )
            .await?;
        if seen.is_some() {
            return Ok(Subscription { status: current.status_at(now), ..current });
        }
        let next = recorded.apply(&current, now)?;
        tx.execute(
            "INSERT INTO payments (company_id, id, subscription_id, provider_ref, outcome,
                                   amount_minor, currency, period_end, failure_reason, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            args![
                company.as_uuid(),
                recorded.id.as_uuid(),
                recorded.subscription_id.as_uuid(),
                recorded.provider_ref.clone(),
                recorded.outcome.as_str(),
                recorded.amount.amount_minor(),
                recorded.amount.currency().code(),
                recorded.period_end,
                recorded.failure_reason.clone(),
                now,
            ],
        )
        .await?;
        update_subscription(&mut tx, &current, &next).await?;
        tx.commit().await?;
        self.flame.standing_changed();
        Ok(next)
    }

    /// Expires the subscription at once (the provider gave up collecting, or the host ends
    /// it): the company becomes read-only until a payment reactivates it.
    pub async fn expire(&self, company: CompanyId) -> Result<Subscription> {
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let current = subscription_of(&mut tx, company).await?;
        let next = current.transition(SubscriptionStatus::Expired, now)?;
        update_subscription(&mut tx, &current, &next).await?;
        tx.commit().await?;
        self.flame.standing_changed();
        Ok(next)
    }

    /// Stores every trial whose end has passed as expired; returns how many. (Sessions treat
    /// lapsed trials as expired anyway; this keeps the stored status and reports in step.)
    /// Which subscriptions have lapsed, and into what, is flame-core's [`TrialLapse`], the
    /// rule [`SubscriptionStatus::at`] applies to one subscription.
    pub async fn expire_lapsed_trials(&self) -> Result<u64> {
        let now = clock::now();
        let lapse = TrialLapse::as_of(now);
        let n = self
            .flame
            .pool()
            .exec()
            .execute(
                "UPDATE subscriptions SET status = $1, updated_at = $2, version = version + 1
                 WHERE status = $3 AND trial_ends_at <= $4",
                args![lapse.to.as_str(), now, lapse.from.as_str(), lapse.ended_by],
            )
            .await?;
        if n > 0 {
            self.flame.standing_changed();
        }
        Ok(n)
    }
}

/// Fails with `ReadOnly` when the company's subscription is canceled or expired as of `now`
/// (for host-driven writes, which have no session standing to check).
pub(crate) async fn ensure_company_writable(
    tx: &mut Tx,
    company: CompanyId,
    now: OffsetDateTime,
) -> Result<()> {
    let row = tx
        .fetch_optional(
            "SELECT status, trial_ends_at FROM subscriptions WHERE company_id = $1",
            args![company.as_uuid()],
        )
        .await?;
    if let Some(row) = row {
        let status: SubscriptionStatus = row.parse("status")?;
        status.at(row.opt_time("trial_ends_at")?, now).ensure_writable()?;
    }
    Ok(())
}
