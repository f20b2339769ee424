//! Billing: the [`Plan`] catalog with its [`PlanLimits`], and each company's
//! [`Subscription`] with its lifecycle ([`SubscriptionStatus`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::error::{FlameError, Result};
use crate::id::{CompanyId, PaymentId, PlanId, SubscriptionId};
use crate::money::{Currency, Money};
use crate::text;

/// How often a plan is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum BillingInterval {
    /// Every month.
    Month,
    /// Every year.
    Year,
}

impl BillingInterval {
    /// Every interval.
    pub const ALL: [BillingInterval; 2] = [Self::Month, Self::Year];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            BillingInterval::Month => "month",
            BillingInterval::Year => "year",
        }
    }
}

impl FromStr for BillingInterval {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "month" => Ok(Self::Month),
            "year" => Ok(Self::Year),
            _ => Err(FlameError::validation("interval", "must be month or year")),
        }
    }
}

/// What a plan allows; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PlanLimits {
    /// Members of the company.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub seats: Option<u32>,
    /// Contacts.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub contacts: Option<u32>,
    /// Deals.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub deals: Option<u32>,
    /// Pipelines.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub pipelines: Option<u32>,
    /// Integrations of all kinds.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub integrations: Option<u32>,
    /// Organizations.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub organizations: Option<u32>,
}

impl PlanLimits {
    /// The largest limit a plan may set: 2 147 483 647 (`i32::MAX`, what both engines'
    /// limit columns hold). Larger is a `Validation` error on `limits.<name>`; `None`
    /// (unlimited) is the way to say "no limit".
    pub const MAX: u32 = i32::MAX as u32;

    /// Checks that every limit is at most [`PlanLimits::MAX`].
    pub fn validate(&self) -> Result<()> {
        for limit in Limit::ALL {
            if self.of(limit).is_some_and(|n| n > Self::MAX) {
                return Err(FlameError::validation(
                    format!("limits.{}", limit.as_str()),
                    format!("must be at most {} (leave it unset for no limit)", Self::MAX),
                ));
            }
        }
        Ok(())
    }
}

/// One of the things a plan limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Members of the company.
    Seats,
    /// Contacts.
    Contacts,
    /// Deals.
    Deals,
    /// Pipelines.
    Pipelines,
    /// Integrations.
    Integrations,
    /// Organizations.
    Organizations,
}

impl Limit {
    /// Every limit.
    pub const ALL: [Limit; 6] = [
        Limit::Seats,
        Limit::Contacts,
        Limit::Deals,
        Limit::Pipelines,
        Limit::Integrations,
        Limit::Organizations,
    ];

    /// The name used in errors and storage (`"contacts"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Limit::Seats => "seats",
            Limit::Contacts => "contacts",
            Limit::Deals => "deals",
            Limit::Pipelines => "pipelines",
            Limit::Integrations => "integrations",
            Limit::Organizations => "organizations",
        }
    }
}

impl Limit {
    /// Whether adding `adding` to `used` stays within `allowed` (`None`: unlimited);
    /// `PlanLimitExceeded` (with what is in use before the write) otherwise.
    pub fn check(self, allowed: Option<u32>, used: u64, adding: u64) -> Result<()> {
        match allowed {
            Some(allowed) if used.saturating_add(adding) > u64::from(allowed) => {
                Err(FlameError::PlanLimitExceeded {
                    limit: self.as_str().into(),
                    allowed: u64::from(allowed),
                    used,
                })
            }
            _ => Ok(()),
        }
    }
}

impl PlanLimits {
    /// What the plan allows of `limit` (`None`: unlimited).
    pub const fn of(&self, limit: Limit) -> Option<u32> {
        match limit {
            Limit::Seats => self.seats,
            Limit::Contacts => self.contacts,
            Limit::Deals => self.deals,
            Limit::Pipelines => self.pipelines,
            Limit::Integrations => self.integrations,
            Limit::Organizations => self.organizations,
        }
    }

    /// Whether adding `adding` to the `used` of `limit` stays within the plan;
    /// `PlanLimitExceeded` (with what is in use before the write) otherwise.
    pub fn check(&self, limit: Limit, used: u64, adding: u64) -> Result<()> {
        limit.check(self.of(limit), used, adding)
    }

