//! Flame's wording of storage failures, whichever engine reports them: each engine module
//! (`sql/sqlite.rs`, `sql/postgres.rs`) maps its driver's errors onto a [`Refusal`] or one of
//! the failures here, and logs the driver's error at `warn` level through `tracing`, for the
//! operator. This module names no driver and depends on nothing in the crate. The host only
//! ever sees Flame's own wording, so a driver's message never decides what an
//! application shows. Values bound to statements never appear in either.

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

/// The store was closed ([`Flame::shutdown`](crate::Flame::shutdown)).
pub(crate) fn store_closed() -> FlameError {
    FlameError::storage("the store is closed")
}
