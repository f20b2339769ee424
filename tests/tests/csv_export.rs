//! CSV export of contacts, organizations and deals: every column (tags, a header per custom
//! key), any list filter, streamed a page at a time, read rights only, one company's records
//! only; and the round trip: what one company exports imports into another and exports
//! there again identically, every column compared — on both backends.

use flame_core::company::NewMember;
use flame_core::contact::{ContactFilter, NewContact};
use flame_core::custom_field::{
    CustomEntity, CustomFieldKind, CustomSort, CustomValue, CustomValues, NewCustomField,
};
use flame_core::deal::{DealFilter, DealStatus, NewDeal};
use flame_core::import::{CONTACT_COLUMNS, DEAL_COLUMNS, ORGANIZATION_COLUMNS};
use flame_core::organization::{NewOrganization, OrganizationFilter};
use flame_core::pipeline::{NewPipeline, NewStage, StageKind};
use flame_core::{Money, Role};
use flame_db::Session;
use flame_tests::{TestDb, assert_forbidden, assert_invalid, company, join, snapshot};
use rust_decimal::Decimal;

/// The custom fields of every kind that writes its own text form, the same keys for each
/// entity.
const FIELDS: [(&str, CustomFieldKind); 7] = [
    ("notes", CustomFieldKind::Text),
    ("colors", CustomFieldKind::MultiSelect),
    ("budget", CustomFieldKind::Money),
    ("since", CustomFieldKind::Date),
    ("vip", CustomFieldKind::Bool),
    ("score", CustomFieldKind::Number),
    ("seen", CustomFieldKind::Datetime),
];

/// Defines [`FIELDS`] for every entity in the session's company.
async fn define_fields(s: &Session) {
    for entity in CustomEntity::ALL {
        for (key, kind) in FIELDS {
            let options = if kind.has_options() {
                vec!["red".to_owned(), "green".to_owned(), "blue".to_owned()]
            } else {
                Vec::new()
            };
            s.custom_fields()
                .define(NewCustomField {
                    entity,
                    key: key.into(),
                    label: key.to_uppercase(),
                    kind,
                    options,
                    required: false,
                    position: None,
                })
                .await
                .expect("define a field");
        }
    }
}

/// A pipeline besides the default one, and a source besides the default ones.
async fn define_pipeline(s: &Session) {
    s.pipelines()
        .create(NewPipeline {
            name: "Enterprise".into(),
            stages: vec![
                NewStage::new("Discovery", StageKind::Open),
                NewStage::new("Negotiation", StageKind::Open),
                NewStage::new("Signed", StageKind::Won),
                NewStage::new("Dropped", StageKind::Lost),
            ],
        })
        .await
        .expect("pipeline");
    s.sources().create("Partner").await.expect("source");
}

