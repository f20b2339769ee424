//! Deals through pipelines: creation, moves, winning, losing, reopening, filters, summary,
//! events — and every refusal leaves the data as it was.

use flame_core::FlameError;
use flame_core::contact::NewContact;
use flame_core::deal::{DealFilter, DealPatch, DealStatus, NewDeal};
use flame_core::event::EventPayload;
use flame_core::page::PageRequest;
use flame_core::pipeline::{NewPipeline, NewStage, Stage, StageKind, default_pipeline};
use flame_db::Session;
use flame_tests::{TestDb, assert_conflict, assert_invalid, assert_not_found, company, snapshot};

async fn stages(s: &Session) -> Vec<Stage> {
    let p = s.pipelines().default_pipeline().await.expect("default pipeline");
    s.pipelines().stages(p.id).await.expect("stages")
}

fn named<'a>(stages: &'a [Stage], name: &str) -> &'a Stage {
    stages.iter().find(|s| s.name == name).expect("stage")
}

#[tokio::test]
async fn a_deal_moves_wins_loses_and_reopens() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let st = stages(&s).await;
        let contact = s
            .contacts()
            .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let mut input = NewDeal::new("Robots", 1_250_00, "usd");
        input.contact_id = Some(contact.id);
        let deal = s.deals().create(input).await.expect("create");
        assert_eq!(
            deal.stage_id,
            named(&st, "New").id,
            "{}: starts in the first open stage",
            db.name
        );
        assert_eq!(deal.value.to_string(), "1250.00 USD");
        assert_eq!(
            s.deals().get(deal.id).await.expect("get"),
            deal,
            "{}: reads back exactly",
            db.name
        );

        let deal = s
            .deals()
            .move_to_stage(deal.id, named(&st, "Proposal").id, deal.version)
            .await
            .expect("move");
        assert_eq!((deal.status, deal.version), (DealStatus::Open, 2));
        let won = s.deals().win(deal.id, deal.version).await.expect("win");
        assert_eq!(won.status, DealStatus::Won);
        assert_eq!(won.stage_id, named(&st, "Won").id);
        assert!(won.closed_at.is_some());

        let err = s.deals().move_to_stage(won.id, named(&st, "New").id, won.version).await;
        assert!(matches!(err, Err(FlameError::InvalidTransition { .. })), "{}: {err:?}", db.name);

        let reopened = s
            .deals()
            .reopen(won.id, named(&st, "Qualified").id, won.version)
            .await
            .expect("reopen");
        assert_eq!((reopened.status, reopened.closed_at), (DealStatus::Open, None));
        assert_invalid(s.deals().lose(reopened.id, "  ", reopened.version).await, "lost_reason");
        let lost =
            s.deals().lose(reopened.id, "Too expensive", reopened.version).await.expect("lose");
        assert_eq!(lost.lost_reason.as_deref(), Some("Too expensive"));
        assert_eq!(s.deals().get(lost.id).await.expect("get"), lost);

        let kinds: Vec<String> = s
            .events()
            .list(PageRequest::first(100))
            .await
            .expect("events")
            .items
            .iter()
            .filter(|e| e.payload.aggregate().1 == deal.id.as_uuid())
            .map(|e| e.payload.event_type().to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "deal.created",
                "deal.stage_changed",
                "deal.stage_changed",
                "deal.won",
                "deal.reopened",
                "deal.stage_changed",
                "deal.stage_changed",
                "deal.lost"
            ],
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn stages_of_other_pipelines_and_companies_are_refused() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let other_company = company(&db.flame, "Globex").await.session;
        let (_, other_stages) = s
            .pipelines()
            .create(NewPipeline { name: "Partners".into(), ..default_pipeline() })
            .await
            .expect("second pipeline");
        let deal = s.deals().create(NewDeal::new("Robots", 100, "EUR")).await.expect("create");
        let before = snapshot(&db.url).await;
        assert_invalid(
            s.deals().move_to_stage(deal.id, other_stages[1].id, deal.version).await,
            "stage_id",
        );
        let foreign = stages(&other_company).await;
        assert_invalid(
            s.deals().move_to_stage(deal.id, foreign[1].id, deal.version).await,
            "stage_id",
        );
        let mut wrong_start = NewDeal::new("X", 1, "EUR");
        wrong_start.stage_id = Some(other_stages[0].id);
        assert_invalid(s.deals().create(wrong_start).await, "stage_id");
        let mut closed_start = NewDeal::new("X", 1, "EUR");
        closed_start.stage_id = Some(named(&stages(&s).await, "Won").id);
        assert_invalid(s.deals().create(closed_start).await, "stage_id");
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        assert_eq!(s.deals().get(deal.id).await.expect("get"), deal);
    }
}

