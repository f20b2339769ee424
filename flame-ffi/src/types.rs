//! Records and enums of the uniffi surface, and their conversions from and to flame-core's.
//!
//! Ids cross as hyphenated UUID strings (parsed by flame-core's `Id::parse`, which names the
//! field in its `Validation` error), times as `SystemTime` (Kotlin `java.time.Instant`, Swift
//! `Date`), calendar dates as `"YYYY-MM-DD"` strings, money as minor units plus an ISO 4217
//! code.

use std::time::{Duration, SystemTime};

use flame_db::core as fc;
use time::OffsetDateTime;

use crate::error::{FlameError, Result};

// ---------------------------------------------------------------------------------------------
// Conversion helpers

pub(crate) fn time(t: OffsetDateTime) -> SystemTime {
    t.into()
}

pub(crate) fn opt_time(t: Option<OffsetDateTime>) -> Option<SystemTime> {
    t.map(time)
}

pub(crate) fn from_time(t: SystemTime) -> OffsetDateTime {
    t.into()
}

pub(crate) fn id<T: std::fmt::Display>(id: T) -> String {
    id.to_string()
}

pub(crate) fn opt_id<T: std::fmt::Display>(id: Option<T>) -> Option<String> {
    id.map(|i| i.to_string())
}

macro_rules! parsers {
    ($($fn:ident, $opt:ident => $ty:ty;)*) => {$(
        pub(crate) fn $fn(field: &str, text: &str) -> Result<$ty> {
            Ok(<$ty>::parse(field, text)?)
        }
        #[allow(dead_code)]
        pub(crate) fn $opt(field: &str, text: Option<String>) -> Result<Option<$ty>> {
            text.map(|t| $fn(field, &t)).transpose()
        }
    )*};
}

parsers! {
    company_id, opt_company_id => fc::CompanyId;
    user_id, opt_user_id => fc::UserId;
    plan_id, opt_plan_id => fc::PlanId;
    contact_id, opt_contact_id => fc::ContactId;
    pipeline_id, opt_pipeline_id => fc::PipelineId;
    stage_id, opt_stage_id => fc::StageId;
    source_id, opt_source_id => fc::SourceId;
    deal_id, opt_deal_id => fc::DealId;
    activity_id, opt_activity_id => fc::ActivityId;
    api_token_id, opt_api_token_id => fc::ApiTokenId;
    invitation_id, opt_invitation_id => fc::InvitationId;
    integration_id, opt_integration_id => fc::IntegrationId;
}

fn date_text(d: time::Date) -> String {
    fc::clock::format_date(d)
}

fn opt_date(field: &str, text: Option<String>) -> Result<Option<time::Date>> {
    text.map(|t| fc::clock::parse_date(field, &t).map_err(FlameError::from)).transpose()
}

/// Two-way conversion between a uniffi enum and flame-core's enum of the same name.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident => $core:path { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl From<$core> for $name {
            fn from(v: $core) -> Self {
                match v {
                    $(<$core>::$variant => Self::$variant,)*
                }
            }
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => <$core>::$variant,)*
                }
            }
        }
    };
}

pub(crate) use mirror_enum;

mirror_enum! {
    /// A member's role in one company.
    Role => fc::Role {
        /// Everything, including billing and deleting the company.
        Owner,
        /// Everything but billing and company deletion.
        Admin,
        /// Reads and edits every record.
        Manager,
        /// Reads everything; edits records assigned to them.
        Member,
        /// Reads only.
        Viewer,
    }
}

mirror_enum! {
    /// Whether a password login needs a verified email.
    EmailVerification => fc::verification::EmailVerification {
        /// Flame keeps the state: users log in once they verified their email with a token
        /// the host mailed them (`Flame.emailVerification`, `Flame.verifyEmail`). The default.
        Required,
        /// The host proves addresses itself; login ignores the verification state.
        ByHost,
    }
}

mirror_enum! {
    /// Where a deal stands.
    DealStatus => fc::deal::DealStatus {
        /// In progress.
        Open,
        /// Won.
        Won,
        /// Lost.
        Lost,
    }
}

mirror_enum! {
    /// What reaching a stage means for a deal.
    StageKind => fc::pipeline::StageKind {
        /// The deal is in progress.
        Open,
        /// The deal is won.
        Won,
        /// The deal is lost.
        Lost,
    }
}

mirror_enum! {
    /// What an activity is.
    ActivityKind => fc::activity::ActivityKind {
        /// A note.
        Note,
        /// A task, possibly due at a time.
        Task,
        /// A phone call.
        Call,
        /// A message received.
        MessageIn,
        /// A message sent.
        MessageOut,
    }
}

mirror_enum! {
    /// How often a plan is billed.
    BillingInterval => fc::billing::BillingInterval {
        /// Monthly.
        Month,
        /// Yearly.
        Year,
    }
}

mirror_enum! {
    /// Where a subscription is in its lifecycle.
    SubscriptionStatus => fc::billing::SubscriptionStatus {
        /// On trial.
        Trialing,
        /// Paid and current.
        Active,
        /// A payment failed.
        PastDue,
        /// Canceled by the company.
        Canceled,
        /// Ended without payment.
        Expired,
    }
}