/// A value of each of [`FIELDS`], the text with what CSV must quote.
fn values(n: u32) -> CustomValues {
    let seen = time::OffsetDateTime::parse(
        "2026-01-02T03:04:05.123456Z",
        &time::format_description::well_known::Rfc3339,
    )
    .expect("instant");
    [
        ("notes", CustomValue::text(format!("Line one, \"quoted\"\nline {n}"))),
        ("colors", CustomValue::Options { value: vec!["red".into(), "blue".into()] }),
        ("budget", CustomValue::Money { value: Money::parse("1234.50", "EUR").expect("money") }),
        (
            "since",
            CustomValue::Date {
                value: flame_core::clock::parse_date("d", "2024-02-29").expect("date"),
            },
        ),
        ("vip", CustomValue::Bool { value: n.is_multiple_of(2) }),
        ("score", CustomValue::Number { value: Decimal::new(1275 + i64::from(n), 2) }),
        ("seen", CustomValue::Datetime { value: seen }),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Acme, with a member (Mia), the same fields, pipelines and sources as every company of
/// these tests, and records of every shape; returns the owner's and Mia's sessions.
async fn acme(db: &TestDb) -> (Session, Session) {
    let owner = company(&db.flame, "Acme").await.session;
    define_fields(&owner).await;
    define_pipeline(&owner).await;
    let mia = owner
        .members()
        .add(NewMember { email: "mia@acme.test".into(), name: "Mia".into(), role: Role::Member })
        .await
        .expect("member");
    let mia = db.flame.session(mia.user.id, owner.company_id()).await.expect("mia");
    let orgs = owner.organizations();
    let engines = orgs
        .create(NewOrganization {
            name: "Analytical Engines, Ltd".into(),
            domain: Some("https://www.Engines.example/".into()),
            phone: Some("+44 20 7946 0958".into()),
            street: Some("1 Dorset St".into()),
            city: Some("London".into()),
            region: Some("Greater London".into()),
            postal_code: Some("W1U 4EG".into()),
            country: Some("gb".into()),
            website: Some("https://engines.example/about".into()),
            industry: Some("Computing".into()),
            size: Some("11-50".into()),
            owner_id: Some(mia.user_id()),
            custom: values(1),
            ..NewOrganization::default()
        })
        .await
        .expect("engines");
    orgs.add_tag(engines.id, "Partner").await.expect("tag");
    orgs.add_tag(engines.id, "VIP").await.expect("tag");
    let babbage = orgs
        .create(NewOrganization { name: "Babbage & Co".into(), ..NewOrganization::default() })
        .await
        .expect("babbage");
    let contacts = owner.contacts();
    let ada = contacts
        .create(NewContact {
            first_name: "Ada".into(),
            last_name: Some("Lovelace".into()),
            email: Some("ada@example.com".into()),
            phone: Some("+44 20 7946 0000".into()),
            organization_id: Some(engines.id),
            owner_id: Some(mia.user_id()),
            custom: values(2),
            ..NewContact::default()
        })
        .await
        .expect("ada");
    contacts.add_tag(ada.id, "VIP").await.expect("tag");
    contacts.add_tag(ada.id, "Lead, warm").await.expect("tag");
    let charles = contacts
        .create(NewContact {
            first_name: "Charles".into(),
            last_name: Some("Babbage".into()),
            organization_id: Some(babbage.id),
            ..NewContact::default()
        })
        .await
        .expect("charles");
    contacts
        .create(NewContact { first_name: "Solo".into(), ..NewContact::default() })
        .await
        .expect("solo");
    let pipelines = owner.pipelines().list().await.expect("pipelines");
    let sales = pipelines.iter().find(|p| p.name == "Sales").expect("sales");
    let enterprise = pipelines.iter().find(|p| p.name == "Enterprise").expect("enterprise");
    let sales_stages = owner.pipelines().stages(sales.id).await.expect("stages");
    let enterprise_stages = owner.pipelines().stages(enterprise.id).await.expect("stages");
    let stage = |stages: &[flame_core::pipeline::Stage], name: &str| {
        stages.iter().find(|s| s.name == name).expect("stage").id
    };
    let sources = owner.sources().list().await.expect("sources");
    let source = |name: &str| sources.iter().find(|s| s.name == name).expect("source").id;
    let deals = owner.deals();
    let looms = deals
        .create(NewDeal {
            contact_id: Some(ada.id),
            organization_id: Some(engines.id),
            stage_id: Some(stage(&sales_stages, "Proposal")),
            source_id: Some(source("Website")),
            assignee_id: Some(mia.user_id()),
            expected_close: Some(flame_core::clock::parse_date("d", "2027-03-01").expect("date")),
            custom: values(3),
            ..NewDeal::new("Looms, twelve", 123_450, "EUR")
        })
        .await
        .expect("looms");
    deals.add_tag(looms.id, "Q1").await.expect("tag");
    let signed = deals
        .create(NewDeal {
            contact_id: Some(charles.id),
            organization_id: Some(babbage.id),
            pipeline_id: Some(enterprise.id),
            source_id: Some(source("Partner")),
            ..NewDeal::new("Difference engine", 99, "JPY")
        })
        .await
        .expect("signed");
    deals
        .move_to_stage(signed.id, stage(&enterprise_stages, "Signed"), signed.version)
        .await
        .expect("won");
    let lost = deals.create(NewDeal::new("Lost one", 0, "USD")).await.expect("lost");
    deals.lose(lost.id, "Too \"expensive\", sadly", lost.version).await.expect("lose");
    (owner, mia)
}

/// Globex: another company of Acme's owner, with the same fields, pipelines, sources and
/// member (Mia joins it); returns its owner's session.
async fn globex(acme_owner: &Session, mia: &Session) -> Session {
    let globex = acme_owner.account().create_company("Globex").await.expect("globex").session;
    define_fields(&globex).await;
    define_pipeline(&globex).await;
    join(&globex, mia, Role::Member).await;
    globex
}

/// The records of a CSV (the header first), as a CSV reader reads them.
fn records(csv: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv)
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// The header of a CSV and its other records, sorted (an import creates them in file order,
/// so a newest-first export of the copy runs the other way).
fn sorted(csv: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut all = records(csv);
    let header = all.remove(0);
    all.sort();
    (header, all)
}

/// The three exports of a company: organizations, contacts, deals.
async fn export_all(s: &Session) -> [Vec<u8>; 3] {
    let mut orgs = Vec::new();
    s.organizations().export_csv(OrganizationFilter::default(), &mut orgs).await.expect("orgs");
    let mut contacts = Vec::new();
    s.contacts().export_csv(ContactFilter::default(), &mut contacts).await.expect("contacts");
    let mut deals = Vec::new();
    s.deals().export_csv(DealFilter::default(), &mut deals).await.expect("deals");
    [orgs, contacts, deals]
}

fn header(columns: &[&str]) -> Vec<String> {
    let keys = ["notes", "colors", "budget", "since", "vip", "score", "seen"];
    columns
        .iter()
        .map(|c| (*c).to_owned())
        .chain(keys.iter().map(|k| format!("custom.{k}")))
        .collect()
}

#[tokio::test]
async fn exports_write_every_column_with_tags_and_a_header_per_custom_key() {
    for db in TestDb::each().await {
        let (acme, _) = acme(&db).await;
        let [orgs, contacts, deals] = export_all(&acme).await;
        let orgs = records(&orgs);
        assert_eq!(orgs[0], header(&ORGANIZATION_COLUMNS), "{}", db.name);
        assert_eq!(orgs.len(), 3);
        let engines = &orgs[1];
        let cell = |row: &[String], columns: &[&str], name: &str| {
            row[columns.iter().position(|c| *c == name).expect(name)].clone()
        };
        let org = |name| cell(engines, &ORGANIZATION_COLUMNS, name);
        assert_eq!(org("name"), "Analytical Engines, Ltd");
        assert_eq!(org("domain"), "engines.example");
        // A phone starts with `+`, which a spreadsheet would read as a formula: escaped.
        assert_eq!(org("phone"), "'+442079460958");
        assert_eq!(org("country"), "GB");
        assert_eq!(org("size"), "11-50");
        assert_eq!(org("owner"), "mia@acme.test");
        assert_eq!(org("tags"), "Partner; VIP");
        let custom = ORGANIZATION_COLUMNS.len();
        assert_eq!(
            engines[custom..],
            [
                "Line one, \"quoted\"\nline 1",
                "red; blue",
                "1234.50 EUR",
                "2024-02-29",
                "false",
                "12.76",
                "2026-01-02T03:04:05.123456Z",
            ],
            "{}",
            db.name
        );
        // The organization without values has blank cells, its owner the owner's email.
        assert_eq!(orgs[2][0], "Babbage & Co");
        assert!(orgs[2][custom..].iter().all(String::is_empty));
        assert_eq!(cell(&orgs[2], &ORGANIZATION_COLUMNS, "owner"), "owner@acme.test");

        let contacts = records(&contacts);
        assert_eq!(contacts[0], header(&CONTACT_COLUMNS));
        assert_eq!(contacts.len(), 4, "{}", db.name);
        let ada = contacts.iter().find(|r| r[0] == "Ada").expect("ada");
        let c = |name| cell(ada, &CONTACT_COLUMNS, name);
        assert_eq!(c("email"), "ada@example.com");
        assert_eq!(c("organization"), "engines.example", "by its domain");
        assert_eq!(c("owner"), "mia@acme.test");
        assert_eq!(c("tags"), "Lead, warm; VIP");
        assert_eq!(c("phone_region"), "");
        let charles = contacts.iter().find(|r| r[0] == "Charles").expect("charles");
        assert_eq!(cell(charles, &CONTACT_COLUMNS, "organization"), "Babbage & Co", "by name");

        let deals = records(&deals);
        assert_eq!(deals[0], header(&DEAL_COLUMNS));
        let by_title = |title: &str| deals.iter().find(|r| r[0] == title).expect(title).clone();
        let d = |title: &str, name: &str| cell(&by_title(title), &DEAL_COLUMNS, name);
        assert_eq!(
            by_title("Looms, twelve")[..DEAL_COLUMNS.len()],
            [
                "Looms, twelve",
                "1234.50",
                "EUR",
                "Sales",
                "Proposal",
                "open",
                "",
                "ada@example.com",
                "engines.example",
                "Website",
                "mia@acme.test",
                "2027-03-01",
                "Q1",
            ],
            "{}",
            db.name
        );
        assert_eq!(d("Difference engine", "amount"), "99");
        assert_eq!(d("Difference engine", "stage"), "Signed");
        assert_eq!(d("Difference engine", "status"), "won");
        assert_eq!(d("Difference engine", "contact"), "Charles Babbage", "no email: the name");
        assert_eq!(d("Lost one", "lost_reason"), "Too \"expensive\", sadly");
        assert_eq!(d("Lost one", "amount"), "0.00");
    }
}

#[tokio::test]
async fn an_export_imports_into_another_company_as_it_was() {
    for db in TestDb::each().await {
        let (acme, mia) = acme(&db).await;
        let globex = globex(&acme, &mia).await;
        let exported = export_all(&acme).await;
        let [orgs, contacts, deals] = &exported;
        // Organizations first, so that contacts and deals find theirs; contacts before the
        // deals that name them.
        let report = globex.organizations().import_csv(orgs.as_slice()).await.expect("orgs");
        assert_eq!((report.imported, report.rejected), (2, 0), "{} {:?}", db.name, report.errors);
        let report = globex.contacts().import_csv(contacts.as_slice()).await.expect("contacts");
        assert_eq!((report.imported, report.rejected), (3, 0), "{} {:?}", db.name, report.errors);
        let report = globex.deals().import_csv(deals.as_slice()).await.expect("deals");
        assert_eq!((report.imported, report.rejected), (3, 0), "{} {:?}", db.name, report.errors);
        assert!(report.is_complete());
        // Exported again from Globex: the same header and the same records, every column.
        let again = export_all(&globex).await;
        for (name, (before, after)) in
            ["organizations", "contacts", "deals"].iter().zip(exported.iter().zip(&again))
        {
            assert_eq!(sorted(before), sorted(after), "{} {name}", db.name);
        }
        // And through the API: the records are Globex's own, with the same values.
        assert_eq!(globex.billing().usage().await.expect("usage").organizations, 2);
        let page = globex
            .contacts()
            .list(
                ContactFilter { email_prefix: Some("ada@".into()), ..Default::default() },
                flame_core::page::PageRequest::default(),
            )
            .await
            .expect("ada");
        let ada = &page.items[0];
        assert_eq!(ada.company_id, globex.company_id());
        assert_eq!(ada.custom, values(2), "{}", db.name);
        assert_eq!(ada.tags, ["Lead, warm", "VIP"]);
        assert_eq!(ada.owner_id, Some(mia.user_id()));
        let org = globex.organizations().get(ada.organization_id.expect("org")).await.expect("org");
        assert_eq!((org.company_id, org.custom.clone()), (globex.company_id(), values(1)));
        let deals = globex
            .deals()
            .list(DealFilter::default(), flame_core::page::PageRequest::default())
            .await
            .expect("deals");
        let won = deals.items.iter().find(|d| d.title == "Difference engine").expect("won");
        assert_eq!(won.status, DealStatus::Won);
        assert!(won.closed_at.is_some());
        assert_eq!(won.version, 1);
        let lost = deals.items.iter().find(|d| d.title == "Lost one").expect("lost");
        assert_eq!(lost.status, DealStatus::Lost);
        assert_eq!(lost.lost_reason.as_deref(), Some("Too \"expensive\", sadly"));
        let looms = deals.items.iter().find(|d| d.title == "Looms, twelve").expect("looms");
        assert_eq!((looms.custom.clone(), looms.contact_id), (values(3), Some(ada.id)));
        // One event per imported batch.
        let events =
            globex.events().list(flame_core::page::PageRequest::first(100)).await.expect("events");
        let types: Vec<&str> = events.items.iter().map(|e| e.payload.event_type()).collect();
        for kind in ["organizations.imported", "contacts.imported", "deals.imported"] {
            assert_eq!(types.iter().filter(|t| **t == kind).count(), 1, "{kind}: {types:?}");
        }
        assert!(!types.contains(&"deal.won"), "{types:?}");
        // Acme's exports are what they were: Globex's records never appear in them.
        assert_eq!(export_all(&acme).await, exported, "{}", db.name);
    }
}

#[tokio::test]
async fn an_export_takes_any_list_filter() {
    for db in TestDb::each().await {
        let (acme, mia) = acme(&db).await;
        let mut out = Vec::new();
        let vip = ContactFilter { tags: vec!["vip".into()], ..Default::default() };
        assert_eq!(acme.contacts().export_csv(vip, &mut out).await.expect("export"), 1);
        let rows = records(&out);
        assert_eq!((rows.len(), rows[1][0].as_str()), (2, "Ada"), "{}", db.name);
        assert_eq!(rows[0], header(&CONTACT_COLUMNS), "the header whatever the filter");
        let mut out = Vec::new();
        let bab = OrganizationFilter { name_prefix: Some("bab".into()), ..Default::default() };
        assert_eq!(acme.organizations().export_csv(bab, &mut out).await.expect("export"), 1);
        assert_eq!(records(&out)[1][0], "Babbage & Co");
        let mut out = Vec::new();
        let won = DealFilter { status: Some(DealStatus::Won), ..Default::default() };
        assert_eq!(acme.deals().export_csv(won, &mut out).await.expect("export"), 1);
        assert_eq!(records(&out)[1][0], "Difference engine");
        let mut out = Vec::new();
        let mine = DealFilter { assignee_id: Some(mia.user_id()), ..Default::default() };
        assert_eq!(acme.deals().export_csv(mine, &mut out).await.expect("export"), 1);
        // A prefix search exports in its own order, across pages of its keyed cursor.
        let mut out = Vec::new();
        let prefix = ContactFilter { name_prefix: Some("c".into()), ..Default::default() };
        assert_eq!(acme.contacts().export_csv(prefix, &mut out).await.expect("export"), 1);
        // A sort by a custom field exports in that order, across its keyed pages.
        let mut out = Vec::new();
        let by_score = DealFilter {
            sort: Some(CustomSort { key: "score".into(), descending: true }),
            ..Default::default()
        };
        assert_eq!(acme.deals().export_csv(by_score, &mut out).await.expect("export"), 3);
        assert_eq!(records(&out)[1][0], "Looms, twelve", "the only deal with a score first");
        // A bad filter is refused before anything is written.
        let mut out = Vec::new();
        let bad = ContactFilter { phone_prefix: Some("abc".into()), ..Default::default() };
        assert_invalid(acme.contacts().export_csv(bad, &mut out).await, "phone_prefix");
        assert!(out.is_empty());
    }
}

#[tokio::test]
async fn a_viewer_exports_but_cannot_import() {
    for db in TestDb::each().await {
        let (acme, _) = acme(&db).await;
        let viewer = acme
            .members()
            .add(NewMember { email: "v@acme.test".into(), name: "V".into(), role: Role::Viewer })
            .await
            .expect("viewer");
        let vs = db.flame.session(viewer.user.id, acme.company_id()).await.expect("session");
        let [orgs, contacts, deals] = export_all(&vs).await;
        assert_eq!([orgs.clone(), contacts.clone(), deals.clone()], export_all(&acme).await);
        let before = snapshot(&db.url).await;
        assert_forbidden(vs.organizations().import_csv(orgs.as_slice()).await);
        assert_forbidden(vs.contacts().import_csv(contacts.as_slice()).await);
        assert_forbidden(vs.deals().import_csv(deals.as_slice()).await);
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing stored", db.name);
    }
}

/// Counts the lines written at each flush: where the export handed a page over.
#[derive(Default)]
struct Pages {
    bytes: Vec<u8>,
    flushed_at: Vec<usize>,
}

impl std::io::Write for &mut Pages {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let lines = self.bytes.iter().filter(|b| **b == b'\n').count();
        if self.flushed_at.last() != Some(&lines) {
            self.flushed_at.push(lines);
        }
        Ok(())
    }
}

/// Fails every write, like a full disk.
struct Full;

impl std::io::Write for Full {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("no space left"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::other("no space left"))
    }
}

