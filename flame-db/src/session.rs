//! [`Session`]: the handle every tenant operation runs through.

use std::sync::Arc;

use time::OffsetDateTime;

use flame_core::auth::{self, Action, Resource, Role};
use flame_core::{CompanyId, Result, UserId, clock};

use crate::Flame;

/// An authenticated user acting in one company. Cheap to clone (an `Arc` inside).
///
/// Operations are grouped by aggregate: `session.contacts().create(…)`,
/// `session.deals().move_to_stage(…)`. Each checks, before any query runs, that the session
/// is still valid (else `Unauthenticated`) and that its role allows the action (else
/// `Forbidden`), and scopes every statement to the session's company, so that another
/// company's records answer `NotFound`.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    flame: Flame,
    principal: auth::Session,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("principal", &self.inner.principal).finish()
    }
}

impl Session {
    pub(crate) fn new(flame: Flame, principal: auth::Session) -> Self {
        Self { inner: Arc::new(Inner { flame, principal }) }
    }

    /// Who, where, with which role, until when.
    pub fn principal(&self) -> &auth::Session {
        &self.inner.principal
    }

    /// The acting user.
    pub fn user_id(&self) -> UserId {
        self.inner.principal.user_id
    }

    /// The company acted in.
    pub fn company_id(&self) -> CompanyId {
        self.inner.principal.company_id
    }

    /// The user's role in the company.
    pub fn role(&self) -> Role {
        self.inner.principal.role
    }

    /// When the session expires.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.inner.principal.expires_at
    }

    pub(crate) fn flame(&self) -> &Flame {
        &self.inner.flame
    }

    /// Checks validity and permission; returns the time the operation runs at.
    pub(crate) fn authorize(&self, action: Action, resource: Resource) -> Result<OffsetDateTime> {
        let now = clock::now();
        self.inner.principal.ensure_valid(now)?;
        auth::authorize(&self.inner.principal, action, resource)?;
        Ok(now)
    }

    /// The company id as bound to statements.
    pub(crate) fn tenant(&self) -> uuid::Uuid {
        self.company_id().as_uuid()
    }

    /// Contacts of the company.
    pub fn contacts(&self) -> crate::contact::Contacts {
        crate::contact::Contacts::new(self.clone())
    }

    /// Deals of the company.
    pub fn deals(&self) -> crate::deal::Deals {
        crate::deal::Deals::new(self.clone())
    }

    /// Pipelines and their stages.
    pub fn pipelines(&self) -> crate::pipeline::Pipelines {
        crate::pipeline::Pipelines::new(self.clone())
    }

    /// Lead sources.
    pub fn sources(&self) -> crate::source::Sources {
        crate::source::Sources::new(self.clone())
    }

    /// Activities: notes, tasks, calls, messages.
    pub fn activities(&self) -> crate::activity::Activities {
        crate::activity::Activities::new(self.clone())
    }

    /// Members of the company: users and their roles.
    pub fn members(&self) -> crate::company::Members {
        crate::company::Members::new(self.clone())
    }

    /// The company itself.
    pub fn company(&self) -> crate::company::Companies {
        crate::company::Companies::new(self.clone())
    }

    /// The company's subscription.
    pub fn billing(&self) -> crate::billing::Billing {
        crate::billing::Billing::new(self.clone())
    }

    /// The company's domain events, as written to the outbox.
    pub fn events(&self) -> crate::outbox::Events {
        crate::outbox::Events::new(self.clone())
    }
}
