//! CSV import of organizations and deals (and the owner and tags columns of contacts): good
//! rows imported, every bad one reported with its line and the column at fault, a bad
//! header refused whole, another company's records never matched, permissions and plan
//! limits per batch, and stored data unchanged by rejected rows — on both backends.

use flame_core::billing::PlanLimits;
use flame_core::company::NewMember;
use flame_core::contact::NewContact;
use flame_core::custom_field::{CustomEntity, CustomFieldKind, NewCustomField};
use flame_core::deal::{DealFilter, DealStatus};
use flame_core::organization::{NewOrganization, OrganizationFilter};
use flame_core::page::PageRequest;
use flame_core::pipeline::{NewPipeline, NewStage, StageKind};
use flame_core::{FlameError, Role};
use flame_db::Session;
use flame_tests::{TestDb, assert_invalid, company, default_plan, snapshot};

/// `(line, field)` of every rejected row.
fn rejected(report: &flame_core::import::ImportReport) -> Vec<(u64, &str)> {
    report.errors.iter().map(|e| (e.line, e.field.as_str())).collect()
}

async fn define(s: &Session, entity: CustomEntity, key: &str, kind: CustomFieldKind) {
    s.custom_fields()
        .define(NewCustomField {
            entity,
            key: key.into(),
            label: key.into(),
            kind,
            options: Vec::new(),
            required: false,
            position: None,
        })
        .await
        .expect("define");
}

/// A member of `s`'s company with `role`, and their session.
async fn member(db: &TestDb, s: &Session, email: &str, role: Role) -> Session {
    let m = s
        .members()
        .add(NewMember { email: email.into(), name: email.into(), role })
        .await
        .expect("member");
    db.flame.session(m.user.id, s.company_id()).await.expect("session")
}

/// Initech: another company, with records of its own that Acme's imports must never match:
/// a pipeline, a source, a member, a contact and an organization.
async fn initech(db: &TestDb) -> Session {
    let s = company(&db.flame, "Initech").await.session;
    s.pipelines()
        .create(NewPipeline {
            name: "Initech Pipeline".into(),
            stages: vec![
                NewStage::new("Open", StageKind::Open),
                NewStage::new("Done", StageKind::Won),
                NewStage::new("Gone", StageKind::Lost),
            ],
        })
        .await
        .expect("pipeline");
    s.sources().create("Initech Source").await.expect("source");
    member(db, &s, "peter@initech.test", Role::Member).await;
    s.contacts()
        .create(NewContact {
            first_name: "Zed".into(),
            email: Some("zed@initech.test".into()),
            ..NewContact::default()
        })
        .await
        .expect("contact");
    s.organizations()
        .create(NewOrganization {
            name: "Initech".into(),
            domain: Some("initech.example".into()),
            ..NewOrganization::default()
        })
        .await
        .expect("org");
    s
}

#[tokio::test]
async fn organizations_import_good_rows_and_report_every_bad_one() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await.session;
        define(&acme, CustomEntity::Organization, "score", CustomFieldKind::Number).await;
        member(&db, &acme, "mia@acme.test", Role::Member).await;
        acme.organizations()
            .create(NewOrganization {
                name: "Taken".into(),
                domain: Some("taken.example".into()),
                ..NewOrganization::default()
            })
            .await
            .expect("taken");
        let csv = "\u{feff}Name,Domain,Country,Size,Owner,Tags,custom.score\n\
            \"Babbage, Lovelace & Co\",https://www.Babbage.example/,gb,11-50,MIA@acme.test,Partner; vip,12.5\n\
            Ragged,row\n\
            Bad country,,XX,,,,\n\
            Taken elsewhere,taken.example,,,,,\n\
            Twice,babbage.example,,,,,\n\
            Stranger,,,,stranger@initech.test,,\n\
            Bad score,,,,,,twelve\n\
            Bad size,,,huge,,,\n\
            ,nameless.example,,,,,\n\
            Long tag,,,,,Partner; {long},\n\
            Plain,,,,,,\n";
        let csv = csv.replace("{long}", &"x".repeat(65));
        let report = acme.organizations().import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!(
            rejected(&report),
            [
                (3, "row"),
                (4, "country"),
                (5, "domain"),
                (6, "domain"),
                (7, "owner"),
                (8, "custom.score"),
                (9, "size"),
                (10, "name"),
                (11, "tags"),
            ],
            "{}",
            db.name
        );
        assert_eq!((report.imported, report.rejected), (2, 9));
        assert!(report.is_complete());
        let page = acme
            .organizations()
            .list(
                OrganizationFilter { domain: Some("babbage.example".into()), ..Default::default() },
                PageRequest::default(),
            )
            .await
            .expect("list");
        let babbage = &page.items[0];
        assert_eq!(babbage.name, "Babbage, Lovelace & Co");
        assert_eq!(babbage.country.as_deref(), Some("GB"));
        assert_eq!(babbage.tags, ["Partner", "vip"]);
        assert_eq!(babbage.custom["score"].to_text(), "12.5", "{}", db.name);
        let mia = acme.members().list(PageRequest::default()).await.expect("members");
        let mia = mia.items.iter().find(|m| m.user.email.as_str() == "mia@acme.test").expect("mia");
        assert_eq!(babbage.owner_id, Some(mia.user.id));
        assert_eq!(acme.billing().usage().await.expect("usage").organizations, 3);

        // A header that would drop a column, lacks `name` or names no field: nothing stored.
        let before = snapshot(&db.url).await;
        for bad in [
            "name,fax\nA,1\n",
            "domain\na.example\n",
            "name,custom.nope\nA,1\n",
            "name,Name\nA,B\n",
        ] {
            assert_invalid(acme.organizations().import_csv(bad.as_bytes()).await, "header");
        }
        // Rows that are all rejected store nothing either.
        let report = acme
            .organizations()
            .import_csv(&b"name,domain\nAgain,taken.example\n,\n"[..])
            .await
            .expect("import");
        assert_eq!((report.imported, report.rejected), (0, 2));
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
    }
}

