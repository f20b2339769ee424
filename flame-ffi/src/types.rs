//! Records of the uniffi surface that flame-core cannot derive, and their conversions.
//!
//! The records and enums Flame hands out (`Contact`, `Deal`, `Plan`, `Role`, `FlameError`…)
//! derive their bindings in flame-core (feature `uniffi`) and are re-exported here. What
//! remains is of three kinds, each converted with an exhaustive destructuring (no `..`), so
//! that a field added to the Rust twin fails this crate's build until the mirror follows:
//! inputs whose ids or dates a host types as text (a failing lift of a typed id would be an
//! untyped error; these are parsed with a `Validation` error naming the field), flame-db's
//! records (flame-db derives no bindings), and records whose shape differs on purpose
//! (`Event`'s payload as JSON, `Principal`'s credential, `SignUp` without its password).
//!
//! Ids cross as hyphenated UUID strings, times as `SystemTime` (Kotlin `java.time.Instant`,
//! Swift `Date`), calendar dates as `"YYYY-MM-DD"` strings, money as minor units plus an ISO
//! 4217 code.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use flame_db::core as fc;
use time::OffsetDateTime;

use crate::error::{FlameError, Result};

pub use fc::activity::{Activity, ActivityKind, ActivityPatch};
pub use fc::billing::{
    BillingInterval, NewPlan, PaymentOutcome, Plan, PlanLimits, Subscription, SubscriptionStatus,
};
pub use fc::company::{Company, Member, Membership, NewMember, User};
pub use fc::contact::Contact;
pub use fc::deal::{Deal, DealStatus, StageSummary};
pub use fc::import::{ImportFailure, ImportReport, RowError};
pub use fc::organization::{Organization, OrganizationSize};
pub use fc::page::PageRequest;
pub use fc::pipeline::{NewPipeline, NewStage, Pipeline, Stage, StageKind, StagePatch};
pub use fc::source::Source;
pub use fc::verification::EmailVerification;
pub use fc::{Money, Role, Scope};

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
            <$ty>::parse(field, text)
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
    organization_id, opt_organization_id => fc::OrganizationId;
    custom_field_id, opt_custom_field_id => fc::CustomFieldId;
    tag_id, opt_tag_id => fc::TagId;
}

/// The organization of a patch: `None` keeps it, `""` clears it, else an id.
fn organization_link(text: Option<String>) -> Result<Option<Option<fc::OrganizationId>>> {
    match text.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(t) => Ok(Some(Some(organization_id("organization_id", t)?))),
    }
}

fn opt_date(field: &str, text: Option<String>) -> Result<Option<time::Date>> {
    text.map(|t| fc::clock::parse_date(field, &t)).transpose()
}

/// How a session was authenticated (flame-core's `Credential` without its id, which
/// `Principal.credentialId` carries).
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
            email_verification: o.email_verification.unwrap_or(d.email_verification),
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

/// Who a session acts as, where, with which role and scope, until when, through which
/// credential. (To resume a session later, keep its `token()` and call `Flame.authenticate`.)
/// flame-core's `Session`, with its credential split into kind and id.
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
        let fc::auth::Session {
            user_id,
            company_id,
            role,
            scope,
            platform_admin,
            credential,
            expires_at,
        } = p;
        let (credential_kind, credential_id) = match credential {
            fc::Credential::Session(id) => (CredentialKind::Session, id.to_string()),
            fc::Credential::ApiToken(id) => (CredentialKind::ApiToken, id.to_string()),
        };
        Self {
            user_id: id(user_id),
            company_id: id(company_id),
            role,
            scope,
            platform_admin,
            credential_kind,
            credential_id,
            expires_at: time(expires_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

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
            #[allow(clippy::useless_conversion)] // the identity for items flame-core derives
            fn from(p: fc::page::Page<$core>) -> Self {
                let fc::page::Page { items, next_cursor } = p;
                Self { items: items.into_iter().map(Into::into).collect(), next_cursor }
            }
        }
    };
}

pub(crate) use page;

page!(/** A page of contacts. */ ContactPage of Contact from fc::contact::Contact);
page!(/** A page of deals. */ DealPage of Deal from fc::deal::Deal);
page!(/** A page of organizations. */ OrganizationPage of Organization from fc::organization::Organization);
page!(/** A page of activities. */ ActivityPage of Activity from fc::activity::Activity);
page!(/** A page of members. */ MemberPage of Member from fc::company::Member);
page!(/** A page of domain events. */ EventPage of Event from fc::event::Event);

// ---------------------------------------------------------------------------------------------
// Companies

