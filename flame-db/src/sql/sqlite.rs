//! The SQLite backend: rusqlite connections driven from the calling task.
//!
//! SQLite is a library, not a server: a statement is a function call of a few microseconds.
//! Running it on the task that asks (instead of handing it to a worker thread and back, as
//! sqlx's SQLite driver does for every statement) is what lets Flame stay near the speed of
//! raw prepared statements (docs/benchmarks.md). The store therefore keeps:
//!
//! - **one writer connection** behind an async mutex. Every transaction takes it, so writers
//!   of one process queue on the mutex (fairly, without blocking a thread) instead of
//!   spinning on SQLite's lock; `BEGIN IMMEDIATE` then only waits for other processes, and
//!   that wait is an async retry loop, never a blocked thread;
//! - **idle reader connections** for statements outside a transaction. In WAL mode a reader
//!   never waits for a writer. A statement that would write (SQLite says so once prepared)
//!   is sent to the writer connection instead, so in-process writes always queue on the
//!   mutex;
//! - for `sqlite::memory:`, the one connection that holds the database, used for everything.
//!
//! Each connection caches its prepared statements. A statement runs to completion without
//! yielding: a long scan holds the task's thread for its duration, as it would hold sqlx's
//! worker thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex as SyncMutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::types::{Null, Value};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use time::{Date, OffsetDateTime};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

use flame_core::{FlameError, Result};

use super::Arg;
use super::codec::{decode_date, decode_time, encode_date, encode_time};
use crate::error::{Refusal, connection_timed_out, refused, store_closed};

/// Prepared statements kept per connection: more than the distinct statements Flame sends.
const STATEMENT_CACHE: usize = 512;

/// An opened SQLite database.
pub(crate) struct Store {
    /// `None` for a private in-memory database (its one connection is the writer).
    path: Option<PathBuf>,
    /// The connection every transaction (and every write) uses; `None` once closed.
    writer: Arc<Mutex<Option<Connection>>>,
    /// Idle reader connections (file databases only).
    readers: SyncMutex<Vec<Connection>>,
    max_idle: usize,
    busy_timeout: Duration,
    closed: AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("memory", &self.path.is_none()).finish()
    }
}

/// Where a `sqlite:` URL points: `None` for a throw-away in-memory store.
///
/// - `sqlite::memory:` and `sqlite://:memory:` open memory — nothing else does: a path that
///   merely contains `":memory:"` (`sqlite:///data/:memory:.db`) is that file;
/// - `sqlite://PATH` and `sqlite:PATH` open (creating) the file at `PATH`;
/// - the only query parameter taken is `mode=rwc` (read, write, create: what Flame does
///   anyway). Any other — `mode=ro`, `mode=memory`, `cache=shared`… — is refused, never
///   ignored: a store that silently writes where the host asked it not to, or forgets
///   everything on close, is worse than an error. (Read-only opening is not supported: the
///   store migrates and writes its schema checks when it opens.) SQLite `file:` URI names are
///   refused for the same reason.
///
/// Errors are `Validation` on `"url"`, naming what is wrong but not the URL.
fn parse_url(url: &str) -> Result<Option<PathBuf>> {
    let bad = |reason: &str| FlameError::validation("url", reason);
    let rest = url
        .strip_prefix("sqlite:")
        .ok_or_else(|| bad("must be sqlite://PATH, sqlite::memory: or postgres://…"))?;
    if rest == ":memory:" || rest == "//:memory:" {
        return Ok(None);
    }
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    for parameter in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
        if parameter != "mode=rwc" {
            return Err(bad(
                "takes no query parameter but mode=rwc (mode=ro, mode=memory, cache and the \
                 others are not supported)",
            ));
        }
    }
    if path.is_empty() {
        return Err(bad("must name a database file (sqlite://PATH) or sqlite::memory:"));
    }
    if path == ":memory:" {
        // `sqlite://:memory:?mode=rwc` and the like: memory with a parameter is not a form
        // Flame documents.
        return Err(bad("opens memory only as sqlite::memory:"));
    }
    if path.starts_with("file:") {
        return Err(bad("must be a path: SQLite file: URI names are not supported"));
    }
    Ok(Some(PathBuf::from(path)))
}

