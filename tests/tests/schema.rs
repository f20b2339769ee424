//! Opening a store: migrations applied once, the live schema verified, damage named.

use flame_core::FlameError;
use flame_db::{Flame, OpenOptions};
use flame_tests::{TestDb, company, exec_raw};

fn schema_reason(result: flame_core::Result<Flame>) -> String {
    match result {
        Err(FlameError::Schema { reason }) => reason,
        other => panic!("expected a Schema error, got {other:?}"),
    }
}

async fn urls() -> Vec<(String, Option<tempfile::TempDir>)> {
    let (sqlite, dir) = TestDb::sqlite_url();
    let mut urls = vec![(sqlite, Some(dir))];
    if let Some(pg) = TestDb::postgres_url().await {
        urls.push((pg, None));
    }
    urls
}

#[tokio::test]
async fn migrations_apply_once_and_reopen_cleanly() {
    for (url, _dir) in urls().await {
        let flame = Flame::open(&url, OpenOptions::default()).await.expect("first open migrates");
        assert_eq!(flame.schema_version(), flame_db::schema::expected_version());
        company(&flame, "Acme").await;
        flame.close().await;
        let again =
            Flame::open(&url, OpenOptions::verify_only()).await.expect("verify-only reopens");
        let health = again.health().await;
        assert!(health.reachable && health.schema_matches, "{url}: {health:?}");
        assert_eq!(health.counts.map(|c| c.companies), Some(1));
        assert_eq!(health.counts.map(|c| c.users), Some(1));
        assert_eq!(health.counts.map(|c| c.subscriptions), Some(1));
        assert!(!health.encryption_configured);
        again.close().await;
    }
}

#[tokio::test]
async fn verify_only_refuses_an_unmigrated_database() {
    for (url, _dir) in urls().await {
        let reason = schema_reason(Flame::open(&url, OpenOptions::verify_only()).await);
        assert!(reason.contains("migration 1") && reason.contains("not been applied"), "{reason}");
    }
}

#[tokio::test]
async fn a_dropped_column_is_named() {
    for (url, _dir) in urls().await {
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").close().await;
        exec_raw(&url, "ALTER TABLE contacts DROP COLUMN organization").await;
        let reason = schema_reason(Flame::open(&url, OpenOptions::verify_only()).await);
        assert_eq!(reason, "column contacts.organization is missing", "{url}");
    }
}

#[tokio::test]
async fn a_dropped_table_is_named() {
    for (url, _dir) in urls().await {
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").close().await;
        exec_raw(&url, "DROP TABLE outbox").await;
        let reason = schema_reason(Flame::open(&url, OpenOptions::verify_only()).await);
        assert_eq!(reason, "table outbox is missing", "{url}");
        // Migrating again does not paper over it either: the migration is recorded as done.
        let reason = schema_reason(Flame::open(&url, OpenOptions::default()).await);
        assert_eq!(reason, "table outbox is missing", "{url}");
    }
}

#[tokio::test]
async fn a_database_from_a_newer_flame_is_refused() {
    for (url, _dir) in urls().await {
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").close().await;
        exec_raw(
            &url,
            "INSERT INTO flame_migrations (version, name, checksum, applied_at)
             VALUES (999, 'from_the_future', 'abc', '2030-01-01T00:00:00Z')",
        )
        .await;
        for options in [OpenOptions::default(), OpenOptions::verify_only()] {
            let reason = schema_reason(Flame::open(&url, options).await);
            assert!(reason.contains("migration 999") && reason.contains("newer Flame"), "{reason}");
        }
    }
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    for (url, _dir) in urls().await {
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").close().await;
        exec_raw(&url, "UPDATE flame_migrations SET checksum = 'edited' WHERE version = 1").await;
        let reason = schema_reason(Flame::open(&url, OpenOptions::default()).await);
        assert!(reason.contains("migration 1") && reason.contains("checksum"), "{reason}");
    }
}

#[tokio::test]
async fn unusable_urls_are_validation_errors() {
    for url in ["mysql://localhost/db", "", "redis://x"] {
        let result = Flame::open(url, OpenOptions::default()).await;
        assert!(
            matches!(&result, Err(FlameError::Validation { field, .. }) if field == "url"),
            "{url}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_storage_error() {
    let options =
        OpenOptions { busy_timeout: std::time::Duration::from_secs(2), ..OpenOptions::default() };
    let result = Flame::open("postgres://nobody@127.0.0.1:1/none", options).await;
    assert!(matches!(result, Err(FlameError::Storage { .. })), "{result:?}");
}

#[tokio::test]
async fn in_memory_sqlite_works() {
    let flame = Flame::open("sqlite::memory:", OpenOptions::default()).await.expect("memory");
    let signed = company(&flame, "Memo").await;
    assert_eq!(signed.session.pipelines().list().await.expect("list").len(), 1);
    assert_eq!(flame.health().await.counts.map(|c| c.companies), Some(1));
}

#[tokio::test]
async fn health_reports_a_configured_key() {
    let key = flame_core::crypto::EncryptionKey::from_bytes("k1", &[7; 32]).expect("key");
    let options = OpenOptions { encryption_key: Some(key), ..OpenOptions::default() };
    let flame = Flame::open("sqlite::memory:", options).await.expect("memory");
    let health = flame.health().await;
    assert!(health.encryption_configured);
    assert!(!format!("{flame:?} {health:?}").contains("7, 7"), "no key bytes in Debug");
}
