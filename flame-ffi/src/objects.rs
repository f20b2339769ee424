//! The objects of the uniffi surface: `Flame`, `Session`, and one object per aggregate, each
//! wrapping its flame-db namesake. Every method is a conversion and a call.

use std::sync::Arc;
use std::time::SystemTime;

use crate::error::Result;
use crate::types::*;

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
    /// trial subscription, with a session of the owner.
    pub async fn sign_up(&self, input: SignUp) -> Result<SignedUp> {
        let s = self.inner.sign_up(input.into()).await?;
        Ok(SignedUp {
            company: s.company.into(),
            owner: s.owner.into(),
            session: Arc::new(Session::new(s.session)),
        })
    }

    /// A session for an active member of a company; anyone else gets `Unauthenticated`.
    pub async fn session(&self, user_id: String, company_id: String) -> Result<Arc<Session>> {
        let user = crate::types::user_id("user_id", &user_id)?;
        let company = crate::types::company_id("company_id", &company_id)?;
        Ok(Arc::new(Session::new(self.inner.session(user, company).await?)))
    }

    /// Resumes a session a host kept; `Unauthenticated` when it expired or the member changed.
    pub async fn resume(&self, principal: Principal) -> Result<Arc<Session>> {
        Ok(Arc::new(Session::new(self.inner.resume(principal.try_into()?).await?)))
    }

    /// Backend, reachability, round trip, schema version, encryption and row counts.
    pub async fn health(&self) -> Health {
        self.inner.health().await.into()
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

    /// Closes every connection; later calls fail with `Storage`. (Rust's `Flame::close`;
    /// renamed because Kotlin's `AutoCloseable.close()` releases the handle itself.)
    pub async fn close_store(&self) {
        self.inner.close().await;
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
    fn new(inner: flame_db::Session) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl Session {
    /// Who, where, with which role, until when.
    pub fn principal(&self) -> Principal {
        self.inner.principal().into()
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
        self.inner.role().into()
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

    /// Pipelines and their stages.
    pub fn pipelines(&self) -> Arc<Pipelines> {
        Arc::new(Pipelines { inner: self.inner.pipelines() })
    }

    /// Lead sources.
    pub fn sources(&self) -> Arc<Sources> {
        Arc::new(Sources { inner: self.inner.sources() })
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
    inner: flame_db::Contacts,
}

#[uniffi::export(async_runtime = "tokio")]
impl Contacts {
    /// Creates a contact.
    pub async fn create(&self, input: NewContact) -> Result<Contact> {
        Ok(self.inner.create(input.try_into()?).await?.into())
    }

    /// One contact.
    pub async fn get(&self, id: String) -> Result<Contact> {
        Ok(self.inner.get(contact_id("id", &id)?).await?.into())
    }

    /// Applies `patch` to the contact read at `version`.
    pub async fn update(&self, id: String, version: i64, patch: ContactPatch) -> Result<Contact> {
        Ok(self.inner.update(contact_id("id", &id)?, version, patch.try_into()?).await?.into())
    }

    /// Deletes the contact read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        Ok(self.inner.delete(contact_id("id", &id)?, version).await?)
    }

    /// Contacts matching `filter`, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(&self, filter: ContactFilter, page: PageRequest) -> Result<ContactPage> {
        Ok(self.inner.list(filter.try_into()?, page.into()).await?.into())
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
        Ok(self.inner.create(input.try_into()?).await?.into())
    }

    /// One deal.
    pub async fn get(&self, id: String) -> Result<Deal> {
        Ok(self.inner.get(deal_id("id", &id)?).await?.into())
    }

    /// Applies `patch` to the deal read at `version`.
    pub async fn update(&self, id: String, version: i64, patch: DealPatch) -> Result<Deal> {
        Ok(self.inner.update(deal_id("id", &id)?, version, patch.try_into()?).await?.into())
    }

    /// Deletes the deal read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        Ok(self.inner.delete(deal_id("id", &id)?, version).await?)
    }

    /// Moves the deal to another stage of its pipeline.
    pub async fn move_to_stage(&self, id: String, stage_id: String, version: i64) -> Result<Deal> {
        let stage = crate::types::stage_id("stage_id", &stage_id)?;
        Ok(self.inner.move_to_stage(deal_id("id", &id)?, stage, version).await?.into())
    }

    /// Wins an open deal.
    pub async fn win(&self, id: String, version: i64) -> Result<Deal> {
        Ok(self.inner.win(deal_id("id", &id)?, version).await?.into())
    }

    /// Loses an open deal, with the reason.
    pub async fn lose(&self, id: String, reason: String, version: i64) -> Result<Deal> {
        Ok(self.inner.lose(deal_id("id", &id)?, &reason, version).await?.into())
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
        Ok(self.inner.lose_in_stage(deal_id("id", &id)?, stage, &reason, version).await?.into())
    }

    /// Reopens a won or lost deal into an open stage.
    pub async fn reopen(&self, id: String, stage_id: String, version: i64) -> Result<Deal> {
        let stage = crate::types::stage_id("stage_id", &stage_id)?;
        Ok(self.inner.reopen(deal_id("id", &id)?, stage, version).await?.into())
    }

    /// Deals matching `filter`, newest first, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(&self, filter: DealFilter, page: PageRequest) -> Result<DealPage> {
        Ok(self.inner.list(filter.try_into()?, page.into()).await?.into())
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
        let (pipeline, stages) = self.inner.create(input.into()).await?;
        Ok(PipelineWithStages { pipeline: pipeline.into(), stages: list(stages) })
    }

    /// One pipeline.
    pub async fn get(&self, id: String) -> Result<Pipeline> {
        Ok(self.inner.get(pipeline_id("id", &id)?).await?.into())
    }

    /// The company's default pipeline.
    pub async fn default_pipeline(&self) -> Result<Pipeline> {
        Ok(self.inner.default_pipeline().await?.into())
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
        Ok(self.inner.stage(stage_id("id", &id)?).await?.into())
    }

    /// Renames the pipeline read at `version`.
    pub async fn rename(&self, id: String, name: String, version: i64) -> Result<Pipeline> {
        Ok(self.inner.rename(pipeline_id("id", &id)?, &name, version).await?.into())
    }

    /// Deletes the pipeline read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        Ok(self.inner.delete(pipeline_id("id", &id)?, version).await?)
    }

    /// Adds a stage to a pipeline.
    pub async fn add_stage(&self, pipeline_id: String, input: NewStage) -> Result<Stage> {
        let pipeline = crate::types::pipeline_id("pipeline_id", &pipeline_id)?;
        Ok(self.inner.add_stage(pipeline, input.into()).await?.into())
    }

    /// Renames a stage or changes its probability.
    pub async fn update_stage(&self, id: String, patch: StagePatch, version: i64) -> Result<Stage> {
        Ok(self.inner.update_stage(stage_id("id", &id)?, patch.into(), version).await?.into())
    }

    /// Removes the stage read at `version`.
    pub async fn remove_stage(&self, id: String, version: i64) -> Result<()> {
        Ok(self.inner.remove_stage(stage_id("id", &id)?, version).await?)
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
        Ok(self.inner.create(&name).await?.into())
    }

    /// One source.
    pub async fn get(&self, id: String) -> Result<Source> {
        Ok(self.inner.get(source_id("id", &id)?).await?.into())
    }

    /// All sources.
    pub async fn list(&self) -> Result<Vec<Source>> {
        Ok(list(self.inner.list().await?))
    }

    /// Renames the source read at `version`.
    pub async fn rename(&self, id: String, name: String, version: i64) -> Result<Source> {
        Ok(self.inner.rename(source_id("id", &id)?, &name, version).await?.into())
    }

    /// Deletes the source read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        Ok(self.inner.delete(source_id("id", &id)?, version).await?)
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
        Ok(self.inner.create(input.try_into()?).await?.into())
    }

    /// One activity.
    pub async fn get(&self, id: String) -> Result<Activity> {
        Ok(self.inner.get(activity_id("id", &id)?).await?.into())
    }

    /// Applies `patch` to the activity read at `version`.
    pub async fn update(&self, id: String, version: i64, patch: ActivityPatch) -> Result<Activity> {
        Ok(self.inner.update(activity_id("id", &id)?, version, patch.into()).await?.into())
    }

    /// Marks the task read at `version` done.
    pub async fn complete(&self, id: String, version: i64) -> Result<Activity> {
        Ok(self.inner.complete(activity_id("id", &id)?, version).await?.into())
    }

    /// Deletes the activity read at `version`.
    pub async fn delete(&self, id: String, version: i64) -> Result<()> {
        Ok(self.inner.delete(activity_id("id", &id)?, version).await?)
    }

    /// Activities matching `filter`, newest first, a page at a time.
    #[uniffi::method(default(filter), default(page))]
    pub async fn list(&self, filter: ActivityFilter, page: PageRequest) -> Result<ActivityPage> {
        Ok(self.inner.list(filter.try_into()?, page.into()).await?.into())
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
    /// Adds a user to the company with a role, creating the user if the email is new.
    pub async fn add(&self, input: NewMember) -> Result<Member> {
        Ok(self.inner.add(input.into()).await?.into())
    }

    /// One member.
    pub async fn get(&self, user_id: String) -> Result<Member> {
        Ok(self.inner.get(crate::types::user_id("user_id", &user_id)?).await?.into())
    }

    /// The members, a page at a time.
    #[uniffi::method(default(page))]
    pub async fn list(&self, page: PageRequest) -> Result<MemberPage> {
        Ok(self.inner.list(page.into()).await?.into())
    }

    /// Changes a member's role.
    pub async fn change_role(
        &self,
        user_id: String,
        role: Role,
        version: i64,
    ) -> Result<Membership> {
        let user = crate::types::user_id("user_id", &user_id)?;
        Ok(self.inner.change_role(user, role.into(), version).await?.into())
    }

    /// Removes a member from the company.
    pub async fn remove(&self, user_id: String) -> Result<()> {
        Ok(self.inner.remove(crate::types::user_id("user_id", &user_id)?).await?)
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
        Ok(self.inner.get().await?.into())
    }

    /// Renames the company read at `version`.
    pub async fn rename(&self, name: String, version: i64) -> Result<Company> {
        Ok(self.inner.rename(&name, version).await?.into())
    }

    /// Deletes the company read at `version`, with everything in it.
    pub async fn delete(&self, version: i64) -> Result<()> {
        Ok(self.inner.delete(version).await?)
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
        Ok(self.inner.get(plan_id("id", &id)?).await?.into())
    }

    /// Creates a plan.
    pub async fn create(&self, input: NewPlan) -> Result<Plan> {
        Ok(self.inner.create(input.into()).await?.into())
    }

    /// Makes a plan the default for new companies.
    pub async fn set_default(&self, id: String) -> Result<Plan> {
        Ok(self.inner.set_default(plan_id("id", &id)?).await?.into())
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
        Ok(self.inner.subscription().await?.into())
    }

    /// The plan subscribed to.
    pub async fn plan(&self) -> Result<Plan> {
        Ok(self.inner.plan().await?.into())
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
        Ok(self.inner.list(page.into()).await?.into())
    }
}
