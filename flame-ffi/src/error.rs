//! The one error type hosts see: flame-core's `FlameError`, which derives its binding there
//! (Kotlin `FlameException.Validation` and so on, Swift `FlameError.Validation(field:reason:)`).

pub use flame_db::core::FlameError;

/// Shorthand for results of the uniffi surface.
pub(crate) type Result<T, E = FlameError> = std::result::Result<T, E>;
