//! Companies, users and memberships: sign-up, sessions for members, the member list and
//! the company record.

use time::OffsetDateTime;

use flame_core::account::ensure_may_grant;
use flame_core::auth::{Action, Resource, Role};
use flame_core::billing::{Limit, Subscription, Usage};
use flame_core::company::{Company, Member, Membership, NewMember, User, company_name};
use flame_core::event::EventPayload;
use flame_core::page::{Page, PageRequest};
use flame_core::pipeline::default_pipeline;
use flame_core::source::DEFAULT_SOURCES;
use flame_core::{CompanyId, Email, FlameError, Result, UserId, clock};

use crate::session::Session;
use crate::sql::{Executor, Row, Statement, Tx, args, found};
use crate::{billing, outbox, pipeline, source, usage};

/// What [`Flame::sign_up`](crate::Flame::sign_up) created.
#[derive(Debug, Clone)]
pub struct SignedUp {
    /// The new company.
    pub company: Company,
    /// Its owner.
    pub owner: User,
    /// A session of the owner in the new company.
    pub session: Session,
}

pub(crate) fn company_from_row(row: &Row) -> Result<Company> {
    Ok(Company {
        id: row.id("id")?,
        name: row.get("name")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

/// The user columns `user_from_row` reads, prefixed by `u.`.
pub(crate) const USER_COLUMNS: &str =
    "u.id, u.email, u.name, u.active, u.email_verified_at, u.created_at, u.updated_at, u.version";

pub(crate) fn user_from_row(row: &Row) -> Result<User> {
    Ok(User {
        id: row.id("id")?,
        email: row.parse("email")?,
        name: row.get("name")?,
        active: row.get("active")?,
        email_verified_at: row.opt_time("email_verified_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

fn member_from_row(row: &Row) -> Result<Member> {
    let user = user_from_row(row)?;
    let membership = Membership {
        company_id: row.id("company_id")?,
        user_id: user.id,
        role: row.parse("role")?,
        created_at: row.time("joined_at")?,
        version: row.int("membership_version")?,
    };
    Ok(Member { user, membership })
}

const MEMBER_COLUMNS: &str =
    "SELECT u.id, u.email, u.name, u.active, u.email_verified_at, u.created_at, u.updated_at,
        u.version,
        m.company_id, m.role, m.created_at AS joined_at, m.version AS membership_version
     FROM memberships m JOIN users u ON u.id = m.user_id";

/// Creates a user with `email` (which must be new) inside `tx`, with `password_hash` if given.
/// The user starts unverified: nobody proved yet that the address is theirs.
pub(crate) async fn create_user(
    tx: &mut Tx,
    email: &Email,
    name: &str,
    password_hash: Option<&str>,
    now: OffsetDateTime,
) -> Result<User> {
    let user = User {
        id: UserId::new(),
        email: email.clone(),
        name: name.to_owned(),
        active: true,
        email_verified_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    tx.execute(
        "INSERT INTO users (id, email, name, active, password_hash, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            user.id.as_uuid(),
            user.email.as_str(),
            user.name.clone(),
            true,
            password_hash.map(str::to_owned),
            now,
            now,
            1_i64
        ],
    )
    .await?;
    Ok(user)
}

/// Whether a user with `email` exists, inside `tx`.
pub(crate) async fn user_exists(tx: &mut Tx, email: &Email) -> Result<bool> {
    let row =
        tx.fetch_optional("SELECT id FROM users WHERE email = $1", args![email.as_str()]).await?;
    Ok(row.is_some())
}

/// Creates a company owned by `owner` inside `tx`: the company, the owner's membership, the
/// default pipeline and sources, a trial subscription on the default plan and its usage.
pub(crate) async fn create_company(
    tx: &mut Tx,
    owner: &User,
    name: String,
    now: OffsetDateTime,
) -> Result<Company> {
    let company =
        Company { id: CompanyId::new(), name, created_at: now, updated_at: now, version: 1 };
    let plan = billing::default_plan(tx).await?;
    tx.execute(
        "INSERT INTO companies (id, name, created_at, updated_at, version) VALUES ($1, $2, $3, $4, 1)",
        args![company.id.as_uuid(), company.name.clone(), now, now],
    )
    .await?;
    insert_membership(tx, company.id, owner.id, Role::Owner, now).await?;
    let (pipeline, stages) = default_pipeline().build(company.id, 0, true, now)?;
    pipeline::insert(tx, &pipeline, &stages).await?;
    for name in DEFAULT_SOURCES {
        source::insert(tx, &flame_core::source::Source::create(company.id, name, now)?).await?;
    }
    billing::insert_subscription(tx, &Subscription::start_trial(company.id, &plan, now)).await?;
    usage::create(tx, company.id, Usage { seats: 1, pipelines: 1, ..Usage::default() }).await?;
    plan.limits.admits(&Usage { seats: 1, pipelines: 1, ..Usage::default() })?;
    outbox::record(
        tx,
        company.id,
        Some(owner.id),
        now,
        vec![
            EventPayload::CompanyCreated { company_id: company.id, owner_id: owner.id },
            EventPayload::MemberAdded { user_id: owner.id, role: Role::Owner },
        ],
    )
    .await?;
    Ok(company)
}

pub(crate) async fn insert_membership(
    tx: &mut Tx,
    company: CompanyId,
    user: UserId,
    role: Role,
    now: OffsetDateTime,
) -> Result<Membership> {
    tx.execute(
        "INSERT INTO memberships (company_id, user_id, role, created_at, version) VALUES ($1, $2, $3, $4, 1)",
        args![company.as_uuid(), user.as_uuid(), role.as_str(), now],
    )
    .await?;
    Ok(Membership { company_id: company, user_id: user, role, created_at: now, version: 1 })
}

/// The members of the session's company.
#[derive(Debug, Clone)]
pub struct Members {
    session: Session,
}

impl Members {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Adds a new user to the company with a role: creates the user (without a password;
    /// the host sets one or sends them through its own flow) and their membership. Only an
    /// owner may add another owner.
    ///
    /// An email that already has an account is refused with a `Conflict` on `email`, and
    /// nothing is stored: nobody joins a company without their consent, so an existing user
    /// is invited ([`Invitations::create`](crate::Invitations::create)) and accepts from
    /// their own session ([`Account::accept_invitation`](crate::Account::accept_invitation)).
    /// (The answer tells an admin that the email has an account, as `sign_up` does.)
    pub async fn add(&self, input: NewMember) -> Result<Member> {
        self.session.authorize(Action::Create, Resource::Member).await?;
        let (email, name) = input.validate()?;
        ensure_may_grant(self.session.role(), input.role)?;
        let company = self.session.company_id();
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Create, Resource::Member)?;
        ensure_may_grant(self.session.role(), input.role)?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
        if let Some(row) = tx.fetch_optional(sql, args![email.as_str()]).await? {
            let existing = user_from_row(&row)?;
            let member = tx
                .fetch_optional(
                    "SELECT role FROM memberships WHERE company_id = $1 AND user_id = $2",
                    args![company.as_uuid(), existing.id.as_uuid()],
                )
                .await?;
            if member.is_some() {
                return Err(FlameError::conflict(
                    "member",
                    "the user is already a member of this company",
                ));
            }
            return Err(FlameError::conflict(
                "email",
                "already has an account: invite them (invitations().create) to join from \
                 their own session",
            ));
        }
        let user = create_user(&mut tx, &email, &name, None, now).await?;
        usage::reserve(&mut tx, company, Limit::Seats, 1).await?;
        let membership = insert_membership(&mut tx, company, user.id, input.role, now).await?;
        outbox::record(
            &mut tx,
            company,
            Some(self.session.user_id()),
            now,
            vec![EventPayload::MemberAdded { user_id: user.id, role: input.role }],
        )
        .await?;
        tx.commit().await?;
        Ok(Member { user, membership })
    }

    /// One member.
    pub async fn get(&self, user_id: UserId) -> Result<Member> {
        self.session.authorize(Action::Read, Resource::Member).await?;
        let mut q = Statement::new(MEMBER_COLUMNS, vec![]);
        let company = q.bind(self.session.tenant());
        let user = q.bind(user_id.as_uuid());
        q.push(&format!(" WHERE m.company_id = {company} AND m.user_id = {user}"));
        let (sql, args) = q.build();
        let row = self.session.flame().pool().exec().fetch_optional(sql, args).await?;
        found(row, member_from_row, "member")
    }

    /// The members, ordered by user id (the order the users were created in).
    pub async fn list(&self, page: PageRequest) -> Result<Page<Member>> {
        self.session.authorize(Action::Read, Resource::Member).await?;
        let limit = page.limit()?;
        let mut q = Statement::new(MEMBER_COLUMNS, vec![]);
        let company = q.bind(self.session.tenant());
        q.push(&format!(" WHERE m.company_id = {company}"));
        if let Some(after) = page.cursor_uuid()? {
            let p = q.bind(after);
            q.push(&format!(" AND u.id > {p}"));
        }
        let p = q.bind(i64::from(limit) + 1);
        q.push(&format!(" ORDER BY u.id LIMIT {p}"));
        let (sql, args) = q.build();
        let rows = self.session.flame().pool().exec().fetch_all(sql, args).await?;
        let members = rows.iter().map(member_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(members, limit, |m: &Member| m.user.id.as_uuid()))
    }

    /// Changes a member's role. Only an owner grants or takes the owner role, and the last
    /// owner cannot be demoted.
    pub async fn change_role(
        &self,
        user_id: UserId,
        role: Role,
        version: i64,
    ) -> Result<Membership> {
        self.session.authorize(Action::Update, Resource::Member).await?;
        let company = self.session.company_id();
        let mut tx = self.session.begin_locking_company().await?;
        self.session.permit(Action::Update, Resource::Member)?;
        let current = self.membership_in(&mut tx, user_id).await?;
        if (role == Role::Owner || current.role == Role::Owner)
            && self.session.role() != Role::Owner
        {
            return Err(FlameError::forbidden("grant or revoke the owner role"));
        }
        if current.version != version {
            return Err(FlameError::stale("member"));
        }
        if current.role == Role::Owner && role != Role::Owner {
            ensure_not_last_owner(&mut tx, company).await?;
        }
        let changed = tx
            .execute(
                "UPDATE memberships SET role = $1, version = version + 1
                 WHERE company_id = $2 AND user_id = $3 AND version = $4",
                args![role.as_str(), company.as_uuid(), user_id.as_uuid(), version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("member"));
        }
        outbox::record(
            &mut tx,
            company,
            Some(self.session.user_id()),
            clock::now(),
            vec![EventPayload::MemberRoleChanged { user_id, from: current.role, to: role }],
        )
        .await?;
        tx.commit().await?;
        self.session.flame().standing_changed();
        Ok(Membership { role, version: version + 1, ..current })
    }

    /// Hands the owner role to another member, atomically: they become an owner and the
    /// session's user becomes an admin. Owners only.
    pub async fn transfer_ownership(&self, to: UserId) -> Result<Member> {
        self.session.authorize(Action::Update, Resource::Billing).await?;
        let company = self.session.company_id();
        let me = self.session.user_id();
        if to == me {
            return Err(FlameError::validation("user_id", "is already the session's user"));
        }
        let mut tx = self.session.begin_locking_company().await?;
        let now = self.session.permit(Action::Update, Resource::Billing)?;
        let target = self.membership_in(&mut tx, to).await?;
        let c = company.as_uuid();
        tx.execute(
            "UPDATE memberships SET role = 'owner', version = version + 1
             WHERE company_id = $1 AND user_id = $2",
            args![c, to.as_uuid()],
        )
        .await?;
        tx.execute(
            "UPDATE memberships SET role = 'admin', version = version + 1
             WHERE company_id = $1 AND user_id = $2",
            args![c, me.as_uuid()],
        )
        .await?;
        outbox::record(
            &mut tx,
            company,
            Some(me),
            now,
            vec![
                EventPayload::MemberRoleChanged { user_id: to, from: target.role, to: Role::Owner },
                EventPayload::MemberRoleChanged { user_id: me, from: Role::Owner, to: Role::Admin },
            ],
        )
        .await?;
        tx.commit().await?;
        self.session.flame().standing_changed();
        self.get(to).await
    }

    /// The session's user leaves the company (their records become unassigned). The last
    /// owner cannot leave: transfer ownership first.
    pub async fn leave(&self) -> Result<()> {
        // Leaving is the user's own account decision: not open to API tokens.
        self.session.authorize(Action::Update, Resource::Account).await?;
        let me = self.session.user_id();
        self.remove_member(me, true).await
    }

    /// Removes a member from the company (the user stays, and keeps other memberships).
    /// Their contacts, deals and activities become unassigned. The last owner cannot leave.
    pub async fn remove(&self, user_id: UserId) -> Result<()> {
        self.session.authorize(Action::Delete, Resource::Member).await?;
        self.remove_member(user_id, false).await
    }

    async fn remove_member(&self, user_id: UserId, leaving: bool) -> Result<()> {
        let company = self.session.company_id();
        let mut tx = self.session.begin_any_locking_company().await?;
        if !leaving {
            self.session.permit(Action::Delete, Resource::Member)?;
        }
        let current = self.membership_in(&mut tx, user_id).await?;
        if current.role == Role::Owner {
            if !leaving && self.session.role() != Role::Owner {
                return Err(FlameError::forbidden("remove an owner"));
            }
            ensure_not_last_owner(&mut tx, company).await?;
        }
        let c = company.as_uuid();
        let u = user_id.as_uuid();
        tx.execute(
            "UPDATE contacts SET owner_id = NULL WHERE company_id = $1 AND owner_id = $2",
            args![c, u],
        )
        .await?;
        tx.execute(
            "UPDATE deals SET assignee_id = NULL WHERE company_id = $1 AND assignee_id = $2",
            args![c, u],
        )
        .await?;
        tx.execute(
            "UPDATE organizations SET owner_id = NULL WHERE company_id = $1 AND owner_id = $2",
            args![c, u],
        )
        .await?;
        tx.execute(
            "UPDATE activities SET owner_id = NULL WHERE company_id = $1 AND owner_id = $2",
            args![c, u],
        )
        .await?;
        tx.execute("DELETE FROM memberships WHERE company_id = $1 AND user_id = $2", args![c, u])
            .await?;
        tx.execute(
            "UPDATE auth_sessions SET revoked_at = $1
             WHERE company_id = $2 AND user_id = $3 AND revoked_at IS NULL",
            args![clock::now(), c, u],
        )
        .await?;
        tx.execute(
            "UPDATE api_tokens SET revoked_at = $1
             WHERE company_id = $2 AND user_id = $3 AND revoked_at IS NULL",
            args![clock::now(), c, u],
        )
        .await?;
        usage::release(&mut tx, company, Limit::Seats, 1).await?;
        outbox::record(
            &mut tx,
            company,
            Some(self.session.user_id()),
            clock::now(),
            vec![EventPayload::MemberRemoved { user_id }],
        )
        .await?;
        tx.commit().await?;
        self.session.flame().standing_changed();
        Ok(())
    }

    async fn membership_in(&self, tx: &mut Tx, user_id: UserId) -> Result<Membership> {
        let row = tx
            .fetch_optional(
                "SELECT company_id, user_id, role, created_at, version FROM memberships
                 WHERE company_id = $1 AND user_id = $2",
                args![self.session.tenant(), user_id.as_uuid()],
            )
            .await?
            .ok_or_else(|| FlameError::not_found("member"))?;
        Ok(Membership {
            company_id: row.id("company_id")?,
            user_id: row.id("user_id")?,
            role: row.parse("role")?,
            created_at: row.time("created_at")?,
            version: row.int("version")?,
        })
    }
}

/// Refuses to take the owner role from one of the company's owners when they are the last.
/// Callers hold the company's row lock
/// (`Session::begin_locking_company`), so two owners demoting or removing
/// each other at once cannot both count two owners.
async fn ensure_not_last_owner(tx: &mut Tx, company: CompanyId) -> Result<()> {
    let owners = tx
        .fetch_one(
            "SELECT COUNT(*) AS n FROM memberships WHERE company_id = $1 AND role = 'owner'",
            args![company.as_uuid()],
        )
        .await?
        .int("n")?;
    if owners <= 1 {
        return Err(FlameError::conflict("member", "a company keeps at least one owner"));
    }
    Ok(())
}

/// The session's company.
#[derive(Debug, Clone)]
pub struct Companies {
    session: Session,
}

impl Companies {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// The company record.
    pub async fn get(&self) -> Result<Company> {
        self.session.authorize(Action::Read, Resource::Company).await?;
        let row = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_optional(
                "SELECT id, name, created_at, updated_at, version FROM companies WHERE id = $1",
                args![self.session.tenant()],
            )
            .await?;
        found(row, company_from_row, "company")
    }

    /// Renames the company.
    pub async fn rename(&self, name: &str, version: i64) -> Result<Company> {
        self.session.authorize(Action::Update, Resource::Company).await?;
        let name = company_name(name)?;
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Update, Resource::Company)?;
        let changed = tx
            .execute(
                "UPDATE companies SET name = $1, updated_at = $2, version = version + 1
                 WHERE id = $3 AND version = $4",
                args![name, now, self.session.tenant(), version],
            )
            .await?;
        if changed == 0 {
            return Err(self.missing_or_stale(&mut tx).await);
        }
        tx.commit().await?;
        self.get().await
    }

    /// Deletes the company and everything it owns. Owners only; the session is useless
    /// afterwards.
    pub async fn delete(&self, version: i64) -> Result<()> {
        self.session.authorize(Action::Delete, Resource::Company).await?;
        // The company's row first, as the member changes take it: no lock-order deadlock.
        let mut tx = self.session.begin_any_locking_company().await?;
        self.session.permit(Action::Delete, Resource::Company)?;
        let c = self.session.tenant();
        let current = tx
            .fetch_optional("SELECT version FROM companies WHERE id = $1", args![c])
            .await?
            .ok_or_else(|| FlameError::not_found("company"))?;
        if current.int("version")? != version {
            return Err(FlameError::stale("company"));
        }
        // Children first: composite foreign keys between tenant tables do not cascade.
        for table in [
            "webhook_deliveries",
            "accounting_documents",
            "ad_spend",
            "leads",
            "inbound_messages",
            "channel_identities",
            "integration_secrets",
            "integrations",
            "activities",
            "deals",
            "contacts",
            "stages",
            "pipelines",
            "sources",
            "outbox",
            "payments",
            "subscriptions",
            "invitations",
            "api_tokens",
            "auth_sessions",
            "company_usage",
            "memberships",
        ] {
            tx.execute(format!("DELETE FROM {table} WHERE company_id = $1"), args![c]).await?;
        }
        tx.execute("DELETE FROM companies WHERE id = $1", args![c]).await?;
        tx.commit().await?;
        self.session.flame().standing_changed();
        Ok(())
    }

    async fn missing_or_stale(&self, tx: &mut Tx) -> FlameError {
        match tx
            .fetch_optional(
                "SELECT version FROM companies WHERE id = $1",
                args![self.session.tenant()],
            )
            .await
        {
            Ok(Some(_)) => FlameError::stale("company"),
            Ok(None) => FlameError::not_found("company"),
            Err(e) => e,
        }
    }
}
