//! Passwords: the policy a new password must meet ([`Password::new`]) and how they are stored
//! ([`PasswordHasher`]: Argon2id with OWASP's parameters and a random salt per hash).
//!
//! The policy follows NIST SP 800-63B rather than composition rules: at least
//! [`MIN_CHARS`] characters, at most [`MAX_CHARS`] (long inputs would make hashing a denial of
//! service), not made of a single repeated character, not a well-known password, and not the
//! user's own email address.
//!
//! A password lives in a [`secrecy`] box: `Debug` shows `[redacted]`, and its memory is zeroed
//! when dropped. Errors describe what was wrong, never the password.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::email::Email;
use crate::error::{FlameError, Result};

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// The most characters a password may have.
pub const MAX_CHARS: usize = 128;

/// Passwords that meet the length rule but that every attacker tries first.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiopasdf",
    "qwertyuiop123",
    "qwerty123456",
    "password1234",
    "password12345",
    "passwordpassword",
    "iloveyou1234",
    "letmein12345",
    "administrator",
    "welcome12345",
    "abcdefghijkl",
    "abc123abc123",
];

/// A candidate password, checked against the policy, held as a secret.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Checks `candidate` against the policy for the user with `email`; `field` names the input
    /// in errors (`"password"`, `"new_password"`).
    pub fn new(field: &str, candidate: &str, email: Option<&Email>) -> Result<Password> {
        let chars = candidate.chars().count();
        if chars < MIN_CHARS {
            return Err(FlameError::validation(
                field,
                format!("must be at least {MIN_CHARS} characters long"),
            ));
        }
        if chars > MAX_CHARS {
            return Err(FlameError::validation(
                field,
                format!("must be at most {MAX_CHARS} characters long"),
            ));
        }
        let mut distinct = candidate.chars();
        let first = distinct.next();
        if distinct.all(|c| Some(c) == first) {
            return Err(FlameError::validation(field, "must not repeat a single character"));
        }
        let lower = candidate.to_lowercase();
        if COMMON.contains(&lower.as_str()) {
            return Err(FlameError::validation(field, "is a well-known password; choose another"));
        }
        if let Some(email) = email {
            let address = email.as_str().to_lowercase();
            let local = address.split('@').next().unwrap_or_default();
            if lower == address || (local.chars().count() >= MIN_CHARS && lower == local) {
                return Err(FlameError::validation(field, "must not be the email address"));
            }
        }
        Ok(Password(SecretString::from(candidate)))
    }

    /// A password as typed at login: not checked against the policy (an old password may
    /// predate it), only bounded so that hashing stays cheap.
    pub fn attempt(candidate: &str) -> Password {
        let bounded: String = candidate.chars().take(MAX_CHARS + 1).collect();
        Password(SecretString::from(bounded))
    }

    fn bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// The answer when a password hash or check waited longer than
/// [`HashingLimit::queue_timeout`] for its turn: `Unauthenticated`, whatever the call (a
/// login, a sign-up, a password change), so that a flood of attempts is refused cheaply
/// instead of each taking 19 MiB and tens of milliseconds of CPU.
pub const HASHING_BUSY: &str = "too many password checks at once; try again shortly";

/// How many password hashes and checks may run at once, and how long one waits for its turn.
///
/// Each Argon2id run takes [`PasswordHasher`]'s memory (19 MiB by default) and a CPU for tens
/// of milliseconds; unbounded, a burst of logins (which need no credentials to send) exhausts
/// the host's memory. At most `max_concurrent` run at a time; a call that waits longer than
/// `queue_timeout` is refused with `Unauthenticated` ([`HASHING_BUSY`]) before any hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimit {
    /// At most this many hashes or checks at once (at least 1).
    pub max_concurrent: usize,
    /// How long a call waits for its turn before it is refused.
    pub queue_timeout: std::time::Duration,
}

impl Default for HashingLimit {
    /// One at a time per CPU; a call waits up to 3 seconds.
    fn default() -> Self {
        Self {
            max_concurrent: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            queue_timeout: std::time::Duration::from_secs(3),
        }
    }
}

impl HashingLimit {
    /// Fails with `Validation` on `password_hashing_limit` when no hash could ever run.
    pub fn validate(&self) -> Result<()> {
        if self.max_concurrent == 0 {
            return Err(FlameError::validation("password_hashing_limit", "must be at least 1"));
        }
        Ok(())
    }

    /// The error for a call that waited its whole `queue_timeout`.
    pub fn busy() -> FlameError {
        FlameError::unauthenticated(HASHING_BUSY)
    }
}

/// What checking a password against a stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The password matches. `rehash` is true when the stored hash used other parameters
    /// than the current ones: store a fresh hash now that the password is known.
    Match {
        /// Whether to store a new hash.
        rehash: bool,
    },
    /// The password does not match (or there was no usable hash).
    Mismatch,
}

/// Hashes and verifies passwords with Argon2id.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
}

