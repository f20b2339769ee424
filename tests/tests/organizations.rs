//! Organizations: every operation, validation, uniqueness of domains, tenancy, permissions,
//! the plan limit, linking contacts and deals, tags and custom values, and migration 0010
//! from data at 0006, on both backends.

use flame_core::billing::PlanLimits;
use flame_core::company::NewMember;
use flame_core::contact::{ContactPatch, NewContact};
use flame_core::custom_field::{
    CustomCondition, CustomEntity, CustomFieldKind, CustomMatch, CustomValue, NewCustomField,
};
use flame_core::deal::{DealPatch, NewDeal};
use flame_core::event::EventPayload;
use flame_core::organization::{
    NewOrganization, OrganizationFilter, OrganizationPatch, OrganizationSize,
};
use flame_core::page::PageRequest;
use flame_core::{FlameError, OrganizationId, Role};
use flame_db::{Flame, OpenOptions, Session};
use flame_tests::{
    TestDb, assert_conflict, assert_forbidden, assert_invalid, assert_limit, assert_not_found,
    assert_read_only, company, default_plan, exec_raw, snapshot,
};

fn babbage() -> NewOrganization {
    NewOrganization {
        name: "Babbage & Co".into(),
        domain: Some("https://WWW.Babbage.example/about?x=1".into()),
        phone: Some("+44 20 7946 0958".into()),
        street: Some("1 Dorset Street".into()),
        city: Some("London".into()),
        postal_code: Some("W1U".into()),
        country: Some("gb".into()),
        website: Some("https://babbage.example".into()),
        industry: Some("Engines".into()),
        size: Some("11-50".into()),
        ..NewOrganization::default()
    }
}

fn named(name: &str) -> NewOrganization {
    NewOrganization { name: name.into(), ..NewOrganization::default() }
}

async fn member(owner: &Session, flame: &Flame, role: Role) -> Session {
    let m = owner
        .members()
        .add(NewMember { email: format!("{role}@acme.test"), name: format!("The {role}"), role })
        .await
        .expect("add member");
    flame.session(m.user.id, owner.company_id()).await.expect("session")
}

fn assert_conflict_on<T: std::fmt::Debug>(result: flame_core::Result<T>, on: &str) {
    match result {
        Err(FlameError::Conflict { entity, .. }) if entity == on => {}
        other => panic!("expected a Conflict on {on}, got {other:?}"),
    }
}

#[tokio::test]
async fn create_get_update_delete() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let orgs = s.organizations();
        let created = orgs.create(babbage()).await.expect("create");
        assert_eq!(created.name, "Babbage & Co", "{}", db.name);
        assert_eq!(created.domain.as_deref(), Some("babbage.example"), "{}", db.name);
        assert_eq!(created.phone.as_ref().map(|p| p.as_str()), Some("+442079460958"));
        assert_eq!(created.country.as_deref(), Some("GB"));
        assert_eq!(created.size, Some(OrganizationSize::ALL[1]));
        assert_eq!(created.size.map(|s| s.as_str()), Some("11-50"));
        assert_eq!(created.owner_id, Some(s.user_id()));
        assert_eq!(created.version, 1);
        assert_eq!(orgs.get(created.id).await.expect("get"), created, "{}", db.name);

        let patch = OrganizationPatch {
            name: Some("Babbage Ltd".into()),
            city: Some("".into()),
            size: Some("1000+".into()),
            ..OrganizationPatch::default()
        };
        let updated = orgs.update(created.id, created.version, patch).await.expect("update");
        assert_eq!(updated.name, "Babbage Ltd");
        assert_eq!(updated.city, None, "\"\" clears");
        assert_eq!(updated.street, created.street, "None keeps");
        assert_eq!(updated.domain, created.domain);
        assert_eq!(updated.size.map(|s| s.as_str()), Some("1000+"));
        assert_eq!(updated.version, 2);
        assert_eq!(orgs.get(created.id).await.expect("get"), updated, "{}", db.name);

        // A stale version is a Conflict and changes nothing.
        assert_conflict(
            orgs.update(created.id, created.version, OrganizationPatch::default()).await,
        );
        assert_conflict(orgs.delete(created.id, created.version).await);
        assert_eq!(orgs.get(created.id).await.expect("get"), updated);

        orgs.delete(updated.id, updated.version).await.expect("delete");
        assert_not_found(orgs.get(updated.id).await);
        assert_not_found(orgs.delete(updated.id, updated.version).await);

        let events = s.events().list(PageRequest::first(100)).await.expect("events");
        let types: Vec<_> = events
            .items
            .iter()
            .map(|e| e.payload.event_type())
            .filter(|t| t.starts_with("organization"))
            .collect();
        assert_eq!(
            types,
            ["organization.created", "organization.updated", "organization.deleted"],
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn every_validation_error_names_its_field_and_changes_nothing() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let existing = s.organizations().create(named("Existing")).await.expect("create");
        let before = snapshot(&db.url).await;
        let cases = [
            (NewOrganization { name: "  ".into(), ..babbage() }, "name"),
            (NewOrganization { name: "x".repeat(201), ..babbage() }, "name"),
            (NewOrganization { domain: Some("not a domain".into()), ..babbage() }, "domain"),
            (NewOrganization { domain: Some("localhost".into()), ..babbage() }, "domain"),
            (NewOrganization { phone: Some("12345".into()), ..babbage() }, "phone"),
            (
                NewOrganization {
                    phone: Some("8 912 345 67 89".into()),
                    phone_region: Some("XX".into()),
                    ..babbage()
                },
                "phone_region",
            ),
            (NewOrganization { street: Some("s".repeat(201)), ..babbage() }, "street"),
            (NewOrganization { city: Some("c".repeat(201)), ..babbage() }, "city"),
            (NewOrganization { region: Some("r".repeat(201)), ..babbage() }, "region"),
            (NewOrganization { postal_code: Some("p".repeat(201)), ..babbage() }, "postal_code"),
            (NewOrganization { country: Some("XX".into()), ..babbage() }, "country"),
            (NewOrganization { country: Some("GBR".into()), ..babbage() }, "country"),
            (
                NewOrganization { website: Some("ftp://babbage.example".into()), ..babbage() },
                "website",
            ),
            (NewOrganization { website: Some("not a url".into()), ..babbage() }, "website"),
            (NewOrganization { industry: Some("i".repeat(201)), ..babbage() }, "industry"),
            (NewOrganization { size: Some("huge".into()), ..babbage() }, "size"),
            (
                NewOrganization { owner_id: Some(flame_core::UserId::new()), ..babbage() },
                "owner_id",
            ),
        ];
        for (input, field) in cases {
            assert_invalid(s.organizations().create(input).await, field);
        }
        let patches = [
            (OrganizationPatch { name: Some("".into()), ..Default::default() }, "name"),
            (OrganizationPatch { domain: Some("a b".into()), ..Default::default() }, "domain"),
            (OrganizationPatch { country: Some("zz".into()), ..Default::default() }, "country"),
            (
                OrganizationPatch { website: Some("mailto:x".into()), ..Default::default() },
                "website",
            ),
            (OrganizationPatch { size: Some("2".into()), ..Default::default() }, "size"),
            (
                OrganizationPatch {
                    owner_id: Some(flame_core::UserId::new()),
                    ..Default::default()
                },
                "owner_id",
            ),
        ];
        for (patch, field) in patches {
            assert_invalid(
                s.organizations().update(existing.id, existing.version, patch).await,
                field,
            );
        }
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert_eq!(s.organizations().get(existing.id).await.expect("get"), existing);
    }
}

