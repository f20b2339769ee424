//! Pipelines and their stages, and the pipeline summary.

use std::collections::BTreeMap;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::deal::StageSummary;
use flame_core::event::EventPayload;
use flame_core::money::{Currency, Money};
use flame_core::pipeline::{self as rules, NewPipeline, NewStage, Pipeline, Stage, StagePatch};
use flame_core::{FlameError, PipelineId, Result, StageId};

use crate::sql::{Arg, Executor, Row, Tx, args};
use crate::{Session, outbox, usage};

fn pipeline_from_row(row: &Row) -> Result<Pipeline> {
    Ok(Pipeline {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        name: row.get("name")?,
        position: row.int32("position")?,
        is_default: row.get("is_default")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

pub(crate) fn stage_from_row(row: &Row) -> Result<Stage> {
    Ok(Stage {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        pipeline_id: row.id("pipeline_id")?,
        name: row.get("name")?,
        position: row.int32("position")?,
        kind: row.parse("kind")?,
        probability: u8::try_from(row.int32("probability")?)
            .map_err(|_| crate::sql::corrupt("probability"))?,
        version: row.int("version")?,
    })
}

const PIPELINE_COLUMNS: &str = "SELECT company_id, id, name, position, is_default, created_at, updated_at, version FROM pipelines";
const STAGE_COLUMNS: &str =
    "SELECT company_id, id, pipeline_id, name, position, kind, probability, version FROM stages";

/// Inserts a pipeline and its stages (the stages in one statement).
pub(crate) async fn insert(tx: &mut Tx, p: &Pipeline, stages: &[Stage]) -> Result<()> {
    tx.execute(
        "INSERT INTO pipelines (company_id, id, name, name_key, position, is_default, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            p.company_id.as_uuid(),
            p.id.as_uuid(),
            p.name.clone(),
            p.name.to_lowercase(),
            p.position,
            p.is_default,
            p.created_at,
            p.updated_at,
            p.version,
        ],
    )
    .await?;
    insert_stages(tx, stages).await
}

async fn insert_stages(tx: &mut Tx, stages: &[Stage]) -> Result<()> {
    if stages.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO stages (company_id, id, pipeline_id, name, position, kind, probability, version) VALUES ",
    );
    let mut values: Vec<Arg> = Vec::with_capacity(stages.len() * 8);
    for (i, s) in stages.iter().enumerate() {
        let b = i * 8;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8
        ));
        values.extend(args![
            s.company_id.as_uuid(),
            s.id.as_uuid(),
            s.pipeline_id.as_uuid(),
            s.name.clone(),
            s.position,
            s.kind.as_str(),
            i64::from(s.probability),
            s.version,
        ]);
    }
    tx.execute(sql, values).await?;
    Ok(())
}

/// The stages of a pipeline of the session's company, in order.
pub(crate) async fn stages_of(
    exec: &mut impl Executor,
    session: &Session,
    pipeline: PipelineId,
) -> Result<Vec<Stage>> {
    stages_in(exec, session.company_id(), pipeline).await
}

/// The stages of a pipeline of `company`, in order (for host-driven writes without a session).
pub(crate) async fn stages_in(
    exec: &mut impl Executor,
    company: flame_core::CompanyId,
    pipeline: PipelineId,
) -> Result<Vec<Stage>> {
    let sql =
        format!("{STAGE_COLUMNS} WHERE company_id = $1 AND pipeline_id = $2 ORDER BY position");
    let rows = exec.fetch_all(sql, args![company.as_uuid(), pipeline.as_uuid()]).await?;
    rows.iter().map(stage_from_row).collect()
}

/// Every pipeline of the session's company, in order, and every stage of them, in order.
pub(crate) async fn all(
    exec: &mut impl Executor,
    session: &Session,
) -> Result<(Vec<Pipeline>, Vec<Stage>)> {
    let sql = format!("{PIPELINE_COLUMNS} WHERE company_id = $1 ORDER BY position, id");
    let rows = exec.fetch_all(sql, args![session.tenant()]).await?;
    let pipelines = rows.iter().map(pipeline_from_row).collect::<Result<Vec<_>>>()?;
    let sql = format!("{STAGE_COLUMNS} WHERE company_id = $1 ORDER BY pipeline_id, position");
    let rows = exec.fetch_all(sql, args![session.tenant()]).await?;
    let stages = rows.iter().map(stage_from_row).collect::<Result<Vec<_>>>()?;
    Ok((pipelines, stages))
}

