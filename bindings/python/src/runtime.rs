//! The one tokio runtime every Python call runs its Rust future on, with the GIL released.

use std::future::Future;
use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::to_py_err;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared multi-thread runtime, started on first use.
fn runtime() -> PyResult<&'static Runtime> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("flame-runtime")
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("could not start the Flame runtime: {e}")))?;
    // If another thread won the race, its runtime is kept and this one is dropped.
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// Runs `future` to completion on the shared runtime with the GIL released, and turns a
/// [`flame_core::FlameError`] into the matching Python exception.
pub(crate) fn run<T, F>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = flame_core::Result<T>> + Send,
    T: Send,
{
    let runtime = runtime()?;
    py.detach(|| runtime.block_on(future)).map_err(|e| to_py_err(py, e))
}

/// Like [`run`] for futures that cannot fail.
pub(crate) fn run_infallible<T, F>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    let runtime = runtime()?;
    Ok(py.detach(|| runtime.block_on(future)))
}

/// Calls `start` inside the shared runtime, for what spawns tasks on it (a background
/// worker).
pub(crate) fn spawn<T>(start: impl FnOnce() -> T) -> PyResult<T> {
    let _entered = runtime()?.enter();
    Ok(start())
}

/// Runs `future` on the shared runtime in the background, without waiting for it (for
/// destructors, which must not block). Does nothing if the runtime never started.
pub(crate) fn detach<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    if let Some(runtime) = RUNTIME.get() {
        drop(runtime.spawn(future));
    }
}
