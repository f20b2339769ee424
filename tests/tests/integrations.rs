//! Integrations: credentials sealed with AES-256-GCM and bound to their row, key rotation,
//! the defaults checked when saved and when used, and inbound messages that create the
//! contact, the deal and the activity by themselves — exactly once.

use secrecy::{ExposeSecret, SecretString};

use flame_core::crypto::EncryptionKey;
use flame_core::integration::messaging::{MessagingPlatform, MessagingSettings};
use flame_core::integration::record::{WEBHOOK_SIGNING_SECRET, WebhookSettings};
use flame_core::integration::verify::{self, WebhookRequest};
use flame_core::integration::{
    Credentials, IntegrationKind, IntegrationPatch, IntegrationSettings, NewIntegration,
};
use flame_core::page::PageRequest;
use flame_core::{FlameError, PipelineId, Role, UserId};
use flame_db::{Flame, OpenOptions};
use flame_tests::{
    TestDb, assert_conflict, assert_forbidden, assert_invalid, assert_not_found, company,
    count_rows, exec_raw, snapshot,
};

const TELEGRAM_TEXT: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/telegram_text_message.json");
const TELEGRAM_CONTACT: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/telegram_contact_message.json");
const TELEGRAM_EDITED: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/telegram_edited_message.json");
const TELEGRAM_MALFORMED: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/telegram_malformed_date.json");
const WHATSAPP_TWO: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/whatsapp_two_senders.json");

fn key(id: &str, byte: u8) -> EncryptionKey {
    EncryptionKey::from_bytes(id, &[byte; 32]).expect("key")
}

/// A second handle on the same database with `keys` (primary first) and loopback webhooks.
async fn with_keys(db: &TestDb, keys: &[EncryptionKey]) -> Flame {
    let options = OpenOptions {
        encryption_key: keys.first().cloned(),
        previous_keys: keys.iter().skip(1).cloned().collect(),
        webhook_allow_loopback: true,
        ..OpenOptions::default()
    };
    Flame::open(&db.url, options).await.expect("open with keys")
}

fn bot(name: &str, settings: MessagingSettings, token: Option<&str>) -> NewIntegration {
    let credentials = match token {
        Some(t) => Credentials::new().with("token", t),
        None => Credentials::new(),
    };
    NewIntegration {
        name: name.into(),
        settings: IntegrationSettings::Messaging(settings),
        credentials,
    }
}

/// The secret token of the test bots' webhooks.
const TELEGRAM_SECRET: &str = "tg-webhook-secret";
/// The app secret of the test WhatsApp numbers.
const META_APP_SECRET: &str = "meta-app-secret";

/// A Telegram webhook request carrying the bot's secret token.
fn tg(body: &[u8]) -> WebhookRequest {
    WebhookRequest::new(vec![], body).with_header(verify::TELEGRAM_SECRET_HEADER, TELEGRAM_SECRET)
}

/// A WhatsApp webhook request signed with the app secret, as Meta signs it.
fn wa(body: &[u8]) -> WebhookRequest {
    let signature = verify::meta_signature(&SecretString::from(META_APP_SECRET), body);
    WebhookRequest::new(vec![], body).with_header(verify::META_SIGNATURE_HEADER, signature)
}

/// The business number (`metadata.phone_number_id`) of the WhatsApp fixtures.
const WHATSAPP_NUMBER: &str = "106540352242922";

/// WhatsApp settings that create contacts, for the business number `number`.
fn whatsapp_number(number: &str) -> MessagingSettings {
    let mut settings = MessagingSettings::new(MessagingPlatform::WhatsApp);
    settings.phone_number_id = Some(number.into());
    settings
}

fn telegram() -> MessagingSettings {
    MessagingSettings::new(MessagingPlatform::Telegram)
}

