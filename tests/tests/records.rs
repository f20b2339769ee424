//! Activities, sources, members, the company, plans and subscriptions.

use flame_core::activity::{ActivityFilter, ActivityKind, ActivityPatch, NewActivity};
use flame_core::billing::{BillingInterval, NewPlan, PlanLimits, SubscriptionStatus};
use flame_core::company::{NewMember, SignUp};
use flame_core::contact::NewContact;
use flame_core::deal::NewDeal;
use flame_core::page::PageRequest;
use flame_core::{FlameError, Role, clock};
use flame_tests::{TestDb, assert_conflict, assert_invalid, assert_not_found, company, snapshot};
use time::Duration;

#[tokio::test]
async fn activities_notes_tasks_and_due_lists() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s
            .contacts()
            .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let mut d = NewDeal::new("Robots", 1, "USD");
        d.contact_id = Some(c.id);
        let deal = s.deals().create(d).await.expect("deal");
        let note =
            s.activities().create(NewActivity::note(c.id, "Likes robots")).await.expect("note");
        let soon = clock::now() + Duration::hours(2);
        let later = clock::now() + Duration::days(10);
        let task = |due, body: &str| NewActivity {
            kind: ActivityKind::Task,
            subject: Some("Call back".into()),
            body: body.into(),
            contact_id: None,
            deal_id: Some(deal.id),
            due_at: Some(due),
            occurred_at: None,
            owner_id: None,
        };
        let t1 = s.activities().create(task(soon, "Soon")).await.expect("task");
        let t2 = s.activities().create(task(later, "Later")).await.expect("task");
        assert_eq!(
            s.activities().get(t1.id).await.expect("get"),
            t1,
            "{}: reads back exactly",
            db.name
        );

        let due = ActivityFilter {
            due_before: Some(clock::now() + Duration::days(1)),
            ..ActivityFilter::default()
        };
        let listed = s.activities().list(due.clone(), PageRequest::default()).await.expect("due");
        assert_eq!(listed.items.iter().map(|a| a.id).collect::<Vec<_>>(), [t1.id], "{}", db.name);
        let done = s.activities().complete(t1.id, t1.version).await.expect("complete");
        assert!(done.is_done());
        assert!(matches!(
            s.activities().complete(t1.id, done.version).await,
            Err(FlameError::InvalidTransition { .. })
        ));
        assert!(
            s.activities().list(due, PageRequest::default()).await.expect("due").items.is_empty()
        );

        let on_deal = ActivityFilter { deal_id: Some(deal.id), ..ActivityFilter::default() };
        assert_eq!(
            s.activities().list(on_deal, PageRequest::default()).await.expect("list").items.len(),
            2
        );
        let on_contact = ActivityFilter { contact_id: Some(c.id), ..ActivityFilter::default() };
        assert_eq!(
            s.activities().list(on_contact, PageRequest::default()).await.expect("list").items,
            std::slice::from_ref(&note)
        );

        let edited = s
            .activities()
            .update(
                t2.id,
                t2.version,
                ActivityPatch { body: Some("Much later".into()), ..ActivityPatch::default() },
            )
            .await
            .expect("update");
        assert_eq!(edited.body, "Much later");
        assert_conflict(s.activities().update(t2.id, t2.version, ActivityPatch::default()).await);

        let before = snapshot(&db.url).await;
        assert_invalid(
            s.activities()
                .create(NewActivity { contact_id: None, ..NewActivity::note(c.id, "x") })
                .await,
            "contact_id",
        );
        assert_invalid(
            s.activities()
                .create(NewActivity { due_at: Some(soon), ..NewActivity::note(c.id, "x") })
                .await,
            "due_at",
        );
        assert_invalid(
            s.activities().create(NewActivity::note(c.id, "x".repeat(10_001))).await,
            "body",
        );
        assert_invalid(
            s.activities().create(NewActivity::note(flame_core::ContactId::new(), "x")).await,
            "contact_id",
        );
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);

        // Deleting the deal removes the tasks about it alone; the note on the contact stays.
        s.deals().delete(deal.id, deal.version).await.expect("delete deal");
        assert_not_found(s.activities().get(t2.id).await);
        s.activities().get(note.id).await.expect("note stays");
        s.activities().delete(note.id, note.version).await.expect("delete note");
        assert_not_found(s.activities().get(note.id).await);
    }
}

