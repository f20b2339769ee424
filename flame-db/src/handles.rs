//! Every accessor and public operation of the two handles, [`Flame`] and [`Session`], in one
//! place: `flame.plans()`, `session.contacts()`, `flame.login(…)`… Each hands its call to the
//! aggregate module that implements it (`contact.rs` owns [`Contacts`](crate::Contacts) and
//! its methods, `account.rs` the logins…).
//!
//! This module is the top of flame-db's module graph: it depends on the aggregates, and no
//! module depends on it, so `flame.rs` and `session.rs` stay below every aggregate
//! (docs/architecture.md, "The modules of flame-db"; `tests/layout.rs` checks it).

use flame_core::Result;
use flame_core::account::{AcceptInvitation, Login};
use flame_core::company::{SignUp, User};
use flame_core::verification::EmailVerificationToken;
use flame_core::{CompanyId, UserId};

use crate::account::{self, Account, ApiTokens, HashingTurn, Identity, Invitations, Platform};
use crate::accounting::{Accounting, AccountingDocuments};
use crate::activity::Activities;
use crate::advertising::{Advertising, Leads, Reports};
use crate::billing::{Billing, Plans, Subscriptions};
use crate::company::{Companies, Members, SignedUp};
use crate::contact::Contacts;
use crate::custom_field::CustomFields;
use crate::deal::Deals;
use crate::delivery::WebhookDeliveries;
use crate::flame::Flame;
use crate::health::{Checkup, Health};
use crate::inbound::Inbound;
use crate::integration::{Integrations, Keys, Rotation};
use crate::organization::Organizations;
use crate::outbox::Events;
use crate::pipeline::Pipelines;
use crate::session::Session;
use crate::source::Sources;
use crate::tag::Tags;
use crate::verification::Verifier;
#[cfg(feature = "webhooks")]
use crate::webhook::{WebhookOptions, WebhookWorker};

/// The handles a store gives without a session: trusted host calls.
impl Flame {
    /// The hand-over of accounting documents.
    pub fn accounting(&self) -> AccountingDocuments {
        AccountingDocuments::new(self.clone())
    }

    /// Leads and ad spend of advertising integrations.
    pub fn advertising(&self) -> Advertising {
        Advertising::new(self.clone())
    }

    /// The plan catalog.
    pub fn plans(&self) -> Plans {
        Plans::new(self.clone())
    }

    /// The host's billing hooks.
    pub fn subscriptions(&self) -> Subscriptions {
        Subscriptions::new(self.clone())
    }

    /// Inbound messages for messaging integrations.
    pub fn inbound(&self) -> Inbound {
        Inbound::new(self.clone())
    }

    /// A webhook worker over this store. Needs the encryption key that sealed the webhooks'
    /// signing secrets (`Crypto` without one); `Validation` for options out of range.
    #[cfg(feature = "webhooks")]
    pub fn webhook_worker(&self, options: WebhookOptions) -> Result<WebhookWorker> {
        WebhookWorker::new(self, options)
    }

    /// Signs a company up, in one transaction: the company, its owner (a new user), the
    /// default pipeline (New → Qualified → Proposal → Won / Lost), the default lead sources
    /// and a trial subscription on the default plan. Returns them with a session of the owner.
    ///
    /// This is a trusted host call: the host decides who may sign up. An email that already
    /// has an account is a `Conflict` on `owner_email` (and nothing is stored): an existing
    /// user creates another company from their own session
    /// ([`Account::create_company`](crate::Account::create_company)).
    pub async fn sign_up(&self, input: SignUp) -> Result<SignedUp> {
        Identity::new(self).sign_up(input).await
    }

    /// A session for an existing, active member of a company, with the role stored for
    /// them. A trusted host call, for hosts that authenticate users themselves; the session
    /// is stored like a login's, so it can be resumed with its token and revoked. Anyone who
    /// is not an active member gets `Unauthenticated`.
    pub async fn session(&self, user_id: UserId, company_id: CompanyId) -> Result<Session> {
        Identity::new(self).session(user_id, company_id).await
    }

    /// Takes a turn to hash or check a password and holds it until the result is dropped, so
    /// that tests can reach the bound of [`OpenOptions::password_hashing`](crate::OpenOptions)
    /// deterministically. Not for production use.
    #[doc(hidden)]
    pub async fn hold_hashing_turn(&self) -> Result<HashingTurn> {
        Identity::new(self).hashing_turn().await
    }

