//! Who may do what: the [`Session`] a tenant operation runs as, the [`Role`]s of a company,
//! and [`authorize`], the one function that decides.
//!
//! # Permission table
//!
//! "own" means records whose owner (contacts, activities) or assignee (deals) is the
//! session's user; a Member who creates a record must make it their own.
//!
//! | resource                        | action              | Viewer | Member | Manager | Admin | Owner |
//! |---------------------------------|---------------------|:------:|:------:|:-------:|:-----:|:-----:|
//! | contacts, deals, activities     | read                | yes    | yes    | yes     | yes   | yes   |
//! | contacts, deals, activities     | create/update/delete| no     | own    | yes     | yes   | yes   |
//! | tags on contacts and deals      | add/remove          | no     | own    | yes     | yes   | yes   |
//! | tags (the vocabulary)           | read                | yes    | yes    | yes     | yes   | yes   |
//! | tags (the vocabulary)           | rename/merge/recolor/delete | no | no  | no      | yes   | yes   |
//! | pipelines and stages, sources   | read                | yes    | yes    | yes     | yes   | yes   |
//! | pipelines and stages, sources   | create/update/delete| no     | no     | no      | yes   | yes   |
//! | custom field definitions        | read                | yes    | yes    | yes     | yes   | yes   |
//! | custom field definitions        | create/update/delete| no     | no     | no      | yes   | yes   |
//! | members (users and roles)       | read                | yes    | yes    | yes     | yes   | yes   |
//! | members (users and roles)       | create/update/delete| no     | no     | no      | yes   | yes   |
//! | integrations                    | any                 | no     | no     | no      | yes   | yes   |
//! | billing (subscription)          | read                | yes    | yes    | yes     | yes   | yes   |
//! | billing (subscription)          | create/update/delete| no     | no     | no      | no    | yes   |
//! | the company itself              | read                | yes    | yes    | yes     | yes   | yes   |
//! | the company itself              | update              | no     | no     | no      | yes   | yes   |
//! | the company itself              | delete              | no     | no     | no      | no    | yes   |
//! | own API tokens                  | any                 | yes    | yes    | yes     | yes   | yes   |
//! | own account (password, log out) | any                 | yes    | yes    | yes     | yes   | yes   |
//!
//! Adding a tag to a record, or removing it, is an update of the record (the contact or
//! deal rule decides); adding creates the tag on first use, so whoever may tag a record may
//! grow the vocabulary.
//!
//! Three rules sit above the table:
//! - a session made from a **read-only API token** may only read;
//! - a session made from an **API token** cannot manage the account or API tokens (a leaked
//!   token must not be able to mint more tokens or change the password);
//! - the **platform** (every user and company, across tenants) is open only to users the host
//!   marked as platform administrators; no company role grants it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::billing::SubscriptionStatus;
use crate::error::{FlameError, Result};
use crate::id::{ApiTokenId, CompanyId, SessionId, UserId};

/// A member's role in one company. The same user may hold different roles in different
/// companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including billing and deleting the company.
    Owner,
    /// Everything but billing and company deletion: users, pipelines, sources, integrations.
    Admin,
    /// Reads and edits every record of the company.
    Manager,
    /// Reads everything; creates and edits records assigned to them.
    Member,
    /// Reads only.
    Viewer,
}

impl Role {
    /// Every role, from the most to the least powerful.
    pub const ALL: [Role; 5] =
        [Role::Owner, Role::Admin, Role::Manager, Role::Member, Role::Viewer];

    /// The stored and displayed name (`"owner"`, `"admin"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role grants at least what `other` grants.
    pub const fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    const fn rank(self) -> u8 {
        match self {
            Role::Owner => 4,
            Role::Admin => 3,
            Role::Manager => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            FlameError::validation("role", "must be owner, admin, manager, member or viewer")
        })
    }
}

/// What an API token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Reads only, whatever the user's role.
    ReadOnly,
    /// Whatever the user's role allows.
    ReadWrite,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 2] = [Self::ReadOnly, Self::ReadWrite];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::ReadOnly => "read_only",
            Scope::ReadWrite => "read_write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read_only" => Ok(Scope::ReadOnly),
            "read_write" => Ok(Scope::ReadWrite),
            _ => Err(FlameError::validation("scope", "must be read_only or read_write")),
        }
    }
}

