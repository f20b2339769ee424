//! Integrations: the four kinds with their settings, their credentials sealed with the
//! store's keyring (AES-256-GCM, bound to company + integration + field), and key rotation.

use secrecy::SecretString;
use time::OffsetDateTime;

use flame_core::auth::{Action, Resource};
use flame_core::billing::Limit;
use flame_core::crypto::{self, Aad, Credential, Keyring, SealedSecret};
use flame_core::integration::ssrf;
use flame_core::integration::{
    Integration, IntegrationKind, IntegrationPatch, IntegrationSettings, KindSettings,
    NewIntegration,
};
use flame_core::{CompanyId, FlameError, IntegrationId, Result, clock};

use crate::flame::Flame;
use crate::session::Session;
use crate::sql::{Executor, Row, Tx, args, found};
use crate::usage;

pub(crate) const COLUMNS: &str =
    "SELECT company_id, id, name, enabled, settings, credential_fields,
        created_at, updated_at, version FROM integrations";

pub(crate) fn integration_from_row(row: &Row) -> Result<Integration> {
    let settings: crate::sql::Json<IntegrationSettings> = row.get("settings")?;
    let fields: String = row.get("credential_fields")?;
    Ok(Integration {
        id: row.id("id")?,
        company_id: row.id("company_id")?,
        name: row.get("name")?,
        enabled: row.get("enabled")?,
        settings: settings.0,
        credential_fields: fields.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        version: row.int("version")?,
    })
}

/// One integration of `company`, inside `exec`.
pub(crate) async fn find(
    exec: &mut impl Executor,
    company: CompanyId,
    id: IntegrationId,
) -> Result<Integration> {
    let sql = format!("{COLUMNS} WHERE company_id = $1 AND id = $2");
    let row = exec.fetch_optional(sql, args![company.as_uuid(), id.as_uuid()]).await?;
    found(row, integration_from_row, "integration")
}

/// The integration `id` of `company`, read inside `exec` and checked for use as one of the
/// kind `S` with input from `platform` ([`Integration::usable`]: another kind is `NotFound`,
/// a disabled one `Conflict`, another platform a `Validation` error), with its settings.
pub(crate) async fn usable<S: KindSettings + Clone>(
    exec: &mut impl Executor,
    company: CompanyId,
    id: IntegrationId,
    platform: Option<S::Platform>,
) -> Result<(Integration, S)> {
    let found = find(exec, company, id).await?;
    let settings = found.usable::<S>(platform)?.clone();
    Ok((found, settings))
}

/// Checks that the defaults `settings` points at are records of `company`: when saved, and
/// again when used (they may have been deleted since). Errors name the setting.
pub(crate) async fn check_defaults(
    exec: &mut impl Executor,
    company: CompanyId,
    settings: &IntegrationSettings,
) -> Result<()> {
    let (source, pipeline, assignee) = settings.defaults();
    let c = company.as_uuid();
    if let Some(source) = source {
        let row = exec
            .fetch_optional(
                "SELECT id FROM sources WHERE company_id = $1 AND id = $2",
                args![c, source.as_uuid()],
            )
            .await?;
        if row.is_none() {
            return Err(FlameError::validation(
                "default_source_id",
                "is not a source of this company",
            ));
        }
    }
    if let Some(pipeline) = pipeline {
        let row = exec
            .fetch_optional(
                "SELECT id FROM pipelines WHERE company_id = $1 AND id = $2",
                args![c, pipeline.as_uuid()],
            )
            .await?;
        if row.is_none() {
            return Err(FlameError::validation(
                "default_pipeline_id",
                "is not a pipeline of this company",
            ));
        }
    }
    if let Some(user) = assignee {
        let row = exec
            .fetch_optional(
                "SELECT user_id FROM memberships WHERE company_id = $1 AND user_id = $2",
                args![c, user.as_uuid()],
            )
            .await?;
        if row.is_none() {
            return Err(FlameError::validation(
                "default_assignee_id",
                "is not a member of this company",
            ));
        }
    }
    Ok(())
}

/// Checks a webhook URL against the SSRF rules (loopback only if the host allowed it).
pub(crate) fn check_webhook_url(flame: &Flame, settings: &IntegrationSettings) -> Result<()> {
    if let IntegrationSettings::Webhook(w) = settings {
        ssrf::check_url_with(&w.url, flame.inner.options.webhook_allow_loopback)
            .map_err(|e| e.at("url"))?;
    }
    Ok(())
}