mirror_enum! {
    /// What an API token allows.
    Scope => fc::Scope {
        /// Reads only.
        ReadOnly,
        /// Whatever the user's role allows.
        ReadWrite,
    }
}

mirror_enum! {
    /// Whether a payment went through.
    PaymentOutcome => fc::billing::PaymentOutcome {
        /// Collected.
        Succeeded,
        /// Not collected.
        Failed,
    }
}

/// How a session was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CredentialKind {
    /// A login session (password login, invitation, or a trusted host call).
    Session,
    /// An API token.
    ApiToken,
}

// ---------------------------------------------------------------------------------------------
// Opening, health, sessions

/// How to open a store; every `null`/`nil` field takes the Rust default.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct OpenOptions {
    /// Only verify the schema, never migrate it.
    #[uniffi(default)]
    pub verify_only: bool,
    /// The most connections the pool opens.
    #[uniffi(default)]
    pub max_connections: Option<u32>,
    /// How long to wait for a connection or for SQLite's write lock.
    #[uniffi(default)]
    pub busy_timeout: Option<Duration>,
    /// How long a login session stays valid.
    #[uniffi(default)]
    pub session_ttl: Option<Duration>,
    /// How stale a session's cached standing may get before a read re-checks it.
    #[uniffi(default)]
    pub session_recheck: Option<Duration>,
    /// Login failures in a row before the email is locked out.
    #[uniffi(default)]
    pub lockout_max_failures: Option<u32>,
    /// The first lockout's length (it doubles with each further failure).
    #[uniffi(default)]
    pub lockout_base: Option<Duration>,
    /// The longest lockout.
    #[uniffi(default)]
    pub lockout_max: Option<Duration>,
    /// The key that encrypts integration credentials.
    #[uniffi(default)]
    pub encryption_key: Option<std::sync::Arc<crate::integrations::EncryptionKey>>,
    /// Older keys, still able to decrypt, for rotation (`Flame.rotateKeys`).
    #[uniffi(default)]
    pub previous_keys: Vec<std::sync::Arc<crate::integrations::EncryptionKey>>,
    /// Whether webhook URLs may point at loopback addresses (tests, local development).
    #[uniffi(default)]
    pub webhook_allow_loopback: bool,
    /// Whether a password login needs a verified email (`Required` when left out).
    #[uniffi(default)]
    pub email_verification: Option<EmailVerification>,
    /// How many password hashes and checks run at once (one per CPU when left out).
    #[uniffi(default)]
    pub password_hashing_max_concurrent: Option<u32>,
    /// How long a password hash or check waits for its turn before it is refused with
    /// `Unauthenticated`.
    #[uniffi(default)]
    pub password_hashing_queue_timeout: Option<Duration>,
}

impl From<OpenOptions> for flame_db::OpenOptions {
    fn from(o: OpenOptions) -> Self {
        let d = flame_db::OpenOptions::default();
        flame_db::OpenOptions {
            schema: if o.verify_only {
                flame_db::SchemaMode::VerifyOnly
            } else {
                flame_db::SchemaMode::Migrate
            },
            max_connections: o.max_connections.unwrap_or(d.max_connections),
            busy_timeout: o.busy_timeout.unwrap_or(d.busy_timeout),
            session_ttl: o.session_ttl.unwrap_or(d.session_ttl),
            session_recheck: o.session_recheck.unwrap_or(d.session_recheck),
            lockout: fc::account::LockoutPolicy {
                max_failures: o.lockout_max_failures.unwrap_or(d.lockout.max_failures),
                base_lockout: o.lockout_base.map_or(d.lockout.base_lockout, span),
                max_lockout: o.lockout_max.map_or(d.lockout.max_lockout, span),
            },
            password_hasher: d.password_hasher,
            encryption_key: o.encryption_key.map(|k| k.inner.clone()),
            previous_keys: o.previous_keys.iter().map(|k| k.inner.clone()).collect(),
            webhook_allow_loopback: o.webhook_allow_loopback,
            email_verification: o.email_verification.map_or(d.email_verification, Into::into),
            password_hashing: fc::password::HashingLimit {
                max_concurrent: o
                    .password_hashing_max_concurrent
                    .map_or(d.password_hashing.max_concurrent, |n| n as usize),
                queue_timeout: o
                    .password_hashing_queue_timeout
                    .unwrap_or(d.password_hashing.queue_timeout),
            },
        }
    }
}

fn span(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

/// How many stored credentials one key seals.
#[derive(Debug, Clone, uniffi::Record)]
pub struct KeyUse {
    /// The key's id.
    pub key_id: String,
    /// How many credentials it seals.
    pub secrets: u64,
}

/// Subscriptions by status, as of now.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SubscriptionCounts {
    /// On trial.
    pub trialing: u64,
    /// Paid and current.
    pub active: u64,
    /// A payment failed.
    pub past_due: u64,
    /// Canceled.
    pub canceled: u64,
    /// Ended without payment.
    pub expired: u64,
}

