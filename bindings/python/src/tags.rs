//! Tags: the company's vocabulary (`session.tags`), and the `tag=` filter argument the lists
//! of contacts and deals take.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use uuid::Uuid;

use flame_core::TagId;
use flame_core::tag::Tag as RTag;

use crate::records::record;
use crate::runtime::run;

record! {
    Tag = "Tag" (RTag) |t, py| {
        id;
        company_id;
        name;
        color;
        created_at;
        updated_at;
        version;
    }
}

/// The names a `tag=` argument gives: one name, or a list (or tuple) of names, all of which
/// a record must carry.
pub(crate) fn names(tag: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(tag) = tag else {
        return Ok(Vec::new());
    };
    if let Ok(name) = tag.cast::<PyString>() {
        return Ok(vec![name.extract::<String>()?]);
    }
    tag.extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err("tag must be a name or a list of names"))
}

/// The company's tags: the vocabulary its contacts and deals are tagged from. Records are
/// tagged with `contacts.add_tag(id, name)` (the tag is created on first use); renaming,
/// recoloring, merging and deleting tags are for admins and owners.
#[pyclass(module = "flame._flame", frozen)]
pub struct Tags {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Tags {
    /// Every tag of the company, by name (case-insensitively).
    fn list(&self, py: Python<'_>) -> PyResult<Vec<Tag>> {
        let api = self.session.tags();
        Ok(run(py, async move { api.list().await })?.into_iter().map(Tag).collect())
    }

    /// One tag; another company's id raises `NotFoundError`.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Tag> {
        let api = self.session.tags();
        run(py, async move { api.get(TagId::from_uuid(id)).await }).map(Tag)
    }

    /// Renames the tag read at `version`. Another tag with the same name in any case raises
    /// `ConflictError`; the same name in another case changes how it is written.
    fn rename(&self, py: Python<'_>, id: Uuid, version: i64, new_name: String) -> PyResult<Tag> {
        let api = self.session.tags();
        run(py, async move { api.rename(TagId::from_uuid(id), version, &new_name).await }).map(Tag)
    }

    /// Sets the color (`"#rrggbb"`) of the tag read at `version`; `None` or blank clears it.
    #[pyo3(signature = (id, version, color))]
    fn set_color(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        color: Option<String>,
    ) -> PyResult<Tag> {
        let api = self.session.tags();
        run(py, async move { api.set_color(TagId::from_uuid(id), version, color.as_deref()).await })
            .map(Tag)
    }

    /// Merges the tag `from_id` into `into_id`: every record that carried the first carries
    /// the second, and the first is deleted. Returns the tag merged into.
    fn merge(&self, py: Python<'_>, from_id: Uuid, into_id: Uuid) -> PyResult<Tag> {
        let api = self.session.tags();
        run(
            py,
            async move { api.merge(TagId::from_uuid(from_id), TagId::from_uuid(into_id)).await },
        )
        .map(Tag)
    }

    /// Deletes the tag read at `version` and takes it off every record.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.tags();
        run(py, async move { api.delete(TagId::from_uuid(id), version).await })
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Tag>()?;
    m.add_class::<Tags>()?;
    Ok(())
}
