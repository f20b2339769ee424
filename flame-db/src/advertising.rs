//! Advertising: leads from ad platforms become contacts and deals filed under a lead source,
//! ad spend is imported per campaign and day, and the cost report puts the two together.
//!
//! Ingestion and spend imports are trusted host calls on [`Flame`]: an ad platform's webhook
//! reaches the host, which knows the company and the integration from its own routing. The
//! report and the leads are read through a [`Session`].

use std::collections::{BTreeMap, HashMap, HashSet};

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::deal::DealStatus;
use flame_core::event::EventPayload;
use flame_core::integration::Integration;
use flame_core::integration::advertising::{
    AdSpend, AdvertisingPlatform, CostFacts, Lead, LeadRecord, SourceCost, Utm, VK_CALLBACK_SECRET,
    check_spend, cost_by_source, ensure_spend_currency, parse_meta_lead, parse_vk_lead_callback,
    report_period, verify_vk_secret,
};
use flame_core::integration::record::AdvertisingSettings;
use flame_core::integration::verify::{self, WebhookRequest};
use flame_core::money::Currency;
use flame_core::page::{Page, PageRequest};
use flame_core::source::Source;
use flame_core::{CompanyId, ContactId, DealId, IntegrationId, Result, SourceId, clock};

use crate::sql::{Executor, Row, Statement, Tx, args};
use crate::{
    Flame, Session, billing, contact, deal, integration, org_link, outbox, pipeline, usage,
};

/// What ingesting one lead did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LeadOutcome {
    /// The stored lead (see [`Leads`]).
    pub lead_id: Uuid,
    /// The contact it was filed under: found by email, then by phone, else created.
    pub contact_id: ContactId,
    /// The deal it opened (`None` when the integration does not open deals).
    pub deal_id: Option<DealId>,
    /// The lead source it was filed under ([`Lead::source_name`]).
    pub source_id: SourceId,
    /// Whether the lead had been ingested before (a redelivered webhook): nothing changed, and
    /// the ids are those of the first delivery.
    pub duplicate: bool,
    /// Whether the contact was created for this lead.
    pub created_contact: bool,
}

/// Leads and ad spend of advertising integrations: trusted host calls, without a session.
#[derive(Debug, Clone)]
pub struct Advertising {
    flame: Flame,
}

impl Advertising {
    pub(crate) fn new(flame: Flame) -> Self {
        Self { flame }
    }

    /// Ingests a Meta Lead Ads lead, the JSON of the Graph API's lead object
    /// ([`parse_meta_lead`]), for the Meta integration `integration` of `company`, as the
    /// host received it.
    ///
    /// The request is verified before its body is read: its `X-Hub-Signature-256` must be the
    /// HMAC-SHA256 of the raw body under the integration's [`verify::APP_SECRET`] credential
    /// ([`verify::verify_meta`]); an integration without that credential refuses every request
    /// (fail closed). A missing or wrong signature is [`flame_core::FlameError::Unauthenticated`] naming
    /// the header, and nothing is written. Then see [`ingest_lead`](Self::ingest_lead) for what
    /// it does; a malformed body is a `Validation` error naming the JSON path, and nothing is
    /// written.
    pub async fn ingest_meta_lead(
        &self,
        company: CompanyId,
        integration: IntegrationId,
        request: &WebhookRequest,
    ) -> Result<LeadOutcome> {
        let mut tx = self.flame.pool().begin().await?;
        let (found, settings) = integration::usable::<AdvertisingSettings>(
            &mut tx,
            company,
            integration,
            Some(AdvertisingPlatform::Meta),
        )
        .await?;
        let secret = match found.credential_fields.iter().any(|f| f == verify::APP_SECRET) {
            true => Some(
                integration::open_credential(
                    &self.flame,
                    &mut tx,
                    company,
                    integration,
                    verify::APP_SECRET,
                )
                .await?,
            ),
            false => None,
        };
        verify::verify_meta(secret.as_ref(), request)?;
        let lead = parse_meta_lead(&request.body)?.validated()?;
        ingest(tx, &found, &settings, lead, clock::now()).await
    }

