//! The records Flame returns (and the few value objects it takes), as frozen Python classes
//! with typed read-only attributes, `__eq__`, a readable `__repr__` and `to_dict()`.
//!
//! Ids are `uuid.UUID`, times timezone-aware UTC `datetime`s, dates `datetime.date`, money a
//! [`Money`] with a `decimal.Decimal` amount, enumerations their stored names as `str`.

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use flame_core::account::{
    ApiToken as RApiToken, CompanyMembership as RCompanyMembership,
    CompanyOverview as RCompanyOverview, Invitation as RInvitation,
    LockoutPolicy as RLockoutPolicy, UserOverview as RUserOverview,
};
use flame_core::activity::Activity as RActivity;
use flame_core::billing::{
    Payment as RPayment, Plan as RPlan, PlanLimits as RPlanLimits, Subscription as RSubscription,
    Usage as RUsage,
};
use flame_core::company::{
    Company as RCompany, Member as RMember, Membership as RMembership, User as RUser,
};
use flame_core::contact::Contact as RContact;
use flame_core::deal::{Deal as RDeal, StageSummary as RStageSummary};
use flame_core::event::Event as REvent;
use flame_core::pipeline::{NewStage as RNewStage, Pipeline as RPipeline, Stage as RStage};
use flame_core::source::Source as RSource;
use secrecy::{ExposeSecret, SecretString};

use crate::convert::{amount_text, decimal, dict, parse, repr, to_py};
use crate::errors::to_py_err;
pub(crate) use crate::secret::REDACTED;
use crate::secret::Secret;

/// Declares a frozen record class over a Rust value: one getter per field, `to_dict` and
/// `__repr__` over the same fields, and optional extra methods.
///
/// The field list is checked by the compiler against the Rust struct: the macro rebuilds it
/// in a struct expression naming every getter and every name in `skip { ... }` (fields
/// deliberately not exposed under their own name: secrets, or fields shown through a
/// `@derived` getter), without `..`, so a field added to the core type fails to compile here
/// ("missing field `x` in initializer"), as does one removed ("has no field named `x`"),
/// until the record says what to do with it. A getter that is not a field of the struct (computed from
/// others) is marked `@derived`; a record over an enum is written `(@enum Type)` (its getters
/// `match` on it, which the compiler checks as well).
macro_rules! record {
    (
        $(#[$doc:meta])*
        $py_ty:ident = $name:literal ($(@$kind:ident)? $rust:path) |$r:ident, $py:ident| {
            $( $(#[$fdoc:meta])* $(@$derived:ident)? $field:ident => $body:expr; )*
        }
        $( skip { $($skip:ident),* $(,)? } )?
        $( extra { $($extra:tt)* } )?
    ) => {
        $(#[$doc])*
        #[pyclass(frozen, eq, module = "flame", name = $name)]
        #[derive(Clone, PartialEq)]
        pub(crate) struct $py_ty(pub(crate) $rust);

        #[pymethods]
        impl $py_ty {
            $(
                $(#[$fdoc])*
                #[getter]
                fn $field<'py>(&self, $py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    let $r = &self.0;
                    $crate::convert::to_py($py, $body)
                }
            )*

            /// The record as a dict of its fields (nested records become dicts too).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, ::pyo3::types::PyDict>> {
                $crate::convert::dict(py, vec![$((stringify!($field), self.$field(py)?)),*])
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                $crate::convert::repr($name, &[$((stringify!($field), self.$field(py)?)),*])
            }

            $($($extra)*)?
        }

        $crate::records::exhaustive!(
            [$($kind)?] $rust; []; [$([$($derived)?] $field)*]; [$($($skip)*)?]
        );
    };
}
pub(crate) use record;

/// The compile-time check of [`record!`]: a struct expression (no `..`) of the Rust struct
/// with the record's field names (less the `@derived` ones) and its skipped names. (A
/// destructuring pattern would check the same, but rustc reports a field missing from a
/// macro-made pattern as "requires `..` due to inaccessible fields", without its name.)
macro_rules! exhaustive {
    ([enum] $rust:path; [$($acc:ident)*]; [$($rest:tt)*]; [$($skip:ident)*]) => {};
    ([] $rust:path; [$($acc:ident)*]; []; [$($skip:ident)*]) => {
        const _: () = {
            #[allow(dead_code)]
            fn every_field_is_named(r: $rust) -> $rust {
                $rust { $($acc: r.$acc,)* $($skip: r.$skip,)* }
            }
        };
    };
    ([] $rust:path; [$($acc:ident)*]; [[derived] $f:ident $($rest:tt)*]; [$($skip:ident)*]) => {
        $crate::records::exhaustive!([] $rust; [$($acc)*]; [$($rest)*]; [$($skip)*]);
    };
    ([] $rust:path; [$($acc:ident)*]; [[] $f:ident $($rest:tt)*]; [$($skip:ident)*]) => {
        $crate::records::exhaustive!([] $rust; [$($acc)* $f]; [$($rest)*]; [$($skip)*]);
    };
}
pub(crate) use exhaustive;

/// A timestamp as a timezone-aware UTC `datetime`.
pub(crate) fn utc(t: time::OffsetDateTime) -> time::UtcDateTime {
    t.to_utc()
}

/// An amount of money: a `decimal.Decimal` amount and an ISO 4217 currency code. Never a
/// float.
#[pyclass(frozen, eq, hash, module = "flame", name = "Money")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Money(pub(crate) flame_core::Money);

#[pymethods]
impl Money {
    /// `Money(amount, currency)`: `amount` is a `Decimal`, `int` or `str` with at most as many
    /// decimal places as the currency has; it must not be negative.
    #[new]
    fn new(py: Python<'_>, amount: &Bound<'_, PyAny>, currency: &str) -> PyResult<Self> {
        let text = amount_text("amount", amount)?;
        flame_core::Money::parse(&text, currency).map(Money).map_err(|e| to_py_err(py, e))
    }

    /// The amount, exact, with the currency's number of decimal places.
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.0.to_decimal_string())
    }

    /// The ISO 4217 currency code (`"USD"`).
    #[getter]
    fn currency(&self) -> &'static str {
        self.0.currency().code()
    }

    /// The amount in the currency's minor units (cents).
    #[getter]
    fn amount_minor(&self) -> i64 {
        self.0.amount_minor()
    }

    /// `{"amount": Decimal, "currency": str}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("amount", self.amount(py)?)?;
        d.set_item("currency", self.currency())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("Money(Decimal('{}'), '{}')", self.0.to_decimal_string(), self.currency())
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }
}

