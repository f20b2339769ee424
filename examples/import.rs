//! Imports a generated CSV of N contacts (default 1,000,000) into a new SQLite file through
//! `contacts().import_csv`, streamed: memory stays bounded by the batch size, not the file.
//!
//! ```sh
//! cargo run --release -p flame-examples --example import -- 1000000
//! /usr/bin/time -v target/release/examples/import 1000000   # peak memory ("Maximum resident")
//! ```

use std::io::{BufWriter, Write};
use std::time::Instant;

use flame_db::core::billing::{BillingInterval, NewPlan, PlanLimits};
use flame_db::core::company::SignUp;
use flame_db::{Flame, OpenOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = std::env::args().nth(1).map_or(Ok(1_000_000), |n| n.parse())?;
    let dir = std::env::temp_dir().join(format!("flame-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv_path = dir.join("contacts.csv");
    {
        let mut out = BufWriter::new(std::fs::File::create(&csv_path)?);
        writeln!(out, "first_name,last_name,email,phone,phone_region,organization")?;
        for i in 0..rows {
            writeln!(
                out,
                "Person{i},Family{},person{i}@example.com,+7 912 {:03} {:02} {:02},,Org {}",
                i % 977,
                (i / 10_000) % 1000,
                (i / 100) % 100,
                i % 100,
                i % 313
            )?;
        }
    }
    let flame =
        Flame::open(&format!("sqlite://{}", dir.join("crm.db").display()), OpenOptions::default())
            .await?;
    let plan = flame
        .plans()
        .create(NewPlan {
            code: "unlimited".into(),
            name: "Unlimited".into(),
            price_minor: 0,
            currency: "USD".into(),
            interval: BillingInterval::Month,
            trial_days: 0,
            limits: PlanLimits::default(),
            public: false,
        })
        .await?;
    flame.plans().set_default(plan.id).await?;
    let signed = flame
        .sign_up(SignUp {
            company_name: "Importers".into(),
            owner_email: "owner@import.test".into(),
            owner_name: "Owner".into(),
            password: None,
        })
        .await?;
    let started = Instant::now();
    let file = std::io::BufReader::new(std::fs::File::open(&csv_path)?);
    let report = signed.session.contacts().import_csv(file).await?;
    let secs = started.elapsed().as_secs_f64();
    if let Some(failed) = &report.failed {
        // The batches before it stay imported; the import could resume from this line.
        eprintln!("stopped at line {}: {}", failed.line, failed.error);
    }
    println!(
        "imported {} contacts ({} rejected) in {secs:.1} s: {:.0} rows/s",
        report.imported,
        report.rejected,
        report.imported as f64 / secs
    );
    flame.shutdown().await;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