    /// Whether a company using `usage` fits in these limits; the first limit it exceeds is
    /// named, with what is in use (a downgrade is refused until usage comes down).
    pub fn admits(&self, usage: &Usage) -> Result<()> {
        for limit in Limit::ALL {
            if let Some(allowed) = self.of(limit) {
                let used = usage.of(limit);
                if used > u64::from(allowed) {
                    return Err(FlameError::PlanLimitExceeded {
                        limit: limit.as_str().into(),
                        allowed: u64::from(allowed),
                        used,
                    });
                }
            }
        }
        Ok(())
    }
}

/// What a company uses of each limited thing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Usage {
    /// Members.
    pub seats: u64,
    /// Contacts.
    pub contacts: u64,
    /// Deals.
    pub deals: u64,
    /// Pipelines.
    pub pipelines: u64,
    /// Integrations.
    pub integrations: u64,
    /// Organizations.
    pub organizations: u64,
}

impl Usage {
    /// The use of `limit`.
    pub const fn of(&self, limit: Limit) -> u64 {
        match limit {
            Limit::Seats => self.seats,
            Limit::Contacts => self.contacts,
            Limit::Deals => self.deals,
            Limit::Pipelines => self.pipelines,
            Limit::Integrations => self.integrations,
            Limit::Organizations => self.organizations,
        }
    }
}

/// A plan of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Plan {
    /// Its id.
    pub id: PlanId,
    /// Its stable code (`"starter"`), unique.
    pub code: String,
    /// Its display name.
    pub name: String,
    /// The price per interval.
    pub price: Money,
    /// The billing interval.
    pub interval: BillingInterval,
    /// How long a new subscription is on trial.
    pub trial_days: u32,
    /// What it allows.
    pub limits: PlanLimits,
    /// Shown on the public plans page.
    pub public: bool,
    /// The plan new companies start their trial on.
    pub is_default: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A plan to add to the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewPlan {
    /// Stable code: lowercase letters, digits, `-` and `_`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Price in minor units of `currency`.
    pub price_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Billing interval.
    pub interval: BillingInterval,
    /// Trial length in days (at most 365).
    pub trial_days: u32,
    /// Limits.
    pub limits: PlanLimits,
    /// Shown on the public plans page.
    pub public: bool,
}

impl NewPlan {
    /// Checks every field and builds the plan.
    pub fn validate(&self) -> Result<Plan> {
        let code = text::required("code", &self.code, 64)?;
        if !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(FlameError::validation(
                "code",
                "must be lowercase letters, digits, '-' or '_'",
            ));
        }
        if self.trial_days > 365 {
            return Err(FlameError::validation("trial_days", "must be at most 365"));
        }
        self.limits.validate()?;
        let currency = Currency::parse(&self.currency)?;
        Ok(Plan {
            id: PlanId::new(),
            code,
            name: text::required("name", &self.name, text::NAME_MAX)?,
            price: Money::from_minor(self.price_minor, currency)
                .map_err(|e| e.at("price_minor"))?,
            interval: self.interval,
            trial_days: self.trial_days,
            limits: self.limits,
            public: self.public,
            is_default: false,
            version: 1,
        })
    }
}

/// Where a subscription is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// On trial, until `trial_ends_at`.
    Trialing,
    /// Paid and current.
    Active,
    /// A payment failed; still usable while the host retries.
    PastDue,
    /// Canceled by the company.
    Canceled,
    /// Ended without payment.
    Expired,
}

impl SubscriptionStatus {
    /// Every status.
    pub const ALL: [SubscriptionStatus; 5] =
        [Self::Trialing, Self::Active, Self::PastDue, Self::Canceled, Self::Expired];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
            Self::Expired => "expired",
        }
    }

    /// The status as of `now` of a subscription stored with this status and trial end: a
    /// trial whose end has passed is expired, whether or not a sweep has stored that yet
    /// ([`TrialLapse`]).
    pub fn at(self, trial_ends_at: Option<OffsetDateTime>, now: OffsetDateTime) -> Self {
        let lapse = TrialLapse::as_of(now);
        if lapse.applies(self, trial_ends_at) { lapse.to } else { self }
    }

    /// Fails with `ReadOnly` unless the company may write in this status.
    pub fn ensure_writable(self) -> Result<()> {
        if self.allows_writes() {
            return Ok(());
        }
        Err(FlameError::ReadOnly {
            reason: format!("the company's subscription is {self}; reactivate it to make changes"),
        })
    }

    /// Whether the company may write while its subscription is in this status.
    pub const fn allows_writes(self) -> bool {
        matches!(self, Self::Trialing | Self::Active | Self::PastDue)
    }

    /// Whether the lifecycle allows going from `self` to `to`: trialing → active → past_due →
    /// canceled or expired; a canceled or expired subscription may be reactivated.
    pub const fn can_become(self, to: SubscriptionStatus) -> bool {
        use SubscriptionStatus::*;
        matches!(
            (self, to),
            (Trialing, Active | Canceled | Expired)
                | (Active, PastDue | Canceled | Expired)
                | (PastDue, Active | Canceled | Expired)
                | (Canceled | Expired, Active)
        )
    }
}