/// Row counts of the main tables.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Counts {
    /// Users.
    pub users: u64,
    /// Companies.
    pub companies: u64,
    /// Subscriptions.
    pub subscriptions: u64,
    /// Subscriptions by status.
    pub subscriptions_by_status: SubscriptionCounts,
    /// Contacts.
    pub contacts: u64,
    /// Deals.
    pub deals: u64,
}

/// The state of a store.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Health {
    /// `"sqlite"` or `"postgres"`.
    pub backend: String,
    /// Whether the database answered.
    pub reachable: bool,
    /// How long a trivial query took, there and back.
    pub round_trip: Duration,
    /// The newest migration applied (`null` when unreachable).
    pub schema_version: Option<i64>,
    /// The version this build expects.
    pub expected_schema_version: i64,
    /// Whether the two match.
    pub schema_matches: bool,
    /// Whether an encryption key is configured.
    pub encryption_configured: bool,
    /// The ids of the configured keys, the primary first.
    pub configured_keys: Vec<String>,
    /// How many stored credentials each key id seals (`null` when unreachable).
    pub keys_in_use: Option<Vec<KeyUse>>,
    /// Row counts (`null` when unreachable).
    pub counts: Option<Counts>,
}

impl From<flame_db::Health> for Health {
    fn from(h: flame_db::Health) -> Self {
        Self {
            backend: h.backend.to_owned(),
            reachable: h.reachable,
            round_trip: h.round_trip,
            schema_version: h.schema_version,
            expected_schema_version: h.expected_schema_version,
            schema_matches: h.schema_matches,
            encryption_configured: h.encryption_configured,
            configured_keys: h.configured_keys,
            keys_in_use: h.keys_in_use.map(|keys| {
                keys.into_iter().map(|k| KeyUse { key_id: k.key_id, secrets: k.secrets }).collect()
            }),
            counts: h.counts.map(|c| Counts {
                users: c.users,
                companies: c.companies,
                subscriptions: c.subscriptions,
                subscriptions_by_status: SubscriptionCounts {
                    trialing: c.subscriptions_by_status.trialing,
                    active: c.subscriptions_by_status.active,
                    past_due: c.subscriptions_by_status.past_due,
                    canceled: c.subscriptions_by_status.canceled,
                    expired: c.subscriptions_by_status.expired,
                },
                contacts: c.contacts,
                deals: c.deals,
            }),
        }
    }
}

/// Who a session acts as, where, with which role and scope, until when, through which
/// credential. (To resume a session later, keep its `token()` and call `Flame.authenticate`.)
#[derive(Debug, Clone, uniffi::Record)]
pub struct Principal {
    /// The acting user.
    pub user_id: String,
    /// The company acted in.
    pub company_id: String,
    /// The user's role there.
    pub role: Role,
    /// Read-only for read-only API tokens.
    pub scope: Scope,
    /// Whether the user is a platform administrator.
    pub platform_admin: bool,
    /// A login session or an API token.
    pub credential_kind: CredentialKind,
    /// The id of the stored session or token.
    pub credential_id: String,
    /// When the session expires.
    pub expires_at: SystemTime,
}