    /// Ingests a VK Callback API request, as the host received it, for the VK Ads integration
    /// `integration` of `company`. VK proves a callback with the community's secret inside
    /// the body (the `secret` field): when the integration holds the credential
    /// [`VK_CALLBACK_SECRET`], the request must carry that secret, compared in constant time
    /// (else `Unauthenticated`, nothing written). **An integration without that credential
    /// takes every callback** (VK lets a community leave the secret unset): the host must
    /// then authenticate the request itself, e.g. by a secret path in its URL. A
    /// `lead_forms_new` event is ingested as [`ingest_lead`](Self::ingest_lead) says, dated
    /// `received_at` (VK sends no time); any other event (the `confirmation` request, which
    /// the host answers itself) is `Ok(None)`.
    pub async fn ingest_vk_lead(
        &self,
        company: CompanyId,
        integration: IntegrationId,
        request: &WebhookRequest,
        received_at: OffsetDateTime,
    ) -> Result<Option<LeadOutcome>> {
        let body = request.body.as_slice();
        let mut tx = self.flame.pool().begin().await?;
        let (found, settings) = integration::usable::<AdvertisingSettings>(
            &mut tx,
            company,
            integration,
            Some(AdvertisingPlatform::VkAds),
        )
        .await?;
        if found.credential_fields.iter().any(|f| f == VK_CALLBACK_SECRET) {
            let secret = integration::open_credential(
                &self.flame,
                &mut tx,
                company,
                integration,
                VK_CALLBACK_SECRET,
            )
            .await?;
            verify_vk_secret(body, &secret)?;
        }
        let Some(lead) = parse_vk_lead_callback(body, received_at)? else {
            return Ok(None);
        };
        ingest(tx, &found, &settings, lead, clock::now()).await.map(Some)
    }

    /// Ingests a lead the host parsed or built itself — for a platform Flame does not parse,
    /// or with the UTM tags of its landing page ([`Utm::from_url`]) — checked first
    /// ([`Lead::validated`]). In one transaction:
    ///
    /// 1. a lead seen before (same integration and platform id) changes nothing and is answered
    ///    as a duplicate with the ids of its first delivery;
    /// 2. the contact is found by normalized email, then by phone (the oldest match), else
    ///    created ([`Lead::new_contact`]; the plan's contact limit applies);
    /// 3. the lead source named by [`Lead::source_name`] (its `utm_source`, else the platform)
    ///    is found, ignoring case, or created;
    /// 4. with `auto_create_deal`, a deal opens in the first open stage of the integration's
    ///    pipeline, with that source and contact, assigned to the integration's assignee
    ///    ([`Lead::new_deal`]; the plan's deal limit applies);
    /// 5. the lead is stored with its campaign and UTM tags, linked to the contact, the deal
    ///    and the source, and the events (`contact.created`, `source.created`,
    ///    `deal.created`) are written.
    ///
    /// Another company's or an unknown integration, or one of another kind, is `NotFound`; a
    /// disabled one `Conflict`; a lead from another platform than the integration's a
    /// `Validation` error on `"platform"`; defaults deleted since the integration was saved a
    /// `Validation` error naming the setting; a read-only company `ReadOnly`. Nothing is
    /// written on any error.
    pub async fn ingest_lead(
        &self,
        company: CompanyId,
        integration: IntegrationId,
        lead: Lead,
    ) -> Result<LeadOutcome> {
        let lead = lead.validated()?;
        let mut tx = self.flame.pool().begin().await?;
        let (found, settings) = integration::usable::<AdvertisingSettings>(
            &mut tx,
            company,
            integration,
            Some(lead.platform),
        )
        .await?;
        ingest(tx, &found, &settings, lead, clock::now()).await
    }