async fn store_credentials(
    tx: &mut Tx,
    keyring: Option<&Keyring>,
    integration: &Integration,
    credentials: &[(String, Credential)],
    now: OffsetDateTime,
) -> Result<()> {
    if credentials.is_empty() {
        return Ok(());
    }
    let keyring = keyring.ok_or_else(|| FlameError::Crypto {
        reason: "no encryption key is configured (OpenOptions::encryption_key): \
                 an integration with credentials cannot be saved"
            .into(),
    })?;
    for (field, value) in credentials {
        let aad = Aad::new(integration.company_id, integration.id, field)?;
        let sealed = crypto::seal(keyring, value.as_secret(), &aad)?;
        tx.execute(
            "INSERT INTO integration_secrets (company_id, integration_id, field, sealed, key_id, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (company_id, integration_id, field)
             DO UPDATE SET sealed = $4, key_id = $5, updated_at = $6",
            args![
                integration.company_id.as_uuid(),
                integration.id.as_uuid(),
                field.clone(),
                sealed.to_stored(),
                sealed.key_id(),
                now
            ],
        )
        .await?;
    }
    Ok(())
}

/// Decrypts the credential `field` of an integration. No key, an unknown key id, a wrong key
/// or tampered data is a `Crypto` error naming the integration and field, never the secret.
pub(crate) async fn open_credential(
    flame: &Flame,
    exec: &mut impl Executor,
    company: CompanyId,
    integration: IntegrationId,
    field: &str,
) -> Result<SecretString> {
    let row = exec
        .fetch_optional(
            "SELECT sealed FROM integration_secrets
             WHERE company_id = $1 AND integration_id = $2 AND field = $3",
            args![company.as_uuid(), integration.as_uuid(), field],
        )
        .await?
        .ok_or_else(|| FlameError::not_found("credential"))?;
    let stored: String = row.get("sealed")?;
    let sealed = SealedSecret::parse(&stored).map_err(|_| FlameError::Crypto {
        reason: format!("the credential {field} of integration {integration} is malformed"),
    })?;
    let aad = Aad::new(company, integration, field)?;
    crypto::open(flame.keyring()?, &sealed, &aad)
}

fn fields_text(integration: &Integration) -> String {
    integration.credential_fields.join(",")
}

/// The integrations of the session's company: messaging channels, accounting systems,
/// advertising accounts and outgoing webhooks. Admins and owners only.
#[derive(Debug, Clone)]
pub struct Integrations {
    session: Session,
}

impl Integrations {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    /// Creates an integration, sealing its credentials. Defaults must be the company's
    /// records; webhook URLs must pass the SSRF rules; the name must be new in the company;
    /// the plan's integration limit applies. Credentials need an encryption key (`Crypto`).
    pub async fn create(&self, input: NewIntegration) -> Result<Integration> {
        let now = self.session.authorize(Action::Create, Resource::Integration).await?;
        let company = self.session.company_id();
        let (integration, credentials) = input.validate(company, now)?;
        let flame = self.session.flame();
        check_webhook_url(flame, &integration.settings)?;
        if !credentials.is_empty() {
            flame.keyring()?;
        }
        let mut tx = self.session.begin().await?;
        self.session.permit(Action::Create, Resource::Integration)?;
        check_defaults(&mut tx, company, &integration.settings).await?;
        self.ensure_name_free(&mut tx, &integration.name, None).await?;
        usage::reserve(&mut tx, company, Limit::Integrations, 1).await?;
        tx.execute(
            "INSERT INTO integrations (company_id, id, kind, platform, name, name_key, enabled, settings,
                                       credential_fields, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            args![
                company.as_uuid(),
                integration.id.as_uuid(),
                integration.kind().as_str(),
                integration.settings.platform(),
                integration.name.clone(),
                integration.name.to_lowercase(),
                integration.enabled,
                settings_json(&integration.settings)?,
                fields_text(&integration),
                now,
                now,
                integration.version
            ],
        )
        .await?;
        store_credentials(&mut tx, flame.inner.keyring.as_ref(), &integration, &credentials, now)
            .await?;
        tx.commit().await?;
        Ok(integration)
    }

    async fn ensure_name_free(
        &self,
        tx: &mut Tx,
        name: &str,
        except: Option<IntegrationId>,
    ) -> Result<()> {
        let row = tx
            .fetch_optional(
                "SELECT id FROM integrations WHERE company_id = $1 AND name_key = $2",
                args![self.session.tenant(), name.to_lowercase()],
            )
            .await?;
        match row {
            Some(row) if Some(row.id::<IntegrationId>("id")?) != except => Err(
                FlameError::conflict("integration", "an integration with this name already exists"),
            ),
            _ => Ok(()),
        }
    }

