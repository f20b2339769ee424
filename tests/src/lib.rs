//! Shared support for Flame's integration tests: every test runs against SQLite (a fresh
//! file in a temporary directory) and against PostgreSQL (a fresh database on the server
//! that `scripts/test` starts and names in `FLAME_TEST_POSTGRES_URL`).
//!
//! Without that variable the PostgreSQL half fails with a message saying how to run it;
//! set `FLAME_TEST_POSTGRES=skip` to run the SQLite half alone on purpose.

use flame_core::company::SignUp;
use flame_db::{Flame, OpenOptions, SignedUp};
use sqlx::Connection;

/// One backend under test.
pub struct TestDb {
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub name: &'static str,
    /// The URL the store was opened with.
    pub url: String,
    /// The store.
    pub flame: Flame,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh SQLite database, then a fresh PostgreSQL database.
    pub async fn each() -> Vec<TestDb> {
        let mut dbs = vec![Self::sqlite().await];
        if let Some(pg) = Self::postgres().await {
            dbs.push(pg);
        }
        dbs
    }

    /// A fresh SQLite file.
    pub async fn sqlite() -> TestDb {
        let (url, dir) = Self::sqlite_url();
        let flame = Flame::open(&url, OpenOptions::default()).await.expect("open sqlite");
        TestDb { name: "sqlite", url, flame, _dir: Some(dir) }
    }

    /// The URL of a fresh SQLite file (not yet opened), and the directory holding it.
    pub fn sqlite_url() -> (String, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("flame.db").display());
        (url, dir)
    }

    /// A fresh PostgreSQL database, or `None` when explicitly skipped.
    pub async fn postgres() -> Option<TestDb> {
        let url = Self::postgres_url().await?;
        let flame = Flame::open(&url, OpenOptions::default()).await.expect("open postgres");
        Some(TestDb { name: "postgres", url, flame, _dir: None })
    }

    /// The URL of a fresh, empty PostgreSQL database, or `None` when explicitly skipped.
    pub async fn postgres_url() -> Option<String> {
        let admin = match std::env::var("FLAME_TEST_POSTGRES_URL") {
            Ok(url) => url,
            Err(_) if std::env::var("FLAME_TEST_POSTGRES").as_deref() == Ok("skip") => return None,
            Err(_) => panic!(
                "FLAME_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts \
                 PostgreSQL, or set FLAME_TEST_POSTGRES=skip to test SQLite alone"
            ),
        };
        let name = format!("flame_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn =
            sqlx::PgConnection::connect(&admin).await.expect("connect to the test server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        conn.close().await.ok();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        Some(format!("{base}/{name}"))
    }
}

/// The password every test owner signs up with.
pub const PASSWORD: &str = "correct horse battery";

/// Signs up a company named `name` with owner `owner@<name>.test`, whose email is then
/// verified (as the host's mail flow would), so that they can log in with [`PASSWORD`].
pub async fn company(flame: &Flame, name: &str) -> SignedUp {
    let mut signed = flame
        .sign_up(SignUp {
            company_name: name.into(),
            owner_email: format!("owner@{}.test", name.to_lowercase().replace(' ', "-")),
            owner_name: format!("{name} Owner"),
            password: Some(PASSWORD.into()),
        })
        .await
        .expect("sign up");
    signed.owner = verify(flame, signed.owner.id).await;
    signed
}

/// Verifies `user`'s email the way the owner of the address does: with a token issued for the
/// host to mail.
pub async fn verify(flame: &Flame, user: flame_core::UserId) -> flame_core::company::User {
    use secrecy::ExposeSecret as _;
    let mail = flame.email_verification(user).await.expect("issue a verification token");
    flame.verify_email(mail.token.expose_secret()).await.expect("verify the email")
}

/// Makes the user of `invitee` a member of `inviter`'s company with `role`, the way an
/// existing user joins another company: `inviter` invites their email and they accept from
/// their own session. Returns their session in `inviter`'s company.
pub async fn join(
    inviter: &flame_db::Session,
    invitee: &flame_db::Session,
    role: flame_core::Role,
) -> flame_db::Session {
    use secrecy::ExposeSecret;
    let email = invitee.account().user().await.expect("the invitee").email.to_string();
    let invite = inviter
        .invitations()
        .create(flame_core::account::NewInvitation { email, role, valid_days: None })
        .await
        .expect("invite");
    invitee.account().accept_invitation(invite.token.expose_secret()).await.expect("accept")
}

/// Makes a plan without limits the default, for tests that create more than the seeded
/// starter plan allows; companies signed up afterwards start on it.
pub async fn unlimited_plan(flame: &Flame) {
    default_plan(flame, "unlimited", flame_core::billing::PlanLimits::default()).await;
}

/// Makes a hidden, free plan coded `code` with `limits` the default; companies signed up
/// afterwards start on it.
pub async fn default_plan(
    flame: &Flame,
    code: &str,
    limits: flame_core::billing::PlanLimits,
) -> flame_core::billing::Plan {
    let plan = flame
        .plans()
        .create(flame_core::billing::NewPlan {
            code: code.into(),
            name: code.into(),
            price_minor: 0,
            currency: "USD".into(),
            interval: flame_core::billing::BillingInterval::Month,
            trial_days: 30,
            limits,
            public: false,
        })
        .await
        .expect("plan");
    flame.plans().set_default(plan.id).await.expect("default")
}

/// Asserts that `result` is a `Validation` error naming `field`.
#[track_caller]
pub fn assert_invalid<T: std::fmt::Debug>(result: flame_core::Result<T>, field: &str) {
    match result {
        Err(flame_core::FlameError::Validation { field: f, .. }) if f == field => {}
        other => panic!("expected a Validation error on {field}, got {other:?}"),
    }
}

/// Asserts that `result` is a `NotFound` error.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: flame_core::Result<T>) {
    assert!(
        matches!(result, Err(flame_core::FlameError::NotFound { .. })),
        "expected NotFound, got {result:?}"
    );
}