    /// Imports ad spend of the integration `integration` of `company`: one row per campaign
    /// and day, inserted or replacing the row of the same campaign and day. All rows or none:
    /// a bad row is a `Validation` error naming it (`"rows[3].currency"`, see
    /// [`check_spend`]), and so is a currency other than that of the integration's earlier
    /// spend (an ad account spends in one currency). Each row is filed under its lead source
    /// (by default the platform's, where its leads without `utm_source` go), created when
    /// missing. Returns how many rows were written.
    pub async fn import_spend(
        &self,
        company: CompanyId,
        integration: IntegrationId,
        rows: Vec<AdSpend>,
    ) -> Result<u64> {
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let (found, settings) =
            integration::usable::<AdvertisingSettings>(&mut tx, company, integration, None).await?;
        let checked = check_spend(&rows, settings.platform)?;
        let Some(first) = checked.first() else { return Ok(0) };
        let currency = first.amount.currency();
        billing::ensure_company_writable(&mut tx, company, now).await?;
        usage::read(&mut tx, company, true).await?;
        let (c, i) = (company.as_uuid(), found.id.as_uuid());

        let replaced: HashSet<(&str, Date)> =
            checked.iter().map(|r| (r.campaign.as_str(), r.day)).collect();
        let others = tx
            .fetch_all(
                "SELECT campaign, day, currency FROM ad_spend
                 WHERE company_id = $1 AND integration_id = $2 AND currency <> $3",
                args![c, i, currency.code()],
            )
            .await?;
        for row in &others {
            let campaign: String = row.get("campaign")?;
            if !replaced.contains(&(campaign.as_str(), row.get::<Date>("day")?)) {
                ensure_spend_currency("rows[0].currency", row.parse("currency")?, currency)?;
            }
        }

        let mut events = Vec::new();
        let mut sources: HashMap<String, SourceId> = HashMap::new();
        for (n, row) in checked.iter().enumerate() {
            if let std::collections::hash_map::Entry::Vacant(entry) =
                sources.entry(row.source_name.to_lowercase())
            {
                let field = format!("rows[{n}].source");
                entry.insert(
                    source_named(&mut tx, company, &row.source_name, &field, now, &mut events)
                        .await?,
                );
            }
        }
        // A few statements of many rows each, not one statement per row.
        for chunk in checked.chunks(500) {
            let mut q = Statement::new(
                "INSERT INTO ad_spend (company_id, integration_id, campaign, day, source_id,
                                       amount_minor, currency, updated_at) VALUES ",
                args![c, i, now],
            );
            for (n, row) in chunk.iter().enumerate() {
                let source = sources.get(&row.source_name.to_lowercase()).map(|s| s.as_uuid());
                let values = [
                    q.bind(row.campaign.clone()),
                    q.bind(Some(row.day)),
                    q.bind(source),
                    q.bind(row.amount.amount_minor()),
                    q.bind(row.amount.currency().code()),
                ];
                let sep = if n == 0 { "" } else { ", " };
                q.push(&format!("{sep}($1, $2, {}, $3)", values.join(", ")));
            }
            q.push(
                " ON CONFLICT (company_id, integration_id, campaign, day) DO UPDATE SET
                   source_id = excluded.source_id, amount_minor = excluded.amount_minor,
                   currency = excluded.currency, updated_at = excluded.updated_at",
            );
            let (sql, values) = q.build();
            tx.execute(sql, values).await?;
        }
        outbox::record(&mut tx, company, None, now, events).await?;
        tx.commit().await?;
        Ok(u64::try_from(checked.len()).unwrap_or(u64::MAX))
    }
}

/// Ingests `lead` for the usable integration `found` inside `tx` (see
/// [`Advertising::ingest_lead`]), and commits.
async fn ingest(
    mut tx: Tx,
    found: &Integration,
    settings: &AdvertisingSettings,
    lead: Lead,
    now: OffsetDateTime,
) -> Result<LeadOutcome> {
    let company = found.company_id;
    billing::ensure_company_writable(&mut tx, company, now).await?;
    // One ingestion at a time per company (PostgreSQL; SQLite's write lock already does it),
    // so that two leads of one person racing each other find one contact.
    usage::read(&mut tx, company, true).await?;
    let (c, i) = (company.as_uuid(), found.id.as_uuid());
    let seen = tx
        .fetch_optional(
            "SELECT id, contact_id, deal_id, source_id FROM leads
             WHERE company_id = $1 AND integration_id = $2 AND external_id = $3",
            args![c, i, lead.external_lead_id.clone()],
        )
        .await?;
    if let Some(row) = seen {
        return Ok(LeadOutcome {
            lead_id: row.get("id")?,
            contact_id: row.id("contact_id")?,
            deal_id: row.opt_id("deal_id")?,
            source_id: row.id("source_id")?,
            duplicate: true,
            created_contact: false,
        });
    }
    integration::check_defaults(&mut tx, company, &found.settings).await?;

    let mut events = Vec::new();
    let (contact_id, created_contact) = match find_contact(&mut tx, company, &lead).await? {
        Some(id) => (id, false),
        None => {
            let mut contact = lead.new_contact(company, settings, now)?;
            if let Some(name) = lead.organization_name() {
                let owner = settings.default_assignee_id;
                let org = org_link::find_or_create_named(
                    &mut tx,
                    company,
                    &name,
                    owner,
                    now,
                    &mut events,
                )
                .await?;
                contact.organization_id = Some(org);
            }
            usage::reserve(&mut tx, company, Limit::Contacts, 1).await?;
            contact::insert(&mut tx, &contact, &[]).await?;
            events.push(EventPayload::ContactCreated { contact_id: contact.id });
            (contact.id, true)
        }
    };
    let source_id =
        source_named(&mut tx, company, &lead.source_name(), "utm.source", now, &mut events).await?;
    let deal_id = match settings.deal_pipeline()? {
        None => None,
        Some(pipeline) => {
            let stages = pipeline::stages_in(&mut tx, company, pipeline).await?;
            let (deal, event) =
                lead.new_deal(company, settings, pipeline, &stages, contact_id, source_id, now)?;
            usage::reserve(&mut tx, company, Limit::Deals, 1).await?;
            deal::insert(&mut tx, &deal, serde_json::json!({})).await?;
            events.push(event);
            Some(deal.id)
        }
    };
    let lead_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO leads (company_id, id, integration_id, external_id, contact_id, deal_id,
                            source_id, campaign, utm_source, utm_medium, utm_campaign,
                            utm_content, utm_term, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        args![
            c,
            lead_id,
            i,
            lead.external_lead_id.clone(),
            contact_id.as_uuid(),
            deal_id.map(|d| d.as_uuid()),
            source_id.as_uuid(),
            lead.campaign.clone(),
            lead.utm.source.clone(),
            lead.utm.medium.clone(),
            lead.utm.campaign.clone(),
            lead.utm.content.clone(),
            lead.utm.term.clone(),
            lead.created_at
        ],
    )
    .await?;
    outbox::record(&mut tx, company, None, now, events).await?;
    tx.commit().await?;
    Ok(LeadOutcome { lead_id, contact_id, deal_id, source_id, duplicate: false, created_contact })
}

