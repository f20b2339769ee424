//! The thin layer between the repositories and sqlx: one SQL text runs on either backend.
//!
//! Repositories write each statement once, with `$1, $2…` placeholders (both SQLite and
//! PostgreSQL accept them), pass their values as [`Arg`]s and read [`Row`]s. This module
//! binds and decodes per backend, so that nothing above it is generic over the database.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{AssertSqlSafe, Postgres, Row as _, Sqlite, Transaction};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use flame_core::{FlameError, Result};

use crate::error::{decode_error, storage_error};

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, a file or memory.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Time(Option<OffsetDateTime>),
    Date(Option<Date>),
    Json(serde_json::Value),
}

impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Arg::Uuid(Some(v))
    }
}
impl From<Option<Uuid>> for Arg {
    fn from(v: Option<Uuid>) -> Self {
        Arg::Uuid(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Self {
        Arg::Int(Some(i64::from(v)))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<OffsetDateTime> for Arg {
    fn from(v: OffsetDateTime) -> Self {
        Arg::Time(Some(v))
    }
}
impl From<Option<OffsetDateTime>> for Arg {
    fn from(v: Option<OffsetDateTime>) -> Self {
        Arg::Time(v)
    }
}
impl From<Option<Date>> for Arg {
    fn from(v: Option<Date>) -> Self {
        Arg::Date(v)
    }
}
impl From<serde_json::Value> for Arg {
    fn from(v: serde_json::Value) -> Self {
        Arg::Json(v)
    }
}

/// Builds a `Vec<Arg>` from values that convert into [`Arg`]; typed ids go through
/// `.as_uuid()` or their `Option` mapping.
macro_rules! args {
    ($($value:expr),* $(,)?) => { vec![$($crate::sql::Arg::from($value)),*] };
}
pub(crate) use args;

/// Times on SQLite are stored as fixed-width RFC 3339 text in UTC with microseconds, so that
/// text order is time order.
fn sqlite_time(t: OffsetDateTime) -> String {
    let t = flame_core::clock::normalize(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

macro_rules! bind_all {
    ($query:expr, $args:expr, $time:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::Uuid(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Time(v) => q.bind(v.map($time)),
                Arg::Date(v) => q.bind(v),
                Arg::Json(v) => q.bind(sqlx::types::Json(v)),
            };
        }
        q
    }};
}

/// A SQL text: a static string or one assembled from static pieces (filters), never from
/// input values, which always travel as [`Arg`]s.
pub(crate) struct Sql(sqlx::SqlStr);

impl From<&'static str> for Sql {
    fn from(s: &'static str) -> Self {
        Sql(sqlx::SqlSafeStr::into_sql_str(s))
    }
}

impl From<String> for Sql {
    fn from(s: String) -> Self {
        // Safe: assembled by the repositories from static fragments and placeholders only.
        Sql(sqlx::SqlSafeStr::into_sql_str(AssertSqlSafe(s)))
    }
}

/// A pool of connections to one of the backends.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A fetched row.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

fn pg_time(t: OffsetDateTime) -> OffsetDateTime {
    flame_core::clock::normalize(t)
}

macro_rules! run {
    ($target:expr, $sql:expr, $args:expr, $method:ident, $wrap:expr) => {
        match $target {
            Target::SqlitePool(p) => bind_all!(sqlx::query::<Sqlite>($sql.0), $args, sqlite_time)
                .$method(p)
                .await
                .map(|r| $wrap(r, Row::Sqlite as fn(SqliteRow) -> Row)),
            Target::PgPool(p) => bind_all!(sqlx::query::<Postgres>($sql.0), $args, pg_time)
                .$method(p)
                .await
                .map(|r| $wrap(r, Row::Postgres as fn(PgRow) -> Row)),
            Target::SqliteTx(t) => bind_all!(sqlx::query::<Sqlite>($sql.0), $args, sqlite_time)
                .$method(&mut **t)
                .await
                .map(|r| $wrap(r, Row::Sqlite as fn(SqliteRow) -> Row)),
            Target::PgTx(t) => bind_all!(sqlx::query::<Postgres>($sql.0), $args, pg_time)
                .$method(&mut **t)
                .await
                .map(|r| $wrap(r, Row::Postgres as fn(PgRow) -> Row)),
        }
        .map_err(storage_error)
    };
}

trait Affected {
    fn rows(&self) -> u64;
}
impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}
impl Affected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}
fn affected<R: Affected, W>(result: R, _wrap: W) -> u64 {
    result.rows()
}
fn wrap_all<R>(rows: Vec<R>, wrap: fn(R) -> Row) -> Vec<Row> {
    rows.into_iter().map(wrap).collect()
}
fn wrap_one<R>(row: R, wrap: fn(R) -> Row) -> Row {
    wrap(row)
}

pub(crate) enum Target<'a> {
    SqlitePool(&'a SqlitePool),
    PgPool(&'a PgPool),
    SqliteTx(&'a mut Transaction<'static, Sqlite>),
    PgTx(&'a mut Transaction<'static, Postgres>),
}

/// Something statements run on: a pool (autocommit) or an open transaction.
pub(crate) trait Executor: Send {
    fn target(&mut self) -> Target<'_>;
    fn backend(&self) -> Backend;

    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: impl Into<Sql>, args: Vec<Arg>) -> BoxFuture<'_, u64> {
        let sql = sql.into();
        Box::pin(async move { run!(self.target(), sql, args, execute, affected) })
    }

