//! The benchmarked operations and the runners that perform them.
//!
//! Every runner times only the operation itself: inputs are built before the clock starts,
//! and the undo step that keeps a benchmark repeatable (reopening a deal that was just won)
//! runs after it stops. The raw runners send the very SQL text Flame sends (copied from
//! `flame-db/src/{contact,deal,pipeline,outbox}.rs` and, for inbound messages,
//! `flame-db/src/{inbound,integration,billing,usage,import,activity}.rs`), statement for
//! statement and inside the same transactions, through prepared statements cached on one
//! connection, and decode the rows into plain owned values (ids as `Uuid`, text as `String`; no
//! domain validation). That is the physical limit of the same work on the same engine.
//!
//! The operations added with organizations, tags and custom fields (`create_organization`,
//! `get_organization`, `list_organizations`, `list_contacts_by_tag`, `list_contacts_by_select`,
//! `list_contacts_sorted_by_field`) copy every statement Flame sends for them
//! (`flame-db/src/{organization,org_link,contact,tag,custom_field,session,usage,outbox}.rs`):
//! the custom field definitions each read and write loads, the tag names each page is filled
//! in with, and, for the create, the session's standing read inside the transaction and the
//! usage reservation. (The older operations' raw side predates tags and custom fields: it
//! does not send the definitions load and the tag fill-in that Flame's contact reads now send,
//! nor the standing read and usage reservation of Flame's creates; see docs/benchmarks.md.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection as _, Row as _};
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use uuid::Uuid;

use flame_core::contact::{ContactFilter, NewContact};
use flame_core::custom_field::{CustomCondition, CustomMatch, CustomSort, CustomValue};
use flame_core::deal::DealFilter;
use flame_core::integration::messaging::InboundMessage;
use flame_core::organization::{NewOrganization, OrganizationFilter};
use flame_core::page::PageRequest;
use flame_core::{
    CompanyId, ContactId, DealId, IntegrationId, OrganizationId, Phone, PipelineId, StageId,
};
use flame_db::{Flame, Session};

use crate::data::{self, Company, Person, Rng};
use crate::seed::{Dataset, InboundSetup, TIER_OPTIONS, sqlite_time};
use crate::{BenchError, Result};

pub mod records;

/// The size of a listed page, as a CRM screen would ask.
pub const PAGE: u32 = 50;

/// A benchmarked operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Create a contact with name, email and phone.
    CreateContact,
    /// Read one contact by id.
    GetContact,
    /// The first page (50) of the deals in a stage, newest first.
    ListDealsByStage,
    /// The first page (50) of contacts whose name starts with a prefix.
    SearchByName,
    /// The first page (50) of contacts whose phone starts with a prefix.
    SearchByPhone,
    /// A name search that matches nothing (`"qx"`): before migration 0004 the worst case of
    /// the name search, which SQLite answered by walking every contact of the company (see
    /// docs/benchmarks.md); now two empty index ranges.
    SearchNoMatch,
    /// Move an open deal to another open stage.
    MoveDeal,
    /// Win an open deal.
    WinDeal,
    /// Count and total value per stage of the pipeline.
    PipelineSummary,
    /// Import a batch of contacts (see [`Workload::bulk`]).
    BulkImport,
    /// A WhatsApp message from a new sender: a contact, its channel identity, a deal in the
    /// default pipeline's first open stage, the incoming-message activity, the dedup record and
    /// three events, in one transaction.
    InboundMessage,
    /// Create an organization with a domain, a phone, a city, a website, an industry and a size.
    CreateOrganization,
    /// Read one organization by id (with its tags).
    GetOrganization,
    /// The first page (50) of organizations whose name starts with a prefix, by name.
    ListOrganizations,
    /// The first page (50) of contacts carrying one tag (about 10 % carry it), newest first.
    ListContactsByTag,
    /// The first page (50) of contacts whose `tier` select is one option (about 1/4 each),
    /// newest first.
    ListContactsBySelect,
    /// The first page (50) of contacts ordered by the `score` number field, ascending and
    /// descending in turn.
    ListContactsSorted,
}

impl Op {
    /// Every operation, in report order.
    pub const ALL: [Op; 17] = [
        Op::CreateContact,
        Op::GetContact,
        Op::ListDealsByStage,
        Op::SearchByName,
        Op::SearchByPhone,
        Op::SearchNoMatch,
        Op::MoveDeal,
        Op::WinDeal,
        Op::PipelineSummary,
        Op::CreateOrganization,
        Op::GetOrganization,
        Op::ListOrganizations,
        Op::ListContactsByTag,
        Op::ListContactsBySelect,
        Op::ListContactsSorted,
        Op::BulkImport,
        Op::InboundMessage,
    ];

    /// Its name in benchmark ids and tables.
    pub fn name(self) -> &'static str {
        match self {
            Op::CreateContact => "create_contact",
            Op::GetContact => "get_contact",
            Op::ListDealsByStage => "list_deals_by_stage",
            Op::SearchByName => "search_contacts_name",
            Op::SearchByPhone => "search_contacts_phone",
            Op::SearchNoMatch => "search_contacts_no_match",
            Op::MoveDeal => "move_deal_stage",
            Op::WinDeal => "win_deal",
            Op::PipelineSummary => "pipeline_summary",
            Op::BulkImport => "bulk_import",
            Op::InboundMessage => "inbound_message",
            Op::CreateOrganization => "create_organization",
            Op::GetOrganization => "get_organization",
            Op::ListOrganizations => "list_organizations",
            Op::ListContactsByTag => "list_contacts_by_tag",
            Op::ListContactsBySelect => "list_contacts_by_select",
            Op::ListContactsSorted => "list_contacts_sorted_by_field",
        }
    }

    /// Whether it reads or writes one record (the 1.5x-of-raw target applies).
    pub fn single_record(self) -> bool {
        matches!(
            self,
            Op::CreateContact
                | Op::GetContact
                | Op::MoveDeal
                | Op::WinDeal
                | Op::CreateOrganization
                | Op::GetOrganization
        )
    }

    /// Whether it is a list or search (the < 5 ms p99 at 1M target applies on SQLite).
    pub fn listing(self) -> bool {
        matches!(
            self,
            Op::ListDealsByStage
                | Op::SearchByName
                | Op::SearchByPhone
                | Op::SearchNoMatch
                | Op::ListOrganizations
                | Op::ListContactsByTag
                | Op::ListContactsBySelect
                | Op::ListContactsSorted
        )
    }
}

/// Something that performs operations and times them.
pub trait Runner {
    /// `"flame"` or `"raw"`.
    fn name(&self) -> &'static str;
    /// Performs `op` once (its `i`-th time) and returns how long the operation took.
    fn run(&mut self, op: Op, i: u64) -> Result<Duration>;
}

/// A deal a runner moves and wins, with the version it last saw.
#[derive(Debug, Clone, Copy)]
struct LaneDeal {
    id: Uuid,
    stage: Uuid,
    home: Uuid,
    version: i64,
}

/// The deterministic inputs of one runner: which contact to read, which prefix to search,
/// which deal to move. Runners get disjoint lanes of deals so that they never touch each
/// other's versions.
#[derive(Debug)]
pub struct Workload {
    data: Arc<Dataset>,
    rng: Rng,
    people: Rng,
    next_person: u64,
    companies: Rng,
    next_company: u64,
    lane: Vec<LaneDeal>,
    open_stages: Vec<Uuid>,
    /// How many contacts one bulk import writes.
    pub bulk: usize,
}

impl Workload {
    /// Lane `lane` of `lanes` over `data`; `bulk` contacts per bulk import.
    pub fn new(data: Arc<Dataset>, lane: usize, lanes: usize, bulk: usize) -> Self {
        let lane_deals: Vec<LaneDeal> = data
            .open_deals
            .iter()
            .skip(lane)
            .step_by(lanes.max(1))
            .take(2_000)
            .map(|d| LaneDeal { id: d.id, stage: d.stage, home: d.stage, version: 1 })
            .collect();
        Self {
            open_stages: data.open_stages(),
            rng: Rng::new(0xBE7C_0000 + lane as u64),
            people: Rng::new(0x9E09_1E00 + lane as u64),
            next_person: 10_000_000 * (lane as u64 + 1),
            companies: Rng::new(0xC0_4A00 + lane as u64),
            next_company: 10_000_000 * (lane as u64 + 1),
            lane: lane_deals,
            data,
            bulk,
        }
    }

    /// The dataset.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    fn contact(&mut self) -> Uuid {
        *self.rng.pick(&self.data.contacts)
    }

    fn person(&mut self) -> Person {
        self.next_person += 1;
        data::person(&mut self.people, self.next_person)
    }

    /// A new organization: its domain is numbered past the seeded ones and the other lane's.
    fn company(&mut self) -> Company {
        self.next_company += 1;
        data::company(&mut self.companies, self.next_company)
    }

    fn organization(&mut self) -> Result<Uuid> {
        if self.data.organizations.is_empty() {
            return Err("no organization to read: seed more contacts".into());
        }
        Ok(*self.rng.pick(&self.data.organizations))
    }

    fn organization_prefix(i: u64) -> &'static str {
        data::ORGANIZATION_PREFIXES[(i as usize) % data::ORGANIZATION_PREFIXES.len()]
    }

    /// The tag `list_contacts_by_tag` lists (the first of [`CONTACT_TAGS`], as seeded).
    fn list_tag(&self) -> Result<&crate::seed::TagInfo> {
        self.data.contact_tags.first().ok_or_else(|| "no tagged contact: seed more contacts".into())
    }

    /// The `tier` option `list_contacts_by_select` lists, cycling over the options.
    fn tier_option(i: u64) -> &'static str {
        TIER_OPTIONS[(i as usize) % TIER_OPTIONS.len()]
    }

    /// Whether `list_contacts_sorted_by_field` walks the `score` largest first (every other
    /// time).
    fn sort_descending(i: u64) -> bool {
        i % 2 == 1
    }

    /// A message from a new sender, as the WhatsApp webhook brings it: a generated person
    /// writing from a number no contact has ([`data::sender_phone`]), so that Flame takes the
    /// full path (new contact, new deal) every time; a fresh message id.
    fn inbound(&mut self) -> Result<InboundMessage> {
        loop {
            let p = self.person();
            let Some(e164) = data::sender_phone(self.next_person) else { continue };
            let phone = Phone::parse(&e164, None)?;
            let wa_id = e164.trim_start_matches('+').to_owned();
            let text = *self.rng.pick(data::MESSAGE_TEXTS);
            // WhatsApp stamps messages to the second.
            let now = OffsetDateTime::now_utc();
            let sent_at = now.replace_nanosecond(0).unwrap_or(now);
            return Ok(InboundMessage {
                platform: self.data.inbound.platform,
                external_message_id: format!("wamid.{}", Uuid::now_v7().simple()),
                chat_id: wa_id.clone(),
                sender_id: wa_id.clone(),
                sender_name: Some(format!("{} {}", p.first_name, p.last_name)),
                sender_username: None,
                phone_raw: Some(wa_id),
                phone: Some(phone),
                text: Some(text.to_owned()),
                sent_at,
            });
        }
    }

    fn name_prefix(op: Op, i: u64) -> &'static str {
        if op == Op::SearchNoMatch {
            return data::NO_MATCH_PREFIX;
        }
        data::NAME_PREFIXES[(i as usize) % data::NAME_PREFIXES.len()]
    }

    fn phone_prefix(i: u64) -> &'static str {
        data::PHONE_PREFIXES[(i as usize) % data::PHONE_PREFIXES.len()]
    }

    fn list_stage(&self, i: u64) -> Uuid {
        self.data.stages[(i as usize) % self.data.stages.len()].id
    }

    fn lane_index(&self, i: u64) -> Result<usize> {
        if self.lane.is_empty() {
            return Err("no open deal to move: seed more contacts".into());
        }
        Ok((i as usize) % self.lane.len())
    }

    /// The next open stage after the deal's current one.
    fn move_target(&self, current: Uuid) -> Uuid {
        let at = self.open_stages.iter().position(|s| *s == current).unwrap_or(0);
        self.open_stages[(at + 1) % self.open_stages.len()]
    }
}

