//! Accounts: password login with lockout, stored sessions and their tokens, API tokens,
//! invitations, the session user's own account, and platform administration.

use std::collections::HashMap;

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use flame_core::account::{
    AcceptInvitation, ApiToken, CURRENT_PASSWORD_REFUSED, CompanyMembership, CompanyOverview,
    CreatedApiToken, CreatedInvitation, INVITATION_REFUSED, Invitation, LOGIN_REFUSED, Login,
    LoginThrottle, NewApiToken, NewInvitation, UserOverview, ensure_may_grant,
};
use flame_core::auth::{self, Action, Credential, Resource, Role, Scope};
use flame_core::billing::{Limit, Plan};
use flame_core::company::{Company, SignUp, User};
use flame_core::event::EventPayload;
use flame_core::page::{Page, PageRequest};
use flame_core::password::{HashingLimit, Password, Verified};
use flame_core::token::{self, TokenKind};
use flame_core::{
    ApiTokenId, CompanyId, Email, FlameError, InvitationId, Result, SessionId, UserId, clock,
};

use crate::company::{
    SignedUp, USER_COLUMNS, company_from_row, create_company, create_user, insert_membership,
    user_exists, user_from_row,
};
use crate::flame::Flame;
use crate::session::Session;
use crate::session::standing_from_row;
use crate::sql::{Executor, Row, Statement, Tx, args, found};
use crate::{billing, outbox, usage};

/// How long an API token without expiry is trusted between two standing checks; the check
/// itself (revocation, membership) still runs as for any session.
const API_SESSION_HORIZON: time::Duration = time::Duration::days(3650);

pub(crate) fn email_key(email: &Email) -> String {
    hex::encode(Sha256::digest(email.as_str().as_bytes()))
}

fn refused() -> FlameError {
    FlameError::unauthenticated(LOGIN_REFUSED)
}

/// One turn to hash or check a password ([`OpenOptions::password_hashing`](crate::OpenOptions)):
/// while it is held, one fewer hash or check may run. Dropping it gives the turn back.
#[doc(hidden)]
#[derive(Debug)]
pub struct HashingTurn(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// Who may act: sign-up, login and session tokens, password hashing, invitations accepted
/// by new users, and the users themselves (reached through [`Flame`]'s methods in `handles.rs`).
pub(crate) struct Identity<'a> {
    flame: &'a Flame,
}

impl<'a> Identity<'a> {
    pub(crate) fn new(flame: &'a Flame) -> Self {
        Self { flame }
    }

    /// Waits for a turn to hash or check a password, at most the configured queue timeout;
    /// then `Unauthenticated` ([`HASHING_BUSY`](flame_core::password::HASHING_BUSY)).
    pub(crate) async fn hashing_turn(&self) -> Result<HashingTurn> {
        let wait = self.flame.inner.options.password_hashing.queue_timeout;
        match tokio::time::timeout(wait, self.flame.inner.hashing.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(HashingTurn(permit)),
            _ => Err(HashingLimit::busy()),
        }
    }