#[tokio::test]
async fn credentials_are_sealed_bound_to_their_row_and_need_the_right_key() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        // Without a key: integrations without secrets work; with secrets, a clear Crypto error.
        let plain = acme.session.integrations().create(bot("No secret", telegram(), None)).await;
        plain.expect("no credentials, no key needed");
        let before = snapshot(&db.url).await;
        match acme.session.integrations().create(bot("Bot", telegram(), Some("123:SECRET-A"))).await
        {
            Err(FlameError::Crypto { reason }) => {
                assert!(reason.contains("encryption key"), "{reason}")
            }
            other => panic!("expected Crypto, got {other:?}"),
        }
        assert_eq!(snapshot(&db.url).await, before);

        let keyed = with_keys(&db, &[key("k1", 1)]).await;
        let s = keyed.session(acme.owner.id, acme.company.id).await.expect("session");
        let a = s
            .integrations()
            .create(bot("Bot A", telegram(), Some("123:SECRET-A")))
            .await
            .expect("a");
        let b = s
            .integrations()
            .create(bot("Bot B", telegram(), Some("456:SECRET-B")))
            .await
            .expect("b");
        assert_eq!(a.credential_fields, vec!["token"]);
        assert_eq!(
            s.integrations().credential(a.id, "token").await.expect("open").expose_secret(),
            "123:SECRET-A"
        );

        // The stored form is ciphertext with the key id, never the secret.
        let stored = flame_tests::count_rows(&db.url, "integration_secrets").await;
        assert_eq!(stored, 2);
        let dump = format!("{:?} {:?}", a, s.integrations().list(None).await.expect("list"));
        assert!(!dump.contains("SECRET"), "{dump}");

        // A ciphertext copied onto another row does not decrypt.
        exec_raw(
            &db.url,
            &format!(
                "UPDATE integration_secrets SET sealed = (SELECT sealed FROM integration_secrets WHERE integration_id = {}) WHERE integration_id = {}",
                uuid_literal(&db, a.id.as_uuid()),
                uuid_literal(&db, b.id.as_uuid())
            ),
        )
        .await;
        match s.integrations().credential(b.id, "token").await {
            Err(FlameError::Crypto { reason }) => {
                assert!(reason.contains(&b.id.to_string()), "names the integration: {reason}");
                assert!(!reason.contains("SECRET"));
            }
            other => panic!("expected Crypto, got {other:?}"),
        }

        // The wrong key: a Crypto error naming the integration, never garbage.
        let wrong = with_keys(&db, &[key("k1", 9)]).await;
        let ws = wrong.session(acme.owner.id, acme.company.id).await.expect("session");
        assert!(matches!(
            ws.integrations().credential(a.id, "token").await,
            Err(FlameError::Crypto { .. })
        ));
        // And with no key at all.
        assert!(matches!(
            acme.session.integrations().credential(a.id, "token").await,
            Err(FlameError::Crypto { .. })
        ));
    }
}

fn uuid_literal(db: &TestDb, id: uuid::Uuid) -> String {
    if db.name == "sqlite" { format!("x'{}'", id.simple()) } else { format!("'{id}'") }
}

#[tokio::test]
async fn keys_rotate_in_restartable_batches() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let old = with_keys(&db, &[key("2025", 1)]).await;
        let s = old.session(acme.owner.id, acme.company.id).await.expect("session");
        let mut ids = Vec::new();
        for (i, name) in ["A", "B"].iter().enumerate() {
            let created = s
                .integrations()
                .create(bot(name, telegram(), Some(&format!("token-{i}"))))
                .await
                .expect("create");
            ids.push(created.id);
        }
        let rotated = with_keys(&db, &[key("2026", 2), key("2025", 1)]).await;
        let health = rotated.health().await;
        assert_eq!(health.configured_keys, vec!["2026", "2025"]);
        assert_eq!(health.keys_in_use.expect("keys")[0].key_id, "2025");
        // Old secrets still open before the rotation runs.
        let rs = rotated.session(acme.owner.id, acme.company.id).await.expect("session");
        assert_eq!(
            rs.integrations().credential(ids[0], "token").await.expect("old key").expose_secret(),
            "token-0"
        );
        let done = rotated.rotate_keys(1).await.expect("rotate");
        assert_eq!(done.resealed, 2);
        assert_eq!(
            rotated.rotate_keys(1).await.expect("again").resealed,
            0,
            "restartable: nothing left"
        );
        let keys = rotated.health().await.keys_in_use.expect("keys");
        assert_eq!((keys.len(), keys[0].key_id.as_str(), keys[0].secrets), (1, "2026", 2));
        // The new key alone now opens everything; the old key alone no longer does.
        let new_only = with_keys(&db, &[key("2026", 2)]).await;
        let ns = new_only.session(acme.owner.id, acme.company.id).await.expect("session");
        assert_eq!(
            ns.integrations().credential(ids[1], "token").await.expect("new").expose_secret(),
            "token-1"
        );
        let old_only = with_keys(&db, &[key("2025", 1)]).await;
        let os = old_only.session(acme.owner.id, acme.company.id).await.expect("session");
        assert!(matches!(
            os.integrations().credential(ids[1], "token").await,
            Err(FlameError::Crypto { .. })
        ));
    }
}

