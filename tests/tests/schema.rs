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
        flame.shutdown().await;
        let again =
            Flame::open(&url, OpenOptions::verify_only()).await.expect("verify-only reopens");
        let health = again.health().await;
        assert!(health.reachable && health.schema_matches, "{url}: {health:?}");
        assert_eq!(health.counts.map(|c| c.companies), Some(1));
        assert_eq!(health.counts.map(|c| c.users), Some(1));
        assert_eq!(health.counts.map(|c| c.subscriptions), Some(1));
        assert!(!health.encryption_configured);
        again.shutdown().await;
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
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").shutdown().await;
        exec_raw(&url, "ALTER TABLE contacts DROP COLUMN last_name").await;
        let reason = schema_reason(Flame::open(&url, OpenOptions::verify_only()).await);
        assert_eq!(reason, "column contacts.last_name is missing", "{url}");
    }
}

#[tokio::test]
async fn a_dropped_table_is_named() {
    for (url, _dir) in urls().await {
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").shutdown().await;
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
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").shutdown().await;
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
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").shutdown().await;
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
        Flame::open(&url, OpenOptions::default()).await.expect("migrate").shutdown().await;
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

/// An id literal for raw SQL on the engine of `url`: a 16-byte blob on SQLite, a uuid on
/// PostgreSQL.
fn id_literal(url: &str, n: u8) -> String {
    let hex = format!("019abc00-0000-7000-8000-0000000000{n:02x}");
    if url.starts_with("sqlite:") {
        format!("X'{}'", hex.replace('-', ""))
    } else {
        format!("'{hex}'::uuid")
    }
}

fn uuid_of(n: u8) -> uuid::Uuid {
    uuid::Uuid::parse_str(&format!("019abc00-0000-7000-8000-0000000000{n:02x}")).expect("uuid")
}

/// Data written in the shape of migration 0001 only (before accounts, integrations and the
/// later indexes), as a Flame of that release would have stored it.
fn foundation_data(url: &str) -> String {
    let id = |n| id_literal(url, n);
    let yes = if url.starts_with("sqlite:") { "1" } else { "true" };
    let t = "'2026-01-02T03:04:05.000000Z'";
    let plan = if url.starts_with("sqlite:") {
        "X'019ABC000000700080000000000000A1'".to_owned()
    } else {
        "'019abc00-0000-7000-8000-0000000000a1'::uuid".to_owned()
    };
    format!(
        "INSERT INTO companies (id, name, created_at, updated_at, version) VALUES ({c}, 'Old Co', {t}, {t}, 1);
         INSERT INTO users (id, email, name, active, created_at, updated_at, version)
           VALUES ({u}, 'old@example.com', 'Old Owner', {yes}, {t}, {t}, 1);
         INSERT INTO memberships (company_id, user_id, role, created_at, version)
           VALUES ({c}, {u}, 'owner', {t}, 1);
         INSERT INTO subscriptions (company_id, id, plan_id, status, trial_ends_at,
             current_period_start, current_period_end, created_at, updated_at, version)
           VALUES ({c}, {s}, {plan}, 'active', NULL, {t}, '2036-01-02T03:04:05.000000Z', {t}, {t}, 1);
         INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization,
             owner_id, search_name, last_name_key, created_at, updated_at, version)
           VALUES ({c}, {k}, 'Ada', 'Lovelace', 'ada@example.com', '+442071234567', 'Engines',
             {u}, 'ada lovelace', 'lovelace', {t}, {t}, 3);
         INSERT INTO pipelines (company_id, id, name, name_key, position, is_default, created_at,
             updated_at, version)
           VALUES ({c}, {p}, 'Sales', 'sales', 0, {yes}, {t}, {t}, 1);
         INSERT INTO stages (company_id, id, pipeline_id, name, position, kind, probability, version)
           VALUES ({c}, {s1}, {p}, 'New', 0, 'open', 10, 1),
                  ({c}, {s2}, {p}, 'Won', 1, 'won', 100, 1),
                  ({c}, {s3}, {p}, 'Lost', 2, 'lost', 0, 1);
         INSERT INTO sources (company_id, id, name, name_key, created_at, updated_at, version)
           VALUES ({c}, {src}, 'Referral', 'referral', {t}, {t}, 1);
         INSERT INTO deals (company_id, id, title, amount_minor, currency, contact_id, pipeline_id,
             stage_id, source_id, assignee_id, status, expected_close, lost_reason, closed_at,
             created_at, updated_at, version)
           VALUES ({c}, {d}, 'Analytical engine', 125000, 'EUR', {k}, {p}, {s1}, {src}, {u},
             'open', NULL, NULL, NULL, {t}, {t}, 2);
         INSERT INTO activities (company_id, id, kind, subject, body, contact_id, deal_id,
             owner_id, due_at, done_at, occurred_at, created_at, updated_at, version)
           VALUES ({c}, {a}, 'note', 'First call', 'Wants a demo', {k}, {d}, {u}, NULL, NULL,
             {t}, {t}, {t}, 1);",
        c = id(1),
        u = id(2),
        s = id(3),
        k = id(4),
        p = id(5),
        s1 = id(6),
        s2 = id(7),
        s3 = id(8),
        src = id(9),
        d = id(10),
        a = id(11),
    )
}

/// A database holding data from the first release (migration 0001 only) opens with this
/// Flame, migrates to the latest version, and every record reads back through the API; the
/// usage counters that later migrations introduce count what was already there.
#[tokio::test]
async fn a_database_with_data_from_migration_0001_upgrades_and_reads_back() {
    use flame_core::id::{ActivityId, ContactId, DealId, PipelineId, UserId};
    use flame_db::Backend;

    for (url, _dir) in urls().await {
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        let first = &flame_db::schema::MIGRATIONS[0];
        assert_eq!(first.version, 1);
        let ledger = if backend == Backend::Sqlite {
            "CREATE TABLE flame_migrations (version INTEGER NOT NULL PRIMARY KEY,
                 name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
        } else {
            "CREATE TABLE flame_migrations (version bigint NOT NULL PRIMARY KEY,
                 name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL)"
        };
        if let Some(path) = url.strip_prefix("sqlite://") {
            std::fs::File::create(path).expect("create the old database file");
        }
        exec_raw(&url, first.sql(backend)).await;
        exec_raw(&url, ledger).await;
        exec_raw(
            &url,
            &format!(
                "INSERT INTO flame_migrations (version, name, checksum, applied_at)
                 VALUES (1, '{}', '{}', '2026-01-02T03:04:05Z')",
                first.name,
                first.checksum(backend)
            ),
        )
        .await;
        exec_raw(&url, &foundation_data(&url)).await;

        let reason = schema_reason(Flame::open(&url, OpenOptions::verify_only()).await);
        assert!(reason.contains("migration 2") && reason.contains("not been applied"), "{reason}");

        let flame = Flame::open(&url, OpenOptions::default()).await.expect("upgrade");
        assert_eq!(flame.schema_version(), flame_db::schema::expected_version(), "{url}");
        let health = flame.health().await;
        assert!(health.schema_matches, "{url}: {health:?}");
        assert_eq!(health.counts.map(|c| c.companies), Some(1));

        let owner = UserId::from_uuid(uuid_of(2));
        flame.set_password(owner, flame_tests::PASSWORD).await.expect("set password");
        let session = flame
            .login(flame_core::account::Login {
                email: "old@example.com".into(),
                password: flame_tests::PASSWORD.into(),
                company_id: None,
            })
            .await
            .expect("the old owner logs in after the upgrade");
        // Migration 0006 counts users that existed before it as verified since their creation:
        // an upgrade locks nobody out of a password login.
        let user = session.account().user().await.expect("user");
        assert_eq!(user.email_verified_at, Some(user.created_at), "{url}");

        let contact =
            session.contacts().get(ContactId::from_uuid(uuid_of(4))).await.expect("contact");
        assert_eq!(contact.first_name, "Ada");
        assert_eq!(contact.last_name.as_deref(), Some("Lovelace"));
        assert_eq!(contact.email.as_ref().map(|e| e.as_str()), Some("ada@example.com"));
        assert_eq!(contact.phone.as_ref().map(|p| p.as_str()), Some("+442071234567"));
        // Migration 0010 made the free-text organization an organization of its own.
        let org = session
            .organizations()
            .get(contact.organization_id.expect("the contact's organization"))
            .await
            .expect("organization");
        assert_eq!((org.name.as_str(), org.owner_id), ("Engines", Some(owner)), "{url}");
        assert_eq!(contact.owner_id, Some(owner));

        let pipeline_id = PipelineId::from_uuid(uuid_of(5));
        let pipelines = session.pipelines().list().await.expect("pipelines");
        assert_eq!(pipelines.len(), 1);
        assert_eq!((pipelines[0].id, pipelines[0].name.as_str()), (pipeline_id, "Sales"));
        assert!(pipelines[0].is_default);
        let stages = session.pipelines().stages(pipeline_id).await.expect("stages");
        let names: Vec<_> = stages.iter().map(|s| (s.name.as_str(), s.probability)).collect();
        assert_eq!(names, [("New", 10), ("Won", 100), ("Lost", 0)]);

        let deal = session.deals().get(DealId::from_uuid(uuid_of(10))).await.expect("deal");
        assert_eq!(deal.title, "Analytical engine");
        assert_eq!(deal.value.amount_minor(), 125_000);
        assert_eq!(deal.value.currency().code(), "EUR");
        assert_eq!(deal.contact_id, Some(contact.id));
        assert_eq!(deal.stage_id, stages[0].id);
        assert_eq!(deal.assignee_id, Some(owner));

        let activity =
            session.activities().get(ActivityId::from_uuid(uuid_of(11))).await.expect("activity");
        assert_eq!(activity.subject.as_deref(), Some("First call"));
        assert_eq!(activity.body, "Wants a demo");
        assert_eq!(activity.deal_id, Some(deal.id));

        // The old contact is found by a name search over the indexes later migrations rebuilt.
        let found = session
            .contacts()
            .list(
                flame_core::contact::ContactFilter {
                    name_prefix: Some("ada".into()),
                    ..Default::default()
                },
                flame_core::page::PageRequest::first(10),
            )
            .await
            .expect("search");
        assert_eq!(found.items.iter().map(|c| c.id).collect::<Vec<_>>(), [contact.id]);
        flame.shutdown().await;
    }
}