/// How a session was authenticated: the stored row that must stay valid for it to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Credential {
    /// A login session (password login, accepted invitation or trusted host call).
    Session(SessionId),
    /// An API token.
    ApiToken(ApiTokenId),
}

/// The authenticated principal of a tenant operation: which user, in which company, with
/// which role and scope, until when, through which credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The user acting.
    pub user_id: UserId,
    /// The company (tenant) the user acts in.
    pub company_id: CompanyId,
    /// The user's role in that company.
    pub role: Role,
    /// Read-only for read-only API tokens, read-write otherwise.
    pub scope: Scope,
    /// Whether the user is a platform administrator (set by the host).
    pub platform_admin: bool,
    /// The stored session or token this principal stands on.
    pub credential: Credential,
    /// When the session stops being valid.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// What the store says about a principal now: read again before every write, and before
/// reads once the cached answer is older than the store's re-check interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The user's current role in the company, `None` if no longer a member.
    pub role: Option<Role>,
    /// Whether the user is active.
    pub user_active: bool,
    /// Whether the user is a platform administrator.
    pub platform_admin: bool,
    /// Whether the session or token was revoked.
    pub revoked: bool,
    /// When the session or token expires (`None`: an API token without expiry).
    pub expires_at: Option<OffsetDateTime>,
    /// The company's subscription status as of now, if it has one.
    pub subscription: Option<SubscriptionStatus>,
}

impl Session {
    /// Fails with `Unauthenticated` once the session has expired.
    pub fn ensure_valid(&self, now: OffsetDateTime) -> Result<()> {
        if now >= self.expires_at {
            return Err(FlameError::unauthenticated("the session has expired"));
        }
        Ok(())
    }

    /// The principal as the store now stands: revoked, expired, deactivated or removed
    /// principals are `Unauthenticated`; a changed role or admin flag is adopted at once.
    pub fn refreshed(&self, standing: &Standing, now: OffsetDateTime) -> Result<Session> {
        let what = match self.credential {
            Credential::Session(_) => "session",
            Credential::ApiToken(_) => "API token",
        };
        if standing.revoked {
            return Err(FlameError::unauthenticated(format!("the {what} was revoked")));
        }
        if !standing.user_active {
            return Err(FlameError::unauthenticated("the user is deactivated"));
        }
        let Some(role) = standing.role else {
            return Err(FlameError::unauthenticated(
                "the user is no longer a member of the company",
            ));
        };
        let expires_at = standing.expires_at.map_or(self.expires_at, |e| e.min(self.expires_at));
        if now >= expires_at {
            return Err(FlameError::unauthenticated(format!("the {what} has expired")));
        }
        Ok(Session { role, platform_admin: standing.platform_admin, expires_at, ..self.clone() })
    }

    /// Fails with `ReadOnly` unless the company's subscription allows writes.
    pub fn ensure_writable(standing: &Standing) -> Result<()> {
        standing.subscription.map_or(Ok(()), SubscriptionStatus::ensure_writable)
    }

    /// Whether `user` is the session's own user.
    pub fn is_self(&self, user: Option<UserId>) -> bool {
        user == Some(self.user_id)
    }
}

/// What a session wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read or list.
    Read,
    /// Create a new record.
    Create,
    /// Change an existing record.
    Update,
    /// Delete a record.
    Delete,
}