impl From<fc::auth::Session> for Principal {
    fn from(p: fc::auth::Session) -> Self {
        let (credential_kind, credential_id) = match p.credential {
            fc::Credential::Session(id) => (CredentialKind::Session, id.to_string()),
            fc::Credential::ApiToken(id) => (CredentialKind::ApiToken, id.to_string()),
        };
        Self {
            user_id: id(p.user_id),
            company_id: id(p.company_id),
            role: p.role.into(),
            scope: p.scope.into(),
            platform_admin: p.platform_admin,
            credential_kind,
            credential_id,
            expires_at: time(p.expires_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Money and pages

/// A non-negative amount of money in integer minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Money {
    /// The amount in minor units.
    pub amount_minor: i64,
    /// The ISO 4217 code, uppercase.
    pub currency: String,
}

impl From<fc::Money> for Money {
    fn from(m: fc::Money) -> Self {
        Self { amount_minor: m.amount_minor(), currency: m.currency().code().to_owned() }
    }
}

/// Which page of a list to read.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct PageRequest {
    /// How many items at most (default 50, at most 500).
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; `null` for the first page.
    #[uniffi(default)]
    pub cursor: Option<String>,
}

impl From<PageRequest> for fc::page::PageRequest {
    fn from(p: PageRequest) -> Self {
        Self { limit: p.limit, cursor: p.cursor }
    }
}

macro_rules! page {
    ($(#[$doc:meta])* $name:ident of $item:ident from $core:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, uniffi::Record)]
        pub struct $name {
            /// The items, in the list's order.
            pub items: Vec<$item>,
            /// Pass it as `PageRequest.cursor` for the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<fc::page::Page<$core>> for $name {
            fn from(p: fc::page::Page<$core>) -> Self {
                Self { items: p.items.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor }
            }
        }
    };
}

pub(crate) use page;

page!(/** A page of contacts. */ ContactPage of Contact from fc::contact::Contact);
page!(/** A page of deals. */ DealPage of Deal from fc::deal::Deal);
page!(/** A page of activities. */ ActivityPage of Activity from fc::activity::Activity);
page!(/** A page of members. */ MemberPage of Member from fc::company::Member);
page!(/** A page of domain events. */ EventPage of Event from fc::event::Event);

// ---------------------------------------------------------------------------------------------
// Companies, users, members

/// Input of `Flame.signUp`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SignUp {
    /// The company's name.
    pub company_name: String,
    /// The owner's email.
    pub owner_email: String,
    /// The owner's name.
    pub owner_name: String,
}

impl SignUp {
    /// The core input, with the password passed beside the record (records print their
    /// fields in Kotlin and Swift; a password must not be one of them).
    pub(crate) fn with_password(self, password: Option<String>) -> fc::company::SignUp {
        fc::company::SignUp {
            company_name: self.company_name,
            owner_email: self.owner_email,
            owner_name: self.owner_name,
            password,
        }
    }
}

/// A company (tenant).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Company {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::company::Company> for Company {
    fn from(c: fc::company::Company) -> Self {
        Self {
            id: id(c.id),
            name: c.name,
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
            version: c.version,
        }
    }
}

/// A user (who may be a member of several companies).
#[derive(Debug, Clone, uniffi::Record)]
pub struct User {
    /// Its id.
    pub id: String,
    /// The normalized email.
    pub email: String,
    /// The display name.
    pub name: String,
    /// Whether the user may sign in.
    pub active: bool,
    /// When they proved their email address; `null`/`nil` until then.
    pub email_verified_at: Option<SystemTime>,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::company::User> for User {
    fn from(u: fc::company::User) -> Self {
        Self {
            id: id(u.id),
            email: u.email.into_string(),
            name: u.name,
            active: u.active,
            email_verified_at: opt_time(u.email_verified_at),
            created_at: time(u.created_at),
            updated_at: time(u.updated_at),
            version: u.version,
        }
    }
}

/// A user's membership of a company.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Membership {
    /// The company.
    pub company_id: String,
    /// The user.
    pub user_id: String,
    /// The role held.
    pub role: Role,
    /// When the user joined.
    pub created_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::company::Membership> for Membership {
    fn from(m: fc::company::Membership) -> Self {
        Self {
            company_id: id(m.company_id),
            user_id: id(m.user_id),
            role: m.role.into(),
            created_at: time(m.created_at),
            version: m.version,
        }
    }
}

/// A member: the user and their membership.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Member {
    /// The user.
    pub user: User,
    /// The membership.
    pub membership: Membership,
}

impl From<fc::company::Member> for Member {
    fn from(m: fc::company::Member) -> Self {
        Self { user: m.user.into(), membership: m.membership.into() }
    }
}

/// Input of `Members.add`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewMember {
    /// The user's email (the user is created if new).
    pub email: String,
    /// The user's name.
    pub name: String,
    /// The role to grant.
    pub role: Role,
}

impl From<NewMember> for fc::company::NewMember {
    fn from(m: NewMember) -> Self {
        Self { email: m.email, name: m.name, role: m.role.into() }
    }
}

// ---------------------------------------------------------------------------------------------
// Plans and billing

/// What a plan allows (`null`: unlimited).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct PlanLimits {
    /// Members.
    #[uniffi(default)]
    pub seats: Option<u32>,
    /// Contacts.
    #[uniffi(default)]
    pub contacts: Option<u32>,
    /// Deals.
    #[uniffi(default)]
    pub deals: Option<u32>,
    /// Pipelines.
    #[uniffi(default)]
    pub pipelines: Option<u32>,
    /// Integrations.
    #[uniffi(default)]
    pub integrations: Option<u32>,
}

impl From<fc::billing::PlanLimits> for PlanLimits {
    fn from(l: fc::billing::PlanLimits) -> Self {
        Self {
            seats: l.seats,
            contacts: l.contacts,
            deals: l.deals,
            pipelines: l.pipelines,
            integrations: l.integrations,
        }
    }
}

impl From<PlanLimits> for fc::billing::PlanLimits {
    fn from(l: PlanLimits) -> Self {
        Self {
            seats: l.seats,
            contacts: l.contacts,
            deals: l.deals,
            pipelines: l.pipelines,
            integrations: l.integrations,
        }
    }
}

/// A billing plan.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Plan {
    /// Its id.
    pub id: String,
    /// Its stable code.
    pub code: String,
    /// Its display name.
    pub name: String,
    /// The price per interval.
    pub price: Money,
    /// The billing interval.
    pub interval: BillingInterval,
    /// Trial days for new subscriptions.
    pub trial_days: u32,
    /// What it allows.
    pub limits: PlanLimits,
    /// Whether it is offered publicly.
    pub public: bool,
    /// Whether new companies get it.
    pub is_default: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::billing::Plan> for Plan {
    fn from(p: fc::billing::Plan) -> Self {
        Self {
            id: id(p.id),
            code: p.code,
            name: p.name,
            price: p.price.into(),
            interval: p.interval.into(),
            trial_days: p.trial_days,
            limits: p.limits.into(),
            public: p.public,
            is_default: p.is_default,
            version: p.version,
        }
    }
}

