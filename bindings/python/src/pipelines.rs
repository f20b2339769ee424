//! `session.pipelines`: pipelines and their stages. Each method is a conversion and a call of the
//! matching `flame-db` method.

use pyo3::prelude::*;

use flame_core::pipeline::{NewPipeline, NewStage as RNewStage, StageKind, StagePatch};
use flame_core::{PipelineId, StageId};
use uuid::Uuid;

use crate::convert::parse;
use crate::records::{NewStage, Pipeline, Stage, StageSummary};
use crate::runtime::run;

/// Pipelines and their stages (`session.pipelines`).
#[pyclass(frozen, module = "flame", name = "Pipelines")]
pub(crate) struct Pipelines {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Pipelines {
    /// Creates a pipeline with its stages, in order (at least one open, one won and one lost
    /// stage). Returns the pipeline and its stages.
    fn create(
        &self,
        py: Python<'_>,
        name: String,
        stages: Vec<PyRef<'_, NewStage>>,
    ) -> PyResult<(Pipeline, Vec<Stage>)> {
        let input = NewPipeline { name, stages: stages.iter().map(|s| s.0.clone()).collect() };
        let api = self.session.pipelines();
        let (pipeline, stages) = run(py, async move { api.create(input).await })?;
        Ok((Pipeline(pipeline), stages.into_iter().map(Stage).collect()))
    }

    /// One pipeline.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Pipeline> {
        let api = self.session.pipelines();
        run(py, async move { api.get(PipelineId::from_uuid(id)).await }).map(Pipeline)
    }

    /// The company's default pipeline.
    fn default(&self, py: Python<'_>) -> PyResult<Pipeline> {
        let api = self.session.pipelines();
        run(py, async move { api.default_pipeline().await }).map(Pipeline)
    }

    /// Every pipeline of the company, in order.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<Pipeline>> {
        let api = self.session.pipelines();
        Ok(run(py, async move { api.list().await })?.into_iter().map(Pipeline).collect())
    }

    /// The stages of a pipeline, in order.
    fn stages(&self, py: Python<'_>, id: Uuid) -> PyResult<Vec<Stage>> {
        let api = self.session.pipelines();
        Ok(run(py, async move { api.stages(PipelineId::from_uuid(id)).await })?
            .into_iter()
            .map(Stage)
            .collect())
    }

    /// One stage.
    fn stage(&self, py: Python<'_>, id: Uuid) -> PyResult<Stage> {
        let api = self.session.pipelines();
        run(py, async move { api.stage(StageId::from_uuid(id)).await }).map(Stage)
    }

    /// Renames the pipeline read at `version`.
    fn rename(&self, py: Python<'_>, id: Uuid, name: String, version: i64) -> PyResult<Pipeline> {
        let api = self.session.pipelines();
        run(py, async move { api.rename(PipelineId::from_uuid(id), &name, version).await })
            .map(Pipeline)
    }

    /// Deletes the pipeline read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.pipelines();
        run(py, async move { api.delete(PipelineId::from_uuid(id), version).await })
    }

    /// Adds a stage at the end of a pipeline; `kind` is "open", "won" or "lost".
    #[pyo3(signature = (pipeline_id, name, kind, probability=None))]
    fn add_stage(
        &self,
        py: Python<'_>,
        pipeline_id: Uuid,
        name: String,
        kind: &str,
        probability: Option<u8>,
    ) -> PyResult<Stage> {
        let input = RNewStage { name, kind: parse::<StageKind>(py, kind)?, probability };
        let api = self.session.pipelines();
        run(py, async move { api.add_stage(PipelineId::from_uuid(pipeline_id), input).await })
            .map(Stage)
    }

    /// Renames the stage read at `version` or changes its probability.
    #[pyo3(signature = (id, version, *, name=None, probability=None))]
    fn update_stage(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        name: Option<String>,
        probability: Option<u8>,
    ) -> PyResult<Stage> {
        let patch = StagePatch { name, probability };
        let api = self.session.pipelines();
        run(py, async move { api.update_stage(StageId::from_uuid(id), patch, version).await })
            .map(Stage)
    }

    /// Removes the stage read at `version`.
    fn remove_stage(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.pipelines();
        run(py, async move { api.remove_stage(StageId::from_uuid(id), version).await })
    }

    /// For each stage of the pipeline, the number of deals in it and their total value per
    /// currency.
    fn summary(&self, py: Python<'_>, id: Uuid) -> PyResult<Vec<StageSummary>> {
        let api = self.session.pipelines();
        Ok(run(py, async move { api.summary(PipelineId::from_uuid(id)).await })?
            .into_iter()
            .map(StageSummary)
            .collect())
    }
}
