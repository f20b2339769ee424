//! Tenant isolation: a session of company B can neither read, list, update nor delete any
//! record of company A. Each attempt answers `NotFound` (the same as a missing record), and
//! A's data stays exactly as it was.

use flame_core::activity::{ActivityFilter, ActivityPatch, NewActivity};
use flame_core::contact::{ContactFilter, ContactPatch, NewContact};
use flame_core::deal::{DealFilter, DealPatch, NewDeal};
use flame_core::page::PageRequest;
use flame_core::pipeline::{NewStage, StageKind, StagePatch};
use flame_core::{FlameError, Role};
use flame_tests::{TestDb, assert_not_found, company, snapshot};

#[tokio::test]
async fn another_companys_records_are_not_found() {
    for db in TestDb::each().await {
        let a = company(&db.flame, "Acme").await.session;
        let b = company(&db.flame, "Globex").await.session;
        let contact = a
            .contacts()
            .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let mut d = NewDeal::new("Robots", 100, "USD");
        d.contact_id = Some(contact.id);
        let deal = a.deals().create(d).await.expect("deal");
        let note = a
            .activities()
            .create(NewActivity::note(contact.id, "Met at the fair"))
            .await
            .expect("note");
        let pipeline = a.pipelines().default_pipeline().await.expect("pipeline");
        let stage = a.pipelines().stages(pipeline.id).await.expect("stages").remove(1);
        let source = a.sources().list().await.expect("sources").remove(0);
        let before = snapshot(&db.url).await;

        assert_not_found(b.contacts().get(contact.id).await);
        assert_not_found(
            b.contacts()
                .update(
                    contact.id,
                    contact.version,
                    ContactPatch { first_name: Some("Eve".into()), ..ContactPatch::default() },
                )
                .await,
        );
        assert_not_found(b.contacts().delete(contact.id, contact.version).await);
        assert_not_found(b.deals().get(deal.id).await);
        assert_not_found(b.deals().update(deal.id, deal.version, DealPatch::default()).await);
        assert_not_found(b.deals().win(deal.id, deal.version).await);
        assert_not_found(b.deals().lose(deal.id, "x", deal.version).await);
        assert_not_found(b.deals().reopen(deal.id, stage.id, deal.version).await);
        assert_not_found(b.deals().move_to_stage(deal.id, stage.id, deal.version).await);
        assert_not_found(b.deals().delete(deal.id, deal.version).await);
        assert_not_found(b.activities().get(note.id).await);
        assert_not_found(
            b.activities().update(note.id, note.version, ActivityPatch::default()).await,
        );
        assert_not_found(b.activities().delete(note.id, note.version).await);
        assert_not_found(b.pipelines().get(pipeline.id).await);
        assert_not_found(b.pipelines().stages(pipeline.id).await);
        assert_not_found(b.pipelines().stage(stage.id).await);
        assert_not_found(b.pipelines().rename(pipeline.id, "Mine", pipeline.version).await);
        assert_not_found(b.pipelines().delete(pipeline.id, pipeline.version).await);
        assert_not_found(
            b.pipelines().add_stage(pipeline.id, NewStage::new("Mine", StageKind::Open)).await,
        );
        assert_not_found(
            b.pipelines().update_stage(stage.id, StagePatch::default(), stage.version).await,
        );
        assert_not_found(b.pipelines().remove_stage(stage.id, stage.version).await);
        assert_not_found(b.pipelines().summary(pipeline.id).await);
        assert_not_found(b.sources().get(source.id).await);
        assert_not_found(b.sources().rename(source.id, "Mine", source.version).await);
        assert_not_found(b.sources().delete(source.id, source.version).await);
        assert_not_found(b.members().get(a.user_id()).await);
        assert_not_found(b.members().change_role(a.user_id(), Role::Viewer, 1).await);
        assert_not_found(b.members().remove(a.user_id()).await);

        // Lists show nothing of A.
        let contacts = b
            .contacts()
            .list(ContactFilter::default(), PageRequest::default())
            .await
            .expect("list");
        assert!(contacts.items.is_empty(), "{}", db.name);
        let deals = b
            .deals()
            .list(
                DealFilter { pipeline_id: Some(pipeline.id), ..DealFilter::default() },
                PageRequest::default(),
            )
            .await
            .expect("list");
        assert!(deals.items.is_empty());
        let notes = b
            .activities()
            .list(
                ActivityFilter { contact_id: Some(contact.id), ..ActivityFilter::default() },
                PageRequest::default(),
            )
            .await
            .expect("list");
        assert!(notes.items.is_empty());
        assert!(
            b.events()
                .list(PageRequest::first(500))
                .await
                .expect("events")
                .items
                .iter()
                .all(|e| e.company_id == b.company_id())
        );
        let b_members = b.members().list(PageRequest::default()).await.expect("members");
        assert_eq!(b_members.items.len(), 1);

        // References into A are refused as input, too.
        let mut foreign = NewDeal::new("Steal", 1, "USD");
        foreign.contact_id = Some(contact.id);
        assert!(matches!(b.deals().create(foreign).await, Err(FlameError::Validation { .. })));
        assert!(matches!(
            b.activities().create(NewActivity::note(contact.id, "x")).await,
            Err(FlameError::Validation { .. })
        ));

        assert_eq!(snapshot(&db.url).await, before, "{}: nothing changed", db.name);
        assert_eq!(a.contacts().get(contact.id).await.expect("get"), contact);
        assert_eq!(a.deals().get(deal.id).await.expect("get"), deal);
    }
}

#[tokio::test]
async fn one_user_in_two_companies_sees_each_separately() {
    for db in TestDb::each().await {
        let a = company(&db.flame, "Acme").await;
        let b = company(&db.flame, "Globex").await;
        flame_tests::join(&b.session, &a.session, Role::Viewer).await;
        let in_b = db.flame.session(a.owner.id, b.company.id).await.expect("session in B");
        assert_eq!(in_b.role(), Role::Viewer);
        a.session
            .contacts()
            .create(NewContact { first_name: "Only in A".into(), ..NewContact::default() })
            .await
            .expect("create");
        let seen = in_b
            .contacts()
            .list(ContactFilter::default(), PageRequest::default())
            .await
            .expect("list");
        assert!(seen.items.is_empty(), "{}", db.name);
    }
}
