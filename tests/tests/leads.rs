//! Advertising: leads from Meta Lead Ads and VK Ads lead forms become contacts and deals
//! filed under a lead source — exactly once per lead, deduplicated against the contacts the
//! company has — and ad spend imported per campaign and day gives the cost per lead and per
//! won deal of each source, per currency.

use secrecy::SecretString;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

use flame_core::contact::NewContact;
use flame_core::crypto::EncryptionKey;
use flame_core::deal::NewDeal;
use flame_core::integration::advertising::{
    AdSpend, AdvertisingPlatform, SourceCost, Utm, parse_meta_lead,
};
use flame_core::integration::messaging::{MessagingPlatform, MessagingSettings};
use flame_core::integration::record::AdvertisingSettings;
use flame_core::integration::verify::{self, WebhookRequest};
use flame_core::integration::{Credentials, IntegrationPatch, IntegrationSettings, NewIntegration};
use flame_core::page::PageRequest;
use flame_core::{FlameError, IntegrationId, Role, UserId};
use flame_db::{Flame, OpenOptions, SignedUp};
use flame_tests::{
    TestDb, assert_conflict, assert_invalid, assert_limit, assert_not_found, assert_read_only,
    assert_unauthenticated, company, count_rows, snapshot,
};

const META_LEAD: &[u8] = include_bytes!("../../flame-core/src/integration/fixtures/meta_lead.json");
const META_MINIMAL: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/meta_lead_minimal.json");
const META_BAD_FIELD_DATA: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/meta_lead_bad_field_data.json");
const META_BAD_TIME: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/meta_lead_bad_time.json");
const VK_LEAD: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/vk_lead_forms_new.json");
const VK_MISSING_ANSWERS: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/vk_lead_missing_answers.json");
const VK_CONFIRMATION: &[u8] =
    include_bytes!("../../flame-core/src/integration/fixtures/vk_confirmation.json");

/// When the VK lead arrives (VK sends no time of its own).
const VK_RECEIVED: OffsetDateTime = datetime!(2024-11-05 12:00 UTC);

/// Row counts of everything an ingestion or an import may write.
async fn everything(url: &str) -> Vec<(&'static str, i64)> {
    let mut out = snapshot(url).await;
    for table in ["leads", "ad_spend", "integrations"] {
        out.push((table, count_rows(url, table).await));
    }
    out
}

/// A manager of `acme`, who the leads are assigned to.
async fn manager(acme: &SignedUp) -> UserId {
    let member = acme
        .session
        .members()
        .add(flame_core::company::NewMember {
            email: "max@acme.test".into(),
            name: "Max".into(),
            role: Role::Manager,
        })
        .await
        .expect("manager");
    member.user.id
}

/// The app secret of the test Meta integrations.
const META_APP_SECRET: &str = "meta-app-secret";

/// A handle on the test database with an encryption key, to seal and open the integrations'
/// secrets.
async fn keyed(db: &TestDb) -> Flame {
    let options = OpenOptions {
        encryption_key: Some(EncryptionKey::from_bytes("k1", &[1; 32]).expect("key")),
        ..OpenOptions::default()
    };
    Flame::open(&db.url, options).await.expect("open with a key")
}

/// A Meta Lead Ads request of `body`, signed with the app secret as Meta signs it.
fn signed(body: &[u8]) -> WebhookRequest {
    let signature = verify::meta_signature(&SecretString::from(META_APP_SECRET), body);
    WebhookRequest::new(vec![], body).with_header(verify::META_SIGNATURE_HEADER, signature)
}

/// A VK callback request of `body` (VK proves it with the secret inside the body).
fn callback(body: &[u8]) -> WebhookRequest {
    WebhookRequest::new(vec![], body)
}

