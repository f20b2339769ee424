//! Accounts on the uniffi surface: login and tokens, the account, API tokens, invitations,
//! platform administration and the host's billing hooks. Every method is a conversion and a
//! call.
//!
//! Passwords cross as plain function arguments, never as record fields (Kotlin data classes
//! and Swift structs print their fields), and secrets Flame hands out (session tokens, API
//! tokens, invitation tokens) cross as a [`Secret`] object, which prints nothing.

use std::sync::Arc;
use std::time::SystemTime;

use flame_db::core as fc;
use secrecy::{ExposeSecret, SecretString};

use crate::error::Result;
use crate::objects::Session;
use crate::types::*;

// ---------------------------------------------------------------------------------------------
// Secrets

/// A secret Flame issued (a session, API or invitation token). It prints as `Secret(..)`;
/// call `expose()` only to hand it over (a cookie, a keychain, an email).
#[derive(uniffi::Object)]
pub struct Secret {
    inner: SecretString,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub(crate) fn new(inner: SecretString) -> Arc<Self> {
        Arc::new(Self { inner })
    }
}

#[uniffi::export]
impl Secret {
    /// The secret text.
    pub fn expose(&self) -> String {
        self.inner.expose_secret().to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Records

// Usage, payments, API tokens, invitations and the administrators' overviews derive their
// bindings in flame-core; the records below hold a `Secret` (a token shown once) or a page.
pub use fc::account::{
    ApiToken, CompanyMembership, CompanyOverview, Invitation, NewApiToken, NewInvitation,
    UserOverview,
};
pub use fc::billing::{NewPayment, Payment, Usage};

/// A token just created, with its secret (shown this once).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CreatedApiToken {
    /// The token record.
    pub token: ApiToken,
    /// The text to give the script or server.
    pub secret: Arc<Secret>,
}

/// A verification token just issued, for the host to mail to `email` (shown this once; never
/// show it to whoever asked for it). flame-core's holds the token as a `SecretString`, which
/// crosses here as a `Secret` object instead of a printable field.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EmailVerificationToken {
    /// The user it verifies.
    pub user_id: String,
    /// The address to mail it to.
    pub email: String,
    /// When it stops working.
    pub expires_at: SystemTime,
    /// The token, for `Flame.verifyEmail` or `Flame.resetPassword`.
    pub token: Arc<Secret>,
}

impl From<fc::verification::EmailVerificationToken> for EmailVerificationToken {
    fn from(t: fc::verification::EmailVerificationToken) -> Self {
        let fc::verification::EmailVerificationToken { user_id, email, expires_at, token } = t;
        Self {
            user_id: id(user_id),
            email: email.into_string(),
            expires_at: time(expires_at),
            token: Secret::new(token),
        }
    }
}

/// An invitation just created, with the token to send (shown this once).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CreatedInvitation {
    /// The invitation.
    pub invitation: Invitation,
    /// The token the invitee presents to `Flame.acceptInvitation`.
    pub token: Arc<Secret>,
}

/// A page of users with their memberships.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UserOverviewPage {
    /// The users.
    pub items: Vec<UserOverview>,
    /// Pass it as `PageRequest.cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of companies.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CompanyOverviewPage {
    /// The companies.
    pub items: Vec<CompanyOverview>,
    /// Pass it as `PageRequest.cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Objects

/// The session user's own account.
#[derive(Debug, uniffi::Object)]
pub struct Account {
    pub(crate) inner: flame_db::Account,
}

#[uniffi::export(async_runtime = "tokio")]
impl Account {
    /// The user.
    pub async fn user(&self) -> Result<User> {
        self.inner.user().await
    }

    /// Every company the user belongs to, with their role there.
    pub async fn companies(&self) -> Result<Vec<CompanyMembership>> {
        Ok(self.inner.companies().await?.into_iter().collect())
    }

    /// Accepts an invitation sent to this user's email: they join its company and get a
    /// session there. One for another email is `Forbidden`; unknown, used, revoked or
    /// expired ones `Unauthenticated`.
    pub async fn accept_invitation(&self, token: String) -> Result<Arc<Session>> {
        Ok(Session::wrap(self.inner.accept_invitation(&token).await?))
    }

    /// Creates another company owned by this user (set up like `Flame.signUp`'s) and
    /// returns it with the user and a session there.
    pub async fn create_company(&self, name: String) -> Result<crate::objects::SignedUp> {
        let s = self.inner.create_company(&name).await?;
        Ok(crate::objects::SignedUp {
            company: s.company,
            owner: s.owner,
            session: Session::wrap(s.session),
        })
    }

    /// A new session of the same user in another of their companies.
    pub async fn switch_company(&self, company_id: String) -> Result<Arc<Session>> {
        let company = crate::types::company_id("company_id", &company_id)?;
        Ok(Session::wrap(self.inner.switch_company(company).await?))
    }

    /// Changes the password after checking the current one; other sessions are revoked, and
    /// with `revokeApiTokens` every API token of the user too (by default tokens stay). A
    /// wrong current password is `Unauthenticated` and counts as a failed login.
    #[uniffi::method(default(revoke_api_tokens = false))]
    pub async fn change_password(
        &self,
        current: String,
        new: String,
        revoke_api_tokens: bool,
    ) -> Result<()> {
        self.inner.change_password(&current, &new, revoke_api_tokens).await
    }

