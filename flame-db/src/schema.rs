//! The schema: embedded migrations per backend, applying them, and verifying that the live
//! database is what this build expects.
//!
//! Migrations are plain SQL files in `migrations/sqlite` and `migrations/postgres`, numbered,
//! embedded in the binary and recorded with a SHA-256 checksum in `flame_migrations`. They are
//! forward-only. At open, Flame refuses a database that carries a migration it does not know
//! (a newer Flame migrated it) or whose recorded checksum differs from the embedded file (the
//! file was edited after it was applied); it then checks that every table and column the
//! code uses exists, naming the first one missing.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use flame_core::{FlameError, Result};

use crate::sql::{Backend, Executor, Pool, Tx, args};

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its number; applied in ascending order.
    pub version: i64,
    /// Its name (the file name without number and extension).
    pub name: &'static str,
    /// The SQL for SQLite.
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL.
    pub postgres: &'static str,
}

impl Migration {
    /// The SQL of this migration for `backend`.
    pub fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    /// The SHA-256 checksum of the SQL for `backend`, in hex.
    pub fn checksum(&self, backend: Backend) -> String {
        hex::encode(Sha256::digest(self.sql(backend).as_bytes()))
    }
}

macro_rules! migration {
    ($version:literal, $file:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $file, "_", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $file, "_", $name, ".sql")),
        }
    };
}

/// Every migration this build knows, in order. Add a new one at the end; never edit one
/// that has shipped.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001", "foundation"),
    migration!(2, "0002", "accounts"),
    migration!(3, "0003", "integrations"),
    migration!(4, "0004", "contact_search"),
    migration!(5, "0005", "deal_summary"),
    migration!(6, "0006", "email_verification"),
    migration!(8, "0008", "tags"),
    migration!(9, "0009", "custom_fields"),
    migration!(10, "0010", "organizations"),
];

