//! Seeding a store: one company with its members, the default pipeline and sources, a
//! WhatsApp integration and two custom contact fields (always through the Flame API), then N
//! contacts (with custom values and tags), N/2 deals across the stages, N activities and N/20
//! organizations, either through the Flame API or by raw SQL into Flame's own schema.
//!
//! Raw seeding ([`SeedMode::RawSql`], the default) writes exactly the columns and encodings
//! Flame writes (read off `flame-db/migrations/*/0001_foundation.sql` and `flame-db/src/sql.rs`:
//! UUIDs as 16-byte BLOBs and times as fixed-width UTC text on SQLite; `uuid`, `timestamptz`
//! and `date` on PostgreSQL), with prepared inserts in a few large transactions on SQLite and
//! `COPY … FROM STDIN` on PostgreSQL. It writes no outbox rows for the seeded records.
//!
//! Custom values and tags are stored the way Flame stores them: each contact's `custom`
//! column is the JSON `flame-db/src/custom_field.rs` (`encode`) writes — flame-core's own
//! checked values keyed by field id, serialized by `serde_json` — with one `custom_values` row
//! per index key (`CustomValue::index_keys`); each tag is created through the API
//! (`contacts().add_tag` on its first carrier, `organizations().add_tag` for the organization
//! tag), and its other taggings are the rows `tag::add` writes (`contact_tags`,
//! `organization_tags`), inserted in bulk. A test in `ops.rs` checks that a raw-seeded
//! contact's `custom` column and index rows equal those of a contact Flame creates with the
//! same values. The extra draws (values, tags, organizations) come from a generator of their
//! own, so that the contacts, deals and activities are the same rows as before they existed.
//!
//! The
//! seeded rows are read back through the Flame API by every benchmark (contacts by id, deals
//! by stage, moves and wins), so a mismatch with Flame's encodings fails the smoke run.
//! [`SeedMode::Api`] makes every record with `contacts().create`, `deals().create`,
//! `deals().win/lose` and `activities().create`, one call and one transaction each (Flame has
//! no batch API yet), which takes minutes at 100k contacts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection as _;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use flame_core::activity::{ActivityKind, NewActivity};
use flame_core::auth::Role;
use flame_core::company::{NewMember, SignUp};
use flame_core::contact::NewContact;
use flame_core::custom_field::{
    CustomEntity, CustomField, CustomFieldKind, CustomValue, NewCustomField, StoredValues,
};
use flame_core::deal::NewDeal;
use flame_core::integration::messaging::{MessagingPlatform, MessagingSettings};
use flame_core::integration::{Credentials, IntegrationSettings, NewIntegration};
use flame_core::organization::NewOrganization;
use flame_core::pipeline::StageKind;
use flame_core::{ContactId, OrganizationId};
use flame_db::{Flame, OpenOptions, Session};

use crate::data::{self, Company, Person, Rng};
use crate::{BenchError, Result};

/// The seed every benchmark uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 0x0F1A_3E00;

/// Mixed into the seed for the generator of custom values, tags and organizations.
const EXTRAS: u64 = 0x7A65_C0DE;

/// The options of the contacts' `tier` select field; every seeded contact has one, each
/// about a quarter of them.
pub const TIER_OPTIONS: [&str; 4] = ["Bronze", "Silver", "Gold", "Platinum"];

/// The share (percent) of seeded contacts that have a `score` (a number field, 0.00–999.99).
pub const SCORE_PERCENT: u64 = 90;

/// The contact tags and the share (percent) of seeded contacts carrying each; the first is
/// the one `list_contacts_by_tag` lists.
pub const CONTACT_TAGS: [(&str, u64); 2] = [("VIP", 10), ("Newsletter", 30)];

/// The organization tag and the share (percent) of seeded organizations carrying it.
pub const ORGANIZATION_TAG: (&str, u64) = ("Key account", 10);

/// One seeded organization per this many contacts (at least one).
pub const CONTACTS_PER_ORGANIZATION: usize = 20;

/// How the contacts, deals and activities get into the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedMode {
    /// Prepared inserts (SQLite) or `COPY` (PostgreSQL) into Flame's tables: fast, for large
    /// sizes.
    RawSql,
    /// One Flame API call per record.
    Api,
}

impl SeedMode {
    /// From `FLAME_BENCH_SEED` (`raw` or `api`); raw when unset.
    pub fn from_env() -> Result<Self> {
        match std::env::var("FLAME_BENCH_SEED").as_deref() {
            Err(_) | Ok("raw") | Ok("") => Ok(SeedMode::RawSql),
            Ok("api") => Ok(SeedMode::Api),
            Ok(other) => {
                Err(BenchError(format!("FLAME_BENCH_SEED must be raw or api, not {other}")))
            }
        }
    }

    /// `"raw SQL"` or `"Flame API"`.
    pub fn describe(self) -> &'static str {
        match self {
            SeedMode::RawSql => "raw SQL into Flame's schema",
            SeedMode::Api => "the Flame API, one call per record",
        }
    }
}

/// Which engine a store is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// A new SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the PostgreSQL server at this admin URL (it is dropped on close).
    Postgres(String),
}

impl Engine {
    /// `"sqlite"` or `"postgres"`.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }
}