/// The rule by which trials lapse, as of one instant: a subscription stored as
/// [`from`](Self::from) (trialing) whose trial ended at or before
/// [`ended_by`](Self::ended_by) is [`to`](Self::to) (expired).
///
/// [`SubscriptionStatus::at`] applies it to one subscription; a store selects every lapsed
/// subscription with the same three values (`status = from AND trial_ends_at <= ended_by`), so
/// that what a session sees and what a sweep stores cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrialLapse {
    /// The stored status that lapses.
    pub from: SubscriptionStatus,
    /// The status a lapsed subscription has.
    pub to: SubscriptionStatus,
    /// Trials that ended at or before this instant have lapsed.
    pub ended_by: OffsetDateTime,
}

impl TrialLapse {
    /// The rule as of `now`: a trial lapses, without a payment, once its end is reached.
    pub const fn as_of(now: OffsetDateTime) -> Self {
        Self { from: SubscriptionStatus::Trialing, to: SubscriptionStatus::Expired, ended_by: now }
    }

    /// Whether a subscription stored with `status` and `trial_ends_at` has lapsed.
    pub fn applies(
        &self,
        status: SubscriptionStatus,
        trial_ends_at: Option<OffsetDateTime>,
    ) -> bool {
        status == self.from && trial_ends_at.is_some_and(|end| end <= self.ended_by)
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SubscriptionStatus {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s.trim()).ok_or_else(|| {
            FlameError::validation(
                "status",
                "must be trialing, active, past_due, canceled or expired",
            )
        })
    }
}