    /// Logs the user out of every session, this one included, and with `revokeApiTokens`
    /// revokes every API token of theirs too (by default tokens stay); returns how many
    /// sessions.
    #[uniffi::method(default(revoke_api_tokens = false))]
    pub async fn logout_everywhere(&self, revoke_api_tokens: bool) -> Result<u64> {
        self.inner.logout_everywhere(revoke_api_tokens).await
    }
}

/// The session user's API tokens in the session's company.
#[derive(Debug, uniffi::Object)]
pub struct ApiTokens {
    pub(crate) inner: flame_db::ApiTokens,
}

#[uniffi::export(async_runtime = "tokio")]
impl ApiTokens {
    /// Creates a token; its secret is in the result, shown this once.
    pub async fn create(&self, input: NewApiToken) -> Result<CreatedApiToken> {
        let created = self.inner.create(input).await?;
        Ok(CreatedApiToken { token: created.token, secret: Secret::new(created.secret) })
    }

    /// The user's tokens in this company, newest first.
    pub async fn list(&self) -> Result<Vec<ApiToken>> {
        Ok(self.inner.list().await?.into_iter().collect())
    }

    /// Revokes one of the user's tokens at once.
    pub async fn revoke(&self, id: String) -> Result<ApiToken> {
        self.inner.revoke(api_token_id("id", &id)?).await
    }
}

/// Invitations to join the session's company.
#[derive(Debug, uniffi::Object)]
pub struct Invitations {
    pub(crate) inner: flame_db::Invitations,
}

#[uniffi::export(async_runtime = "tokio")]
impl Invitations {
    /// Creates an invitation; the token to send is in the result, shown this once.
    pub async fn create(&self, input: NewInvitation) -> Result<CreatedInvitation> {
        let created = self.inner.create(input).await?;
        Ok(CreatedInvitation { invitation: created.invitation, token: Secret::new(created.token) })
    }

    /// Invitations not yet accepted, revoked or expired.
    pub async fn list_open(&self) -> Result<Vec<Invitation>> {
        Ok(self.inner.list_open().await?.into_iter().collect())
    }

    /// Revokes an invitation not yet accepted.
    pub async fn revoke(&self, id: String) -> Result<Invitation> {
        self.inner.revoke(invitation_id("id", &id)?).await
    }
}

/// Platform administration (platform administrators only; anyone else gets `Forbidden`).
#[derive(Debug, uniffi::Object)]
pub struct Platform {
    pub(crate) inner: flame_db::Platform,
}

#[uniffi::export(async_runtime = "tokio")]
impl Platform {
    /// Users with their memberships; `search` matches email or name.
    #[uniffi::method(default(search), default(page))]
    pub async fn users(
        &self,
        search: Option<String>,
        page: PageRequest,
    ) -> Result<UserOverviewPage> {
        let p = self.inner.users(search.as_deref(), page).await?;
        Ok(UserOverviewPage { items: p.items.into_iter().collect(), next_cursor: p.next_cursor })
    }

    /// Deactivates a user and revokes every session and token of theirs.
    pub async fn deactivate_user(&self, user_id: String) -> Result<User> {
        self.inner.deactivate_user(crate::types::user_id("user_id", &user_id)?).await
    }

    /// Lets a deactivated user log in again.
    pub async fn reactivate_user(&self, user_id: String) -> Result<User> {
        self.inner.reactivate_user(crate::types::user_id("user_id", &user_id)?).await
    }

    /// Companies with subscription, plan and member count.
    #[uniffi::method(default(page))]
    pub async fn companies(&self, page: PageRequest) -> Result<CompanyOverviewPage> {
        let p = self.inner.companies(page).await?;
        Ok(CompanyOverviewPage { items: p.items.into_iter().collect(), next_cursor: p.next_cursor })
    }
}

/// The host's billing hooks: what its payment provider reports.
#[derive(Debug, uniffi::Object)]
pub struct Subscriptions {
    pub(crate) inner: flame_db::Subscriptions,
}

#[uniffi::export(async_runtime = "tokio")]
impl Subscriptions {
    /// A company's subscription, its status as of now.
    pub async fn get(&self, company_id: String) -> Result<Subscription> {
        self.inner.get(crate::types::company_id("company_id", &company_id)?).await
    }

    /// Records a payment and applies it to the subscription (idempotent on `providerRef`).
    pub async fn record_payment(
        &self,
        company_id: String,
        payment: NewPayment,
    ) -> Result<Subscription> {
        let company = crate::types::company_id("company_id", &company_id)?;
        self.inner.record_payment(company, payment).await
    }

    /// Expires the subscription: the company becomes read-only.
    pub async fn expire(&self, company_id: String) -> Result<Subscription> {
        self.inner.expire(crate::types::company_id("company_id", &company_id)?).await
    }

    /// Stores every lapsed trial as expired; returns how many.
    pub async fn expire_lapsed_trials(&self) -> Result<u64> {
        self.inner.expire_lapsed_trials().await
    }
}