impl Store {
    /// Opens (creating if missing) the database at `url`.
    pub(crate) fn open(url: &str, max_connections: u32, busy_timeout: Duration) -> Result<Store> {
        let path = parse_url(url)?;
        let writer = match &path {
            Some(path) => {
                let conn = connect(path, busy_timeout)?;
                // WAL lets readers run beside the writer; it is a property of the file.
                conn.pragma_update(None, "journal_mode", "WAL").map_err(open_error)?;
                conn
            }
            None => {
                let conn = Connection::open_in_memory().map_err(open_error)?;
                configure(&conn, busy_timeout)?;
                conn
            }
        };
        Ok(Store {
            path,
            writer: Arc::new(Mutex::new(Some(writer))),
            readers: SyncMutex::new(Vec::new()),
            max_idle: usize::try_from(max_connections.max(1)).unwrap_or(1),
            busy_timeout,
            closed: AtomicBool::new(false),
        })
    }

    /// Begins a transaction that will write: takes the writer connection, then SQLite's write
    /// lock (`BEGIN IMMEDIATE`), waiting at most the busy timeout for both.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let deadline = Instant::now() + self.busy_timeout;
        let mut guard = self.lock_writer().await?;
        let conn = guard.as_mut().ok_or_else(store_closed)?;
        // Other processes may hold the lock: retry without blocking the thread.
        conn.busy_timeout(Duration::ZERO).map_err(statement_error)?;
        let mut pause = Duration::from_millis(1);
        let begun = loop {
            match conn.execute_batch("BEGIN IMMEDIATE") {
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                other => break other,
            }
        };
        conn.busy_timeout(self.busy_timeout).map_err(statement_error)?;
        begun.map_err(statement_error)?;
        Ok(Tx { conn: guard, open: true })
    }

    /// Runs one statement outside a transaction.
    pub(crate) async fn run(&self, sql: &str, args: &[Arg], want: Want) -> Result<Output> {
        if self.closed.load(Ordering::Acquire) {
            return Err(store_closed());
        }
        if self.path.is_none() {
            let mut guard = self.lock_writer().await?;
            return run(guard.as_mut().ok_or_else(store_closed)?, sql, args, want);
        }
        let sql = numbered(sql);
        let conn = self.reader()?;
        let readonly = conn.prepare_cached(&sql).map(|s| s.readonly()).map_err(statement_error);
        let out = match readonly {
            Ok(true) => run_numbered(&conn, &sql, args, want),
            Ok(false) => {
                // A write: it queues with the process's other writers.
                self.give_back(conn);
                let mut guard = self.lock_writer().await?;
                return run_numbered(guard.as_mut().ok_or_else(store_closed)?, &sql, args, want);
            }
            Err(e) => Err(e),
        };
        self.give_back(conn);
        out
    }

    /// Closes every connection; later calls fail with `Storage`.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.readers.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.writer.lock().await.take();
    }

    async fn lock_writer(&self) -> Result<OwnedMutexGuard<Option<Connection>>> {
        match tokio::time::timeout(self.busy_timeout, self.writer.clone().lock_owned()).await {
            Ok(guard) if guard.is_some() => Ok(guard),
            Ok(_) => Err(store_closed()),
            Err(_) => Err(connection_timed_out()),
        }
    }

    fn reader(&self) -> Result<Connection> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match (idle, &self.path) {
            (Some(conn), _) => Ok(conn),
            (None, Some(path)) => connect(path, self.busy_timeout),
            (None, None) => Err(store_closed()),
        }
    }

    fn give_back(&self, conn: Connection) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }
}

/// An open transaction on the writer connection; rolled back if dropped uncommitted.
pub(crate) struct Tx {
    conn: OwnedMutexGuard<Option<Connection>>,
    open: bool,
}

impl Tx {
    fn conn(&self) -> Result<&Connection> {
        self.conn.as_ref().ok_or_else(store_closed)
    }

    /// Runs one statement in the transaction.
    pub(crate) fn run(&mut self, sql: &str, args: &[Arg], want: Want) -> Result<Output> {
        run(self.conn()?, sql, args, want)
    }

    /// Runs a script of several statements (a migration).
    pub(crate) fn execute_script(&mut self, sql: &str) -> Result<()> {
        self.conn()?.execute_batch(sql).map_err(statement_error)
    }

    /// Commits.
    pub(crate) fn commit(mut self) -> Result<()> {
        let done = self.conn()?.execute_batch("COMMIT").map_err(statement_error);
        if done.is_ok() {
            self.open = false;
        }
        done
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.open
            && let Some(conn) = self.conn.as_ref()
            && !conn.is_autocommit()
            && let Err(e) = conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "could not roll back a SQLite transaction");
        }
    }
}

/// What a statement should return.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Want {
    /// The number of rows changed.
    Affected,
    /// Every row.
    All,
    /// At most the first row.
    First,
}

/// What a statement returned: a count, or rows (of either backend's row type).
pub(crate) enum Output<R = Row> {
    Affected(u64),
    Rows(Vec<R>),
}

