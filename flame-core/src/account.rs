//! Accounts: logging in ([`Login`], with [`LockoutPolicy`]), API tokens ([`ApiToken`]),
//! invitations ([`Invitation`]) and what platform administrators see ([`UserOverview`],
//! [`CompanyOverview`]).

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::auth::{Role, Scope};
use crate::billing::{Plan, Subscription};
use crate::company::{Company, User};
use crate::email::Email;
use crate::error::{FlameError, Result};
use crate::id::{ApiTokenId, CompanyId, InvitationId, UserId};
use crate::password::Password;
use crate::text;

/// The one answer to every failed login, whatever failed: an unknown email, a wrong password,
/// a user without a password, a deactivated user or a locked account. Telling them apart
/// would tell an attacker which emails have accounts.
pub const LOGIN_REFUSED: &str = "wrong email or password, or too many attempts; try again later";

/// The answer to a password change whose current password is wrong, or that is tried while
/// the user's email is locked out: a wrong current password counts as a failed login of that
/// email ([`LockoutPolicy`]), so a stolen session guesses no faster than a login form.
pub const CURRENT_PASSWORD_REFUSED: &str =
    "the current password is wrong, or there were too many attempts; try again later";

/// A login attempt. It can be read from JSON but never written out: its `Debug` hides the
/// password and it has no `Serialize`.
///
/// ```compile_fail
/// # use flame_core::account::Login;
/// let login = Login { email: "a@b.io".into(), password: "secret".into(), company_id: None };
/// serde_json::to_string(&login).unwrap();
/// ```
#[derive(Clone, Deserialize)]
pub struct Login {
    /// The user's email.
    pub email: String,
    /// The password as typed.
    pub password: String,
    /// The company to act in; may be left out when the user belongs to exactly one.
    pub company_id: Option<CompanyId>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("company_id", &self.company_id)
            .finish()
    }
}

/// How repeated login failures slow an attacker down: after `max_failures` in a row the
/// account (or the email, whether or not an account exists) is locked for `base_lockout`,
/// doubling with each further failure up to `max_lockout`. A success resets the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed before the first lockout.
    pub max_failures: u32,
    /// The first lockout's length.
    pub base_lockout: Duration,
    /// The longest lockout.
    pub max_lockout: Duration,
}

impl Default for LockoutPolicy {
    /// Five failures, then 1 minute, 2, 4… up to an hour.
    fn default() -> Self {
        Self {
            max_failures: 5,
            base_lockout: Duration::minutes(1),
            max_lockout: Duration::hours(1),
        }
    }
}

/// The stored count of consecutive login failures for one email.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Consecutive failures.
    pub failures: u32,
    /// Until when logins are refused without checking the password.
    pub locked_until: Option<OffsetDateTime>,
}

impl LoginThrottle {
    /// Whether a login must be refused at `now` without looking at the password.
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// Reserves one login attempt at `now`, before its password is checked: `self` is the
    /// stored throttle with the attempt already counted in `failures` (storage counts it in
    /// the same statement that reads it, so concurrent attempts each see their own count).
    ///
    /// Returns `None` when the email is locked: the attempt stays counted and is refused
    /// without checking the password (it does not extend the running lockout). Otherwise
    /// returns the throttle to store while the password is checked, with the attempt presumed
    /// to fail: the attempt that reaches `max_failures` locks at once, so attempts running
    /// at the same time are refused rather than checked. A success then resets the throttle.
    pub fn reserve(&self, now: OffsetDateTime, policy: &LockoutPolicy) -> Option<LoginThrottle> {
        if self.is_locked(now) {
            return None;
        }
        let before = LoginThrottle {
            failures: self.failures.saturating_sub(1),
            locked_until: self.locked_until,
        };
        Some(before.after_failure(now, policy))
    }

    /// The throttle after one more failure at `now`.
    pub fn after_failure(&self, now: OffsetDateTime, policy: &LockoutPolicy) -> LoginThrottle {
        let failures = self.failures.saturating_add(1);
        let locked_until = if failures >= policy.max_failures {
            let doublings = (failures - policy.max_failures).min(20);
            let lockout = policy
                .base_lockout
                .checked_mul(1_i32 << doublings)
                .map_or(policy.max_lockout, |d| d.min(policy.max_lockout));
            Some(now + lockout)
        } else {
            self.locked_until
        };
        LoginThrottle { failures, locked_until }
    }
}