record! {
    /// A person the company is in touch with.
    Contact = "Contact" (RContact) |c, py| {
        /// Its id.
        id => c.id.as_uuid();
        /// The company that owns it.
        company_id => c.company_id.as_uuid();
        /// First (or only) name.
        first_name => c.first_name.clone();
        /// Last name.
        last_name => c.last_name.clone();
        /// Normalized (lowercase) email.
        email => c.email.as_ref().map(|e| e.as_str().to_owned());
        /// Phone in E.164.
        phone => c.phone.as_ref().map(|p| p.as_str().to_owned());
        /// The organization the person works for.
        organization => c.organization.clone();
        /// The member responsible for the contact.
        owner_id => c.owner_id.map(|id| id.as_uuid());
        /// When it was created (UTC).
        created_at => utc(c.created_at);
        /// When it last changed (UTC).
        updated_at => utc(c.updated_at);
        /// Optimistic-concurrency version: pass it back to update or delete.
        version => c.version;
    }
    extra {
        /// "First Last", or the first name alone.
        #[getter]
        fn full_name(&self) -> String {
            self.0.full_name()
        }
    }
}

record! {
    /// A deal: a potential sale moving through a pipeline.
    Deal = "Deal" (RDeal) |d, py| {
        /// Its id.
        id => d.id.as_uuid();
        /// The company that owns it.
        company_id => d.company_id.as_uuid();
        /// Its title.
        title => d.title.clone();
        /// Its value.
        value => Money(d.value);
        /// The contact it is with.
        contact_id => d.contact_id.map(|id| id.as_uuid());
        /// The pipeline it moves through.
        pipeline_id => d.pipeline_id.as_uuid();
        /// The stage it is in.
        stage_id => d.stage_id.as_uuid();
        /// Where the lead came from.
        source_id => d.source_id.map(|id| id.as_uuid());
        /// The member responsible for it.
        assignee_id => d.assignee_id.map(|id| id.as_uuid());
        /// "open", "won" or "lost": follows the stage's kind.
        status => d.status.as_str();
        /// When it is expected to close.
        expected_close => d.expected_close;
        /// Why it was lost (set exactly when the deal is lost).
        lost_reason => d.lost_reason.clone();
        /// When it was won or lost (UTC).
        closed_at => d.closed_at.map(utc);
        /// When it was created (UTC).
        created_at => utc(d.created_at);
        /// When it last changed (UTC).
        updated_at => utc(d.updated_at);
        /// Optimistic-concurrency version: pass it back to change the deal.
        version => d.version;
    }
}

record! {
    /// A sales pipeline of a company.
    Pipeline = "Pipeline" (RPipeline) |p, py| {
        /// Its id.
        id => p.id.as_uuid();
        /// The company that owns it.
        company_id => p.company_id.as_uuid();
        /// Its name, unique in the company.
        name => p.name.clone();
        /// Where it is listed among the company's pipelines.
        position => p.position;
        /// Whether new deals go to it when no pipeline is named.
        is_default => p.is_default;
        /// When it was created (UTC).
        created_at => utc(p.created_at);
        /// When it last changed (UTC).
        updated_at => utc(p.updated_at);
        /// Optimistic-concurrency version.
        version => p.version;
    }
}

