//! `flame.Secret`: a secret Flame hands out (a session, API, invitation or verification token,
//! an integration credential), as Kotlin's and Swift's `Secret`. It prints redacted; call
//! `expose()` only to hand it over (a cookie, a keychain, an email). Every argument that takes
//! a secret accepts a `Secret` or a `str` ([`SecretArg`]).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use secrecy::{ExposeSecret, SecretString};

/// What `repr()` shows in place of a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// A secret Flame issued. `repr()` and `str()` show `Secret('[redacted]')`; `expose()` returns
/// the text. Equal to another `Secret` with the same text, never to a `str`.
#[pyclass(frozen, module = "flame", name = "Secret")]
pub(crate) struct Secret(pub(crate) SecretString);

impl Secret {
    /// Wraps a secret for Python.
    pub(crate) fn new(secret: SecretString) -> Self {
        Secret(secret)
    }
}

#[pymethods]
impl Secret {
    /// `Secret(text)`: wraps a secret the host holds, so that it prints redacted too.
    #[new]
    fn py_new(text: String) -> Self {
        Secret(SecretString::from(text))
    }

    /// The secret text, to hand it over (never log it).
    fn expose(&self) -> String {
        self.0.expose_secret().to_owned()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.cast::<Secret>() else { return false };
        self.0.expose_secret() == other.get().0.expose_secret()
    }

    fn __repr__(&self) -> String {
        format!("Secret('{REDACTED}')")
    }

    fn __str__(&self) -> String {
        self.__repr__()
    }
}

/// An argument that takes a secret: a `Secret` or a `str`. Anything else is a `TypeError`
/// that names the type, never the value.
pub(crate) struct SecretArg(pub(crate) SecretString);

impl SecretArg {
    /// The text, for the Rust call.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The text as an owned `String`, for Rust inputs that hold one.
    pub(crate) fn into_string(self) -> String {
        self.0.expose_secret().to_owned()
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for SecretArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(secret) = obj.cast::<Secret>() {
            return Ok(SecretArg(secret.get().0.clone()));
        }
        if let Ok(text) = obj.cast::<PyString>() {
            return Ok(SecretArg(SecretString::from(text.to_cow()?.into_owned())));
        }
        let type_name = obj.get_type().name()?;
        Err(PyTypeError::new_err(format!("expected a Secret or a str, not {type_name}")))
    }
}

/// Adds `Secret` to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Secret>()
}
