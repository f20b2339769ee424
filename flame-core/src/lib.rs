//! # flame-core
//!
//! The pure domain of Flame, an embeddable CRM engine: typed ids, validated values
//! ([`Email`], [`Phone`], [`Money`]), the entities (companies, users, plans, contacts,
//! pipelines, deals, sources, activities, custom fields), the state rules that govern them, the
//! authorization policy ([`auth`]), domain events ([`event`]) and the one public error type
//! ([`FlameError`]).
//!
//! Nothing here performs I/O: `flame-db` stores what this crate decides, and the bindings
//! expose it. A business rule lives here once.
//!
//! With the `uniffi` feature the host-visible records, enums and [`FlameError`] derive their
//! Kotlin and Swift bindings here (flame-ffi turns it on), so no binding retypes them.

// uniffi's derives expand to `unsafe` FFI glue; without the feature no unsafe code is allowed.
#![cfg_attr(feature = "uniffi", allow(unsafe_code))]

pub mod account;
pub mod activity;
pub mod auth;
pub mod billing;
pub mod clock;
pub mod company;
pub mod contact;
pub mod crypto;
pub mod custom_field;
pub mod deal;
pub mod email;
pub mod error;
pub mod event;
pub mod id;
pub mod import;
pub mod integration;
pub mod money;
pub mod organization;
pub mod page;
pub mod password;
pub mod phone;
pub mod pipeline;
pub mod source;
pub mod tag;
pub mod text;
pub mod token;
pub mod verification;

#[cfg(feature = "uniffi")]
mod uniffi_types;
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub use auth::{Action, Credential, Resource, Role, Scope, Session};
pub use email::Email;
pub use error::{FlameError, Result};
pub use id::*;
pub use money::{Currency, Money};
pub use phone::Phone;
