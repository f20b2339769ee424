//! Email verification and the account flows around it: a pre-created account (an invitation
//! accepted by its inviter, a sign-up for someone else's address) cannot log in until the
//! address is proved, and its real owner takes it back with a mailed token; tokens are single
//! use, expire, and are stored as digests; logging out and changing the password can revoke
//! API tokens; password hashing is bounded and `change_password` is throttled like login.

use std::time::Duration;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::Connection;

use flame_core::account::{
    AcceptInvitation, CURRENT_PASSWORD_REFUSED, LOGIN_REFUSED, LockoutPolicy, Login, NewApiToken,
    NewInvitation,
};
use flame_core::company::SignUp;
use flame_core::password::{HASHING_BUSY, HashingLimit};
use flame_core::verification::{EMAIL_TOKEN_REFUSED, EMAIL_UNVERIFIED, EmailVerification};
use flame_core::{FlameError, Role, Scope};
use flame_db::{Flame, OpenOptions};
use flame_tests::{
    PASSWORD, TestDb, assert_invalid, assert_unauthenticated, company, count_rows, exec_raw,
    snapshot,
};

const EVIL_PASSWORD: &str = "evil horse battery staple";
const VICTIM_PASSWORD: &str = "the real owner's passphrase";

fn login(email: &str, password: &str) -> Login {
    Login { email: email.into(), password: password.into(), company_id: None }
}

fn unauthenticated(reason: &str) -> FlameError {
    FlameError::unauthenticated(reason)
}

/// A second handle on the same database, with other options.
async fn reopen(db: &TestDb, options: OpenOptions) -> Flame {
    Flame::open(&db.url, options).await.expect("reopen")
}

/// The token text a host would put into the mail it sends to the user's address.
async fn mailed_token(flame: &Flame, user: flame_core::UserId) -> String {
    flame.email_verification(user).await.expect("issue").token.expose_secret().to_owned()
}

/// Signs up `email` with `password`, unverified (as a public sign-up form would).
async fn sign_up(flame: &Flame, name: &str, email: &str) -> flame_db::SignedUp {
    flame
        .sign_up(SignUp {
            company_name: name.into(),
            owner_email: email.into(),
            owner_name: format!("{name} Owner"),
            password: Some(PASSWORD.into()),
        })
        .await
        .expect("sign up")
}

/// Every stored token digest, read directly from the database.
async fn stored_digests(url: &str) -> Vec<String> {
    let sql = "SELECT token_hash FROM email_verifications ORDER BY created_at";
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect sqlite");
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut conn).await.expect("rows");
        conn.close().await.ok();
        rows
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect postgres");
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut conn).await.expect("rows");
        conn.close().await.ok();
        rows
    }
}

