//! `session.api_tokens`, `session.invitations` and `session.platform`: API tokens, invitations and
//! platform administration. Each method is a conversion and a call of the matching `flame-db`
//! method.

use pyo3::prelude::*;

use flame_core::account::{NewApiToken, NewInvitation};
use flame_core::{ApiTokenId, InvitationId, Role, Scope, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::convert::{page, parse};
use crate::records::{
    ApiToken, CompanyOverview, CreatedApiToken, CreatedInvitation, Invitation, Page, User,
    UserOverview, page_of,
};
use crate::runtime::run;

/// The session user's API tokens in the session's company (`session.api_tokens`). Managing
/// tokens needs a login session: a token cannot create or revoke tokens.
#[pyclass(frozen, module = "flame", name = "ApiTokens")]
pub(crate) struct ApiTokens {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl ApiTokens {
    /// Creates a token named `name` with `scope` ("read_only" or "read_write"), valid until
    /// `expires_at` (timezone-aware, in the future) or forever. Its secret text is in the
    /// result, shown this once.
    #[pyo3(signature = (name, scope, *, expires_at=None))]
    fn create(
        &self,
        py: Python<'_>,
        name: String,
        scope: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> PyResult<CreatedApiToken> {
        let input = NewApiToken { name, scope: parse::<Scope>(py, scope)?, expires_at };
        let api = self.session.api_tokens();
        let created = run(py, async move { api.create(input).await })?;
        Ok(CreatedApiToken(created))
    }

    /// The user's tokens in this company, revoked ones included, newest first.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<ApiToken>> {
        let api = self.session.api_tokens();
        Ok(run(py, async move { api.list().await })?.into_iter().map(ApiToken).collect())
    }

    /// Revokes one of the user's tokens at once; revoking it again changes nothing.
    fn revoke(&self, py: Python<'_>, id: Uuid) -> PyResult<ApiToken> {
        let api = self.session.api_tokens();
        run(py, async move { api.revoke(ApiTokenId::from_uuid(id)).await }).map(ApiToken)
    }
}

/// Invitations to join the session's company (`session.invitations`). Admins and owners
/// send and revoke them; only owners invite owners.
#[pyclass(frozen, module = "flame", name = "Invitations")]
pub(crate) struct Invitations {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Invitations {
    /// Invites `email` to join with `role`, for `valid_days` (1 to 30; 7 by default). The
    /// token to send the invitee is in the result, shown this once. Inviting a member raises
    /// `ConflictError`.
    #[pyo3(signature = (email, role, *, valid_days=None))]
    fn create(
        &self,
        py: Python<'_>,
        email: String,
        role: &str,
        valid_days: Option<u32>,
    ) -> PyResult<CreatedInvitation> {
        let input = NewInvitation { email, role: parse::<Role>(py, role)?, valid_days };
        let api = self.session.invitations();
        let created = run(py, async move { api.create(input).await })?;
        Ok(CreatedInvitation(created))
    }

    /// The invitations not yet accepted, revoked or expired, newest first.
    fn list_open(&self, py: Python<'_>) -> PyResult<Vec<Invitation>> {
        let api = self.session.invitations();
        Ok(run(py, async move { api.list_open().await })?.into_iter().map(Invitation).collect())
    }

    /// Revokes an invitation that was not accepted yet.
    fn revoke(&self, py: Python<'_>, id: Uuid) -> PyResult<Invitation> {
        let api = self.session.invitations();
        run(py, async move { api.revoke(InvitationId::from_uuid(id)).await }).map(Invitation)
    }
}

/// Platform administration (`session.platform`): every user and company of the store,
/// across tenants. Open only to users the host marked with `Flame.set_platform_admin`;
/// anyone else raises `ForbiddenError`, whatever their company role.
#[pyclass(frozen, module = "flame", name = "Platform")]
pub(crate) struct Platform {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Platform {
    /// Users, by creation, with their memberships, a page at a time; `search` keeps those
    /// whose email or name contains it (case-insensitive).
    #[pyo3(signature = (*, search=None, limit=None, cursor=None))]
    fn users(
        &self,
        py: Python<'_>,
        search: Option<String>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let api = self.session.platform();
        let rust = run(py, async move { api.users(search.as_deref(), page(limit, cursor)).await })?;
        page_of(py, rust, UserOverview)
    }

    /// Deactivates a user: they cannot log in or act, and every session and API token of
    /// theirs is revoked.
    fn deactivate_user(&self, py: Python<'_>, user_id: Uuid) -> PyResult<User> {
        let api = self.session.platform();
        run(py, async move { api.deactivate_user(UserId::from_uuid(user_id)).await }).map(User)
    }

    /// Lets a deactivated user log in again (their old sessions and tokens stay revoked).
    fn reactivate_user(&self, py: Python<'_>, user_id: Uuid) -> PyResult<User> {
        let api = self.session.platform();
        run(py, async move { api.reactivate_user(UserId::from_uuid(user_id)).await }).map(User)
    }

    /// Companies, by creation, each with its subscription, plan and member count, a page at
    /// a time.
    #[pyo3(signature = (*, limit=None, cursor=None))]
    fn companies(
        &self,
        py: Python<'_>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let api = self.session.platform();
        let rust = run(py, async move { api.companies(page(limit, cursor)).await })?;
        page_of(py, rust, CompanyOverview)
    }
}
