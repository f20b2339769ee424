//! The handles: `Flame` (an opened store), `Session` (an authenticated user in one company)
//! and one object per aggregate (`session.contacts`, `session.deals`, ...). Each method is a
//! conversion and a call of the matching `flame-db` method.

use std::time::Duration;

use pyo3::prelude::*;

use flame_core::account::{AcceptInvitation, Login, NewApiToken, NewInvitation};
use flame_core::activity::{ActivityFilter, ActivityKind, ActivityPatch, NewActivity};
use flame_core::billing::{BillingInterval, NewPayment, NewPlan, PaymentOutcome};
use flame_core::company::{NewMember, SignUp};
use flame_core::contact::{ContactFilter, ContactPatch, NewContact};
use flame_core::deal::{DealFilter, DealPatch, DealStatus, NewDeal};
use flame_core::pipeline::{NewPipeline, NewStage as RNewStage, StageKind, StagePatch};
use flame_core::{
    ActivityId, ApiTokenId, CompanyId, ContactId, DealId, InvitationId, PipelineId, PlanId, Role,
    Scope, SourceId, StageId, UserId,
};
use flame_db::{OpenOptions, SchemaMode};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::convert::{amount_text, page, parse, parse_opt};
use crate::errors::to_py_err;
use crate::import::{self, ImportReport};
use crate::integrations::{EncryptionKey, Inbound, Integrations, Rotation};
use crate::marketing::{Accounting, AccountingDocuments, Advertising, Leads, Reports};
use crate::records::{
    Activity, ApiToken, Company, CompanyMembership, CompanyOverview, Contact, CreatedApiToken,
    CreatedInvitation, Deal, EmailVerificationToken, Event, Health, Invitation, LockoutPolicy,
    Member, Membership, NewStage, Page, PasswordHasher, Payment, Pipeline, Plan, PlanLimits,
    Principal, Source, Stage, StageSummary, Subscription, Usage, User, UserOverview, page_of,
};
use crate::runtime::{run, run_infallible};
use crate::secret::{Secret, SecretArg};
use crate::webhooks::{WebhookDeliveries, WebhookWorker};

/// Opens the store at `url` — `sqlite://path/to/file.db` (created if missing),
/// `sqlite::memory:` or `postgres://user@host/db` — applies pending migrations (unless
/// `verify_only`) and verifies the schema. Every option left out takes Flame's default:
/// `session_ttl` (how long a login session stays valid), `session_recheck` (how stale a
/// session's cached standing may get before a read re-checks it), `lockout` (how repeated
/// login failures lock an email out) and `password_hasher` (the Argon2id costs).
///
/// `encryption_key` seals integration credentials (without it, integrations without
/// credentials still work); `previous_keys` still open what older keys sealed, until
/// `Flame.rotate_keys` re-seals it under `encryption_key`. `webhook_allow_loopback` lets
/// webhook URLs point at loopback addresses (tests, local development).
#[pyfunction]
#[pyo3(signature = (url, *, verify_only=false, max_connections=None, busy_timeout=None, session_ttl=None, session_recheck=None, lockout=None, password_hasher=None, encryption_key=None, previous_keys=None, webhook_allow_loopback=false, email_verification="required", password_hashing_max_concurrent=None, password_hashing_queue_timeout=None))]
#[allow(clippy::too_many_arguments, clippy::needless_update)]
pub(crate) fn open(
    py: Python<'_>,
    url: &str,
    verify_only: bool,
    max_connections: Option<u32>,
    busy_timeout: Option<Duration>,
    session_ttl: Option<Duration>,
    session_recheck: Option<Duration>,
    lockout: Option<PyRef<'_, LockoutPolicy>>,
    password_hasher: Option<PyRef<'_, PasswordHasher>>,
    encryption_key: Option<PyRef<'_, EncryptionKey>>,
    previous_keys: Option<Vec<PyRef<'_, EncryptionKey>>>,
    webhook_allow_loopback: bool,
    email_verification: &str,
    password_hashing_max_concurrent: Option<usize>,
    password_hashing_queue_timeout: Option<Duration>,
) -> PyResult<Flame> {
    let defaults = OpenOptions::default();
    let email_verification = parse(py, email_verification)?;
    let password_hashing = flame_core::password::HashingLimit {
        max_concurrent: password_hashing_max_concurrent
            .unwrap_or(defaults.password_hashing.max_concurrent),
        queue_timeout: password_hashing_queue_timeout
            .unwrap_or(defaults.password_hashing.queue_timeout),
    };
    let options = OpenOptions {
        schema: if verify_only { SchemaMode::VerifyOnly } else { SchemaMode::Migrate },
        max_connections: max_connections.unwrap_or(defaults.max_connections),
        busy_timeout: busy_timeout.unwrap_or(defaults.busy_timeout),
        session_ttl: session_ttl.unwrap_or(defaults.session_ttl),
        session_recheck: session_recheck.unwrap_or(defaults.session_recheck),
        lockout: lockout.map_or(defaults.lockout, |l| l.0),
        password_hasher: password_hasher
            .map_or_else(|| defaults.password_hasher.clone(), |h| h.hasher.clone()),
        encryption_key: encryption_key.map(|k| k.0.clone()),
        previous_keys: previous_keys.iter().flatten().map(|k| k.0.clone()).collect(),
        webhook_allow_loopback,
        email_verification,
        password_hashing,
        // Every option is given today; options added later keep their defaults until they
        // are exposed here.
        ..defaults
    };
    let url = url.to_owned();
    let inner = run(py, async move { flame_db::Flame::open(&url, options).await })?;
    Ok(Flame { inner })
}

/// An opened Flame store. Thread-safe: share one across threads; every call releases the
/// GIL while Rust works. Use it as a context manager to shut it down.
#[pyclass(frozen, module = "flame", name = "Flame")]
pub(crate) struct Flame {
    inner: flame_db::Flame,
}

#[pymethods]
impl Flame {
    /// Signs a company up with its first owner (its default plan, pipeline and sources
    /// included) and returns the company, the owner and the owner's session. `password`
    /// (checked against the password policy) lets the owner `login` later; hosts that
    /// authenticate users themselves leave it out. An email that already has an account
    /// raises `ConflictError` on "owner_email" (that user calls `session.account.create_company`).
    #[pyo3(signature = (company_name, owner_email, owner_name, *, password=None))]
    fn sign_up(
        &self,
        py: Python<'_>,
        company_name: String,
        owner_email: String,
        owner_name: String,
        password: Option<String>,
    ) -> PyResult<SignedUp> {
        let flame = self.inner.clone();
        let input = SignUp { company_name, owner_email, owner_name, password };
        let signed = run(py, async move { flame.sign_up(input).await })?;
        Ok(SignedUp {
            company: Py::new(py, Company(signed.company))?,
            owner: Py::new(py, User(signed.owner))?,
            session: Py::new(py, Session { inner: signed.session })?,
        })
    }