fn run(conn: &Connection, sql: &str, args: &[Arg], want: Want) -> Result<Output> {
    run_numbered(conn, &numbered(sql), args, want)
}

/// Runs `sql`, whose placeholders are already `?n` ([`numbered`]).
fn run_numbered(conn: &Connection, sql: &str, args: &[Arg], want: Want) -> Result<Output> {
    let mut stmt = conn.prepare_cached(sql).map_err(statement_error)?;
    for index in 1..=stmt.parameter_count() {
        let arg = args
            .get(index - 1)
            .ok_or_else(|| FlameError::storage("a statement names a value it was not given"))?;
        bind(&mut stmt, index, arg).map_err(statement_error)?;
    }
    if let Want::Affected = want {
        let changed = stmt.raw_execute().map_err(statement_error)?;
        return Ok(Output::Affected(changed as u64));
    }
    let names: Arc<[Box<str>]> = stmt.column_names().into_iter().map(Box::from).collect();
    let width = names.len();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(statement_error)? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(row.get::<_, Value>(i).map_err(statement_error)?);
        }
        out.push(Row { names: names.clone(), values });
        if let Want::First = want {
            break;
        }
    }
    Ok(Output::Rows(out))
}

/// Rewrites the `$n` placeholders the repositories write (PostgreSQL's form) as `?n`:
/// SQLite numbers `?n` by `n` itself, so value n binds at index n, while it numbers `$n`
/// (a named parameter to SQLite) by order of first appearance. String literals are left
/// alone.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_literal = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => in_literal = !in_literal,
            '$' if !in_literal && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('?');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, index: usize, arg: &Arg) -> rusqlite::Result<()> {
    match arg {
        Arg::Uuid(Some(v)) => stmt.raw_bind_parameter(index, &v.as_bytes()[..]),
        Arg::Text(Some(v)) => stmt.raw_bind_parameter(index, v.as_str()),
        Arg::Int(Some(v)) => stmt.raw_bind_parameter(index, v),
        Arg::Bool(v) => stmt.raw_bind_parameter(index, i64::from(*v)),
        Arg::Time(Some(v)) => stmt.raw_bind_parameter(index, encode_time(*v)),
        Arg::Date(Some(v)) => stmt.raw_bind_parameter(index, encode_date(*v)),
        Arg::Json(v) => stmt.raw_bind_parameter(index, v.to_string()),
        Arg::Uuid(None) | Arg::Text(None) | Arg::Int(None) | Arg::Time(None) | Arg::Date(None) => {
            stmt.raw_bind_parameter(index, Null)
        }
    }
}

/// A fetched row: its column names (shared by the rows of one statement) and its values.
pub(crate) struct Row {
    names: Arc<[Box<str>]>,
    values: Vec<Value>,
}

impl Row {
    /// The value of column `col`, or `None` when the row has no such column or the value
    /// does not decode as `T`.
    pub(crate) fn get<T: Decode>(&self, col: &str) -> Option<T> {
        let i = self.names.iter().position(|n| &**n == col)?;
        T::decode(&self.values[i])
    }
}

/// A Rust type read from a stored SQLite value.
pub(crate) trait Decode: Sized {
    /// `None` when `value` is not a `Self`.
    fn decode(value: &Value) -> Option<Self>;
}

impl<T: Decode> Decode for Option<T> {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::decode(other).map(Some),
        }
    }
}

impl Decode for String {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl Decode for i64 {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Integer(v) => Some(*v),
            _ => None,
        }
    }
}

impl Decode for i32 {
    fn decode(value: &Value) -> Option<Self> {
        i64::decode(value).and_then(|v| i32::try_from(v).ok())
    }
}

impl Decode for bool {
    fn decode(value: &Value) -> Option<Self> {
        i64::decode(value).map(|v| v != 0)
    }
}

impl Decode for Uuid {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Blob(b) => Uuid::from_slice(b).ok(),
            Value::Text(s) => s.parse().ok(),
            _ => None,
        }
    }
}

impl Decode for OffsetDateTime {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Text(s) => decode_time(s),
            _ => None,
        }
    }
}

impl Decode for Date {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Text(s) => decode_date(s),
            _ => None,
        }
    }
}

impl<T: serde::de::DeserializeOwned> Decode for super::Json<T> {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Text(s) => serde_json::from_str(s).ok().map(super::Json),
            Value::Blob(b) => serde_json::from_slice(b).ok().map(super::Json),
            _ => None,
        }
    }
}