impl Action {
    const fn verb(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// What the action is on. Records that can be assigned carry their owner, so that the
/// policy can tell a Member's own records from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A contact, with its owner.
    Contact {
        /// The user the contact is assigned to.
        owner: Option<UserId>,
    },
    /// An organization, with its owner.
    Organization {
        /// The user the organization is assigned to.
        owner: Option<UserId>,
    },
    /// A deal, with its assignee.
    Deal {
        /// The user the deal is assigned to.
        assignee: Option<UserId>,
    },
    /// An activity, with its author.
    Activity {
        /// The user who owns the activity.
        owner: Option<UserId>,
    },
    /// A pipeline or one of its stages.
    Pipeline,
    /// A lead source.
    Source,
    /// A tag of the company's vocabulary (not its use on a record: that is an update of the
    /// record).
    Tag,
    /// A custom field definition.
    CustomField,
    /// The company's members: users and their roles.
    Member,
    /// An integration (messaging, accounting, advertising, webhook).
    Integration,
    /// The company's subscription and billing.
    Billing,
    /// The company itself.
    Company,
    /// API tokens, with the user they belong to.
    ApiToken {
        /// The user the token acts as.
        owner: UserId,
    },
    /// The session user's own account: password, log out everywhere.
    Account,
    /// Every user and company of the store (platform administration).
    Platform,
}

impl Resource {
    const fn noun(self) -> &'static str {
        match self {
            Resource::Contact { .. } => "contact",
            Resource::Organization { .. } => "organization",
            Resource::Deal { .. } => "deal",
            Resource::Activity { .. } => "activity",
            Resource::Pipeline => "pipeline",
            Resource::Source => "source",
            Resource::Tag => "tag",
            Resource::CustomField => "custom field",
            Resource::Member => "member",
            Resource::Integration => "integration",
            Resource::Billing => "billing",
            Resource::Company => "company",
            Resource::ApiToken { .. } => "API token",
            Resource::Account => "account",
            Resource::Platform => "platform",
        }
    }
}

/// Decides whether `session` may perform `action` on `resource` — the permission table of
/// this module, in code. Refusals are `Forbidden` naming the action.
pub fn authorize(session: &Session, action: Action, resource: Resource) -> Result<()> {
    let what = format!("{} {}", action.verb(), resource.noun());
    if session.scope == Scope::ReadOnly && action != Action::Read {
        return Err(FlameError::forbidden(format!("{what} with a read-only API token")));
    }
    if matches!(session.credential, Credential::ApiToken(_))
        && matches!(resource, Resource::ApiToken { .. } | Resource::Account)
    {
        return Err(FlameError::forbidden(format!("{what} with an API token")));
    }
    if allows(session, action, resource) { Ok(()) } else { Err(FlameError::forbidden(what)) }
}

