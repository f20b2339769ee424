//! `session.members` and `session.company`: the company and its members. Each method is a
//! conversion and a call of the matching `flame-db` method.

use pyo3::prelude::*;

use flame_core::company::NewMember;
use flame_core::{Role, UserId};
use uuid::Uuid;

use crate::convert::{page, parse};
use crate::records::{Company, Member, Membership, Page, page_of};
use crate::runtime::run;

/// Members of the company (`session.members`).
#[pyclass(frozen, module = "flame", name = "Members")]
pub(crate) struct Members {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Members {
    /// Adds a new user to the company with a role ("owner", "admin", "manager", "member",
    /// "viewer"). An email that already has an account raises `ConflictError` on "email":
    /// invite an existing user (`invitations.create`); they accept from their own session.
    fn add(&self, py: Python<'_>, email: String, name: String, role: &str) -> PyResult<Member> {
        let input = NewMember { email, name, role: parse::<Role>(py, role)? };
        let api = self.session.members();
        run(py, async move { api.add(input).await }).map(Member)
    }

    /// One member.
    fn get(&self, py: Python<'_>, user_id: Uuid) -> PyResult<Member> {
        let api = self.session.members();
        run(py, async move { api.get(UserId::from_uuid(user_id)).await }).map(Member)
    }

    /// The members, a page at a time.
    #[pyo3(signature = (*, limit=None, cursor=None))]
    fn list(&self, py: Python<'_>, limit: Option<u32>, cursor: Option<String>) -> PyResult<Page> {
        let api = self.session.members();
        let rust = run(py, async move { api.list(page(limit, cursor)).await })?;
        page_of(py, rust, Member)
    }

    /// Changes a member's role; `version` is their membership's version.
    fn change_role(
        &self,
        py: Python<'_>,
        user_id: Uuid,
        role: &str,
        version: i64,
    ) -> PyResult<Membership> {
        let role = parse::<Role>(py, role)?;
        let api = self.session.members();
        run(py, async move { api.change_role(UserId::from_uuid(user_id), role, version).await })
            .map(Membership)
    }

    /// Removes a member from the company (the last owner cannot be removed).
    fn remove(&self, py: Python<'_>, user_id: Uuid) -> PyResult<()> {
        let api = self.session.members();
        run(py, async move { api.remove(UserId::from_uuid(user_id)).await })
    }

    /// Hands the owner role to another member, atomically: they become an owner and the
    /// session's user an admin. Owners only.
    fn transfer_ownership(&self, py: Python<'_>, to: Uuid) -> PyResult<Member> {
        let api = self.session.members();
        run(py, async move { api.transfer_ownership(UserId::from_uuid(to)).await }).map(Member)
    }

    /// The session's user leaves the company. The last owner cannot leave
    /// (`ConflictError`): transfer ownership first.
    fn leave(&self, py: Python<'_>) -> PyResult<()> {
        let api = self.session.members();
        run(py, async move { api.leave().await })
    }
}

/// The company itself (`session.company`).
#[pyclass(frozen, module = "flame", name = "Companies")]
pub(crate) struct Companies {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Companies {
    /// The session's company.
    fn get(&self, py: Python<'_>) -> PyResult<Company> {
        let api = self.session.company();
        run(py, async move { api.get().await }).map(Company)
    }

    /// Renames the company read at `version`.
    fn rename(&self, py: Python<'_>, name: String, version: i64) -> PyResult<Company> {
        let api = self.session.company();
        run(py, async move { api.rename(&name, version).await }).map(Company)
    }

    /// Deletes the company read at `version`, with everything it owns (owners only).
    fn delete(&self, py: Python<'_>, version: i64) -> PyResult<()> {
        let api = self.session.company();
        run(py, async move { api.delete(version).await })
    }
}
