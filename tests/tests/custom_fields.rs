//! Custom fields: definitions, values on contacts, filters through the index, migrations of
//! values, and bad input, on both backends.

use std::str::FromStr;

use flame_core::contact::{ContactFilter, ContactPatch, NewContact};
use flame_core::custom_field::{
    CustomCondition, CustomEntity, CustomField, CustomFieldKind, CustomFieldPatch, CustomMatch,
    CustomValue, CustomValues, NewCustomField,
};
use flame_core::page::PageRequest;
use flame_core::{FlameError, Money, Role};
use flame_db::Session;
use flame_tests::{
    TestDb, assert_conflict, assert_forbidden, assert_invalid, assert_not_found, company, join,
    snapshot,
};
use rust_decimal::Decimal;

fn field(key: &str, kind: CustomFieldKind, options: &[&str]) -> NewCustomField {
    NewCustomField {
        entity: CustomEntity::Contact,
        key: key.into(),
        label: key.to_uppercase(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        required: false,
        position: None,
    }
}

async fn define_all(s: &Session) -> Vec<CustomField> {
    let fields = s.custom_fields();
    let mut out = Vec::new();
    for input in [
        field("industry", CustomFieldKind::Select, &["Retail", "Banking", "Energy"]),
        field("revenue", CustomFieldKind::Number, &[]),
        field("budget", CustomFieldKind::Money, &[]),
        field("since", CustomFieldKind::Date, &[]),
        field("vip", CustomFieldKind::Bool, &[]),
        field("channels", CustomFieldKind::MultiSelect, &["email", "phone", "visit"]),
        field("notes", CustomFieldKind::Text, &[]),
        field("site", CustomFieldKind::Url, &[]),
    ] {
        out.push(fields.define(input).await.expect("define"));
    }
    out
}

fn custom(pairs: &[(&str, CustomValue)]) -> CustomValues {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn equals(key: &str, value: CustomValue) -> CustomCondition {
    CustomCondition { key: key.into(), matches: CustomMatch::Equals { value } }
}

#[tokio::test]
async fn definitions_are_managed_by_admins() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        let defined = define_all(&owner).await;
        let listed = owner.custom_fields().list(CustomEntity::Contact).await.expect("list");
        assert_eq!(listed, defined, "{}: by position", db.name);
        assert_eq!(
            listed.iter().map(|f| f.position).collect::<Vec<_>>(),
            (0..8).collect::<Vec<_>>()
        );
        assert!(owner.custom_fields().list(CustomEntity::Deal).await.expect("list").is_empty());
        let industry = &defined[0];
        assert_eq!(owner.custom_fields().get(industry.id).await.expect("get"), *industry);

        // The same key twice, on the same entity.
        let again =
            owner.custom_fields().define(field("industry", CustomFieldKind::Text, &[])).await;
        assert!(
            matches!(&again, Err(FlameError::Conflict { entity, .. }) if entity == "custom.industry"),
            "{}: {again:?}",
            db.name
        );
        // … is fine on another entity.
        let deal_field = NewCustomField {
            entity: CustomEntity::Deal,
            ..field("industry", CustomFieldKind::Text, &[])
        };
        owner.custom_fields().define(deal_field).await.expect("a deal field may share the key");

        let before = snapshot(&db.url).await;
        assert_invalid(
            owner.custom_fields().define(field("Bad Key", CustomFieldKind::Text, &[])).await,
            "key",
        );
        assert_invalid(
            owner.custom_fields().define(field("pick", CustomFieldKind::Select, &[])).await,
            "options",
        );
        assert_invalid(
            owner.custom_fields().define(field("txt", CustomFieldKind::Text, &["a"])).await,
            "options",
        );
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);

        // Members and managers read definitions but do not change them.
        let other = company(&db.flame, "Member's own").await.session;
        let member = join(&owner, &other, Role::Member).await;
        assert_eq!(
            member.custom_fields().list(CustomEntity::Contact).await.expect("read").len(),
            8
        );
        assert_forbidden(
            member.custom_fields().define(field("x", CustomFieldKind::Text, &[])).await,
        );
        assert_forbidden(
            member
                .custom_fields()
                .update(industry.id, industry.version, CustomFieldPatch::default())
                .await,
        );
        assert_forbidden(member.custom_fields().delete(industry.id, industry.version).await);

        // Another company's field is not found.
        assert_not_found(other.custom_fields().get(industry.id).await);
        assert_not_found(
            other
                .custom_fields()
                .update(industry.id, industry.version, CustomFieldPatch::default())
                .await,
        );

        // Versions are optimistic.
        let relabel = CustomFieldPatch { label: Some("Sector".into()), ..Default::default() };
        let next = owner
            .custom_fields()
            .update(industry.id, industry.version, relabel.clone())
            .await
            .expect("relabel");
        assert_eq!((next.label.as_str(), next.version), ("Sector", industry.version + 1));
        assert_conflict(owner.custom_fields().update(industry.id, industry.version, relabel).await);
        assert_conflict(owner.custom_fields().delete(industry.id, industry.version).await);

        let types: Vec<String> = owner
            .events()
            .list(PageRequest::first(100))
            .await
            .expect("events")
            .items
            .iter()
            .map(|e| e.payload.event_type().to_owned())
            .filter(|t| t.starts_with("custom_field."))
            .collect();
        assert_eq!(types.iter().filter(|t| *t == "custom_field.defined").count(), 9);
        assert!(types.contains(&"custom_field.updated".to_owned()), "{}", db.name);
    }
}