record! {
    /// A stage of a pipeline.
    Stage = "Stage" (RStage) |s, py| {
        /// Its id.
        id => s.id.as_uuid();
        /// The company that owns it.
        company_id => s.company_id.as_uuid();
        /// The pipeline it belongs to.
        pipeline_id => s.pipeline_id.as_uuid();
        /// Its name.
        name => s.name.clone();
        /// Its place in the pipeline, from 0.
        position => s.position;
        /// "open", "won" or "lost".
        kind => s.kind.as_str();
        /// The chance, in percent, that a deal in this stage is won.
        probability => s.probability;
        /// Optimistic-concurrency version.
        version => s.version;
    }
}

record! {
    /// A stage to create: `NewStage(name, kind, probability=None)`.
    NewStage = "NewStage" (RNewStage) |s, py| {
        /// Its name.
        name => s.name.clone();
        /// "open", "won" or "lost".
        kind => s.kind.as_str();
        /// Win probability in percent; `None` takes the kind's default.
        probability => s.probability;
    }
    extra {
        /// A stage named `name` of `kind` ("open", "won" or "lost").
        #[new]
        #[pyo3(signature = (name, kind, probability=None))]
        fn new(py: Python<'_>, name: String, kind: &str, probability: Option<u8>) -> PyResult<Self> {
            Ok(NewStage(RNewStage { name, kind: parse(py, kind)?, probability }))
        }
    }
}

record! {
    /// The count and value of the deals in one stage, for a pipeline summary.
    StageSummary = "StageSummary" (RStageSummary) |s, py| {
        /// The stage.
        stage => Stage(s.stage.clone());
        /// How many deals are in it.
        deal_count => s.deal_count;
        /// Their total value, one `Money` per currency.
        totals => s.totals.iter().copied().map(Money).collect::<Vec<_>>();
    }
}

record! {
    /// A lead source of a company.
    Source = "Source" (RSource) |s, py| {
        /// Its id.
        id => s.id.as_uuid();
        /// The company that owns it.
        company_id => s.company_id.as_uuid();
        /// Its name, unique in the company.
        name => s.name.clone();
        /// When it was created (UTC).
        created_at => utc(s.created_at);
        /// When it last changed (UTC).
        updated_at => utc(s.updated_at);
        /// Optimistic-concurrency version.
        version => s.version;
    }
}

record! {
    /// A note, task, call or message about a contact or a deal.
    Activity = "Activity" (RActivity) |a, py| {
        /// Its id.
        id => a.id.as_uuid();
        /// The company that owns it.
        company_id => a.company_id.as_uuid();
        /// "note", "task", "call", "message_in" or "message_out".
        kind => a.kind.as_str();
        /// A short subject line.
        subject => a.subject.clone();
        /// The text.
        body => a.body.clone();
        /// The contact it is about.
        contact_id => a.contact_id.map(|id| id.as_uuid());
        /// The deal it is about.
        deal_id => a.deal_id.map(|id| id.as_uuid());
        /// The member who owns it.
        owner_id => a.owner_id.map(|id| id.as_uuid());
        /// For tasks: when it is due (UTC).
        due_at => a.due_at.map(utc);
        /// For tasks: when it was done (UTC).
        done_at => a.done_at.map(utc);
        /// When it happened (UTC).
        occurred_at => utc(a.occurred_at);
        /// When it was created (UTC).
        created_at => utc(a.created_at);
        /// When it last changed (UTC).
        updated_at => utc(a.updated_at);
        /// Optimistic-concurrency version.
        version => a.version;
    }
    extra {
        /// Whether this is a task that is done.
        #[getter]
        fn is_done(&self) -> bool {
            self.0.is_done()
        }
    }
}

record! {
    /// A company: the tenant that owns everything else.
    Company = "Company" (RCompany) |c, py| {
        /// Its id.
        id => c.id.as_uuid();
        /// Its display name.
        name => c.name.clone();
        /// When it signed up (UTC).
        created_at => utc(c.created_at);
        /// When it last changed (UTC).
        updated_at => utc(c.updated_at);
        /// Optimistic-concurrency version.
        version => c.version;
    }
}

record! {
    /// A person who can act in one or more companies.
    User = "User" (RUser) |u, py| {
        /// Their id.
        id => u.id.as_uuid();
        /// Their normalized email, unique across Flame.
        email => u.email.as_str().to_owned();
        /// Their display name.
        name => u.name.clone();
        /// Inactive users cannot act.
        active => u.active;
        /// When they proved their email address (UTC); `None` until then.
        email_verified_at => u.email_verified_at.map(utc);
        /// When they were created (UTC).
        created_at => utc(u.created_at);
        /// When they last changed (UTC).
        updated_at => utc(u.updated_at);
        /// Optimistic-concurrency version.
        version => u.version;
    }
}

