//! Tags: a company's vocabulary of labels, which its contacts and deals carry any number of.
//!
//! A tag's name is unique in its company whatever its case (`"VIP"` and `"vip"` are one tag)
//! and keeps the display case of its first creation. Records carry tags by name
//! ([`Contact::tags`](crate::contact::Contact::tags), [`Deal::tags`](crate::deal::Deal::tags));
//! tagging a record creates the tag on first use and does not change the record's version
//! (it emits `contact.tagged`, `deal.tagged` or `organization.tagged` instead of `contact.updated`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::custom_field::LIST_SEPARATOR;
use crate::error::{FlameError, Result};
use crate::id::{CompanyId, TagId};
use crate::text;

/// The most characters a tag's name may have.
pub const TAG_NAME_MAX: usize = 64;

/// A label of the company's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Tag {
    /// Its id.
    pub id: TagId,
    /// The company that owns it.
    pub company_id: CompanyId,
    /// Its name, as first written (unique in the company whatever its case).
    pub name: String,
    /// Its color, `"#rrggbb"` in lowercase, if it has one.
    pub color: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed (renamed or recolored).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version: pass it back to rename, recolor or delete.
    pub version: i64,
}

impl Tag {
    /// A new tag named `name` (validated by [`name`]).
    pub fn create(company_id: CompanyId, name: &str, now: OffsetDateTime) -> Result<Self> {
        Ok(Self {
            id: TagId::new(),
            company_id,
            name: self::name(name)?,
            color: None,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// The key names are unique by: the name in lowercase.
    pub fn key(&self) -> String {
        key(&self.name)
    }
}

/// What a tag is put on. Each kind keeps its taggings apart (one table each), so that
/// listing the records of a tag walks one index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tagged {
    /// A [`Contact`](crate::contact::Contact).
    Contact,
    /// A [`Deal`](crate::deal::Deal).
    Deal,
    /// An [`Organization`](crate::organization::Organization).
    Organization,
}

impl Tagged {
    /// Every kind.
    pub const ALL: [Tagged; 3] = [Tagged::Contact, Tagged::Deal, Tagged::Organization];

    /// The entity's name (`"contact"`).
    pub const fn entity(self) -> &'static str {
        match self {
            Tagged::Contact => "contact",
            Tagged::Deal => "deal",
            Tagged::Organization => "organization",
        }
    }
}

/// Validates a tag name (field `"tag"`): trimmed, not empty, at most [`TAG_NAME_MAX`]
/// characters, no control characters, no line breaks, and no [`LIST_SEPARATOR`] (`;`),
/// which separates the tags of a record in a CSV cell ([`parse_list`]).
pub fn name(name: &str) -> Result<String> {
    let name = text::required("tag", name, TAG_NAME_MAX)?;
    if name.contains(['\n', '\t']) {
        return Err(FlameError::validation("tag", "must be one line"));
    }
    if name.contains(LIST_SEPARATOR) {
        return Err(FlameError::validation(
            "tag",
            format!("must not contain {LIST_SEPARATOR:?} (it separates tags in CSV)"),
        ));
    }
    Ok(name)
}

/// The tags of a record as one CSV cell: their names joined by `"; "`, the way a
/// multi-select value is written ([`CustomValue::to_text`](crate::custom_field::CustomValue::to_text)).
/// [`parse_list`] reads it back.
pub fn list_text(names: &[String]) -> String {
    names.join("; ")
}

/// The tag names of a CSV cell (what [`list_text`] writes): split at [`LIST_SEPARATOR`],
/// trimmed, blanks skipped, each validated like [`name`] (a bad one is a `Validation` error
/// on `field`, the cell's column), repeats in any case dropped; in the cell's order.
pub fn parse_list(field: &str, cell: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for part in cell.split(LIST_SEPARATOR).map(str::trim).filter(|p| !p.is_empty()) {
        let name = name(part).map_err(|e| e.at(field))?;
        if !names.iter().any(|n| key(n) == key(&name)) {
            names.push(name);
        }
    }
    Ok(names)
}

/// The key a (valid) tag name is unique by, in its company.
pub fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Validates a color (field `"color"`): `"#rrggbb"` in hex digits of any case, stored in
/// lowercase. `None` or blank is no color.
pub fn color(color: Option<&str>) -> Result<Option<String>> {
    let Some(c) = color.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let hex = c.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(FlameError::validation("color", "must be #rrggbb in hex digits"));
    }
    Ok(Some(c.to_ascii_lowercase()))
}

/// Sorts tag names as records show them: case-insensitively, then by the name itself.
pub fn sort_names(names: &mut [String]) {
    names.sort_by_cached_key(|n| (key(n), n.clone()));
}

/// Validates the tag names of a list filter (field `"tags"`), removing repeats (in any case);
/// returns their keys.
pub fn filter_keys(names: &[String]) -> Result<Vec<String>> {
    let mut keys = Vec::with_capacity(names.len());
    for n in names {
        let k = key(&name(n).map_err(|e| e.at("tags"))?);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: FlameError) -> String {
        match err {
            FlameError::Validation { field, .. } => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_are_trimmed_bounded_and_keyed_by_lowercase() {
        let t = Tag::create(CompanyId::new(), "  VIP Client ", OffsetDateTime::UNIX_EPOCH)
            .expect("valid");
        assert_eq!(t.name, "VIP Client");
        assert_eq!(t.key(), "vip client");
        assert_eq!(name(&"é".repeat(64)).expect("64 chars"), "é".repeat(64));
        for bad in ["", "   ", &"x".repeat(65), "a\nb", "a\u{7}", "a;b"] {
            assert_eq!(field_of(name(bad).expect_err("rejected")), "tag", "{bad:?}");
        }
    }

    #[test]
    fn colors_are_hex_triplets() {
        assert_eq!(color(Some("#A0b1C2")).expect("valid").as_deref(), Some("#a0b1c2"));
        assert_eq!(color(Some("  ")).expect("blank"), None);
        assert_eq!(color(None).expect("none"), None);
        for bad in ["a0b1c2", "#abc", "#abcdeg", "#abcdef0", "red"] {
            assert_eq!(field_of(color(Some(bad)).expect_err("rejected")), "color", "{bad}");
        }
    }

    #[test]
    fn filters_dedupe_in_any_case_and_name_their_field() {
        let keys = filter_keys(&["VIP".into(), "vip".into(), "Lead".into()]).expect("valid");
        assert_eq!(keys, ["vip", "lead"]);
        assert_eq!(field_of(filter_keys(&[" ".into()]).expect_err("blank")), "tags");
    }

    #[test]
    fn a_cell_of_tags_reads_back_what_it_writes() {
        let names = vec!["VIP".to_owned(), "Lead, warm".to_owned(), "\"quoted\"".to_owned()];
        assert_eq!(list_text(&names), "VIP; Lead, warm; \"quoted\"");
        assert_eq!(parse_list("tags", &list_text(&names)).expect("valid"), names);
        assert_eq!(parse_list("tags", " vip ;; VIP; Lead ").expect("valid"), ["vip", "Lead"]);
        assert_eq!(parse_list("tags", "  ").expect("blank"), Vec::<String>::new());
        assert_eq!(field_of(parse_list("tags", &"x".repeat(65)).expect_err("long")), "tags");
    }

    #[test]
    fn names_sort_case_insensitively() {
        let mut names = vec!["beta".to_owned(), "Alpha".to_owned(), "alpha2".to_owned()];
        sort_names(&mut names);
        assert_eq!(names, ["Alpha", "alpha2", "beta"]);
    }
}
