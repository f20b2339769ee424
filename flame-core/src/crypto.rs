//! Keys for the secrets Flame stores encrypted (integration credentials).
//!
//! A key is 256 bits, held in a [`secrecy`] box: it never appears in `Debug` output, logs or
//! errors, and its memory is zeroed when dropped.

use std::fmt;

use secrecy::{ExposeSecret, SecretBox};

use crate::error::{FlameError, Result};

/// A 256-bit encryption key with the id that stored ciphertexts name it by.
pub struct EncryptionKey {
    id: String,
    bytes: SecretBox<[u8; 32]>,
}

impl EncryptionKey {
    /// A key from its 32 raw bytes; `id` names it in stored ciphertexts so keys can rotate.
    pub fn from_bytes(id: &str, bytes: &[u8]) -> Result<Self> {
        let id = crate::text::required("key_id", id, 64)?;
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| FlameError::validation("key", "must be exactly 32 bytes (256 bits)"))?;
        Ok(Self { id, bytes: SecretBox::new(Box::new(array)) })
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The raw key, for the cipher only.
    pub fn expose(&self) -> &[u8; 32] {
        self.bytes.expose_secret()
    }
}

impl Clone for EncryptionKey {
    fn clone(&self) -> Self {
        Self { id: self.id.clone(), bytes: SecretBox::new(Box::new(*self.expose())) }
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey").field("id", &self.id).field("bytes", &"[redacted]").finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = EncryptionKey::from_bytes("k1", &[0xAB; 32]).expect("32 bytes");
        let shown = format!("{key:?}");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab, "), "{shown}");
        assert!(shown.contains("redacted"));
        assert!(EncryptionKey::from_bytes("k1", &[0; 16]).is_err());
    }
}
