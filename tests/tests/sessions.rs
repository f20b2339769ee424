//! Authentication at the storage boundary: no valid session, no access — never a fallback.

use std::time::Duration;

use flame_core::contact::NewContact;
use flame_core::{CompanyId, FlameError, Role, UserId};
use flame_db::OpenOptions;
use flame_tests::{TestDb, company};
use secrecy::ExposeSecret;

fn unauthenticated<T: std::fmt::Debug>(result: flame_core::Result<T>) {
    assert!(
        matches!(result, Err(FlameError::Unauthenticated { .. })),
        "expected Unauthenticated, got {result:?}"
    );
}

#[tokio::test]
async fn unknown_users_and_non_members_are_unauthenticated() {
    for db in TestDb::each().await {
        let a = company(&db.flame, "Acme").await;
        let b = company(&db.flame, "Globex").await;
        unauthenticated(db.flame.session(UserId::new(), a.company.id).await);
        unauthenticated(db.flame.session(a.owner.id, CompanyId::new()).await);
        unauthenticated(db.flame.session(b.owner.id, a.company.id).await);
        let ok = db.flame.session(a.owner.id, a.company.id).await.expect("member");
        assert_eq!(ok.role(), Role::Owner);
    }
}

#[tokio::test]
async fn expired_sessions_are_refused_before_any_query() {
    let (url, _dir) = TestDb::sqlite_url();
    let options = OpenOptions { session_ttl: Duration::ZERO, ..OpenOptions::default() };
    let flame = flame_db::Flame::open(&url, options).await.expect("open");
    let signed = company(&flame, "Acme").await;
    unauthenticated(
        signed
            .session
            .contacts()
            .create(NewContact { first_name: "A".into(), ..NewContact::default() })
            .await,
    );
    unauthenticated(signed.session.pipelines().list().await);
    assert_eq!(flame_tests::count_rows(&url, "contacts").await, 0);
}

#[tokio::test]
async fn host_sessions_are_stored_and_resumable_by_token() {
    for db in TestDb::each().await {
        let signed = company(&db.flame, "Acme").await;
        let host = db.flame.session(signed.owner.id, signed.company.id).await.expect("session");
        let token = host.token().expect("host sessions have tokens too");
        let resumed = db.flame.authenticate(token.expose_secret()).await.expect("resume");
        assert_eq!(resumed.principal().credential, host.principal().credential);
        resumed.pipelines().list().await.expect("works");
        host.logout().await.expect("logout");
        unauthenticated(resumed.pipelines().list().await);
    }
}