/// Input of `Plans.create`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewPlan {
    /// Its stable code.
    pub code: String,
    /// Its display name.
    pub name: String,
    /// The price in minor units.
    pub price_minor: i64,
    /// The ISO 4217 currency code.
    pub currency: String,
    /// The billing interval.
    pub interval: BillingInterval,
    /// Trial days.
    pub trial_days: u32,
    /// What it allows.
    pub limits: PlanLimits,
    /// Whether it is offered publicly.
    pub public: bool,
}

impl From<NewPlan> for fc::billing::NewPlan {
    fn from(p: NewPlan) -> Self {
        Self {
            code: p.code,
            name: p.name,
            price_minor: p.price_minor,
            currency: p.currency,
            interval: p.interval.into(),
            trial_days: p.trial_days,
            limits: p.limits.into(),
            public: p.public,
        }
    }
}

/// A company's subscription to a plan.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Subscription {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// The plan.
    pub plan_id: String,
    /// Where it is in its lifecycle.
    pub status: SubscriptionStatus,
    /// When the trial ends, for trialing subscriptions.
    pub trial_ends_at: Option<SystemTime>,
    /// Start of the current billing period.
    pub current_period_start: SystemTime,
    /// End of the current billing period.
    pub current_period_end: SystemTime,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::billing::Subscription> for Subscription {
    fn from(s: fc::billing::Subscription) -> Self {
        Self {
            id: id(s.id),
            company_id: id(s.company_id),
            plan_id: id(s.plan_id),
            status: s.status.into(),
            trial_ends_at: opt_time(s.trial_ends_at),
            current_period_start: time(s.current_period_start),
            current_period_end: time(s.current_period_end),
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
            version: s.version,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts

/// A person the company deals with.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Contact {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Normalized email.
    pub email: Option<String>,
    /// Phone in E.164.
    pub phone: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// The member who owns the contact.
    pub owner_id: Option<String>,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::contact::Contact> for Contact {
    fn from(c: fc::contact::Contact) -> Self {
        Self {
            id: id(c.id),
            company_id: id(c.company_id),
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email.map(fc::Email::into_string),
            phone: c.phone.map(|p| p.as_str().to_owned()),
            organization: c.organization,
            owner_id: opt_id(c.owner_id),
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
            version: c.version,
        }
    }
}

/// Input of `Contacts.create`.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct NewContact {
    /// First name (required).
    pub first_name: String,
    /// Last name.
    #[uniffi(default)]
    pub last_name: Option<String>,
    /// Email.
    #[uniffi(default)]
    pub email: Option<String>,
    /// Phone, international or national.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Region of a national phone number (`"RU"`).
    #[uniffi(default)]
    pub phone_region: Option<String>,
    /// Organization.
    #[uniffi(default)]
    pub organization: Option<String>,
    /// Owner (default: the session's user).
    #[uniffi(default)]
    pub owner_id: Option<String>,
}

impl TryFrom<NewContact> for fc::contact::NewContact {
    type Error = FlameError;
    fn try_from(c: NewContact) -> Result<Self> {
        Ok(Self {
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone,
            phone_region: c.phone_region,
            organization: c.organization,
            owner_id: opt_user_id("owner_id", c.owner_id)?,
        })
    }
}

/// Changes to a contact; `null` fields stay as they are.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ContactPatch {
    /// First name.
    #[uniffi(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[uniffi(default)]
    pub last_name: Option<String>,
    /// Email.
    #[uniffi(default)]
    pub email: Option<String>,
    /// Phone.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Region of a national phone number.
    #[uniffi(default)]
    pub phone_region: Option<String>,
    /// Organization.
    #[uniffi(default)]
    pub organization: Option<String>,
    /// Owner.
    #[uniffi(default)]
    pub owner_id: Option<String>,
}

impl TryFrom<ContactPatch> for fc::contact::ContactPatch {
    type Error = FlameError;
    fn try_from(c: ContactPatch) -> Result<Self> {
        Ok(Self {
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone,
            phone_region: c.phone_region,
            organization: c.organization,
            owner_id: opt_user_id("owner_id", c.owner_id)?,
        })
    }
}

/// Which contacts to list. A list with a name prefix comes in order of the matched name
/// (full name, or last name), then id; else with a phone prefix by phone, then id; else with
/// an email prefix by email, then id; without a prefix, newest first. A page's cursor only
/// continues the list it came from.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ContactFilter {
    /// Name starts with.
    #[uniffi(default)]
    pub name_prefix: Option<String>,
    /// Email starts with.
    #[uniffi(default)]
    pub email_prefix: Option<String>,
    /// Phone starts with.
    #[uniffi(default)]
    pub phone_prefix: Option<String>,
    /// Owned by.
    #[uniffi(default)]
    pub owner_id: Option<String>,
}

