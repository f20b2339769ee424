//! Keys and the cipher for the secrets Flame stores encrypted (integration credentials,
//! webhook signing secrets).
//!
//! A key is 256 bits, held in a [`secrecy`] box: it never appears in `Debug` output, logs or
//! errors, and its memory is zeroed when dropped. A [`Keyring`] holds the primary key, which
//! encrypts, and older keys, which still decrypt what they encrypted until it is
//! [resealed](Keyring::reseal).
//!
//! [`seal`] encrypts a secret with AES-256-GCM under the primary key and a fresh random 96-bit
//! nonce; [`open`] decrypts it. Both bind the ciphertext to its place with the associated data
//! [`Aad`] (company, integration, field): a ciphertext copied into another row or another field
//! does not decrypt there.
//!
//! # Stored form
//!
//! A [`SealedSecret`] is stored as one line of ASCII text:
//!
//! ```text
//! v1:<key_id>:<nonce>:<ciphertext>
//! ```
//!
//! - `v1` — the format version: AES-256-GCM, 96-bit nonce, 128-bit tag, the associated data
//!   of [`Aad`];
//! - `key_id` — the id of the key that encrypted it (`[A-Za-z0-9._-]`, at most 64 characters);
//! - `nonce` — the 12 nonce bytes, standard base64 with padding;
//! - `ciphertext` — the encrypted secret followed by the 16-byte authentication tag, standard
//!   base64 with padding.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::zeroize::{Zeroize, Zeroizing};
use secrecy::{ExposeSecret, SecretBox, SecretString};

use crate::error::{FlameError, Result};
use crate::id::CompanyId;
use crate::integration::IntegrationId;

/// The most characters a key id may have.
const KEY_ID_MAX: usize = 64;
/// The most characters the name of an encrypted field may have.
const FIELD_MAX: usize = 64;
/// The most characters a [`Credential`] may have.
pub const CREDENTIAL_MAX: usize = 4_096;
/// The length of an AES-GCM nonce in bytes (96 bits).
const NONCE_LEN: usize = 12;
/// The length of an AES-GCM authentication tag in bytes (128 bits).
const TAG_LEN: usize = 16;
/// The version prefix of the stored form.
const VERSION: &str = "v1";

/// A 256-bit encryption key with the id that stored ciphertexts name it by.
pub struct EncryptionKey {
    id: String,
    bytes: SecretBox<[u8; 32]>,
}

impl EncryptionKey {
    /// A key from its 32 raw bytes; `id` names it in stored ciphertexts so keys can rotate.
    ///
    /// The id is at most 64 characters of ASCII letters, digits, `'.'`, `'_'` and `'-'`.
    pub fn from_bytes(id: &str, bytes: &[u8]) -> Result<Self> {
        let id = crate::text::required("key_id", id, KEY_ID_MAX)?;
        if !is_key_id(&id) {
            return Err(FlameError::validation(
                "key_id",
                "must contain only ASCII letters, digits, '.', '_' and '-'",
            ));
        }
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| FlameError::validation("key", "must be exactly 32 bytes (256 bits)"))?;
        Ok(Self { id, bytes: SecretBox::new(Box::new(array)) })
    }

    /// A key from the standard base64 text of its 32 bytes (padding optional, surrounding
    /// whitespace ignored), as `openssl rand -base64 32` prints it.
    ///
    /// Errors name the field `"key"` and never repeat the text.
    pub fn from_base64(id: &str, text: &str) -> Result<Self> {
        let decoded = decode_base64(text.trim())
            .map(Zeroizing::new)
            .ok_or_else(|| FlameError::validation("key", "is not valid base64"))?;
        Self::from_bytes(id, &decoded)
    }

    /// A key from the environment variable `var_name`, which holds the key in base64 (see
    /// [`from_base64`](Self::from_base64)).
    ///
    /// Errors name the variable and never repeat its value.
    pub fn from_env(id: &str, var_name: &str) -> Result<Self> {
        Self::from_env_value(id, var_name, std::env::var(var_name))
    }

    fn from_env_value(
        id: &str,
        var_name: &str,
        value: std::result::Result<String, std::env::VarError>,
    ) -> Result<Self> {
        let value = match value {
            Ok(value) => Zeroizing::new(value),
            Err(std::env::VarError::NotPresent) => {
                return Err(FlameError::validation(var_name, "is not set"));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(FlameError::validation(var_name, "is not valid base64"));
            }
        };
        Self::from_base64(id, &value).map_err(|e| match e {
            FlameError::Validation { field, reason } if field == "key" => {
                FlameError::validation(var_name, reason)
            }
            other => other,
        })
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The raw key, for the cipher only.
    pub fn expose(&self) -> &[u8; 32] {
        self.bytes.expose_secret()
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.expose().into())
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

fn is_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= KEY_ID_MAX
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Standard base64, with or without padding.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(text).ok()
}