#[tokio::test]
async fn a_domain_is_unique_per_company() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let other = company(&db.flame, "Globex").await.session;
        let first = s.organizations().create(babbage()).await.expect("first");
        let before = snapshot(&db.url).await;
        // The same domain written differently is the same domain.
        let again = NewOrganization { domain: Some("babbage.EXAMPLE.".into()), ..named("Again") };
        assert_conflict_on(s.organizations().create(again.clone()).await, "domain");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        let second = s.organizations().create(named("Second")).await.expect("second");
        let to_taken =
            OrganizationPatch { domain: Some("babbage.example".into()), ..Default::default() };
        assert_conflict_on(
            s.organizations().update(second.id, second.version, to_taken).await,
            "domain",
        );
        // Another company may have it.
        other.organizations().create(again).await.expect("another company's");
        // Two organizations without a domain are fine, and clearing frees a domain.
        s.organizations().create(named("Third")).await.expect("third, no domain");
        let cleared = s
            .organizations()
            .update(
                first.id,
                first.version,
                OrganizationPatch { domain: Some("".into()), ..Default::default() },
            )
            .await
            .expect("clear");
        assert_eq!(cleared.domain, None);
        let listed = s
            .organizations()
            .list(
                OrganizationFilter { domain: Some("babbage.example".into()), ..Default::default() },
                PageRequest::default(),
            )
            .await
            .expect("list");
        assert!(listed.items.is_empty(), "{}", db.name);
    }
}

#[tokio::test]
async fn two_concurrent_creates_with_one_domain_one_wins() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        for round in 0..5 {
            let domain = format!("race{round}.example");
            let a = NewOrganization { domain: Some(domain.clone()), ..named("A") };
            let b = NewOrganization { domain: Some(domain.clone()), ..named("B") };
            let (x, y) = (s.organizations(), s.organizations());
            let (ra, rb) = tokio::join!(x.create(a), y.create(b));
            let wins = [ra.is_ok(), rb.is_ok()].iter().filter(|w| **w).count();
            assert_eq!(wins, 1, "{} round {round}: {ra:?} {rb:?}", db.name);
            for r in [ra, rb] {
                if let Err(e) = r {
                    assert!(
                        matches!(&e, FlameError::Conflict { entity, .. } if entity == "domain"),
                        "{}: {e:?}",
                        db.name
                    );
                }
            }
            let page = s
                .organizations()
                .list(
                    OrganizationFilter { domain: Some(domain), ..Default::default() },
                    PageRequest::default(),
                )
                .await
                .expect("list");
            assert_eq!(page.items.len(), 1, "{}", db.name);
        }
    }
}