#[tokio::test]
async fn an_export_streams_a_page_at_a_time() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let s = company(&db.flame, "Acme").await.session;
        let rows = (1..=1_203)
            .map(|i| NewContact { first_name: format!("Person{i}"), ..NewContact::default() });
        assert_eq!(s.contacts().import_rows(rows).await.expect("import").imported, 1_203);
        let mut pages = Pages::default();
        let n =
            s.contacts().export_csv(ContactFilter::default(), &mut pages).await.expect("export");
        assert_eq!(n, 1_203, "{}", db.name);
        // Each page of 500 reached the writer before the next was read.
        assert_eq!(pages.flushed_at, [501, 1_001, 1_204], "{}", db.name);
        let names: std::collections::HashSet<String> =
            records(&pages.bytes).into_iter().skip(1).map(|r| r[0].clone()).collect();
        assert_eq!(names.len(), 1_203, "every contact once");
        // A writer that fails is a Storage error.
        let failed = s.contacts().export_csv(ContactFilter::default(), Full).await;
        assert!(matches!(failed, Err(flame_core::FlameError::Storage { .. })), "{failed:?}");
    }
}

#[tokio::test]
async fn a_file_export_writes_the_same_and_a_bad_path_is_a_validation_error() {
    for db in TestDb::each().await {
        let (acme, _) = acme(&db).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let [orgs, contacts, deals] = export_all(&acme).await;
        let path = dir.path().join("contacts.csv");
        let n = acme
            .contacts()
            .export_csv_file(ContactFilter::default(), &path)
            .await
            .expect("export file");
        assert_eq!(n, 3);
        assert_eq!(std::fs::read(&path).expect("read"), contacts, "{}", db.name);
        let path = dir.path().join("orgs.csv");
        acme.organizations()
            .export_csv_file(OrganizationFilter::default(), &path)
            .await
            .expect("export file");
        assert_eq!(std::fs::read(&path).expect("read"), orgs);
        let path = dir.path().join("deals.csv");
        acme.deals().export_csv_file(DealFilter::default(), &path).await.expect("export file");
        assert_eq!(std::fs::read(&path).expect("read"), deals);
        // A file import reads it back.
        let path = dir.path().join("orgs.csv");
        let before = snapshot(&db.url).await;
        let missing = dir.path().join("no/such/dir/out.csv");
        assert_invalid(
            acme.contacts().export_csv_file(ContactFilter::default(), &missing).await,
            "path",
        );
        assert_invalid(
            acme.organizations().export_csv_file(OrganizationFilter::default(), &missing).await,
            "path",
        );
        assert_invalid(acme.deals().export_csv_file(DealFilter::default(), &missing).await, "path");
        assert_invalid(acme.organizations().import_csv_file(&missing).await, "path");
        assert_invalid(acme.deals().import_csv_file(&missing).await, "path");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        // Re-importing Acme's own organizations: their domains are taken, the other is new.
        let report = acme.organizations().import_csv_file(&path).await.expect("import file");
        assert_eq!((report.imported, report.rejected), (1, 1), "{} {:?}", db.name, report.errors);
        assert_eq!((report.errors[0].line, report.errors[0].field.as_str()), (2, "domain"));
    }
}