    /// Hashes a password off the async runtime (Argon2id takes tens of milliseconds), once it
    /// gets a turn.
    pub(crate) async fn hash_password(&self, password: Password) -> Result<String> {
        let turn = self.hashing_turn().await?;
        let hasher = self.flame.inner.options.password_hasher.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            hasher.hash(&password)
        })
        .await
        .map_err(|_| FlameError::Crypto { reason: "password hashing was interrupted".into() })?
    }

    /// Verifies a password off the async runtime, in the `turn` taken for it (held until the
    /// check ends, even if the caller stops waiting); with no stored hash, spends the same
    /// time and answers `Mismatch`.
    async fn verify_password(
        &self,
        turn: HashingTurn,
        password: Password,
        stored: Option<String>,
    ) -> Verified {
        let hasher = self.flame.inner.options.password_hasher.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            match stored {
                Some(hash) => hasher.verify(&password, &hash),
                None => {
                    hasher.verify_nothing(&password);
                    Verified::Mismatch
                }
            }
        })
        .await
        .unwrap_or(Verified::Mismatch)
    }

    /// Stores a new login session for an active member and returns it with its token.
    pub(crate) async fn start_session(
        &self,
        tx: &mut Tx,
        user_id: UserId,
        company_id: CompanyId,
        now: OffsetDateTime,
    ) -> Result<Session> {
        let row = tx
            .fetch_optional(
                "SELECT m.role, u.active, u.platform_admin FROM memberships m
                 JOIN users u ON u.id = m.user_id WHERE m.company_id = $1 AND m.user_id = $2",
                args![company_id.as_uuid(), user_id.as_uuid()],
            )
            .await?
            .ok_or_else(|| FlameError::unauthenticated("no such member of that company"))?;
        if !row.get::<bool>("active")? {
            return Err(FlameError::unauthenticated("the user is deactivated"));
        }
        let ttl = time::Duration::try_from(self.flame.inner.options.session_ttl)
            .unwrap_or(time::Duration::HOUR);
        let issued = token::issue(TokenKind::Session);
        let id = SessionId::new();
        let principal = auth::Session {
            user_id,
            company_id,
            role: row.parse("role")?,
            scope: Scope::ReadWrite,
            platform_admin: row.get("platform_admin")?,
            credential: Credential::Session(id),
            expires_at: now + ttl,
        };
        tx.execute(
            "INSERT INTO auth_sessions (id, user_id, company_id, token_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![
                id.as_uuid(),
                user_id.as_uuid(),
                company_id.as_uuid(),
                issued.hash.as_str(),
                now,
                principal.expires_at
            ],
        )
        .await?;
        Ok(Session::new(self.flame.clone(), principal, Some(issued.secret)))
    }

    pub(crate) async fn login(&self, login: Login) -> Result<Session> {
        let email = Email::parse(&login.email)?;
        let attempt = Password::attempt(&login.password);
        let key = email_key(&email);
        // The turn comes first: a login refused for lack of one is not counted as a failure.
        let turn = self.hashing_turn().await?;
        let now = clock::now();
        let exec = &mut self.flame.pool().exec();
        let user = exec
            .fetch_optional(
                "SELECT id, active, password_hash, email_verified_at FROM users WHERE email = $1",
                args![email.as_str()],
            )
            .await?;
        let (user_id, stored, verified_at) = match &user {
            Some(row) if row.get::<bool>("active")? => (
                Some(row.id::<UserId>("id")?),
                row.get::<Option<String>>("password_hash")?,
                row.opt_time("email_verified_at")?,
            ),
            _ => (None, None, None),
        };
        if !self.reserve_login_attempt(&key, now).await? {
            self.verify_password(turn, attempt, None).await;
            return Err(refused());
        }
        let verified = self.verify_password(turn, attempt.clone(), stored).await;
        let (Some(user_id), Verified::Match { rehash }) = (user_id, verified) else {
            // The attempt was counted, and any lockout it earns set, when it was reserved.
            return Err(refused());
        };
        // Only now, with the password right, may the answer say more than `LOGIN_REFUSED`.
        if let Err(err) = self.flame.inner.options.email_verification.ensure_may_log_in(verified_at)
        {
            self.clear_login_throttle(&key).await?;
            return Err(err);
        }
        let company_id = match self.login_company(user_id, login.company_id).await {
            Ok(id) => id,
            Err(err) => {
                // The password was right: the attempt is not a failure.
                self.clear_login_throttle(&key).await?;
                return Err(err);
            }
        };
        // Re-hashing is opportunistic: without a turn now, the next login does it.
        let new_hash = if rehash { self.hash_password(attempt).await.ok() } else { None };
        let mut tx = self.flame.pool().begin().await?;
        tx.execute("DELETE FROM login_throttle WHERE email_hash = $1", args![key]).await?;
        if let Some(hash) = new_hash {
            tx.execute(
                "UPDATE users SET password_hash = $1 WHERE id = $2",
                args![hash, user_id.as_uuid()],
            )
            .await?;
        }
        let session = self.start_session(&mut tx, user_id, company_id, now).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Forgets the login failures of the email whose key is `key` (its password was just
    /// proved).
    pub(crate) async fn clear_login_throttle(&self, key: &str) -> Result<()> {
        self.flame
            .pool()
            .exec()
            .execute("DELETE FROM login_throttle WHERE email_hash = $1", args![key])
            .await?;
        Ok(())
    }

    /// Counts one login attempt for `key` before its password is checked and answers whether
    /// it may be checked ([`LoginThrottle::reserve`]): the attempt is counted as a failure,
    /// and any lockout it would earn set, until a success resets the throttle. One statement
    /// counts and reads, so concurrent attempts each see their own count and at most
    /// `max_failures` of them are ever checked.
    pub(crate) async fn reserve_login_attempt(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.flame.pool().begin().await?;
        let row = tx
            .fetch_one(
                "INSERT INTO login_throttle (email_hash, failures, locked_until, updated_at)
                 VALUES ($1, 1, NULL, $2)
                 ON CONFLICT (email_hash) DO UPDATE
                 SET failures = login_throttle.failures + 1, updated_at = $2
                 RETURNING failures, locked_until",
                args![key, now],
            )
            .await?;
        let counted = LoginThrottle {
            failures: u32::try_from(row.int32("failures")?).unwrap_or(u32::MAX),
            locked_until: row.opt_time("locked_until")?,
        };
        let reserved = counted.reserve(now, &self.flame.inner.options.lockout);
        if let Some(presumed) = reserved
            && presumed.locked_until != counted.locked_until
        {
            tx.execute(
                "UPDATE login_throttle SET locked_until = $1 WHERE email_hash = $2",
                args![presumed.locked_until, key],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(reserved.is_some())
    }

    /// The company a login acts in: the one asked for, or the user's only company.
    async fn login_company(&self, user: UserId, asked: Option<CompanyId>) -> Result<CompanyId> {
        let rows = self
            .flame
            .pool()
            .exec()
            .fetch_all(
                "SELECT company_id FROM memberships WHERE user_id = $1 ORDER BY created_at",
                args![user.as_uuid()],
            )
            .await?;
        let companies = rows.iter().map(|r| r.id("company_id")).collect::<Result<Vec<_>>>()?;
        match (asked, companies.as_slice()) {
            (Some(id), all) if all.contains(&id) => Ok(id),
            (Some(_), _) => Err(FlameError::unauthenticated("no such member of that company")),
            (None, [only]) => Ok(*only),
            (None, []) => Err(FlameError::unauthenticated("the user belongs to no company")),
            (None, all) => Err(FlameError::validation(
                "company_id",
                format!("the user belongs to {} companies; choose one", all.len()),
            )),
        }
    }

    pub(crate) async fn authenticate(&self, token: &str) -> Result<Session> {
        let now = clock::now();
        let kind = token::kind_of(token)
            .filter(|k| matches!(k, TokenKind::Session | TokenKind::Api))
            .ok_or_else(|| FlameError::unauthenticated("not a session or API token"))?;
        let hash = token::hash_presented(kind, token)?;
        let (table, extra) = match kind {
            TokenKind::Api => ("api_tokens", ", a.scope"),
            _ => ("auth_sessions", ""),
        };
        let sql = format!(
            "SELECT a.id AS credential_id, a.user_id, a.company_id{extra},
                    u.active, u.platform_admin, m.role, s.status, s.trial_ends_at,
                    a.revoked_at, a.expires_at
             FROM {table} a
             JOIN users u ON u.id = a.user_id
             LEFT JOIN memberships m ON m.company_id = a.company_id AND m.user_id = a.user_id
             LEFT JOIN subscriptions s ON s.company_id = a.company_id
             WHERE a.token_hash = $1"
        );
        let row = self
            .flame
            .pool()
            .exec()
            .fetch_optional(sql, args![hash.as_str()])
            .await?
            .ok_or_else(|| FlameError::unauthenticated("unknown token"))?;
        let standing = standing_from_row(&row, now)?;
        let (credential, scope) = match kind {
            TokenKind::Api => {
                (Credential::ApiToken(row.id("credential_id")?), row.parse::<Scope>("scope")?)
            }
            _ => (Credential::Session(row.id("credential_id")?), Scope::ReadWrite),
        };
        let provisional = auth::Session {
            user_id: row.id("user_id")?,
            company_id: row.id("company_id")?,
            role: Role::Viewer,
            scope,
            platform_admin: false,
            credential,
            expires_at: standing.expires_at.unwrap_or(now + API_SESSION_HORIZON),
        };
        let principal = provisional.refreshed(&standing, now)?;
        if let Credential::ApiToken(id) = credential {
            self.flame
                .pool()
                .exec()
                .execute(
                    "UPDATE api_tokens SET last_used_at = $1 WHERE company_id = $2 AND id = $3",
                    args![now, principal.company_id.as_uuid(), id.as_uuid()],
                )
                .await?;
            return Ok(Session::new(self.flame.clone(), principal, None));
        }
        Ok(Session::new(self.flame.clone(), principal, Some(SecretString::from(token.trim()))))
    }

    pub(crate) async fn accept_invitation(&self, input: AcceptInvitation) -> Result<Session> {
        let hash = token::hash_presented(TokenKind::Invitation, &input.token)
            .map_err(|_| invitation_refused())?;
        let now = clock::now();
        let invitation = self.open_invitation(&hash, now).await?;
        let (name, password) = input.new_user(&invitation.email)?;
        let password_hash = match password {
            Some(p) => Some(self.hash_password(p).await?),
            None => None,
        };
        let mut tx = self.flame.pool().begin().await?;
        let taken = tx
            .fetch_optional(
                "SELECT id FROM users WHERE email = $1",
                args![invitation.email.as_str()],
            )
            .await?;
        if taken.is_some() {
            return Err(invitation_refused());
        }
        let user =
            create_user(&mut tx, &invitation.email, &name, password_hash.as_deref(), now).await?;
        let session = self.join_by_invitation(&mut tx, &invitation, user.id, now).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// The open invitation whose token digest is `hash`, or `Unauthenticated`.
    async fn open_invitation(
        &self,
        hash: &token::TokenHash,
        now: OffsetDateTime,
    ) -> Result<Invitation> {
        let sql = format!("{INVITATION_COLUMNS} WHERE token_hash = $1");
        let row = self.flame.pool().exec().fetch_optional(sql, args![hash.as_str()]).await?;
        let invitation =
            row.as_ref().map(invitation_from_row).transpose()?.ok_or_else(invitation_refused)?;
        invitation.ensure_open(now)?;
        Ok(invitation)
    }

    /// Inside `tx`: claims the invitation (once), checks its inviter may still grant its role,
    /// adds `user_id` to its company and starts their session there.
    async fn join_by_invitation(
        &self,
        tx: &mut Tx,
        invitation: &Invitation,
        user_id: UserId,
        now: OffsetDateTime,
    ) -> Result<Session> {
        let company = invitation.company_id;
        let claimed = tx
            .execute(
                "UPDATE invitations SET accepted_at = $1
                 WHERE company_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL
                   AND expires_at > $1",
                args![now, company.as_uuid(), invitation.id.as_uuid()],
            )
            .await?;
        if claimed == 0 {
            return Err(invitation_refused());
        }
        let inviter = tx
            .fetch_optional(
                "SELECT u.active, m.role FROM users u
                 LEFT JOIN memberships m ON m.user_id = u.id AND m.company_id = $1
                 WHERE u.id = $2",
                args![company.as_uuid(), invitation.invited_by.as_uuid()],
            )
            .await?;
        let (inviter_role, inviter_active) = match &inviter {
            Some(row) => (
                row.get::<Option<String>>("role")?.map(|r| r.parse::<Role>()).transpose()?,
                row.get::<bool>("active")?,
            ),
            None => (None, false),
        };
        invitation.ensure_inviter_may_grant(inviter_role, inviter_active)?;
        let member = tx
            .fetch_optional(
                "SELECT role FROM memberships WHERE company_id = $1 AND user_id = $2",
                args![company.as_uuid(), user_id.as_uuid()],
            )
            .await?;
        if member.is_some() {
            return Err(FlameError::conflict(
                "member",
                "the user is already a member of this company",
            ));
        }
        billing::ensure_company_writable(tx, company, now).await?;
        usage::reserve(tx, company, Limit::Seats, 1).await?;
        insert_membership(tx, company, user_id, invitation.role, now).await?;
        outbox::record(
            tx,
            company,
            Some(user_id),
            now,
            vec![EventPayload::MemberAdded { user_id, role: invitation.role }],
        )
        .await?;
        self.start_session(tx, user_id, company, now).await
    }

    pub(crate) async fn set_password(&self, user_id: UserId, password: &str) -> Result<()> {
        let email = self.user_email(user_id).await?;
        let password = Password::new("password", password, Some(&email))?;
        let hash = self.hash_password(password).await?;
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        tx.execute(
            "UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1
             WHERE id = $3",
            args![hash, now, user_id.as_uuid()],
        )
        .await?;
        revoke_sessions(&mut tx, user_id, None, now).await?;
        tx.commit().await?;
        self.flame.standing_changed();
        Ok(())
    }

    pub(crate) async fn set_platform_admin(&self, user_id: UserId, admin: bool) -> Result<User> {
        let now = clock::now();
        let changed = self
            .flame
            .pool()
            .exec()
            .execute(
                "UPDATE users SET platform_admin = $1, updated_at = $2, version = version + 1
                 WHERE id = $3",
                args![admin, now, user_id.as_uuid()],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::not_found("user"));
        }
        self.flame.standing_changed();
        self.user(user_id).await
    }

    pub(crate) async fn user(&self, user_id: UserId) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let row = self.flame.pool().exec().fetch_optional(sql, args![user_id.as_uuid()]).await?;
        found(row, user_from_row, "user")
    }

    async fn user_email(&self, user_id: UserId) -> Result<Email> {
        Ok(self.user(user_id).await?.email)
    }
}

impl Identity<'_> {
    pub(crate) async fn sign_up(&self, input: SignUp) -> Result<SignedUp> {
        let valid = input.validate()?;
        let now = clock::now();
        let password_hash = match &valid.password {
            Some(p) => Some(self.hash_password(p.clone()).await?),
            None => None,
        };
        let mut tx = self.flame.pool().begin().await?;
        if user_exists(&mut tx, &valid.owner_email).await? {
            return Err(FlameError::conflict(
                "owner_email",
                "already has an account; sign in to create another company",
            ));
        }
        let owner = create_user(
            &mut tx,
            &valid.owner_email,
            &valid.owner_name,
            password_hash.as_deref(),
            now,
        )
        .await?;
        let company = create_company(&mut tx, &owner, valid.company_name, now).await?;
        let session = self.start_session(&mut tx, owner.id, company.id, now).await?;
        tx.commit().await?;
        Ok(SignedUp { company, owner, session })
    }

    pub(crate) async fn session(&self, user_id: UserId, company_id: CompanyId) -> Result<Session> {
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let session = self.start_session(&mut tx, user_id, company_id, now).await?;
        tx.commit().await?;
        Ok(session)
    }
}

fn invitation_refused() -> FlameError {
    FlameError::unauthenticated(INVITATION_REFUSED)
}

/// Revokes the user's sessions (all of them, or all but `keep`).
pub(crate) async fn revoke_sessions(
    tx: &mut Tx,
    user: UserId,
    keep: Option<SessionId>,
    now: OffsetDateTime,
) -> Result<u64> {
    let keep = keep.map_or(Uuid::nil(), |k| k.as_uuid());
    tx.execute(
        "UPDATE auth_sessions SET revoked_at = $1
         WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL",
        args![now, user.as_uuid(), keep],
    )
    .await
}

/// Logs `session` out ([`Session::logout`]).
pub(crate) async fn logout(session: &Session) -> Result<()> {
    session.authorize(Action::Update, Resource::Account).await?;
    let Credential::Session(id) = session.principal().credential else {
        return Err(FlameError::forbidden("log out with an API token"));
    };
    session
        .flame()
        .pool()
        .exec()
        .execute(
            "UPDATE auth_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            args![clock::now(), id.as_uuid()],
        )
        .await?;
    session.flame().standing_changed();
    Ok(())
}

/// The session user's own account: profile, companies, password, sessions.
#[derive(Debug, Clone)]
pub struct Account {
    session: Session,
}

impl Account {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// The user.
    pub async fn user(&self) -> Result<User> {
        self.session.authorize(Action::Read, Resource::Account).await?;
        Identity::new(self.session.flame()).user(self.session.user_id()).await
    }

    /// Every company the user belongs to, with their role there (for a company switcher).
    pub async fn companies(&self) -> Result<Vec<CompanyMembership>> {
        self.session.authorize(Action::Read, Resource::Account).await?;
        memberships_of(&mut self.session.flame().pool().exec(), &[self.session.user_id()])
            .await
            .map(|mut by_user| by_user.remove(&self.session.user_id()).unwrap_or_default())
    }

    /// Accepts an invitation sent to this user's email: they join its company with the
    /// invited role and get a session there (this session stays as it was). An invitation
    /// for another email is `Forbidden`; unknown, used, revoked and expired ones, and ones
    /// whose inviter may no longer grant their role, are `Unauthenticated`
    /// ([`INVITATION_REFUSED`]); already being a member is a `Conflict`.
    pub async fn accept_invitation(&self, token: &str) -> Result<Session> {
        self.session.authorize(Action::Update, Resource::Account).await?;
        let flame = self.session.flame();
        let hash = token::hash_presented(TokenKind::Invitation, token)
            .map_err(|_| invitation_refused())?;
        let now = clock::now();
        let invitation = Identity::new(flame).open_invitation(&hash, now).await?;
        let user = Identity::new(flame).user(self.session.user_id()).await?;
        invitation.ensure_addressed_to(&user.email)?;
        // The session's standing is re-read inside the transaction, as for every write.
        let mut tx = self.session.begin_any().await?;
        self.session.permit(Action::Update, Resource::Account)?;
        let session =
            Identity::new(flame).join_by_invitation(&mut tx, &invitation, user.id, now).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Creates another company owned by this user, set up like [`Flame::sign_up`]'s (default
    /// pipeline and sources, a trial on the default plan), and returns it with a session of
    /// the user there.
    pub async fn create_company(&self, name: &str) -> Result<SignedUp> {
        self.session.authorize(Action::Update, Resource::Account).await?;
        let name = flame_core::company::company_name(name)?;
        let flame = self.session.flame();
        let now = clock::now();
        let owner = Identity::new(flame).user(self.session.user_id()).await?;
        // The session's standing is re-read inside the transaction, as for every write.
        let mut tx = self.session.begin_any().await?;
        self.session.permit(Action::Update, Resource::Account)?;
        let company = create_company(&mut tx, &owner, name, now).await?;
        let session =
            Identity::new(flame).start_session(&mut tx, owner.id, company.id, now).await?;
        tx.commit().await?;
        Ok(SignedUp { company, owner, session })
    }

    /// A new session of the same user in another of their companies. A session revoked
    /// (logout, logout everywhere, from any handle) is `Unauthenticated` here at once, not
    /// only after the standing recheck interval.
    pub async fn switch_company(&self, company_id: CompanyId) -> Result<Session> {
        self.session.authorize(Action::Update, Resource::Account).await?;
        let flame = self.session.flame();
        // The session's standing is re-read inside the transaction, so a session revoked a
        // moment ago (logout, logout everywhere, another process) mints nothing.
        let mut tx = self.session.begin_any().await?;
        self.session.permit(Action::Update, Resource::Account)?;
        let session = Identity::new(flame)
            .start_session(&mut tx, self.session.user_id(), company_id, clock::now())
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Changes the password after checking the current one; every other session of the user
    /// is revoked (this one stays), and with `revoke_api_tokens` every API token of theirs,
    /// in every company, too (by default tokens stay: scripts keep working; ask for it when
    /// the old password may have leaked).
    ///
    /// A wrong current password is `Unauthenticated` and counts as a failed login of the
    /// user's email ([`LockoutPolicy`](flame_core::account::LockoutPolicy)): whoever holds a
    /// session cannot guess the password through this call faster than through
    /// [`Flame::login`], and while the email is locked out the current password is not even
    /// checked.
    pub async fn change_password(
        &self,
        current: &str,
        new: &str,
        revoke_api_tokens: bool,
    ) -> Result<()> {
        self.session.authorize(Action::Update, Resource::Account).await?;
        let flame = self.session.flame();
        let user_id = self.session.user_id();
        let row = flame
            .pool()
            .exec()
            .fetch_optional(
                "SELECT email, password_hash FROM users WHERE id = $1",
                args![user_id.as_uuid()],
            )
            .await?
            .ok_or_else(|| FlameError::not_found("user"))?;
        let email: Email = row.parse("email")?;
        let stored: Option<String> = row.get("password_hash")?;
        let new = Password::new("new_password", new, Some(&email))?;
        let key = email_key(&email);
        let turn = Identity::new(flame).hashing_turn().await?;
        if !Identity::new(flame).reserve_login_attempt(&key, clock::now()).await? {
            return Err(FlameError::unauthenticated(CURRENT_PASSWORD_REFUSED));
        }
        if !matches!(
            Identity::new(flame).verify_password(turn, Password::attempt(current), stored).await,
            Verified::Match { .. }
        ) {
            return Err(FlameError::unauthenticated(CURRENT_PASSWORD_REFUSED));
        }
        Identity::new(flame).clear_login_throttle(&key).await?;
        let hash = Identity::new(flame).hash_password(new).await?;
        let now = clock::now();
        let mut tx = self.session.begin_any().await?;
        self.session.permit(Action::Update, Resource::Account)?;
        tx.execute(
            "UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1
             WHERE id = $3",
            args![hash, now, user_id.as_uuid()],
        )
        .await?;
        let keep = match self.session.principal().credential {
            Credential::Session(id) => Some(id),
            Credential::ApiToken(_) => None,
        };
        revoke_sessions(&mut tx, user_id, keep, now).await?;
        if revoke_api_tokens {
            revoke_api_tokens_of(&mut tx, user_id, now).await?;
        }
        tx.commit().await?;
        flame.standing_changed();
        Ok(())
    }

    /// Logs the user out of every session, in every company, this one included, and answers
    /// how many sessions it revoked. With `revoke_api_tokens`, every API token of theirs, in
    /// every company, stops working too; by default tokens stay valid (scripts and servers
    /// keep running; revoke them here or one by one when they may have leaked).
    pub async fn logout_everywhere(&self, revoke_api_tokens: bool) -> Result<u64> {
        self.session.authorize(Action::Update, Resource::Account).await?;
        let now = clock::now();
        let mut tx = self.session.flame().pool().begin().await?;
        let n = revoke_sessions(&mut tx, self.session.user_id(), None, now).await?;
        if revoke_api_tokens {
            revoke_api_tokens_of(&mut tx, self.session.user_id(), now).await?;
        }
        tx.commit().await?;
        self.session.flame().standing_changed();
        Ok(n)
    }
}

/// Revokes every API token of `user`, in every company.
pub(crate) async fn revoke_api_tokens_of(
    tx: &mut Tx,
    user: UserId,
    now: OffsetDateTime,
) -> Result<u64> {
    tx.execute(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        args![now, user.as_uuid()],
    )
    .await
}

const API_TOKEN_COLUMNS: &str = "SELECT company_id, id, user_id, name, scope, expires_at,
        last_used_at, revoked_at, created_at FROM api_tokens";

fn api_token_from_row(row: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        user_id: row.id("user_id")?,
        name: row.get("name")?,
        scope: row.parse("scope")?,
        expires_at: row.opt_time("expires_at")?,
        last_used_at: row.opt_time("last_used_at")?,
        revoked_at: row.opt_time("revoked_at")?,
        created_at: row.time("created_at")?,
    })
}

/// The session user's API tokens in the session's company. A token acts as its user, with
/// the user's current role, limited to its scope. Managing tokens needs a login session: a
/// token cannot create or revoke tokens.
#[derive(Debug, Clone)]
pub struct ApiTokens {
    session: Session,
}

impl ApiTokens {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    fn resource(&self) -> Resource {
        Resource::ApiToken { owner: self.session.user_id() }
    }

    /// Creates a token; its text is in the result, shown this once.
    pub async fn create(&self, input: NewApiToken) -> Result<CreatedApiToken> {
        let now = self.session.authorize(Action::Create, self.resource()).await?;
        let token = input.validate(self.session.company_id(), self.session.user_id(), now)?;
        let issued = token::issue(TokenKind::Api);
        let mut tx = self.session.begin_any().await?;
        self.session.permit(Action::Create, self.resource())?;
        tx.execute(
            "INSERT INTO api_tokens (company_id, id, user_id, name, scope, token_hash, expires_at,
                                     created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                token.company_id.as_uuid(),
                token.id.as_uuid(),
                token.user_id.as_uuid(),
                token.name.clone(),
                token.scope.as_str(),
                issued.hash.as_str(),
                token.expires_at,
                now
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedApiToken { token, secret: issued.secret })
    }

    /// The user's tokens in this company, revoked ones included, newest first.
    pub async fn list(&self) -> Result<Vec<ApiToken>> {
        self.session.authorize(Action::Read, self.resource()).await?;
        let sql =
            format!("{API_TOKEN_COLUMNS} WHERE company_id = $1 AND user_id = $2 ORDER BY id DESC");
        let rows = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_all(sql, args![self.session.tenant(), self.session.user_id().as_uuid()])
            .await?;
        rows.iter().map(api_token_from_row).collect()
    }

    /// Revokes one of the user's tokens at once; revoking it again changes nothing.
    pub async fn revoke(&self, id: ApiTokenId) -> Result<ApiToken> {
        let now = self.session.authorize(Action::Delete, self.resource()).await?;
        let exec = &mut self.session.flame().pool().exec();
        let (c, u) = (self.session.tenant(), self.session.user_id().as_uuid());
        exec.execute(
            "UPDATE api_tokens SET revoked_at = $1
             WHERE company_id = $2 AND user_id = $3 AND id = $4 AND revoked_at IS NULL",
            args![now, c, u, id.as_uuid()],
        )
        .await?;
        self.session.flame().standing_changed();
        let sql = format!("{API_TOKEN_COLUMNS} WHERE company_id = $1 AND user_id = $2 AND id = $3");
        let row = exec.fetch_optional(sql, args![c, u, id.as_uuid()]).await?;
        found(row, api_token_from_row, "api token")
    }
}

const INVITATION_COLUMNS: &str = "SELECT company_id, id, email, role, invited_by, expires_at,
        accepted_at, revoked_at, created_at FROM invitations";

fn invitation_from_row(row: &Row) -> Result<Invitation> {
    Ok(Invitation {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        email: row.parse("email")?,
        role: row.parse("role")?,
        invited_by: row.id("invited_by")?,
        expires_at: row.time("expires_at")?,
        accepted_at: row.opt_time("accepted_at")?,
        revoked_at: row.opt_time("revoked_at")?,
        created_at: row.time("created_at")?,
    })
}

/// Invitations to join the session's company. Sending and revoking them is a member
/// administration right (Admin and Owner); only owners invite owners.
#[derive(Debug, Clone)]
pub struct Invitations {
    session: Session,
}

impl Invitations {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Creates an invitation; the token to send the invitee is in the result, shown this
    /// once. Inviting someone who is already a member is a `Conflict`.
    pub async fn create(&self, input: NewInvitation) -> Result<CreatedInvitation> {
        let now = self.session.authorize(Action::Create, Resource::Member).await?;
        ensure_may_grant(self.session.role(), input.role)?;
        let invitation = input.validate(self.session.company_id(), self.session.user_id(), now)?;
        let issued = token::issue(TokenKind::Invitation);
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, Resource::Member)?;
        ensure_may_grant(self.session.role(), input.role)?;
        let member = tx
            .fetch_optional(
                "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.company_id = $1 AND u.email = $2",
                args![self.session.tenant(), invitation.email.as_str()],
            )
            .await?;
        if member.is_some() {
            return Err(FlameError::conflict("invitation", "the user is already a member"));
        }
        tx.execute(
            "INSERT INTO invitations (company_id, id, email, role, invited_by, token_hash,
                                      expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                invitation.company_id.as_uuid(),
                invitation.id.as_uuid(),
                invitation.email.as_str(),
                invitation.role.as_str(),
                invitation.invited_by.as_uuid(),
                issued.hash.as_str(),
                invitation.expires_at,
                now
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedInvitation { invitation, token: issued.secret })
    }

    /// The invitations not yet accepted, revoked or expired, newest first.
    pub async fn list_open(&self) -> Result<Vec<Invitation>> {
        let now = self.session.authorize(Action::Read, Resource::Member).await?;
        let sql = format!(
            "{INVITATION_COLUMNS} WHERE company_id = $1 AND accepted_at IS NULL
             AND revoked_at IS NULL AND expires_at > $2 ORDER BY id DESC"
        );
        let rows = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_all(sql, args![self.session.tenant(), now])
            .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// Revokes an invitation that was not accepted yet.
    pub async fn revoke(&self, id: InvitationId) -> Result<Invitation> {
        let now = self.session.authorize(Action::Delete, Resource::Member).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Delete, Resource::Member)?;
        let sql = format!("{INVITATION_COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = tx.fetch_optional(sql, args![self.session.tenant(), id.as_uuid()]).await?;
        let invitation = found(row, invitation_from_row, "invitation")?;
        if invitation.accepted_at.is_some() {
            return Err(FlameError::conflict("invitation", "it was already accepted"));
        }
        tx.execute(
            "UPDATE invitations SET revoked_at = $1
             WHERE company_id = $2 AND id = $3 AND revoked_at IS NULL",
            args![now, self.session.tenant(), id.as_uuid()],
        )
        .await?;
        tx.commit().await?;
        Ok(Invitation { revoked_at: invitation.revoked_at.or(Some(now)), ..invitation })
    }
}

/// The memberships of `users`, by user.
async fn memberships_of(
    exec: &mut impl Executor,
    users: &[UserId],
) -> Result<HashMap<UserId, Vec<CompanyMembership>>> {
    let mut by_user: HashMap<UserId, Vec<CompanyMembership>> = HashMap::new();
    if users.is_empty() {
        return Ok(by_user);
    }
    let mut q = Statement::new(
        "SELECT m.user_id, m.company_id, c.name AS company_name, m.role FROM memberships m
         JOIN companies c ON c.id = m.company_id WHERE m.user_id IN (",
        vec![],
    );
    let placeholders: Vec<String> = users.iter().map(|u| q.bind(u.as_uuid())).collect();
    q.push(&placeholders.join(", "));
    q.push(") ORDER BY m.created_at, m.company_id");
    let (sql, args) = q.build();
    for row in exec.fetch_all(sql, args).await? {
        by_user.entry(row.id("user_id")?).or_default().push(CompanyMembership {
            company_id: row.id("company_id")?,
            company_name: row.get("company_name")?,
            role: row.parse("role")?,
        });
    }
    Ok(by_user)
}

/// Platform administration: every user and company of the store, across tenants. Open only
/// to sessions of users the host marked with [`Flame::set_platform_admin`]; anyone else is
/// `Forbidden`, whatever their company role.
#[derive(Debug, Clone)]
pub struct Platform {
    session: Session,
}

impl Platform {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Users, by creation, with their memberships; `search` keeps those whose email or name
    /// contains it (case-insensitive).
    pub async fn users(
        &self,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<UserOverview>> {
        self.session.authorize(Action::Read, Resource::Platform).await?;
        let limit = page.limit()?;
        let search = flame_core::text::optional("search", search, flame_core::text::NAME_MAX)?;
        let mut q = Statement::new(
            "SELECT u.id, u.email, u.name, u.active, u.email_verified_at, u.created_at, u.updated_at, u.version, u.platform_admin FROM users u WHERE 1 = 1",
            vec![],
        );
        if let Some(search) = search {
            let pattern = format!("%{}%", like_escape(&search.to_lowercase()));
            let p = q.bind(pattern);
            q.push(&format!(
                " AND (LOWER(u.email) LIKE {p} ESCAPE '\\' OR LOWER(u.name) LIKE {p} ESCAPE '\\')"
            ));
        }
        q.and("u.id", ">", page.cursor_uuid()?);
        let p = q.bind(i64::from(limit) + 1);
        q.push(&format!(" ORDER BY u.id LIMIT {p}"));
        let (sql, args) = q.build();
        let exec = &mut self.session.flame().pool().exec();
        let rows = exec.fetch_all(sql, args).await?;
        let users = rows
            .iter()
            .map(|r| Ok((user_from_row(r)?, r.get::<bool>("platform_admin")?)))
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<UserId> = users.iter().map(|(u, _)| u.id).collect();
        let mut memberships = memberships_of(exec, &ids).await?;
        let items = users
            .into_iter()
            .map(|(user, platform_admin)| UserOverview {
                memberships: memberships.remove(&user.id).unwrap_or_default(),
                user,
                platform_admin,
            })
            .collect();
        Ok(Page::from_overfetch(items, limit, |u: &UserOverview| u.user.id.as_uuid()))
    }

    /// Deactivates a user: they cannot log in or act, and every session and API token of
    /// theirs is revoked. Their memberships and records stay.
    pub async fn deactivate_user(&self, user_id: UserId) -> Result<User> {
        let now = self.session.authorize(Action::Update, Resource::Platform).await?;
        if user_id == self.session.user_id() {
            return Err(FlameError::conflict(
                "user",
                "a platform administrator cannot deactivate themselves",
            ));
        }
        let flame = self.session.flame();
        let mut tx = self.session.begin_any().await?;
        self.session.permit(Action::Update, Resource::Platform)?;
        let changed = tx
            .execute(
                "UPDATE users SET active = $1, updated_at = $2, version = version + 1 WHERE id = $3",
                args![false, now, user_id.as_uuid()],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::not_found("user"));
        }
        revoke_sessions(&mut tx, user_id, None, now).await?;
        revoke_api_tokens_of(&mut tx, user_id, now).await?;
        tx.commit().await?;
        flame.standing_changed();
        Identity::new(flame).user(user_id).await
    }

    /// Lets a deactivated user log in again (their old sessions and tokens stay revoked).
    pub async fn reactivate_user(&self, user_id: UserId) -> Result<User> {
        let now = self.session.authorize(Action::Update, Resource::Platform).await?;
        let flame = self.session.flame();
        let changed = flame
            .pool()
            .exec()
            .execute(
                "UPDATE users SET active = $1, updated_at = $2, version = version + 1 WHERE id = $3",
                args![true, now, user_id.as_uuid()],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::not_found("user"));
        }
        flame.standing_changed();
        Identity::new(flame).user(user_id).await
    }

    /// Companies, by creation, each with its subscription (status as of now), plan and
    /// member count.
    pub async fn companies(&self, page: PageRequest) -> Result<Page<CompanyOverview>> {
        let now = self.session.authorize(Action::Read, Resource::Platform).await?;
        let limit = page.limit()?;
        let mut q = Statement::new(
            "SELECT id, name, created_at, updated_at, version FROM companies WHERE 1 = 1",
            vec![],
        );
        q.page(page.cursor_uuid()?, limit, false);
        let (sql, args) = q.build();
        let exec = &mut self.session.flame().pool().exec();
        let companies = exec
            .fetch_all(sql, args)
            .await?
            .iter()
            .map(company_from_row)
            .collect::<Result<Vec<Company>>>()?;
        let plans: HashMap<_, Plan> = billing::Plans::new(self.session.flame().clone())
            .list()
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut items = Vec::with_capacity(companies.len());
        for company in companies {
            let sql = format!("{} WHERE company_id = $1", billing::SUBSCRIPTION_COLUMNS);
            let row = exec.fetch_optional(sql, args![company.id.as_uuid()]).await?;
            let Some(row) = row else { continue };
            let subscription = billing::subscription_from_row(&row, now)?;
            let plan = plans
                .get(&subscription.plan_id)
                .cloned()
                .ok_or_else(|| crate::sql::corrupt("plan_id"))?;
            let members = exec
                .fetch_one(
                    "SELECT COUNT(*) AS n FROM memberships WHERE company_id = $1",
                    args![company.id.as_uuid()],
                )
                .await?
                .int("n")?;
            items.push(CompanyOverview {
                company,
                subscription,
                plan,
                members: u64::try_from(members).unwrap_or(0),
            });
        }
        Ok(Page::from_overfetch(items, limit, |c: &CompanyOverview| c.company.id.as_uuid()))
    }
}

fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