/// A stage of the seeded pipeline.
#[derive(Debug, Clone)]
pub struct StageInfo {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// `"open"`, `"won"` or `"lost"`.
    pub kind: &'static str,
}

/// An open deal the move and win benchmarks may use, as seeded (version 1).
#[derive(Debug, Clone, Copy)]
pub struct OpenDeal {
    /// Its id.
    pub id: Uuid,
    /// The stage it was seeded in.
    pub stage: Uuid,
}

/// The contacts' custom fields, defined through the API before any contact is seeded.
#[derive(Debug, Clone)]
pub struct CustomSetup {
    /// `tier`: a select of [`TIER_OPTIONS`].
    pub tier: CustomField,
    /// `score`: a number.
    pub score: CustomField,
}

impl CustomSetup {
    /// The values a contact with tier option `tier` and score `score_cents` (if any) stores,
    /// checked by flame-core as a create through the API checks them.
    pub fn values(&self, tier: usize, score_cents: Option<u64>) -> Result<StoredValues> {
        let mut values = StoredValues::new();
        values.insert(self.tier.id, self.tier.check(CustomValue::text(TIER_OPTIONS[tier]))?);
        if let Some(c) = score_cents {
            values.insert(self.score.id, self.score.check(CustomValue::text(score_text(c)))?);
        }
        Ok(values)
    }
}

/// A seeded tag.
#[derive(Debug, Clone)]
pub struct TagInfo {
    /// Its name.
    pub name: String,
    /// Its id.
    pub id: Uuid,
    /// How many seeded records carry it.
    pub carried_by: usize,
}

/// What was seeded: the ids the benchmarks address.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The company.
    pub company_id: Uuid,
    /// Its owner, the session's user.
    pub owner_id: Uuid,
    /// The auth session the benchmarks' session stands on (its standing is read by writes).
    pub session_id: Uuid,
    /// Every member, the owner first.
    pub members: Vec<Uuid>,
    /// The default pipeline.
    pub pipeline_id: Uuid,
    /// Its stages in order.
    pub stages: Vec<StageInfo>,
    /// The lead sources.
    pub sources: Vec<Uuid>,
    /// Every seeded contact.
    pub contacts: Vec<Uuid>,
    /// The seeded deals that are open.
    pub open_deals: Vec<OpenDeal>,
    /// How many deals were seeded.
    pub deals: usize,
    /// How many activities were seeded.
    pub activities: usize,
    /// Every seeded organization.
    pub organizations: Vec<Uuid>,
    /// The contacts' custom fields.
    pub custom: CustomSetup,
    /// The contact tags, as [`CONTACT_TAGS`].
    pub contact_tags: Vec<TagInfo>,
    /// The organization tag.
    pub organization_tags: Vec<TagInfo>,
    /// The messaging integration inbound messages arrive through.
    pub inbound: InboundSetup,
}

/// The company's WhatsApp integration, created through the Flame API: it creates a contact for
/// an unknown sender and opens a deal for them in the default pipeline's first open stage, from
/// the "Messaging" source, assigned to the manager (no credentials, so no encryption key).
#[derive(Debug, Clone)]
pub struct InboundSetup {
    /// The integration.
    pub integration_id: Uuid,
    /// Its platform.
    pub platform: MessagingPlatform,
    /// The source of the deals it opens.
    pub source_id: Uuid,
    /// The member its contacts, deals and activities are assigned to.
    pub assignee_id: Uuid,
}

impl Dataset {
    /// The open stages, in order.
    pub fn open_stages(&self) -> Vec<Uuid> {
        self.stages.iter().filter(|s| s.kind == "open").map(|s| s.id).collect()
    }
}

/// A seeded store and the session that benchmarks act through.
pub struct Store {
    /// The URL Flame opened.
    pub url: String,
    /// The engine.
    pub engine: Engine,
    /// The Flame handle.
    pub flame: Flame,
    /// The owner's session.
    pub session: Session,
    /// What was seeded.
    pub data: Dataset,
    /// The SQLite file, on SQLite.
    pub sqlite_path: Option<PathBuf>,
    dir: Option<tempfile::TempDir>,
    pg_database: Option<(String, String)>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("engine", &self.engine.name()).finish_non_exhaustive()
    }
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

impl Store {
    /// Creates a store on `engine` and seeds `contacts` contacts (and N/2 deals, N
    /// activities) from `seed`.
    pub async fn create(
        engine: Engine,
        contacts: usize,
        mode: SeedMode,
        seed: u64,
    ) -> Result<Store> {
        let (url, dir, sqlite_path, pg_database) = match &engine {
            Engine::Sqlite => {
                let dir = tempfile::Builder::new().prefix("flame-bench-").tempdir()?;
                let path = dir.path().join("crm.db");
                (format!("sqlite://{}", path.display()), Some(dir), Some(path), None)
            }
            Engine::Postgres(admin) => {
                let name = format!(
                    "flame_bench_{}_{}",
                    std::process::id(),
                    DATABASES.fetch_add(1, Ordering::Relaxed)
                );
                let mut conn = sqlx::PgConnection::connect(admin).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                (with_database(admin, &name), None, None, Some((admin.clone(), name)))
            }
        };
        let flame = Flame::open(&url, OpenOptions::default()).await?;
        let (session, mut data) = company(&flame).await?;
        let mut rng = Rng::new(seed);
        let mut extra = Rng::new(seed ^ EXTRAS);
        let plan = plan(&data, contacts, &mut rng, &mut extra)?;
        match (mode, &engine) {
            (SeedMode::Api, _) => seed_api(&session, &mut data, &plan).await?,
            (SeedMode::RawSql, Engine::Sqlite) => {
                let path =
                    sqlite_path.as_ref().ok_or_else(|| BenchError::from("no SQLite path"))?;
                seed_sqlite(path, &session, &mut data, &plan).await?;
            }
            (SeedMode::RawSql, Engine::Postgres(_)) => {
                seed_postgres(&url, &session, &mut data, &plan).await?;
            }
        }
        Ok(Store { url, engine, flame, session, data, sqlite_path, dir, pg_database })
    }

