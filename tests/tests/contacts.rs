//! Contacts: every operation, pagination, filters and bad input, on both backends.

use flame_core::FlameError;
use flame_core::contact::{ContactFilter, ContactPatch, NewContact};
use flame_core::page::PageRequest;
use flame_tests::{TestDb, assert_conflict, assert_invalid, assert_not_found, company, snapshot};

fn ada() -> NewContact {
    NewContact {
        first_name: "Ada".into(),
        last_name: Some("Lovelace".into()),
        email: Some("ADA@Example.com".into()),
        phone: Some("+44 20 7946 0958".into()),
        organization: Some("Engines".into()),
        ..NewContact::default()
    }
}

#[tokio::test]
async fn create_get_update_delete() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let contacts = s.contacts();
        let created = contacts.create(ada()).await.expect("create");
        assert_eq!(
            created.email.as_ref().map(|e| e.as_str()),
            Some("ada@example.com"),
            "{}",
            db.name
        );
        assert_eq!(created.phone.as_ref().map(|p| p.as_str()), Some("+442079460958"));
        assert_eq!(created.owner_id, Some(s.user_id()));
        assert_eq!(
            contacts.get(created.id).await.expect("get"),
            created,
            "{}: reads back exactly",
            db.name
        );

        let patch = ContactPatch {
            last_name: Some("King".into()),
            email: Some(String::new()),
            ..ContactPatch::default()
        };
        let updated = contacts.update(created.id, created.version, patch).await.expect("update");
        assert_eq!(updated.last_name.as_deref(), Some("King"));
        assert_eq!(updated.email, None);
        assert_eq!(updated.version, created.version + 1);
        assert_eq!(contacts.get(created.id).await.expect("get"), updated);

        // The version read before the update is stale now.
        assert_conflict(
            contacts.update(created.id, created.version, ContactPatch::default()).await,
        );
        assert_conflict(contacts.delete(created.id, created.version).await);
        contacts.delete(created.id, updated.version).await.expect("delete");
        assert_not_found(contacts.get(created.id).await);
        assert_not_found(contacts.delete(created.id, updated.version).await);
    }
}

#[tokio::test]
async fn pagination_walks_every_contact_once() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let mut ids = Vec::new();
        for i in 0..23 {
            let c = s
                .contacts()
                .create(NewContact {
                    first_name: format!("Person {i:02}"),
                    ..NewContact::default()
                })
                .await
                .expect("create");
            ids.push(c.id);
        }
        let mut seen = Vec::new();
        let mut page = PageRequest::first(10);
        loop {
            let got =
                s.contacts().list(ContactFilter::default(), page.clone()).await.expect("list");
            assert!(got.items.len() <= 10);
            seen.extend(got.items.iter().map(|c| c.id));
            match got.next_cursor {
                Some(cursor) => page = PageRequest::after(10, cursor),
                None => break,
            }
        }
        ids.reverse();
        assert_eq!(seen, ids, "{}: newest first, each once", db.name);
        assert_invalid(
            s.contacts().list(ContactFilter::default(), PageRequest::first(0)).await,
            "limit",
        );
        assert_invalid(
            s.contacts().list(ContactFilter::default(), PageRequest::first(501)).await,
            "limit",
        );
        assert_invalid(
            s.contacts().list(ContactFilter::default(), PageRequest::after(10, "garbage")).await,
            "cursor",
        );
    }
}