    /// A session for an existing, active member of a company (a trusted host call);
    /// anyone else gets `UnauthenticatedError`.
    fn session(&self, py: Python<'_>, user_id: Uuid, company_id: Uuid) -> PyResult<Session> {
        let flame = self.inner.clone();
        let inner = run(py, async move {
            flame.session(UserId::from_uuid(user_id), CompanyId::from_uuid(company_id)).await
        })?;
        Ok(Session { inner })
    }

    /// Logs in with email and password, in `company_id` (which may be left out when the
    /// user belongs to exactly one company). Every failure — unknown email, wrong password,
    /// no password set, deactivated user, too many attempts — raises the same
    /// `UnauthenticatedError`; repeated failures lock the email out for a while.
    #[pyo3(signature = (email, password, *, company_id=None))]
    fn login(
        &self,
        py: Python<'_>,
        email: String,
        password: String,
        company_id: Option<Uuid>,
    ) -> PyResult<Session> {
        let flame = self.inner.clone();
        let input = Login { email, password, company_id: company_id.map(CompanyId::from_uuid) };
        let inner = run(py, async move { flame.login(input).await })?;
        Ok(Session { inner })
    }

    /// The session a bearer token stands for: a session token (`Session.token()`) or an
    /// API token (`CreatedApiToken.secret`). Unknown, malformed, expired and revoked tokens
    /// raise `UnauthenticatedError`.
    fn authenticate(&self, py: Python<'_>, token: SecretArg) -> PyResult<Session> {
        let flame = self.inner.clone();
        let inner = run(py, async move { flame.authenticate(token.expose()).await })?;
        Ok(Session { inner })
    }

    /// Accepts an invitation for a new user with its token: the user is created with `name`
    /// (and `password`, if given), joins the company with the invited role and gets a session
    /// there. An existing user accepts from their own session
    /// (`session.account.accept_invitation`). Unknown, expired, revoked and used
    /// invitations, ones whose inviter may no longer grant their role, and ones for an email
    /// that has an account all raise the same `UnauthenticatedError`.
    #[pyo3(signature = (token, *, name=None, password=None))]
    fn accept_invitation(
        &self,
        py: Python<'_>,
        token: SecretArg,
        name: Option<String>,
        password: Option<String>,
    ) -> PyResult<Session> {
        let flame = self.inner.clone();
        let input = AcceptInvitation { token: token.into_string(), name, password };
        let inner = run(py, async move { flame.accept_invitation(input).await })?;
        Ok(Session { inner })
    }

    /// Sets a user's password (checked against the policy) and revokes all their sessions:
    /// a trusted host call, for the host's password-reset flow.
    fn set_password(&self, py: Python<'_>, user_id: Uuid, password: String) -> PyResult<()> {
        let flame = self.inner.clone();
        run(py, async move { flame.set_password(UserId::from_uuid(user_id), &password).await })
    }

    /// Issues a single-use token (valid 24 hours) proving the user's email, for the host to
    /// mail to `EmailVerificationToken.email`; never show it to whoever asked for it. An
    /// unknown user raises `NotFoundError`.
    fn email_verification(
        &self,
        py: Python<'_>,
        user_id: Uuid,
    ) -> PyResult<EmailVerificationToken> {
        let flame = self.inner.clone();
        run(py, async move { flame.email_verification(UserId::from_uuid(user_id)).await })
            .map(EmailVerificationToken)
    }

    /// Marks the email of the token's user verified (with `email_verification="required"`,
    /// they may log in from then on) and uses the token up. Their password and sessions stay.
    /// Unknown, used or expired tokens raise `UnauthenticatedError`.
    fn verify_email(&self, py: Python<'_>, token: SecretArg) -> PyResult<User> {
        let flame = self.inner.clone();
        run(py, async move { flame.verify_email(token.expose()).await }).map(User)
    }

    /// Takes an account back with a mailed token: sets `new_password` (checked against the
    /// policy: `ValidationError` on "new_password"), marks the email verified, revokes every
    /// session and API token of the user, and uses the token up.
    fn reset_password(
        &self,
        py: Python<'_>,
        token: SecretArg,
        new_password: String,
    ) -> PyResult<User> {
        let flame = self.inner.clone();
        run(py, async move { flame.reset_password(token.expose(), &new_password).await })
            .map(User)
    }

    /// Marks a user as platform administrator, or not: a trusted host call (no company role
    /// grants it).
    fn set_platform_admin(&self, py: Python<'_>, user_id: Uuid, admin: bool) -> PyResult<User> {
        let flame = self.inner.clone();
        run(py, async move { flame.set_platform_admin(UserId::from_uuid(user_id), admin).await })
            .map(User)
    }

    /// The host's billing hooks: what the payment provider reports, and the sweep of lapsed
    /// trials.
    #[getter]
    fn subscriptions(&self) -> Subscriptions {
        Subscriptions { flame: self.inner.clone() }
    }

    /// Backend, reachability, round trip, schema version, encryption and row counts. Never
    /// raises for an unreachable database: it reports it.
    fn health(&self, py: Python<'_>) -> PyResult<Health> {
        let flame = self.inner.clone();
        Ok(Health(run_infallible(py, async move { flame.health().await })?))
    }

    /// The plan catalog.
    #[getter]
    fn plans(&self) -> Plans {
        Plans { flame: self.inner.clone() }
    }

    /// Inbound messages for messaging integrations: trusted host calls.
    #[getter]
    fn inbound(&self) -> Inbound {
        Inbound { flame: self.inner.clone() }
    }

    /// Leads and ad spend of advertising integrations: trusted host calls.
    #[getter]
    fn advertising(&self) -> Advertising {
        Advertising { flame: self.inner.clone() }
    }

    /// The hand-over of accounting documents: trusted host calls.
    #[getter]
    fn accounting(&self) -> AccountingDocuments {
        AccountingDocuments { flame: self.inner.clone() }
    }

