//! Opening a store: migrations applied once, the live schema verified, damage named.

use flame_core::FlameError;
use flame_db::{Flame, OpenOptions};
use flame_tests::{TestDb, company, exec_raw};
use sqlx::Connection;

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

/// Every table (except the migration ledger) and every column of the live schema, as the
/// database's own catalogue reports them after all migrations, sorted.
async fn live_catalogue(url: &str) -> Vec<(String, Vec<String>)> {
    let rows: Vec<(String, String)> = if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect sqlite");
        let rows = sqlx::query_as(
            "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
               AND m.name <> 'flame_migrations'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("sqlite catalogue");
        conn.close().await.ok();
        rows
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect postgres");
        let rows = sqlx::query_as(
            "SELECT c.table_name::text, c.column_name::text
             FROM information_schema.columns c
             JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
               AND c.table_name <> 'flame_migrations'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("postgres catalogue");
        conn.close().await.ok();
        rows
    };
    let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (table, column) in rows {
        tables.entry(table).or_default().push(column);
    }
    tables
        .into_iter()
        .map(|(t, mut cols)| {
            cols.sort();
            (t, cols)
        })
        .collect()
}

/// `schema::EXPECTED` is what the start-up check verifies; this proves it lists exactly the
/// tables and columns the migrations create, so a migration that forgets to extend it fails
/// here, naming what is missing.
#[tokio::test]
async fn expected_lists_every_table_and_column_of_the_migrations() {
    for (url, _dir) in urls().await {
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").close().await;
        let live = live_catalogue(&url).await;
        let expected = flame_db::schema::EXPECTED;
        let mut problems = Vec::new();
        for (table, columns) in &live {
            match expected.iter().find(|(t, _)| t == table) {
                None => problems.push(format!("table {table} is not in EXPECTED")),
                Some((_, listed)) => {
                    for col in columns.iter().filter(|c| !listed.contains(&c.as_str())) {
                        problems.push(format!("column {table}.{col} is not in EXPECTED"));
                    }
                }
            }
        }
        for (table, listed) in expected {
            match live.iter().find(|(t, _)| t == table) {
                None => problems.push(format!("table {table} is in EXPECTED but not migrated")),
                Some((_, columns)) => {
                    for col in listed.iter().filter(|c| !columns.iter().any(|l| l == *c)) {
                        problems
                            .push(format!("column {table}.{col} is in EXPECTED but not migrated"));
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (table, _) in expected {
            if !seen.insert(table) {
                problems.push(format!("table {table} is listed twice in EXPECTED"));
            }
        }
        assert!(problems.is_empty(), "{url}:\n{}", problems.join("\n"));
    }
}