/// The keys that encrypt and decrypt stored secrets: one primary key, which [`seal`] uses,
/// and older keys by id, which [`open`] still accepts so that keys can rotate.
#[derive(Clone)]
pub struct Keyring {
    primary: EncryptionKey,
    older: BTreeMap<String, EncryptionKey>,
}

impl Keyring {
    /// A keyring whose primary key is `primary`.
    pub fn new(primary: EncryptionKey) -> Self {
        Self { primary, older: BTreeMap::new() }
    }

    /// The keyring with `key` added as an older key (decrypts, never encrypts). Refuses a key
    /// whose id is already in the keyring.
    pub fn with_older(mut self, key: EncryptionKey) -> Result<Self> {
        if self.get(key.id()).is_some() {
            return Err(FlameError::validation("key_id", "is already in the keyring"));
        }
        self.older.insert(key.id.clone(), key);
        Ok(self)
    }

    /// The key new secrets are sealed with.
    pub fn primary(&self) -> &EncryptionKey {
        &self.primary
    }

    /// The key whose id is `id`, primary or older.
    pub fn get(&self, id: &str) -> Option<&EncryptionKey> {
        if self.primary.id == id { Some(&self.primary) } else { self.older.get(id) }
    }

    /// The ids of the keys, the primary first, then the older ones in order.
    pub fn key_ids(&self) -> Vec<&str> {
        std::iter::once(self.primary.id()).chain(self.older.keys().map(String::as_str)).collect()
    }

    /// Whether `sealed` was encrypted with a key other than the primary one (and so should be
    /// [resealed](Self::reseal)).
    pub fn needs_reseal(&self, sealed: &SealedSecret) -> bool {
        sealed.key_id != self.primary.id
    }