/// One stage of the session's company, or `None`.
pub(crate) async fn find_stage(
    exec: &mut impl Executor,
    session: &Session,
    id: StageId,
) -> Result<Option<Stage>> {
    let sql = format!("{STAGE_COLUMNS} WHERE company_id = $1 AND id = $2");
    let row = exec.fetch_optional(sql, args![session.tenant(), id.as_uuid()]).await?;
    row.as_ref().map(stage_from_row).transpose()
}

/// The pipeline `id`, or the company's default pipeline; `None` if there is no such pipeline.
pub(crate) async fn find(
    exec: &mut impl Executor,
    session: &Session,
    id: Option<PipelineId>,
) -> Result<Option<Pipeline>> {
    let row = match id {
        Some(id) => {
            let sql = format!("{PIPELINE_COLUMNS} WHERE company_id = $1 AND id = $2");
            exec.fetch_optional(sql, args![session.tenant(), id.as_uuid()]).await?
        }
        None => {
            let sql = format!("{PIPELINE_COLUMNS} WHERE company_id = $1 AND is_default = $2");
            exec.fetch_optional(sql, args![session.tenant(), true]).await?
        }
    };
    row.as_ref().map(pipeline_from_row).transpose()
}

/// The company's pipelines and their stages. Everyone reads them; admins and owners
/// change them.
#[derive(Debug, Clone)]
pub struct Pipelines {
    session: Session,
}

