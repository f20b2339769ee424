//! Accounts: password login and lockout, stored sessions and their tokens, API tokens and
//! scopes, memberships across companies, invitations, ownership and platform administration.

use std::time::Duration;

use secrecy::ExposeSecret;

use flame_core::account::{
    AcceptInvitation, LOGIN_REFUSED, LockoutPolicy, Login, NewApiToken, NewInvitation,
};
use flame_core::company::NewMember;
use flame_core::contact::NewContact;
use flame_core::page::PageRequest;
use flame_core::{FlameError, Role, Scope};
use flame_db::{Flame, OpenOptions};
use flame_tests::{
    PASSWORD, TestDb, assert_conflict, assert_forbidden, assert_invalid, assert_unauthenticated,
    company, count_rows, exec_raw, snapshot,
};

fn login(email: &str, password: &str) -> Login {
    Login { email: email.into(), password: password.into(), company_id: None }
}

fn contact(name: &str) -> NewContact {
    NewContact { first_name: name.into(), ..NewContact::default() }
}

/// A second handle on the same database, with other options.
async fn reopen(db: &TestDb, options: OpenOptions) -> Flame {
    Flame::open(&db.url, options).await.expect("reopen")
}

#[tokio::test]
async fn login_succeeds_and_every_failure_gives_the_same_answer() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let session = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        assert_eq!((session.user_id(), session.company_id()), (acme.owner.id, acme.company.id));
        assert_eq!(session.role(), Role::Owner);
        session.contacts().create(contact("Ada")).await.expect("the session works");

        // A member added by the host has no password: password login is refused.
        acme.session
            .members()
            .add(NewMember {
                email: "nopass@acme.test".into(),
                name: "N".into(),
                role: Role::Member,
            })
            .await
            .expect("member");
        for (email, password) in [
            ("owner@acme.test", "wrong horse battery"),
            ("nobody@acme.test", PASSWORD),
            ("nopass@acme.test", PASSWORD),
            ("OWNER@acme.test", ""),
        ] {
            let err = db.flame.login(login(email, password)).await.expect_err(email);
            assert_eq!(err, FlameError::unauthenticated(LOGIN_REFUSED), "{} {email}", db.name);
        }
        assert_invalid(db.flame.login(login("not an email", PASSWORD)).await, "email");
        // Emails are normalized: the login is case-insensitive.
        db.flame.login(login(" Owner@ACME.test ", PASSWORD)).await.expect("normalized email");
    }
}

/// The stored password hash of `email`, read directly.
async fn stored_hash(url: &str, email: &str) -> String {
    use sqlx::Connection;
    let sql = "SELECT password_hash FROM users WHERE email = $1";
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql).bind(email).fetch_one(&mut conn).await.expect("hash")
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql).bind(email).fetch_one(&mut conn).await.expect("hash")
    }
}

