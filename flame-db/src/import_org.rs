//! Bulk import of organizations ([`Organizations::import_rows`] and `import_csv`): each row
//! checked like `create` checks its input, the good ones written in batches on the driver of
//! `import.rs` (one transaction per batch, the plan's `organizations` limit reserved per
//! batch), with their custom values and tags, and one `organizations.imported` event per
//! batch.
//!
//! [`Organizations::import_rows`]: crate::Organizations::import_rows

use std::collections::HashSet;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::custom_field::{self, CustomEntity, CustomField, StoredValues};
use flame_core::event::EventPayload;
use flame_core::import::{ImportReport, OrganizationRow, domain_taken};
use flame_core::organization::Organization;
use flame_core::tag::Tagged;
use flame_core::{Result, UserId};

use crate::custom_field::write_index;
use crate::import::{Importer, Members, Row, checked_tags, run};
use crate::session::Session;
use crate::sql::{Executor, args};
use crate::{org_link, outbox, tag, usage};

/// An import into the organizations of a session's company.
pub(crate) struct OrganizationImport<'a> {
    session: &'a Session,
    me: UserId,
    members: Members,
    /// The company's custom field definitions for organizations, read as the import starts.
    fields: Vec<CustomField>,
    /// The domains of the rows of the batch being read (earlier batches are written, and
    /// found in the table).
    domains: HashSet<String>,
}

/// An organization checked for import, with its custom values as stored and its tags.
pub(crate) struct Checked {
    org: Organization,
    values: StoredValues,
    tags: Vec<String>,
}

impl<'a> OrganizationImport<'a> {
    /// Checks that the session may import organizations at all and reads the members and
    /// the custom field definitions rows are judged against.
    pub(crate) async fn begin(session: &'a Session) -> Result<Self> {
        let me = session.user_id();
        session.authorize(Action::Create, Resource::Organization { owner: Some(me) }).await?;
        let members = Members::load(session).await?;
        let fields = crate::custom_field::load(
            &mut session.flame().pool().exec(),
            session.tenant(),
            CustomEntity::Organization,
        )
        .await?;
        Ok(Self { session, me, members, fields, domains: HashSet::new() })
    }

    /// The custom field definitions of organizations.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn fields(&self) -> &[CustomField] {
        &self.fields
    }

    /// Imports numbered rows.
    pub(crate) async fn import_numbered<I>(session: &'a Session, rows: I) -> Result<ImportReport>
    where
        I: Iterator<Item = (u64, Row<OrganizationRow>)> + Send,
    {
        let mut import = Self::begin(session).await?;
        Ok(run(&mut import, rows).await)
    }
}

impl Importer for OrganizationImport<'_> {
    type Row = OrganizationRow;
    type Checked = Checked;

    async fn check(&mut self, row: OrganizationRow) -> Result<Checked> {
        let now = flame_core::clock::now();
        let input = &row.organization;
        let owner = self.members.pick(
            "owner",
            row.owner.as_deref(),
            "owner_id",
            input.owner_id,
            self.me,
        )?;
        self.session.permit(Action::Create, Resource::Organization { owner: Some(owner) })?;
        let mut org = Organization::create(self.session.company_id(), input, self.me, now)?;
        org.owner_id = Some(owner);
        let values =
            custom_field::check_new(&self.fields, CustomEntity::Organization, &input.custom)?;
        org.custom = custom_field::by_key(&self.fields, &values);
        let tags = checked_tags(&row.tags)?;
        if let Some(domain) = &org.domain {
            let taken = self
                .session
                .flame()
                .pool()
                .exec()
                .fetch_optional(
                    "SELECT id FROM organizations WHERE company_id = $1 AND domain = $2",
                    args![self.session.tenant(), domain.clone()],
                )
                .await?;
            if taken.is_some() {
                return Err(domain_taken(false));
            }
            if !self.domains.insert(domain.clone()) {
                return Err(domain_taken(true));
            }
        }
        Ok(Checked { org, values, tags })
    }

    async fn write(&mut self, batch: &mut [Checked]) -> Result<()> {
        let company = self.session.company_id();
        let mut tx = self.session.begin().await?;
        let me = self.me;
        self.session.permit(Action::Create, Resource::Organization { owner: Some(me) })?;
        for c in batch.iter() {
            self.session
                .permit(Action::Create, Resource::Organization { owner: c.org.owner_id })?;
        }
        usage::reserve(&mut tx, company, Limit::Organizations, batch.len() as u64).await?;
        let fields = &self.fields;
        for c in batch.iter() {
            org_link::insert(&mut tx, &c.org, crate::custom_field::encode(fields, &c.values))
                .await?;
            if !c.values.is_empty() {
                write_index(
                    &mut tx,
                    company.as_uuid(),
                    c.org.id.as_uuid(),
                    fields,
                    &c.values,
                    true,
                )
                .await?;
            }
        }
        let now = flame_core::clock::now();
        let taggings: Vec<(uuid::Uuid, &[String])> = batch
            .iter()
            .filter(|c| !c.tags.is_empty())
            .map(|c| (c.org.id.as_uuid(), c.tags.as_slice()))
            .collect();
        tag::add_all(&mut tx, self.session, Tagged::Organization, &taggings, now).await?;
        let event = EventPayload::OrganizationsImported {
            count: batch.len() as u64,
            first_id: batch[0].org.id,
            last_id: batch[batch.len() - 1].org.id,
        };
        outbox::record(&mut tx, company, Some(me), now, vec![event]).await?;
        tx.commit().await
    }

    fn next_batch(&mut self) {
        self.domains.clear();
    }
}