/// An API token for scripts and servers: it acts as its user in one company, within its scope.
/// The token text itself is shown once, at creation ([`CreatedApiToken`]), and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApiToken {
    /// Its id.
    pub id: ApiTokenId,
    /// The company it acts in.
    pub company_id: CompanyId,
    /// The user it acts as.
    pub user_id: UserId,
    /// What it is for.
    pub name: String,
    /// Read-only or read-write.
    pub scope: Scope,
    /// When it stops working, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it last authenticated.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A token to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewApiToken {
    /// What it is for (`"nightly export"`).
    pub name: String,
    /// Read-only or read-write.
    pub scope: Scope,
    /// When it stops working; `None` for never.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub expires_at: Option<OffsetDateTime>,
}

impl NewApiToken {
    /// Checks every field and builds the token record for `user` in `company`.
    pub fn validate(
        &self,
        company_id: CompanyId,
        user_id: UserId,
        now: OffsetDateTime,
    ) -> Result<ApiToken> {
        let name = text::required("name", &self.name, text::NAME_MAX)?;
        let expires_at =
            self.expires_at.map(|t| crate::clock::checked("expires_at", t)).transpose()?;
        if let Some(expires_at) = expires_at
            && expires_at <= now
        {
            return Err(FlameError::validation("expires_at", "must be in the future"));
        }
        Ok(ApiToken {
            id: ApiTokenId::new(),
            company_id,
            user_id,
            name,
            scope: self.scope,
            expires_at,
            last_used_at: None,
            revoked_at: None,
            created_at: now,
        })
    }
}

/// A token just created, with its secret text (shown this once).
#[derive(Clone)]
pub struct CreatedApiToken {
    /// The token record.
    pub token: ApiToken,
    /// The text to give the script or server.
    pub secret: secrecy::SecretString,
}

/// Equal when the record and the secret text are.
impl PartialEq for CreatedApiToken {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.token == other.token && self.secret.expose_secret() == other.secret.expose_secret()
    }
}

impl std::fmt::Debug for CreatedApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiToken")
            .field("token", &self.token)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The longest an invitation may stay open.
pub const INVITATION_MAX_DAYS: i64 = 30;

/// An invitation to join a company with a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The company to join.
    pub company_id: CompanyId,
    /// Who is invited.
    pub email: Email,
    /// The role they will have.
    pub role: Role,
    /// Who invited them.
    pub invited_by: UserId,
    /// When the invitation stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was accepted.
    #[serde(with = "time::serde::rfc3339::option")]
    pub accepted_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An invitation to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewInvitation {
    /// Who to invite.
    pub email: String,
    /// The role they will have.
    pub role: Role,
    /// How long it stays open, in days (1 to 30; 7 when `None`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub valid_days: Option<u32>,
}

impl NewInvitation {
    /// Checks every field and builds the invitation from `inviter` in `company`.
    pub fn validate(
        &self,
        company_id: CompanyId,
        inviter: UserId,
        now: OffsetDateTime,
    ) -> Result<Invitation> {
        let email = Email::parse(&self.email)?;
        let days = i64::from(self.valid_days.unwrap_or(7));
        if !(1..=INVITATION_MAX_DAYS).contains(&days) {
            return Err(FlameError::validation(
                "valid_days",
                format!("must be between 1 and {INVITATION_MAX_DAYS}"),
            ));
        }
        Ok(Invitation {
            id: InvitationId::new(),
            company_id,
            email,
            role: self.role,
            invited_by: inviter,
            expires_at: now + Duration::days(days),
            accepted_at: None,
            revoked_at: None,
            created_at: now,
        })
    }
}

/// The one answer to an invitation that cannot be accepted without a session: unknown,
/// revoked, used, expired, sent by someone who may no longer grant its role, or addressed to
/// an email that already has an account (whose owner accepts from their own session).
/// Telling them apart would tell whoever holds a token which emails have accounts.
pub const INVITATION_REFUSED: &str =
    "the invitation is unknown, used or expired, or must be accepted from the invitee's session";

impl Invitation {
    /// Fails with `Unauthenticated` ([`INVITATION_REFUSED`]) unless the invitation can still
    /// be accepted at `now`.
    pub fn ensure_open(&self, now: OffsetDateTime) -> Result<()> {
        if self.revoked_at.is_some() || self.accepted_at.is_some() || now >= self.expires_at {
            return Err(FlameError::unauthenticated(INVITATION_REFUSED));
        }
        Ok(())
    }

    /// Fails with `Forbidden` unless the invitation was sent to `email`: a user accepts only
    /// the invitations addressed to them.
    pub fn ensure_addressed_to(&self, email: &Email) -> Result<()> {
        if &self.email != email {
            return Err(FlameError::forbidden("accept an invitation sent to another email"));
        }
        Ok(())
    }

