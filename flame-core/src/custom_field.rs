//! Custom fields: the fields a company adds to its contacts, organizations and deals.
//!
//! An admin defines a field per entity ([`CustomField`]: a stable `key`, a label, a
//! [`CustomFieldKind`], options for selects, whether it is required, a position). Records then
//! carry values for their entity's fields ([`CustomValues`], keyed by the field's `key`).
//!
//! Every rule about values lives here: [`CustomField::check`] validates and normalizes one
//! value for its field (a bad value is a `Validation` error naming `custom.<key>`),
//! [`CustomValue::index_keys`] gives the order-preserving text that storage indexes so that
//! equality and range filters use an index on both engines, and [`CustomValue::to_text`] /
//! [`CustomField::parse_text`] are the text form that CSV export writes and import reads.
//!
//! Storage keeps a record's values by field *id*: deleting a definition therefore drops its
//! values from every read and export at once, and a new field that reuses the key does not
//! inherit them.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::email::Email;
use crate::error::{FlameError, Result};
use crate::id::{CompanyId, CustomFieldId};
use crate::money::Money;
use crate::phone::Phone;
use crate::{clock, text};

/// The most characters a text, select option or URL value may have.
pub const TEXT_MAX: usize = 2_000;
/// The most characters a field key may have.
pub const KEY_MAX: usize = 63;
/// The most characters a select option may have.
pub const OPTION_MAX: usize = 100;
/// The most options a select field may offer.
pub const OPTIONS_MAX: usize = 500;
/// The most fields a company may define per entity.
pub const FIELDS_MAX: usize = 200;
/// What separates the options of a multi-select value in its text form (`"red; blue"`).
/// Options may not contain it.
pub const LIST_SEPARATOR: char = ';';

/// The kind of record a custom field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CustomEntity {
    /// Contacts.
    Contact,
    /// Organizations.
    Organization,
    /// Deals.
    Deal,
}

impl CustomEntity {
    /// Every entity that carries custom fields.
    pub const ALL: [CustomEntity; 3] = [Self::Contact, Self::Organization, Self::Deal];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CustomEntity::Contact => "contact",
            CustomEntity::Organization => "organization",
            CustomEntity::Deal => "deal",
        }
    }

    /// The entity stored as `name`; anything else is a `Validation` error on `field`.
    pub fn parse(field: &str, name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == name.trim())
            .ok_or_else(|| FlameError::validation(field, "is not contact, organization or deal"))
    }
}

/// What a custom field holds, and so how its values are validated, stored and filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldKind {
    /// One line or paragraph of text, at most [`TEXT_MAX`] characters.
    Text,
    /// A decimal number (exact, up to 28 significant digits).
    Number,
    /// A non-negative amount of money in a currency.
    Money,
    /// A calendar date.
    Date,
    /// An instant, stored in UTC to the microsecond.
    Datetime,
    /// Yes or no.
    Bool,
    /// One of the field's options.
    Select,
    /// Any number of the field's options.
    MultiSelect,
    /// An `http` or `https` URL.
    Url,
    /// An email address, normalized like a contact's.
    Email,
    /// A phone number in E.164.
    Phone,
}

impl CustomFieldKind {
    /// Every kind.
    pub const ALL: [CustomFieldKind; 11] = [
        Self::Text,
        Self::Number,
        Self::Money,
        Self::Date,
        Self::Datetime,
        Self::Bool,
        Self::Select,
        Self::MultiSelect,
        Self::Url,
        Self::Email,
        Self::Phone,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CustomFieldKind::Text => "text",
            CustomFieldKind::Number => "number",
            CustomFieldKind::Money => "money",
            CustomFieldKind::Date => "date",
            CustomFieldKind::Datetime => "datetime",
            CustomFieldKind::Bool => "bool",
            CustomFieldKind::Select => "select",
            CustomFieldKind::MultiSelect => "multi_select",
            CustomFieldKind::Url => "url",
            CustomFieldKind::Email => "email",
            CustomFieldKind::Phone => "phone",
        }
    }

    /// The kind stored as `name`; anything else is a `Validation` error on `field`.
    pub fn parse(field: &str, name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name.trim())
            .ok_or_else(|| FlameError::validation(field, "is not a custom field kind"))
    }

    /// Whether the field offers options (`select`, `multi_select`).
    pub const fn has_options(self) -> bool {
        matches!(self, Self::Select | Self::MultiSelect)
    }

    /// Whether values are ordered, so that a list may filter them by range.
    pub const fn is_ordered(self) -> bool {
        matches!(self, Self::Number | Self::Money | Self::Date | Self::Datetime)
    }
}

