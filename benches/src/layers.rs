//! Where the time of one point read goes on SQLite: the same `get contact` statement through
//! each layer between rusqlite and the Flame API, so that a gap in the report can be pinned on
//! a layer (`report --layers`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions as _, Row as _};
use tokio::runtime::Runtime;
use uuid::Uuid;

use flame_core::ContactId;

use crate::data::Rng;
use crate::seed::Store;
use crate::stats::Samples;
use crate::{BenchError, Result};

const GET: &str =
    "SELECT company_id, id, first_name, last_name, email, phone, organization_id, owner_id,
        created_at, updated_at, version FROM contacts WHERE company_id = $1 AND id = $2";

fn decode(row: &sqlx::sqlite::SqliteRow) -> std::result::Result<Uuid, sqlx::Error> {
    let _: Uuid = row.try_get("company_id")?;
    let _: String = row.try_get("first_name")?;
    let _: Option<String> = row.try_get("last_name")?;
    let _: Option<String> = row.try_get("email")?;
    let _: Option<String> = row.try_get("phone")?;
    let _: Option<Uuid> = row.try_get("organization_id")?;
    let _: Option<Uuid> = row.try_get("owner_id")?;
    let _: time::OffsetDateTime = row.try_get("created_at")?;
    let _: time::OffsetDateTime = row.try_get("updated_at")?;
    let _: i64 = row.try_get("version")?;
    row.try_get("id")
}