    /// Fails with `Unauthenticated` ([`INVITATION_REFUSED`]) unless its inviter still may
    /// grant its role: an active member (`inviter_role` is their role in the company, `None`
    /// once removed) who is at least an admin, and an owner for an owner invitation.
    pub fn ensure_inviter_may_grant(
        &self,
        inviter_role: Option<Role>,
        inviter_active: bool,
    ) -> Result<()> {
        let allowed = inviter_active
            && inviter_role
                .is_some_and(|r| r.at_least(Role::Admin) && ensure_may_grant(r, self.role).is_ok());
        if !allowed {
            return Err(FlameError::unauthenticated(INVITATION_REFUSED));
        }
        Ok(())
    }
}

/// A just-created invitation with the token to send to the invitee (shown this once).
#[derive(Clone)]
pub struct CreatedInvitation {
    /// The invitation.
    pub invitation: Invitation,
    /// The token the invitee presents to accept.
    pub token: secrecy::SecretString,
}

/// Equal when the invitation and the token text are.
impl PartialEq for CreatedInvitation {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.invitation == other.invitation
            && self.token.expose_secret() == other.token.expose_secret()
    }
}

impl std::fmt::Debug for CreatedInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInvitation")
            .field("invitation", &self.invitation)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// What a new user gives when accepting an invitation without an account (an existing user
/// accepts from their own session instead). It can be read from JSON but never written out:
/// its `Debug` hides the token and password and it has no `Serialize`.
///
/// ```compile_fail
/// # use flame_core::account::AcceptInvitation;
/// let accept = AcceptInvitation { token: "flame_inv_x".into(), name: None, password: None };
/// serde_json::to_string(&accept).unwrap();
/// ```
#[derive(Clone, Deserialize)]
pub struct AcceptInvitation {
    /// The invitation token.
    pub token: String,
    /// Their display name (required).
    pub name: Option<String>,
    /// A password for the new account (checked against the policy); `None` when the host
    /// authenticates users itself.
    pub password: Option<String>,
}

impl std::fmt::Debug for AcceptInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptInvitation")
            .field("token", &"[redacted]")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl AcceptInvitation {
    /// The name and password for a new user invited as `email`.
    pub fn new_user(&self, email: &Email) -> Result<(String, Option<Password>)> {
        let name =
            text::required("name", self.name.as_deref().unwrap_or_default(), text::NAME_MAX)?;
        let password = self
            .password
            .as_deref()
            .map(|p| Password::new("password", p, Some(email)))
            .transpose()?;
        Ok((name, password))
    }
}

/// One of a user's companies, for a company switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CompanyMembership {
    /// The company.
    pub company_id: CompanyId,
    /// Its name.
    pub company_name: String,
    /// The user's role there.
    pub role: Role,
}

/// A user as platform administrators list them: with every membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UserOverview {
    /// The user.
    pub user: User,
    /// Whether they are a platform administrator.
    pub platform_admin: bool,
    /// Their companies and roles.
    pub memberships: Vec<CompanyMembership>,
}

/// A company as platform administrators list them: with its subscription and plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CompanyOverview {
    /// The company.
    pub company: Company,
    /// Its subscription (status as of now).
    pub subscription: Subscription,
    /// The plan subscribed to.
    pub plan: Plan,
    /// How many members it has.
    pub members: u64,
}