    /// Closes the store and removes it (the temporary directory or the database).
    pub async fn close(self) -> Result<()> {
        self.flame.shutdown().await;
        drop(self.dir);
        if let Some((admin, name)) = self.pg_database {
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await?;
            conn.close().await?;
        }
        Ok(())
    }
}

/// Signs the company up and adds four members, through the API.
async fn company(flame: &Flame) -> Result<(Session, Dataset)> {
    // An unlimited plan: the bench company holds up to a million contacts and deals.
    let plan = flame
        .plans()
        .create(flame_db::core::billing::NewPlan {
            code: "bench-unlimited".into(),
            name: "Bench".into(),
            price_minor: 0,
            currency: "USD".into(),
            interval: flame_db::core::billing::BillingInterval::Month,
            trial_days: 0,
            limits: flame_db::core::billing::PlanLimits::default(),
            public: false,
        })
        .await?;
    flame.plans().set_default(plan.id).await?;
    let signed = flame
        .sign_up(SignUp {
            company_name: "Bench Robotics".into(),
            owner_email: "olga.owner@bench.test".into(),
            owner_name: "Olga Owner".into(),
            password: None,
        })
        .await?;
    let session = signed.session;
    let mut members = vec![signed.owner.id.as_uuid()];
    for (i, role) in
        [Role::Admin, Role::Manager, Role::Member, Role::Member].into_iter().enumerate()
    {
        let m = session
            .members()
            .add(NewMember {
                email: format!("member{i}@bench.test"),
                name: format!("Member {i}"),
                role,
            })
            .await?;
        members.push(m.user.id.as_uuid());
    }
    let pipeline = session.pipelines().default_pipeline().await?;
    let stages = session
        .pipelines()
        .stages(pipeline.id)
        .await?
        .into_iter()
        .map(|s| StageInfo {
            id: s.id.as_uuid(),
            name: s.name,
            kind: match s.kind {
                StageKind::Open => "open",
                StageKind::Won => "won",
                StageKind::Lost => "lost",
            },
        })
        .collect();
    let sources = session.sources().list().await?;
    let messaging = sources
        .iter()
        .find(|s| s.name == "Messaging")
        .map(|s| s.id)
        .ok_or_else(|| BenchError::from("no Messaging source"))?;
    let sources = sources.into_iter().map(|s| s.id.as_uuid()).collect();
    let manager = members[2];
    let mut settings = MessagingSettings::new(MessagingPlatform::WhatsApp);
    settings.auto_create_contact = true;
    settings.auto_create_deal = true;
    settings.default_pipeline_id = Some(pipeline.id);
    settings.default_source_id = Some(messaging);
    settings.default_assignee_id = Some(manager.into());
    let integration = session
        .integrations()
        .create(NewIntegration {
            name: "WhatsApp".into(),
            settings: IntegrationSettings::Messaging(settings),
            credentials: Credentials::new(),
        })
        .await?;
    let define = |key: &str, kind: CustomFieldKind, options: &[&str]| NewCustomField {
        entity: CustomEntity::Contact,
        key: key.into(),
        label: key[..1].to_uppercase() + &key[1..],
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        required: false,
        position: None,
    };
    let fields = session.custom_fields();
    let custom = CustomSetup {
        tier: fields.define(define("tier", CustomFieldKind::Select, &TIER_OPTIONS)).await?,
        score: fields.define(define("score", CustomFieldKind::Number, &[])).await?,
    };
    let session_id = match session.principal().credential {
        flame_core::auth::Credential::Session(id) => id.as_uuid(),
        flame_core::auth::Credential::ApiToken(_) => return Err("not a login session".into()),
    };
    let data = Dataset {
        company_id: session.company_id().as_uuid(),
        owner_id: signed.owner.id.as_uuid(),
        session_id,
        members,
        pipeline_id: pipeline.id.as_uuid(),
        stages,
        sources,
        contacts: Vec::new(),
        open_deals: Vec::new(),
        deals: 0,
        activities: 0,
        organizations: Vec::new(),
        custom,
        contact_tags: Vec::new(),
        organization_tags: Vec::new(),
        inbound: InboundSetup {
            integration_id: integration.id.as_uuid(),
            platform: MessagingPlatform::WhatsApp,
            source_id: messaging.as_uuid(),
            assignee_id: manager,
        },
    };
    Ok((session, data))
}

