//! The Python exception hierarchy: `FlameError` and one subclass per
//! [`flame_core::FlameError`] variant, filled in by [`to_py_err`], the one mapping.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyString;

use flame_core::FlameError as Error;

pyo3::create_exception!(
    flame,
    FlameError,
    PyException,
    "Base class of every error Flame raises. `kind` is the stable variant name (\"Validation\", \"NotFound\", ...)."
);
pyo3::create_exception!(
    flame,
    ValidationError,
    FlameError,
    "An input was malformed or out of bounds: `field` names it, `reason` says what was wrong."
);
pyo3::create_exception!(
    flame,
    NotFoundError,
    FlameError,
    "The record does not exist or belongs to another company; `entity` names its kind."
);
pyo3::create_exception!(
    flame,
    UnauthenticatedError,
    FlameError,
    "No valid session or credential (expired, revoked, unknown token, wrong password, or the user is not an active member); `reason` says why."
);
pyo3::create_exception!(
    flame,
    ForbiddenError,
    FlameError,
    "The session's role does not allow the action; `action` names it."
);
pyo3::create_exception!(
    flame,
    ConflictError,
    FlameError,
    "The write lost a race or contradicts stored state (a stale version, a duplicate); see `entity` and `reason`."
);
pyo3::create_exception!(
    flame,
    InvalidTransitionError,
    FlameError,
    "A state machine refused the transition; see `entity`, `from_state`, `to_state` and `reason`."
);
pyo3::create_exception!(
    flame,
    PlanLimitExceededError,
    FlameError,
    "The company's plan does not allow more: `limit` names it, `allowed` and `used` count it."
);
pyo3::create_exception!(
    flame,
    ReadOnlyError,
    FlameError,
    "The company is read-only (its subscription is canceled or expired): reads work, writes fail until it is reactivated; `reason` says why."
);
pyo3::create_exception!(
    flame,
    SchemaError,
    FlameError,
    "The database schema is not what this build of Flame expects; `reason` names what is wrong."
);
pyo3::create_exception!(
    flame,
    StorageError,
    FlameError,
    "The database could not do what was asked (unreachable, busy, closed); `reason` says what failed."
);
pyo3::create_exception!(
    flame,
    CryptoError,
    FlameError,
    "Encryption or decryption of a stored secret failed; `reason` says what failed."
);

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FlameError", py.get_type::<FlameError>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("UnauthenticatedError", py.get_type::<UnauthenticatedError>())?;
    m.add("ForbiddenError", py.get_type::<ForbiddenError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("InvalidTransitionError", py.get_type::<InvalidTransitionError>())?;
    m.add("PlanLimitExceededError", py.get_type::<PlanLimitExceededError>())?;
    m.add("ReadOnlyError", py.get_type::<ReadOnlyError>())?;
    m.add("SchemaError", py.get_type::<SchemaError>())?;
    m.add("StorageError", py.get_type::<StorageError>())?;
    m.add("CryptoError", py.get_type::<CryptoError>())?;
    Ok(())
}

/// One attribute value of an exception.
enum Attr {
    Text(String),
    Count(u64),
}

/// The one mapping from [`flame_core::FlameError`] to a Python exception: the variant picks
/// the class, the message is the error's `Display`, and the variant's fields become
/// attributes (plus `kind`, the stable variant name).
pub(crate) fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    use Attr::{Count, Text};
    let message = error.to_string();
    let kind = error.kind();
    let (err, attrs) = match error {
        Error::Validation { field, reason } => (
            ValidationError::new_err(message),
            vec![("field", Text(field)), ("reason", Text(reason))],
        ),
        Error::NotFound { entity } => {
            (NotFoundError::new_err(message), vec![("entity", Text(entity))])
        }
        Error::Unauthenticated { reason } => {
            (UnauthenticatedError::new_err(message), vec![("reason", Text(reason))])
        }
        Error::Forbidden { action } => {
            (ForbiddenError::new_err(message), vec![("action", Text(action))])
        }
        Error::Conflict { entity, reason } => (
            ConflictError::new_err(message),
            vec![("entity", Text(entity)), ("reason", Text(reason))],
        ),
        Error::InvalidTransition { entity, from_state, to_state, reason } => (
            InvalidTransitionError::new_err(message),
            vec![
                ("entity", Text(entity)),
                ("from_state", Text(from_state)),
                ("to_state", Text(to_state)),
                ("reason", Text(reason)),
            ],
        ),
        Error::PlanLimitExceeded { limit, allowed, used } => (
            PlanLimitExceededError::new_err(message),
            vec![("limit", Text(limit)), ("allowed", Count(allowed)), ("used", Count(used))],
        ),
        Error::ReadOnly { reason } => {
            (ReadOnlyError::new_err(message), vec![("reason", Text(reason))])
        }
        Error::Schema { reason } => (SchemaError::new_err(message), vec![("reason", Text(reason))]),
        Error::Storage { reason } => {
            (StorageError::new_err(message), vec![("reason", Text(reason))])
        }
        Error::Crypto { reason } => (CryptoError::new_err(message), vec![("reason", Text(reason))]),
    };
    let value = err.value(py);
    let set = |name: &str, attr: Bound<'_, PyAny>| {
        // Setting an attribute on a fresh exception instance cannot fail in practice; if it
        // did, the exception would still carry its class and message.
        let _ = value.setattr(name, attr);
    };
    set("kind", PyString::new(py, kind).into_any());
    for (name, attr) in attrs {
        match attr {
            Text(text) => set(name, PyString::new(py, &text).into_any()),
            Count(n) => {
                let Ok(n) = n.into_pyobject(py);
                set(name, n.into_any());
            }
        }
    }
    err
}
