//! The comparison report: each operation run N times by Flame and by the raw baseline on the
//! same engine, interleaved in blocks of 10, printed as a Markdown table of medians, p99 and
//! ratios (the table `docs/benchmarks.md` quotes).
//!
//! ```text
//! report [--contacts 10k[,100k,1m]] [--iters 300] [--scan-iters N] [--bulk 1000] [--bulk-iters 5]
//!        [--engines sqlite,postgres] [--ops get_contact,...] [--layers]
//! ```
//!
//! PostgreSQL runs when `FLAME_BENCH_POSTGRES_URL` is set (an admin URL: each size gets a new
//! database, dropped at the end). `FLAME_BENCH_SEED=api` seeds through the Flame API instead
//! of raw SQL. `--layers` adds, on SQLite, one point read timed through each layer from
//! rusqlite to the Flame API and the query plans of Flame's list SQL (see
//! `flame_benches::layers`); on PostgreSQL, `EXPLAIN ANALYZE` of the organization, tag and
//! custom field lists.

use std::sync::Arc;
use std::time::Instant;

use flame_benches::ops::{FlameRunner, Op, RawPostgres, RawSqlite, Runner, Workload};
use flame_benches::seed::{DEFAULT_SEED, Engine, SeedMode, Store};
use flame_benches::stats::{Samples, human, ratio};
use flame_benches::{BenchError, Result, parse_count, postgres_url_from_env, runtime};

struct Args {
    sizes: Vec<usize>,
    iters: usize,
    bulk: usize,
    bulk_iters: usize,
    engines: Vec<String>,
    ops: Vec<Op>,
    layers: bool,
    scan_iters: Option<usize>,
}

fn usage() -> &'static str {
    "usage: report [--contacts 10k[,100k,1m]] [--iters 300] [--scan-iters N] [--bulk 1000] [--bulk-iters 5] \
     [--engines sqlite,postgres] [--ops get_contact,...] [--layers]"
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        sizes: vec![10_000],
        iters: 300,
        bulk: 1_000,
        bulk_iters: 5,
        engines: vec!["sqlite".into(), "postgres".into()],
        ops: Op::ALL.to_vec(),
        layers: false,
        scan_iters: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{}", usage());
            std::process::exit(0);
        }
        if flag == "--layers" {
            args.layers = true;
            continue;
        }
        let value =
            it.next().ok_or_else(|| BenchError(format!("{flag} needs a value; {}", usage())))?;
        match flag.as_str() {
            "--contacts" => {
                args.sizes = value.split(',').map(parse_count).collect::<Result<_>>()?
            }
            "--iters" => args.iters = parse_count(&value)?,
            "--bulk" => args.bulk = parse_count(&value)?,
            "--bulk-iters" => args.bulk_iters = parse_count(&value)?,
            "--scan-iters" => args.scan_iters = Some(parse_count(&value)?),
            "--engines" => args.engines = value.split(',').map(str::to_owned).collect(),
            "--ops" => {
                args.ops = value
                    .split(',')
                    .map(|name| {
                        Op::ALL
                            .into_iter()
                            .find(|op| op.name() == name)
                            .ok_or_else(|| BenchError(format!("unknown operation {name}")))
                    })
                    .collect::<Result<_>>()?;
            }
            _ => return Err(BenchError(format!("unknown argument {flag}; {}", usage()))),
        }
    }
    Ok(args)
}

/// Runs `op` `n` times on each runner, alternating blocks of 10, after a short warm-up.
fn measure(
    runners: &mut [&mut dyn Runner],
    op: Op,
    n: usize,
    counter: &mut u64,
) -> Result<Vec<Samples>> {
    let warm = (n / 10).clamp(1, 20);
    for r in runners.iter_mut() {
        for _ in 0..warm {
            r.run(op, *counter)?;
            *counter += 1;
        }
    }
    let mut samples = vec![Samples::default(); runners.len()];
    let mut done = 0;
    while done < n {
        let block = (n - done).min(10);
        for (r, s) in runners.iter_mut().zip(samples.iter_mut()) {
            for k in 0..block {
                s.0.push(r.run(op, *counter + k as u64)?);
            }
        }
        *counter += block as u64;
        done += block;
    }
    Ok(samples)
}

