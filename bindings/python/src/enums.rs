//! `flame._flame._enum_names()`: the stored names of every enumeration the Python API takes or
//! returns as `str`, read from the Rust enums themselves (their `ALL`), so that the
//! `Literal[...]` aliases of `flame/_types.py` are tested against them
//! (`tests/test_types.py`): a variant added in Rust fails that test until the alias has it.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use flame_core::activity::ActivityKind;
use flame_core::auth::{Role, Scope};
use flame_core::billing::{BillingInterval, PaymentOutcome, SubscriptionStatus};
use flame_core::deal::DealStatus;
use flame_core::integration::IntegrationKind;
use flame_core::integration::accounting::{AccountingPlatform, DocumentStatus};
use flame_core::integration::advertising::AdvertisingPlatform;
use flame_core::integration::messaging::MessagingPlatform;
use flame_core::integration::webhook::DeliveryState;
use flame_core::pipeline::StageKind;
use flame_core::verification::EmailVerification;
use flame_db::Backend;

use crate::records::credential_kind;

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

/// `{alias: [stored name, ...]}` for each `Literal` alias of `flame._types`.
#[pyfunction]
pub(crate) fn _enum_names(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    macro_rules! names {
        ($($ty:ty),* $(,)?) => { [$(<$ty>::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()),*] };
    }
    let d = PyDict::new(py);
    let [
        role,
        deal_status,
        stage_kind,
        activity_kind,
        subscription_status,
        billing_interval,
        scope,
        email_verification,
        payment_outcome,
        integration_kind,
        messaging,
        accounting,
        advertising,
        document_status,
        delivery_status,
    ] = names!(
        Role,
        DealStatus,
        StageKind,
        ActivityKind,
        SubscriptionStatus,
        BillingInterval,
        Scope,
        EmailVerification,
        PaymentOutcome,
        IntegrationKind,
        MessagingPlatform,
        AccountingPlatform,
        AdvertisingPlatform,
        DocumentStatus,
        DeliveryState,
    );
    d.set_item("Role", role)?;
    d.set_item("DealStatus", deal_status)?;
    d.set_item("StageKind", stage_kind)?;
    d.set_item("ActivityKind", activity_kind)?;
    d.set_item("SubscriptionStatus", subscription_status)?;
    d.set_item("BillingInterval", billing_interval)?;
    d.set_item("Scope", scope)?;
    d.set_item("EmailVerification", email_verification)?;
    d.set_item("PaymentOutcome", payment_outcome)?;
    d.set_item("IntegrationKind", integration_kind)?;
    d.set_item("MessagingPlatform", messaging)?;
    d.set_item("AccountingPlatform", accounting)?;
    d.set_item("AdvertisingPlatform", advertising)?;
    d.set_item("DocumentStatus", document_status)?;
    d.set_item("DeliveryStatus", delivery_status)?;
    d.set_item("Backend", backends().map(Backend::as_str).to_vec())?;
    d.set_item("CredentialKind", credential_kinds().to_vec())?;
    Ok(d)
}

/// Adds `_enum_names` to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_enum_names, m)?)
}
