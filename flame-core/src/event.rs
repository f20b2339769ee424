//! Domain events: what happened, emitted by operations and written to the outbox in the
//! same transaction as the change, so that webhooks and other consumers never miss one and
//! never see one for a change that did not commit.
//!
//! Events carry ids and the facts of the change, never secrets; personal data stays in the
//! records they point to.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::activity::ActivityKind;
use crate::auth::Role;
use crate::id::{
    ActivityId, CompanyId, ContactId, CustomFieldId, DealId, EventId, OrganizationId, PipelineId,
    SourceId, StageId, TagId, UserId,
};
use crate::money::Money;

/// Something that happened in a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id, for consumers to deduplicate.
    pub id: EventId,
    /// The company it happened in.
    pub company_id: CompanyId,
    /// The user who caused it, if any.
    pub actor_id: Option<UserId>,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// What happened.
    pub payload: EventPayload,
}

impl Event {
    /// A new event with a fresh id.
    pub fn new(
        company_id: CompanyId,
        actor_id: Option<UserId>,
        occurred_at: OffsetDateTime,
        payload: EventPayload,
    ) -> Self {
        Self { id: EventId::new(), company_id, actor_id, occurred_at, payload }
    }
}

/// What happened, with the facts of the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum EventPayload {
    /// A company signed up.
    #[serde(rename = "company.created")]
    CompanyCreated {
        /// The company.
        company_id: CompanyId,
        /// Its owner.
        owner_id: UserId,
    },
    /// A user joined the company.
    #[serde(rename = "member.added")]
    MemberAdded {
        /// The user.
        user_id: UserId,
        /// Their role.
        role: Role,
    },
    /// A member's role changed.
    #[serde(rename = "member.role_changed")]
    MemberRoleChanged {
        /// The user.
        user_id: UserId,
        /// Their role before.
        from: Role,
        /// Their role now.
        to: Role,
    },
    /// A user left the company or was removed from it.
    #[serde(rename = "member.removed")]
    MemberRemoved {
        /// The user.
        user_id: UserId,
    },
    /// A contact was created.
    #[serde(rename = "contact.created")]
    ContactCreated {
        /// The contact.
        contact_id: ContactId,
    },
    /// A contact was changed.
    #[serde(rename = "contact.updated")]
    ContactUpdated {
        /// The contact.
        contact_id: ContactId,
    },
    /// A contact was deleted.
    #[serde(rename = "contact.deleted")]
    ContactDeleted {
        /// The contact.
        contact_id: ContactId,
    },
    /// An organization was created.
    #[serde(rename = "organization.created")]
    OrganizationCreated {
        /// The organization.
        organization_id: OrganizationId,
    },
    /// An organization was changed.
    #[serde(rename = "organization.updated")]
    OrganizationUpdated {
        /// The organization.
        organization_id: OrganizationId,
    },
    /// An organization was deleted; its contacts and deals stay, without an organization.
    #[serde(rename = "organization.deleted")]
    OrganizationDeleted {
        /// The organization.
        organization_id: OrganizationId,
    },
    /// A tag was put on an organization (its version does not change).
    #[serde(rename = "organization.tagged")]
    OrganizationTagged {
        /// The organization.
        organization_id: OrganizationId,
        /// The tag.
        tag_id: TagId,
    },
    /// A tag was taken off an organization.
    #[serde(rename = "organization.untagged")]
    OrganizationUntagged {
        /// The organization.
        organization_id: OrganizationId,
        /// The tag.
        tag_id: TagId,
    },
    /// A tag was put on a contact (its version does not change). Adding a tag the contact
    /// already carries emits nothing.
    #[serde(rename = "contact.tagged")]
    ContactTagged {
        /// The contact.
        contact_id: ContactId,
        /// The tag.
        tag_id: TagId,
    },
    /// A tag was taken off a contact.
    #[serde(rename = "contact.untagged")]
    ContactUntagged {
        /// The contact.
        contact_id: ContactId,
        /// The tag.
        tag_id: TagId,
    },
    /// Contacts were imported in bulk (one event per batch rather than one per contact).
    #[serde(rename = "contacts.imported")]
    ContactsImported {
        /// How many.
        count: u64,
        /// The first contact of the batch (ids are time-ordered: the batch is the range
        /// from `first_id` to `last_id`).
        first_id: ContactId,
        /// The last contact of the batch.
        last_id: ContactId,
    },
    /// Organizations were imported in bulk (one event per batch rather than one per
    /// organization).
    #[serde(rename = "organizations.imported")]
    OrganizationsImported {
        /// How many.
        count: u64,
        /// The first organization of the batch (ids are time-ordered: the batch is the range
        /// from `first_id` to `last_id`).
        first_id: OrganizationId,
        /// The last organization of the batch.
        last_id: OrganizationId,
    },
    /// Deals were imported in bulk, each in the stage its row named (one event per batch
    /// rather than a `deal.created`, `deal.stage_changed`, `deal.won` or `deal.lost` per deal).
    #[serde(rename = "deals.imported")]
    DealsImported {
        /// How many.
        count: u64,
        /// The first deal of the batch (ids are time-ordered: the batch is the range from
        /// `first_id` to `last_id`).
        first_id: DealId,
        /// The last deal of the batch.
        last_id: DealId,
    },
    /// A deal was created.
    #[serde(rename = "deal.created")]
    DealCreated {
        /// The deal.
        deal_id: DealId,
        /// Its pipeline.
        pipeline_id: PipelineId,
        /// Its first stage.
        stage_id: StageId,
        /// Its value.
        value: Money,
    },
    /// A deal's fields changed (not its stage).
    #[serde(rename = "deal.updated")]
    DealUpdated {
        /// The deal.
        deal_id: DealId,
    },
    /// A deal moved from one stage to another.
    #[serde(rename = "deal.stage_changed")]
    DealStageChanged {
        /// The deal.
        deal_id: DealId,
        /// The stage it left.
        from_stage_id: StageId,
        /// The stage it entered.
        to_stage_id: StageId,
    },
    /// A deal was won.
    #[serde(rename = "deal.won")]
    DealWon {
        /// The deal.
        deal_id: DealId,
        /// Its value.
        value: Money,
    },
    /// A deal was lost.
    #[serde(rename = "deal.lost")]
    DealLost {
        /// The deal.
        deal_id: DealId,
        /// Why.
        reason: String,
    },
    /// A won or lost deal was reopened.
    #[serde(rename = "deal.reopened")]
    DealReopened {
        /// The deal.
        deal_id: DealId,
    },
    /// A deal was deleted.
    #[serde(rename = "deal.deleted")]
    DealDeleted {
        /// The deal.
        deal_id: DealId,
    },
    /// A tag was put on a deal (its version does not change).
    #[serde(rename = "deal.tagged")]
    DealTagged {
        /// The deal.
        deal_id: DealId,
        /// The tag.
        tag_id: TagId,
    },
    /// A tag was taken off a deal.
    #[serde(rename = "deal.untagged")]
    DealUntagged {
        /// The deal.
        deal_id: DealId,
        /// The tag.
        tag_id: TagId,
    },
    /// A tag was renamed or recolored: every record carrying it shows the new name.
    #[serde(rename = "tag.updated")]
    TagUpdated {
        /// The tag.
        tag_id: TagId,
    },
    /// A tag was merged into another: every record that carried `from_tag_id` now carries
    /// `into_tag_id`, and `from_tag_id` no longer exists.
    #[serde(rename = "tag.merged")]
    TagMerged {
        /// The tag merged away (deleted).
        from_tag_id: TagId,
        /// The tag that remains.
        into_tag_id: TagId,
    },
    /// A tag was deleted, and taken off every record.
    #[serde(rename = "tag.deleted")]
    TagDeleted {
        /// The tag.
        tag_id: TagId,
    },
    /// An activity was recorded.
    #[serde(rename = "activity.created")]
    ActivityCreated {
        /// The activity.
        activity_id: ActivityId,
        /// Its kind.
        kind: ActivityKind,
        /// The contact it is about.
        contact_id: Option<ContactId>,
        /// The deal it is about.
        deal_id: Option<DealId>,
    },
    /// A task was marked done.
    #[serde(rename = "activity.completed")]
    ActivityCompleted {
        /// The task.
        activity_id: ActivityId,
    },
    /// A pipeline was created.
    #[serde(rename = "pipeline.created")]
    PipelineCreated {
        /// The pipeline.
        pipeline_id: PipelineId,
    },
    /// A source was created.
    #[serde(rename = "source.created")]
    SourceCreated {
        /// The source.
        source_id: SourceId,
    },
    /// A custom field was defined.
    #[serde(rename = "custom_field.defined")]
    CustomFieldDefined {
        /// The field.
        field_id: CustomFieldId,
    },
    /// A custom field's definition changed (and its values, if it migrated them).
    #[serde(rename = "custom_field.updated")]
    CustomFieldUpdated {
        /// The field.
        field_id: CustomFieldId,
    },
    /// A custom field was deleted.
    #[serde(rename = "custom_field.deleted")]
    CustomFieldDeleted {
        /// The field.
        field_id: CustomFieldId,
    },
}

