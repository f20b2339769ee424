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
    CompanyOverview as RCompanyOverview, CreatedApiToken as RCreatedApiToken,
    CreatedInvitation as RCreatedInvitation, Invitation as RInvitation,
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
use flame_core::organization::Organization as ROrganization;
use flame_core::pipeline::{NewStage as RNewStage, Pipeline as RPipeline, Stage as RStage};
use flame_core::source::Source as RSource;
use flame_core::verification::EmailVerificationToken as REmailVerificationToken;

use crate::convert::{amount_text, decimal, dict, parse, repr, to_py};
use crate::errors::to_py_err;
pub(crate) use crate::secret::REDACTED;

/// Declares a frozen record class over a Rust value: one getter per field, `to_dict` and
/// `__repr__` over the same fields, its class in the stub (`_stub()`), and optional extra
/// methods.
///
/// A getter is its field's name, optionally a stub annotation (`name: "Any"`, for values
/// that cross as plain Python objects), and optionally `=> body`, the value computed from the
/// record `$r` (else the field itself); the value crosses through [`PyValue`], which also
/// gives the stub's annotation. Docs are the core's (`core_doc!(Class; field)`, from the
/// flame-core or flame-db type of the same name) unless the record writes its own; a getter
/// with neither fails to compile.
///
/// The field list is checked by the compiler against the Rust struct: the macro rebuilds it
/// in a struct expression naming every getter and every name in `skip { ... }` (fields
/// deliberately not exposed under their own name: secrets, or fields shown through a
/// `@derived` getter), without `..`, so a field added to the core type fails to compile here
/// ("missing field `x` in initializer"), as does one removed ("has no field named `x`"),
/// until the record says what to do with it. A getter that is not a field of the struct
/// (computed from others) is marked `@derived`; a record over an enum is written
/// `(@enum Type)` (its getters `match` on it, which the compiler checks as well). A getter
/// marked `@secret` returns a `Secret` and is left out of `to_dict` and redacted in
/// `__repr__`.
///
/// `stub "..."` is the stub text of the hand-written members of `extra { ... }`
/// (constructors), which `tests/test_stub.py`'s stubtest run checks against them.
macro_rules! record {
    (
        $(#[doc = $doc:literal])*
        $py_ty:ident = $name:literal ($(@$kind:ident)? $rust:path) |$r:ident, $py:ident| {
            $(
                $(#[doc = $fdoc:literal])*
                $(@$derived:ident)? $field:ident $(: $hint:literal)? $(=> $body:expr)?;
            )*
        }
        $( skip { $($skip:ident),* $(,)? } )?
        $( stub $stub:literal )?
        $( extra { $($extra:tt)* } )?
    ) => {
        #[doc = $crate::records::doc_of!([$($doc)*] $py_ty)]
        #[pyclass(frozen, eq, module = "flame", name = $name)]
        #[derive(Clone, PartialEq)]
        pub(crate) struct $py_ty(pub(crate) $rust);

        #[pymethods]
        impl $py_ty {
            $(
                #[doc = $crate::records::doc_of!([$($fdoc)*] $py_ty; $field)]
                #[getter]
                fn $field<'py>(&self, $py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    let $r = &self.0;
                    $crate::stub::PyValue::to_py(
                        &$crate::records::value!($r, $field $(=> $body)?),
                        $py,
                    )
                }
            )*

            /// The record as a dict of its fields (nested records become dicts too), secrets
            /// left out.
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, ::pyo3::types::PyDict>> {
                let fields: [Option<(&str, Bound<'py, PyAny>)>; _] = [$(
                    $crate::records::shown!([$($derived)?] Some((stringify!($field), self.$field(py)?)), None)
                ),*];
                $crate::convert::dict(py, fields.into_iter().flatten().collect())
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                $crate::convert::repr($name, &[$((
                    stringify!($field),
                    $crate::records::shown!(
                        [$($derived)?]
                        self.$field(py)?,
                        $crate::convert::to_py(py, $crate::records::REDACTED)?
                    ),
                )),*])
            }

            /// This class in `flame/_flame.pyi` (for `tests/test_stub.py`).
            #[staticmethod]
            fn _stub() -> String {
                $crate::stub::class(
                    $name,
                    $crate::records::doc_of!([$($doc)*] $py_ty),
                    concat!("" $(, $stub)?),
                    &[$($crate::stub::Property {
                        name: stringify!($field),
                        hint: $crate::records::hint!($rust; $r, $py; $field $(: $hint)? $(=> $body)?),
                        doc: $crate::records::doc_of!([$($fdoc)*] $py_ty; $field),
                    }),*],
                )
            }

            $($($extra)*)?
        }

        impl $crate::stub::PyValue for $rust {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                $crate::convert::to_py(py, $py_ty(self.clone()))
            }
            fn hint() -> String {
                $name.to_owned()
            }
        }

        $crate::records::exhaustive!(
            [$($kind)?] $rust; []; [$([$($derived)?] $field)*]; [$($($skip)*)?]
        );
    };
}
pub(crate) use record;

