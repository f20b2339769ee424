//! # flame-benches
//!
//! Flame measured beside its baselines in the same process and the same run:
//!
//! - [`data`]: the deterministic data generator (a seeded splitmix64 PRNG, realistic names,
//!   emails and E.164 phones, time-ordered UUIDv7 ids);
//! - [`seed`]: a seeded store — one company, its members, the default pipeline, N contacts,
//!   N/2 deals across the stages and N activities — on SQLite or PostgreSQL;
//! - [`ops`]: each benchmarked operation, run by a [`ops::FlameRunner`] (the Flame API) and by
//!   a raw runner that sends the same SQL Flame sends through prepared statements on the same
//!   engine: [`ops::RawSqlite`] (rusqlite) and [`ops::RawPostgres`] (sqlx, no Flame layer);
//! - [`stats`]: medians, percentiles and the Markdown table the report prints;
//! - [`layers`]: one point read through each layer from rusqlite to the Flame API.
//!
//! `benches/crm.rs` drives the runners with criterion; `src/bin/report.rs` runs each operation
//! N times per runner and prints the table quoted in `docs/benchmarks.md`.

pub mod data;
pub mod layers;
pub mod ops;
pub mod seed;
pub mod stats;

/// Whatever went wrong while seeding or running a benchmark, as text.
#[derive(Debug)]
pub struct BenchError(pub String);

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

impl From<&str> for BenchError {
    fn from(e: &str) -> Self {
        BenchError(e.to_owned())
    }
}

macro_rules! bench_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for BenchError {
            fn from(e: $t) -> Self {
                BenchError(format!("{e} ({})", stringify!($t)))
            }
        }
    )*};
}
bench_error_from!(flame_core::FlameError, sqlx::Error, rusqlite::Error, std::io::Error);

/// The result of a benchmark step.
pub type Result<T> = std::result::Result<T, BenchError>;

/// The runtime benchmarks drive Flame and sqlx with: multi-threaded, like the one the Python
/// binding starts.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// How many contacts to seed, from `FLAME_BENCH_CONTACTS` (default 10 000).
pub fn contacts_from_env() -> Result<usize> {
    match std::env::var("FLAME_BENCH_CONTACTS") {
        Err(_) => Ok(10_000),
        Ok(v) => parse_count(&v),
    }
}

/// Parses a count: `10000`, `10k`, `1m`, `1_000_000`.
pub fn parse_count(text: &str) -> Result<usize> {
    let t = text.trim().replace('_', "").to_lowercase();
    let (digits, scale) = match t.strip_suffix('k') {
        Some(d) => (d, 1_000),
        None => match t.strip_suffix('m') {
            Some(d) => (d, 1_000_000),
            None => (t.as_str(), 1),
        },
    };
    digits
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| n * scale)
        .ok_or_else(|| BenchError(format!("not a positive count: {text}")))
}

/// The PostgreSQL admin URL from `FLAME_BENCH_POSTGRES_URL`, if set and not empty.
pub fn postgres_url_from_env() -> Option<String> {
    std::env::var("FLAME_BENCH_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parse() {
        assert_eq!(parse_count("10k").unwrap(), 10_000);
        assert_eq!(parse_count("1M").unwrap(), 1_000_000);
        assert_eq!(parse_count("100_000").unwrap(), 100_000);
        assert!(parse_count("0").is_err());
        assert!(parse_count("x").is_err());
    }
}