#[tokio::test]
async fn sources_are_unique_per_company() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let defaults: Vec<String> =
            s.sources().list().await.expect("list").into_iter().map(|x| x.name).collect();
        assert_eq!(defaults.len(), flame_core::source::DEFAULT_SOURCES.len());
        let fair = s.sources().create("Trade fair").await.expect("create");
        assert_conflict(s.sources().create("TRADE FAIR").await);
        assert_invalid(s.sources().create(" ").await, "name");
        let mut d = NewDeal::new("From the fair", 1, "USD");
        d.source_id = Some(fair.id);
        let deal = s.deals().create(d).await.expect("deal");
        let renamed = s.sources().rename(fair.id, "Expo", fair.version).await.expect("rename");
        assert_conflict(s.sources().rename(fair.id, "Website", renamed.version).await);
        s.sources().delete(fair.id, renamed.version).await.expect("delete");
        assert_eq!(
            s.deals().get(deal.id).await.expect("deal stays").source_id,
            None,
            "{}",
            db.name
        );
        // Another company may use the same name.
        company(&db.flame, "Globex")
            .await
            .session
            .sources()
            .create("Trade fair")
            .await
            .expect("own namespace");
    }
}

#[tokio::test]
async fn members_and_roles() {
    for db in TestDb::each().await {
        let signed = company(&db.flame, "Acme").await;
        let owner = signed.session;
        let added = owner
            .members()
            .add(NewMember {
                email: "Max@Acme.test".into(),
                name: "Max".into(),
                role: Role::Member,
            })
            .await
            .expect("add");
        assert_eq!(added.user.email.as_str(), "max@acme.test");
        assert_conflict(
            owner
                .members()
                .add(NewMember {
                    email: "max@acme.test".into(),
                    name: "Max".into(),
                    role: Role::Member,
                })
                .await,
        );
        assert_invalid(
            owner
                .members()
                .add(NewMember { email: "max".into(), name: "Max".into(), role: Role::Member })
                .await,
            "email",
        );
        let changed = owner
            .members()
            .change_role(added.user.id, Role::Manager, added.membership.version)
            .await
            .expect("promote");
        assert_eq!(changed.role, Role::Manager);
        assert_conflict(
            owner
                .members()
                .change_role(added.user.id, Role::Viewer, added.membership.version)
                .await,
        );
        // A second owner makes it possible for the first to step down.
        let co = owner
            .members()
            .change_role(added.user.id, Role::Owner, changed.version)
            .await
            .expect("co-owner");
        let me = owner.members().get(owner.user_id()).await.expect("me");
        owner
            .members()
            .change_role(owner.user_id(), Role::Admin, me.membership.version)
            .await
            .expect("step down");
        let co_session =
            db.flame.session(co.user_id, co.company_id).await.expect("co-owner session");
        assert!(
            matches!(
                co_session.members().remove(co.user_id).await,
                Err(FlameError::Conflict { .. })
            ),
            "last owner stays"
        );

        let c = co_session
            .contacts()
            .create(NewContact { first_name: "Kept".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let old_owner =
            db.flame.session(owner.user_id(), owner.company_id()).await.expect("now admin");
        assert_eq!(old_owner.role(), Role::Admin);
        let members = co_session.members().list(PageRequest::default()).await.expect("list");
        assert_eq!(members.items.len(), 2, "{}", db.name);
        co_session.members().remove(owner.user_id()).await.expect("remove the admin");
        assert!(matches!(
            db.flame.session(owner.user_id(), owner.company_id()).await,
            Err(FlameError::Unauthenticated { .. })
        ));
        co_session.contacts().get(c.id).await.expect("records stay");
    }
}

#[tokio::test]
async fn plans_and_trial_subscription() {
    for db in TestDb::each().await {
        let plans = db.flame.plans();
        let starter = plans.list_public().await.expect("public plans");
        assert!(starter.iter().any(|p| p.code == "starter" && p.is_default), "{}", db.name);
        let pro = plans
            .create(NewPlan {
                code: "pro".into(),
                name: "Pro".into(),
                price_minor: 4_900,
                currency: "EUR".into(),
                interval: BillingInterval::Month,
                trial_days: 30,
                limits: PlanLimits {
                    seats: Some(25),
                    contacts: None,
                    deals: None,
                    pipelines: Some(10),
                    integrations: Some(10),
                    organizations: None,
                },
                public: true,
            })
            .await
            .expect("create plan");
        assert_eq!(plans.get(pro.id).await.expect("get"), pro);
        assert_conflict(plans.create(NewPlan { name: "Again".into(), ..plan_input("pro") }).await);
        assert_invalid(
            plans.create(NewPlan { currency: "EURO".into(), ..plan_input("x") }).await,
            "currency",
        );
        assert_invalid(
            plans.create(NewPlan { price_minor: -1, ..plan_input("x") }).await,
            "price_minor",
        );
        plans.set_default(pro.id).await.expect("default");

        let signed = db
            .flame
            .sign_up(SignUp {
                company_name: "Acme".into(),
                owner_email: "o@acme.test".into(),
                owner_name: "O".into(),
                password: None,
            })
            .await
            .expect("sign up");
        let sub = signed.session.billing().subscription().await.expect("subscription");
        assert_eq!((sub.plan_id, sub.status), (pro.id, SubscriptionStatus::Trialing));
        let trial = sub.trial_ends_at.expect("trial end") - sub.created_at;
        assert_eq!(trial, Duration::days(30), "{}", db.name);
        assert_eq!(signed.session.billing().plan().await.expect("plan").code, "pro");
    }
}

fn plan_input(code: &str) -> NewPlan {
    NewPlan {
        code: code.into(),
        name: "Plan".into(),
        price_minor: 100,
        currency: "USD".into(),
        interval: BillingInterval::Year,
        trial_days: 0,
        limits: PlanLimits::default(),
        public: false,
    }
}

#[tokio::test]
async fn sign_up_is_all_or_nothing() {
    for db in TestDb::each().await {
        let before = snapshot(&db.url).await;
        for (input, field) in [
            (
                SignUp {
                    company_name: " ".into(),
                    owner_email: "a@b.io".into(),
                    owner_name: "A".into(),
                    password: None,
                },
                "company_name",
            ),
            (
                SignUp {
                    company_name: "A".into(),
                    owner_email: "a@b.io".into(),
                    owner_name: "A".into(),
                    password: Some("short".into()),
                },
                "password",
            ),
            (
                SignUp {
                    company_name: "A".into(),
                    owner_email: "a@".into(),
                    owner_name: "A".into(),
                    password: None,
                },
                "owner_email",
            ),
            (
                SignUp {
                    company_name: "A".into(),
                    owner_email: "a@b.io".into(),
                    owner_name: "".into(),
                    password: None,
                },
                "owner_name",
            ),
        ] {
            assert_invalid(db.flame.sign_up(input).await, field);
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        let signed = company(&db.flame, "Acme").await;
        assert_eq!(signed.session.pipelines().list().await.expect("pipelines").len(), 1);
        let stages = signed
            .session
            .pipelines()
            .stages(signed.session.pipelines().default_pipeline().await.expect("p").id)
            .await
            .expect("stages");
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["New", "Qualified", "Proposal", "Won", "Lost"]);
        let company = signed.session.company().get().await.expect("company");
        assert_eq!(company, signed.company);
    }
}
