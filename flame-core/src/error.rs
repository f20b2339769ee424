//! The one public error type of Flame.
//!
//! Every failure that reaches a host — Rust, Python, Kotlin or Swift — is a [`FlameError`].
//! It is stable, carries no secret and no stored personal data (a rejected value is described,
//! never echoed back), and each variant maps one-to-one onto the bindings' exception types.
//! Rich internal errors (the database driver's, serde's, I/O) are turned into this enum in one
//! explicit mapping inside `flame-db`, so a driver's message never decides what a host sees.

/// Shorthand for results whose error is [`FlameError`].
pub type Result<T, E = FlameError> = std::result::Result<T, E>;

/// Everything that can go wrong in Flame, as a host sees it.
///
/// Deliberately exhaustive: every binding maps each variant to its own exception type, so a
/// new variant must be a compile error in each of them, never a silent fallback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlameError {
    /// An input was malformed or out of bounds. `field` names it (`"email"`, `"value.currency"`),
    /// `reason` says what was wrong without repeating the value.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The input field that was rejected.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The record does not exist — or belongs to another company, which is answered the same
    /// way so that ids leak nothing.
    #[error("{entity} not found")]
    NotFound {
        /// The kind of record that was looked up (`"contact"`, `"deal"`, …).
        entity: String,
    },
    /// No valid session: none given, expired, revoked, or its user is unknown or inactive.
    #[error("unauthenticated: {reason}")]
    Unauthenticated {
        /// Why the caller is not authenticated.
        reason: String,
    },
    /// The session is valid but its role does not allow the action.
    #[error("forbidden: {action}")]
    Forbidden {
        /// The action that was refused (`"update contact"`).
        action: String,
    },
    /// The write lost a race or contradicts stored state: a stale `version`, a duplicate key.
    #[error("conflict on {entity}: {reason}")]
    Conflict {
        /// The kind of record the conflict is about.
        entity: String,
        /// What conflicted.
        reason: String,
    },
    /// A state machine refused the transition (a won deal moved without being reopened).
    #[error("{entity} cannot go from {from_state} to {to_state}: {reason}")]
    InvalidTransition {
        /// The kind of record.
        entity: String,
        /// Its current state.
        from_state: String,
        /// The state that was asked for.
        to_state: String,
        /// Why the transition is refused.
        reason: String,
    },
    /// The company's plan does not allow more of something.
    #[error("plan limit exceeded for {limit}: {used} used of {allowed} allowed")]
    PlanLimitExceeded {
        /// Which limit (`"contacts"`, `"seats"`, …).
        limit: String,
        /// What the plan allows.
        allowed: u64,
        /// What is already in use.
        used: u64,
    },
    /// The company is read-only: its subscription is canceled or expired. Reads still work;
    /// writes resume once the subscription is reactivated.
    #[error("read-only: {reason}")]
    ReadOnly {
        /// Why the company cannot be changed now.
        reason: String,
    },
    /// The database schema is not what this build of Flame expects: a table or column is
    /// missing, a migration is unknown to this build or was changed after it was applied.
    #[error("schema: {reason}")]
    Schema {
        /// What is wrong with the schema, naming the table, column or migration.
        reason: String,
    },
    /// The database could not do what was asked (unreachable, busy, a constraint the domain
    /// did not foresee). The reason is Flame's own wording, not the driver's message.
    #[error("storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// Encryption or decryption of a stored secret failed (no key, wrong key, tampered data).
    #[error("crypto: {reason}")]
    Crypto {
        /// What failed, naming the record but never the secret.
        reason: String,
    },
}

impl FlameError {
    /// A [`FlameError::Validation`] for `field`.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation { field: field.into(), reason: reason.into() }
    }

    /// A [`FlameError::NotFound`] for the kind of record `entity`.
    pub fn not_found(entity: impl Into<String>) -> Self {
        Self::NotFound { entity: entity.into() }
    }

    /// A [`FlameError::Unauthenticated`].
    pub fn unauthenticated(reason: impl Into<String>) -> Self {
        Self::Unauthenticated { reason: reason.into() }
    }

    /// A [`FlameError::Forbidden`] for `action`.
    pub fn forbidden(action: impl Into<String>) -> Self {
        Self::Forbidden { action: action.into() }
    }

    /// A [`FlameError::Conflict`] on `entity`.
    pub fn conflict(entity: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Conflict { entity: entity.into(), reason: reason.into() }
    }

    /// The conflict of an update whose `version` is no longer the stored one.
    pub fn stale(entity: impl Into<String>) -> Self {
        Self::conflict(entity, "the record was changed since it was read (stale version)")
    }

    /// A [`FlameError::Schema`].
    pub fn schema(reason: impl Into<String>) -> Self {
        Self::Schema { reason: reason.into() }
    }

    /// A [`FlameError::Storage`].
    pub fn storage(reason: impl Into<String>) -> Self {
        Self::Storage { reason: reason.into() }
    }

    /// Renames the field of a `Validation` error (a value parsed as `"email"` becomes the
    /// `"owner_email"` of the input it came from); other errors pass through unchanged.
    pub fn at(self, field: &str) -> Self {
        match self {
            Self::Validation { reason, .. } => Self::Validation { field: field.to_owned(), reason },
            other => other,
        }
    }

    /// The stable name of the variant, the same in every binding (`"Validation"`, `"NotFound"`…).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "Validation",
            Self::NotFound { .. } => "NotFound",
            Self::Unauthenticated { .. } => "Unauthenticated",
            Self::Forbidden { .. } => "Forbidden",
            Self::Conflict { .. } => "Conflict",
            Self::InvalidTransition { .. } => "InvalidTransition",
            Self::PlanLimitExceeded { .. } => "PlanLimitExceeded",
            Self::ReadOnly { .. } => "ReadOnly",
            Self::Schema { .. } => "Schema",
            Self::Storage { .. } => "Storage",
            Self::Crypto { .. } => "Crypto",
        }
    }
}
