//! Integrations: the encryption keys that seal their credentials, the settings of the four
//! kinds (messaging, accounting, advertising, webhook), the `Integration` record, inbound
//! messages and key rotation. Credentials and keys cross as arguments and return values only,
//! never as record fields, so that no `repr()`, `str()` or `to_dict()` shows them.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyMapping, PyString};
use time::OffsetDateTime;
use uuid::Uuid;

use flame_core::integration::accounting::AccountingPlatform;
use flame_core::integration::advertising::AdvertisingPlatform;
use flame_core::integration::messaging::{
    InboundMessage as RInboundMessage, MessagingPlatform, MessagingSettings as RMessagingSettings,
};
use flame_core::integration::record::{
    AccountingSettings as RAccountingSettings, AdvertisingSettings as RAdvertisingSettings,
    WebhookSettings as RWebhookSettings,
};
use flame_core::integration::{
    Credentials, Integration as RIntegration, IntegrationKind, IntegrationPatch,
    IntegrationSettings, NewIntegration,
};
use flame_core::{CompanyId, IntegrationId, PipelineId, SourceId, UserId};

use crate::convert::{parse, parse_opt, repr, to_py};
use crate::errors::to_py_err;
use crate::records::record;
use crate::runtime::run;
use crate::secret::{Secret, SecretArg};

/// A 256-bit key that encrypts integration credentials, with the id stored ciphertexts name it
/// by. Made with `from_bytes`, `from_base64` or `from_env`; its `repr()` shows the id only.
#[pyclass(frozen, module = "flame", name = "EncryptionKey")]
pub(crate) struct EncryptionKey(pub(crate) flame_core::crypto::EncryptionKey);

#[pymethods]
impl EncryptionKey {
    /// A key from its 32 raw bytes. `id` (ASCII letters, digits, '.', '_', '-'; at most 64)
    /// names it in stored ciphertexts so that keys can rotate. A bad id raises
    /// `ValidationError` on "key_id", a wrong length on "key".
    #[staticmethod]
    fn from_bytes(py: Python<'_>, id: &str, bytes: &[u8]) -> PyResult<Self> {
        flame_core::crypto::EncryptionKey::from_bytes(id, bytes)
            .map(EncryptionKey)
            .map_err(|e| to_py_err(py, e))
    }

    /// A key from the standard base64 text of its 32 bytes, as `openssl rand -base64 32`
    /// prints it. Errors name the field "key" and never repeat the text.
    #[staticmethod]
    fn from_base64(py: Python<'_>, id: &str, text: &str) -> PyResult<Self> {
        flame_core::crypto::EncryptionKey::from_base64(id, text)
            .map(EncryptionKey)
            .map_err(|e| to_py_err(py, e))
    }

    /// A key from the environment variable `variable`, which holds it in base64. A missing
    /// or malformed variable raises `ValidationError` naming the variable, never its value.
    #[staticmethod]
    fn from_env(py: Python<'_>, id: &str, variable: &str) -> PyResult<Self> {
        flame_core::crypto::EncryptionKey::from_env(id, variable)
            .map(EncryptionKey)
            .map_err(|e| to_py_err(py, e))
    }

    /// The key's id.
    #[getter]
    fn id(&self) -> &str {
        self.0.id()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr("EncryptionKey", &[("id", to_py(py, self.0.id())?)])
    }
}

