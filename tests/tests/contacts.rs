//! Contacts: every operation, pagination, filters and bad input, on both backends.

use flame_core::company::NewMember;
use flame_core::contact::{Contact, ContactFilter, ContactPatch, NewContact};
use flame_core::page::PageRequest;
use flame_core::{FlameError, Role};
use flame_db::Contacts;
use flame_tests::{TestDb, assert_conflict, assert_invalid, assert_not_found, company, snapshot};

fn ada() -> NewContact {
    NewContact {
        first_name: "Ada".into(),
        last_name: Some("Lovelace".into()),
        email: Some("ADA@Example.com".into()),
        phone: Some("+44 20 7946 0958".into()),
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

fn person(first: &str, last: Option<&str>) -> NewContact {
    NewContact {
        first_name: first.into(),
        last_name: last.map(Into::into),
        ..NewContact::default()
    }
}

fn by_name(prefix: &str) -> ContactFilter {
    ContactFilter { name_prefix: Some(prefix.into()), ..ContactFilter::default() }
}

/// Every page of a list, `limit` at a time, checking each page's size.
async fn walk(contacts: &Contacts, filter: &ContactFilter, limit: u32) -> Vec<Contact> {
    let mut seen = Vec::new();
    let mut page = PageRequest::first(limit);
    loop {
        let got = contacts.list(filter.clone(), page).await.expect("list");
        assert!(got.items.len() <= limit as usize);
        seen.extend(got.items);
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(limit, cursor),
            None => return seen,
        }
    }
}

/// The ids of `contacts` sorted by `key`, then id: the order a keyed search promises.
fn sorted_by(contacts: &[Contact], key: impl Fn(&Contact) -> String) -> Vec<flame_core::ContactId> {
    let mut keyed: Vec<_> = contacts.iter().map(|c| (key(c), c.id)).collect();
    keyed.sort();
    keyed.into_iter().map(|(_, id)| id).collect()
}

fn ids(contacts: &[Contact]) -> Vec<flame_core::ContactId> {
    contacts.iter().map(|c| c.id).collect()
}

#[tokio::test]
async fn name_search_is_ordered_by_the_matched_name_and_pages_without_gaps() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s.contacts();
        let mut matching = Vec::new();
        for (first, last) in [
            ("Ann", Some("Smith")),
            ("Bob", Some("Anderson")),
            // Both the full name and the last name match: listed once, by the full name.
            ("Anna", Some("Annand")),
            ("Andy", Some("Zed")),
            // The same name twice: ordered by id.
            ("Ann", Some("Smith")),
            ("Carl", Some("Annex")),
            ("Annä", None),
            ("Anne-Marie", Some("Öberg")),
            ("ANN", Some("smith")),
            ("Zoe", Some("Ann")),
        ] {
            matching.push(c.create(person(first, last)).await.expect("create"));
        }
        for (first, last) in [("Dan", None), ("Zoe", Some("Brown")), ("Bob", Some("Nash"))] {
            c.create(person(first, last)).await.expect("create");
        }
        // The key a contact is listed under: its full name when that matches, else its
        // last name; compared by code point.
        let key = |c: &Contact| {
            let full = c.search_name();
            if full.starts_with("an") {
                full
            } else {
                c.last_name.as_deref().unwrap_or_default().to_lowercase()
            }
        };
        let expected = sorted_by(&matching, key);
        let first = c.list(by_name("An"), PageRequest::first(50)).await.expect("list");
        assert_eq!(ids(&first.items), expected, "{}: by matched name, then id", db.name);
        assert_eq!(first.next_cursor, None);
        let names: Vec<String> = first.items.iter().map(|c| c.full_name()).collect();
        assert_eq!(
            names,
            [
                "Bob Anderson",
                "Andy Zed",
                "Zoe Ann",
                "Ann Smith",
                "Ann Smith",
                "ANN smith",
                "Anna Annand",
                "Anne-Marie Öberg",
                "Carl Annex",
                "Annä",
            ],
            "{}",
            db.name
        );
        for limit in [1, 2, 3, 4] {
            let walked = walk(&c, &by_name("an"), limit).await;
            assert_eq!(ids(&walked), expected, "{}: pages of {limit}, each contact once", db.name);
        }
        let ann = walk(&c, &by_name("ann s"), 2).await;
        assert_eq!(ann.len(), 3, "{}: full-name prefix with a space", db.name);
    }
}

