//! Activities: notes, tasks, calls and messages, attached to a contact, a deal or both.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{FlameError, Result};
use crate::id::{ActivityId, CompanyId, ContactId, DealId, UserId};
use crate::text;

/// What kind of activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A note.
    Note,
    /// A task, with an optional due time and a done flag.
    Task,
    /// A phone call.
    Call,
    /// A message received from the contact.
    MessageIn,
    /// A message sent to the contact.
    MessageOut,
}

impl ActivityKind {
    /// Every kind.
    pub const ALL: [ActivityKind; 5] =
        [Self::Note, Self::Task, Self::Call, Self::MessageIn, Self::MessageOut];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Task => "task",
            Self::Call => "call",
            Self::MessageIn => "message_in",
            Self::MessageOut => "message_out",
        }
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActivityKind {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim()).ok_or_else(|| {
            FlameError::validation("kind", "must be note, task, call, message_in or message_out")
        })
    }
}

/// Something that happened with a contact or deal, or a task to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Activity {
    /// Its id.
    pub id: ActivityId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// Note, task, call or message.
    pub kind: ActivityKind,
    /// A short subject line.
    pub subject: Option<String>,
    /// The text.
    pub body: String,
    /// The contact it is about.
    pub contact_id: Option<ContactId>,
    /// The deal it is about.
    pub deal_id: Option<DealId>,
    /// The member who owns it.
    pub owner_id: Option<UserId>,
    /// For tasks: when it is due.
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    /// For tasks: when it was done.
    #[serde(with = "time::serde::rfc3339::option")]
    pub done_at: Option<OffsetDateTime>,
    /// When it happened (for tasks: when it was created).
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl Activity {
    /// Whether this is a task that is done.
    pub fn is_done(&self) -> bool {
        self.done_at.is_some()
    }
}

/// An activity to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewActivity {
    /// Note, task, call or message.
    pub kind: ActivityKind,
    /// A short subject line.
    pub subject: Option<String>,
    /// The text; required.
    pub body: String,
    /// The contact it is about (a contact, a deal or both are required).
    pub contact_id: Option<ContactId>,
    /// The deal it is about.
    pub deal_id: Option<DealId>,
    /// Only for tasks: when it is due.
    pub due_at: Option<OffsetDateTime>,
    /// When it happened; defaults to now.
    pub occurred_at: Option<OffsetDateTime>,
    /// The responsible member; defaults to the session's user.
    pub owner_id: Option<UserId>,
}

impl NewActivity {
    /// A note on a contact.
    pub fn note(contact_id: ContactId, body: impl Into<String>) -> Self {
        Self {
            kind: ActivityKind::Note,
            subject: None,
            body: body.into(),
            contact_id: Some(contact_id),
            deal_id: None,
            due_at: None,
            occurred_at: None,
            owner_id: None,
        }
    }
}

/// Changes to an activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActivityPatch {
    /// New subject (`""` clears it).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub subject: Option<String>,
    /// New body.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub body: Option<String>,
    /// New due time (tasks only).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub due_at: Option<OffsetDateTime>,
}

/// Filters for listing activities; all given filters must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityFilter {
    /// Only activities about this contact.
    pub contact_id: Option<ContactId>,
    /// Only activities about this deal.
    pub deal_id: Option<DealId>,
    /// Only this kind.
    pub kind: Option<ActivityKind>,
    /// Only open tasks due at or before this time (implies kind = task).
    pub due_before: Option<OffsetDateTime>,
    /// Only activities of this member.
    pub owner_id: Option<UserId>,
}

impl Activity {
    /// Builds an activity from `input`; the owner defaults to `default_owner`.
    pub fn create(
        company_id: CompanyId,
        input: &NewActivity,
        default_owner: UserId,
        now: OffsetDateTime,
    ) -> Result<Self> {
        if input.contact_id.is_none() && input.deal_id.is_none() {
            return Err(FlameError::validation(
                "contact_id",
                "an activity needs a contact or a deal",
            ));
        }
        if input.due_at.is_some() && input.kind != ActivityKind::Task {
            return Err(FlameError::validation("due_at", "only tasks have a due time"));
        }
        Ok(Self {
            id: ActivityId::new(),
            company_id,
            kind: input.kind,
            subject: text::optional("subject", input.subject.as_deref(), text::TITLE_MAX)?,
            body: text::required("body", &input.body, text::NOTE_MAX)?,
            contact_id: input.contact_id,
            deal_id: input.deal_id,
            owner_id: Some(input.owner_id.unwrap_or(default_owner)),
            due_at: input.due_at.map(|t| crate::clock::checked("due_at", t)).transpose()?,
            done_at: None,
            occurred_at: match input.occurred_at {
                Some(t) => crate::clock::checked("occurred_at", t)?,
                None => now,
            },
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// The activity with `patch` applied.
    pub fn patched(&self, patch: &ActivityPatch, now: OffsetDateTime) -> Result<Self> {
        let mut next = self.clone();
        if let Some(subject) = &patch.subject {
            next.subject = text::optional("subject", Some(subject), text::TITLE_MAX)?;
        }
        if let Some(body) = &patch.body {
            next.body = text::required("body", body, text::NOTE_MAX)?;
        }
        if let Some(due) = patch.due_at {
            if self.kind != ActivityKind::Task {
                return Err(FlameError::validation("due_at", "only tasks have a due time"));
            }
            next.due_at = Some(crate::clock::checked("due_at", due)?);
        }
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }

    /// Marks a task done.
    pub fn completed(&self, now: OffsetDateTime) -> Result<Self> {
        if self.kind != ActivityKind::Task {
            return Err(FlameError::InvalidTransition {
                entity: "activity".into(),
                from_state: self.kind.to_string(),
                to_state: "done".into(),
                reason: "only tasks can be completed".into(),
            });
        }
        if self.is_done() {
            return Err(FlameError::InvalidTransition {
                entity: "activity".into(),
                from_state: "done".into(),
                to_state: "done".into(),
                reason: "the task is already done".into(),
            });
        }
        Ok(Self { done_at: Some(now), updated_at: now, version: self.version + 1, ..self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_needs_a_subject_record() {
        let mut input = NewActivity::note(ContactId::new(), "hello");
        input.contact_id = None;
        let err =
            Activity::create(CompanyId::new(), &input, UserId::new(), OffsetDateTime::UNIX_EPOCH)
                .expect_err("no target");
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "contact_id"));
    }

    #[test]
    fn only_tasks_complete_once() {
        let note = Activity::create(
            CompanyId::new(),
            &NewActivity::note(ContactId::new(), "hi"),
            UserId::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("valid");
        assert!(note.completed(OffsetDateTime::UNIX_EPOCH).is_err());
        let task = Activity { kind: ActivityKind::Task, ..note };
        let done = task.completed(OffsetDateTime::UNIX_EPOCH).expect("done");
        assert!(done.is_done());
        assert!(done.completed(OffsetDateTime::UNIX_EPOCH).is_err());
    }
}