/// What `to_dict` and `__repr__` show of a getter: its value, or for an `@secret` one the
/// alternative (nothing, or the redaction).
macro_rules! shown {
    ([secret] $value:expr, $secret:expr) => {
        $secret
    };
    ([$($other:ident)?] $value:expr, $secret:expr) => {
        $value
    };
}
pub(crate) use shown;

/// A record's or getter's doc: the lines it writes, else the core's.
macro_rules! doc_of {
    ([] $($key:tt)+) => { core_doc!($($key)+) };
    ([$($line:literal)+] $($key:tt)+) => { concat!($($line, "\n"),+) };
}
pub(crate) use doc_of;

/// A getter's value: its field, or its body.
macro_rules! value {
    ($r:ident, $field:ident) => {
        &$r.$field
    };
    ($r:ident, $field:ident => $body:expr) => {
        $body
    };
}
pub(crate) use value;

/// A getter's stub annotation: the one it writes, else its value's [`PyValue::hint`] (read
/// from the value's type by a closure that is never called).
macro_rules! hint {
    ($rust:path; $r:ident, $py:ident; $field:ident : $hint:literal $(=> $body:expr)?) => {
        ::std::string::String::from($hint)
    };
    ($rust:path; $r:ident, $py:ident; $field:ident) => {
        $crate::stub::hint_of::<$rust, _, _>(|$r, _| Ok(&$r.$field))
    };
    ($rust:path; $r:ident, $py:ident; $field:ident => $body:expr) => {
        $crate::stub::hint_of::<$rust, _, _>(|$r, $py| {
            let _ = &$py;
            Ok($body)
        })
    };
}
pub(crate) use hint;

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
    ([] $rust:path; [$($acc:ident)*]; [[secret] $f:ident $($rest:tt)*]; [$($skip:ident)*]) => {
        $crate::records::exhaustive!([] $rust; [$($acc)* $f]; [$($rest)*]; [$($skip)*]);
    };
    ([] $rust:path; [$($acc:ident)*]; [[] $f:ident $($rest:tt)*]; [$($skip:ident)*]) => {
        $crate::records::exhaustive!([] $rust; [$($acc)* $f]; [$($rest)*]; [$($skip)*]);
    };
}
pub(crate) use exhaustive;

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
    Contact = "Contact" (RContact) |c, py| {
        id;
        company_id;
        first_name;
        last_name;
        email;
        phone;
        organization_id;
        owner_id;
        custom;
        tags;
        created_at;
        updated_at;
        version;
        @derived full_name => c.full_name();
    }
}

record! {
    Deal = "Deal" (RDeal) |d, py| {
        id;
        company_id;
        title;
        value;
        contact_id;
        organization_id;
        pipeline_id;
        stage_id;
        source_id;
        assignee_id;
        status;
        expected_close;
        lost_reason;
        closed_at;
        custom;
        created_at;
        updated_at;
        version;
        tags;
    }
}

record! {
    Organization = "Organization" (ROrganization) |o, py| {
        id;
        company_id;
        name;
        domain;
        phone;
        street;
        city;
        region;
        postal_code;
        country;
        website;
        industry;
        size;
        owner_id;
        custom;
        tags;
        created_at;
        updated_at;
        version;
    }
}

record! {
    Pipeline = "Pipeline" (RPipeline) |p, py| {
        id;
        company_id;
        name;
        position;
        is_default;
        created_at;
        updated_at;
        version;
    }
}

