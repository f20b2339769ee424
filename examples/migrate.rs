//! Applies Flame's pending migrations to a database and reports its schema version — what an
//! operator runs ahead of a deploy, so that application servers can open the store with
//! `SchemaMode::VerifyOnly`.
//!
//! ```text
//! cargo run -p flame-examples --example migrate -- postgres://user@host/db
//! cargo run -p flame-examples --example migrate -- --check sqlite://crm.db   # verify only
//! ```

use flame_db::{Flame, OpenOptions};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    let Some(url) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: migrate [--check] DATABASE_URL");
        return std::process::ExitCode::from(2);
    };
    let options = if check { OpenOptions::verify_only() } else { OpenOptions::default() };
    match Flame::open(url, options).await {
        Ok(flame) => {
            println!(
                "schema version {} (this build expects {}): {}",
                flame.schema_version(),
                flame_db::schema::expected_version(),
                if check { "verified" } else { "migrated and verified" }
            );
            flame.shutdown().await;
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