    /// Logs in with email and password, in the given company (or the user's only one), and
    /// returns a stored session whose [`token`](Session::token) resumes it.
    ///
    /// Every failure — unknown email, wrong password, no password set, deactivated user,
    /// too many failures — is the same `Unauthenticated` answer after the same work, so the
    /// answer does not tell whether the email has an account. After
    /// [`LockoutPolicy::max_failures`](flame_core::account::LockoutPolicy) failures in a row
    /// the email is locked out for a growing time, recorded in the database.
    ///
    /// Each attempt is counted before its password is checked, so concurrent guesses cannot
    /// outrun the lockout: at most `max_failures` attempts in a row are ever checked, the rest
    /// are refused unseen. Attempts made while locked are counted too (the running lockout is
    /// not extended; the next failure after it ends locks for longer).
    pub async fn login(&self, login: Login) -> Result<Session> {
        Identity::new(self).login(login).await
    }

    /// The session a bearer token stands for: a session token (from [`Session::token`]) or
    /// an API token. Unknown, malformed, expired and revoked tokens, and tokens of deactivated
    /// or removed users, are `Unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> Result<Session> {
        Identity::new(self).authenticate(token).await
    }

    /// Accepts an invitation for a new user: the user is created with the given name and
    /// password, joins the company with the invited role, and gets a session there.
    ///
    /// An existing user accepts from their own session instead
    /// ([`Account::accept_invitation`]): the token went through the inviter, so it proves
    /// nothing about who holds it. Unknown, expired, revoked and used invitations, invitations
    /// whose inviter may no longer grant their role, and invitations for an email that already
    /// has an account all get the same `Unauthenticated` answer
    /// ([`INVITATION_REFUSED`](flame_core::account::INVITATION_REFUSED)) after the same work.
    pub async fn accept_invitation(&self, input: AcceptInvitation) -> Result<Session> {
        Identity::new(self).accept_invitation(input).await
    }

    /// Sets a user's password (checked against the policy) and revokes all their sessions:
    /// a trusted host call, for the host's password-reset flow.
    pub async fn set_password(&self, user_id: UserId, password: &str) -> Result<()> {
        Identity::new(self).set_password(user_id, password).await
    }

    /// Marks a user as platform administrator, or not: a trusted host call (no company role
    /// grants it).
    pub async fn set_platform_admin(&self, user_id: UserId, admin: bool) -> Result<User> {
        Identity::new(self).set_platform_admin(user_id, admin).await
    }

    /// Reports backend, reachability, round-trip time, schema version, encryption and row
    /// counts. Never fails: an unreachable database is reported as such.
    pub async fn health(&self) -> Health {
        Checkup::new(self).health().await
    }

    /// Re-encrypts every stored credential that another key sealed under the primary key,
    /// `batch` at a time, each batch in its own transaction. Safe to interrupt and call again:
    /// it picks up whatever is still under an old key. A trusted host call (run it after
    /// opening with a new `encryption_key` and the old ones in `previous_keys`).
    ///
    /// Each write is a compare-and-set on the ciphertext that was read: a credential saved
    /// anew while the rotation runs (sealed with the primary key by that save) keeps its new
    /// value. A secret that cannot be decrypted is skipped and reported in
    /// [`Rotation::skipped`]; it does not stop the rotation of the others.
    pub async fn rotate_keys(&self, batch: u32) -> Result<Rotation> {
        Keys::new(self).rotate_keys(batch).await
    }

    /// Issues a single-use token that proves `user_id`'s email address, valid for
    /// [`EMAIL_TOKEN_TTL`](flame_core::verification::EMAIL_TOKEN_TTL). A trusted host call:
    /// mail the token (typically as a link) to the address in the result, and never show it
    /// to whoever asked for it: whoever presents it proves the address, can verify it
    /// ([`verify_email`](Self::verify_email)) and can set the account's password
    /// ([`reset_password`](Self::reset_password)). Only its digest is stored. Issuing another
    /// leaves the earlier ones valid until one of them is used. An unknown user is `NotFound`.
    pub async fn email_verification(&self, user_id: UserId) -> Result<EmailVerificationToken> {
        Verifier::new(self).email_verification(user_id).await
    }

    /// Marks the email of the user a token was issued for as verified (from then on they may
    /// log in with [`EmailVerification::Required`](flame_core::verification::EmailVerification))
    /// and uses the token up, with every other open token of that user. Their password and
    /// sessions stay as they were: a user who did not choose the password (someone else
    /// created the account for their address) takes the account back with
    /// [`reset_password`](Self::reset_password) instead.
    ///
    /// An unknown, malformed, used or expired token, or one mailed to an address the user no
    /// longer has, is `Unauthenticated`
    /// ([`EMAIL_TOKEN_REFUSED`](flame_core::verification::EMAIL_TOKEN_REFUSED)).
    pub async fn verify_email(&self, token: &str) -> Result<User> {
        Verifier::new(self).verify_email(token).await
    }

    /// Takes an account back with a mailed token: sets the password of the user the token was
    /// issued for (checked against the policy; errors name `new_password`), marks their email
    /// verified, revokes every session and API token of theirs in every company, forgets
    /// their login failures, and uses the token up with every other open token of theirs.
    ///
    /// This is how the owner of an address recovers an account that someone else created
    /// for it (by accepting an invitation with a password of their choosing, or signing up):
    /// the other person's password and sessions stop working. It is also a password-reset
    /// flow for users who forgot theirs. The token is refused as in
    /// [`verify_email`](Self::verify_email), and a refused call changes nothing.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        Verifier::new(self).reset_password(token, new_password).await
    }
}