#[tokio::test]
async fn filters_by_name_email_phone_and_owner() {
    for db in TestDb::each().await {
        let signed = company(&db.flame, "Acme").await;
        let s = signed.session;
        let c = s.contacts();
        c.create(ada()).await.expect("ada");
        c.create(NewContact {
            first_name: "Adam".into(),
            last_name: Some("Smith".into()),
            email: Some("adam@smith.io".into()),
            ..NewContact::default()
        })
        .await
        .expect("adam");
        c.create(NewContact {
            first_name: "Ivan".into(),
            last_name: Some("Lovel".into()),
            phone: Some("8 912 345-67-89".into()),
            phone_region: Some("RU".into()),
            ..NewContact::default()
        })
        .await
        .expect("ivan");
        c.create(NewContact { first_name: "100%_real".into(), ..NewContact::default() })
            .await
            .expect("wildcards");

        let names = |f: ContactFilter| {
            let c = c.clone();
            async move {
                let mut names: Vec<String> = c
                    .list(f, PageRequest::first(50))
                    .await
                    .expect("list")
                    .items
                    .iter()
                    .map(|c| c.full_name())
                    .collect();
                names.sort();
                names
            }
        };
        let by_name =
            |p: &str| ContactFilter { name_prefix: Some(p.into()), ..ContactFilter::default() };
        assert_eq!(names(by_name("ada")).await, ["Ada Lovelace", "Adam Smith"], "{}", db.name);
        assert_eq!(
            names(by_name("ADA L")).await,
            ["Ada Lovelace"],
            "{}: full-name prefix",
            db.name
        );
        assert_eq!(
            names(by_name("lovel")).await,
            ["Ada Lovelace", "Ivan Lovel"],
            "{}: last-name prefix",
            db.name
        );
        assert_eq!(
            names(by_name("100%")).await,
            ["100%_real"],
            "{}: wildcards are literal",
            db.name
        );
        assert!(names(by_name("1%")).await.is_empty(), "{}: % is not a wildcard", db.name);
        assert!(names(by_name("*")).await.is_empty(), "{}: * is not a wildcard", db.name);
        let by_email =
            ContactFilter { email_prefix: Some("Adam@".into()), ..ContactFilter::default() };
        assert_eq!(names(by_email).await, ["Adam Smith"]);
        let by_phone =
            ContactFilter { phone_prefix: Some("+7 912".into()), ..ContactFilter::default() };
        assert_eq!(names(by_phone).await, ["Ivan Lovel"], "{}", db.name);
        let by_owner = ContactFilter { owner_id: Some(s.user_id()), ..ContactFilter::default() };
        assert_eq!(names(by_owner).await.len(), 4);
        assert_invalid(
            c.list(
                ContactFilter { phone_prefix: Some("abc".into()), ..ContactFilter::default() },
                PageRequest::default(),
            )
            .await,
            "phone_prefix",
        );
        assert_invalid(
            c.list(by_name(&"x".repeat(201)), PageRequest::default()).await,
            "name_prefix",
        );
    }
}

#[tokio::test]
async fn bad_input_is_named_and_writes_nothing() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let existing = s.contacts().create(ada()).await.expect("create");
        let before = snapshot(&db.url).await;
        let cases: Vec<(NewContact, &str)> = vec![
            (NewContact { email: Some("not an email".into()), ..ada() }, "email"),
            (NewContact { phone: Some("12345".into()), ..ada() }, "phone"),
            (
                NewContact {
                    phone: Some("8 912 345 67 89".into()),
                    phone_region: Some("XX".into()),
                    ..ada()
                },
                "phone_region",
            ),
            (NewContact { first_name: "   ".into(), ..ada() }, "first_name"),
            (NewContact { first_name: "x".repeat(201), ..ada() }, "first_name"),
            (NewContact { organization: Some("o".repeat(201)), ..ada() }, "organization"),
            (NewContact { owner_id: Some(flame_core::UserId::new()), ..ada() }, "owner_id"),
        ];
        for (input, field) in cases {
            assert_invalid(s.contacts().create(input).await, field);
        }
        let bad_patch = ContactPatch { email: Some("nope@".into()), ..ContactPatch::default() };
        assert_invalid(
            s.contacts().update(existing.id, existing.version, bad_patch).await,
            "email",
        );
        assert_not_found(
            s.contacts().update(flame_core::ContactId::new(), 1, ContactPatch::default()).await,
        );
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        assert_eq!(
            s.contacts().get(existing.id).await.expect("get"),
            existing,
            "{}: unchanged",
            db.name
        );
    }
}

#[tokio::test]
async fn concurrent_updates_cannot_both_win() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s.contacts().create(ada()).await.expect("create");
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let contacts = s.contacts();
                tokio::spawn(async move {
                    contacts
                        .update(
                            c.id,
                            c.version,
                            ContactPatch {
                                first_name: Some(format!("Writer {i}")),
                                ..ContactPatch::default()
                            },
                        )
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.expect("join") {
                Ok(_) => ok += 1,
                Err(FlameError::Conflict { .. }) => {}
                Err(e) => panic!("{}: unexpected {e:?}", db.name),
            }
        }
        assert_eq!(ok, 1, "{}: exactly one writer wins", db.name);
        assert_eq!(s.contacts().get(c.id).await.expect("get").version, c.version + 1);
    }
}