/// An advertising integration of `platform` that opens deals in the default pipeline,
/// assigned to `assignee`; a Meta one holds the app secret.
async fn ads(
    db: &TestDb,
    acme: &SignedUp,
    name: &str,
    platform: AdvertisingPlatform,
    assignee: Option<UserId>,
) -> IntegrationId {
    let flame = keyed(db).await;
    let s = &flame.session(acme.owner.id, acme.company.id).await.expect("session");
    let pipeline = s.pipelines().default_pipeline().await.expect("pipeline");
    let settings = AdvertisingSettings {
        platform,
        auto_create_deal: true,
        default_pipeline_id: Some(pipeline.id),
        default_assignee_id: assignee,
        deal_currency: None,
    };
    s.integrations()
        .create(NewIntegration {
            name: name.into(),
            settings: IntegrationSettings::Advertising(settings),
            credentials: match platform {
                AdvertisingPlatform::Meta => {
                    Credentials::new().with(verify::APP_SECRET, META_APP_SECRET)
                }
                _ => Credentials::new(),
            },
        })
        .await
        .expect("advertising integration")
        .id
}

fn spend(campaign: &str, day: Date, amount_minor: i64, currency: &str) -> AdSpend {
    AdSpend {
        campaign: campaign.into(),
        day,
        amount_minor,
        currency: currency.into(),
        source: None,
    }
}

#[tokio::test]
async fn a_meta_lead_creates_its_contact_deal_and_source_exactly_once() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let max = manager(&acme).await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, Some(max)).await;
        let s = &acme.session;

        let outcome = keyed(&db)
            .await
            .advertising()
            .ingest_meta_lead(acme.company.id, meta, &signed(META_LEAD))
            .await
            .expect("ingested");
        assert!(outcome.created_contact && !outcome.duplicate, "{}", db.name);

        let contact = s.contacts().get(outcome.contact_id).await.expect("contact");
        assert_eq!(
            (contact.first_name.as_str(), contact.last_name.as_deref()),
            ("Joe", Some("Example"))
        );
        assert_eq!(contact.email.as_ref().map(|e| e.as_str()), Some("joe@example.com"));
        assert_eq!(contact.phone.as_ref().map(|p| p.as_str()), Some("+14155552671"));
        assert_eq!(contact.owner_id, Some(max));

        let source = s.sources().get(outcome.source_id).await.expect("source");
        assert_eq!(source.name, "Meta");
        let deal = s.deals().get(outcome.deal_id.expect("a deal")).await.expect("deal");
        let pipeline = s.pipelines().default_pipeline().await.expect("pipeline");
        let stages = s.pipelines().stages(pipeline.id).await.expect("stages");
        assert_eq!(deal.title, "Meta: Joe Example");
        assert_eq!(
            (deal.contact_id, deal.source_id, deal.assignee_id),
            (Some(contact.id), Some(source.id), Some(max))
        );
        assert_eq!((deal.pipeline_id, deal.stage_id), (pipeline.id, stages[0].id));
        assert_eq!(deal.value.amount_minor(), 0);

        // The campaign stays with the deal, as its lead.
        let lead = s.leads().of_deal(deal.id).await.expect("read").expect("the deal's lead");
        assert_eq!(lead.id, outcome.lead_id);
        assert_eq!(lead.external_id, "1234567890123456");
        assert_eq!(lead.campaign.as_deref(), Some("Spring sale"));
        assert_eq!((lead.contact_id, lead.source_id), (Some(contact.id), Some(source.id)));
        assert_eq!(lead.received_at, datetime!(2015-02-28 08:49:14 UTC));
        assert!(lead.utm.is_empty());
        assert_eq!(s.leads().list(PageRequest::default()).await.expect("list").items, [lead]);

        // Events, with no member as their actor.
        let events = s.events().list(PageRequest::first(500)).await.expect("events").items;
        let from_lead: Vec<_> = events.iter().filter(|e| e.actor_id.is_none()).collect();
        let types: Vec<_> = from_lead.iter().map(|e| e.payload.event_type()).collect();
        assert!(
            types.ends_with(&["contact.created", "source.created", "deal.created"]),
            "{types:?}"
        );

        // A redelivery changes nothing and answers with the first delivery's ids.
        let before = everything(&db.url).await;
        let again = keyed(&db)
            .await
            .advertising()
            .ingest_meta_lead(acme.company.id, meta, &signed(META_LEAD))
            .await
            .expect("redelivered");
        assert!(again.duplicate && !again.created_contact);
        assert_eq!(
            (again.lead_id, again.contact_id, again.deal_id, again.source_id),
            (outcome.lead_id, outcome.contact_id, outcome.deal_id, outcome.source_id)
        );
        assert_eq!(everything(&db.url).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn leads_find_their_contact_by_email_then_phone() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let vk = ads(&db, &acme, "VK ads", AdvertisingPlatform::VkAds, None).await;
        let s = &acme.session;
        let joe = s
            .contacts()
            .create(NewContact {
                first_name: "Joseph".into(),
                email: Some("JOE@example.com".into()),
                ..NewContact::default()
            })
            .await
            .expect("joe");
        let ivan = s
            .contacts()
            .create(NewContact {
                first_name: "Ваня".into(),
                phone: Some("+7 999 123-45-67".into()),
                ..NewContact::default()
            })
            .await
            .expect("ivan");
        let ads = keyed(&db).await.advertising();

        let by_email = ads
            .ingest_meta_lead(acme.company.id, meta, &signed(META_LEAD))
            .await
            .expect("by email");
        assert_eq!((by_email.contact_id, by_email.created_contact), (joe.id, false));
        let by_phone = ads
            .ingest_vk_lead(acme.company.id, vk, &callback(VK_LEAD), VK_RECEIVED)
            .await
            .expect("by phone")
            .expect("a lead");
        assert_eq!((by_phone.contact_id, by_phone.created_contact), (ivan.id, false));
        assert_eq!(s.sources().get(by_phone.source_id).await.expect("source").name, "VK Ads");
        // The contacts found are left as they were.
        assert_eq!(s.contacts().get(joe.id).await.expect("joe"), joe);

        // A lead with neither a usable email nor phone is a new person.
        let anna =
            ads.ingest_meta_lead(acme.company.id, meta, &signed(META_MINIMAL)).await.expect("anna");
        assert!(anna.created_contact);
        let contact = s.contacts().get(anna.contact_id).await.expect("contact");
        assert_eq!(
            (contact.first_name.as_str(), contact.last_name.as_deref()),
            ("Анна", Some("Смирнова"))
        );
        assert_eq!((contact.email, contact.phone, contact.owner_id), (None, None, None));
        // Each lead opens its own deal, unassigned when the integration names no assignee.
        let deal = s.deals().get(anna.deal_id.expect("deal")).await.expect("deal");
        assert_eq!(deal.assignee_id, None);
        assert_ne!(anna.deal_id, by_email.deal_id);
        assert_eq!(count_rows(&db.url, "contacts").await, 3, "{}", db.name);
        assert_eq!(count_rows(&db.url, "deals").await, 3);
    }
}

