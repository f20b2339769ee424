//! The objects of the uniffi surface: `Flame`, `Session`, and one object per aggregate, each
//! wrapping its flame-db namesake. Every method is a conversion and a call.

use std::sync::Arc;
use std::time::SystemTime;

use crate::error::Result;
use crate::types::*;
use flame_db::Health;
use flame_db::core::custom_field::{CustomEntity, CustomField, CustomFieldPatch, NewCustomField};
use flame_db::core::tag::Tag;

fn list<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(Into::into).collect()
}

// ---------------------------------------------------------------------------------------------
// Flame

/// An opened Flame store, migrated and verified. Share one per process.
#[derive(Debug, uniffi::Object)]
pub struct Flame {
    inner: flame_db::Flame,
}

/// What `Flame.signUp` created.
#[derive(Debug, uniffi::Record)]
pub struct SignedUp {
    /// The new company.
    pub company: Company,
    /// Its owner.
    pub owner: User,
    /// A session of the owner in the new company.
    pub session: Arc<Session>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Flame {
    /// Opens the store at `url` (`sqlite://path/to/file.db`, `sqlite::memory:` or
    /// `postgres://…`), applies pending migrations unless `options.verifyOnly`, and verifies
    /// the schema.
    #[uniffi::constructor(default(options))]
    pub async fn open(url: String, options: OpenOptions) -> Result<Arc<Self>> {
        let inner = flame_db::Flame::open(&url, options.into()).await?;
        Ok(Arc::new(Self { inner }))
    }

    /// Signs a company up: the company, its owner, the default pipeline and sources and a
    /// trial subscription, with a session of the owner. An email that already has an account
    /// is a `Conflict` on `owner_email` (that user calls `Account.createCompany`). `password` (checked against the
    /// policy) lets the owner log in with `login`; leave it out when the host authenticates
    /// users itself.
    #[uniffi::method(default(password))]
    pub async fn sign_up(&self, input: SignUp, password: Option<String>) -> Result<SignedUp> {
        let s = self.inner.sign_up(input.with_password(password)).await?;
        Ok(SignedUp { company: s.company, owner: s.owner, session: Session::wrap(s.session) })
    }

    /// Logs in with email and password, in `companyId` (or the user's only company). Every
    /// failure is the same `Unauthenticated` answer; repeated failures lock the email out.
    #[uniffi::method(default(company_id))]
    pub async fn login(
        &self,
        email: String,
        password: String,
        company_id: Option<String>,
    ) -> Result<Arc<Session>> {
        let company_id = crate::types::opt_company_id("company_id", company_id)?;
        let login = flame_db::core::account::Login { email, password, company_id };
        Ok(Session::wrap(self.inner.login(login).await?))
    }

    /// The session a bearer token stands for: a session token (`Session.token()`) or an API
    /// token. Anything else, expired or revoked is `Unauthenticated`.
    pub async fn authenticate(&self, token: String) -> Result<Arc<Session>> {
        Ok(Session::wrap(self.inner.authenticate(&token).await?))
    }

    /// Accepts an invitation for a new user: creates the user with `name` and `password`,
    /// joins its company and returns a session there. An existing user accepts from their
    /// own session (`Account.acceptInvitation`); an invitation for an email that has an
    /// account is refused like an unknown one (`Unauthenticated`).
    #[uniffi::method(default(name), default(password))]
    pub async fn accept_invitation(
        &self,
        token: String,
        name: Option<String>,
        password: Option<String>,
    ) -> Result<Arc<Session>> {
        let input = flame_db::core::account::AcceptInvitation { token, name, password };
        Ok(Session::wrap(self.inner.accept_invitation(input).await?))
    }

    /// Sets a user's password and revokes all their sessions (the host's reset flow).
    pub async fn set_password(&self, user_id: String, password: String) -> Result<()> {
        let user = crate::types::user_id("user_id", &user_id)?;
        self.inner.set_password(user, &password).await
    }

    /// Issues a single-use token (valid 24 hours) proving `userId`'s email, for the host to
    /// mail to the address in the result; never show it to whoever asked for it.
    pub async fn email_verification(
        &self,
        user_id: String,
    ) -> Result<crate::accounts::EmailVerificationToken> {
        let user = crate::types::user_id("user_id", &user_id)?;
        Ok(self.inner.email_verification(user).await?.into())
    }

    /// Marks the email of the token's user verified (they may log in from then on) and uses
    /// the token up. Unknown, used or expired tokens are `Unauthenticated`.
    pub async fn verify_email(&self, token: String) -> Result<User> {
        self.inner.verify_email(&token).await
    }

    /// Takes an account back with a mailed token: sets the password, marks the email
    /// verified, revokes every session and API token of the user, and uses the token up.
    pub async fn reset_password(&self, token: String, new_password: String) -> Result<User> {
        self.inner.reset_password(&token, &new_password).await
    }

    /// Marks a user as platform administrator, or not (a trusted host call).
    pub async fn set_platform_admin(&self, user_id: String, admin: bool) -> Result<User> {
        let user = crate::types::user_id("user_id", &user_id)?;
        self.inner.set_platform_admin(user, admin).await
    }

    /// Leads and ad spend of advertising integrations.
    pub fn advertising(&self) -> Arc<crate::marketing::Advertising> {
        Arc::new(crate::marketing::Advertising { inner: self.inner.advertising() })
    }

    /// The hand-over of accounting documents.
    pub fn accounting(&self) -> Arc<crate::marketing::AccountingDocuments> {
        Arc::new(crate::marketing::AccountingDocuments { inner: self.inner.accounting() })
    }

    /// Inbound messages for messaging integrations.
    pub fn inbound(&self) -> Arc<crate::integrations::Inbound> {
        Arc::new(crate::integrations::Inbound { inner: self.inner.inbound() })
    }

    /// Re-encrypts every credential sealed by an older key under the primary key, `batch`
    /// at a time; safe to interrupt and run again.
    pub async fn rotate_keys(&self, batch: u32) -> Result<crate::integrations::Rotation> {
        let r = self.inner.rotate_keys(batch).await?;
        Ok(crate::integrations::Rotation {
            resealed: r.resealed,
            remaining: r.remaining,
            skipped: r.skipped.into_iter().map(crate::types::id).collect(),
        })
    }

    /// The host's billing hooks (payments, expiry).
    pub fn subscriptions(&self) -> Arc<crate::accounts::Subscriptions> {
        Arc::new(crate::accounts::Subscriptions { inner: self.inner.subscriptions() })
    }

    /// A session for an active member of a company; anyone else gets `Unauthenticated`.
    pub async fn session(&self, user_id: String, company_id: String) -> Result<Arc<Session>> {
        let user = crate::types::user_id("user_id", &user_id)?;
        let company = crate::types::company_id("company_id", &company_id)?;
        Ok(Session::wrap(self.inner.session(user, company).await?))
    }

    /// Backend, reachability, round trip, schema version, encryption and row counts.
    pub async fn health(&self) -> Health {
        self.inner.health().await
    }

    /// The billing plans (a trusted host surface).
    pub fn plans(&self) -> Arc<Plans> {
        Arc::new(Plans { inner: self.inner.plans() })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> String {
        self.inner.backend().as_str().to_owned()
    }

    /// The schema version found when the store opened.
    pub fn schema_version(&self) -> i64 {
        self.inner.schema_version()
    }

    /// Closes every connection; later calls fail with `Storage`. (Not `close`, in any host:
    /// Kotlin's `AutoCloseable.close()` already releases the handle itself.)
    pub async fn shutdown(&self) {
        self.inner.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Session

/// An authenticated user acting in one company; every tenant operation goes through it.
#[derive(Debug, uniffi::Object)]
pub struct Session {
    inner: flame_db::Session,
}

impl Session {
    pub(crate) fn wrap(inner: flame_db::Session) -> Arc<Self> {
        Arc::new(Self { inner })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Session {
    /// Who, where, with which role and scope, until when, as last checked.
    pub fn principal(&self) -> Principal {
        self.inner.principal().into()
    }

    /// The token that resumes this session with `Flame.authenticate`; `null` for sessions
    /// made from an API token.
    pub fn token(&self) -> Option<Arc<crate::accounts::Secret>> {
        self.inner.token().cloned().map(crate::accounts::Secret::new)
    }

    /// Logs this session out: its token stops working everywhere.
    pub async fn logout(&self) -> Result<()> {
        self.inner.logout().await
    }

    /// The session user's own account.
    pub fn account(&self) -> Arc<crate::accounts::Account> {
        Arc::new(crate::accounts::Account { inner: self.inner.account() })
    }

    /// The session user's API tokens in this company.
    pub fn api_tokens(&self) -> Arc<crate::accounts::ApiTokens> {
        Arc::new(crate::accounts::ApiTokens { inner: self.inner.api_tokens() })
    }

    /// Invitations to join the company.
    pub fn invitations(&self) -> Arc<crate::accounts::Invitations> {
        Arc::new(crate::accounts::Invitations { inner: self.inner.invitations() })
    }

    /// The company's integrations (admins and owners).
    pub fn integrations(&self) -> Arc<crate::integrations::Integrations> {
        Arc::new(crate::integrations::Integrations { inner: self.inner.integrations() })
    }

    /// Webhook deliveries (admins and owners).
    pub fn webhook_deliveries(&self) -> Arc<crate::marketing::WebhookDeliveries> {
        Arc::new(crate::marketing::WebhookDeliveries { inner: self.inner.webhook_deliveries() })
    }

    /// The company's ad leads.
    pub fn leads(&self) -> Arc<crate::marketing::Leads> {
        Arc::new(crate::marketing::Leads { inner: self.inner.leads() })
    }

    /// Reports over the company's data.
    pub fn reports(&self) -> Arc<crate::marketing::Reports> {
        Arc::new(crate::marketing::Reports { inner: self.inner.reports() })
    }

    /// Invoice documents for accounting integrations (admins and owners).
    pub fn accounting(&self) -> Arc<crate::marketing::Accounting> {
        Arc::new(crate::marketing::Accounting { inner: self.inner.accounting() })
    }

    /// Platform administration (platform administrators only).
    pub fn platform(&self) -> Arc<crate::accounts::Platform> {
        Arc::new(crate::accounts::Platform { inner: self.inner.platform() })
    }

    /// The acting user's id.
    pub fn user_id(&self) -> String {
        id(self.inner.user_id())
    }

    /// The company's id.
    pub fn company_id(&self) -> String {
        id(self.inner.company_id())
    }

    /// The user's role in the company.
    pub fn role(&self) -> Role {
        self.inner.role()
    }

    /// When the session expires.
    pub fn expires_at(&self) -> SystemTime {
        time(self.inner.expires_at())
    }

    /// Contacts of the company.
    pub fn contacts(&self) -> Arc<Contacts> {
        Arc::new(Contacts { inner: self.inner.contacts() })
    }

    /// Deals of the company.
    pub fn deals(&self) -> Arc<Deals> {
        Arc::new(Deals { inner: self.inner.deals() })
    }

    /// Organizations of the company: the companies it sells to.
    pub fn organizations(&self) -> Arc<Organizations> {
        Arc::new(Organizations { inner: self.inner.organizations() })
    }

    /// Pipelines and their stages.
    pub fn pipelines(&self) -> Arc<Pipelines> {
        Arc::new(Pipelines { inner: self.inner.pipelines() })
    }

    /// Lead sources.
    pub fn sources(&self) -> Arc<Sources> {
        Arc::new(Sources { inner: self.inner.sources() })
    }

    /// The company's tags: the vocabulary its contacts and deals are tagged from.
    pub fn tags(&self) -> Arc<Tags> {
        Arc::new(Tags { inner: self.inner.tags() })
    }

    /// The company's custom field definitions.
    pub fn custom_fields(&self) -> Arc<CustomFields> {
        Arc::new(CustomFields { inner: self.inner.custom_fields() })
    }

    /// Activities: notes, tasks, calls, messages.
    pub fn activities(&self) -> Arc<Activities> {
        Arc::new(Activities { inner: self.inner.activities() })
    }

    /// Members of the company.
    pub fn members(&self) -> Arc<Members> {
        Arc::new(Members { inner: self.inner.members() })
    }

    /// The company itself.
    pub fn company(&self) -> Arc<Companies> {
        Arc::new(Companies { inner: self.inner.company() })
    }

    /// The company's subscription.
    pub fn billing(&self) -> Arc<Billing> {
        Arc::new(Billing { inner: self.inner.billing() })
    }

    /// The company's domain events.
    pub fn events(&self) -> Arc<Events> {
        Arc::new(Events { inner: self.inner.events() })
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts

/// The company's contacts.
#[derive(Debug, uniffi::Object)]
pub struct Contacts {
    pub(crate) inner: flame_db::Contacts,
}

#[uniffi::export(async_runtime = "tokio")]
impl Contacts {
    /// Creates a contact.
    pub async fn create(&self, input: NewContact) -> Result<Contact> {
        self.inner.create(input.try_into()?).await
    }

    /// One contact.
    pub async fn get(&self, id: String) -> Result<Contact> {
        self.inner.get(contact_id("id", &id)?).await
    }

    /// Applies `patch` to the contact read at `version`.
    pub async fn update(&self, id: String, version: i64, patch: ContactPatch) -> Result<Contact> {
        self.inner.update(contact_id("id", &id)?, version, patch.try_into()?).await
    }

    /// Deletes the contact read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(contact_id("id", &id)?, version).await
    }

    /// Puts the tag `name` on the contact, creating it in the vocabulary on first use; the
    /// contact's version does not change.
    pub async fn add_tag(&self, id: String, name: String) -> Result<Contact> {
        self.inner.add_tag(contact_id("id", &id)?, &name).await
    }

    /// Takes the tag `name` (any case) off the contact.
    pub async fn remove_tag(&self, id: String, name: String) -> Result<Contact> {
        self.inner.remove_tag(contact_id("id", &id)?, &name).await
    }

    /// Contacts matching `filter`, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(&self, filter: ContactFilter, page: PageRequest) -> Result<ContactPage> {
        Ok(self.inner.list(filter.try_into()?, page).await?.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Organizations

/// The company's organizations.
#[derive(Debug, uniffi::Object)]
pub struct Organizations {
    inner: flame_db::Organizations,
}

#[uniffi::export(async_runtime = "tokio")]
impl Organizations {
    /// Creates an organization; a domain another one of the company has is a `Conflict`.
    pub async fn create(&self, input: NewOrganization) -> Result<Organization> {
        self.inner.create(input.try_into()?).await
    }

    /// One organization.
    pub async fn get(&self, id: String) -> Result<Organization> {
        self.inner.get(organization_id("id", &id)?).await
    }

    /// Applies `patch` to the organization read at `version`.
    pub async fn update(
        &self,
        id: String,
        version: i64,
        patch: OrganizationPatch,
    ) -> Result<Organization> {
        self.inner.update(organization_id("id", &id)?, version, patch.try_into()?).await
    }

    /// Deletes the organization read at `version`; its contacts and deals stay, without it.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(organization_id("id", &id)?, version).await
    }

    /// Puts the tag `name` on the organization, creating it in the vocabulary on first use;
    /// the organization's version does not change.
    pub async fn add_tag(&self, id: String, name: String) -> Result<Organization> {
        self.inner.add_tag(organization_id("id", &id)?, &name).await
    }

    /// Takes the tag `name` (any case) off the organization.
    pub async fn remove_tag(&self, id: String, name: String) -> Result<Organization> {
        self.inner.remove_tag(organization_id("id", &id)?, &name).await
    }

    /// Organizations matching `filter`, ordered by name, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(
        &self,
        filter: OrganizationFilter,
        page: PageRequest,
    ) -> Result<OrganizationPage> {
        Ok(self.inner.list(filter.try_into()?, page).await?.into())
    }

    /// The organization's contacts, newest first, a page at a time.
    #[uniffi::method(default(page))]
    pub async fn contacts(&self, id: String, page: PageRequest) -> Result<ContactPage> {
        Ok(self.inner.contacts(organization_id("id", &id)?, page).await?.into())
    }

    /// The organization's deals, newest first, a page at a time.
    #[uniffi::method(default(page))]
    pub async fn deals(&self, id: String, page: PageRequest) -> Result<DealPage> {
        Ok(self.inner.deals(organization_id("id", &id)?, page).await?.into())
    }

    /// The value of the organization's open deals, one total per currency.
    pub async fn open_value(&self, id: String) -> Result<Vec<Money>> {
        self.inner.open_value(organization_id("id", &id)?).await
    }
}

// ---------------------------------------------------------------------------------------------
// Deals

/// The company's deals.
#[derive(Debug, uniffi::Object)]
pub struct Deals {
    inner: flame_db::Deals,
}

#[uniffi::export(async_runtime = "tokio")]
impl Deals {
    /// Creates a deal in a pipeline's stage (default: the default pipeline's first stage).
    pub async fn create(&self, input: NewDeal) -> Result<Deal> {
        self.inner.create(input.try_into()?).await
    }

    /// One deal.
    pub async fn get(&self, id: String) -> Result<Deal> {
        self.inner.get(deal_id("id", &id)?).await
    }

    /// Applies `patch` to the deal read at `version`.
    pub async fn update(&self, id: String, version: i64, patch: DealPatch) -> Result<Deal> {
        self.inner.update(deal_id("id", &id)?, version, patch.try_into()?).await
    }

    /// Deletes the deal read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(deal_id("id", &id)?, version).await
    }

    /// Puts the tag `name` on the deal, creating it in the vocabulary on first use; the
    /// deal's version does not change.
    pub async fn add_tag(&self, id: String, name: String) -> Result<Deal> {
        self.inner.add_tag(deal_id("id", &id)?, &name).await
    }

    /// Takes the tag `name` (any case) off the deal.
    pub async fn remove_tag(&self, id: String, name: String) -> Result<Deal> {
        self.inner.remove_tag(deal_id("id", &id)?, &name).await
    }

    /// Moves the deal to another stage of its pipeline.
    pub async fn move_to_stage(&self, id: String, stage_id: String, version: i64) -> Result<Deal> {
        let stage = crate::types::stage_id("stage_id", &stage_id)?;
        self.inner.move_to_stage(deal_id("id", &id)?, stage, version).await
    }

    /// Wins an open deal.
    pub async fn win(&self, id: String, version: i64) -> Result<Deal> {
        self.inner.win(deal_id("id", &id)?, version).await
    }

    /// Loses an open deal, with the reason.
    pub async fn lose(&self, id: String, reason: String, version: i64) -> Result<Deal> {
        self.inner.lose(deal_id("id", &id)?, &reason, version).await
    }

    /// Moves an open deal to a lost stage of its pipeline, with the reason.
    pub async fn lose_in_stage(
        &self,
        id: String,
        stage_id: String,
        reason: String,
        version: i64,
    ) -> Result<Deal> {
        let stage = crate::types::stage_id("stage_id", &stage_id)?;
        self.inner.lose_in_stage(deal_id("id", &id)?, stage, &reason, version).await
    }

    /// Reopens a won or lost deal into an open stage.
    pub async fn reopen(&self, id: String, stage_id: String, version: i64) -> Result<Deal> {
        let stage = crate::types::stage_id("stage_id", &stage_id)?;
        self.inner.reopen(deal_id("id", &id)?, stage, version).await
    }

    /// Deals matching `filter`, newest first, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(&self, filter: DealFilter, page: PageRequest) -> Result<DealPage> {
        Ok(self.inner.list(filter.try_into()?, page).await?.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Pipelines

/// The company's pipelines and stages.
#[derive(Debug, uniffi::Object)]
pub struct Pipelines {
    inner: flame_db::Pipelines,
}

#[uniffi::export(async_runtime = "tokio")]
impl Pipelines {
    /// Creates a pipeline with its stages.
    pub async fn create(&self, input: NewPipeline) -> Result<PipelineWithStages> {
        let (pipeline, stages) = self.inner.create(input).await?;
        Ok(PipelineWithStages { pipeline, stages: list(stages) })
    }

    /// One pipeline.
    pub async fn get(&self, id: String) -> Result<Pipeline> {
        self.inner.get(pipeline_id("id", &id)?).await
    }

    /// The company's default pipeline.
    pub async fn default_pipeline(&self) -> Result<Pipeline> {
        self.inner.default_pipeline().await
    }

    /// All pipelines, in order.
    pub async fn list(&self) -> Result<Vec<Pipeline>> {
        Ok(list(self.inner.list().await?))
    }

    /// A pipeline's stages, in order.
    pub async fn stages(&self, id: String) -> Result<Vec<Stage>> {
        Ok(list(self.inner.stages(pipeline_id("id", &id)?).await?))
    }

    /// One stage.
    pub async fn stage(&self, id: String) -> Result<Stage> {
        self.inner.stage(stage_id("id", &id)?).await
    }

    /// Renames the pipeline read at `version`.
    pub async fn rename(&self, id: String, name: String, version: i64) -> Result<Pipeline> {
        self.inner.rename(pipeline_id("id", &id)?, &name, version).await
    }

    /// Deletes the pipeline read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(pipeline_id("id", &id)?, version).await
    }

    /// Adds a stage to a pipeline.
    pub async fn add_stage(&self, pipeline_id: String, input: NewStage) -> Result<Stage> {
        let pipeline = crate::types::pipeline_id("pipeline_id", &pipeline_id)?;
        self.inner.add_stage(pipeline, input).await
    }

    /// Renames a stage or changes its probability.
    pub async fn update_stage(&self, id: String, patch: StagePatch, version: i64) -> Result<Stage> {
        self.inner.update_stage(stage_id("id", &id)?, patch, version).await
    }

    /// Removes the stage read at `version`.
    pub async fn remove_stage(&self, id: String, version: i64) -> Result<()> {
        self.inner.remove_stage(stage_id("id", &id)?, version).await
    }

    /// Per stage: how many deals and their total value per currency.
    pub async fn summary(&self, id: String) -> Result<Vec<StageSummary>> {
        Ok(list(self.inner.summary(pipeline_id("id", &id)?).await?))
    }
}

// ---------------------------------------------------------------------------------------------
// Sources

/// The company's lead sources.
#[derive(Debug, uniffi::Object)]
pub struct Sources {
    inner: flame_db::Sources,
}

#[uniffi::export(async_runtime = "tokio")]
impl Sources {
    /// Creates a source.
    pub async fn create(&self, name: String) -> Result<Source> {
        self.inner.create(&name).await
    }

    /// One source.
    pub async fn get(&self, id: String) -> Result<Source> {
        self.inner.get(source_id("id", &id)?).await
    }

    /// All sources.
    pub async fn list(&self) -> Result<Vec<Source>> {
        Ok(list(self.inner.list().await?))
    }

    /// Renames the source read at `version`.
    pub async fn rename(&self, id: String, name: String, version: i64) -> Result<Source> {
        self.inner.rename(source_id("id", &id)?, &name, version).await
    }

    /// Deletes the source read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(source_id("id", &id)?, version).await
    }
}

// ---------------------------------------------------------------------------------------------
// Custom fields

/// The company's custom field definitions: everyone reads them, admins change them.
#[derive(Debug, uniffi::Object)]
pub struct CustomFields {
    inner: flame_db::CustomFields,
}

#[uniffi::export(async_runtime = "tokio")]
impl CustomFields {
    /// Defines a field; its key is unique per entity.
    pub async fn define(&self, input: NewCustomField) -> Result<CustomField> {
        self.inner.define(input).await
    }

    /// One definition.
    pub async fn get(&self, id: String) -> Result<CustomField> {
        self.inner.get(custom_field_id("id", &id)?).await
    }

    /// The fields of `entity`, by position then key.
    pub async fn list(&self, entity: CustomEntity) -> Result<Vec<CustomField>> {
        self.inner.list(entity).await
    }

    /// Changes the definition read at `version` (migrating values as `patch` says).
    pub async fn update(
        &self,
        id: String,
        version: i64,
        patch: CustomFieldPatch,
    ) -> Result<CustomField> {
        self.inner.update(custom_field_id("id", &id)?, version, patch).await
    }

    /// Deletes the definition read at `version`; its values vanish at once.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(custom_field_id("id", &id)?, version).await
    }
}

// ---------------------------------------------------------------------------------------------
// Tags

/// The company's tags: the vocabulary its contacts and deals are tagged from.
#[derive(Debug, uniffi::Object)]
pub struct Tags {
    inner: flame_db::Tags,
}

#[uniffi::export(async_runtime = "tokio")]
impl Tags {
    /// Every tag of the company, by name (case-insensitively).
    pub async fn list(&self) -> Result<Vec<Tag>> {
        self.inner.list().await
    }

    /// One tag.
    pub async fn get(&self, id: String) -> Result<Tag> {
        self.inner.get(tag_id("id", &id)?).await
    }

    /// Renames the tag read at `version`; another tag's name in any case is a `Conflict`.
    pub async fn rename(&self, id: String, version: i64, new_name: String) -> Result<Tag> {
        self.inner.rename(tag_id("id", &id)?, version, &new_name).await
    }

    /// Sets (or, with `null`/`nil` or blank, clears) the color `"#rrggbb"` of the tag read
    /// at `version`.
    pub async fn set_color(&self, id: String, version: i64, color: Option<String>) -> Result<Tag> {
        self.inner.set_color(tag_id("id", &id)?, version, color.as_deref()).await
    }

    /// Merges the tag `from_id` into `into_id` (every record of the first carries the second;
    /// the first is deleted); returns the tag merged into.
    pub async fn merge(&self, from_id: String, into_id: String) -> Result<Tag> {
        self.inner.merge(tag_id("from_id", &from_id)?, tag_id("into_id", &into_id)?).await
    }

    /// Deletes the tag read at `version` and takes it off every record.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(tag_id("id", &id)?, version).await
    }
}

// ---------------------------------------------------------------------------------------------
// Activities

/// The company's activities.
#[derive(Debug, uniffi::Object)]
pub struct Activities {
    inner: flame_db::Activities,
}

#[uniffi::export(async_runtime = "tokio")]
impl Activities {
    /// Records an activity about a contact, a deal or both.
    pub async fn create(&self, input: NewActivity) -> Result<Activity> {
        self.inner.create(input.try_into()?).await
    }

    /// One activity.
    pub async fn get(&self, id: String) -> Result<Activity> {
        self.inner.get(activity_id("id", &id)?).await
    }

    /// Applies `patch` to the activity read at `version`.
    pub async fn update(&self, id: String, version: i64, patch: ActivityPatch) -> Result<Activity> {
        self.inner.update(activity_id("id", &id)?, version, patch).await
    }

    /// Marks the task read at `version` done.
    pub async fn complete(&self, id: String, version: i64) -> Result<Activity> {
        self.inner.complete(activity_id("id", &id)?, version).await
    }

    /// Deletes the activity read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        self.inner.delete(activity_id("id", &id)?, version).await
    }

    /// Activities matching `filter`, newest first, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(&self, filter: ActivityFilter, page: PageRequest) -> Result<ActivityPage> {
        Ok(self.inner.list(filter.try_into()?, page).await?.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Members, company

/// The members of the session's company.
#[derive(Debug, uniffi::Object)]
pub struct Members {
    inner: flame_db::Members,
}

#[uniffi::export(async_runtime = "tokio")]
impl Members {
    /// Adds a new user to the company with a role. An email that already has an account is a
    /// `Conflict` on "email": invite an existing user instead; they accept from their own
    /// session.
    pub async fn add(&self, input: NewMember) -> Result<Member> {
        self.inner.add(input).await
    }

    /// One member.
    pub async fn get(&self, user_id: String) -> Result<Member> {
        self.inner.get(crate::types::user_id("user_id", &user_id)?).await
    }

    /// The members, a page at a time.
    #[uniffi::method(default(page))]
    pub async fn list(&self, page: PageRequest) -> Result<MemberPage> {
        Ok(self.inner.list(page).await?.into())
    }

    /// Changes a member's role.
    pub async fn change_role(
        &self,
        user_id: String,
        role: Role,
        version: i64,
    ) -> Result<Membership> {
        let user = crate::types::user_id("user_id", &user_id)?;
        self.inner.change_role(user, role, version).await
    }

    /// Hands the owner role to another member; the session's user becomes an admin.
    pub async fn transfer_ownership(&self, to: String) -> Result<Member> {
        self.inner.transfer_ownership(crate::types::user_id("to", &to)?).await
    }

    /// The session's user leaves the company (the last owner cannot).
    pub async fn leave(&self) -> Result<()> {
        self.inner.leave().await
    }

    /// Removes a member from the company.
    pub async fn remove(&self, user_id: String) -> Result<()> {
        self.inner.remove(crate::types::user_id("user_id", &user_id)?).await
    }
}

/// The session's company.
#[derive(Debug, uniffi::Object)]
pub struct Companies {
    inner: flame_db::Companies,
}

#[uniffi::export(async_runtime = "tokio")]
impl Companies {
    /// The company.
    pub async fn get(&self) -> Result<Company> {
        self.inner.get().await
    }

    /// Renames the company read at `version`.
    pub async fn rename(&self, name: String, version: i64) -> Result<Company> {
        self.inner.rename(&name, version).await
    }

    /// Deletes the company read at `version`, with everything in it.
    pub async fn delete(&self, version: i64) -> Result<()> {
        self.inner.delete(version).await
    }
}

// ---------------------------------------------------------------------------------------------
// Plans, billing, events

/// The billing plans.
#[derive(Debug, uniffi::Object)]
pub struct Plans {
    inner: flame_db::Plans,
}

#[uniffi::export(async_runtime = "tokio")]
impl Plans {
    /// Every plan.
    pub async fn list(&self) -> Result<Vec<Plan>> {
        Ok(list(self.inner.list().await?))
    }

    /// The public plans.
    pub async fn list_public(&self) -> Result<Vec<Plan>> {
        Ok(list(self.inner.list_public().await?))
    }

    /// One plan.
    pub async fn get(&self, id: String) -> Result<Plan> {
        self.inner.get(plan_id("id", &id)?).await
    }

    /// Creates a plan.
    pub async fn create(&self, input: NewPlan) -> Result<Plan> {
        self.inner.create(input).await
    }

    /// Makes a plan the default for new companies.
    pub async fn set_default(&self, id: String) -> Result<Plan> {
        self.inner.set_default(plan_id("id", &id)?).await
    }
}

/// The company's subscription.
#[derive(Debug, uniffi::Object)]
pub struct Billing {
    inner: flame_db::Billing,
}

#[uniffi::export(async_runtime = "tokio")]
impl Billing {
    /// The current subscription.
    pub async fn subscription(&self) -> Result<Subscription> {
        self.inner.subscription().await
    }

    /// The plan subscribed to.
    pub async fn plan(&self) -> Result<Plan> {
        self.inner.plan().await
    }

    /// What the company uses of each limited thing.
    pub async fn usage(&self) -> Result<crate::accounts::Usage> {
        self.inner.usage().await
    }

    /// The payments recorded, newest first.
    pub async fn payments(&self) -> Result<Vec<crate::accounts::Payment>> {
        Ok(list(self.inner.payments().await?))
    }

    /// Moves to another plan; refused while usage exceeds its limits. Owners only.
    pub async fn change_plan(&self, plan_id: String, version: i64) -> Result<Subscription> {
        let plan = crate::types::plan_id("plan_id", &plan_id)?;
        self.inner.change_plan(plan, version).await
    }

    /// Cancels the subscription: the company becomes read-only. Owners only.
    pub async fn cancel(&self, version: i64) -> Result<Subscription> {
        self.inner.cancel(version).await
    }
}

/// The company's domain events, as written to the outbox.
#[derive(Debug, uniffi::Object)]
pub struct Events {
    inner: flame_db::Events,
}

#[uniffi::export(async_runtime = "tokio")]
impl Events {
    /// Events, oldest first, a page at a time.
    #[uniffi::method(default(page))]
    pub async fn list(&self, page: PageRequest) -> Result<EventPage> {
        Ok(self.inner.list(page).await?.into())
    }
}

// ---------------------------------------------------------------------------------------------
// What a phone's build leaves out (`--no-default-features`): its bindings lack these methods.

#[cfg(feature = "webhooks")]
#[uniffi::export]
impl Flame {
    /// The outgoing-webhook delivery worker of this store (the `webhooks` feature).
    #[uniffi::method(default(options))]
    pub fn webhook_worker(
        &self,
        options: crate::marketing::WebhookOptions,
    ) -> Result<Arc<crate::marketing::WebhookWorker>> {
        let worker = self.inner.webhook_worker(options.try_into()?)?;
        Ok(Arc::new(crate::marketing::WebhookWorker {
            inner: worker,
            running: std::sync::Mutex::new(None),
        }))
    }
}

/// The CSV text an export wrote into memory (always UTF-8: every cell is a record's text).
#[cfg(feature = "csv")]
fn csv_text(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| flame_db::core::FlameError::storage("an export wrote text that is not UTF-8"))
}

#[cfg(feature = "csv")]
#[uniffi::export(async_runtime = "tokio")]
impl Contacts {
    /// Imports contacts from CSV bytes (UTF-8, header `first_name,last_name,email,phone,
    /// phone_region,organization,owner,tags,custom.<key>` in any order and case; only
    /// `first_name` required); bad lines are reported, good ones imported in batches (the
    /// `csv` feature).
    pub async fn import_csv(&self, csv: Vec<u8>) -> Result<ImportReport> {
        self.inner.import_csv(std::io::Cursor::new(csv)).await
    }

    /// Imports contacts from a CSV file, streamed (memory stays bounded whatever its size).
    /// A file that cannot be opened is a `Validation` error on `path`.
    pub async fn import_csv_file(&self, path: String) -> Result<ImportReport> {
        self.inner.import_csv_file(path).await
    }

    /// The contacts matching `filter` as CSV text, in the columns `importCsv` reads (tags,
    /// a `custom.<key>` column per custom field): what it returns imports back as it was.
    /// The whole text is held in memory; for many contacts use `exportCsvFile`.
    #[uniffi::method(default(filter))]
    pub async fn export_csv(&self, filter: ContactFilter) -> Result<String> {
        let mut out = Vec::new();
        self.inner.export_csv(filter.try_into()?, &mut out).await?;
        csv_text(out)
    }

    /// Writes the contacts matching `filter` to the CSV file at `path` (created or
    /// truncated), streamed a page at a time; returns how many were written. A path that
    /// cannot be opened for writing is a `Validation` error on `path`.
    #[uniffi::method(default(filter))]
    pub async fn export_csv_file(&self, path: String, filter: ContactFilter) -> Result<u64> {
        self.inner.export_csv_file(filter.try_into()?, path).await
    }
}

#[cfg(feature = "csv")]
#[uniffi::export(async_runtime = "tokio")]
impl Organizations {
    /// Imports organizations from CSV bytes (UTF-8, header `name,domain,phone,phone_region,
    /// street,city,region,postal_code,country,website,industry,size,owner,tags,custom.<key>`
    /// in any order and case; only `name` required); bad lines are reported with the column
    /// at fault (a domain already taken is rejected on `domain`), good ones imported in
    /// batches.
    pub async fn import_csv(&self, csv: Vec<u8>) -> Result<ImportReport> {
        self.inner.import_csv(std::io::Cursor::new(csv)).await
    }

    /// Imports organizations from a CSV file, streamed. A file that cannot be opened is a
    /// `Validation` error on `path`.
    pub async fn import_csv_file(&self, path: String) -> Result<ImportReport> {
        self.inner.import_csv_file(path).await
    }

    /// The organizations matching `filter` as CSV text, in the columns `importCsv` reads.
    #[uniffi::method(default(filter))]
    pub async fn export_csv(&self, filter: OrganizationFilter) -> Result<String> {
        let mut out = Vec::new();
        self.inner.export_csv(filter.try_into()?, &mut out).await?;
        csv_text(out)
    }

    /// Writes the organizations matching `filter` to the CSV file at `path`, streamed;
    /// returns how many were written. A path that cannot be opened for writing is a
    /// `Validation` error on `path`.
    #[uniffi::method(default(filter))]
    pub async fn export_csv_file(&self, path: String, filter: OrganizationFilter) -> Result<u64> {
        self.inner.export_csv_file(filter.try_into()?, path).await
    }
}

#[cfg(feature = "csv")]
#[uniffi::export(async_runtime = "tokio")]
impl Deals {
    /// Imports deals from CSV bytes (UTF-8, header `title,amount,currency,pipeline,stage,
    /// status,lost_reason,contact,organization,source,assignee,expected_close,tags,
    /// custom.<key>` in any order and case; `title` and `currency` required). Each deal lands
    /// in the stage its row names, won or lost there (a lost one needs its `lost_reason`);
    /// pipeline, stage and source by name, assignee by member email, contact by email or
    /// full name, organization by domain or name. Bad lines are reported with the column at
    /// fault.
    pub async fn import_csv(&self, csv: Vec<u8>) -> Result<ImportReport> {
        self.inner.import_csv(std::io::Cursor::new(csv)).await
    }

    /// Imports deals from a CSV file, streamed. A file that cannot be opened is a
    /// `Validation` error on `path`.
    pub async fn import_csv_file(&self, path: String) -> Result<ImportReport> {
        self.inner.import_csv_file(path).await
    }

    /// The deals matching `filter` as CSV text, in the columns `importCsv` reads.
    #[uniffi::method(default(filter))]
    pub async fn export_csv(&self, filter: DealFilter) -> Result<String> {
        let mut out = Vec::new();
        self.inner.export_csv(filter.try_into()?, &mut out).await?;
        csv_text(out)
    }

    /// Writes the deals matching `filter` to the CSV file at `path`, streamed; returns how
    /// many were written. A path that cannot be opened for writing is a `Validation` error
    /// on `path`.
    #[uniffi::method(default(filter))]
    pub async fn export_csv_file(&self, path: String, filter: DealFilter) -> Result<u64> {
        self.inner.export_csv_file(filter.try_into()?, path).await
    }
}
