//! Deals, and their movement through pipelines.

use time::OffsetDateTime;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::custom_field::{self, CustomEntity, CustomField};
use flame_core::deal::{Deal, DealFilter, DealPatch, NewDeal};
use flame_core::event::EventPayload;
#[cfg(feature = "csv")]
use flame_core::import::DealColumns;
use flame_core::import::{DealRow, ImportReport};
use flame_core::money::{Currency, Money};
use flame_core::page::{Page, PageRequest};
use flame_core::pipeline::{Stage, StageKind, first_of_kind};
use flame_core::tag::Tagged;
use flame_core::{DealId, FlameError, Result, StageId};

use crate::contact::ensure_member;
use crate::custom_field::{Narrowing, SortWalk, load as load_fields, write_index};
#[cfg(feature = "csv")]
use crate::export;
use crate::import::Row as ImportRow;
use crate::import_deal::DealImport;
use crate::sql::{Executor, Row, Statement, Tx, args, found};
use crate::{Session, contact, org_link, outbox, pipeline, source, tag, usage};

/// The columns a [`Deal`] is read from.
macro_rules! fields {
    () => {
        "company_id, id, title, amount_minor, currency, contact_id, organization_id, pipeline_id,
        stage_id, source_id, assignee_id, status, expected_close, lost_reason, closed_at,
        custom, created_at, updated_at, version"
    };
}

pub(crate) const COLUMNS: &str = concat!("SELECT ", fields!(), " FROM deals");

/// A deal read from `row`; its custom values are those of the current `fields` (its tags
/// are filled in by [`with_tags`]).
pub(crate) fn deal_from_row(row: &Row, fields: &[CustomField]) -> Result<Deal> {
    let currency: Currency = row.parse("currency")?;
    Ok(Deal {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        title: row.get("title")?,
        value: Money::from_minor(row.int("amount_minor")?, currency)
            .map_err(|_| crate::sql::corrupt("amount_minor"))?,
        contact_id: row.opt_id("contact_id")?,
        organization_id: row.opt_id("organization_id")?,
        pipeline_id: row.id("pipeline_id")?,
        stage_id: row.id("stage_id")?,
        source_id: row.opt_id("source_id")?,
        assignee_id: row.opt_id("assignee_id")?,
        status: row.parse("status")?,
        expected_close: row.get("expected_close")?,
        lost_reason: row.get("lost_reason")?,
        closed_at: row.opt_time("closed_at")?,
        custom: custom_field::by_key(fields, &crate::custom_field::stored(row)?),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
        tags: Vec::new(),
    })
}

/// Fills in the tags of `deals` with one query.
pub(crate) async fn with_tags(
    exec: &mut impl Executor,
    session: &Session,
    mut deals: Vec<Deal>,
) -> Result<Vec<Deal>> {
    let ids = deals.iter().map(|d| d.id.as_uuid()).collect::<Vec<_>>();
    let mut names = tag::names_of(exec, session, Tagged::Deal, &ids).await?;
    for d in &mut deals {
        d.tags = names.remove(&d.id.as_uuid()).unwrap_or_default();
    }
    Ok(deals)
}

/// The company's deals.
#[derive(Debug, Clone)]
pub struct Deals {
    session: Session,
}

impl Deals {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    fn tenant(&self) -> uuid::Uuid {
        self.session.tenant()
    }

