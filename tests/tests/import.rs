//! Bulk import of contacts: good rows imported in batches, bad rows reported with their line
//! and reason, the plan limit respected, nothing dropped silently.

use flame_core::company::NewMember;
use flame_core::contact::{ContactFilter, NewContact};
use flame_core::import::{ContactRow, MAX_RECORD_BYTES};
use flame_core::page::PageRequest;
use flame_core::{FlameError, Role, UserId};
use flame_tests::{TestDb, assert_invalid, company, count_rows, snapshot};

#[tokio::test]
async fn an_iterator_imports_in_batches_and_reports_bad_rows() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let n = 12_003_u64;
        let rows = (1..=n).map(|i| NewContact {
            first_name: if i % 1000 == 0 { " ".into() } else { format!("Person{i}") },
            email: Some(if i % 1001 == 0 { "broken".into() } else { format!("p{i}@example.com") }),
            owner_id: (i == 7).then(UserId::new),
            ..NewContact::default()
        });
        let report = acme.session.contacts().import_rows(rows).await.expect("import");
        let bad = 12 + 11 + 1; // blank names, broken emails, a stranger as owner
        assert_eq!((report.imported, report.rejected), (n - bad, bad), "{}", db.name);
        assert_eq!(report.errors.len() as u64, bad);
        let first = &report.errors[0];
        assert_eq!((first.line, first.field.as_str()), (7, "owner_id"));
        assert!(report.errors.iter().any(|e| e.line == 1000 && e.field == "first_name"));
        assert!(report.errors.iter().any(|e| e.line == 1001 && e.field == "email"));
        assert_eq!(count_rows(&db.url, "contacts").await as u64, n - bad);
        assert_eq!(acme.session.billing().usage().await.expect("usage").contacts, n - bad);
        // One event per batch, not per contact.
        let events = acme.session.events().list(PageRequest::first(500)).await.expect("events");
        let imported: Vec<_> =
            events.items.iter().filter(|e| e.payload.event_type() == "contacts.imported").collect();
        assert_eq!(imported.len(), 3, "batches of 5,000");
        let found = acme
            .session
            .contacts()
            .list(
                ContactFilter { name_prefix: Some("person12003".into()), ..Default::default() },
                PageRequest::default(),
            )
            .await
            .expect("search");
        assert_eq!(found.items.len(), 1);
    }
}

#[tokio::test]
async fn csv_imports_good_lines_and_reports_every_bad_one() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let mut csv = Vec::new();
        csv.extend_from_slice(
            "\u{feff}First_Name,last_name,email,phone,phone_region,organization\n".as_bytes(),
        );
        csv.extend_from_slice(
            b"Ada,Lovelace,ada@example.com,+44 20 7946 0958,,\"Babbage, Lovelace & Co\"\n",
        );
        csv.extend_from_slice(b"Ivan,Petrov,,8 (912) 345-67-89,RU,\n");
        csv.extend_from_slice(b"Ragged,Row\n");
        csv.extend_from_slice(b"Bad,Email,not-an-email,,,\n");
        csv.extend_from_slice(b"\xff\xfeBroken,utf8,,,,\n");
        csv.extend_from_slice(b",Nameless,n@example.com,,,\n");
        csv.extend_from_slice(b"\"Multi\nLine\",Quote,m@example.com,,,\n");
        let report = acme.session.contacts().import_csv(csv.as_slice()).await.expect("import");
        assert_eq!((report.imported, report.rejected), (3, 4), "{} {:?}", db.name, report.errors);
        let lines: Vec<(u64, &str)> =
            report.errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(lines, [(4, "row"), (5, "email"), (6, "row"), (7, "first_name")]);
        let page = acme
            .session
            .contacts()
            .list(ContactFilter::default(), PageRequest::default())
            .await
            .expect("list");
        let ada = page.items.iter().find(|c| c.first_name == "Ada").expect("ada");
        // The organization column names an organization, created by the import.
        let org = acme
            .session
            .organizations()
            .get(ada.organization_id.expect("ada's organization"))
            .await
            .expect("organization");
        assert_eq!(org.name, "Babbage, Lovelace & Co", "{}", db.name);
        let ivan_org = page.items.iter().find(|c| c.first_name == "Ivan").expect("ivan");
        assert_eq!(ivan_org.organization_id, None, "{}", db.name);
        let ivan = page.items.iter().find(|c| c.first_name == "Ivan").expect("ivan");
        assert_eq!(ivan.phone.as_ref().map(|p| p.as_str()), Some("+79123456789"));
        assert!(page.items.iter().any(|c| c.first_name == "Multi\nLine"));

        // A header that would drop a column, or lacks first_name: nothing is imported.
        let before = snapshot(&db.url).await;
        assert_invalid(
            acme.session.contacts().import_csv(&b"first_name,fax\nA,1\n"[..]).await,
            "header",
        );
        assert_invalid(acme.session.contacts().import_csv(&b"email\na@b.io\n"[..]).await, "header");
        assert_eq!(snapshot(&db.url).await, before);
    }
}

