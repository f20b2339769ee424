//! Account takeover through invitations and sign-up: an unauthenticated call never yields a
//! session of an existing user, never sets their password, and an invitation is only as good
//! as its inviter's standing.

use secrecy::ExposeSecret;

use flame_core::account::{AcceptInvitation, INVITATION_REFUSED, Login, NewInvitation};
use flame_core::company::{NewMember, SignUp};
use flame_core::{FlameError, Role};
use flame_db::Session;
use flame_tests::{
    PASSWORD, TestDb, assert_conflict, company, count_rows, snapshot, unlimited_plan,
};

const EVIL_PASSWORD: &str = "evil horse battery staple";

fn login(email: &str, password: &str) -> Login {
    Login { email: email.into(), password: password.into(), company_id: None }
}

fn accept(token: &str, password: Option<&str>) -> AcceptInvitation {
    AcceptInvitation {
        token: token.to_owned(),
        name: Some("Mallory".into()),
        password: password.map(str::to_owned),
    }
}

async fn invite(session: &Session, email: &str, role: Role) -> String {
    session
        .invitations()
        .create(NewInvitation { email: email.into(), role, valid_days: None })
        .await
        .expect("invite")
        .token
        .expose_secret()
        .to_owned()
}

fn refused() -> FlameError {
    FlameError::unauthenticated(INVITATION_REFUSED)
}

#[tokio::test]
async fn an_invitation_to_an_existing_email_never_signs_in_as_that_user() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let evil = company(&db.flame, "Evil").await;
        // A user the host added without a password.
        let quiet = acme
            .session
            .members()
            .add(NewMember {
                email: "quiet@acme.test".into(),
                name: "Q".into(),
                role: Role::Member,
            })
            .await
            .expect("add");
        let victim_token = invite(&evil.session, "owner@acme.test", Role::Owner).await;
        let quiet_token = invite(&evil.session, "quiet@acme.test", Role::Member).await;
        let before = snapshot(&db.url).await;

        let unknown = db
            .flame
            .accept_invitation(accept(&format!("flame_inv_{}", "0".repeat(64)), None))
            .await;
        assert_eq!(unknown.expect_err("unknown"), refused(), "{}", db.name);
        for (token, password) in [
            (&victim_token, None),
            (&victim_token, Some(EVIL_PASSWORD)),
            (&quiet_token, None),
            (&quiet_token, Some(EVIL_PASSWORD)),
        ] {
            let taken = db.flame.accept_invitation(accept(token, password)).await;
            assert_eq!(taken.expect_err("an existing email is refused"), refused(), "{}", db.name);
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        // No password was set for anyone; the owner's own still works.
        assert!(db.flame.login(login("quiet@acme.test", EVIL_PASSWORD)).await.is_err());
        assert!(db.flame.login(login("owner@acme.test", EVIL_PASSWORD)).await.is_err());
        db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("own password");

        // Only the invitee's own session accepts, and only invitations sent to them.
        let quiet_session = db.flame.session(quiet.user.id, acme.company.id).await.expect("host");
        assert!(matches!(
            quiet_session.account().accept_invitation(&victim_token).await,
            Err(FlameError::Forbidden { .. })
        ));
        let joined = acme.session.account().accept_invitation(&victim_token).await.expect("join");
        assert_eq!((joined.company_id(), joined.role()), (evil.company.id, Role::Owner));
        assert_eq!(joined.user_id(), acme.owner.id);
        assert_eq!(
            acme.session.account().accept_invitation(&victim_token).await.expect_err("once"),
            refused()
        );
        let companies = acme.session.account().companies().await.expect("companies");
        assert_eq!(companies.len(), 2, "{}", db.name);
    }
}

#[tokio::test]
async fn sign_up_with_an_existing_email_is_a_conflict_and_changes_nothing() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let before = snapshot(&db.url).await;
        for password in [None, Some(EVIL_PASSWORD.to_owned())] {
            let again = db
                .flame
                .sign_up(SignUp {
                    company_name: "Evil".into(),
                    owner_email: " OWNER@acme.test".into(),
                    owner_name: "Mallory".into(),
                    password,
                })
                .await;
            assert!(
                matches!(&again, Err(FlameError::Conflict { entity, .. }) if entity == "owner_email"),
                "{again:?}"
            );
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert!(db.flame.login(login("owner@acme.test", EVIL_PASSWORD)).await.is_err());

        // The owner creates a second company from their own session.
        let second = acme.session.account().create_company(" Acme Two ").await.expect("create");
        assert_eq!(second.company.name, "Acme Two");
        assert_eq!(second.owner.id, acme.owner.id);
        assert_eq!(
            (second.session.company_id(), second.session.role()),
            (second.company.id, Role::Owner)
        );
        second.session.pipelines().list().await.expect("its default pipeline");
        assert_eq!(count_rows(&db.url, "companies").await, 2);
        assert!(matches!(
            acme.session.account().create_company(" ").await,
            Err(FlameError::Validation { field, .. }) if field == "name"
        ));
    }
}

#[tokio::test]
async fn an_invitation_dies_with_its_inviters_right_to_grant_its_role() {
    for db in TestDb::each().await {
        unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let members = acme.session.members();
        let mut admins = Vec::new();
        for name in ["removed", "demoted", "deactivated", "co-owner"] {
            let role = if name == "co-owner" { Role::Owner } else { Role::Admin };
            let m = members
                .add(NewMember { email: format!("{name}@acme.test"), name: name.into(), role })
                .await
                .expect("add");
            let session = db.flame.session(m.user.id, acme.company.id).await.expect("host");
            admins.push((m, session));
        }
        let mut tokens = Vec::new();
        for (i, (_, session)) in admins.iter().enumerate() {
            let role = if i == 3 { Role::Owner } else { Role::Member };
            tokens.push(invite(session, &format!("new{i}@acme.test"), role).await);
        }
        members.remove(admins[0].0.user.id).await.expect("remove");
        let demoted = &admins[1].0;
        members
            .change_role(demoted.user.id, Role::Manager, demoted.membership.version)
            .await
            .expect("demote");
        db.flame.set_platform_admin(acme.owner.id, true).await.expect("platform admin");
        acme.session.platform().deactivate_user(admins[2].0.user.id).await.expect("deactivate");
        let owner = &admins[3].0;
        members
            .change_role(owner.user.id, Role::Admin, owner.membership.version)
            .await
            .expect("demote owner");

        let before = snapshot(&db.url).await;
        for token in &tokens {
            let taken = db.flame.accept_invitation(accept(token, Some(EVIL_PASSWORD))).await;
            assert_eq!(taken.expect_err("refused"), refused(), "{}", db.name);
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);

        // An invitation from someone still allowed is accepted.
        let fine = invite(&acme.session, "new9@acme.test", Role::Owner).await;
        let joined = db.flame.accept_invitation(accept(&fine, Some(EVIL_PASSWORD))).await;
        assert_eq!(joined.expect("accept").role(), Role::Owner);
        assert_conflict(
            db.flame
                .sign_up(SignUp {
                    company_name: "X".into(),
                    owner_email: "new9@acme.test".into(),
                    owner_name: "X".into(),
                    password: None,
                })
                .await,
        );
    }
}