/// Times `n` point reads of random seeded contacts through each layer, interleaved in blocks of
/// 10: rusqlite; sqlx on one `SqliteConnection`; sqlx on a pool set up like Flame's (8
/// connections, sqlx's default `test_before_acquire`); the same pool without the acquire test;
/// `session.contacts().get`; and, for scale, only the parsing of a stored email and phone
/// that Flame's row decoding repeats for every contact it reads.
pub fn get_contact_layers(
    rt: &Arc<Runtime>,
    store: &Store,
    n: usize,
) -> Result<Vec<(&'static str, Samples)>> {
    let path = store.sqlite_path.as_ref().ok_or("layers need a SQLite store")?;
    let company = store.data.company_id;
    let opts = SqliteConnectOptions::from_str(&store.url)?
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let raw = rusqlite::Connection::open(path)?;
    let mut conn = rt.block_on(opts.connect())?;
    let pool_tested =
        rt.block_on(SqlitePoolOptions::new().max_connections(8).connect_with(opts.clone()))?;
    let pool_untested = rt.block_on(
        SqlitePoolOptions::new().max_connections(8).test_before_acquire(false).connect_with(opts),
    )?;
    let names = [
        "rusqlite",
        "sqlx connection",
        "sqlx pool (like Flame's)",
        "sqlx pool, no acquire test",
        "Flame get",
        "only re-parsing the stored email + phone (Flame's row decode does it)",
    ];
    let stored: Vec<(String, String)> = {
        let mut st = raw.prepare("SELECT email, phone FROM contacts LIMIT 1000")?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let mut samples = vec![Samples::default(); names.len()];
    let mut rng = Rng::new(77);
    let contacts = &store.data.contacts;
    for round in 0..(n.div_ceil(10) + 2) {
        for (layer, s) in samples.iter_mut().enumerate() {
            for _ in 0..10 {
                let id = *rng.pick(contacts);
                let start = Instant::now();
                match layer {
                    0 => {
                        let mut st = raw.prepare_cached(GET)?;
                        st.query_row(rusqlite::params![company.as_bytes(), id.as_bytes()], |r| {
                            r.get::<_, Vec<u8>>(1)
                        })?;
                    }
                    1 => {
                        let row = rt.block_on(
                            sqlx::query(GET).bind(company).bind(id).fetch_one(&mut conn),
                        )?;
                        decode(&row)?;
                    }
                    2 | 3 => {
                        let pool = if layer == 2 { &pool_tested } else { &pool_untested };
                        let row =
                            rt.block_on(sqlx::query(GET).bind(company).bind(id).fetch_one(pool))?;
                        decode(&row)?;
                    }
                    4 => {
                        rt.block_on(store.session.contacts().get(ContactId::from(id)))?;
                    }
                    _ => {
                        let (email, phone) = &stored[rng.below(stored.len() as u64) as usize];
                        email.parse::<flame_core::email::Email>()?;
                        phone.parse::<flame_core::phone::Phone>()?;
                    }
                }
                let took: Duration = start.elapsed();
                // The first two rounds warm caches and prepare statements on every connection.
                if round >= 2 {
                    s.0.push(took);
                }
            }
        }
    }
    rt.block_on(async {
        pool_tested.close().await;
        pool_untested.close().await;
    });
    drop(conn);
    if samples.iter().any(|s| s.0.is_empty()) {
        return Err(BenchError("no samples".into()));
    }
    Ok(names.into_iter().zip(samples).collect())
}

/// Times `n` no-match name searches (the SQL Flame sends: two empty index ranges since
/// migration 0004; before it, a walk over every contact of the company) through rusqlite,
/// one sqlx `SqliteConnection`, and `session.contacts().list`: the same statement doing the
/// same work, so a gap here is the cost of the layers, not of the query.
pub fn no_match_layers(
    rt: &Arc<Runtime>,
    store: &Store,
    n: usize,
) -> Result<Vec<(&'static str, Samples)>> {
    let path = store.sqlite_path.as_ref().ok_or("layers need a SQLite store")?;
    let company = store.data.company_id;
    let no_match = crate::ops::search_name_sql();
    let (from, to) = crate::ops::name_range(crate::data::NO_MATCH_PREFIX);
    let opts = SqliteConnectOptions::from_str(&store.url)?
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let raw = rusqlite::Connection::open(path)?;
    let raw_fk = rusqlite::Connection::open(path)?;
    raw_fk.execute_batch("PRAGMA foreign_keys = ON;")?;
    let raw_sync = rusqlite::Connection::open(path)?;
    raw_sync.execute_batch("PRAGMA synchronous = NORMAL;")?;
    let mut conn = rt.block_on(opts.connect())?;
    let names = [
        "rusqlite, default settings",
        "rusqlite, PRAGMA foreign_keys = ON",
        "rusqlite, PRAGMA synchronous = NORMAL",
        "sqlx connection (WAL, synchronous=NORMAL, foreign keys on)",
        "Flame contacts().list",
    ];
    let mut samples = vec![Samples::default(); names.len()];
    for round in 0..(n + 1) {
        for (layer, s) in samples.iter_mut().enumerate() {
            let start = Instant::now();
            let found = match layer {
                0..=2 => {
                    let c = [&raw, &raw_fk, &raw_sync][layer];
                    let mut st = c.prepare_cached(&no_match)?;
                    let rows = st
                        .query_map(rusqlite::params![company.as_bytes(), from, to, 51], |r| {
                            r.get::<_, Vec<u8>>(1)
                        })?;
                    rows.count()
                }
                3 => rt
                    .block_on(
                        sqlx::query(sqlx::AssertSqlSafe(no_match.clone()))
                            .bind(company)
                            .bind(&from)
                            .bind(&to)
                            .bind(51_i64)
                            .fetch_all(&mut conn),
                    )?
                    .len(),
                _ => {
                    let filter = flame_core::contact::ContactFilter {
                        name_prefix: Some(crate::data::NO_MATCH_PREFIX.into()),
                        ..Default::default()
                    };
                    rt.block_on(
                        store
                            .session
                            .contacts()
                            .list(filter, flame_core::page::PageRequest::first(50)),
                    )?
                    .items
                    .len()
                }
            };
            if found != 0 {
                return Err(BenchError(format!(
                    "{} found {found} rows for a no-match prefix",
                    names[layer]
                )));
            }
            if round >= 1 {
                s.0.push(start.elapsed());
            }
        }
    }
    Ok(names.into_iter().zip(samples).collect())
}

/// `EXPLAIN QUERY PLAN` of the name search, the phone search, the deal listing, the
/// pipeline summary, the organization name search and the contact lists filtered by a tag,
/// by a select value and sorted by a number field, as the bundled SQLite plans Flame's SQL on
/// the seeded store.
pub fn query_plans(store: &Store) -> Result<Vec<(&'static str, Vec<String>)>> {
    let path = store.sqlite_path.as_ref().ok_or("query plans need a SQLite store")?;
    let conn = rusqlite::Connection::open(path)?;
    let company = store.data.company_id;
    let pipeline = store.data.pipeline_id;
    let stage = store.data.stages.first().map(|s| s.id).ok_or("no stage")?;
    let (name, name_end) = crate::ops::name_range("ann");
    let (phone, phone_end) = crate::ops::phone_range("+1 212");
    let (search_name, search_phone) =
        (crate::ops::search_name_sql(), crate::ops::search_phone_sql());
    let (org, org_end) = crate::ops::name_range(crate::data::ORGANIZATION_PREFIXES[0]);
    let tag = store.data.contact_tags.first().map(|t| t.id).ok_or("no contact tag")?;
    let (tier, score) = (store.data.custom.tier.id.as_uuid(), store.data.custom.score.id.as_uuid());
    use crate::ops::records;
    let (organizations, by_tag, by_value, sorted_asc, sorted_desc) = (
        records::list_organizations_sql(),
        records::contacts_by_tag_sql(),
        records::contacts_by_value_sql(),
        records::contacts_sorted_sql(false),
        records::contacts_sorted_sql(true),
    );
    let c = || rusqlite::types::Value::from(company.as_bytes().to_vec());
    let queries: [(&'static str, &str, Vec<rusqlite::types::Value>); 9] = [
        (
            "search_contacts_name",
            &search_name,
            vec![company.as_bytes().to_vec().into(), name.into(), name_end.into(), 51_i64.into()],
        ),
        (
            "search_contacts_phone",
            &search_phone,
            vec![company.as_bytes().to_vec().into(), phone.into(), phone_end.into(), 51_i64.into()],
        ),
        (
            "list_deals_by_stage",
            "SELECT id FROM deals WHERE company_id = $1 AND stage_id = $2 ORDER BY id DESC LIMIT $3",
            vec![company.as_bytes().to_vec().into(), stage.as_bytes().to_vec().into(), 51_i64.into()],
        ),
        (
            "pipeline_summary",
            "SELECT stage_id, currency, COUNT(*) AS n, CAST(SUM(amount_minor) AS BIGINT) AS total FROM deals
                 WHERE company_id = $1 AND pipeline_id = $2 GROUP BY stage_id, currency",
            vec![company.as_bytes().to_vec().into(), pipeline.as_bytes().to_vec().into()],
        ),
        ("list_organizations", &organizations, vec![c(), org.into(), org_end.into(), 51_i64.into()]),
        ("list_contacts_by_tag", &by_tag, vec![c(), tag.as_bytes().to_vec().into(), 51_i64.into()]),
        (
            "list_contacts_by_select",
            &by_value,
            vec![c(), tier.as_bytes().to_vec().into(), "Gold".to_owned().into(), 51_i64.into()],
        ),
        (
            "list_contacts_sorted_by_field (ascending)",
            &sorted_asc,
            vec![c(), score.as_bytes().to_vec().into(), 51_i64.into()],
        ),
        (
            "list_contacts_sorted_by_field (descending)",
            &sorted_desc,
            vec![c(), score.as_bytes().to_vec().into(), 51_i64.into()],
        ),
    ];
    let mut out = Vec::new();
    for (name, sql, params) in queries {
        let sql = crate::ops::sqlite_numbered(sql);
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = st.query_map(rusqlite::params_from_iter(params), |r| r.get::<_, String>(3))?;
        out.push((name, rows.collect::<rusqlite::Result<Vec<_>>>()?));
    }
    Ok(out)
}

/// `EXPLAIN (ANALYZE, COSTS OFF)` on PostgreSQL of the organization name search and the
/// contact lists filtered by a tag, by a select value and sorted by a number field: Flame's SQL
/// (the first pages), run on the seeded database, each with the plan made for its values and
/// with the generic plan of a prepared statement.
pub fn pg_query_plans(rt: &Runtime, store: &Store) -> Result<Vec<(&'static str, Vec<String>)>> {
    use crate::ops::records;
    use sqlx::Connection as _;
    let company = store.data.company_id;
    let (org, org_end) = crate::ops::name_range(crate::data::ORGANIZATION_PREFIXES[0]);
    let tag = store.data.contact_tags.first().map(|t| t.id).ok_or("no contact tag")?;
    let (tier, score) = (store.data.custom.tier.id.as_uuid(), store.data.custom.score.id.as_uuid());
    rt.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&store.url).await?;
        let explain =
            |sql: String| sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, COSTS OFF) {sql}"));
        let mut out = Vec::new();
        let mut lines = |name: &'static str, rows: Vec<sqlx::postgres::PgRow>| -> Result<()> {
            let plan = rows
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<std::result::Result<_, _>>()?;
            out.push((name, plan));
            Ok(())
        };
        let rows = sqlx::query(explain(records::list_organizations_sql()))
            .bind(company)
            .bind(&org)
            .bind(&org_end)
            .bind(51_i64)
            .fetch_all(&mut conn)
            .await?;
        lines("list_organizations", rows)?;
        let rows = sqlx::query(explain(records::contacts_by_tag_sql()))
            .bind(company)
            .bind(tag)
            .bind(51_i64)
            .fetch_all(&mut conn)
            .await?;
        lines("list_contacts_by_tag", rows)?;
        let rows = sqlx::query(explain(records::contacts_by_value_sql()))
            .bind(company)
            .bind(tier)
            .bind("Gold")
            .bind(51_i64)
            .fetch_all(&mut conn)
            .await?;
        lines("list_contacts_by_select", rows)?;
        for (name, descending) in [
            ("list_contacts_sorted_by_field (ascending)", false),
            ("list_contacts_sorted_by_field (descending)", true),
        ] {
            let rows = sqlx::query(explain(records::contacts_sorted_sql(descending)))
                .bind(company)
                .bind(score)
                .bind(51_i64)
                .fetch_all(&mut conn)
                .await?;
            lines(name, rows)?;
        }
        // The plans a prepared statement settles on after its first executions (PostgreSQL
        // switches to a generic plan when it costs no more): what Flame and the raw runner,
        // both through sqlx's prepared statements, mostly run.
        sqlx::raw_sql("SET plan_cache_mode = force_generic_plan").execute(&mut conn).await?;
        let (c, t, tier, score) =
            (format!("'{company}'"), format!("'{tag}'"), format!("'{tier}'"), format!("'{score}'"));
        let generic: [(&'static str, String, &str, String); 4] = [
            (
                "list_organizations (generic plan)",
                records::list_organizations_sql(),
                "uuid, text, text, bigint",
                format!("{c}, '{org}', '{org_end}', 51"),
            ),
            (
                "list_contacts_by_tag (generic plan)",
                records::contacts_by_tag_sql(),
                "uuid, uuid, bigint",
                format!("{c}, {t}, 51"),
            ),
            (
                "list_contacts_by_select (generic plan)",
                records::contacts_by_value_sql(),
                "uuid, uuid, text, bigint",
                format!("{c}, {tier}, 'Gold', 51"),
            ),
            (
                "list_contacts_sorted_by_field (descending, generic plan)",
                records::contacts_sorted_sql(true),
                "uuid, uuid, bigint",
                format!("{c}, {score}, 51"),
            ),
        ];
        for (name, sql, types, values) in generic {
            let prepare = format!("PREPARE bench_plan ({types}) AS {sql}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(prepare)).execute(&mut conn).await?;
            let explain = format!("EXPLAIN (ANALYZE, COSTS OFF) EXECUTE bench_plan ({values})");
            let rows = sqlx::query(sqlx::AssertSqlSafe(explain)).fetch_all(&mut conn).await?;
            lines(name, rows)?;
            sqlx::raw_sql("DEALLOCATE bench_plan").execute(&mut conn).await?;
        }
        conn.close().await?;
        Ok(out)
    })
}