#[tokio::test]
async fn another_companys_organization_is_not_found() {
    for db in TestDb::each().await {
        let a = company(&db.flame, "Acme").await.session;
        let b = company(&db.flame, "Globex").await.session;
        let org = a.organizations().create(babbage()).await.expect("org");
        let before = snapshot(&db.url).await;
        let bo = b.organizations();
        assert_not_found(bo.get(org.id).await);
        assert_not_found(bo.update(org.id, org.version, OrganizationPatch::default()).await);
        assert_not_found(bo.delete(org.id, org.version).await);
        assert_not_found(bo.contacts(org.id, PageRequest::default()).await);
        assert_not_found(bo.deals(org.id, PageRequest::default()).await);
        assert_not_found(bo.open_value(org.id).await);
        let list = bo.list(OrganizationFilter::default(), PageRequest::default()).await;
        assert!(list.expect("list").items.is_empty());
        // Nor can B link its contacts or deals to it.
        let linked = NewContact { organization_id: Some(org.id), ..contact("Eve") };
        assert_not_found(b.contacts().create(linked).await);
        let mut deal = NewDeal::new("D", 1, "USD");
        deal.organization_id = Some(org.id);
        assert_not_found(b.deals().create(deal).await);
        assert_not_found(
            b.contacts()
                .create(NewContact {
                    organization_id: Some(OrganizationId::new()),
                    ..contact("Eve")
                })
                .await,
        );
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        assert_eq!(a.organizations().get(org.id).await.expect("unchanged"), org);
    }
}

#[tokio::test]
async fn permissions_follow_the_table() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let owner = company(&db.flame, "Acme").await.session;
        let viewer = member(&owner, &db.flame, Role::Viewer).await;
        let m = member(&owner, &db.flame, Role::Member).await;
        let manager = member(&owner, &db.flame, Role::Manager).await;
        let theirs = owner.organizations().create(named("Owner's")).await.expect("org");

        // Viewer reads only.
        assert_eq!(viewer.organizations().get(theirs.id).await.expect("read"), theirs);
        viewer
            .organizations()
            .list(Default::default(), PageRequest::default())
            .await
            .expect("list");
        viewer.organizations().open_value(theirs.id).await.expect("open value");
        assert_forbidden(viewer.organizations().create(named("V")).await);
        assert_forbidden(
            viewer.organizations().update(theirs.id, theirs.version, Default::default()).await,
        );
        assert_forbidden(viewer.organizations().delete(theirs.id, theirs.version).await);

        // Member creates and edits its own, not others'.
        let mine = m.organizations().create(named("Mine")).await.expect("member creates");
        assert_eq!(mine.owner_id, Some(m.user_id()));
        let mine = m
            .organizations()
            .update(
                mine.id,
                mine.version,
                OrganizationPatch { industry: Some("x".into()), ..Default::default() },
            )
            .await
            .expect("member edits own");
        assert_forbidden(
            m.organizations().update(theirs.id, theirs.version, Default::default()).await,
        );
        assert_forbidden(m.organizations().delete(theirs.id, theirs.version).await);
        assert_forbidden(
            m.organizations()
                .create(NewOrganization { owner_id: Some(owner.user_id()), ..named("For owner") })
                .await,
        );
        m.organizations().delete(mine.id, mine.version).await.expect("member deletes own");

        // Manager edits everything.
        let edited = manager
            .organizations()
            .update(
                theirs.id,
                theirs.version,
                OrganizationPatch { city: Some("Paris".into()), ..Default::default() },
            )
            .await
            .expect("manager edits any");
        manager
            .organizations()
            .delete(edited.id, edited.version)
            .await
            .expect("manager deletes any");
    }
}

#[tokio::test]
async fn the_plan_limits_organizations() {
    for db in TestDb::each().await {
        default_plan(
            &db.flame,
            "two",
            PlanLimits { organizations: Some(2), ..PlanLimits::default() },
        )
        .await;
        let s = company(&db.flame, "Acme").await.session;
        let a = s.organizations().create(named("A")).await.expect("1st");
        s.organizations().create(named("B")).await.expect("2nd");
        let before = snapshot(&db.url).await;
        assert_limit(s.organizations().create(named("C")).await, "organizations");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        // Deleting one frees its place.
        s.organizations().delete(a.id, a.version).await.expect("delete");
        s.organizations().create(named("C")).await.expect("after a delete");
    }
}

#[tokio::test]
async fn a_read_only_company_refuses_writes() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let org = s.organizations().create(named("A")).await.expect("org");
        let sub = s.billing().subscription().await.expect("sub");
        s.billing().cancel(sub.version).await.expect("cancel");
        let before = snapshot(&db.url).await;
        assert_eq!(s.organizations().get(org.id).await.expect("reads work"), org);
        assert_read_only(s.organizations().create(named("B")).await);
        assert_read_only(s.organizations().update(org.id, org.version, Default::default()).await);
        assert_read_only(s.organizations().delete(org.id, org.version).await);
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
    }
}

fn contact(name: &str) -> NewContact {
    NewContact { first_name: name.into(), ..NewContact::default() }
}

