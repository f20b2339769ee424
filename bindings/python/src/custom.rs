//! Custom fields: `session.custom_fields` (the definitions), the `CustomField` record, and how
//! custom values cross — as native Python values: `str` (text, select, URL, email, phone),
//! `decimal.Decimal` (number), `Money`, `datetime.date`, `datetime.datetime` (aware, UTC),
//! `bool` and `list[str]` (multi-select). Inputs may also give any value as its text form,
//! which the core parses for the field's kind; every check is flame-core's.

use std::collections::BTreeMap;
use std::str::FromStr;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use rust_decimal::Decimal;
use uuid::Uuid;

use flame_core::custom_field::{
    CustomCondition, CustomEntity, CustomField as RCustomField, CustomFieldKind, CustomFieldPatch,
    CustomMatch, CustomSort, CustomValue, CustomValues, CustomValuesPatch, NewCustomField,
};
use flame_core::{CustomFieldId, FlameError};

use crate::convert::{amount_text, decimal, parse, to_py};
use crate::errors::to_py_err;
use crate::records::record;
use crate::runtime::run;
use crate::stub::PyValue;

impl PyValue for CustomValue {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            CustomValue::Text { value } => to_py(py, value.as_str()),
            CustomValue::Number { value } => decimal(py, &value.to_string()),
            CustomValue::Money { value } => value.to_py(py),
            CustomValue::Date { value } => to_py(py, *value),
            CustomValue::Datetime { value } => value.to_py(py),
            CustomValue::Bool { value } => to_py(py, *value),
            CustomValue::Options { value } => Ok(PyList::new(py, value)?.into_any()),
        }
    }
    fn hint() -> String {
        "Union[str, Decimal, Money, date, datetime, bool, builtins.list[str]]".to_owned()
    }
}

fn invalid(py: Python<'_>, key: &str, reason: &str) -> PyErr {
    to_py_err(py, FlameError::validation(format!("custom.{key}"), reason))
}

/// One custom value given by Python for the field `key`.
fn value_from_py(key: &str, value: &Bound<'_, PyAny>) -> PyResult<CustomValue> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(CustomValue::text(text.to_cow()?.into_owned()));
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(CustomValue::Bool { value: flag.is_true() });
    }
    if let Ok(money) = value.cast::<crate::records::Money>() {
        return Ok(CustomValue::Money { value: money.get().0 });
    }
    // A datetime is a date too: ask for it first.
    if value.is_instance_of::<PyDateTime>() {
        let value: time::OffsetDateTime =
            value.extract().map_err(|_| invalid(py, key, "must be a timezone-aware datetime"))?;
        return Ok(CustomValue::Datetime { value });
    }
    if value.is_instance_of::<PyDate>() {
        return Ok(CustomValue::Date { value: value.extract()? });
    }
    if value.is_instance_of::<PyFloat>() {
        return Err(invalid(py, key, "must be a Decimal, int or str: floats are inexact"));
    }
    if value.is_instance_of::<PyInt>() || value.get_type().name()? == "Decimal" {
        let text = amount_text(key, value)?;
        let value =
            Decimal::from_str(&text).map_err(|_| invalid(py, key, "is not a decimal number"))?;
        return Ok(CustomValue::Number { value });
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let options = value
            .try_iter()?
            .map(|o| o?.extract::<String>())
            .collect::<PyResult<Vec<_>>>()
            .map_err(|_| invalid(py, key, "must be a list of str"))?;
        return Ok(CustomValue::Options { value: options });
    }
    Err(invalid(py, key, "must be a str, Decimal, int, Money, date, datetime, bool or list of str"))
}

fn keyed<'py>(custom: &Bound<'py, PyDict>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    custom.iter().map(|(k, v)| Ok((k.extract::<String>()?, v))).collect()
}

/// The `custom=` of a create: `{key: value}`; `None` values are left out.
pub(crate) fn values_from_py(custom: Option<&Bound<'_, PyDict>>) -> PyResult<CustomValues> {
    let Some(custom) = custom else { return Ok(CustomValues::new()) };
    let mut out = CustomValues::new();
    for (key, value) in keyed(custom)? {
        if !value.is_none() {
            let v = value_from_py(&key, &value)?;
            out.insert(key, v);
        }
    }
    Ok(out)
}

/// The `custom=` of an update: `{key: value}` sets, `{key: None}` clears.
pub(crate) fn patch_from_py(custom: Option<&Bound<'_, PyDict>>) -> PyResult<CustomValuesPatch> {
    let Some(custom) = custom else { return Ok(CustomValuesPatch::new()) };
    keyed(custom)?
        .into_iter()
        .map(|(key, value)| {
            let v = if value.is_none() { None } else { Some(value_from_py(&key, &value)?) };
            Ok((key, v))
        })
        .collect()
}

/// The `sort=` and `descending=` of a list: the key of the custom field to order by.
/// `descending` without `sort` is a `TypeError` (it would be ignored).
pub(crate) fn sort_from_py(sort: Option<String>, descending: bool) -> PyResult<Option<CustomSort>> {
    match sort {
        Some(key) => Ok(Some(CustomSort { key, descending })),
        None if descending => {
            Err(pyo3::exceptions::PyTypeError::new_err("descending=True needs sort=<field key>"))
        }
        None => Ok(None),
    }
}

