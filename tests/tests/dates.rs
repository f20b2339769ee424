//! Host-supplied times outside the years 1 to 9999 (which SQLite stores but cannot read back,
//! so that one row would break every list holding it) are refused where they enter: API
//! token expiry, payment period ends, ad-spend days and inbound message times.

use time::{Date, Month, OffsetDateTime};

use flame_core::FlameError;
use flame_core::account::NewApiToken;
use flame_core::billing::{NewPayment, PaymentOutcome};
use flame_core::integration::advertising::{AdSpend, AdvertisingPlatform};
use flame_core::integration::messaging::{InboundMessage, MessagingPlatform, MessagingSettings};
use flame_core::integration::record::AdvertisingSettings;
use flame_core::integration::{Credentials, IntegrationSettings, NewIntegration};
use flame_core::page::PageRequest;
use flame_tests::{TestDb, company, snapshot};

/// Years a host could hand over that no store can read back.
const BAD_YEARS: [i32; 3] = [0, -1, -9999];

fn day(year: i32) -> Date {
    Date::from_calendar_date(year, Month::June, 1).expect("date")
}

fn at(year: i32) -> OffsetDateTime {
    day(year).midnight().assume_utc()
}

/// Asserts a `Validation` error on `field` saying the year is out of range.
#[track_caller]
fn assert_out_of_years<T: std::fmt::Debug>(result: flame_core::Result<T>, field: &str) {
    match result {
        Err(FlameError::Validation { field: f, reason }) => {
            assert_eq!(f, field);
            assert_eq!(reason, "must be in the years 1 to 9999");
        }
        other => panic!("expected a year error on {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_api_token_expiry_outside_years_1_to_9999_is_refused() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let before = snapshot(&db.url).await;
        for year in BAD_YEARS {
            let input = NewApiToken {
                name: "ci".into(),
                scope: flame_core::Scope::ReadOnly,
                expires_at: Some(at(year)),
            };
            assert_out_of_years(s.api_tokens().create(input).await, "expires_at");
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        let last = NewApiToken {
            name: "ci".into(),
            scope: flame_core::Scope::ReadOnly,
            expires_at: Some(
                Date::from_calendar_date(9999, Month::December, 31)
                    .expect("d")
                    .midnight()
                    .assume_utc(),
            ),
        };
        s.api_tokens().create(last).await.expect("year 9999 is allowed");
        assert_eq!(s.api_tokens().list().await.expect("list keeps working").len(), 1);
    }
}

#[tokio::test]
async fn a_payment_period_end_outside_years_1_to_9999_is_refused() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let before = snapshot(&db.url).await;
        for year in BAD_YEARS {
            let payment = NewPayment {
                provider_ref: format!("ch_{year}"),
                outcome: PaymentOutcome::Succeeded,
                amount_minor: 1900,
                currency: "EUR".into(),
                period_end: Some(at(year)),
                failure_reason: None,
            };
            assert_out_of_years(
                db.flame.subscriptions().record_payment(acme.company.id, payment).await,
                "period_end",
            );
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        acme.session.billing().payments().await.expect("payments keep working");
        acme.session.billing().subscription().await.expect("the subscription reads back");
    }
}

#[tokio::test]
async fn an_ad_spend_day_outside_years_1_to_9999_is_refused() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let ads = acme
            .session
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
        let spend = |day: Date| AdSpend {
            campaign: "Autumn".into(),
            day,
            amount_minor: 500,
            currency: "USD".into(),
            source: None,
        };
        let before = snapshot(&db.url).await;
        for year in BAD_YEARS {
            let rows = vec![spend(day(2026)), spend(day(year))];
            assert_out_of_years(
                db.flame.advertising().import_spend(acme.company.id, ads.id, rows).await,
                "rows[1].day",
            );
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        let ads_api = db.flame.advertising();
        let written = ads_api.import_spend(acme.company.id, ads.id, vec![spend(day(2026))]).await;
        assert_eq!(written.expect("a good day"), 1);
        let report = acme.session.reports().cost_by_source(day(2026), day(2026)).await;
        report.expect("the report keeps working");
    }
}

#[tokio::test]
async fn an_inbound_message_time_outside_years_1_to_9999_is_refused() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let vk = acme
            .session
            .integrations()
            .create(NewIntegration {
                name: "VK community".into(),
                settings: IntegrationSettings::Messaging(MessagingSettings::new(
                    MessagingPlatform::Vk,
                )),
                credentials: Credentials::new(),
            })
            .await
            .expect("vk");
        let message = |id: &str, sent_at: OffsetDateTime| InboundMessage {
            platform: MessagingPlatform::Vk,
            external_message_id: id.into(),
            chat_id: "1".into(),
            sender_id: "id1".into(),
            sender_name: Some("Pavel".into()),
            sender_username: None,
            phone_raw: None,
            phone: None,
            text: Some("Hello".into()),
            sent_at,
        };
        let inbound = db.flame.inbound();
        let before = snapshot(&db.url).await;
        for year in BAD_YEARS {
            // Refused, not clamped: a made-up time would misdate the conversation.
            let old = message(&format!("m{year}"), at(year));
            assert_out_of_years(
                inbound.handle_message(acme.company.id, vk.id, old).await,
                "sent_at",
            );
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        let now = message("ok", flame_core::clock::now());
        inbound.handle_message(acme.company.id, vk.id, now).await.expect("a good time");
        let activities = acme
            .session
            .activities()
            .list(Default::default(), PageRequest::default())
            .await
            .expect("lists keep working");
        assert_eq!(activities.items.len(), 1);
    }
}