#[tokio::test]
async fn integrations_are_validated_when_saved() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        let keyed = with_keys(&db, &[key("k1", 1)]).await;
        let s = keyed.session(acme.owner.id, acme.company.id).await.expect("session");
        let theirs = globex.session.pipelines().default_pipeline().await.expect("pipeline");
        let keyed_strict = Flame::open(
            &db.url,
            OpenOptions { encryption_key: Some(key("k1", 1)), ..OpenOptions::default() },
        )
        .await
        .expect("open");
        let strict = keyed_strict.session(acme.owner.id, acme.company.id).await.expect("session");
        let before = snapshot(&db.url).await;
        let mut foreign = telegram();
        foreign.auto_create_deal = true;
        foreign.default_pipeline_id = Some(theirs.id);
        assert_invalid(
            s.integrations().create(bot("Bot", foreign, None)).await,
            "default_pipeline_id",
        );
        let mut no_pipeline = telegram();
        no_pipeline.auto_create_deal = true;
        assert_invalid(
            s.integrations().create(bot("Bot", no_pipeline, None)).await,
            "default_pipeline_id",
        );
        let mut stranger = telegram();
        stranger.default_assignee_id = Some(globex.owner.id);
        assert_invalid(
            s.integrations().create(bot("Bot", stranger, None)).await,
            "default_assignee_id",
        );
        let mut currency = telegram();
        currency.deal_currency = Some("XYZ".into());
        assert_invalid(s.integrations().create(bot("Bot", currency, None)).await, "deal_currency");
        assert_invalid(s.integrations().create(bot(" ", telegram(), None)).await, "name");
        assert_invalid(
            s.integrations().create(bot("Bot", telegram(), Some(" "))).await,
            "credentials.token",
        );
        let hook = |url: &str| NewIntegration {
            name: "Hook".into(),
            settings: IntegrationSettings::Webhook(WebhookSettings {
                url: url.into(),
                events: vec!["deal.*".into()],
            }),
            credentials: Credentials::new().with(WEBHOOK_SIGNING_SECRET, "whsec_1"),
        };
        for bad in [
            "http://10.0.0.1/hook",
            "http://169.254.169.254/latest",
            "ftp://example.com/x",
            "not a url",
        ] {
            assert_invalid(s.integrations().create(hook(bad)).await, "url");
        }
        // Loopback only when the host allows it (`s`'s handle does; `strict`'s does not).
        assert_invalid(strict.integrations().create(hook("http://127.0.0.1:9/hook")).await, "url");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        s.integrations()
            .create(hook("http://127.0.0.1:9/hook"))
            .await
            .expect("loopback allowed here");

        // Names are unique; the plan limits integrations (the starter plan allows 2).
        s.integrations().create(bot("Bot", telegram(), None)).await.expect("bot");
        assert_conflict(s.integrations().create(bot("BOT", telegram(), None)).await);
        flame_tests::assert_limit(
            s.integrations().create(bot("Third", telegram(), None)).await,
            "integrations",
        );

        // Only admins and owners manage integrations; other companies see nothing.
        let viewer = acme
            .session
            .members()
            .add(flame_core::company::NewMember {
                email: "v@acme.test".into(),
                name: "V".into(),
                role: Role::Manager,
            })
            .await
            .expect("member");
        let manager = db.flame.session(viewer.user.id, acme.company.id).await.expect("session");
        assert_forbidden(manager.integrations().list(None).await);
        let listed = s.integrations().list(Some(IntegrationKind::Messaging)).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_not_found(globex.session.integrations().get(listed[0].id).await);

        // Updates: rename, disable, a stale version, a kind change refused.
        let bot = &listed[0];
        let patch = IntegrationPatch {
            name: Some("Support bot".into()),
            enabled: Some(false),
            ..Default::default()
        };
        let updated =
            s.integrations().update(bot.id, bot.version, patch.clone()).await.expect("update");
        assert_eq!((updated.name.as_str(), updated.enabled), ("Support bot", false));
        assert_conflict(s.integrations().update(bot.id, bot.version, patch).await);
        s.integrations().delete(updated.id, updated.version).await.expect("delete");
        assert_eq!(s.billing().usage().await.expect("usage").integrations, 1);
    }
}

/// A Telegram integration that creates contacts and deals, with every default set.
async fn sales_bot(
    db: &TestDb,
    acme: &flame_db::SignedUp,
) -> (Flame, flame_core::IntegrationId, PipelineId, UserId) {
    let keyed = with_keys(db, &[key("k1", 1)]).await;
    let s = keyed.session(acme.owner.id, acme.company.id).await.expect("session");
    let pipeline = s.pipelines().default_pipeline().await.expect("pipeline");
    let source = s.sources().create("Telegram bot").await.expect("source");
    let manager = s
        .members()
        .add(flame_core::company::NewMember {
            email: "max@acme.test".into(),
            name: "Max".into(),
            role: Role::Manager,
        })
        .await
        .expect("manager");
    let mut settings = telegram();
    settings.auto_create_deal = true;
    settings.default_pipeline_id = Some(pipeline.id);
    settings.default_source_id = Some(source.id);
    settings.default_assignee_id = Some(manager.user.id);
    settings.deal_currency = Some("RUB".into());
    let mut new = bot("Sales bot", settings, Some("1:TOKEN"));
    new.credentials = new.credentials.with(verify::SECRET_TOKEN, TELEGRAM_SECRET);
    let integration = s.integrations().create(new).await.expect("bot");
    (keyed, integration.id, pipeline.id, manager.user.id)
}