/// One seeded deal, before it is written.
struct DealPlan {
    id: Uuid,
    title: String,
    amount_minor: i64,
    currency: &'static str,
    contact: Uuid,
    stage: usize,
    source: Uuid,
    assignee: Uuid,
    expected_close: Option<Date>,
    created: OffsetDateTime,
}

/// One seeded activity, before it is written.
struct ActivityPlan {
    id: Uuid,
    kind: &'static str,
    subject: Option<String>,
    body: String,
    contact: Uuid,
    owner: Uuid,
    occurred: OffsetDateTime,
}

const PRODUCTS: &[&str] = &[
    "Annual licence",
    "Onboarding package",
    "Support plan",
    "Pilot installation",
    "Hardware refresh",
    "Consulting days",
    "Welding robots",
    "Fleet tracking",
    "Website redesign",
    "Data migration",
];

/// The start of the synthetic clock: records are spread over the two years after it.
fn epoch() -> OffsetDateTime {
    time::macros::datetime!(2024-06-01 00:00 UTC)
}

fn spread(i: usize, n: usize) -> OffsetDateTime {
    let span = 2 * 365 * 24 * 3600 * 1_000_000_i64; // two years, in µs
    let step = span / i64::try_from(n.max(1)).unwrap_or(1);
    epoch() + Duration::microseconds(step * i64::try_from(i).unwrap_or(0))
}

/// Stage of a seeded deal: New 30%, Qualified 20%, Proposal 15%, Won 20%, Lost 15%
/// (the default pipeline's order).
fn stage_index(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=29 => 0,
        30..=49 => 1,
        50..=64 => 2,
        65..=84 => 3,
        _ => 4,
    }
}

/// What a seeded contact carries besides its columns (drawn from the extras generator).
struct ContactExtras {
    /// Index into [`TIER_OPTIONS`].
    tier: usize,
    /// The score in hundredths, if any.
    score_cents: Option<u64>,
    /// Whether it carries each of [`CONTACT_TAGS`].
    tags: [bool; CONTACT_TAGS.len()],
}

/// One seeded organization, before it is written.
struct OrganizationPlan {
    id: Uuid,
    company: Company,
    owner: Uuid,
    created: OffsetDateTime,
    key_account: bool,
}

struct Plan {
    contacts: Vec<(Uuid, Person, Uuid, OffsetDateTime)>,
    extras: Vec<ContactExtras>,
    deals: Vec<DealPlan>,
    activities: Vec<ActivityPlan>,
    organizations: Vec<OrganizationPlan>,
}

/// How many organizations `n` contacts come with.
pub fn organizations_for(n: usize) -> usize {
    (n / CONTACTS_PER_ORGANIZATION).max(1)
}

/// Draws every row from `rng` (contacts, deals, activities) and `extra` (custom values, tags,
/// organizations): the same seed, the same rows.
fn plan(data: &Dataset, n: usize, rng: &mut Rng, extra: &mut Rng) -> Result<Plan> {
    let contacts: Vec<_> = (0..n)
        .map(|i| {
            let at = spread(i, n);
            let id = rng.uuid_v7(at);
            let person = data::person(rng, i as u64);
            let owner = *rng.pick(&data.members);
            (id, person, owner, at)
        })
        .collect();
    let deals = (0..n / 2)
        .map(|_| {
            let c = &contacts[rng.below(n as u64) as usize];
            let created = c.3 + Duration::hours(rng.range(1, 24 * 30) as i64);
            DealPlan {
                id: rng.uuid_v7(created),
                title: format!("{} for {}", rng.pick(PRODUCTS), c.1.last_name),
                amount_minor: rng.range(5_000, 5_000_000) as i64 * 100,
                currency: if rng.chance(80) { "USD" } else { "EUR" },
                contact: c.0,
                stage: stage_index(rng),
                source: *rng.pick(&data.sources),
                assignee: *rng.pick(&data.members),
                expected_close: rng
                    .chance(60)
                    .then(|| (created + Duration::days(rng.range(7, 120) as i64)).date()),
                created,
            }
        })
        .collect();
    let activities = (0..n)
        .map(|i| {
            let c = &contacts[i];
            let occurred = c.3 + Duration::minutes(rng.range(5, 60 * 24 * 60) as i64);
            let (kind, subject, body) = match rng.below(3) {
                0 => (
                    "note",
                    None,
                    format!("Met {} — interested in a demo next month.", c.1.first_name),
                ),
                1 => (
                    "call",
                    Some("Intro call".to_owned()),
                    "Discussed pricing and timeline.".to_owned(),
                ),
                _ => (
                    "message_in",
                    Some("Question".to_owned()),
                    "Do you ship to our region?".to_owned(),
                ),
            };
            ActivityPlan {
                id: rng.uuid_v7(occurred),
                kind,
                subject,
                body,
                contact: c.0,
                owner: c.2,
                occurred,
            }
        })
        .collect();
    let extras: Vec<ContactExtras> = (0..n)
        .map(|_| ContactExtras {
            tier: extra.below(TIER_OPTIONS.len() as u64) as usize,
            score_cents: extra.chance(SCORE_PERCENT).then(|| extra.range(0, 99_999)),
            tags: CONTACT_TAGS.map(|(_, percent)| extra.chance(percent)),
        })
        .collect();
    let m = organizations_for(n);
    let organizations = (0..m)
        .map(|k| {
            let created = spread(k, m);
            OrganizationPlan {
                id: extra.uuid_v7(created),
                company: data::company(extra, k as u64),
                owner: *extra.pick(&data.members),
                created,
                key_account: extra.chance(ORGANIZATION_TAG.1),
            }
        })
        .collect();
    Ok(Plan { contacts, extras, deals, activities, organizations })
}