/// A company's subscription to a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The company.
    pub company_id: CompanyId,
    /// The plan.
    pub plan_id: PlanId,
    /// Where it is in its lifecycle.
    pub status: SubscriptionStatus,
    /// When the trial ends, for trialing subscriptions.
    #[serde(with = "time::serde::rfc3339::option")]
    pub trial_ends_at: Option<OffsetDateTime>,
    /// Start of the current billing period.
    #[serde(with = "time::serde::rfc3339")]
    pub current_period_start: OffsetDateTime,
    /// End of the current billing period.
    #[serde(with = "time::serde::rfc3339")]
    pub current_period_end: OffsetDateTime,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl Subscription {
    /// The subscription a new company starts with on `plan`: a trial of the plan's
    /// `trial_days`. A plan without trial days starts active when it is free (for a year, then
    /// renewed by a recorded payment) and, when it is paid, is read-only until its first
    /// payment.
    pub fn start_trial(company_id: CompanyId, plan: &Plan, now: OffsetDateTime) -> Self {
        if plan.trial_days == 0 && plan.price.amount_minor() == 0 {
            return Self {
                id: SubscriptionId::new(),
                company_id,
                plan_id: plan.id,
                status: SubscriptionStatus::Active,
                trial_ends_at: None,
                current_period_start: now,
                current_period_end: now + Duration::days(365),
                created_at: now,
                updated_at: now,
                version: 1,
            };
        }
        let end = now + Duration::days(i64::from(plan.trial_days));
        Self {
            id: SubscriptionId::new(),
            company_id,
            plan_id: plan.id,
            status: SubscriptionStatus::Trialing,
            trial_ends_at: Some(end),
            current_period_start: now,
            current_period_end: end,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The status as of `now`: a trial whose end has passed without a payment is expired,
    /// whether or not a sweep has stored that yet.
    pub fn status_at(&self, now: OffsetDateTime) -> SubscriptionStatus {
        self.status.at(self.trial_ends_at, now)
    }

    /// The subscription after a successful payment for the period `[period_start,
    /// period_end)`: active, trial over. Renews an active subscription, settles a past-due one
    /// and reactivates a canceled or expired one.
    pub fn paid(
        &self,
        period_start: OffsetDateTime,
        period_end: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Self> {
        if period_end <= period_start {
            return Err(FlameError::validation("period_end", "must be after period_start"));
        }
        if period_end <= now {
            return Err(FlameError::validation("period_end", "must be in the future"));
        }
        let mut next = if self.status == SubscriptionStatus::Active {
            Self { updated_at: now, version: self.version + 1, ..self.clone() }
        } else {
            self.transition(SubscriptionStatus::Active, now)?
        };
        next.trial_ends_at = None;
        next.current_period_start = clock_floor(period_start);
        next.current_period_end = clock_floor(period_end);
        Ok(next)
    }

    /// The subscription after a failed payment: an active one falls past due, a trial that
    /// could not convert expires, a past-due one stays past due.
    pub fn payment_failed(&self, now: OffsetDateTime) -> Result<Self> {
        let current = Self { status: self.status_at(now), ..self.clone() };
        match current.status {
            SubscriptionStatus::PastDue => {
                Ok(Self { updated_at: now, version: self.version + 1, ..current })
            }
            SubscriptionStatus::Trialing => current.transition(SubscriptionStatus::Expired, now),
            _ => current.transition(SubscriptionStatus::PastDue, now),
        }
    }

    /// Moves the subscription to another plan: allowed while the company can write, only to a
    /// public plan (a hidden one is a `Validation` error on `plan_id`: hidden plans are the
    /// host's — a company reaches one only as the default plan it signed up on), and only if
    /// what it uses fits in the new plan's limits (a downgrade below current usage is refused,
    /// naming the limit).
    pub fn change_plan(&self, plan: &Plan, usage: &Usage, now: OffsetDateTime) -> Result<Self> {
        let status = self.status_at(now);
        if !status.allows_writes() {
            return Err(FlameError::ReadOnly {
                reason: format!("the company's subscription is {status}; reactivate it first"),
            });
        }
        if plan.id == self.plan_id {
            return Err(FlameError::conflict("subscription", "already on this plan"));
        }
        if !plan.public {
            return Err(FlameError::validation(
                "plan_id",
                "is not a public plan: hidden plans cannot be chosen",
            ));
        }
        plan.limits.admits(usage)?;
        Ok(Self { plan_id: plan.id, updated_at: now, version: self.version + 1, ..self.clone() })
    }

    /// Moves the subscription to `to` if its lifecycle allows it.
    pub fn transition(&self, to: SubscriptionStatus, now: OffsetDateTime) -> Result<Self> {
        if !self.status.can_become(to) {
            return Err(FlameError::InvalidTransition {
                entity: "subscription".into(),
                from_state: self.status.to_string(),
                to_state: to.to_string(),
                reason: "the subscription lifecycle does not allow it".into(),
            });
        }
        Ok(Self { status: to, updated_at: now, version: self.version + 1, ..self.clone() })
    }
}

fn clock_floor(t: OffsetDateTime) -> OffsetDateTime {
    crate::clock::normalize(t)
}

/// Whether a payment went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PaymentOutcome {
    /// The provider collected the money.
    Succeeded,
    /// The provider could not collect it.
    Failed,
}

impl PaymentOutcome {
    /// Every outcome.
    pub const ALL: [PaymentOutcome; 2] = [Self::Succeeded, Self::Failed];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentOutcome::Succeeded => "succeeded",
            PaymentOutcome::Failed => "failed",
        }
    }
}

impl FromStr for PaymentOutcome {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            _ => Err(FlameError::validation("outcome", "must be succeeded or failed")),
        }
    }
}

/// What the host's payment provider reports, to record against a company's subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewPayment {
    /// The provider's id for the charge; recording the same id twice changes nothing.
    pub provider_ref: String,
    /// Succeeded or failed.
    pub outcome: PaymentOutcome,
    /// The amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// For a successful payment, the end of the period it pays for (it starts now, or at the
    /// end of the current paid period if that is later).
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub period_end: Option<OffsetDateTime>,
    /// For a failure, the provider's reason (no card data).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub failure_reason: Option<String>,
}

/// A payment recorded for a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Payment {
    /// Its id.
    pub id: PaymentId,
    /// The company.
    pub company_id: CompanyId,
    /// The subscription it was for.
    pub subscription_id: SubscriptionId,
    /// The provider's id for the charge.
    pub provider_ref: String,
    /// Succeeded or failed.
    pub outcome: PaymentOutcome,
    /// The amount.
    pub amount: Money,
    /// The period end it paid up to, for successful payments.
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_end: Option<OffsetDateTime>,
    /// The provider's reason, for failures.
    pub failure_reason: Option<String>,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