#[tokio::test]
async fn hashes_made_with_old_costs_are_replaced_at_the_next_login() {
    for db in TestDb::each().await {
        let cheap =
            flame_core::password::PasswordHasher::with_costs(8 * 1024, 1, 1).expect("costs");
        let old =
            reopen(&db, OpenOptions { password_hasher: cheap, ..OpenOptions::default() }).await;
        company(&old, "Acme").await;
        let before = stored_hash(&db.url, "owner@acme.test").await;
        assert!(before.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"), "{before}");
        assert!(!before.contains(PASSWORD));
        db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login with the old hash");
        let after = stored_hash(&db.url, "owner@acme.test").await;
        assert!(after.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{after}");
        db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login with the new hash");
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_email_until_the_lockout_ends() {
    for db in TestDb::each().await {
        company(&db.flame, "Acme").await;
        let lockout = LockoutPolicy {
            max_failures: 3,
            base_lockout: time::Duration::seconds(1),
            max_lockout: time::Duration::seconds(1),
        };
        let flame = reopen(&db, OpenOptions { lockout, ..OpenOptions::default() }).await;
        for _ in 0..3 {
            assert_unauthenticated(
                flame.login(login("owner@acme.test", "wrong horse battery")).await,
            );
        }
        // Locked: even the right password is refused, with the same answer.
        let err = flame.login(login("owner@acme.test", PASSWORD)).await.expect_err("locked");
        assert_eq!(err, FlameError::unauthenticated(LOGIN_REFUSED));
        // The lock is in the database: another handle (another process) sees it.
        assert_unauthenticated(db.flame.login(login("owner@acme.test", PASSWORD)).await);
        // Unknown emails lock the same way, so locking reveals nothing.
        for _ in 0..3 {
            assert_unauthenticated(flame.login(login("ghost@acme.test", PASSWORD)).await);
        }
        assert_eq!(count_rows(&db.url, "login_throttle").await, 2);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        flame.login(login("owner@acme.test", PASSWORD)).await.expect("the lockout has ended");
        assert_eq!(count_rows(&db.url, "login_throttle").await, 1, "a success resets the count");
    }
}

#[tokio::test]
async fn session_tokens_resume_and_revocation_takes_effect_at_once() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let laptop = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        let phone = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        let token = laptop.token().expect("a login session has a token").expose_secret().to_owned();
        let resumed = db.flame.authenticate(&token).await.expect("resume by token");
        assert_eq!(resumed.user_id(), acme.owner.id);
        resumed.pipelines().list().await.expect("works");

        laptop.logout().await.expect("logout");
        assert_unauthenticated(db.flame.authenticate(&token).await);
        assert_unauthenticated(laptop.pipelines().list().await);
        assert_unauthenticated(resumed.contacts().create(contact("Ada")).await);
        phone.pipelines().list().await.expect("other sessions stay");

        // A revocation made through another handle (another process) reaches writes at once.
        let other = reopen(&db, OpenOptions::default()).await;
        let remote = other
            .authenticate(phone.token().expect("token").expose_secret())
            .await
            .expect("resume");
        remote.account().logout_everywhere(false).await.expect("logout everywhere");
        assert_unauthenticated(phone.contacts().create(contact("Ada")).await);
        assert_unauthenticated(acme.session.contacts().create(contact("Ada")).await);
        assert_eq!(count_rows(&db.url, "contacts").await, 0);

        for bad in
            ["", "flame_ses_nothex", "flame_inv_0000", &token.replace("flame_ses_", "flame_api_")]
        {
            assert_unauthenticated(db.flame.authenticate(bad).await);
        }
        let err = db.flame.authenticate("flame_ses_deadbeef").await.expect_err("malformed");
        assert!(!err.to_string().contains("deadbeef"), "tokens are never echoed: {err}");
    }
}

#[tokio::test]
async fn expired_sessions_are_unauthenticated() {
    for db in TestDb::each().await {
        company(&db.flame, "Acme").await;
        let short = reopen(
            &db,
            OpenOptions { session_ttl: Duration::from_millis(300), ..OpenOptions::default() },
        )
        .await;
        let session = short.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        let token = session.token().expect("token").expose_secret().to_owned();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_unauthenticated(session.pipelines().list().await);
        assert_unauthenticated(short.authenticate(&token).await);
    }
}

#[tokio::test]
async fn changing_the_password_revokes_the_other_sessions() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let here = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        let there = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        let new = "a much better passphrase";
        assert_unauthenticated(
            here.account().change_password("wrong horse battery", new, false).await,
        );
        // A wrong current password counts as a failed login of the email, and changes
        // nothing else.
        assert_eq!(count_rows(&db.url, "login_throttle").await, 1, "{}", db.name);
        let before = snapshot(&db.url).await;
        assert_invalid(
            here.account().change_password(PASSWORD, "short", false).await,
            "new_password",
        );
        assert_invalid(
            here.account().change_password(PASSWORD, "owner@acme.test", false).await,
            "new_password",
        );
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);

        here.account().change_password(PASSWORD, new, false).await.expect("changed");
        assert_eq!(count_rows(&db.url, "login_throttle").await, 0, "{}", db.name);
        here.pipelines().list().await.expect("this session stays");
        assert_unauthenticated(there.pipelines().list().await);
        assert_unauthenticated(acme.session.pipelines().list().await);
        assert_unauthenticated(db.flame.login(login("owner@acme.test", PASSWORD)).await);
        db.flame.login(login("owner@acme.test", new)).await.expect("the new password works");

        // The host's reset flow sets a password and revokes every session.
        db.flame.set_password(acme.owner.id, "reset by the host 42").await.expect("reset");
        assert_unauthenticated(here.pipelines().list().await);
        db.flame.login(login("owner@acme.test", "reset by the host 42")).await.expect("login");
    }
}