#[tokio::test]
async fn contacts_carry_checked_native_values() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        define_all(&s).await;
        let contacts = s.contacts();
        let usd = |a: &str| Money::parse(a, "USD").expect("money");
        let created = contacts
            .create(NewContact {
                first_name: "Ada".into(),
                custom: custom(&[
                    ("industry", CustomValue::text("retail")),
                    ("revenue", CustomValue::Number { value: dec("1250000.50") }),
                    ("budget", CustomValue::Money { value: usd("12.50") }),
                    ("since", CustomValue::text("2024-02-29")),
                    ("vip", CustomValue::Bool { value: true }),
                    (
                        "channels",
                        CustomValue::Options { value: vec!["visit".into(), "email".into()] },
                    ),
                    ("site", CustomValue::text("https://ada.example/")),
                ]),
                ..NewContact::default()
            })
            .await
            .expect("create");
        let c = &created.custom;
        assert_eq!(
            c["industry"],
            CustomValue::text("Retail"),
            "{}: the option's spelling",
            db.name
        );
        assert_eq!(c["revenue"], CustomValue::Number { value: dec("1250000.5") });
        assert_eq!(c["budget"], CustomValue::Money { value: usd("12.50") });
        assert_eq!(
            c["since"],
            CustomValue::Date { value: time::macros::date!(2024 - 02 - 29) },
            "{}: text parses as the kind",
            db.name
        );
        assert_eq!(
            c["channels"],
            CustomValue::Options { value: vec!["email".into(), "visit".into()] },
            "{}: in option order",
            db.name
        );
        assert!(!c.contains_key("notes"));
        assert_eq!(contacts.get(created.id).await.expect("get"), created, "{}", db.name);

        // Bad values name their field and leave everything as it was.
        let before = snapshot(&db.url).await;
        for (key, value) in [
            ("industry", CustomValue::text("Farming")),
            ("revenue", CustomValue::text("a lot")),
            ("revenue", CustomValue::Bool { value: true }),
            ("budget", CustomValue::text("12")),
            ("since", CustomValue::text("2023-02-29")),
            ("channels", CustomValue::Options { value: vec!["fax".into()] }),
            ("site", CustomValue::text("javascript:alert(1)")),
            ("notes", CustomValue::text("x".repeat(2_001))),
            ("nope", CustomValue::text("x")),
        ] {
            let input = NewContact {
                first_name: "Bad".into(),
                custom: custom(&[(key, value.clone())]),
                ..NewContact::default()
            };
            assert_invalid(contacts.create(input).await, &format!("custom.{key}"));
            let patch = ContactPatch {
                custom: [(key.to_owned(), Some(value))].into(),
                ..Default::default()
            };
            assert_invalid(
                contacts.update(created.id, created.version, patch).await,
                &format!("custom.{key}"),
            );
        }
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        assert_eq!(contacts.get(created.id).await.expect("get"), created);

        // A patch sets and clears; the keys it does not name keep their values.
        let patch = ContactPatch {
            custom: [
                ("industry".to_owned(), Some(CustomValue::text("Energy"))),
                ("vip".to_owned(), None),
            ]
            .into(),
            ..Default::default()
        };
        let updated = contacts.update(created.id, created.version, patch).await.expect("update");
        assert_eq!(updated.custom["industry"], CustomValue::text("Energy"));
        assert!(!updated.custom.contains_key("vip"));
        assert_eq!(updated.custom["revenue"], created.custom["revenue"]);
        assert_eq!(contacts.get(created.id).await.expect("get"), updated);

        // A required field is required on create and cannot be cleared.
        let notes = s.custom_fields().list(CustomEntity::Contact).await.expect("list")[6].clone();
        s.custom_fields()
            .update(
                notes.id,
                notes.version,
                CustomFieldPatch { required: Some(true), ..Default::default() },
            )
            .await
            .expect("require notes");
        assert_invalid(
            contacts.create(NewContact { first_name: "Bob".into(), ..NewContact::default() }).await,
            "custom.notes",
        );
        let bob = contacts
            .create(NewContact {
                first_name: "Bob".into(),
                custom: custom(&[("notes", CustomValue::text("met at the fair"))]),
                ..NewContact::default()
            })
            .await
            .expect("with the required value");
        let clear =
            ContactPatch { custom: [("notes".to_owned(), None)].into(), ..Default::default() };
        assert_invalid(contacts.update(bob.id, bob.version, clear).await, "custom.notes");
        // Records that predate the rule keep working.
        contacts
            .update(updated.id, updated.version, ContactPatch::default())
            .await
            .expect("an older record without the value");
    }
}