/// One custom value, as a host passes it and as a record returns it.
///
/// A record returns the variant of its field's kind: `Text` for text, select, URL, email and
/// phone fields (normalized), `Number`, `Money`, `Date`, `Datetime`, `Bool`, and `Options` for
/// multi-selects (in the field's option order). As input, `Text` is accepted for every kind and
/// parsed as its text form ([`CustomField::parse_text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CustomValue {
    /// Text, or the text form of a value.
    Text {
        /// The text.
        value: String,
    },
    /// A decimal number.
    Number {
        /// The number.
        value: Decimal,
    },
    /// An amount of money.
    Money {
        /// The amount.
        value: Money,
    },
    /// A calendar date.
    Date {
        /// The date.
        value: Date,
    },
    /// An instant.
    Datetime {
        /// The instant, UTC.
        #[serde(with = "time::serde::rfc3339")]
        value: OffsetDateTime,
    },
    /// Yes or no.
    Bool {
        /// The value.
        value: bool,
    },
    /// The chosen options of a multi-select.
    Options {
        /// The options.
        value: Vec<String>,
    },
}

impl CustomValue {
    /// A `Text` value.
    pub fn text(value: impl Into<String>) -> Self {
        Self::Text { value: value.into() }
    }

    /// The text form of the value: what CSV export writes and [`CustomField::parse_text`]
    /// reads back. Numbers in plain decimal notation, money as `"12.50 USD"`, dates as
    /// `YYYY-MM-DD`, instants in RFC 3339 (UTC), booleans as `true`/`false`, lists joined
    /// by `"; "`.
    pub fn to_text(&self) -> String {
        match self {
            CustomValue::Text { value } => value.clone(),
            CustomValue::Number { value } => value.normalize().to_string(),
            CustomValue::Money { value } => value.to_string(),
            CustomValue::Date { value } => clock::format_date(*value),
            CustomValue::Datetime { value } => format_instant(*value),
            CustomValue::Bool { value } => value.to_string(),
            CustomValue::Options { value } => value.join("; "),
        }
    }

    /// The keys storage indexes for this (checked) value, one per option for a list. They
    /// compare as text in the order of the values: numbers and money by amount (money within
    /// its currency, which prefixes the key), dates and instants by time, the rest by their
    /// exact text.
    pub fn index_keys(&self) -> Vec<String> {
        match self {
            CustomValue::Text { value } => vec![value.clone()],
            CustomValue::Number { value } => vec![decimal_key(*value)],
            CustomValue::Money { value } => {
                vec![format!("{}:{:016}", value.currency().code(), value.amount_minor())]
            }
            CustomValue::Date { value } => vec![clock::format_date(*value)],
            CustomValue::Datetime { value } => vec![format_instant(*value)],
            CustomValue::Bool { value } => vec![if *value { "1" } else { "0" }.to_owned()],
            CustomValue::Options { value } => value.clone(),
        }
    }
}

/// Custom values by field key, as records carry them and creates take them.
pub type CustomValues = BTreeMap<String, CustomValue>;

/// Changes to custom values by field key: `Some` sets a value, `None` clears it; keys not
/// named keep their value.
pub type CustomValuesPatch = BTreeMap<String, Option<CustomValue>>;

/// A record's checked values as storage keeps them: by field id.
pub type StoredValues = BTreeMap<CustomFieldId, CustomValue>;

/// A field a company added to one of its entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CustomField {
    /// Its id.
    pub id: CustomFieldId,
    /// The company that defined it.
    pub company_id: CompanyId,
    /// The entity whose records carry it.
    pub entity: CustomEntity,
    /// The stable identifier values are keyed by: lowercase letters, digits and `_`,
    /// starting with a letter; unique per company and entity.
    pub key: String,
    /// What a form shows.
    pub label: String,
    /// What it holds.
    pub kind: CustomFieldKind,
    /// The options of a select or multi-select, in display order; empty for other kinds.
    pub options: Vec<String>,
    /// Whether a record must have a value: checked when a record is created and when a change
    /// would clear it (records that predate the rule keep working).
    pub required: bool,
    /// Display order among the entity's fields, ascending.
    pub position: i32,
    /// Optimistic-concurrency version: pass it back to update or delete.
    pub version: i64,
    /// When it was defined.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When its definition last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A custom field to define.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewCustomField {
    /// The entity whose records carry it.
    pub entity: CustomEntity,
    /// Its stable key (`"industry"`).
    pub key: String,
    /// What a form shows (`"Industry"`).
    pub label: String,
    /// What it holds.
    pub kind: CustomFieldKind,
    /// Options, for `select` and `multi_select` (at least one); none for other kinds.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub options: Vec<String>,
    /// Whether records must have a value.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub required: bool,
    /// Display order; `None` places it after the entity's other fields.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub position: Option<i32>,
}

/// Changes to a field's definition. `None` keeps a setting.
///
/// Two changes touch stored values and are refused with a `Conflict` naming the field unless
/// the same call says what becomes of them:
/// - removing options that values still use: `option_moves` maps each removed option to the
///   option its values take instead, or to `None` to drop it from them;
/// - changing the kind: `convert_values` converts every value through its text form
///   ([`CustomValue::to_text`], then [`CustomField::parse_text`] for the new kind); if one
///   does not convert, nothing changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CustomFieldPatch {
    /// New label.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub label: Option<String>,
    /// New kind.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub kind: Option<CustomFieldKind>,
    /// The new list of options (renaming is a removal plus an `option_moves` entry).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub options: Option<Vec<String>>,
    /// Whether records must have a value.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub required: Option<bool>,
    /// New display position.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub position: Option<i32>,
    /// Removed option → the option its values take instead (`None`: dropped from them).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub option_moves: OptionMoves,
    /// Convert stored values when the kind changes.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub convert_values: bool,
}