/// Checks that `granter` may give someone `role`: only owners make owners.
pub fn ensure_may_grant(granter: Role, role: Role) -> Result<()> {
    if role == Role::Owner && granter != Role::Owner {
        return Err(FlameError::forbidden("grant the owner role"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_grows_and_caps() {
        let policy = LockoutPolicy::default();
        let now = crate::clock::now();
        let mut t = LoginThrottle::default();
        for _ in 0..4 {
            t = t.after_failure(now, &policy);
            assert!(!t.is_locked(now));
        }
        t = t.after_failure(now, &policy);
        assert_eq!(t.locked_until, Some(now + Duration::minutes(1)));
        assert!(t.is_locked(now) && !t.is_locked(now + Duration::minutes(1)));
        t = t.after_failure(now, &policy);
        assert_eq!(t.locked_until, Some(now + Duration::minutes(2)));
        for _ in 0..40 {
            t = t.after_failure(now, &policy);
        }
        assert_eq!(t.locked_until, Some(now + Duration::hours(1)));
    }

    #[test]
    fn reserving_attempts_locks_at_the_last_allowed_one_and_refuses_while_locked() {
        let policy = LockoutPolicy::default();
        let now = crate::clock::now();
        // Five attempts counted one after another (as storage counts them): the fifth
        // reservation already locks, so a sixth running at the same time is refused.
        let mut stored = LoginThrottle::default();
        for attempt in 1..=5 {
            stored.failures = attempt;
            stored = stored.reserve(now, &policy).expect("may be checked");
            assert_eq!(stored.failures, attempt);
            assert_eq!(stored.is_locked(now), attempt == 5, "attempt {attempt}");
        }
        stored.failures += 1;
        assert_eq!(stored.reserve(now, &policy), None);
        // After the lockout ends, the next attempt is checked and presumed to lock longer.
        let later = now + Duration::minutes(1);
        let next = stored.reserve(later, &policy).expect("the lockout has ended");
        assert_eq!(next.locked_until, Some(later + Duration::minutes(2)));
    }

    #[test]
    fn tokens_and_invitations_validate() {
        let now = crate::clock::now();
        let (c, u) = (CompanyId::new(), UserId::new());
        let past = NewApiToken {
            name: "ci".into(),
            scope: Scope::ReadOnly,
            expires_at: Some(now - Duration::seconds(1)),
        };
        assert_eq!(
            past.validate(c, u, now),
            Err(FlameError::validation("expires_at", "must be in the future"))
        );
        let invite = NewInvitation {
            email: "x@example.com".into(),
            role: Role::Member,
            valid_days: Some(31),
        };
        assert!(
            matches!(invite.validate(c, u, now), Err(FlameError::Validation { field, .. }) if field == "valid_days")
        );
        let ok = NewInvitation { valid_days: None, ..invite }.validate(c, u, now).expect("valid");
        assert!(ok.ensure_open(now).is_ok());
        assert!(ok.ensure_open(now + Duration::days(7)).is_err());
        assert!(ensure_may_grant(Role::Admin, Role::Owner).is_err());
    }

    #[test]
    fn debug_hides_passwords_and_tokens() {
        let login = Login {
            email: "a@example.com".into(),
            password: "hunter2hunter2".into(),
            company_id: None,
        };
        let accept = AcceptInvitation {
            token: "flame_inv_abc".into(),
            name: None,
            password: Some("hunter2hunter2".into()),
        };
        let shown = format!("{login:?} {accept:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("flame_inv_abc"), "{shown}");
    }

    #[test]
    fn login_and_acceptance_are_read_from_json() {
        let login: Login = serde_json::from_str(
            r#"{"email":"a@b.io","password":"hunter2hunter2","company_id":null}"#,
        )
        .expect("login");
        assert_eq!(login.password, "hunter2hunter2");
        let accept: AcceptInvitation =
            serde_json::from_str(r#"{"token":"flame_inv_abc","name":"A","password":null}"#)
                .expect("accept");
        assert_eq!(accept.token, "flame_inv_abc");
    }

    #[test]
    fn every_closed_invitation_is_refused_alike() {
        let now = crate::clock::now();
        let open =
            NewInvitation { email: "x@example.com".into(), role: Role::Owner, valid_days: None }
                .validate(CompanyId::new(), UserId::new(), now)
                .expect("valid");
        let refused = Err(FlameError::unauthenticated(INVITATION_REFUSED));
        let revoked = Invitation { revoked_at: Some(now), ..open.clone() };
        let used = Invitation { accepted_at: Some(now), ..open.clone() };
        assert_eq!(revoked.ensure_open(now), refused);
        assert_eq!(used.ensure_open(now), refused);
        assert_eq!(open.ensure_open(now + Duration::days(8)), refused);
        assert!(open.ensure_addressed_to(&Email::parse("X@example.com").expect("email")).is_ok());
        assert!(matches!(
            open.ensure_addressed_to(&Email::parse("y@example.com").expect("email")),
            Err(FlameError::Forbidden { .. })
        ));
        // An owner invitation needs an active owner behind it; a member one an active admin.
        assert!(open.ensure_inviter_may_grant(Some(Role::Owner), true).is_ok());
        assert_eq!(open.ensure_inviter_may_grant(Some(Role::Admin), true), refused);
        assert_eq!(open.ensure_inviter_may_grant(Some(Role::Owner), false), refused);
        assert_eq!(open.ensure_inviter_may_grant(None, true), refused);
        let member = Invitation { role: Role::Member, ..open };
        assert!(member.ensure_inviter_may_grant(Some(Role::Admin), true).is_ok());
        assert_eq!(member.ensure_inviter_may_grant(Some(Role::Manager), true), refused);
    }
}
