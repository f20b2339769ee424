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

/// What a company uses of each limited thing.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Usage {
    /// Members.
    pub seats: u64,
    /// Contacts.
    pub contacts: u64,
    /// Deals.
    pub deals: u64,
    /// Pipelines.
    pub pipelines: u64,
    /// Integrations.
    pub integrations: u64,
}

impl From<fc::billing::Usage> for Usage {
    fn from(u: fc::billing::Usage) -> Self {
        Self {
            seats: u.seats,
            contacts: u.contacts,
            deals: u.deals,
            pipelines: u.pipelines,
            integrations: u.integrations,
        }
    }
}

/// What the host's payment provider reports.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewPayment {
    /// The provider's id for the charge; recording it twice changes nothing.
    pub provider_ref: String,
    /// Succeeded or failed.
    pub outcome: PaymentOutcome,
    /// The amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// For a success, the end of the period paid for.
    #[uniffi(default)]
    pub period_end: Option<SystemTime>,
    /// For a failure, the provider's reason.
    #[uniffi(default)]
    pub failure_reason: Option<String>,
}

impl From<NewPayment> for fc::billing::NewPayment {
    fn from(p: NewPayment) -> Self {
        Self {
            provider_ref: p.provider_ref,
            outcome: p.outcome,
            amount_minor: p.amount_minor,
            currency: p.currency,
            period_end: p.period_end.map(Into::into),
            failure_reason: p.failure_reason,
        }
    }
}

/// A payment recorded for a subscription.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Payment {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// The subscription.
    pub subscription_id: String,
    /// The provider's id for the charge.
    pub provider_ref: String,
    /// Succeeded or failed.
    pub outcome: PaymentOutcome,
    /// The amount.
    pub amount: Money,
    /// The period end paid up to.
    pub period_end: Option<SystemTime>,
    /// The provider's reason for a failure.
    pub failure_reason: Option<String>,
    /// When it was recorded.
    pub recorded_at: SystemTime,
}

impl From<fc::billing::Payment> for Payment {
    fn from(p: fc::billing::Payment) -> Self {
        Self {
            id: id(p.id),
            company_id: id(p.company_id),
            subscription_id: id(p.subscription_id),
            provider_ref: p.provider_ref,
            outcome: p.outcome,
            amount: p.amount,
            period_end: opt_time(p.period_end),
            failure_reason: p.failure_reason,
            recorded_at: time(p.recorded_at),
        }
    }
}

/// An API token (its secret text is only in `CreatedApiToken`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ApiToken {
    /// Its id.
    pub id: String,
    /// The company it acts in.
    pub company_id: String,
    /// The user it acts as.
    pub user_id: String,
    /// What it is for.
    pub name: String,
    /// Read-only or read-write.
    pub scope: Scope,
    /// When it stops working, if ever.
    pub expires_at: Option<SystemTime>,
    /// When it last authenticated.
    pub last_used_at: Option<SystemTime>,
    /// When it was revoked.
    pub revoked_at: Option<SystemTime>,
    /// When it was created.
    pub created_at: SystemTime,
}

impl From<fc::account::ApiToken> for ApiToken {
    fn from(t: fc::account::ApiToken) -> Self {
        Self {
            id: id(t.id),
            company_id: id(t.company_id),
            user_id: id(t.user_id),
            name: t.name,
            scope: t.scope,
            expires_at: opt_time(t.expires_at),
            last_used_at: opt_time(t.last_used_at),
            revoked_at: opt_time(t.revoked_at),
            created_at: time(t.created_at),
        }
    }
}

/// A token to create.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewApiToken {
    /// What it is for.
    pub name: String,
    /// Read-only or read-write.
    pub scope: Scope,
    /// When it stops working; `null` for never.
    #[uniffi(default)]
    pub expires_at: Option<SystemTime>,
}

impl From<NewApiToken> for fc::account::NewApiToken {
    fn from(t: NewApiToken) -> Self {
        Self { name: t.name, scope: t.scope, expires_at: t.expires_at.map(Into::into) }
    }
}

/// A token just created, with its secret (shown this once).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CreatedApiToken {
    /// The token record.
    pub token: ApiToken,
    /// The text to give the script or server.
    pub secret: Arc<Secret>,
}