    /// A worker that dispatches the outbox to webhooks and posts the deliveries, signed.
    /// Every option left out takes Flame's default: retries back off from `backoff_base`
    /// (30 s) doubling up to `backoff_cap` (6 h), `max_attempts` (12) in all before a
    /// delivery is dead; one post may take `timeout` (10 s); a claimed delivery is reserved
    /// for `lease` (60 s; longer than `timeout`); a pass handles `batch` (32; 1 to 500)
    /// events and deliveries; a started worker sleeps `poll_interval` (1 s) when idle.
    /// Options out of range raise `ValidationError`; a store opened without an
    /// `encryption_key` raises `CryptoError` (the signing secrets are sealed with it).
    #[pyo3(signature = (*, backoff_base=None, backoff_cap=None, max_attempts=None, timeout=None, lease=None, batch=None, poll_interval=None))]
    #[allow(clippy::too_many_arguments)]
    fn webhook_worker(
        &self,
        py: Python<'_>,
        backoff_base: Option<Duration>,
        backoff_cap: Option<Duration>,
        max_attempts: Option<u32>,
        timeout: Option<Duration>,
        lease: Option<Duration>,
        batch: Option<u32>,
        poll_interval: Option<Duration>,
    ) -> PyResult<WebhookWorker> {
        let inner = crate::webhooks::options(
            backoff_base,
            backoff_cap,
            max_attempts,
            timeout,
            lease,
            batch,
            poll_interval,
        )
        .and_then(|options| self.inner.webhook_worker(options))
        .map_err(|e| to_py_err(py, e))?;
        Ok(WebhookWorker { inner, running: std::sync::Mutex::new(None) })
    }

    /// Re-encrypts every stored credential sealed by an older key under the primary
    /// `encryption_key`, `batch` at a time (each batch in its own transaction), and returns
    /// how many were resealed. Safe to interrupt and run again. A trusted host call: open
    /// with the new key as `encryption_key` and the old ones in `previous_keys`, then run it.
    /// Without a key, `CryptoError`.
    #[pyo3(signature = (batch=1000))]
    fn rotate_keys(&self, py: Python<'_>, batch: u32) -> PyResult<Rotation> {
        let flame = self.inner.clone();
        run(py, async move { flame.rotate_keys(batch).await }).map(Rotation)
    }

    /// "sqlite" or "postgres".
    #[getter]
    fn backend(&self) -> &'static str {
        self.inner.backend().as_str()
    }

    /// The schema version found when the store opened.
    #[getter]
    fn schema_version(&self) -> i64 {
        self.inner.schema_version()
    }

    /// Closes every connection; later calls raise `StorageError`.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let flame = self.inner.clone();
        run_infallible(py, async move { flame.shutdown().await })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.shutdown(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "Flame(backend='{}', schema_version={})",
            self.inner.backend().as_str(),
            self.inner.schema_version()
        )
    }
}

/// What `Flame.sign_up` returns: the new `company`, its `owner` and the owner's `session`.
#[pyclass(frozen, module = "flame", name = "SignedUp")]
pub(crate) struct SignedUp {
    company: Py<Company>,
    owner: Py<User>,
    session: Py<Session>,
}

#[pymethods]
impl SignedUp {
    /// The new company.
    #[getter]
    fn company(&self, py: Python<'_>) -> Py<Company> {
        self.company.clone_ref(py)
    }

    /// Its owner.
    #[getter]
    fn owner(&self, py: Python<'_>) -> Py<User> {
        self.owner.clone_ref(py)
    }

    /// The owner's session.
    #[getter]
    fn session(&self, py: Python<'_>) -> Py<Session> {
        self.session.clone_ref(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "SignedUp(company={}, owner={})",
            self.company.bind(py).repr()?,
            self.owner.bind(py).repr()?
        ))
    }
}

/// An authenticated user acting in one company. Every operation is checked against the
/// session's role and scoped to its company. Thread-safe.
#[pyclass(frozen, module = "flame", name = "Session")]
pub(crate) struct Session {
    inner: flame_db::Session,
}

#[pymethods]
impl Session {
    /// The acting user's id.
    #[getter]
    fn user_id(&self) -> Uuid {
        self.inner.user_id().as_uuid()
    }

    /// The company's id.
    #[getter]
    fn company_id(&self) -> Uuid {
        self.inner.company_id().as_uuid()
    }

    /// The user's role in the company.
    #[getter]
    fn role(&self) -> &'static str {
        self.inner.role().as_str()
    }

    /// When the session expires (UTC).
    #[getter]
    fn expires_at(&self) -> time::UtcDateTime {
        self.inner.expires_at().to_utc()
    }

    /// Who, where, which role and scope, until when, through which credential, as last
    /// checked.
    #[getter]
    fn principal(&self) -> Principal {
        Principal(self.inner.principal())
    }

    /// The token that resumes this session with `Flame.authenticate` (for a cookie or a
    /// keychain); `None` for sessions made from an API token. A secret: it is never part of
    /// `repr()`.
    fn token(&self) -> Option<Secret> {
        self.inner.token().cloned().map(Secret::new)
    }

    /// Logs this session out: its token stops working, here and in every process.
    fn logout(&self, py: Python<'_>) -> PyResult<()> {
        let session = self.inner.clone();
        run(py, async move { session.logout().await })
    }

    /// The session user's own account: profile, companies, password, sessions.
    #[getter]
    fn account(&self) -> Account {
        Account { session: self.inner.clone() }
    }

    /// The session user's API tokens in this company.
    #[getter]
    fn api_tokens(&self) -> ApiTokens {
        ApiTokens { session: self.inner.clone() }
    }

    /// Invitations to join the company.
    #[getter]
    fn invitations(&self) -> Invitations {
        Invitations { session: self.inner.clone() }
    }

    /// Platform administration: every user and company (platform administrators only).
    #[getter]
    fn platform(&self) -> Platform {
        Platform { session: self.inner.clone() }
    }

    /// Contacts of the company.
    #[getter]
    fn contacts(&self) -> Contacts {
        Contacts { session: self.inner.clone() }
    }

    /// Deals of the company.
    #[getter]
    fn deals(&self) -> Deals {
        Deals { session: self.inner.clone() }
    }

    /// Pipelines and their stages.
    #[getter]
    fn pipelines(&self) -> Pipelines {
        Pipelines { session: self.inner.clone() }
    }

    /// Lead sources.
    #[getter]
    fn sources(&self) -> Sources {
        Sources { session: self.inner.clone() }
    }

    /// Activities: notes, tasks, calls, messages.
    #[getter]
    fn activities(&self) -> Activities {
        Activities { session: self.inner.clone() }
    }

    /// Members of the company: users and their roles.
    #[getter]
    fn members(&self) -> Members {
        Members { session: self.inner.clone() }
    }

    /// The company itself.
    #[getter]
    fn company(&self) -> Companies {
        Companies { session: self.inner.clone() }
    }

    /// The company's subscription.
    #[getter]
    fn billing(&self) -> Billing {
        Billing { session: self.inner.clone() }
    }

    /// The company's domain events, as written to the outbox.
    #[getter]
    fn events(&self) -> Events {
        Events { session: self.inner.clone() }
    }

    /// The company's integrations (admins and owners).
    #[getter]
    fn integrations(&self) -> Integrations {
        Integrations { session: self.inner.clone() }
    }

    /// The company's ad leads: the campaign and UTM tags behind its contacts and deals.
    #[getter]
    fn leads(&self) -> Leads {
        Leads { session: self.inner.clone() }
    }

    /// Reports over the company's data.
    #[getter]
    fn reports(&self) -> Reports {
        Reports { session: self.inner.clone() }
    }

    /// The company's accounting documents (admins and owners).
    #[getter]
    fn accounting(&self) -> Accounting {
        Accounting { session: self.inner.clone() }
    }

    /// The company's outgoing webhook deliveries (admins and owners).
    #[getter]
    fn webhook_deliveries(&self) -> WebhookDeliveries {
        WebhookDeliveries { session: self.inner.clone() }
    }

    fn __repr__(&self) -> String {
        format!(
            "Session(user_id=UUID('{}'), company_id=UUID('{}'), role='{}')",
            self.inner.user_id(),
            self.inner.company_id(),
            self.inner.role().as_str()
        )
    }
}

