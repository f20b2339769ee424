//! The one mapping from internal errors (sqlx's, I/O) to the public [`FlameError`].
//!
//! The driver's error is logged here, at `warn` level through `tracing`, for the operator;
//! the host only ever sees Flame's own wording, so a driver's message never decides what an
//! application shows. Values bound to statements never appear in either.

use flame_core::FlameError;

/// Maps a sqlx error from running a statement.
pub(crate) fn storage_error(e: sqlx::Error) -> FlameError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            tracing::warn!(code = %code, error = %db, "database error");
            if db.is_unique_violation() {
                FlameError::conflict("record", "a record with the same unique key already exists")
            } else if db.is_foreign_key_violation() {
                FlameError::conflict("record", "it references, or is referenced by, another record")
            } else if db.is_check_violation() {
                FlameError::storage("a stored value broke a database check")
            } else if is_busy(&code) {
                FlameError::storage("the database is busy; try again")
            } else {
                FlameError::storage("the database refused the statement")
            }
        }
        sqlx::Error::PoolTimedOut => {
            tracing::warn!("timed out waiting for a database connection");
            FlameError::storage("timed out waiting for a database connection")
        }
        sqlx::Error::PoolClosed => FlameError::storage("the store is closed"),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => {
            tracing::warn!(error = %e, "database connection failed");
            FlameError::storage("the database connection failed")
        }
        sqlx::Error::Configuration(_) => {
            tracing::warn!(error = %e, "database configuration error");
            FlameError::validation("url", "is not a usable database address")
        }
        _ => {
            tracing::warn!(error = %e, "database error");
            FlameError::storage("the database operation failed")
        }
    }
}

/// SQLITE_BUSY (5), SQLITE_LOCKED (6) and their extended codes; PostgreSQL serialization
/// failures and deadlocks.
fn is_busy(code: &str) -> bool {
    matches!(code, "5" | "6" | "261" | "262" | "517" | "40001" | "40P01")
}

/// Maps a failure to decode column `col`.
pub(crate) fn decode_error(col: &str, e: sqlx::Error) -> FlameError {
    tracing::warn!(column = col, error = %e, "could not decode a stored value");
    crate::sql::corrupt(col)
}