record! {
    /// A user's place in a company: their role.
    Membership = "Membership" (RMembership) |m, py| {
        /// The company.
        company_id => m.company_id.as_uuid();
        /// The user.
        user_id => m.user_id.as_uuid();
        /// "owner", "admin", "manager", "member" or "viewer".
        role => m.role.as_str();
        /// When the user joined (UTC).
        created_at => utc(m.created_at);
        /// Optimistic-concurrency version: pass it to `members.change_role`.
        version => m.version;
    }
}

record! {
    /// A member of a company: the user and their membership.
    Member = "Member" (RMember) |m, py| {
        /// The user.
        user => User(m.user.clone());
        /// Their membership (role) in the company.
        membership => Membership(m.membership.clone());
    }
}

record! {
    /// What a plan allows; `None` means unlimited.
    PlanLimits = "PlanLimits" (RPlanLimits) |l, py| {
        /// Members of the company.
        seats => l.seats;
        /// Contacts.
        contacts => l.contacts;
        /// Deals.
        deals => l.deals;
        /// Pipelines.
        pipelines => l.pipelines;
        /// Integrations of all kinds.
        integrations => l.integrations;
    }
    extra {
        /// Limits; every one left out (or `None`) is unlimited.
        #[new]
        #[pyo3(signature = (*, seats=None, contacts=None, deals=None, pipelines=None, integrations=None))]
        fn new(
            seats: Option<u32>,
            contacts: Option<u32>,
            deals: Option<u32>,
            pipelines: Option<u32>,
            integrations: Option<u32>,
        ) -> Self {
            PlanLimits(RPlanLimits { seats, contacts, deals, pipelines, integrations })
        }
    }
}

record! {
    /// A plan of the catalog.
    Plan = "Plan" (RPlan) |p, py| {
        /// Its id.
        id => p.id.as_uuid();
        /// Its stable code (`"starter"`).
        code => p.code.clone();
        /// Its display name.
        name => p.name.clone();
        /// The price per interval.
        price => Money(p.price);
        /// "month" or "year".
        interval => p.interval.as_str();
        /// How long a new subscription is on trial, in days.
        trial_days => p.trial_days;
        /// What it allows.
        limits => PlanLimits(p.limits);
        /// Shown on the public plans page.
        public => p.public;
        /// The plan new companies start their trial on.
        is_default => p.is_default;
        /// Optimistic-concurrency version.
        version => p.version;
    }
}

record! {
    /// A company's subscription to a plan.
    Subscription = "Subscription" (RSubscription) |s, py| {
        /// Its id.
        id => s.id.as_uuid();
        /// The company.
        company_id => s.company_id.as_uuid();
        /// The plan.
        plan_id => s.plan_id.as_uuid();
        /// "trialing", "active", "past_due", "canceled" or "expired".
        status => s.status.as_str();
        /// When the trial ends, for trialing subscriptions (UTC).
        trial_ends_at => s.trial_ends_at.map(utc);
        /// Start of the current billing period (UTC).
        current_period_start => utc(s.current_period_start);
        /// End of the current billing period (UTC).
        current_period_end => utc(s.current_period_end);
        /// When it was created (UTC).
        created_at => utc(s.created_at);
        /// When it last changed (UTC).
        updated_at => utc(s.updated_at);
        /// Optimistic-concurrency version.
        version => s.version;
    }
}

record! {
    /// A domain event of a company, as written to the outbox.
    Event = "Event" (REvent) |e, py| {
        /// Its id, for consumers to deduplicate.
        id => e.id.as_uuid();
        /// The company it happened in.
        company_id => e.company_id.as_uuid();
        /// The user who caused it.
        actor_id => e.actor_id.map(|id| id.as_uuid());
        /// When it happened (UTC).
        occurred_at => utc(e.occurred_at);
        /// The event type (`"deal.won"`).
        @derived event_type => e.payload.event_type();
        /// The facts of the change, as the JSON form consumers receive (with its `"type"`).
        payload => json(py, &e.payload)?;
    }
}

/// A serializable value as plain Python data (through its JSON form).
pub(crate) fn json<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| PyTypeError::new_err(format!("could not serialize: {e}")))?;
    py.import("json")?.getattr("loads")?.call1((text,))
}

record! {
    /// Row counts of the main tables.
    Counts = "Counts" (flame_db::Counts) |c, py| {
        /// Users.
        users => c.users;
        /// Companies.
        companies => c.companies;
        /// Subscriptions.
        subscriptions => c.subscriptions;
        /// Subscriptions by status, as of now.
        subscriptions_by_status => SubscriptionCounts(c.subscriptions_by_status);
        /// Contacts.
        contacts => c.contacts;
        /// Deals.
        deals => c.deals;
    }
}

