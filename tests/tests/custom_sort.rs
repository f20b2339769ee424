//! Lists sorted by a custom field: contacts, organizations and deals, both directions, pages
//! across the records with and without a value, combined with the other filters, and the
//! errors of a bad sort or a foreign cursor, on both backends.

use flame_core::contact::{ContactFilter, NewContact};
use flame_core::custom_field::{
    CustomCondition, CustomEntity, CustomFieldKind, CustomMatch, CustomSort, CustomValue,
    NewCustomField,
};
use flame_core::deal::{DealFilter, NewDeal};
use flame_core::organization::{NewOrganization, OrganizationFilter};
use flame_core::page::{Page, PageRequest};
use flame_core::{Money, Result};
use flame_db::Session;
use flame_tests::{TestDb, assert_invalid, company};
use rust_decimal::Decimal;

fn field(
    entity: CustomEntity,
    key: &str,
    kind: CustomFieldKind,
    options: &[&str],
) -> NewCustomField {
    NewCustomField {
        entity,
        key: key.into(),
        label: key.to_uppercase(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        required: false,
        position: None,
    }
}

fn sort(key: &str, descending: bool) -> Option<CustomSort> {
    Some(CustomSort { key: key.into(), descending })
}

/// Every page of a list, `limit` at a time.
async fn walk<T, F, Fut>(limit: u32, list: F) -> Vec<T>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>>>,
{
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            list(PageRequest { limit: Some(limit), cursor: cursor.take() }).await.expect("page");
        assert!(page.items.len() <= limit as usize);
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return all,
        }
    }
}

async fn contacts_sorted(s: &Session, filter: ContactFilter, limit: u32) -> Vec<String> {
    let contacts = s.contacts();
    let all = walk(limit, |page| {
        let (contacts, filter) = (contacts.clone(), filter.clone());
        async move { contacts.list(filter, page).await }
    })
    .await;
    all.into_iter().map(|c| c.first_name).collect()
}

#[tokio::test]
async fn contacts_sort_by_a_custom_field_in_pages_both_ways() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let fields = s.custom_fields();
        fields
            .define(field(CustomEntity::Contact, "score", CustomFieldKind::Number, &[]))
            .await
            .expect("define score");
        fields
            .define(field(
                CustomEntity::Contact,
                "channels",
                CustomFieldKind::MultiSelect,
                &["email", "phone"],
            ))
            .await
            .expect("define channels");
        let scores = [Some(30), Some(-10), Some(20), None, Some(20), None, Some(5), Some(100)];
        let mut ids = Vec::new();
        for (i, score) in scores.iter().enumerate() {
            let custom = score
                .map(|v| {
                    [("score".to_owned(), CustomValue::Number { value: Decimal::from(v) })].into()
                })
                .unwrap_or_default();
            let c = s
                .contacts()
                .create(NewContact { first_name: format!("P{i}"), custom, ..NewContact::default() })
                .await
                .expect("create");
            if i % 2 == 0 {
                s.contacts().add_tag(c.id, "even").await.expect("tag");
            }
            ids.push(c.id);
        }
        // Another company's contacts never appear.
        let other = company(&db.flame, "Other").await.session;
        other
            .custom_fields()
            .define(field(CustomEntity::Contact, "score", CustomFieldKind::Number, &[]))
            .await
            .expect("define");
        other
            .contacts()
            .create(NewContact { first_name: "Theirs".into(), ..NewContact::default() })
            .await
            .expect("create");

        // Ties (P2 and P4 both score 20) go by id; records without a value come last, by id.
        let ascending = ["P1", "P6", "P2", "P4", "P0", "P7", "P3", "P5"];
        let by_score = ContactFilter { sort: sort("score", false), ..ContactFilter::default() };
        for limit in [1, 2, 3, 100] {
            assert_eq!(
                contacts_sorted(&s, by_score.clone(), limit).await,
                ascending,
                "{}: limit {limit}",
                db.name
            );
        }
        let descending = ["P7", "P0", "P4", "P2", "P6", "P1", "P5", "P3"];
        let by_score_down = ContactFilter { sort: sort("score", true), ..ContactFilter::default() };
        for limit in [1, 3, 100] {
            assert_eq!(
                contacts_sorted(&s, by_score_down.clone(), limit).await,
                descending,
                "{}: limit {limit}",
                db.name
            );
        }

        // The other filters narrow the sorted list.
        let even = ContactFilter { tags: vec!["even".into()], ..by_score.clone() };
        assert_eq!(contacts_sorted(&s, even, 2).await, ["P6", "P2", "P4", "P0"], "{}", db.name);
        let ranged = ContactFilter {
            custom: vec![CustomCondition {
                key: "score".into(),
                matches: CustomMatch::Range {
                    min: Some(CustomValue::text("0")),
                    max: Some(CustomValue::text("25")),
                },
            }],
            ..by_score_down.clone()
        };
        assert_eq!(contacts_sorted(&s, ranged, 2).await, ["P4", "P2", "P6"]);
        let named = ContactFilter { name_prefix: Some("p7".into()), ..by_score.clone() };
        assert_eq!(contacts_sorted(&s, named, 2).await, ["P7"]);

        // A bad sort names `sort`; a cursor of another ordering is refused.
        let list = |filter: ContactFilter, page: PageRequest| {
            let contacts = s.contacts();
            async move { contacts.list(filter, page).await }
        };
        assert_invalid(
            list(
                ContactFilter { sort: sort("nope", false), ..ContactFilter::default() },
                PageRequest::default(),
            )
            .await,
            "sort",
        );
        assert_invalid(
            list(
                ContactFilter { sort: sort("channels", false), ..ContactFilter::default() },
                PageRequest::default(),
            )
            .await,
            "sort",
        );
        let up = list(by_score.clone(), PageRequest::first(2)).await.expect("page");
        let cursor = up.next_cursor.expect("more");
        assert_invalid(
            list(by_score_down.clone(), PageRequest::after(2, cursor.clone())).await,
            "cursor",
        );
        assert_invalid(
            list(ContactFilter::default(), PageRequest::after(2, cursor)).await,
            "cursor",
        );
        let newest = list(ContactFilter::default(), PageRequest::first(2)).await.expect("page");
        assert_invalid(
            list(by_score, PageRequest::after(2, newest.next_cursor.expect("more"))).await,
            "cursor",
        );
        db.flame.shutdown().await;
    }
}