/// The `custom` column of a contact with `values`, as `flame-db/src/custom_field.rs`
/// (`encode`) writes it: `serde_json::to_value` of the values keyed by field id (SQLite stores
/// its text, PostgreSQL its `jsonb`).
pub fn custom_json(values: &StoredValues) -> String {
    serde_json::to_value(values).unwrap_or_else(|_| serde_json::json!({})).to_string()
}

/// The `custom_values` rows of `values`: one `(field id, value key)` per index key.
pub fn index_rows(values: &StoredValues) -> Vec<(Uuid, String)> {
    values
        .iter()
        .flat_map(|(field, value)| {
            value.index_keys().into_iter().map(move |key| (field.as_uuid(), key))
        })
        .collect()
}

/// Times as Flame stores them on SQLite: fixed-width RFC 3339 UTC with microseconds.
pub fn sqlite_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

fn pg_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

fn record_plan(data: &mut Dataset, plan: &Plan) {
    data.contacts = plan.contacts.iter().map(|c| c.0).collect();
    data.open_deals = plan
        .deals
        .iter()
        .filter(|d| data.stages[d.stage].kind == "open")
        .map(|d| OpenDeal { id: d.id, stage: data.stages[d.stage].id })
        .collect();
    data.deals = plan.deals.len();
    data.activities = plan.activities.len();
    data.organizations = plan.organizations.iter().map(|o| o.id).collect();
}

/// The carriers of each tag: the contact ids carrying each of [`CONTACT_TAGS`], then the
/// organizations carrying [`ORGANIZATION_TAG`].
fn carriers(plan: &Plan) -> (Vec<Vec<Uuid>>, Vec<Uuid>) {
    let contacts = (0..CONTACT_TAGS.len())
        .map(|k| {
            plan.contacts
                .iter()
                .zip(&plan.extras)
                .filter(|(_, x)| x.tags[k])
                .map(|(c, _)| c.0)
                .collect()
        })
        .collect();
    let orgs = plan.organizations.iter().filter(|o| o.key_account).map(|o| o.id).collect();
    (contacts, orgs)
}

/// Creates each tag through the API by putting it on its first carrier (so that the tag row
/// is Flame's own); returns, per tag, its id and the carriers still to be tagged. A tag no
/// seeded record carries (tiny sizes) is not created.
async fn create_tags(
    session: &Session,
    data: &mut Dataset,
    plan: &Plan,
) -> Result<(Vec<(Uuid, Vec<Uuid>)>, Vec<(Uuid, Vec<Uuid>)>)> {
    let (contacts, orgs) = carriers(plan);
    let mut contact_rest = Vec::new();
    data.contact_tags.clear();
    for ((name, _), ids) in CONTACT_TAGS.iter().zip(contacts) {
        let Some((first, rest)) = ids.split_first() else { continue };
        session.contacts().add_tag(ContactId::from(*first), name).await?;
        let id = tag_id(session, name).await?;
        data.contact_tags.push(TagInfo { name: (*name).to_owned(), id, carried_by: ids.len() });
        contact_rest.push((id, rest.to_vec()));
    }
    data.organization_tags.clear();
    let org_rest = match orgs.split_first() {
        None => Vec::new(),
        Some((first, rest)) => {
            let name = ORGANIZATION_TAG.0;
            session.organizations().add_tag(OrganizationId::from(*first), name).await?;
            let id = tag_id(session, name).await?;
            data.organization_tags.push(TagInfo {
                name: name.to_owned(),
                id,
                carried_by: orgs.len(),
            });
            vec![(id, rest.to_vec())]
        }
    };
    Ok((contact_rest, org_rest))
}

async fn tag_id(session: &Session, name: &str) -> Result<Uuid> {
    let tags = session.tags().list().await?;
    let tag = tags.iter().find(|t| t.name == name).ok_or("a tag just added is not listed")?;
    Ok(tag.id.as_uuid())
}