impl Default for PasswordHasher {
    /// OWASP's recommendation for Argon2id: 19 MiB of memory, 2 iterations, 1 lane.
    fn default() -> Self {
        Self { params: Params::DEFAULT }
    }
}

impl PasswordHasher {
    /// A hasher with explicit Argon2id costs (memory in KiB, iterations, lanes). Stored hashes
    /// made with other costs are re-hashed at the next successful login.
    pub fn with_costs(memory_kib: u32, iterations: u32, lanes: u32) -> Result<Self> {
        let params = Params::new(memory_kib, iterations, lanes, None)
            .map_err(|_| FlameError::validation("password_hashing", "invalid Argon2 costs"))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string to store for `password` (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), with a
    /// fresh random salt.
    pub fn hash(&self, password: &Password) -> Result<String> {
        self.argon2()
            .hash_password(password.bytes())
            .map(|hash| hash.to_string())
            .map_err(|_| FlameError::Crypto { reason: "could not hash the password".into() })
    }

    /// Checks `password` against a stored PHC string in constant time.
    pub fn verify(&self, password: &Password, stored: &str) -> Verified {
        let Ok(hash) = PasswordHash::new(stored) else {
            return Verified::Mismatch;
        };
        if self.argon2().verify_password(password.bytes(), &hash).is_err() {
            return Verified::Mismatch;
        }
        let current = Params::try_from(&hash).ok();
        let same = current.is_some_and(|p| {
            p.m_cost() == self.params.m_cost()
                && p.t_cost() == self.params.t_cost()
                && p.p_cost() == self.params.p_cost()
        }) && hash.algorithm.as_str() == Algorithm::Argon2id.ident().as_str();
        Verified::Match { rehash: !same }
    }

    /// Spends the same time as [`verify`](Self::verify) on a hash that matches nothing, for
    /// logins whose email is unknown or has no password: the answer's timing then does not
    /// reveal whether the account exists.
    pub fn verify_nothing(&self, password: &Password) {
        static DECOY: OnceLock<String> = OnceLock::new();
        let decoy = DECOY.get_or_init(|| {
            let random = crate::token::random_hex(32);
            self.hash(&Password::attempt(&random)).unwrap_or_default()
        });
        let _ = self.verify(password, decoy);
    }
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
    fn policy_names_the_field_and_never_echoes_the_password() {
        let email = Email::parse("ann.longname12@example.com").expect("email");
        for bad in ["short", "aaaaaaaaaaaaaaa", "Password1234", "ann.longname12@example.com"] {
            let err = Password::new("new_password", bad, Some(&email)).expect_err(bad);
            assert!(!err.to_string().contains(bad), "{err}");
            assert_eq!(field_of(err), "new_password");
        }
        let long = "x".repeat(MAX_CHARS) + "yz";
        assert!(Password::new("password", &long, None).is_err());
        assert!(Password::new("password", "correct horse battery", Some(&email)).is_ok());
        // Characters, not bytes: twelve Cyrillic letters are enough.
        assert!(Password::new("password", "пароль-длинный", None).is_ok());
    }

    #[test]
    fn debug_is_redacted() {
        let p = Password::new("password", "correct horse battery", None).expect("valid");
        assert_eq!(format!("{p:?}"), "Password([redacted])");
    }

    #[test]
    fn hashes_verify_and_salts_differ() {
        let hasher = PasswordHasher::default();
        let p = Password::new("password", "correct horse battery", None).expect("valid");
        let a = hasher.hash(&p).expect("hash");
        let b = hasher.hash(&p).expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt per hash");
        assert!(!a.contains("correct horse"));
        assert_eq!(hasher.verify(&p, &a), Verified::Match { rehash: false });
        assert_eq!(
            hasher.verify(&Password::attempt("wrong horse battery"), &a),
            Verified::Mismatch
        );
        assert_eq!(hasher.verify(&p, "not a phc string"), Verified::Mismatch);
    }

    #[test]
    fn changed_costs_ask_for_a_rehash() {
        let cheap = PasswordHasher::with_costs(8 * 1024, 1, 1).expect("costs");
        let p = Password::new("password", "correct horse battery", None).expect("valid");
        let old = cheap.hash(&p).expect("hash");
        assert_eq!(PasswordHasher::default().verify(&p, &old), Verified::Match { rehash: true });
        assert!(PasswordHasher::with_costs(0, 0, 0).is_err());
    }

    #[test]
    fn the_hashing_limit_admits_at_least_one_and_answers_unauthenticated() {
        assert!(HashingLimit::default().max_concurrent >= 1);
        assert!(HashingLimit::default().validate().is_ok());
        let none = HashingLimit { max_concurrent: 0, ..HashingLimit::default() };
        assert_eq!(field_of(none.validate().expect_err("zero")), "password_hashing_limit");
        assert_eq!(HashingLimit::busy(), FlameError::unauthenticated(HASHING_BUSY));
    }
}
