//! # flame-db
//!
//! Storage for Flame: the [`Flame`] handle (SQLite through rusqlite, PostgreSQL through
//! sqlx), embedded migrations and schema verification ([`schema`]), the
//! [`health`](Flame::health) report, one repository per aggregate reached through a
//! [`Session`], and the transactional outbox.
//!
//! On SQLite, statements run on the task that calls (a point read is a few microseconds;
//! handing each statement to a worker thread cost more than the statement), transactions
//! take the store's one writer connection in turn (writers of a process queue without
//! blocking a thread) and reads outside a transaction use reader connections that a writer
//! never blocks (WAL). A long scan holds its task's thread while it runs.
//!
//! ```no_run
//! # async fn demo() -> flame_core::Result<()> {
//! use flame_db::{Flame, OpenOptions};
//! use flame_core::company::SignUp;
//! use flame_core::contact::NewContact;
//!
//! let flame = Flame::open("sqlite://crm.db", OpenOptions::default()).await?;
//! let signed = flame
//!     .sign_up(SignUp {
//!         company_name: "Acme".into(),
//!         owner_email: "owner@acme.test".into(),
//!         owner_name: "Olga Owner".into(),
//!         password: Some("correct horse battery".into()),
//!     })
//!     .await?;
//! let contact = signed
//!     .session
//!     .contacts()
//!     .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
//!     .await?;
//! # let _ = contact; Ok(()) }
//! ```

// uniffi's derives (feature `uniffi`, for flame-ffi) expand to `unsafe` FFI glue; without the
// feature no unsafe code is allowed.
#![cfg_attr(feature = "uniffi", allow(unsafe_code))]
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
// The UUIDs of its reports cross as flame-core makes them cross (hyphenated text).
#[cfg(feature = "uniffi")]
uniffi::use_remote_type!(flame_core::uuid::Uuid);

mod account;
mod accounting;
mod activity;
mod advertising;
mod billing;
mod company;
mod contact;
mod custom_field;
mod deal;
mod delivery;
mod error;
#[cfg(feature = "csv")]
mod export;
mod flame;
mod handles;
mod health;
mod import;
#[cfg(feature = "csv")]
mod import_csv;
mod import_deal;
mod import_org;
mod inbound;
mod integration;
mod invoicing;
mod org_link;
mod organization;
mod outbox;
mod pipeline;
pub mod schema;
mod session;
mod source;
mod sql;
mod tag;
mod usage;
mod verification;
#[cfg(feature = "webhooks")]
mod webhook;

pub use account::{Account, ApiTokens, HashingTurn, Invitations, Platform};
pub use accounting::{Accounting, AccountingDocuments};
pub use activity::Activities;
pub use advertising::{Advertising, LeadOutcome, Leads, Reports};
pub use billing::{Billing, Plans, Subscriptions};
pub use company::{Companies, Members, SignedUp};
pub use contact::Contacts;
pub use custom_field::CustomFields;
pub use deal::Deals;
pub use delivery::{WebhookDeliveries, WebhookDelivery, WebhookDeliveryFilter};
pub use flame::{Flame, OpenOptions, SchemaMode};
pub use health::{Counts, Health, KeyUse, SubscriptionCounts};
pub use inbound::{Inbound, InboundOutcome};
pub use integration::{Integrations, Rotation};
pub use organization::Organizations;
pub use outbox::Events;
pub use pipeline::Pipelines;
pub use session::Session;
pub use source::Sources;
pub use sql::Backend;
pub use tag::Tags;
#[cfg(feature = "webhooks")]
pub use webhook::{WebhookOptions, WebhookWorker, WorkReport, WorkerHandle};

/// The domain crate, re-exported so that hosts need one dependency.
pub use flame_core as core;