impl EventPayload {
    /// The event type as consumers see it (`"deal.won"`), the tag of the JSON form.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::CompanyCreated { .. } => "company.created",
            Self::MemberAdded { .. } => "member.added",
            Self::MemberRoleChanged { .. } => "member.role_changed",
            Self::MemberRemoved { .. } => "member.removed",
            Self::ContactCreated { .. } => "contact.created",
            Self::ContactUpdated { .. } => "contact.updated",
            Self::ContactDeleted { .. } => "contact.deleted",
            Self::ContactTagged { .. } => "contact.tagged",
            Self::ContactUntagged { .. } => "contact.untagged",
            Self::ContactsImported { .. } => "contacts.imported",
            Self::OrganizationsImported { .. } => "organizations.imported",
            Self::DealsImported { .. } => "deals.imported",
            Self::OrganizationCreated { .. } => "organization.created",
            Self::OrganizationUpdated { .. } => "organization.updated",
            Self::OrganizationDeleted { .. } => "organization.deleted",
            Self::OrganizationTagged { .. } => "organization.tagged",
            Self::OrganizationUntagged { .. } => "organization.untagged",
            Self::DealCreated { .. } => "deal.created",
            Self::DealUpdated { .. } => "deal.updated",
            Self::DealStageChanged { .. } => "deal.stage_changed",
            Self::DealWon { .. } => "deal.won",
            Self::DealLost { .. } => "deal.lost",
            Self::DealReopened { .. } => "deal.reopened",
            Self::DealDeleted { .. } => "deal.deleted",
            Self::DealTagged { .. } => "deal.tagged",
            Self::DealUntagged { .. } => "deal.untagged",
            Self::TagUpdated { .. } => "tag.updated",
            Self::TagMerged { .. } => "tag.merged",
            Self::TagDeleted { .. } => "tag.deleted",
            Self::ActivityCreated { .. } => "activity.created",
            Self::ActivityCompleted { .. } => "activity.completed",
            Self::PipelineCreated { .. } => "pipeline.created",
            Self::SourceCreated { .. } => "source.created",
            Self::CustomFieldDefined { .. } => "custom_field.defined",
            Self::CustomFieldUpdated { .. } => "custom_field.updated",
            Self::CustomFieldDeleted { .. } => "custom_field.deleted",
        }
    }

    /// The record the event is about, as (kind, id): consumers order events per record.
    pub fn aggregate(&self) -> (&'static str, Uuid) {
        match self {
            Self::CompanyCreated { company_id, .. } => ("company", company_id.as_uuid()),
            Self::MemberAdded { user_id, .. }
            | Self::MemberRoleChanged { user_id, .. }
            | Self::MemberRemoved { user_id } => ("user", user_id.as_uuid()),
            Self::ContactCreated { contact_id }
            | Self::ContactUpdated { contact_id }
            | Self::ContactDeleted { contact_id }
            | Self::ContactTagged { contact_id, .. }
            | Self::ContactUntagged { contact_id, .. } => ("contact", contact_id.as_uuid()),
            Self::ContactsImported { first_id, .. } => ("contact", first_id.as_uuid()),
            Self::OrganizationsImported { first_id, .. } => ("organization", first_id.as_uuid()),
            Self::DealsImported { first_id, .. } => ("deal", first_id.as_uuid()),
            Self::OrganizationCreated { organization_id }
            | Self::OrganizationUpdated { organization_id }
            | Self::OrganizationDeleted { organization_id }
            | Self::OrganizationTagged { organization_id, .. }
            | Self::OrganizationUntagged { organization_id, .. } => {
                ("organization", organization_id.as_uuid())
            }
            Self::DealCreated { deal_id, .. }
            | Self::DealUpdated { deal_id }
            | Self::DealStageChanged { deal_id, .. }
            | Self::DealWon { deal_id, .. }
            | Self::DealLost { deal_id, .. }
            | Self::DealReopened { deal_id }
            | Self::DealDeleted { deal_id }
            | Self::DealTagged { deal_id, .. }
            | Self::DealUntagged { deal_id, .. } => ("deal", deal_id.as_uuid()),
            Self::TagUpdated { tag_id }
            | Self::TagDeleted { tag_id }
            | Self::TagMerged { from_tag_id: tag_id, .. } => ("tag", tag_id.as_uuid()),
            Self::ActivityCreated { activity_id, .. } | Self::ActivityCompleted { activity_id } => {
                ("activity", activity_id.as_uuid())
            }
            Self::PipelineCreated { pipeline_id } => ("pipeline", pipeline_id.as_uuid()),
            Self::SourceCreated { source_id } => ("source", source_id.as_uuid()),
            Self::CustomFieldDefined { field_id }
            | Self::CustomFieldUpdated { field_id }
            | Self::CustomFieldDeleted { field_id } => ("custom_field", field_id.as_uuid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_tag_is_the_event_type() {
        let p = EventPayload::DealReopened { deal_id: DealId::new() };
        let json = serde_json::to_value(&p).expect("json");
        assert_eq!(json["type"], p.event_type());
        let back: EventPayload = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, p);
    }
}
