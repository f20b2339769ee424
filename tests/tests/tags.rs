//! Tags on contacts and deals: the vocabulary, tagging, filters with paging, permissions,
//! rename/merge/delete, tenancy and bad input, on both backends.

use flame_core::company::NewMember;
use flame_core::contact::{Contact, ContactFilter, NewContact};
use flame_core::deal::{DealFilter, NewDeal};
use flame_core::event::EventPayload;
use flame_core::page::PageRequest;
use flame_core::{FlameError, Role, TagId};
use flame_db::Session;
use flame_tests::{
    TestDb, assert_conflict, assert_forbidden, assert_invalid, assert_not_found, assert_read_only,
    company, snapshot,
};

fn person(name: &str) -> NewContact {
    NewContact { first_name: name.into(), ..NewContact::default() }
}

async fn member(owner: &Session, flame: &flame_db::Flame, role: Role) -> Session {
    let m = owner
        .members()
        .add(NewMember { email: format!("{role}@acme.test"), name: format!("The {role}"), role })
        .await
        .expect("add member");
    flame.session(m.user.id, owner.company_id()).await.expect("session")
}

/// Every contact of the list, walked page by page (`limit` each).
async fn walk(s: &Session, filter: ContactFilter, limit: u32) -> Vec<Contact> {
    let mut all = Vec::new();
    let mut page =
        s.contacts().list(filter.clone(), PageRequest::first(limit)).await.expect("page");
    loop {
        assert!(page.items.len() <= limit as usize);
        all.extend(page.items);
        let Some(cursor) = page.next_cursor else { break };
        page = s
            .contacts()
            .list(filter.clone(), PageRequest::after(limit, cursor))
            .await
            .expect("next");
    }
    all
}

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[tokio::test]
async fn the_vocabulary_is_unique_in_any_case_and_keeps_the_first_spelling() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let ada = s.contacts().create(person("Ada")).await.expect("ada");
        let bob = s.contacts().create(person("Bob")).await.expect("bob");
        let tagged = s.contacts().add_tag(ada.id, "  VIP ").await.expect("tag");
        assert_eq!(tagged.tags, ["VIP"], "{}", db.name);
        assert_eq!(tagged.version, ada.version, "{}: tagging keeps the version", db.name);
        let bob = s.contacts().add_tag(bob.id, "vip").await.expect("same tag");
        assert_eq!(bob.tags, ["VIP"], "{}: the first spelling is kept", db.name);
        let again = s.contacts().add_tag(ada.id, "Vip").await.expect("idempotent");
        assert_eq!(again.tags, ["VIP"]);
        s.contacts().add_tag(ada.id, "lead").await.expect("second tag");
        s.contacts().add_tag(ada.id, "Alpha").await.expect("third tag");
        assert_eq!(
            s.contacts().get(ada.id).await.expect("get").tags,
            ["Alpha", "lead", "VIP"],
            "{}: sorted by name in any case",
            db.name
        );
        let vocabulary = s.tags().list().await.expect("list");
        let names: Vec<&str> = vocabulary.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Alpha", "lead", "VIP"], "{}", db.name);

        // Deals share the vocabulary.
        let deal = s.deals().create(NewDeal::new("Big", 100, "EUR")).await.expect("deal");
        let deal = s.deals().add_tag(deal.id, "VIP").await.expect("tag deal");
        assert_eq!(deal.tags, ["VIP"]);
        assert_eq!(s.deals().get(deal.id).await.expect("get").tags, ["VIP"]);
        assert_eq!(s.tags().list().await.expect("list").len(), 3, "{}", db.name);

        // Removing is by name in any case, idempotent, and keeps the tag in the vocabulary.
        let ada = s.contacts().remove_tag(ada.id, "vip").await.expect("remove");
        assert_eq!(ada.tags, ["Alpha", "lead"]);
        let ada = s.contacts().remove_tag(ada.id, "vip").await.expect("again");
        assert_eq!(ada.tags, ["Alpha", "lead"]);
        s.contacts().remove_tag(ada.id, "never-created").await.expect("unknown tag");
        let deal = s.deals().remove_tag(deal.id, "VIP").await.expect("untag deal");
        assert!(deal.tags.is_empty());
        assert_eq!(s.tags().list().await.expect("list").len(), 3);

        // Events: one per change, none for a repeat.
        let events = s.events().list(PageRequest::first(100)).await.expect("events");
        let count =
            |f: fn(&EventPayload) -> bool| events.items.iter().filter(|e| f(&e.payload)).count();
        assert_eq!(count(|p| matches!(p, EventPayload::ContactTagged { .. })), 4, "{}", db.name);
        assert_eq!(count(|p| matches!(p, EventPayload::ContactUntagged { .. })), 1);
        assert_eq!(count(|p| matches!(p, EventPayload::DealTagged { .. })), 1);
        assert_eq!(count(|p| matches!(p, EventPayload::DealUntagged { .. })), 1);

        // Deleting a tagged contact takes its taggings with it.
        let bob_id = bob.id;
        s.contacts().delete(bob_id, bob.version).await.expect("delete");
        let vip = s.tags().list().await.expect("list").into_iter().find(|t| t.name == "VIP");
        let vip = vip.expect("the tag stays");
        s.tags().delete(vip.id, vip.version).await.expect("delete the tag");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_uses_of_a_tag_make_one_tag() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let s = company(&db.flame, "Acme").await.session;
        for round in 0..5 {
            let name = format!("new-{round}");
            let mut ids = Vec::new();
            for i in 0..4 {
                ids.push(s.contacts().create(person(&format!("P{round}{i}"))).await.expect("c").id);
            }
            let tasks: Vec<_> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let (s, id) = (s.clone(), *id);
                    // Each spells it differently: still one tag.
                    let name = if i % 2 == 0 { name.to_uppercase() } else { name.clone() };
                    tokio::spawn(async move { s.contacts().add_tag(id, &name).await })
                })
                .collect();
            for t in tasks {
                t.await.expect("task").expect("tagged");
            }
            let matching = s
                .tags()
                .list()
                .await
                .expect("list")
                .into_iter()
                .filter(|t| t.name.eq_ignore_ascii_case(&name))
                .count();
            assert_eq!(matching, 1, "{}: round {round}", db.name);
            let filter = ContactFilter { tags: vec![name.clone()], ..ContactFilter::default() };
            let mut found: Vec<_> = walk(&s, filter, 10).await.into_iter().map(|c| c.id).collect();
            found.sort();
            assert_eq!(found, ids, "{}: every record is tagged", db.name);
        }
    }
}