#[tokio::test]
async fn an_inbound_message_creates_the_contact_the_deal_and_the_activity_once() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let (flame, integration, pipeline, manager) = sales_bot(&db, &acme).await;
        let inbound = flame.inbound();
        let first = inbound
            .handle_webhook(acme.company.id, integration, &tg(TELEGRAM_TEXT))
            .await
            .expect("handled");
        assert_eq!(first.len(), 1);
        let outcome = &first[0];
        assert!(outcome.created_contact && outcome.created_deal && !outcome.duplicate);
        let s = &acme.session;
        let contact =
            s.contacts().get(outcome.contact_id.expect("contact")).await.expect("contact");
        assert_eq!(
            (contact.first_name.as_str(), contact.last_name.as_deref()),
            ("Test", Some("Lastname"))
        );
        assert_eq!(contact.owner_id, Some(manager));
        let deal = s.deals().get(outcome.deal_id.expect("deal")).await.expect("deal");
        assert_eq!(deal.pipeline_id, pipeline);
        assert_eq!(deal.assignee_id, Some(manager));
        assert_eq!(deal.value.currency().code(), "RUB");
        assert!(deal.title.contains("Telegram"), "{}", deal.title);
        let activities = s
            .activities()
            .list(
                flame_core::activity::ActivityFilter {
                    contact_id: Some(contact.id),
                    ..Default::default()
                },
                PageRequest::default(),
            )
            .await
            .expect("activities");
        assert_eq!(activities.items.len(), 1);
        assert_eq!(activities.items[0].body, "Hello! How much is the Pro plan?");
        assert_eq!(activities.items[0].deal_id, Some(deal.id));

        // A redelivered webhook changes nothing.
        let before = snapshot(&db.url).await;
        let again = inbound
            .handle_webhook(acme.company.id, integration, &tg(TELEGRAM_TEXT))
            .await
            .expect("again");
        assert!(again[0].duplicate);
        assert_eq!(again[0].deal_id, outcome.deal_id);
        assert_eq!(snapshot(&db.url).await, before);

        // The next message from the same sender joins the same contact and open deal.
        let next = inbound
            .handle_webhook(acme.company.id, integration, &tg(TELEGRAM_CONTACT))
            .await
            .expect("next");
        assert_eq!(next[0].contact_id, outcome.contact_id);
        assert_eq!(next[0].deal_id, outcome.deal_id);
        assert!(!next[0].created_contact && !next[0].created_deal);
        // Updates that carry no message do nothing.
        assert!(
            inbound
                .handle_webhook(acme.company.id, integration, &tg(TELEGRAM_EDITED))
                .await
                .expect("edit")
                .is_empty()
        );
        let events: Vec<String> = s
            .events()
            .list(PageRequest::first(100))
            .await
            .expect("events")
            .items
            .into_iter()
            .map(|e| e.payload.event_type().to_owned())
            .collect();
        for expected in ["contact.created", "deal.created", "activity.created"] {
            assert!(events.iter().any(|e| e == expected), "{expected} in {events:?}");
        }
    }
}

#[tokio::test]
async fn senders_are_matched_by_phone_and_bad_input_writes_nothing() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let (flame, integration, _, _) = sales_bot(&db, &acme).await;
        // A WhatsApp number already in the CRM is the same person.
        let keyed = flame.session(acme.owner.id, acme.company.id).await.expect("session");
        let wa_settings = whatsapp_number(WHATSAPP_NUMBER);
        let whatsapp = keyed
            .integrations()
            .create(NewIntegration {
                credentials: Credentials::new().with(verify::APP_SECRET, META_APP_SECRET),
                ..bot("WhatsApp", wa_settings, None)
            })
            .await;
        let whatsapp = match whatsapp {
            Ok(w) => w,
            Err(e) => panic!("{e:?}"),
        };
        let known = acme
            .session
            .contacts()
            .create(flame_core::contact::NewContact {
                first_name: "Sheena".into(),
                phone: Some("+1 650-555-1234".into()),
                ..Default::default()
            })
            .await
            .expect("contact");
        let outcomes = flame
            .inbound()
            .handle_webhook(acme.company.id, whatsapp.id, &wa(WHATSAPP_TWO))
            .await
            .expect("two");
        // The image in between is skipped; the two text messages are filed.
        assert_eq!(outcomes.len(), 2);
        assert_eq!(outcomes[0].contact_id, Some(known.id), "matched by normalized phone");
        assert!(!outcomes[0].created_contact);
        assert!(outcomes[1].created_contact);
        let ivan = acme
            .session
            .contacts()
            .get(outcomes[1].contact_id.expect("contact"))
            .await
            .expect("ivan");
        assert_eq!(
            (ivan.first_name.as_str(), ivan.phone.as_ref().map(|p| p.as_str())),
            ("Иван", Some("+79991234567"))
        );
        assert!(outcomes.iter().all(|o| o.deal_id.is_none()), "this integration opens no deals");

        // Malformed payloads, foreign or unknown integrations: typed errors, nothing written.
        let globex = company(&db.flame, "Globex").await;
        let before = snapshot(&db.url).await;
        assert_invalid(
            flame
                .inbound()
                .handle_webhook(acme.company.id, integration, &tg(TELEGRAM_MALFORMED))
                .await,
            "message.date",
        );
        assert!(matches!(
            flame.inbound().handle_webhook(acme.company.id, integration, &tg(b"{not json")).await,
            Err(FlameError::Validation { .. })
        ));
        assert_not_found(
            flame
                .inbound()
                .handle_webhook(globex.company.id, integration, &tg(TELEGRAM_TEXT))
                .await,
        );
        assert_not_found(
            flame
                .inbound()
                .handle_webhook(
                    acme.company.id,
                    flame_core::IntegrationId::new(),
                    &tg(TELEGRAM_TEXT),
                )
                .await,
        );
        // A Telegram body sent to the WhatsApp integration is not its format.
        assert!(
            flame
                .inbound()
                .handle_webhook(acme.company.id, whatsapp.id, &wa(TELEGRAM_TEXT))
                .await
                .is_err()
        );
        let mut after = snapshot(&db.url).await;
        after.retain(|(t, _)| {
            ![
                "companies",
                "users",
                "memberships",
                "subscriptions",
                "pipelines",
                "stages",
                "sources",
                "outbox",
            ]
            .contains(t)
        });
        let mut expected = before.clone();
        expected.retain(|(t, _)| {
            ![
                "companies",
                "users",
                "memberships",
                "subscriptions",
                "pipelines",
                "stages",
                "sources",
                "outbox",
            ]
            .contains(t)
        });
        assert_eq!(after, expected, "{}", db.name);
    }
}

