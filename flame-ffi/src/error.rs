//! The one error type hosts see, mapped one-to-one from `flame_core::FlameError`.

use flame_db::core::FlameError as CoreError;

/// Everything that can go wrong in Flame, as a host sees it: the same variants and fields as
/// the Rust `flame_core::FlameError`. Kotlin sees `FlameException.Validation` and so on,
/// Swift `FlameError.Validation(field:reason:)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FlameError {
    /// An input was malformed or out of bounds; `field` names it.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The input field that was rejected.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The record does not exist, or belongs to another company.
    #[error("{entity} not found")]
    NotFound {
        /// The kind of record that was looked up.
        entity: String,
    },
    /// No valid session.
    #[error("unauthenticated: {reason}")]
    Unauthenticated {
        /// Why the caller is not authenticated.
        reason: String,
    },
    /// The session's role does not allow the action.
    #[error("forbidden: {action}")]
    Forbidden {
        /// The action that was refused.
        action: String,
    },
    /// A stale `version` or a duplicate.
    #[error("conflict on {entity}: {reason}")]
    Conflict {
        /// The kind of record.
        entity: String,
        /// What conflicted.
        reason: String,
    },
    /// A state machine refused the transition.
    #[error("{entity} cannot go from {from_state} to {to_state}: {reason}")]
    InvalidTransition {
        /// The kind of record.
        entity: String,
        /// Its current state.
        from_state: String,
        /// The state asked for.
        to_state: String,
        /// Why it is refused.
        reason: String,
    },
    /// The company's plan does not allow more of something.
    #[error("plan limit exceeded for {limit}: {used} used of {allowed} allowed")]
    PlanLimitExceeded {
        /// Which limit.
        limit: String,
        /// What the plan allows.
        allowed: u64,
        /// What is already in use.
        used: u64,
    },
    /// The company is read-only: its subscription is canceled or expired.
    #[error("read-only: {reason}")]
    ReadOnly {
        /// Why the company cannot be changed now.
        reason: String,
    },
    /// The database schema is not what this build expects.
    #[error("schema: {reason}")]
    Schema {
        /// What is wrong, naming the table, column or migration.
        reason: String,
    },
    /// The database could not do what was asked.
    #[error("storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// Encryption or decryption of a stored secret failed.
    #[error("crypto: {reason}")]
    Crypto {
        /// What failed.
        reason: String,
    },
}

impl From<CoreError> for FlameError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Validation { field, reason } => Self::Validation { field, reason },
            CoreError::NotFound { entity } => Self::NotFound { entity },
            CoreError::Unauthenticated { reason } => Self::Unauthenticated { reason },
            CoreError::Forbidden { action } => Self::Forbidden { action },
            CoreError::Conflict { entity, reason } => Self::Conflict { entity, reason },
            CoreError::InvalidTransition { entity, from_state, to_state, reason } => {
                Self::InvalidTransition { entity, from_state, to_state, reason }
            }
            CoreError::PlanLimitExceeded { limit, allowed, used } => {
                Self::PlanLimitExceeded { limit, allowed, used }
            }
            CoreError::ReadOnly { reason } => Self::ReadOnly { reason },
            CoreError::Schema { reason } => Self::Schema { reason },
            CoreError::Storage { reason } => Self::Storage { reason },
            CoreError::Crypto { reason } => Self::Crypto { reason },
        }
    }
}

/// Shorthand for results of the uniffi surface.
pub(crate) type Result<T, E = FlameError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_namesake() {
        let cases = [
            CoreError::validation("email", "bad"),
            CoreError::not_found("contact"),
            CoreError::unauthenticated("no"),
            CoreError::forbidden("x"),
            CoreError::conflict("deal", "stale"),
            CoreError::InvalidTransition {
                entity: "deal".into(),
                from_state: "won".into(),
                to_state: "open".into(),
                reason: "r".into(),
            },
            CoreError::PlanLimitExceeded { limit: "seats".into(), allowed: 1, used: 1 },
            CoreError::ReadOnly { reason: "canceled".into() },
            CoreError::schema("s"),
            CoreError::storage("s"),
            CoreError::Crypto { reason: "c".into() },
        ];
        for core in cases {
            let kind = core.kind();
            let text = core.to_string();
            let ffi = FlameError::from(core);
            assert_eq!(ffi.to_string(), text);
            assert!(format!("{ffi:?}").starts_with(kind), "{kind} became {ffi:?}");
        }
    }
}
