//! # flame-python
//!
//! The Python binding of Flame: the `flame._flame` extension module that maturin builds into
//! the `flame` wheel. It is an adapter and nothing more — every method converts its Python
//! arguments into the Rust input types of `flame-core`, calls the async `flame-db` API on one
//! shared tokio runtime with the GIL released, and converts the result (or the
//! [`FlameError`](flame_core::FlameError)) back. No business rule lives here.

use pyo3::prelude::*;

mod accounts;
mod activities;
mod api;
mod billing;
mod companies;
mod contacts;
mod convert;
mod deals;
mod enums;
mod errors;
mod events;
mod import;
mod integrations;
mod marketing;
mod pipelines;
mod records;
mod runtime;
mod secret;
mod sources;
mod webhooks;

/// The `flame._flame` module: every class, function and exception of the Python API.
#[pymodule]
fn _flame(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(api::open, m)?)?;
    errors::register(m)?;
    records::register(m)?;
    secret::register(m)?;
    enums::register(m)?;
    api::register(m)?;
    integrations::register(m)?;
    import::register(m)?;
    marketing::register(m)?;
    webhooks::register(m)?;
    Ok(())
}