/// The attack of issue 14 (item 3): Evil's owner invites victim@ (an address they do not
/// own), accepts the invitation themselves with a password of their choosing, and waits for
/// the real owner to use "their" account. The account cannot log in while the address is
/// unproved; the real owner, who receives the mail, takes it back: the attacker's password
/// stops working and their sessions are revoked.
#[tokio::test]
async fn a_pre_created_account_is_taken_back_by_the_owner_of_the_address() {
    for db in TestDb::each().await {
        let evil = company(&db.flame, "Evil").await;
        let token = evil
            .session
            .invitations()
            .create(NewInvitation {
                email: "victim@x.test".into(),
                role: Role::Member,
                valid_days: None,
            })
            .await
            .expect("invite")
            .token
            .expose_secret()
            .to_owned();
        let attacker = db
            .flame
            .accept_invitation(AcceptInvitation {
                token,
                name: Some("Victim".into()),
                password: Some(EVIL_PASSWORD.into()),
            })
            .await
            .expect("the inviter accepts their own invitation");
        let victim = attacker.account().user().await.expect("user");
        assert_eq!(victim.email.as_str(), "victim@x.test");
        assert_eq!(victim.email_verified_at, None, "{}: an invitation proves no address", db.name);
        // The chosen password does not log in: the address is not proved.
        assert_eq!(
            db.flame.login(login("victim@x.test", EVIL_PASSWORD)).await.expect_err("unverified"),
            unauthenticated(EMAIL_UNVERIFIED),
            "{}",
            db.name
        );
        // Signing up again for the address is a Conflict, and changes nothing.
        let before = snapshot(&db.url).await;
        flame_tests::assert_conflict(
            db.flame
                .sign_up(SignUp {
                    company_name: "Victim Co".into(),
                    owner_email: "victim@x.test".into(),
                    owner_name: "Victim".into(),
                    password: Some(VICTIM_PASSWORD.into()),
                })
                .await,
        );
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);

        // The real owner asks the host to recover the account; the host mails a token to the
        // address, and only its owner reads it.
        let mailed = mailed_token(&db.flame, victim.id).await;
        let taken_back =
            db.flame.reset_password(&mailed, VICTIM_PASSWORD).await.expect("take it back");
        assert!(taken_back.email_verified_at.is_some(), "{}", db.name);
        assert_unauthenticated(attacker.pipelines().list().await);
        let attacker_token = attacker.token().expect("token").expose_secret().to_owned();
        assert_unauthenticated(db.flame.authenticate(&attacker_token).await);
        assert_eq!(
            db.flame.login(login("victim@x.test", EVIL_PASSWORD)).await.expect_err("old password"),
            unauthenticated(LOGIN_REFUSED),
            "{}",
            db.name
        );
        let mine = db.flame.login(login("victim@x.test", VICTIM_PASSWORD)).await.expect("login");
        assert_eq!(mine.user_id(), victim.id);
        // The token worked once.
        assert_eq!(
            db.flame.reset_password(&mailed, EVIL_PASSWORD).await.expect_err("used"),
            unauthenticated(EMAIL_TOKEN_REFUSED)
        );
    }
}

#[tokio::test]
async fn an_unverified_email_cannot_log_in_until_it_is_verified() {
    for db in TestDb::each().await {
        let acme = sign_up(&db.flame, "Acme", "owner@acme.test").await;
        assert_eq!(acme.owner.email_verified_at, None);
        // A wrong password gets the usual answer: nothing about the verification state.
        assert_eq!(
            db.flame.login(login("owner@acme.test", "wrong horse battery")).await.expect_err("no"),
            unauthenticated(LOGIN_REFUSED)
        );
        // The right one is told why, and the failure before it is forgotten.
        assert_eq!(
            db.flame.login(login("owner@acme.test", PASSWORD)).await.expect_err("unverified"),
            unauthenticated(EMAIL_UNVERIFIED),
            "{}",
            db.name
        );
        assert_eq!(count_rows(&db.url, "login_throttle").await, 0, "{}", db.name);
        // The sign-up session, which the host holds, keeps working meanwhile.
        acme.session.pipelines().list().await.expect("the host's session");

        let mailed = mailed_token(&db.flame, acme.owner.id).await;
        let verified = db.flame.verify_email(&mailed).await.expect("verify");
        assert!(verified.email_verified_at.is_some());
        assert_eq!(acme.session.account().user().await.expect("user"), verified);
        let session = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        assert_eq!(session.user_id(), acme.owner.id);
        acme.session.pipelines().list().await.expect("verifying revokes nothing");
    }
}

#[tokio::test]
async fn a_host_that_verifies_emails_itself_lets_unverified_users_log_in() {
    for db in TestDb::each().await {
        let acme = sign_up(&db.flame, "Acme", "owner@acme.test").await;
        let by_host = reopen(
            &db,
            OpenOptions { email_verification: EmailVerification::ByHost, ..OpenOptions::default() },
        )
        .await;
        let session = by_host.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        assert_eq!(session.user_id(), acme.owner.id);
        assert_unauthenticated(by_host.login(login("owner@acme.test", EVIL_PASSWORD)).await);
        // The default still refuses.
        assert_eq!(
            db.flame.login(login("owner@acme.test", PASSWORD)).await.expect_err("required"),
            unauthenticated(EMAIL_UNVERIFIED)
        );
    }
}