#[tokio::test]
async fn bad_deal_input_is_named_and_writes_nothing() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let other = company(&db.flame, "Globex").await.session;
        let foreign_contact = other
            .contacts()
            .create(NewContact { first_name: "Zed".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let deal = s.deals().create(NewDeal::new("Robots", 100, "USD")).await.expect("create");
        let before = snapshot(&db.url).await;
        let with = |f: &dyn Fn(&mut NewDeal)| {
            let mut d = NewDeal::new("Robots", 100, "USD");
            f(&mut d);
            d
        };
        let cases: Vec<(NewDeal, &str)> = vec![
            (with(&|d| d.currency = "ZZZ".into()), "currency"),
            (with(&|d| d.currency = String::new()), "currency"),
            (with(&|d| d.amount_minor = -1), "amount_minor"),
            (with(&|d| d.title = " ".into()), "title"),
            (with(&|d| d.title = "t".repeat(201)), "title"),
            (with(&|d| d.contact_id = Some(foreign_contact.id)), "contact_id"),
            (with(&|d| d.assignee_id = Some(other.user_id())), "assignee_id"),
            (with(&|d| d.source_id = Some(flame_core::SourceId::new())), "source_id"),
            (with(&|d| d.pipeline_id = Some(flame_core::PipelineId::new())), "pipeline_id"),
        ];
        for (input, field) in cases {
            assert_invalid(s.deals().create(input).await, field);
        }
        assert_invalid(
            s.deals()
                .update(
                    deal.id,
                    deal.version,
                    DealPatch { amount_minor: Some(-5), ..DealPatch::default() },
                )
                .await,
            "amount_minor",
        );
        assert_conflict(s.deals().update(deal.id, deal.version + 1, DealPatch::default()).await);
        assert_not_found(s.deals().win(flame_core::DealId::new(), 1).await);
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        assert_eq!(s.deals().get(deal.id).await.expect("get"), deal);
        // Amounts too large to sum are refused rather than wrapped.
        assert!(flame_core::Money::parse("92233720368547758.08", "USD").is_err());
    }
}

#[tokio::test]
async fn lists_filter_and_summary_totals() {
    for db in TestDb::each().await {
        let signed = company(&db.flame, "Acme").await;
        let s = signed.session;
        let st = stages(&s).await;
        let sources = s.sources().list().await.expect("sources");
        let web = sources.iter().find(|x| x.name == "Website").expect("Website source");
        let member = s
            .members()
            .add(flame_core::company::NewMember {
                email: "m@acme.test".into(),
                name: "Mia".into(),
                role: flame_core::Role::Member,
            })
            .await
            .expect("member");
        for i in 0..7_i64 {
            let mut d = NewDeal::new(
                format!("Deal {i}"),
                100 * (i + 1),
                if i % 2 == 0 { "USD" } else { "EUR" },
            );
            if i < 3 {
                d.source_id = Some(web.id);
            }
            if i >= 5 {
                d.assignee_id = Some(member.user.id);
            }
            let deal = s.deals().create(d).await.expect("create");
            if i == 6 {
                s.deals().win(deal.id, deal.version).await.expect("win");
            } else if i >= 4 {
                s.deals()
                    .move_to_stage(deal.id, named(&st, "Qualified").id, deal.version)
                    .await
                    .expect("move");
            }
        }
        let count = |f: DealFilter| {
            let deals = s.deals();
            async move { deals.list(f, PageRequest::first(100)).await.expect("list").items.len() }
        };
        assert_eq!(count(DealFilter::default()).await, 7, "{}", db.name);
        assert_eq!(
            count(DealFilter {
                stage_id: Some(named(&st, "Qualified").id),
                ..DealFilter::default()
            })
            .await,
            2
        );
        assert_eq!(
            count(DealFilter { status: Some(DealStatus::Won), ..DealFilter::default() }).await,
            1
        );
        assert_eq!(count(DealFilter { source_id: Some(web.id), ..DealFilter::default() }).await, 3);
        assert_eq!(
            count(DealFilter { assignee_id: Some(member.user.id), ..DealFilter::default() }).await,
            2
        );
        assert_eq!(
            count(DealFilter {
                pipeline_id: Some(st[0].pipeline_id),
                status: Some(DealStatus::Open),
                ..DealFilter::default()
            })
            .await,
            6
        );

        let first =
            s.deals().list(DealFilter::default(), PageRequest::first(4)).await.expect("page 1");
        let second = s
            .deals()
            .list(
                DealFilter::default(),
                PageRequest::after(4, first.next_cursor.clone().expect("more")),
            )
            .await
            .expect("page 2");
        assert_eq!((first.items.len(), second.items.len(), second.next_cursor), (4, 3, None));

        let summary = s.pipelines().summary(st[0].pipeline_id).await.expect("summary");
        let line = |name: &str| summary.iter().find(|l| l.stage.name == name).expect("line");
        assert_eq!(line("New").deal_count, 4);
        let new_totals: Vec<String> = line("New").totals.iter().map(ToString::to_string).collect();
        assert_eq!(new_totals, ["6.00 EUR", "4.00 USD"], "{}", db.name);
        assert_eq!(line("Qualified").deal_count, 2);
        assert_eq!(
            line("Won").totals.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["7.00 USD"]
        );
        assert_eq!(line("Lost").deal_count, 0);
    }
}

