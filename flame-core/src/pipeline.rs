//! Pipelines and their ordered stages. A deal sits in one stage of one pipeline; the kind
//! of that stage (open, won, lost) decides the deal's status.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{FlameError, Result};
use crate::id::{CompanyId, PipelineId, StageId};
use crate::text;

/// What reaching a stage means for a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// The deal is still being worked on.
    Open,
    /// The deal is won.
    Won,
    /// The deal is lost.
    Lost,
}

impl StageKind {
    /// Every kind.
    pub const ALL: [StageKind; 3] = [Self::Open, Self::Won, Self::Lost];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
        }
    }

    const fn default_probability(self) -> u8 {
        match self {
            StageKind::Open => 10,
            StageKind::Won => 100,
            StageKind::Lost => 0,
        }
    }
}

impl fmt::Display for StageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StageKind {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Self::Open),
            "won" => Ok(Self::Won),
            "lost" => Ok(Self::Lost),
            _ => Err(FlameError::validation("kind", "must be open, won or lost")),
        }
    }
}

/// A sales pipeline of a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Pipeline {
    /// Its id.
    pub id: PipelineId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// Its name, unique in the company.
    pub name: String,
    /// Where it is listed among the company's pipelines.
    pub position: i32,
    /// The pipeline new deals go to when none is named.
    pub is_default: bool,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Stage {
    /// Its id.
    pub id: StageId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// The pipeline it belongs to.
    pub pipeline_id: PipelineId,
    /// Its name.
    pub name: String,
    /// Its place in the pipeline, from 0.
    pub position: i32,
    /// Open, won or lost.
    pub kind: StageKind,
    /// The chance, in percent, that a deal in this stage is won.
    pub probability: u8,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A stage to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewStage {
    /// Its name.
    pub name: String,
    /// Open, won or lost.
    pub kind: StageKind,
    /// Win probability in percent; defaults to 10 for open, 100 for won, 0 for lost stages.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub probability: Option<u8>,
}

impl NewStage {
    /// A stage with the kind's default probability.
    pub fn new(name: impl Into<String>, kind: StageKind) -> Self {
        Self { name: name.into(), kind, probability: None }
    }
}

/// A pipeline to create, with its stages in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewPipeline {
    /// Its name.
    pub name: String,
    /// Its stages, in order: at least one open, one won and one lost stage.
    pub stages: Vec<NewStage>,
}

/// Changes to a stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StagePatch {
    /// New name.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    /// New win probability.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub probability: Option<u8>,
}

/// The most stages a pipeline may have.
pub const MAX_STAGES: usize = 50;

/// The pipeline every company starts with: New → Qualified → Proposal → Won / Lost.
pub fn default_pipeline() -> NewPipeline {
    NewPipeline {
        name: "Sales".into(),
        stages: vec![
            NewStage { name: "New".into(), kind: StageKind::Open, probability: Some(10) },
            NewStage { name: "Qualified".into(), kind: StageKind::Open, probability: Some(30) },
            NewStage { name: "Proposal".into(), kind: StageKind::Open, probability: Some(60) },
            NewStage::new("Won", StageKind::Won),
            NewStage::new("Lost", StageKind::Lost),
        ],
    }
}

fn probability(value: Option<u8>, kind: StageKind) -> Result<u8> {
    let p = value.unwrap_or(kind.default_probability());
    if p > 100 {
        return Err(FlameError::validation("probability", "must be 0 to 100"));
    }
    Ok(p)
}

impl NewStage {
    /// Builds the stage at `position` of `pipeline`.
    pub fn build(
        &self,
        company_id: CompanyId,
        pipeline_id: PipelineId,
        position: i32,
    ) -> Result<Stage> {
        Ok(Stage {
            id: StageId::new(),
            company_id,
            pipeline_id,
            name: text::required("name", &self.name, text::NAME_MAX)?,
            position,
            kind: self.kind,
            probability: probability(self.probability, self.kind)?,
            version: 1,
        })
    }
}