    /// Decrypts `sealed` with whichever key sealed it and encrypts it again with the primary
    /// key and a fresh nonce, for the same `aad`. The secret itself never leaves the function.
    pub fn reseal(&self, sealed: &SealedSecret, aad: &Aad) -> Result<SealedSecret> {
        let secret = open(self, sealed, aad)?;
        seal(self, &secret, aad)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("primary", &self.primary.id)
            .field("older", &self.older.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// An integration credential held in memory: a bot token, an API key, an OAuth token, a
/// webhook signing secret.
///
/// It is a [`SecretString`]: `Debug` shows `[redacted]`, there is no `Display` and no
/// `Serialize`, and the memory is zeroed on drop. The value is trimmed, not empty, at most
/// [`CREDENTIAL_MAX`] characters and free of control characters.
#[derive(Clone)]
pub struct Credential(SecretString);

impl Credential {
    /// Validates `value` as the credential `field` (`"bot_token"`); errors name the field and
    /// never repeat the value.
    pub fn new(field: &str, value: SecretString) -> Result<Self> {
        let text = value.expose_secret();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(FlameError::validation(field, "must not be empty"));
        }
        if trimmed.chars().nth(CREDENTIAL_MAX).is_some() {
            return Err(FlameError::validation(
                field,
                format!("must be at most {CREDENTIAL_MAX} characters"),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FlameError::validation(field, "must not contain control characters"));
        }
        if trimmed.len() == text.len() {
            return Ok(Self(value));
        }
        Ok(Self(SecretString::from(trimmed.to_owned())))
    }

    /// The credential in clear, for the one call that needs it (an HTTP header, a signature).
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The credential as a [`SecretString`], for [`seal`] and [`webhook`](crate::integration::webhook).
    pub fn as_secret(&self) -> &SecretString {
        &self.0
    }
}

impl From<Credential> for SecretString {
    fn from(credential: Credential) -> Self {
        credential.0
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential([redacted])")
    }
}

/// The associated data a secret is sealed with: the company, the integration and the field
/// it belongs to. Decryption succeeds only with the same three.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aad {
    company_id: CompanyId,
    integration_id: IntegrationId,
    field: String,
}

impl Aad {
    /// The associated data of the secret `field` (`"bot_token"`: 1 to 64 lowercase ASCII
    /// letters, digits and `'_'`) of an integration of a company.
    pub fn new(company_id: CompanyId, integration_id: IntegrationId, field: &str) -> Result<Self> {
        let valid = !field.is_empty()
            && field.len() <= FIELD_MAX
            && field.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(FlameError::validation(
                "field",
                "must be 1 to 64 lowercase ASCII letters, digits or '_'",
            ));
        }
        Ok(Self { company_id, integration_id, field: field.to_owned() })
    }

    /// The company the secret belongs to.
    pub fn company_id(&self) -> CompanyId {
        self.company_id
    }

    /// The integration the secret belongs to.
    pub fn integration_id(&self) -> IntegrationId {
        self.integration_id
    }

    /// The field of the integration that holds the secret.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The bytes authenticated with the ciphertext:
    /// `flame.secret.v1|<company uuid>|<integration uuid>|<field>` (unambiguous: the ids have
    /// a fixed length and the field has no `'|'`).
    fn to_bytes(&self) -> Vec<u8> {
        format!("flame.secret.v1|{}|{}|{}", self.company_id, self.integration_id, self.field)
            .into_bytes()
    }

    /// A [`FlameError::Crypto`] naming the field and the integration, never the secret.
    fn error(&self, what: &str) -> FlameError {
        FlameError::Crypto {
            reason: format!("field {} of integration {}: {what}", self.field, self.integration_id),
        }
    }
}

/// A secret encrypted with AES-256-GCM: the id of the key, the nonce and the ciphertext with
/// its tag. Stored and serialized as the text `v1:<key_id>:<nonce>:<ciphertext>` (see the
/// [module documentation](self)).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SealedSecret {
    key_id: String,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl SealedSecret {
    /// The id of the key that sealed it: when it is not the primary key's, the secret should
    /// be [resealed](Keyring::reseal).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Parses the stored form. Malformed text is a [`FlameError::Crypto`] (stored data was
    /// damaged), which does not repeat the text.
    pub fn parse(stored: &str) -> Result<Self> {
        let malformed =
            |what: &str| FlameError::Crypto { reason: format!("stored secret: {what}") };
        let mut parts = stored.trim().split(':');
        let (Some(version), Some(key_id), Some(nonce), Some(ciphertext), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("is not of the form v1:<key_id>:<nonce>:<ciphertext>"));
        };
        if version != VERSION {
            return Err(malformed("has an unknown format version"));
        }
        if !is_key_id(key_id) {
            return Err(malformed("has an invalid key id"));
        }
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| malformed("has an invalid nonce"))?;
        let ciphertext = STANDARD
            .decode(ciphertext)
            .ok()
            .filter(|c| c.len() >= TAG_LEN)
            .ok_or_else(|| malformed("has an invalid ciphertext"))?;
        Ok(Self { key_id: key_id.to_owned(), nonce, ciphertext })
    }

    /// The stored form, `v1:<key_id>:<nonce>:<ciphertext>`.
    pub fn to_stored(&self) -> String {
        format!(
            "{VERSION}:{}:{}:{}",
            self.key_id,
            STANDARD.encode(self.nonce),
            STANDARD.encode(&self.ciphertext)
        )
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_stored())
    }
}

