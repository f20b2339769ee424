//! `session.events`: the company's domain events, as written to the outbox. Each method is a
//! conversion and a call of the matching `flame-db` method.

use pyo3::prelude::*;

use crate::convert::page;
use crate::records::{Event, Page, page_of};
use crate::runtime::run;

/// The company's domain events (`session.events`).
#[pyclass(frozen, module = "flame", name = "Events")]
pub(crate) struct Events {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Events {
    /// Events in the order they were recorded, oldest first, a page at a time.
    #[pyo3(signature = (*, limit=None, cursor=None))]
    fn list(&self, py: Python<'_>, limit: Option<u32>, cursor: Option<String>) -> PyResult<Page> {
        let api = self.session.events();
        let rust = run(py, async move { api.list(page(limit, cursor)).await })?;
        page_of(py, rust, Event)
    }
}