#[tokio::test]
async fn imports_respect_permissions_and_the_plan_limit() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let viewer = acme
            .session
            .members()
            .add(NewMember { email: "v@acme.test".into(), name: "V".into(), role: Role::Viewer })
            .await
            .expect("viewer");
        let vs = db.flame.session(viewer.user.id, acme.company.id).await.expect("session");
        flame_tests::assert_forbidden(vs.contacts().import_csv(&b"first_name\nA\n"[..]).await);
        // The starter plan allows 1,000 contacts: a batch that would pass it is not written.
        let rows =
            (0..1_200).map(|i| NewContact { first_name: format!("P{i}"), ..NewContact::default() });
        let report = acme.session.contacts().import_rows(rows).await.expect("a report");
        assert_eq!(report.imported, 0);
        let failed = report.failed.expect("stopped");
        assert_eq!(failed.line, 1);
        match failed.error {
            FlameError::PlanLimitExceeded { limit, allowed, used } => {
                assert_eq!((limit.as_str(), allowed, used), ("contacts", 1000, 0));
            }
            other => panic!("expected the contact limit, got {other:?}"),
        }
        assert_eq!(count_rows(&db.url, "contacts").await, 0);
    }
}

/// Yields `data`, then fails like a broken disk or network stream.
struct BrokenReader {
    data: &'static [u8],
}

impl std::io::Read for BrokenReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.data.is_empty() {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[tokio::test]
async fn a_failing_input_stops_the_import_instead_of_passing_for_a_bad_line() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let reader = BrokenReader { data: b"first_name\nAda\nGrace\n" };
        let report = acme.session.contacts().import_csv(reader).await.expect("a report");
        assert_eq!((report.imported, report.rejected), (0, 0));
        let failed = report.failed.expect("stopped");
        assert_eq!(failed.line, 2, "the unfinished batch starts at Ada");
        match failed.error {
            FlameError::Storage { reason } => assert!(reason.contains("CSV input"), "{reason}"),
            other => panic!("expected Storage, got {other:?}"),
        }
        assert_eq!(count_rows(&db.url, "contacts").await, 0, "the unfinished batch is not written");
    }
}

/// What an import stores reads back exactly as given, including text that means something
/// to a bulk loader (`\N`, backslashes, quotes) and non-ASCII names, and equal to what
/// `create` stores for the same input.
#[tokio::test]
async fn imported_values_read_back_exactly_as_created_ones() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let tricky = |n: u32| NewContact {
            first_name: format!("Zoë{n} 日本"),
            last_name: Some("O'Brien \\ Sons".into()),
            email: Some(format!("zoe{n}@example.com")),
            phone: Some("+44 20 7946 0958".into()),
            owner_id: None,
            ..NewContact::default()
        };
        let report = acme
            .session
            .contacts()
            .import_rows([ContactRow {
                organization: Some("\\N".into()),
                ..ContactRow::from(tricky(1))
            }])
            .await
            .expect("import");
        assert_eq!((report.imported, report.rejected), (1, 0), "{}", db.name);
        let created = acme.session.contacts().create(tricky(2)).await.expect("create");
        let page = acme
            .session
            .contacts()
            .list(
                ContactFilter { name_prefix: Some("zoë1".into()), ..Default::default() },
                PageRequest::default(),
            )
            .await
            .expect("search");
        assert_eq!(page.items.len(), 1, "{}", db.name);
        let imported = acme.session.contacts().get(page.items[0].id).await.expect("get");
        assert_eq!(imported.first_name, "Zoë1 日本");
        assert_eq!(imported.last_name, created.last_name);
        let org = acme
            .session
            .organizations()
            .get(imported.organization_id.expect("an organization"))
            .await
            .expect("organization");
        assert_eq!(org.name, "\\N", "{}", db.name);
        assert_eq!(imported.phone, created.phone);
        assert_eq!(imported.email.as_ref().map(|e| e.as_str()), Some("zoe1@example.com"));
        assert_eq!(imported.owner_id, created.owner_id);
        assert_eq!(imported.version, created.version);
        // Found by its last name too (the search keys were stored).
        let by_last = acme
            .session
            .contacts()
            .list(
                ContactFilter { name_prefix: Some("o'brien".into()), ..Default::default() },
                PageRequest::default(),
            )
            .await
            .expect("search by last name");
        assert_eq!(by_last.items.len(), 2, "{}", db.name);
    }
}

fn people(range: std::ops::RangeInclusive<u64>) -> impl Iterator<Item = NewContact> + Send {
    range.map(|i| NewContact { first_name: format!("Person{i}"), ..NewContact::default() })
}

