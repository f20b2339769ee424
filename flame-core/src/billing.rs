//! Billing: the [`Plan`] catalog with its [`PlanLimits`], and each company's
//! [`Subscription`] with its lifecycle ([`SubscriptionStatus`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::error::{FlameError, Result};
use crate::id::{CompanyId, PlanId, SubscriptionId};
use crate::money::{Currency, Money};
use crate::text;

/// How often a plan is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingInterval {
    /// Every month.
    Month,
    /// Every year.
    Year,
}

impl BillingInterval {
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
pub struct PlanLimits {
    /// Members of the company.
    pub seats: Option<u32>,
    /// Contacts.
    pub contacts: Option<u32>,
    /// Deals.
    pub deals: Option<u32>,
    /// Pipelines.
    pub pipelines: Option<u32>,
    /// Integrations of all kinds.
    pub integrations: Option<u32>,
}

/// A plan of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A trial of `plan` for `company` starting `now`.
    pub fn start_trial(company_id: CompanyId, plan: &Plan, now: OffsetDateTime) -> Self {
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

    /// Moves the subscription to `to` if its lifecycle allows it.
    pub fn transition(&self, to: SubscriptionStatus, now: OffsetDateTime) -> Result<Self> {
        if !self.status.can_become(to) {
            return Err(FlameError::InvalidTransition {
                entity: "subscription".into(),
                from: self.status.to_string(),
                to: to.to_string(),
                reason: "the subscription lifecycle does not allow it".into(),
            });
        }
        Ok(Self { status: to, updated_at: now, version: self.version + 1, ..self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