#[tokio::test]
async fn filters_by_one_and_by_several_tags_page_through_every_match_once() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let s = company(&db.flame, "Acme").await.session;
        let mut all = Vec::new();
        for i in 0..30 {
            let c = s.contacts().create(person(&format!("Person {i:02}"))).await.expect("c");
            if i % 2 == 0 {
                s.contacts().add_tag(c.id, "even").await.expect("even");
            }
            if i % 3 == 0 {
                s.contacts().add_tag(c.id, "Three").await.expect("three");
            }
            all.push(c.id);
        }
        // Newest first: by creation, backwards.
        let expect = |f: fn(usize) -> bool| -> Vec<_> {
            (0..all.len()).rev().filter(|i| f(*i)).map(|i| all[i]).collect()
        };
        let even = expect(|i| i % 2 == 0);
        let both = expect(|i| i % 6 == 0);
        let by = |names: &[&str]| ContactFilter { tags: tags(names), ..ContactFilter::default() };

        let got: Vec<_> = walk(&s, by(&["EVEN"]), 4).await.into_iter().map(|c| c.id).collect();
        assert_eq!(got, even, "{}: one tag, newest first, across pages", db.name);
        let got = walk(&s, by(&["even", "three"]), 2).await;
        assert!(got.iter().all(|c| c.tags == ["even", "Three"]), "{}", db.name);
        let got: Vec<_> = got.into_iter().map(|c| c.id).collect();
        assert_eq!(got, both, "{}: all of several tags", db.name);
        assert!(walk(&s, by(&["even", "nope"]), 5).await.is_empty(), "{}: unknown tag", db.name);
        assert!(walk(&s, by(&["nope"]), 5).await.is_empty());

        // With a prefix, the prefix's order holds and the tags narrow it.
        let filter = ContactFilter {
            name_prefix: Some("person 1".into()),
            tags: tags(&["even"]),
            ..ContactFilter::default()
        };
        let names: Vec<_> = walk(&s, filter, 2).await.into_iter().map(|c| c.first_name).collect();
        assert_eq!(names, ["Person 10", "Person 12", "Person 14", "Person 16", "Person 18"]);
        // And with an owner.
        let filter = ContactFilter {
            owner_id: Some(s.user_id()),
            tags: tags(&["three"]),
            ..ContactFilter::default()
        };
        assert_eq!(walk(&s, filter, 3).await.len(), 10, "{}", db.name);

        // Deals likewise.
        let mut deals = Vec::new();
        for i in 0..7 {
            let d = s.deals().create(NewDeal::new(format!("D{i}"), 100, "EUR")).await.expect("d");
            if i % 2 == 1 {
                s.deals().add_tag(d.id, "hot").await.expect("hot");
                deals.push(d.id);
            }
        }
        deals.reverse();
        let filter = DealFilter { tags: tags(&["HOT"]), ..DealFilter::default() };
        let first = s.deals().list(filter.clone(), PageRequest::first(2)).await.expect("page");
        let cursor = first.next_cursor.clone().expect("more");
        let second =
            s.deals().list(filter.clone(), PageRequest::after(2, cursor)).await.expect("2");
        let got: Vec<_> = first.items.iter().chain(&second.items).map(|d| d.id).collect();
        assert_eq!(got, deals, "{}", db.name);
        assert!(second.next_cursor.is_none());
        assert!(first.items.iter().all(|d| d.tags == ["hot"]));
        let none = DealFilter { tags: tags(&["hot", "cold"]), ..DealFilter::default() };
        assert!(s.deals().list(none, PageRequest::default()).await.expect("none").items.is_empty());
        let all_deals = s.deals().list(DealFilter::default(), PageRequest::default()).await;
        assert_eq!(all_deals.expect("all").items.len(), 7);
    }
}