#[tokio::test]
async fn pipelines_and_stages_are_managed_with_their_rules() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let (p, st) = s
            .pipelines()
            .create(NewPipeline {
                name: "Renewals".into(),
                stages: vec![
                    NewStage::new("Due", StageKind::Open),
                    NewStage::new("Renewed", StageKind::Won),
                    NewStage::new("Churned", StageKind::Lost),
                ],
            })
            .await
            .expect("create");
        assert!(!p.is_default);
        assert_conflict(
            s.pipelines()
                .create(NewPipeline { name: "renewals".into(), ..default_pipeline() })
                .await,
        );
        assert_invalid(
            s.pipelines()
                .create(NewPipeline {
                    name: "X".into(),
                    stages: vec![NewStage::new("A", StageKind::Open)],
                })
                .await,
            "stages",
        );
        let extra = s
            .pipelines()
            .add_stage(
                p.id,
                NewStage { name: "Talking".into(), kind: StageKind::Open, probability: Some(40) },
            )
            .await
            .expect("add stage");
        assert_eq!(extra.position, 3);
        assert_invalid(
            s.pipelines()
                .add_stage(
                    p.id,
                    NewStage { name: "T".into(), kind: StageKind::Open, probability: Some(101) },
                )
                .await,
            "probability",
        );
        let renamed = s
            .pipelines()
            .update_stage(
                extra.id,
                flame_core::pipeline::StagePatch {
                    name: Some("Negotiating".into()),
                    probability: Some(50),
                },
                extra.version,
            )
            .await
            .expect("update stage");
        assert_eq!((renamed.name.as_str(), renamed.probability), ("Negotiating", 50));
        assert_conflict(s.pipelines().remove_stage(st[1].id, st[1].version).await);
        let mut d = NewDeal::new("Renewal", 10, "USD");
        d.pipeline_id = Some(p.id);
        let deal = s.deals().create(d).await.expect("deal in pipeline");
        assert_eq!(deal.stage_id, st[0].id);
        assert_conflict(s.pipelines().delete(p.id, p.version).await);
        s.deals().delete(deal.id, deal.version).await.expect("delete deal");
        s.pipelines().remove_stage(renamed.id, renamed.version).await.expect("remove stage");
        let p2 = s.pipelines().rename(p.id, "Renewals 2027", p.version).await.expect("rename");
        assert_conflict(s.pipelines().rename(p.id, "Again", p.version).await);
        s.pipelines().delete(p.id, p2.version).await.expect("delete pipeline");
        assert_not_found(s.pipelines().get(p.id).await);
        let default = s.pipelines().default_pipeline().await.expect("default");
        assert_conflict(s.pipelines().delete(default.id, default.version).await);
        assert_eq!(s.pipelines().list().await.expect("list").len(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn a_failed_write_leaves_no_event_behind() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let events_before = flame_tests::count_rows(&db.url, "outbox").await;
        assert!(s.deals().create(NewDeal::new("X", 1, "NOPE")).await.is_err());
        assert_eq!(flame_tests::count_rows(&db.url, "outbox").await, events_before);
        let deal = s.deals().create(NewDeal::new("X", 1, "USD")).await.expect("create");
        let events = s.events().list(PageRequest::first(100)).await.expect("events");
        assert!(
            matches!(events.items.last().map(|e| &e.payload), Some(EventPayload::DealCreated { deal_id, .. }) if *deal_id == deal.id)
        );
    }
}