impl FromStr for SealedSecret {
    type Err = FlameError;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SealedSecret {
    type Error = FlameError;

    fn try_from(value: String) -> Result<Self> {
        Self::parse(&value)
    }
}

impl From<SealedSecret> for String {
    fn from(sealed: SealedSecret) -> Self {
        sealed.to_stored()
    }
}

/// Encrypts `plaintext` with the keyring's primary key and a fresh random nonce, bound to
/// `aad`. Two seals of the same secret differ.
///
/// Fails (with [`FlameError::Crypto`]) only when the system random generator does.
pub fn seal(keyring: &Keyring, plaintext: &SecretString, aad: &Aad) -> Result<SealedSecret> {
    let key = keyring.primary();
    let mut nonce = [0_u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| aad.error("the system random generator failed"))?;
    let aad_bytes = aad.to_bytes();
    let payload = Payload { msg: plaintext.expose_secret().as_bytes(), aad: &aad_bytes };
    let ciphertext = key
        .cipher()
        .encrypt(&Nonce::from(nonce), payload)
        .map_err(|_| aad.error("the secret could not be encrypted"))?;
    Ok(SealedSecret { key_id: key.id.clone(), nonce, ciphertext })
}

/// Decrypts `sealed` with the key it names, checking that it was sealed for `aad`.
///
/// An unknown key id, a wrong key, another row's or field's ciphertext, or tampered data is a
/// [`FlameError::Crypto`] that names the field and the integration — never a garbage secret.
pub fn open(keyring: &Keyring, sealed: &SealedSecret, aad: &Aad) -> Result<SecretString> {
    let key = keyring
        .get(&sealed.key_id)
        .ok_or_else(|| aad.error(&format!("key {} is not in the keyring", sealed.key_id)))?;
    let aad_bytes = aad.to_bytes();
    let payload = Payload { msg: &sealed.ciphertext, aad: &aad_bytes };
    let mut plaintext = key
        .cipher()
        .decrypt(&Nonce::from(sealed.nonce), payload)
        .map_err(|_| aad.error("cannot decrypt: wrong key, wrong record or tampered data"))?;
    // Copied into an exactly sized `String` so that the secret is not reallocated (and left
    // behind unzeroed) on its way into the box.
    let text = std::str::from_utf8(&plaintext).map(str::to_owned);
    plaintext.zeroize();
    let text = text.map_err(|_| aad.error("the decrypted secret is not UTF-8"))?;
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::new(EncryptionKey::from_bytes("k2", &[0x42; 32]).expect("key"))
    }