#[tokio::test]
async fn api_tokens_act_within_their_scope_until_revoked_or_expired() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let tokens = acme.session.api_tokens();
        let before = snapshot(&db.url).await;
        assert_invalid(
            tokens
                .create(NewApiToken { name: " ".into(), scope: Scope::ReadOnly, expires_at: None })
                .await,
            "name",
        );
        let past = Some(flame_core::clock::now() - time::Duration::minutes(1));
        assert_invalid(
            tokens
                .create(NewApiToken { name: "ci".into(), scope: Scope::ReadOnly, expires_at: past })
                .await,
            "expires_at",
        );
        assert_eq!(snapshot(&db.url).await, before);

        let reader = tokens
            .create(NewApiToken {
                name: "reports".into(),
                scope: Scope::ReadOnly,
                expires_at: None,
            })
            .await
            .expect("token");
        let secret = reader.secret.expose_secret().to_owned();
        assert!(secret.starts_with("flame_api_"));
        let as_reader = db.flame.authenticate(&secret).await.expect("token session");
        assert!(as_reader.token().is_none());
        as_reader.contacts().list(Default::default(), PageRequest::default()).await.expect("reads");
        let refused = as_reader.contacts().create(contact("Ada")).await;
        assert_eq!(
            refused.expect_err("read-only"),
            FlameError::forbidden("create contact with a read-only API token")
        );

        let writer = tokens
            .create(NewApiToken { name: "sync".into(), scope: Scope::ReadWrite, expires_at: None })
            .await
            .expect("token");
        let as_writer =
            db.flame.authenticate(writer.secret.expose_secret()).await.expect("session");
        as_writer.contacts().create(contact("Ada")).await.expect("read-write writes");
        // A token cannot mint tokens or touch the account.
        assert_forbidden(
            as_writer
                .api_tokens()
                .create(NewApiToken { name: "x".into(), scope: Scope::ReadWrite, expires_at: None })
                .await,
        );
        assert_forbidden(
            as_writer.account().change_password(PASSWORD, "whatever it takes 1", false).await,
        );

        let listed = tokens.list().await.expect("list");
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|t| t.last_used_at.is_some()), "authenticating records use");

        tokens.revoke(writer.token.id).await.expect("revoke");
        assert_unauthenticated(as_writer.contacts().create(contact("Bob")).await);
        assert_unauthenticated(db.flame.authenticate(writer.secret.expose_secret()).await);
        assert_eq!(count_rows(&db.url, "contacts").await, 1);

        let soon = Some(flame_core::clock::now() + time::Duration::milliseconds(500));
        let brief = tokens
            .create(NewApiToken { name: "brief".into(), scope: Scope::ReadOnly, expires_at: soon })
            .await
            .expect("token");
        db.flame.authenticate(brief.secret.expose_secret()).await.expect("valid for now");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_unauthenticated(db.flame.authenticate(brief.secret.expose_secret()).await);

        // Another user's token is not theirs to revoke.
        let other = company(&db.flame, "Globex").await;
        flame_tests::assert_not_found(other.session.api_tokens().revoke(reader.token.id).await);
        db.flame.authenticate(&secret).await.expect("still valid");
    }
}

#[tokio::test]
async fn one_user_in_several_companies_with_a_role_in_each() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        // An existing user joins from their own session.
        flame_tests::join(&globex.session, &acme.session, Role::Viewer).await;
        assert_invalid(db.flame.login(login("owner@acme.test", PASSWORD)).await, "company_id");
        let in_globex = db
            .flame
            .login(Login {
                company_id: Some(globex.company.id),
                ..login("owner@acme.test", PASSWORD)
            })
            .await
            .expect("login in globex");
        assert_eq!(in_globex.role(), Role::Viewer);
        assert_forbidden(in_globex.contacts().create(contact("Ada")).await);
        let companies = in_globex.account().companies().await.expect("companies");
        let roles: Vec<_> = companies.iter().map(|c| (c.company_name.as_str(), c.role)).collect();
        assert_eq!(roles, [("Acme", Role::Owner), ("Globex", Role::Viewer)]);
        let in_acme = in_globex.account().switch_company(acme.company.id).await.expect("switch");
        assert_eq!(in_acme.role(), Role::Owner);
        in_acme.contacts().create(contact("Ada")).await.expect("owner in acme");
    }
}

