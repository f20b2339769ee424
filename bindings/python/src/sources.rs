//! `session.sources`: lead sources. Each method is a conversion and a call of the matching `flame-
//! db` method.

use pyo3::prelude::*;

use flame_core::SourceId;
use uuid::Uuid;

use crate::records::Source;
use crate::runtime::run;

/// Lead sources (`session.sources`).
#[pyclass(frozen, module = "flame", name = "Sources")]
pub(crate) struct Sources {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Sources {
    /// Creates a source; its name must be new in the company.
    fn create(&self, py: Python<'_>, name: String) -> PyResult<Source> {
        let api = self.session.sources();
        run(py, async move { api.create(&name).await }).map(Source)
    }

    /// One source.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Source> {
        let api = self.session.sources();
        run(py, async move { api.get(SourceId::from_uuid(id)).await }).map(Source)
    }

    /// Every source of the company.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<Source>> {
        let api = self.session.sources();
        Ok(run(py, async move { api.list().await })?.into_iter().map(Source).collect())
    }

    /// Renames the source read at `version`.
    fn rename(&self, py: Python<'_>, id: Uuid, name: String, version: i64) -> PyResult<Source> {
        let api = self.session.sources();
        run(py, async move { api.rename(SourceId::from_uuid(id), &name, version).await })
            .map(Source)
    }

    /// Deletes the source read at `version`.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.sources();
        run(py, async move { api.delete(SourceId::from_uuid(id), version).await })
    }
}