#[tokio::test]
async fn utm_tags_name_the_source_and_stay_with_the_lead() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let s = &acme.session;
        let existing = s.sources().create("instagram").await.expect("source");
        let mut lead = parse_meta_lead(META_LEAD).expect("lead");
        lead.utm = Utm::from_url(
            "https://shop.example/?utm_source=Instagram&utm_medium=cpc&utm_campaign=spring&utm_term=shoes",
        )
        .expect("utm");
        let outcome =
            db.flame.advertising().ingest_lead(acme.company.id, meta, lead).await.expect("lead");
        assert_eq!(outcome.source_id, existing.id, "the source is matched ignoring case");
        assert_eq!(s.sources().list().await.expect("sources").len(), 7, "no new source");
        let record = s.leads().of_deal(outcome.deal_id.expect("deal")).await.expect("read");
        let utm = record.expect("lead").utm;
        assert_eq!(
            (utm.source.as_deref(), utm.medium.as_deref(), utm.campaign.as_deref()),
            (Some("Instagram"), Some("cpc"), Some("spring"))
        );
        assert_eq!((utm.content, utm.term.as_deref()), (None, Some("shoes")));

        // A lead the host built is checked like a parsed one, and writes nothing when bad.
        let before = everything(&db.url).await;
        let mut bad = parse_meta_lead(META_MINIMAL).expect("lead");
        bad.utm.campaign = Some("x".repeat(201));
        assert_invalid(
            db.flame.advertising().ingest_lead(acme.company.id, meta, bad).await,
            "utm.campaign",
        );
        let mut blank = parse_meta_lead(META_MINIMAL).expect("lead");
        blank.external_lead_id = " ".into();
        assert_invalid(
            db.flame.advertising().ingest_lead(acme.company.id, meta, blank).await,
            "external_lead_id",
        );
        assert_eq!(everything(&db.url).await, before);
    }
}