#[tokio::test]
async fn lists_filter_by_custom_values_through_the_index() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        flame_tests::unlimited_plan(&db.flame).await;
        define_all(&s).await;
        let contacts = s.contacts();
        let industries = ["Retail", "Banking", "Energy"];
        let mut retail = Vec::new();
        for i in 0..30 {
            let c = contacts
                .create(NewContact {
                    first_name: format!("Person {i:02}"),
                    custom: custom(&[
                        ("industry", CustomValue::text(industries[i % 3])),
                        ("revenue", CustomValue::Number { value: Decimal::from(i as i64 * 10) }),
                        (
                            "channels",
                            CustomValue::Options {
                                value: if i % 2 == 0 {
                                    vec!["email".into()]
                                } else {
                                    vec!["phone".into()]
                                },
                            },
                        ),
                    ]),
                    ..NewContact::default()
                })
                .await
                .expect("create");
            if i % 3 == 0 {
                retail.push(c.id);
            }
        }
        retail.reverse(); // newest first

        // Equality walks pages newest first.
        let filter = ContactFilter {
            custom: vec![equals("industry", CustomValue::text("retail"))],
            ..ContactFilter::default()
        };
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = contacts
                .list(filter.clone(), PageRequest { limit: Some(4), cursor: cursor.clone() })
                .await
                .expect("page");
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, retail, "{}: every retail contact once, newest first", db.name);

        // Several conditions must all match: an equality, a range and a multi-select option.
        let filter = ContactFilter {
            custom: vec![
                equals("industry", CustomValue::text("Retail")),
                CustomCondition {
                    key: "revenue".into(),
                    matches: CustomMatch::Range {
                        min: Some(CustomValue::Number { value: dec("60") }),
                        max: Some(CustomValue::text("200")),
                    },
                },
                equals("channels", CustomValue::text("email")),
            ],
            ..ContactFilter::default()
        };
        let page = contacts.list(filter, PageRequest::default()).await.expect("list");
        let names: Vec<&str> = page.items.iter().map(|c| c.first_name.as_str()).collect();
        // Retail: 0,3,…,27; revenue 60..=200: 6..=20; email: even → 6, 12, 18.
        assert_eq!(names, ["Person 18", "Person 12", "Person 06"], "{}", db.name);

        // A range alone, and with a name search.
        let range = CustomCondition {
            key: "revenue".into(),
            matches: CustomMatch::Range { min: None, max: Some(CustomValue::text("25")) },
        };
        let page = contacts
            .list(
                ContactFilter { custom: vec![range.clone()], ..Default::default() },
                PageRequest::default(),
            )
            .await
            .expect("range");
        assert_eq!(page.items.len(), 3, "{}: 0, 10 and 20", db.name);
        let page = contacts
            .list(
                ContactFilter {
                    name_prefix: Some("person 0".into()),
                    custom: vec![equals("industry", CustomValue::text("Banking"))],
                    ..Default::default()
                },
                PageRequest::default(),
            )
            .await
            .expect("search");
        let names: Vec<&str> = page.items.iter().map(|c| c.first_name.as_str()).collect();
        assert_eq!(names, ["Person 01", "Person 04", "Person 07"], "{}", db.name);

        // Bad filters name the field.
        for (condition, field) in [
            (equals("nope", CustomValue::text("x")), "custom.nope"),
            (equals("industry", CustomValue::text("Farming")), "custom.industry"),
            (
                CustomCondition {
                    key: "industry".into(),
                    matches: CustomMatch::Range { min: None, max: None },
                },
                "custom.industry",
            ),
        ] {
            let filter = ContactFilter { custom: vec![condition], ..Default::default() };
            assert_invalid(contacts.list(filter, PageRequest::default()).await, field);
        }

        // Another company has no such field.
        let other = company(&db.flame, "Other").await.session;
        let filter = ContactFilter {
            custom: vec![equals("industry", CustomValue::text("Retail"))],
            ..Default::default()
        };
        assert_invalid(
            other.contacts().list(filter, PageRequest::default()).await,
            "custom.industry",
        );
    }
}