#[tokio::test]
async fn a_company_always_keeps_an_owner_and_ownership_can_be_handed_over() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let members = acme.session.members();
        let owner = members.get(acme.owner.id).await.expect("owner");
        assert_conflict(
            members.change_role(acme.owner.id, Role::Admin, owner.membership.version).await,
        );
        assert_conflict(members.leave().await);
        let admin = members
            .add(NewMember { email: "admin@acme.test".into(), name: "A".into(), role: Role::Admin })
            .await
            .expect("admin");
        let admin_session =
            db.flame.session(admin.user.id, acme.company.id).await.expect("session");
        assert_forbidden(admin_session.members().transfer_ownership(admin.user.id).await);
        assert_forbidden(admin_session.members().remove(acme.owner.id).await);

        let new_owner = members.transfer_ownership(admin.user.id).await.expect("transfer");
        assert_eq!(new_owner.membership.role, Role::Owner);
        // The session sees its own demotion at once.
        assert_eq!(
            members.get(acme.owner.id).await.expect("old owner").membership.role,
            Role::Admin
        );
        assert_forbidden(acme.session.billing().cancel(1).await);
        assert_eq!(
            admin_session.members().get(admin.user.id).await.expect("me").membership.role,
            Role::Owner
        );
        acme.session.members().leave().await.expect("the former owner may leave now");
        assert_unauthenticated(acme.session.pipelines().list().await);
        assert_conflict(admin_session.members().leave().await);
    }
}

#[tokio::test]
async fn invitations_are_accepted_once_before_they_expire() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let invitations = acme.session.invitations();
        let before = snapshot(&db.url).await;
        assert_invalid(
            invitations
                .create(NewInvitation {
                    email: "nope".into(),
                    role: Role::Member,
                    valid_days: None,
                })
                .await,
            "email",
        );
        assert_invalid(
            invitations
                .create(NewInvitation {
                    email: "a@b.io".into(),
                    role: Role::Member,
                    valid_days: Some(0),
                })
                .await,
            "valid_days",
        );
        assert_conflict(
            invitations
                .create(NewInvitation {
                    email: "owner@acme.test".into(),
                    role: Role::Member,
                    valid_days: None,
                })
                .await,
        );
        assert_eq!(snapshot(&db.url).await, before);

        let sent = invitations
            .create(NewInvitation {
                email: "new@acme.test".into(),
                role: Role::Manager,
                valid_days: None,
            })
            .await
            .expect("invite");
        assert_eq!(invitations.list_open().await.expect("open").len(), 1);
        let token = sent.token.expose_secret().to_owned();
        let accept = |password: Option<&str>| AcceptInvitation {
            token: token.clone(),
            name: Some("Nina New".into()),
            password: password.map(str::to_owned),
        };
        assert_invalid(db.flame.accept_invitation(accept(Some("short"))).await, "password");
        let session =
            db.flame.accept_invitation(accept(Some("nina's own password"))).await.expect("accept");
        assert_eq!(session.role(), Role::Manager);
        session.contacts().create(contact("Ada")).await.expect("a manager writes");
        assert_unauthenticated(db.flame.accept_invitation(accept(None)).await);
        // The invitation went through the inviter: it proves nothing about the address, so
        // the new user logs in once they verified it.
        flame_tests::verify(&db.flame, session.user_id()).await;
        db.flame.login(login("new@acme.test", "nina's own password")).await.expect("login");
        assert!(invitations.list_open().await.expect("open").is_empty());

        // Revoked and expired invitations cannot be accepted.
        let revoked = invitations
            .create(NewInvitation {
                email: "r@acme.test".into(),
                role: Role::Viewer,
                valid_days: Some(1),
            })
            .await
            .expect("invite");
        invitations.revoke(revoked.invitation.id).await.expect("revoke");
        let take = |t: &secrecy::SecretString| AcceptInvitation {
            token: t.expose_secret().to_owned(),
            name: Some("R".into()),
            password: None,
        };
        assert_unauthenticated(db.flame.accept_invitation(take(&revoked.token)).await);
        let stale = invitations
            .create(NewInvitation {
                email: "s@acme.test".into(),
                role: Role::Viewer,
                valid_days: Some(1),
            })
            .await
            .expect("invite");
        let past = if db.name == "sqlite" {
            "'2000-01-01T00:00:00.000000Z'"
        } else {
            "'2000-01-01T00:00:00Z'"
        };
        exec_raw(
            &db.url,
            &format!("UPDATE invitations SET expires_at = {past} WHERE email = 's@acme.test'"),
        )
        .await;
        assert_unauthenticated(db.flame.accept_invitation(take(&stale.token)).await);
        assert_eq!(count_rows(&db.url, "memberships").await, 2, "{}", db.name);

        // Only owners invite owners.
        assert_forbidden(
            session
                .invitations()
                .create(NewInvitation {
                    email: "x@acme.test".into(),
                    role: Role::Owner,
                    valid_days: None,
                })
                .await,
        );
    }
}

