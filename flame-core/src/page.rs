//! Keyset pagination shared by every list: a page of items and an opaque cursor for the next.

use serde::{Deserialize, Serialize};

use crate::error::{FlameError, Result};

/// The page size used when the caller gives none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 500;

/// Which page to read: at most `limit` items after `cursor` (the `next_cursor` of the previous
/// page; `None` for the first page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// How many items at most; `None` means [`DEFAULT_LIMIT`].
    pub limit: Option<u32>,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self { limit: Some(limit), cursor: None }
    }

    /// The page after the one that returned `cursor`.
    pub fn after(limit: u32, cursor: impl Into<String>) -> Self {
        Self { limit: Some(limit), cursor: Some(cursor.into()) }
    }

    /// The validated page size.
    pub fn limit(&self) -> Result<u32> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(FlameError::validation("limit", format!("must be 1 to {MAX_LIMIT}"))),
        }
    }

    /// The cursor decoded as the UUID of the last item of the previous page.
    pub fn cursor_uuid(&self) -> Result<Option<uuid::Uuid>> {
        self.cursor
            .as_deref()
            .map(|c| {
                uuid::Uuid::parse_str(c)
                    .map_err(|_| FlameError::validation("cursor", "is not a cursor of this list"))
            })
            .transpose()
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Pass this to [`PageRequest::after`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items: the extra one only proves that
    /// another page exists. `key` gives the cursor of an item.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> uuid::Uuid) -> Self {
        let limit = limit as usize;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| key(last).to_string())
        } else {
            None
        };
        Self { items, next_cursor }
    }
}
