//! # flame-ffi
//!
//! The uniffi surface of Flame for Kotlin and Swift: a thin adapter over `flame-db`. The
//! object graph mirrors the Rust one — `Flame.open(…)`, `flame.signUp(…)`,
//! `session.deals().moveToStage(id, stageId, version)` — and every method converts its
//! arguments, calls the Rust method of the same name and converts the answer. No business
//! rule lives here.
//!
//! Async Rust methods are exported as async (Kotlin `suspend`, Swift `async`) on a tokio
//! runtime. Every failure is a [`FlameError`].

mod accounts;
mod error;
mod integrations;
mod marketing;
mod objects;
mod surface;
mod types;

pub use accounts::*;
pub use error::FlameError;
pub use integrations::*;
pub use marketing::*;
pub use objects::*;
pub use surface::*;
pub use types::*;

uniffi::setup_scaffolding!();
