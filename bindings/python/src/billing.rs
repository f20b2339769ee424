//! `flame.plans`, `session.billing` and `flame.subscriptions`: the plan catalog, a company's
//! subscription and the host's payment hook. Each method is a conversion and a call of the matching
//! `flame-db` method.

use pyo3::prelude::*;

use flame_core::billing::{BillingInterval, NewPayment, NewPlan, PaymentOutcome};
use flame_core::{CompanyId, PlanId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::convert::{amount_text, parse};
use crate::errors::to_py_err;
use crate::records::{Payment, Plan, PlanLimits, Subscription, Usage};
use crate::runtime::run;

/// The plan catalog (`flame.plans`).
#[pyclass(frozen, module = "flame", name = "Plans")]
pub(crate) struct Plans {
    pub(crate) flame: flame_db::Flame,
}

#[pymethods]
impl Plans {
    /// Every plan, public ones first, then by price.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<Plan>> {
        let plans = self.flame.plans();
        Ok(run(py, async move { plans.list().await })?.into_iter().map(Plan).collect())
    }

    /// The public plans, by price.
    fn list_public(&self, py: Python<'_>) -> PyResult<Vec<Plan>> {
        let plans = self.flame.plans();
        Ok(run(py, async move { plans.list_public().await })?.into_iter().map(Plan).collect())
    }

    /// One plan.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Plan> {
        let plans = self.flame.plans();
        run(py, async move { plans.get(PlanId::from_uuid(id)).await }).map(Plan)
    }

    /// Adds a plan to the catalog (an operator call); `price` is a `Decimal`, `int` or `str`
    /// in `currency`, `interval` "month" or "year".
    #[pyo3(signature = (code, name, price, currency, *, interval="month", trial_days=0, limits=None, public=true))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        code: String,
        name: String,
        price: &Bound<'_, PyAny>,
        currency: &str,
        interval: &str,
        trial_days: u32,
        limits: Option<PyRef<'_, PlanLimits>>,
        public: bool,
    ) -> PyResult<Plan> {
        let price = flame_core::Money::parse(&amount_text("price", price)?, currency)
            .map_err(|e| to_py_err(py, rename_amount(e, "price")))?;
        let input = NewPlan {
            code,
            name,
            price_minor: price.amount_minor(),
            currency: price.currency().code().to_owned(),
            interval: parse::<BillingInterval>(py, interval)?,
            trial_days,
            limits: limits.map(|l| l.0).unwrap_or_default(),
            public,
        };
        let plans = self.flame.plans();
        run(py, async move { plans.create(input).await }).map(Plan)
    }

    /// Makes a plan the one new companies start their trial on.
    fn set_default(&self, py: Python<'_>, id: Uuid) -> PyResult<Plan> {
        let plans = self.flame.plans();
        run(py, async move { plans.set_default(PlanId::from_uuid(id)).await }).map(Plan)
    }
}

/// `Money::parse` names its amount `"amount"`; an argument called otherwise keeps its name.
fn rename_amount(e: flame_core::FlameError, field: &str) -> flame_core::FlameError {
    match &e {
        flame_core::FlameError::Validation { field: f, .. } if f == "amount" => e.at(field),
        _ => e,
    }
}

/// The company's subscription (`session.billing`).
#[pyclass(frozen, module = "flame", name = "Billing")]
pub(crate) struct Billing {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Billing {
    /// The company's subscription.
    fn subscription(&self, py: Python<'_>) -> PyResult<Subscription> {
        let api = self.session.billing();
        run(py, async move { api.subscription().await }).map(Subscription)
    }

    /// The plan the company is subscribed to.
    fn plan(&self, py: Python<'_>) -> PyResult<Plan> {
        let api = self.session.billing();
        run(py, async move { api.plan().await }).map(Plan)
    }

