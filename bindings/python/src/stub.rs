//! What a Rust value a record exposes becomes in Python, and how the stub names its type.
//!
//! Every getter `record!` declares converts its value through [`PyValue`], which gives both the
//! Python object and the annotation `flame/_flame.pyi` writes for it. The record classes of the
//! stub are generated from the same declarations (each record's `_stub()`, collected by
//! `tests/test_stub.py`), so a getter and its annotation cannot disagree, and the stub's
//! docstrings are the core's docs (`core_doc!`, see build.rs).

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::to_py;

/// A Rust value as Python sees it: the object, and the stub's annotation of its type.
pub(crate) trait PyValue {
    /// The Python object.
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
    /// Its annotation in the stub (`"Optional[UUID]"`).
    fn hint() -> String;
}

/// Values that cross as pyo3 converts them.
macro_rules! native {
    ($($ty:ty => $hint:literal),* $(,)?) => {$(
        impl PyValue for $ty {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                to_py(py, self.clone())
            }
            fn hint() -> String {
                $hint.to_owned()
            }
        }
    )*};
}

native! {
    String => "str",
    bool => "bool",
    u8 => "int",
    u16 => "int",
    u32 => "int",
    u64 => "int",
    i32 => "int",
    i64 => "int",
    usize => "int",
    uuid::Uuid => "UUID",
    time::Date => "date",
    time::UtcDateTime => "datetime",
    time::Duration => "timedelta",
    std::time::Duration => "timedelta",
}

impl PyValue for str {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self)
    }
    fn hint() -> String {
        "str".to_owned()
    }
}

/// Times are timezone-aware UTC `datetime`s, whatever offset they were made with.
impl PyValue for time::OffsetDateTime {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.to_utc())
    }
    fn hint() -> String {
        "datetime".to_owned()
    }
}

/// Ids cross as `uuid.UUID`.
macro_rules! ids {
    ($($ty:ident),* $(,)?) => {$(
        impl PyValue for flame_core::$ty {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                to_py(py, self.as_uuid())
            }
            fn hint() -> String {
                "UUID".to_owned()
            }
        }
    )*};
}

ids!(
    CompanyId,
    UserId,
    PlanId,
    SubscriptionId,
    ContactId,
    OrganizationId,
    PipelineId,
    StageId,
    SourceId,
    DealId,
    ActivityId,
    EventId,
    SessionId,
    ApiTokenId,
    InvitationId,
    PaymentId,
    IntegrationId,
    CustomFieldId,
    TagId,
);

/// Normalized text crosses as `str`.
macro_rules! text {
    ($($ty:ty),* $(,)?) => {$(
        impl PyValue for $ty {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                to_py(py, self.as_str())
            }
            fn hint() -> String {
                "str".to_owned()
            }
        }
    )*};
}

text!(flame_core::Email, flame_core::Phone);

impl PyValue for flame_core::Currency {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.code())
    }
    fn hint() -> String {
        "str".to_owned()
    }
}

impl PyValue for flame_core::Money {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, crate::records::Money(*self))
    }
    fn hint() -> String {
        "Money".to_owned()
    }
}

/// Secrets cross as `flame.Secret`, which never prints them.
impl PyValue for secrecy::SecretString {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, crate::secret::Secret::new(self.clone()))
    }
    fn hint() -> String {
        "Secret".to_owned()
    }
}

impl<T: PyValue + ?Sized> PyValue for &T {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (**self).to_py(py)
    }
    fn hint() -> String {
        T::hint()
    }
}

impl<T: PyValue> PyValue for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
    fn hint() -> String {
        format!("Optional[{}]", T::hint())
    }
}

impl<T: PyValue> PyValue for Vec<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = self.iter().map(|v| v.to_py(py)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any())
    }
    fn hint() -> String {
        format!("builtins.list[{}]", T::hint())
    }
}