record! {
    /// The state of a store, as `Flame.health()` reports it.
    Health = "Health" (flame_db::Health) |h, py| {
        /// "sqlite" or "postgres".
        backend => h.backend;
        /// Whether the database answered.
        reachable => h.reachable;
        /// How long a trivial query took, there and back.
        round_trip => h.round_trip;
        /// The newest migration applied (`None` when unreachable).
        schema_version => h.schema_version;
        /// The version this build expects.
        expected_schema_version => h.expected_schema_version;
        /// Whether the two match.
        schema_matches => h.schema_matches;
        /// Whether an encryption key for integration credentials is configured.
        encryption_configured => h.encryption_configured;
        /// The ids of the configured keys, the primary first (never the keys).
        configured_keys => h.configured_keys.clone();
        /// How many stored credentials each key id seals (`None` when unreachable). Any id
        /// other than the primary means a rotation is still to run (`Flame.rotate_keys`).
        keys_in_use => h.keys_in_use.clone().map(|k| k.into_iter().map(KeyUse).collect::<Vec<_>>());
        /// Row counts (`None` when unreachable).
        counts => h.counts.map(Counts);
    }
}

record! {
    /// How many stored credentials one encryption key seals, in the health report.
    KeyUse = "KeyUse" (flame_db::KeyUse) |k, py| {
        /// The key's id.
        key_id => k.key_id.clone();
        /// How many credentials it seals.
        secrets => k.secrets;
    }
}

/// `Credential.kind`: "session" or "api_token".
pub(crate) fn credential_kind(c: &flame_core::Credential) -> &'static str {
    match c {
        flame_core::Credential::Session(_) => "session",
        flame_core::Credential::ApiToken(_) => "api_token",
    }
}

record! {
    /// The stored credential a session stands on: a login session or an API token. Its `id`
    /// names the stored row, never the token text.
    Credential = "Credential" (@enum flame_core::Credential) |c, py| {
        /// "session" (a login session) or "api_token".
        kind => credential_kind(c);
        /// The id of the stored session or API token (an API token's id is `ApiToken.id`).
        id => match c {
            flame_core::Credential::Session(id) => id.as_uuid(),
            flame_core::Credential::ApiToken(id) => id.as_uuid(),
        };
    }
}

record! {
    /// Who acts, in which company, with which role and scope, until when, through which
    /// credential, as the session last checked it.
    Principal = "Principal" (flame_core::Session) |s, py| {
        /// The user acting.
        user_id => s.user_id.as_uuid();
        /// The company acted in.
        company_id => s.company_id.as_uuid();
        /// The user's role there.
        role => s.role.as_str();
        /// "read_only" for read-only API tokens, "read_write" otherwise.
        scope => s.scope.as_str();
        /// Whether the user is a platform administrator.
        platform_admin => s.platform_admin;
        /// The stored session or API token the principal stands on.
        credential => Credential(s.credential);
        /// When the session stops being valid (UTC).
        expires_at => utc(s.expires_at);
    }
}

record! {
    /// Subscriptions by status, as of now (a trial past its end counts as expired).
    SubscriptionCounts = "SubscriptionCounts" (flame_db::SubscriptionCounts) |c, py| {
        /// On trial.
        trialing => c.trialing;
        /// Paid and current.
        active => c.active;
        /// A payment failed.
        past_due => c.past_due;
        /// Canceled by the company.
        canceled => c.canceled;
        /// Ended without payment.
        expired => c.expired;
    }
}

record! {
    /// What a company uses of each thing its plan limits.
    Usage = "Usage" (RUsage) |u, py| {
        /// Members.
        seats => u.seats;
        /// Contacts.
        contacts => u.contacts;
        /// Deals.
        deals => u.deals;
        /// Pipelines.
        pipelines => u.pipelines;
        /// Integrations.
        integrations => u.integrations;
    }
}

record! {
    /// A payment recorded for a company's subscription.
    Payment = "Payment" (RPayment) |p, py| {
        /// Its id.
        id => p.id.as_uuid();
        /// The company.
        company_id => p.company_id.as_uuid();
        /// The subscription it was for.
        subscription_id => p.subscription_id.as_uuid();
        /// The payment provider's id for the charge.
        provider_ref => p.provider_ref.clone();
        /// "succeeded" or "failed".
        outcome => p.outcome.as_str();
        /// The amount.
        amount => Money(p.amount);
        /// For a successful payment, the end of the period it paid for (UTC).
        period_end => p.period_end.map(utc);
        /// For a failed payment, the provider's reason.
        failure_reason => p.failure_reason.clone();
        /// When it was recorded (UTC).
        recorded_at => utc(p.recorded_at);
    }
}