#[tokio::test]
async fn changing_a_definition_migrates_values_or_is_refused() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let fields = define_all(&s).await;
        let (industry, notes) = (&fields[0], &fields[6]);
        let contacts = s.contacts();
        let ada = contacts
            .create(NewContact {
                first_name: "Ada".into(),
                custom: custom(&[
                    ("industry", CustomValue::text("Banking")),
                    ("notes", CustomValue::text("42.5")),
                ]),
                ..NewContact::default()
            })
            .await
            .expect("create");
        let bob = contacts
            .create(NewContact {
                first_name: "Bob".into(),
                custom: custom(&[("notes", CustomValue::text("many"))]),
                ..NewContact::default()
            })
            .await
            .expect("create");

        // Removing an option in use is refused…
        let before = snapshot(&db.url).await;
        let drop_banking = CustomFieldPatch {
            options: Some(vec!["Retail".into(), "Energy".into(), "Finance".into()]),
            ..Default::default()
        };
        let refused =
            s.custom_fields().update(industry.id, industry.version, drop_banking.clone()).await;
        assert!(
            matches!(&refused, Err(FlameError::Conflict { entity, .. }) if entity == "custom.industry"),
            "{}: {refused:?}",
            db.name
        );
        // … as is a kind change without converting, or a conversion that cannot succeed.
        let to_number =
            CustomFieldPatch { kind: Some(CustomFieldKind::Number), ..Default::default() };
        assert_conflict(s.custom_fields().update(notes.id, notes.version, to_number.clone()).await);
        let convert = CustomFieldPatch { convert_values: true, ..to_number };
        assert_conflict(s.custom_fields().update(notes.id, notes.version, convert.clone()).await);
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        assert_eq!(contacts.get(ada.id).await.expect("get"), ada);

        // Moving the values in the same call works, and the index follows.
        let moved = CustomFieldPatch {
            option_moves: [("Banking".to_owned(), Some("Finance".to_owned()))].into(),
            ..drop_banking
        };
        s.custom_fields().update(industry.id, industry.version, moved).await.expect("move");
        assert_eq!(
            contacts.get(ada.id).await.expect("get").custom["industry"],
            CustomValue::text("Finance")
        );
        let finance = ContactFilter {
            custom: vec![equals("industry", CustomValue::text("Finance"))],
            ..Default::default()
        };
        let page = contacts.list(finance, PageRequest::default()).await.expect("list");
        assert_eq!(page.items.iter().map(|c| c.id).collect::<Vec<_>>(), [ada.id], "{}", db.name);

        // Once every value converts, the kind changes.
        let bob_fixed = contacts
            .update(
                bob.id,
                bob.version,
                ContactPatch {
                    custom: [("notes".to_owned(), Some(CustomValue::text("7")))].into(),
                    ..Default::default()
                },
            )
            .await
            .expect("fix bob");
        let notes_now = s.custom_fields().get(notes.id).await.expect("get");
        s.custom_fields().update(notes.id, notes_now.version, convert).await.expect("convert");
        assert_eq!(
            contacts.get(ada.id).await.expect("get").custom["notes"],
            CustomValue::Number { value: dec("42.5") }
        );
        assert_eq!(
            contacts.get(bob.id).await.expect("get").custom["notes"],
            CustomValue::Number { value: dec("7") }
        );
        let _ = bob_fixed;

        // A deleted definition's values vanish at once; a new field with its key starts empty.
        let industry_now = s.custom_fields().get(industry.id).await.expect("get");
        s.custom_fields().delete(industry.id, industry_now.version).await.expect("delete");
        assert!(!contacts.get(ada.id).await.expect("get").custom.contains_key("industry"));
        s.custom_fields()
            .define(field("industry", CustomFieldKind::Text, &[]))
            .await
            .expect("the key is free again");
        let ada_now = contacts.get(ada.id).await.expect("get");
        assert!(!ada_now.custom.contains_key("industry"), "{}: no old value", db.name);
        assert_eq!(
            flame_tests::count_rows(&db.url, "custom_values").await,
            2,
            "{}: notes only",
            db.name
        );
    }
}

