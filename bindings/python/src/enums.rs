//! The enumerations the Python API takes and returns as their stored names (`str`), listed
//! once: each crosses as `as_str()` and is annotated in the stub with its `flame._types`
//! `Literal` alias, and `flame._flame._enum_names()` gives their names read from the Rust
//! enums themselves (their `ALL`), so that the aliases are tested against them
//! (`tests/test_types.py`): a variant added in Rust fails that test until the alias has it.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use flame_core::activity::ActivityKind;
use flame_core::auth::{Role, Scope};
use flame_core::billing::{BillingInterval, PaymentOutcome, SubscriptionStatus};
use flame_core::custom_field::{CustomEntity, CustomFieldKind};
use flame_core::deal::DealStatus;
use flame_core::integration::IntegrationKind;
use flame_core::integration::accounting::{AccountingPlatform, DocumentStatus};
use flame_core::integration::advertising::AdvertisingPlatform;
use flame_core::integration::messaging::MessagingPlatform;
use flame_core::integration::webhook::DeliveryState;
use flame_core::organization::OrganizationSize;
use flame_core::pipeline::StageKind;
use flame_core::verification::EmailVerification;
use flame_db::Backend;

use crate::convert::to_py;
use crate::records::credential_kind;
use crate::stub::PyValue;

/// The stored names of `Backend`: flame-db has no `ALL`, so the list is checked by an
/// exhaustive `match` (a new backend fails to compile here).
fn backends() -> [Backend; 2] {
    const fn every(b: Backend) -> Backend {
        match b {
            Backend::Sqlite | Backend::Postgres => b,
        }
    }
    [every(Backend::Sqlite), every(Backend::Postgres)]
}

/// `Principal.credential.kind`: the name the record's getter gives each variant of
/// `flame_core::Credential` (an exhaustive `match`, [`credential_kind`]).
fn credential_kinds() -> [&'static str; 2] {
    use flame_core::{ApiTokenId, Credential, SessionId};
    let id = uuid::Uuid::nil();
    [
        credential_kind(&Credential::Session(SessionId::from_uuid(id))),
        credential_kind(&Credential::ApiToken(ApiTokenId::from_uuid(id))),
    ]
}

/// The enumerations that cross as their stored names, each with its `flame._types` alias:
/// the alias is the stub's annotation of every getter returning one ([`PyValue`]), and
/// `_enum_names` lists their names under it.
macro_rules! enums {
    ($($ty:ty => $alias:literal),* $(,)?) => {
        $(
            impl PyValue for $ty {
                fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    to_py(py, self.as_str())
                }
                fn hint() -> String {
                    $alias.to_owned()
                }
            }
        )*

        /// `{alias: [stored name, ...]}` for each `Literal` alias of `flame._types`.
        #[pyfunction]
        pub(crate) fn _enum_names(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
            let d = PyDict::new(py);
            $(d.set_item($alias, <$ty>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>())?;)*
            d.set_item("Backend", backends().map(Backend::as_str).to_vec())?;
            d.set_item("CredentialKind", credential_kinds().to_vec())?;
            Ok(d)
        }
    };
}

enums! {
    Role => "Role",
    CustomEntity => "CustomEntity",
    CustomFieldKind => "CustomFieldKind",
    DealStatus => "DealStatus",
    OrganizationSize => "OrganizationSize",
    StageKind => "StageKind",
    ActivityKind => "ActivityKind",
    SubscriptionStatus => "SubscriptionStatus",
    BillingInterval => "BillingInterval",
    Scope => "Scope",
    EmailVerification => "EmailVerification",
    PaymentOutcome => "PaymentOutcome",
    IntegrationKind => "IntegrationKind",
    MessagingPlatform => "MessagingPlatform",
    AccountingPlatform => "AccountingPlatform",
    AdvertisingPlatform => "AdvertisingPlatform",
    DocumentStatus => "DocumentStatus",
    DeliveryState => "DeliveryStatus",
}

impl PyValue for Backend {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.as_str())
    }
    fn hint() -> String {
        "Backend".to_owned()
    }
}

/// Adds `_enum_names` to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_enum_names, m)?)
}
