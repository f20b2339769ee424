//! Criterion benchmarks: each operation is a group `<engine>/<operation>` with two functions,
//! `flame` (the Flame API) and `raw` (the same SQL through prepared statements on the same
//! engine: rusqlite on SQLite, sqlx without Flame on PostgreSQL).
//!
//! ```sh
//! cargo bench -p flame-benches                              # SQLite, 10k contacts
//! FLAME_BENCH_CONTACTS=100k cargo bench -p flame-benches
//! FLAME_BENCH_POSTGRES_URL=postgres://flame@127.0.0.1:55434/postgres cargo bench -p flame-benches
//! cargo bench -p flame-benches -- --test                    # run each once (smoke)
//! cargo bench -p flame-benches -- sqlite/get_contact        # one group
//! ```
//!
//! `FLAME_BENCH_BULK` sets the contacts per bulk import (default 1000), `FLAME_BENCH_SEED`
//! the seeding mode (`raw`, the default, or `api`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use flame_benches::ops::{FlameRunner, Op, RawPostgres, RawSqlite, Runner, Workload};
use flame_benches::seed::{DEFAULT_SEED, Engine, SeedMode, Store};
use flame_benches::{contacts_from_env, parse_count, postgres_url_from_env, runtime};

fn run_all(runner: &mut dyn Runner, op: Op, next: &mut u64, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += runner
            .run(op, *next)
            .unwrap_or_else(|e| panic!("{} {}: {e}", runner.name(), op.name()));
        *next += 1;
    }
    black_box(total)
}

fn crm(c: &mut Criterion) {
    let contacts = contacts_from_env().expect("FLAME_BENCH_CONTACTS");
    let bulk = std::env::var("FLAME_BENCH_BULK")
        .map(|v| parse_count(&v).expect("FLAME_BENCH_BULK"))
        .unwrap_or(1_000);
    let mode = SeedMode::from_env().expect("FLAME_BENCH_SEED");
    let rt = Arc::new(runtime().expect("a tokio runtime"));
    let mut engines = vec![Engine::Sqlite];
    engines.extend(postgres_url_from_env().map(Engine::Postgres));
    for engine in engines {
        eprintln!("seeding {} with {contacts} contacts ({})", engine.name(), mode.describe());
        let store = rt
            .block_on(Store::create(engine.clone(), contacts, mode, DEFAULT_SEED))
            .expect("a seeded store");
        let data = Arc::new(store.data.clone());
        let mut flame = FlameRunner::new(
            Arc::clone(&rt),
            store.flame.clone(),
            store.session.clone(),
            Workload::new(Arc::clone(&data), 0, 2, bulk),
        );
        let raw_work = Workload::new(Arc::clone(&data), 1, 2, bulk);
        let mut raw: Box<dyn Runner> = match &engine {
            Engine::Sqlite => Box::new(
                RawSqlite::open(store.sqlite_path.as_deref().expect("a file"), raw_work)
                    .expect("rusqlite"),
            ),
            Engine::Postgres(_) => {
                Box::new(RawPostgres::connect(Arc::clone(&rt), &store.url, raw_work).expect("sqlx"))
            }
        };
        let (mut next_flame, mut next_raw) = (0_u64, 0_u64);
        for op in Op::ALL {
            let mut group = c.benchmark_group(format!("{}/{}", engine.name(), op.name()));
            if op == Op::BulkImport {
                group.sample_size(10).measurement_time(Duration::from_secs(10));
                group.throughput(Throughput::Elements(bulk as u64));
            }
            group.bench_function("flame", |b| {
                b.iter_custom(|iters| run_all(&mut flame, op, &mut next_flame, iters))
            });
            group.bench_function("raw", |b| {
                b.iter_custom(|iters| run_all(raw.as_mut(), op, &mut next_raw, iters))
            });
            group.finish();
        }
        drop(raw);
        rt.block_on(store.close()).expect("close the store");
    }
}

criterion_group!(benches, crm);
criterion_main!(benches);
