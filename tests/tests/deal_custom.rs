//! Custom values on deals: checked on create and update, kept through stage moves, filtered
//! through the index (walked by an equality, probed with tags and ranges), paged, cleaned up on
//! delete, and refused for bad input, other companies and viewers, on both backends.

use flame_core::custom_field::{
    CustomCondition, CustomEntity, CustomFieldKind, CustomFieldPatch, CustomMatch, CustomValue,
    CustomValues, NewCustomField,
};
use flame_core::deal::{DealFilter, DealPatch, NewDeal};
use flame_core::organization::NewOrganization;
use flame_core::page::PageRequest;
use flame_core::{Money, Role};
use flame_db::Session;
use flame_tests::{
    TestDb, assert_conflict, assert_forbidden, assert_invalid, assert_not_found, company, join,
    snapshot,
};
use rust_decimal::Decimal;

fn deal_field(
    key: &str,
    kind: CustomFieldKind,
    options: &[&str],
    required: bool,
) -> NewCustomField {
    NewCustomField {
        entity: CustomEntity::Deal,
        key: key.into(),
        label: key.to_uppercase(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        required,
        position: None,
    }
}

fn custom(pairs: &[(&str, CustomValue)]) -> CustomValues {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn equals(key: &str, value: CustomValue) -> CustomCondition {
    CustomCondition { key: key.into(), matches: CustomMatch::Equals { value } }
}

fn eur(amount: &str) -> CustomValue {
    CustomValue::Money { value: Money::parse(amount, "EUR").expect("money") }
}

async fn define(s: &Session) {
    let fields = s.custom_fields();
    fields
        .define(deal_field("product", CustomFieldKind::Select, &["licence", "support"], false))
        .await
        .expect("define product");
    fields.define(deal_field("margin", CustomFieldKind::Money, &[], false)).await.expect("margin");
    fields.define(deal_field("signed", CustomFieldKind::Bool, &[], false)).await.expect("signed");
}

async fn titles(s: &Session, filter: DealFilter) -> Vec<String> {
    let page = s.deals().list(filter, PageRequest::first(100)).await.expect("list");
    page.items.into_iter().map(|d| d.title).collect()
}

#[tokio::test]
async fn deals_carry_checked_custom_values_through_every_change() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        define(&s).await;
        let deals = s.deals();
        let deal = deals
            .create(NewDeal {
                custom: custom(&[
                    ("product", CustomValue::text("Licence")),
                    ("margin", eur("1200.50")),
                ]),
                ..NewDeal::new("Big one", 10_000_00, "EUR")
            })
            .await
            .expect("create with custom values");
        assert_eq!(deal.custom.get("product"), Some(&CustomValue::text("licence")), "{}", db.name);
        assert_eq!(deal.custom.get("margin"), Some(&eur("1200.50")));
        assert_eq!(deals.get(deal.id).await.expect("get").custom, deal.custom, "{}", db.name);

        // Bad values name their field; nothing is written.
        let before = snapshot(&db.url).await;
        let bad = |pairs: &[(&str, CustomValue)]| NewDeal {
            custom: custom(pairs),
            ..NewDeal::new("Bad", 1, "EUR")
        };
        let text = CustomValue::text;
        assert_invalid(deals.create(bad(&[("product", text("hardware"))])).await, "custom.product");
        assert_invalid(deals.create(bad(&[("margin", text("lots"))])).await, "custom.margin");
        assert_invalid(deals.create(bad(&[("colour", text("red"))])).await, "custom.colour");
        let patch = |pairs: &[(&str, Option<CustomValue>)]| DealPatch {
            custom: pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
            ..DealPatch::default()
        };
        assert_invalid(
            deals.update(deal.id, deal.version, patch(&[("signed", Some(text("maybe")))])).await,
            "custom.signed",
        );
        assert_conflict(
            deals.update(deal.id, deal.version + 7, patch(&[("signed", Some(text("yes")))])).await,
        );
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);

        // Update sets, clears and keeps values.
        let updated = deals
            .update(
                deal.id,
                deal.version,
                patch(&[("signed", Some(CustomValue::Bool { value: true })), ("margin", None)]),
            )
            .await
            .expect("update");
        assert_eq!(updated.custom.get("signed"), Some(&CustomValue::Bool { value: true }));
        assert!(!updated.custom.contains_key("margin"), "{}: cleared", db.name);
        assert_eq!(updated.custom.get("product"), Some(&text("licence")), "kept");
        assert_eq!(deals.get(deal.id).await.expect("get").custom, updated.custom);

        // Stage moves keep the values.
        let won = deals.win(updated.id, updated.version).await.expect("win");
        assert_eq!(won.custom, updated.custom, "{}", db.name);
        let reopened = deals.reopen(won.id, deal.stage_id, won.version).await.expect("reopen");
        assert_eq!(reopened.custom, updated.custom);

        // An organization's deals carry them too.
        let org = s
            .organizations()
            .create(NewOrganization { name: "Acme Buyer".into(), ..NewOrganization::default() })
            .await
            .expect("organization");
        let linked = deals
            .create(NewDeal {
                organization_id: Some(org.id),
                custom: custom(&[("product", text("support"))]),
                ..NewDeal::new("Linked", 5_00, "EUR")
            })
            .await
            .expect("linked");
        let of_org = s.organizations().deals(org.id, PageRequest::default()).await.expect("deals");
        assert_eq!(of_org.items[0].custom, linked.custom, "{}", db.name);

        // Removing an option deals still use is refused, unless their values move with it.
        let fields = s.custom_fields();
        let listed = fields.list(CustomEntity::Deal).await.expect("fields");
        let product = listed.into_iter().find(|f| f.key == "product").expect("product");
        let before = snapshot(&db.url).await;
        let drop_licence = CustomFieldPatch {
            options: Some(vec!["support".into()]),
            ..CustomFieldPatch::default()
        };
        assert_conflict(fields.update(product.id, product.version, drop_licence).await);
        assert_eq!(snapshot(&db.url).await, before, "{}: nothing written", db.name);
        let moved = CustomFieldPatch {
            options: Some(vec!["support".into(), "subscription".into()]),
            option_moves: [("licence".to_owned(), Some("subscription".to_owned()))]
                .into_iter()
                .collect(),
            ..CustomFieldPatch::default()
        };
        fields.update(product.id, product.version, moved).await.expect("move the values");
        let now = deals.get(deal.id).await.expect("get");
        assert_eq!(now.custom.get("product"), Some(&text("subscription")), "{}", db.name);
        let by_new = DealFilter {
            custom: vec![equals("product", text("subscription"))],
            ..DealFilter::default()
        };
        assert_eq!(titles(&s, by_new).await, ["Big one"], "{}: the index moved too", db.name);

        // A viewer reads them but cannot change them; another company cannot see the deal.
        let vera = company(&db.flame, "Vera's").await.session;
        let viewer = join(&s, &vera, Role::Viewer).await;
        assert_eq!(viewer.deals().get(deal.id).await.expect("read").custom, now.custom);
        let current = deals.get(deal.id).await.expect("get");
        assert_forbidden(
            viewer
                .deals()
                .update(current.id, current.version, patch(&[("margin", Some(eur("1")))]))
                .await,
        );
        let other = company(&db.flame, "Other").await.session;
        assert_not_found(
            other
                .deals()
                .update(current.id, current.version, patch(&[("margin", Some(eur("1")))]))
                .await,
        );
        db.flame.shutdown().await;
    }
}

