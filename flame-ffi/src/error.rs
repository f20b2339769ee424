//! The one error type hosts see: flame-core's `FlameError`, which derives its binding there
//! (Kotlin `FlameException.Validation` and so on, Swift `FlameError.Validation(field:reason:)`).

pub use flame_db::core::FlameError;

/// Shorthand for results of the uniffi surface.
pub(crate) type Result<T, E = FlameError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_error_is_flame_cores_with_its_wording() {
        // One type: nothing to map, so nothing can drift; hosts read the same text.
        let e: FlameError = flame_db::core::FlameError::validation("email", "bad");
        assert_eq!(e.to_string(), "invalid email: bad");
        assert_eq!(e.kind(), "Validation");
    }
}