record! {
    /// What a messaging channel (a Telegram bot, a WhatsApp number…) does with the people who
    /// write to it.
    MessagingSettings = "MessagingSettings" (RMessagingSettings) |m, py| {
        platform;
        auto_create_contact;
        auto_create_deal;
        default_source_id;
        default_pipeline_id;
        default_assignee_id;
        deal_currency;
        phone_number_id;
    }
    stub r#"
        def __new__(
            cls,
            platform: MessagingPlatform,
            *,
            auto_create_contact: bool = True,
            auto_create_deal: bool = False,
            default_source_id: Optional[UUID] = None,
            default_pipeline_id: Optional[UUID] = None,
            default_assignee_id: Optional[UUID] = None,
            deal_currency: Optional[str] = None,
            phone_number_id: Optional[str] = None,
        ) -> MessagingSettings:
            """Settings for ``platform`` (an unknown one raises ``ValidationError`` on
            "platform"); the rest is checked when the integration is saved."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (platform, *, auto_create_contact=true, auto_create_deal=false, default_source_id=None, default_pipeline_id=None, default_assignee_id=None, deal_currency=None, phone_number_id=None))]
        #[allow(clippy::too_many_arguments)]
        fn new(
            py: Python<'_>,
            platform: &str,
            auto_create_contact: bool,
            auto_create_deal: bool,
            default_source_id: Option<Uuid>,
            default_pipeline_id: Option<Uuid>,
            default_assignee_id: Option<Uuid>,
            deal_currency: Option<String>,
            phone_number_id: Option<String>,
        ) -> PyResult<Self> {
            Ok(MessagingSettings(RMessagingSettings {
                platform: parse::<MessagingPlatform>(py, platform)?,
                auto_create_contact,
                auto_create_deal,
                default_source_id: default_source_id.map(SourceId::from_uuid),
                default_pipeline_id: default_pipeline_id.map(PipelineId::from_uuid),
                default_assignee_id: default_assignee_id.map(UserId::from_uuid),
                deal_currency,
                phone_number_id,
            }))
        }
    }
}

record! {
    /// What an accounting connection does: won deals become invoice documents.
    AccountingSettings = "AccountingSettings" (RAccountingSettings) |a, py| {
        platform;
        vat_rate_bp;
        vat_included;
        invoice_on_won;
    }
    stub r#"
        def __new__(
            cls,
            platform: AccountingPlatform,
            *,
            vat_rate_bp: int,
            vat_included: bool,
            invoice_on_won: bool,
        ) -> AccountingSettings:
            """Settings for ``platform``; the VAT rate is checked when the integration is saved."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (platform, *, vat_rate_bp, vat_included, invoice_on_won))]
        fn new(
            py: Python<'_>,
            platform: &str,
            vat_rate_bp: u32,
            vat_included: bool,
            invoice_on_won: bool,
        ) -> PyResult<Self> {
            Ok(AccountingSettings(RAccountingSettings {
                platform: parse::<AccountingPlatform>(py, platform)?,
                vat_rate_bp,
                vat_included,
                invoice_on_won,
            }))
        }
    }
}

