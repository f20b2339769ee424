//! Conversions between Python values and the Rust types of `flame-core`.

use std::str::FromStr;

use pyo3::BoundObject;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyType};

use flame_core::FlameError;
use flame_core::page::PageRequest;

use crate::errors::to_py_err;

/// Any value as a Python object.
pub(crate) fn to_py<'py, T>(py: Python<'py>, value: T) -> PyResult<Bound<'py, PyAny>>
where
    T: IntoPyObject<'py>,
{
    value.into_pyobject(py).map(|v| v.into_any().into_bound()).map_err(Into::into)
}

fn decimal_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

/// A `decimal.Decimal` from its exact decimal text.
pub(crate) fn decimal<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    decimal_class(py)?.call1((text,))
}

/// The decimal text of an amount given as `decimal.Decimal`, `int` or `str`, for
/// [`flame_core::Money::parse`] to judge. Floats (and bools) are refused: money is never a
/// float.
pub(crate) fn amount_text(name: &str, amount: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = amount.py();
    if amount.is_instance_of::<PyBool>() {
        // bool is an int subclass; fall through to the error below.
    } else if let Ok(text) = amount.cast::<PyString>() {
        return text.extract::<String>();
    } else if amount.is_instance_of::<PyInt>() {
        return amount.str()?.extract::<String>();
    } else if amount.is_instance(decimal_class(py)?)? {
        // Fixed-point notation: `Decimal("1E+3")` is written "1000".
        let text =
            py.import("builtins")?.getattr("format")?.call1((amount, "f"))?.extract::<String>()?;
        return Ok(text);
    }
    let type_name = amount.get_type().name()?;
    Err(PyTypeError::new_err(format!(
        "argument '{name}': expected decimal.Decimal, int or str, not {type_name}"
    )))
}

/// Parses a name (`"admin"`, `"won"`, `"task"`) with the domain's own `FromStr`, whose error
/// is a `ValidationError` naming the field.
pub(crate) fn parse<T>(py: Python<'_>, text: &str) -> PyResult<T>
where
    T: FromStr<Err = FlameError>,
{
    text.parse::<T>().map_err(|e| to_py_err(py, e))
}

/// Like [`parse`] for an optional value.
pub(crate) fn parse_opt<T>(py: Python<'_>, text: Option<&str>) -> PyResult<Option<T>>
where
    T: FromStr<Err = FlameError>,
{
    text.map(|t| parse(py, t)).transpose()
}

/// A page request from `limit` and `cursor` keyword arguments.
pub(crate) fn page(limit: Option<u32>, cursor: Option<String>) -> PageRequest {
    PageRequest { limit, cursor }
}

/// A value made plain for `to_dict`: records become dicts (through their own `to_dict`),
/// lists are converted item by item, anything else is kept.
pub(crate) fn plain<'py>(value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = value.py();
    if let Ok(list) = value.cast::<PyList>() {
        let items = list.iter().map(plain).collect::<PyResult<Vec<_>>>()?;
        return Ok(PyList::new(py, items)?.into_any());
    }
    if value.is_instance_of::<PyDict>() {
        return Ok(value);
    }
    let is_record = value
        .get_type()
        .module()
        .map(|m| m.to_cow().map(|s| s == "flame").unwrap_or(false))
        .unwrap_or(false);
    if is_record && value.hasattr("to_dict")? {
        return value.call_method0("to_dict");
    }
    Ok(value)
}

/// `Name(field=repr, ...)`.
pub(crate) fn repr(name: &str, fields: &[(&str, Bound<'_, PyAny>)]) -> PyResult<String> {
    let mut out = String::from(name);
    out.push('(');
    for (i, (field, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(field);
        out.push('=');
        out.push_str(&value.repr()?.to_cow()?);
    }
    out.push(')');
    Ok(out)
}

/// A dict of the fields, each made [`plain`].
pub(crate) fn dict<'py>(
    py: Python<'py>,
    fields: Vec<(&str, Bound<'py, PyAny>)>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (field, value) in fields {
        dict.set_item(field, plain(value)?)?;
    }
    Ok(dict)
}
