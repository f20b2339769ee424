//! The permission table of `flame_core::auth`, row by row, through the storage API.

use flame_core::activity::NewActivity;
use flame_core::company::NewMember;
use flame_core::contact::{ContactPatch, NewContact};
use flame_core::deal::{DealPatch, NewDeal};
use flame_core::page::PageRequest;
use flame_core::pipeline::default_pipeline;
use flame_core::{FlameError, Role};
use flame_db::Session;
use flame_tests::{TestDb, assert_forbidden, company};

async fn member(owner: &Session, flame: &flame_db::Flame, role: Role) -> Session {
    let m = owner
        .members()
        .add(NewMember { email: format!("{role}@acme.test"), name: format!("The {role}"), role })
        .await
        .expect("add member");
    flame.session(m.user.id, owner.company_id()).await.expect("session")
}

fn contact() -> NewContact {
    NewContact { first_name: "Ada".into(), ..NewContact::default() }
}

#[tokio::test]
async fn viewer_reads_only() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        let viewer = member(&owner, &db.flame, Role::Viewer).await;
        let c = owner.contacts().create(contact()).await.expect("create");
        let d = owner.deals().create(NewDeal::new("D", 1, "USD")).await.expect("deal");
        assert_eq!(viewer.contacts().get(c.id).await.expect("read"), c);
        viewer.deals().list(Default::default(), PageRequest::default()).await.expect("list");
        viewer.pipelines().list().await.expect("pipelines");
        viewer.members().list(PageRequest::default()).await.expect("members");
        viewer.billing().subscription().await.expect("subscription");
        assert_forbidden(
            viewer
                .contacts()
                .create(NewContact { owner_id: Some(viewer.user_id()), ..contact() })
                .await,
        );
        assert_forbidden(viewer.contacts().update(c.id, c.version, ContactPatch::default()).await);
        assert_forbidden(viewer.contacts().delete(c.id, c.version).await);
        assert_forbidden(viewer.deals().win(d.id, d.version).await);
        assert_forbidden(viewer.activities().create(NewActivity::note(c.id, "x")).await);
        assert_forbidden(viewer.sources().create("Fair").await);
        assert_forbidden(viewer.events().list(PageRequest::default()).await);
        assert_eq!(owner.contacts().get(c.id).await.expect("unchanged"), c, "{}", db.name);
    }
}

#[tokio::test]
async fn member_edits_only_own_records() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        let m = member(&owner, &db.flame, Role::Member).await;
        let mine = m.contacts().create(contact()).await.expect("member creates own contact");
        assert_eq!(mine.owner_id, Some(m.user_id()));
        m.contacts()
            .update(
                mine.id,
                mine.version,
                ContactPatch { last_name: Some("L".into()), ..ContactPatch::default() },
            )
            .await
            .expect("edit own");
        let theirs = owner.contacts().create(contact()).await.expect("owner's contact");
        assert_forbidden(
            m.contacts().update(theirs.id, theirs.version, ContactPatch::default()).await,
        );
        assert_forbidden(m.contacts().delete(theirs.id, theirs.version).await);
        assert_forbidden(
            m.contacts().create(NewContact { owner_id: Some(owner.user_id()), ..contact() }).await,
        );
        let my_deal = m.deals().create(NewDeal::new("Mine", 5, "USD")).await.expect("own deal");
        m.deals().win(my_deal.id, my_deal.version).await.expect("win own deal");
        let their_deal =
            owner.deals().create(NewDeal::new("Theirs", 5, "USD")).await.expect("deal");
        assert_forbidden(m.deals().win(their_deal.id, their_deal.version).await);
        assert_forbidden(
            m.deals()
                .update(
                    their_deal.id,
                    their_deal.version,
                    DealPatch { assignee_id: Some(m.user_id()), ..DealPatch::default() },
                )
                .await,
        );
        // Handing one's own deal to someone else is not allowed either.
        let d2 = m.deals().create(NewDeal::new("Mine too", 5, "USD")).await.expect("deal");
        assert_forbidden(
            m.deals()
                .update(
                    d2.id,
                    d2.version,
                    DealPatch { assignee_id: Some(owner.user_id()), ..DealPatch::default() },
                )
                .await,
        );
        assert_forbidden(m.pipelines().create(default_pipeline()).await);
        assert_forbidden(
            m.members()
                .add(NewMember { email: "x@y.io".into(), name: "X".into(), role: Role::Viewer })
                .await,
        );
    }
}

