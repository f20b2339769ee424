//! The entry points: `flame.open`, `Flame` (an opened store), `SignedUp`, `Session` (an
//! authenticated user in one company) and `Account` (the session user's own account, which
//! hands out sessions). They wire the handle of each aggregate (`session.contacts` in
//! `contacts.rs`, `session.deals` in `deals.rs`, ...), which never import this module. Each
//! method is a conversion and a call of the matching `flame-db` method.

use std::time::Duration;

use pyo3::prelude::*;

use flame_core::account::{AcceptInvitation, Login};
use flame_core::company::SignUp;
use flame_core::{CompanyId, UserId};
use flame_db::{OpenOptions, SchemaMode};
use uuid::Uuid;

use crate::convert::parse;
use crate::errors::to_py_err;
use crate::integrations::{EncryptionKey, Inbound, Integrations, Rotation};
use crate::marketing::{Accounting, AccountingDocuments, Advertising, Leads, Reports};
use crate::records::{
    Company, CompanyMembership, EmailVerificationToken, Health, LockoutPolicy, PasswordHasher,
    Principal, User,
};
use crate::runtime::{run, run_infallible};
use crate::secret::{Secret, SecretArg};
use crate::webhooks::{WebhookDeliveries, WebhookWorker};

use crate::accounts::{ApiTokens, Invitations, Platform};
use crate::activities::Activities;
use crate::billing::{Billing, Plans, Subscriptions};
use crate::companies::{Companies, Members};
use crate::contacts::Contacts;
use crate::deals::Deals;
use crate::events::Events;
use crate::organizations::Organizations;
use crate::pipelines::Pipelines;
use crate::sources::Sources;

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
        run(py, async move { flame.reset_password(token.expose(), &new_password).await }).map(User)
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

    /// Organizations of the company: the companies it sells to.
    #[getter]
    fn organizations(&self) -> Organizations {
        Organizations { session: self.inner.clone() }
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

    /// The company's tags.
    #[getter]
    fn tags(&self) -> crate::tags::Tags {
        crate::tags::Tags { session: self.inner.clone() }
    }

    /// The company's custom field definitions.
    #[getter]
    fn custom_fields(&self) -> crate::custom::CustomFields {
        crate::custom::CustomFields { session: self.inner.clone() }
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

/// Adds the handle classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Flame>()?;
    m.add_class::<SignedUp>()?;
    m.add_class::<Session>()?;
    m.add_class::<Plans>()?;
    m.add_class::<Contacts>()?;
    m.add_class::<Deals>()?;
    m.add_class::<Organizations>()?;
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