impl NewPipeline {
    /// Checks the pipeline and its stages and builds them.
    pub fn build(
        &self,
        company_id: CompanyId,
        position: i32,
        is_default: bool,
        now: OffsetDateTime,
    ) -> Result<(Pipeline, Vec<Stage>)> {
        let pipeline = Pipeline {
            id: PipelineId::new(),
            company_id,
            name: text::required("name", &self.name, text::NAME_MAX)?,
            position,
            is_default,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if self.stages.len() > MAX_STAGES {
            return Err(FlameError::validation("stages", format!("must be at most {MAX_STAGES}")));
        }
        for kind in [StageKind::Open, StageKind::Won, StageKind::Lost] {
            if !self.stages.iter().any(|s| s.kind == kind) {
                return Err(FlameError::validation(
                    "stages",
                    format!("need at least one {kind} stage"),
                ));
            }
        }
        let stages = self
            .stages
            .iter()
            .zip(0..)
            .map(|(s, i)| s.build(company_id, pipeline.id, i).map_err(|e| prefix(e, i)))
            .collect::<Result<Vec<_>>>()?;
        let mut names: Vec<_> = stages.iter().map(|s| s.name.to_lowercase()).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(FlameError::validation("stages", "stage names must be unique"));
        }
        Ok((pipeline, stages))
    }
}

fn prefix(e: FlameError, index: i32) -> FlameError {
    match e {
        FlameError::Validation { field, reason } => {
            FlameError::Validation { field: format!("stages[{index}].{field}"), reason }
        }
        other => other,
    }
}

impl Stage {
    /// The stage with `patch` applied.
    pub fn patched(&self, patch: &StagePatch) -> Result<Self> {
        let mut next = self.clone();
        if let Some(name) = &patch.name {
            next.name = text::required("name", name, text::NAME_MAX)?;
        }
        if patch.probability.is_some() {
            next.probability = probability(patch.probability, self.kind)?;
        }
        next.version += 1;
        Ok(next)
    }
}

/// Checks that `stage` may be removed from a pipeline whose stages are `stages`: the rest must
/// still have an open, a won and a lost stage, so that every deal can move, win and lose.
pub fn ensure_removable(stages: &[Stage], stage: &Stage) -> Result<()> {
    let others_of_kind = stages.iter().filter(|s| s.id != stage.id && s.kind == stage.kind).count();
    if others_of_kind == 0 {
        return Err(FlameError::conflict(
            "stage",
            format!("a pipeline needs at least one {} stage", stage.kind),
        ));
    }
    Ok(())
}

/// The first stage of `kind` in pipeline order.
pub fn first_of_kind(stages: &[Stage], kind: StageKind) -> Option<&Stage> {
    stages.iter().filter(|s| s.kind == kind).min_by_key(|s| s.position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pipeline_is_valid() {
        let (p, stages) = default_pipeline()
            .build(CompanyId::new(), 0, true, OffsetDateTime::UNIX_EPOCH)
            .expect("valid");
        assert_eq!(stages.len(), 5);
        assert!(stages.iter().all(|s| s.pipeline_id == p.id));
        assert_eq!(first_of_kind(&stages, StageKind::Open).map(|s| s.name.as_str()), Some("New"));
        assert_eq!(first_of_kind(&stages, StageKind::Won).map(|s| s.probability), Some(100));
    }

    #[test]
    fn pipeline_needs_open_won_and_lost() {
        let p = NewPipeline { name: "X".into(), stages: vec![NewStage::new("A", StageKind::Open)] };
        let err =
            p.build(CompanyId::new(), 0, false, OffsetDateTime::UNIX_EPOCH).expect_err("no won");
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "stages"));
    }

    #[test]
    fn bad_stage_field_is_named_with_index() {
        let mut p = default_pipeline();
        p.stages[1].probability = Some(101);
        let err = p.build(CompanyId::new(), 0, false, OffsetDateTime::UNIX_EPOCH).expect_err("bad");
        assert!(
            matches!(err, FlameError::Validation { field, .. } if field == "stages[1].probability")
        );
    }
}