/// Removed options and what their values become (see [`CustomFieldPatch`]).
pub type OptionMoves = BTreeMap<String, Option<String>>;

/// What a changed definition means for the values already stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMigration {
    /// Stored values stay as they are.
    None,
    /// Stored values must each go through [`CustomField::migrate`] from the old definition.
    Rewrite,
}

/// One condition of a list filter on a custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CustomCondition {
    /// The field's key.
    pub key: String,
    /// What its value must be.
    pub matches: CustomMatch,
}

/// What a custom value must be to match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CustomMatch {
    /// Equal to the value (for a multi-select: has this option).
    Equals {
        /// The value, checked like an input value.
        value: CustomValue,
    },
    /// Within a range, bounds included (number, money, date and datetime fields).
    Range {
        /// The lowest value, if any.
        min: Option<CustomValue>,
        /// The highest value, if any.
        max: Option<CustomValue>,
    },
}

/// A filter condition checked against the definitions, in the terms storage indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexCondition {
    /// The field.
    pub field_id: CustomFieldId,
    /// The lowest index key (inclusive), if any.
    pub min: Option<String>,
    /// The highest index key (inclusive), if any; equal to `min` for an equality.
    pub max: Option<String>,
}

impl CustomField {
    /// The name errors give a value of this field: `custom.<key>`.
    pub fn field_name(&self) -> String {
        format!("custom.{}", self.key)
    }

