//! Inbound messages: a message that reaches a messaging integration (a Telegram bot, a
//! WhatsApp number…) finds or creates its contact, opens a deal when the integration says so,
//! and is recorded as an activity — in one transaction, exactly once per message.

use flame_core::billing::Limit;
use flame_core::deal::DealStatus;
use flame_core::event::EventPayload;
use flame_core::integration::messaging::{
    InboundMessage, MessagingPlatform, MessagingSettings, PhoneUpdate,
};
use flame_core::integration::verify::{self, WebhookRequest};
use flame_core::integration::{telegram, whatsapp};
use flame_core::{CompanyId, ContactId, DealId, FlameError, IntegrationId, Result, clock};
use secrecy::SecretString;

use crate::sql::{Executor, Tx, args};
use crate::{Flame, activity, contact, deal, integration, outbox, pipeline, usage};

/// What handling one inbound message did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InboundOutcome {
    /// The message's id on the platform.
    pub external_message_id: String,
    /// Whether the message had been handled before (a redelivered webhook): nothing changed.
    pub duplicate: bool,
    /// The contact it was filed under (`None` when the sender is unknown and the integration
    /// does not create contacts).
    pub contact_id: Option<ContactId>,
    /// Whether that contact was created for this message.
    pub created_contact: bool,
    /// The deal it was filed under, if any.
    pub deal_id: Option<DealId>,
    /// Whether that deal was opened for this message.
    pub created_deal: bool,
    /// The activity recording the message.
    pub activity_id: Option<flame_core::ActivityId>,
}

/// Inbound messages for messaging integrations: trusted host calls (the platform's webhook
/// reaches the host, which knows the company and the integration from its URL).
#[derive(Debug, Clone)]
pub struct Inbound {
    flame: Flame,
}

impl Inbound {
    pub(crate) fn new(flame: Flame) -> Self {
        Self { flame }
    }

    /// Handles a webhook request as the integration's platform sends it: a Telegram Bot API
    /// `Update`, or a WhatsApp Cloud API webhook (which may carry several messages).
    ///
    /// The request is verified before any of its body is read: a Telegram update must carry
    /// the integration's `secret_token` credential in `X-Telegram-Bot-Api-Secret-Token`, a
    /// WhatsApp webhook the `X-Hub-Signature-256` of its raw body under the `app_secret`
    /// credential (see [`flame_core::integration::verify`]). An integration without that
    /// credential refuses every request (fail closed). A missing or wrong header is
    /// [`FlameError::Unauthenticated`] naming it, and nothing is written.
    ///
    /// A verified body that is not the platform's format is a `Validation` error naming the
    /// JSON path, and nothing is written; updates without a message (edits, status reports)
    /// do nothing. WhatsApp messages are routed by their `metadata.phone_number_id` to the
    /// integration owning that number (see `route_whatsapp`): a body for a number no
    /// integration of the company owns — this one included, when it has no `phone_number_id`
    /// setting — is a `Validation` error naming that path, and nothing is written.
    pub async fn handle_webhook(
        &self,
        company: CompanyId,
        integration: IntegrationId,
        request: &WebhookRequest,
    ) -> Result<Vec<InboundOutcome>> {
        let (found, settings) = self.settings(company, integration).await?;
        let body = request.body.as_slice();
        let messages: Vec<InboundMessage> = match settings.platform {
            MessagingPlatform::Telegram => {
                let secret = self.secret(&found, verify::SECRET_TOKEN).await?;
                verify::verify_telegram(secret.as_ref(), request)?;
                telegram::parse_update(body)?.into_iter().collect()
            }
            MessagingPlatform::WhatsApp => {
                let secret = self.secret(&found, verify::APP_SECRET).await?;
                verify::verify_meta(secret.as_ref(), request)?;
                let numbers = whatsapp::parse_webhook_by_number(body)?;
                let routed = self.route_whatsapp(company, &found, request, numbers).await?;
                let mut outcomes = Vec::with_capacity(routed.len());
                for (owner, message) in routed {
                    outcomes.push(self.handle_message(company, owner, message).await?);
                }
                return Ok(outcomes);
            }
            other => {
                return Err(FlameError::validation(
                    "body",
                    format!(
                        "{} webhooks are not parsed by Flame; pass the parsed message to handle_message",
                        other.display_name()
                    ),
                ));
            }
        };
        let mut outcomes = Vec::with_capacity(messages.len());
        for message in messages {
            outcomes.push(self.handle_message(company, integration, message).await?);
        }
        Ok(outcomes)
    }

