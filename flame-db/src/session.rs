//! [`Session`]: the handle every tenant operation runs through, and how its standing is
//! read from the store.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use secrecy::SecretString;
use time::OffsetDateTime;

use flame_core::auth::{self, Action, Credential, Resource, Role, Standing};
use flame_core::billing::SubscriptionStatus;
use flame_core::{CompanyId, FlameError, Result, UserId, clock};

use crate::Flame;
use crate::sql::{Executor, Row, Tx, args};

/// An authenticated user acting in one company. Cheap to clone (an `Arc` inside).
///
/// Operations are grouped by aggregate: `session.contacts().create(…)`,
/// `session.deals().move_to_stage(…)`. Each checks, before any query runs, that the session
/// is still valid (else `Unauthenticated`) and that its role allows the action (else
/// `Forbidden`), and scopes every statement to the session's company, so that another
/// company's records answer `NotFound`.
///
/// A session stands on a stored credential (a login session or an API token). Every write
/// re-reads it inside its transaction: a revoked session, a deactivated or removed user, a
/// changed role and a read-only company take effect on the next write, whichever process
/// made the change. Reads re-read it when this store made such a change, and otherwise at
/// most [`OpenOptions::session_recheck`](crate::OpenOptions::session_recheck) apart.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    flame: Flame,
    token: Option<SecretString>,
    state: Mutex<Checked>,
}