/// The handles of a session's company, and the session's own operations.
impl Session {
    /// Contacts of the company.
    pub fn contacts(&self) -> Contacts {
        Contacts::new(self.clone())
    }

    /// Organizations of the company: the companies it sells to.
    pub fn organizations(&self) -> Organizations {
        Organizations::new(self.clone())
    }

    /// Deals of the company.
    pub fn deals(&self) -> Deals {
        Deals::new(self.clone())
    }

    /// The company's tags: the vocabulary its contacts and deals are tagged from.
    pub fn tags(&self) -> Tags {
        Tags::new(self.clone())
    }

    /// Pipelines and their stages.
    pub fn pipelines(&self) -> Pipelines {
        Pipelines::new(self.clone())
    }

    /// Lead sources.
    pub fn sources(&self) -> Sources {
        Sources::new(self.clone())
    }

    /// The company's custom field definitions.
    pub fn custom_fields(&self) -> CustomFields {
        CustomFields::new(self.clone())
    }

    /// Activities: notes, tasks, calls, messages.
    pub fn activities(&self) -> Activities {
        Activities::new(self.clone())
    }

    /// Members of the company: users and their roles.
    pub fn members(&self) -> Members {
        Members::new(self.clone())
    }

    /// The company itself.
    pub fn company(&self) -> Companies {
        Companies::new(self.clone())
    }

    /// The company's subscription.
    pub fn billing(&self) -> Billing {
        Billing::new(self.clone())
    }

    /// The company's domain events, as written to the outbox.
    pub fn events(&self) -> Events {
        Events::new(self.clone())
    }

    /// The company's accounting documents.
    pub fn accounting(&self) -> Accounting {
        Accounting::new(self.clone())
    }

    /// The company's ad leads.
    pub fn leads(&self) -> Leads {
        Leads::new(self.clone())
    }

    /// Reports over the company's data.
    pub fn reports(&self) -> Reports {
        Reports::new(self.clone())
    }

    /// The company's webhook deliveries.
    pub fn webhook_deliveries(&self) -> WebhookDeliveries {
        WebhookDeliveries::new(self.clone())
    }

    /// The company's integrations.
    pub fn integrations(&self) -> Integrations {
        Integrations::new(self.clone())
    }

    /// The session user's own account.
    pub fn account(&self) -> Account {
        Account::new(self.clone())
    }

    /// The session user's API tokens in this company.
    pub fn api_tokens(&self) -> ApiTokens {
        ApiTokens::new(self.clone())
    }

    /// Invitations to join the company.
    pub fn invitations(&self) -> Invitations {
        Invitations::new(self.clone())
    }

    /// Platform administration: every user and company. Platform administrators only.
    pub fn platform(&self) -> Platform {
        Platform::new(self.clone())
    }

    /// Logs this session out: its token stops working, here and in every process.
    pub async fn logout(&self) -> Result<()> {
        account::logout(self).await
    }
}