fn allows(session: &Session, action: Action, resource: Resource) -> bool {
    use Action::*;
    let role = session.role;
    match (resource, action) {
        (Resource::Platform, _) => session.platform_admin,
        (Resource::Account, _) => true,
        (Resource::ApiToken { owner }, _) => owner == session.user_id,
        (Resource::Integration, _) => role.at_least(Role::Admin),
        (_, Read) => true,
        (
            Resource::Contact { owner: holder }
            | Resource::Organization { owner: holder }
            | Resource::Deal { assignee: holder }
            | Resource::Activity { owner: holder },
            _,
        ) => role.at_least(Role::Manager) || (role == Role::Member && session.is_self(holder)),
        (
            Resource::Pipeline
            | Resource::Source
            | Resource::CustomField
            | Resource::Member
            | Resource::Tag,
            _,
        ) => role.at_least(Role::Admin),
        (Resource::Billing, _) => role == Role::Owner,
        (Resource::Company, Delete) => role == Role::Owner,
        (Resource::Company, _) => role.at_least(Role::Admin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(role: Role) -> Session {
        Session {
            user_id: UserId::new(),
            company_id: CompanyId::new(),
            role,
            scope: Scope::ReadWrite,
            platform_admin: false,
            credential: Credential::Session(SessionId::new()),
            expires_at: OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }

    fn standing(role: Option<Role>) -> Standing {
        Standing {
            role,
            user_active: true,
            platform_admin: false,
            revoked: false,
            expires_at: None,
            subscription: Some(SubscriptionStatus::Active),
        }
    }

    #[test]
    fn read_only_tokens_only_read_and_tokens_cannot_mint_tokens() {
        let mut s = session(Role::Owner);
        s.credential = Credential::ApiToken(ApiTokenId::new());
        assert!(authorize(&s, Action::Create, Resource::Contact { owner: None }).is_ok());
        assert!(authorize(&s, Action::Create, Resource::ApiToken { owner: s.user_id }).is_err());
        assert!(authorize(&s, Action::Update, Resource::Account).is_err());
        s.scope = Scope::ReadOnly;
        assert_eq!(
            authorize(&s, Action::Update, Resource::Deal { assignee: None }),
            Err(FlameError::forbidden("update deal with a read-only API token"))
        );
        assert!(authorize(&s, Action::Read, Resource::Deal { assignee: None }).is_ok());
    }

    #[test]
    fn only_platform_admins_reach_the_platform() {
        let mut s = session(Role::Owner);
        assert!(authorize(&s, Action::Read, Resource::Platform).is_err());
        s.platform_admin = true;
        s.role = Role::Viewer;
        assert!(authorize(&s, Action::Update, Resource::Platform).is_ok());
    }

    #[test]
    fn standing_revokes_demotes_and_locks() {
        let now = OffsetDateTime::now_utc();
        let s = session(Role::Admin);
        let demoted = s.refreshed(&standing(Some(Role::Viewer)), now).expect("still a member");
        assert_eq!(demoted.role, Role::Viewer);
        for (bad, reason) in [
            (Standing { revoked: true, ..standing(Some(Role::Admin)) }, "the session was revoked"),
            (
                Standing { user_active: false, ..standing(Some(Role::Admin)) },
                "the user is deactivated",
            ),
            (standing(None), "the user is no longer a member of the company"),
            (
                Standing { expires_at: Some(now), ..standing(Some(Role::Admin)) },
                "the session has expired",
            ),
        ] {
            assert_eq!(s.refreshed(&bad, now), Err(FlameError::unauthenticated(reason)));
        }
        let canceled = Standing {
            subscription: Some(SubscriptionStatus::Canceled),
            ..standing(Some(Role::Admin))
        };
        assert!(matches!(Session::ensure_writable(&canceled), Err(FlameError::ReadOnly { .. })));
        assert!(Session::ensure_writable(&standing(Some(Role::Admin))).is_ok());
    }

    #[test]
    fn viewer_reads_only() {
        let s = session(Role::Viewer);
        let own = Resource::Deal { assignee: Some(s.user_id) };
        assert!(authorize(&s, Action::Read, own).is_ok());
        for action in [Action::Create, Action::Update, Action::Delete] {
            assert_eq!(
                authorize(&s, action, own),
                Err(FlameError::forbidden(format!("{} deal", action.verb())))
            );
        }
    }

    #[test]
    fn member_edits_only_own_records() {
        let s = session(Role::Member);
        let own = Resource::Contact { owner: Some(s.user_id) };
        let other = Resource::Contact { owner: Some(UserId::new()) };
        assert!(authorize(&s, Action::Update, own).is_ok());
        assert!(authorize(&s, Action::Update, other).is_err());
        assert!(authorize(&s, Action::Create, Resource::Contact { owner: None }).is_err());
        assert!(authorize(&s, Action::Create, Resource::Pipeline).is_err());
    }

    #[test]
    fn everyone_reads_tags_and_only_admins_manage_them() {
        for role in Role::ALL {
            let s = session(role);
            assert!(authorize(&s, Action::Read, Resource::Tag).is_ok());
            for action in [Action::Update, Action::Delete] {
                assert_eq!(
                    authorize(&s, action, Resource::Tag).is_ok(),
                    role.at_least(Role::Admin),
                    "{role} {action:?}"
                );
            }
        }
    }

    #[test]
    fn only_owner_manages_billing_and_deletes_the_company() {
        for role in Role::ALL {
            let s = session(role);
            assert_eq!(
                authorize(&s, Action::Update, Resource::Billing).is_ok(),
                role == Role::Owner
            );
            assert_eq!(
                authorize(&s, Action::Delete, Resource::Company).is_ok(),
                role == Role::Owner
            );
            assert_eq!(
                authorize(&s, Action::Create, Resource::Integration).is_ok(),
                role.at_least(Role::Admin)
            );
        }
    }

    #[test]
    fn expired_session_is_unauthenticated() {
        let mut s = session(Role::Owner);
        s.expires_at = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        assert!(matches!(
            s.ensure_valid(OffsetDateTime::now_utc()),
            Err(FlameError::Unauthenticated { .. })
        ));
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert!(matches!("boss".parse::<Role>(), Err(FlameError::Validation { .. })));
    }
}