#[tokio::test]
async fn members_tag_what_they_may_edit_and_only_admins_manage_the_vocabulary() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let owner = company(&db.flame, "Acme").await.session;
        let theirs = owner.contacts().create(person("Owner's")).await.expect("c");
        let m = member(&owner, &db.flame, Role::Member).await;
        let mine = m.contacts().create(person("Mine")).await.expect("own contact");
        m.contacts().add_tag(mine.id, "mine").await.expect("a member tags their own");
        assert_forbidden(m.contacts().add_tag(theirs.id, "mine").await);
        assert_forbidden(m.contacts().remove_tag(theirs.id, "mine").await);
        let deal = owner.deals().create(NewDeal::new("D", 1, "EUR")).await.expect("deal");
        assert_forbidden(m.deals().add_tag(deal.id, "x").await);

        let viewer = member(&owner, &db.flame, Role::Viewer).await;
        assert_forbidden(viewer.contacts().add_tag(mine.id, "x").await);
        assert_eq!(viewer.tags().list().await.expect("viewers read").len(), 1);
        let manager = member(&owner, &db.flame, Role::Manager).await;
        manager.contacts().add_tag(theirs.id, "managed").await.expect("managers tag all");
        manager.deals().add_tag(deal.id, "managed").await.expect("and deals");

        let tag = owner.tags().list().await.expect("list").remove(0);
        assert_eq!(tag.name, "managed");
        let other = owner.tags().list().await.expect("list").remove(1);
        for s in [&m, &viewer, &manager] {
            assert_forbidden(s.tags().rename(tag.id, tag.version, "renamed").await);
            assert_forbidden(s.tags().set_color(tag.id, tag.version, Some("#ffffff")).await);
            assert_forbidden(s.tags().merge(tag.id, other.id).await);
            assert_forbidden(s.tags().delete(tag.id, tag.version).await);
        }
        let admin = member(&owner, &db.flame, Role::Admin).await;
        let renamed = admin.tags().rename(tag.id, tag.version, "Managed").await.expect("admin");
        assert_eq!(renamed.version, tag.version + 1);
        owner.tags().set_color(renamed.id, renamed.version, Some("#ABCDEF")).await.expect("owner");
    }
}