/// Asserts that `result` is a `Forbidden` error.
#[track_caller]
pub fn assert_forbidden<T: std::fmt::Debug>(result: flame_core::Result<T>) {
    assert!(
        matches!(result, Err(flame_core::FlameError::Forbidden { .. })),
        "expected Forbidden, got {result:?}"
    );
}

/// Asserts that `result` is an `Unauthenticated` error.
#[track_caller]
pub fn assert_unauthenticated<T: std::fmt::Debug>(result: flame_core::Result<T>) {
    assert!(
        matches!(result, Err(flame_core::FlameError::Unauthenticated { .. })),
        "expected Unauthenticated, got {result:?}"
    );
}

/// Asserts that `result` is a `PlanLimitExceeded` error on `limit`.
#[track_caller]
pub fn assert_limit<T: std::fmt::Debug>(result: flame_core::Result<T>, limit: &str) {
    match result {
        Err(flame_core::FlameError::PlanLimitExceeded { limit: l, .. }) if l == limit => {}
        other => panic!("expected PlanLimitExceeded on {limit}, got {other:?}"),
    }
}

/// Asserts that `result` is a `ReadOnly` error.
#[track_caller]
pub fn assert_read_only<T: std::fmt::Debug>(result: flame_core::Result<T>) {
    assert!(
        matches!(result, Err(flame_core::FlameError::ReadOnly { .. })),
        "expected ReadOnly, got {result:?}"
    );
}

/// Asserts that `result` is a `Conflict` error.
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(result: flame_core::Result<T>) {
    assert!(
        matches!(result, Err(flame_core::FlameError::Conflict { .. })),
        "expected Conflict, got {result:?}"
    );
}

/// Runs `sql` directly on the database at `url`, bypassing Flame (to damage a schema on
/// purpose).
pub async fn exec_raw(url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect sqlite");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("raw sql");
        conn.close().await.ok();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect postgres");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("raw sql");
        conn.close().await.ok();
    }
}

/// Counts the rows of `table` directly, bypassing Flame (to prove nothing was written).
pub async fn count_rows(url: &str, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect sqlite");
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.expect("count");
        conn.close().await.ok();
        n
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect postgres");
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.expect("count");
        conn.close().await.ok();
        n
    }
}

/// Row counts of every table a write might touch, to compare before and after a refused
/// write.
pub async fn snapshot(url: &str) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in [
        "companies",
        "users",
        "memberships",
        "subscriptions",
        "contacts",
        "organizations",
        "pipelines",
        "stages",
        "sources",
        "deals",
        "activities",
        "outbox",
        "auth_sessions",
        "api_tokens",
        "invitations",
        "payments",
        "login_throttle",
        "email_verifications",
        "tags",
        "contact_tags",
        "deal_tags",
        "organization_tags",
        "custom_fields",
        "custom_values",
    ] {
        out.push((table, count_rows(url, table).await));
    }
    out
}

/// Everything `tracing` logs, at every level, while it lives (to prove that no secret reaches
/// a log line).
pub struct LogCapture {
    buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _default: tracing::subscriber::DefaultGuard,
    _second: tracing::Dispatch,
}

#[derive(Clone)]
struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Starts capturing on this thread (tokio's default test runtime runs the test on it).
    pub fn start() -> Self {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = LogWriter(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let default = tracing::subscriber::set_default(subscriber);
        // With a single registered dispatcher, tracing-core may cache a callsite first reached
        // on another test thread as "never"; a second dispatcher makes it ask every subscriber.
        let second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        Self { buffer, _default: default, _second: second }
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        let bytes = self.buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