    /// One integration.
    pub async fn get(&self, id: IntegrationId) -> Result<Integration> {
        self.session.authorize(Action::Read, Resource::Integration).await?;
        find(&mut self.session.flame().pool().exec(), self.session.company_id(), id).await
    }

    /// The integrations, of one kind or all, by creation.
    pub async fn list(&self, kind: Option<IntegrationKind>) -> Result<Vec<Integration>> {
        self.session.authorize(Action::Read, Resource::Integration).await?;
        let exec = &mut self.session.flame().pool().exec();
        let rows = match kind {
            Some(kind) => {
                let sql = format!("{COLUMNS} WHERE company_id = $1 AND kind = $2 ORDER BY id");
                exec.fetch_all(sql, args![self.session.tenant(), kind.as_str()]).await?
            }
            None => {
                let sql = format!("{COLUMNS} WHERE company_id = $1 ORDER BY id");
                exec.fetch_all(sql, args![self.session.tenant()]).await?
            }
        };
        rows.iter().map(integration_from_row).collect()
    }

    /// Applies `patch` to the integration read at `version`; credentials given are sealed
    /// and replace those of the same field.
    pub async fn update(
        &self,
        id: IntegrationId,
        version: i64,
        patch: IntegrationPatch,
    ) -> Result<Integration> {
        self.session.authorize(Action::Update, Resource::Integration).await?;
        let company = self.session.company_id();
        let flame = self.session.flame();
        let mut tx = self.session.begin().await?;
        let now = self.session.permit(Action::Update, Resource::Integration)?;
        let current = find(&mut tx, company, id).await?;
        if current.version != version {
            return Err(FlameError::stale("integration"));
        }
        let (next, credentials) = current.patched(&patch, now)?;
        if patch.settings.is_some() {
            check_webhook_url(flame, &next.settings)?;
            check_defaults(&mut tx, company, &next.settings).await?;
        }
        self.ensure_name_free(&mut tx, &next.name, Some(id)).await?;
        let changed = tx
            .execute(
                "UPDATE integrations SET name = $1, name_key = $2, enabled = $3, settings = $4,
                        credential_fields = $5, updated_at = $6, version = $7
                 WHERE company_id = $8 AND id = $9 AND version = $10",
                args![
                    next.name.clone(),
                    next.name.to_lowercase(),
                    next.enabled,
                    settings_json(&next.settings)?,
                    fields_text(&next),
                    now,
                    next.version,
                    company.as_uuid(),
                    id.as_uuid(),
                    version
                ],
            )
            .await?;
        if changed == 0 {
            return Err(FlameError::stale("integration"));
        }
        store_credentials(&mut tx, flame.inner.keyring.as_ref(), &next, &credentials, now).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes the integration read at `version`, with its credentials and what it recorded
    /// (processed messages, leads, documents, deliveries); the contacts, deals and activities
    /// it created stay.
    pub async fn delete(&self, id: IntegrationId, version: i64) -> Result<()> {
        self.session.authorize(Action::Delete, Resource::Integration).await?;
        let company = self.session.company_id();
        let mut tx = self.session.begin_any().await?;
        self.session.permit(Action::Delete, Resource::Integration)?;
        let current = find(&mut tx, company, id).await?;
        if current.version != version {
            return Err(FlameError::stale("integration"));
        }
        let (c, i) = (company.as_uuid(), id.as_uuid());
        for table in [
            "integration_secrets",
            "inbound_messages",
            "leads",
            "ad_spend",
            "accounting_documents",
            "webhook_deliveries",
        ] {
            tx.execute(
                format!("DELETE FROM {table} WHERE company_id = $1 AND integration_id = $2"),
                args![c, i],
            )
            .await?;
        }
        tx.execute("DELETE FROM integrations WHERE company_id = $1 AND id = $2", args![c, i])
            .await?;
        usage::release(&mut tx, company, Limit::Integrations, 1).await?;
        tx.commit().await
    }

    /// The decrypted credential `field` of an integration, for the host's adapter that talks
    /// to the platform (to answer a Telegram chat, to call an accounting API). Admins and
    /// owners only; a `Crypto` error when it cannot be decrypted.
    pub async fn credential(&self, id: IntegrationId, field: &str) -> Result<SecretString> {
        self.session.authorize(Action::Update, Resource::Integration).await?;
        let flame = self.session.flame();
        let exec = &mut flame.pool().exec();
        find(exec, self.session.company_id(), id).await?;
        open_credential(flame, exec, self.session.company_id(), id, field).await
    }
}

pub(crate) fn settings_json(settings: &IntegrationSettings) -> Result<serde_json::Value> {
    serde_json::to_value(settings)
        .map_err(|_| FlameError::validation("settings", "cannot be represented as JSON"))
}

/// What [`Flame::rotate_keys`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Secrets re-encrypted under the primary key by this call.
    pub resealed: u64,
    /// Secrets still under another key (0 when the rotation is complete); counts the
    /// skipped ones.
    pub remaining: u64,
    /// The integrations (each once, in id order) holding a secret that no configured key
    /// decrypts, or that is malformed: left exactly as stored while the others rotated.
    /// Open the store with the key that sealed them in `previous_keys` and rotate again, or
    /// save their credentials anew.
    pub skipped: Vec<IntegrationId>,
}

