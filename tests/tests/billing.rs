//! Billing: plan limits enforced on every write that adds usage (exactly, even when writers
//! race), plan changes, the subscription lifecycle driven by the host's payment hook, the
//! read-only company, and health's subscription counts.

use std::sync::Arc;

use flame_core::billing::{
    BillingInterval, NewPayment, NewPlan, PaymentOutcome, PlanLimits, SubscriptionStatus,
};
use flame_core::company::NewMember;
use flame_core::contact::NewContact;
use flame_core::deal::NewDeal;
use flame_core::pipeline::NewPipeline;
use flame_core::{FlameError, Role};
use flame_db::Flame;
use flame_tests::{
    TestDb, assert_invalid, assert_limit, assert_read_only, company, count_rows, exec_raw, snapshot,
};
use time::Duration;

fn plan(code: &str, limits: PlanLimits) -> NewPlan {
    NewPlan {
        code: code.into(),
        name: code.to_uppercase(),
        price_minor: 1900,
        currency: "EUR".into(),
        interval: BillingInterval::Month,
        trial_days: 14,
        limits,
        public: true,
    }
}

fn contact(name: &str) -> NewContact {
    NewContact { first_name: name.into(), ..NewContact::default() }
}

fn paid(reference: &str, days: i64) -> NewPayment {
    NewPayment {
        provider_ref: reference.into(),
        outcome: PaymentOutcome::Succeeded,
        amount_minor: 1900,
        currency: "EUR".into(),
        period_end: Some(flame_core::clock::now() + Duration::days(days)),
        failure_reason: None,
    }
}

/// Makes a plan with `limits` the default, so the next sign-up starts on it.
async fn default_plan(flame: &Flame, code: &str, limits: PlanLimits) -> flame_core::billing::Plan {
    let plan = flame.plans().create(plan(code, limits)).await.expect("plan");
    flame.plans().set_default(plan.id).await.expect("default")
}

#[tokio::test]
async fn every_write_that_adds_usage_is_checked_against_the_plan() {
    for db in TestDb::each().await {
        let limits = PlanLimits {
            seats: Some(2),
            contacts: Some(2),
            deals: Some(1),
            pipelines: Some(1),
            integrations: Some(0),
            organizations: None,
        };
        default_plan(&db.flame, "tiny", limits).await;
        let acme = company(&db.flame, "Acme").await;
        let s = &acme.session;
        s.contacts().create(contact("A")).await.expect("1st");
        let second = s.contacts().create(contact("B")).await.expect("2nd");
        let before = snapshot(&db.url).await;
        match s.contacts().create(contact("C")).await {
            Err(FlameError::PlanLimitExceeded { limit, allowed, used }) => {
                assert_eq!((limit.as_str(), allowed, used), ("contacts", 2, 2));
            }
            other => panic!("expected the contact limit, got {other:?}"),
        }
        s.deals().create(NewDeal::new("D1", 100, "EUR")).await.expect("1st deal");
        assert_limit(s.deals().create(NewDeal::new("D2", 100, "EUR")).await, "deals");
        assert_limit(
            s.pipelines()
                .create(NewPipeline {
                    name: "Second".into(),
                    ..flame_core::pipeline::default_pipeline()
                })
                .await,
            "pipelines",
        );
        s.members()
            .add(NewMember { email: "m@acme.test".into(), name: "M".into(), role: Role::Member })
            .await
            .expect("2nd seat");
        assert_limit(
            s.members()
                .add(NewMember {
                    email: "n@acme.test".into(),
                    name: "N".into(),
                    role: Role::Member,
                })
                .await,
            "seats",
        );
        let mut after = snapshot(&db.url).await;
        // The refused writes left nothing behind but the accepted deal and member.
        after.retain(|(t, _)| !["deals", "memberships", "users", "outbox"].contains(t));
        let mut expected = before.clone();
        expected.retain(|(t, _)| !["deals", "memberships", "users", "outbox"].contains(t));
        assert_eq!(after, expected, "{}", db.name);

        // Deleting frees the unit again.
        s.contacts().delete(second.id, second.version).await.expect("delete");
        s.contacts().create(contact("C")).await.expect("room again");
        let usage = s.billing().usage().await.expect("usage");
        assert_eq!((usage.contacts, usage.deals, usage.seats, usage.pipelines), (2, 1, 2, 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_never_take_a_company_past_its_limit() {
    for db in TestDb::each().await {
        default_plan(&db.flame, "five", PlanLimits { contacts: Some(5), ..PlanLimits::default() })
            .await;
        let acme = company(&db.flame, "Acme").await;
        let session = Arc::new(acme.session.clone());
        let mut tasks = Vec::new();
        for i in 0..24 {
            let session = Arc::clone(&session);
            tasks.push(tokio::spawn(async move {
                session.contacts().create(contact(&format!("C{i}"))).await
            }));
        }
        let mut created = 0;
        let mut refused = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => created += 1,
                Err(FlameError::PlanLimitExceeded { .. }) => refused += 1,
                Err(other) => panic!("{}: unexpected {other:?}", db.name),
            }
        }
        assert_eq!((created, refused), (5, 19), "{}", db.name);
        assert_eq!(count_rows(&db.url, "contacts").await, 5, "{}", db.name);
        assert_eq!(acme.session.billing().usage().await.expect("usage").contacts, 5);
    }
}

#[tokio::test]
async fn plan_changes_upgrade_at_once_and_refuse_downgrades_below_usage() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let small = db
            .flame
            .plans()
            .create(plan("small", PlanLimits { contacts: Some(1), ..PlanLimits::default() }))
            .await
            .expect("plan");
        let big = db.flame.plans().create(plan("big", PlanLimits::default())).await.expect("plan");
        let billing = acme.session.billing();
        for name in ["A", "B"] {
            acme.session.contacts().create(contact(name)).await.expect("contact");
        }
        let sub = billing.subscription().await.expect("subscription");
        match billing.change_plan(small.id, sub.version).await {
            Err(FlameError::PlanLimitExceeded { limit, allowed, used }) => {
                assert_eq!((limit.as_str(), allowed, used), ("contacts", 1, 2));
            }
            other => panic!("expected the downgrade to be refused, got {other:?}"),
        }
        assert_eq!(billing.subscription().await.expect("unchanged").plan_id, sub.plan_id);
        let upgraded = billing.change_plan(big.id, sub.version).await.expect("upgrade");
        assert_eq!(upgraded.plan_id, big.id);
        assert_eq!(billing.plan().await.expect("plan").code, "big");
        flame_tests::assert_conflict(billing.change_plan(small.id, sub.version).await);
        flame_tests::assert_not_found(
            billing.change_plan(flame_core::PlanId::new(), upgraded.version).await,
        );
        // Only the owner manages billing.
        let member = acme
            .session
            .members()
            .add(NewMember { email: "m@acme.test".into(), name: "M".into(), role: Role::Admin })
            .await
            .expect("admin");
        let admin = db.flame.session(member.user.id, acme.company.id).await.expect("session");
        flame_tests::assert_forbidden(
            admin.billing().change_plan(small.id, upgraded.version).await,
        );
    }
}