#[tokio::test]
async fn contacts_and_deals_link_list_and_sum_then_delete_unlinks() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let org = s.organizations().create(babbage()).await.expect("org");
        let other = s.organizations().create(named("Other")).await.expect("other");
        let ada = s
            .contacts()
            .create(NewContact { organization_id: Some(org.id), ..contact("Ada") })
            .await
            .expect("ada");
        assert_eq!(ada.organization_id, Some(org.id));
        let bob = s.contacts().create(contact("Bob")).await.expect("bob");
        let bob = s
            .contacts()
            .update(
                bob.id,
                bob.version,
                ContactPatch { organization_id: Some(Some(org.id)), ..Default::default() },
            )
            .await
            .expect("link bob");
        s.contacts()
            .create(NewContact { organization_id: Some(other.id), ..contact("Cy") })
            .await
            .expect("cy");
        assert_eq!(s.contacts().get(bob.id).await.expect("bob").organization_id, Some(org.id));

        let deal = |title: &str, amount: i64, currency: &str, org: Option<OrganizationId>| {
            let mut d = NewDeal::new(title, amount, currency);
            d.organization_id = org;
            d
        };
        let d1 = s.deals().create(deal("D1", 100_00, "EUR", Some(org.id))).await.expect("d1");
        s.deals().create(deal("D2", 50_05, "EUR", Some(org.id))).await.expect("d2");
        s.deals().create(deal("D3", 7_00, "USD", Some(org.id))).await.expect("d3");
        let won = s.deals().create(deal("Won", 1_000_00, "EUR", Some(org.id))).await.expect("won");
        s.deals().win(won.id, won.version).await.expect("win");
        s.deals().create(deal("Elsewhere", 9_00, "EUR", Some(other.id))).await.expect("other");
        let unlinked = s.deals().create(deal("Later", 1_00, "GBP", None)).await.expect("later");
        let linked = s
            .deals()
            .update(
                unlinked.id,
                unlinked.version,
                DealPatch { organization_id: Some(Some(org.id)), ..Default::default() },
            )
            .await
            .expect("link a deal");
        assert_eq!(linked.organization_id, Some(org.id));
        assert_eq!(s.deals().get(d1.id).await.expect("d1").organization_id, Some(org.id));

        // Listing, paged.
        let first =
            s.organizations().contacts(org.id, PageRequest::first(1)).await.expect("page 1");
        assert_eq!(first.items.len(), 1);
        let cursor = first.next_cursor.clone().expect("a second page");
        let second = s
            .organizations()
            .contacts(org.id, PageRequest::after(1, cursor))
            .await
            .expect("page 2");
        let mut names: Vec<_> =
            first.items.iter().chain(&second.items).map(|c| c.first_name.clone()).collect();
        names.sort();
        assert_eq!(names, ["Ada", "Bob"], "{}", db.name);
        assert!(second.next_cursor.is_none());
        let deals = s.organizations().deals(org.id, PageRequest::default()).await.expect("deals");
        assert_eq!(deals.items.len(), 5, "{}", db.name);

        // The open value per currency: won deals and other organizations' do not count.
        let open = s.organizations().open_value(org.id).await.expect("open value");
        let open: Vec<_> =
            open.iter().map(|m| (m.currency().code().to_owned(), m.amount_minor())).collect();
        assert_eq!(
            open,
            [("EUR".to_owned(), 150_05), ("GBP".to_owned(), 1_00), ("USD".to_owned(), 7_00)],
            "{}",
            db.name
        );
        let empty = s.organizations().create(named("Empty")).await.expect("empty");
        assert!(s.organizations().open_value(empty.id).await.expect("none").is_empty());

        // Unlinking a contact.
        let bob = s
            .contacts()
            .update(
                bob.id,
                bob.version,
                ContactPatch { organization_id: Some(None), ..Default::default() },
            )
            .await
            .expect("unlink");
        assert_eq!(bob.organization_id, None);

        // Deleting the organization keeps its contacts and deals, without it.
        let org = s.organizations().get(org.id).await.expect("org");
        s.organizations().delete(org.id, org.version).await.expect("delete");
        let ada_after = s.contacts().get(ada.id).await.expect("ada stays");
        assert_eq!(ada_after.organization_id, None, "{}", db.name);
        assert_eq!(ada_after.version, ada.version);
        assert_eq!(s.deals().get(d1.id).await.expect("d1 stays").organization_id, None);
        assert_not_found(s.organizations().contacts(org.id, PageRequest::default()).await);
        // The other organization's links are untouched.
        let cy = s.organizations().contacts(other.id, PageRequest::default()).await.expect("cy");
        assert_eq!(cy.items.len(), 1);
    }
}