/// The plan catalog (`flame.plans`).
#[pyclass(frozen, module = "flame", name = "Plans")]
pub(crate) struct Plans {
    flame: flame_db::Flame,
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

/// Contacts of the company (`session.contacts`).
#[pyclass(frozen, module = "flame", name = "Contacts")]
pub(crate) struct Contacts {
    session: flame_db::Session,
}

#[pymethods]
impl Contacts {
    /// Creates a contact. Blank optional text counts as absent; `phone_region` (ISO 3166,
    /// "US") helps parse phones written without a country code; `owner_id` defaults to the
    /// session's user.
    #[pyo3(signature = (first_name, *, last_name=None, email=None, phone=None, phone_region=None, organization=None, owner_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        first_name: String,
        last_name: Option<String>,
        email: Option<String>,
        phone: Option<String>,
        phone_region: Option<String>,
        organization: Option<String>,
        owner_id: Option<Uuid>,
    ) -> PyResult<Contact> {
        let input = NewContact {
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization,
            owner_id: owner_id.map(UserId::from_uuid),
        };
        let api = self.session.contacts();
        run(py, async move { api.create(input).await }).map(Contact)
    }

    /// One contact; another company's id raises `NotFoundError`.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Contact> {
        let api = self.session.contacts();
        run(py, async move { api.get(ContactId::from_uuid(id)).await }).map(Contact)
    }

    /// Changes the contact read at `version`: `None` keeps a field, `""` clears an optional
    /// one. A stale version raises `ConflictError`.
    #[pyo3(signature = (id, version, *, first_name=None, last_name=None, email=None, phone=None, phone_region=None, organization=None, owner_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        first_name: Option<String>,
        last_name: Option<String>,
        email: Option<String>,
        phone: Option<String>,
        phone_region: Option<String>,
        organization: Option<String>,
        owner_id: Option<Uuid>,
    ) -> PyResult<Contact> {
        let patch = ContactPatch {
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization,
            owner_id: owner_id.map(UserId::from_uuid),
        };
        let api = self.session.contacts();
        run(py, async move { api.update(ContactId::from_uuid(id), version, patch).await })
            .map(Contact)
    }

    /// Deletes the contact read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.contacts();
        run(py, async move { api.delete(ContactId::from_uuid(id), version).await })
    }

    /// Contacts matching every given filter, a page at a time (`limit` defaults to 50). With a
    /// prefix, ordered by the key it matches, then id (name, else phone, else email); without
    /// one, newest first.
    #[pyo3(signature = (*, name_prefix=None, email_prefix=None, phone_prefix=None, owner_id=None, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        name_prefix: Option<String>,
        email_prefix: Option<String>,
        phone_prefix: Option<String>,
        owner_id: Option<Uuid>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = ContactFilter {
            name_prefix,
            email_prefix,
            phone_prefix,
            owner_id: owner_id.map(UserId::from_uuid),
        };
        let api = self.session.contacts();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, Contact)
    }

    /// Imports contacts from an iterable of `NewContact`s or mappings with the keys of
    /// `create` (a generator is consumed lazily). Each row is checked like `create`; a bad
    /// row is rejected and reported with its 1-based position as `line`, and the rest go on.
    /// Rows without an owner are the session user's.
    ///
    /// Rows are converted and imported 5,000 at a time, with the GIL released while each
    /// chunk is written (one transaction and one "contacts.imported" event per chunk), so
    /// memory stays bounded. A chunk that cannot be written — the plan limit, the session
    /// demoted or revoked since the import began, a read-only company — stops the import:
    /// the report's `failed` gives the first row not imported and the error, and the
    /// earlier chunks stay imported. A row that is neither a `NewContact` nor a mapping of
    /// those keys (or a failing iterable) raises `TypeError` (or its own exception): that
    /// chunk is not written and the earlier chunks stay imported.
    fn import_rows(&self, py: Python<'_>, rows: &Bound<'_, PyAny>) -> PyResult<ImportReport> {
        import::import_rows(py, &self.session.contacts(), rows)
    }

    /// Imports contacts from CSV (UTF-8, comma-separated, first line the header with the
    /// columns first_name, last_name, email, phone, phone_region, organization): `source` is
    /// a path (`str` or `os.PathLike`), which Rust opens and streams without reading it
    /// whole, or the CSV itself as `bytes`. A bad header raises `ValidationError` on
    /// "header" and nothing is imported; a bad line (one longer than 64 KiB among them) is
    /// reported with its line number (the header is line 1) and the rest go on. A batch that
    /// cannot be written, an unreadable input or a record too long to read stops the import
    /// (the report's `failed`). A missing file raises `OSError`.
    fn import_csv(&self, py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<ImportReport> {
        import::import_csv(py, &self.session.contacts(), source)
    }
}

/// Deals of the company (`session.deals`).
#[pyclass(frozen, module = "flame", name = "Deals")]
pub(crate) struct Deals {
    session: flame_db::Session,
}

