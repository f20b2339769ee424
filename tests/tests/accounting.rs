//! Accounting: winning a deal queues its invoice document for each enabled accounting
//! integration, exactly once per deal, in the documented JSON form; the host reports the
//! hand-over (sent, failed with the reason) through the document states.

use flame_core::contact::NewContact;
use flame_core::deal::{Deal, DealPatch, NewDeal};
use flame_core::integration::accounting::{
    AccountingPlatform, DocumentFilter, DocumentState, DocumentStatus,
};
use flame_core::integration::record::AccountingSettings;
use flame_core::integration::{
    Credentials, IntegrationId, IntegrationPatch, IntegrationSettings, NewIntegration,
};
use flame_core::organization::NewOrganization;
use flame_core::page::PageRequest;
use flame_core::{FlameError, Role};
use flame_db::SignedUp;
use flame_tests::{
    TestDb, assert_conflict, assert_forbidden, assert_invalid, assert_not_found, company,
    count_rows, snapshot,
};

async fn books(
    acme: &SignedUp,
    name: &str,
    platform: AccountingPlatform,
    vat_rate_bp: u32,
    vat_included: bool,
    invoice_on_won: bool,
) -> IntegrationId {
    acme.session
        .integrations()
        .create(NewIntegration {
            name: name.into(),
            settings: IntegrationSettings::Accounting(AccountingSettings {
                platform,
                vat_rate_bp,
                vat_included,
                invoice_on_won,
            }),
            credentials: Credentials::new(),
        })
        .await
        .expect("accounting integration")
        .id
}

/// A 1000.00 RUB deal with Ivan Petrov of Romashka LLC.
async fn deal_with_ivan(acme: &SignedUp) -> Deal {
    let s = &acme.session;
    let romashka = s
        .organizations()
        .create(NewOrganization { name: "Romashka LLC".into(), ..NewOrganization::default() })
        .await
        .expect("organization");
    let ivan = s
        .contacts()
        .create(NewContact {
            first_name: "Ivan".into(),
            last_name: Some("Petrov".into()),
            email: Some("ivan@example.ru".into()),
            phone: Some("+79991234567".into()),
            organization_id: Some(romashka.id),
            ..NewContact::default()
        })
        .await
        .expect("contact");
    s.deals()
        .create(NewDeal {
            contact_id: Some(ivan.id),
            ..NewDeal::new("Annual support", 1000_00, "RUB")
        })
        .await
        .expect("deal")
}

fn of_deal(deal: &Deal) -> DocumentFilter {
    DocumentFilter { deal_id: Some(deal.id), ..DocumentFilter::default() }
}

#[tokio::test]
async fn a_won_deal_queues_one_document_per_enabled_integration_exactly_once() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let one_c = books(&acme, "1C", AccountingPlatform::OneC, 2000, false, true).await;
        let sklad = books(&acme, "MoySklad", AccountingPlatform::MoySklad, 2000, true, true).await;
        let manual = books(&acme, "Xero", AccountingPlatform::Xero, 0, false, false).await;
        let off = books(&acme, "Old 1C", AccountingPlatform::OneC, 2000, false, true).await;
        let s = &acme.session;
        let current = s.integrations().get(off).await.expect("get");
        let patch = IntegrationPatch { enabled: Some(false), ..Default::default() };
        s.integrations().update(off, current.version, patch).await.expect("disable");

        let deal = deal_with_ivan(&acme).await;
        assert_eq!(count_rows(&db.url, "accounting_documents").await, 0);
        let won = s.deals().win(deal.id, deal.version).await.expect("win");
        let docs = s.accounting().documents(of_deal(&deal), PageRequest::default()).await;
        let docs = docs.expect("documents").items;
        assert_eq!(docs.len(), 2, "{}: {docs:#?}", db.name);
        let for_1c = docs.iter().find(|d| d.integration_id == one_c).expect("1C's");
        let for_sklad = docs.iter().find(|d| d.integration_id == sklad).expect("MoySklad's");
        assert!(docs.iter().all(|d| d.integration_id != manual && d.integration_id != off));

        // The documented JSON form, VAT on top or included.
        assert_eq!(for_1c.state, DocumentState::Queued);
        let invoice = for_1c.document.as_ref().expect("an invoice");
        let json = serde_json::to_value(invoice).expect("json");
        assert_eq!(json["schema"], "flame.invoice.v1");
        assert_eq!(json["document_id"], for_1c.id.to_string());
        assert_eq!(json["deal_id"], deal.id.to_string());
        assert_eq!(json["customer"]["name"], "Ivan Petrov");
        assert_eq!(json["customer"]["organization"], "Romashka LLC");
        assert_eq!(json["customer"]["email"], "ivan@example.ru");
        assert_eq!(json["lines"][0]["description"], "Annual support");
        assert_eq!(json["lines"][0]["vat_rate_bp"], 2000);
        assert_eq!(json["subtotal_minor"], 100_000);
        assert_eq!(json["vat_minor"], 20_000);
        assert_eq!(json["total_minor"], 120_000);
        assert_eq!(json["currency"], "RUB");
        let included = for_sklad.document.as_ref().expect("an invoice");
        assert_eq!(
            (included.subtotal_minor, included.vat_minor, included.total_minor),
            (83_333, 16_667, 100_000)
        );

        // Reopen, win again: still one document per integration, unchanged.
        let stages = s.pipelines().stages(won.pipeline_id).await.expect("stages");
        let reopened = s.deals().reopen(deal.id, stages[0].id, won.version).await.expect("reopen");
        s.deals().win(deal.id, reopened.version).await.expect("win again");
        let again = s.accounting().documents(of_deal(&deal), PageRequest::default()).await;
        assert_eq!(again.expect("documents").items, docs, "{}", db.name);
        assert_eq!(count_rows(&db.url, "accounting_documents").await, 2);

        // On demand, the integration that does not invoice on win gets one; the others stand.
        let queued = s.accounting().queue_invoice(deal.id).await.expect("queue");
        assert_eq!(queued.len(), 3);
        assert!(queued.contains(for_1c) && queued.contains(for_sklad));
        let for_xero = queued.iter().find(|d| d.integration_id == manual).expect("Xero's");
        assert_eq!(for_xero.document.as_ref().expect("invoice").vat_minor, 0);
        assert_eq!(s.accounting().queue_invoice(deal.id).await.expect("again"), queued);
        assert_eq!(count_rows(&db.url, "accounting_documents").await, 3);

        // A deal lost is not invoiced.
        let other = deal_with_ivan(&acme).await;
        s.deals().lose(other.id, "too expensive", other.version).await.expect("lose");
        assert_eq!(count_rows(&db.url, "accounting_documents").await, 3);
        assert_invalid(s.accounting().queue_invoice(other.id).await, "deal.status");
    }
}