#[tokio::test]
async fn huge_amounts_are_refused_and_the_summary_keeps_working() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let st = stages(&s).await;
        // The attack: two deals whose sum overflows i64 used to break the summary.
        let before = snapshot(&db.url).await;
        assert_invalid(
            s.deals().create(NewDeal::new("Half", i64::MAX / 2 + 1, "USD")).await,
            "amount_minor",
        );
        assert_invalid(
            s.deals()
                .create(NewDeal::new("Over", flame_core::Money::MAX_AMOUNT_MINOR + 1, "USD"))
                .await,
            "amount_minor",
        );
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        // Exactly the maximum is accepted, twice, and the total is their exact sum.
        let max = flame_core::Money::MAX_AMOUNT_MINOR;
        let deal = s.deals().create(NewDeal::new("Max", max, "USD")).await.expect("max");
        s.deals().create(NewDeal::new("Max 2", max, "USD")).await.expect("max again");
        assert_invalid(
            s.deals()
                .update(
                    deal.id,
                    deal.version,
                    DealPatch { amount_minor: Some(max + 1), ..DealPatch::default() },
                )
                .await,
            "amount_minor",
        );
        let summary = s.pipelines().summary(st[0].pipeline_id).await.expect("summary");
        let first = summary.iter().find(|l| l.stage.id == deal.stage_id).expect("line");
        assert_eq!(first.deal_count, 2, "{}", db.name);
        assert_eq!(first.totals.len(), 1);
        assert_eq!(first.totals[0].amount_minor(), 2 * max, "{}", db.name);
        assert_eq!(first.totals[0].to_decimal_string(), "20000000000000.00");
    }
}

#[tokio::test]
async fn times_outside_years_1_to_9999_are_refused_and_lists_keep_working() {
    use flame_core::activity::{ActivityFilter, ActivityKind, ActivityPatch, NewActivity};
    use time::{Date, Month};
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s
            .contacts()
            .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let deal = s.deals().create(NewDeal::new("Robots", 100, "USD")).await.expect("deal");
        let task = s
            .activities()
            .create(NewActivity {
                kind: ActivityKind::Task,
                body: "Call".into(),
                due_at: Some(flame_core::clock::now()),
                ..NewActivity::note(c.id, "Call")
            })
            .await
            .expect("task");
        let before = snapshot(&db.url).await;
        for year in [0, -1, -9999] {
            let date = Date::from_calendar_date(year, Month::June, 1).expect("date");
            let at = date.midnight().assume_utc();
            let mut d = NewDeal::new("Old", 100, "USD");
            d.expected_close = Some(date);
            assert_invalid(s.deals().create(d).await, "expected_close");
            assert_invalid(
                s.deals()
                    .update(
                        deal.id,
                        deal.version,
                        DealPatch { expected_close: Some(date), ..DealPatch::default() },
                    )
                    .await,
                "expected_close",
            );
            let t = NewActivity {
                kind: ActivityKind::Task,
                due_at: Some(at),
                ..NewActivity::note(c.id, "Old task")
            };
            assert_invalid(s.activities().create(t).await, "due_at");
            let n = NewActivity { occurred_at: Some(at), ..NewActivity::note(c.id, "Old note") };
            assert_invalid(s.activities().create(n).await, "occurred_at");
            assert_invalid(
                s.activities()
                    .update(
                        task.id,
                        task.version,
                        ActivityPatch { due_at: Some(at), ..ActivityPatch::default() },
                    )
                    .await,
                "due_at",
            );
        }
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        let mut d = NewDeal::new("Edge", 100, "USD");
        d.expected_close = Some(Date::from_calendar_date(9999, Month::December, 31).expect("d"));
        s.deals().create(d).await.expect("year 9999 is allowed");
        let deals = s.deals().list(DealFilter::default(), PageRequest::first(100)).await;
        assert_eq!(deals.expect("deals list").items.len(), 2, "{}", db.name);
        let activities = s
            .activities()
            .list(ActivityFilter::default(), PageRequest::first(100))
            .await
            .expect("activities list");
        assert_eq!(activities.items.len(), 1, "{}", db.name);
    }
}