    /// Fetches every row.
    fn fetch_all(&mut self, sql: impl Into<Sql>, args: Vec<Arg>) -> BoxFuture<'_, Vec<Row>> {
        let sql = sql.into();
        Box::pin(async move { run!(self.target(), sql, args, fetch_all, wrap_all) })
    }

    /// Fetches at most one row.
    fn fetch_optional(
        &mut self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> BoxFuture<'_, Option<Row>> {
        let sql = sql.into();
        Box::pin(async move { run!(self.target(), sql, args, fetch_optional, Option::map) })
    }

    /// Fetches exactly one row.
    fn fetch_one(&mut self, sql: impl Into<Sql>, args: Vec<Arg>) -> BoxFuture<'_, Row> {
        let sql = sql.into();
        Box::pin(async move { run!(self.target(), sql, args, fetch_one, wrap_one) })
    }
}

/// The future of a statement: boxed, so that it is `Send` for every caller, whatever the
/// type of the SQL text it was given.
pub(crate) type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A pool runs each statement in its own implicit transaction.
pub(crate) struct PoolExec(Pool);

impl Executor for PoolExec {
    fn target(&mut self) -> Target<'_> {
        match &self.0 {
            Pool::Sqlite(p) => Target::SqlitePool(p),
            Pool::Postgres(p) => Target::PgPool(p),
        }
    }
    fn backend(&self) -> Backend {
        self.0.backend()
    }
}

impl Executor for Tx {
    fn target(&mut self) -> Target<'_> {
        match self {
            Tx::Sqlite(t) => Target::SqliteTx(t),
            Tx::Postgres(t) => Target::PgTx(t),
        }
    }
    fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Pool {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs statements without an explicit transaction.
    pub(crate) fn exec(&self) -> PoolExec {
        PoolExec(self.clone())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that concurrent writers queue instead of failing midway.
    pub(crate) fn begin(&self) -> impl Future<Output = Result<Tx>> + Send + 'static {
        let pool = self.clone();
        async move {
            match pool {
                Pool::Sqlite(p) => p.begin_with("BEGIN IMMEDIATE").await.map(Tx::Sqlite),
                Pool::Postgres(p) => p.begin().await.map(Tx::Postgres),
            }
            .map_err(storage_error)
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// Commits the transaction.
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
        .map_err(storage_error)
    }
}

/// A value type both backends decode.
pub(crate) trait Column:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
{
}

impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
{
}

impl Row {
    /// The value of column `col`.
    pub(crate) fn get<T: Column>(&self, col: &str) -> Result<T> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
        .map_err(|e| decode_error(col, e))
    }

    /// A typed id from a UUID column.
    pub(crate) fn id<T: From<Uuid>>(&self, col: &str) -> Result<T> {
        self.get::<Uuid>(col).map(T::from)
    }

    /// An optional typed id.
    pub(crate) fn opt_id<T: From<Uuid>>(&self, col: &str) -> Result<Option<T>> {
        Ok(self.get::<Option<Uuid>>(col)?.map(T::from))
    }

    /// A value stored as text and parsed by the domain (`Email`, `Role`, …). A value that no
    /// longer parses is reported as corrupt storage, naming the column.
    pub(crate) fn parse<T: std::str::FromStr>(&self, col: &str) -> Result<T> {
        let text: String = self.get(col)?;
        text.parse().map_err(|_| corrupt(col))
    }

    /// An optional value stored as text and parsed by the domain.
    pub(crate) fn parse_opt<T: std::str::FromStr>(&self, col: &str) -> Result<Option<T>> {
        self.get::<Option<String>>(col)?
            .map(|text| text.parse().map_err(|_| corrupt(col)))
            .transpose()
    }

    /// A timestamp.
    pub(crate) fn time(&self, col: &str) -> Result<OffsetDateTime> {
        self.get(col)
    }

    /// An optional timestamp.
    pub(crate) fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>> {
        self.get(col)
    }

    /// A 64-bit integer.
    pub(crate) fn int(&self, col: &str) -> Result<i64> {
        self.get(col)
    }

    /// A 32-bit integer.
    pub(crate) fn int32(&self, col: &str) -> Result<i32> {
        self.get(col)
    }
}