    /// Creates a deal in `input.pipeline_id` (or the default pipeline), in `input.stage_id`
    /// (or its first open stage), assigned to `input.assignee_id` (or the session's user).
    pub async fn create(&self, input: NewDeal) -> Result<Deal> {
        let assignee = input.assignee_id.unwrap_or(self.session.user_id());
        let resource = Resource::Deal { assignee: Some(assignee) };
        self.session.authorize(Action::Create, resource).await?;
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Create, resource)?;
        let pipeline =
            pipeline::find(&mut tx, &self.session, input.pipeline_id).await?.ok_or_else(|| {
                FlameError::validation("pipeline_id", "is not a pipeline of this company")
            })?;
        let stages = pipeline::stages_of(&mut tx, &self.session, pipeline.id).await?;
        let (mut deal, event) = Deal::create(
            self.session.company_id(),
            &input,
            pipeline.id,
            &stages,
            self.session.user_id(),
            now,
        )?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Deal).await?;
        let values = custom_field::check_new(&fields, CustomEntity::Deal, &input.custom)?;
        deal.custom = custom_field::by_key(&fields, &values);
        self.check_references(&mut tx, &deal).await?;
        usage::reserve(&mut tx, self.session.company_id(), Limit::Deals, 1).await?;
        insert(&mut tx, &deal, crate::custom_field::encode(&fields, &values)).await?;
        write_index(&mut tx, self.tenant(), deal.id.as_uuid(), &fields, &values, true).await?;
        self.emit(&mut tx, now, vec![event]).await?;
        tx.commit().await?;
        Ok(deal)
    }

    /// Checks that the contact, organization, source and assignee the deal points to are the
    /// company's.
    async fn check_references(&self, tx: &mut Tx, deal: &Deal) -> Result<()> {
        if let Some(c) = deal.contact_id {
            contact::ensure_exists(tx, &self.session, c, "contact_id").await?;
        }
        if let Some(o) = deal.organization_id {
            org_link::ensure_exists(tx, self.session.company_id(), o).await?;
        }
        if let Some(s) = deal.source_id {
            source::ensure_exists(tx, &self.session, s, "source_id").await?;
        }
        if let Some(a) = deal.assignee_id {
            ensure_member(tx, &self.session, a, "assignee_id").await?;
        }
        Ok(())
    }

    async fn emit(
        &self,
        tx: &mut Tx,
        now: OffsetDateTime,
        events: Vec<EventPayload>,
    ) -> Result<()> {
        outbox::record(tx, self.session.company_id(), Some(self.session.user_id()), now, events)
            .await
    }

    async fn fetch(
        &self,
        exec: &mut impl Executor,
        id: DealId,
        fields: &[CustomField],
    ) -> Result<Deal> {
        let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
        let row = exec.fetch_optional(sql, args![self.tenant(), id.as_uuid()]).await?;
        let deal = found(row, |r| deal_from_row(r, fields), "deal")?;
        let mut one = with_tags(exec, &self.session, vec![deal]).await?;
        Ok(one.remove(0))
    }

    /// [`fetch`](Self::fetch) with the company's current field definitions.
    async fn fetch_full(&self, exec: &mut impl Executor, id: DealId) -> Result<Deal> {
        let fields = load_fields(exec, self.tenant(), CustomEntity::Deal).await?;
        self.fetch(exec, id, &fields).await
    }

    /// Puts the tag `name` on the deal, creating the tag on first use, like
    /// [`Contacts::add_tag`](crate::Contacts::add_tag): whoever may update the deal may tag
    /// it; idempotent; the version does not change; `deal.tagged` is written when the tag is
    /// added. Returns the deal with its tags.
    pub async fn add_tag(&self, id: DealId, name: &str) -> Result<Deal> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        let name = flame_core::tag::name(name)?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch_full(&mut tx, id).await?;
        let now = self
            .session
            .permit(Action::Update, Resource::Deal { assignee: current.assignee_id })?;
        let added =
            tag::add(&mut tx, &self.session, Tagged::Deal, id.as_uuid(), &name, now).await?;
        let Some(tag_id) = added else {
            return Ok(current);
        };
        self.emit(&mut tx, now, vec![EventPayload::DealTagged { deal_id: id, tag_id }]).await?;
        let next = self.fetch_full(&mut tx, id).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Takes the tag `name` (any case) off the deal, under the same rule as
    /// [`add_tag`](Self::add_tag); a tag the deal does not carry changes nothing. Returns the
    /// deal with its tags.
    pub async fn remove_tag(&self, id: DealId, name: &str) -> Result<Deal> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        let name = flame_core::tag::name(name)?;
        let mut tx = self.session.begin().await?;
        let current = self.fetch_full(&mut tx, id).await?;
        let now = self
            .session
            .permit(Action::Update, Resource::Deal { assignee: current.assignee_id })?;
        let removed =
            tag::remove(&mut tx, &self.session, Tagged::Deal, id.as_uuid(), &name).await?;
        let Some(tag_id) = removed else {
            return Ok(current);
        };
        self.emit(&mut tx, now, vec![EventPayload::DealUntagged { deal_id: id, tag_id }]).await?;
        let next = self.fetch_full(&mut tx, id).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// One deal.
    pub async fn get(&self, id: DealId) -> Result<Deal> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        self.fetch_full(&mut self.session.flame().pool().exec(), id).await
    }

    /// Reads the deal for a change, with its custom values under `fields`: it must exist in
    /// the company, the session may update it, and `version` must be current.
    async fn for_update(
        &self,
        tx: &mut Tx,
        id: DealId,
        version: i64,
        fields: &[CustomField],
    ) -> Result<(Deal, OffsetDateTime)> {
        self.session.permit(Action::Read, Resource::Deal { assignee: None })?;
        let current = self.fetch(tx, id, fields).await?;
        let now = self
            .session
            .permit(Action::Update, Resource::Deal { assignee: current.assignee_id })?;
        if current.version != version {
            return Err(FlameError::stale("deal"));
        }
        Ok((current, now))
    }

    async fn save(&self, tx: &mut Tx, next: &Deal, version: i64) -> Result<()> {
        let changed = tx
            .execute(
                "UPDATE deals SET title = $1, amount_minor = $2, currency = $3, contact_id = $4, stage_id = $5,
                        source_id = $6, assignee_id = $7, status = $8, expected_close = $9, lost_reason = $10,
                        closed_at = $11, updated_at = $12, version = $13, organization_id = $14
                 WHERE company_id = $15 AND id = $16 AND version = $17",
                args![
                    next.title.clone(),
                    next.value.amount_minor(),
                    next.value.currency().code(),
                    next.contact_id.map(|c| c.as_uuid()),
                    next.stage_id.as_uuid(),
                    next.source_id.map(|s| s.as_uuid()),
                    next.assignee_id.map(|a| a.as_uuid()),
                    next.status.as_str(),
                    next.expected_close,
                    next.lost_reason.clone(),
                    next.closed_at,
                    next.updated_at,
                    next.version,
                    next.organization_id.map(|o| o.as_uuid()),
                    self.tenant(),
                    next.id.as_uuid(),
                    version,
                ],
            )
            .await?;
        if changed == 0 { Err(FlameError::stale("deal")) } else { Ok(()) }
    }

    /// Applies `patch` to the deal read at `version`. Its custom values are checked against
    /// the company's definitions for deals (a bad one is a `Validation` error on
    /// `custom.<key>`).
    pub async fn update(&self, id: DealId, version: i64, patch: DealPatch) -> Result<Deal> {
        let mut tx = self.session.begin().await?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Deal).await?;
        let (current, now) = self.for_update(&mut tx, id, version, &fields).await?;
        if let Some(assignee) = patch.assignee_id {
            self.session.permit(Action::Update, Resource::Deal { assignee: Some(assignee) })?;
        }
        let mut next = current.patched(&patch, now)?;
        let before = custom_field::by_id(&fields, CustomEntity::Deal, &current.custom);
        let values =
            custom_field::check_patch(&fields, CustomEntity::Deal, &before, &patch.custom)?;
        next.custom = custom_field::by_key(&fields, &values);
        self.check_references(&mut tx, &next).await?;
        self.save(&mut tx, &next, version).await?;
        if values != before {
            tx.execute(
                "UPDATE deals SET custom = $1 WHERE company_id = $2 AND id = $3",
                args![crate::custom_field::encode(&fields, &values), self.tenant(), id.as_uuid()],
            )
            .await?;
            write_index(&mut tx, self.tenant(), id.as_uuid(), &fields, &values, false).await?;
        }
        self.emit(&mut tx, now, vec![EventPayload::DealUpdated { deal_id: id }]).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes the deal read at `version`, with the activities about it alone; activities
    /// that are also about a contact stay on the contact.
    pub async fn delete(&self, id: DealId, version: i64) -> Result<()> {
        let mut tx = self.session.begin().await?;
        let (current, now) = self.for_update(&mut tx, id, version, &[]).await?;
        self.session.permit(Action::Delete, Resource::Deal { assignee: current.assignee_id })?;
        let (c, i) = (self.tenant(), id.as_uuid());
        tx.execute(
            "DELETE FROM activities WHERE company_id = $1 AND deal_id = $2 AND contact_id IS NULL",
            args![c, i],
        )
        .await?;
        tx.execute(
            "UPDATE activities SET deal_id = NULL WHERE company_id = $1 AND deal_id = $2",
            args![c, i],
        )
        .await?;
        let changed = tx
            .execute(
                "DELETE FROM deals WHERE company_id = $1 AND id = $2 AND version = $3",
                args![c, i, version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("deal"));
        }
        // Its taggings go with it (ON DELETE CASCADE); its custom index rows are removed here.
        crate::custom_field::forget(&mut tx, c, i).await?;
        usage::release(&mut tx, self.session.company_id(), Limit::Deals, 1).await?;
        self.emit(&mut tx, now, vec![EventPayload::DealDeleted { deal_id: id }]).await?;
        tx.commit().await
    }

    async fn stage_for(&self, tx: &mut Tx, id: StageId) -> Result<Stage> {
        pipeline::find_stage(tx, &self.session, id)
            .await?
            .ok_or_else(|| FlameError::validation("stage_id", "is not a stage of this company"))
    }

    async fn stage_of_kind(&self, tx: &mut Tx, deal: &Deal, kind: StageKind) -> Result<Stage> {
        let stages = pipeline::stages_of(tx, &self.session, deal.pipeline_id).await?;
        first_of_kind(&stages, kind).cloned().ok_or_else(|| {
            FlameError::conflict("pipeline", format!("the deal's pipeline has no {kind} stage"))
        })
    }

    async fn transition(&self, id: DealId, version: i64, step: Step) -> Result<Deal> {
        let mut tx = self.session.begin().await?;
        let fields = load_fields(&mut tx, self.tenant(), CustomEntity::Deal).await?;
        let (current, now) = self.for_update(&mut tx, id, version, &fields).await?;
        let (next, events) = step.apply(self, &mut tx, &current, now).await?;
        if events.is_empty() {
            return Ok(current);
        }
        self.save(&mut tx, &next, version).await?;
        crate::invoicing::queue_if_won(&mut tx, &current, &next, now).await?;
        self.emit(&mut tx, now, events).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Moves an open deal to another stage of its pipeline. A won stage wins it; a lost
    /// stage needs a reason, so use [`Deals::lose`]. A closed deal must be reopened first.
    pub async fn move_to_stage(&self, id: DealId, stage_id: StageId, version: i64) -> Result<Deal> {
        self.transition(id, version, Step::Move(stage_id, None)).await
    }

    /// Wins an open deal: moves it to its pipeline's won stage.
    pub async fn win(&self, id: DealId, version: i64) -> Result<Deal> {
        self.transition(id, version, Step::Kind(StageKind::Won, None)).await
    }

    /// Loses an open deal, with the reason: moves it to its pipeline's lost stage.
    pub async fn lose(&self, id: DealId, reason: &str, version: i64) -> Result<Deal> {
        self.transition(id, version, Step::Kind(StageKind::Lost, Some(reason.to_owned()))).await
    }

    /// Moves an open deal to a lost stage of its pipeline, with the reason.
    pub async fn lose_in_stage(
        &self,
        id: DealId,
        stage_id: StageId,
        reason: &str,
        version: i64,
    ) -> Result<Deal> {
        self.transition(id, version, Step::Move(stage_id, Some(reason.to_owned()))).await
    }

    /// Reopens a won or lost deal into an open stage of its pipeline.
    pub async fn reopen(&self, id: DealId, stage_id: StageId, version: i64) -> Result<Deal> {
        self.transition(id, version, Step::Reopen(stage_id)).await
    }

    /// Deals matching `filter`, newest first, a page at a time. With tags, the first tag's
    /// taggings are walked newest first (an index), each further tag and every custom
    /// condition one probe per row; without tags, an equality on a custom field walks that
    /// value's index (newest deal first), so a page costs a page however rare the value.
    pub async fn list(&self, filter: DealFilter, page: PageRequest) -> Result<Page<Deal>> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        let limit = page.limit()?;
        let keys = flame_core::tag::filter_keys(&filter.tags)?;
        let mut exec = self.session.flame().pool().exec();
        let fields = load_fields(&mut exec, self.tenant(), CustomEntity::Deal).await?;
        let conditions =
            custom_field::index_conditions(&fields, CustomEntity::Deal, &filter.custom)?;
        let custom = Narrowing::new(&conditions);
        let walk = filter
            .sort
            .as_ref()
            .map(|sort| SortWalk::new(&fields, CustomEntity::Deal, sort, &page))
            .transpose()?;
        let after = match walk {
            Some(_) => None,
            None => page.cursor_uuid()?,
        };
        let Some(tags) = tag::resolve(&mut exec, &self.session, &keys).await? else {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        };
        if let Some(walk) = walk {
            let narrow = |q: &mut Statement, company: &str| {
                narrow(q, "r", &filter);
                let probes = tag::carries(q, Tagged::Deal, company, "r.id", &tags);
                q.push(&probes);
                let probes = custom.exists(q, "r", None);
                q.push(&probes);
            };
            let columns = tag::qualified(fields!(), "r");
            let page = walk
                .page(
                    &mut exec,
                    self.tenant(),
                    "deals",
                    &columns,
                    limit,
                    narrow,
                    |row| deal_from_row(row, &fields),
                    |d| d.id.as_uuid(),
                )
                .await?;
            let items = with_tags(&mut exec, &self.session, page.items).await?;
            return Ok(Page { items, next_cursor: page.next_cursor });
        }
        let mut q = Statement::new("", vec![]);
        let company = q.bind(self.tenant());
        let mut skip = None;
        let order = match (tags.split_first(), custom.driver()) {
            (None, None) => {
                q.push(&format!("{COLUMNS} d WHERE d.company_id = {company}"));
                "d.id"
            }
            (None, Some(driver)) => {
                q.push(&format!("SELECT {}", tag::qualified(fields!(), "d")));
                let from = Narrowing::drive(&mut q, "deals", "d", &company, driver);
                q.push(&from);
                skip = Some(driver);
                "custom_values.record_id"
            }
            (Some((first, others)), _) => {
                // The first tag's taggings, newest first, each joined to its deal (SQLite's
                // CROSS JOIN keeps that order of the loops).
                let first = q.bind(*first);
                q.push(&format!(
                    "SELECT {} FROM deal_tags t CROSS JOIN deals d
                     WHERE t.company_id = {company} AND t.tag_id = {first}
                       AND d.company_id = {company} AND d.id = t.deal_id",
                    tag::qualified(fields!(), "d"),
                ));
                let carries = tag::carries(&mut q, Tagged::Deal, &company, "t.deal_id", others);
                q.push(&carries);
                "t.deal_id"
            }
        };
        narrow(&mut q, "d", &filter);
        q.and(order, "<", after);
        let probes = custom.exists(&mut q, "d", skip);
        q.push(&probes);
        let n = q.bind(i64::from(limit) + 1);
        q.push(&format!(" ORDER BY {order} DESC LIMIT {n}"));
        let (sql, args) = q.build();
        let rows = exec.fetch_all(sql, args).await?;
        let deals = rows.iter().map(|r| deal_from_row(r, &fields)).collect::<Result<Vec<_>>>()?;
        let deals = with_tags(&mut exec, &self.session, deals).await?;
        Ok(Page::from_overfetch(deals, limit, |d: &Deal| d.id.as_uuid()))
    }

    /// Imports deals from `rows`, in batches of 5,000, one transaction per batch, the way
    /// [`Contacts::import_rows`](crate::Contacts::import_rows) imports contacts: a bad row is
    /// rejected and reported with its 1-based position as `line`, the rest go on; each batch
    /// re-checks the session's standing and reserves the plan's `deals` limit, and one that
    /// cannot be written stops the import ([`ImportReport::failed`]). Only a failure before
    /// any row is read (no right to create deals) is an `Err`.
    ///
    /// A row is a [`DealRow`]: its pipeline, stage and source by name, its assignee by
    /// member email, its contact by email or full name — all found among this company's
    /// records only (another company's never match; an unknown one is a `Validation` error
    /// on its column) — its organization by domain or name (created when none has it, as a
    /// contacts import does), and its tags (created on first use). The deal lands in the
    /// stage its row names even when that stage is won or lost: it is created in the
    /// pipeline's first open stage and moved there by the transition rules, in the batch's
    /// transaction ([`Deal::create_in`]), so a lost row needs its `lost_reason`; it is then a
    /// new record as if created there (version 1, closed at the import's time). An imported
    /// won deal queues no invoice (it was won before the import). One `deals.imported` event
    /// is written per batch, instead of each deal's `deal.created`, `deal.won` or
    /// `deal.lost`.
    pub async fn import_rows<I>(&self, rows: I) -> Result<ImportReport>
    where
        I: IntoIterator<Item = DealRow>,
        I::IntoIter: Send,
    {
        let rows =
            rows.into_iter().enumerate().map(|(i, row)| (i as u64 + 1, ImportRow::Record(row)));
        DealImport::import_numbered(&self.session, rows).await
    }

    /// Imports deals from CSV text (UTF-8, comma-separated, first line the header; see
    /// [`DEAL_COLUMNS`](flame_core::import::DEAL_COLUMNS): `title` and `currency` required,
    /// then any of `amount`, `pipeline`, `stage`, `status`, `lost_reason`, `contact`,
    /// `organization`, `source`, `assignee`, `expected_close`, `tags` and `custom.<key>`),
    /// streamed and checked as [`import_rows`](Self::import_rows) checks its rows. A bad
    /// header is a `Validation` error on `header` and nothing is imported; a bad record is
    /// reported with its line (the header is line 1), naming its column (`stage`,
    /// `pipeline`, `assignee`, `contact`, `amount`, `custom.<key>`…), and the rest go on.
    /// (The `csv` feature.)
    #[cfg(feature = "csv")]
    pub async fn import_csv<R: std::io::Read + Send>(&self, reader: R) -> Result<ImportReport> {
        let mut import = DealImport::begin(&self.session).await?;
        let known: Vec<String> = import.fields().iter().map(|f| f.key.clone()).collect();
        crate::import_csv::import::<DealColumns, _, _>(&mut import, &known, reader).await
    }

    /// Imports deals from the CSV file at `path`, streamed like
    /// [`import_csv`](Self::import_csv). A file that cannot be opened is a `Validation` error
    /// on `path`, and nothing is imported. (The `csv` feature.)
    #[cfg(feature = "csv")]
    pub async fn import_csv_file(&self, path: impl AsRef<std::path::Path>) -> Result<ImportReport> {
        self.import_csv(crate::import_csv::open(path.as_ref())?).await
    }

    /// Writes the deals matching `filter` (any filter [`list`](Self::list) takes, newest
    /// first) to `writer` as CSV, and returns how many records it wrote. The header is
    /// [`DEAL_COLUMNS`](flame_core::import::DEAL_COLUMNS), then a `custom.<key>` column per
    /// custom field of deals: the names [`import_csv`](Self::import_csv) reads, so that an
    /// export imports back as it was into a company with the same pipelines, stages,
    /// sources, members, contacts and custom fields (ids, versions and times aside). The
    /// value is written as a decimal in its currency, the pipeline, stage and source by
    /// name, the contact by email (else full name), the organization by domain (else name),
    /// the assignee by email (blank when no longer a member), tags separated by `;`.
    ///
    /// Streamed a page of 500 at a time, each page flushed to `writer` before the next is
    /// read: memory stays bounded by a page. Whoever may read deals may export them; only the
    /// session's company's appear. A failing `writer` is a `Storage` error. (The `csv`
    /// feature.)
    #[cfg(feature = "csv")]
    pub async fn export_csv<W: std::io::Write + Send>(
        &self,
        filter: DealFilter,
        writer: W,
    ) -> Result<u64> {
        use flame_core::import::{DealExport, DealLinks};
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        let mut exec = self.session.flame().pool().exec();
        let fields = load_fields(&mut exec, self.tenant(), CustomEntity::Deal).await?;
        let columns = DealExport::new(&fields);
        let members = export::member_emails(&mut exec, &self.session).await?;
        let (pipelines, stages) = export::stage_names(&mut exec, &self.session).await?;
        let sources = export::source_names(&mut exec, &self.session).await?;
        // The first page is read before anything is written: a bad filter writes nothing.
        let mut found = self.list(filter.clone(), PageRequest::first(export::PAGE)).await?;
        let mut out = export::CsvOut::new(writer, &columns.header())?;
        loop {
            let contacts = found.items.iter().filter_map(|d| d.contact_id);
            let contacts = export::contact_references(&mut exec, &self.session, contacts).await?;
            let orgs = found.items.iter().filter_map(|d| d.organization_id);
            let orgs = export::organization_references(&mut exec, &self.session, orgs).await?;
            for d in &found.items {
                let links = DealLinks {
                    pipeline: pipelines.get(&d.pipeline_id).cloned().unwrap_or_default(),
                    stage: stages.get(&d.stage_id).cloned().unwrap_or_default(),
                    contact: d.contact_id.and_then(|c| contacts.get(&c).cloned()),
                    organization: d.organization_id.and_then(|o| orgs.get(&o).cloned()),
                    source: d.source_id.and_then(|s| sources.get(&s).cloned()),
                    assignee: d.assignee_id.and_then(|u| members.get(&u).cloned()),
                };
                out.write(&columns.record(d, &links))?;
            }
            out.flush()?;
            let Some(cursor) = found.next_cursor.take() else { return out.finish() };
            found = self.list(filter.clone(), PageRequest::after(export::PAGE, cursor)).await?;
        }
    }

    /// [`export_csv`](Self::export_csv) into the file at `path`, created or truncated. A
    /// file that cannot be opened for writing is a `Validation` error on `path`. (The `csv`
    /// feature.)
    #[cfg(feature = "csv")]
    pub async fn export_csv_file(
        &self,
        filter: DealFilter,
        path: impl AsRef<std::path::Path>,
    ) -> Result<u64> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        self.export_csv(filter, export::create(path.as_ref())?).await
    }
}