    fn aad(field: &str) -> Aad {
        Aad::new(CompanyId::new(), IntegrationId::new(), field).expect("aad")
    }

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    fn crypto_reason(err: FlameError) -> String {
        match err {
            FlameError::Crypto { reason } => reason,
            other => panic!("expected a crypto error, got {other:?}"),
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = EncryptionKey::from_bytes("k1", &[0xAB; 32]).expect("32 bytes");
        let shown = format!("{key:?}");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab, "), "{shown}");
        assert!(shown.contains("redacted"));
        assert!(EncryptionKey::from_bytes("k1", &[0; 16]).is_err());
        let ring = format!("{:?}", Keyring::new(key));
        assert_eq!(ring, r#"Keyring { primary: "k1", older: [] }"#);
    }

    #[test]
    fn key_ids_cannot_break_the_stored_form() {
        for id in ["a:b", "k 1", "ключ", &"k".repeat(65)] {
            let err = EncryptionKey::from_bytes(id, &[1; 32]).expect_err(id);
            assert!(matches!(&err, FlameError::Validation { field, .. } if field == "key_id"));
        }
        assert!(EncryptionKey::from_bytes("2026-01.primary_A", &[1; 32]).is_ok());
    }

    #[test]
    fn key_from_base64() {
        let text = STANDARD.encode([7_u8; 32]);
        let key = EncryptionKey::from_base64("k1", &format!(" {text}\n")).expect("valid");
        assert_eq!(key.expose(), &[7; 32]);
        let unpadded = text.trim_end_matches('=');
        assert_eq!(EncryptionKey::from_base64("k1", unpadded).expect("valid").expose(), &[7; 32]);

        let not_base64 = "this is not base64 at all!";
        let err = EncryptionKey::from_base64("k1", not_base64).expect_err("rejected");
        assert_eq!(err, FlameError::validation("key", "is not valid base64"));
        let short = STANDARD.encode([7_u8; 16]);
        let err = EncryptionKey::from_base64("k1", &short).expect_err("rejected");
        assert_eq!(err, FlameError::validation("key", "must be exactly 32 bytes (256 bits)"));
        assert!(!err.to_string().contains(&short));
    }

    #[test]
    fn key_from_env_names_the_variable_not_the_value() {
        let var = "FLAME_TEST_KEY_THAT_IS_NEVER_SET_4b1c";
        let err = EncryptionKey::from_env("k1", var).expect_err("unset");
        assert_eq!(err, FlameError::validation(var, "is not set"));

        let value = "hunter2-is-not-a-key";
        let err = EncryptionKey::from_env_value("k1", "FLAME_KEY", Ok(value.to_owned()))
            .expect_err("invalid");
        assert_eq!(err, FlameError::validation("FLAME_KEY", "is not valid base64"));
        assert!(!format!("{err} {err:?}").contains("hunter2"));

        let short = STANDARD.encode([1_u8; 31]);
        let err = EncryptionKey::from_env_value("k1", "FLAME_KEY", Ok(short)).expect_err("short");
        assert_eq!(err, FlameError::validation("FLAME_KEY", "must be exactly 32 bytes (256 bits)"));

        let good = STANDARD.encode([9_u8; 32]);
        let key = EncryptionKey::from_env_value("k9", "FLAME_KEY", Ok(good)).expect("valid");
        assert_eq!((key.id(), key.expose()), ("k9", &[9; 32]));
    }

    #[test]
    fn round_trip() {
        let ring = keyring();
        let aad = aad("bot_token");
        let sealed = seal(&ring, &secret("123456:ABC-DEF1234ghIkl"), &aad).expect("sealed");
        assert_eq!(sealed.key_id(), "k2");
        let stored = sealed.to_stored();
        assert!(stored.starts_with("v1:k2:"), "{stored}");
        let parsed: SealedSecret = stored.parse().expect("parses");
        assert_eq!(parsed, sealed);
        let opened = open(&ring, &parsed, &aad).expect("opens");
        assert_eq!(opened.expose_secret(), "123456:ABC-DEF1234ghIkl");

        let json = serde_json::to_string(&sealed).expect("json");
        assert_eq!(json, format!("\"{stored}\""));
        assert_eq!(serde_json::from_str::<SealedSecret>(&json).expect("back"), sealed);
    }

    #[test]
    fn every_seal_has_a_fresh_nonce() {
        let ring = keyring();
        let aad = aad("api_key");
        let a = seal(&ring, &secret("same"), &aad).expect("sealed");
        let b = seal(&ring, &secret("same"), &aad).expect("sealed");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_ne!(a.to_stored(), b.to_stored());
    }

    #[test]
    fn the_wrong_key_does_not_open() {
        let aad = aad("api_key");
        let sealed = seal(&keyring(), &secret("s3cr3t-value"), &aad).expect("sealed");
        // Another key under the same id.
        let impostor = Keyring::new(EncryptionKey::from_bytes("k2", &[0x43; 32]).expect("key"));
        let reason = crypto_reason(open(&impostor, &sealed, &aad).expect_err("wrong key"));
        assert!(reason.contains("api_key") && reason.contains(&aad.integration_id().to_string()));
        assert!(reason.contains("wrong key"), "{reason}");
        assert!(!reason.contains("s3cr3t"));
        // A keyring that does not know the id at all.
        let other = Keyring::new(EncryptionKey::from_bytes("k3", &[0x42; 32]).expect("key"));
        let reason = crypto_reason(open(&other, &sealed, &aad).expect_err("unknown key"));
        assert!(reason.contains("key k2 is not in the keyring"), "{reason}");
        assert!(reason.contains("api_key"));
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_field_does_not_open() {
        let ring = keyring();
        let company = CompanyId::new();
        let integration = IntegrationId::new();
        let here = Aad::new(company, integration, "access_token").expect("aad");
        let sealed = seal(&ring, &secret("token"), &here).expect("sealed");
        let elsewhere = [
            Aad::new(company, integration, "refresh_token").expect("other field"),
            Aad::new(company, IntegrationId::new(), "access_token").expect("other row"),
            Aad::new(CompanyId::new(), integration, "access_token").expect("other company"),
        ];
        for aad in &elsewhere {
            let reason = crypto_reason(open(&ring, &sealed, aad).expect_err("refused"));
            assert!(reason.contains(aad.field()), "{reason}");
        }
        assert!(open(&ring, &sealed, &here).is_ok());
    }

    #[test]
    fn tampering_is_detected() {
        let ring = keyring();
        let aad = aad("api_key");
        let sealed = seal(&ring, &secret("secret-value"), &aad).expect("sealed");
        for i in 0..sealed.ciphertext.len() {
            let mut tampered = sealed.clone();
            tampered.ciphertext[i] ^= 0x01;
            assert!(open(&ring, &tampered, &aad).is_err(), "byte {i}");
        }
        let mut tampered = sealed.clone();
        tampered.nonce[0] ^= 0x80;
        assert!(open(&ring, &tampered, &aad).is_err());
        let mut truncated = sealed.clone();
        truncated.ciphertext.pop();
        assert!(open(&ring, &truncated, &aad).is_err());
    }

    #[test]
    fn malformed_stored_forms_are_crypto_errors() {
        let good = seal(&keyring(), &secret("x"), &aad("api_key")).expect("sealed").to_stored();
        let parts: Vec<&str> = good.split(':').collect();
        let cases = [
            String::new(),
            "v1:k2".to_owned(),
            format!("v2:{}:{}:{}", parts[1], parts[2], parts[3]),
            format!("v1:{}:{}:{}:extra", parts[1], parts[2], parts[3]),
            format!("v1:bad id:{}:{}", parts[2], parts[3]),
            format!("v1:{}:AAAA:{}", parts[1], parts[3]),
            format!("v1:{}:{}:AAAA", parts[1], parts[2]),
            format!("v1:{}:{}:!!!", parts[1], parts[2]),
        ];
        for case in cases {
            let reason = crypto_reason(SealedSecret::parse(&case).expect_err(&case));
            assert!(reason.starts_with("stored secret"), "{reason}");
        }
    }

    #[test]
    fn rotation_reseals_with_the_primary_key() {
        let old = EncryptionKey::from_bytes("2025", &[1; 32]).expect("key");
        let new = EncryptionKey::from_bytes("2026", &[2; 32]).expect("key");
        let aad = aad("webhook_secret");
        let sealed = seal(&Keyring::new(old.clone()), &secret("whsec"), &aad).expect("sealed");

        let ring = Keyring::new(new).with_older(old).expect("distinct ids");
        assert_eq!(ring.key_ids(), ["2026", "2025"]);
        assert!(ring.needs_reseal(&sealed));
        assert_eq!(open(&ring, &sealed, &aad).expect("older key opens").expose_secret(), "whsec");

        let resealed = ring.reseal(&sealed, &aad).expect("resealed");
        assert_eq!(resealed.key_id(), "2026");
        assert!(!ring.needs_reseal(&resealed));
        assert_eq!(open(&ring, &resealed, &aad).expect("opens").expose_secret(), "whsec");
        // Resealing for another record is refused like opening.
        assert!(ring.reseal(&sealed, &self::aad("webhook_secret")).is_err());

        let again = EncryptionKey::from_bytes("2025", &[3; 32]).expect("key");
        assert_eq!(
            ring.with_older(again).expect_err("duplicate"),
            FlameError::validation("key_id", "is already in the keyring")
        );
    }

    #[test]
    fn aad_field_names_are_checked() {
        for field in ["", "Bot_Token", "bot token", "bot|token", &"a".repeat(65)] {
            let err = Aad::new(CompanyId::new(), IntegrationId::new(), field).expect_err(field);
            assert!(matches!(err, FlameError::Validation { field, .. } if field == "field"));
        }
    }

    #[test]
    fn credentials_are_validated_and_redacted() {
        let credential = Credential::new("bot_token", secret("  123:abc-SECRET \n")).expect("ok");
        assert_eq!(credential.expose_secret(), "123:abc-SECRET");
        assert_eq!(format!("{credential:?}"), "Credential([redacted])");
        assert!(!format!("{:?}", credential.as_secret()).contains("SECRET"));

        assert_eq!(
            Credential::new("bot_token", secret("  ")).expect_err("blank"),
            FlameError::validation("bot_token", "must not be empty")
        );
        let err = Credential::new("api_key", secret("abc\u{0}SECRET")).expect_err("control");
        assert_eq!(err, FlameError::validation("api_key", "must not contain control characters"));
        assert!(!format!("{err:?}").contains("SECRET"));
        let long = "x".repeat(CREDENTIAL_MAX + 1);
        assert!(Credential::new("api_key", secret(&long)).is_err());
        assert!(Credential::new("api_key", secret(&long[1..])).is_ok());
    }

    #[test]
    fn sealed_and_opened_secrets_do_not_show_the_secret() {
        let ring = keyring();
        let aad = aad("api_key");
        let sealed = seal(&ring, &secret("TOPSECRET"), &aad).expect("sealed");
        let opened = open(&ring, &sealed, &aad).expect("opens");
        for shown in [format!("{sealed:?}"), format!("{opened:?}"), format!("{aad:?}")] {
            assert!(!shown.contains("TOPSECRET"), "{shown}");
        }
        assert!(format!("{sealed:?}").contains("k2"));
    }
}
