//! Bearer secrets: session tokens, API tokens, invitation tokens and email verification
//! tokens.
//!
//! Each is 256 random bits from the operating system, written as a kind prefix and 64 hex
//! digits (`flame_api_3f9c…`), so that a leaked token is recognisable in a scanner and a
//! token of one kind is never accepted as another. It is shown to the host once, when issued;
//! Flame stores only its SHA-256 digest ([`TokenHash`]), which is enough to find it again and
//! useless to anyone who reads the database. (A fast hash is right here: unlike passwords,
//! 256 random bits cannot be guessed.)

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::{FlameError, Result};

/// What a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A login session (from a password login or a host call).
    Session,
    /// An API token for scripts and servers.
    Api,
    /// An invitation to join a company.
    Invitation,
    /// A proof of an email address, mailed to it ([`crate::verification`]).
    EmailVerification,
}

impl TokenKind {
    /// The prefix that starts every token of this kind.
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "flame_ses_",
            TokenKind::Api => "flame_api_",
            TokenKind::Invitation => "flame_inv_",
            TokenKind::EmailVerification => "flame_ver_",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            TokenKind::Session => "session token",
            TokenKind::Api => "API token",
            TokenKind::Invitation => "invitation token",
            TokenKind::EmailVerification => "email verification token",
        }
    }
}

/// The stored form of a token: the hex SHA-256 digest of the whole token text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// The digest as stored (64 hex digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A freshly issued token: the secret to hand to the host once, and the hash to store.
pub struct IssuedToken {
    /// The token itself. Show it once; it cannot be recovered later.
    pub secret: SecretString,
    /// What to store.
    pub hash: TokenHash,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken").field("secret", &"[redacted]").finish_non_exhaustive()
    }
}

/// `bytes` random bytes from the operating system, as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0_u8; bytes];
    // The OS random source failing is not something a CRM can recover from or work around.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    hex::encode(buf)
}

/// Issues a new token of `kind`.
pub fn issue(kind: TokenKind) -> IssuedToken {
    let text = format!("{}{}", kind.prefix(), random_hex(32));
    let hash = digest(&text);
    IssuedToken { secret: SecretString::from(text), hash }
}

/// The stored hash of a token a caller presented, after checking that it is a well-formed
/// token of `kind`; anything else is `Unauthenticated` (never echoing the token).
pub fn hash_presented(kind: TokenKind, presented: &str) -> Result<TokenHash> {
    let presented = presented.trim();
    let well_formed = presented.strip_prefix(kind.prefix()).is_some_and(|rest| {
        rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if !well_formed {
        return Err(FlameError::unauthenticated(format!("malformed {}", kind.noun())));
    }
    Ok(digest(presented))
}

/// Which kind of token `presented` claims to be, from its prefix.
pub fn kind_of(presented: &str) -> Option<TokenKind> {
    let presented = presented.trim();
    [TokenKind::Session, TokenKind::Api, TokenKind::Invitation, TokenKind::EmailVerification]
        .into_iter()
        .find(|k| presented.starts_with(k.prefix()))
}

/// The hash of a secret held by Flame (to re-find a session from its token).
pub fn hash_secret(secret: &SecretString) -> TokenHash {
    digest(secret.expose_secret())
}

fn digest(text: &str) -> TokenHash {
    TokenHash(hex::encode(Sha256::digest(text.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_round_trip_to_their_hash() {
        let a = issue(TokenKind::Api);
        let b = issue(TokenKind::Api);
        let text = a.secret.expose_secret();
        assert!(text.starts_with("flame_api_") && text.len() == 10 + 64, "{text}");
        assert_ne!(text, b.secret.expose_secret());
        assert_eq!(hash_presented(TokenKind::Api, text).expect("well formed"), a.hash);
        assert_eq!(kind_of(text), Some(TokenKind::Api));
        assert_eq!(hash_secret(&a.secret), a.hash);
    }

    #[test]
    fn a_token_of_another_kind_or_shape_is_unauthenticated() {
        let session = issue(TokenKind::Session);
        let text = session.secret.expose_secret();
        for bad in [text, "flame_api_xyz", "", "flame_api_", &text.to_uppercase()] {
            let err = hash_presented(TokenKind::Api, bad).expect_err("refused");
            assert!(matches!(err, FlameError::Unauthenticated { .. }));
            assert!(!err.to_string().contains(&text[10..]), "never echoed");
        }
    }

    #[test]
    fn debug_never_shows_a_token() {
        let t = issue(TokenKind::Invitation);
        let shown = format!("{t:?} {:?}", t.hash);
        assert!(!shown.contains(&t.secret.expose_secret()[10..]));
        assert!(!shown.contains(t.hash.as_str()));
    }
}