#[tokio::test]
async fn defaults_deleted_after_saving_are_a_clear_error_at_use() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let (flame, integration, _, manager) = sales_bot(&db, &acme).await;
        acme.session.members().remove(manager).await.expect("remove the default assignee");
        let before = snapshot(&db.url).await;
        assert_invalid(
            flame.inbound().handle_webhook(acme.company.id, integration, &tg(TELEGRAM_TEXT)).await,
            "default_assignee_id",
        );
        assert_eq!(snapshot(&db.url).await, before);
        assert_eq!(count_rows(&db.url, "inbound_messages").await, 0);

        // A disabled integration takes nothing; a read-only company neither.
        let s = flame.session(acme.owner.id, acme.company.id).await.expect("session");
        let current = s.integrations().get(integration).await.expect("get");
        let patch = IntegrationPatch { enabled: Some(false), ..Default::default() };
        s.integrations().update(integration, current.version, patch).await.expect("disable");
        assert_conflict(
            flame.inbound().handle_webhook(acme.company.id, integration, &tg(TELEGRAM_TEXT)).await,
        );
    }
}

#[tokio::test]
async fn credentials_never_reach_logs_events_errors_or_debug_output() {
    let logs = flame_tests::LogCapture::start();
    let secret = "7777:TOP-SECRET-BOT-TOKEN";
    let mut shown = String::new();
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let (flame, integration, _, _) = sales_bot(&db, &acme).await;
        let s = flame.session(acme.owner.id, acme.company.id).await.expect("session");
        let current = s.integrations().get(integration).await.expect("get");
        let patch = IntegrationPatch {
            credentials: Credentials::new().with("token", secret),
            ..Default::default()
        };
        shown += &format!("{patch:?}");
        let updated =
            s.integrations().update(integration, current.version, patch).await.expect("update");
        shown += &format!("{updated:?} {flame:?}");
        flame
            .inbound()
            .handle_webhook(acme.company.id, integration, &tg(TELEGRAM_TEXT))
            .await
            .expect("inbound");
        let wrong = with_keys(&db, &[key("k1", 3)]).await;
        let ws = wrong.session(acme.owner.id, acme.company.id).await.expect("session");
        shown += &format!("{:?}", ws.integrations().credential(integration, "token").await);
        shown += &format!("{:?}", flame.rotate_keys(10).await);
        let events = s.events().list(PageRequest::first(200)).await.expect("events");
        shown += &serde_json::to_string(&events.items).expect("json");
        shown += &format!("{:?}", flame.health().await);
    }
    let logged = logs.text();
    assert!(!logged.is_empty());
    assert!(!shown.contains("TOP-SECRET"), "{shown}");
    assert!(!logged.contains("TOP-SECRET"), "a log line showed the credential");
}