async fn seed_sqlite(
    path: &PathBuf,
    session: &Session,
    data: &mut Dataset,
    plan: &Plan,
) -> Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let company = data.company_id;
    const CHUNK: usize = 50_000;
    for (chunk, extras) in plan.contacts.chunks(CHUNK).zip(plan.extras.chunks(CHUNK)) {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization_id, owner_id,
                                       search_name, last_name_key, created_at, updated_at, version, custom)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, 1, ?12)",
            )?;
            let mut index = tx.prepare_cached(
                "INSERT INTO custom_values (company_id, field_id, value_key, record_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for ((id, p, owner, at), x) in chunk.iter().zip(extras) {
                let values = data.custom.values(x.tier, x.score_cents)?;
                st.execute(rusqlite::params![
                    company.as_bytes(),
                    id.as_bytes(),
                    p.first_name,
                    p.last_name,
                    p.email,
                    p.phone,
                    None::<&[u8]>,
                    owner.as_bytes(),
                    p.search_name(),
                    p.last_name_key(),
                    sqlite_time(*at),
                    custom_json(&values),
                ])?;
                for (field, key) in index_rows(&values) {
                    index.execute(rusqlite::params![
                        company.as_bytes(),
                        field.as_bytes(),
                        key,
                        id.as_bytes()
                    ])?;
                }
            }
        }
        tx.commit()?;
    }
    for chunk in plan.deals.chunks(CHUNK) {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO deals (company_id, id, title, amount_minor, currency, contact_id, pipeline_id, stage_id,
                                    source_id, assignee_id, status, expected_close, lost_reason, closed_at,
                                    created_at, updated_at, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, 1)",
            )?;
            for d in chunk {
                let stage = &data.stages[d.stage];
                let closed =
                    (stage.kind != "open").then(|| sqlite_time(d.created + Duration::days(30)));
                st.execute(rusqlite::params![
                    company.as_bytes(),
                    d.id.as_bytes(),
                    d.title,
                    d.amount_minor,
                    d.currency,
                    d.contact.as_bytes(),
                    data.pipeline_id.as_bytes(),
                    stage.id.as_bytes(),
                    d.source.as_bytes(),
                    d.assignee.as_bytes(),
                    stage.kind,
                    d.expected_close.map(|e| e.to_string()),
                    (stage.kind == "lost").then_some("Chose a competitor"),
                    closed,
                    sqlite_time(d.created),
                ])?;
            }
        }
        tx.commit()?;
    }
    for chunk in plan.activities.chunks(CHUNK) {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO activities (company_id, id, kind, subject, body, contact_id, deal_id, owner_id, due_at,
                                         done_at, occurred_at, created_at, updated_at, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, NULL, NULL, ?8, ?8, ?8, 1)",
            )?;
            for a in chunk {
                st.execute(rusqlite::params![
                    company.as_bytes(),
                    a.id.as_bytes(),
                    a.kind,
                    a.subject,
                    a.body,
                    a.contact.as_bytes(),
                    a.owner.as_bytes(),
                    sqlite_time(a.occurred),
                ])?;
            }
        }
        tx.commit()?;
    }
    for chunk in plan.organizations.chunks(CHUNK) {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO organizations (company_id, id, name, domain, phone, street, city, region, postal_code,
                                            country, website, industry, size, owner_id, custom, created_at,
                                            updated_at, version, name_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, NULL, NULL, ?7, ?8, ?9, ?10, ?11, '{}', ?12, ?12, 1, ?13)",
            )?;
            for o in chunk {
                let c = &o.company;
                st.execute(rusqlite::params![
                    company.as_bytes(),
                    o.id.as_bytes(),
                    c.name,
                    c.domain,
                    c.phone,
                    c.city,
                    c.country,
                    c.website,
                    c.industry,
                    c.size,
                    o.owner.as_bytes(),
                    sqlite_time(o.created),
                    c.name_key(),
                ])?;
            }
        }
        tx.commit()?;
    }
    let (contact_tags, organization_tags) = create_tags(session, data, plan).await?;
    let tx = conn.transaction()?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO contact_tags (company_id, tag_id, contact_id) VALUES (?1, ?2, ?3)",
        )?;
        for (tag, ids) in &contact_tags {
            for id in ids {
                st.execute(rusqlite::params![company.as_bytes(), tag.as_bytes(), id.as_bytes()])?;
            }
        }
        let mut st = tx.prepare_cached(
            "INSERT INTO organization_tags (company_id, tag_id, organization_id) VALUES (?1, ?2, ?3)",
        )?;
        for (tag, ids) in &organization_tags {
            for id in ids {
                st.execute(rusqlite::params![company.as_bytes(), tag.as_bytes(), id.as_bytes()])?;
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    record_plan(data, plan);
    Ok(())
}

/// Escapes nothing: the generator makes no tab, newline or backslash.
fn copy_field(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => out.push_str(v),
        None => out.push_str("\\N"),
    }
}

fn copy_row(out: &mut String, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        copy_field(out, *f);
    }
    out.push('\n');
}

/// Streams `rows` (already COPY text) into `statement`, in 1 MiB chunks.
async fn copy(
    conn: &mut sqlx::PgConnection,
    statement: &str,
    rows: impl Iterator<Item = Result<String>>,
) -> Result<u64> {
    let mut copy = conn.copy_in_raw(statement).await?;
    let mut buf = String::with_capacity(1 << 20);
    for row in rows {
        buf.push_str(&row?);
        if buf.len() >= 1 << 20 {
            copy.send(std::mem::take(&mut buf).into_bytes()).await?;
        }
    }
    if !buf.is_empty() {
        copy.send(buf.into_bytes()).await?;
    }
    Ok(copy.finish().await?)
}