#[tokio::test]
async fn list_filters_by_name_prefix_domain_and_owner_in_pages() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let m = member(&s, &db.flame, Role::Member).await;
        for name in ["alpha", "Alphabet", "ALPINE", "beta", "Ämter"] {
            s.organizations().create(named(name)).await.expect("create");
        }
        m.organizations()
            .create(NewOrganization { domain: Some("gamma.example".into()), ..named("Gamma") })
            .await
            .expect("member's");
        let all =
            s.organizations().list(OrganizationFilter::default(), PageRequest::first(100)).await;
        let names: Vec<_> = all.expect("all").items.into_iter().map(|o| o.name).collect();
        assert_eq!(names, ["alpha", "Alphabet", "ALPINE", "beta", "Gamma", "Ämter"], "{}", db.name);

        let filter = OrganizationFilter { name_prefix: Some("ALP".into()), ..Default::default() };
        let mut seen = Vec::new();
        let mut page = PageRequest::first(2);
        loop {
            let got = s.organizations().list(filter.clone(), page).await.expect("page");
            assert!(got.items.len() <= 2);
            seen.extend(got.items.into_iter().map(|o| o.name));
            match got.next_cursor {
                Some(c) => page = PageRequest::after(2, c),
                None => break,
            }
        }
        assert_eq!(seen, ["alpha", "Alphabet", "ALPINE"], "{}", db.name);
        let by_umlaut =
            OrganizationFilter { name_prefix: Some("äm".into()), ..Default::default() };
        let got = s.organizations().list(by_umlaut, PageRequest::default()).await.expect("ä");
        assert_eq!(got.items.len(), 1, "{}", db.name);

        let by_domain = OrganizationFilter {
            domain: Some("https://www.Gamma.example/".into()),
            ..Default::default()
        };
        let got = s.organizations().list(by_domain, PageRequest::default()).await.expect("domain");
        assert_eq!(got.items.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["Gamma"]);
        let by_owner = OrganizationFilter { owner_id: Some(m.user_id()), ..Default::default() };
        let got = s.organizations().list(by_owner, PageRequest::default()).await.expect("owner");
        assert_eq!(got.items.len(), 1);
        assert_invalid(
            s.organizations()
                .list(
                    OrganizationFilter { domain: Some("a b".into()), ..Default::default() },
                    PageRequest::default(),
                )
                .await,
            "domain",
        );
    }
}

fn id_literal(url: &str, n: u8) -> String {
    let hex = format!("019abc00-0000-7000-8000-0000000000{n:02x}");
    if url.starts_with("sqlite:") {
        format!("X'{}'", hex.replace('-', ""))
    } else {
        format!("'{hex}'::uuid")
    }
}

fn uuid_of(n: u8) -> uuid::Uuid {
    uuid::Uuid::parse_str(&format!("019abc00-0000-7000-8000-0000000000{n:02x}")).expect("uuid")
}

/// Two companies with contacts whose free-text organizations differ in case and spacing,
/// written in the shape of migration 0001 (the tables 0002..0006 then migrate).
fn old_data(url: &str) -> String {
    let id = |n| id_literal(url, n);
    let yes = if url.starts_with("sqlite:") { "1" } else { "true" };
    let t = "'2026-01-02T03:04:05.000000Z'";
    let contact = |company: u8, n: u8, owner: u8, org: &str| {
        format!(
            "INSERT INTO contacts (company_id, id, first_name, last_name, email, phone, organization,
                 owner_id, search_name, last_name_key, created_at, updated_at, version)
               VALUES ({}, {}, 'P{n}', NULL, NULL, NULL, {org}, {}, 'p{n}', NULL, {t}, {t}, 1);",
            id(company),
            id(n),
            id(owner)
        )
    };
    let mut sql = format!(
        "INSERT INTO companies (id, name, created_at, updated_at, version) VALUES ({c1}, 'Old Co', {t}, {t}, 1), ({c2}, 'Other Co', {t}, {t}, 1);
         INSERT INTO users (id, email, name, active, created_at, updated_at, version)
           VALUES ({u1}, 'old@example.com', 'Old Owner', {yes}, {t}, {t}, 1),
                  ({u2}, 'mem@example.com', 'Old Member', {yes}, {t}, {t}, 1);
         INSERT INTO memberships (company_id, user_id, role, created_at, version)
           VALUES ({c1}, {u1}, 'owner', {t}, 1), ({c1}, {u2}, 'member', {t}, 1), ({c2}, {u1}, 'owner', {t}, 1);",
        c1 = id(1),
        c2 = id(2),
        u1 = id(3),
        u2 = id(4),
    );
    // Company 1: "Engines" in three spellings (the member's contact first), "Ümlaut" in two
    // cases, one unique, blanks and NULL.
    sql += &contact(1, 10, 4, "'Engines'");
    sql += &contact(1, 11, 3, "'  ENGINES '");
    sql += &contact(1, 12, 3, "'engines'");
    sql += &contact(1, 13, 3, "'Ümlaut GmbH'");
    sql += &contact(1, 14, 3, "'ümlaut gmbh'");
    sql += &contact(1, 15, 3, "'Solo'");
    sql += &contact(1, 16, 3, "'   '");
    sql += &contact(1, 17, 3, "''");
    sql += &contact(1, 18, 3, "NULL");
    // Company 2 has an "Engines" of its own.
    sql += &contact(2, 20, 3, "'engines'");
    sql
}

