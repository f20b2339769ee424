//! The Python exception hierarchy: `FlameError` and one subclass per
//! [`flame_core::FlameError`] variant, filled in by [`to_py_err`], the one mapping.
//!
//! The variants are listed once, in [`errors!`]: each becomes its exception class (documented
//! with the variant's doc), an arm of [`to_py_err`] that destructures it without `..` (so a
//! variant or field added in the core fails to compile here), its attributes (the variant's
//! fields), and its class in the stub (`_error_stubs()`, which `tests/test_stub.py` checks
//! against `flame/_flame.pyi`).

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyString;

use flame_core::FlameError as Error;

use crate::stub::{PyValue, hint_of};

pyo3::create_exception!(flame, FlameError, PyException, "Base class of every error Flame raises.");

macro_rules! errors {
    ($($variant:ident => $class:ident { $($field:ident),* }),* $(,)?) => {
        $(pyo3::create_exception!(flame, $class, FlameError, core_doc!(FlameError; $variant));)*

        /// Adds the exception classes to the module.
        pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            let py = m.py();
            m.add("FlameError", py.get_type::<FlameError>())?;
            $(m.add(stringify!($class), py.get_type::<$class>())?;)*
            m.add_function(wrap_pyfunction!(_error_stubs, m)?)
        }

        /// The one mapping from [`flame_core::FlameError`] to a Python exception: the variant
        /// picks the class, the message is the error's `Display`, and the variant's fields
        /// become attributes (plus `kind`, the stable variant name).
        pub(crate) fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
            let message = error.to_string();
            let kind = error.kind();
            let (err, attrs): (PyErr, Vec<(&str, PyResult<Bound<'_, PyAny>>)>) = match error {
                $(Error::$variant { $($field),* } => (
                    $class::new_err(message),
                    vec![$((stringify!($field), PyValue::to_py(&$field, py))),*],
                ),)*
            };
            let value = err.value(py);
            // Setting an attribute on a fresh exception instance cannot fail in practice; if
            // it did, the exception would still carry its class and message.
            let _ = value.setattr("kind", PyString::new(py, kind));
            for (name, attr) in attrs {
                if let Ok(attr) = attr {
                    let _ = value.setattr(name, attr);
                }
            }
            err
        }

        /// The exception classes of `flame/_flame.pyi` (for `tests/test_stub.py`).
        #[pyfunction]
        fn _error_stubs() -> String {
            let mut out = String::from(concat!(
                "class FlameError(Exception):\n",
                "    \"\"\"Base class of every error Flame raises.\"\"\"\n\n",
                "    kind: str\n",
                "    \"\"\"The stable variant name (\"Validation\", \"NotFound\", ...).\"\"\"\n",
            ));
            $(
                out.push('\n');
                out.push_str(&crate::stub::exception(
                    stringify!($class),
                    core_doc!(FlameError; $variant),
                    &[$(crate::stub::Property {
                        name: stringify!($field),
                        hint: hint_of::<Error, _, _>(|e, _| match e {
                            Error::$variant { $field, .. } => Ok($field),
                            _ => unreachable!("only read for its type"),
                        }),
                        doc: core_doc!(FlameError; $variant; $field),
                    }),*],
                ));
            )*
            out
        }
    };
}

errors! {
    Validation => ValidationError { field, reason },
    NotFound => NotFoundError { entity },
    Unauthenticated => UnauthenticatedError { reason },
    Forbidden => ForbiddenError { action },
    Conflict => ConflictError { entity, reason },
    InvalidTransition => InvalidTransitionError { entity, from_state, to_state, reason },
    PlanLimitExceeded => PlanLimitExceededError { limit, allowed, used },
    ReadOnly => ReadOnlyError { reason },
    Schema => SchemaError { reason },
    Storage => StorageError { reason },
    Crypto => CryptoError { reason },
}