async fn seed_postgres(
    url: &str,
    session: &Session,
    data: &mut Dataset,
    plan: &Plan,
) -> Result<()> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let company = data.company_id.to_string();
    let pipeline = data.pipeline_id.to_string();
    let custom = &data.custom;
    copy(
        &mut conn,
        "COPY contacts (company_id, id, first_name, last_name, email, phone, organization_id, owner_id,
                        search_name, last_name_key, created_at, updated_at, version, custom) FROM STDIN",
        plan.contacts.iter().zip(&plan.extras).map(|((id, p, owner, at), x)| {
            let mut row = String::new();
            let (id, owner, at) = (id.to_string(), owner.to_string(), pg_time(*at));
            let (search, key) = (p.search_name(), p.last_name_key());
            let json = custom_json(&custom.values(x.tier, x.score_cents)?);
            copy_row(
                &mut row,
                &[
                    Some(&company),
                    Some(&id),
                    Some(&p.first_name),
                    Some(&p.last_name),
                    Some(&p.email),
                    Some(&p.phone),
                    None,
                    Some(&owner),
                    Some(&search),
                    Some(&key),
                    Some(&at),
                    Some(&at),
                    Some("1"),
                    Some(&json),
                ],
            );
            Ok(row)
        }),
    )
    .await?;
    copy(
        &mut conn,
        "COPY custom_values (company_id, field_id, value_key, record_id) FROM STDIN",
        plan.contacts.iter().zip(&plan.extras).map(|((id, ..), x)| {
            let mut rows = String::new();
            let id = id.to_string();
            for (field, key) in index_rows(&custom.values(x.tier, x.score_cents)?) {
                let field = field.to_string();
                copy_row(&mut rows, &[Some(&company), Some(&field), Some(&key), Some(&id)]);
            }
            Ok(rows)
        }),
    )
    .await?;
    copy(
        &mut conn,
        "COPY deals (company_id, id, title, amount_minor, currency, contact_id, pipeline_id, stage_id,
                     source_id, assignee_id, status, expected_close, lost_reason, closed_at,
                     created_at, updated_at, version) FROM STDIN",
        plan.deals.iter().map(|d| {
            let stage = &data.stages[d.stage];
            let closed = (stage.kind != "open").then(|| pg_time(d.created + Duration::days(30)));
            let (id, amount, contact, stage_id) =
                (d.id.to_string(), d.amount_minor.to_string(), d.contact.to_string(), stage.id.to_string());
            let (source, assignee, created) = (d.source.to_string(), d.assignee.to_string(), pg_time(d.created));
            let expected = d.expected_close.map(|e| e.to_string());
            let mut row = String::new();
            copy_row(
                &mut row,
                &[
                    Some(&company),
                    Some(&id),
                    Some(&d.title),
                    Some(&amount),
                    Some(d.currency),
                    Some(&contact),
                    Some(&pipeline),
                    Some(&stage_id),
                    Some(&source),
                    Some(&assignee),
                    Some(stage.kind),
                    expected.as_deref(),
                    (stage.kind == "lost").then_some("Chose a competitor"),
                    closed.as_deref(),
                    Some(&created),
                    Some(&created),
                    Some("1"),
                ],
            );
            Ok(row)
        }),
    )
    .await?;
    copy(
        &mut conn,
        "COPY activities (company_id, id, kind, subject, body, contact_id, deal_id, owner_id, due_at,
                          done_at, occurred_at, created_at, updated_at, version) FROM STDIN",
        plan.activities.iter().map(|a| {
            let (id, contact, owner, at) =
                (a.id.to_string(), a.contact.to_string(), a.owner.to_string(), pg_time(a.occurred));
            let mut row = String::new();
            copy_row(
                &mut row,
                &[
                    Some(&company),
                    Some(&id),
                    Some(a.kind),
                    a.subject.as_deref(),
                    Some(&a.body),
                    Some(&contact),
                    None,
                    Some(&owner),
                    None,
                    None,
                    Some(&at),
                    Some(&at),
                    Some(&at),
                    Some("1"),
                ],
            );
            Ok(row)
        }),
    )
    .await?;
    copy(
        &mut conn,
        "COPY organizations (company_id, id, name, domain, phone, street, city, region, postal_code, country,
                             website, industry, size, owner_id, custom, created_at, updated_at, version,
                             name_key) FROM STDIN",
        plan.organizations.iter().map(|o| {
            let c = &o.company;
            let (id, owner, at) = (o.id.to_string(), o.owner.to_string(), pg_time(o.created));
            let key = c.name_key();
            let mut row = String::new();
            copy_row(
                &mut row,
                &[
                    Some(&company),
                    Some(&id),
                    Some(&c.name),
                    Some(&c.domain),
                    Some(&c.phone),
                    None,
                    Some(&c.city),
                    None,
                    None,
                    Some(&c.country),
                    Some(&c.website),
                    Some(&c.industry),
                    Some(&c.size),
                    Some(&owner),
                    Some("{}"),
                    Some(&at),
                    Some(&at),
                    Some("1"),
                    Some(&key),
                ],
            );
            Ok(row)
        }),
    )
    .await?;
    let (contact_tags, organization_tags) = create_tags(session, data, plan).await?;
    let tagging_rows = |tag: &Uuid, ids: &[Uuid]| {
        let tag = tag.to_string();
        let mut rows = String::new();
        for id in ids {
            copy_row(&mut rows, &[Some(&company), Some(&tag), Some(&id.to_string())]);
        }
        rows
    };
    copy(
        &mut conn,
        "COPY contact_tags (company_id, tag_id, contact_id) FROM STDIN",
        contact_tags.iter().map(|(tag, ids)| Ok(tagging_rows(tag, ids))),
    )
    .await?;
    copy(
        &mut conn,
        "COPY organization_tags (company_id, tag_id, organization_id) FROM STDIN",
        organization_tags.iter().map(|(tag, ids)| Ok(tagging_rows(tag, ids))),
    )
    .await?;
    // What autovacuum would do soon after a load this size.
    sqlx::raw_sql("ANALYZE").execute(&mut conn).await?;
    conn.close().await?;
    record_plan(data, plan);
    Ok(())
}

