//! The storage layer: one SQL text runs on either engine.
//!
//! Repositories write each statement once, with `$1, $2…` placeholders (both SQLite and
//! PostgreSQL accept them), pass their values as [`Arg`]s and read [`Row`]s. This module is
//! engine-neutral — the values, the statement text, the executor every repository calls, the
//! row decoding — and hands each statement to an engine module, so that nothing above it is
//! generic over the database:
//!
//! - [`sqlite`]: rusqlite on the calling task (always built);
//! - [`postgres`]: sqlx's PostgreSQL driver (the `postgres` cargo feature);
//! - [`codec`]: the text forms of times and dates that both engines read.

pub(crate) mod codec;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::sync::Arc;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use flame_core::{FlameError, Result};

use sqlite::{Output, Want};

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

/// A SQL text: a static string or one assembled from static pieces (filters), never from
/// input values, which always travel as [`Arg`]s.
pub(crate) enum Sql {
    Static(&'static str),
    Assembled(String),
}

impl From<&'static str> for Sql {
    fn from(s: &'static str) -> Self {
        Sql::Static(s)
    }
}

impl From<String> for Sql {
    fn from(s: String) -> Self {
        Sql::Assembled(s)
    }
}

impl Sql {
    fn as_str(&self) -> &str {
        match self {
            Sql::Static(s) => s,
            Sql::Assembled(s) => s,
        }
    }
}

/// A JSON column, decoded into `T` by either engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Json<T>(pub(crate) T);

/// A pool of connections to one of the backends.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(Arc<sqlite::Store>),
    #[cfg(feature = "postgres")]
    Postgres(postgres::PgPool),
}

/// An open transaction.
pub(crate) enum Tx {
    Sqlite(sqlite::Tx),
    #[cfg(feature = "postgres")]
    Postgres(postgres::PgTx),
}

/// A fetched row.
pub(crate) enum Row {
    Sqlite(sqlite::Row),
    #[cfg(feature = "postgres")]
    Postgres(postgres::PgRow),
}

/// Where a statement runs: a pool (autocommit) or an open transaction, of either engine.
pub(crate) enum Target<'a> {
    SqlitePool(&'a sqlite::Store),
    SqliteTx(&'a mut sqlite::Tx),
    #[cfg(feature = "postgres")]
    PgPool(&'a postgres::PgPool),
    #[cfg(feature = "postgres")]
    PgTx(&'a mut postgres::PgTx),
}

/// Runs `sql` on `target`, answering as `want` asks.
async fn run(target: Target<'_>, sql: Sql, args: Vec<Arg>, want: Want) -> Result<Output<Row>> {
    let sqlite = |out: Output| match out {
        Output::Affected(n) => Output::Affected(n),
        Output::Rows(rows) => Output::Rows(rows.into_iter().map(Row::Sqlite).collect()),
    };
    match target {
        Target::SqlitePool(store) => store.run(sql.as_str(), &args, want).await.map(sqlite),
        Target::SqliteTx(tx) => tx.run(sql.as_str(), &args, want).map(sqlite),
        #[cfg(feature = "postgres")]
        Target::PgPool(p) => postgres::run_on_pool(p, sql, args, want).await,
        #[cfg(feature = "postgres")]
        Target::PgTx(t) => postgres::run_in_tx(t, sql, args, want).await,
    }
}

fn rows(out: Output<Row>) -> Vec<Row> {
    match out {
        Output::Rows(rows) => rows,
        Output::Affected(_) => Vec::new(),
    }
}

/// Something statements run on: a pool (autocommit) or an open transaction.
pub(crate) trait Executor: Send {
    fn target(&mut self) -> Target<'_>;
    fn backend(&self) -> Backend;

    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: impl Into<Sql>, args: Vec<Arg>) -> BoxFuture<'_, u64> {
        let sql = sql.into();
        Box::pin(async move {
            match run(self.target(), sql, args, Want::Affected).await? {
                Output::Affected(n) => Ok(n),
                Output::Rows(_) => Ok(0),
            }
        })
    }

    /// Fetches every row.
    fn fetch_all(&mut self, sql: impl Into<Sql>, args: Vec<Arg>) -> BoxFuture<'_, Vec<Row>> {
        let sql = sql.into();
        Box::pin(async move { run(self.target(), sql, args, Want::All).await.map(rows) })
    }

    /// Fetches at most one row.
    fn fetch_optional(
        &mut self,
        sql: impl Into<Sql>,
        args: Vec<Arg>,
    ) -> BoxFuture<'_, Option<Row>> {
        let sql = sql.into();
        Box::pin(async move {
            run(self.target(), sql, args, Want::First).await.map(|out| rows(out).into_iter().next())
        })
    }

    /// Fetches exactly one row.
    fn fetch_one(&mut self, sql: impl Into<Sql>, args: Vec<Arg>) -> BoxFuture<'_, Row> {
        let sql = sql.into();
        Box::pin(async move {
            let row =
                run(self.target(), sql, args, Want::First).await.map(rows)?.into_iter().next();
            row.ok_or_else(|| {
                FlameError::storage("a statement expected to return a row returned none")
            })
        })
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
            #[cfg(feature = "postgres")]
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
            #[cfg(feature = "postgres")]
            Tx::Postgres(t) => Target::PgTx(t),
        }
    }
    fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Pool {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
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
                Pool::Sqlite(store) => store.begin().await.map(Tx::Sqlite),
                #[cfg(feature = "postgres")]
                Pool::Postgres(p) => postgres::begin(&p).await.map(Tx::Postgres),
            }
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(store) => store.close().await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// Commits the transaction.
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit(),
            #[cfg(feature = "postgres")]
            Tx::Postgres(t) => postgres::commit(t).await,
        }
    }
}

