"""Accounting documents: winning a deal queues one invoice per accounting integration, the
host marks them sent or failed, a failed one is queued again, and the state machine refuses
the rest."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

import flame


def books(s: flame.Session, name: str, *, invoice_on_won: bool = True) -> uuid.UUID:
    """An accounting integration at 20 % VAT on top of the deal's amount."""
    settings = flame.AccountingSettings(
        "quickbooks", vat_rate_bp=2000, vat_included=False, invoice_on_won=invoice_on_won
    )
    return s.integrations.create(name, settings).id


def ivans_deal(s: flame.Session) -> flame.Deal:
    """An open deal of 1,200.00 USD with Ivan."""
    ivan = s.contacts.create("Ivan", last_name="Petrov", email="ivan@example.com")
    return s.deals.create("Website", Decimal("1200.00"), "USD", contact_id=ivan.id)


def test_winning_a_deal_queues_one_invoice_per_accounting_integration(
    store: flame.Flame, owner: flame.Session
) -> None:
    first = books(owner, "QuickBooks")
    second = books(owner, "Xero")
    deal = ivans_deal(owner)
    assert len(owner.accounting.documents()) == 0
    won = owner.deals.win(deal.id, deal.version)

    documents = owner.accounting.documents().items
    assert sorted(d.integration_id for d in documents) == sorted([first, second])
    for d in documents:
        assert isinstance(d, flame.AccountingDocument)
        assert (d.deal_id, d.company_id, d.status, d.failure_reason) == (
            deal.id,
            owner.company_id,
            "queued",
            None,
        )
        invoice = d.document
        assert invoice is not None
        assert invoice["schema"] == "flame.invoice.v1"
        assert invoice["document_id"] == str(d.id)
        assert invoice["deal_id"] == str(deal.id)
        assert invoice["customer"]["name"] == "Ivan Petrov"
        assert (invoice["subtotal_minor"], invoice["vat_minor"], invoice["total_minor"]) == (
            120000,
            24000,
            144000,
        )
        assert invoice["currency"] == "USD"
        assert d.to_dict()["document"] == invoice
        assert owner.accounting.get(d.id) == d == store.accounting.get(owner.company_id, d.id)

    # Exactly once: queueing on demand, or winning again after a reopen, adds nothing.
    assert sorted(d.id for d in owner.accounting.queue_invoice(deal.id)) == sorted(
        d.id for d in documents
    )
    first_stage = owner.pipelines.stages(won.pipeline_id)[0]
    reopened = owner.deals.reopen(deal.id, first_stage.id, won.version)
    owner.deals.win(deal.id, reopened.version)
    assert owner.accounting.documents().items == documents

    # Filters.
    assert len(owner.accounting.documents(integration_id=first)) == 1
    assert len(owner.accounting.documents(deal_id=deal.id, status="queued")) == 2
    assert len(owner.accounting.documents(status="sent")) == 0
    page = owner.accounting.documents(limit=1)
    assert len(page) == 1 and page.next_cursor is not None
    rest = owner.accounting.documents(limit=1, cursor=page.next_cursor)
    assert len(rest) == 1 and rest.items[0].id != page.items[0].id
    with pytest.raises(flame.ValidationError) as caught:
        owner.accounting.documents(status="lost")  # type: ignore[arg-type]
    assert caught.value.field == "status"


def test_the_host_marks_documents_sent_or_failed(
    store: flame.Flame, owner: flame.Session
) -> None:
    books(owner, "QuickBooks")
    books(owner, "Xero")
    deal = ivans_deal(owner)
    owner.deals.win(deal.id, deal.version)
    host = store.accounting
    c = owner.company_id
    a, b = host.list(c, status="queued").items

    sent = host.mark_sent(c, a.id)
    assert (sent.status, sent.failure_reason, sent.version) == ("sent", None, a.version + 1)
    failed = host.mark_failed(c, b.id, "QuickBooks refused the customer")
    assert (failed.status, failed.failure_reason) == ("failed", "QuickBooks refused the customer")
    assert failed.document == b.document
    assert [d.id for d in host.list(c, status="failed")] == [b.id]

    # A sent document is final; a failed one is not queued.
    with pytest.raises(flame.InvalidTransitionError) as caught:
        host.mark_sent(c, a.id)
    assert caught.value.kind == "InvalidTransition"
    assert (caught.value.from_state, caught.value.to_state) == ("sent", "sent")
    with pytest.raises(flame.InvalidTransitionError):
        host.mark_failed(c, a.id, "late")
    with pytest.raises(flame.InvalidTransitionError):
        host.mark_sent(c, b.id)
    with pytest.raises(flame.InvalidTransitionError):
        host.mark_failed(c, b.id, "again")
    with pytest.raises(flame.ValidationError) as reason:
        host.mark_failed(c, b.id, " ")
    assert reason.value.field == "reason"
    assert host.get(c, a.id) == sent and host.get(c, b.id) == failed

    # An admin queues the failed one again: same id and invoice; the sent one stands.
    retried = {d.id: d for d in owner.accounting.queue_invoice(deal.id)}
    assert (retried[b.id].status, retried[b.id].document) == ("queued", b.document)
    assert retried[a.id] == sent
    assert host.mark_sent(c, b.id).status == "sent"

    # Another company's documents are not found.
    globex = store.sign_up("Globex", "owner@globex.test", "Gus")
    g = globex.company.id
    with pytest.raises(flame.NotFoundError):
        host.mark_sent(g, a.id)
    with pytest.raises(flame.NotFoundError):
        host.get(g, a.id)
    with pytest.raises(flame.NotFoundError):
        globex.session.accounting.get(a.id)
    assert len(host.list(g)) == 0
    with pytest.raises(flame.NotFoundError):
        host.mark_failed(c, uuid.uuid4(), "x")


def test_an_invoice_that_cannot_be_made_is_failed_and_documents_are_for_admins(
    store: flame.Flame, owner: flame.Session
) -> None:
    # Without an accounting integration nothing is queued, and asking is a conflict.
    lone = owner.deals.create("No integration", 5, "USD")
    lone = owner.deals.win(lone.id, lone.version)
    with pytest.raises(flame.ConflictError):
        owner.accounting.queue_invoice(lone.id)

    books(owner, "QuickBooks")
    # A won deal without a contact still wins; its document records why it failed.
    nobody = owner.deals.create("Nobody", 10, "USD")
    owner.deals.win(nobody.id, nobody.version)
    [doc] = owner.accounting.documents(deal_id=nobody.id)
    assert doc.status == "failed" and doc.document is None
    assert doc.failure_reason
    # Asked for on demand, such a deal is refused with the field that is missing.
    with pytest.raises(flame.ValidationError) as caught:
        owner.accounting.queue_invoice(nobody.id)
    assert caught.value.field.startswith("deal.")
    # An open deal cannot be invoiced.
    open_deal = ivans_deal(owner)
    with pytest.raises(flame.ValidationError):
        owner.accounting.queue_invoice(open_deal.id)
    assert len(owner.accounting.documents()) == 1

    manager = owner.members.add("max@acme.test", "Max", "manager")
    ms = store.session(manager.user.id, owner.company_id)
    with pytest.raises(flame.ForbiddenError):
        ms.accounting.documents()
    with pytest.raises(flame.ForbiddenError):
        ms.accounting.queue_invoice(nobody.id)
