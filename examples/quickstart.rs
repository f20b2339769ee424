//! Flame in five minutes: sign a company up, add people, contacts and deals, move the deals
//! through the pipeline, win one, lose one, then print the health report and a pipeline
//! summary.
//!
//! ```text
//! cargo run -p flame-examples --example quickstart                       # SQLite file
//! cargo run -p flame-examples --example quickstart -- postgres://…/db    # PostgreSQL
//! ```

use flame_db::core::Role;
use flame_db::core::account::Login;
use flame_db::core::company::{NewMember, SignUp};
use flame_db::core::contact::NewContact;
use flame_db::core::deal::NewDeal;
use flame_db::core::organization::NewOrganization;
use flame_db::core::page::PageRequest;
use flame_db::{Flame, OpenOptions};
use secrecy::ExposeSecret as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("flame-quickstart-{}.db", std::process::id()));
        format!("sqlite://{}", path.display())
    });
    println!("Opening {}", url.split('@').next_back().unwrap_or(&url));
    let flame = Flame::open(&url, OpenOptions::default()).await?;

    let email = format!("olga+{}@acme.test", std::process::id());
    let signed = flame
        .sign_up(SignUp {
            company_name: "Acme Robotics".into(),
            owner_email: email.clone(),
            owner_name: "Olga Owner".into(),
            password: Some("correct horse battery".into()),
        })
        .await?;
    println!("Signed up {} (owner {})", signed.company.name, signed.owner.email);

    // Nobody proved yet that the address is Olga's: the host mails her a verification token
    // (a link), and her click proves it. Until then her password does not log in.
    let mail = flame.email_verification(signed.owner.id).await?;
    flame.verify_email(mail.token.expose_secret()).await?;
    println!("Verified {}", mail.email);

    // Later, or in another process: log in, and keep the session's token (a cookie, a
    // keychain) to resume it with `flame.authenticate(token)`.
    let owner = flame
        .login(Login { email, password: "correct horse battery".into(), company_id: None })
        .await?;
    println!("Logged in as {} until {}", owner.role(), owner.expires_at());

    let manager = owner
        .members()
        .add(NewMember {
            email: format!("max+{}@acme.test", std::process::id()),
            name: "Max Manager".into(),
            role: Role::Manager,
        })
        .await?;
    println!("Added {} as {}", manager.user.name, manager.membership.role);

    let engines = owner
        .organizations()
        .create(NewOrganization {
            name: "Analytical Engines Ltd".into(),
            domain: Some("https://www.analytical.engines/".into()),
            country: Some("GB".into()),
            ..NewOrganization::default()
        })
        .await?;
    println!(
        "Organization {} ({})",
        engines.name,
        engines.domain.as_ref().map_or("", |d| d.as_str())
    );
    let ada = owner
        .contacts()
        .create(NewContact {
            first_name: "Ada".into(),
            last_name: Some("Lovelace".into()),
            email: Some("Ada@Analytical.Engines".into()),
            phone: Some("+44 20 7946 0958".into()),
            organization_id: Some(engines.id),
            ..NewContact::default()
        })
        .await?;
    let ivan = owner
        .contacts()
        .create(NewContact {
            first_name: "Ivan".into(),
            last_name: Some("Petrov".into()),
            phone: Some("8 (912) 345-67-89".into()),
            phone_region: Some("RU".into()),
            owner_id: Some(manager.user.id),
            ..NewContact::default()
        })
        .await?;
    println!(
        "Contacts: {} <{}>, {} {}",
        ada.full_name(),
        ada.email.as_ref().map_or("", |e| e.as_str()),
        ivan.full_name(),
        ivan.phone.as_ref().map_or("", |p| p.as_str())
    );

    let pipeline = owner.pipelines().default_pipeline().await?;
    let stages = owner.pipelines().stages(pipeline.id).await?;
    let stage = |name: &str| stages.iter().find(|s| s.name == name).map(|s| s.id);

    let deals = owner.deals();
    let mut robot = NewDeal::new("Twelve welding robots", 1_250_000_00, "USD");
    robot.contact_id = Some(ada.id);
    robot.organization_id = Some(engines.id);
    let robot = deals.create(robot).await?;
    let open: Vec<String> = owner
        .organizations()
        .open_value(engines.id)
        .await?
        .iter()
        .map(ToString::to_string)
        .collect();
    println!("Open with {}: {}", engines.name, open.join(", "));
    let mut arm = NewDeal::new("Painting arm", 480_000_00, "RUB");
    arm.contact_id = Some(ivan.id);
    arm.assignee_id = Some(manager.user.id);
    let arm = deals.create(arm).await?;
    let mut pilot = NewDeal::new("Pilot installation", 75_000_00, "USD");
    pilot.contact_id = Some(ada.id);
    let pilot = deals.create(pilot).await?;

    let qualified = stage("Qualified").ok_or("no Qualified stage")?;
    let proposal = stage("Proposal").ok_or("no Proposal stage")?;
    let robot = deals.move_to_stage(robot.id, qualified, robot.version).await?;
    let robot = deals.move_to_stage(robot.id, proposal, robot.version).await?;
    let robot = deals.win(robot.id, robot.version).await?;
    let arm = deals.move_to_stage(arm.id, qualified, arm.version).await?;
    let arm = deals.lose(arm.id, "Chose a local integrator", arm.version).await?;
    let pilot = deals.move_to_stage(pilot.id, proposal, pilot.version).await?;
    println!("Won: {} ({})", robot.title, robot.value);
    println!("Lost: {} — {}", arm.title, arm.lost_reason.as_deref().unwrap_or(""));
    println!("Open: {} ({})", pilot.title, pilot.value);

    let health = flame.health().await;
    println!("\nHealth");
    println!("  backend            {}", health.backend);
    println!("  reachable          {}", health.reachable);
    println!("  round trip         {:?}", health.round_trip);
    println!(
        "  schema             {:?} (expected {}, matches: {})",
        health.schema_version, health.expected_schema_version, health.schema_matches
    );
    println!("  encryption         {}", health.encryption_configured);
    if let Some(c) = health.counts {
        println!(
            "  rows               {} users, {} companies, {} subscriptions, {} contacts, {} deals",
            c.users, c.companies, c.subscriptions, c.contacts, c.deals
        );
    }

    println!("\nPipeline {}", pipeline.name);
    for row in owner.pipelines().summary(pipeline.id).await? {
        let totals: Vec<String> = row.totals.iter().map(ToString::to_string).collect();
        println!(
            "  {:<10} {:>3} deal(s)  {}",
            row.stage.name,
            row.deal_count,
            if totals.is_empty() { "-".into() } else { totals.join(" + ") }
        );
    }

    let events = owner.events().list(PageRequest::first(100)).await?;
    println!("\n{} events written to the outbox", events.items.len());
    flame.shutdown().await;
    Ok(())
}
