//! Outgoing webhooks: the worker that dispatches the outbox and posts deliveries
//! (`flame.webhook_worker(...)`), what admins see of the deliveries
//! (`session.webhook_deliveries`), and `verify_webhook_signature` for Python receivers.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use uuid::Uuid;

use flame_core::integration::webhook::{self, Backoff, DeliveryState};
use flame_core::{FlameError, IntegrationId};
use flame_db::{WebhookDeliveryFilter, WebhookOptions, WorkerHandle};

use crate::convert::{page, parse_opt, repr, to_py};
use crate::errors::to_py_err;
use crate::records::{Page, page_of, record};
use crate::runtime::{detach, run, run_infallible, spawn};
use crate::secret::SecretArg;

record! {
    WorkReport = "WorkReport" (flame_db::WorkReport) |r, py| {
        published;
        dispatched;
        delivered;
        failed;
        dead;
    }
}

record! {
    WebhookDelivery = "WebhookDelivery" (flame_db::WebhookDelivery) |d, py| {
        id;
        integration_id;
        event_id;
        event_type;
        aggregate_type;
        aggregate_id;
        status;
        attempts;
        next_attempt_at;
        last_error;
        last_status;
        delivered_at;
        created_at;
        updated_at;
    }
}

/// Webhook options from keyword arguments; each `None` takes Flame's default. Flame checks
/// them (`ValidationError`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn options(
    backoff_base: Option<Duration>,
    backoff_cap: Option<Duration>,
    max_attempts: Option<u32>,
    timeout: Option<Duration>,
    lease: Option<Duration>,
    batch: Option<u32>,
    poll_interval: Option<Duration>,
) -> flame_core::Result<WebhookOptions> {
    let d = WebhookOptions::default();
    let backoff = Backoff::new(
        backoff_base.unwrap_or(d.backoff.base()),
        backoff_cap.unwrap_or(d.backoff.cap()),
        max_attempts.unwrap_or(d.backoff.max_attempts()),
    )?;
    Ok(WebhookOptions {
        backoff,
        timeout: timeout.unwrap_or(d.timeout),
        batch: batch.unwrap_or(d.batch),
        lease: lease.unwrap_or(d.lease),
        poll_interval: poll_interval.unwrap_or(d.poll_interval),
    })
}

/// Dispatches the outbox to webhooks and posts what is due, for every company of the store:
/// a trusted host component, made by `Flame.webhook_worker`. Drive it pass by pass with
/// `run_once` (from the host's scheduler), or `start` it in the background until `stop`.
/// Several workers, in one process or many, share the work through the database.
///
/// A context manager: leaving the `with` block stops it. A started worker that is garbage
/// collected is stopped after its current pass.
#[pyclass(frozen, module = "flame", name = "WebhookWorker")]
pub(crate) struct WebhookWorker {
    pub(crate) inner: flame_db::WebhookWorker,
    pub(crate) running: Mutex<Option<WorkerHandle>>,
}

impl WebhookWorker {
    fn handle(&self) -> std::sync::MutexGuard<'_, Option<WorkerHandle>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for WebhookWorker {
    fn drop(&mut self) {
        let handle = self.running.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(handle) = handle {
            // Stopped in the background after its current pass: a destructor must not block.
            detach(handle.stop());
        }
    }
}

#[pymethods]
impl WebhookWorker {
    /// One pass, with the GIL released: dispatches up to `batch` outbox events, then claims
    /// up to `batch` due deliveries and posts them at once, recording each outcome. A
    /// receiver's failure is recorded on its delivery, not raised; errors are the store's
    /// (`StorageError`).
    fn run_once(&self, py: Python<'_>) -> PyResult<WorkReport> {
        let worker = self.inner.clone();
        run(py, async move { worker.run_once().await }).map(WorkReport)
    }

    /// Runs passes in a background task (on Flame's runtime, not a Python thread) until
    /// `stop`: again at once after a full pass, else after `poll_interval`. Starting a
    /// running worker does nothing.
    fn start(&self) -> PyResult<()> {
        let mut running = self.handle();
        if running.as_ref().is_none_or(WorkerHandle::is_finished) {
            let worker = self.inner.clone();
            *running = Some(spawn(move || worker.spawn())?);
        }
        Ok(())
    }