#[tokio::test]
async fn platform_administration_is_for_platform_admins_only() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        // A company owner is not a platform admin.
        assert_forbidden(acme.session.platform().users(None, PageRequest::default()).await);
        assert_forbidden(acme.session.platform().deactivate_user(globex.owner.id).await);

        db.flame.set_platform_admin(acme.owner.id, true).await.expect("host grants");
        let admin = acme.session.platform();
        let all = admin.users(None, PageRequest::default()).await.expect("users");
        assert_eq!(all.items.len(), 2);
        let found = admin.users(Some("GLOBEX"), PageRequest::default()).await.expect("search");
        assert_eq!(found.items.len(), 1);
        assert_eq!(found.items[0].memberships[0].company_name, "Globex");
        assert_eq!(found.items[0].memberships[0].role, Role::Owner);
        assert!(
            admin
                .users(Some("100%_"), PageRequest::default())
                .await
                .expect("escaped")
                .items
                .is_empty()
        );
        let companies = admin.companies(PageRequest::default()).await.expect("companies");
        assert_eq!(companies.items.len(), 2);
        assert_eq!(companies.items[1].plan.code, "starter");
        assert_eq!(companies.items[1].members, 1);

        let victim = db.flame.login(login("owner@globex.test", PASSWORD)).await.expect("login");
        let deactivated = admin.deactivate_user(globex.owner.id).await.expect("deactivate");
        assert!(!deactivated.active);
        assert_unauthenticated(victim.pipelines().list().await);
        assert_unauthenticated(globex.session.contacts().create(contact("A")).await);
        assert_eq!(
            db.flame.login(login("owner@globex.test", PASSWORD)).await.expect_err("refused"),
            FlameError::unauthenticated(LOGIN_REFUSED)
        );
        assert_conflict(admin.deactivate_user(acme.owner.id).await);
        flame_tests::assert_not_found(admin.deactivate_user(flame_core::UserId::new()).await);
        admin.reactivate_user(globex.owner.id).await.expect("reactivate");
        db.flame.login(login("owner@globex.test", PASSWORD)).await.expect("back");
        assert_unauthenticated(victim.pipelines().list().await);

        db.flame.set_platform_admin(acme.owner.id, false).await.expect("host revokes");
        assert_forbidden(acme.session.platform().users(None, PageRequest::default()).await);
    }
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_debug_output_errors_or_logs() {
    let logs = flame_tests::LogCapture::start();

    let mut shown = String::new();
    let mut secrets = vec![PASSWORD.to_owned(), "wrong horse battery".to_owned()];
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        shown += &format!("{acme:?}");
        let session = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        secrets.push(session.token().expect("token").expose_secret().to_owned());
        shown += &format!("{session:?}");
        shown +=
            &format!("{:?}", db.flame.login(login("owner@acme.test", "wrong horse battery")).await);
        let token = session
            .api_tokens()
            .create(NewApiToken { name: "ci".into(), scope: Scope::ReadOnly, expires_at: None })
            .await
            .expect("token");
        secrets.push(token.secret.expose_secret().to_owned());
        shown += &format!("{token:?}");
        let invite = session
            .invitations()
            .create(NewInvitation {
                email: "x@acme.test".into(),
                role: Role::Member,
                valid_days: None,
            })
            .await
            .expect("invite");
        secrets.push(invite.token.expose_secret().to_owned());
        shown += &format!("{invite:?}");
        let mut broken = token.secret.expose_secret().to_owned();
        broken.pop();
        shown += &format!("{:?}", db.flame.authenticate(&broken).await);
        shown += &format!("{:?}", db.flame.authenticate(&(broken + "0")).await);
        shown += &format!(
            "{:?}",
            session
                .account()
                .change_password("wrong horse battery", "wrong horse battery", false)
                .await
        );
        shown += &format!(
            "{:?}",
            db.flame
                .accept_invitation(AcceptInvitation {
                    token: invite.token.expose_secret().to_owned(),
                    name: Some("X".into()),
                    password: Some("wrong horse battery".into()),
                })
                .await
        );
        shown += &format!("{:?}", db.flame.authenticate(token.secret.expose_secret()).await);
    }
    let logged = logs.text();
    assert!(!logged.is_empty(), "the subscriber captured the store's logs");
    for secret in &secrets {
        assert!(!shown.contains(secret.as_str()), "Debug or an error showed a secret: {shown}");
        assert!(!logged.contains(secret.as_str()), "a log line showed a secret");
    }
    assert!(shown.contains("[redacted]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_cannot_get_past_the_lockout() {
    for db in TestDb::each().await {
        company(&db.flame, "Acme").await;
        let lockout = LockoutPolicy { max_failures: 5, ..LockoutPolicy::default() };
        // Every guess waits for its turn to hash (none is refused as busy): the lockout alone
        // must stop them.
        let password_hashing = flame_core::password::HashingLimit {
            queue_timeout: Duration::from_secs(600),
            ..Default::default()
        };
        let flame =
            reopen(&db, OpenOptions { lockout, password_hashing, ..OpenOptions::default() }).await;
        // 49 wrong guesses at once, and the right password among them while they are still
        // being verified: at most five attempts are verified, the rest are refused unseen.
        let mut guesses = Vec::new();
        for i in 0..49 {
            let flame = flame.clone();
            guesses.push(tokio::spawn(async move {
                flame.login(login("owner@acme.test", &format!("wrong guess {i}"))).await
            }));
        }
        let right = {
            let flame = flame.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                flame.login(login("owner@acme.test", PASSWORD)).await
            })
        };
        for guess in guesses {
            assert_unauthenticated(guess.await.expect("join"));
        }
        let err = right.await.expect("join").expect_err(db.name);
        assert_eq!(err, FlameError::unauthenticated(LOGIN_REFUSED), "{}", db.name);
        // Still locked afterwards, seen by another handle.
        assert_unauthenticated(db.flame.login(login("owner@acme.test", PASSWORD)).await);
    }
}