impl TryFrom<ContactFilter> for fc::contact::ContactFilter {
    type Error = FlameError;
    fn try_from(f: ContactFilter) -> Result<Self> {
        Ok(Self {
            name_prefix: f.name_prefix,
            email_prefix: f.email_prefix,
            phone_prefix: f.phone_prefix,
            owner_id: opt_user_id("owner_id", f.owner_id)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Pipelines and stages

/// A sales pipeline.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Pipeline {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Its name.
    pub name: String,
    /// Its position among the company's pipelines.
    pub position: i32,
    /// Whether new deals go here by default.
    pub is_default: bool,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::pipeline::Pipeline> for Pipeline {
    fn from(p: fc::pipeline::Pipeline) -> Self {
        Self {
            id: id(p.id),
            company_id: id(p.company_id),
            name: p.name,
            position: p.position,
            is_default: p.is_default,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
            version: p.version,
        }
    }
}

/// A stage of a pipeline.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Stage {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// The pipeline.
    pub pipeline_id: String,
    /// Its name.
    pub name: String,
    /// Its position in the pipeline.
    pub position: i32,
    /// Open, won or lost.
    pub kind: StageKind,
    /// Win probability in percent.
    pub probability: u8,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::pipeline::Stage> for Stage {
    fn from(s: fc::pipeline::Stage) -> Self {
        Self {
            id: id(s.id),
            company_id: id(s.company_id),
            pipeline_id: id(s.pipeline_id),
            name: s.name,
            position: s.position,
            kind: s.kind.into(),
            probability: s.probability,
            version: s.version,
        }
    }
}

/// Input of a new stage.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewStage {
    /// Its name.
    pub name: String,
    /// Open, won or lost.
    pub kind: StageKind,
    /// Win probability in percent (default by kind).
    #[uniffi(default)]
    pub probability: Option<u8>,
}

impl From<NewStage> for fc::pipeline::NewStage {
    fn from(s: NewStage) -> Self {
        Self { name: s.name, kind: s.kind.into(), probability: s.probability }
    }
}

/// Input of `Pipelines.create`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewPipeline {
    /// Its name.
    pub name: String,
    /// Its stages, in order.
    pub stages: Vec<NewStage>,
}

impl From<NewPipeline> for fc::pipeline::NewPipeline {
    fn from(p: NewPipeline) -> Self {
        Self { name: p.name, stages: p.stages.into_iter().map(Into::into).collect() }
    }
}

/// Changes to a stage.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct StagePatch {
    /// New name.
    #[uniffi(default)]
    pub name: Option<String>,
    /// New probability.
    #[uniffi(default)]
    pub probability: Option<u8>,
}

impl From<StagePatch> for fc::pipeline::StagePatch {
    fn from(p: StagePatch) -> Self {
        Self { name: p.name, probability: p.probability }
    }
}

/// A pipeline with its stages, as `Pipelines.create` returns it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PipelineWithStages {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// Its stages, in order.
    pub stages: Vec<Stage>,
}

/// One row of a pipeline summary.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StageSummary {
    /// The stage.
    pub stage: Stage,
    /// How many deals are in it.
    pub deal_count: u64,
    /// Their total value, one per currency.
    pub totals: Vec<Money>,
}