/// How many times `op` runs: `--bulk-iters` for bulk import; `--scan-iters` (default: 20 for
/// the no-match search, `--iters` for the others) for the operations whose cost grows with
/// the data (the no-match and phone searches, the pipeline summary).
fn iterations(op: Op, args: &Args) -> usize {
    match op {
        Op::BulkImport => args.bulk_iters,
        Op::SearchNoMatch => args.scan_iters.unwrap_or(args.iters.min(20)),
        Op::SearchByPhone | Op::PipelineSummary => args.scan_iters.unwrap_or(args.iters),
        _ => args.iters,
    }
}

fn target(op: Op, engine: &Engine, contacts: usize, flame: &Samples, raw: &Samples) -> String {
    let r = flame.median().as_secs_f64() / raw.median().as_secs_f64().max(1e-12);
    let mut notes = Vec::new();
    if op.single_record() {
        notes.push(format!("≤ 1.5x raw: {}", if r <= 1.5 { "yes" } else { "no" }));
    }
    if op.listing() && *engine == Engine::Sqlite {
        let ok = flame.p99().as_secs_f64() < 0.005;
        let scope = if contacts >= 1_000_000 { "" } else { " (target is at 1M)" };
        notes.push(format!("p99 < 5 ms: {}{scope}", if ok { "yes" } else { "no" }));
    }
    notes.join("; ")
}

/// "VIP on 1000, Newsletter on 3000".
fn tagged(tags: &[flame_benches::seed::TagInfo]) -> String {
    if tags.is_empty() {
        return "no tags".to_owned();
    }
    let each: Vec<String> =
        tags.iter().map(|t| format!("{} on {}", t.name, t.carried_by)).collect();
    format!("tags: {}", each.join(", "))
}

