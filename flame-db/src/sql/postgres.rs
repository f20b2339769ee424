//! The PostgreSQL engine: sqlx's driver and its connection pool (the `postgres` feature).
//!
//! Everything here is called from the engine-neutral layer ([`super`]); repositories never
//! name sqlx.

use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Postgres, Row as _};

use flame_core::{FlameError, Result};

use super::sqlite::{Output, Want};
use super::{Arg, Json, Row, Sql, decode_error};
use crate::error::{Refusal, connection_timed_out, refused, store_closed};

pub(crate) use sqlx::postgres::{PgPool, PgRow};

/// An open PostgreSQL transaction.
pub(crate) type PgTx = sqlx::Transaction<'static, Postgres>;

/// A value type sqlx decodes from a PostgreSQL column.
pub(crate) trait Decode: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres> {}
impl<T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>> Decode for T {}

impl<'r, T: serde::de::DeserializeOwned + 'r> sqlx::Decode<'r, Postgres> for Json<T> {
    fn decode(
        value: sqlx::postgres::PgValueRef<'r>,
    ) -> std::result::Result<Self, sqlx::error::BoxDynError> {
        <sqlx::types::Json<T> as sqlx::Decode<'r, Postgres>>::decode(value).map(|j| Json(j.0))
    }
}

impl<T> sqlx::Type<Postgres> for Json<T> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <sqlx::types::Json<T> as sqlx::Type<Postgres>>::type_info()
    }
    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <sqlx::types::Json<T> as sqlx::Type<Postgres>>::compatible(ty)
    }
}

/// Connects a pool to the server at `url` (already known to be a `postgres://` URL).
pub(crate) async fn connect(
    url: &str,
    max_connections: u32,
    acquire_timeout: std::time::Duration,
) -> Result<PgPool> {
    use std::str::FromStr as _;
    let connect = PgConnectOptions::from_str(url).map_err(|_| super::bad_url())?;
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "could not connect to PostgreSQL");
            flame_core::FlameError::storage("could not connect to the PostgreSQL server")
        })
}

fn query(sql: Sql, args: Vec<Arg>) -> Query<'static, Postgres, PgArguments> {
    let mut q = match sql {
        Sql::Static(s) => sqlx::query(s),
        // Safe: assembled by the repositories from static fragments and placeholders only.
        Sql::Assembled(s) => sqlx::query(AssertSqlSafe(s)),
    };
    for arg in args {
        q = match arg {
            Arg::Uuid(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Time(v) => q.bind(v.map(flame_core::clock::normalize)),
            Arg::Date(v) => q.bind(v),
            Arg::Json(v) => q.bind(sqlx::types::Json(v)),
        };
    }
    q
}

/// Runs a statement on a connection taken from `pool` for it.
pub(crate) async fn run_on_pool(
    pool: &PgPool,
    sql: Sql,
    args: Vec<Arg>,
    want: Want,
) -> Result<Output<Row>> {
    let mut conn = pool.acquire().await.map_err(storage_error)?;
    let out = run(query(sql, args), &mut *conn, want).await;
    // Hand the connection back here rather than from a task spawned on drop: the next
    // statement finds it idle instead of waiting for another thread.
    conn.return_to_pool().await;
    out
}

/// Runs a statement inside the open transaction `tx`.
pub(crate) async fn run_in_tx(
    tx: &mut PgTx,
    sql: Sql,
    args: Vec<Arg>,
    want: Want,
) -> Result<Output<Row>> {
    run(query(sql, args), &mut **tx, want).await
}

async fn run<'c, E>(
    q: Query<'static, Postgres, PgArguments>,
    exec: E,
    want: Want,
) -> Result<Output<Row>>
where
    E: sqlx::Executor<'c, Database = Postgres>,
{
    let out = match want {
        Want::Affected => q.execute(exec).await.map(|r| Output::Affected(r.rows_affected())),
        Want::All => q
            .fetch_all(exec)
            .await
            .map(|rows| Output::Rows(rows.into_iter().map(Row::Postgres).collect())),
        Want::First => q
            .fetch_optional(exec)
            .await
            .map(|row| Output::Rows(row.into_iter().map(Row::Postgres).collect())),
    };
    out.map_err(storage_error)
}

/// Begins a transaction.
pub(crate) async fn begin(pool: &PgPool) -> Result<PgTx> {
    pool.begin().await.map_err(storage_error)
}

/// Commits `tx`.
pub(crate) async fn commit(tx: PgTx) -> Result<()> {
    tx.commit().await.map_err(storage_error)
}

/// The value of column `col` of `row`.
pub(crate) fn get<T: Decode>(row: &PgRow, col: &str) -> Result<T> {
    row.try_get(col).map_err(|e| decode_error(col, e))
}

/// Bulk-loads `data` (`COPY`'s text format) with `statement` (`COPY … FROM STDIN`); returns
/// the rows loaded.
pub(crate) async fn copy_in(tx: &mut PgTx, statement: &str, data: Vec<u8>) -> Result<u64> {
    let mut copy = tx.copy_in_raw(statement).await.map_err(storage_error)?;
    if let Err(e) = copy.send(data).await {
        let _ = copy.abort("the data could not be sent").await;
        return Err(storage_error(e));
    }
    copy.finish().await.map_err(storage_error)
}

/// Runs a script of several statements (a migration).
pub(crate) async fn execute_script(tx: &mut PgTx, sql: &'static str) -> Result<()> {
    sqlx::raw_sql(sql).execute(&mut **tx).await.map(drop).map_err(storage_error)
}

/// Maps a sqlx (PostgreSQL) error from running a statement.
pub(crate) fn storage_error(e: sqlx::Error) -> FlameError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            tracing::warn!(code = %code, error = %db, "database error");
            refused(if db.is_unique_violation() {
                Refusal::Unique
            } else if db.is_foreign_key_violation() {
                Refusal::ForeignKey
            } else if db.is_check_violation() {
                Refusal::Check
            } else if matches!(code.as_str(), "40001" | "40P01") {
                // Serialization failure, deadlock.
                Refusal::Busy
            } else {
                Refusal::Other
            })
        }
        sqlx::Error::PoolTimedOut => connection_timed_out(),
        sqlx::Error::PoolClosed => store_closed(),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => {
            tracing::warn!(error = %e, "database connection failed");
            FlameError::storage("the database connection failed")
        }
        sqlx::Error::Configuration(_) => {
            tracing::warn!(error = %e, "database configuration error");
            FlameError::validation("url", "is not a usable database address")
        }
        _ => {
            tracing::warn!(error = %e, "database error");
            FlameError::storage("the database operation failed")
        }
    }
}