impl From<fc::deal::StageSummary> for StageSummary {
    fn from(s: fc::deal::StageSummary) -> Self {
        Self {
            stage: s.stage.into(),
            deal_count: s.deal_count,
            totals: s.totals.into_iter().map(Into::into).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sources

/// A lead source.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Source {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::source::Source> for Source {
    fn from(s: fc::source::Source) -> Self {
        Self {
            id: id(s.id),
            company_id: id(s.company_id),
            name: s.name,
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
            version: s.version,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deals

/// A deal.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Deal {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Its title.
    pub title: String,
    /// Its value.
    pub value: Money,
    /// The contact.
    pub contact_id: Option<String>,
    /// The pipeline.
    pub pipeline_id: String,
    /// The current stage.
    pub stage_id: String,
    /// The lead source.
    pub source_id: Option<String>,
    /// The member working it.
    pub assignee_id: Option<String>,
    /// Open, won or lost.
    pub status: DealStatus,
    /// Expected close date, `"YYYY-MM-DD"`.
    pub expected_close: Option<String>,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// When it was won or lost.
    pub closed_at: Option<SystemTime>,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::deal::Deal> for Deal {
    fn from(d: fc::deal::Deal) -> Self {
        Self {
            id: id(d.id),
            company_id: id(d.company_id),
            title: d.title,
            value: d.value.into(),
            contact_id: opt_id(d.contact_id),
            pipeline_id: id(d.pipeline_id),
            stage_id: id(d.stage_id),
            source_id: opt_id(d.source_id),
            assignee_id: opt_id(d.assignee_id),
            status: d.status.into(),
            expected_close: d.expected_close.map(date_text),
            lost_reason: d.lost_reason,
            closed_at: opt_time(d.closed_at),
            created_at: time(d.created_at),
            updated_at: time(d.updated_at),
            version: d.version,
        }
    }
}

/// Input of `Deals.create`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewDeal {
    /// Its title.
    pub title: String,
    /// Its value in minor units.
    pub amount_minor: i64,
    /// The ISO 4217 currency code.
    pub currency: String,
    /// The contact.
    #[uniffi(default)]
    pub contact_id: Option<String>,
    /// The pipeline (default: the company's default pipeline).
    #[uniffi(default)]
    pub pipeline_id: Option<String>,
    /// The first stage (default: the pipeline's first open stage).
    #[uniffi(default)]
    pub stage_id: Option<String>,
    /// The lead source.
    #[uniffi(default)]
    pub source_id: Option<String>,
    /// The member working it (default: the session's user).
    #[uniffi(default)]
    pub assignee_id: Option<String>,
    /// Expected close date, `"YYYY-MM-DD"`.
    #[uniffi(default)]
    pub expected_close: Option<String>,
}

impl TryFrom<NewDeal> for fc::deal::NewDeal {
    type Error = FlameError;
    fn try_from(d: NewDeal) -> Result<Self> {
        Ok(Self {
            title: d.title,
            amount_minor: d.amount_minor,
            currency: d.currency,
            contact_id: opt_contact_id("contact_id", d.contact_id)?,
            pipeline_id: opt_pipeline_id("pipeline_id", d.pipeline_id)?,
            stage_id: opt_stage_id("stage_id", d.stage_id)?,
            source_id: opt_source_id("source_id", d.source_id)?,
            assignee_id: opt_user_id("assignee_id", d.assignee_id)?,
            expected_close: opt_date("expected_close", d.expected_close)?,
        })
    }
}

/// Changes to a deal; `null` fields stay as they are.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct DealPatch {
    /// Title.
    #[uniffi(default)]
    pub title: Option<String>,
    /// Value in minor units.
    #[uniffi(default)]
    pub amount_minor: Option<i64>,
    /// Currency code.
    #[uniffi(default)]
    pub currency: Option<String>,
    /// Contact.
    #[uniffi(default)]
    pub contact_id: Option<String>,
    /// Lead source.
    #[uniffi(default)]
    pub source_id: Option<String>,
    /// Assignee.
    #[uniffi(default)]
    pub assignee_id: Option<String>,
    /// Expected close date, `"YYYY-MM-DD"`.
    #[uniffi(default)]
    pub expected_close: Option<String>,
}

impl TryFrom<DealPatch> for fc::deal::DealPatch {
    type Error = FlameError;
    fn try_from(d: DealPatch) -> Result<Self> {
        Ok(Self {
            title: d.title,
            amount_minor: d.amount_minor,
            currency: d.currency,
            contact_id: opt_contact_id("contact_id", d.contact_id)?,
            source_id: opt_source_id("source_id", d.source_id)?,
            assignee_id: opt_user_id("assignee_id", d.assignee_id)?,
            expected_close: opt_date("expected_close", d.expected_close)?,
        })
    }
}

/// Which deals to list.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct DealFilter {
    /// In this pipeline.
    #[uniffi(default)]
    pub pipeline_id: Option<String>,
    /// In this stage.
    #[uniffi(default)]
    pub stage_id: Option<String>,
    /// With this status.
    #[uniffi(default)]
    pub status: Option<DealStatus>,
    /// Assigned to.
    #[uniffi(default)]
    pub assignee_id: Option<String>,
    /// From this source.
    #[uniffi(default)]
    pub source_id: Option<String>,
    /// About this contact.
    #[uniffi(default)]
    pub contact_id: Option<String>,
}

impl TryFrom<DealFilter> for fc::deal::DealFilter {
    type Error = FlameError;
    fn try_from(f: DealFilter) -> Result<Self> {
        Ok(Self {
            pipeline_id: opt_pipeline_id("pipeline_id", f.pipeline_id)?,
            stage_id: opt_stage_id("stage_id", f.stage_id)?,
            status: f.status.map(Into::into),
            assignee_id: opt_user_id("assignee_id", f.assignee_id)?,
            source_id: opt_source_id("source_id", f.source_id)?,
            contact_id: opt_contact_id("contact_id", f.contact_id)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Activities

/// A note, task, call or message.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Activity {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// What it is.
    pub kind: ActivityKind,
    /// Subject line.
    pub subject: Option<String>,
    /// Body text.
    pub body: String,
    /// The contact it is about.
    pub contact_id: Option<String>,
    /// The deal it is about.
    pub deal_id: Option<String>,
    /// The member who owns it.
    pub owner_id: Option<String>,
    /// When a task is due.
    pub due_at: Option<SystemTime>,
    /// When a task was done.
    pub done_at: Option<SystemTime>,
    /// When it happened.
    pub occurred_at: SystemTime,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl From<fc::activity::Activity> for Activity {
    fn from(a: fc::activity::Activity) -> Self {
        Self {
            id: id(a.id),
            company_id: id(a.company_id),
            kind: a.kind.into(),
            subject: a.subject,
            body: a.body,
            contact_id: opt_id(a.contact_id),
            deal_id: opt_id(a.deal_id),
            owner_id: opt_id(a.owner_id),
            due_at: opt_time(a.due_at),
            done_at: opt_time(a.done_at),
            occurred_at: time(a.occurred_at),
            created_at: time(a.created_at),
            updated_at: time(a.updated_at),
            version: a.version,
        }
    }
}

/// Input of `Activities.create`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewActivity {
    /// What it is.
    pub kind: ActivityKind,
    /// Body text.
    pub body: String,
    /// Subject line.
    #[uniffi(default)]
    pub subject: Option<String>,
    /// The contact it is about.
    #[uniffi(default)]
    pub contact_id: Option<String>,
    /// The deal it is about.
    #[uniffi(default)]
    pub deal_id: Option<String>,
    /// When a task is due.
    #[uniffi(default)]
    pub due_at: Option<SystemTime>,
    /// When it happened (default: now).
    #[uniffi(default)]
    pub occurred_at: Option<SystemTime>,
    /// Owner (default: the session's user).
    #[uniffi(default)]
    pub owner_id: Option<String>,
}

impl TryFrom<NewActivity> for fc::activity::NewActivity {
    type Error = FlameError;
    fn try_from(a: NewActivity) -> Result<Self> {
        Ok(Self {
            kind: a.kind.into(),
            subject: a.subject,
            body: a.body,
            contact_id: opt_contact_id("contact_id", a.contact_id)?,
            deal_id: opt_deal_id("deal_id", a.deal_id)?,
            due_at: a.due_at.map(from_time),
            occurred_at: a.occurred_at.map(from_time),
            owner_id: opt_user_id("owner_id", a.owner_id)?,
        })
    }
}

/// Changes to an activity.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ActivityPatch {
    /// Subject line.
    #[uniffi(default)]
    pub subject: Option<String>,
    /// Body text.
    #[uniffi(default)]
    pub body: Option<String>,
    /// When a task is due.
    #[uniffi(default)]
    pub due_at: Option<SystemTime>,
}

impl From<ActivityPatch> for fc::activity::ActivityPatch {
    fn from(p: ActivityPatch) -> Self {
        Self { subject: p.subject, body: p.body, due_at: p.due_at.map(from_time) }
    }
}

/// Which activities to list.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ActivityFilter {
    /// About this contact.
    #[uniffi(default)]
    pub contact_id: Option<String>,
    /// About this deal.
    #[uniffi(default)]
    pub deal_id: Option<String>,
    /// Of this kind.
    #[uniffi(default)]
    pub kind: Option<ActivityKind>,
    /// Only open tasks due by then.
    #[uniffi(default)]
    pub due_before: Option<SystemTime>,
    /// Owned by.
    #[uniffi(default)]
    pub owner_id: Option<String>,
}

impl TryFrom<ActivityFilter> for fc::activity::ActivityFilter {
    type Error = FlameError;
    fn try_from(f: ActivityFilter) -> Result<Self> {
        Ok(Self {
            contact_id: opt_contact_id("contact_id", f.contact_id)?,
            deal_id: opt_deal_id("deal_id", f.deal_id)?,
            kind: f.kind.map(Into::into),
            due_before: f.due_before.map(from_time),
            owner_id: opt_user_id("owner_id", f.owner_id)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Events

/// A domain event from the outbox. The payload is the event's JSON, as webhooks deliver it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Event {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Who caused it.
    pub actor_id: Option<String>,
    /// When it happened.
    pub occurred_at: SystemTime,
    /// Its type (`"deal.won"`, …).
    pub event_type: String,
    /// The payload as JSON, with its `"type"` tag.
    pub payload_json: String,
}

impl From<fc::event::Event> for Event {
    fn from(e: fc::event::Event) -> Self {
        Self {
            id: id(e.id),
            company_id: id(e.company_id),
            actor_id: opt_id(e.actor_id),
            occurred_at: time(e.occurred_at),
            event_type: e.payload.event_type().to_owned(),
            payload_json: serde_json::to_string(&e.payload).unwrap_or_default(),
        }
    }
}

/// One rejected row of an import.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RowError {
    /// Its line in the CSV (the header is line 1).
    pub line: u64,
    /// The field that was wrong (`row` for a malformed record).
    pub field: String,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ImportReport {
    /// Rows imported.
    pub imported: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// The rejected rows, in order (the first 1,000).
    pub errors: Vec<RowError>,
    /// Set when the import stopped before the end of its input (a batch could not be
    /// written, or a record could not be read): the rows imported until then stay imported.
    pub failed: Option<ImportFailure>,
}

/// Where and why an import stopped.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ImportFailure {
    /// The first line (or 1-based position) not imported: every row before it was imported
    /// or is listed as rejected, none from it on was imported.
    pub line: u64,
    /// Why (`Forbidden` for a member demoted during the import, `PlanLimitExceeded`,
    /// `Validation` on `row` for a record past the size bound, `Storage`…).
    pub error: FlameError,
}

impl From<fc::import::ImportReport> for ImportReport {
    fn from(r: fc::import::ImportReport) -> Self {
        Self {
            imported: r.imported,
            rejected: r.rejected,
            errors: r
                .errors
                .into_iter()
                .map(|e| RowError { line: e.line, field: e.field, reason: e.reason })
                .collect(),
            failed: r.failed.map(|f| ImportFailure { line: f.line, error: f.error.into() }),
        }
    }
}