#[pymethods]
impl Deals {
    /// Creates a deal worth `amount` (a `Decimal`, `int` or `str`, never a float) of
    /// `currency`. It goes to the default pipeline's first open stage unless `pipeline_id` /
    /// `stage_id` say otherwise; `assignee_id` defaults to the session's user.
    #[pyo3(signature = (title, amount, currency, *, contact_id=None, pipeline_id=None, stage_id=None, source_id=None, assignee_id=None, expected_close=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        title: String,
        amount: &Bound<'_, PyAny>,
        currency: &str,
        contact_id: Option<Uuid>,
        pipeline_id: Option<Uuid>,
        stage_id: Option<Uuid>,
        source_id: Option<Uuid>,
        assignee_id: Option<Uuid>,
        expected_close: Option<Date>,
    ) -> PyResult<Deal> {
        let value = flame_core::Money::parse(&amount_text("amount", amount)?, currency)
            .map_err(|e| to_py_err(py, e))?;
        let input = NewDeal {
            title,
            amount_minor: value.amount_minor(),
            currency: value.currency().code().to_owned(),
            contact_id: contact_id.map(ContactId::from_uuid),
            pipeline_id: pipeline_id.map(PipelineId::from_uuid),
            stage_id: stage_id.map(StageId::from_uuid),
            source_id: source_id.map(SourceId::from_uuid),
            assignee_id: assignee_id.map(UserId::from_uuid),
            expected_close,
        };
        let api = self.session.deals();
        run(py, async move { api.create(input).await }).map(Deal)
    }

    /// One deal.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.get(DealId::from_uuid(id)).await }).map(Deal)
    }

    /// Changes the fields of the deal read at `version` (its stage changes through
    /// `move_to_stage`, `win`, `lose`, `reopen`). `amount` is read in `currency`, or in the
    /// deal's current currency when `currency` is not given.
    #[pyo3(signature = (id, version, *, title=None, amount=None, currency=None, contact_id=None, source_id=None, assignee_id=None, expected_close=None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        title: Option<String>,
        amount: Option<&Bound<'_, PyAny>>,
        currency: Option<String>,
        contact_id: Option<Uuid>,
        source_id: Option<Uuid>,
        assignee_id: Option<Uuid>,
        expected_close: Option<Date>,
    ) -> PyResult<Deal> {
        let id = DealId::from_uuid(id);
        let api = self.session.deals();
        let amount_minor = match amount {
            None => None,
            Some(amount) => {
                let text = amount_text("amount", amount)?;
                // The decimal places of an amount depend on its currency: without a new one,
                // the amount is read in the deal's current currency.
                let in_currency = match &currency {
                    Some(code) => code.clone(),
                    None => {
                        let api = api.clone();
                        run(py, async move { api.get(id).await })?
                            .value
                            .currency()
                            .code()
                            .to_owned()
                    }
                };
                let money =
                    flame_core::Money::parse(&text, &in_currency).map_err(|e| to_py_err(py, e))?;
                Some(money.amount_minor())
            }
        };
        let patch = DealPatch {
            title,
            amount_minor,
            currency,
            contact_id: contact_id.map(ContactId::from_uuid),
            source_id: source_id.map(SourceId::from_uuid),
            assignee_id: assignee_id.map(UserId::from_uuid),
            expected_close,
        };
        run(py, async move { api.update(id, version, patch).await }).map(Deal)
    }

    /// Deletes the deal read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.deals();
        run(py, async move { api.delete(DealId::from_uuid(id), version).await })
    }

    /// Moves an open deal to a stage of its pipeline (a won stage wins it; a lost stage
    /// needs `lose_in_stage`). A closed deal raises `InvalidTransitionError`.
    fn move_to_stage(
        &self,
        py: Python<'_>,
        id: Uuid,
        stage_id: Uuid,
        version: i64,
    ) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move {
            api.move_to_stage(DealId::from_uuid(id), StageId::from_uuid(stage_id), version).await
        })
        .map(Deal)
    }

    /// Wins the deal: moves it to its pipeline's won stage.
    fn win(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.win(DealId::from_uuid(id), version).await }).map(Deal)
    }

    /// Loses the deal, with the reason: moves it to its pipeline's lost stage.
    fn lose(&self, py: Python<'_>, id: Uuid, reason: String, version: i64) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move { api.lose(DealId::from_uuid(id), &reason, version).await }).map(Deal)
    }

    /// Loses the deal into a given lost stage of its pipeline, with the reason.
    fn lose_in_stage(
        &self,
        py: Python<'_>,
        id: Uuid,
        stage_id: Uuid,
        reason: String,
        version: i64,
    ) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move {
            api.lose_in_stage(DealId::from_uuid(id), StageId::from_uuid(stage_id), &reason, version)
                .await
        })
        .map(Deal)
    }

    /// Reopens a won or lost deal into an open stage of its pipeline.
    fn reopen(&self, py: Python<'_>, id: Uuid, stage_id: Uuid, version: i64) -> PyResult<Deal> {
        let api = self.session.deals();
        run(py, async move {
            api.reopen(DealId::from_uuid(id), StageId::from_uuid(stage_id), version).await
        })
        .map(Deal)
    }

    /// Deals matching every given filter, newest first, a page at a time; `status` is
    /// "open", "won" or "lost".
    #[pyo3(signature = (*, pipeline_id=None, stage_id=None, status=None, assignee_id=None, source_id=None, contact_id=None, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        pipeline_id: Option<Uuid>,
        stage_id: Option<Uuid>,
        status: Option<&str>,
        assignee_id: Option<Uuid>,
        source_id: Option<Uuid>,
        contact_id: Option<Uuid>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = DealFilter {
            pipeline_id: pipeline_id.map(PipelineId::from_uuid),
            stage_id: stage_id.map(StageId::from_uuid),
            status: parse_opt::<DealStatus>(py, status)?,
            assignee_id: assignee_id.map(UserId::from_uuid),
            source_id: source_id.map(SourceId::from_uuid),
            contact_id: contact_id.map(ContactId::from_uuid),
        };
        let api = self.session.deals();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, Deal)
    }
}

/// Pipelines and their stages (`session.pipelines`).
#[pyclass(frozen, module = "flame", name = "Pipelines")]
pub(crate) struct Pipelines {
    session: flame_db::Session,
}

#[pymethods]
impl Pipelines {
    /// Creates a pipeline with its stages, in order (at least one open, one won and one lost
    /// stage). Returns the pipeline and its stages.
    fn create(
        &self,
        py: Python<'_>,
        name: String,
        stages: Vec<PyRef<'_, NewStage>>,
    ) -> PyResult<(Pipeline, Vec<Stage>)> {
        let input = NewPipeline { name, stages: stages.iter().map(|s| s.0.clone()).collect() };
        let api = self.session.pipelines();
        let (pipeline, stages) = run(py, async move { api.create(input).await })?;
        Ok((Pipeline(pipeline), stages.into_iter().map(Stage).collect()))
    }