/// The company's contact with the lead's email, else with its phone: the oldest match.
async fn find_contact(tx: &mut Tx, company: CompanyId, lead: &Lead) -> Result<Option<ContactId>> {
    let c = company.as_uuid();
    if let Some(email) = &lead.email {
        let row = tx
            .fetch_optional(
                "SELECT id FROM contacts WHERE company_id = $1 AND email = $2 ORDER BY id LIMIT 1",
                args![c, email.as_str()],
            )
            .await?;
        if let Some(row) = row {
            return row.id("id").map(Some);
        }
    }
    if let Some(phone) = &lead.phone {
        let row = tx
            .fetch_optional(
                "SELECT id FROM contacts WHERE company_id = $1 AND phone = $2 ORDER BY id LIMIT 1",
                args![c, phone.as_str()],
            )
            .await?;
        return row.map(|r| r.id("id")).transpose();
    }
    Ok(None)
}

/// The company's source named `name`, ignoring case, created (with its event) when missing;
/// `field` names the input in a `Validation` error.
async fn source_named(
    tx: &mut Tx,
    company: CompanyId,
    name: &str,
    field: &str,
    now: OffsetDateTime,
    events: &mut Vec<EventPayload>,
) -> Result<SourceId> {
    let source = Source::create(company, name, now).map_err(|e| e.at(field))?;
    let row = tx
        .fetch_optional(
            "SELECT id FROM sources WHERE company_id = $1 AND name_key = $2",
            args![company.as_uuid(), source.name.to_lowercase()],
        )
        .await?;
    if let Some(row) = row {
        return row.id("id");
    }
    crate::source::insert(tx, &source).await?;
    events.push(EventPayload::SourceCreated { source_id: source.id });
    Ok(source.id)
}

const LEAD_COLUMNS: &str = "SELECT company_id, id, integration_id, external_id, contact_id,
        deal_id, source_id, campaign, utm_source, utm_medium, utm_campaign, utm_content,
        utm_term, received_at FROM leads";

fn lead_from_row(row: &Row) -> Result<LeadRecord> {
    Ok(LeadRecord {
        id: row.get("id")?,
        company_id: row.id("company_id")?,
        integration_id: row.id("integration_id")?,
        external_id: row.get("external_id")?,
        contact_id: row.opt_id("contact_id")?,
        deal_id: row.opt_id("deal_id")?,
        source_id: row.opt_id("source_id")?,
        campaign: row.get("campaign")?,
        utm: Utm {
            source: row.get("utm_source")?,
            medium: row.get("utm_medium")?,
            campaign: row.get("utm_campaign")?,
            content: row.get("utm_content")?,
            term: row.get("utm_term")?,
        },
        received_at: row.time("received_at")?,
    })
}

/// The company's ad leads: the campaign and UTM tags behind its contacts and deals. Everyone
/// who reads deals reads them.
#[derive(Debug, Clone)]
pub struct Leads {
    session: Session,
}