#[tokio::test]
async fn a_message_the_host_parsed_is_handled_once_and_checked_against_its_integration() {
    use flame_core::integration::advertising::AdvertisingPlatform;
    use flame_core::integration::messaging::InboundMessage;
    use flame_core::integration::record::AdvertisingSettings;

    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        let (flame, telegram_bot, _, _) = sales_bot(&db, &acme).await;
        let s = flame.session(acme.owner.id, acme.company.id).await.expect("session");
        // VK messages are not parsed by Flame: the host hands them over parsed.
        let vk = s
            .integrations()
            .create(bot("VK community", MessagingSettings::new(MessagingPlatform::Vk), None))
            .await
            .expect("vk");
        let ads = s
            .integrations()
            .create(NewIntegration {
                name: "Ads".into(),
                settings: IntegrationSettings::Advertising(AdvertisingSettings {
                    platform: AdvertisingPlatform::VkAds,
                    auto_create_deal: false,
                    default_pipeline_id: None,
                    default_assignee_id: None,
                    deal_currency: None,
                }),
                credentials: Credentials::new(),
            })
            .await
            .expect("ads");
        let message = InboundMessage {
            platform: MessagingPlatform::Vk,
            external_message_id: "2000000001:17".into(),
            chat_id: "2000000001".into(),
            sender_id: "id777".into(),
            sender_name: Some("Pavel Durov".into()),
            sender_username: None,
            phone_raw: Some("+7 999 765-43-21".into()),
            phone: Some(flame_core::Phone::parse("+79997654321", None).expect("phone")),
            text: Some("Is the Pro plan in stock?".into()),
            sent_at: flame_core::clock::now(),
        };
        let inbound = flame.inbound();
        let c = acme.company.id;
        let first = inbound.handle_message(c, vk.id, message.clone()).await.expect("handled");
        assert!(first.created_contact && !first.duplicate && first.deal_id.is_none());
        assert_eq!(first.external_message_id, "2000000001:17");
        let contact = s.contacts().get(first.contact_id.expect("contact")).await.expect("get");
        assert_eq!(
            (contact.first_name.as_str(), contact.last_name.as_deref()),
            ("Pavel", Some("Durov"))
        );
        assert_eq!(contact.phone.as_ref().map(|p| p.as_str()), Some("+79997654321"));
        let activity =
            s.activities().get(first.activity_id.expect("activity")).await.expect("activity");
        assert_eq!(activity.body, "Is the Pro plan in stock?");

        let before = snapshot(&db.url).await;
        let again = inbound.handle_message(c, vk.id, message.clone()).await.expect("again");
        assert!(again.duplicate);
        assert_eq!((again.contact_id, again.activity_id), (first.contact_id, first.activity_id));
        // A message from another platform than the integration's, an integration of another
        // kind, another company's or an unknown one: typed errors, nothing written.
        let other = InboundMessage { external_message_id: "2".into(), ..message.clone() };
        assert_invalid(inbound.handle_message(c, telegram_bot, other.clone()).await, "platform");
        assert_not_found(inbound.handle_message(c, ads.id, other.clone()).await);
        assert_not_found(inbound.handle_message(globex.company.id, vk.id, other.clone()).await);
        assert_not_found(
            inbound.handle_message(c, flame_core::IntegrationId::new(), other.clone()).await,
        );
        // A message without an id, or with a sender name past its bound: a Validation error
        // naming the field, nothing written.
        let blank = InboundMessage { external_message_id: " \u{7} ".into(), ..other.clone() };
        assert_invalid(inbound.handle_message(c, vk.id, blank).await, "external_message_id");
        let long = InboundMessage { sender_name: Some("n".repeat(201)), ..other.clone() };
        assert_invalid(inbound.handle_message(c, vk.id, long).await, "sender_name");
        assert_eq!(snapshot(&db.url).await, before);
        // A disabled integration takes nothing.
        let patch = IntegrationPatch { enabled: Some(false), ..Default::default() };
        s.integrations().update(vk.id, vk.version, patch).await.expect("disable");
        let disabled = snapshot(&db.url).await;
        assert_conflict(inbound.handle_message(c, vk.id, other).await);
        assert_eq!(snapshot(&db.url).await, disabled);
    }
}