    /// Defines a field from `input` at `position` (when the input names none).
    pub fn define(
        company_id: CompanyId,
        input: &NewCustomField,
        next_position: i32,
        now: OffsetDateTime,
    ) -> Result<Self> {
        let key = check_key(&input.key)?;
        let options = check_options(input.kind, &input.options)?;
        Ok(Self {
            id: CustomFieldId::new(),
            company_id,
            entity: input.entity,
            key,
            label: text::required("label", &input.label, text::NAME_MAX)?,
            kind: input.kind,
            options,
            required: input.required,
            position: input.position.unwrap_or(next_position),
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// The definition with `patch` applied and its version bumped, and what becomes of the
    /// stored values. `values_in_use` tells whether records hold values of this field, and
    /// `option_in_use` whether any value holds a given option.
    pub fn patched(
        &self,
        patch: &CustomFieldPatch,
        values_in_use: bool,
        option_in_use: &dyn Fn(&str) -> bool,
        now: OffsetDateTime,
    ) -> Result<(Self, ValueMigration)> {
        let mut next = self.clone();
        let mut migration = ValueMigration::None;
        if let Some(label) = &patch.label {
            next.label = text::required("label", label, text::NAME_MAX)?;
        }
        if let Some(kind) = patch.kind.filter(|k| *k != self.kind) {
            if values_in_use && !patch.convert_values {
                return Err(FlameError::conflict(
                    self.field_name(),
                    "values are stored in the old kind: pass convert_values to convert them",
                ));
            }
            next.kind = kind;
            if !kind.has_options() {
                next.options.clear();
            }
            migration = ValueMigration::Rewrite;
        }
        if let Some(options) = &patch.options {
            next.options = check_options(next.kind, options)?;
        } else if next.kind.has_options() && !self.kind.has_options() {
            return Err(FlameError::validation("options", "a select field needs its options"));
        }
        for (from, to) in &patch.option_moves {
            if next.options.contains(from) {
                return Err(FlameError::validation("option_moves", "moves an option that stays"));
            }
            if to.as_ref().is_some_and(|to| !next.options.contains(to)) {
                return Err(FlameError::validation(
                    "option_moves",
                    "moves values to an option the field does not offer",
                ));
            }
        }
        if self.kind.has_options() && next.kind.has_options() {
            let removed: Vec<&String> =
                self.options.iter().filter(|o| !next.options.contains(o)).collect();
            if removed.iter().any(|o| !patch.option_moves.contains_key(*o) && option_in_use(o)) {
                return Err(FlameError::conflict(
                    self.field_name(),
                    "values use a removed option: say in option_moves what they become",
                ));
            }
            if !removed.is_empty() {
                migration = ValueMigration::Rewrite;
            }
        }
        if let Some(required) = patch.required {
            next.required = required;
        }
        if let Some(position) = patch.position {
            next.position = position;
        }
        next.updated_at = now;
        next.version += 1;
        Ok((next, migration))
    }

    /// `value` (a value stored under the definition `self`) under the new definition `next`,
    /// as [`patched`](Self::patched) decided with `patch`; `None` when it is dropped.
    pub fn migrate(
        &self,
        next: &CustomField,
        patch: &CustomFieldPatch,
        value: &CustomValue,
    ) -> Result<Option<CustomValue>> {
        let moved = |option: &String| -> Option<String> {
            if next.options.contains(option) {
                Some(option.clone())
            } else {
                patch.option_moves.get(option).cloned().flatten()
            }
        };
        let value = match value {
            CustomValue::Text { value } if self.kind == CustomFieldKind::Select => {
                match moved(value) {
                    Some(option) => CustomValue::text(option),
                    None => return Ok(None),
                }
            }
            CustomValue::Options { value } => {
                let options: Vec<String> = value.iter().filter_map(moved).collect();
                if options.is_empty() {
                    return Ok(None);
                }
                CustomValue::Options { value: options }
            }
            other => other.clone(),
        };
        if next.kind == self.kind {
            return next.check(value).map(Some);
        }
        next.parse_text(&value.to_text()).map_err(|_| {
            FlameError::conflict(
                self.field_name(),
                format!("a stored value does not convert to {}", next.kind.as_str()),
            )
        })
    }

    /// Checks and normalizes `value` for this field. `Text` is parsed as the kind's text form;
    /// any other variant must be the kind's own (`Options` for a multi-select).
    pub fn check(&self, value: CustomValue) -> Result<CustomValue> {
        let field = self.field_name();
        let wrong = || FlameError::validation(&field, format!("must be a {}", self.kind.as_str()));
        match (self.kind, value) {
            (_, CustomValue::Text { value }) => self
                .parse_text(&value)?
                .ok_or_else(|| FlameError::validation(&field, "must not be empty")),
            (CustomFieldKind::Number, CustomValue::Number { value }) => {
                Ok(CustomValue::Number { value: value.normalize() })
            }
            (CustomFieldKind::Money, CustomValue::Money { value }) => {
                Ok(CustomValue::Money { value })
            }
            (CustomFieldKind::Date, CustomValue::Date { value }) => {
                Ok(CustomValue::Date { value: clock::checked_date(&field, value)? })
            }
            (CustomFieldKind::Datetime, CustomValue::Datetime { value }) => {
                Ok(CustomValue::Datetime { value: clock::checked(&field, value)? })
            }
            (CustomFieldKind::Bool, CustomValue::Bool { value }) => Ok(CustomValue::Bool { value }),
            (CustomFieldKind::MultiSelect, CustomValue::Options { value }) => {
                self.options_of(&value)
            }
            _ => Err(wrong()),
        }
    }

    /// Parses the text form of a value of this field (what [`CustomValue::to_text`] writes);
    /// blank text is `Ok(None)`, no value.
    pub fn parse_text(&self, input: &str) -> Result<Option<CustomValue>> {
        let field = self.field_name();
        let input = input.trim();
        if input.is_empty() {
            return Ok(None);
        }
        let invalid = |reason: &str| FlameError::validation(&field, reason);
        let value = match self.kind {
            CustomFieldKind::Text => CustomValue::text(text::required(&field, input, TEXT_MAX)?),
            CustomFieldKind::Number => {
                let value = Decimal::from_str_exact(input)
                    .or_else(|_| Decimal::from_scientific(input))
                    .map_err(|_| invalid("is not a decimal number"))?;
                CustomValue::Number { value: value.normalize() }
            }
            CustomFieldKind::Money => {
                let (amount, currency) =
                    input.rsplit_once(char::is_whitespace).ok_or_else(|| {
                        invalid("is not an amount followed by its currency (\"12.50 USD\")")
                    })?;
                CustomValue::Money {
                    value: Money::parse(amount.trim(), currency).map_err(|e| e.at(&field))?,
                }
            }
            CustomFieldKind::Date => CustomValue::Date { value: clock::parse_date(&field, input)? },
            CustomFieldKind::Datetime => {
                let value =
                    OffsetDateTime::parse(input, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| invalid("is not an RFC 3339 time"))?;
                CustomValue::Datetime { value: clock::checked(&field, value)? }
            }
            CustomFieldKind::Bool => match input.to_lowercase().as_str() {
                "true" | "yes" | "1" => CustomValue::Bool { value: true },
                "false" | "no" | "0" => CustomValue::Bool { value: false },
                _ => return Err(invalid("is not true or false")),
            },
            CustomFieldKind::Select => CustomValue::text(self.option(input)?),
            CustomFieldKind::MultiSelect => {
                let parts: Vec<String> = input
                    .split(LIST_SEPARATOR)
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect();
                self.options_of(&parts)?
            }
            CustomFieldKind::Url => CustomValue::text(check_url(&field, input)?),
            CustomFieldKind::Email => {
                CustomValue::text(Email::parse(input).map_err(|e| e.at(&field))?.into_string())
            }
            CustomFieldKind::Phone => CustomValue::text(
                Phone::parse(input, None).map_err(|e| e.at(&field))?.into_string(),
            ),
        };
        Ok(Some(value))
    }

    /// The option named `input`, compared case-insensitively, in the field's spelling.
    fn option(&self, input: &str) -> Result<String> {
        let wanted = input.trim().to_lowercase();
        self.options
            .iter()
            .find(|o| o.to_lowercase() == wanted)
            .cloned()
            .ok_or_else(|| FlameError::validation(self.field_name(), "is not one of the options"))
    }

    /// A multi-select value of `chosen` options: each checked, duplicates dropped, in the
    /// field's option order.
    fn options_of(&self, chosen: &[String]) -> Result<CustomValue> {
        let mut picked = Vec::with_capacity(chosen.len());
        for c in chosen {
            picked.push(self.option(c)?);
        }
        let value: Vec<String> =
            self.options.iter().filter(|o| picked.contains(o)).cloned().collect();
        if value.is_empty() {
            return Err(FlameError::validation(self.field_name(), "must not be empty"));
        }
        Ok(CustomValue::Options { value })
    }
}

/// Checks the values a new record of `entity` is created with against the company's
/// `fields` (every definition it has; other entities' are skipped): every key defined,
/// every value valid, every required field given.
pub fn check_new(
    fields: &[CustomField],
    entity: CustomEntity,
    input: &CustomValues,
) -> Result<StoredValues> {
    let patch: CustomValuesPatch =
        input.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
    let stored = apply(fields, entity, &StoredValues::new(), &patch)?;
    for field in fields.iter().filter(|f| f.entity == entity && f.required) {
        if !stored.contains_key(&field.id) {
            return Err(FlameError::validation(field.field_name(), "is required"));
        }
    }
    Ok(stored)
}

/// `current` with `patch` applied: set values checked, cleared ones removed; clearing a
/// required field is refused.
pub fn check_patch(
    fields: &[CustomField],
    entity: CustomEntity,
    current: &StoredValues,
    patch: &CustomValuesPatch,
) -> Result<StoredValues> {
    let next = apply(fields, entity, current, patch)?;
    for (key, value) in patch {
        let required = find(fields, entity, key).filter(|f| f.required);
        if let (None, Some(field)) = (value, required) {
            return Err(FlameError::validation(field.field_name(), "is required"));
        }
    }
    Ok(next)
}

fn apply(
    fields: &[CustomField],
    entity: CustomEntity,
    current: &StoredValues,
    patch: &CustomValuesPatch,
) -> Result<StoredValues> {
    let mut next = current.clone();
    for (key, value) in patch {
        let field = find(fields, entity, key).ok_or_else(|| {
            FlameError::validation(format!("custom.{key}"), "is not a defined field")
        })?;
        let value = match value {
            Some(CustomValue::Text { value }) => field.parse_text(value)?,
            Some(other) => Some(field.check(other.clone())?),
            None => None,
        };
        match value {
            Some(value) => next.insert(field.id, value),
            None => next.remove(&field.id),
        };
    }
    Ok(next)
}

fn find<'a>(fields: &'a [CustomField], entity: CustomEntity, key: &str) -> Option<&'a CustomField> {
    fields.iter().find(|f| f.entity == entity && f.key == key)
}

/// A record's stored values as it returns them: keyed by field key, values of deleted
/// definitions left out.
pub fn by_key(fields: &[CustomField], stored: &StoredValues) -> CustomValues {
    fields.iter().filter_map(|f| stored.get(&f.id).map(|v| (f.key.clone(), v.clone()))).collect()
}

/// The stored form of values a record returned ([`by_key`]'s inverse for current
/// definitions of `entity`; keys without a definition are left out).
pub fn by_id(fields: &[CustomField], entity: CustomEntity, values: &CustomValues) -> StoredValues {
    values
        .iter()
        .filter_map(|(key, v)| find(fields, entity, key).map(|f| (f.id, v.clone())))
        .collect()
}

/// Checks list-filter `conditions` on `entity` against the definitions and turns them into
/// the index ranges storage looks up.
pub fn index_conditions(
    fields: &[CustomField],
    entity: CustomEntity,
    conditions: &[CustomCondition],
) -> Result<Vec<IndexCondition>> {
    conditions
        .iter()
        .map(|c| {
            let field = find(fields, entity, &c.key).ok_or_else(|| {
                FlameError::validation(format!("custom.{}", c.key), "is not a defined field")
            })?;
            let key_of = |v: &CustomValue| -> Result<String> {
                let value = match v {
                    CustomValue::Text { value } if field.kind == CustomFieldKind::MultiSelect => {
                        CustomValue::text(field.option(value)?)
                    }
                    other => field.check(other.clone())?,
                };
                let mut keys = value.index_keys();
                if keys.len() != 1 {
                    return Err(FlameError::validation(
                        field.field_name(),
                        "filters by one option at a time",
                    ));
                }
                Ok(keys.remove(0))
            };
            match &c.matches {
                CustomMatch::Equals { value } => {
                    let key = key_of(value)?;
                    Ok(IndexCondition {
                        field_id: field.id,
                        min: Some(key.clone()),
                        max: Some(key),
                    })
                }
                CustomMatch::Range { min, max } => {
                    if !field.kind.is_ordered() {
                        return Err(FlameError::validation(
                            field.field_name(),
                            "is not a number, money, date or datetime field: filter by equality",
                        ));
                    }
                    let mut min = min.as_ref().map(key_of).transpose()?;
                    let mut max = max.as_ref().map(key_of).transpose()?;
                    if field.kind == CustomFieldKind::Money {
                        // Money keys are "<currency>:<16 digits>": a range stays in one currency.
                        let currency = match (&min, &max) {
                            (Some(lo), Some(hi)) if lo.get(..4) != hi.get(..4) => {
                                return Err(FlameError::validation(
                                    field.field_name(),
                                    "range bounds must be in one currency",
                                ));
                            }
                            (Some(bound), _) | (None, Some(bound)) => {
                                bound.get(..4).unwrap_or_default().to_owned()
                            }
                            (None, None) => {
                                return Err(FlameError::validation(
                                    field.field_name(),
                                    "a money range needs a bound, which gives its currency",
                                ));
                            }
                        };
                        min.get_or_insert_with(|| format!("{currency}{:016}", 0));
                        max.get_or_insert_with(|| format!("{currency}{}", "9".repeat(16)));
                    }
                    Ok(IndexCondition { field_id: field.id, min, max })
                }
            }
        })
        .collect()
}

/// A list ordered by one custom field's values.
///
/// Records that have a value come first, in the order of the value's index key: numbers,
/// dates and times by value, money by currency code then amount, booleans false before true,
/// text and selects by code point (case-sensitive) — the order `custom_values` is indexed in on
/// both engines, so each page is an index walk. Equal values are ordered by record id. Records
/// without a value follow, by id. `descending` reverses both parts; records without a value
/// still come last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CustomSort {
    /// The field's key.
    pub key: String,
    /// Largest value first.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub descending: bool,
}