impl Leads {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// The leads, newest first, a page at a time.
    pub async fn list(&self, page: PageRequest) -> Result<Page<LeadRecord>> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        let limit = page.limit()?;
        let mut q = Statement::new(LEAD_COLUMNS, vec![]);
        let company = q.bind(self.session.tenant());
        q.push(&format!(" WHERE company_id = {company}"));
        q.page(page.cursor_uuid()?, limit, true);
        let (sql, values) = q.build();
        let rows = self.session.flame().pool().exec().fetch_all(sql, values).await?;
        let leads = rows.iter().map(lead_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(leads, limit, |l: &LeadRecord| l.id))
    }

    /// The lead that opened the deal `deal` — its attribution — or `None` for a deal no lead
    /// opened (or another company's).
    pub async fn of_deal(&self, deal: DealId) -> Result<Option<LeadRecord>> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        let sql = format!("{LEAD_COLUMNS} WHERE company_id = $1 AND deal_id = $2");
        let row = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_optional(sql, args![self.session.tenant(), deal.as_uuid()])
            .await?;
        row.as_ref().map(lead_from_row).transpose()
    }
}

/// Reports over the company's data.
///
/// They are read with the right to read every deal (`Read` on a deal of any assignee), which
/// every role has: the figures are counts and sums of deals, leads and ad spend that the
/// reader could otherwise list — unlike [`Billing`](flame_core::auth::Resource::Billing), which
/// is about the company's own subscription.
#[derive(Debug, Clone)]
pub struct Reports {
    session: Session,
}

impl Reports {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Cost per lead and per won deal of each lead source, per currency, over the days `from`
    /// to `to` (UTC, both included): leads received and deals won in the period, spend of the
    /// period's days. How leads and deals are attributed to a currency, and how costs are
    /// rounded, is [`cost_by_source`]'s rule. Deals without a source are left out; `to` before
    /// `from` is a `Validation` error on `"to"`.
    pub async fn cost_by_source(&self, from: Date, to: Date) -> Result<Vec<SourceCost>> {
        self.session.authorize(Action::Read, Resource::Deal { assignee: None }).await?;
        let (start, end) = report_period(from, to)?;
        let exec = &mut self.session.flame().pool().exec();
        let c = self.session.tenant();
        let count = |row: &Row| -> Result<u64> { Ok(u64::try_from(row.int("n")?).unwrap_or(0)) };
        let mut facts = CostFacts::default();
        for row in exec
            .fetch_all(
                "SELECT source_id, integration_id, COUNT(*) AS n FROM leads
                 WHERE company_id = $1 AND received_at >= $2 AND received_at < $3
                   AND source_id IS NOT NULL
                 GROUP BY source_id, integration_id",
                args![c, start, end],
            )
            .await?
        {
            facts.leads.push((row.id("source_id")?, row.id("integration_id")?, count(&row)?));
        }
        for row in exec
            .fetch_all(
                "SELECT d.source_id, l.integration_id, COUNT(*) AS n
                 FROM deals d
                 LEFT JOIN leads l ON l.company_id = d.company_id AND l.deal_id = d.id
                 WHERE d.company_id = $1 AND d.status = $2 AND d.closed_at >= $3
                   AND d.closed_at < $4 AND d.source_id IS NOT NULL
                 GROUP BY d.source_id, l.integration_id",
                args![c, DealStatus::Won.as_str(), start, end],
            )
            .await?
        {
            let integration = row.opt_id("integration_id")?;
            facts.won_deals.push((row.id("source_id")?, integration, count(&row)?));
        }
        for row in exec
            .fetch_all(
                "SELECT source_id, currency,
                        CAST(SUM(amount_minor / 1000000000) AS BIGINT) AS total_high,
                        CAST(SUM(amount_minor % 1000000000) AS BIGINT) AS total_low
                 FROM ad_spend
                 WHERE company_id = $1 AND day >= $2 AND day <= $3 AND source_id IS NOT NULL
                 GROUP BY source_id, currency",
                args![c, Some(from), Some(to)],
            )
            .await?
        {
            let currency: Currency = row.parse("currency")?;
            let total = i64::try_from(pipeline::split_sum(&row, "total")?).map_err(|_| {
                flame_core::FlameError::validation("spend_minor", "is too large to add up")
            })?;
            facts.spend.push((row.id("source_id")?, currency, total));
        }
        for row in exec
            .fetch_all(
                "SELECT DISTINCT integration_id, currency FROM ad_spend WHERE company_id = $1",
                args![c],
            )
            .await?
        {
            facts.integration_currency.insert(row.id("integration_id")?, row.parse("currency")?);
        }
        let names =
            exec.fetch_all("SELECT id, name FROM sources WHERE company_id = $1", args![c]).await?;
        facts.source_names = names
            .iter()
            .map(|row| Ok((row.id("id")?, row.get("name")?)))
            .collect::<Result<BTreeMap<_, _>>>()?;
        cost_by_source(&facts)
    }
}
