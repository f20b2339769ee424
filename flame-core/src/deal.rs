//! Deals and the rules of their movement through a pipeline.
//!
//! A deal's status follows the kind of its stage: in an open stage it is open, in a won
//! stage won, in a lost stage lost — and a lost deal always carries the reason. A closed
//! (won or lost) deal does not move again until it is explicitly reopened. A deal's stage
//! always belongs to the deal's pipeline.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::custom_field::{CustomCondition, CustomSort, CustomValues, CustomValuesPatch};
use crate::error::{FlameError, Result};
use crate::event::EventPayload;
use crate::id::{
    CompanyId, ContactId, DealId, OrganizationId, PipelineId, SourceId, StageId, UserId,
};
use crate::money::{Currency, Money};
use crate::pipeline::{Stage, StageKind};
use crate::text;

/// Where a deal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// Being worked on.
    Open,
    /// Won.
    Won,
    /// Lost.
    Lost,
}

impl DealStatus {
    /// Every status.
    pub const ALL: [DealStatus; 3] = [Self::Open, Self::Won, Self::Lost];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }

    /// The status of a deal standing in a stage of `kind`.
    pub const fn of_stage(kind: StageKind) -> Self {
        match kind {
            StageKind::Open => DealStatus::Open,
            StageKind::Won => DealStatus::Won,
            StageKind::Lost => DealStatus::Lost,
        }
    }
}

impl fmt::Display for DealStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DealStatus {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Self::Open),
            "won" => Ok(Self::Won),
            "lost" => Ok(Self::Lost),
            _ => Err(FlameError::validation("status", "must be open, won or lost")),
        }
    }
}

/// A deal: a potential sale moving through a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Deal {
    /// Its id.
    pub id: DealId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// Its title.
    pub title: String,
    /// Its value.
    pub value: Money,
    /// The contact it is with.
    pub contact_id: Option<ContactId>,
    /// The organization it is with.
    pub organization_id: Option<OrganizationId>,
    /// The pipeline it moves through.
    pub pipeline_id: PipelineId,
    /// The stage it is in.
    pub stage_id: StageId,
    /// Where the lead came from.
    pub source_id: Option<SourceId>,
    /// The member responsible for it.
    pub assignee_id: Option<UserId>,
    /// Open, won or lost: follows the stage's kind.
    pub status: DealStatus,
    /// When it is expected to close.
    pub expected_close: Option<Date>,
    /// Why it was lost (set exactly when the deal is lost).
    pub lost_reason: Option<String>,
    /// When it was won or lost.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// Its custom field values, by field key (fields the company defined for deals).
    pub custom: CustomValues,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version: pass it back to change the deal.
    pub version: i64,
    /// The names of its tags, sorted (case-insensitively). Tagging does not change
    /// `version`.
    pub tags: Vec<String>,
}

/// A deal to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeal {
    /// Its title.
    pub title: String,
    /// Its value in minor units of `currency` (cents for USD); not negative.
    pub amount_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The contact it is with.
    pub contact_id: Option<ContactId>,
    /// The organization it is with: one of the company's (else `NotFound` naming
    /// `organization`).
    pub organization_id: Option<OrganizationId>,
    /// Its pipeline; defaults to the company's default pipeline.
    pub pipeline_id: Option<PipelineId>,
    /// Its first stage, an open stage of the pipeline; defaults to the first open stage.
    pub stage_id: Option<StageId>,
    /// Where the lead came from.
    pub source_id: Option<SourceId>,
    /// The responsible member; defaults to the session's user.
    pub assignee_id: Option<UserId>,
    /// When it is expected to close.
    pub expected_close: Option<Date>,
    /// Custom field values by key, each checked against its definition.
    pub custom: CustomValues,
}

impl NewDeal {
    /// A deal with a title and value and every other field left to its default.
    pub fn new(title: impl Into<String>, amount_minor: i64, currency: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            amount_minor,
            currency: currency.into(),
            contact_id: None,
            organization_id: None,
            pipeline_id: None,
            stage_id: None,
            source_id: None,
            assignee_id: None,
            expected_close: None,
            custom: CustomValues::new(),
        }
    }
}