fn assert_unauthenticated<T: std::fmt::Debug>(result: flame_core::Result<T>, names: &str) {
    match result {
        Err(FlameError::Unauthenticated { reason }) => {
            assert!(reason.contains(names), "{reason} names {names}")
        }
        other => panic!("expected Unauthenticated naming {names}, got {other:?}"),
    }
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_webhooks_are_refused_and_write_nothing() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let (flame, bot_id, _, _) = sales_bot(&db, &acme).await;
        let keyed = flame.session(acme.owner.id, acme.company.id).await.expect("session");
        let wa_settings = whatsapp_number(WHATSAPP_NUMBER);
        let whatsapp = keyed
            .integrations()
            .create(NewIntegration {
                credentials: Credentials::new()
                    .with(verify::APP_SECRET, META_APP_SECRET)
                    .with(verify::VERIFY_TOKEN, "hub-verify"),
                ..bot("WhatsApp", wa_settings.clone(), None)
            })
            .await
            .expect("whatsapp");
        // Integrations without a secret refuse everything (fail closed).
        let globex = company(&db.flame, "Globex").await;
        let g = globex.company.id;
        let gs = flame.session(globex.owner.id, g).await.expect("session");
        let open_bot =
            gs.integrations().create(bot("Open bot", telegram(), None)).await.expect("bot");
        let open_wa =
            gs.integrations().create(bot("Open WA", wa_settings, None)).await.expect("wa");
        let inbound = flame.inbound();
        let c = acme.company.id;
        let before = snapshot(&db.url).await;

        let unsigned = WebhookRequest::new(vec![], TELEGRAM_TEXT);
        assert_unauthenticated(
            inbound.handle_webhook(c, bot_id, &unsigned).await,
            verify::TELEGRAM_SECRET_HEADER,
        );
        let wrong = unsigned.clone().with_header(verify::TELEGRAM_SECRET_HEADER, "guessed");
        assert_unauthenticated(
            inbound.handle_webhook(c, bot_id, &wrong).await,
            verify::TELEGRAM_SECRET_HEADER,
        );
        assert_unauthenticated(
            inbound.handle_webhook(g, open_bot.id, &tg(TELEGRAM_TEXT)).await,
            verify::SECRET_TOKEN,
        );

        assert_unauthenticated(
            inbound
                .handle_webhook(c, whatsapp.id, &WebhookRequest::new(vec![], WHATSAPP_TWO))
                .await,
            verify::META_SIGNATURE_HEADER,
        );
        let mut tampered = wa(WHATSAPP_TWO);
        tampered.body = TELEGRAM_TEXT.to_vec();
        assert_unauthenticated(
            inbound.handle_webhook(c, whatsapp.id, &tampered).await,
            verify::META_SIGNATURE_HEADER,
        );
        let other_secret = WebhookRequest::new(vec![], WHATSAPP_TWO).with_header(
            verify::META_SIGNATURE_HEADER,
            verify::meta_signature(&SecretString::from("not-the-app-secret"), WHATSAPP_TWO),
        );
        assert_unauthenticated(
            inbound.handle_webhook(c, whatsapp.id, &other_secret).await,
            verify::META_SIGNATURE_HEADER,
        );
        assert_unauthenticated(
            inbound.handle_webhook(g, open_wa.id, &wa(WHATSAPP_TWO)).await,
            verify::APP_SECRET,
        );
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert_eq!(count_rows(&db.url, "inbound_messages").await, 0);

        // The subscription handshake answers only the integration's verify token.
        assert_eq!(
            inbound
                .verify_subscription(c, whatsapp.id, "subscribe", "hub-verify", "1158201444")
                .await
                .expect("handshake"),
            "1158201444"
        );
        assert_unauthenticated(
            inbound.verify_subscription(c, whatsapp.id, "subscribe", "guess", "1").await,
            "hub.verify_token",
        );
        assert_unauthenticated(
            inbound.verify_subscription(g, open_wa.id, "subscribe", "hub-verify", "1").await,
            verify::VERIFY_TOKEN,
        );
        assert_invalid(
            inbound.verify_subscription(c, whatsapp.id, "unsubscribe", "hub-verify", "1").await,
            "hub.mode",
        );

        // Signed correctly, the same bodies go through.
        let ok = inbound.handle_webhook(c, whatsapp.id, &wa(WHATSAPP_TWO)).await.expect("signed");
        assert_eq!(ok.len(), 2);
        assert_eq!(
            inbound.handle_webhook(c, bot_id, &tg(TELEGRAM_TEXT)).await.expect("tg").len(),
            1
        );
    }
}