#[tokio::test]
async fn verification_tokens_work_once_expire_and_are_stored_as_digests() {
    for db in TestDb::each().await {
        let acme = sign_up(&db.flame, "Acme", "owner@acme.test").await;
        let issued = db.flame.email_verification(acme.owner.id).await.expect("issue");
        assert_eq!(issued.user_id, acme.owner.id);
        assert_eq!(issued.email.as_str(), "owner@acme.test");
        let text = issued.token.expose_secret().to_owned();
        assert!(text.starts_with("flame_ver_"), "{text}");
        assert!(!format!("{issued:?}").contains(&text[10..]), "Debug hides the token");
        let second = mailed_token(&db.flame, acme.owner.id).await;

        // Only the digest is stored.
        let digests = stored_digests(&db.url).await;
        assert_eq!(digests.len(), 2, "{}", db.name);
        assert_eq!(digests[0], hex::encode(Sha256::digest(text.as_bytes())));
        assert!(digests.iter().all(|d| !d.contains(&text[10..])));

        // Wrong, malformed and other kinds of tokens are refused and change nothing.
        let before = snapshot(&db.url).await;
        let session_token = acme.session.token().expect("token").expose_secret().to_owned();
        for wrong in [
            format!("flame_ver_{}", "0".repeat(64)),
            "flame_ver_short".to_owned(),
            String::new(),
            session_token,
            text.to_uppercase(),
        ] {
            let err = db.flame.verify_email(&wrong).await.expect_err("wrong");
            assert_eq!(err, unauthenticated(EMAIL_TOKEN_REFUSED), "{}", db.name);
            let err = db.flame.reset_password(&wrong, VICTIM_PASSWORD).await.expect_err("wrong");
            assert_eq!(err, unauthenticated(EMAIL_TOKEN_REFUSED), "{}", db.name);
        }
        // A password the policy refuses names the field and leaves the token usable.
        assert_invalid(db.flame.reset_password(&text, "short").await, "new_password");
        assert_invalid(db.flame.reset_password(&text, "owner@acme.test").await, "new_password");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);

        db.flame.verify_email(&text).await.expect("verify");
        assert_eq!(
            db.flame.verify_email(&text).await.expect_err("used"),
            unauthenticated(EMAIL_TOKEN_REFUSED)
        );
        // Using one uses up the others that were mailed before.
        assert_eq!(
            db.flame.verify_email(&second).await.expect_err("superseded"),
            unauthenticated(EMAIL_TOKEN_REFUSED)
        );

        // An expired token is refused.
        let late = mailed_token(&db.flame, acme.owner.id).await;
        let past = if db.url.starts_with("sqlite:") {
            "'2000-01-01T00:00:00.000000Z'"
        } else {
            "'2000-01-01T00:00:00Z'"
        };
        exec_raw(&db.url, &format!("UPDATE email_verifications SET expires_at = {past}")).await;
        assert_eq!(
            db.flame.reset_password(&late, VICTIM_PASSWORD).await.expect_err("expired"),
            unauthenticated(EMAIL_TOKEN_REFUSED)
        );
        db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("password unchanged");

        // An unknown user gets no token.
        flame_tests::assert_not_found(db.flame.email_verification(flame_core::UserId::new()).await);
    }
}

async fn api_token(session: &flame_db::Session, name: &str) -> String {
    session
        .api_tokens()
        .create(NewApiToken { name: name.into(), scope: Scope::ReadOnly, expires_at: None })
        .await
        .expect("token")
        .secret
        .expose_secret()
        .to_owned()
}

