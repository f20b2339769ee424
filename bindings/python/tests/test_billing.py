"""Billing: plan changes, cancellation and the read-only company, the host's payment hook,
and health's subscription counts by status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import pytest

import flame


def _in_days(days: int) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)


def _pay(store: flame.Flame, company_id: UUID, ref: str, days: int = 30) -> flame.Subscription:
    return store.subscriptions.record_payment(
        company_id, ref, "succeeded", Decimal("19.00"), "EUR", period_end=_in_days(days)
    )


def test_a_hidden_plan_cannot_be_chosen_and_limits_are_bounded(
    store: flame.Flame, owner: flame.Session
) -> None:
    hidden = store.plans.create("partner", "Partner", "0", "EUR", trial_days=14, public=False)
    sub = owner.billing.subscription()
    with pytest.raises(flame.ValidationError) as caught:
        owner.billing.change_plan(hidden.id, sub.version)
    assert caught.value.field == "plan_id"
    assert owner.billing.subscription() == sub

    huge = flame.PlanLimits(contacts=3_000_000_000)
    with pytest.raises(flame.ValidationError) as refused:
        store.plans.create("huge", "Huge", "0", "EUR", limits=huge)
    assert refused.value.field == "limits.contacts"
    largest = store.plans.create(
        "largest", "Largest", "0", "EUR", limits=flame.PlanLimits(contacts=2_147_483_647)
    )
    assert store.plans.get(largest.id).limits.contacts == 2_147_483_647
    assert largest.id in [p.id for p in store.plans.list()]


def test_change_plan_upgrades_and_refuses_a_downgrade_below_usage(
    store: flame.Flame, owner: flame.Session
) -> None:
    small = store.plans.create(
        "small", "Small", "9", "EUR", trial_days=14, limits=flame.PlanLimits(contacts=1)
    )
    big = store.plans.create("big", "Big", "99", "EUR", trial_days=14)
    owner.contacts.create("A")
    owner.contacts.create("B")
    billing = owner.billing
    sub = billing.subscription()
    with pytest.raises(flame.PlanLimitExceededError) as caught:
        billing.change_plan(small.id, sub.version)
    assert (caught.value.limit, caught.value.allowed, caught.value.used) == ("contacts", 1, 2)
    assert "contacts" in str(caught.value)
    assert billing.subscription() == sub

    upgraded = billing.change_plan(big.id, sub.version)
    assert upgraded.plan_id == big.id and upgraded.version == sub.version + 1
    assert upgraded.status == "trialing"
    assert billing.plan() == big
    with pytest.raises(flame.ConflictError):
        billing.change_plan(small.id, sub.version)  # stale
    with pytest.raises(flame.ConflictError):
        billing.change_plan(big.id, upgraded.version)  # already on it
    with pytest.raises(flame.NotFoundError):
        billing.change_plan(UUID(int=1), upgraded.version)

    # Only the owner manages billing.
    admin = owner.members.add("admin@acme.test", "Ann Admin", "admin")
    as_admin = store.session(admin.user.id, owner.company_id)
    with pytest.raises(flame.ForbiddenError):
        as_admin.billing.change_plan(small.id, upgraded.version)
    with pytest.raises(flame.ForbiddenError):
        as_admin.billing.cancel(upgraded.version)
    assert as_admin.billing.usage() == billing.usage()


def test_a_canceled_company_is_read_only_until_a_payment_revives_it(
    url: str, store: flame.Flame, signed: flame.SignedUp
) -> None:
    session = signed.session
    company_id = signed.company.id
    ada = session.contacts.create("Ada")
    sub = session.billing.subscription()
    canceled = session.billing.cancel(sub.version)
    assert canceled.status == "canceled" and canceled.version == sub.version + 1
    assert store.subscriptions.get(company_id) == canceled

    assert session.contacts.get(ada.id) == ada  # reads work
    assert len(session.deals.list()) == 0
    with pytest.raises(flame.ReadOnlyError) as caught:
        session.contacts.create("Bob")
    assert caught.value.kind == "ReadOnly"
    assert "canceled" in caught.value.reason
    assert isinstance(caught.value, flame.FlameError)
    with pytest.raises(flame.ReadOnlyError):
        session.contacts.update(ada.id, ada.version, first_name="Ada B.")
    with pytest.raises(flame.ReadOnlyError):
        session.deals.create("Robots", 1, "EUR")
    with pytest.raises(flame.ReadOnlyError):
        session.company.rename("Acme 2", signed.company.version)
    with pytest.raises(flame.ReadOnlyError):
        session.billing.change_plan(sub.plan_id, canceled.version)
    with pytest.raises(flame.ReadOnlyError):
        session.invitations.create("x@acme.test", "member")
    # A session of another store (another process) sees it too.
    with flame.open(url) as other_store:
        other = other_store.session(signed.owner.id, company_id)
        assert other.contacts.get(ada.id) == ada
        with pytest.raises(flame.ReadOnlyError):
            other.contacts.create("Bob")
    assert [c.id for c in session.contacts.list()] == [ada.id]

    # A failed payment on a canceled subscription is not a valid transition.
    with pytest.raises(flame.InvalidTransitionError) as transition:
        store.subscriptions.record_payment(
            company_id, "ch_0", "failed", 19, "EUR", failure_reason="card declined"
        )
    assert transition.value.entity == "subscription"
    assert (transition.value.from_state, transition.value.to_state) == ("canceled", "past_due")

    revived = _pay(store, company_id, "ch_1")
    assert revived.status == "active" and revived.trial_ends_at is None
    again = _pay(store, company_id, "ch_1", days=60)  # a redelivery changes nothing
    assert again.version == revived.version
    payments = session.billing.payments()
    assert len(payments) == 1
    payment = payments[0]
    assert payment.provider_ref == "ch_1" and payment.outcome == "succeeded"
    assert payment.amount == flame.Money("19", "EUR")
    assert payment.period_end is not None and payment.period_end.tzinfo is not None
    assert payment.company_id == company_id and payment.subscription_id == sub.id
    assert payment.to_dict()["amount"] == {"amount": Decimal("19.00"), "currency": "EUR"}
    session.contacts.create("Bob")  # writable again

    # A failure puts it past due (still writable); expiry makes it read-only again.
    past_due = store.subscriptions.record_payment(
        company_id, "ch_2", "failed", "19.00", "EUR", failure_reason="card declined"
    )
    assert past_due.status == "past_due"
    session.contacts.create("Cy")
    failed = session.billing.payments()[0]
    assert (failed.outcome, failed.failure_reason, failed.period_end) == (
        "failed",
        "card declined",
        None,
    )
    expired = store.subscriptions.expire(company_id)
    assert expired.status == "expired"
    with pytest.raises(flame.ReadOnlyError):
        session.contacts.create("Dee")
    assert _pay(store, company_id, "ch_3").status == "active"
    session.contacts.create("Dee")


def test_payment_input_is_checked_by_field_and_stores_nothing(
    store: flame.Flame, signed: flame.SignedUp
) -> None:
    company_id = signed.company.id
    subs = store.subscriptions
    before = subs.get(company_id)
    end = _in_days(30)

    def paid(
        ref: str = "ch", amount: flame.Amount = 19, currency: str = "EUR"
    ) -> Callable[[], object]:
        return lambda: subs.record_payment(
            company_id, ref, "succeeded", amount, currency, period_end=end
        )

    bad_input: list[tuple[Callable[[], object], str]] = [
        (paid(currency="XXZ"), "currency"),
        (paid(amount="-1"), "amount"),
        (paid(amount="1.001"), "amount"),
        (paid(ref=" "), "provider_ref"),
        (lambda: subs.record_payment(company_id, "ch", "succeeded", 19, "EUR"), "period_end"),
        (
            lambda: subs.record_payment(company_id, "ch", "failed", 19, "EUR", period_end=end),
            "period_end",
        ),
        (
            lambda: subs.record_payment(
                company_id, "ch", "succeeded", 19, "EUR", period_end=_in_days(-1)
            ),
            "period_end",
        ),
        (
            lambda: subs.record_payment(
                company_id, "ch", "maybe", 19, "EUR", period_end=end  # type: ignore[arg-type]
            ),
            "outcome",
        ),
    ]
    for call, field in bad_input:
        with pytest.raises(flame.ValidationError) as caught:
            call()
        assert caught.value.field == field, field
    with pytest.raises(TypeError):
        subs.record_payment(company_id, "ch", "succeeded", 19.0, "EUR", period_end=end)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        subs.record_payment(
            company_id, "ch", "succeeded", 19, "EUR", period_end=dt.datetime(2040, 1, 1)
        )
    with pytest.raises(flame.NotFoundError):
        _pay(store, UUID(int=1), "ch")
    with pytest.raises(flame.NotFoundError):
        subs.get(UUID(int=1))
    with pytest.raises(flame.NotFoundError):
        subs.expire(UUID(int=1))
    assert subs.get(company_id) == before
    assert signed.session.billing.payments() == []


def test_health_counts_subscriptions_by_status(store: flame.Flame) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga")
    globex = store.sign_up("Globex", "owner@globex.test", "Hank")
    initech = store.sign_up("Initech", "owner@initech.test", "Bill")
    umbrella = store.sign_up("Umbrella", "owner@umbrella.test", "Al")
    _pay(store, globex.company.id, "ch_g")
    _pay(store, umbrella.company.id, "ch_u")
    store.subscriptions.record_payment(umbrella.company.id, "ch_u2", "failed", 19, "EUR")
    sub = initech.session.billing.subscription()
    initech.session.billing.cancel(sub.version)
    store.subscriptions.expire(acme.company.id)
    store.sign_up("Hooli", "owner@hooli.test", "Gavin")

    counts = store.health().counts
    assert counts is not None and counts.subscriptions == 5
    by_status = counts.subscriptions_by_status
    assert (
        by_status.trialing,
        by_status.active,
        by_status.past_due,
        by_status.canceled,
        by_status.expired,
    ) == (1, 1, 1, 1, 1)
    assert by_status.to_dict() == {
        "trialing": 1,
        "active": 1,
        "past_due": 1,
        "canceled": 1,
        "expired": 1,
    }
    assert "subscriptions_by_status=SubscriptionCounts(trialing=1" in repr(counts)
    assert store.health().to_dict()["counts"]["subscriptions_by_status"]["expired"] == 1
    # No trial has lapsed: the sweep stores nothing.
    assert store.subscriptions.expire_lapsed_trials() == 0