impl Pipelines {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Creates a pipeline with its stages.
    pub async fn create(&self, input: NewPipeline) -> Result<(Pipeline, Vec<Stage>)> {
        let now = self.session.authorize(Action::Create, Resource::Pipeline).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, Resource::Pipeline)?;
        let row = tx
            .fetch_one(
                "SELECT COUNT(*) AS n, CAST(COALESCE(MAX(position) + 1, 0) AS BIGINT) AS next FROM pipelines WHERE company_id = $1",
                args![self.session.tenant()],
            )
            .await?;
        let position = i32::try_from(row.int("next")?).unwrap_or(i32::MAX);
        let is_default = row.int("n")? == 0;
        let (pipeline, stages) =
            input.build(self.session.company_id(), position, is_default, now)?;
        self.ensure_name_free(&mut tx, &pipeline.name, None).await?;
        usage::reserve(&mut tx, self.session.company_id(), Limit::Pipelines, 1).await?;
        insert(&mut tx, &pipeline, &stages).await?;
        outbox::record(
            &mut tx,
            pipeline.company_id,
            Some(self.session.user_id()),
            now,
            vec![EventPayload::PipelineCreated { pipeline_id: pipeline.id }],
        )
        .await?;
        tx.commit().await?;
        Ok((pipeline, stages))
    }

    async fn ensure_name_free(
        &self,
        tx: &mut Tx,
        name: &str,
        except: Option<PipelineId>,
    ) -> Result<()> {
        let clash = tx
            .fetch_optional(
                "SELECT id FROM pipelines WHERE company_id = $1 AND name_key = $2",
                args![self.session.tenant(), name.to_lowercase()],
            )
            .await?;
        match clash {
            Some(row) if Some(row.id::<PipelineId>("id")?) != except => {
                Err(FlameError::conflict("pipeline", "a pipeline with this name already exists"))
            }
            _ => Ok(()),
        }
    }

    /// One pipeline.
    pub async fn get(&self, id: PipelineId) -> Result<Pipeline> {
        self.session.authorize(Action::Read, Resource::Pipeline).await?;
        find(&mut self.session.flame().pool().exec(), &self.session, Some(id))
            .await?
            .ok_or_else(|| FlameError::not_found("pipeline"))
    }

    /// The company's default pipeline, where deals go when none is named.
    pub async fn default_pipeline(&self) -> Result<Pipeline> {
        self.session.authorize(Action::Read, Resource::Pipeline).await?;
        find(&mut self.session.flame().pool().exec(), &self.session, None)
            .await?
            .ok_or_else(|| FlameError::not_found("pipeline"))
    }

    /// Every pipeline of the company, in order.
    pub async fn list(&self) -> Result<Vec<Pipeline>> {
        self.session.authorize(Action::Read, Resource::Pipeline).await?;
        let sql = format!("{PIPELINE_COLUMNS} WHERE company_id = $1 ORDER BY position, id");
        let rows =
            self.session.flame().pool().exec().fetch_all(sql, args![self.session.tenant()]).await?;
        rows.iter().map(pipeline_from_row).collect()
    }

    /// The stages of a pipeline, in order.
    pub async fn stages(&self, id: PipelineId) -> Result<Vec<Stage>> {
        let pipeline = self.get(id).await?;
        stages_of(&mut self.session.flame().pool().exec(), &self.session, pipeline.id).await
    }

    /// One stage.
    pub async fn stage(&self, id: StageId) -> Result<Stage> {
        self.session.authorize(Action::Read, Resource::Pipeline).await?;
        find_stage(&mut self.session.flame().pool().exec(), &self.session, id)
            .await?
            .ok_or_else(|| FlameError::not_found("stage"))
    }

    /// Renames a pipeline.
    pub async fn rename(&self, id: PipelineId, name: &str, version: i64) -> Result<Pipeline> {
        let now = self.session.authorize(Action::Update, Resource::Pipeline).await?;
        let name = flame_core::text::required("name", name, flame_core::text::NAME_MAX)?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Update, Resource::Pipeline)?;
        let current = find(&mut tx, &self.session, Some(id))
            .await?
            .ok_or_else(|| FlameError::not_found("pipeline"))?;
        if current.version != version {
            return Err(FlameError::stale("pipeline"));
        }
        self.ensure_name_free(&mut tx, &name, Some(id)).await?;
        let changed = tx
            .execute(
                "UPDATE pipelines SET name = $1, name_key = $2, updated_at = $3, version = version + 1
                 WHERE company_id = $4 AND id = $5 AND version = $6",
                args![name.clone(), name.to_lowercase(), now, self.session.tenant(), id.as_uuid(), version],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("pipeline"));
        }
        tx.commit().await?;
        Ok(Pipeline { name, updated_at: now, version: version + 1, ..current })
    }

    /// Deletes a pipeline with its stages. The default pipeline and pipelines that still
    /// hold deals cannot be deleted (`Conflict`).
    pub async fn delete(&self, id: PipelineId, version: i64) -> Result<()> {
        self.session.authorize(Action::Delete, Resource::Pipeline).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Delete, Resource::Pipeline)?;
        let current = find(&mut tx, &self.session, Some(id))
            .await?
            .ok_or_else(|| FlameError::not_found("pipeline"))?;
        if current.version != version {
            return Err(FlameError::stale("pipeline"));
        }
        if current.is_default {
            return Err(FlameError::conflict("pipeline", "the default pipeline cannot be deleted"));
        }
        let c = self.session.tenant();
        let deals = tx
            .fetch_one(
                "SELECT COUNT(*) AS n FROM deals WHERE company_id = $1 AND pipeline_id = $2",
                args![c, id.as_uuid()],
            )
            .await?
            .int("n")?;
        if deals > 0 {
            return Err(FlameError::conflict("pipeline", "the pipeline still holds deals"));
        }
        tx.execute(
            "DELETE FROM stages WHERE company_id = $1 AND pipeline_id = $2",
            args![c, id.as_uuid()],
        )
        .await?;
        tx.execute(
            "DELETE FROM pipelines WHERE company_id = $1 AND id = $2",
            args![c, id.as_uuid()],
        )
        .await?;
        usage::release(&mut tx, self.session.company_id(), Limit::Pipelines, 1).await?;
        tx.commit().await
    }

    /// Adds a stage at the end of a pipeline.
    pub async fn add_stage(&self, pipeline_id: PipelineId, input: NewStage) -> Result<Stage> {
        self.session.authorize(Action::Update, Resource::Pipeline).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Update, Resource::Pipeline)?;
        find(&mut tx, &self.session, Some(pipeline_id))
            .await?
            .ok_or_else(|| FlameError::not_found("pipeline"))?;
        let existing = stages_of(&mut tx, &self.session, pipeline_id).await?;
        if existing.len() >= rules::MAX_STAGES {
            return Err(FlameError::validation(
                "stages",
                format!("must be at most {}", rules::MAX_STAGES),
            ));
        }
        let position = existing.iter().map(|s| s.position + 1).max().unwrap_or(0);
        let stage = input.build(self.session.company_id(), pipeline_id, position)?;
        if existing.iter().any(|s| s.name.to_lowercase() == stage.name.to_lowercase()) {
            return Err(FlameError::validation(
                "name",
                "is already the name of a stage of this pipeline",
            ));
        }
        insert_stages(&mut tx, std::slice::from_ref(&stage)).await?;
        tx.commit().await?;
        Ok(stage)
    }

    /// Renames a stage or changes its probability.
    pub async fn update_stage(
        &self,
        id: StageId,
        patch: StagePatch,
        version: i64,
    ) -> Result<Stage> {
        self.session.authorize(Action::Update, Resource::Pipeline).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Update, Resource::Pipeline)?;
        let current = find_stage(&mut tx, &self.session, id)
            .await?
            .ok_or_else(|| FlameError::not_found("stage"))?;
        if current.version != version {
            return Err(FlameError::stale("stage"));
        }
        let next = current.patched(&patch)?;
        let siblings = stages_of(&mut tx, &self.session, current.pipeline_id).await?;
        if siblings.iter().any(|s| s.id != id && s.name.to_lowercase() == next.name.to_lowercase())
        {
            return Err(FlameError::validation(
                "name",
                "is already the name of a stage of this pipeline",
            ));
        }
        let changed = tx
            .execute(
                "UPDATE stages SET name = $1, probability = $2, version = $3
                 WHERE company_id = $4 AND id = $5 AND version = $6",
                args![
                    next.name.clone(),
                    i64::from(next.probability),
                    next.version,
                    self.session.tenant(),
                    id.as_uuid(),
                    version
                ],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("stage"));
        }
        tx.commit().await?;
        Ok(next)
    }

    /// Removes a stage that holds no deals, keeping at least one open, won and lost stage.
    pub async fn remove_stage(&self, id: StageId, version: i64) -> Result<()> {
        self.session.authorize(Action::Update, Resource::Pipeline).await?;
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Update, Resource::Pipeline)?;
        let current = find_stage(&mut tx, &self.session, id)
            .await?
            .ok_or_else(|| FlameError::not_found("stage"))?;
        if current.version != version {
            return Err(FlameError::stale("stage"));
        }
        let siblings = stages_of(&mut tx, &self.session, current.pipeline_id).await?;
        rules::ensure_removable(&siblings, &current)?;
        let c = self.session.tenant();
        let deals = tx
            .fetch_one(
                "SELECT COUNT(*) AS n FROM deals WHERE company_id = $1 AND stage_id = $2",
                args![c, id.as_uuid()],
            )
            .await?
            .int("n")?;
        if deals > 0 {
            return Err(FlameError::conflict("stage", "the stage still holds deals"));
        }
        tx.execute("DELETE FROM stages WHERE company_id = $1 AND id = $2", args![c, id.as_uuid()])
            .await?;
        tx.commit().await
    }

    /// Count and total value of the deals in each stage of a pipeline, in stage order
    /// (one total per currency).
    pub async fn summary(&self, id: PipelineId) -> Result<Vec<StageSummary>> {
        let stages = self.stages(id).await?;
        let rows = self
            .session
            .flame()
            .pool()
            .exec()
            .fetch_all(
                "SELECT stage_id, currency, COUNT(*) AS n,
                        CAST(SUM(amount_minor / 1000000000) AS BIGINT) AS total_high,
                        CAST(SUM(amount_minor % 1000000000) AS BIGINT) AS total_low FROM deals
                 WHERE company_id = $1 AND pipeline_id = $2 GROUP BY stage_id, currency",
                args![self.session.tenant(), id.as_uuid()],
            )
            .await?;
        let mut per_stage: BTreeMap<StageId, (u64, Vec<Money>)> = BTreeMap::new();
        for row in &rows {
            let stage: StageId = row.id("stage_id")?;
            let currency: Currency = row.parse("currency")?;
            let total =
                Money::from_total(split_sum(row, "total")?, currency).map_err(|e| e.at("total"))?;
            let entry = per_stage.entry(stage).or_default();
            entry.0 += u64::try_from(row.int("n")?).unwrap_or(0);
            entry.1.push(total);
        }
        Ok(stages
            .into_iter()
            .map(|stage| {
                let (deal_count, mut totals) = per_stage.remove(&stage.id).unwrap_or_default();
                totals.sort_by_key(|m| m.currency().code());
                StageSummary { stage, deal_count, totals }
            })
            .collect())
    }
}

/// The exact sum of a column selected as `SUM(col / 1000000000) AS {name}_high` and
/// `SUM(col % 1000000000) AS {name}_low`: each part fits in `i64` for any number of bounded
/// amounts on both engines, and they are combined in `i128`, so a sum never overflows in SQL.
pub(crate) fn split_sum(row: &Row, name: &str) -> Result<i128> {
    let high = i128::from(row.int(&format!("{name}_high"))?);
    let low = i128::from(row.int(&format!("{name}_low"))?);
    Ok(high * 1_000_000_000 + low)
}