#[tokio::test]
async fn deals_land_in_the_stage_their_row_names() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await.session;
        define(&acme, CustomEntity::Deal, "margin", CustomFieldKind::Money).await;
        member(&db, &acme, "mia@acme.test", Role::Member).await;
        let ada = acme
            .contacts()
            .create(NewContact {
                first_name: "Ada".into(),
                last_name: Some("Lovelace".into()),
                email: Some("ada@example.com".into()),
                ..NewContact::default()
            })
            .await
            .expect("ada");
        let grace = acme
            .contacts()
            .create(NewContact {
                first_name: "Grace".into(),
                last_name: Some("Hopper".into()),
                ..NewContact::default()
            })
            .await
            .expect("grace");
        let engines = acme
            .organizations()
            .create(NewOrganization {
                name: "Engines".into(),
                domain: Some("engines.example".into()),
                ..NewOrganization::default()
            })
            .await
            .expect("engines");
        let csv = "title,amount,currency,pipeline,stage,status,lost_reason,contact,organization,source,assignee,expected_close,tags,custom.margin\n\
            Open one,1234.5,eur,,,,,ADA@example.com,engines.example,website,mia@acme.test,2027-03-01,Q1; Big,100.00 EUR\n\
            Won one,99,JPY,sales,WON,,,grace hopper,New Org Ltd,,,,,\n\
            Lost one,0,USD,,Lost,lost,Too expensive,,,,,,,\n\
            Won by status,1,USD,,,won,,,,,,,,\n";
        let report = acme.deals().import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!((report.imported, report.rejected), (4, 0), "{} {:?}", db.name, report.errors);
        let deals =
            acme.deals().list(DealFilter::default(), PageRequest::default()).await.expect("deals");
        let deal =
            |title: &str| deals.items.iter().find(|d| d.title == title).expect(title).clone();
        let stages = acme
            .pipelines()
            .stages(acme.pipelines().default_pipeline().await.expect("default").id)
            .await
            .expect("stages");
        let stage_name =
            |id| stages.iter().find(|s| s.id == id).map(|s| s.name.clone()).expect("a stage");
        let open = deal("Open one");
        assert_eq!((open.status, stage_name(open.stage_id).as_str()), (DealStatus::Open, "New"));
        assert_eq!(open.value.to_string(), "1234.50 EUR", "{}", db.name);
        assert_eq!(open.contact_id, Some(ada.id));
        assert_eq!(open.organization_id, Some(engines.id), "found by its domain");
        assert_eq!(open.tags, ["Big", "Q1"]);
        assert_eq!(open.custom["margin"].to_text(), "100.00 EUR");
        assert_eq!(
            open.expected_close.map(flame_core::clock::format_date).as_deref(),
            Some("2027-03-01")
        );
        let won = deal("Won one");
        assert_eq!((won.status, stage_name(won.stage_id).as_str()), (DealStatus::Won, "Won"));
        assert!(won.closed_at.is_some());
        assert_eq!(won.contact_id, Some(grace.id), "found by full name");
        let created = acme
            .organizations()
            .get(won.organization_id.expect("an organization"))
            .await
            .expect("created");
        assert_eq!(created.name, "New Org Ltd", "created, as a contacts import creates one");
        let lost = deal("Lost one");
        assert_eq!(lost.status, DealStatus::Lost);
        assert_eq!(lost.lost_reason.as_deref(), Some("Too expensive"));
        assert_eq!(deal("Won by status").status, DealStatus::Won);
        assert_eq!(acme.billing().usage().await.expect("usage").deals, 4);
        // No invoice is queued and no per-deal event written: one event for the batch.
        let events = acme.events().list(PageRequest::first(100)).await.expect("events");
        let types: Vec<&str> = events.items.iter().map(|e| e.payload.event_type()).collect();
        assert_eq!(types.iter().filter(|t| **t == "deals.imported").count(), 1, "{types:?}");
        assert!(!types.iter().any(|t| t.starts_with("deal.")), "{types:?}");
    }
}