/// Appends the column filters of `filter` on deals aliased `alias` (not tags or custom
/// conditions, which each walk treats its own way).
fn narrow(q: &mut Statement, alias: &str, filter: &DealFilter) {
    let column = |name: &str| format!("{alias}.{name}");
    q.and(&column("pipeline_id"), "=", filter.pipeline_id.map(|v| v.as_uuid()))
        .and(&column("stage_id"), "=", filter.stage_id.map(|v| v.as_uuid()))
        .and(&column("status"), "=", filter.status.map(|s| s.as_str().to_owned()))
        .and(&column("assignee_id"), "=", filter.assignee_id.map(|v| v.as_uuid()))
        .and(&column("source_id"), "=", filter.source_id.map(|v| v.as_uuid()))
        .and(&column("contact_id"), "=", filter.contact_id.map(|v| v.as_uuid()));
}

/// A stage transition, resolved inside the transaction.
enum Step {
    Move(StageId, Option<String>),
    Kind(StageKind, Option<String>),
    Reopen(StageId),
}

impl Step {
    async fn apply(
        self,
        deals: &Deals,
        tx: &mut Tx,
        deal: &Deal,
        now: OffsetDateTime,
    ) -> Result<(Deal, Vec<EventPayload>)> {
        match self {
            Step::Move(stage, reason) => {
                let target = deals.stage_for(tx, stage).await?;
                deal.move_to(&target, reason.as_deref(), now)
            }
            Step::Kind(kind, reason) => {
                let target = deals.stage_of_kind(tx, deal, kind).await?;
                deal.move_to(&target, reason.as_deref(), now)
            }
            Step::Reopen(stage) => {
                let target = deals.stage_for(tx, stage).await?;
                deal.reopen(&target, now)
            }
        }
    }
}

/// Inserts a validated deal (its usage already reserved, its references checked) with its
/// `custom` column ([`crate::custom_field::encode`]; the caller writes the index rows).
pub(crate) async fn insert(tx: &mut Tx, deal: &Deal, custom: serde_json::Value) -> Result<()> {
    crate::import_deal::insert_many(tx, std::iter::once((deal, custom))).await
}