/// An invitation to join a company.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Invitation {
    /// Its id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Who is invited.
    pub email: String,
    /// Their future role.
    pub role: Role,
    /// Who invited them.
    pub invited_by: String,
    /// When it stops working.
    pub expires_at: SystemTime,
    /// When it was accepted.
    pub accepted_at: Option<SystemTime>,
    /// When it was revoked.
    pub revoked_at: Option<SystemTime>,
    /// When it was created.
    pub created_at: SystemTime,
}

impl From<fc::account::Invitation> for Invitation {
    fn from(i: fc::account::Invitation) -> Self {
        Self {
            id: id(i.id),
            company_id: id(i.company_id),
            email: i.email.as_str().to_owned(),
            role: i.role,
            invited_by: id(i.invited_by),
            expires_at: time(i.expires_at),
            accepted_at: opt_time(i.accepted_at),
            revoked_at: opt_time(i.revoked_at),
            created_at: time(i.created_at),
        }
    }
}

/// An invitation to send.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewInvitation {
    /// Who to invite.
    pub email: String,
    /// Their future role.
    pub role: Role,
    /// Days it stays open (1 to 30; 7 when `null`).
    #[uniffi(default)]
    pub valid_days: Option<u32>,
}

impl From<NewInvitation> for fc::account::NewInvitation {
    fn from(i: NewInvitation) -> Self {
        Self { email: i.email, role: i.role, valid_days: i.valid_days }
    }
}

/// A verification token just issued, for the host to mail to `email` (shown this once; never
/// show it to whoever asked for it).
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
        Self {
            user_id: id(t.user_id),
            email: t.email.into_string(),
            expires_at: time(t.expires_at),
            token: Secret::new(t.token),
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

/// One of a user's companies.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CompanyMembership {
    /// The company.
    pub company_id: String,
    /// Its name.
    pub company_name: String,
    /// The user's role there.
    pub role: Role,
}

impl From<fc::account::CompanyMembership> for CompanyMembership {
    fn from(m: fc::account::CompanyMembership) -> Self {
        Self { company_id: id(m.company_id), company_name: m.company_name, role: m.role }
    }
}

/// A user with every membership, for platform administrators.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UserOverview {
    /// The user.
    pub user: User,
    /// Whether they are a platform administrator.
    pub platform_admin: bool,
    /// Their companies and roles.
    pub memberships: Vec<CompanyMembership>,
}

impl From<fc::account::UserOverview> for UserOverview {
    fn from(u: fc::account::UserOverview) -> Self {
        Self {
            user: u.user,
            platform_admin: u.platform_admin,
            memberships: u.memberships.into_iter().map(Into::into).collect(),
        }
    }
}

/// A company with its subscription, plan and member count, for platform administrators.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CompanyOverview {
    /// The company.
    pub company: Company,
    /// Its subscription (status as of now).
    pub subscription: Subscription,
    /// Its plan.
    pub plan: Plan,
    /// How many members it has.
    pub members: u64,
}

impl From<fc::account::CompanyOverview> for CompanyOverview {
    fn from(c: fc::account::CompanyOverview) -> Self {
        Self {
            company: c.company,
            subscription: c.subscription,
            plan: c.plan,
            members: c.members,
        }
    }
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
        Ok(self.inner.companies().await?.into_iter().map(Into::into).collect())
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
        let created = self.inner.create(input.into()).await?;
        Ok(CreatedApiToken { token: created.token.into(), secret: Secret::new(created.secret) })
    }

    /// The user's tokens in this company, newest first.
    pub async fn list(&self) -> Result<Vec<ApiToken>> {
        Ok(self.inner.list().await?.into_iter().map(Into::into).collect())
    }

    /// Revokes one of the user's tokens at once.
    pub async fn revoke(&self, id: String) -> Result<ApiToken> {
        Ok(self.inner.revoke(api_token_id("id", &id)?).await?.into())
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
        let created = self.inner.create(input.into()).await?;
        Ok(CreatedInvitation {
            invitation: created.invitation.into(),
            token: Secret::new(created.token),
        })
    }

    /// Invitations not yet accepted, revoked or expired.
    pub async fn list_open(&self) -> Result<Vec<Invitation>> {
        Ok(self.inner.list_open().await?.into_iter().map(Into::into).collect())
    }

    /// Revokes an invitation not yet accepted.
    pub async fn revoke(&self, id: String) -> Result<Invitation> {
        Ok(self.inner.revoke(invitation_id("id", &id)?).await?.into())
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
        Ok(UserOverviewPage {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        })
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
        Ok(CompanyOverviewPage {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        })
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
        self.inner.record_payment(company, payment.into()).await
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