    /// One pipeline.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Pipeline> {
        let api = self.session.pipelines();
        run(py, async move { api.get(PipelineId::from_uuid(id)).await }).map(Pipeline)
    }

    /// The company's default pipeline.
    fn default(&self, py: Python<'_>) -> PyResult<Pipeline> {
        let api = self.session.pipelines();
        run(py, async move { api.default_pipeline().await }).map(Pipeline)
    }

    /// Every pipeline of the company, in order.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<Pipeline>> {
        let api = self.session.pipelines();
        Ok(run(py, async move { api.list().await })?.into_iter().map(Pipeline).collect())
    }

    /// The stages of a pipeline, in order.
    fn stages(&self, py: Python<'_>, id: Uuid) -> PyResult<Vec<Stage>> {
        let api = self.session.pipelines();
        Ok(run(py, async move { api.stages(PipelineId::from_uuid(id)).await })?
            .into_iter()
            .map(Stage)
            .collect())
    }

    /// One stage.
    fn stage(&self, py: Python<'_>, id: Uuid) -> PyResult<Stage> {
        let api = self.session.pipelines();
        run(py, async move { api.stage(StageId::from_uuid(id)).await }).map(Stage)
    }

    /// Renames the pipeline read at `version`.
    fn rename(&self, py: Python<'_>, id: Uuid, name: String, version: i64) -> PyResult<Pipeline> {
        let api = self.session.pipelines();
        run(py, async move { api.rename(PipelineId::from_uuid(id), &name, version).await })
            .map(Pipeline)
    }

    /// Deletes the pipeline read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.pipelines();
        run(py, async move { api.delete(PipelineId::from_uuid(id), version).await })
    }

    /// Adds a stage at the end of a pipeline; `kind` is "open", "won" or "lost".
    #[pyo3(signature = (pipeline_id, name, kind, probability=None))]
    fn add_stage(
        &self,
        py: Python<'_>,
        pipeline_id: Uuid,
        name: String,
        kind: &str,
        probability: Option<u8>,
    ) -> PyResult<Stage> {
        let input = RNewStage { name, kind: parse::<StageKind>(py, kind)?, probability };
        let api = self.session.pipelines();
        run(py, async move { api.add_stage(PipelineId::from_uuid(pipeline_id), input).await })
            .map(Stage)
    }

    /// Renames the stage read at `version` or changes its probability.
    #[pyo3(signature = (id, version, *, name=None, probability=None))]
    fn update_stage(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        name: Option<String>,
        probability: Option<u8>,
    ) -> PyResult<Stage> {
        let patch = StagePatch { name, probability };
        let api = self.session.pipelines();
        run(py, async move { api.update_stage(StageId::from_uuid(id), patch, version).await })
            .map(Stage)
    }

    /// Removes the stage read at `version`.
    fn remove_stage(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.pipelines();
        run(py, async move { api.remove_stage(StageId::from_uuid(id), version).await })
    }

    /// For each stage of the pipeline, the number of deals in it and their total value per
    /// currency.
    fn summary(&self, py: Python<'_>, id: Uuid) -> PyResult<Vec<StageSummary>> {
        let api = self.session.pipelines();
        Ok(run(py, async move { api.summary(PipelineId::from_uuid(id)).await })?
            .into_iter()
            .map(StageSummary)
            .collect())
    }
}

/// Lead sources (`session.sources`).
#[pyclass(frozen, module = "flame", name = "Sources")]
pub(crate) struct Sources {
    session: flame_db::Session,
}

#[pymethods]
impl Sources {
    /// Creates a source; its name must be new in the company.
    fn create(&self, py: Python<'_>, name: String) -> PyResult<Source> {
        let api = self.session.sources();
        run(py, async move { api.create(&name).await }).map(Source)
    }

    /// One source.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Source> {
        let api = self.session.sources();
        run(py, async move { api.get(SourceId::from_uuid(id)).await }).map(Source)
    }

    /// Every source of the company.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<Source>> {
        let api = self.session.sources();
        Ok(run(py, async move { api.list().await })?.into_iter().map(Source).collect())
    }

    /// Renames the source read at `version`.
    fn rename(&self, py: Python<'_>, id: Uuid, name: String, version: i64) -> PyResult<Source> {
        let api = self.session.sources();
        run(py, async move { api.rename(SourceId::from_uuid(id), &name, version).await })
            .map(Source)
    }

    /// Deletes the source read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.sources();
        run(py, async move { api.delete(SourceId::from_uuid(id), version).await })
    }
}

/// Activities: notes, tasks, calls and messages (`session.activities`).
#[pyclass(frozen, module = "flame", name = "Activities")]
pub(crate) struct Activities {
    session: flame_db::Session,
}

#[pymethods]
impl Activities {
    /// Records an activity about a contact, a deal or both. `kind` is "note", "task",
    /// "call", "message_in" or "message_out"; only tasks take `due_at`. Times must be
    /// timezone-aware.
    #[pyo3(signature = (kind, body, *, subject=None, contact_id=None, deal_id=None, due_at=None, occurred_at=None, owner_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        kind: &str,
        body: String,
        subject: Option<String>,
        contact_id: Option<Uuid>,
        deal_id: Option<Uuid>,
        due_at: Option<OffsetDateTime>,
        occurred_at: Option<OffsetDateTime>,
        owner_id: Option<Uuid>,
    ) -> PyResult<Activity> {
        let input = NewActivity {
            kind: parse::<ActivityKind>(py, kind)?,
            subject,
            body,
            contact_id: contact_id.map(ContactId::from_uuid),
            deal_id: deal_id.map(DealId::from_uuid),
            due_at,
            occurred_at,
            owner_id: owner_id.map(UserId::from_uuid),
        };
        let api = self.session.activities();
        run(py, async move { api.create(input).await }).map(Activity)
    }

    /// One activity.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Activity> {
        let api = self.session.activities();
        run(py, async move { api.get(ActivityId::from_uuid(id)).await }).map(Activity)
    }

    /// Changes the activity read at `version` (`subject=""` clears the subject).
    #[pyo3(signature = (id, version, *, subject=None, body=None, due_at=None))]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        subject: Option<String>,
        body: Option<String>,
        due_at: Option<OffsetDateTime>,
    ) -> PyResult<Activity> {
        let patch = ActivityPatch { subject, body, due_at };
        let api = self.session.activities();
        run(py, async move { api.update(ActivityId::from_uuid(id), version, patch).await })
            .map(Activity)
    }

    /// Marks the task read at `version` done.
    fn complete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<Activity> {
        let api = self.session.activities();
        run(py, async move { api.complete(ActivityId::from_uuid(id), version).await }).map(Activity)
    }

    /// Deletes the activity read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.activities();
        run(py, async move { api.delete(ActivityId::from_uuid(id), version).await })
    }

    /// Activities matching every given filter, a page at a time. `due_before` lists open
    /// tasks due at or before that (timezone-aware) time.
    #[pyo3(signature = (*, contact_id=None, deal_id=None, kind=None, due_before=None, owner_id=None, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        contact_id: Option<Uuid>,
        deal_id: Option<Uuid>,
        kind: Option<&str>,
        due_before: Option<OffsetDateTime>,
        owner_id: Option<Uuid>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = ActivityFilter {
            contact_id: contact_id.map(ContactId::from_uuid),
            deal_id: deal_id.map(DealId::from_uuid),
            kind: parse_opt::<ActivityKind>(py, kind)?,
            due_before,
            owner_id: owner_id.map(UserId::from_uuid),
        };
        let api = self.session.activities();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, Activity)
    }
}