#[tokio::test]
async fn deal_rows_name_the_column_at_fault_and_never_match_another_company() {
    for db in TestDb::each().await {
        let _initech = initech(&db).await;
        let acme = company(&db.flame, "Acme").await.session;
        define(&acme, CustomEntity::Deal, "margin", CustomFieldKind::Money).await;
        acme.contacts()
            .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
            .await
            .expect("ada");
        let csv = "title,amount,currency,pipeline,stage,status,lost_reason,contact,source,assignee,expected_close,custom.margin\n\
            Unknown pipeline,1,USD,Nope,,,,,,,,\n\
            Their pipeline,1,USD,Initech Pipeline,,,,,,,,\n\
            Unknown stage,1,USD,,Nowhere,,,,,,,\n\
            Their stage,1,USD,,Done,,,,,,,\n\
            Status mismatch,1,USD,,Won,open,,,,,,\n\
            Lost without reason,1,USD,,Lost,,,,,,,\n\
            Reason while open,1,USD,,,,why,,,,,\n\
            Unknown assignee,1,USD,,,,,,,nobody@acme.test,,\n\
            Their member,1,USD,,,,,,,peter@initech.test,,\n\
            Not an email,1,USD,,,,,,,peter,,\n\
            Unknown source,1,USD,,,,,,Nope,,,\n\
            Their source,1,USD,,,,,,Initech Source,,,\n\
            Their contact,1,USD,,,,,zed@initech.test,,,,\n\
            Unknown contact,1,USD,,,,,Nobody Here,,,,\n\
            Bad amount,1.234,USD,,,,,,,,,\n\
            Negative,-1,USD,,,,,,,,,\n\
            Bad currency,1,XYZ,,,,,,,,,\n\
            Bad date,1,USD,,,,,,,,01/03/2027,\n\
            Bad status,1,USD,,,maybe,,,,,,\n\
            Bad margin,1,USD,,,,,,,,,lots\n\
            ,1,USD,,,,,,,,,\n\
            Ragged,1\n";
        let before = snapshot(&db.url).await;
        let report = acme.deals().import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!(
            rejected(&report),
            [
                (2, "pipeline"),
                (3, "pipeline"),
                (4, "stage"),
                (5, "stage"),
                (6, "status"),
                (7, "lost_reason"),
                (8, "lost_reason"),
                (9, "assignee"),
                (10, "assignee"),
                (11, "assignee"),
                (12, "source"),
                (13, "source"),
                (14, "contact"),
                (15, "contact"),
                (16, "amount"),
                (17, "amount"),
                (18, "currency"),
                (19, "expected_close"),
                (20, "status"),
                (21, "custom.margin"),
                (22, "title"),
                (23, "row"),
            ],
            "{}",
            db.name
        );
        assert_eq!(report.imported, 0);
        assert_eq!(snapshot(&db.url).await, before, "{}: rejected rows store nothing", db.name);
        // Another company's organization domain names no organization of Acme's: a new one
        // of that name is made, Initech's is untouched.
        let report = acme
            .deals()
            .import_csv(&b"title,currency,organization\nLinked,USD,initech.example\n"[..])
            .await
            .expect("import");
        assert_eq!(report.imported, 1, "{}", db.name);
        let deals =
            acme.deals().list(DealFilter::default(), PageRequest::default()).await.expect("deals");
        let org = acme
            .organizations()
            .get(deals.items[0].organization_id.expect("an organization"))
            .await
            .expect("acme's");
        assert_eq!(
            (org.company_id, org.name.as_str(), org.domain.as_deref()),
            (acme.company_id(), "initech.example", None)
        );
        // Headers: unknown columns, missing title or currency, custom columns of no field.
        for bad in [
            "title,currency,value\nA,USD,1\n",
            "currency\nUSD\n",
            "title\nA\n",
            "title,currency,custom.nope\nA,USD,1\n",
        ] {
            assert_invalid(acme.deals().import_csv(bad.as_bytes()).await, "header");
        }
    }
}