#[tokio::test]
async fn migration_0010_turns_organization_texts_into_organizations() {
    use flame_core::contact::ContactFilter;
    use flame_core::{CompanyId, ContactId, UserId};
    use flame_db::Backend;

    let (sqlite, _dir) = TestDb::sqlite_url();
    let mut urls = vec![sqlite];
    if let Some(pg) = TestDb::postgres_url().await {
        urls.push(pg);
    }
    for url in urls {
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        if let Some(path) = url.strip_prefix("sqlite://") {
            std::fs::File::create(path).expect("create the old database file");
        }
        let ledger = if backend == Backend::Sqlite {
            "CREATE TABLE flame_migrations (version INTEGER NOT NULL PRIMARY KEY,
                 name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
        } else {
            "CREATE TABLE flame_migrations (version bigint NOT NULL PRIMARY KEY,
                 name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL)"
        };
        exec_raw(&url, ledger).await;
        // The data goes in at 0001, then 0002..0006 migrate it: a database at 0006.
        for m in flame_db::schema::MIGRATIONS.iter().filter(|m| m.version <= 6) {
            exec_raw(&url, m.sql(backend)).await;
            exec_raw(
                &url,
                &format!(
                    "INSERT INTO flame_migrations (version, name, checksum, applied_at)
                     VALUES ({}, '{}', '{}', '2026-01-02T03:04:05Z')",
                    m.version,
                    m.name,
                    m.checksum(backend)
                ),
            )
            .await;
            if m.version == 1 {
                exec_raw(&url, &old_data(&url)).await;
            }
        }

        let flame = Flame::open(&url, OpenOptions::default()).await.expect("upgrade to 0010");
        assert_eq!(flame.schema_version(), flame_db::schema::expected_version(), "{url}");
        assert!(flame.health().await.schema_matches, "{url}");
        let (owner, m) = (UserId::from_uuid(uuid_of(3)), UserId::from_uuid(uuid_of(4)));
        let s = flame.session(owner, CompanyId::from_uuid(uuid_of(1))).await.expect("session");
        let orgs = s
            .organizations()
            .list(OrganizationFilter::default(), PageRequest::first(100))
            .await
            .expect("organizations")
            .items;
        let names: Vec<_> = orgs.iter().map(|o| (o.name.as_str(), o.owner_id)).collect();
        // One per distinct text, case-insensitively; owned by the first contact's owner.
        assert_eq!(names.len(), 3, "{url}: {names:?}");
        let by_key = |key: &str| {
            orgs.iter()
                .find(|o| o.name.to_lowercase() == key)
                .unwrap_or_else(|| panic!("{key}: {names:?}"))
        };
        let engines = by_key("engines");
        let umlaut = by_key("ümlaut gmbh");
        let solo = by_key("solo");
        assert_eq!(engines.owner_id, Some(m), "{url}: the first contact's owner");
        assert_eq!(solo.owner_id, Some(owner));
        assert_eq!(solo.name, "Solo");
        assert!(orgs.iter().all(|o| o.name == o.name.trim()), "{url}: trimmed");
        let contacts = s.contacts();
        let of = |n: u8| {
            let contacts = contacts.clone();
            async move {
                let id = ContactId::from_uuid(uuid_of(n));
                contacts.get(id).await.expect("contact").organization_id
            }
        };
        for n in [10, 11, 12] {
            assert_eq!(of(n).await, Some(engines.id), "{url}: contact {n}");
        }
        for n in [13, 14] {
            assert_eq!(of(n).await, Some(umlaut.id), "{url}: contact {n}");
        }
        assert_eq!(of(15).await, Some(solo.id));
        for n in [16, 17, 18] {
            assert_eq!(of(n).await, None, "{url}: contact {n}");
        }
        let engines_contacts = s.organizations().contacts(engines.id, PageRequest::default()).await;
        assert_eq!(engines_contacts.expect("contacts").items.len(), 3);
        let all = s.contacts().list(ContactFilter::default(), PageRequest::first(100)).await;
        assert_eq!(all.expect("contacts").items.len(), 9, "{url}: no contact lost");

        // The other company's organization is its own.
        let s2 = flame.session(owner, CompanyId::from_uuid(uuid_of(2))).await.expect("session 2");
        let theirs = s2
            .organizations()
            .list(OrganizationFilter::default(), PageRequest::default())
            .await
            .expect("list")
            .items;
        assert_eq!(theirs.len(), 1, "{url}");
        assert_ne!(theirs[0].id, engines.id);
        let c20 = s2.contacts().get(ContactId::from_uuid(uuid_of(20))).await.expect("c20");
        assert_eq!(c20.organization_id, Some(theirs[0].id));

        // The usage counter counts them: a plan of 3 organizations is full for company 1.
        default_plan(
            &flame,
            "three",
            PlanLimits { organizations: Some(3), ..PlanLimits::default() },
        )
        .await;
        let usage = s.billing().usage().await.expect("usage");
        assert_eq!(usage.organizations, 3, "{url}");
        flame.shutdown().await;
    }
}