    /// What the company uses of each thing its plan limits.
    fn usage(&self, py: Python<'_>) -> PyResult<Usage> {
        let api = self.session.billing();
        run(py, async move { api.usage().await }).map(Usage)
    }

    /// The payments recorded for the company, newest first.
    fn payments(&self, py: Python<'_>) -> PyResult<Vec<Payment>> {
        let api = self.session.billing();
        Ok(run(py, async move { api.payments().await })?.into_iter().map(Payment).collect())
    }

    /// Moves the subscription read at `version` to another plan, at once. A plan whose
    /// limits are below what the company uses raises `PlanLimitExceededError` naming the
    /// limit; a canceled or expired subscription raises `ReadOnlyError`. Owners only.
    fn change_plan(&self, py: Python<'_>, plan_id: Uuid, version: i64) -> PyResult<Subscription> {
        let api = self.session.billing();
        run(py, async move { api.change_plan(PlanId::from_uuid(plan_id), version).await })
            .map(Subscription)
    }

    /// Cancels the subscription read at `version`: the company becomes read-only until a
    /// payment reactivates it. Owners only.
    fn cancel(&self, py: Python<'_>, version: i64) -> PyResult<Subscription> {
        let api = self.session.billing();
        run(py, async move { api.cancel(version).await }).map(Subscription)
    }
}

/// The host's billing hooks (`flame.subscriptions`): trusted host calls, like the plan
/// catalog.
#[pyclass(frozen, module = "flame", name = "Subscriptions")]
pub(crate) struct Subscriptions {
    pub(crate) flame: flame_db::Flame,
}

#[pymethods]
impl Subscriptions {
    /// A company's subscription, its status as of now.
    fn get(&self, py: Python<'_>, company_id: Uuid) -> PyResult<Subscription> {
        let api = self.flame.subscriptions();
        run(py, async move { api.get(CompanyId::from_uuid(company_id)).await }).map(Subscription)
    }

    /// Records a payment the provider reports and applies it. `outcome` is "succeeded" (then
    /// `period_end`, timezone-aware, is the end of the period paid for) or "failed" (with an
    /// optional `failure_reason`); `amount` is a `Decimal`, `int` or `str` of `currency`.
    /// A success activates, renews or reactivates the subscription; a failure puts an
    /// active one past due and expires a trial. Recording the same `provider_ref` again
    /// changes nothing.
    #[pyo3(signature = (company_id, provider_ref, outcome, amount, currency, *, period_end=None, failure_reason=None))]
    #[allow(clippy::too_many_arguments)]
    fn record_payment(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        provider_ref: String,
        outcome: &str,
        amount: &Bound<'_, PyAny>,
        currency: &str,
        period_end: Option<OffsetDateTime>,
        failure_reason: Option<String>,
    ) -> PyResult<Subscription> {
        let outcome = parse::<PaymentOutcome>(py, outcome)?;
        let amount = flame_core::Money::parse(&amount_text("amount", amount)?, currency)
            .map_err(|e| to_py_err(py, e))?;
        let input = NewPayment {
            provider_ref,
            outcome,
            amount_minor: amount.amount_minor(),
            currency: amount.currency().code().to_owned(),
            period_end,
            failure_reason,
        };
        let api = self.flame.subscriptions();
        run(py, async move { api.record_payment(CompanyId::from_uuid(company_id), input).await })
            .map(Subscription)
    }

    /// Expires a company's subscription at once: the company becomes read-only until a
    /// payment reactivates it.
    fn expire(&self, py: Python<'_>, company_id: Uuid) -> PyResult<Subscription> {
        let api = self.flame.subscriptions();
        run(py, async move { api.expire(CompanyId::from_uuid(company_id)).await }).map(Subscription)
    }

    /// Stores every trial whose end has passed as expired; returns how many.
    fn expire_lapsed_trials(&self, py: Python<'_>) -> PyResult<u64> {
        let api = self.flame.subscriptions();
        run(py, async move { api.expire_lapsed_trials().await })
    }
}