record! {
    Stage = "Stage" (RStage) |s, py| {
        id;
        company_id;
        pipeline_id;
        name;
        position;
        kind;
        probability;
        version;
    }
}

record! {
    /// A stage to create: `NewStage(name, kind, probability=None)`.
    NewStage = "NewStage" (RNewStage) |s, py| {
        name;
        kind;
        probability;
    }
    stub r#"
        def __new__(cls, name: str, kind: StageKind, probability: Optional[int] = None) -> NewStage:
            """A stage named ``name`` of ``kind``; ``probability`` defaults by kind."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (name, kind, probability=None))]
        fn new(py: Python<'_>, name: String, kind: &str, probability: Option<u8>) -> PyResult<Self> {
            Ok(NewStage(RNewStage { name, kind: parse(py, kind)?, probability }))
        }
    }
}

record! {
    StageSummary = "StageSummary" (RStageSummary) |s, py| {
        stage;
        deal_count;
        /// Their total value, one `Money` per currency.
        totals;
    }
}

record! {
    Source = "Source" (RSource) |s, py| {
        id;
        company_id;
        name;
        created_at;
        updated_at;
        version;
    }
}

record! {
    Activity = "Activity" (RActivity) |a, py| {
        id;
        company_id;
        kind;
        subject;
        body;
        contact_id;
        deal_id;
        owner_id;
        due_at;
        done_at;
        occurred_at;
        created_at;
        updated_at;
        version;
        @derived is_done => a.is_done();
    }
}

record! {
    Company = "Company" (RCompany) |c, py| {
        id;
        name;
        created_at;
        updated_at;
        version;
    }
}

record! {
    User = "User" (RUser) |u, py| {
        id;
        email;
        name;
        active;
        /// When they proved their email address (UTC); `None` until then.
        email_verified_at;
        created_at;
        updated_at;
        version;
    }
}

record! {
    Membership = "Membership" (RMembership) |m, py| {
        company_id;
        user_id;
        role;
        created_at;
        version;
    }
}

record! {
    Member = "Member" (RMember) |m, py| {
        user;
        membership;
    }
}

record! {
    PlanLimits = "PlanLimits" (RPlanLimits) |l, py| {
        seats;
        contacts;
        deals;
        pipelines;
        integrations;
        organizations;
    }
    stub r#"
        def __new__(
            cls,
            *,
            seats: Optional[int] = None,
            contacts: Optional[int] = None,
            deals: Optional[int] = None,
            pipelines: Optional[int] = None,
            integrations: Optional[int] = None,
            organizations: Optional[int] = None,
        ) -> PlanLimits:
            """Limits; every one left out is unlimited."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (*, seats=None, contacts=None, deals=None, pipelines=None, integrations=None, organizations=None))]
        fn new(
            seats: Option<u32>,
            contacts: Option<u32>,
            deals: Option<u32>,
            pipelines: Option<u32>,
            integrations: Option<u32>,
            organizations: Option<u32>,
        ) -> Self {
            PlanLimits(RPlanLimits { seats, contacts, deals, pipelines, integrations, organizations })
        }
    }
}

record! {
    Plan = "Plan" (RPlan) |p, py| {
        id;
        code;
        name;
        price;
        interval;
        trial_days;
        limits;
        public;
        is_default;
        version;
    }
}

record! {
    Subscription = "Subscription" (RSubscription) |s, py| {
        id;
        company_id;
        plan_id;
        status;
        trial_ends_at;
        current_period_start;
        current_period_end;
        created_at;
        updated_at;
        version;
    }
}