#[tokio::test]
async fn a_canceled_or_expired_company_is_read_only_until_reactivated() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let s = &acme.session;
        let ada = s.contacts().create(contact("Ada")).await.expect("contact");
        let sub = s.billing().subscription().await.expect("sub");
        let canceled = s.billing().cancel(sub.version).await.expect("cancel");
        assert_eq!(canceled.status, SubscriptionStatus::Canceled);

        let before = snapshot(&db.url).await;
        assert_eq!(s.contacts().get(ada.id).await.expect("reads work").first_name, "Ada");
        assert_read_only(s.contacts().create(contact("Bob")).await);
        assert_read_only(s.contacts().update(ada.id, ada.version, Default::default()).await);
        assert_read_only(s.deals().create(NewDeal::new("D", 100, "EUR")).await);
        assert_read_only(s.company().rename("Acme 2", 1).await);
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        // Another process's session sees it too: writes re-check inside their transaction.
        let other = Flame::open(&db.url, Default::default()).await.expect("reopen");
        let remote = other.session(acme.owner.id, acme.company.id).await.expect("session");
        assert_read_only(remote.contacts().create(contact("Bob")).await);

        // A failed payment on a canceled subscription is not a valid transition.
        let failed = NewPayment {
            outcome: PaymentOutcome::Failed,
            period_end: None,
            failure_reason: Some("card declined".into()),
            ..paid("ch_0", 30)
        };
        assert!(matches!(
            db.flame.subscriptions().record_payment(acme.company.id, failed).await,
            Err(FlameError::InvalidTransition { .. })
        ));
        // The provider reports a payment: the company revives, and a redelivery changes nothing.
        let revived = db
            .flame
            .subscriptions()
            .record_payment(acme.company.id, paid("ch_1", 30))
            .await
            .expect("paid");
        assert_eq!(revived.status, SubscriptionStatus::Active);
        let again = db
            .flame
            .subscriptions()
            .record_payment(acme.company.id, paid("ch_1", 60))
            .await
            .expect("same");
        assert_eq!(again.version, revived.version);
        assert_eq!(s.billing().payments().await.expect("payments").len(), 1);
        s.contacts().create(contact("Bob")).await.expect("writable again");

        // A failure puts it past due (still writable); expiry makes it read-only again.
        let failed = NewPayment {
            outcome: PaymentOutcome::Failed,
            period_end: None,
            failure_reason: Some("card declined".into()),
            ..paid("ch_2", 30)
        };
        let past_due =
            db.flame.subscriptions().record_payment(acme.company.id, failed).await.expect("failed");
        assert_eq!(past_due.status, SubscriptionStatus::PastDue);
        s.contacts().create(contact("Cy")).await.expect("past due still writes");
        db.flame.subscriptions().expire(acme.company.id).await.expect("expire");
        assert_read_only(s.contacts().create(contact("Dee")).await);

        // Bad payment input is refused by field, and nothing is written.
        let before = snapshot(&db.url).await;
        let subs = db.flame.subscriptions();
        assert_invalid(
            subs.record_payment(
                acme.company.id,
                NewPayment { currency: "XXZ".into(), ..paid("ch_3", 30) },
            )
            .await,
            "currency",
        );
        assert_invalid(
            subs.record_payment(
                acme.company.id,
                NewPayment { amount_minor: -1, ..paid("ch_3", 30) },
            )
            .await,
            "amount_minor",
        );
        assert_invalid(
            subs.record_payment(
                acme.company.id,
                NewPayment { period_end: None, ..paid("ch_3", 30) },
            )
            .await,
            "period_end",
        );
        assert_invalid(
            subs.record_payment(
                acme.company.id,
                NewPayment { provider_ref: " ".into(), ..paid("ch_3", 30) },
            )
            .await,
            "provider_ref",
        );
        flame_tests::assert_not_found(
            subs.record_payment(flame_core::CompanyId::new(), paid("ch_3", 30)).await,
        );
        assert_eq!(snapshot(&db.url).await, before);
    }
}