#[tokio::test]
async fn a_batch_failing_after_committed_ones_keeps_the_report_of_what_was_imported() {
    for db in TestDb::each().await {
        let limits =
            flame_core::billing::PlanLimits { contacts: Some(6_000), ..Default::default() };
        flame_tests::default_plan(&db.flame, "six-thousand", limits).await;
        let acme = company(&db.flame, "Acme").await;
        let mut rows: Vec<NewContact> = people(1..=12_000).collect();
        rows[9].first_name = " ".into(); // a bad row, in the committed batch
        rows[5_009].first_name = " ".into(); // and one in the batch that fails
        let report = acme.session.contacts().import_rows(rows).await.expect("a report");
        // The first batch (5,000 good rows: rows 1-5,001 but the bad one) is committed; the
        // second would pass the plan's limit.
        assert_eq!((report.imported, report.rejected), (5_000, 2), "{}", db.name);
        assert_eq!(report.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [10, 5_010]);
        let failed = report.failed.as_ref().expect("stopped");
        assert_eq!(failed.line, 5_002, "where it stopped");
        assert!(
            matches!(&failed.error, FlameError::PlanLimitExceeded { limit, .. } if limit == "contacts"),
            "{:?}",
            failed.error
        );
        assert!(!report.is_complete());
        assert_eq!(count_rows(&db.url, "contacts").await, 5_000);
        assert_eq!(acme.session.billing().usage().await.expect("usage").contacts, 5_000);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_demoted_during_an_import_stops_it_at_the_next_batch() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let member = acme
            .session
            .members()
            .add(NewMember { email: "m@acme.test".into(), name: "M".into(), role: Role::Member })
            .await
            .expect("member");
        let ms = db.flame.session(member.user.id, acme.company.id).await.expect("session");
        let (url, owner, company, user, version) = (
            db.url.clone(),
            acme.owner.id,
            acme.company.id,
            member.user.id,
            member.membership.version,
        );
        // Once the first batch is written, the owner demotes the member to viewer (from
        // another handle, as another device would), while the import goes on reading rows.
        let rows = people(1..=12_000).inspect(move |row| {
            if row.first_name == "Person5001" {
                let url = url.clone();
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async move {
                        let flame = flame_db::Flame::open(&url, flame_db::OpenOptions::default())
                            .await
                            .expect("open");
                        let s = flame.session(owner, company).await.expect("owner");
                        s.members().change_role(user, Role::Viewer, version).await.expect("demote");
                    })
                })
                .join()
                .expect("demoted");
            }
        });
        let report = ms.contacts().import_rows(rows).await.expect("a report");
        assert_eq!(report.imported, 5_000, "{}", db.name);
        let failed = report.failed.expect("stopped");
        assert_eq!(failed.line, 5_001);
        assert!(matches!(failed.error, FlameError::Forbidden { .. }), "{:?}", failed.error);
        assert_eq!(count_rows(&db.url, "contacts").await, 5_000);
    }
}

/// Serves a header, a good line, then `x` without end (a record that never ends), counting
/// what it served.
struct Endless {
    head: &'static [u8],
    served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::io::Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = if self.head.is_empty() {
            buf.fill(b'x');
            buf.len()
        } else {
            let n = buf.len().min(self.head.len());
            buf[..n].copy_from_slice(&self.head[..n]);
            self.head = &self.head[n..];
            n
        };
        self.served.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

#[tokio::test]
async fn a_csv_record_is_bounded_in_size() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let contacts = acme.session.contacts();
        // A record past the bound is a bad line; the lines around it are imported.
        let long = "y".repeat(MAX_RECORD_BYTES + 1);
        let csv = format!("first_name,organization\nAda,A\nBob,{long}\nCy,C\n");
        let report = contacts.import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!((report.imported, report.rejected), (2, 1), "{}", db.name);
        assert_eq!(
            (report.errors[0].line, report.errors[0].field.as_str()),
            (3, "row"),
            "{:?}",
            report.errors
        );
        assert!(report.is_complete());
        // A record that never ends is not read into memory: the import stops there.
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let endless = Endless { head: b"first_name\nDee\nEve", served: served.clone() };
        let report = contacts.import_csv(endless).await.expect("a report");
        assert_eq!(report.imported, 0);
        let failed = report.failed.expect("stopped");
        assert_eq!(failed.line, 2, "the unfinished batch starts at Dee");
        assert_eq!(failed.error, flame_core::import::record_too_long("row"));
        let served = served.load(std::sync::atomic::Ordering::Relaxed);
        assert!(served < 3 * MAX_RECORD_BYTES, "read {served} bytes of one record");
        // A header past the bound is refused like any bad header.
        let header = format!("first_name,{}\n", "z".repeat(MAX_RECORD_BYTES));
        assert_invalid(contacts.import_csv(header.as_bytes()).await, "header");
        let endless_header = Endless { head: b"", served: Default::default() };
        assert_invalid(contacts.import_csv(endless_header).await, "header");
        assert_eq!(count_rows(&db.url, "contacts").await, 2);
    }
}

#[tokio::test]
async fn a_csv_file_that_cannot_be_opened_is_a_validation_error_on_path() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let dir = tempfile::tempdir().expect("temp dir");
        let before = snapshot(&db.url).await;
        let missing = acme.session.contacts().import_csv_file(dir.path().join("missing.csv")).await;
        assert_invalid(missing, "path");
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing stored", db.name);

        let file = dir.path().join("contacts.csv");
        std::fs::write(&file, "first_name\nGrace\nLinus\n").expect("write csv");
        let report = acme.session.contacts().import_csv_file(&file).await.expect("import file");
        assert_eq!(report.imported, 2, "{}", db.name);
    }
}