record! {
    /// An API token for scripts and servers: it acts as its user in one company, within its
    /// scope. The token text is never part of it (see `CreatedApiToken.secret`).
    ApiToken = "ApiToken" (RApiToken) |t, py| {
        /// Its id.
        id => t.id.as_uuid();
        /// The company it acts in.
        company_id => t.company_id.as_uuid();
        /// The user it acts as.
        user_id => t.user_id.as_uuid();
        /// What it is for.
        name => t.name.clone();
        /// "read_only" or "read_write".
        scope => t.scope.as_str();
        /// When it stops working (UTC); `None` for never.
        expires_at => t.expires_at.map(utc);
        /// When it last authenticated (UTC).
        last_used_at => t.last_used_at.map(utc);
        /// When it was revoked (UTC).
        revoked_at => t.revoked_at.map(utc);
        /// When it was created (UTC).
        created_at => utc(t.created_at);
    }
}

/// An API token just created, with its `secret`: the text to give the script or server,
/// shown this once. The secret is never part of `repr()`, `str()` or `to_dict()`.
#[pyclass(frozen, module = "flame", name = "CreatedApiToken")]
pub(crate) struct CreatedApiToken {
    pub(crate) token: RApiToken,
    pub(crate) secret: SecretString,
}

#[pymethods]
impl CreatedApiToken {
    /// The token record.
    #[getter]
    fn token(&self) -> ApiToken {
        ApiToken(self.token.clone())
    }

    /// The token text for `Flame.authenticate` (shown this once; it cannot be read again).
    #[getter]
    fn secret(&self) -> Secret {
        Secret::new(self.secret.clone())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.cast::<CreatedApiToken>() else { return false };
        let other = other.get();
        self.token == other.token && self.secret.expose_secret() == other.secret.expose_secret()
    }

    /// `{"token": dict}`; the secret is left out.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(py, vec![("token", to_py(py, self.token())?)])
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr(
            "CreatedApiToken",
            &[("token", to_py(py, self.token())?), ("secret", to_py(py, REDACTED)?)],
        )
    }
}

record! {
    /// An invitation to join a company with a role. The token is never part of it (see
    /// `CreatedInvitation.token`).
    Invitation = "Invitation" (RInvitation) |i, py| {
        /// Its id.
        id => i.id.as_uuid();
        /// The company to join.
        company_id => i.company_id.as_uuid();
        /// Who is invited (normalized email).
        email => i.email.as_str().to_owned();
        /// The role they will have.
        role => i.role.as_str();
        /// Who invited them.
        invited_by => i.invited_by.as_uuid();
        /// When it stops working (UTC).
        expires_at => utc(i.expires_at);
        /// When it was accepted (UTC).
        accepted_at => i.accepted_at.map(utc);
        /// When it was revoked (UTC).
        revoked_at => i.revoked_at.map(utc);
        /// When it was created (UTC).
        created_at => utc(i.created_at);
    }
}

/// An invitation just created, with the `token` to send the invitee (shown this once). The
/// token is never part of `repr()`, `str()` or `to_dict()`.
#[pyclass(frozen, module = "flame", name = "CreatedInvitation")]
pub(crate) struct CreatedInvitation {
    pub(crate) invitation: RInvitation,
    pub(crate) token: SecretString,
}

#[pymethods]
impl CreatedInvitation {
    /// The invitation.
    #[getter]
    fn invitation(&self) -> Invitation {
        Invitation(self.invitation.clone())
    }

    /// The token the invitee gives `Flame.accept_invitation` (shown this once).
    #[getter]
    fn token(&self) -> Secret {
        Secret::new(self.token.clone())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.cast::<CreatedInvitation>() else { return false };
        let other = other.get();
        self.invitation == other.invitation
            && self.token.expose_secret() == other.token.expose_secret()
    }

    /// `{"invitation": dict}`; the token is left out.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(py, vec![("invitation", to_py(py, self.invitation())?)])
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr(
            "CreatedInvitation",
            &[("invitation", to_py(py, self.invitation())?), ("token", to_py(py, REDACTED)?)],
        )
    }
}

/// A verification token just issued (`Flame.email_verification`), for the host to mail to
/// `email` (shown this once). The token is never part of `repr()`, `str()` or `to_dict()`.
#[pyclass(frozen, module = "flame", name = "EmailVerificationToken")]
pub(crate) struct EmailVerificationToken(
    pub(crate) flame_core::verification::EmailVerificationToken,
);

#[pymethods]
impl EmailVerificationToken {
    /// The user it verifies.
    #[getter]
    fn user_id(&self) -> uuid::Uuid {
        self.0.user_id.as_uuid()
    }

    /// The address to mail it to.
    #[getter]
    fn email(&self) -> String {
        self.0.email.as_str().to_owned()
    }