/// The encryption keys' use: rotation ([`Flame::rotate_keys`]) and the health report's count.
pub(crate) struct Keys<'a> {
    flame: &'a Flame,
}

impl<'a> Keys<'a> {
    pub(crate) fn new(flame: &'a Flame) -> Self {
        Self { flame }
    }

    pub(crate) async fn rotate_keys(&self, batch: u32) -> Result<Rotation> {
        let keyring = self.flame.keyring()?.clone();
        let primary = keyring.primary().id().to_owned();
        let batch = i64::from(batch.clamp(1, 10_000));
        let mut resealed = 0;
        let mut skipped = std::collections::BTreeSet::new();
        // Keyset cursor: skipped rows stay under their old key, so the scan moves past them.
        let mut after: Option<(CompanyId, IntegrationId, String)> = None;
        loop {
            let mut tx = self.flame.pool().begin().await?;
            const SELECT: &str = "SELECT company_id, integration_id, field, sealed
                 FROM integration_secrets WHERE key_id <> $1";
            const ORDER: &str = " ORDER BY company_id, integration_id, field LIMIT $2";
            let rows = match &after {
                None => tx.fetch_all(format!("{SELECT}{ORDER}"), args![primary.clone(), batch]),
                Some((c, i, f)) => tx.fetch_all(
                    format!(
                        "{SELECT} AND (company_id, integration_id, field) > ($3, $4, $5){ORDER}"
                    ),
                    args![primary.clone(), batch, c.as_uuid(), i.as_uuid(), f.clone()],
                ),
            }
            .await?;
            if rows.is_empty() {
                break;
            }
            let now = clock::now();
            for row in &rows {
                let company: CompanyId = row.id("company_id")?;
                let integration: IntegrationId = row.id("integration_id")?;
                let field: String = row.get("field")?;
                let stored: String = row.get("sealed")?;
                after = Some((company, integration, field.clone()));
                let fresh = SealedSecret::parse(&stored).and_then(|sealed| {
                    keyring.reseal(&sealed, &Aad::new(company, integration, &field)?)
                });
                let fresh = match fresh {
                    Ok(fresh) => fresh,
                    Err(e) => {
                        tracing::warn!(%integration, field = %field, error = %e,
                            "a credential could not be decrypted for key rotation; skipped");
                        skipped.insert(integration);
                        continue;
                    }
                };
                // Compare-and-set: only if the row still holds what was read.
                let changed = tx
                    .execute(
                        "UPDATE integration_secrets SET sealed = $1, key_id = $2, updated_at = $3
                         WHERE company_id = $4 AND integration_id = $5 AND field = $6
                           AND sealed = $7",
                        args![
                            fresh.to_stored(),
                            fresh.key_id(),
                            now,
                            company.as_uuid(),
                            integration.as_uuid(),
                            field,
                            stored
                        ],
                    )
                    .await?;
                resealed += changed;
            }
            tx.commit().await?;
        }
        // Secrets another process sealed with an old key since the last batch would show here.
        let remaining = self
            .flame
            .pool()
            .exec()
            .fetch_one(
                "SELECT COUNT(*) AS n FROM integration_secrets WHERE key_id <> $1",
                args![primary],
            )
            .await?
            .int("n")?;
        Ok(Rotation {
            resealed,
            remaining: u64::try_from(remaining).unwrap_or(0),
            skipped: skipped.into_iter().collect(),
        })
    }

    /// How many stored credentials each key id seals, for the health report.
    pub(crate) async fn keys_in_use(&self) -> Result<Vec<(String, u64)>> {
        let rows = self.flame
            .pool()
            .exec()
            .fetch_all(
                "SELECT key_id, COUNT(*) AS n FROM integration_secrets GROUP BY key_id ORDER BY key_id",
                args![],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.get::<String>("key_id")?, u64::try_from(r.int("n")?).unwrap_or(0))))
            .collect()
    }
}