    /// Stops the background task after its current pass (which may take up to `timeout`) and
    /// waits for it, with the GIL released. Stopping a worker that is not running does
    /// nothing.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let handle = self.handle().take();
        match handle {
            Some(handle) => run_infallible(py, handle.stop()),
            None => Ok(()),
        }
    }

    /// The same as `stop`, for `contextlib.closing`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.stop(py)
    }

    /// Whether the background task is running.
    #[getter]
    fn running(&self) -> bool {
        self.handle().as_ref().is_some_and(|h| !h.is_finished())
    }

    /// The first retry delay.
    #[getter]
    fn backoff_base(&self) -> Duration {
        self.inner.options().backoff.base()
    }

    /// The longest retry delay.
    #[getter]
    fn backoff_cap(&self) -> Duration {
        self.inner.options().backoff.cap()
    }

    /// Attempts a delivery gets before it is dead.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.inner.options().backoff.max_attempts()
    }

    /// How long one post may take in all.
    #[getter]
    fn timeout(&self) -> Duration {
        self.inner.options().timeout
    }

    /// How long a claimed delivery stays reserved for the worker that claimed it.
    #[getter]
    fn lease(&self) -> Duration {
        self.inner.options().lease
    }

    /// The most events one pass dispatches, and deliveries it posts.
    #[getter]
    fn batch(&self) -> u32 {
        self.inner.options().batch
    }

    /// How long a started worker sleeps when a pass found nothing more to do.
    #[getter]
    fn poll_interval(&self) -> Duration {
        self.inner.options().poll_interval
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr(
            "WebhookWorker",
            &[
                ("backoff_base", to_py(py, self.backoff_base())?),
                ("backoff_cap", to_py(py, self.backoff_cap())?),
                ("max_attempts", to_py(py, self.max_attempts())?),
                ("timeout", to_py(py, self.timeout())?),
                ("lease", to_py(py, self.lease())?),
                ("batch", to_py(py, self.batch())?),
                ("poll_interval", to_py(py, self.poll_interval())?),
                ("running", to_py(py, self.running())?),
            ],
        )
    }
}

/// The company's webhook deliveries (`session.webhook_deliveries`): what was sent, what
/// failed and why, what is dead — and sending a dead one again. Admins and owners only.
#[pyclass(frozen, module = "flame", name = "WebhookDeliveries")]
pub(crate) struct WebhookDeliveries {
    pub(crate) session: flame_db::Session,
}

fn wrap_delivery(d: flame_db::WebhookDelivery) -> WebhookDelivery {
    WebhookDelivery(d)
}

#[pymethods]
impl WebhookDeliveries {
    /// Deliveries matching every given filter (`status` "pending", "delivered" or "dead"),
    /// newest first, a page at a time.
    #[pyo3(signature = (*, status=None, integration_id=None, limit=None, cursor=None))]
    fn list(
        &self,
        py: Python<'_>,
        status: Option<&str>,
        integration_id: Option<Uuid>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let status = parse_opt::<DeliveryState>(py, status)?;
        let filter = WebhookDeliveryFilter {
            status,
            integration_id: integration_id.map(IntegrationId::from_uuid),
        };
        let api = self.session.webhook_deliveries();
        let rust = run(py, async move { api.list(filter, page(limit, cursor)).await })?;
        page_of(py, rust, wrap_delivery)
    }

    /// One delivery; another company's raises `NotFoundError`.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<WebhookDelivery> {
        let api = self.session.webhook_deliveries();
        run(py, async move { api.get(id).await }).map(WebhookDelivery)
    }

    /// Sends a dead delivery again: pending, due now, with a fresh count of attempts. A
    /// pending one is left as it is; a delivered one is final (`InvalidTransitionError`).
    fn retry(&self, py: Python<'_>, id: Uuid) -> PyResult<WebhookDelivery> {
        let api = self.session.webhook_deliveries();
        run(py, async move { api.retry(id).await }).map(WebhookDelivery)
    }
}

// The default `tolerance_seconds` of `verify_webhook_signature`, written as a literal so that
// Python's signature (and stubtest) shows it.
const _: () = assert!(webhook::SIGNATURE_TOLERANCE.as_secs() == 300);

/// Checks the `Flame-Signature` header of a webhook request Flame sent, for a Python
/// receiver: `secret` is the webhook's signing secret, `header` the header's value, `body`
/// the raw request body. A malformed header raises `ValidationError` on "Flame-Signature";
/// a timestamp further than `tolerance_seconds` from now (a replay) or a signature that does
/// not match raises `UnauthenticatedError`. Neither shows the secret.
#[pyfunction]
#[pyo3(signature = (secret, header, body, tolerance_seconds=300))]
pub(crate) fn verify_webhook_signature(
    py: Python<'_>,
    secret: SecretArg,
    header: &str,
    body: &[u8],
    tolerance_seconds: u64,
) -> PyResult<()> {
    let secret = secret.0;
    let tolerance = Duration::from_secs(tolerance_seconds);
    webhook::verify(&secret, header, body, flame_core::clock::now(), tolerance)
        .map_err(|e: FlameError| to_py_err(py, e))
}

/// Adds the webhook classes, functions and header names to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<WorkReport>()?;
    m.add_class::<WebhookDelivery>()?;
    m.add_class::<WebhookWorker>()?;
    m.add_class::<WebhookDeliveries>()?;
    m.add_function(wrap_pyfunction!(verify_webhook_signature, m)?)?;
    m.add("SIGNATURE_HEADER", webhook::SIGNATURE_HEADER)?;
    m.add("EVENT_ID_HEADER", webhook::EVENT_ID_HEADER)?;
    m.add("EVENT_TYPE_HEADER", webhook::EVENT_TYPE_HEADER)?;
    Ok(())
}
