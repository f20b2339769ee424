//! Exports N contacts (default 1,000,000) from a new SQLite file through
//! `contacts().export_csv_file`, streamed: memory stays bounded by a page of the list, not by
//! the number of contacts. It seeds them first (`import_rows`, tagged and with a custom
//! value), then resets the process's peak-memory mark and exports, printing the peak memory
//! of each phase (Linux: `VmHWM` of /proc/self/status, reset through /proc/self/clear_refs).
//!
//! ```sh
//! cargo run --release -p flame-examples --example export -- 1000000
//! ```

use std::time::Instant;

use flame_db::core::billing::{BillingInterval, NewPlan, PlanLimits};
use flame_db::core::company::SignUp;
use flame_db::core::contact::{ContactFilter, NewContact};
use flame_db::core::custom_field::{CustomEntity, CustomFieldKind, CustomValue, NewCustomField};
use flame_db::core::import::ContactRow;
use flame_db::{Flame, OpenOptions};

/// The peak resident memory of this process so far, in MB (`None` off Linux).
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak-memory mark, so that the next phase is measured alone.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn show(mb: Option<f64>) -> String {
    mb.map_or_else(|| "n/a".to_owned(), |mb| format!("{mb:.1} MB"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = std::env::args().nth(1).map_or(Ok(1_000_000), |n| n.parse())?;
    let dir = std::env::temp_dir().join(format!("flame-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
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
            company_name: "Exporters".into(),
            owner_email: "owner@export.test".into(),
            owner_name: "Owner".into(),
            password: None,
        })
        .await?;
    let contacts = signed.session.contacts();
    signed
        .session
        .custom_fields()
        .define(NewCustomField {
            entity: CustomEntity::Contact,
            key: "tier".into(),
            label: "Tier".into(),
            kind: CustomFieldKind::Text,
            options: Vec::new(),
            required: false,
            position: None,
        })
        .await?;
    let started = Instant::now();
    let seed = (0..rows).map(|i| ContactRow {
        tags: if i % 10 == 0 { vec!["VIP".to_owned()] } else { Vec::new() },
        ..ContactRow::from(NewContact {
            first_name: format!("Person{i}"),
            last_name: Some(format!("Family{}", i % 977)),
            email: Some(format!("person{i}@example.com")),
            custom: [("tier".to_owned(), CustomValue::text(format!("tier {}", i % 7)))]
                .into_iter()
                .collect(),
            ..NewContact::default()
        })
    });
    let report = contacts.import_rows(seed).await?;
    println!(
        "seeded {} contacts in {:.1} s (peak {})",
        report.imported,
        started.elapsed().as_secs_f64(),
        show(peak_mb())
    );
    reset_peak();
    let started = Instant::now();
    let path = dir.join("contacts.csv");
    let written = contacts.export_csv_file(ContactFilter::default(), &path).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "exported {written} contacts ({:.1} MB of CSV) in {secs:.1} s: {:.0} rows/s (peak {})",
        std::fs::metadata(&path)?.len() as f64 / 1e6,
        written as f64 / secs,
        show(peak_mb())
    );
    flame.shutdown().await;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
