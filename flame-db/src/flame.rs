//! The [`Flame`] handle: an opened store, migrated and verified.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use flame_core::account::LockoutPolicy;
use flame_core::crypto::{EncryptionKey, Keyring};
use flame_core::password::{HashingLimit, PasswordHasher};
use flame_core::verification::EmailVerification;
use flame_core::{FlameError, Result};

use crate::schema::{self, SchemaStatus};
use crate::sql::{Backend, Pool, bad_url};

/// What to do with the schema when the store opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaMode {
    /// Apply pending migrations, then verify (the default).
    #[default]
    Migrate,
    /// Only verify: fail if a migration is pending or anything is missing. For hosts whose
    /// operator applies migrations ahead of a deploy.
    VerifyOnly,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Migrate, or only verify.
    pub schema: SchemaMode,
    /// PostgreSQL: the most connections the pool opens. SQLite: the most idle reader
    /// connections kept beside the one writer (`sqlite::memory:` has one connection, whatever
    /// is asked).
    pub max_connections: u32,
    /// How long to wait for a connection, or for SQLite's write lock (held by another
    /// process, or by this one's writer connection).
    pub busy_timeout: Duration,
    /// How long a login session stays valid ([`Flame::login`], [`Flame::session`]).
    pub session_ttl: Duration,
    /// How stale a session's cached standing (revoked? role? read-only?) may get before a
    /// read re-checks it. Writes always re-check; changes made through this store are seen
    /// at once; this bounds how long a change made by another process takes to reach reads.
    pub session_recheck: Duration,
    /// How repeated login failures lock an email out.
    pub lockout: LockoutPolicy,
    /// How passwords are hashed (Argon2id; OWASP's costs by default). Hashes made with other
    /// costs are replaced at the next successful login.
    pub password_hasher: PasswordHasher,
    /// How many password hashes and checks run at once (one per CPU by default) and how long
    /// a call waits for its turn before it is refused with `Unauthenticated`
    /// ([`HASHING_BUSY`](flame_core::password::HASHING_BUSY)).
    pub password_hashing: HashingLimit,
    /// Whether a password login needs a verified email: [`EmailVerification::Required`] (the
    /// default: Flame keeps the state, and the host mails the tokens of
    /// [`Flame::email_verification`]) or [`EmailVerification::ByHost`] (the host proves
    /// addresses itself).
    pub email_verification: EmailVerification,
    /// The key that encrypts integration credentials; `None` leaves encryption unconfigured
    /// (integrations without credentials still work).
    pub encryption_key: Option<EncryptionKey>,
    /// Older keys, still able to decrypt what they encrypted, for key rotation
    /// ([`Flame::rotate_keys`] re-encrypts everything under `encryption_key`).
    pub previous_keys: Vec<EncryptionKey>,
    /// Whether webhook URLs may point at loopback addresses (127.0.0.1, ::1, localhost): for
    /// tests and local development. Private, link-local and metadata addresses stay refused.
    pub webhook_allow_loopback: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            schema: SchemaMode::Migrate,
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            session_ttl: Duration::from_secs(12 * 60 * 60),
            session_recheck: Duration::from_secs(5),
            lockout: LockoutPolicy::default(),
            password_hasher: PasswordHasher::default(),
            password_hashing: HashingLimit::default(),
            email_verification: EmailVerification::Required,
            encryption_key: None,
            previous_keys: Vec::new(),
            webhook_allow_loopback: false,
        }
    }
}

impl OpenOptions {
    /// Options that only verify the schema.
    pub fn verify_only() -> Self {
        Self { schema: SchemaMode::VerifyOnly, ..Self::default() }
    }
}