fn connect(path: &std::path::Path, busy_timeout: Duration) -> Result<Connection> {
    // No SQLITE_OPEN_URI: the path is a file name, never a `file:` URI with its own mode.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
    configure(&conn, busy_timeout)?;
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_error)?;
    Ok(conn)
}

fn configure(conn: &Connection, busy_timeout: Duration) -> Result<()> {
    conn.busy_timeout(busy_timeout).map_err(open_error)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(open_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

fn open_error(e: rusqlite::Error) -> FlameError {
    tracing::warn!(error = %e, "could not open the SQLite database");
    FlameError::storage("could not open the SQLite database file")
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// Maps an error from running a statement (Flame's wording: [`refused`]).
fn statement_error(e: rusqlite::Error) -> FlameError {
    use rusqlite::ffi;
    let extended = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
        _ => None,
    };
    tracing::warn!(code = ?extended, error = %e, "database error");
    match extended {
        Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
            refused(Refusal::Unique)
        }
        Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => refused(Refusal::ForeignKey),
        Some(ffi::SQLITE_CONSTRAINT_CHECK | ffi::SQLITE_CONSTRAINT_NOTNULL) => {
            refused(Refusal::Check)
        }
        _ if is_busy(&e) => refused(Refusal::Busy),
        Some(_) => refused(Refusal::Other),
        None => FlameError::storage("the database operation failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_file_or_memory() {
        let file = |p: &str| Ok(Some(PathBuf::from(p)));
        assert_eq!(parse_url("sqlite::memory:"), Ok(None));
        assert_eq!(parse_url("sqlite://:memory:"), Ok(None));
        assert_eq!(parse_url("sqlite:///tmp/a.db"), file("/tmp/a.db"));
        assert_eq!(parse_url("sqlite://data/a.db?mode=rwc"), file("data/a.db"));
        assert_eq!(parse_url("sqlite:a.db"), file("a.db"));
        // A path that merely contains ":memory:" is a file, not a throw-away store.
        assert_eq!(parse_url("sqlite:///data/:memory:.db"), file("/data/:memory:.db"));
        assert_eq!(parse_url("sqlite://backup-:memory:"), file("backup-:memory:"));
        assert_eq!(
            parse_url("sqlite:///var/lib/x:memory:/crm.db"),
            file("/var/lib/x:memory:/crm.db")
        );
    }

    #[test]
    fn unsupported_urls_and_parameters_are_refused_not_ignored() {
        for url in [
            "sqlite://",
            "sqlite:",
            "postgres://x",
            "sqlite:///tmp/a.db?mode=ro",
            "sqlite:///tmp/a.db?mode=rw",
            "sqlite:///tmp/a.db?mode=memory",
            "sqlite:///tmp/a.db?cache=shared",
            "sqlite:///tmp/a.db?mode=rwc&immutable=1",
            "sqlite://file:x?mode=memory&cache=shared",
            "sqlite://file:crm.db",
            "sqlite::memory:?mode=rwc",
            "sqlite://:memory:?cache=shared",
            "sqlite://?mode=rwc",
        ] {
            match parse_url(url) {
                Err(FlameError::Validation { field, reason }) => {
                    assert_eq!(field, "url", "{url}");
                    assert!(!reason.contains("/tmp"), "{reason}");
                }
                other => panic!("{url}: expected a Validation on url, got {other:?}"),
            }
        }
    }

    #[test]
    fn times_are_fixed_width_and_read_back() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.5 +01:00);
        assert_eq!(encode_time(t), "2026-01-02T02:04:05.500000Z");
        assert_eq!(decode_time(&encode_time(t)), Some(t));
        assert_eq!(
            decode_time("2026-01-02 02:04:05"),
            Some(time::macros::datetime!(2026-01-02 02:04:05 UTC))
        );
    }

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(
            numbered("SELECT $1, '$2', $10 WHERE x = 'it''s $3'"),
            "SELECT ?1, '$2', ?10 WHERE x = 'it''s $3'"
        );
    }

    #[test]
    fn placeholders_bind_by_number_whatever_their_order() {
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let out = run(
            &conn,
            "SELECT $2 AS b, $1 AS a, $2 AS b2",
            &[Arg::Int(Some(1)), Arg::Text(Some("two".into()))],
            Want::All,
        );
        let Ok(Output::Rows(rows)) = out else { panic!("no rows") };
        assert_eq!(rows[0].get::<String>("b").as_deref(), Some("two"));
        assert_eq!(rows[0].get::<i64>("a"), Some(1));
        assert_eq!(rows[0].get::<String>("b2").as_deref(), Some("two"));
    }
}