fn new_contact(p: &Person) -> NewContact {
    NewContact {
        first_name: p.first_name.clone(),
        last_name: Some(p.last_name.clone()),
        email: Some(p.email.clone()),
        phone: Some(p.phone.clone()),
        phone_region: None,
        organization_id: None,
        owner_id: None,
        custom: Default::default(),
    }
}

fn new_organization(c: &Company) -> NewOrganization {
    NewOrganization {
        name: c.name.clone(),
        domain: Some(c.domain.clone()),
        phone: Some(c.phone.clone()),
        city: Some(c.city.clone()),
        country: Some(c.country.clone()),
        website: Some(c.website.clone()),
        industry: Some(c.industry.clone()),
        size: Some(c.size.clone()),
        ..NewOrganization::default()
    }
}

/// The contact filter of a list operation's `i`-th run (the same on every side).
fn contact_filter(w: &Workload, op: Op, i: u64) -> Result<ContactFilter> {
    Ok(match op {
        Op::ListContactsByTag => {
            ContactFilter { tags: vec![w.list_tag()?.name.clone()], ..ContactFilter::default() }
        }
        Op::ListContactsBySelect => ContactFilter {
            custom: vec![CustomCondition {
                key: "tier".into(),
                matches: CustomMatch::Equals { value: CustomValue::text(Workload::tier_option(i)) },
            }],
            ..ContactFilter::default()
        },
        Op::ListContactsSorted => ContactFilter {
            sort: Some(CustomSort {
                key: "score".into(),
                descending: Workload::sort_descending(i),
            }),
            ..ContactFilter::default()
        },
        _ => return Err(BenchError(format!("{} lists no contacts by filter", op.name()))),
    })
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(Duration, T)> {
    let start = Instant::now();
    let out = f()?;
    Ok((start.elapsed(), out))
}

// --- Flame --------------------------------------------------------------------------------

/// Performs operations through the Flame API (any engine).
#[derive(Debug)]
pub struct FlameRunner {
    rt: Arc<Runtime>,
    flame: Flame,
    session: Session,
    w: Workload,
}

impl FlameRunner {
    /// A runner acting through `session` (and, for the host calls such as inbound messages,
    /// through `flame`, the store the session belongs to).
    pub fn new(rt: Arc<Runtime>, flame: Flame, session: Session, w: Workload) -> Self {
        Self { rt, flame, session, w }
    }
}

impl Runner for FlameRunner {
    fn name(&self) -> &'static str {
        "flame"
    }

    fn run(&mut self, op: Op, i: u64) -> Result<Duration> {
        let s = &self.session;
        let rt = &self.rt;
        let d = match op {
            Op::CreateContact => {
                let input = new_contact(&self.w.person());
                timed(|| Ok(rt.block_on(s.contacts().create(input))?))?.0
            }
            Op::GetContact => {
                let id = ContactId::from(self.w.contact());
                timed(|| Ok(rt.block_on(s.contacts().get(id))?))?.0
            }
            Op::ListDealsByStage => {
                let filter = DealFilter {
                    stage_id: Some(StageId::from(self.w.list_stage(i))),
                    ..DealFilter::default()
                };
                timed(|| Ok(rt.block_on(s.deals().list(filter, PageRequest::first(PAGE)))?))?.0
            }
            Op::SearchByName | Op::SearchByPhone | Op::SearchNoMatch => {
                let filter = if op != Op::SearchByPhone {
                    ContactFilter {
                        name_prefix: Some(Workload::name_prefix(op, i).into()),
                        ..ContactFilter::default()
                    }
                } else {
                    ContactFilter {
                        phone_prefix: Some(Workload::phone_prefix(i).into()),
                        ..ContactFilter::default()
                    }
                };
                timed(|| Ok(rt.block_on(s.contacts().list(filter, PageRequest::first(PAGE)))?))?.0
            }
            Op::MoveDeal => {
                let k = self.w.lane_index(i)?;
                let deal = self.w.lane[k];
                let target = self.w.move_target(deal.stage);
                let (d, moved) = timed(|| {
                    Ok(rt.block_on(s.deals().move_to_stage(
                        DealId::from(deal.id),
                        StageId::from(target),
                        deal.version,
                    ))?)
                })?;
                self.w.lane[k].stage = target;
                self.w.lane[k].version = moved.version;
                d
            }
            Op::WinDeal => {
                let k = self.w.lane_index(i)?;
                let deal = self.w.lane[k];
                let (d, won) =
                    timed(|| Ok(rt.block_on(s.deals().win(DealId::from(deal.id), deal.version))?))?;
                let back =
                    rt.block_on(s.deals().reopen(won.id, StageId::from(deal.home), won.version))?;
                self.w.lane[k].stage = deal.home;
                self.w.lane[k].version = back.version;
                d
            }
            Op::PipelineSummary => {
                let id = PipelineId::from(self.w.data.pipeline_id);
                timed(|| Ok(rt.block_on(s.pipelines().summary(id))?))?.0
            }
            Op::BulkImport => {
                let inputs: Vec<NewContact> =
                    (0..self.w.bulk).map(|_| new_contact(&self.w.person())).collect();
                timed(|| {
                    rt.block_on(async {
                        let report = s.contacts().import_rows(inputs).await?;
                        debug_assert_eq!(report.rejected, 0);
                        if let Some(failed) = report.failed {
                            return Err(failed.error.into());
                        }
                        Ok::<_, BenchError>(())
                    })
                })?
                .0
            }
            Op::InboundMessage => {
                let message = self.w.inbound()?;
                let company = CompanyId::from(self.w.data.company_id);
                let integration = IntegrationId::from(self.w.data.inbound.integration_id);
                let flame = &self.flame;
                let (d, outcome) = timed(|| {
                    Ok(rt.block_on(flame.inbound().handle_message(
                        company,
                        integration,
                        message,
                    ))?)
                })?;
                if outcome.duplicate || !outcome.created_contact || !outcome.created_deal {
                    return Err(BenchError(format!("not a new sender's message: {outcome:?}")));
                }
                d
            }
            Op::CreateOrganization => {
                let input = new_organization(&self.w.company());
                timed(|| Ok(rt.block_on(s.organizations().create(input))?))?.0
            }
            Op::GetOrganization => {
                let id = OrganizationId::from(self.w.organization()?);
                timed(|| Ok(rt.block_on(s.organizations().get(id))?))?.0
            }
            Op::ListOrganizations => {
                let filter = OrganizationFilter {
                    name_prefix: Some(Workload::organization_prefix(i).into()),
                    ..OrganizationFilter::default()
                };
                let page = PageRequest::first(PAGE);
                timed(|| Ok(rt.block_on(s.organizations().list(filter, page))?))?.0
            }
            Op::ListContactsByTag | Op::ListContactsBySelect | Op::ListContactsSorted => {
                let filter = contact_filter(&self.w, op, i)?;
                timed(|| Ok(rt.block_on(s.contacts().list(filter, PageRequest::first(PAGE)))?))?.0
            }
        };
        Ok(d)
    }
}

// --- The SQL Flame runs (kept identical to flame-db) --------------------------------------

const CONTACT_FIELDS_SELECT: &str =
    "SELECT company_id, id, first_name, last_name, email, phone, organization_id, owner_id,
        created_at, updated_at, version";
const CONTACT_COLUMNS: &str =
    "SELECT company_id, id, first_name, last_name, email, phone, organization_id, owner_id,
        created_at, updated_at, version FROM contacts";
const DEAL_COLUMNS: &str = "SELECT company_id, id, title, amount_minor, currency, contact_id, pipeline_id, stage_id,
        source_id, assignee_id, status, expected_close, lost_reason, closed_at, created_at, updated_at, version
     FROM deals";
const PIPELINE_COLUMNS: &str = "SELECT company_id, id, name, position, is_default, created_at, updated_at, version FROM pipelines";
const STAGE_COLUMNS: &str =
    "SELECT company_id, id, pipeline_id, name, position, kind, probability, version FROM stages";

const INSERT_CONTACT: &str = "INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization_id, owner_id,
                                   search_name, last_name_key, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const INSERT_OUTBOX: &str =
    "INSERT INTO outbox (company_id, id, event_type, aggregate_type, aggregate_id, actor_id,
                                 payload, occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const UPDATE_DEAL: &str = "UPDATE deals SET title = $1, amount_minor = $2, currency = $3, contact_id = $4, stage_id = $5,
                        source_id = $6, assignee_id = $7, status = $8, expected_close = $9, lost_reason = $10,
                        closed_at = $11, updated_at = $12, version = $13
                 WHERE company_id = $14 AND id = $15 AND version = $16";
const SUMMARY: &str = "SELECT stage_id, currency, COUNT(*) AS n, CAST(SUM(amount_minor) AS BIGINT) AS total FROM deals
                 WHERE company_id = $1 AND pipeline_id = $2 GROUP BY stage_id, currency";
const REOPEN: &str = "UPDATE deals SET stage_id = $1, status = 'open', closed_at = NULL, updated_at = $2, version = version + 1
     WHERE company_id = $3 AND id = $4";