#[tokio::test]
async fn malformed_payloads_are_refused_by_field_and_write_nothing() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let vk = ads(&db, &acme, "VK ads", AdvertisingPlatform::VkAds, None).await;
        let ads = keyed(&db).await.advertising();
        let c = acme.company.id;
        let before = everything(&db.url).await;
        assert_invalid(
            ads.ingest_meta_lead(c, meta, &signed(META_BAD_FIELD_DATA)).await,
            "field_data[0].values",
        );
        assert_invalid(ads.ingest_meta_lead(c, meta, &signed(META_BAD_TIME)).await, "created_time");
        assert_invalid(ads.ingest_meta_lead(c, meta, &signed(b"not json")).await, "body");
        assert_invalid(
            ads.ingest_vk_lead(c, vk, &callback(VK_MISSING_ANSWERS), VK_RECEIVED).await,
            "object.answers",
        );
        // A lead from the other platform's webhook.
        assert_invalid(
            ads.ingest_vk_lead(c, meta, &callback(VK_LEAD), VK_RECEIVED).await,
            "platform",
        );
        // VK's confirmation request is not a lead: nothing to do.
        assert_eq!(
            ads.ingest_vk_lead(c, vk, &callback(VK_CONFIRMATION), VK_RECEIVED).await,
            Ok(None)
        );
        assert_eq!(everything(&db.url).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn only_the_companys_own_enabled_advertising_integrations_take_leads() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        let max = manager(&acme).await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, Some(max)).await;
        let theirs = ads(&db, &globex, "Their ads", AdvertisingPlatform::Meta, None).await;
        let bot = acme
            .session
            .integrations()
            .create(NewIntegration {
                name: "Bot".into(),
                settings: IntegrationSettings::Messaging(MessagingSettings::new(
                    MessagingPlatform::Telegram,
                )),
                credentials: Credentials::new(),
            })
            .await
            .expect("bot");
        let ads = keyed(&db).await.advertising();
        let c = acme.company.id;
        let before = everything(&db.url).await;
        assert_not_found(ads.ingest_meta_lead(c, theirs, &signed(META_LEAD)).await);
        assert_not_found(ads.ingest_meta_lead(c, IntegrationId::new(), &signed(META_LEAD)).await);
        assert_not_found(ads.ingest_meta_lead(c, bot.id, &signed(META_LEAD)).await);
        assert_not_found(
            ads.import_spend(c, theirs, vec![spend("X", date!(2026 - 01 - 01), 1, "USD")]).await,
        );

        // Defaults deleted since the integration was saved: a clear error at use.
        acme.session.members().remove(max).await.expect("remove the assignee");
        assert_invalid(
            ads.ingest_meta_lead(c, meta, &signed(META_LEAD)).await,
            "default_assignee_id",
        );

        // A disabled integration takes nothing.
        let current = acme.session.integrations().get(meta).await.expect("get");
        let patch = IntegrationPatch { enabled: Some(false), ..Default::default() };
        acme.session.integrations().update(meta, current.version, patch).await.expect("disable");
        let mut after = everything(&db.url).await;
        let mut expected = before.clone();
        // Removing the member and disabling wrote their own rows and events.
        for counts in [&mut after, &mut expected] {
            counts.retain(|(t, _)| !["memberships", "outbox"].contains(t));
        }
        assert_eq!(after, expected, "{}", db.name);
        assert_conflict(ads.ingest_meta_lead(c, meta, &signed(META_LEAD)).await);
        assert_conflict(
            ads.import_spend(c, meta, vec![spend("X", date!(2026 - 01 - 01), 1, "USD")]).await,
        );
        assert_eq!(count_rows(&db.url, "leads").await, 0);
    }
}