/// Decodes the row a lookup found, or answers `NotFound` for `entity`.
pub(crate) fn found<T>(
    row: Option<Row>,
    decode: impl Fn(&Row) -> Result<T>,
    entity: &str,
) -> Result<T> {
    match row {
        Some(row) => decode(&row),
        None => Err(FlameError::not_found(entity)),
    }
}

pub(crate) fn corrupt(col: &str) -> FlameError {
    FlameError::storage(format!("the stored value of column {col} is corrupt"))
}

/// Escapes `prefix` for a prefix match and appends the wildcard: `GLOB` on SQLite (which
/// uses an index on a lowercase key), `LIKE` on PostgreSQL.
pub(crate) fn prefix_pattern(backend: Backend, prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        match (backend, c) {
            (Backend::Sqlite, '*' | '?' | '[') => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            (Backend::Postgres, '%' | '_' | '\\') => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.push(match backend {
        Backend::Sqlite => '*',
        Backend::Postgres => '%',
    });
    out
}

/// The prefix-match operator of `backend`.
pub(crate) fn prefix_op(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "GLOB",
        Backend::Postgres => "LIKE",
    }
}

impl Tx {
    /// Runs a script of several statements (a migration).
    pub(crate) async fn execute_script(&mut self, sql: &'static str) -> Result<()> {
        match self {
            Tx::Sqlite(t) => sqlx::raw_sql(sql).execute(&mut **t).await.map(drop),
            Tx::Postgres(t) => sqlx::raw_sql(sql).execute(&mut **t).await.map(drop),
        }
        .map_err(storage_error)
    }
}

/// A statement assembled from static fragments, numbering placeholders as values are added:
/// the list queries, whose `WHERE` depends on which filters are given.
pub(crate) struct Statement {
    sql: String,
    args: Vec<Arg>,
}

impl Statement {
    /// Starts with `sql`, which may use `$1…$n` for the first `args`.
    pub(crate) fn new(sql: &'static str, args: Vec<Arg>) -> Self {
        Self { sql: sql.to_owned(), args }
    }

    /// Adds `value` and returns its placeholder.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    /// Appends a static fragment.
    pub(crate) fn push(&mut self, fragment: &str) -> &mut Self {
        self.sql.push_str(fragment);
        self
    }

    /// Appends ` AND {column} {op} $n` when `value` is given.
    pub(crate) fn and<V: Into<Arg>>(
        &mut self,
        column: &str,
        op: &str,
        value: Option<V>,
    ) -> &mut Self {
        if let Some(value) = value {
            let p = self.bind(value);
            self.sql.push_str(&format!(" AND {column} {op} {p}"));
        }
        self
    }

    /// Appends keyset pagination on `id` and the `LIMIT` that over-fetches one row.
    pub(crate) fn page(&mut self, after: Option<Uuid>, limit: u32, descending: bool) -> &mut Self {
        let op = if descending { "<" } else { ">" };
        self.and("id", op, after);
        let p = self.bind(i64::from(limit) + 1);
        let order = if descending { "DESC" } else { "ASC" };
        self.sql.push_str(&format!(" ORDER BY id {order} LIMIT {p}"));
        self
    }

    /// The SQL text and its values.
    pub(crate) fn build(self) -> (Sql, Vec<Arg>) {
        (Sql::from(self.sql), self.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_times_are_fixed_width() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.5 +01:00);
        assert_eq!(sqlite_time(t), "2026-01-02T02:04:05.500000Z");
    }

    #[test]
    fn prefix_patterns_escape_wildcards() {
        assert_eq!(prefix_pattern(Backend::Sqlite, "a*b"), "a[*]b*");
        assert_eq!(prefix_pattern(Backend::Postgres, "50%_"), "50\\%\\_%");
    }
}