#[tokio::test]
async fn lapsed_trials_are_read_only_and_health_counts_subscriptions_by_status() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        let initech = company(&db.flame, "Initech").await;
        db.flame
            .subscriptions()
            .record_payment(globex.company.id, paid("ch_g", 30))
            .await
            .expect("paid");
        let sub = initech.session.billing().subscription().await.expect("sub");
        initech.session.billing().cancel(sub.version).await.expect("cancel");
        let past = if db.name == "sqlite" {
            "'2000-01-01T00:00:00.000000Z'"
        } else {
            "'2000-01-01T00:00:00Z'"
        };
        exec_raw(
            &db.url,
            &format!(
                "UPDATE subscriptions SET trial_ends_at = {past} WHERE company_id = {}",
                if db.name == "sqlite" {
                    format!("x'{}'", acme.company.id.as_uuid().simple())
                } else {
                    format!("'{}'", acme.company.id)
                }
            ),
        )
        .await;
        let other = Flame::open(&db.url, Default::default()).await.expect("reopen");
        let s = other.session(acme.owner.id, acme.company.id).await.expect("session");
        assert_eq!(
            s.billing().subscription().await.expect("sub").status,
            SubscriptionStatus::Expired
        );
        assert_read_only(s.contacts().create(contact("Ada")).await);

        let counts = db.flame.health().await.counts.expect("counts").subscriptions_by_status;
        assert_eq!(
            (counts.trialing, counts.active, counts.past_due, counts.canceled, counts.expired),
            (0, 1, 0, 1, 1),
            "{}",
            db.name
        );
        assert_eq!(db.flame.subscriptions().expire_lapsed_trials().await.expect("sweep"), 1);
        assert_eq!(db.flame.subscriptions().expire_lapsed_trials().await.expect("sweep"), 0);
    }
}

#[tokio::test]
async fn a_hidden_plan_cannot_be_chosen_by_a_company() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let hidden = NewPlan { public: false, ..plan("partner", PlanLimits::default()) };
        let hidden = db.flame.plans().create(hidden).await.expect("hidden plan");
        let public =
            db.flame.plans().create(plan("pro", PlanLimits::default())).await.expect("pro");
        let billing = acme.session.billing();
        let sub = billing.subscription().await.expect("subscription");
        let before = snapshot(&db.url).await;
        assert_invalid(billing.change_plan(hidden.id, sub.version).await, "plan_id");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert_eq!(billing.subscription().await.expect("unchanged"), sub, "{}", db.name);
        let moved = billing.change_plan(public.id, sub.version).await.expect("a public plan");
        assert_eq!(moved.plan_id, public.id);
    }
}

#[tokio::test]
async fn plan_limits_are_bounded_and_the_catalog_reads_back_large_ones() {
    for db in TestDb::each().await {
        let huge =
            plan("huge", PlanLimits { contacts: Some(3_000_000_000), ..PlanLimits::default() });
        let before = count_rows(&db.url, "plans").await;
        assert_invalid(db.flame.plans().create(huge).await, "limits.contacts");
        assert_eq!(count_rows(&db.url, "plans").await, before, "{}", db.name);

        let max = PlanLimits { contacts: Some(PlanLimits::MAX), ..PlanLimits::default() };
        let largest = db.flame.plans().create(plan("largest", max)).await.expect("at the bound");
        let read = db.flame.plans().get(largest.id).await.expect("read back");
        assert_eq!(read.limits.contacts, Some(2_147_483_647), "{}", db.name);
        let listed = db.flame.plans().list().await.expect("the catalog still lists");
        assert!(listed.iter().any(|p| p.id == largest.id && p.limits == max), "{}", db.name);

        if db.name == "sqlite" {
            // A limit stored above i32::MAX before limits were bounded no longer breaks the
            // catalog on SQLite (whose INTEGER column kept it).
            exec_raw(&db.url, "UPDATE plans SET limit_deals = 3000000000 WHERE code = 'largest'")
                .await;
            let listed = db.flame.plans().list().await.expect("the catalog lists");
            let old = listed.iter().find(|p| p.id == largest.id).expect("listed");
            assert_eq!(old.limits.deals, Some(3_000_000_000));
        }
    }
}