#[tokio::test]
async fn plan_limits_and_read_only_companies_apply_to_leads() {
    for db in TestDb::each().await {
        let limits = flame_core::billing::PlanLimits { contacts: Some(1), ..Default::default() };
        flame_tests::default_plan(&db.flame, "tiny", limits).await;
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let ads = keyed(&db).await.advertising();
        ads.ingest_meta_lead(acme.company.id, meta, &signed(META_LEAD)).await.expect("first lead");
        let before = everything(&db.url).await;
        assert_limit(
            ads.ingest_meta_lead(acme.company.id, meta, &signed(META_MINIMAL)).await,
            "contacts",
        );
        assert_eq!(everything(&db.url).await, before, "{}", db.name);

        let sub = acme.session.billing().subscription().await.expect("subscription");
        acme.session.billing().cancel(sub.version).await.expect("cancel");
        assert_read_only(ads.ingest_meta_lead(acme.company.id, meta, &signed(META_MINIMAL)).await);
        assert_read_only(
            ads.import_spend(
                acme.company.id,
                meta,
                vec![spend("X", date!(2026 - 01 - 01), 1, "USD")],
            )
            .await,
        );
        assert_eq!(count_rows(&db.url, "leads").await, 1);
    }
}

#[tokio::test]
async fn a_vk_integration_with_a_secret_takes_only_callbacks_that_carry_it() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let options = OpenOptions {
            encryption_key: Some(EncryptionKey::from_bytes("k1", &[1; 32]).expect("key")),
            ..OpenOptions::default()
        };
        let keyed = Flame::open(&db.url, options).await.expect("open with a key");
        let s = keyed.session(acme.owner.id, acme.company.id).await.expect("session");
        let pipeline = s.pipelines().default_pipeline().await.expect("pipeline");
        let vk = s
            .integrations()
            .create(NewIntegration {
                name: "VK community".into(),
                settings: IntegrationSettings::Advertising(AdvertisingSettings {
                    platform: AdvertisingPlatform::VkAds,
                    auto_create_deal: false,
                    default_pipeline_id: Some(pipeline.id),
                    default_assignee_id: None,
                    deal_currency: Some("RUB".into()),
                }),
                credentials: Credentials::new().with("secret", "my-callback-secret"),
            })
            .await
            .expect("integration")
            .id;
        let c = acme.company.id;
        let before = everything(&db.url).await;
        let forged = String::from_utf8(VK_LEAD.to_vec())
            .expect("utf-8")
            .replace("my-callback-secret", "forged");
        assert_unauthenticated(
            keyed
                .advertising()
                .ingest_vk_lead(c, vk, &callback(forged.as_bytes()), VK_RECEIVED)
                .await,
        );
        // Without the key the secret cannot be read: a Crypto error, never a pass.
        assert!(matches!(
            db.flame.advertising().ingest_vk_lead(c, vk, &callback(VK_LEAD), VK_RECEIVED).await,
            Err(FlameError::Crypto { .. })
        ));
        assert_eq!(everything(&db.url).await, before);

        let outcome = keyed
            .advertising()
            .ingest_vk_lead(c, vk, &callback(VK_LEAD), VK_RECEIVED)
            .await
            .expect("ingested")
            .expect("a lead");
        assert_eq!(outcome.deal_id, None, "this integration opens no deals");
        let contact = s.contacts().get(outcome.contact_id).await.expect("contact");
        assert_eq!(contact.full_name(), "Иван Петров");
        let lead = s.leads().list(PageRequest::default()).await.expect("leads").items;
        assert_eq!(lead[0].external_id, "123456789:1001");
        assert_eq!(lead[0].received_at, VK_RECEIVED);
    }
}