#[tokio::test]
async fn deal_lists_filter_by_custom_values_through_the_index() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        flame_tests::unlimited_plan(&db.flame).await;
        define(&s).await;
        let deals = s.deals();
        let products = ["licence", "support"];
        let mut created = Vec::new();
        for i in 0..12 {
            let d = deals
                .create(NewDeal {
                    custom: custom(&[
                        ("product", CustomValue::text(products[i % 2])),
                        ("margin", eur(&format!("{}.00", i * 100))),
                    ]),
                    ..NewDeal::new(format!("Deal {i:02}"), 100, "EUR")
                })
                .await
                .expect("create");
            if i % 3 == 0 {
                deals.add_tag(d.id, "hot").await.expect("tag");
            }
            created.push(d);
        }
        deals.create(NewDeal::new("No values", 100, "EUR")).await.expect("plain");

        // An equality walks the value's index, newest first, a page at a time.
        let licence = DealFilter {
            custom: vec![equals("product", CustomValue::text("licence"))],
            ..DealFilter::default()
        };
        let expected: Vec<String> =
            (0..12).rev().filter(|i| i % 2 == 0).map(|i| format!("Deal {i:02}")).collect();
        assert_eq!(titles(&s, licence.clone()).await, expected, "{}", db.name);
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = deals
                .list(licence.clone(), PageRequest { limit: Some(4), cursor: cursor.take() })
                .await
                .expect("page");
            assert!(page.items.len() <= 4);
            paged.extend(page.items.into_iter().map(|d| d.title));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, expected, "{}: pages", db.name);

        // Ranges, tags and the other filters narrow it further.
        let range = CustomCondition {
            key: "margin".into(),
            matches: CustomMatch::Range { min: Some(eur("300")), max: Some(eur("800")) },
        };
        assert_eq!(
            titles(&s, DealFilter { custom: vec![range.clone()], ..DealFilter::default() }).await,
            ["Deal 08", "Deal 07", "Deal 06", "Deal 05", "Deal 04", "Deal 03"],
            "{}",
            db.name
        );
        assert_eq!(
            titles(
                &s,
                DealFilter {
                    custom: [licence.custom.clone(), vec![range]].concat(),
                    ..DealFilter::default()
                }
            )
            .await,
            ["Deal 08", "Deal 06", "Deal 04"]
        );
        assert_eq!(
            titles(&s, DealFilter { tags: vec!["HOT".into()], ..licence.clone() }).await,
            ["Deal 06", "Deal 00"],
            "{}: tag walk with a custom probe",
            db.name
        );
        let stage = created[0].stage_id;
        assert_eq!(
            titles(&s, DealFilter { stage_id: Some(stage), ..licence.clone() }).await.len(),
            6
        );

        // A bad condition names the field; a key that is no deal field is refused.
        assert_invalid(
            deals
                .list(
                    DealFilter {
                        custom: vec![equals("product", CustomValue::text("hardware"))],
                        ..DealFilter::default()
                    },
                    PageRequest::default(),
                )
                .await,
            "custom.product",
        );
        assert_invalid(
            deals
                .list(
                    DealFilter {
                        custom: vec![equals("nope", CustomValue::text("x"))],
                        ..DealFilter::default()
                    },
                    PageRequest::default(),
                )
                .await,
            "custom.nope",
        );

        // Deleting a deal takes it out of the index.
        let gone = &created[10];
        deals.delete(gone.id, gone.version).await.expect("delete");
        assert_eq!(titles(&s, licence.clone()).await.first().map(String::as_str), Some("Deal 08"));
        // Another company's list is its own.
        let other = company(&db.flame, "Other").await.session;
        define(&other).await;
        assert!(titles(&other, licence).await.is_empty(), "{}", db.name);
        db.flame.shutdown().await;
    }
}