fn org_field(key: &str, kind: CustomFieldKind, options: &[&str], required: bool) -> NewCustomField {
    NewCustomField {
        entity: CustomEntity::Organization,
        key: key.into(),
        label: key.to_uppercase(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        required,
        position: None,
    }
}

#[tokio::test]
async fn organizations_carry_tags_and_custom_values() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        let fields = owner.custom_fields();
        fields
            .define(org_field("tier", CustomFieldKind::Select, &["gold", "silver"], false))
            .await
            .expect("define tier");
        fields
            .define(org_field("seats", CustomFieldKind::Number, &[], false))
            .await
            .expect("define seats");
        // A contact field of the same key is another field: it does not apply here.
        fields
            .define(NewCustomField {
                entity: CustomEntity::Contact,
                ..org_field("tier", CustomFieldKind::Text, &[], false)
            })
            .await
            .expect("define the contact's tier");
        let orgs = owner.organizations();
        let tier = |v: &str| CustomValue::text(v);
        let gold = orgs
            .create(NewOrganization {
                custom: [("tier".to_owned(), tier("gold")), ("seats".to_owned(), tier("120"))]
                    .into_iter()
                    .collect(),
                ..named("Gold Ltd")
            })
            .await
            .expect("create with custom values");
        assert_eq!(gold.custom.get("tier"), Some(&CustomValue::text("gold")), "{}", db.name);
        assert!(gold.custom.contains_key("seats"), "{}: {:?}", db.name, gold.custom);
        let silver = orgs
            .create(NewOrganization {
                custom: [("tier".to_owned(), tier("silver"))].into_iter().collect(),
                ..named("Silver plc")
            })
            .await
            .expect("create");
        let plain = orgs.create(named("Plain GmbH")).await.expect("create");

        // Bad values name the field and write nothing.
        let before = snapshot(&db.url).await;
        assert_invalid(
            orgs.create(NewOrganization {
                custom: [("tier".to_owned(), tier("bronze"))].into_iter().collect(),
                ..named("Bronze")
            })
            .await,
            "custom.tier",
        );
        assert_invalid(
            orgs.create(NewOrganization {
                custom: [("nope".to_owned(), tier("x"))].into_iter().collect(),
                ..named("Unknown key")
            })
            .await,
            "custom.nope",
        );
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);

        // Tags: created on first use, idempotent, versions unchanged, events written.
        let tagged = orgs.add_tag(gold.id, "Key account").await.expect("tag");
        assert_eq!(tagged.tags, vec!["Key account".to_owned()], "{}", db.name);
        assert_eq!(tagged.version, gold.version, "tagging keeps the version");
        let again = orgs.add_tag(gold.id, "key ACCOUNT").await.expect("same tag");
        assert_eq!(again.tags, vec!["Key account".to_owned()]);
        orgs.add_tag(gold.id, "Partner").await.expect("tag");
        orgs.add_tag(silver.id, "partner").await.expect("tag");
        assert_invalid(orgs.add_tag(plain.id, " ").await, "tag");
        assert_eq!(
            orgs.get(gold.id).await.expect("get").tags,
            vec!["Key account".to_owned(), "Partner".to_owned()]
        );

        let list = |filter: OrganizationFilter| {
            let orgs = owner.organizations();
            async move {
                orgs.list(filter, PageRequest::default())
                    .await
                    .expect("list")
                    .items
                    .into_iter()
                    .map(|o| o.name)
                    .collect::<Vec<_>>()
            }
        };
        let by_tags = |tags: &[&str]| OrganizationFilter {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            ..OrganizationFilter::default()
        };
        assert_eq!(list(by_tags(&["PARTNER"])).await, ["Gold Ltd", "Silver plc"], "{}", db.name);
        assert_eq!(list(by_tags(&["partner", "key account"])).await, ["Gold Ltd"]);
        assert!(list(by_tags(&["no such tag"])).await.is_empty());
        let by_tier = |v: &str| OrganizationFilter {
            custom: vec![CustomCondition {
                key: "tier".into(),
                matches: CustomMatch::Equals { value: tier(v) },
            }],
            ..OrganizationFilter::default()
        };
        assert_eq!(list(by_tier("silver")).await, ["Silver plc"], "{}", db.name);
        assert_eq!(
            list(OrganizationFilter { tags: vec!["partner".into()], ..by_tier("gold") }).await,
            ["Gold Ltd"]
        );
        // Pages of a filtered list continue through the cursor.
        let first = orgs
            .list(by_tags(&["partner"]), PageRequest { limit: Some(1), cursor: None })
            .await
            .expect("page");
        assert_eq!(first.items.len(), 1);
        let second = orgs
            .list(by_tags(&["partner"]), PageRequest { limit: Some(1), cursor: first.next_cursor })
            .await
            .expect("page 2");
        assert_eq!(second.items[0].name, "Silver plc", "{}", db.name);

        // Update: set, clear and keep values; the index follows.
        let patch = OrganizationPatch {
            custom: [("tier".to_owned(), Some(tier("silver"))), ("seats".to_owned(), None)]
                .into_iter()
                .collect(),
            ..OrganizationPatch::default()
        };
        let gold = orgs.update(gold.id, gold.version, patch).await.expect("update custom");
        assert_eq!(gold.custom.get("tier"), Some(&CustomValue::text("silver")));
        assert!(!gold.custom.contains_key("seats"), "{}: cleared", db.name);
        assert_eq!(gold.tags.len(), 2, "an update keeps the tags");
        assert_eq!(list(by_tier("silver")).await, ["Gold Ltd", "Silver plc"], "{}", db.name);
        assert!(list(by_tier("gold")).await.is_empty());

        // Removing a tag; a Viewer may read but not tag; another company's id is NotFound.
        let untagged = orgs.remove_tag(gold.id, "PARTNER").await.expect("untag");
        assert_eq!(untagged.tags, vec!["Key account".to_owned()]);
        assert_eq!(orgs.remove_tag(gold.id, "partner").await.expect("no-op").tags.len(), 1);
        let viewer = member(&owner, &db.flame, Role::Viewer).await;
        assert_eq!(viewer.organizations().get(gold.id).await.expect("read").tags.len(), 1);
        assert_forbidden(viewer.organizations().add_tag(gold.id, "mine").await);
        let other = company(&db.flame, "Other").await.session;
        assert_not_found(other.organizations().add_tag(gold.id, "stolen").await);
        assert_not_found(other.organizations().remove_tag(gold.id, "key account").await);
        assert!(
            other
                .organizations()
                .list(by_tags(&["key account"]), PageRequest::default())
                .await
                .expect("list")
                .items
                .is_empty(),
            "{}: another company's tags are not this one's",
            db.name
        );

        let events = owner.events().list(PageRequest::first(200)).await;
        let events = events.expect("events").items;
        let count = |f: fn(&EventPayload) -> bool| events.iter().filter(|e| f(&e.payload)).count();
        assert_eq!(count(|p| matches!(p, EventPayload::OrganizationTagged { .. })), 3);
        assert_eq!(count(|p| matches!(p, EventPayload::OrganizationUntagged { .. })), 1);

        // Deleting the organization removes its taggings and index rows.
        let gold = orgs.get(gold.id).await.expect("get");
        orgs.delete(gold.id, gold.version).await.expect("delete");
        assert_eq!(list(by_tags(&["key account"])).await, Vec::<String>::new());
        assert_eq!(list(by_tier("silver")).await, ["Silver plc"], "{}", db.name);
    }
}