record! {
    Event = "Event" (REvent) |e, py| {
        id;
        company_id;
        actor_id;
        occurred_at;
        /// The event type (`"deal.won"`).
        @derived event_type => e.payload.event_type();
        /// The facts of the change, as the JSON form consumers receive (with its `"type"`).
        payload: "dict[str, Any]" => json(py, &e.payload)?;
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
    Counts = "Counts" (flame_db::Counts) |c, py| {
        users;
        companies;
        subscriptions;
        subscriptions_by_status;
        contacts;
        deals;
    }
}

record! {
    Health = "Health" (flame_db::Health) |h, py| {
        backend: "Backend";
        reachable;
        round_trip;
        schema_version;
        expected_schema_version;
        schema_matches;
        encryption_configured;
        configured_keys;
        /// How many stored credentials each key id seals (`None` when unreachable). Any id
        /// other than the primary means a rotation is still to run (`Flame.rotate_keys`).
        keys_in_use;
        counts;
    }
}

record! {
    KeyUse = "KeyUse" (flame_db::KeyUse) |k, py| {
        key_id;
        secrets;
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
        kind: "CredentialKind" => credential_kind(c);
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
        user_id;
        /// The company acted in.
        company_id;
        /// The user's role there.
        role;
        /// "read_only" for read-only API tokens, "read_write" otherwise.
        scope;
        /// Whether the user is a platform administrator.
        platform_admin;
        /// The stored session or API token the principal stands on.
        credential;
        /// When the session stops being valid (UTC).
        expires_at;
    }
}

record! {
    SubscriptionCounts = "SubscriptionCounts" (flame_db::SubscriptionCounts) |c, py| {
        trialing;
        active;
        past_due;
        canceled;
        expired;
    }
}

record! {
    Usage = "Usage" (RUsage) |u, py| {
        seats;
        contacts;
        deals;
        pipelines;
        integrations;
        organizations;
    }
}

record! {
    Payment = "Payment" (RPayment) |p, py| {
        id;
        company_id;
        subscription_id;
        provider_ref;
        outcome;
        amount;
        period_end;
        failure_reason;
        recorded_at;
    }
}

record! {
    ApiToken = "ApiToken" (RApiToken) |t, py| {
        id;
        company_id;
        user_id;
        name;
        scope;
        expires_at;
        last_used_at;
        revoked_at;
        created_at;
    }
}

record! {
    Invitation = "Invitation" (RInvitation) |i, py| {
        id;
        company_id;
        email;
        role;
        invited_by;
        expires_at;
        accepted_at;
        revoked_at;
        created_at;
    }
}

record! {
    /// An API token just created, with its `secret`: the text to give the script or server,
    /// shown this once. The secret is never part of `repr()`, `str()` or `to_dict()`.
    CreatedApiToken = "CreatedApiToken" (RCreatedApiToken) |t, py| {
        token;
        /// The token text for `Flame.authenticate` (shown this once; it cannot be read again).
        @secret secret;
    }
}

record! {
    /// An invitation just created, with the `token` to send the invitee (shown this once).
    /// The token is never part of `repr()`, `str()` or `to_dict()`.
    CreatedInvitation = "CreatedInvitation" (RCreatedInvitation) |i, py| {
        invitation;
        /// The token the invitee gives `Flame.accept_invitation` (shown this once).
        @secret token;
    }
}

record! {
    /// A verification token just issued (`Flame.email_verification`), for the host to mail to
    /// `email` (shown this once). The token is never part of `repr()`, `str()` or
    /// `to_dict()`. Never show it to whoever asked for it.
    EmailVerificationToken = "EmailVerificationToken" (REmailVerificationToken) |t, py| {
        user_id;
        email;
        expires_at;
        /// The token, for `Flame.verify_email` or `Flame.reset_password` (shown this once).
        @secret token;
    }
}

record! {
    CompanyMembership = "CompanyMembership" (RCompanyMembership) |m, py| {
        company_id;
        company_name;
        role;
    }
}

record! {
    UserOverview = "UserOverview" (RUserOverview) |o, py| {
        user;
        platform_admin;
        memberships;
    }
}

record! {
    CompanyOverview = "CompanyOverview" (RCompanyOverview) |o, py| {
        company;
        subscription;
        plan;
        members;
    }
}

record! {
    /// How repeated login failures lock an email out, for `flame.open(lockout=...)`: after
    /// `max_failures` failures in a row the email is locked for `base_lockout`, doubling with
    /// each further failure up to `max_lockout`.
    LockoutPolicy = "LockoutPolicy" (RLockoutPolicy) |l, py| {
        max_failures;
        base_lockout;
        max_lockout;
    }
    stub r#"
        def __new__(
            cls,
            *,
            max_failures: Optional[int] = None,
            base_lockout: Optional[timedelta] = None,
            max_lockout: Optional[timedelta] = None,
        ) -> LockoutPolicy:
            """Every argument left out takes Flame's default (5 failures, then 1 minute,
            doubling up to an hour)."""
    "#
    extra {
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
    m.add_class::<Organization>()?;
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