    /// When it stops working (UTC).
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, utc(self.0.expires_at))
    }

    /// The token, for `Flame.verify_email` or `Flame.reset_password` (shown this once).
    #[getter]
    fn token(&self) -> Secret {
        Secret::new(self.0.token.clone())
    }

    /// `{"user_id", "email", "expires_at"}`; the token is left out.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(
            py,
            vec![
                ("user_id", to_py(py, self.user_id())?),
                ("email", to_py(py, self.email())?),
                ("expires_at", self.expires_at(py)?),
            ],
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr(
            "EmailVerificationToken",
            &[
                ("user_id", to_py(py, self.user_id())?),
                ("email", to_py(py, self.email())?),
                ("expires_at", self.expires_at(py)?),
                ("token", to_py(py, REDACTED)?),
            ],
        )
    }
}

record! {
    /// One of a user's companies and their role there (for a company switcher).
    CompanyMembership = "CompanyMembership" (RCompanyMembership) |m, py| {
        /// The company.
        company_id => m.company_id.as_uuid();
        /// Its name.
        company_name => m.company_name.clone();
        /// The user's role there.
        role => m.role.as_str();
    }
}

record! {
    /// A user as platform administrators list them: with every membership.
    UserOverview = "UserOverview" (RUserOverview) |o, py| {
        /// The user.
        user => User(o.user.clone());
        /// Whether they are a platform administrator.
        platform_admin => o.platform_admin;
        /// Their companies and roles.
        memberships => o.memberships.iter().cloned().map(CompanyMembership).collect::<Vec<_>>();
    }
}

record! {
    /// A company as platform administrators list them: with its subscription, plan and
    /// member count.
    CompanyOverview = "CompanyOverview" (RCompanyOverview) |o, py| {
        /// The company.
        company => Company(o.company.clone());
        /// Its subscription (status as of now).
        subscription => Subscription(o.subscription.clone());
        /// The plan subscribed to.
        plan => Plan(o.plan.clone());
        /// How many members it has.
        members => o.members;
    }
}

record! {
    /// How repeated login failures lock an email out, for `flame.open(lockout=...)`: after
    /// `max_failures` failures in a row the email is locked for `base_lockout`, doubling with
    /// each further failure up to `max_lockout`.
    LockoutPolicy = "LockoutPolicy" (RLockoutPolicy) |l, py| {
        /// Failures allowed before the first lockout.
        max_failures => l.max_failures;
        /// The first lockout's length.
        base_lockout => l.base_lockout;
        /// The longest lockout.
        max_lockout => l.max_lockout;
    }
    extra {
        /// A policy; every argument left out takes Flame's default (5 failures, then 1
        /// minute, doubling up to an hour).
        #[new]
        #[pyo3(signature = (*, max_failures=None, base_lockout=None, max_lockout=None))]
        fn new(
            max_failures: Option<u32>,
            base_lockout: Option<std::time::Duration>,
            max_lockout: Option<std::time::Duration>,
        ) -> PyResult<Self> {
            let defaults = RLockoutPolicy::default();
            let span = |name: &str, d: Option<std::time::Duration>, default: time::Duration| {
                d.map_or(Ok(default), |d| {
                    time::Duration::try_from(d).map_err(|_| {
                        PyOverflowError::new_err(format!("argument '{name}': too long"))
                    })
                })
            };
            Ok(LockoutPolicy(RLockoutPolicy {
                max_failures: max_failures.unwrap_or(defaults.max_failures),
                base_lockout: span("base_lockout", base_lockout, defaults.base_lockout)?,
                max_lockout: span("max_lockout", max_lockout, defaults.max_lockout)?,
            }))
        }
    }
}

/// The Argon2id costs passwords are hashed with, for `flame.open(password_hasher=...)`:
/// memory in KiB, iterations and lanes. Hashes made with other costs are replaced at the
/// next successful login. Flame's default is OWASP's (19456 KiB, 2 iterations, 1 lane).
#[pyclass(frozen, module = "flame", name = "PasswordHasher")]
pub(crate) struct PasswordHasher {
    memory_kib: u32,
    iterations: u32,
    lanes: u32,
    pub(crate) hasher: flame_core::password::PasswordHasher,
}

#[pymethods]
impl PasswordHasher {
    /// Costs that Argon2 refuses raise `ValidationError` (field "password_hashing").
    #[new]
    #[pyo3(signature = (*, memory_kib, iterations, lanes))]
    fn new(py: Python<'_>, memory_kib: u32, iterations: u32, lanes: u32) -> PyResult<Self> {
        let hasher =
            flame_core::password::PasswordHasher::with_costs(memory_kib, iterations, lanes)
                .map_err(|e| to_py_err(py, e))?;
        Ok(PasswordHasher { memory_kib, iterations, lanes, hasher })
    }