#[tokio::test]
async fn rename_merge_and_delete() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let a = s.contacts().create(person("A")).await.expect("a");
        let b = s.contacts().create(person("B")).await.expect("b");
        let d = s.deals().create(NewDeal::new("D", 1, "EUR")).await.expect("d");
        s.contacts().add_tag(a.id, "customer").await.expect("tag");
        s.contacts().add_tag(a.id, "client").await.expect("tag");
        s.contacts().add_tag(b.id, "client").await.expect("tag");
        s.deals().add_tag(d.id, "client").await.expect("tag");
        let find = |name: &'static str| {
            let s = s.clone();
            async move {
                s.tags()
                    .list()
                    .await
                    .expect("list")
                    .into_iter()
                    .find(|t| t.name == name)
                    .expect(name)
            }
        };

        // Rename: another tag's name is a conflict; another case of its own is fine.
        let client = find("client").await;
        assert_conflict(s.tags().rename(client.id, client.version, "CUSTOMER").await);
        let client = s.tags().rename(client.id, client.version, "Client").await.expect("case");
        assert_eq!(s.contacts().get(b.id).await.expect("b").tags, ["Client"], "{}", db.name);
        assert_conflict(s.tags().rename(client.id, client.version - 1, "Clients").await);
        let colored = s.tags().set_color(client.id, client.version, Some("#A0A0A0")).await;
        let colored = colored.expect("color");
        assert_eq!(colored.color.as_deref(), Some("#a0a0a0"));
        let cleared = s.tags().set_color(colored.id, colored.version, None).await.expect("clear");
        assert_eq!(cleared.color, None);
        assert_eq!(s.tags().get(cleared.id).await.expect("get"), cleared);

        // Merge: every tagging moves, once, and the source is gone.
        let customer = find("customer").await;
        assert_invalid(s.tags().merge(customer.id, customer.id).await, "into_id");
        let into = s.tags().merge(cleared.id, customer.id).await.expect("merge");
        assert_eq!(into.id, customer.id);
        assert_not_found(s.tags().get(cleared.id).await);
        assert_eq!(s.contacts().get(a.id).await.expect("a").tags, ["customer"], "{}", db.name);
        assert_eq!(s.contacts().get(b.id).await.expect("b").tags, ["customer"]);
        assert_eq!(s.deals().get(d.id).await.expect("d").tags, ["customer"]);
        assert_eq!(s.tags().list().await.expect("list").len(), 1);
        assert_not_found(s.tags().merge(cleared.id, customer.id).await);
        assert_not_found(s.tags().merge(customer.id, TagId::new()).await);

        // Delete: stale versions conflict; the tag leaves every record.
        assert_conflict(s.tags().delete(customer.id, customer.version + 1).await);
        s.tags().delete(customer.id, customer.version).await.expect("delete");
        assert!(s.contacts().get(a.id).await.expect("a").tags.is_empty(), "{}", db.name);
        assert!(s.deals().get(d.id).await.expect("d").tags.is_empty());
        assert!(s.tags().list().await.expect("list").is_empty());
        assert_not_found(s.tags().delete(customer.id, customer.version).await);
        // The name is free again, in any case.
        assert_eq!(s.contacts().add_tag(a.id, "CUSTOMER").await.expect("again").tags, ["CUSTOMER"]);
        let events = s.events().list(PageRequest::first(100)).await.expect("events").items;
        assert!(events.iter().any(|e| matches!(e.payload, EventPayload::TagMerged { .. })));
        assert!(events.iter().any(|e| matches!(e.payload, EventPayload::TagDeleted { .. })));
    }
}