#[tokio::test]
async fn organizations_and_deals_sort_by_a_custom_field() {
    for db in TestDb::each().await {
        let s = company(&db.flame, "Acme").await.session;
        let fields = s.custom_fields();
        fields
            .define(field(
                CustomEntity::Organization,
                "tier",
                CustomFieldKind::Select,
                &["bronze", "gold", "silver"],
            ))
            .await
            .expect("define tier");
        fields
            .define(field(CustomEntity::Deal, "margin", CustomFieldKind::Money, &[]))
            .await
            .expect("define margin");
        for (name, tier) in [
            ("Acme", Some("silver")),
            ("Birch", None),
            ("Cobalt", Some("bronze")),
            ("Dune", Some("gold")),
        ] {
            let custom = tier
                .map(|t| [("tier".to_owned(), CustomValue::text(t))].into())
                .unwrap_or_default();
            s.organizations()
                .create(NewOrganization { name: name.into(), custom, ..NewOrganization::default() })
                .await
                .expect("organization");
        }
        let orgs = s.organizations();
        let by_tier =
            OrganizationFilter { sort: sort("tier", false), ..OrganizationFilter::default() };
        let names = walk(1, |page| {
            let (orgs, filter) = (orgs.clone(), by_tier.clone());
            async move { orgs.list(filter, page).await }
        })
        .await
        .into_iter()
        .map(|o| o.name)
        .collect::<Vec<_>>();
        assert_eq!(names, ["Cobalt", "Dune", "Acme", "Birch"], "{}", db.name);
        let prefixed = OrganizationFilter { name_prefix: Some("d".into()), ..by_tier };
        let page = orgs.list(prefixed, PageRequest::default()).await.expect("list");
        assert_eq!(page.items.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["Dune"]);

        let eur = |amount: i64| CustomValue::Money {
            value: Money::from_minor(amount, flame_core::Currency::parse("EUR").expect("EUR"))
                .expect("money"),
        };
        for (title, margin) in
            [("Small", Some(5_00)), ("None", None), ("Big", Some(900_00)), ("Mid", Some(80_00))]
        {
            let custom = margin.map(|m| [("margin".to_owned(), eur(m))].into()).unwrap_or_default();
            s.deals()
                .create(NewDeal { custom, ..NewDeal::new(title, 100, "EUR") })
                .await
                .expect("deal");
        }
        let deals = s.deals();
        let by_margin = DealFilter { sort: sort("margin", true), ..DealFilter::default() };
        let titles = walk(2, |page| {
            let (deals, filter) = (deals.clone(), by_margin.clone());
            async move { deals.list(filter, page).await }
        })
        .await
        .into_iter()
        .map(|d| d.title)
        .collect::<Vec<_>>();
        assert_eq!(titles, ["Big", "Mid", "Small", "None"], "{}", db.name);
        assert_invalid(
            deals
                .list(
                    DealFilter { sort: sort("tier", false), ..DealFilter::default() },
                    PageRequest::default(),
                )
                .await,
            "sort",
        );
        db.flame.shutdown().await;
    }
}