#[tokio::test]
async fn phone_and_email_searches_are_ordered_by_their_key() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s.contacts();
        let mut created = Vec::new();
        for (name, phone, email) in [
            ("P3", "+1 212 555 0003", "b@x.test"),
            ("P1", "+1 212 555 0001", "ab@x.test"),
            ("P2a", "+1 212 555 0002", "a@x.test"),
            ("P9", "+1 415 555 0009", "a.z@x.test"),
            ("P2b", "+1 212 555 0002", "c@x.test"),
            ("P4", "+12125550004", "A@Y.test"),
        ] {
            let input = NewContact {
                first_name: name.into(),
                phone: Some(phone.into()),
                email: Some(email.into()),
                ..NewContact::default()
            };
            created.push(c.create(input).await.expect("create"));
        }
        let phone_of =
            |c: &Contact| c.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default();
        let email_of =
            |c: &Contact| c.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default();
        let in_212: Vec<Contact> =
            created.iter().filter(|c| phone_of(c).starts_with("+1212")).cloned().collect();
        let by_phone =
            ContactFilter { phone_prefix: Some("+1 (212)".into()), ..ContactFilter::default() };
        for limit in [1, 2, 50] {
            let walked = walk(&c, &by_phone, limit).await;
            assert_eq!(
                ids(&walked),
                sorted_by(&in_212, phone_of),
                "{}: by phone, then id",
                db.name
            );
        }
        let names: Vec<String> =
            walk(&c, &by_phone, 50).await.iter().map(|c| c.first_name.clone()).collect();
        assert_eq!(names, ["P1", "P2a", "P2b", "P3", "P4"], "{}", db.name);

        let by_email = ContactFilter { email_prefix: Some("A".into()), ..ContactFilter::default() };
        let with_a: Vec<Contact> =
            created.iter().filter(|c| email_of(c).starts_with('a')).cloned().collect();
        for limit in [1, 2, 50] {
            let walked = walk(&c, &by_email, limit).await;
            assert_eq!(
                ids(&walked),
                sorted_by(&with_a, email_of),
                "{}: by email, then id",
                db.name
            );
            let names: Vec<&str> = walked.iter().map(|c| c.first_name.as_str()).collect();
            assert_eq!(names, ["P9", "P2a", "P4", "P1"], "{}", db.name);
        }

        // With several prefixes, the name orders, then the phone; the others only filter.
        let phone_and_email = ContactFilter {
            phone_prefix: Some("+1212".into()),
            email_prefix: Some("a".into()),
            ..ContactFilter::default()
        };
        let names: Vec<String> =
            walk(&c, &phone_and_email, 1).await.iter().map(|c| c.first_name.clone()).collect();
        assert_eq!(names, ["P1", "P2a", "P4"], "{}: by phone, filtered by email", db.name);
        let name_and_phone = ContactFilter {
            name_prefix: Some("p".into()),
            phone_prefix: Some("+1 212 555 000".into()),
            ..ContactFilter::default()
        };
        let names: Vec<String> =
            walk(&c, &name_and_phone, 2).await.iter().map(|c| c.first_name.clone()).collect();
        assert_eq!(
            names,
            ["P1", "P2a", "P2b", "P3", "P4"],
            "{}: by name, filtered by phone",
            db.name
        );
    }
}