impl NewPayment {
    /// Checks every field and builds the payment for `subscription`.
    pub fn validate(&self, subscription: &Subscription, now: OffsetDateTime) -> Result<Payment> {
        let provider_ref = text::required("provider_ref", &self.provider_ref, text::NAME_MAX)?;
        let currency = Currency::parse(&self.currency)?;
        let amount =
            Money::from_minor(self.amount_minor, currency).map_err(|e| e.at("amount_minor"))?;
        let failure_reason =
            text::optional("failure_reason", self.failure_reason.as_deref(), text::REASON_MAX)?;
        let period_end =
            self.period_end.map(|t| crate::clock::checked("period_end", t)).transpose()?;
        match self.outcome {
            PaymentOutcome::Succeeded if self.period_end.is_none() => {
                return Err(FlameError::validation(
                    "period_end",
                    "is required for a successful payment",
                ));
            }
            PaymentOutcome::Failed if self.period_end.is_some() => {
                return Err(FlameError::validation(
                    "period_end",
                    "is only for successful payments",
                ));
            }
            _ => {}
        }
        Ok(Payment {
            id: PaymentId::new(),
            company_id: subscription.company_id,
            subscription_id: subscription.id,
            provider_ref,
            outcome: self.outcome,
            amount,
            period_end: period_end.map(clock_floor),
            failure_reason,
            recorded_at: now,
        })
    }
}