impl CustomSort {
    /// Ascending by the field `key`.
    pub fn by(key: impl Into<String>) -> Self {
        Self { key: key.into(), descending: false }
    }
}

/// The field a list of `entity` is sorted by: a field the company defined for it (else a
/// `Validation` error on `sort`), holding one value per record (a multi-select, with several,
/// is refused the same way).
pub fn sort_field<'a>(
    fields: &'a [CustomField],
    entity: CustomEntity,
    sort: &CustomSort,
) -> Result<&'a CustomField> {
    let field = find(fields, entity, sort.key.trim()).ok_or_else(|| {
        FlameError::validation("sort", format!("{} is not a defined field", sort.key.trim()))
    })?;
    if field.kind == CustomFieldKind::MultiSelect {
        return Err(FlameError::validation(
            "sort",
            format!("{} is a multi_select field, which holds several values", field.key),
        ));
    }
    Ok(field)
}

fn check_key(key: &str) -> Result<String> {
    let key = key.trim();
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= KEY_MAX;
    if valid {
        Ok(key.to_owned())
    } else {
        Err(FlameError::validation(
            "key",
            format!(
                "must be 1 to {KEY_MAX} lowercase letters, digits or '_', starting with a letter"
            ),
        ))
    }
}

fn check_options(kind: CustomFieldKind, options: &[String]) -> Result<Vec<String>> {
    if !kind.has_options() {
        if options.is_empty() {
            return Ok(Vec::new());
        }
        return Err(FlameError::validation("options", "only select fields have options"));
    }
    if options.is_empty() {
        return Err(FlameError::validation("options", "a select field needs at least one option"));
    }
    if options.len() > OPTIONS_MAX {
        return Err(FlameError::validation(
            "options",
            format!("must be at most {OPTIONS_MAX} options"),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(options.len());
    for option in options {
        let option = text::required("options", option, OPTION_MAX)?;
        if option.contains(LIST_SEPARATOR) || option.contains('\n') {
            return Err(FlameError::validation("options", "must not contain ';' or line breaks"));
        }
        if checked.iter().any(|o| o.to_lowercase() == option.to_lowercase()) {
            return Err(FlameError::validation("options", "must be unique, ignoring case"));
        }
        checked.push(option);
    }
    Ok(checked)
}

fn check_url(field: &str, input: &str) -> Result<String> {
    let text = text::required(field, input, TEXT_MAX)?;
    let url = url::Url::parse(&text)
        .map_err(|_| FlameError::validation(field, "is not a valid absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(FlameError::validation(field, "must be an http or https URL"));
    }
    Ok(url.to_string())
}

/// An instant in its fixed-width RFC 3339 text: UTC, six fractional digits, so that text
/// order is time order.
fn format_instant(t: OffsetDateTime) -> String {
    let t = clock::normalize(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// The order-preserving text key of a decimal: a sign class (`'-'` for negatives, `'0'` for
/// zero, `'1'` for positives), the decimal exponent as three digits offset by 500 (complemented
/// for negatives) and the significant digits (nine's complement for negatives, terminated by
/// `'~'` so that a shorter mantissa sorts after a longer one of equal prefix). Text order of
/// keys is numeric order of the values.
fn decimal_key(value: Decimal) -> String {
    if value.is_zero() {
        return "0".to_owned();
    }
    let negative = value.is_sign_negative();
    let digits_text = value.abs().normalize().mantissa().to_string();
    let scale = i64::from(value.abs().normalize().scale());
    // value = 0.d1d2d3… × 10^exponent
    let exponent = digits_text.len() as i64 - scale;
    let digits = digits_text.trim_end_matches('0');
    if negative {
        let complement: String =
            digits.chars().map(|d| char::from(b'9' - (d as u8 - b'0') + b'0')).collect();
        format!("-{:03}{complement}~", 500 - exponent)
    } else {
        format!("1{:03}{digits}", 500 + exponent)
    }
}

impl FromStr for CustomFieldKind {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse("kind", s)
    }
}

impl FromStr for CustomEntity {
    type Err = FlameError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse("entity", s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn field(kind: CustomFieldKind, options: &[&str]) -> CustomField {
        CustomField::define(
            CompanyId::new(),
            &NewCustomField {
                entity: CustomEntity::Contact,
                key: "f".into(),
                label: "F".into(),
                kind,
                options: options.iter().map(|o| (*o).to_owned()).collect(),
                required: false,
                position: None,
            },
            0,
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimal_keys_sort_numerically() {
        let values = [
            "-1000",
            "-12.5",
            "-12",
            "-1.25",
            "-1",
            "-0.5",
            "-0.05",
            "0",
            "0.05",
            "0.5",
            "1",
            "1.25",
            "12",
            "12.5",
            "1000",
            "123456789012345678901234567",
        ];
        let keys: Vec<String> = values.iter().map(|v| decimal_key(dec(v))).collect();
        for pair in keys.windows(2) {
            assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(decimal_key(dec("1.50")), decimal_key(dec("1.5")));
    }

    #[test]
    fn values_check_by_kind_naming_the_field() {
        let cases: [(CustomFieldKind, &[&str], &str); 9] = [
            (CustomFieldKind::Number, &[], "ten"),
            (CustomFieldKind::Money, &[], "12"),
            (CustomFieldKind::Money, &[], "12 EUROS"),
            (CustomFieldKind::Date, &[], "2026-13-01"),
            (CustomFieldKind::Datetime, &[], "yesterday"),
            (CustomFieldKind::Bool, &[], "maybe"),
            (CustomFieldKind::Select, &["a", "b"], "c"),
            (CustomFieldKind::Url, &[], "ftp://x.org"),
            (CustomFieldKind::Email, &[], "nope"),
        ];
        for (kind, options, input) in cases {
            let err = field(kind, options).parse_text(input).unwrap_err();
            assert!(
                matches!(&err, FlameError::Validation { field, .. } if field == "custom.f"),
                "{kind:?} {input}: {err:?}"
            );
        }
        let err = field(CustomFieldKind::Number, &[]).check(CustomValue::Bool { value: true });
        assert!(matches!(err, Err(FlameError::Validation { field, .. }) if field == "custom.f"));
    }

    #[test]
    fn text_forms_round_trip() {
        let cases: [(CustomFieldKind, &[&str], &str); 8] = [
            (CustomFieldKind::Number, &[], "-12.50"),
            (CustomFieldKind::Money, &[], "12.50 usd"),
            (CustomFieldKind::Date, &[], "2026-12-04"),
            (CustomFieldKind::Datetime, &[], "2026-12-04T10:00:00+03:00"),
            (CustomFieldKind::Bool, &[], "yes"),
            (CustomFieldKind::Select, &["Retail", "Banks"], "retail"),
            (CustomFieldKind::MultiSelect, &["a", "b", "c"], "c; a; c"),
            (CustomFieldKind::Phone, &[], "+44 20 7946 0958"),
        ];
        for (kind, options, input) in cases {
            let f = field(kind, options);
            let value = f.parse_text(input).unwrap().unwrap();
            let again = f.parse_text(&value.to_text()).unwrap().unwrap();
            assert_eq!(again, value, "{kind:?}");
        }
        let f = field(CustomFieldKind::MultiSelect, &["a", "b", "c"]);
        assert_eq!(f.parse_text("c; a").unwrap().unwrap().to_text(), "a; c");
        let f = field(CustomFieldKind::Datetime, &[]);
        assert_eq!(
            f.parse_text("2026-12-04T10:00:00+03:00").unwrap().unwrap().to_text(),
            "2026-12-04T07:00:00.000000Z"
        );
    }

    #[test]
    fn keys_and_options_are_checked() {
        for bad in ["", "Industry", "1st", "with space", &"k".repeat(64)] {
            let mut input = NewCustomField {
                entity: CustomEntity::Deal,
                key: bad.to_owned(),
                label: "L".into(),
                kind: CustomFieldKind::Text,
                options: vec![],
                required: false,
                position: None,
            };
            let err = CustomField::define(CompanyId::new(), &input, 0, OffsetDateTime::UNIX_EPOCH)
                .unwrap_err();
            assert!(matches!(err, FlameError::Validation { field, .. } if field == "key"), "{bad}");
            input.key = "ok".into();
            input.kind = CustomFieldKind::Select;
            for options in [vec![], vec!["a".to_owned(), "A".to_owned()], vec!["a;b".to_owned()]] {
                input.options = options;
                let err =
                    CustomField::define(CompanyId::new(), &input, 0, OffsetDateTime::UNIX_EPOCH)
                        .unwrap_err();
                assert!(matches!(err, FlameError::Validation { field, .. } if field == "options"));
            }
        }
    }

    #[test]
    fn required_unknown_and_deleted_fields() {
        let mut f = field(CustomFieldKind::Text, &[]);
        f.required = true;
        let fields = vec![f.clone()];
        let err = check_new(&fields, CustomEntity::Contact, &CustomValues::new()).unwrap_err();
        assert_eq!(err, FlameError::validation("custom.f", "is required"));
        let mut input = CustomValues::new();
        input.insert("nope".into(), CustomValue::text("x"));
        let err = check_new(&fields, CustomEntity::Contact, &input).unwrap_err();
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "custom.nope"));
        // A deal field is not a contact field.
        let err = check_new(&fields, CustomEntity::Deal, &input).unwrap_err();
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "custom.nope"));

        let mut input = CustomValues::new();
        input.insert("f".into(), CustomValue::text(" hi "));
        let stored = check_new(&fields, CustomEntity::Contact, &input).unwrap();
        assert_eq!(by_key(&fields, &stored)["f"], CustomValue::text("hi"));
        let clear: CustomValuesPatch = [("f".to_owned(), None)].into();
        let err = check_patch(&fields, CustomEntity::Contact, &stored, &clear).unwrap_err();
        assert_eq!(err, FlameError::validation("custom.f", "is required"));
        assert!(by_key(&[], &stored).is_empty(), "a deleted definition hides its values");
    }

    #[test]
    fn removing_a_used_option_or_changing_kind_needs_a_migration() {
        let f = field(CustomFieldKind::Select, &["a", "b"]);
        let patch = CustomFieldPatch { options: Some(vec!["a".into()]), ..Default::default() };
        let err = f.patched(&patch, true, &|o| o == "b", OffsetDateTime::UNIX_EPOCH).unwrap_err();
        assert!(matches!(err, FlameError::Conflict { entity, .. } if entity == "custom.f"));
        let (next, migration) =
            f.patched(&patch, true, &|_| false, OffsetDateTime::UNIX_EPOCH).unwrap();
        assert_eq!(migration, ValueMigration::Rewrite);
        assert_eq!(next.version, 2);

        let patch = CustomFieldPatch {
            options: Some(vec!["a".into(), "c".into()]),
            option_moves: [("b".to_owned(), Some("c".to_owned()))].into(),
            ..Default::default()
        };
        let (next, _) = f.patched(&patch, true, &|_| true, OffsetDateTime::UNIX_EPOCH).unwrap();
        let moved = f.migrate(&next, &patch, &CustomValue::text("b")).unwrap();
        assert_eq!(moved, Some(CustomValue::text("c")));

        let t = field(CustomFieldKind::Text, &[]);
        let to_number =
            CustomFieldPatch { kind: Some(CustomFieldKind::Number), ..Default::default() };
        let err = t.patched(&to_number, true, &|_| false, OffsetDateTime::UNIX_EPOCH).unwrap_err();
        assert!(matches!(err, FlameError::Conflict { .. }));
        let convert = CustomFieldPatch { convert_values: true, ..to_number };
        let (next, _) = t.patched(&convert, true, &|_| false, OffsetDateTime::UNIX_EPOCH).unwrap();
        assert_eq!(
            t.migrate(&next, &convert, &CustomValue::text("12.50")).unwrap(),
            Some(CustomValue::Number { value: dec("12.5") })
        );
        assert!(matches!(
            t.migrate(&next, &convert, &CustomValue::text("twelve")),
            Err(FlameError::Conflict { .. })
        ));
    }

    #[test]
    fn filters_become_index_ranges() {
        let mut n = field(CustomFieldKind::Number, &[]);
        n.key = "n".into();
        let s = field(CustomFieldKind::Select, &["Retail"]);
        let fields = vec![n, s];
        let conditions = [
            CustomCondition {
                key: "f".into(),
                matches: CustomMatch::Equals { value: CustomValue::text("retail") },
            },
            CustomCondition {
                key: "n".into(),
                matches: CustomMatch::Range {
                    min: Some(CustomValue::Number { value: dec("1") }),
                    max: None,
                },
            },
        ];
        let got = index_conditions(&fields, CustomEntity::Contact, &conditions).unwrap();
        assert_eq!(got[0].min.as_deref(), Some("Retail"));
        assert_eq!(got[1].min, Some(decimal_key(dec("1"))));
        assert_eq!(got[1].max, None);
        let range_on_select = [CustomCondition {
            key: "f".into(),
            matches: CustomMatch::Range { min: None, max: None },
        }];
        let err = index_conditions(&fields, CustomEntity::Contact, &range_on_select).unwrap_err();
        assert!(matches!(err, FlameError::Validation { field, .. } if field == "custom.f"));
    }
}