/// CSV injection: a name a stranger chose (an inbound message names its contact) that a
/// spreadsheet would run as a formula is exported behind a `'`, and imports back as it was.
#[tokio::test]
async fn cells_a_spreadsheet_would_run_are_escaped_and_import_back_as_they_were() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let names = [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3",
            "+1 (555) Robotics",
            "'=already quoted",
            "'plain quote",
        ];
        for name in names {
            let contact = NewContact { first_name: name.into(), ..NewContact::default() };
            s.contacts().create(contact).await.expect("create");
        }
        let mut out = Vec::new();
        s.contacts().export_csv(ContactFilter::default(), &mut out).await.expect("export");
        let rows = records(&out);
        let first = CONTACT_COLUMNS.iter().position(|c| *c == "first_name").expect("column");
        for row in &rows[1..] {
            let cell = &row[first];
            let original = cell.strip_prefix('\'').unwrap_or(cell);
            if names[..5].contains(&original) {
                assert!(cell.starts_with('\''), "{}: {cell:?} is escaped", db.name);
            } else {
                assert_eq!(cell, "'plain quote", "{}: left as it is", db.name);
            }
        }
        // Imported again (into the same company, whose owner the rows name): each name twice.
        let report = s.contacts().import_csv(&out[..]).await.expect("import");
        assert_eq!(report.imported, names.len() as u64, "{}: {report:?}", db.name);
        let page = s.contacts().list(ContactFilter::default(), Default::default()).await;
        let mut back: Vec<String> =
            page.expect("list").items.into_iter().map(|c| c.first_name).collect();
        let mut expected: Vec<String> =
            names.iter().chain(&names).map(|n| (*n).to_owned()).collect();
        back.sort();
        expected.sort();
        assert_eq!(back, expected, "{}: imported as they were", db.name);
    }
}
