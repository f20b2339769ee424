//! Keyset pagination shared by every list: a page of items and an opaque cursor for the next.
//!
//! Most lists run newest first and their cursor is the id of the last item read. A list
//! ordered by a text key (a prefix search, ordered by what it matched) resumes after a
//! `(key, id)` pair instead: its cursor is a [`KeyCursor`], encoded as an opaque string that
//! names the ordering it belongs to, so that a cursor of one ordering is refused by another.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::{FlameError, Result};

/// The page size used when the caller gives none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 500;

/// Which page to read: at most `limit` items after `cursor` (the `next_cursor` of the previous
/// page; `None` for the first page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PageRequest {
    /// How many items at most; `None` means [`DEFAULT_LIMIT`].
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<u32>,
    /// Where the previous page ended.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
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
            .map(|c| uuid::Uuid::parse_str(c).map_err(|_| not_a_cursor()))
            .transpose()
    }

    /// The cursor decoded as the [`KeyCursor`] of a list ordered by `order` (see
    /// [`KeyCursor::encode`]). A cursor of another ordering, of an id-ordered list or a
    /// garbled one is a `Validation` error on `"cursor"`.
    pub fn cursor_key(&self, order: &str) -> Result<Option<KeyCursor>> {
        self.cursor.as_deref().map(|c| KeyCursor::decode(c, order)).transpose()
    }
}

fn not_a_cursor() -> FlameError {
    FlameError::validation("cursor", "is not a cursor of this list")
}

/// Where a page of a list ordered by a text key, then by id, ended: the key and the id of its
/// last item. The next page starts after `(key, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCursor {
    /// The sort key of the last item.
    pub key: String,
    /// The id of the last item (it breaks ties between equal keys).
    pub id: uuid::Uuid,
}

/// The format version of an encoded [`KeyCursor`].
const KEY_CURSOR_V1: u8 = 1;

impl KeyCursor {
    /// The opaque text of this cursor in the list ordered by `order` (a short name of the
    /// ordering, at most 255 bytes, such as `"name"`): base64url without padding of the
    /// bytes `[1, len(order), order…, id (16 bytes), key (UTF-8)…]`, the leading 1 being the
    /// format version. Callers treat it as opaque.
    pub fn encode(&self, order: &str) -> String {
        let order = &order.as_bytes()[..order.len().min(usize::from(u8::MAX))];
        let mut bytes = Vec::with_capacity(2 + order.len() + 16 + self.key.len());
        bytes.push(KEY_CURSOR_V1);
        bytes.push(u8::try_from(order.len()).unwrap_or(u8::MAX));
        bytes.extend_from_slice(order);
        bytes.extend_from_slice(self.id.as_bytes());
        bytes.extend_from_slice(self.key.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes the text [`encode`](Self::encode) made for `order`. Anything else — another
    /// ordering, another version, a UUID cursor, garbled text — is a `Validation` error on
    /// `"cursor"`.
    pub fn decode(text: &str, order: &str) -> Result<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| not_a_cursor())?;
        let (&version, rest) = bytes.split_first().ok_or_else(not_a_cursor)?;
        let (&len, rest) = rest.split_first().ok_or_else(not_a_cursor)?;
        let len = usize::from(len);
        if version != KEY_CURSOR_V1 || rest.len() < len + 16 || &rest[..len] != order.as_bytes() {
            return Err(not_a_cursor());
        }
        let (id, key) = rest[len..].split_at(16);
        let id = uuid::Uuid::from_slice(id).map_err(|_| not_a_cursor())?;
        let key = String::from_utf8(key.to_vec()).map_err(|_| not_a_cursor())?;
        Ok(Self { key, id })
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
    pub fn from_overfetch(items: Vec<T>, limit: u32, key: impl Fn(&T) -> uuid::Uuid) -> Self {
        Self::overfetched(items, limit, |last| key(last).to_string())
    }

    /// Like [`from_overfetch`](Self::from_overfetch), for a list ordered by `order` on a text
    /// key: `key` gives the [`KeyCursor`] of an item.
    pub fn from_overfetch_keyed(
        items: Vec<T>,
        limit: u32,
        order: &str,
        key: impl Fn(&T) -> KeyCursor,
    ) -> Self {
        Self::overfetched(items, limit, |last| key(last).encode(order))
    }

    fn overfetched(mut items: Vec<T>, limit: u32, cursor: impl Fn(&T) -> String) -> Self {
        let limit = limit as usize;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next_cursor }
    }

    /// The same page with each item converted by `f`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(key: &str) -> KeyCursor {
        KeyCursor { key: key.into(), id: uuid::Uuid::now_v7() }
    }

    #[track_caller]
    fn assert_not_a_cursor(result: Result<KeyCursor>) {
        assert!(
            matches!(&result, Err(FlameError::Validation { field, .. }) if field == "cursor"),
            "{result:?}"
        );
    }

    #[test]
    fn key_cursors_round_trip_as_opaque_text() {
        for key in ["", "ada lovelace", "+44207", "ünïcödé 名前 🙂", &"x".repeat(800)] {
            let c = cursor(key);
            let text = c.encode("name");
            assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(KeyCursor::decode(&text, "name").expect("decodes"), c);
            let page = PageRequest::after(10, text);
            assert_eq!(page.cursor_key("name").expect("decodes"), Some(c));
        }
        assert_eq!(PageRequest::first(10).cursor_key("name").expect("none"), None);
    }

    #[test]
    fn key_cursors_belong_to_one_ordering() {
        let c = cursor("ada");
        assert_not_a_cursor(KeyCursor::decode(&c.encode("name"), "phone"));
        assert_not_a_cursor(KeyCursor::decode(&c.encode("nam"), "name"));
        // An id cursor is not a key cursor, and the other way round.
        assert_not_a_cursor(KeyCursor::decode(&c.id.to_string(), "name"));
        let keyed = PageRequest::after(10, c.encode("name"));
        assert!(matches!(keyed.cursor_uuid(), Err(FlameError::Validation { .. })));
    }

    #[test]
    fn garbled_key_cursors_are_refused() {
        let text = cursor("ada").encode("name");
        let mut bytes = URL_SAFE_NO_PAD.decode(&text).expect("base64");
        for bad in [
            String::new(),
            "garbage!".into(),
            "AQ".into(),
            text[..12].to_owned(),
            format!("{text}="),
        ] {
            assert_not_a_cursor(KeyCursor::decode(&bad, "name"));
        }
        bytes[0] = 2;
        assert_not_a_cursor(KeyCursor::decode(&URL_SAFE_NO_PAD.encode(&bytes), "name"));
        bytes[0] = KEY_CURSOR_V1;
        bytes.push(0xff);
        assert_not_a_cursor(KeyCursor::decode(&URL_SAFE_NO_PAD.encode(&bytes), "name"));
    }

    #[test]
    fn keyed_pages_carry_the_last_key() {
        let items = vec![cursor("a"), cursor("b"), cursor("c")];
        let page = Page::from_overfetch_keyed(items.clone(), 2, "name", Clone::clone);
        assert_eq!(page.items, items[..2]);
        let next = page.next_cursor.expect("more");
        assert_eq!(KeyCursor::decode(&next, "name").expect("decodes"), items[1]);
        let last = Page::from_overfetch_keyed(items.clone(), 3, "name", Clone::clone);
        assert_eq!(last.next_cursor, None);
    }
}
