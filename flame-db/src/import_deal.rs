//! Bulk import of deals ([`Deals::import_rows`] and `import_csv`): each row's pipeline,
//! stage, source, assignee and contact found among the company's own records (by name or
//! email; another company's never match), the deal built in the stage its row names by the
//! core's rules ([`DealRow::build`]), the good ones written in batches on the driver of
//! `import.rs` (one transaction per batch, the plan's `deals` limit reserved per batch), with
//! their organizations (found by domain or name, or created), custom values and tags, and
//! one `deals.imported` event per batch. Also the multi-row INSERT of deals, which `create`
//! uses too.
//!
//! [`Deals::import_rows`]: crate::Deals::import_rows

use std::collections::HashMap;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::custom_field::{self, CustomEntity, CustomField, StoredValues};
use flame_core::deal::Deal;
use flame_core::event::EventPayload;
use flame_core::import::{ContactKey, DealRow, ImportReport};
use flame_core::pipeline::{Pipeline, Stage};
use flame_core::source::Source;
use flame_core::tag::Tagged;
use flame_core::{ContactId, FlameError, PipelineId, Result, UserId};

use crate::custom_field::write_index;
use crate::import::{Importer, Members, Row, checked_tags, run};
use crate::session::Session;
use crate::sql::{Arg, Executor, Tx, args};
use crate::{org_link, outbox, pipeline, source, tag, usage};

/// Deals per INSERT statement (19 values each).
const ROWS_PER_STATEMENT: usize = 100;

/// An import into the deals of a session's company.
pub(crate) struct DealImport<'a> {
    session: &'a Session,
    me: UserId,
    members: Members,
    /// The company's custom field definitions for deals, read as the import starts.
    fields: Vec<CustomField>,
    /// The company's pipelines, and their stages by pipeline (a company has few).
    pipelines: Vec<Pipeline>,
    stages: HashMap<PipelineId, Vec<Stage>>,
    sources: Vec<Source>,
    /// The contacts rows of the batch being read named, by key.
    contacts: HashMap<String, ContactId>,
}

/// A deal checked for import, with its custom values as stored, the reference of its
/// organization and its tags.
pub(crate) struct Checked {
    deal: Deal,
    values: StoredValues,
    organization: Option<String>,
    tags: Vec<String>,
}

impl<'a> DealImport<'a> {
    /// Checks that the session may import deals at all and reads what rows are judged
    /// against: members, custom field definitions, pipelines and stages, sources.
    pub(crate) async fn begin(session: &'a Session) -> Result<Self> {
        let me = session.user_id();
        session.authorize(Action::Create, Resource::Deal { assignee: Some(me) }).await?;
        let members = Members::load(session).await?;
        let mut exec = session.flame().pool().exec();
        let fields =
            crate::custom_field::load(&mut exec, session.tenant(), CustomEntity::Deal).await?;
        let (pipelines, all_stages) = pipeline::all(&mut exec, session).await?;
        let mut stages: HashMap<PipelineId, Vec<Stage>> = HashMap::new();
        for stage in all_stages {
            stages.entry(stage.pipeline_id).or_default().push(stage);
        }
        let sources = source::all(&mut exec, session).await?;
        Ok(Self {
            session,
            me,
            members,
            fields,
            pipelines,
            stages,
            sources,
            contacts: HashMap::new(),
        })
    }

    /// The custom field definitions of deals.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn fields(&self) -> &[CustomField] {
        &self.fields
    }

    /// Imports numbered rows.
    pub(crate) async fn import_numbered<I>(session: &'a Session, rows: I) -> Result<ImportReport>
    where
        I: Iterator<Item = (u64, Row<DealRow>)> + Send,
    {
        let mut import = Self::begin(session).await?;
        Ok(run(&mut import, rows).await)
    }

    /// The company's contact a row names (the oldest with that email, else that full name):
    /// a `Validation` error on `contact` when there is none.
    async fn contact(&mut self, key: ContactKey) -> Result<ContactId> {
        let (column, value, cache) = match key {
            ContactKey::Email(email) => ("email", email.clone(), format!("e:{email}")),
            ContactKey::Name(name) => ("search_name", name.clone(), format!("n:{name}")),
        };
        if let Some(id) = self.contacts.get(&cache) {
            return Ok(*id);
        }
        let found = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_optional(
                format!(
                    "SELECT id FROM contacts WHERE company_id = $1 AND {column} = $2
                     ORDER BY id LIMIT 1"
                ),
                args![self.session.tenant(), value],
            )
            .await?;
        let id: ContactId = match found {
            Some(row) => row.id("id")?,
            None => {
                return Err(FlameError::validation("contact", "is not a contact of this company"));
            }
        };
        self.contacts.insert(cache, id);
        Ok(id)
    }
}