/// An opened Flame store. Cheap to clone (an `Arc` inside) and shared across tasks and
/// threads; every clone uses the same connection pool.
#[derive(Clone)]
pub struct Flame {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    pub(crate) options: OpenOptions,
    pub(crate) schema: SchemaStatus,
    /// Bumped by every change this store makes to who may do what (revocations, roles,
    /// deactivations, subscription status), so that its sessions re-check at once.
    pub(crate) generation: AtomicU64,
    /// The encryption key and the older keys, when a key is configured.
    pub(crate) keyring: Option<Keyring>,
    /// One permit per password hash or check allowed to run at once
    /// ([`OpenOptions::password_hashing`]).
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Flame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flame")
            .field("backend", &self.backend())
            .field("schema_version", &self.inner.schema.version)
            .field("encryption", &self.inner.options.encryption_key.is_some())
            .finish()
    }
}

impl Flame {
    /// Opens the store at `url`, applies pending migrations (unless
    /// [`SchemaMode::VerifyOnly`]) and verifies the live schema.
    ///
    /// `url` is `sqlite://path/to/file.db` (created if missing; WAL, foreign keys on),
    /// `sqlite::memory:` (a private in-memory database), or `postgres://user@host/db`.
    pub async fn open(url: &str, options: OpenOptions) -> Result<Flame> {
        options.password_hashing.validate()?;
        let hashing = Arc::new(tokio::sync::Semaphore::new(
            options.password_hashing.max_concurrent.min(tokio::sync::Semaphore::MAX_PERMITS),
        ));
        let keyring = match &options.encryption_key {
            Some(primary) => {
                let mut ring = Keyring::new(primary.clone());
                for old in &options.previous_keys {
                    ring = ring.with_older(old.clone())?;
                }
                Some(ring)
            }
            None if !options.previous_keys.is_empty() => {
                return Err(FlameError::validation(
                    "previous_keys",
                    "need an encryption_key to rotate to",
                ));
            }
            None => None,
        };
        let pool = connect(url, &options).await?;
        if options.schema == SchemaMode::Migrate {
            schema::migrate(&pool).await?;
        }
        let schema = match schema::verify(&pool).await {
            Ok(status) => status,
            Err(e) => {
                pool.close().await;
                return Err(e);
            }
        };
        let generation = AtomicU64::new(0);
        Ok(Flame { inner: Arc::new(Inner { pool, options, schema, generation, keyring, hashing }) })
    }

    /// Which engine the store runs on.
    pub fn backend(&self) -> Backend {
        self.inner.pool.backend()
    }

    /// The schema version found when the store opened.
    pub fn schema_version(&self) -> i64 {
        self.inner.schema.version
    }

    /// Closes every connection; later calls fail with `Storage`.
    pub async fn shutdown(&self) {
        self.inner.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// The keyring, or a `Crypto` error saying that no key is configured.
    pub(crate) fn keyring(&self) -> Result<&Keyring> {
        self.inner.keyring.as_ref().ok_or_else(|| FlameError::Crypto {
            reason: "no encryption key is configured (OpenOptions::encryption_key); \
                     credentials cannot be stored or read"
                .into(),
        })
    }

    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Makes every session of this store re-check its standing before its next read.
    pub(crate) fn standing_changed(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
    }
}

async fn connect(url: &str, options: &OpenOptions) -> Result<Pool> {
    let url = url.trim();
    if url.starts_with("sqlite:") {
        let store =
            crate::sql::sqlite::Store::open(url, options.max_connections, options.busy_timeout)?;
        Ok(Pool::Sqlite(Arc::new(store)))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        connect_postgres(url, options).await
    } else {
        Err(bad_url())
    }
}

#[cfg(feature = "postgres")]
async fn connect_postgres(url: &str, options: &OpenOptions) -> Result<Pool> {
    crate::sql::postgres::connect(url, options.max_connections, options.busy_timeout)
        .await
        .map(Pool::Postgres)
}

#[cfg(not(feature = "postgres"))]
async fn connect_postgres(_url: &str, _options: &OpenOptions) -> Result<Pool> {
    Err(FlameError::validation(
        "url",
        "this build of Flame has no PostgreSQL support (cargo feature `postgres`)",
    ))
}