// An inbound message from a new sender: the statements `Inbound::handle_message`
// (flame-db/src/inbound.rs) sends, top to bottom, in one transaction (`BEGIN IMMEDIATE` on
// SQLite, `BEGIN` on PostgreSQL), 20 in all:
//
//  1. INTEGRATION_BY_ID    the integration, checked usable (`integration::usable` → `find`)
//  2. SUBSCRIPTION_STATUS  the company may write (`billing::ensure_company_writable`)
//  3. INBOUND_SEEN         a message seen before would change nothing
//  4. SOURCE_EXISTS        the integration's defaults still exist
//  5. PIPELINE_EXISTS        (`integration::check_defaults`, one SELECT each)
//  6. MEMBER_EXISTS
//  7. CONTACT_BY_IDENTITY  the sender by channel identity (`find_contact`)
//  8. CONTACT_BY_PHONE     then by normalized phone (the message has one)
//  9. RESERVE_CONTACT      one more contact on the plan (`usage::reserve`: UPDATE … RETURNING)
// 10. INSERT_CONTACT       the contact (`contact::insert` → `import::insert_many`, one row)
// 11. INSERT_IDENTITY      its channel identity (`ON CONFLICT DO NOTHING`)
// 12. OPEN_DEAL_OF         the contact's open deal (`open_deal_of`)
// 13. STAGES_IN            the pipeline's stages, for the first open one (`pipeline::stages_in`)
// 14. RESERVE_DEAL         one more deal on the plan
// 15. INSERT_DEAL          the deal (`deal::insert`)
// 16. INSERT_ACTIVITY      the message-in activity (`activity::insert`)
// 17. INSERT_INBOUND       the dedup record
// 18. INSERT_OUTBOX ×3     contact.created, deal.created, activity.created (`outbox::record`)
//
// No session is involved (a host call): no standing read, no permission check.

const INTEGRATION_BY_ID: &str = "SELECT company_id, id, name, enabled, settings, credential_fields,
        created_at, updated_at, version FROM integrations WHERE company_id = $1 AND id = $2";
const SUBSCRIPTION_STATUS: &str =
    "SELECT status, trial_ends_at FROM subscriptions WHERE company_id = $1";
const INBOUND_SEEN: &str = "SELECT contact_id, deal_id, activity_id FROM inbound_messages
                 WHERE company_id = $1 AND integration_id = $2 AND external_id = $3";
const SOURCE_EXISTS: &str = "SELECT id FROM sources WHERE company_id = $1 AND id = $2";
const PIPELINE_EXISTS: &str = "SELECT id FROM pipelines WHERE company_id = $1 AND id = $2";
const MEMBER_EXISTS: &str =
    "SELECT user_id FROM memberships WHERE company_id = $1 AND user_id = $2";
const CONTACT_BY_IDENTITY: &str = "SELECT contact_id FROM channel_identities
                 WHERE company_id = $1 AND platform = $2 AND external_id = $3";
const CONTACT_BY_PHONE: &str =
    "SELECT id FROM contacts WHERE company_id = $1 AND phone = $2 ORDER BY id LIMIT 1";
const RESERVE_CONTACT: &str =
    "UPDATE company_usage SET contacts = contacts + $2 WHERE company_id = $1
                 RETURNING contacts, (SELECT p.limit_contacts FROM subscriptions s
                                   JOIN plans p ON p.id = s.plan_id
                                   WHERE s.company_id = company_usage.company_id) AS allowed";
const RESERVE_DEAL: &str = "UPDATE company_usage SET deals = deals + $2 WHERE company_id = $1
                 RETURNING deals, (SELECT p.limit_deals FROM subscriptions s
                                   JOIN plans p ON p.id = s.plan_id
                                   WHERE s.company_id = company_usage.company_id) AS allowed";
const INSERT_IDENTITY: &str =
    "INSERT INTO channel_identities (company_id, platform, external_id, contact_id,
                                                 integration_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
const OPEN_DEAL_OF: &str =
    "SELECT id FROM deals WHERE company_id = $1 AND contact_id = $2 AND status = $3
                 ORDER BY id DESC LIMIT 1";
const STAGES_IN: &str = "SELECT company_id, id, pipeline_id, name, position, kind, probability, version FROM stages WHERE company_id = $1 AND pipeline_id = $2 ORDER BY position";
const INSERT_DEAL: &str = "INSERT INTO deals (company_id, id, title, amount_minor, currency, contact_id, pipeline_id, stage_id,
                            source_id, assignee_id, status, expected_close, lost_reason, closed_at,
                            created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
const INSERT_ACTIVITY: &str = "INSERT INTO activities (company_id, id, kind, subject, body, contact_id, deal_id, owner_id, due_at, done_at,
                                 occurred_at, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
const INSERT_INBOUND: &str =
    "INSERT INTO inbound_messages (company_id, integration_id, external_id, contact_id,
                                           deal_id, activity_id, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// `sql` with its `$n` placeholders written `?n`, as Flame's SQLite layer sends it
/// (`flame-db/src/sqlite.rs`, `numbered`): SQLite numbers `$n` by order of first appearance,
/// `?n` by `n`, and the usage reservation names `$2` before `$1`. (No literal here holds a
/// `$`.)
pub(crate) fn sqlite_numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// An inbound message as the raw runners bind it: what Flame derives from the message (the
/// contact's names and search keys, the deal's title, the activity's subject and body), worked
/// out before the clock starts; the raw side does no validation.
#[derive(Debug, Clone)]
struct RawInbound {
    external_id: String,
    platform: &'static str,
    sender_id: String,
    phone: String,
    first_name: String,
    last_name: Option<String>,
    search_name: String,
    last_name_key: Option<String>,
    title: String,
    subject: &'static str,
    body: String,
    sent_at: OffsetDateTime,
}

impl RawInbound {
    fn new(m: &InboundMessage) -> Result<Self> {
        let name = m.sender_display_name();
        let (first, last) = match name.split_once(' ') {
            Some((first, last)) => {
                (first.to_owned(), Some(last.to_owned()).filter(|l| !l.trim().is_empty()))
            }
            None => (name.clone(), None),
        };
        let full = match &last {
            Some(last) => format!("{first} {last}"),
            None => first.clone(),
        };
        Ok(Self {
            external_id: m.external_message_id.clone(),
            platform: m.platform.as_str(),
            sender_id: m.sender_id.clone(),
            phone: m.phone.as_ref().ok_or("a sender without a phone")?.as_str().to_owned(),
            search_name: full.to_lowercase(),
            last_name_key: last.as_ref().map(|l| l.to_lowercase()),
            title: format!("{}: {name}", m.platform.display_name()),
            subject: m.platform.display_name(),
            body: m.text.clone().ok_or("a message without text")?,
            sent_at: m.sent_at,
            first_name: first,
            last_name: last,
        })
    }
}

/// The events of an inbound message, as `serde_json::to_value` writes them (keys in order).
fn inbound_events(
    contact: Uuid,
    deal: Uuid,
    activity: Uuid,
    pipeline: Uuid,
    stage: Uuid,
) -> [(&'static str, &'static str, Uuid, String); 3] {
    [
        ("contact.created", "contact", contact, created_event(contact)),
        (
            "deal.created",
            "deal",
            deal,
            format!(
                r#"{{"deal_id":"{deal}","pipeline_id":"{pipeline}","stage_id":"{stage}","type":"deal.created","value":{{"amount_minor":0,"currency":"USD"}}}}"#
            ),
        ),
        (
            "activity.created",
            "activity",
            activity,
            format!(
                r#"{{"activity_id":"{activity}","contact_id":"{contact}","deal_id":"{deal}","kind":"message_in","type":"activity.created"}}"#
            ),
        ),
    ]
}

fn by_id(columns: &str) -> String {
    format!("{columns} WHERE company_id = $1 AND id = $2")
}

fn list_deals_sql() -> String {
    format!("{DEAL_COLUMNS} WHERE company_id = $1 AND stage_id = $2 ORDER BY id DESC LIMIT $3")
}

/// The first page of a name search: contacts whose full name starts with the prefix, merged
/// with those whose last name does (and full name does not), by matched key then id. `$2` and
/// `$3` bound the prefix range (see [`name_range`]), `$4` is the page size plus one.
pub(crate) fn search_name_sql() -> String {
    let leg = |key: &str, also: &str, alias: &str| {
        format!(
            "SELECT * FROM ({}, {key} AS sort_key FROM contacts WHERE company_id = $1 AND {key} >= $2 AND {key} < $3{also} ORDER BY {key}, id LIMIT $4) AS {alias}",
            CONTACT_FIELDS_SELECT
        )
    };
    format!(
        "{} UNION ALL {} ORDER BY sort_key, id LIMIT $4",
        leg("search_name", "", "by_full_name"),
        leg("last_name_key", " AND NOT (search_name >= $2 AND search_name < $3)", "by_last_name"),
    )
}

/// The first page of a phone search: by phone, then id, within the prefix range.
pub(crate) fn search_phone_sql() -> String {
    format!(
        "{CONTACT_FIELDS_SELECT}, phone AS sort_key FROM contacts WHERE company_id = $1 AND phone >= $2 AND phone < $3 ORDER BY phone, id LIMIT $4"
    )
}

fn stages_sql() -> String {
    format!("{STAGE_COLUMNS} WHERE company_id = $1 AND pipeline_id = $2 ORDER BY position")
}

/// A name prefix as Flame turns it into a range: the lowercase prefix and the least text
/// after every text that starts with it (the generator's prefixes are ASCII letters, so the
/// last one is incremented).
pub(crate) fn name_range(prefix: &str) -> (String, String) {
    prefix_range(prefix.trim().to_lowercase())
}

/// A phone prefix as Flame turns it into a range: "+" and its digits, then the same with the
/// last digit incremented.
pub(crate) fn phone_range(prefix: &str) -> (String, String) {
    let digits: String = prefix.chars().filter(char::is_ascii_digit).collect();
    prefix_range(format!("+{digits}"))
}

fn prefix_range(start: String) -> (String, String) {
    let mut end = start.clone();
    let last = end.pop().expect("a non-empty prefix");
    end.push(char::from_u32(u32::from(last) + 1).expect("an ASCII prefix"));
    (start, end)
}