#[tokio::test]
async fn a_required_organization_field_is_enforced_on_create() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        owner
            .custom_fields()
            .define(org_field("region_code", CustomFieldKind::Text, &[], true))
            .await
            .expect("define");
        let before = snapshot(&db.url).await;
        assert_invalid(owner.organizations().create(named("No code")).await, "custom.region_code");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        let ok = owner
            .organizations()
            .create(NewOrganization {
                custom: [("region_code".to_owned(), CustomValue::text("EU"))].into_iter().collect(),
                ..named("With code")
            })
            .await
            .expect("create");
        assert_eq!(ok.custom.len(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn a_domain_prefix_walks_the_domains_in_pages() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let orgs = s.organizations();
        for (name, domain) in [
            ("Zeta", Some("acme.de")),
            ("Alpha", Some("acme.com")),
            ("Mid", Some("acmeworks.io")),
            ("Other", Some("beta.org")),
            ("Nowhere", None),
        ] {
            let domain = domain.map(str::to_owned);
            orgs.create(NewOrganization { domain, ..named(name) }).await.expect("create");
        }
        let other = company(&db.flame, "Other").await.session;
        other
            .organizations()
            .create(NewOrganization { domain: Some("acme.fr".into()), ..named("Theirs") })
            .await
            .expect("create");

        // Without a name prefix: ordered by domain, a page at a time.
        let acme = OrganizationFilter {
            domain_prefix: Some(" https://www.ACME".into()),
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut page = PageRequest::first(1);
        loop {
            let got = orgs.list(acme.clone(), page).await.expect("page");
            seen.extend(got.items.into_iter().map(|o| o.domain.unwrap_or_default()));
            match got.next_cursor {
                Some(c) => page = PageRequest::after(1, c),
                None => break,
            }
        }
        assert_eq!(seen, ["acme.com", "acme.de", "acmeworks.io"], "{}", db.name);

        // With a name prefix: ordered by name, the domain prefix narrows.
        let named_m = OrganizationFilter { name_prefix: Some("m".into()), ..acme.clone() };
        let got = orgs.list(named_m, PageRequest::default()).await.expect("list");
        assert_eq!(got.items.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["Mid"]);

        // A cursor of the name order, or of another domain prefix, is refused.
        let by_name = orgs.list(OrganizationFilter::default(), PageRequest::first(1)).await;
        let name_cursor = by_name.expect("page").next_cursor.expect("more");
        assert_invalid(orgs.list(acme.clone(), PageRequest::after(1, name_cursor)).await, "cursor");
        let first = orgs.list(acme, PageRequest::first(1)).await.expect("page");
        let beta = OrganizationFilter { domain_prefix: Some("beta".into()), ..Default::default() };
        let cursor = first.next_cursor.expect("more");
        assert_invalid(orgs.list(beta, PageRequest::after(1, cursor)).await, "cursor");
        let long =
            OrganizationFilter { domain_prefix: Some("a".repeat(300)), ..Default::default() };
        assert_invalid(orgs.list(long, PageRequest::default()).await, "domain_prefix");
    }
}
