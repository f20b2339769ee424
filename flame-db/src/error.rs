//! The one mapping from internal errors (sqlx's, rusqlite's, I/O) to the public [`FlameError`].
//!
//! The driver's error is logged here, at `warn` level through `tracing`, for the operator;
//! the host only ever sees Flame's own wording, so a driver's message never decides what an
//! application shows. Values bound to statements never appear in either.

use std::fmt::Display;

use flame_core::FlameError;

/// What a database refused a statement for, whichever driver reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A unique or primary key.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// A `CHECK` or `NOT NULL` constraint.
    Check,
    /// A lock held elsewhere, a serialization failure or a deadlock.
    Busy,
    /// Anything else the database refused.
    Other,
}

/// Flame's wording for a statement the database refused.
pub(crate) fn refused(why: Refusal) -> FlameError {
    match why {
        Refusal::Unique => {
            FlameError::conflict("record", "a record with the same unique key already exists")
        }
        Refusal::ForeignKey => {
            FlameError::conflict("record", "it references, or is referenced by, another record")
        }
        Refusal::Check => FlameError::storage("a stored value broke a database check"),
        Refusal::Busy => FlameError::storage("the database is busy; try again"),
        Refusal::Other => FlameError::storage("the database refused the statement"),
    }
}

/// No connection became free within the busy timeout.
pub(crate) fn connection_timed_out() -> FlameError {
    tracing::warn!("timed out waiting for a database connection");
    FlameError::storage("timed out waiting for a database connection")
}

/// The store was closed ([`Flame::close`](crate::Flame::close)).
pub(crate) fn store_closed() -> FlameError {
    FlameError::storage("the store is closed")
}

/// Maps a sqlx (PostgreSQL) error from running a statement.
#[cfg(feature = "postgres")]
pub(crate) fn storage_error(e: sqlx::Error) -> FlameError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            tracing::warn!(code = %code, error = %db, "database error");
            refused(if db.is_unique_violation() {
                Refusal::Unique
            } else if db.is_foreign_key_violation() {
                Refusal::ForeignKey
            } else if db.is_check_violation() {
                Refusal::Check
            } else if matches!(code.as_str(), "40001" | "40P01") {
                // Serialization failure, deadlock.
                Refusal::Busy
            } else {
                Refusal::Other
            })
        }
        sqlx::Error::PoolTimedOut => connection_timed_out(),
        sqlx::Error::PoolClosed => store_closed(),
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

/// Maps a failure to decode column `col`: logged, and reported as corrupt storage.
pub(crate) fn decode_error(col: &str, e: impl Display) -> FlameError {
    tracing::warn!(column = col, error = %e, "could not decode a stored value");
    crate::sql::corrupt(col)
}