/// Members of the company (`session.members`).
#[pyclass(frozen, module = "flame", name = "Members")]
pub(crate) struct Members {
    session: flame_db::Session,
}

#[pymethods]
impl Members {
    /// Adds a new user to the company with a role ("owner", "admin", "manager", "member",
    /// "viewer"). An email that already has an account raises `ConflictError` on "email":
    /// invite an existing user (`invitations.create`); they accept from their own session.
    fn add(&self, py: Python<'_>, email: String, name: String, role: &str) -> PyResult<Member> {
        let input = NewMember { email, name, role: parse::<Role>(py, role)? };
        let api = self.session.members();
        run(py, async move { api.add(input).await }).map(Member)
    }

    /// One member.
    fn get(&self, py: Python<'_>, user_id: Uuid) -> PyResult<Member> {
        let api = self.session.members();
        run(py, async move { api.get(UserId::from_uuid(user_id)).await }).map(Member)
    }

    /// The members, a page at a time.
    #[pyo3(signature = (*, limit=None, cursor=None))]
    fn list(&self, py: Python<'_>, limit: Option<u32>, cursor: Option<String>) -> PyResult<Page> {
        let api = self.session.members();
        let rust = run(py, async move { api.list(page(limit, cursor)).await })?;
        page_of(py, rust, Member)
    }

    /// Changes a member's role; `version` is their membership's version.
    fn change_role(
        &self,
        py: Python<'_>,
        user_id: Uuid,
        role: &str,
        version: i64,
    ) -> PyResult<Membership> {
        let role = parse::<Role>(py, role)?;
        let api = self.session.members();
        run(py, async move { api.change_role(UserId::from_uuid(user_id), role, version).await })
            .map(Membership)
    }

    /// Removes a member from the company (the last owner cannot be removed).
    fn remove(&self, py: Python<'_>, user_id: Uuid) -> PyResult<()> {
        let api = self.session.members();
        run(py, async move { api.remove(UserId::from_uuid(user_id)).await })
    }

    /// Hands the owner role to another member, atomically: they become an owner and the
    /// session's user an admin. Owners only.
    fn transfer_ownership(&self, py: Python<'_>, to: Uuid) -> PyResult<Member> {
        let api = self.session.members();
        run(py, async move { api.transfer_ownership(UserId::from_uuid(to)).await }).map(Member)
    }

    /// The session's user leaves the company. The last owner cannot leave
    /// (`ConflictError`): transfer ownership first.
    fn leave(&self, py: Python<'_>) -> PyResult<()> {
        let api = self.session.members();
        run(py, async move { api.leave().await })
    }
}

/// The company itself (`session.company`).
#[pyclass(frozen, module = "flame", name = "Companies")]
pub(crate) struct Companies {
    session: flame_db::Session,
}

#[pymethods]
impl Companies {
    /// The session's company.
    fn get(&self, py: Python<'_>) -> PyResult<Company> {
        let api = self.session.company();
        run(py, async move { api.get().await }).map(Company)
    }

    /// Renames the company read at `version`.
    fn rename(&self, py: Python<'_>, name: String, version: i64) -> PyResult<Company> {
        let api = self.session.company();
        run(py, async move { api.rename(&name, version).await }).map(Company)
    }

    /// Deletes the company read at `version`, with everything it owns (owners only).
    fn delete(&self, py: Python<'_>, version: i64) -> PyResult<()> {
        let api = self.session.company();
        run(py, async move { api.delete(version).await })
    }
}

/// The company's subscription (`session.billing`).
#[pyclass(frozen, module = "flame", name = "Billing")]
pub(crate) struct Billing {
    session: flame_db::Session,
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
    flame: flame_db::Flame,
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

/// The session user's own account (`session.account`).
#[pyclass(frozen, module = "flame", name = "Account")]
pub(crate) struct Account {
    session: flame_db::Session,
}

#[pymethods]
impl Account {
    /// The user.
    fn user(&self, py: Python<'_>) -> PyResult<User> {
        let api = self.session.account();
        run(py, async move { api.user().await }).map(User)
    }

    /// Every company the user belongs to, with their role there.
    fn companies(&self, py: Python<'_>) -> PyResult<Vec<CompanyMembership>> {
        let api = self.session.account();
        Ok(run(py, async move { api.companies().await })?
            .into_iter()
            .map(CompanyMembership)
            .collect())
    }

    /// Accepts an invitation sent to this user's email: they join its company and get a
    /// session there. One for another email raises `ForbiddenError`; unknown, used, revoked
    /// or expired ones `UnauthenticatedError`.
    fn accept_invitation(&self, py: Python<'_>, token: SecretArg) -> PyResult<Session> {
        let api = self.session.account();
        let inner = run(py, async move { api.accept_invitation(token.expose()).await })?;
        Ok(Session { inner })
    }

    /// Creates another company owned by this user (set up like `sign_up`'s) and returns it
    /// with the user and a session there.
    fn create_company(&self, py: Python<'_>, name: String) -> PyResult<SignedUp> {
        let api = self.session.account();
        let signed = run(py, async move { api.create_company(&name).await })?;
        Ok(SignedUp {
            company: Py::new(py, Company(signed.company))?,
            owner: Py::new(py, User(signed.owner))?,
            session: Py::new(py, Session { inner: signed.session })?,
        })
    }

    /// A new session of the same user in another of their companies.
    fn switch_company(&self, py: Python<'_>, company_id: Uuid) -> PyResult<Session> {
        let api = self.session.account();
        let inner =
            run(py, async move { api.switch_company(CompanyId::from_uuid(company_id)).await })?;
        Ok(Session { inner })
    }

    /// Changes the password after checking the `current` one (a wrong one raises
    /// `UnauthenticatedError`; a `new` one the policy refuses raises `ValidationError` on
    /// "new_password"). Every other session of the user is revoked; this one stays. With
    /// `revoke_api_tokens`, every API token of the user stops working too (by default they
    /// stay). A wrong current password counts as a failed login of the email.
    #[pyo3(signature = (current, new, *, revoke_api_tokens=false))]
    fn change_password(
        &self,
        py: Python<'_>,
        current: String,
        new: String,
        revoke_api_tokens: bool,
    ) -> PyResult<()> {
        let api = self.session.account();
        run(py, async move { api.change_password(&current, &new, revoke_api_tokens).await })
    }