#[tokio::test]
async fn a_deal_that_cannot_be_invoiced_still_wins_and_its_document_fails_with_the_reason() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let one_c = books(&acme, "1C", AccountingPlatform::OneC, 2000, false, true).await;
        let s = &acme.session;
        let deal = s.deals().create(NewDeal::new("No contact yet", 500_00, "EUR")).await;
        let deal = deal.expect("deal");
        let won = s.deals().win(deal.id, deal.version).await.expect("the win stands");
        let docs = s.accounting().documents(of_deal(&deal), PageRequest::default()).await;
        let failed = docs.expect("documents").items.pop().expect("a document");
        assert_eq!((failed.integration_id, failed.document.as_ref()), (one_c, None));
        match &failed.state {
            DocumentState::Failed { reason } => {
                assert!(reason.contains("deal.contact_id"), "{reason}")
            }
            other => panic!("expected a failed document, got {other:?}"),
        }
        let listed = s
            .accounting()
            .documents(
                DocumentFilter {
                    status: Some(DocumentStatus::Failed),
                    ..DocumentFilter::default()
                },
                PageRequest::default(),
            )
            .await
            .expect("failed ones");
        assert_eq!(listed.items, std::slice::from_ref(&failed));

        // Queued again on demand while the deal still has no contact: refused, nothing changes.
        let before = snapshot(&db.url).await;
        assert_invalid(s.accounting().queue_invoice(deal.id).await, "deal.contact_id");
        assert_eq!(s.accounting().get(failed.id).await.expect("same"), failed);
        assert_eq!(snapshot(&db.url).await, before);

        // Once the deal has a contact, the same document is queued with its invoice.
        let ada = s
            .contacts()
            .create(NewContact { first_name: "Ada".into(), ..NewContact::default() })
            .await
            .expect("contact");
        let patch = DealPatch { contact_id: Some(ada.id), ..DealPatch::default() };
        s.deals().update(deal.id, won.version, patch).await.expect("set the contact");
        let queued = s.accounting().queue_invoice(deal.id).await.expect("queued");
        assert_eq!(queued.len(), 1);
        assert_eq!((queued[0].id, &queued[0].state), (failed.id, &DocumentState::Queued));
        let invoice = queued[0].document.as_ref().expect("an invoice now");
        assert_eq!((invoice.document_id, invoice.customer.name.as_str()), (failed.id, "Ada"));
        assert_eq!(invoice.total_minor, 600_00);
        assert_eq!(queued[0].version, failed.version + 1);
        assert_eq!(count_rows(&db.url, "accounting_documents").await, 1);
    }
}