impl<T: PyValue> PyValue for std::collections::BTreeMap<String, T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = pyo3::types::PyDict::new(py);
        for (k, v) in self {
            d.set_item(k, v.to_py(py)?)?;
        }
        Ok(d.into_any())
    }
    fn hint() -> String {
        format!("builtins.dict[str, {}]", T::hint())
    }
}

impl<A: PyValue, B: PyValue> PyValue for (A, B) {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, (self.0.to_py(py)?, self.1.to_py(py)?))
    }
    fn hint() -> String {
        format!("tuple[{}, {}]", A::hint(), B::hint())
    }
}

/// A value computed as a Python object already; its getter names its annotation.
impl PyValue for Bound<'_, PyAny> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.clone().unbind().into_bound(py))
    }
    fn hint() -> String {
        "Any".to_owned()
    }
}

/// The annotation of what a getter's body gives, read from its type (the closure is never
/// called: it only carries the type).
pub(crate) fn hint_of<'a, 'py, R: 'a, T: PyValue, F>(_body: F) -> String
where
    F: FnOnce(&'a R, Python<'py>) -> PyResult<T>,
{
    T::hint()
}

/// One property of a record class in the stub.
pub(crate) struct Property {
    pub(crate) name: &'static str,
    pub(crate) hint: String,
    pub(crate) doc: &'static str,
}

/// The stub of a record class: its docstring, the hand-written members (`extra`: constructors
/// and static methods), a property per getter, and `to_dict`.
pub(crate) fn class(name: &str, doc: &str, extra: &str, properties: &[Property]) -> String {
    let mut out = format!("@final\nclass {name}:\n{}\n", docstring(doc, 4));
    out.push('\n');
    out.push_str(&indent(&dedent(extra), 4));
    for p in properties {
        out.push_str(&format!(
            "    @property\n    def {}(self) -> {}:\n{}\n",
            p.name,
            p.hint,
            docstring(p.doc, 8)
        ));
    }
    out.push_str("    def to_dict(self) -> dict[str, Any]:\n");
    out.push_str("        \"\"\"The record as a dict of its fields (nested records become dicts too).\"\"\"\n");
    out
}

/// The stub of an exception class: its docstring and an annotated attribute per field.
pub(crate) fn exception(name: &str, doc: &str, attributes: &[Property]) -> String {
    let mut out = format!("class {name}(FlameError):\n{}\n", docstring(doc, 4));
    if !attributes.is_empty() {
        out.push('\n');
    }
    for a in attributes {
        out.push_str(&format!("    {}: {}\n{}\n", a.name, a.hint, docstring(a.doc, 4)));
    }
    out
}

/// `"""text"""`, indented: the text's lines as written (each line's one leading space from
/// `///` removed), continuation lines at the same indentation.
fn docstring(text: &str, at: usize) -> String {
    let pad = " ".repeat(at);
    let lines: Vec<&str> = text
        .trim_matches('\n')
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect();
    let mut body = code_spans(&lines.join(&format!("\n{pad}"))).replace('\\', "\\\\");
    if body.ends_with('"') {
        body.pop();
        body.push_str("\\\"");
    }
    format!("{pad}\"\"\"{body}\"\"\"")
}

/// Markdown code spans (`` `x` ``) as reStructuredText ones (``` ``x`` ```), as the core's
/// docs are converted by build.rs; spans already doubled are kept.
fn code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(i) = rest.find('`') {
        out.push_str(&rest[..i]);
        let run = rest[i..].len() - rest[i..].trim_start_matches('`').len();
        out.push_str(if run == 1 { "``" } else { &rest[i..i + run] });
        rest = &rest[i + run..];
    }
    out.push_str(rest);
    out
}

/// The lines of `text` without their common leading spaces, blank lines at either end dropped.
fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(first, |i| i + 1);
    let lines = &lines[first..last];
    let common = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines.iter().map(|l| format!("{}\n", l.get(common..).unwrap_or("").trim_end())).collect()
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| if l.is_empty() { "\n".to_owned() } else { format!("{pad}{l}\n") })
        .collect()
}