/// A score in hundredths as the text of a number value.
pub fn score_text(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

async fn seed_api(session: &Session, data: &mut Dataset, plan: &Plan) -> Result<()> {
    let mut ids = std::collections::HashMap::with_capacity(plan.contacts.len());
    for ((planned, p, owner, _), x) in plan.contacts.iter().zip(&plan.extras) {
        let mut custom = flame_core::custom_field::CustomValues::new();
        custom.insert("tier".into(), CustomValue::text(TIER_OPTIONS[x.tier]));
        if let Some(cents) = x.score_cents {
            custom.insert("score".into(), CustomValue::text(score_text(cents)));
        }
        let c = session
            .contacts()
            .create(NewContact {
                first_name: p.first_name.clone(),
                last_name: Some(p.last_name.clone()),
                email: Some(p.email.clone()),
                phone: Some(p.phone.clone()),
                phone_region: None,
                organization_id: None,
                owner_id: Some((*owner).into()),
                custom,
            })
            .await?;
        ids.insert(*planned, c.id);
        data.contacts.push(c.id.as_uuid());
    }
    for d in &plan.deals {
        let stage = &data.stages[d.stage];
        let mut input = NewDeal::new(d.title.clone(), d.amount_minor, d.currency);
        input.contact_id = ids.get(&d.contact).copied();
        input.source_id = Some(d.source.into());
        input.assignee_id = Some(d.assignee.into());
        input.expected_close = d.expected_close;
        input.stage_id = (stage.kind == "open").then(|| stage.id.into());
        let deal = session.deals().create(input).await?;
        match stage.kind {
            "won" => drop(session.deals().win(deal.id, deal.version).await?),
            "lost" => {
                drop(session.deals().lose(deal.id, "Chose a competitor", deal.version).await?)
            }
            _ => data.open_deals.push(OpenDeal { id: deal.id.as_uuid(), stage: stage.id }),
        }
        data.deals += 1;
    }
    for a in &plan.activities {
        let kind = match a.kind {
            "note" => ActivityKind::Note,
            "call" => ActivityKind::Call,
            _ => ActivityKind::MessageIn,
        };
        session
            .activities()
            .create(NewActivity {
                kind,
                subject: a.subject.clone(),
                body: a.body.clone(),
                contact_id: ids.get(&a.contact).copied(),
                deal_id: None,
                due_at: None,
                occurred_at: Some(a.occurred),
                owner_id: Some(a.owner.into()),
            })
            .await?;
        data.activities += 1;
    }
    let mut orgs = std::collections::HashMap::with_capacity(plan.organizations.len());
    for o in &plan.organizations {
        let c = &o.company;
        let org = session
            .organizations()
            .create(NewOrganization {
                name: c.name.clone(),
                domain: Some(c.domain.clone()),
                phone: Some(c.phone.clone()),
                city: Some(c.city.clone()),
                country: Some(c.country.clone()),
                website: Some(c.website.clone()),
                industry: Some(c.industry.clone()),
                size: Some(c.size.clone()),
                owner_id: Some(o.owner.into()),
                ..NewOrganization::default()
            })
            .await?;
        orgs.insert(o.id, org.id);
        data.organizations.push(org.id.as_uuid());
    }
    let (contact_carriers, org_carriers) = carriers(plan);
    for ((name, _), planned) in CONTACT_TAGS.iter().zip(contact_carriers) {
        for id in &planned {
            session.contacts().add_tag(ids[id], name).await?;
        }
        if !planned.is_empty() {
            let id = tag_id(session, name).await?;
            let carried_by = planned.len();
            data.contact_tags.push(TagInfo { name: (*name).to_owned(), id, carried_by });
        }
    }
    for id in &org_carriers {
        session.organizations().add_tag(orgs[id], ORGANIZATION_TAG.0).await?;
    }
    if !org_carriers.is_empty() {
        let id = tag_id(session, ORGANIZATION_TAG.0).await?;
        let (name, carried_by) = (ORGANIZATION_TAG.0.to_owned(), org_carriers.len());
        data.organization_tags.push(TagInfo { name, id, carried_by });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(with_database("postgres://u@h:5/postgres", "x"), "postgres://u@h:5/x");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }

    #[test]
    fn sqlite_times_match_flames_format() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.5 +01:00);
        assert_eq!(sqlite_time(t), "2026-01-02T02:04:05.500000Z");
    }
}