impl Importer for DealImport<'_> {
    type Row = DealRow;
    type Checked = Checked;

    async fn check(&mut self, mut row: DealRow) -> Result<Checked> {
        let now = flame_core::clock::now();
        let assignee = self.members.pick(
            "assignee",
            row.assignee.as_deref(),
            "assignee_id",
            row.deal.assignee_id,
            self.me,
        )?;
        self.session.permit(Action::Create, Resource::Deal { assignee: Some(assignee) })?;
        let pipeline = row.pipeline_in(&self.pipelines)?.clone();
        row.deal.assignee_id = Some(assignee);
        row.deal.source_id = match row.source_in(&self.sources)? {
            Some(source) => Some(source),
            None => match row.deal.source_id {
                Some(id) if !self.sources.iter().any(|s| s.id == id) => {
                    return Err(FlameError::validation(
                        "source_id",
                        "is not a source of this company",
                    ));
                }
                other => other,
            },
        };
        if let Some(key) = row.contact_key() {
            row.deal.contact_id = Some(self.contact(key).await?);
        } else if let Some(id) = row.deal.contact_id {
            let mut exec = self.session.flame().pool().exec();
            crate::contact::ensure_exists(&mut exec, self.session, id, "contact_id").await?;
        }
        let stages = self.stages.get(&pipeline.id).map(Vec::as_slice).unwrap_or_default();
        let mut deal = row.build(self.session.company_id(), &pipeline, stages, self.me, now)?;
        let values = custom_field::check_new(&self.fields, CustomEntity::Deal, &row.deal.custom)?;
        deal.custom = custom_field::by_key(&self.fields, &values);
        if let Some(org) = row.deal.organization_id
            && row.organization.is_none()
        {
            let mut exec = self.session.flame().pool().exec();
            match org_link::ensure_exists(&mut exec, self.session.company_id(), org).await {
                Ok(()) => {}
                Err(FlameError::NotFound { .. }) => {
                    return Err(FlameError::validation(
                        "organization_id",
                        "is not an organization of this company",
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        let organization = row.organization_name()?;
        let tags = checked_tags(&row.tags)?;
        Ok(Checked { deal, values, organization, tags })
    }

    async fn write(&mut self, batch: &mut [Checked]) -> Result<()> {
        let company = self.session.company_id();
        let mut tx = self.session.begin().await?;
        let me = self.me;
        self.session.permit(Action::Create, Resource::Deal { assignee: Some(me) })?;
        for c in batch.iter() {
            self.session.permit(Action::Create, Resource::Deal { assignee: c.deal.assignee_id })?;
        }
        usage::reserve(&mut tx, company, Limit::Deals, batch.len() as u64).await?;
        // Organizations named by rows: found by domain or name, or created (owned by the
        // importing user), once per name in the batch.
        let now = flame_core::clock::now();
        let mut events = Vec::new();
        let mut named = org_link::Named::default();
        for c in batch.iter_mut() {
            let Some(reference) = &c.organization else { continue };
            let id = named.resolve(&mut tx, company, reference, Some(me), now, &mut events).await?;
            c.deal.organization_id = Some(id);
        }
        let fields = &self.fields;
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let rows =
                chunk.iter().map(|c| (&c.deal, crate::custom_field::encode(fields, &c.values)));
            insert_many(&mut tx, rows).await?;
        }
        for c in batch.iter().filter(|c| !c.values.is_empty()) {
            write_index(&mut tx, company.as_uuid(), c.deal.id.as_uuid(), fields, &c.values, true)
                .await?;
        }
        let taggings: Vec<(uuid::Uuid, &[String])> = batch
            .iter()
            .filter(|c| !c.tags.is_empty())
            .map(|c| (c.deal.id.as_uuid(), c.tags.as_slice()))
            .collect();
        tag::add_all(&mut tx, self.session, Tagged::Deal, &taggings, now).await?;
        events.push(EventPayload::DealsImported {
            count: batch.len() as u64,
            first_id: batch[0].deal.id,
            last_id: batch[batch.len() - 1].deal.id,
        });
        outbox::record(&mut tx, company, Some(me), now, events).await?;
        tx.commit().await
    }

    fn next_batch(&mut self) {
        self.contacts.clear();
    }
}

/// One multi-row INSERT of validated deals (their usage reserved, their references
/// checked), each with its `custom` column ([`crate::custom_field::encode`]; the caller
/// writes the index rows).
pub(crate) async fn insert_many<'a>(
    tx: &mut Tx,
    deals: impl Iterator<Item = (&'a Deal, serde_json::Value)>,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO deals (company_id, id, title, amount_minor, currency, contact_id, pipeline_id, stage_id,
                            source_id, assignee_id, status, expected_close, lost_reason, closed_at,
                            created_at, updated_at, version, organization_id, custom)
         VALUES ",
    );
    let mut values: Vec<Arg> = Vec::new();
    for (i, (deal, custom)) in deals.enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let base = values.len();
        sql.push('(');
        sql.push_str(&(1..=19).map(|k| format!("${}", base + k)).collect::<Vec<_>>().join(", "));
        sql.push(')');
        values.extend(args![
            deal.company_id.as_uuid(),
            deal.id.as_uuid(),
            deal.title.clone(),
            deal.value.amount_minor(),
            deal.value.currency().code(),
            deal.contact_id.map(|c| c.as_uuid()),
            deal.pipeline_id.as_uuid(),
            deal.stage_id.as_uuid(),
            deal.source_id.map(|s| s.as_uuid()),
            deal.assignee_id.map(|a| a.as_uuid()),
            deal.status.as_str(),
            deal.expected_close,
            deal.lost_reason.clone(),
            deal.closed_at,
            deal.created_at,
            deal.updated_at,
            deal.version,
            deal.organization_id.map(|o| o.as_uuid()),
            custom,
        ]);
    }
    if values.is_empty() {
        return Ok(());
    }
    tx.execute(sql, values).await?;
    Ok(())
}