record! {
    /// What an advertising account does: lead forms become contacts and deals.
    AdvertisingSettings = "AdvertisingSettings" (RAdvertisingSettings) |a, py| {
        platform;
        auto_create_deal;
        default_pipeline_id;
        default_assignee_id;
        deal_currency;
    }
    stub r#"
        def __new__(
            cls,
            platform: AdvertisingPlatform,
            *,
            auto_create_deal: bool,
            default_pipeline_id: Optional[UUID] = None,
            default_assignee_id: Optional[UUID] = None,
            deal_currency: Optional[str] = None,
        ) -> AdvertisingSettings:
            """Settings for ``platform``, checked when the integration is saved."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (platform, *, auto_create_deal, default_pipeline_id=None, default_assignee_id=None, deal_currency=None))]
        fn new(
            py: Python<'_>,
            platform: &str,
            auto_create_deal: bool,
            default_pipeline_id: Option<Uuid>,
            default_assignee_id: Option<Uuid>,
            deal_currency: Option<String>,
        ) -> PyResult<Self> {
            Ok(AdvertisingSettings(RAdvertisingSettings {
                platform: parse::<AdvertisingPlatform>(py, platform)?,
                auto_create_deal,
                default_pipeline_id: default_pipeline_id.map(PipelineId::from_uuid),
                default_assignee_id: default_assignee_id.map(UserId::from_uuid),
                deal_currency,
            }))
        }
    }
}

record! {
    /// An outgoing webhook: the company's domain events are posted to `url`. Its signing
    /// secret is a credential (`credentials={"signing_secret": ...}`), never a setting.
    WebhookSettings = "WebhookSettings" (RWebhookSettings) |w, py| {
        url;
        events;
    }
    stub r#"
        def __new__(cls, url: str, events: Sequence[str]) -> WebhookSettings:
            """Posts ``events`` ("deal.won", "deal.*", "*") to ``url``; both are checked when the
            integration is saved (the URL against the SSRF rules)."""
    "#
    extra {
        #[new]
        fn new(url: String, events: Vec<String>) -> Self {
            WebhookSettings(RWebhookSettings { url, events })
        }
    }
}

/// The Python object for settings of any kind.
fn settings_to_py<'py>(
    py: Python<'py>,
    settings: &IntegrationSettings,
) -> PyResult<Bound<'py, PyAny>> {
    match settings {
        IntegrationSettings::Messaging(m) => to_py(py, MessagingSettings(m.clone())),
        IntegrationSettings::Accounting(a) => to_py(py, AccountingSettings(a.clone())),
        IntegrationSettings::Advertising(a) => to_py(py, AdvertisingSettings(a.clone())),
        IntegrationSettings::Webhook(w) => to_py(py, WebhookSettings(w.clone())),
    }
}

/// Settings of any kind from one of the four classes.
fn settings_from_py(settings: &Bound<'_, PyAny>) -> PyResult<IntegrationSettings> {
    if let Ok(m) = settings.cast::<MessagingSettings>() {
        return Ok(IntegrationSettings::Messaging(m.get().0.clone()));
    }
    if let Ok(a) = settings.cast::<AccountingSettings>() {
        return Ok(IntegrationSettings::Accounting(a.get().0.clone()));
    }
    if let Ok(a) = settings.cast::<AdvertisingSettings>() {
        return Ok(IntegrationSettings::Advertising(a.get().0.clone()));
    }
    if let Ok(w) = settings.cast::<WebhookSettings>() {
        return Ok(IntegrationSettings::Webhook(w.get().0.clone()));
    }
    let type_name = settings.get_type().name()?;
    Err(PyTypeError::new_err(format!(
        "argument 'settings': expected MessagingSettings, AccountingSettings, \
         AdvertisingSettings or WebhookSettings, not {type_name}"
    )))
}

/// Credentials from a mapping of field name to secret text. Type errors name the field, never
/// the value.
fn credentials_from_py(credentials: Option<&Bound<'_, PyAny>>) -> PyResult<Credentials> {
    let Some(credentials) = credentials else { return Ok(Credentials::new()) };
    let mapping = credentials.cast::<PyMapping>().map_err(|_| {
        let type_name = credentials.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!(
            "argument 'credentials': expected a mapping of str to str, not {type_name}"
        ))
    })?;
    let mut out = Credentials::new();
    for item in mapping.items()?.iter() {
        let (field, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let field = field
            .cast_into::<PyString>()
            .map_err(|_| PyTypeError::new_err("argument 'credentials': field names must be str"))?;
        let value: SecretArg = value.extract().map_err(|_| {
            let name = field.repr().map(|r| r.to_string()).unwrap_or_default();
            PyTypeError::new_err(format!(
                "argument 'credentials': the value of {name} must be a Secret or a str"
            ))
        })?;
        let field = field.to_cow()?;
        out = out.with(&field, value.into_string());
    }
    Ok(out)
}

record! {
    /// An integration of the company: a messaging channel, an accounting system, an
    /// advertising account or an outgoing webhook. Its credentials are never part of it: only
    /// their field names (`credential_fields`); `Integrations.credential` decrypts one.
    Integration = "Integration" (RIntegration) |i, py| {
        id;
        company_id;
        name;
        enabled;
        @derived kind => i.kind();
        settings: "_Settings" => settings_to_py(py, &i.settings)?;
        credential_fields;
        created_at;
        updated_at;
        version;
    }
}

record! {
    InboundOutcome = "InboundOutcome" (flame_db::InboundOutcome) |o, py| {
        external_message_id;
        duplicate;
        contact_id;
        created_contact;
        deal_id;
        created_deal;
        activity_id;
    }
}

record! {
    /// A message a person sent to a messaging integration, parsed by the host (for platforms
    /// whose webhooks Flame does not parse), for `Inbound.handle_message`.
    InboundMessage = "InboundMessage" (RInboundMessage) |m, py| {
        platform;
        external_message_id;
        chat_id;
        sender_id;
        sent_at;
        sender_name;
        sender_username;
        phone_raw;
        phone;
        text;
    }
    stub r#"
        def __new__(
            cls,
            platform: MessagingPlatform,
            external_message_id: str,
            chat_id: str,
            sender_id: str,
            sent_at: datetime,
            *,
            sender_name: Optional[str] = None,
            sender_username: Optional[str] = None,
            phone_raw: Optional[str] = None,
            phone: Optional[str] = None,
            text: Optional[str] = None,
        ) -> InboundMessage:
            """``sent_at`` is timezone-aware. The platform and ``phone`` (international form) are
            checked here (``ValidationError`` on "platform", "phone")."""
    "#
    extra {
        #[new]
        #[pyo3(signature = (platform, external_message_id, chat_id, sender_id, sent_at, *, sender_name=None, sender_username=None, phone_raw=None, phone=None, text=None))]
        #[allow(clippy::too_many_arguments)]
        fn new(
            py: Python<'_>,
            platform: &str,
            external_message_id: String,
            chat_id: String,
            sender_id: String,
            sent_at: OffsetDateTime,
            sender_name: Option<String>,
            sender_username: Option<String>,
            phone_raw: Option<String>,
            phone: Option<&str>,
            text: Option<String>,
        ) -> PyResult<Self> {
            Ok(InboundMessage(RInboundMessage {
                platform: parse::<MessagingPlatform>(py, platform)?,
                external_message_id,
                chat_id,
                sender_id,
                sender_name,
                sender_username,
                phone_raw,
                phone: phone
                    .map(|p| flame_core::Phone::parse(p, None))
                    .transpose()
                    .map_err(|e| to_py_err(py, e))?,
                text,
                sent_at,
            }))
        }
    }
}

record! {
    /// What `Flame.rotate_keys` did.
    Rotation = "Rotation" (flame_db::Rotation) |r, py| {
        resealed;
        remaining;
        skipped;
    }
}

/// The company's integrations (`session.integrations`): admins and owners only.
#[pyclass(frozen, module = "flame", name = "Integrations")]
pub(crate) struct Integrations {
    pub(crate) session: flame_db::Session,
}

#[pymethods]
impl Integrations {
    /// Creates an integration. `settings` is a `MessagingSettings`, `AccountingSettings`,
    /// `AdvertisingSettings` or `WebhookSettings`; `credentials` maps field names ("token",
    /// "signing_secret") to secrets, sealed with the store's encryption key (without one,
    /// `CryptoError`). A webhook needs a "signing_secret". Defaults must be the company's
    /// records, webhook URLs must pass the SSRF rules (`ValidationError` on "url"), names are
    /// unique in the company, and the plan's integration limit applies.
    #[pyo3(signature = (name, settings, credentials=None))]
    fn create(
        &self,
        py: Python<'_>,
        name: String,
        settings: &Bound<'_, PyAny>,
        credentials: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Integration> {
        let input = NewIntegration {
            name,
            settings: settings_from_py(settings)?,
            credentials: credentials_from_py(credentials)?,
        };
        let api = self.session.integrations();
        run(py, async move { api.create(input).await }).map(Integration)
    }

    /// One integration; another company's id raises `NotFoundError`.
    fn get(&self, py: Python<'_>, id: Uuid) -> PyResult<Integration> {
        let api = self.session.integrations();
        run(py, async move { api.get(IntegrationId::from_uuid(id)).await }).map(Integration)
    }

    /// The integrations, by creation: all of them, or those of one `kind` ("messaging",
    /// "accounting", "advertising" or "webhook").
    #[pyo3(signature = (kind=None))]
    fn list(&self, py: Python<'_>, kind: Option<&str>) -> PyResult<Vec<Integration>> {
        let kind = parse_opt::<IntegrationKind>(py, kind)?;
        let api = self.session.integrations();
        Ok(run(py, async move { api.list(kind).await })?.into_iter().map(Integration).collect())
    }

    /// Changes the integration read at `version`: `None` keeps a field; `settings` must be of
    /// the same kind; `credentials` given are sealed and replace those of the same field (the
    /// others are kept). A stale version raises `ConflictError`.
    #[pyo3(signature = (id, version, *, name=None, enabled=None, settings=None, credentials=None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Uuid,
        version: i64,
        name: Option<String>,
        enabled: Option<bool>,
        settings: Option<&Bound<'_, PyAny>>,
        credentials: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Integration> {
        let patch = IntegrationPatch {
            name,
            enabled,
            settings: settings.map(settings_from_py).transpose()?,
            credentials: credentials_from_py(credentials)?,
        };
        let api = self.session.integrations();
        run(py, async move { api.update(IntegrationId::from_uuid(id), version, patch).await })
            .map(Integration)
    }

    /// Deletes the integration read at `version`, with its credentials and what it recorded;
    /// the contacts, deals and activities it created stay.
    fn delete(&self, py: Python<'_>, id: Uuid, version: i64) -> PyResult<()> {
        let api = self.session.integrations();
        run(py, async move { api.delete(IntegrationId::from_uuid(id), version).await })
    }

    /// The decrypted credential `field` of an integration, for the host's adapter that talks
    /// to the platform. The result is a secret: keep it out of logs, reprs and storage. No
    /// key, a wrong key or tampered data raises `CryptoError` naming the integration and the
    /// field (never the secret); an unknown field raises `NotFoundError`.
    fn credential(&self, py: Python<'_>, id: Uuid, field: String) -> PyResult<Secret> {
        let api = self.session.integrations();
        let secret =
            run(py, async move { api.credential(IntegrationId::from_uuid(id), &field).await })?;
        Ok(Secret::new(secret))
    }
}

/// Inbound messages for messaging integrations (`flame.inbound`): trusted host calls, for the
/// host's webhook endpoint, which knows the company and the integration from its URL.
#[pyclass(frozen, module = "flame", name = "Inbound")]
pub(crate) struct Inbound {
    pub(crate) flame: flame_db::Flame,
}

#[pymethods]
impl Inbound {
    /// Handles a webhook request as the integration's platform sends it: the raw body
    /// (`bytes`, exactly as received) of a Telegram Bot API `Update` or a WhatsApp Cloud API
    /// webhook, and the request's `headers` (a `dict`, names in any case). The request is
    /// verified first: a Telegram update must carry the integration's `secret_token`
    /// credential in `X-Telegram-Bot-Api-Secret-Token`, a WhatsApp webhook the
    /// `X-Hub-Signature-256` of its body under the `app_secret` credential; an integration
    /// without that credential refuses every request. A missing or wrong header raises
    /// `UnauthenticatedError` naming it, and nothing is written. Each message then finds or
    /// creates its contact, opens a deal when the integration says so and is recorded as an
    /// activity, once: a redelivered message is a `duplicate`. A body that is not the
    /// platform's format raises `ValidationError` naming the JSON path, and nothing is
    /// written; updates without a message return `[]`. WhatsApp messages go to the
    /// integration whose `phone_number_id` is their `metadata.phone_number_id`; a body for
    /// a number no integration of the company owns raises `ValidationError` naming that path.
    #[pyo3(signature = (company_id, integration_id, body, headers=None))]
    fn handle_webhook(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        integration_id: Uuid,
        body: &[u8],
        headers: Option<std::collections::HashMap<String, String>>,
    ) -> PyResult<Vec<InboundOutcome>> {
        let api = self.flame.inbound();
        let company = CompanyId::from_uuid(company_id);
        let integration = IntegrationId::from_uuid(integration_id);
        let request = flame_core::integration::verify::WebhookRequest::new(
            headers.unwrap_or_default().into_iter().collect(),
            body,
        );
        Ok(run(py, async move { api.handle_webhook(company, integration, &request).await })?
            .into_iter()
            .map(InboundOutcome)
            .collect())
    }

    /// Answers Meta's webhook subscription handshake (`hub.mode`, `hub.verify_token`,
    /// `hub.challenge` of the GET request): returns the challenge to send back when the mode
    /// is `subscribe` and the token is the integration's `verify_token` credential. Another
    /// mode raises `ValidationError` on `hub.mode`; no credential or another token
    /// `UnauthenticatedError`.
    fn verify_subscription(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        integration_id: Uuid,
        mode: String,
        verify_token: String,
        challenge: String,
    ) -> PyResult<String> {
        let api = self.flame.inbound();
        let company = CompanyId::from_uuid(company_id);
        let integration = IntegrationId::from_uuid(integration_id);
        run(py, async move {
            api.verify_subscription(company, integration, &mode, &verify_token, &challenge).await
        })
    }

    /// Handles one `InboundMessage` the host parsed itself, as `handle_webhook` handles each
    /// message: its contact found (by channel identity, then phone) or created, a deal opened
    /// when the integration says so, the message recorded as an activity — once. Another
    /// company's or an unknown integration, or one of another kind, raises `NotFoundError`;
    /// a disabled one `ConflictError`; a message of another platform than the integration's
    /// `ValidationError` on "platform". Nothing is written on any error.
    fn handle_message(
        &self,
        py: Python<'_>,
        company_id: Uuid,
        integration_id: Uuid,
        message: &Bound<'_, InboundMessage>,
    ) -> PyResult<InboundOutcome> {
        let message = message.get().0.clone();
        let api = self.flame.inbound();
        let company = CompanyId::from_uuid(company_id);
        let integration = IntegrationId::from_uuid(integration_id);
        run(py, async move { api.handle_message(company, integration, message).await })
            .map(InboundOutcome)
    }
}

/// Adds the integration classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EncryptionKey>()?;
    m.add_class::<MessagingSettings>()?;
    m.add_class::<AccountingSettings>()?;
    m.add_class::<AdvertisingSettings>()?;
    m.add_class::<WebhookSettings>()?;
    m.add_class::<Integration>()?;
    m.add_class::<InboundMessage>()?;
    m.add_class::<InboundOutcome>()?;
    m.add_class::<Rotation>()?;
    m.add_class::<Integrations>()?;
    m.add_class::<Inbound>()?;
    Ok(())
}