    /// Logs the user out of every session, in every company, this one included; returns
    /// how many were revoked. API tokens stay valid unless `revoke_api_tokens`.
    #[pyo3(signature = (*, revoke_api_tokens=false))]
    fn logout_everywhere(&self, py: Python<'_>, revoke_api_tokens: bool) -> PyResult<u64> {
        let api = self.session.account();
        run(py, async move { api.logout_everywhere(revoke_api_tokens).await })
    }
}

/// The session user's API tokens in the session's company (`session.api_tokens`). Managing
/// tokens needs a login session: a token cannot create or revoke tokens.
#[pyclass(frozen, module = "flame", name = "ApiTokens")]
pub(crate) struct ApiTokens {
    session: flame_db::Session,
}

#[pymethods]
impl ApiTokens {
    /// Creates a token named `name` with `scope` ("read_only" or "read_write"), valid until
    /// `expires_at` (timezone-aware, in the future) or forever. Its secret text is in the
    /// result, shown this once.
    #[pyo3(signature = (name, scope, *, expires_at=None))]
    fn create(
        &self,
        py: Python<'_>,
        name: String,
        scope: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> PyResult<CreatedApiToken> {
        let input = NewApiToken { name, scope: parse::<Scope>(py, scope)?, expires_at };
        let api = self.session.api_tokens();
        let created = run(py, async move { api.create(input).await })?;
        Ok(CreatedApiToken { token: created.token, secret: created.secret })
    }

    /// The user's tokens in this company, revoked ones included, newest first.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<ApiToken>> {
        let api = self.session.api_tokens();
        Ok(run(py, async move { api.list().await })?.into_iter().map(ApiToken).collect())
    }

    /// Revokes one of the user's tokens at once; revoking it again changes nothing.
    fn revoke(&self, py: Python<'_>, id: Uuid) -> PyResult<ApiToken> {
        let api = self.session.api_tokens();
        run(py, async move { api.revoke(ApiTokenId::from_uuid(id)).await }).map(ApiToken)
    }
}

/// Invitations to join the session's company (`session.invitations`). Admins and owners
/// send and revoke them; only owners invite owners.
#[pyclass(frozen, module = "flame", name = "Invitations")]
pub(crate) struct Invitations {
    session: flame_db::Session,
}

#[pymethods]
impl Invitations {
    /// Invites `email` to join with `role`, for `valid_days` (1 to 30; 7 by default). The
    /// token to send the invitee is in the result, shown this once. Inviting a member raises
    /// `ConflictError`.
    #[pyo3(signature = (email, role, *, valid_days=None))]
    fn create(
        &self,
        py: Python<'_>,
        email: String,
        role: &str,
        valid_days: Option<u32>,
    ) -> PyResult<CreatedInvitation> {
        let input = NewInvitation { email, role: parse::<Role>(py, role)?, valid_days };
        let api = self.session.invitations();
        let created = run(py, async move { api.create(input).await })?;
        Ok(CreatedInvitation { invitation: created.invitation, token: created.token })
    }

    /// The invitations not yet accepted, revoked or expired, newest first.
    fn list_open(&self, py: Python<'_>) -> PyResult<Vec<Invitation>> {
        let api = self.session.invitations();
        Ok(run(py, async move { api.list_open().await })?.into_iter().map(Invitation).collect())
    }

    /// Revokes an invitation that was not accepted yet.
    fn revoke(&self, py: Python<'_>, id: Uuid) -> PyResult<Invitation> {
        let api = self.session.invitations();
        run(py, async move { api.revoke(InvitationId::from_uuid(id)).await }).map(Invitation)
    }
}

/// Platform administration (`session.platform`): every user and company of the store,
/// across tenants. Open only to users the host marked with `Flame.set_platform_admin`;
/// anyone else raises `ForbiddenError`, whatever their company role.
#[pyclass(frozen, module = "flame", name = "Platform")]
pub(crate) struct Platform {
    session: flame_db::Session,
}

#[pymethods]
impl Platform {
    /// Users, by creation, with their memberships, a page at a time; `search` keeps those
    /// whose email or name contains it (case-insensitive).
    #[pyo3(signature = (*, search=None, limit=None, cursor=None))]
    fn users(
        &self,
        py: Python<'_>,
        search: Option<String>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let api = self.session.platform();
        let rust = run(py, async move { api.users(search.as_deref(), page(limit, cursor)).await })?;
        page_of(py, rust, UserOverview)
    }

    /// Deactivates a user: they cannot log in or act, and every session and API token of
    /// theirs is revoked.
    fn deactivate_user(&self, py: Python<'_>, user_id: Uuid) -> PyResult<User> {
        let api = self.session.platform();
        run(py, async move { api.deactivate_user(UserId::from_uuid(user_id)).await }).map(User)
    }

    /// Lets a deactivated user log in again (their old sessions and tokens stay revoked).
    fn reactivate_user(&self, py: Python<'_>, user_id: Uuid) -> PyResult<User> {
        let api = self.session.platform();
        run(py, async move { api.reactivate_user(UserId::from_uuid(user_id)).await }).map(User)
    }

    /// Companies, by creation, each with its subscription, plan and member count, a page at
    /// a time.
    #[pyo3(signature = (*, limit=None, cursor=None))]
    fn companies(
        &self,
        py: Python<'_>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let api = self.session.platform();
        let rust = run(py, async move { api.companies(page(limit, cursor)).await })?;
        page_of(py, rust, CompanyOverview)
    }
}

/// The company's domain events (`session.events`).
#[pyclass(frozen, module = "flame", name = "Events")]
pub(crate) struct Events {
    session: flame_db::Session,
}

#[pymethods]
impl Events {
    /// Events in the order they were recorded, oldest first, a page at a time.
    #[pyo3(signature = (*, limit=None, cursor=None))]
    fn list(&self, py: Python<'_>, limit: Option<u32>, cursor: Option<String>) -> PyResult<Page> {
        let api = self.session.events();
        let rust = run(py, async move { api.list(page(limit, cursor)).await })?;
        page_of(py, rust, Event)
    }
}

/// Adds the handle classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Flame>()?;
    m.add_class::<SignedUp>()?;
    m.add_class::<Session>()?;
    m.add_class::<Plans>()?;
    m.add_class::<Contacts>()?;
    m.add_class::<Deals>()?;
    m.add_class::<Pipelines>()?;
    m.add_class::<Sources>()?;
    m.add_class::<Activities>()?;
    m.add_class::<Members>()?;
    m.add_class::<Companies>()?;
    m.add_class::<Billing>()?;
    m.add_class::<Subscriptions>()?;
    m.add_class::<Account>()?;
    m.add_class::<ApiTokens>()?;
    m.add_class::<Invitations>()?;
    m.add_class::<Platform>()?;
    m.add_class::<Events>()?;
    Ok(())
}
