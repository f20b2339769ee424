//! `session.activities`: notes, tasks, calls and messages. Each method is a conversion and a call
//! of the matching `flame-db` method.

use pyo3::prelude::*;

use flame_core::activity::{ActivityFilter, ActivityKind, ActivityPatch, NewActivity};
use flame_core::{ActivityId, ContactId, DealId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::convert::{page, parse, parse_opt};
use crate::records::{Activity, Page, page_of};
use crate::runtime::run;

/// Activities: notes, tasks, calls and messages (`session.activities`).
#[pyclass(frozen, module = "flame", name = "Activities")]
pub(crate) struct Activities {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Activities {
    /// Records an activity about a contact, a deal or both. `kind` is "note", "task",
    /// "call", "message_in" or "message_out"; only tasks take `due_at`. Times must be
    /// timezone-aware.
    #[pyo3(signature = (kind, body, *, subject=None, contact_id=None, deal_id=None, due_at=None, occurred_at=None, owner_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        py: Python<'_>,
        kind: &str,
        body: String,
        subject: Option<String>,
        contact_id: Option<Uuid>,
        deal_id: Option<Uuid>,
        due_at: Option<OffsetDateTime>,
        occurred_at: Option<OffsetDateTime>,
        owner_id: Option<Uuid>,
    ) -> PyResult<Activity> {
        let input = NewActivity {
            kind: parse::<ActivityKind>(py, kind)?,
            subject,
            body,
            contact_id: contact_id.map(ContactId::from_uuid),
            deal_id: deal_id.map(DealId::from_uuid),
            due_at,
            occurred_at,
            owner_id: owner_id.map(UserId::from_uuid),
        };
        let api = self.session.activities();
        run(py, async move { api.create(input).await }).map(Activity)
    }

    /// One activity.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Activity> {
        let api = self.session.activities();
        run(py, async move { api.get(ActivityId::from_uuid(id)).await }).map(Activity)
    }

    /// Changes the activity read at `version` (`subject=""` clears the subject).
    #[pyo3(signature = (id, version, *, subject=None, body=None, due_at=None))]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        subject: Option<String>,
        body: Option<String>,
        due_at: Option<OffsetDateTime>,
    ) -> PyResult<Activity> {
        let patch = ActivityPatch { subject, body, due_at };
        let api = self.session.activities();
        run(py, async move { api.update(ActivityId::from_uuid(id), version, patch).await })
            .map(Activity)
    }

    /// Marks the task read at `version` done.
    fn complete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<Activity> {
        let api = self.session.activities();
        run(py, async move { api.complete(ActivityId::from_uuid(id), version).await }).map(Activity)
    }

    /// Deletes the activity read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.activities();
        run(py, async move { api.delete(ActivityId::from_uuid(id), version).await })
    }

    /// Activities matching every given filter, a page at a time. `due_before` lists open
    /// tasks due at or before that (timezone-aware) time.
    #[pyo3(signature = (*, contact_id=None, deal_id=None, kind=None, due_before=None, owner_id=None, limit=None, cursor=None))]
    #[allow(clippy::too_many_arguments)]
    fn list(
        &self,
        py: Python<'_>,
        contact_id: Option<Uuid>,
        deal_id: Option<Uuid>,
        kind: Option<&str>,
        due_before: Option<OffsetDateTime>,
        owner_id: Option<Uuid>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = ActivityFilter {
            contact_id: contact_id.map(ContactId::from_uuid),
            deal_id: deal_id.map(DealId::from_uuid),
            kind: parse_opt::<ActivityKind>(py, kind)?,
            due_before,
            owner_id: owner_id.map(UserId::from_uuid),
        };
        let api = self.session.activities();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, Activity)
    }
}