#[tokio::test]
async fn logging_out_everywhere_and_changing_the_password_can_revoke_api_tokens() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let kept = api_token(&acme.session, "kept").await;
        let laptop = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        assert_eq!(laptop.account().logout_everywhere(false).await.expect("logout"), 2);
        db.flame.authenticate(&kept).await.expect("by default, API tokens stay valid");

        let session = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        assert_eq!(session.account().logout_everywhere(true).await.expect("logout"), 1);
        assert_unauthenticated(db.flame.authenticate(&kept).await);
        assert_unauthenticated(session.pipelines().list().await);

        let session = db.flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        let script = api_token(&session, "script").await;
        session.account().change_password(PASSWORD, VICTIM_PASSWORD, false).await.expect("change");
        db.flame.authenticate(&script).await.expect("by default, API tokens stay valid");
        session.account().change_password(VICTIM_PASSWORD, PASSWORD, true).await.expect("change");
        assert_unauthenticated(db.flame.authenticate(&script).await);
        session.pipelines().list().await.expect("the changing session stays");
    }
}

#[tokio::test]
async fn wrong_current_passwords_lock_the_email_out_like_failed_logins() {
    for db in TestDb::each().await {
        company(&db.flame, "Acme").await;
        let lockout = LockoutPolicy { max_failures: 3, ..LockoutPolicy::default() };
        let flame = reopen(&db, OpenOptions { lockout, ..OpenOptions::default() }).await;
        let session = flame.login(login("owner@acme.test", PASSWORD)).await.expect("login");
        for guess in ["guess number one", "guess number two", "guess number three"] {
            assert_eq!(
                session.account().change_password(guess, VICTIM_PASSWORD, false).await,
                Err(unauthenticated(CURRENT_PASSWORD_REFUSED)),
                "{}",
                db.name
            );
        }
        // Locked: the right password is refused unchecked, here and at login.
        assert_eq!(
            session.account().change_password(PASSWORD, VICTIM_PASSWORD, false).await,
            Err(unauthenticated(CURRENT_PASSWORD_REFUSED))
        );
        assert_eq!(
            flame.login(login("owner@acme.test", PASSWORD)).await.expect_err("locked"),
            unauthenticated(LOGIN_REFUSED)
        );
        // Nothing changed: the old password is still the one (once the lockout ends).
        exec_raw(&db.url, "DELETE FROM login_throttle").await;
        flame.login(login("owner@acme.test", PASSWORD)).await.expect("unchanged");
    }
}

#[tokio::test]
async fn password_hashing_beyond_the_bound_is_refused_not_queued_forever() {
    for db in TestDb::each().await {
        company(&db.flame, "Acme").await;
        let one = HashingLimit { max_concurrent: 1, queue_timeout: Duration::from_millis(20) };
        let flame =
            reopen(&db, OpenOptions { password_hashing: one, ..OpenOptions::default() }).await;
        let throttled = count_rows(&db.url, "login_throttle").await;
        let held = flame.hold_hashing_turn().await.expect("the one turn");
        let logins = (0..4).map(|_| {
            let flame = flame.clone();
            tokio::spawn(async move { flame.login(login("owner@acme.test", PASSWORD)).await })
        });
        for login in logins {
            let refused = login.await.expect("task").expect_err("no turn left");
            assert_eq!(refused, unauthenticated(HASHING_BUSY), "{}", db.name);
        }
        // Refused before anything was counted or hashed.
        assert_eq!(count_rows(&db.url, "login_throttle").await, throttled, "{}", db.name);
        assert_eq!(
            flame
                .sign_up(SignUp {
                    company_name: "Busy".into(),
                    owner_email: "owner@busy.test".into(),
                    owner_name: "B".into(),
                    password: Some(PASSWORD.into()),
                })
                .await
                .expect_err("busy"),
            unauthenticated(HASHING_BUSY)
        );
        drop(held);
        flame.login(login("owner@acme.test", PASSWORD)).await.expect("a turn is free again");
        // A bound of zero could never hash: refused at open.
        let none = HashingLimit { max_concurrent: 0, ..HashingLimit::default() };
        assert_invalid(
            Flame::open(&db.url, OpenOptions { password_hashing: none, ..OpenOptions::default() })
                .await,
            "password_hashing_limit",
        );
    }
}
