//! The benchmarked operations and the runners that perform them.
//!
//! Every runner times only the operation itself: inputs are built before the clock starts,
//! and the undo step that keeps a benchmark repeatable (reopening a deal that was just won)
//! runs after it stops. The raw runners send the very SQL text Flame sends (copied from
//! `flame-db/src/{contact,deal,pipeline,outbox}.rs`), statement for statement and inside the
//! same transactions, through prepared statements cached on one connection, and decode the
//! rows into plain owned values (ids as `Uuid`, text as `String`; no domain validation). That
//! is the physical limit of the same work on the same engine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection as _, Row as _};
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use uuid::Uuid;

use flame_core::contact::{ContactFilter, NewContact};
use flame_core::deal::DealFilter;
use flame_core::page::PageRequest;
use flame_core::{ContactId, DealId, PipelineId, StageId};
use flame_db::Session;

use crate::data::{self, Person, Rng};
use crate::seed::{Dataset, sqlite_time};
use crate::{BenchError, Result};

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
}

impl Op {
    /// Every operation, in report order.
    pub const ALL: [Op; 10] = [
        Op::CreateContact,
        Op::GetContact,
        Op::ListDealsByStage,
        Op::SearchByName,
        Op::SearchByPhone,
        Op::SearchNoMatch,
        Op::MoveDeal,
        Op::WinDeal,
        Op::PipelineSummary,
        Op::BulkImport,
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
        }
    }

    /// Whether it reads or writes one record (the 1.5x-of-raw target applies).
    pub fn single_record(self) -> bool {
        matches!(self, Op::CreateContact | Op::GetContact | Op::MoveDeal | Op::WinDeal)
    }

    /// Whether it is a list or search (the < 5 ms p99 at 1M target applies on SQLite).
    pub fn listing(self) -> bool {
        matches!(
            self,
            Op::ListDealsByStage | Op::SearchByName | Op::SearchByPhone | Op::SearchNoMatch
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
        organization: p.organization.clone(),
        owner_id: None,
    }
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
    session: Session,
    w: Workload,
}

impl FlameRunner {
    /// A runner acting through `session`.
    pub fn new(rt: Arc<Runtime>, session: Session, w: Workload) -> Self {
        Self { rt, session, w }
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
                        let report = s.contacts().import(inputs).await?;
                        debug_assert_eq!(report.rejected, 0);
                        Ok::<_, BenchError>(())
                    })
                })?
                .0
            }
        };
        Ok(d)
    }
}

// --- The SQL Flame runs (kept identical to flame-db) --------------------------------------

const CONTACT_FIELDS_SELECT: &str =
    "SELECT company_id, id, first_name, last_name, email, phone, organization, owner_id,
        created_at, updated_at, version";
const CONTACT_COLUMNS: &str =
    "SELECT company_id, id, first_name, last_name, email, phone, organization, owner_id,
        created_at, updated_at, version FROM contacts";
const DEAL_COLUMNS: &str = "SELECT company_id, id, title, amount_minor, currency, contact_id, pipeline_id, stage_id,
        source_id, assignee_id, status, expected_close, lost_reason, closed_at, created_at, updated_at, version
     FROM deals";
const PIPELINE_COLUMNS: &str = "SELECT company_id, id, name, position, is_default, created_at, updated_at, version FROM pipelines";
const STAGE_COLUMNS: &str =
    "SELECT company_id, id, pipeline_id, name, position, kind, probability, version FROM stages";

const INSERT_CONTACT: &str = "INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization, owner_id,
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
    format!(r#"{{"type":"contact.created","contact_id":"{id}"}}"#)
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
    /// `organization`.
    pub organization: Option<String>,
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
        organization: row.get(6)?,
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
        Ok(Self { conn, w })
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
        actor: Uuid,
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
            actor.as_bytes(),
            event.3,
            now
        ])?;
        Ok(())
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
            p.organization,
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
                            owner,
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
                        owner,
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
                        owner,
                        ("deal.stage_changed", "deal", deal.id, changed),
                        &now,
                    )?;
                    let won = won_event(deal.id, current.amount_minor, &current.currency);
                    Self::outbox(&tx, &company, owner, ("deal.won", "deal", deal.id, won), &now)?;
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
        organization: row.try_get(6)?,
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
    actor: Uuid,
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
        "{company}\t{}\t{}\t{}\t{}\t{}\t{}\t{owner}\t{}\t{}\t{now}\t{now}\t1",
        Uuid::now_v7(),
        p.first_name,
        p.last_name,
        p.email,
        p.phone,
        p.organization.as_deref().unwrap_or("\\N"),
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
                            .bind(&p.organization)
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
                            owner,
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
                            owner,
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
                            owner,
                            ("deal.stage_changed", "deal", deal.id, changed),
                            now,
                        )
                        .await?;
                        let won = won_event(deal.id, current.amount_minor, &current.currency);
                        pg_outbox(&mut tx, company, owner, ("deal.won", "deal", deal.id, won), now)
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
                                "COPY contacts (company_id, id, first_name, last_name, email, phone, organization, owner_id,
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