#[tokio::test]
async fn a_revoked_session_cannot_switch_company() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        // An existing user joins from their own session.
        flame_tests::join(&globex.session, &acme.session, Role::Viewer).await;
        let in_acme = |flame: Flame| async move {
            flame
                .login(Login {
                    company_id: Some(acme.company.id),
                    ..login("owner@acme.test", PASSWORD)
                })
                .await
                .expect("login in acme")
        };
        // Logged out on this handle, then switching at once (within the recheck window).
        let laptop = in_acme(db.flame.clone()).await;
        laptop.pipelines().list().await.expect("works");
        laptop.logout().await.expect("logout");
        let sessions = count_rows(&db.url, "auth_sessions").await;
        assert_unauthenticated(laptop.account().switch_company(globex.company.id).await);
        assert_eq!(count_rows(&db.url, "auth_sessions").await, sessions, "no session was minted");
        // Logged out everywhere through another handle (another process).
        let phone = in_acme(db.flame.clone()).await;
        phone.pipelines().list().await.expect("works");
        let other = reopen(&db, OpenOptions::default()).await;
        let remote = other
            .authenticate(phone.token().expect("token").expose_secret())
            .await
            .expect("resume");
        remote.account().logout_everywhere(false).await.expect("logout everywhere");
        let sessions = count_rows(&db.url, "auth_sessions").await;
        assert_unauthenticated(phone.account().switch_company(globex.company.id).await);
        assert_eq!(count_rows(&db.url, "auth_sessions").await, sessions, "no session was minted");
    }
}