/// A value type every built engine decodes.
#[cfg(feature = "postgres")]
pub(crate) trait Column: sqlite::Decode + postgres::Decode {}
#[cfg(feature = "postgres")]
impl<T: sqlite::Decode + postgres::Decode> Column for T {}

/// A value type every built engine decodes.
#[cfg(not(feature = "postgres"))]
pub(crate) trait Column: sqlite::Decode {}
#[cfg(not(feature = "postgres"))]
impl<T: sqlite::Decode> Column for T {}

impl Row {
    /// The value of column `col`.
    pub(crate) fn get<T: Column>(&self, col: &str) -> Result<T> {
        match self {
            Row::Sqlite(r) => r
                .get(col)
                .ok_or_else(|| decode_error(col, "no such column, or not of the column's type")),
            #[cfg(feature = "postgres")]
            Row::Postgres(r) => postgres::get(r, col),
        }
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

    /// An optional `integer` column read as 64 bits: SQLite keeps any 64-bit value in it,
    /// PostgreSQL's holds 32.
    pub(crate) fn opt_int_widened(&self, col: &str) -> Result<Option<i64>> {
        match self {
            Row::Sqlite(_) => self.get(col),
            #[cfg(feature = "postgres")]
            Row::Postgres(_) => Ok(self.get::<Option<i32>>(col)?.map(i64::from)),
        }
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

/// Maps a failure to decode column `col`: logged, and reported as corrupt storage.
pub(crate) fn decode_error(col: &str, e: impl std::fmt::Display) -> FlameError {
    tracing::warn!(column = col, error = %e, "could not decode a stored value");
    corrupt(col)
}

/// The answer to a URL that names no store this build can open.
pub(crate) fn bad_url() -> FlameError {
    FlameError::validation("url", "must be sqlite://PATH, sqlite::memory: or postgres://…")
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
    /// Bulk-loads `data` (`COPY`'s text format) with `statement` (`COPY … FROM STDIN`) on
    /// PostgreSQL and returns the rows loaded; `None` on SQLite, which has no `COPY` (the
    /// caller inserts instead).
    pub(crate) async fn copy_in(&mut self, statement: &str, data: Vec<u8>) -> Result<Option<u64>> {
        match self {
            Tx::Sqlite(_) => {
                let _ = (statement, data);
                Ok(None)
            }
            #[cfg(feature = "postgres")]
            Tx::Postgres(t) => postgres::copy_in(t, statement, data).await.map(Some),
        }
    }

    /// Runs a script of several statements (a migration).
    pub(crate) async fn execute_script(&mut self, sql: &'static str) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.execute_script(sql),
            #[cfg(feature = "postgres")]
            Tx::Postgres(t) => postgres::execute_script(t, sql).await,
        }
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
    fn prefix_patterns_escape_wildcards() {
        assert_eq!(prefix_pattern(Backend::Sqlite, "a*b"), "a[*]b*");
        assert_eq!(prefix_pattern(Backend::Postgres, "50%_"), "50\\%\\_%");
    }
}