#[tokio::test]
async fn a_required_deal_field_is_enforced_on_create_only_by_hand() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        s.custom_fields()
            .define(deal_field("po_number", CustomFieldKind::Text, &[], true))
            .await
            .expect("define");
        let before = snapshot(&db.url).await;
        assert_invalid(s.deals().create(NewDeal::new("No PO", 1, "EUR")).await, "custom.po_number");
        assert_eq!(snapshot(&db.url).await, before, "{}", db.name);
        let ok = s
            .deals()
            .create(NewDeal {
                custom: custom(&[("po_number", CustomValue::text("PO-7"))]),
                ..NewDeal::new("With PO", 1, "EUR")
            })
            .await
            .expect("create");
        assert_eq!(ok.custom.len(), 1);
        // Clearing a required value is refused too.
        let clear = DealPatch {
            custom: [("po_number".to_owned(), None)].into_iter().collect(),
            ..DealPatch::default()
        };
        assert_invalid(s.deals().update(ok.id, ok.version, clear).await, "custom.po_number");
        let number = CustomValue::Number { value: Decimal::from(3) };
        assert_invalid(
            s.deals()
                .create(NewDeal {
                    custom: custom(&[("po_number", number)]),
                    ..NewDeal::new("Number PO", 1, "EUR")
                })
                .await,
            "custom.po_number",
        );
        db.flame.shutdown().await;
    }
}