#[tokio::test]
async fn name_search_combines_with_owner_and_other_filters() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        let manager = owner
            .members()
            .add(NewMember {
                email: "manager@acme.test".into(),
                name: "Manager".into(),
                role: Role::Manager,
            })
            .await
            .expect("member");
        let c = owner.contacts();
        let mut mine = Vec::new();
        for (i, (first, last)) in
            [("Ann", "Lee"), ("Lee", "Ann"), ("Anna", "Smith"), ("Bob", "Annex"), ("Ann", "Lee")]
                .into_iter()
                .enumerate()
        {
            let input =
                NewContact { email: Some(format!("ann{i}@x.test")), ..person(first, Some(last)) };
            mine.push(c.create(input.clone()).await.expect("mine"));
            let theirs = NewContact {
                owner_id: Some(manager.user.id),
                email: Some(format!("bob{i}@x.test")),
                ..input
            };
            c.create(theirs).await.expect("theirs");
        }
        let filter = ContactFilter { owner_id: Some(owner.user_id()), ..by_name("ann") };
        let names: Vec<String> = walk(&c, &filter, 1).await.iter().map(|c| c.full_name()).collect();
        assert_eq!(
            names,
            ["Lee Ann", "Ann Lee", "Ann Lee", "Anna Smith", "Bob Annex"],
            "{}: by matched name, the owner's only",
            db.name
        );
        let walked = walk(&c, &filter, 2).await;
        assert!(walked.iter().all(|c| c.owner_id == Some(owner.user_id())));
        let by_email = ContactFilter { email_prefix: Some("bob".into()), ..by_name("ann") };
        let walked = walk(&c, &by_email, 2).await;
        assert_eq!(walked.len(), 5, "{}", db.name);
        assert!(walked.iter().all(|c| c.owner_id == Some(manager.user.id)), "{}", db.name);
        let none = ContactFilter { email_prefix: Some("zed".into()), ..by_name("ann") };
        assert!(walk(&c, &none, 2).await.is_empty());
    }
}

#[tokio::test]
async fn search_cursors_belong_to_their_search() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s.contacts();
        for (first, phone) in [("Ann", "+1 212 555 0001"), ("Anna", "+1 212 555 0002")] {
            let input = NewContact { phone: Some(phone.into()), ..person(first, Some("Smith")) };
            c.create(input).await.expect("create");
        }
        let by_phone =
            ContactFilter { phone_prefix: Some("+1212".into()), ..ContactFilter::default() };
        let cursor = |filter: ContactFilter| {
            let c = c.clone();
            async move {
                c.list(filter, PageRequest::first(1))
                    .await
                    .expect("list")
                    .next_cursor
                    .expect("more")
            }
        };
        let name_cursor = cursor(by_name("ann")).await;
        let phone_cursor = cursor(by_phone.clone()).await;
        let newest_cursor = cursor(ContactFilter::default()).await;
        let before = snapshot(&db.url).await;
        for (filter, bad) in [
            (by_name("ann"), "garbage".to_owned()),
            (by_name("ann"), String::new()),
            (by_name("ann"), name_cursor[..10].to_owned()),
            (by_name("ann"), phone_cursor.clone()),
            (by_name("ann"), newest_cursor.clone()),
            // The right ordering, another prefix.
            (by_name("bob"), name_cursor.clone()),
            (by_phone.clone(), name_cursor.clone()),
            (ContactFilter::default(), name_cursor.clone()),
            (ContactFilter::default(), phone_cursor.clone()),
        ] {
            assert_invalid(c.list(filter, PageRequest::after(1, bad)).await, "cursor");
        }
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        // The cursors still work with their own search.
        let next = c.list(by_name("ann"), PageRequest::after(1, name_cursor)).await.expect("next");
        assert_eq!(next.items.len(), 1);
        assert_eq!(next.items[0].first_name, "Anna", "{}", db.name);
    }
}

#[tokio::test]
async fn blank_prefixes_are_no_filter() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s.contacts();
        let mut created = Vec::new();
        for first in ["Zed", "Ann", "Mia"] {
            created.push(c.create(person(first, None)).await.expect("create"));
        }
        created.reverse();
        let blank = ContactFilter {
            name_prefix: Some("  ".into()),
            email_prefix: Some(String::new()),
            phone_prefix: Some(" \t".into()),
            owner_id: None,
            tags: Vec::new(),
            custom: Vec::new(),
            sort: None,
        };
        let walked = walk(&c, &blank, 2).await;
        assert_eq!(ids(&walked), ids(&created), "{}: every contact, newest first", db.name);
        // Its cursors are those of the unfiltered list.
        let first = c.list(blank, PageRequest::first(1)).await.expect("list");
        let next = c
            .list(ContactFilter::default(), PageRequest::after(1, first.next_cursor.expect("more")))
            .await
            .expect("same list");
        assert_eq!(next.items[0].id, created[1].id);
    }
}