/// Changes to a deal's fields. Its stage changes through the transitions
/// ([`Deal::move_to`], [`Deal::reopen`]), never through a patch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealPatch {
    /// New title.
    pub title: Option<String>,
    /// New value in minor units (of `currency`, or of the current currency).
    pub amount_minor: Option<i64>,
    /// New currency.
    pub currency: Option<String>,
    /// New contact.
    pub contact_id: Option<ContactId>,
    /// New organization: `Some(None)` takes the deal out of its organization.
    pub organization_id: Option<Option<OrganizationId>>,
    /// New source.
    pub source_id: Option<SourceId>,
    /// New assignee.
    pub assignee_id: Option<UserId>,
    /// New expected close date.
    pub expected_close: Option<Date>,
    /// Custom values to set (a `None` value clears one); keys it does not name keep theirs.
    pub custom: CustomValuesPatch,
}

/// Filters for listing deals; all given filters must match. The list is newest first; with
/// `tags` it walks the index of the first tag's taggings (see
/// [`ContactFilter`](crate::contact::ContactFilter) for the cost of further tags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealFilter {
    /// Only this pipeline.
    pub pipeline_id: Option<PipelineId>,
    /// Only this stage.
    pub stage_id: Option<StageId>,
    /// Only this status.
    pub status: Option<DealStatus>,
    /// Only deals of this member.
    pub assignee_id: Option<UserId>,
    /// Only deals from this source.
    pub source_id: Option<SourceId>,
    /// Only deals with this contact.
    pub contact_id: Option<ContactId>,
    /// Only deals carrying every one of these tags (names, any case). A name that is no tag
    /// of the company gives an empty list.
    pub tags: Vec<String>,
    /// Only deals whose custom values match every condition.
    pub custom: Vec<CustomCondition>,
    /// Orders the list by a custom field instead (see [`CustomSort`]); the other filters
    /// still apply.
    pub sort: Option<CustomSort>,
}

/// The count and value of the deals in one stage, for a pipeline summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StageSummary {
    /// The stage.
    pub stage: Stage,
    /// How many deals are in it.
    pub deal_count: u64,
    /// Their total value per currency, in minor units.
    pub totals: Vec<Money>,
}

fn value(amount_minor: i64, currency: &str) -> Result<Money> {
    let currency = Currency::parse(currency)?;
    Money::from_minor(amount_minor, currency).map_err(|e| e.at("amount_minor"))
}

/// The rule that an assignee must be a member of the deal's company: `is_member` is what
/// storage found.
pub fn ensure_member(field: &str, is_member: bool) -> Result<()> {
    if is_member {
        Ok(())
    } else {
        Err(FlameError::validation(field, "is not a member of this company"))
    }
}

fn ensure_same_pipeline(deal_pipeline: PipelineId, stage: &Stage) -> Result<()> {
    if stage.pipeline_id == deal_pipeline {
        Ok(())
    } else {
        Err(FlameError::validation("stage_id", "belongs to another pipeline"))
    }
}

impl Deal {
    /// Builds a deal from `input` in `pipeline`, whose stages are `stages`; the assignee
    /// defaults to `default_assignee`. A new deal starts in an open stage.
    pub fn create(
        company_id: CompanyId,
        input: &NewDeal,
        pipeline_id: PipelineId,
        stages: &[Stage],
        default_assignee: UserId,
        now: OffsetDateTime,
    ) -> Result<(Self, EventPayload)> {
        let title = text::required("title", &input.title, text::TITLE_MAX)?;
        let value = value(input.amount_minor, &input.currency)?;
        let stage = match input.stage_id {
            Some(id) => stages.iter().find(|s| s.id == id).ok_or_else(|| {
                FlameError::validation("stage_id", "is not a stage of the deal's pipeline")
            })?,
            None => crate::pipeline::first_of_kind(stages, StageKind::Open)
                .ok_or_else(|| FlameError::validation("pipeline_id", "has no open stage"))?,
        };
        ensure_same_pipeline(pipeline_id, stage)?;
        if stage.kind != StageKind::Open {
            return Err(FlameError::validation("stage_id", "a new deal starts in an open stage"));
        }
        let deal = Self {
            id: DealId::new(),
            company_id,
            title,
            value,
            contact_id: input.contact_id,
            organization_id: input.organization_id,
            pipeline_id,
            stage_id: stage.id,
            source_id: input.source_id,
            assignee_id: Some(input.assignee_id.unwrap_or(default_assignee)),
            status: DealStatus::Open,
            expected_close: input
                .expected_close
                .map(|d| crate::clock::checked_date("expected_close", d))
                .transpose()?,
            lost_reason: None,
            closed_at: None,
            // Checked against the company's definitions by the store, which knows them.
            custom: CustomValues::new(),
            created_at: now,
            updated_at: now,
            version: 1,
            tags: Vec::new(),
        };
        let event = EventPayload::DealCreated {
            deal_id: deal.id,
            pipeline_id,
            stage_id: stage.id,
            value: deal.value,
        };
        Ok((deal, event))
    }