#[tokio::test]
async fn imports_of_organizations_and_deals_respect_permissions_and_plan_limits() {
    for db in TestDb::each().await {
        let limits = PlanLimits { organizations: Some(3), deals: Some(3), ..PlanLimits::default() };
        default_plan(&db.flame, "three", limits).await;
        let acme = company(&db.flame, "Acme").await.session;
        let rows = (1..=5).map(|i| format!("Org {i}\n")).collect::<String>();
        let report = acme
            .organizations()
            .import_csv(format!("name\n{rows}").as_bytes())
            .await
            .expect("a report");
        assert_eq!(report.imported, 0, "{}", db.name);
        let failed = report.failed.expect("stopped");
        assert_eq!(failed.line, 2);
        assert!(
            matches!(&failed.error, FlameError::PlanLimitExceeded { limit, .. } if limit == "organizations"),
            "{:?}",
            failed.error
        );
        let rows = (1..=5).map(|i| format!("Deal {i},USD\n")).collect::<String>();
        let report = acme
            .deals()
            .import_csv(format!("title,currency\n{rows}").as_bytes())
            .await
            .expect("a report");
        assert_eq!(report.imported, 0);
        let failed = report.failed.expect("stopped");
        assert!(
            matches!(&failed.error, FlameError::PlanLimitExceeded { limit, .. } if limit == "deals"),
            "{:?}",
            failed.error
        );
        // A member imports their own records only: a row for someone else is rejected.
        let mia = member(&db, &acme, "mia@acme.test", Role::Member).await;
        let csv = "title,currency,assignee\nMine,USD,mia@acme.test\nTheirs,USD,owner@acme.test\n";
        let report = mia.deals().import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!((report.imported, report.rejected), (1, 1), "{} {:?}", db.name, report.errors);
        assert_eq!(rejected(&report), [(3, "row")]);
        let csv = "name,owner\nMine,\nTheirs,owner@acme.test\n";
        let report = mia.organizations().import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!((report.imported, report.rejected), (1, 1), "{} {:?}", db.name, report.errors);
    }
}

#[tokio::test]
async fn contacts_import_their_owner_by_email_and_their_tags() {
    for db in TestDb::each().await {
        let _initech = initech(&db).await;
        let acme = company(&db.flame, "Acme").await.session;
        let mia = member(&db, &acme, "mia@acme.test", Role::Member).await;
        acme.organizations()
            .create(NewOrganization {
                name: "Engines".into(),
                domain: Some("engines.example".into()),
                ..NewOrganization::default()
            })
            .await
            .expect("engines");
        let csv = "first_name,owner,tags,organization\n\
            Ada,mia@acme.test,VIP; Lead,engines.example\n\
            Bob,peter@initech.test,,\n\
            Cy,,vip,initech.example\n\
            Dee,,a;b;{long},\n";
        let csv = csv.replace("{long}", &"x".repeat(65));
        let report = acme.contacts().import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!(rejected(&report), [(3, "owner"), (5, "tags")], "{}", db.name);
        let page = acme
            .contacts()
            .list(Default::default(), PageRequest::default())
            .await
            .expect("contacts");
        let ada = page.items.iter().find(|c| c.first_name == "Ada").expect("ada");
        assert_eq!(ada.owner_id, Some(mia.user_id()));
        assert_eq!(ada.tags, ["Lead", "VIP"]);
        let cy = page.items.iter().find(|c| c.first_name == "Cy").expect("cy");
        assert_eq!(cy.tags, ["VIP"], "one tag, whatever its case");
        let engines = acme
            .organizations()
            .list(
                OrganizationFilter { domain: Some("engines.example".into()), ..Default::default() },
                PageRequest::default(),
            )
            .await
            .expect("engines");
        assert_eq!(ada.organization_id, Some(engines.items[0].id), "found by its domain");
        let cy_org = acme.organizations().get(cy.organization_id.expect("org")).await.expect("org");
        assert_eq!((cy_org.company_id, cy_org.domain.as_deref()), (acme.company_id(), None));
        assert_eq!(acme.tags().list().await.expect("tags").len(), 2, "{}", db.name);
    }
}