#[tokio::test]
async fn spend_imports_are_all_or_nothing_and_upsert_per_campaign_and_day() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let ads = keyed(&db).await.advertising();
        let c = acme.company.id;
        let day = date!(2024 - 11 - 05);
        let written = ads
            .import_spend(
                c,
                meta,
                vec![
                    spend("Spring sale", day, 10_000, "usd"),
                    spend("Spring sale", date!(2024 - 11 - 06), 5_000, "USD"),
                    AdSpend { source: Some("Brand".into()), ..spend("Brand", day, 100, "USD") },
                ],
            )
            .await
            .expect("imported");
        assert_eq!(written, 3);
        assert_eq!(count_rows(&db.url, "ad_spend").await, 3);
        let names: Vec<_> = acme
            .session
            .sources()
            .list()
            .await
            .expect("sources")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert!(names.contains(&"Meta".to_owned()) && names.contains(&"Brand".to_owned()));

        let before = everything(&db.url).await;
        let bad = |i: usize, row: AdSpend| {
            let mut rows = vec![spend("Spring sale", day, 1, "USD"); 4];
            rows[i] = row;
            rows.iter_mut().enumerate().for_each(|(n, r)| {
                if n != i {
                    r.campaign = format!("Campaign {n}");
                }
            });
            rows
        };
        assert_invalid(
            ads.import_spend(c, meta, bad(3, spend("A", day, 1, "XYZ"))).await,
            "rows[3].currency",
        );
        assert_invalid(
            ads.import_spend(c, meta, bad(2, spend("A", day, 1, "EUR"))).await,
            "rows[2].currency",
        );
        assert_invalid(
            ads.import_spend(c, meta, bad(1, spend("A", day, -1, "USD"))).await,
            "rows[1].amount_minor",
        );
        assert_invalid(
            ads.import_spend(c, meta, bad(0, spend(" ", day, 1, "USD"))).await,
            "rows[0].campaign",
        );
        let twice =
            vec![spend("A", day, 1, "USD"), spend("B", day, 1, "USD"), spend("A", day, 2, "USD")];
        assert_invalid(ads.import_spend(c, meta, twice).await, "rows[2].day");
        // An ad account spends in one currency.
        assert_invalid(
            ads.import_spend(c, meta, vec![spend("Other", day, 1, "EUR")]).await,
            "rows[0].currency",
        );
        assert_eq!(everything(&db.url).await, before, "{}", db.name);

        // The same campaign and day again replaces the amount.
        ads.import_spend(c, meta, vec![spend("Spring sale", date!(2024 - 11 - 06), 7_000, "USD")])
            .await
            .expect("re-import");
        assert_eq!(count_rows(&db.url, "ad_spend").await, 3);
        assert_eq!(ads.import_spend(c, meta, vec![]).await, Ok(0));
    }
}

fn row<'a>(report: &'a [SourceCost], source: &str, currency: Option<&str>) -> &'a SourceCost {
    report
        .iter()
        .find(|r| {
            r.source_name.as_deref() == Some(source) && r.currency.map(|c| c.code()) == currency
        })
        .unwrap_or_else(|| panic!("no row for {source} {currency:?} in {report:#?}"))
}