    /// Answers Meta's webhook subscription handshake for a messaging integration: the
    /// `challenge` to send back when `mode` is `subscribe` and `verify_token` is the
    /// integration's `verify_token` credential. Another mode is a `Validation` error on
    /// `"hub.mode"`; no credential or another token is [`FlameError::Unauthenticated`];
    /// another company's or an unknown integration is `NotFound`.
    pub async fn verify_subscription(
        &self,
        company: CompanyId,
        integration: IntegrationId,
        mode: &str,
        verify_token: &str,
        challenge: &str,
    ) -> Result<String> {
        let (found, _) = self.settings(company, integration).await?;
        let expected = self.secret(&found, verify::VERIFY_TOKEN).await?;
        verify::verify_subscription(expected.as_ref(), mode, verify_token, challenge)
    }

    /// Routes the messages of a verified WhatsApp webhook to the integrations that own their
    /// business numbers (`metadata.phone_number_id`, see
    /// [`MessagingSettings::phone_number_id`]), before anything is stored: the integration
    /// the request came in for when it owns the number, else another enabled WhatsApp
    /// integration of the same company that owns it and whose `app_secret` verifies the same
    /// request. A number no such integration owns refuses the whole body: a `Validation`
    /// error naming the JSON path of its `phone_number_id`.
    async fn route_whatsapp(
        &self,
        company: CompanyId,
        found: &flame_core::integration::Integration,
        request: &WebhookRequest,
        numbers: Vec<whatsapp::NumberMessages>,
    ) -> Result<Vec<(IntegrationId, InboundMessage)>> {
        let owns = |integration: &flame_core::integration::Integration, number: &str| {
            integration.settings_as::<MessagingSettings>().is_ok_and(|s| s.owns_number(number))
        };
        let mut others: Option<Vec<flame_core::integration::Integration>> = None;
        let mut routed = Vec::new();
        for group in numbers {
            let owner = if owns(found, &group.phone_number_id) {
                found.id
            } else {
                if others.is_none() {
                    let sql = format!(
                        "{} WHERE company_id = $1 AND kind = $2 AND id <> $3 ORDER BY id",
                        integration::COLUMNS
                    );
                    let rows = self
                        .flame
                        .pool()
                        .exec()
                        .fetch_all(
                            sql,
                            args![
                                company.as_uuid(),
                                flame_core::integration::IntegrationKind::Messaging.as_str(),
                                found.id.as_uuid()
                            ],
                        )
                        .await?;
                    let list: Result<Vec<_>> =
                        rows.iter().map(integration::integration_from_row).collect();
                    others = Some(list?);
                }
                let mut owner = None;
                for other in others.iter().flatten() {
                    if !other.enabled || !owns(other, &group.phone_number_id) {
                        continue;
                    }
                    let secret = self.secret(other, verify::APP_SECRET).await?;
                    if verify::verify_meta(secret.as_ref(), request).is_ok() {
                        owner = Some(other.id);
                        break;
                    }
                }
                owner.ok_or_else(|| {
                    FlameError::validation(
                        group.field.clone(),
                        "is not the business number of this integration (its phone_number_id \
                         setting) nor of another WhatsApp integration verifying this request",
                    )
                })?
            };
            routed.extend(group.messages.into_iter().map(|m| (owner, m)));
        }
        Ok(routed)
    }

    /// The credential `field` of the integration, `None` when it holds none.
    async fn secret(
        &self,
        found: &flame_core::integration::Integration,
        field: &str,
    ) -> Result<Option<SecretString>> {
        if !found.credential_fields.iter().any(|f| f == field) {
            return Ok(None);
        }
        let mut exec = self.flame.pool().exec();
        integration::open_credential(&self.flame, &mut exec, found.company_id, found.id, field)
            .await
            .map(Some)
    }

    async fn settings(
        &self,
        company: CompanyId,
        integration: IntegrationId,
    ) -> Result<(flame_core::integration::Integration, MessagingSettings)> {
        let found = integration::find(&mut self.flame.pool().exec(), company, integration).await?;
        let settings = found.settings_as::<MessagingSettings>().cloned()?;
        Ok((found, settings))
    }