/// Input of `Flame.signUp`: flame-core's `SignUp` without its password, which crosses beside
/// the record (records print their fields in Kotlin and Swift; a password must not be one).
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
    /// The core input, with the password passed beside the record.
    pub(crate) fn with_password(self, password: Option<String>) -> fc::company::SignUp {
        let Self { company_name, owner_email, owner_name } = self;
        fc::company::SignUp { company_name, owner_email, owner_name, password }
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts

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
    /// The organization (one of the company's).
    #[uniffi(default)]
    pub organization_id: Option<String>,
    /// Owner (default: the session's user).
    #[uniffi(default)]
    pub owner_id: Option<String>,
    /// Custom field values by key.
    #[uniffi(default)]
    pub custom: HashMap<String, fc::custom_field::CustomValue>,
}

impl TryFrom<NewContact> for fc::contact::NewContact {
    type Error = FlameError;
    fn try_from(c: NewContact) -> Result<Self> {
        let NewContact {
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization_id,
            owner_id,
            custom,
        } = c;
        Ok(Self {
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization_id: opt_organization_id("organization_id", organization_id)?,
            owner_id: opt_user_id("owner_id", owner_id)?,
            custom: custom.into_iter().collect(),
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
    /// The organization; `""` takes the contact out of its organization.
    #[uniffi(default)]
    pub organization_id: Option<String>,
    /// Owner.
    #[uniffi(default)]
    pub owner_id: Option<String>,
    /// Custom values to set, or to clear (`null`), by key; others keep theirs.
    #[uniffi(default)]
    pub custom: HashMap<String, Option<fc::custom_field::CustomValue>>,
}

impl TryFrom<ContactPatch> for fc::contact::ContactPatch {
    type Error = FlameError;
    fn try_from(c: ContactPatch) -> Result<Self> {
        let ContactPatch {
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization_id,
            owner_id,
            custom,
        } = c;
        Ok(Self {
            first_name,
            last_name,
            email,
            phone,
            phone_region,
            organization_id: organization_link(organization_id)?,
            owner_id: opt_user_id("owner_id", owner_id)?,
            custom: custom.into_iter().collect(),
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
    /// Tags the contact must carry, all of them (names, any case).
    #[uniffi(default)]
    pub tags: Vec<String>,
    /// Custom values that must match, all of them.
    #[uniffi(default)]
    pub custom: Vec<fc::custom_field::CustomCondition>,
    /// Order by a custom field instead.
    #[uniffi(default)]
    pub sort: Option<fc::custom_field::CustomSort>,
}

impl TryFrom<ContactFilter> for fc::contact::ContactFilter {
    type Error = FlameError;
    fn try_from(f: ContactFilter) -> Result<Self> {
        let ContactFilter { name_prefix, email_prefix, phone_prefix, owner_id, tags, custom, sort } =
            f;
        Ok(Self {
            name_prefix,
            email_prefix,
            phone_prefix,
            owner_id: opt_user_id("owner_id", owner_id)?,
            tags,
            custom,
            sort,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Organizations

/// Input of `Organizations.create`; blank optional text counts as absent.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct NewOrganization {
    /// Its name (required).
    pub name: String,
    /// Its web domain (`"example.com"`; a URL is reduced to it), unique in the company.
    #[uniffi(default)]
    pub domain: Option<String>,
    /// Phone, international or national.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Region of a national phone number (`"RU"`).
    #[uniffi(default)]
    pub phone_region: Option<String>,
    /// Street address.
    #[uniffi(default)]
    pub street: Option<String>,
    /// City.
    #[uniffi(default)]
    pub city: Option<String>,
    /// Region or state.
    #[uniffi(default)]
    pub region: Option<String>,
    /// Postal code.
    #[uniffi(default)]
    pub postal_code: Option<String>,
    /// ISO 3166 alpha-2 country code.
    #[uniffi(default)]
    pub country: Option<String>,
    /// Website (http or https URL).
    #[uniffi(default)]
    pub website: Option<String>,
    /// Industry.
    #[uniffi(default)]
    pub industry: Option<String>,
    /// Size band: `"1-10"`, `"11-50"`, `"51-200"`, `"201-1000"` or `"1000+"`.
    #[uniffi(default)]
    pub size: Option<String>,
    /// Owner (default: the session's user).
    #[uniffi(default)]
    pub owner_id: Option<String>,
    /// Custom field values by key.
    #[uniffi(default)]
    pub custom: HashMap<String, fc::custom_field::CustomValue>,
}

impl TryFrom<NewOrganization> for fc::organization::NewOrganization {
    type Error = FlameError;
    fn try_from(o: NewOrganization) -> Result<Self> {
        let NewOrganization {
            name,
            domain,
            phone,
            phone_region,
            street,
            city,
            region,
            postal_code,
            country,
            website,
            industry,
            size,
            owner_id,
            custom,
        } = o;
        Ok(Self {
            name,
            domain,
            phone,
            phone_region,
            street,
            city,
            region,
            postal_code,
            country,
            website,
            industry,
            size,
            owner_id: opt_user_id("owner_id", owner_id)?,
            custom: custom.into_iter().collect(),
        })
    }
}

/// Changes to an organization; `null` fields stay as they are, `""` clears optional text.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct OrganizationPatch {
    /// Name.
    #[uniffi(default)]
    pub name: Option<String>,
    /// Domain.
    #[uniffi(default)]
    pub domain: Option<String>,
    /// Phone.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Region of a national phone number.
    #[uniffi(default)]
    pub phone_region: Option<String>,
    /// Street address.
    #[uniffi(default)]
    pub street: Option<String>,
    /// City.
    #[uniffi(default)]
    pub city: Option<String>,
    /// Region or state.
    #[uniffi(default)]
    pub region: Option<String>,
    /// Postal code.
    #[uniffi(default)]
    pub postal_code: Option<String>,
    /// Country code.
    #[uniffi(default)]
    pub country: Option<String>,
    /// Website.
    #[uniffi(default)]
    pub website: Option<String>,
    /// Industry.
    #[uniffi(default)]
    pub industry: Option<String>,
    /// Size band.
    #[uniffi(default)]
    pub size: Option<String>,
    /// Owner.
    #[uniffi(default)]
    pub owner_id: Option<String>,
    /// Custom values to set, or to clear (`null`), by key; others keep theirs.
    #[uniffi(default)]
    pub custom: HashMap<String, Option<fc::custom_field::CustomValue>>,
}

impl TryFrom<OrganizationPatch> for fc::organization::OrganizationPatch {
    type Error = FlameError;
    fn try_from(o: OrganizationPatch) -> Result<Self> {
        let OrganizationPatch {
            name,
            domain,
            phone,
            phone_region,
            street,
            city,
            region,
            postal_code,
            country,
            website,
            industry,
            size,
            owner_id,
            custom,
        } = o;
        Ok(Self {
            name,
            domain,
            phone,
            phone_region,
            street,
            city,
            region,
            postal_code,
            country,
            website,
            industry,
            size,
            owner_id: opt_user_id("owner_id", owner_id)?,
            custom: custom.into_iter().collect(),
        })
    }
}

/// Which organizations to list, ordered by name.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct OrganizationFilter {
    /// Name starts with (case-insensitively).
    #[uniffi(default)]
    pub name_prefix: Option<String>,
    /// With this domain.
    #[uniffi(default)]
    pub domain: Option<String>,
    /// Domain starts with (case-insensitively); without a name prefix, ordered by domain.
    #[uniffi(default)]
    pub domain_prefix: Option<String>,
    /// Owned by.
    #[uniffi(default)]
    pub owner_id: Option<String>,
    /// Tags the organization must carry, all of them (names, any case).
    #[uniffi(default)]
    pub tags: Vec<String>,
    /// Custom values that must match, all of them.
    #[uniffi(default)]
    pub custom: Vec<fc::custom_field::CustomCondition>,
    /// Order by a custom field instead.
    #[uniffi(default)]
    pub sort: Option<fc::custom_field::CustomSort>,
}

impl TryFrom<OrganizationFilter> for fc::organization::OrganizationFilter {
    type Error = FlameError;
    fn try_from(f: OrganizationFilter) -> Result<Self> {
        let OrganizationFilter { name_prefix, domain, domain_prefix, owner_id, tags, custom, sort } =
            f;
        Ok(Self {
            name_prefix,
            domain,
            domain_prefix,
            owner_id: opt_user_id("owner_id", owner_id)?,
            tags,
            custom,
            sort,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Pipelines

/// A pipeline with its stages, as `Pipelines.create` returns it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PipelineWithStages {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// Its stages, in order.
    pub stages: Vec<Stage>,
}

// ---------------------------------------------------------------------------------------------
// Deals

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
    /// The organization (one of the company's).
    #[uniffi(default)]
    pub organization_id: Option<String>,
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
    /// Custom field values by key.
    #[uniffi(default)]
    pub custom: HashMap<String, fc::custom_field::CustomValue>,
}

impl TryFrom<NewDeal> for fc::deal::NewDeal {
    type Error = FlameError;
    fn try_from(d: NewDeal) -> Result<Self> {
        let NewDeal {
            title,
            amount_minor,
            currency,
            contact_id,
            organization_id,
            pipeline_id,
            stage_id,
            source_id,
            assignee_id,
            expected_close,
            custom,
        } = d;
        Ok(Self {
            title,
            amount_minor,
            currency,
            contact_id: opt_contact_id("contact_id", contact_id)?,
            organization_id: opt_organization_id("organization_id", organization_id)?,
            pipeline_id: opt_pipeline_id("pipeline_id", pipeline_id)?,
            stage_id: opt_stage_id("stage_id", stage_id)?,
            source_id: opt_source_id("source_id", source_id)?,
            assignee_id: opt_user_id("assignee_id", assignee_id)?,
            expected_close: opt_date("expected_close", expected_close)?,
            custom: custom.into_iter().collect(),
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
    /// The organization; `""` takes the deal out of its organization.
    #[uniffi(default)]
    pub organization_id: Option<String>,
    /// Lead source.
    #[uniffi(default)]
    pub source_id: Option<String>,
    /// Assignee.
    #[uniffi(default)]
    pub assignee_id: Option<String>,
    /// Expected close date, `"YYYY-MM-DD"`.
    #[uniffi(default)]
    pub expected_close: Option<String>,
    /// Custom values to set, or to clear (`null`), by key; others keep theirs.
    #[uniffi(default)]
    pub custom: HashMap<String, Option<fc::custom_field::CustomValue>>,
}

impl TryFrom<DealPatch> for fc::deal::DealPatch {
    type Error = FlameError;
    fn try_from(d: DealPatch) -> Result<Self> {
        let DealPatch {
            title,
            amount_minor,
            currency,
            contact_id,
            organization_id,
            source_id,
            assignee_id,
            expected_close,
            custom,
        } = d;
        Ok(Self {
            title,
            amount_minor,
            currency,
            contact_id: opt_contact_id("contact_id", contact_id)?,
            organization_id: organization_link(organization_id)?,
            source_id: opt_source_id("source_id", source_id)?,
            assignee_id: opt_user_id("assignee_id", assignee_id)?,
            expected_close: opt_date("expected_close", expected_close)?,
            custom: custom.into_iter().collect(),
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
    /// Tags the deal must carry, all of them (names, any case).
    #[uniffi(default)]
    pub tags: Vec<String>,
    /// Custom values that must match, all of them.
    #[uniffi(default)]
    pub custom: Vec<fc::custom_field::CustomCondition>,
    /// Order by a custom field instead.
    #[uniffi(default)]
    pub sort: Option<fc::custom_field::CustomSort>,
}

impl TryFrom<DealFilter> for fc::deal::DealFilter {
    type Error = FlameError;
    fn try_from(f: DealFilter) -> Result<Self> {
        let DealFilter {
            pipeline_id,
            stage_id,
            status,
            assignee_id,
            source_id,
            contact_id,
            tags,
            custom,
            sort,
        } = f;
        Ok(Self {
            pipeline_id: opt_pipeline_id("pipeline_id", pipeline_id)?,
            stage_id: opt_stage_id("stage_id", stage_id)?,
            status,
            assignee_id: opt_user_id("assignee_id", assignee_id)?,
            source_id: opt_source_id("source_id", source_id)?,
            contact_id: opt_contact_id("contact_id", contact_id)?,
            tags,
            custom,
            sort,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Activities

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
        let NewActivity { kind, body, subject, contact_id, deal_id, due_at, occurred_at, owner_id } =
            a;
        Ok(Self {
            kind,
            subject,
            body,
            contact_id: opt_contact_id("contact_id", contact_id)?,
            deal_id: opt_deal_id("deal_id", deal_id)?,
            due_at: due_at.map(from_time),
            occurred_at: occurred_at.map(from_time),
            owner_id: opt_user_id("owner_id", owner_id)?,
        })
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
        let ActivityFilter { contact_id, deal_id, kind, due_before, owner_id } = f;
        Ok(Self {
            contact_id: opt_contact_id("contact_id", contact_id)?,
            deal_id: opt_deal_id("deal_id", deal_id)?,
            kind,
            due_before: due_before.map(from_time),
            owner_id: opt_user_id("owner_id", owner_id)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Events

/// A domain event from the outbox. The payload is the event's JSON, as webhooks deliver it
/// (flame-core's `Event` holds it as a typed enum with data in every variant).
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
        let fc::event::Event { id: event_id, company_id, actor_id, occurred_at, payload } = e;
        Self {
            id: id(event_id),
            company_id: id(company_id),
            actor_id: opt_id(actor_id),
            occurred_at: time(occurred_at),
            event_type: payload.event_type().to_owned(),
            payload_json: serde_json::to_string(&payload).unwrap_or_default(),
        }
    }
}