#[tokio::test]
async fn another_companys_records_and_tags_are_not_found() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await.session;
        let globex = company(&db.flame, "Globex").await.session;
        let theirs = globex.contacts().create(person("G")).await.expect("c");
        let deal = globex.deals().create(NewDeal::new("G", 1, "EUR")).await.expect("d");
        let tagged = globex.contacts().add_tag(theirs.id, "secret").await.expect("tag");
        let tag = globex.tags().list().await.expect("list").remove(0);
        assert_not_found(acme.contacts().add_tag(theirs.id, "x").await);
        assert_not_found(acme.contacts().remove_tag(theirs.id, "secret").await);
        assert_not_found(acme.deals().add_tag(deal.id, "x").await);
        assert_not_found(acme.tags().get(tag.id).await);
        assert_not_found(acme.tags().rename(tag.id, tag.version, "mine").await);
        assert_not_found(acme.tags().set_color(tag.id, tag.version, None).await);
        assert_not_found(acme.tags().delete(tag.id, tag.version).await);
        acme.contacts()
            .add_tag(acme.contacts().create(person("A")).await.expect("a").id, "secret")
            .await
            .expect("own");
        let own = acme.tags().list().await.expect("list").remove(0);
        assert_ne!(own.id, tag.id, "{}: vocabularies are per company", db.name);
        assert_not_found(acme.tags().merge(tag.id, own.id).await);
        assert_not_found(acme.tags().merge(own.id, tag.id).await);
        let filter = ContactFilter { tags: tags(&["secret"]), ..ContactFilter::default() };
        let seen = walk(&acme, filter, 10).await;
        assert_eq!(seen.len(), 1, "{}: only its own contacts", db.name);
        assert_eq!(globex.contacts().get(theirs.id).await.expect("intact"), tagged);
        assert_eq!(globex.tags().get(tag.id).await.expect("intact"), tag);
    }
}

#[tokio::test]
async fn bad_input_is_a_validation_error_that_changes_nothing() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s.contacts().create(person("A")).await.expect("c");
        let d = s.deals().create(NewDeal::new("D", 1, "EUR")).await.expect("d");
        let c = s.contacts().add_tag(c.id, "ok").await.expect("tag");
        let tag = s.tags().list().await.expect("list").remove(0);
        let before = snapshot(&db.url).await;
        for bad in ["", "   ", &"x".repeat(65), "two\nlines", "bell\u{7}"] {
            assert_invalid(s.contacts().add_tag(c.id, bad).await, "tag");
            assert_invalid(s.contacts().remove_tag(c.id, bad).await, "tag");
            assert_invalid(s.deals().add_tag(d.id, bad).await, "tag");
            assert_invalid(s.tags().rename(tag.id, tag.version, bad).await, "tag");
            let filter = ContactFilter { tags: vec![bad.to_owned()], ..ContactFilter::default() };
            assert_invalid(s.contacts().list(filter, PageRequest::default()).await, "tags");
            let filter = DealFilter { tags: vec![bad.to_owned()], ..DealFilter::default() };
            assert_invalid(s.deals().list(filter, PageRequest::default()).await, "tags");
        }
        for bad in ["red", "#abc", "#12345g", "123456", "#1234567"] {
            assert_invalid(s.tags().set_color(tag.id, tag.version, Some(bad)).await, "color");
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert_eq!(s.tags().get(tag.id).await.expect("intact"), tag);
        assert_eq!(s.contacts().get(c.id).await.expect("intact"), c);
        assert_eq!(
            s.contacts().add_tag(c.id, &"é".repeat(64)).await.expect("64 characters").tags.len(),
            2
        );
        match s.contacts().add_tag(c.id, "").await {
            Err(FlameError::Validation { field, .. }) => assert_eq!(field, "tag"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_read_only_company_refuses_tag_writes() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let c = s.contacts().create(person("A")).await.expect("c");
        let d = s.deals().create(NewDeal::new("D", 1, "EUR")).await.expect("d");
        let c = s.contacts().add_tag(c.id, "kept").await.expect("tag");
        let tag = s.tags().list().await.expect("list").remove(0);
        let sub = s.billing().subscription().await.expect("sub");
        s.billing().cancel(sub.version).await.expect("cancel");
        let before = snapshot(&db.url).await;
        assert_read_only(s.contacts().add_tag(c.id, "new").await);
        assert_read_only(s.contacts().remove_tag(c.id, "kept").await);
        assert_read_only(s.deals().add_tag(d.id, "new").await);
        assert_read_only(s.tags().rename(tag.id, tag.version, "renamed").await);
        assert_read_only(s.tags().set_color(tag.id, tag.version, Some("#000000")).await);
        assert_read_only(s.tags().delete(tag.id, tag.version).await);
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert_eq!(s.contacts().get(c.id).await.expect("reads work").tags, ["kept"]);
        assert_eq!(s.tags().list().await.expect("reads work"), [tag]);
    }
}