/// The schema version this build expects: the number of its newest migration.
pub fn expected_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Every table the migrations create, with every column, checked at open.
///
/// It must list exactly what the migrations create (the migration ledger aside): the test
/// `expected_lists_every_table_and_column_of_the_migrations` in `tests/tests/schema.rs` reads
/// the live catalogue of a freshly migrated database on each engine and names any table or
/// column missing here, or listed here but never created. A new migration appends its tables
/// here and adds its new columns to the table's entry.
pub const EXPECTED: &[(&str, &[&str])] = &[
    ("companies", &["id", "name", "created_at", "updated_at", "version"]),
    (
        "users",
        &[
            "id",
            "email",
            "name",
            "active",
            "created_at",
            "updated_at",
            "version",
            "password_hash",
            "platform_admin",
            "email_verified_at",
        ],
    ),
    ("login_throttle", &["email_hash", "failures", "locked_until", "updated_at"]),
    (
        "auth_sessions",
        &["id", "user_id", "company_id", "token_hash", "created_at", "expires_at", "revoked_at"],
    ),
    (
        "api_tokens",
        &[
            "company_id",
            "id",
            "user_id",
            "name",
            "scope",
            "token_hash",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_at",
        ],
    ),
    (
        "invitations",
        &[
            "company_id",
            "id",
            "email",
            "role",
            "invited_by",
            "token_hash",
            "expires_at",
            "accepted_at",
            "revoked_at",
            "created_at",
        ],
    ),
    (
        "payments",
        &[
            "company_id",
            "id",
            "subscription_id",
            "provider_ref",
            "outcome",
            "amount_minor",
            "currency",
            "period_end",
            "failure_reason",
            "recorded_at",
        ],
    ),
    (
        "company_usage",
        &["company_id", "seats", "contacts", "deals", "pipelines", "integrations", "organizations"],
    ),
    ("memberships", &["company_id", "user_id", "role", "created_at", "version"]),
    (
        "plans",
        &[
            "id",
            "code",
            "name",
            "price_minor",
            "currency",
            "billing_interval",
            "trial_days",
            "limit_seats",
            "limit_contacts",
            "limit_deals",
            "limit_pipelines",
            "limit_integrations",
            "limit_organizations",
            "public",
            "is_default",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    (
        "subscriptions",
        &[
            "company_id",
            "id",
            "plan_id",
            "status",
            "trial_ends_at",
            "current_period_start",
            "current_period_end",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    (
        "contacts",
        &[
            "company_id",
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "organization_id",
            "owner_id",
            "search_name",
            "last_name_key",
            "created_at",
            "updated_at",
            "version",
            "custom",
        ],
    ),
    (
        "pipelines",
        &[
            "company_id",
            "id",
            "name",
            "name_key",
            "position",
            "is_default",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    (
        "stages",
        &["company_id", "id", "pipeline_id", "name", "position", "kind", "probability", "version"],
    ),
    ("sources", &["company_id", "id", "name", "name_key", "created_at", "updated_at", "version"]),
    (
        "deals",
        &[
            "company_id",
            "id",
            "title",
            "amount_minor",
            "currency",
            "contact_id",
            "organization_id",
            "pipeline_id",
            "stage_id",
            "source_id",
            "assignee_id",
            "status",
            "expected_close",
            "lost_reason",
            "closed_at",
            "created_at",
            "updated_at",
            "version",
            "custom",
        ],
    ),
    (
        "activities",
        &[
            "company_id",
            "id",
            "kind",
            "subject",
            "body",
            "contact_id",
            "deal_id",
            "owner_id",
            "due_at",
            "done_at",
            "occurred_at",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    (
        "outbox",
        &[
            "company_id",
            "id",
            "event_type",
            "aggregate_type",
            "aggregate_id",
            "actor_id",
            "payload",
            "occurred_at",
            "published_at",
        ],
    ),
    (
        "integrations",
        &[
            "company_id",
            "id",
            "kind",
            "platform",
            "name",
            "name_key",
            "enabled",
            "settings",
            "credential_fields",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    (
        "integration_secrets",
        &["company_id", "integration_id", "field", "sealed", "key_id", "updated_at"],
    ),
    (
        "channel_identities",
        &["company_id", "platform", "external_id", "contact_id", "integration_id", "created_at"],
    ),
    (
        "inbound_messages",
        &[
            "company_id",
            "integration_id",
            "external_id",
            "contact_id",
            "deal_id",
            "activity_id",
            "received_at",
        ],
    ),
    (
        "leads",
        &[
            "company_id",
            "id",
            "integration_id",
            "external_id",
            "contact_id",
            "deal_id",
            "source_id",
            "campaign",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
            "utm_term",
            "received_at",
        ],
    ),
    (
        "ad_spend",
        &[
            "company_id",
            "integration_id",
            "campaign",
            "day",
            "source_id",
            "amount_minor",
            "currency",
            "updated_at",
        ],
    ),
    (
        "accounting_documents",
        &[
            "company_id",
            "id",
            "integration_id",
            "deal_id",
            "status",
            "document",
            "failure_reason",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    (
        "webhook_deliveries",
        &[
            "company_id",
            "id",
            "integration_id",
            "event_id",
            "event_type",
            "aggregate_type",
            "aggregate_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "last_status",
            "delivered_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "email_verifications",
        &["token_hash", "user_id", "email", "expires_at", "used_at", "created_at"],
    ),
    (
        "tags",
        &["company_id", "id", "name", "name_key", "color", "created_at", "updated_at", "version"],
    ),
    ("contact_tags", &["company_id", "tag_id", "contact_id"]),
    ("deal_tags", &["company_id", "tag_id", "deal_id"]),
    (
        "custom_fields",
        &[
            "company_id",
            "id",
            "entity",
            "key",
            "label",
            "kind",
            "options",
            "required",
            "position",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    ("custom_values", &["company_id", "field_id", "value_key", "record_id"]),
    (
        "organizations",
        &[
            "company_id",
            "id",
            "name",
            "name_key",
            "domain",
            "phone",
            "street",
            "city",
            "region",
            "postal_code",
            "country",
            "website",
            "industry",
            "size",
            "owner_id",
            "custom",
            "created_at",
            "updated_at",
            "version",
        ],
    ),
    ("organization_tags", &["company_id", "tag_id", "organization_id"]),
];

const LEDGER_SQLITE: &str = "CREATE TABLE IF NOT EXISTS flame_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL)";

const LEDGER_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS flame_migrations (
    version bigint NOT NULL PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL)";

/// A migration recorded in the database.
struct Applied {
    version: i64,
    checksum: String,
}

async fn ledger_exists(exec: &mut impl Executor) -> Result<bool> {
    let sql = match exec.backend() {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'flame_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = 'flame_migrations'"
        }
    };
    Ok(exec.fetch_one(sql, args![]).await?.int("n")? > 0)
}

async fn applied(exec: &mut impl Executor) -> Result<Vec<Applied>> {
    if !ledger_exists(exec).await? {
        return Ok(Vec::new());
    }
    exec.fetch_all("SELECT version, checksum FROM flame_migrations ORDER BY version", args![])
        .await?
        .iter()
        .map(|r| Ok(Applied { version: r.int("version")?, checksum: r.get("checksum")? }))
        .collect()
}

/// Compares what the database records with what this build embeds. Returns the migrations
/// still to apply.
fn pending(backend: Backend, applied: &[Applied]) -> Result<Vec<&'static Migration>> {
    for a in applied {
        let Some(known) = MIGRATIONS.iter().find(|m| m.version == a.version) else {
            return Err(FlameError::schema(format!(
                "the database carries migration {} which this build of Flame does not know \
                 (it was migrated by a newer Flame); refusing to open it",
                a.version
            )));
        };
        if known.checksum(backend) != a.checksum {
            return Err(FlameError::schema(format!(
                "migration {} ({}) was changed after it was applied: its checksum differs",
                known.version, known.name
            )));
        }
    }
    Ok(MIGRATIONS.iter().filter(|m| !applied.iter().any(|a| a.version == m.version)).collect())
}

/// Applies every pending migration, each in its own transaction, and returns how many.
/// Concurrent openers on PostgreSQL wait for each other on an advisory lock; on SQLite the
/// write lock of `BEGIN IMMEDIATE` does the same.
pub(crate) async fn migrate(pool: &Pool) -> Result<usize> {
    let backend = pool.backend();
    let mut count = 0;
    loop {
        let mut tx = pool.begin().await?;
        if backend == Backend::Postgres {
            tx.execute("SELECT pg_advisory_xact_lock(7260531)", args![]).await?;
        }
        let ledger = match backend {
            Backend::Sqlite => LEDGER_SQLITE,
            Backend::Postgres => LEDGER_POSTGRES,
        };
        tx.execute(ledger, args![]).await?;
        let done = applied(&mut tx).await?;
        let Some(next) = pending(backend, &done)?.first().copied() else {
            tx.commit().await?;
            return Ok(count);
        };
        apply(&mut tx, next, backend).await.map_err(|e| {
            FlameError::schema(format!("migration {} ({}) failed: {e}", next.version, next.name))
        })?;
        tx.execute(
            "INSERT INTO flame_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
            args![next.version, next.name, next.checksum(backend), OffsetDateTime::now_utc()],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version = next.version, name = next.name, "applied migration");
        count += 1;
    }
}

/// The marker line of a migration that runs a step of Flame's own between its two halves
/// (the step is named after the colon; see [`apply`]).
const STEP_MARKER: &str = "-- flame:";

/// Runs one migration's SQL in `tx`. A migration whose SQL holds a [`STEP_MARKER`] line runs
/// in three parts, all in the one transaction: the SQL before the marker, the step the marker
/// names (a data migration that needs Flame's own rules, such as Unicode lowercase), the SQL
/// after it. The checksum covers the whole file, marker included.
async fn apply(tx: &mut Tx, migration: &Migration, backend: Backend) -> Result<()> {
    let sql = migration.sql(backend);
    let Some(at) = sql.find(STEP_MARKER) else {
        return tx.execute_script(sql).await;
    };
    let (before, rest) = sql.split_at(at);
    let (marker, after) = rest.split_once('\n').unwrap_or((rest, ""));
    tx.execute_script(before).await?;
    match marker[STEP_MARKER.len()..].trim() {
        "backfill-organizations" => backfill_organizations(tx).await?,
        other => {
            return Err(FlameError::schema(format!("unknown migration step {other:?}")));
        }
    }
    if !after.trim().is_empty() {
        tx.execute_script(after).await?;
    }
    Ok(())
}

/// Migration 0010's step: the free-text `contacts.organization` becomes organizations. One
/// organization per distinct (company, trimmed text), compared by their lowercase (Rust's,
/// Unicode-aware, the same key [`Organization::name_key`] gives new organizations), named as
/// the first contact (by id, i.e. by creation) writes it and owned by that contact's owner,
/// or by the company's first owner when the contact has none; each contact that had the text
/// points at it. Blank texts carried no value and are dropped. Contacts are read in pages of
/// 1,000 in (company, id) order, so memory holds one company's names at a time.
///
/// [`Organization::name_key`]: flame_core::organization::Organization::name_key
async fn backfill_organizations(tx: &mut Tx) -> Result<()> {
    use std::collections::HashMap;
    const PAGE: i64 = 1_000;
    let now = OffsetDateTime::now_utc();
    let mut after: Option<(uuid::Uuid, uuid::Uuid)> = None;
    let mut company: Option<uuid::Uuid> = None;
    let mut company_owner: Option<uuid::Uuid> = None;
    let mut known: HashMap<String, uuid::Uuid> = HashMap::new();
    loop {
        let rows = match after {
            None => {
                tx.fetch_all(
                    "SELECT company_id, id, organization, owner_id FROM contacts
                     WHERE organization IS NOT NULL ORDER BY company_id, id LIMIT $1",
                    args![PAGE],
                )
                .await?
            }
            Some((c, i)) => {
                tx.fetch_all(
                    "SELECT company_id, id, organization, owner_id FROM contacts
                     WHERE organization IS NOT NULL AND (company_id, id) > ($1, $2)
                     ORDER BY company_id, id LIMIT $3",
                    args![c, i, PAGE],
                )
                .await?
            }
        };
        for row in &rows {
            let c: uuid::Uuid = row.id("company_id")?;
            let id: uuid::Uuid = row.id("id")?;
            after = Some((c, id));
            if company != Some(c) {
                company = Some(c);
                known.clear();
                company_owner = tx
                    .fetch_optional(
                        "SELECT user_id FROM memberships WHERE company_id = $1 AND role = 'owner'
                         ORDER BY created_at, user_id LIMIT 1",
                        args![c],
                    )
                    .await?
                    .map(|r| r.id::<uuid::Uuid>("user_id"))
                    .transpose()?;
            }
            let text: String = row.get("organization")?;
            let name = text.trim();
            if name.is_empty() {
                continue;
            }
            let key = flame_core::organization::name_key(name);
            let org = match known.get(&key) {
                Some(org) => *org,
                None => {
                    let org = flame_core::OrganizationId::new().as_uuid();
                    let owner = row.opt_id::<uuid::Uuid>("owner_id")?.or(company_owner);
                    tx.execute(
                        "INSERT INTO organizations (company_id, id, name, name_key, owner_id,
                                                    created_at, updated_at, version)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
                        args![c, org, name.to_owned(), key.clone(), owner, now, now],
                    )
                    .await?;
                    known.insert(key, org);
                    org
                }
            };
            tx.execute(
                "UPDATE contacts SET organization_id = $1 WHERE company_id = $2 AND id = $3",
                args![org, c, id],
            )
            .await?;
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

/// What the schema check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The newest migration applied to the database (0 for an empty database).
    pub version: i64,
    /// The version this build expects.
    pub expected: i64,
}

impl SchemaStatus {
    /// Whether the database is exactly at the version this build expects.
    pub fn matches(&self) -> bool {
        self.version == self.expected
    }
}

/// Verifies the live schema: every migration known and unchanged, none missing, and every
/// expected table and column present.
pub(crate) async fn verify(pool: &Pool) -> Result<SchemaStatus> {
    let backend = pool.backend();
    let mut exec = pool.exec();
    let done = applied(&mut exec).await?;
    let missing = pending(backend, &done)?;
    if let Some(first) = missing.first() {
        return Err(FlameError::schema(format!(
            "migration {} ({}) has not been applied; open without verify-only to apply it",
            first.version, first.name
        )));
    }
    for (table, columns) in EXPECTED {
        let present = live_columns(&mut exec, table).await?;
        if present.is_empty() {
            return Err(FlameError::schema(format!("table {table} is missing")));
        }
        if let Some(col) = columns.iter().find(|c| !present.iter().any(|p| p == *c)) {
            return Err(FlameError::schema(format!("column {table}.{col} is missing")));
        }
    }
    let version = done.last().map_or(0, |a| a.version);
    Ok(SchemaStatus { version, expected: expected_version() })
}

/// The schema version recorded in the database.
pub(crate) async fn current_version(pool: &Pool) -> Result<i64> {
    Ok(applied(&mut pool.exec()).await?.last().map_or(0, |a| a.version))
}

async fn live_columns(exec: &mut impl Executor, table: &str) -> Result<Vec<String>> {
    let rows = match exec.backend() {
        Backend::Sqlite => {
            exec.fetch_all("SELECT name FROM pragma_table_info($1)", args![table]).await?
        }
        Backend::Postgres => {
            exec.fetch_all(
                "SELECT column_name AS name FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
                args![table],
            )
            .await?
        }
    };
    rows.iter().map(|r| r.get::<String>("name")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        for backend in ["sqlite", "postgres"] {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/");
            let mut files: Vec<String> = std::fs::read_dir(format!("{dir}{backend}"))
                .expect("migrations dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let embedded: Vec<String> =
                MIGRATIONS.iter().map(|m| format!("{:04}_{}.sql", m.version, m.name)).collect();
            assert_eq!(files, embedded, "{backend} migrations on disk and in MIGRATIONS differ");
        }
    }

    #[test]
    fn versions_ascend() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
    }
}