#[tokio::test]
async fn manager_edits_everything_but_configuration() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        let manager = member(&owner, &db.flame, Role::Manager).await;
        let theirs = owner.contacts().create(contact()).await.expect("contact");
        manager
            .contacts()
            .update(
                theirs.id,
                theirs.version,
                ContactPatch { last_name: Some("Org".into()), ..ContactPatch::default() },
            )
            .await
            .expect("manager edits any contact");
        let deal = owner.deals().create(NewDeal::new("D", 5, "USD")).await.expect("deal");
        manager
            .deals()
            .lose(deal.id, "No budget", deal.version)
            .await
            .expect("manager closes any deal");
        assert_forbidden(manager.pipelines().create(default_pipeline()).await);
        assert_forbidden(manager.sources().create("Fair").await);
        assert_forbidden(
            manager
                .members()
                .add(NewMember { email: "x@y.io".into(), name: "X".into(), role: Role::Viewer })
                .await,
        );
        assert_forbidden(manager.company().rename("Mine", 1).await);
    }
}

#[tokio::test]
async fn admin_configures_but_owner_alone_deletes_the_company() {
    for db in TestDb::each().await {
        let signed = company(&db.flame, "Acme").await;
        let owner = signed.session;
        let admin = member(&owner, &db.flame, Role::Admin).await;
        admin
            .pipelines()
            .create(flame_core::pipeline::NewPipeline {
                name: "Second".into(),
                ..default_pipeline()
            })
            .await
            .expect("admin adds pipeline");
        admin.sources().create("Trade fair").await.expect("admin adds source");
        admin
            .members()
            .add(NewMember { email: "v@acme.test".into(), name: "V".into(), role: Role::Viewer })
            .await
            .expect("admin adds member");
        assert_forbidden(
            admin
                .members()
                .add(NewMember { email: "o@acme.test".into(), name: "O".into(), role: Role::Owner })
                .await,
        );
        let company = admin
            .company()
            .rename("Acme Corp", signed.company.version)
            .await
            .expect("admin renames");
        assert_forbidden(admin.company().delete(company.version).await);
        assert_eq!(owner.company().get().await.expect("get").name, "Acme Corp");
        // The last owner cannot be demoted.
        let me = owner.members().get(owner.user_id()).await.expect("me");
        assert!(matches!(
            owner.members().change_role(owner.user_id(), Role::Admin, me.membership.version).await,
            Err(FlameError::Conflict { .. })
        ));
        owner.company().delete(company.version).await.expect("owner deletes");
        assert!(matches!(
            db.flame.session(owner.user_id(), owner.company_id()).await,
            Err(FlameError::Unauthenticated { .. })
        ));
        assert_eq!(flame_tests::count_rows(&db.url, "deals").await, 0, "{}", db.name);
    }
}

#[tokio::test]
async fn an_admin_cannot_add_an_existing_user_without_their_consent() {
    use secrecy::ExposeSecret;
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let evil = company(&db.flame, "Evil").await;
        let before = flame_tests::snapshot(&db.url).await;
        let taken = evil
            .session
            .members()
            .add(NewMember {
                email: "owner@acme.test".into(),
                name: "Olga".into(),
                role: Role::Admin,
            })
            .await;
        match taken {
            Err(FlameError::Conflict { entity, reason }) => {
                assert_eq!(entity, "email", "{}", db.name);
                assert!(reason.contains("invite"), "{reason}");
            }
            other => panic!("{}: expected a Conflict on email, got {other:?}", db.name),
        }
        assert_eq!(flame_tests::snapshot(&db.url).await, before, "{}: nothing stored", db.name);
        let companies = acme.session.account().companies().await.expect("companies");
        assert_eq!(companies.len(), 1, "{}: Olga is still only in Acme", db.name);

        // Invited, she joins from her own session, with the role offered.
        let invite = evil
            .session
            .invitations()
            .create(flame_core::account::NewInvitation {
                email: "owner@acme.test".into(),
                role: Role::Admin,
                valid_days: None,
            })
            .await
            .expect("invite");
        let joined = acme
            .session
            .account()
            .accept_invitation(invite.token.expose_secret())
            .await
            .expect("accepted from her own session");
        assert_eq!((joined.company_id(), joined.role()), (evil.company.id, Role::Admin));
        // A new email is still added directly.
        let new =
            NewMember { email: "new@evil.test".into(), name: "New".into(), role: Role::Member };
        evil.session.members().add(new).await.expect("a new user");
    }
}