#[derive(Clone)]
struct Checked {
    principal: auth::Session,
    at: Instant,
    generation: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("principal", &self.principal())
            .field("token", &self.inner.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Session {
    pub(crate) fn new(flame: Flame, principal: auth::Session, token: Option<SecretString>) -> Self {
        let generation = flame.generation();
        let state = Mutex::new(Checked { principal, at: Instant::now(), generation });
        Self { inner: Arc::new(Inner { flame, token, state }) }
    }

    /// Who, where, with which role and scope, until when, as last checked.
    pub fn principal(&self) -> auth::Session {
        self.checked().principal
    }

    /// The token that resumes this session with [`Flame::authenticate`] (for a cookie or a
    /// keychain). Sessions made from an API token have none: the host already holds the token.
    pub fn token(&self) -> Option<&SecretString> {
        self.inner.token.as_ref()
    }

    /// The acting user.
    pub fn user_id(&self) -> UserId {
        self.checked().principal.user_id
    }

    /// The company acted in.
    pub fn company_id(&self) -> CompanyId {
        self.checked().principal.company_id
    }

    /// The user's role in the company, as last checked.
    pub fn role(&self) -> Role {
        self.checked().principal.role
    }

    /// When the session expires.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.checked().principal.expires_at
    }

    pub(crate) fn flame(&self) -> &Flame {
        &self.inner.flame
    }

    fn checked(&self) -> Checked {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn store(&self, principal: auth::Session, generation: u64) {
        *self.inner.state.lock().unwrap_or_else(PoisonError::into_inner) =
            Checked { principal, at: Instant::now(), generation };
    }

    /// Checks validity and permission before any query of the operation runs; re-reads the
    /// session's standing first when the cached answer is out of date. Returns the time the
    /// operation runs at.
    pub(crate) async fn authorize(
        &self,
        action: Action,
        resource: Resource,
    ) -> Result<OffsetDateTime> {
        let now = clock::now();
        let checked = self.checked();
        checked.principal.ensure_valid(now)?;
        let flame = self.flame();
        let generation = flame.generation();
        let principal = if generation != checked.generation
            || checked.at.elapsed() >= flame.inner.options.session_recheck
        {
            let mut exec = flame.pool().exec();
            let (principal, _) = self.refresh(&mut exec, now, generation).await?;
            principal
        } else {
            checked.principal
        };
        auth::authorize(&principal, action, resource)?;
        Ok(now)
    }

    /// Checks permission against the standing read by [`begin`](Self::begin), inside a
    /// write transaction (for checks that depend on the record just read).
    pub(crate) fn permit(&self, action: Action, resource: Resource) -> Result<OffsetDateTime> {
        let now = clock::now();
        let principal = self.checked().principal;
        principal.ensure_valid(now)?;
        auth::authorize(&principal, action, resource)?;
        Ok(now)
    }

    /// Begins a write transaction after re-reading the session's standing inside it:
    /// revoked, expired or removed principals are `Unauthenticated`, and a company whose
    /// subscription is canceled or expired is `ReadOnly`.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let (tx, standing) = self.begin_reading_standing(false).await?;
        auth::Session::ensure_writable(&standing)?;
        Ok(tx)
    }

    /// Like [`begin`](Self::begin), for the writes a read-only company may still make
    /// (its account, its API tokens, deleting the company).
    pub(crate) async fn begin_any(&self) -> Result<Tx> {
        Ok(self.begin_reading_standing(false).await?.0)
    }

    /// Like [`begin`](Self::begin), after locking the company's row, for the writes that
    /// change who its owners are: they queue on that lock, and each reads the standing and
    /// the owner set only once the previous one committed (PostgreSQL; SQLite's write lock,
    /// taken by every write transaction, already serializes them).
    pub(crate) async fn begin_locking_company(&self) -> Result<Tx> {
        let (tx, standing) = self.begin_reading_standing(true).await?;
        auth::Session::ensure_writable(&standing)?;
        Ok(tx)
    }

    /// Like [`begin_any`](Self::begin_any), after locking the company's row (see
    /// [`begin_locking_company`](Self::begin_locking_company)).
    pub(crate) async fn begin_any_locking_company(&self) -> Result<Tx> {
        Ok(self.begin_reading_standing(true).await?.0)
    }

    async fn begin_reading_standing(&self, lock_company: bool) -> Result<(Tx, Standing)> {
        let now = clock::now();
        let generation = self.flame().generation();
        let mut tx = self.flame().pool().begin().await?;
        if lock_company && tx.backend() == crate::sql::Backend::Postgres {
            // Read committed: every statement after this one sees what the writers that held
            // the lock before committed.
            tx.fetch_optional(
                "SELECT id FROM companies WHERE id = $1 FOR UPDATE",
                args![self.tenant()],
            )
            .await?;
        }
        let (_, standing) = self.refresh(&mut tx, now, generation).await?;
        Ok((tx, standing))
    }

    async fn refresh(
        &self,
        exec: &mut impl Executor,
        now: OffsetDateTime,
        generation: u64,
    ) -> Result<(auth::Session, Standing)> {
        let current = self.checked().principal;
        let (principal, standing) = read_standing(exec, &current, now).await?;
        self.store(principal.clone(), generation);
        Ok((principal, standing))
    }

    /// The company id as bound to statements.
    pub(crate) fn tenant(&self) -> uuid::Uuid {
        self.company_id().as_uuid()
    }
}

const STANDING: &str = "u.active, u.platform_admin, m.role, s.status, s.trial_ends_at,
        a.revoked_at, a.expires_at";

/// Reads what the store says about `principal` now and applies it
/// ([`auth::Session::refreshed`]).
pub(crate) async fn read_standing(
    exec: &mut impl Executor,
    principal: &auth::Session,
    now: OffsetDateTime,
) -> Result<(auth::Session, Standing)> {
    let (table, id) = match principal.credential {
        Credential::Session(id) => ("auth_sessions", id.as_uuid()),
        Credential::ApiToken(id) => ("api_tokens", id.as_uuid()),
    };
    let sql = format!(
        "SELECT {STANDING} FROM {table} a
         JOIN users u ON u.id = a.user_id
         LEFT JOIN memberships m ON m.company_id = a.company_id AND m.user_id = a.user_id
         LEFT JOIN subscriptions s ON s.company_id = a.company_id
         WHERE a.id = $1 AND a.company_id = $2 AND a.user_id = $3"
    );
    let row = exec
        .fetch_optional(sql, args![id, principal.company_id.as_uuid(), principal.user_id.as_uuid()])
        .await?
        .ok_or_else(|| FlameError::unauthenticated("the session no longer exists"))?;
    let standing = standing_from_row(&row, now)?;
    let refreshed = principal.refreshed(&standing, now)?;
    Ok((refreshed, standing))
}

/// The standing columns of a row selected with the `STANDING` list.
pub(crate) fn standing_from_row(row: &Row, now: OffsetDateTime) -> Result<Standing> {
    let status: Option<SubscriptionStatus> = row.parse_opt("status")?;
    let trial_ends_at = row.opt_time("trial_ends_at")?;
    let subscription = status.map(|status| status.at(trial_ends_at, now));
    Ok(Standing {
        role: row.parse_opt("role")?,
        user_active: row.get("active")?,
        platform_admin: row.get("platform_admin")?,
        revoked: row.opt_time("revoked_at")?.is_some(),
        expires_at: row.opt_time("expires_at")?,
        subscription,
    })
}