#[tokio::test]
async fn whatsapp_messages_go_to_the_integration_that_owns_their_number() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let flame = with_keys(&db, &[key("k1", 1)]).await;
        let s = flame.session(acme.owner.id, acme.company.id).await.expect("session");
        let number = |name: &str, settings: MessagingSettings, secret: &str| NewIntegration {
            credentials: Credentials::new().with(verify::APP_SECRET, secret),
            ..bot(name, settings, None)
        };
        // Two numbers of one Meta app (one app secret), a number of another app, and a
        // number that does not say which it is.
        let owner = s
            .integrations()
            .create(number("Sales", whatsapp_number(WHATSAPP_NUMBER), META_APP_SECRET))
            .await
            .expect("owner");
        let sibling = s
            .integrations()
            .create(number("Support", whatsapp_number("200"), META_APP_SECRET))
            .await
            .expect("sibling");
        let other_app = s
            .integrations()
            .create(number("Other app", whatsapp_number("400"), "another-app-secret"))
            .await
            .expect("other app");
        let unnumbered = s
            .integrations()
            .create(number(
                "Unnumbered",
                MessagingSettings::new(MessagingPlatform::WhatsApp),
                META_APP_SECRET,
            ))
            .await
            .expect("unnumbered");
        assert_invalid(
            s.integrations()
                .create(number("Bad number", whatsapp_number("+1 650"), META_APP_SECRET))
                .await,
            "phone_number_id",
        );
        let mut tg_number = telegram();
        tg_number.phone_number_id = Some("1".into());
        assert_invalid(
            s.integrations().create(bot("Bot", tg_number, None)).await,
            "phone_number_id",
        );
        let inbound = flame.inbound();
        let c = acme.company.id;
        let field = "entry[0].changes[0].value.metadata.phone_number_id";
        let for_number = |n: &str| {
            String::from_utf8(WHATSAPP_TWO.to_vec())
                .expect("utf-8")
                .replace(WHATSAPP_NUMBER, n)
                .into_bytes()
        };

        // Bodies for a number nobody here owns, for a number of another app's integration,
        // or sent to an integration without a number: refused, nothing written.
        let before = snapshot(&db.url).await;
        assert_invalid(inbound.handle_webhook(c, owner.id, &wa(&for_number("300"))).await, field);
        assert_invalid(inbound.handle_webhook(c, owner.id, &wa(&for_number("400"))).await, field);
        assert_invalid(
            inbound.handle_webhook(c, unnumbered.id, &wa(&for_number("300"))).await,
            field,
        );
        // One change for a known number and one for an unknown one: nothing of either.
        let mut mixed: serde_json::Value = serde_json::from_slice(WHATSAPP_TWO).expect("json");
        let mut second = mixed["entry"][0]["changes"][0].clone();
        second["value"]["metadata"]["phone_number_id"] = "300".into();
        for m in second["value"]["messages"].as_array_mut().expect("messages") {
            m["id"] = format!("{}-2", m["id"].as_str().expect("id")).into();
        }
        mixed["entry"][0]["changes"].as_array_mut().expect("changes").push(second);
        let mixed = serde_json::to_vec(&mixed).expect("json");
        assert_invalid(
            inbound.handle_webhook(c, owner.id, &wa(&mixed)).await,
            "entry[0].changes[1].value.metadata.phone_number_id",
        );
        // The other app's body does not pass as this app's.
        let other_signed = WebhookRequest::new(vec![], for_number("400")).with_header(
            verify::META_SIGNATURE_HEADER,
            verify::meta_signature(&SecretString::from("another-app-secret"), &for_number("400")),
        );
        assert_unauthenticated(
            inbound.handle_webhook(c, sibling.id, &other_signed).await,
            verify::META_SIGNATURE_HEADER,
        );
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert_eq!(count_rows(&db.url, "inbound_messages").await, 0);

        // Delivered to its sibling (same app), the body is filed under the number's owner: a
        // redelivery to the owner is a duplicate.
        let routed =
            inbound.handle_webhook(c, sibling.id, &wa(WHATSAPP_TWO)).await.expect("routed");
        assert_eq!(routed.len(), 2);
        assert!(routed.iter().all(|o| !o.duplicate));
        let again = inbound.handle_webhook(c, owner.id, &wa(WHATSAPP_TWO)).await.expect("again");
        assert!(again.iter().all(|o| o.duplicate), "{again:?}");
        // And its own number's messages stay with the sibling.
        let own = inbound.handle_webhook(c, sibling.id, &wa(&for_number("200"))).await;
        assert!(own.expect("own").iter().all(|o| !o.duplicate));
        let other = inbound.handle_webhook(c, other_app.id, &other_signed).await;
        assert_eq!(other.expect("other app").len(), 2);
    }
}

#[tokio::test]
async fn a_shared_telegram_contact_gives_its_number_to_the_sender_without_overwriting_one() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let (flame, integration, _, _) = sales_bot(&db, &acme).await;
        let inbound = flame.inbound();
        let c = acme.company.id;
        let s = &acme.session;
        let first = inbound.handle_webhook(c, integration, &tg(TELEGRAM_TEXT)).await.expect("text");
        let contact_id = first[0].contact_id.expect("contact");
        assert_eq!(s.contacts().get(contact_id).await.expect("get").phone, None);
        let contacts = count_rows(&db.url, "contacts").await;

        // The sender shares their own number: it joins their contact, normalized.
        let shared =
            inbound.handle_webhook(c, integration, &tg(TELEGRAM_CONTACT)).await.expect("shared");
        assert_eq!((shared[0].contact_id, shared[0].created_contact), (Some(contact_id), false));
        let contact = s.contacts().get(contact_id).await.expect("get");
        assert_eq!(contact.phone.as_ref().map(|p| p.as_str()), Some("+79991234567"));
        assert_eq!(count_rows(&db.url, "contacts").await, contacts, "no second contact");

        // A contact with another number keeps it; the shared one is on the activity.
        let patch = flame_core::contact::ContactPatch {
            phone: Some("+1 650 555 1234".into()),
            ..Default::default()
        };
        s.contacts().update(contact_id, contact.version, patch).await.expect("new number");
        let body = String::from_utf8(TELEGRAM_CONTACT.to_vec())
            .expect("utf-8")
            .replace("\"message_id\": 1366", "\"message_id\": 1367");
        let again = inbound
            .handle_webhook(c, integration, &tg(body.as_bytes()))
            .await
            .expect("shared again");
        assert_eq!(again[0].contact_id, Some(contact_id));
        let contact = s.contacts().get(contact_id).await.expect("get");
        assert_eq!(contact.phone.as_ref().map(|p| p.as_str()), Some("+16505551234"));
        let activity =
            s.activities().get(again[0].activity_id.expect("activity")).await.expect("activity");
        assert_eq!(activity.body, "Shared phone number: +79991234567");
        assert_eq!(count_rows(&db.url, "contacts").await, contacts, "no second contact");
    }
}