    /// Memory per hash, in KiB.
    #[getter]
    fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Passes over the memory.
    #[getter]
    fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Degree of parallelism.
    #[getter]
    fn lanes(&self) -> u32 {
        self.lanes
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.cast::<PasswordHasher>() else { return false };
        let other = other.get();
        (self.memory_kib, self.iterations, self.lanes)
            == (other.memory_kib, other.iterations, other.lanes)
    }

    /// `{"memory_kib": int, "iterations": int, "lanes": int}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(py, self.fields(py)?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr("PasswordHasher", &self.fields(py)?)
    }
}

impl PasswordHasher {
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Vec<(&'static str, Bound<'py, PyAny>)>> {
        Ok(vec![
            ("memory_kib", to_py(py, self.memory_kib)?),
            ("iterations", to_py(py, self.iterations)?),
            ("lanes", to_py(py, self.lanes)?),
        ])
    }
}

/// One page of a list: `items` and the `next_cursor` to pass as `cursor=` for the next page
/// (`None` on the last page). Iterable, with `len()`.
#[pyclass(frozen, generic, module = "flame", name = "Page")]
pub(crate) struct Page {
    items: Vec<Py<PyAny>>,
    next_cursor: Option<String>,
}

impl Page {
    /// A page of records converted with `wrap`.
    pub(crate) fn from_rust<T, W>(
        py: Python<'_>,
        page: flame_core::page::Page<T>,
        wrap: W,
    ) -> PyResult<Self>
    where
        W: Fn(T) -> PyResult<Py<PyAny>>,
    {
        let _ = py;
        let items = page.items.into_iter().map(wrap).collect::<PyResult<Vec<_>>>()?;
        Ok(Page { items, next_cursor: page.next_cursor })
    }
}

/// Wraps each item of a Rust page into its Python record class.
pub(crate) fn page_of<T, P>(
    py: Python<'_>,
    rust: flame_core::page::Page<T>,
    wrap: fn(T) -> P,
) -> PyResult<Page>
where
    P: pyo3::PyClass + Into<pyo3::PyClassInitializer<P>>,
{
    Page::from_rust(py, rust, |item| Ok(Py::new(py, wrap(item))?.into_any()))
}

#[pymethods]
impl Page {
    /// The items, in the list's order.
    #[getter]
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.items.iter().map(|i| i.bind(py)))
    }

    /// The cursor of the next page, or `None` on the last page.
    #[getter]
    fn next_cursor(&self) -> Option<String> {
        self.next_cursor.clone()
    }

    fn __len__(&self) -> usize {
        self.items.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.items(py)?.try_iter()?.into_any())
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Page>() else { return Ok(false) };
        let other = other.get();
        Ok(self.next_cursor == other.next_cursor && self.items(py)?.eq(other.items(py)?)?)
    }

    /// `{"items": [dict, ...], "next_cursor": str | None}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(
            py,
            vec![
                ("items", self.items(py)?.into_any()),
                ("next_cursor", to_py(py, self.next_cursor.clone())?),
            ],
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr(
            "Page",
            &[
                ("items", self.items(py)?.into_any()),
                ("next_cursor", to_py(py, self.next_cursor.clone())?),
            ],
        )
    }
}

/// Adds the record classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Money>()?;
    m.add_class::<Contact>()?;
    m.add_class::<Deal>()?;
    m.add_class::<Pipeline>()?;
    m.add_class::<Stage>()?;
    m.add_class::<NewStage>()?;
    m.add_class::<StageSummary>()?;
    m.add_class::<Source>()?;
    m.add_class::<Activity>()?;
    m.add_class::<Company>()?;
    m.add_class::<User>()?;
    m.add_class::<Membership>()?;
    m.add_class::<Member>()?;
    m.add_class::<PlanLimits>()?;
    m.add_class::<Plan>()?;
    m.add_class::<Subscription>()?;
    m.add_class::<Event>()?;
    m.add_class::<Counts>()?;
    m.add_class::<Health>()?;
    m.add_class::<KeyUse>()?;
    m.add_class::<Credential>()?;
    m.add_class::<Principal>()?;
    m.add_class::<SubscriptionCounts>()?;
    m.add_class::<Usage>()?;
    m.add_class::<Payment>()?;
    m.add_class::<ApiToken>()?;
    m.add_class::<CreatedApiToken>()?;
    m.add_class::<Invitation>()?;
    m.add_class::<CreatedInvitation>()?;
    m.add_class::<EmailVerificationToken>()?;
    m.add_class::<CompanyMembership>()?;
    m.add_class::<UserOverview>()?;
    m.add_class::<CompanyOverview>()?;
    m.add_class::<LockoutPolicy>()?;
    m.add_class::<PasswordHasher>()?;
    m.add_class::<Page>()?;
    Ok(())
}