    /// Builds a deal from `input` that stands in `target`, any stage of `pipeline` (whose
    /// stages are `stages`), the way an import brings in a deal from another system: it is
    /// created in the pipeline's first open stage ([`create`](Self::create); `input.stage_id`
    /// is not read) and moved to `target` by the transition rules of
    /// [`move_to`](Self::move_to). So a deal in a won stage is won and one in a lost stage
    /// lost, closed at `now`, and a lost one needs `lost_reason` (a `Validation` error on
    /// `lost_reason` otherwise); a `lost_reason` for a deal that is not lost is refused too
    /// (a `Validation` error on `lost_reason`), rather than dropped. The result is a new
    /// record as if created in `target`: version 1, updated when created. No event is
    /// returned: an import records one event per batch.
    #[allow(clippy::too_many_arguments)]
    pub fn create_in(
        company_id: CompanyId,
        input: &NewDeal,
        pipeline_id: PipelineId,
        stages: &[Stage],
        target: &Stage,
        lost_reason: Option<&str>,
        default_assignee: UserId,
        now: OffsetDateTime,
    ) -> Result<Self> {
        let first = NewDeal { stage_id: None, ..input.clone() };
        let (deal, _) =
            Self::create(company_id, &first, pipeline_id, stages, default_assignee, now)?;
        if target.kind != StageKind::Lost && lost_reason.is_some_and(|r| !r.trim().is_empty()) {
            return Err(FlameError::validation("lost_reason", "is only for a lost deal"));
        }
        let (mut deal, _) = deal.move_to(target, lost_reason, now)?;
        deal.version = 1;
        deal.updated_at = now;
        Ok(deal)
    }

    /// The deal with `patch` applied and its version bumped.
    pub fn patched(&self, patch: &DealPatch, now: OffsetDateTime) -> Result<Self> {
        let mut next = self.clone();
        if let Some(title) = &patch.title {
            next.title = text::required("title", title, text::TITLE_MAX)?;
        }
        if patch.amount_minor.is_some() || patch.currency.is_some() {
            next.value = value(
                patch.amount_minor.unwrap_or(self.value.amount_minor()),
                patch.currency.as_deref().unwrap_or(self.value.currency().code()),
            )?;
        }
        next.contact_id = patch.contact_id.or(self.contact_id);
        if let Some(org) = patch.organization_id {
            next.organization_id = org;
        }
        next.source_id = patch.source_id.or(self.source_id);
        next.assignee_id = patch.assignee_id.or(self.assignee_id);
        if let Some(date) = patch.expected_close {
            next.expected_close = Some(crate::clock::checked_date("expected_close", date)?);
        }
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }

    /// Moves an open deal to `target`, a stage of its pipeline. Entering a won stage wins
    /// the deal; entering a lost stage loses it and needs `lost_reason`. A closed deal must
    /// be [reopened](Deal::reopen) first. Moving to the current stage changes nothing.
    pub fn move_to(
        &self,
        target: &Stage,
        lost_reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(Self, Vec<EventPayload>)> {
        ensure_same_pipeline(self.pipeline_id, target)?;
        let to = DealStatus::of_stage(target.kind);
        if self.status != DealStatus::Open {
            return Err(FlameError::InvalidTransition {
                entity: "deal".into(),
                from_state: self.status.to_string(),
                to_state: to.to_string(),
                reason: "a closed deal must be reopened before it moves".into(),
            });
        }
        if target.id == self.stage_id {
            return Ok((self.clone(), Vec::new()));
        }
        let mut next = self.clone();
        next.stage_id = target.id;
        next.status = to;
        next.updated_at = now;
        next.version += 1;
        let mut events = vec![EventPayload::DealStageChanged {
            deal_id: self.id,
            from_stage_id: self.stage_id,
            to_stage_id: target.id,
        }];
        match to {
            DealStatus::Open => {}
            DealStatus::Won => {
                next.closed_at = Some(now);
                events.push(EventPayload::DealWon { deal_id: self.id, value: self.value });
            }
            DealStatus::Lost => {
                let reason = text::required(
                    "lost_reason",
                    lost_reason.unwrap_or_default(),
                    text::REASON_MAX,
                )
                .map_err(|e| match e {
                    FlameError::Validation { reason, .. } if reason == "must not be empty" => {
                        FlameError::validation("lost_reason", "is required to lose a deal")
                    }
                    other => other,
                })?;
                next.closed_at = Some(now);
                next.lost_reason = Some(reason.clone());
                events.push(EventPayload::DealLost { deal_id: self.id, reason });
            }
        }
        Ok((next, events))
    }

    /// Reopens a won or lost deal into `target`, an open stage of its pipeline.
    pub fn reopen(&self, target: &Stage, now: OffsetDateTime) -> Result<(Self, Vec<EventPayload>)> {
        ensure_same_pipeline(self.pipeline_id, target)?;
        if self.status == DealStatus::Open {
            return Err(FlameError::InvalidTransition {
                entity: "deal".into(),
                from_state: "open".into(),
                to_state: "open".into(),
                reason: "only a won or lost deal can be reopened".into(),
            });
        }
        if target.kind != StageKind::Open {
            return Err(FlameError::validation("stage_id", "a deal reopens into an open stage"));
        }
        let mut next = self.clone();
        next.stage_id = target.id;
        next.status = DealStatus::Open;
        next.lost_reason = None;
        next.closed_at = None;
        next.updated_at = now;
        next.version += 1;
        let events = vec![
            EventPayload::DealReopened { deal_id: self.id },
            EventPayload::DealStageChanged {
                deal_id: self.id,
                from_stage_id: self.stage_id,
                to_stage_id: target.id,
            },
        ];
        Ok((next, events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::default_pipeline;

    fn setup() -> (Deal, Vec<Stage>) {
        let company = CompanyId::new();
        let (p, stages) =
            default_pipeline().build(company, 0, true, OffsetDateTime::UNIX_EPOCH).expect("valid");
        let (deal, _) = Deal::create(
            company,
            &NewDeal::new("Big sale", 100_000, "usd"),
            p.id,
            &stages,
            UserId::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("valid");
        (deal, stages)
    }

    fn stage<'a>(stages: &'a [Stage], name: &str) -> &'a Stage {
        stages.iter().find(|s| s.name == name).expect("stage")
    }

    #[test]
    fn new_deal_starts_in_first_open_stage() {
        let (deal, stages) = setup();
        assert_eq!(deal.stage_id, stage(&stages, "New").id);
        assert_eq!(deal.status, DealStatus::Open);
        assert_eq!(deal.value.to_string(), "1000.00 USD");
    }

    #[test]
    fn winning_and_losing_follow_the_stage_kind() {
        let (deal, stages) = setup();
        let (won, events) =
            deal.move_to(stage(&stages, "Won"), None, OffsetDateTime::UNIX_EPOCH).expect("win");
        assert_eq!(won.status, DealStatus::Won);
        assert!(won.closed_at.is_some());
        assert!(matches!(events.last(), Some(EventPayload::DealWon { .. })));

        let err = deal
            .move_to(stage(&stages, "Lost"), None, OffsetDateTime::UNIX_EPOCH)
            .expect_err("reason");
        assert_eq!(err, FlameError::validation("lost_reason", "is required to lose a deal"));
        let (lost, _) = deal
            .move_to(stage(&stages, "Lost"), Some("too expensive"), OffsetDateTime::UNIX_EPOCH)
            .expect("lose");
        assert_eq!(lost.lost_reason.as_deref(), Some("too expensive"));
    }

    #[test]
    fn closed_deals_move_only_after_reopening() {
        let (deal, stages) = setup();
        let (won, _) =
            deal.move_to(stage(&stages, "Won"), None, OffsetDateTime::UNIX_EPOCH).expect("win");
        let err = won
            .move_to(stage(&stages, "Qualified"), None, OffsetDateTime::UNIX_EPOCH)
            .expect_err("closed");
        assert!(matches!(err, FlameError::InvalidTransition { .. }));
        let err =
            won.reopen(stage(&stages, "Lost"), OffsetDateTime::UNIX_EPOCH).expect_err("not open");
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "stage_id"));
        let (open, _) =
            won.reopen(stage(&stages, "Qualified"), OffsetDateTime::UNIX_EPOCH).expect("reopen");
        assert_eq!(open.status, DealStatus::Open);
        assert_eq!(open.closed_at, None);
        assert!(deal.reopen(stage(&stages, "New"), OffsetDateTime::UNIX_EPOCH).is_err());
    }

    #[test]
    fn a_deal_created_in_a_closed_stage_follows_the_transition_rules() {
        let company = CompanyId::new();
        let (p, stages) =
            default_pipeline().build(company, 0, true, OffsetDateTime::UNIX_EPOCH).expect("valid");
        let input = NewDeal::new("Old sale", 5_000, "EUR");
        let at = |name: &str, reason: Option<&str>| {
            Deal::create_in(
                company,
                &input,
                p.id,
                &stages,
                stage(&stages, name),
                reason,
                UserId::new(),
                OffsetDateTime::UNIX_EPOCH,
            )
        };
        let won = at("Won", None).expect("won");
        assert_eq!((won.status, won.version), (DealStatus::Won, 1));
        assert_eq!(won.stage_id, stage(&stages, "Won").id);
        assert_eq!(won.closed_at, Some(OffsetDateTime::UNIX_EPOCH));
        let lost = at("Lost", Some("budget")).expect("lost");
        assert_eq!((lost.status, lost.lost_reason.as_deref()), (DealStatus::Lost, Some("budget")));
        assert_eq!(
            at("Lost", None).expect_err("no reason"),
            FlameError::validation("lost_reason", "is required to lose a deal")
        );
        assert_eq!(
            at("Qualified", Some("why")).expect_err("open with a reason"),
            FlameError::validation("lost_reason", "is only for a lost deal")
        );
        let open = at("Qualified", None).expect("open");
        assert_eq!((open.status, open.closed_at, open.version), (DealStatus::Open, None, 1));
        let (_, other) =
            default_pipeline().build(company, 1, false, OffsetDateTime::UNIX_EPOCH).expect("valid");
        let err = Deal::create_in(
            company,
            &input,
            p.id,
            &stages,
            &other[0],
            None,
            UserId::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect_err("another pipeline's stage");
        assert_eq!(err, FlameError::validation("stage_id", "belongs to another pipeline"));
    }

    #[test]
    fn stage_of_another_pipeline_is_rejected() {
        let (deal, _) = setup();
        let (_, other) = default_pipeline()
            .build(deal.company_id, 1, false, OffsetDateTime::UNIX_EPOCH)
            .expect("valid");
        let err =
            deal.move_to(&other[1], None, OffsetDateTime::UNIX_EPOCH).expect_err("foreign stage");
        assert_eq!(err, FlameError::validation("stage_id", "belongs to another pipeline"));
    }

    #[test]
    fn bad_values_name_their_field() {
        let (deal, _) = setup();
        let neg = DealPatch { amount_minor: Some(-5), ..DealPatch::default() };
        assert!(
            matches!(deal.patched(&neg, OffsetDateTime::UNIX_EPOCH), Err(FlameError::Validation { field, .. }) if field == "amount_minor")
        );
        let cur = DealPatch { currency: Some("ABC".into()), ..DealPatch::default() };
        assert!(
            matches!(deal.patched(&cur, OffsetDateTime::UNIX_EPOCH), Err(FlameError::Validation { field, .. }) if field == "currency")
        );
    }
}