impl Payment {
    /// The subscription after this payment.
    pub fn apply(&self, subscription: &Subscription, now: OffsetDateTime) -> Result<Subscription> {
        match (self.outcome, self.period_end) {
            (PaymentOutcome::Succeeded, Some(end)) => {
                let start = if subscription.status == SubscriptionStatus::Active {
                    subscription.current_period_end.min(end)
                } else {
                    now
                };
                subscription.paid(start, end, now)
            }
            _ => subscription.payment_failed(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(limits: PlanLimits) -> Plan {
        NewPlan {
            code: "pro".into(),
            name: "Pro".into(),
            price_minor: 990,
            currency: "USD".into(),
            interval: BillingInterval::Month,
            trial_days: 14,
            limits,
            public: true,
        }
        .validate()
        .expect("valid plan")
    }

    #[test]
    fn plans_without_trial_days_start_active_when_free_and_read_only_when_paid() {
        let now = crate::clock::now();
        let mut free = plan(PlanLimits::default());
        free.trial_days = 0;
        free.price = Money::from_minor(0, free.price.currency()).expect("zero");
        let s = Subscription::start_trial(CompanyId::new(), &free, now);
        assert_eq!(s.status_at(now), SubscriptionStatus::Active);
        let mut paid = plan(PlanLimits::default());
        paid.trial_days = 0;
        let s = Subscription::start_trial(CompanyId::new(), &paid, now);
        assert_eq!(s.status_at(now), SubscriptionStatus::Expired);
        // A failed payment on a lapsed trial names the status it really has.
        assert!(matches!(
            s.payment_failed(now),
            Err(FlameError::InvalidTransition { from_state, .. }) if from_state == "expired"
        ));
    }

    #[test]
    fn trials_lapse_into_expiry_and_payments_revive() {
        let now = crate::clock::now();
        let trial = Subscription::start_trial(CompanyId::new(), &plan(PlanLimits::default()), now);
        assert_eq!(trial.status_at(now), SubscriptionStatus::Trialing);
        let later = now + Duration::days(15);
        assert_eq!(trial.status_at(later), SubscriptionStatus::Expired);
        let paid = trial.paid(later, later + Duration::days(30), later).expect("converts");
        assert_eq!(paid.status, SubscriptionStatus::Active);
        assert_eq!(paid.trial_ends_at, None);
        let failed = paid.payment_failed(later).expect("falls past due");
        assert_eq!(failed.status, SubscriptionStatus::PastDue);
        let canceled = failed.transition(SubscriptionStatus::Canceled, later).expect("cancels");
        assert!(!canceled.status.allows_writes());
        assert!(matches!(
            canceled.payment_failed(later),
            Err(FlameError::InvalidTransition { .. })
        ));
        let revived = canceled.paid(later, later + Duration::days(30), later).expect("revives");
        assert!(revived.status.allows_writes());
        assert!(paid.paid(later, later, later).is_err(), "empty period");
    }

    #[test]
    fn hidden_plans_cannot_be_chosen() {
        let now = crate::clock::now();
        let current =
            Subscription::start_trial(CompanyId::new(), &plan(PlanLimits::default()), now);
        let mut hidden = plan(PlanLimits::default());
        hidden.public = false;
        match current.change_plan(&hidden, &Usage::default(), now) {
            Err(FlameError::Validation { field, .. }) => assert_eq!(field, "plan_id"),
            other => panic!("expected a Validation error on plan_id, got {other:?}"),
        }
    }

    #[test]
    fn limits_above_the_bound_are_refused_naming_the_limit() {
        let at_bound = PlanLimits { deals: Some(PlanLimits::MAX), ..PlanLimits::default() };
        assert!(at_bound.validate().is_ok());
        let mut input = NewPlan {
            code: "huge".into(),
            name: "Huge".into(),
            price_minor: 0,
            currency: "USD".into(),
            interval: BillingInterval::Month,
            trial_days: 0,
            limits: PlanLimits { contacts: Some(3_000_000_000), ..PlanLimits::default() },
            public: true,
        };
        match input.validate() {
            Err(FlameError::Validation { field, .. }) => assert_eq!(field, "limits.contacts"),
            other => panic!("expected a Validation error on limits.contacts, got {other:?}"),
        }
        input.limits = at_bound;
        assert!(input.validate().is_ok());
    }

    #[test]
    fn downgrades_are_refused_while_usage_exceeds_the_new_limits() {
        let now = crate::clock::now();
        let current =
            Subscription::start_trial(CompanyId::new(), &plan(PlanLimits::default()), now);
        let small =
            plan(PlanLimits { contacts: Some(10), seats: Some(2), ..PlanLimits::default() });
        let usage = Usage { seats: 2, contacts: 11, ..Usage::default() };
        assert_eq!(
            current.change_plan(&small, &usage, now),
            Err(FlameError::PlanLimitExceeded { limit: "contacts".into(), allowed: 10, used: 11 })
        );
        let fits = Usage { contacts: 10, ..usage };
        assert_eq!(current.change_plan(&small, &fits, now).expect("fits").plan_id, small.id);
    }

    #[test]
    fn limits_check_the_use_after_the_write() {
        let limits = PlanLimits { deals: Some(2), ..PlanLimits::default() };
        assert!(limits.check(Limit::Deals, 1, 1).is_ok());
        assert_eq!(
            limits.check(Limit::Deals, 2, 1),
            Err(FlameError::PlanLimitExceeded { limit: "deals".into(), allowed: 2, used: 2 })
        );
        assert!(limits.check(Limit::Contacts, 1_000_000, 5).is_ok(), "unlimited");
    }

    #[test]
    fn trials_lapse_at_their_end_into_a_status_the_lifecycle_allows() {
        let now = crate::clock::now();
        let lapse = TrialLapse::as_of(now);
        assert!(lapse.from.can_become(lapse.to), "a sweep stores a lifecycle transition");
        assert!(lapse.applies(SubscriptionStatus::Trialing, Some(now)));
        assert!(lapse.applies(SubscriptionStatus::Trialing, Some(now - Duration::days(1))));
        assert!(!lapse.applies(SubscriptionStatus::Trialing, Some(now + Duration::seconds(1))));
        assert!(!lapse.applies(SubscriptionStatus::Trialing, None));
        assert!(!lapse.applies(SubscriptionStatus::Active, Some(now - Duration::days(1))));
        for status in SubscriptionStatus::ALL {
            for end in
                [None, Some(now - Duration::days(1)), Some(now), Some(now + Duration::days(1))]
            {
                let expected = if lapse.applies(status, end) { lapse.to } else { status };
                assert_eq!(status.at(end, now), expected, "{status} {end:?}");
            }
        }
    }

    #[test]
    fn lifecycle() {
        use SubscriptionStatus::*;
        assert!(Trialing.can_become(Active));
        assert!(Active.can_become(PastDue));
        assert!(PastDue.can_become(Canceled));
        assert!(Canceled.can_become(Active));
        assert!(!Canceled.can_become(PastDue));
        assert!(!Trialing.can_become(PastDue));
        assert!(!Expired.allows_writes());
    }

    #[test]
    fn plan_codes_are_checked() {
        let plan = NewPlan {
            code: "Pro Plan".into(),
            name: "Pro".into(),
            price_minor: 990,
            currency: "USD".into(),
            interval: BillingInterval::Month,
            trial_days: 14,
            limits: PlanLimits::default(),
            public: true,
        };
        assert!(
            matches!(plan.validate(), Err(FlameError::Validation { field, .. }) if field == "code")
        );
        let bad_price = NewPlan { code: "pro".into(), price_minor: -1, ..plan.clone() };
        assert!(
            matches!(bad_price.validate(), Err(FlameError::Validation { field, .. }) if field == "price_minor")
        );
    }
}