#[tokio::test]
async fn the_host_reports_sent_and_failed_through_the_document_states() {
    for db in TestDb::each().await {
        flame_tests::unlimited_plan(&db.flame).await;
        let acme = company(&db.flame, "Acme").await;
        let globex = company(&db.flame, "Globex").await;
        books(&acme, "1C", AccountingPlatform::OneC, 2000, false, true).await;
        books(&acme, "Xero", AccountingPlatform::Xero, 1000, false, true).await;
        let s = &acme.session;
        let deal = deal_with_ivan(&acme).await;
        s.deals().win(deal.id, deal.version).await.expect("win");
        let host = db.flame.accounting();
        let c = acme.company.id;
        let queued = host
            .list(
                c,
                DocumentFilter {
                    status: Some(DocumentStatus::Queued),
                    ..DocumentFilter::default()
                },
                PageRequest::first(1),
            )
            .await
            .expect("queued");
        assert_eq!(queued.items.len(), 1);
        let next = host
            .list(
                c,
                DocumentFilter::default(),
                PageRequest::after(1, queued.next_cursor.expect("more")),
            )
            .await
            .expect("next page");
        let (a, b) = (queued.items[0].clone(), next.items[0].clone());
        assert!(a.id < b.id, "oldest first");

        let sent = host.mark_sent(c, a.id).await.expect("sent");
        assert_eq!((sent.state.clone(), sent.version), (DocumentState::Sent, a.version + 1));
        assert_eq!(sent.document, a.document, "the document is what was sent");
        let failed = host.mark_failed(c, b.id, " accounting system answered 503 ").await;
        let failed = failed.expect("failed");
        assert_eq!(
            failed.state,
            DocumentState::Failed { reason: "accounting system answered 503".into() }
        );

        // Invalid moves are refused by the document states, and change nothing.
        let before = count_rows(&db.url, "accounting_documents").await;
        for result in [
            host.mark_sent(c, a.id).await,
            host.mark_failed(c, a.id, "late").await,
            host.mark_sent(c, b.id).await,
            host.mark_failed(c, b.id, "again").await,
        ] {
            assert!(matches!(result, Err(FlameError::InvalidTransition { .. })), "{result:?}");
        }
        assert_invalid(host.mark_failed(c, b.id, " ").await, "reason");
        assert_eq!(host.get(c, a.id).await.expect("a"), sent);
        assert_eq!(host.get(c, b.id).await.expect("b"), failed);
        assert_eq!(count_rows(&db.url, "accounting_documents").await, before);

        // An admin queues the failed one again: same id and invoice; the sent one stands.
        let retried = s.accounting().queue_invoice(deal.id).await.expect("retry");
        let again = retried.iter().find(|d| d.id == b.id).expect("b");
        assert_eq!((&again.state, &again.document), (&DocumentState::Queued, &b.document));
        assert!(retried.contains(&sent));
        host.mark_sent(c, b.id).await.expect("sent at last");

        // Another company's documents: NotFound, for the host and for sessions.
        let g = globex.company.id;
        assert_not_found(host.mark_sent(g, a.id).await);
        assert_not_found(host.mark_failed(g, b.id, "x").await);
        assert_not_found(host.get(g, a.id).await);
        assert_not_found(globex.session.accounting().get(a.id).await);
        assert_not_found(globex.session.accounting().queue_invoice(deal.id).await);
        let theirs = host.list(g, DocumentFilter::default(), PageRequest::default()).await;
        assert!(theirs.expect("list").items.is_empty());
        assert_not_found(host.mark_sent(c, uuid::Uuid::now_v7()).await);
    }
}

#[tokio::test]
async fn documents_are_for_admins_and_need_an_enabled_accounting_integration() {
    for db in TestDb::each().await {
        let acme = company(&db.flame, "Acme").await;
        let s = &acme.session;
        let deal = deal_with_ivan(&acme).await;
        let won = s.deals().win(deal.id, deal.version).await.expect("win without integrations");
        assert_eq!(count_rows(&db.url, "accounting_documents").await, 0);
        assert_conflict(s.accounting().queue_invoice(deal.id).await);

        let one_c = books(&acme, "1C", AccountingPlatform::OneC, 2000, false, false).await;
        let current = s.integrations().get(one_c).await.expect("get");
        let patch = IntegrationPatch { enabled: Some(false), ..Default::default() };
        s.integrations().update(one_c, current.version, patch).await.expect("disable");
        assert_conflict(s.accounting().queue_invoice(deal.id).await);
        assert_eq!(count_rows(&db.url, "accounting_documents").await, 0);

        let manager = s
            .members()
            .add(flame_core::company::NewMember {
                email: "max@acme.test".into(),
                name: "Max".into(),
                role: Role::Manager,
            })
            .await
            .expect("manager");
        let ms = db.flame.session(manager.user.id, acme.company.id).await.expect("session");
        assert_forbidden(ms.accounting().queue_invoice(won.id).await);
        assert_forbidden(
            ms.accounting().documents(DocumentFilter::default(), PageRequest::default()).await,
        );
        assert_forbidden(ms.accounting().get(uuid::Uuid::now_v7()).await);
        assert_not_found(s.accounting().queue_invoice(flame_core::DealId::new()).await);
    }
}