    /// Handles one message already parsed (for platforms whose webhooks the host parses, or
    /// for tests), in one transaction:
    ///
    /// 1. a message seen before (same integration and external id) changes nothing;
    /// 2. the sender is found by their channel identity, then by normalized phone;
    /// 3. unknown senders become contacts when `auto_create_contact` is on;
    /// 4. with `auto_create_deal`, a contact without an open deal gets one, in the default
    ///    pipeline's first open stage, with the default source and assignee;
    /// 5. the message is recorded as an incoming-message activity, and events are written.
    ///
    /// Defaults that were deleted since the integration was saved are a `Validation` error
    /// naming the setting; a disabled integration is a `Conflict`; plan limits apply.
    pub async fn handle_message(
        &self,
        company: CompanyId,
        integration: IntegrationId,
        message: InboundMessage,
    ) -> Result<InboundOutcome> {
        let message = message.validated()?;
        let now = clock::now();
        let mut tx = self.flame.pool().begin().await?;
        let (found, settings) = integration::usable::<MessagingSettings>(
            &mut tx,
            company,
            integration,
            Some(message.platform),
        )
        .await?;
        let settings = &settings;
        crate::billing::ensure_company_writable(&mut tx, company, now).await?;
        // One message at a time per company, as leads are ingested (PostgreSQL; SQLite's
        // write lock already does it): messages of one new sender racing each other find the
        // contact and the deal the first one created instead of creating their own.
        usage::read(&mut tx, company, true).await?;
        let c = company.as_uuid();
        let seen = tx
            .fetch_optional(
                "SELECT contact_id, deal_id, activity_id FROM inbound_messages
                 WHERE company_id = $1 AND integration_id = $2 AND external_id = $3",
                args![c, integration.as_uuid(), message.external_message_id.clone()],
            )
            .await?;
        if let Some(row) = seen {
            return Ok(InboundOutcome {
                external_message_id: message.external_message_id,
                duplicate: true,
                contact_id: row.opt_id("contact_id")?,
                created_contact: false,
                deal_id: row.opt_id("deal_id")?,
                created_deal: false,
                activity_id: row.opt_id("activity_id")?,
            });
        }
        integration::check_defaults(&mut tx, company, &found.settings).await?;

        let mut events = Vec::new();
        let (contact_id, created_contact) =
            match self.find_contact(&mut tx, company, &message).await? {
                Some(id) => (Some(id), false),
                None if settings.auto_create_contact => {
                    let contact = message.contact(company, settings, now)?;
                    usage::reserve(&mut tx, company, Limit::Contacts, 1).await?;
                    contact::insert(&mut tx, &contact, &[]).await?;
                    events.push(EventPayload::ContactCreated { contact_id: contact.id });
                    (Some(contact.id), true)
                }
                None => (None, false),
            };
        let unrecorded_phone = match contact_id {
            Some(id) if !created_contact => {
                self.attach_phone(&mut tx, company, id, &message, now, &mut events).await?
            }
            _ => None,
        };
        let mut outcome = InboundOutcome {
            external_message_id: message.external_message_id.clone(),
            duplicate: false,
            contact_id,
            created_contact,
            deal_id: None,
            created_deal: false,
            activity_id: None,
        };
        if let Some(contact_id) = contact_id {
            tx.execute(
                "INSERT INTO channel_identities (company_id, platform, external_id, contact_id,
                                                 integration_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                args![
                    c,
                    message.platform.as_str(),
                    message.sender_id.clone(),
                    contact_id.as_uuid(),
                    integration.as_uuid(),
                    now
                ],
            )
            .await?;
            let open = self.open_deal_of(&mut tx, company, contact_id).await?;
            let deal_id = match open {
                Some(id) => Some(id),
                None if settings.auto_create_deal => {
                    let stages =
                        pipeline::stages_in(&mut tx, company, settings.deal_pipeline()?).await?;
                    let (deal, event) =
                        message.deal(company, settings, &stages, contact_id, now)?;
                    usage::reserve(&mut tx, company, Limit::Deals, 1).await?;
                    deal::insert(&mut tx, &deal, serde_json::json!({})).await?;
                    events.push(event);
                    outcome.created_deal = true;
                    Some(deal.id)
                }
                None => None,
            };
            outcome.deal_id = deal_id;
            let activity = message.activity_record_noting(
                company,
                settings,
                contact_id,
                deal_id,
                unrecorded_phone.as_ref(),
                now,
            )?;
            activity::insert(&mut tx, &activity).await?;
            events.push(EventPayload::ActivityCreated {
                activity_id: activity.id,
                kind: activity.kind,
                contact_id: activity.contact_id,
                deal_id: activity.deal_id,
            });
            outcome.activity_id = Some(activity.id);
        }
        tx.execute(
            "INSERT INTO inbound_messages (company_id, integration_id, external_id, contact_id,
                                           deal_id, activity_id, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                c,
                integration.as_uuid(),
                message.external_message_id.clone(),
                outcome.contact_id.map(|i| i.as_uuid()),
                outcome.deal_id.map(|i| i.as_uuid()),
                outcome.activity_id.map(|i| i.as_uuid()),
                now
            ],
        )
        .await?;
        outbox::record(&mut tx, company, None, now, events).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Gives the existing contact `contact` the phone number its sender shared in `message`
    /// ([`InboundMessage::phone_update`]): attached when the contact has none (a
    /// `contact.updated` event), else returned as a [`PhoneUpdate::Record`] for the
    /// message's activity — a different number already there is never overwritten.
    async fn attach_phone(
        &self,
        tx: &mut Tx,
        company: CompanyId,
        contact: ContactId,
        message: &InboundMessage,
        now: time::OffsetDateTime,
        events: &mut Vec<EventPayload>,
    ) -> Result<Option<PhoneUpdate>> {
        if message.phone.is_none() && message.phone_raw.is_none() {
            return Ok(None);
        }
        let (c, id) = (company.as_uuid(), contact.as_uuid());
        let row = tx
            .fetch_optional(
                "SELECT phone FROM contacts WHERE company_id = $1 AND id = $2",
                args![c, id],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let current = row
            .get::<Option<String>>("phone")?
            .map(|p| flame_core::Phone::from_stored(&p))
            .transpose()
            .map_err(|_| crate::sql::corrupt("phone"))?;
        match message.phone_update(current.as_ref()) {
            Some(PhoneUpdate::Attach(phone)) => {
                let changed = tx
                    .execute(
                        "UPDATE contacts SET phone = $1, updated_at = $2, version = version + 1
                         WHERE company_id = $3 AND id = $4 AND phone IS NULL",
                        args![phone.as_str(), now, c, id],
                    )
                    .await?;
                if changed == 0 {
                    return Ok(Some(PhoneUpdate::Record(phone.as_str().to_owned())));
                }
                events.push(EventPayload::ContactUpdated { contact_id: contact });
                Ok(None)
            }
            other => Ok(other),
        }
    }

    async fn find_contact(
        &self,
        tx: &mut Tx,
        company: CompanyId,
        message: &InboundMessage,
    ) -> Result<Option<ContactId>> {
        let c = company.as_uuid();
        let by_identity = tx
            .fetch_optional(
                "SELECT contact_id FROM channel_identities
                 WHERE company_id = $1 AND platform = $2 AND external_id = $3",
                args![c, message.platform.as_str(), message.sender_id.clone()],
            )
            .await?;
        if let Some(row) = by_identity {
            return Ok(Some(row.id("contact_id")?));
        }
        let Some(phone) = &message.phone else { return Ok(None) };
        let by_phone = tx
            .fetch_optional(
                "SELECT id FROM contacts WHERE company_id = $1 AND phone = $2 ORDER BY id LIMIT 1",
                args![c, phone.as_str()],
            )
            .await?;
        by_phone.map(|row| row.id("id")).transpose()
    }

    async fn open_deal_of(
        &self,
        tx: &mut Tx,
        company: CompanyId,
        contact: ContactId,
    ) -> Result<Option<DealId>> {
        let row = tx
            .fetch_optional(
                "SELECT id FROM deals WHERE company_id = $1 AND contact_id = $2 AND status = $3
                 ORDER BY id DESC LIMIT 1",
                args![company.as_uuid(), contact.as_uuid(), DealStatus::Open.as_str()],
            )
            .await?;
        row.map(|r| r.id("id")).transpose()
    }
}