fn created_event(id: Uuid) -> String {
    format!(r#"{{"contact_id":"{id}","type":"contact.created"}}"#)
}

fn stage_changed_event(id: Uuid, from: Uuid, to: Uuid) -> String {
    format!(
        r#"{{"type":"deal.stage_changed","deal_id":"{id}","from_stage_id":"{from}","to_stage_id":"{to}"}}"#
    )
}

fn won_event(id: Uuid, amount_minor: i64, currency: &str) -> String {
    format!(
        r#"{{"type":"deal.won","deal_id":"{id}","value":{{"amount_minor":{amount_minor},"currency":"{currency}"}}}}"#
    )
}

/// A contact row as the raw runners decode it.
#[derive(Debug, Clone)]
pub struct RawContact {
    /// `id`.
    pub id: Uuid,
    /// `first_name`.
    pub first_name: String,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `organization_id`.
    pub organization_id: Option<Uuid>,
    /// `owner_id`.
    pub owner_id: Option<Uuid>,
    /// `version`.
    pub version: i64,
}

/// A deal row as the raw runners decode it.
#[derive(Debug, Clone)]
pub struct RawDeal {
    /// `id`.
    pub id: Uuid,
    /// `title`.
    pub title: String,
    /// `amount_minor`.
    pub amount_minor: i64,
    /// `currency`.
    pub currency: String,
    /// `contact_id`.
    pub contact_id: Option<Uuid>,
    /// `pipeline_id`.
    pub pipeline_id: Uuid,
    /// `stage_id`.
    pub stage_id: Uuid,
    /// `source_id`.
    pub source_id: Option<Uuid>,
    /// `assignee_id`.
    pub assignee_id: Option<Uuid>,
    /// `status`.
    pub status: String,
    /// `expected_close` (text on SQLite, a date on PostgreSQL).
    pub expected_close: Option<String>,
    /// `lost_reason`.
    pub lost_reason: Option<String>,
    /// `version`.
    pub version: i64,
}

// --- rusqlite -----------------------------------------------------------------------------

fn blob_uuid(row: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<Uuid> {
    let b: Vec<u8> = row.get(col)?;
    Uuid::from_slice(&b).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Blob, Box::new(e))
    })
}

fn opt_blob_uuid(row: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<Option<Uuid>> {
    let b: Option<Vec<u8>> = row.get(col)?;
    b.map(|b| {
        Uuid::from_slice(&b).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Blob, Box::new(e))
        })
    })
    .transpose()
}