#[tokio::test]
async fn csv_import_reads_custom_columns() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        define_all(&s).await;
        let csv = "first_name,custom.industry,custom.revenue,custom.channels\n\
                   Ada,Retail,10.5,email; visit\n\
                   Bob,Farming,1,\n\
                   Cy,,,\n";
        let report = s.contacts().import_csv(csv.as_bytes()).await.expect("import");
        assert_eq!((report.imported, report.rejected), (2, 1), "{}: {report:?}", db.name);
        assert_eq!(report.errors[0].field, "custom.industry");
        let filter = ContactFilter {
            custom: vec![equals("channels", CustomValue::text("visit"))],
            ..Default::default()
        };
        let page = s.contacts().list(filter, PageRequest::default()).await.expect("list");
        assert_eq!(page.items.len(), 1, "{}", db.name);
        assert_eq!(page.items[0].custom["revenue"], CustomValue::Number { value: dec("10.5") });

        let unknown = "first_name,custom.nope\nAda,x\n";
        assert_invalid(s.contacts().import_csv(unknown.as_bytes()).await, "header");
    }
}

#[tokio::test]
async fn tags_and_custom_values_narrow_one_list_together() {
    for db in TestDb::each().await {
        let owner = company(&db.flame, "Acme").await.session;
        define_all(&owner).await;
        let c = owner.contacts();
        let mut expected = Vec::new();
        for i in 0..7 {
            let industry = if i % 2 == 0 { "Retail" } else { "Banking" };
            let contact = c
                .create(NewContact {
                    first_name: format!("P{i}"),
                    custom: custom(&[("industry", CustomValue::Text { value: industry.into() })]),
                    ..Default::default()
                })
                .await
                .expect("create");
            if i % 3 == 0 {
                c.add_tag(contact.id, "vip").await.expect("tag");
                if industry == "Retail" {
                    expected.push(contact.id);
                }
            }
        }
        expected.reverse();
        let filter = ContactFilter {
            tags: vec!["VIP".into()],
            custom: vec![equals("industry", CustomValue::Text { value: "retail".into() })],
            ..Default::default()
        };
        // Walked one contact a page, so that the cursor crosses both narrowings.
        let mut seen = Vec::new();
        let mut page = PageRequest::first(1);
        loop {
            let got = c.list(filter.clone(), page).await.expect("list");
            seen.extend(got.items.iter().map(|x| x.id));
            assert!(got.items.iter().all(|x| x.tags == ["vip"]), "{}", db.name);
            match got.next_cursor {
                Some(next) => page = PageRequest::after(1, next),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{}: vip and retail, newest first", db.name);
        // With a name prefix the same narrowing holds.
        let prefixed = ContactFilter { name_prefix: Some("p".into()), ..filter };
        let got = c.list(prefixed, PageRequest::first(50)).await.expect("list");
        let mut by_name = expected.clone();
        by_name.reverse(); // P0, P6: by name
        assert_eq!(got.items.iter().map(|x| x.id).collect::<Vec<_>>(), by_name, "{}", db.name);
    }
}