#[tokio::test]
async fn the_cost_report_gives_cost_per_lead_and_won_deal_per_source_and_currency() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let vk = ads(&db, &acme, "VK ads", AdvertisingPlatform::VkAds, None).await;
        let ads = keyed(&db).await.advertising();
        let s = &acme.session;
        let c = acme.company.id;
        // Meta spends dollars, VK rubles.
        ads.import_spend(
            c,
            meta,
            vec![
                spend("Spring sale", date!(2015 - 02 - 28), 10_000, "USD"),
                spend("Spring sale", date!(2024 - 11 - 05), 7_001, "USD"),
            ],
        )
        .await
        .expect("meta spend");
        ads.import_spend(c, vk, vec![spend("Autumn", date!(2024 - 11 - 05), 300_000_00, "RUB")])
            .await
            .expect("vk spend");
        // Two Meta leads (2015-02-28, 2024-11-05), one VK lead (2024-11-05).
        let joe = ads.ingest_meta_lead(c, meta, &signed(META_LEAD)).await.expect("joe");
        ads.ingest_meta_lead(c, meta, &signed(META_MINIMAL)).await.expect("anna");
        ads.ingest_vk_lead(c, vk, &callback(VK_LEAD), VK_RECEIVED)
            .await
            .expect("ivan")
            .expect("lead");
        // Joe's deal is won today; so is a deal entered by hand under the Meta source.
        let deal = s.deals().get(joe.deal_id.expect("deal")).await.expect("deal");
        s.deals().win(deal.id, deal.version).await.expect("won");
        let by_hand = s
            .deals()
            .create(NewDeal {
                source_id: Some(joe.source_id),
                ..NewDeal::new("Walk-in", 500, "EUR")
            })
            .await
            .expect("deal");
        s.deals().win(by_hand.id, by_hand.version).await.expect("won");

        let today = OffsetDateTime::now_utc().date();
        let report =
            s.reports().cost_by_source(date!(2015 - 01 - 01), today).await.expect("report");
        assert_eq!(report.len(), 3, "{report:#?}");
        let meta_usd = row(&report, "Meta", Some("USD"));
        assert_eq!(
            (meta_usd.leads, meta_usd.won_deals, meta_usd.spend_minor),
            (2, 1, 17_001),
            "{}",
            db.name
        );
        // 17001 / 2 = 8500.5, rounded half away from zero.
        assert_eq!(meta_usd.cost_per_lead_minor, Some(8_501));
        assert_eq!(meta_usd.cost_per_won_deal_minor, Some(17_001));
        // The deal entered by hand cannot be paid for with either account's money.
        let meta_none = row(&report, "Meta", None);
        assert_eq!((meta_none.leads, meta_none.won_deals, meta_none.spend_minor), (0, 1, 0));
        assert_eq!(
            (meta_none.cost_per_lead_minor, meta_none.cost_per_won_deal_minor),
            (None, None)
        );
        let vk_rub = row(&report, "VK Ads", Some("RUB"));
        assert_eq!((vk_rub.leads, vk_rub.won_deals, vk_rub.spend_minor), (1, 0, 300_000_00));
        assert_eq!(
            (vk_rub.cost_per_lead_minor, vk_rub.cost_per_won_deal_minor),
            (Some(300_000_00), None)
        );

        // A period counts only its own days.
        let day = s
            .reports()
            .cost_by_source(date!(2024 - 11 - 05), date!(2024 - 11 - 05))
            .await
            .expect("one day");
        assert_eq!(day.len(), 2, "{day:#?}");
        let meta_day = row(&day, "Meta", Some("USD"));
        assert_eq!((meta_day.leads, meta_day.won_deals, meta_day.spend_minor), (1, 0, 7_001));
        assert_eq!(meta_day.cost_per_won_deal_minor, None);
        assert_invalid(s.reports().cost_by_source(today, date!(2015 - 01 - 01)).await, "to");

        // Every role may read it (it sums deals and leads, which every member lists).
        let viewer = s
            .members()
            .add(flame_core::company::NewMember {
                email: "vi@acme.test".into(),
                name: "Vi".into(),
                role: Role::Viewer,
            })
            .await
            .expect("viewer");
        let vs = db.flame.session(viewer.user.id, c).await.expect("session");
        assert_eq!(vs.reports().cost_by_source(date!(2015 - 01 - 01), today).await, Ok(report));
        // Another company sees none of it.
        let globex = company(&db.flame, "Globex").await;
        let theirs = globex.session.reports().cost_by_source(date!(2015 - 01 - 01), today).await;
        assert_eq!(theirs, Ok(vec![]));
        assert_eq!(globex.session.leads().of_deal(deal.id).await, Ok(None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_deliveries_of_one_lead_are_ingested_once() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let mut tasks = Vec::new();
        let keyed = keyed(&db).await;
        for _ in 0..8 {
            let flame = keyed.clone();
            let company = acme.company.id;
            tasks.push(tokio::spawn(async move {
                flame.advertising().ingest_meta_lead(company, meta, &signed(META_LEAD)).await
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task").expect("ingested"));
        }
        let first: Vec<_> = outcomes.iter().filter(|o| !o.duplicate).collect();
        assert_eq!(first.len(), 1, "{}: {outcomes:#?}", db.name);
        assert!(outcomes.iter().all(|o| o.lead_id == first[0].lead_id));
        for (table, n) in [("leads", 1), ("contacts", 1), ("deals", 1)] {
            assert_eq!(count_rows(&db.url, table).await, n, "{}: {table}", db.name);
        }
    }
}

#[tokio::test]
async fn meta_leads_need_the_app_secrets_signature() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let meta = ads(&db, &acme, "Meta ads", AdvertisingPlatform::Meta, None).await;
        let flame = keyed(&db).await;
        let s = flame.session(acme.owner.id, acme.company.id).await.expect("session");
        let pipeline = s.pipelines().default_pipeline().await.expect("pipeline");
        let unsigned_integration = s
            .integrations()
            .create(NewIntegration {
                name: "Meta without a secret".into(),
                settings: IntegrationSettings::Advertising(AdvertisingSettings {
                    platform: AdvertisingPlatform::Meta,
                    auto_create_deal: false,
                    default_pipeline_id: Some(pipeline.id),
                    default_assignee_id: None,
                    deal_currency: None,
                }),
                credentials: Credentials::new(),
            })
            .await
            .expect("integration")
            .id;
        let ads = flame.advertising();
        let c = acme.company.id;
        let before = everything(&db.url).await;
        let unauthenticated = |result: flame_core::Result<_>, names: &str| match result {
            Err(FlameError::Unauthenticated { reason }) => {
                assert!(reason.contains(names), "{reason} names {names}")
            }
            other => panic!("expected Unauthenticated naming {names}, got {other:?}"),
        };
        // No signature, a signature of another body, under another secret, malformed.
        unauthenticated(
            ads.ingest_meta_lead(c, meta, &callback(META_LEAD)).await,
            verify::META_SIGNATURE_HEADER,
        );
        let mut tampered = signed(META_LEAD);
        tampered.body = META_MINIMAL.to_vec();
        unauthenticated(ads.ingest_meta_lead(c, meta, &tampered).await, "does not match");
        let other = callback(META_LEAD).with_header(
            verify::META_SIGNATURE_HEADER,
            verify::meta_signature(&SecretString::from("guessed"), META_LEAD),
        );
        unauthenticated(ads.ingest_meta_lead(c, meta, &other).await, "does not match");
        let malformed = callback(META_LEAD).with_header(verify::META_SIGNATURE_HEADER, "sha256=zz");
        unauthenticated(ads.ingest_meta_lead(c, meta, &malformed).await, "does not match");
        // Even a malformed body is refused for its signature first, not parsed.
        unauthenticated(
            ads.ingest_meta_lead(c, meta, &callback(b"not json")).await,
            verify::META_SIGNATURE_HEADER,
        );
        // An integration without the app secret takes nothing (fail closed).
        unauthenticated(
            ads.ingest_meta_lead(c, unsigned_integration, &signed(META_LEAD)).await,
            verify::APP_SECRET,
        );
        // Without the key the secret cannot be read: a Crypto error, never a pass.
        assert!(matches!(
            db.flame.advertising().ingest_meta_lead(c, meta, &signed(META_LEAD)).await,
            Err(FlameError::Crypto { .. })
        ));
        assert_eq!(everything(&db.url).await, before, "{}", db.name);
        assert_eq!(count_rows(&db.url, "leads").await, 0);

        let outcome = ads.ingest_meta_lead(c, meta, &signed(META_LEAD)).await.expect("signed");
        assert!(outcome.created_contact);
        assert_eq!(count_rows(&db.url, "leads").await, 1);
    }
}