fn sqlite_contact(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawContact> {
    let _company = blob_uuid(row, 0)?;
    let _created: String = row.get(8)?;
    let _updated: String = row.get(9)?;
    Ok(RawContact {
        id: blob_uuid(row, 1)?,
        first_name: row.get(2)?,
        last_name: row.get(3)?,
        email: row.get(4)?,
        phone: row.get(5)?,
        organization_id: opt_blob_uuid(row, 6)?,
        owner_id: opt_blob_uuid(row, 7)?,
        version: row.get(10)?,
    })
}

fn sqlite_deal(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawDeal> {
    let _company = blob_uuid(row, 0)?;
    let _closed: Option<String> = row.get(13)?;
    let _created: String = row.get(14)?;
    let _updated: String = row.get(15)?;
    Ok(RawDeal {
        id: blob_uuid(row, 1)?,
        title: row.get(2)?,
        amount_minor: row.get(3)?,
        currency: row.get(4)?,
        contact_id: opt_blob_uuid(row, 5)?,
        pipeline_id: blob_uuid(row, 6)?,
        stage_id: blob_uuid(row, 7)?,
        source_id: opt_blob_uuid(row, 8)?,
        assignee_id: opt_blob_uuid(row, 9)?,
        status: row.get(10)?,
        expected_close: row.get(11)?,
        lost_reason: row.get(12)?,
        version: row.get(16)?,
    })
}

/// An integration row, decoded; whether it is enabled.
fn sqlite_integration(row: &rusqlite::Row<'_>) -> rusqlite::Result<bool> {
    let _company = blob_uuid(row, 0)?;
    let _id = blob_uuid(row, 1)?;
    let _name: String = row.get(2)?;
    let enabled: i64 = row.get(3)?;
    let _settings: String = row.get(4)?;
    let _fields: String = row.get(5)?;
    let _created: String = row.get(6)?;
    let _updated: String = row.get(7)?;
    let _version: i64 = row.get(8)?;
    Ok(enabled != 0)
}

/// A stage row: id, kind.
fn sqlite_stage(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Uuid, String)> {
    let _company = blob_uuid(row, 0)?;
    let _pipeline = blob_uuid(row, 2)?;
    let _name: String = row.get(3)?;
    let _position: i64 = row.get(4)?;
    let _probability: i64 = row.get(6)?;
    let _version: i64 = row.get(7)?;
    Ok((blob_uuid(row, 1)?, row.get(5)?))
}

/// The same SQL through rusqlite prepared statements on the same SQLite file, with the
/// connection settings Flame uses (WAL, synchronous=NORMAL, foreign keys on).
#[derive(Debug)]
pub struct RawSqlite {
    conn: rusqlite::Connection,
    /// The usage reservations for a contact and a deal, their placeholders numbered.
    reserve: [String; 2],
    /// The statements of the organization, tag and custom field operations, numbered.
    texts: records::SqliteTexts,
    w: Workload,
}

impl RawSqlite {
    /// Opens `path` (the file Flame seeded).
    pub fn open(path: &std::path::Path, w: Workload) -> Result<Self> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        let reserve = [sqlite_numbered(RESERVE_CONTACT), sqlite_numbered(RESERVE_DEAL)];
        Ok(Self { conn, reserve, texts: records::SqliteTexts::new(), w })
    }

    fn company(&self) -> Vec<u8> {
        self.w.data.company_id.as_bytes().to_vec()
    }

    fn fetch_deal(tx: &rusqlite::Transaction<'_>, company: &[u8], id: Uuid) -> Result<RawDeal> {
        let mut st = tx.prepare_cached(&by_id(DEAL_COLUMNS))?;
        Ok(st.query_row(rusqlite::params![company, id.as_bytes()], sqlite_deal)?)
    }

    fn outbox(
        tx: &rusqlite::Transaction<'_>,
        company: &[u8],
        actor: Option<Uuid>,
        event: (&str, &str, Uuid, String),
        now: &str,
    ) -> Result<()> {
        let mut st = tx.prepare_cached(INSERT_OUTBOX)?;
        st.execute(rusqlite::params![
            company,
            Uuid::now_v7().as_bytes(),
            event.0,
            event.1,
            event.2.as_bytes(),
            actor.as_ref().map(Uuid::as_bytes),
            event.3,
            now
        ])?;
        Ok(())
    }

    /// One more unit of usage (`sql`: a numbered reservation), and what the plan allows.
    fn reserve(tx: &rusqlite::Transaction<'_>, sql: &str, company: &[u8]) -> Result<()> {
        let mut st = tx.prepare_cached(sql)?;
        let (_used, _allowed): (i64, Option<i64>) =
            st.query_row(rusqlite::params![company, 1_i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(())
    }

    /// The statements of `Inbound::handle_message` for a new sender's message (see the list
    /// above [`INTEGRATION_BY_ID`]), with Flame's checks on what they return; the new contact,
    /// deal and activity.
    fn inbound(
        conn: &mut rusqlite::Connection,
        reserve: &[String; 2],
        data: &Dataset,
        m: &RawInbound,
    ) -> Result<[Uuid; 3]> {
        use rusqlite::OptionalExtension as _;
        use rusqlite::params;
        let InboundSetup { integration_id, source_id, assignee_id, .. } = data.inbound;
        let (company, integration) = (data.company_id.as_bytes(), integration_id.as_bytes());
        let (pipeline, assignee) = (data.pipeline_id, assignee_id.as_bytes());
        let now = sqlite_time(OffsetDateTime::now_utc());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let enabled = tx
            .prepare_cached(INTEGRATION_BY_ID)?
            .query_row(params![company, integration], sqlite_integration)?;
        if !enabled {
            return Err("the integration is disabled".into());
        }
        let _status: Option<(String, Option<String>)> = tx
            .prepare_cached(SUBSCRIPTION_STATUS)?
            .query_row(params![company], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let seen = tx
            .prepare_cached(INBOUND_SEEN)?
            .query_row(params![company, integration, m.external_id], |r| {
                Ok((opt_blob_uuid(r, 0)?, opt_blob_uuid(r, 1)?, opt_blob_uuid(r, 2)?))
            })
            .optional()?;
        if seen.is_some() {
            return Err("the message was handled before".into());
        }
        for (sql, id) in
            [(SOURCE_EXISTS, source_id), (PIPELINE_EXISTS, pipeline), (MEMBER_EXISTS, assignee_id)]
        {
            tx.prepare_cached(sql)?
                .query_row(params![company, id.as_bytes()], |r| blob_uuid(r, 0))
                .optional()?
                .ok_or("a default of the integration is gone")?;
        }
        let known = tx
            .prepare_cached(CONTACT_BY_IDENTITY)?
            .query_row(params![company, m.platform, m.sender_id], |r| blob_uuid(r, 0))
            .optional()?;
        let by_phone = tx
            .prepare_cached(CONTACT_BY_PHONE)?
            .query_row(params![company, m.phone], |r| blob_uuid(r, 0))
            .optional()?;
        if known.is_some() || by_phone.is_some() {
            return Err("the sender is a known contact".into());
        }
        Self::reserve(&tx, &reserve[0], company)?;
        let contact = Uuid::now_v7();
        tx.prepare_cached(INSERT_CONTACT)?.execute(params![
            company,
            contact.as_bytes(),
            m.first_name,
            m.last_name,
            None::<String>,
            m.phone,
            None::<&[u8]>, // organization_id
            assignee,
            m.search_name,
            m.last_name_key,
            now,
            now,
            1_i64
        ])?;
        tx.prepare_cached(INSERT_IDENTITY)?.execute(params![
            company,
            m.platform,
            m.sender_id,
            contact.as_bytes(),
            integration,
            now
        ])?;
        let open = tx
            .prepare_cached(OPEN_DEAL_OF)?
            .query_row(params![company, contact.as_bytes(), "open"], |r| blob_uuid(r, 0))
            .optional()?;
        if open.is_some() {
            return Err("a new contact with an open deal".into());
        }
        let stages = tx
            .prepare_cached(STAGES_IN)?
            .query_map(params![company, pipeline.as_bytes()], sqlite_stage)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let stage = stages.iter().find(|s| s.1 == "open").ok_or("no open stage")?.0;
        Self::reserve(&tx, &reserve[1], company)?;
        let deal = Uuid::now_v7();
        tx.prepare_cached(INSERT_DEAL)?.execute(params![
            company,
            deal.as_bytes(),
            m.title,
            0_i64,
            "USD",
            contact.as_bytes(),
            pipeline.as_bytes(),
            stage.as_bytes(),
            source_id.as_bytes(),
            assignee,
            "open",
            None::<String>,
            None::<String>,
            None::<String>,
            now,
            now,
            1_i64
        ])?;
        let activity = Uuid::now_v7();
        tx.prepare_cached(INSERT_ACTIVITY)?.execute(params![
            company,
            activity.as_bytes(),
            "message_in",
            m.subject,
            m.body,
            contact.as_bytes(),
            deal.as_bytes(),
            assignee,
            None::<String>,
            None::<String>,
            sqlite_time(m.sent_at),
            now,
            now,
            1_i64
        ])?;
        tx.prepare_cached(INSERT_INBOUND)?.execute(params![
            company,
            integration,
            m.external_id,
            contact.as_bytes(),
            deal.as_bytes(),
            activity.as_bytes(),
            now
        ])?;
        for event in inbound_events(contact, deal, activity, pipeline, stage) {
            Self::outbox(&tx, company, None, event, &now)?;
        }
        tx.commit()?;
        Ok([contact, deal, activity])
    }

    /// Saves a deal the way `Deals::save` does.
    fn save_deal(
        tx: &rusqlite::Transaction<'_>,
        company: &[u8],
        d: &RawDeal,
        next: (Uuid, &str, Option<&str>, &str),
        version: i64,
    ) -> Result<()> {
        let (stage, status, closed_at, now) = next;
        let mut st = tx.prepare_cached(UPDATE_DEAL)?;
        let changed = st.execute(rusqlite::params![
            d.title,
            d.amount_minor,
            d.currency,
            d.contact_id.map(|u| u.as_bytes().to_vec()),
            stage.as_bytes(),
            d.source_id.map(|u| u.as_bytes().to_vec()),
            d.assignee_id.map(|u| u.as_bytes().to_vec()),
            status,
            d.expected_close,
            d.lost_reason,
            closed_at,
            now,
            version + 1,
            company,
            d.id.as_bytes(),
            version
        ])?;
        if changed == 0 {
            return Err("stale deal".into());
        }
        Ok(())
    }

    fn insert_contact(
        st: &mut rusqlite::CachedStatement<'_>,
        company: &[u8],
        owner: Uuid,
        p: &Person,
        now: &str,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        st.execute(rusqlite::params![
            company,
            id.as_bytes(),
            p.first_name,
            p.last_name,
            p.email,
            p.phone,
            None::<&[u8]>,
            owner.as_bytes(),
            p.search_name(),
            p.last_name_key(),
            now,
            now,
            1_i64
        ])?;
        Ok(id)
    }
}

impl Runner for RawSqlite {
    fn name(&self) -> &'static str {
        "raw"
    }

    fn run(&mut self, op: Op, i: u64) -> Result<Duration> {
        let company = self.company();
        let owner = self.w.data.owner_id;
        let d = match op {
            Op::CreateContact => {
                let p = self.w.person();
                let conn = &mut self.conn;
                timed(|| {
                    let now = sqlite_time(OffsetDateTime::now_utc());
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    {
                        let mut st = tx.prepare_cached(INSERT_CONTACT)?;
                        let id = Self::insert_contact(&mut st, &company, owner, &p, &now)?;
                        Self::outbox(
                            &tx,
                            &company,
                            Some(owner),
                            ("contact.created", "contact", id, created_event(id)),
                            &now,
                        )?;
                    }
                    tx.commit()?;
                    Ok(())
                })?
                .0
            }
            Op::GetContact => {
                let id = self.w.contact();
                let conn = &self.conn;
                timed(|| {
                    let mut st = conn.prepare_cached(&by_id(CONTACT_COLUMNS))?;
                    Ok(st.query_row(rusqlite::params![company, id.as_bytes()], sqlite_contact)?)
                })?
                .0
            }
            Op::ListDealsByStage => {
                let stage = self.w.list_stage(i);
                let conn = &self.conn;
                timed(|| {
                    let mut st = conn.prepare_cached(&list_deals_sql())?;
                    let rows = st.query_map(
                        rusqlite::params![company, stage.as_bytes(), i64::from(PAGE) + 1],
                        sqlite_deal,
                    )?;
                    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
                })?
                .0
            }
            Op::SearchByName | Op::SearchByPhone | Op::SearchNoMatch => {
                let (sql, (start, end)) = if op != Op::SearchByPhone {
                    (search_name_sql(), name_range(Workload::name_prefix(op, i)))
                } else {
                    (search_phone_sql(), phone_range(Workload::phone_prefix(i)))
                };
                let conn = &self.conn;
                timed(|| {
                    let mut st = conn.prepare_cached(&sql)?;
                    let rows = st.query_map(
                        rusqlite::params![company, start, end, i64::from(PAGE) + 1],
                        sqlite_contact,
                    )?;
                    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
                })?
                .0
            }
            Op::MoveDeal => {
                let k = self.w.lane_index(i)?;
                let deal = self.w.lane[k];
                let target = self.w.move_target(deal.stage);
                let conn = &mut self.conn;
                let (d, ()) = timed(|| {
                    let now = sqlite_time(OffsetDateTime::now_utc());
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let current = Self::fetch_deal(&tx, &company, deal.id)?;
                    if current.version != deal.version {
                        return Err("stale deal".into());
                    }
                    let (stage, kind) = {
                        let mut st = tx.prepare_cached(&by_id(STAGE_COLUMNS))?;
                        st.query_row(rusqlite::params![company, target.as_bytes()], sqlite_stage)?
                    };
                    Self::save_deal(
                        &tx,
                        &company,
                        &current,
                        (stage, &kind, None, &now),
                        deal.version,
                    )?;
                    let event = stage_changed_event(deal.id, current.stage_id, stage);
                    Self::outbox(
                        &tx,
                        &company,
                        Some(owner),
                        ("deal.stage_changed", "deal", deal.id, event),
                        &now,
                    )?;
                    tx.commit()?;
                    Ok(())
                })?;
                self.w.lane[k].stage = target;
                self.w.lane[k].version += 1;
                d
            }
            Op::WinDeal => {
                let k = self.w.lane_index(i)?;
                let deal = self.w.lane[k];
                let pipeline = self.w.data.pipeline_id;
                let conn = &mut self.conn;
                let (d, ()) = timed(|| {
                    let now = sqlite_time(OffsetDateTime::now_utc());
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let current = Self::fetch_deal(&tx, &company, deal.id)?;
                    if current.version != deal.version {
                        return Err("stale deal".into());
                    }
                    let stages = {
                        let mut st = tx.prepare_cached(&stages_sql())?;
                        let rows = st.query_map(
                            rusqlite::params![company, pipeline.as_bytes()],
                            sqlite_stage,
                        )?;
                        rows.collect::<rusqlite::Result<Vec<_>>>()?
                    };
                    let won = stages.iter().find(|s| s.1 == "won").ok_or("no won stage")?.0;
                    Self::save_deal(
                        &tx,
                        &company,
                        &current,
                        (won, "won", Some(&now), &now),
                        deal.version,
                    )?;
                    let changed = stage_changed_event(deal.id, current.stage_id, won);
                    Self::outbox(
                        &tx,
                        &company,
                        Some(owner),
                        ("deal.stage_changed", "deal", deal.id, changed),
                        &now,
                    )?;
                    let won = won_event(deal.id, current.amount_minor, &current.currency);
                    Self::outbox(
                        &tx,
                        &company,
                        Some(owner),
                        ("deal.won", "deal", deal.id, won),
                        &now,
                    )?;
                    tx.commit()?;
                    Ok(())
                })?;
                let now = sqlite_time(OffsetDateTime::now_utc());
                self.conn.prepare_cached(REOPEN)?.execute(rusqlite::params![
                    deal.home.as_bytes(),
                    now,
                    company,
                    deal.id.as_bytes()
                ])?;
                self.w.lane[k].stage = deal.home;
                self.w.lane[k].version += 2;
                d
            }
            Op::InboundMessage => {
                let m = RawInbound::new(&self.w.inbound()?)?;
                let (conn, reserve, data) = (&mut self.conn, &self.reserve, &self.w.data);
                timed(|| Self::inbound(conn, reserve, data, &m))?.0
            }
            Op::PipelineSummary => {
                let pipeline = self.w.data.pipeline_id;
                let conn = &self.conn;
                timed(|| {
                    let mut st = conn.prepare_cached(&by_id(PIPELINE_COLUMNS))?;
                    let _p: (Vec<u8>, String) = st
                        .query_row(rusqlite::params![company, pipeline.as_bytes()], |r| {
                            Ok((r.get(1)?, r.get(2)?))
                        })?;
                    let mut st = conn.prepare_cached(&stages_sql())?;
                    let stages = st
                        .query_map(rusqlite::params![company, pipeline.as_bytes()], sqlite_stage)?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    let mut st = conn.prepare_cached(SUMMARY)?;
                    let rows = st
                        .query_map(rusqlite::params![company, pipeline.as_bytes()], |r| {
                            Ok((
                                blob_uuid(r, 0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, i64>(2)?,
                                r.get::<_, i64>(3)?,
                            ))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok((stages, rows))
                })?
                .0
            }
            Op::CreateOrganization
            | Op::GetOrganization
            | Op::ListOrganizations
            | Op::ListContactsByTag
            | Op::ListContactsBySelect
            | Op::ListContactsSorted => self.run_record_op(op, i)?,
            Op::BulkImport => {
                let people: Vec<Person> = (0..self.w.bulk).map(|_| self.w.person()).collect();
                let conn = &mut self.conn;
                timed(|| {
                    let now = sqlite_time(OffsetDateTime::now_utc());
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    {
                        let mut st = tx.prepare_cached(INSERT_CONTACT)?;
                        for p in &people {
                            Self::insert_contact(&mut st, &company, owner, p, &now)?;
                        }
                    }
                    tx.commit()?;
                    Ok(())
                })?
                .0
            }
        };
        Ok(d)
    }
}

// --- PostgreSQL through sqlx, without Flame ------------------------------------------------

fn pg_contact(row: &sqlx::postgres::PgRow) -> std::result::Result<RawContact, sqlx::Error> {
    let _company: Uuid = row.try_get(0)?;
    let _created: OffsetDateTime = row.try_get(8)?;
    let _updated: OffsetDateTime = row.try_get(9)?;
    Ok(RawContact {
        id: row.try_get(1)?,
        first_name: row.try_get(2)?,
        last_name: row.try_get(3)?,
        email: row.try_get(4)?,
        phone: row.try_get(5)?,
        organization_id: row.try_get(6)?,
        owner_id: row.try_get(7)?,
        version: row.try_get(10)?,
    })
}

fn pg_deal(row: &sqlx::postgres::PgRow) -> std::result::Result<RawDeal, sqlx::Error> {
    let _company: Uuid = row.try_get(0)?;
    let _closed: Option<OffsetDateTime> = row.try_get(13)?;
    let _created: OffsetDateTime = row.try_get(14)?;
    let _updated: OffsetDateTime = row.try_get(15)?;
    let expected: Option<time::Date> = row.try_get(11)?;
    Ok(RawDeal {
        id: row.try_get(1)?,
        title: row.try_get(2)?,
        amount_minor: row.try_get(3)?,
        currency: row.try_get(4)?,
        contact_id: row.try_get(5)?,
        pipeline_id: row.try_get(6)?,
        stage_id: row.try_get(7)?,
        source_id: row.try_get(8)?,
        assignee_id: row.try_get(9)?,
        status: row.try_get(10)?,
        expected_close: expected.map(|d| d.to_string()),
        lost_reason: row.try_get(12)?,
        version: row.try_get(16)?,
    })
}

fn pg_stage(row: &sqlx::postgres::PgRow) -> std::result::Result<(Uuid, String), sqlx::Error> {
    let _company: Uuid = row.try_get(0)?;
    let _pipeline: Uuid = row.try_get(2)?;
    let _name: String = row.try_get(3)?;
    let _position: i32 = row.try_get(4)?;
    let _probability: i32 = row.try_get(6)?;
    let _version: i64 = row.try_get(7)?;
    Ok((row.try_get(1)?, row.try_get(5)?))
}

fn sql(text: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text)
}

/// The same SQL through sqlx on one PostgreSQL connection (statements prepared once and
/// cached by sqlx), without Flame's layers; bulk import through `COPY`.
#[derive(Debug)]
pub struct RawPostgres {
    rt: Arc<Runtime>,
    conn: sqlx::PgConnection,
    w: Workload,
}

impl RawPostgres {
    /// Connects to `url` (the database Flame seeded).
    pub fn connect(rt: Arc<Runtime>, url: &str, w: Workload) -> Result<Self> {
        let conn = rt.block_on(sqlx::PgConnection::connect(url))?;
        Ok(Self { rt, conn, w })
    }
}

async fn pg_outbox(
    tx: &mut sqlx::PgConnection,
    company: Uuid,
    actor: Option<Uuid>,
    event: (&str, &str, Uuid, String),
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(INSERT_OUTBOX)
        .bind(company)
        .bind(Uuid::now_v7())
        .bind(event.0)
        .bind(event.1)
        .bind(event.2)
        .bind(actor)
        .bind(sqlx::types::Json(
            sqlx::types::JsonRawValue::from_string(event.3)
                .map_err(|e| BenchError(e.to_string()))?,
        ))
        .bind(now)
        .execute(tx)
        .await?;
    Ok(())
}

/// An integration row, decoded; whether it is enabled.
fn pg_integration(row: &sqlx::postgres::PgRow) -> std::result::Result<bool, sqlx::Error> {
    let _company: Uuid = row.try_get(0)?;
    let _id: Uuid = row.try_get(1)?;
    let _name: String = row.try_get(2)?;
    let enabled: bool = row.try_get(3)?;
    let _settings: sqlx::types::Json<Box<sqlx::types::JsonRawValue>> = row.try_get(4)?;
    let _fields: String = row.try_get(5)?;
    let _created: OffsetDateTime = row.try_get(6)?;
    let _updated: OffsetDateTime = row.try_get(7)?;
    let _version: i64 = row.try_get(8)?;
    Ok(enabled)
}

/// One more unit of usage (`sql`: a reservation), and what the plan allows.
async fn pg_reserve(tx: &mut sqlx::PgConnection, sql: &'static str, company: Uuid) -> Result<()> {
    let row = sqlx::query(sql).bind(company).bind(1_i64).fetch_one(tx).await?;
    let (_used, _allowed): (i64, Option<i32>) = (row.try_get(0)?, row.try_get(1)?);
    Ok(())
}

/// The statements of `Inbound::handle_message` for a new sender's message (see the list above
/// [`INTEGRATION_BY_ID`]), with Flame's checks on what they return; the new contact, deal and
/// activity.
async fn pg_inbound(
    conn: &mut sqlx::PgConnection,
    data: &Dataset,
    m: &RawInbound,
) -> Result<[Uuid; 3]> {
    let InboundSetup { integration_id: integration, source_id, assignee_id, .. } = data.inbound;
    let (company, pipeline) = (data.company_id, data.pipeline_id);
    let now = OffsetDateTime::now_utc();
    let mut tx = conn.begin().await?;
    let row =
        sqlx::query(INTEGRATION_BY_ID).bind(company).bind(integration).fetch_one(&mut *tx).await?;
    if !pg_integration(&row)? {
        return Err("the integration is disabled".into());
    }
    if let Some(row) =
        sqlx::query(SUBSCRIPTION_STATUS).bind(company).fetch_optional(&mut *tx).await?
    {
        let _status: (String, Option<OffsetDateTime>) = (row.try_get(0)?, row.try_get(1)?);
    }
    let seen = sqlx::query(INBOUND_SEEN)
        .bind(company)
        .bind(integration)
        .bind(&m.external_id)
        .fetch_optional(&mut *tx)
        .await?;
    if seen.is_some() {
        return Err("the message was handled before".into());
    }
    for (sql, id) in
        [(SOURCE_EXISTS, source_id), (PIPELINE_EXISTS, pipeline), (MEMBER_EXISTS, assignee_id)]
    {
        let row = sqlx::query(sql).bind(company).bind(id).fetch_optional(&mut *tx).await?;
        let _id: Uuid = row.ok_or("a default of the integration is gone")?.try_get(0)?;
    }
    let known = sqlx::query(CONTACT_BY_IDENTITY)
        .bind(company)
        .bind(m.platform)
        .bind(&m.sender_id)
        .fetch_optional(&mut *tx)
        .await?;
    let by_phone =
        sqlx::query(CONTACT_BY_PHONE).bind(company).bind(&m.phone).fetch_optional(&mut *tx).await?;
    if known.is_some() || by_phone.is_some() {
        return Err("the sender is a known contact".into());
    }
    pg_reserve(&mut tx, RESERVE_CONTACT, company).await?;
    let contact = Uuid::now_v7();
    sqlx::query(INSERT_CONTACT)
        .bind(company)
        .bind(contact)
        .bind(&m.first_name)
        .bind(&m.last_name)
        .bind(None::<String>)
        .bind(&m.phone)
        .bind(None::<Uuid>) // organization_id
        .bind(assignee_id)
        .bind(&m.search_name)
        .bind(&m.last_name_key)
        .bind(now)
        .bind(now)
        .bind(1_i64)
        .execute(&mut *tx)
        .await?;
    sqlx::query(INSERT_IDENTITY)
        .bind(company)
        .bind(m.platform)
        .bind(&m.sender_id)
        .bind(contact)
        .bind(integration)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let open = sqlx::query(OPEN_DEAL_OF)
        .bind(company)
        .bind(contact)
        .bind("open")
        .fetch_optional(&mut *tx)
        .await?;
    if open.is_some() {
        return Err("a new contact with an open deal".into());
    }
    let rows = sqlx::query(STAGES_IN).bind(company).bind(pipeline).fetch_all(&mut *tx).await?;
    let stages = rows.iter().map(pg_stage).collect::<std::result::Result<Vec<_>, _>>()?;
    let stage = stages.iter().find(|s| s.1 == "open").ok_or("no open stage")?.0;
    pg_reserve(&mut tx, RESERVE_DEAL, company).await?;
    let deal = Uuid::now_v7();
    sqlx::query(INSERT_DEAL)
        .bind(company)
        .bind(deal)
        .bind(&m.title)
        .bind(0_i64)
        .bind("USD")
        .bind(contact)
        .bind(pipeline)
        .bind(stage)
        .bind(source_id)
        .bind(assignee_id)
        .bind("open")
        .bind(None::<time::Date>)
        .bind(None::<String>)
        .bind(None::<OffsetDateTime>)
        .bind(now)
        .bind(now)
        .bind(1_i64)
        .execute(&mut *tx)
        .await?;
    let activity = Uuid::now_v7();
    sqlx::query(INSERT_ACTIVITY)
        .bind(company)
        .bind(activity)
        .bind("message_in")
        .bind(m.subject)
        .bind(&m.body)
        .bind(contact)
        .bind(deal)
        .bind(assignee_id)
        .bind(None::<OffsetDateTime>)
        .bind(None::<OffsetDateTime>)
        .bind(m.sent_at)
        .bind(now)
        .bind(now)
        .bind(1_i64)
        .execute(&mut *tx)
        .await?;
    sqlx::query(INSERT_INBOUND)
        .bind(company)
        .bind(integration)
        .bind(&m.external_id)
        .bind(contact)
        .bind(deal)
        .bind(activity)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    for event in inbound_events(contact, deal, activity, pipeline, stage) {
        pg_outbox(&mut tx, company, None, event, now).await?;
    }
    tx.commit().await?;
    Ok([contact, deal, activity])
}

async fn pg_save_deal(
    tx: &mut sqlx::PgConnection,
    company: Uuid,
    d: &RawDeal,
    next: (Uuid, &str, Option<OffsetDateTime>, OffsetDateTime),
    version: i64,
) -> Result<()> {
    let (stage, status, closed_at, now) = next;
    let expected: Option<time::Date> = d
        .expected_close
        .as_deref()
        .map(|t| time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]")))
        .transpose()
        .map_err(|e| BenchError(e.to_string()))?;
    let changed = sqlx::query(UPDATE_DEAL)
        .bind(&d.title)
        .bind(d.amount_minor)
        .bind(&d.currency)
        .bind(d.contact_id)
        .bind(stage)
        .bind(d.source_id)
        .bind(d.assignee_id)
        .bind(status)
        .bind(expected)
        .bind(&d.lost_reason)
        .bind(closed_at)
        .bind(now)
        .bind(version + 1)
        .bind(company)
        .bind(d.id)
        .bind(version)
        .execute(tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err("stale deal".into());
    }
    Ok(())
}

async fn pg_fetch_deal(tx: &mut sqlx::PgConnection, company: Uuid, id: Uuid) -> Result<RawDeal> {
    let row = sqlx::query(sql(by_id(DEAL_COLUMNS))).bind(company).bind(id).fetch_one(tx).await?;
    Ok(pg_deal(&row)?)
}

fn pg_copy_line(out: &mut String, company: Uuid, owner: Uuid, p: &Person, now: &str) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        // The organization_id column is null: the benchmarks' contacts belong to none.
        "{company}\t{}\t{}\t{}\t{}\t{}\t\\N\t{owner}\t{}\t{}\t{now}\t{now}\t1",
        Uuid::now_v7(),
        p.first_name,
        p.last_name,
        p.email,
        p.phone,
        p.search_name(),
        p.last_name_key(),
    );
}

impl Runner for RawPostgres {
    fn name(&self) -> &'static str {
        "raw"
    }

    fn run(&mut self, op: Op, i: u64) -> Result<Duration> {
        let company = self.w.data.company_id;
        let owner = self.w.data.owner_id;
        let pipeline = self.w.data.pipeline_id;
        let rt = Arc::clone(&self.rt);
        let d = match op {
            Op::CreateContact => {
                let p = self.w.person();
                let conn = &mut self.conn;
                timed(|| {
                    rt.block_on(async {
                        let now = OffsetDateTime::now_utc();
                        let id = Uuid::now_v7();
                        let mut tx = conn.begin().await?;
                        sqlx::query(INSERT_CONTACT)
                            .bind(company)
                            .bind(id)
                            .bind(&p.first_name)
                            .bind(&p.last_name)
                            .bind(&p.email)
                            .bind(&p.phone)
                            .bind(None::<Uuid>)
                            .bind(owner)
                            .bind(p.search_name())
                            .bind(p.last_name_key())
                            .bind(now)
                            .bind(now)
                            .bind(1_i64)
                            .execute(&mut *tx)
                            .await?;
                        pg_outbox(
                            &mut tx,
                            company,
                            Some(owner),
                            ("contact.created", "contact", id, created_event(id)),
                            now,
                        )
                        .await?;
                        tx.commit().await?;
                        Ok(())
                    })
                })?
                .0
            }
            Op::GetContact => {
                let id = self.w.contact();
                let conn = &mut self.conn;
                timed(|| {
                    rt.block_on(async {
                        let row = sqlx::query(sql(by_id(CONTACT_COLUMNS)))
                            .bind(company)
                            .bind(id)
                            .fetch_one(conn)
                            .await?;
                        Ok(pg_contact(&row)?)
                    })
                })?
                .0
            }
            Op::ListDealsByStage => {
                let stage = self.w.list_stage(i);
                let conn = &mut self.conn;
                timed(|| {
                    rt.block_on(async {
                        let rows = sqlx::query(sql(list_deals_sql()))
                            .bind(company)
                            .bind(stage)
                            .bind(i64::from(PAGE) + 1)
                            .fetch_all(conn)
                            .await?;
                        Ok(rows.iter().map(pg_deal).collect::<std::result::Result<Vec<_>, _>>()?)
                    })
                })?
                .0
            }
            Op::SearchByName | Op::SearchByPhone | Op::SearchNoMatch => {
                let (text, (start, end)) = if op != Op::SearchByPhone {
                    (search_name_sql(), name_range(Workload::name_prefix(op, i)))
                } else {
                    (search_phone_sql(), phone_range(Workload::phone_prefix(i)))
                };
                let conn = &mut self.conn;
                timed(|| {
                    rt.block_on(async {
                        let rows = sqlx::query(sql(text))
                            .bind(company)
                            .bind(start)
                            .bind(end)
                            .bind(i64::from(PAGE) + 1)
                            .fetch_all(conn)
                            .await?;
                        Ok(rows
                            .iter()
                            .map(pg_contact)
                            .collect::<std::result::Result<Vec<_>, _>>()?)
                    })
                })?
                .0
            }
            Op::MoveDeal => {
                let k = self.w.lane_index(i)?;
                let deal = self.w.lane[k];
                let target = self.w.move_target(deal.stage);
                let conn = &mut self.conn;
                let (d, ()) = timed(|| {
                    rt.block_on(async {
                        let now = OffsetDateTime::now_utc();
                        let mut tx = conn.begin().await?;
                        let current = pg_fetch_deal(&mut tx, company, deal.id).await?;
                        if current.version != deal.version {
                            return Err(BenchError::from("stale deal"));
                        }
                        let row = sqlx::query(sql(by_id(STAGE_COLUMNS)))
                            .bind(company)
                            .bind(target)
                            .fetch_one(&mut *tx)
                            .await?;
                        let (stage, kind) = pg_stage(&row)?;
                        pg_save_deal(
                            &mut tx,
                            company,
                            &current,
                            (stage, &kind, None, now),
                            deal.version,
                        )
                        .await?;
                        let event = stage_changed_event(deal.id, current.stage_id, stage);
                        pg_outbox(
                            &mut tx,
                            company,
                            Some(owner),
                            ("deal.stage_changed", "deal", deal.id, event),
                            now,
                        )
                        .await?;
                        tx.commit().await?;
                        Ok(())
                    })
                })?;
                self.w.lane[k].stage = target;
                self.w.lane[k].version += 1;
                d
            }
            Op::WinDeal => {
                let k = self.w.lane_index(i)?;
                let deal = self.w.lane[k];
                let conn = &mut self.conn;
                let (d, ()) = timed(|| {
                    rt.block_on(async {
                        let now = OffsetDateTime::now_utc();
                        let mut tx = conn.begin().await?;
                        let current = pg_fetch_deal(&mut tx, company, deal.id).await?;
                        if current.version != deal.version {
                            return Err(BenchError::from("stale deal"));
                        }
                        let rows = sqlx::query(sql(stages_sql()))
                            .bind(company)
                            .bind(pipeline)
                            .fetch_all(&mut *tx)
                            .await?;
                        let stages = rows
                            .iter()
                            .map(pg_stage)
                            .collect::<std::result::Result<Vec<_>, _>>()?;
                        let won = stages.iter().find(|s| s.1 == "won").ok_or("no won stage")?.0;
                        pg_save_deal(
                            &mut tx,
                            company,
                            &current,
                            (won, "won", Some(now), now),
                            deal.version,
                        )
                        .await?;
                        let changed = stage_changed_event(deal.id, current.stage_id, won);
                        pg_outbox(
                            &mut tx,
                            company,
                            Some(owner),
                            ("deal.stage_changed", "deal", deal.id, changed),
                            now,
                        )
                        .await?;
                        let won = won_event(deal.id, current.amount_minor, &current.currency);
                        pg_outbox(
                            &mut tx,
                            company,
                            Some(owner),
                            ("deal.won", "deal", deal.id, won),
                            now,
                        )
                        .await?;
                        tx.commit().await?;
                        Ok(())
                    })
                })?;
                rt.block_on(
                    sqlx::query(REOPEN)
                        .bind(deal.home)
                        .bind(OffsetDateTime::now_utc())
                        .bind(company)
                        .bind(deal.id)
                        .execute(&mut self.conn),
                )?;
                self.w.lane[k].stage = deal.home;
                self.w.lane[k].version += 2;
                d
            }
            Op::InboundMessage => {
                let m = RawInbound::new(&self.w.inbound()?)?;
                let (conn, data) = (&mut self.conn, &self.w.data);
                timed(|| rt.block_on(pg_inbound(conn, data, &m)))?.0
            }
            Op::PipelineSummary => {
                let conn = &mut self.conn;
                timed(|| {
                    rt.block_on(async {
                        let p = sqlx::query(sql(by_id(PIPELINE_COLUMNS)))
                            .bind(company)
                            .bind(pipeline)
                            .fetch_one(&mut *conn)
                            .await?;
                        let _name: String = p.try_get(2)?;
                        let rows = sqlx::query(sql(stages_sql()))
                            .bind(company)
                            .bind(pipeline)
                            .fetch_all(&mut *conn)
                            .await?;
                        let stages = rows
                            .iter()
                            .map(pg_stage)
                            .collect::<std::result::Result<Vec<_>, _>>()?;
                        let rows = sqlx::query(SUMMARY)
                            .bind(company)
                            .bind(pipeline)
                            .fetch_all(&mut *conn)
                            .await?;
                        let totals = rows
                            .iter()
                            .map(|r| {
                                Ok((
                                    r.try_get::<Uuid, _>(0)?,
                                    r.try_get::<String, _>(1)?,
                                    r.try_get::<i64, _>(2)?,
                                    r.try_get::<i64, _>(3)?,
                                ))
                            })
                            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
                        Ok((stages, totals))
                    })
                })?
                .0
            }
            Op::CreateOrganization
            | Op::GetOrganization
            | Op::ListOrganizations
            | Op::ListContactsByTag
            | Op::ListContactsBySelect
            | Op::ListContactsSorted => self.run_record_op(op, i)?,
            Op::BulkImport => {
                let people: Vec<Person> = (0..self.w.bulk).map(|_| self.w.person()).collect();
                let conn = &mut self.conn;
                timed(|| {
                    rt.block_on(async {
                        let now = OffsetDateTime::now_utc();
                        let now = format!(
                            "{} {:02}:{:02}:{:02}.{:06}+00",
                            now.date(),
                            now.hour(),
                            now.minute(),
                            now.second(),
                            now.microsecond()
                        );
                        let mut buf = String::with_capacity(people.len() * 200);
                        for p in &people {
                            pg_copy_line(&mut buf, company, owner, p, &now);
                        }
                        let mut copy = conn
                            .copy_in_raw(
                                "COPY contacts (company_id, id, first_name, last_name, email, phone, organization_id, owner_id,
                                                search_name, last_name_key, created_at, updated_at, version) FROM STDIN",
                            )
                            .await?;
                        copy.send(buf.into_bytes()).await?;
                        copy.finish().await?;
                        Ok(())
                    })
                })?
                .0
            }
        };
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use flame_core::ActivityId;
    use flame_core::integration::messaging::MessagingPlatform;

    use super::*;
    use crate::seed::{DEFAULT_SEED, Engine, SeedMode, Store};

    /// A message from WhatsApp sender number `sender`, with message id `id`; every sender in
    /// these tests has the same name and writes the same text, so that only the ids, numbers and
    /// times differ between what Flame and the raw runner write.
    fn message(sender: u64, id: &str) -> InboundMessage {
        let e164 = data::sender_phone(sender).expect("a sender number");
        let wa_id = e164.trim_start_matches('+').to_owned();
        InboundMessage {
            platform: MessagingPlatform::WhatsApp,
            external_message_id: id.to_owned(),
            chat_id: wa_id.clone(),
            sender_id: wa_id.clone(),
            sender_name: Some("Zebediah Quarrington".to_owned()),
            sender_username: None,
            phone_raw: Some(wa_id),
            phone: Some(Phone::parse(&e164, None).expect("a valid phone")),
            text: Some("Do you ship to Tasmania?".to_owned()),
            sent_at: time::macros::datetime!(2026-03-04 05:06:07 UTC),
        }
    }

    /// The rows an inbound message writes, found by its new contact, deal and activity.
    const WRITTEN: [(&str, &str); 6] = [
        ("contacts", "id IN ($1, $2, $3)"),
        ("channel_identities", "contact_id IN ($1, $2, $3)"),
        ("deals", "id IN ($1, $2, $3)"),
        ("activities", "id IN ($1, $2, $3)"),
        ("inbound_messages", "contact_id IN ($1, $2, $3)"),
        ("outbox", "aggregate_id IN ($1, $2, $3) ORDER BY event_type"),
    ];

    /// Whether `s` starts with `pattern`, where `9` stands for any ASCII digit and `f` for any
    /// lowercase hex digit.
    fn shaped(s: &[u8], pattern: &[u8]) -> bool {
        s.len() >= pattern.len()
            && s.iter().zip(pattern).all(|(c, p)| match p {
                b'9' => c.is_ascii_digit(),
                b'f' => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
                p => c == p,
            })
    }

    /// `text` with the known ids named, the message's number, sender id and message id
    /// replaced by placeholders, and any other UUID or time masked.
    fn normalized(text: &str, labels: &[(Uuid, &str)], m: &InboundMessage) -> String {
        let mut t = text.to_owned();
        for (id, label) in labels {
            t = t.replace(&id.to_string(), &format!("<{label}>"));
        }
        for sent in ["2026-03-04T05:06:07.000000Z", "2026-03-04T05:06:07+00:00"] {
            t = t.replace(sent, "<sent_at>");
        }
        let phone = m.phone.as_ref().expect("a phone").as_str();
        t = t
            .replace(phone, "<phone>")
            .replace(&m.sender_id, "<sender>")
            .replace(&m.external_message_id, "<message>");
        masked(&t)
    }

    /// `t` with every UUID and time masked.
    pub(super) fn masked(t: &str) -> String {
        let (bytes, mut out, mut i) = (t.as_bytes(), Vec::new(), 0);
        while i < bytes.len() {
            let rest = &bytes[i..];
            if shaped(rest, b"ffffffff-ffff-ffff-ffff-ffffffffffff") {
                out.extend_from_slice(b"<uuid>");
                i += 36;
            } else if shaped(rest, b"9999-99-99T99:99:99") {
                out.extend_from_slice(b"<time>");
                i += 19;
                while i < bytes.len() && (bytes[i] == b'.' || bytes[i].is_ascii_digit()) {
                    i += 1;
                }
                for zone in [&b"+00:00"[..], b"Z"] {
                    if bytes[i..].starts_with(zone) {
                        i += zone.len();
                        break;
                    }
                }
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("UTF-8")
    }

    /// Every column of every row [`WRITTEN`] holds for `ids`, on SQLite, UUID blobs as text.
    fn sqlite_rows(path: &std::path::Path, ids: [Uuid; 3]) -> Vec<String> {
        sqlite_rows_of(path, &WRITTEN, ids)
    }

    /// Every column of every row of `written` (tables and filters on `$1..$3`) for `ids`, on
    /// SQLite, UUID blobs as text.
    pub(super) fn sqlite_rows_of(
        path: &std::path::Path,
        written: &[(&str, &str)],
        ids: [Uuid; 3],
    ) -> Vec<String> {
        use rusqlite::types::ValueRef;
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut out = Vec::new();
        for (table, filter) in written {
            let mut st =
                conn.prepare(&format!("SELECT * FROM {table} WHERE {filter}")).expect("prepare");
            let names: Vec<String> = st.column_names().into_iter().map(str::to_owned).collect();
            let params = rusqlite::params![ids[0].as_bytes(), ids[1].as_bytes(), ids[2].as_bytes()];
            let mut rows = st.query(params).expect("query");
            while let Some(row) = rows.next().expect("row") {
                let cols: Vec<String> = (0..names.len())
                    .map(|k| {
                        let value = match row.get_ref(k).expect("column") {
                            ValueRef::Null => "NULL".to_owned(),
                            ValueRef::Integer(n) => format!("int {n}"),
                            ValueRef::Real(x) => format!("real {x}"),
                            ValueRef::Text(t) => format!("text {}", String::from_utf8_lossy(t)),
                            ValueRef::Blob(b) => match Uuid::from_slice(b) {
                                Ok(id) => format!("uuid {id}"),
                                Err(_) => format!("blob of {}", b.len()),
                            },
                        };
                        format!("{}={value}", names[k])
                    })
                    .collect();
                out.push(format!("{table}: {}", cols.join(", ")));
            }
        }
        out
    }

    /// Every row [`WRITTEN`] holds for `ids`, on PostgreSQL, as `to_jsonb` spells it.
    async fn pg_rows(conn: &mut sqlx::PgConnection, ids: [Uuid; 3]) -> Vec<String> {
        pg_rows_of(conn, &WRITTEN, ids).await
    }

    /// Every row of `written` for `ids`, on PostgreSQL, as `to_jsonb` spells it.
    pub(super) async fn pg_rows_of(
        conn: &mut sqlx::PgConnection,
        written: &[(&str, &str)],
        ids: [Uuid; 3],
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (table, filter) in written {
            let text = format!("SELECT to_jsonb(t)::text FROM {table} t WHERE {filter}");
            let rows = sqlx::query(sql(text))
                .bind(ids[0])
                .bind(ids[1])
                .bind(ids[2])
                .fetch_all(&mut *conn)
                .await
                .expect("rows");
            for row in rows {
                out.push(format!("{table}: {}", row.try_get::<String, _>(0).expect("text")));
            }
        }
        out
    }

    /// Handles one new sender's message through Flame and one through the raw runner of
    /// `engine`, and checks that they wrote the same rows (up to ids, numbers and times), the
    /// same usage, and records Flame reads back: the raw side's contact, deal, activity and
    /// events decode, its dedup record makes a redelivery a duplicate, and its channel identity
    /// files the sender's next message under its contact and open deal.
    fn raw_inbound_writes_what_flame_writes(engine: Engine) {
        let rt = Arc::new(crate::runtime().expect("runtime"));
        let store = rt
            .block_on(Store::create(engine.clone(), 20, SeedMode::RawSql, DEFAULT_SEED))
            .expect("a store");
        let data = Arc::new(store.data.clone());
        let company = CompanyId::from(data.company_id);
        let integration = IntegrationId::from(data.inbound.integration_id);
        let (by_flame, by_raw) =
            (message(47_000_000, "wamid.flame"), message(47_000_001, "wamid.raw"));
        let s = &store.session;
        let before = rt.block_on(s.billing().usage()).expect("usage");

        let outcome = rt
            .block_on(store.flame.inbound().handle_message(company, integration, by_flame.clone()))
            .expect("Flame handles it");
        assert!(outcome.created_contact && outcome.created_deal && !outcome.duplicate);
        let flame_ids = [
            outcome.contact_id.expect("contact").as_uuid(),
            outcome.deal_id.expect("deal").as_uuid(),
            outcome.activity_id.expect("activity").as_uuid(),
        ];
        let w = Workload::new(Arc::clone(&data), 1, 2, 1);
        let m = RawInbound::new(&by_raw).expect("raw input");
        let (raw_ids, rows) = match &engine {
            Engine::Sqlite => {
                let path = store.sqlite_path.clone().expect("a file");
                let mut raw = RawSqlite::open(&path, w).expect("rusqlite");
                let ids = RawSqlite::inbound(&mut raw.conn, &raw.reserve, &data, &m)
                    .expect("raw handles it");
                (ids, [sqlite_rows(&path, flame_ids), sqlite_rows(&path, ids)])
            }
            Engine::Postgres(_) => {
                let mut raw = RawPostgres::connect(Arc::clone(&rt), &store.url, w).expect("sqlx");
                let ids =
                    rt.block_on(pg_inbound(&mut raw.conn, &data, &m)).expect("raw handles it");
                let rows = rt.block_on(async {
                    [pg_rows(&mut raw.conn, flame_ids).await, pg_rows(&mut raw.conn, ids).await]
                });
                (ids, rows)
            }
        };
        let labels = |ids: [Uuid; 3]| {
            let mut labels = vec![
                (data.company_id, "company".to_owned()),
                (data.pipeline_id, "pipeline".to_owned()),
                (data.inbound.integration_id, "integration".to_owned()),
                (data.inbound.source_id, "source".to_owned()),
                (data.inbound.assignee_id, "assignee".to_owned()),
                (ids[0], "contact".to_owned()),
                (ids[1], "deal".to_owned()),
                (ids[2], "activity".to_owned()),
            ];
            labels.extend(data.stages.iter().map(|s| (s.id, format!("stage {}", s.name))));
            labels
        };
        let shape = |rows: &[String], ids: [Uuid; 3], m: &InboundMessage| -> Vec<String> {
            let labels = labels(ids);
            let labels: Vec<(Uuid, &str)> =
                labels.iter().map(|(id, l)| (*id, l.as_str())).collect();
            rows.iter().map(|r| normalized(r, &labels, m)).collect()
        };
        let (flame_rows, raw_rows) =
            (shape(&rows[0], flame_ids, &by_flame), shape(&rows[1], raw_ids, &by_raw));
        assert_eq!(flame_rows.len(), 8, "{flame_rows:#?}");
        assert_eq!(flame_rows, raw_rows);

        let read_back = rt.block_on(async {
            s.contacts().get(ContactId::from(raw_ids[0])).await?;
            s.deals().get(DealId::from(raw_ids[1])).await?;
            s.activities().get(ActivityId::from(raw_ids[2])).await?;
            s.events().list(PageRequest::first(200)).await
        });
        let events = read_back.expect("Flame reads the raw side's records").items;
        let raw_events = events.iter().filter(|e| raw_ids.contains(&e.payload.aggregate().1));
        assert_eq!(raw_events.count(), 3);
        let inbound = store.flame.inbound();
        let again = rt
            .block_on(inbound.handle_message(company, integration, by_raw.clone()))
            .expect("a redelivery");
        assert!(again.duplicate);
        assert_eq!(again.activity_id.map(|a| a.as_uuid()), Some(raw_ids[2]));
        let next = InboundMessage { external_message_id: "wamid.raw-2".into(), ..by_raw };
        let next =
            rt.block_on(inbound.handle_message(company, integration, next)).expect("a next one");
        assert!(!next.created_contact && !next.created_deal);
        assert_eq!(next.contact_id.map(|c| c.as_uuid()), Some(raw_ids[0]));
        assert_eq!(next.deal_id.map(|d| d.as_uuid()), Some(raw_ids[1]));
        let after = rt.block_on(s.billing().usage()).expect("usage");
        let added = (after.contacts - before.contacts, after.deals - before.deals);
        assert_eq!(added, (2, 2), "each side reserved a contact and a deal");
        rt.block_on(store.close()).expect("close");
    }

    #[test]
    fn raw_inbound_on_sqlite_writes_what_flame_writes() {
        raw_inbound_writes_what_flame_writes(Engine::Sqlite);
    }

    /// Runs when `FLAME_BENCH_POSTGRES_URL` is set (as `scripts/bench-smoke` sets it).
    #[test]
    fn raw_inbound_on_postgres_writes_what_flame_writes() {
        if let Some(url) = crate::postgres_url_from_env() {
            raw_inbound_writes_what_flame_writes(Engine::Postgres(url));
        }
    }
}