fn run_engine(
    rt: &Arc<tokio::runtime::Runtime>,
    engine: Engine,
    contacts: usize,
    args: &Args,
) -> Result<()> {
    let mode = SeedMode::from_env()?;
    let started = Instant::now();
    let store = rt.block_on(Store::create(engine.clone(), contacts, mode, DEFAULT_SEED))?;
    let seeded = started.elapsed();
    let data = Arc::new(store.data.clone());
    let mut flame = FlameRunner::new(
        Arc::clone(rt),
        store.flame.clone(),
        store.session.clone(),
        Workload::new(Arc::clone(&data), 0, 2, args.bulk),
    );
    let raw_work = Workload::new(Arc::clone(&data), 1, 2, args.bulk);
    let mut raw: Box<dyn Runner> = match &engine {
        Engine::Sqlite => Box::new(RawSqlite::open(
            store.sqlite_path.as_deref().ok_or("no SQLite file")?,
            raw_work,
        )?),
        Engine::Postgres(_) => {
            Box::new(RawPostgres::connect(Arc::clone(rt), &store.url, raw_work)?)
        }
    };
    let title = match &engine {
        Engine::Sqlite => {
            format!("SQLite {} (bundled, WAL, synchronous=NORMAL)", rusqlite::version())
        }
        Engine::Postgres(_) => "PostgreSQL (local server, see scripts/postgres)".to_owned(),
    };
    println!("\n### {title}: {contacts} contacts\n");
    println!(
        "Seeded {} contacts ({}; every one with a tier, {}% with a score), {} deals ({} open), \
         {} activities and {} organizations ({}) by {} in {:.1} s. \
         {} iterations per operation per runner ({} for search_contacts_phone and pipeline_summary, \
         {} for search_contacts_no_match, {} for bulk import of {} contacts), interleaved in blocks of 10.\n",
        data.contacts.len(),
        tagged(&data.contact_tags),
        flame_benches::seed::SCORE_PERCENT,
        data.deals,
        data.open_deals.len(),
        data.activities,
        data.organizations.len(),
        tagged(&data.organization_tags),
        mode.describe(),
        seeded.as_secs_f64(),
        args.iters,
        iterations(Op::PipelineSummary, args),
        iterations(Op::SearchNoMatch, args),
        args.bulk_iters,
        args.bulk,
    );
    println!(
        "| operation | Flame median | Flame p99 | raw median | raw p99 | Flame / raw | target |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    let mut counter = 0;
    for &op in &args.ops {
        let n = iterations(op, args);
        let s = measure(&mut [&mut flame, raw.as_mut()], op, n, &mut counter)?;
        let (f, r) = (&s[0], &s[1]);
        let name = if op == Op::BulkImport {
            let rate = |x: &Samples| args.bulk as f64 / x.median().as_secs_f64().max(1e-12);
            let raw_how = if engine == Engine::Sqlite {
                "one transaction of prepared inserts"
            } else {
                "COPY"
            };
            format!(
                "bulk_import {} contacts (Flame: contacts().import_rows, {:.0}/s; raw: {raw_how}, {:.0}/s)",
                args.bulk,
                rate(f),
                rate(r)
            )
        } else {
            op.name().to_owned()
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            human(f.median()),
            human(f.p99()),
            human(r.median()),
            human(r.p99()),
            ratio(f.median(), r.median()),
            target(op, &engine, contacts, f, r)
        );
    }
    if args.layers && engine == Engine::Sqlite {
        println!(
            "\n#### SQLite, {contacts} contacts: one point read (`get_contact`) through each layer, {} reads each\n",
            args.iters
        );
        println!("| layer | median | p99 |");
        println!("|---|---:|---:|");
        for (name, s) in flame_benches::layers::get_contact_layers(rt, &store, args.iters)? {
            println!("| {name} | {} | {} |", human(s.median()), human(s.p99()));
        }
        let n = iterations(Op::SearchNoMatch, args);
        println!(
            "\n#### SQLite, {contacts} contacts: the no-match name search through each layer, {n} searches each\n"
        );
        println!("| layer | median | p99 |");
        println!("|---|---:|---:|");
        for (name, s) in flame_benches::layers::no_match_layers(rt, &store, n)? {
            println!("| {name} | {} | {} |", human(s.median()), human(s.p99()));
        }
        println!(
            "\n#### SQLite {}: query plans of Flame's SQL on this store\n",
            rusqlite::version()
        );
        for (name, plan) in flame_benches::layers::query_plans(&store)? {
            println!("- `{name}`: {}", plan.join("; "));
        }
    }
    if args.layers && engine != Engine::Sqlite {
        println!("\n#### PostgreSQL: EXPLAIN ANALYZE of Flame's SQL on this store\n");
        for (name, plan) in flame_benches::layers::pg_query_plans(rt, &store)? {
            println!("`{name}`:\n\n```text\n{}\n```\n", plan.join("\n"));
        }
    }
    drop(raw);
    rt.block_on(store.close())?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("report: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<()> {
    let args = parse_args()?;
    let rt = Arc::new(runtime()?);
    let pg = postgres_url_from_env();
    println!(
        "## Flame vs raw SQL — {} logical CPUs, {} {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    for &size in &args.sizes {
        if args.engines.iter().any(|e| e == "sqlite") {
            run_engine(&rt, Engine::Sqlite, size, &args)?;
        }
        if args.engines.iter().any(|e| e == "postgres") {
            match &pg {
                Some(url) => run_engine(&rt, Engine::Postgres(url.clone()), size, &args)?,
                None => {
                    eprintln!("report: FLAME_BENCH_POSTGRES_URL is not set; skipping PostgreSQL")
                }
            }
        }
    }
    Ok(())
}