/// The `custom=` of a list: `{key: value}` for equality (a list: every option), and
/// `{key: (min, max)}` for a range, either bound `None`.
pub(crate) fn conditions_from_py(
    custom: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<CustomCondition>> {
    let Some(custom) = custom else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (key, value) in keyed(custom)? {
        let py = value.py();
        if let Ok(range) = value.cast::<PyTuple>() {
            if range.len() != 2 {
                return Err(invalid(py, &key, "a range is a (min, max) tuple"));
            }
            let bound = |b: Bound<'_, PyAny>| -> PyResult<Option<CustomValue>> {
                if b.is_none() { Ok(None) } else { value_from_py(&key, &b).map(Some) }
            };
            let (min, max) = (bound(range.get_item(0)?)?, bound(range.get_item(1)?)?);
            out.push(CustomCondition { key, matches: CustomMatch::Range { min, max } });
        } else if value.is_instance_of::<PyList>() {
            for option in value.try_iter()? {
                let value = CustomValue::text(
                    option?
                        .extract::<String>()
                        .map_err(|_| invalid(py, &key, "must be a list of str"))?,
                );
                out.push(CustomCondition {
                    key: key.clone(),
                    matches: CustomMatch::Equals { value },
                });
            }
        } else {
            let value = value_from_py(&key, &value)?;
            out.push(CustomCondition { key, matches: CustomMatch::Equals { value } });
        }
    }
    Ok(out)
}

record! {
    CustomField = "CustomField" (RCustomField) |f, py| {
        id;
        company_id;
        entity;
        key;
        label;
        kind;
        options;
        required;
        position;
        version;
        created_at;
        updated_at;
    }
}

/// Custom field definitions (`session.custom_fields`): everyone reads them, admins and
/// owners change them.
#[pyclass(frozen, module = "flame", name = "CustomFields")]
pub(crate) struct CustomFields {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl CustomFields {
    /// Defines a field of `entity` ("contact", "organization" or "deal"). `key` is its
    /// stable identifier (lowercase letters, digits, "_"), unique per entity; `options` are
    /// required for "select" and "multi_select" and refused otherwise; `position` defaults to
    /// after the entity's other fields.
    #[pyo3(signature = (entity, key, label, kind, *, options=None, required=false, position=None))]
    #[allow(clippy::too_many_arguments)]
    fn define(
        &self,
        py: Python<'_>,
        entity: &str,
        key: String,
        label: String,
        kind: &str,
        options: Option<Vec<String>>,
        required: bool,
        position: Option<i32>,
    ) -> PyResult<CustomField> {
        let input = NewCustomField {
            entity: parse::<CustomEntity>(py, entity)?,
            key,
            label,
            kind: parse::<CustomFieldKind>(py, kind)?,
            options: options.unwrap_or_default(),
            required,
            position,
        };
        let api = self.session.custom_fields();
        run(py, async move { api.define(input).await }).map(CustomField)
    }

    /// The fields of `entity`, by position then key.
    fn list(&self, py: Python<'_>, entity: &str) -> PyResult<Vec<CustomField>> {
        let entity = parse::<CustomEntity>(py, entity)?;
        let api = self.session.custom_fields();
        Ok(run(py, async move { api.list(entity).await })?.into_iter().map(CustomField).collect())
    }

    /// One definition; another company's id raises `NotFoundError`.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<CustomField> {
        let api = self.session.custom_fields();
        run(py, async move { api.get(CustomFieldId::from_uuid(id)).await }).map(CustomField)
    }

    /// Changes the definition read at `version`; `None` keeps a setting. Removing options
    /// that values use raises `ConflictError` unless `option_moves` maps each removed option
    /// to the one its values take (or to `None`, dropping it); changing the kind of a field
    /// with values raises `ConflictError` unless `convert_values` is true, which converts
    /// every value through its text form, all or nothing.
    #[pyo3(signature = (id, version, *, label=None, kind=None, options=None, required=None, position=None, option_moves=None, convert_values=false))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        label: Option<String>,
        kind: Option<&str>,
        options: Option<Vec<String>>,
        required: Option<bool>,
        position: Option<i32>,
        option_moves: Option<BTreeMap<String, Option<String>>>,
        convert_values: bool,
    ) -> PyResult<CustomField> {
        let patch = CustomFieldPatch {
            label,
            kind: kind.map(|k| parse::<CustomFieldKind>(py, k)).transpose()?,
            options,
            required,
            position,
            option_moves: option_moves.unwrap_or_default(),
            convert_values,
        };
        let api = self.session.custom_fields();
        run(py, async move { api.update(CustomFieldId::from_uuid(id), version, patch).await })
            .map(CustomField)
    }

    /// Deletes the definition read at `version`: its values vanish from every record at once.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.custom_fields();
        run(py, async move { api.delete(CustomFieldId::from_uuid(id), version).await })
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CustomField>()?;
    m.add_class::<CustomFields>()?;
    Ok(())
}
