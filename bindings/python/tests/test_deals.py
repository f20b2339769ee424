"""Deals: money as Decimal, the stage transitions, filters, and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import flame


def stage_id(session: flame.Session, name: str) -> flame.Stage:
    pipeline = session.pipelines.default()
    return next(s for s in session.pipelines.stages(pipeline.id) if s.name == name)


def deal_count(session: flame.Session) -> int:
    return len(session.deals.list(limit=500))


@pytest.mark.parametrize(
    "amount,currency,expected",
    [
        (Decimal("1250000.00"), "USD", Decimal("1250000.00")),
        (Decimal("0.07"), "usd", Decimal("0.07")),
        ("1234.5", "EUR", Decimal("1234.50")),
        (1000, "JPY", Decimal("1000")),
        (Decimal("1E+3"), "USD", Decimal("1000.00")),
        ("1.234", "KWD", Decimal("1.234")),
    ],
)
def test_money_round_trips_as_decimal(
    owner: flame.Session, amount: flame.Amount, currency: str, expected: Decimal
) -> None:
    deal = owner.deals.create("Robots", amount, currency)
    assert isinstance(deal.value.amount, Decimal)
    assert deal.value.amount == expected
    assert str(deal.value.amount) == str(expected)
    assert deal.value.currency == currency.upper()
    again = owner.deals.get(deal.id)
    assert again.value == deal.value
    assert again.value.amount == expected
    assert deal.to_dict()["value"] == {"amount": expected, "currency": currency.upper()}


def test_money_value_object() -> None:
    money = flame.Money("12.5", "usd")
    assert money.amount == Decimal("12.50")
    assert money.amount_minor == 1250
    assert money.currency == "USD"
    assert str(money) == "12.50 USD"
    assert repr(money) == "Money(Decimal('12.50'), 'USD')"
    assert money == flame.Money(Decimal("12.50"), "USD")
    assert {money, flame.Money("12.50", "USD")} == {money}
    with pytest.raises(TypeError):
        flame.Money(12.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(flame.ValidationError) as caught:
        flame.Money("1.001", "USD")
    assert caught.value.field == "amount"


@pytest.mark.parametrize(
    "amount,currency,field",
    [
        (Decimal("-5"), "USD", "amount"),
        ("-0.01", "USD", "amount"),
        ("12.345", "USD", "amount"),
        ("1.5", "JPY", "amount"),
        ("abc", "USD", "amount"),
        (Decimal("NaN"), "USD", "amount"),
        ("99999999999999999999", "USD", "amount"),
        ("10", "ABC", "currency"),
        ("10", "XAU", "currency"),
    ],
)
def test_bad_money_is_rejected_and_nothing_written(
    owner: flame.Session, amount: flame.Amount, currency: str, field: str
) -> None:
    owner.deals.create("Existing", 1, "USD")
    with pytest.raises(flame.ValidationError) as caught:
        owner.deals.create("Robots", amount, currency)
    assert caught.value.field == field
    assert deal_count(owner) == 1


def test_float_and_bool_amounts_are_type_errors(owner: flame.Session) -> None:
    with pytest.raises(TypeError, match="float"):
        owner.deals.create("Robots", 12.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bool"):
        owner.deals.create("Robots", True, "USD")
    assert deal_count(owner) == 0


def test_create_with_links_and_update(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada")
    source = owner.sources.list()[0]
    close = dt.date(2031, 3, 14)
    deal = owner.deals.create(
        "Robots", "100", "USD", contact_id=ada.id, source_id=source.id, expected_close=close
    )
    assert deal.contact_id == ada.id
    assert deal.source_id == source.id
    assert deal.expected_close == close and isinstance(deal.expected_close, dt.date)
    assert deal.assignee_id == owner.user_id
    assert deal.status == "open"
    assert deal.stage_id == stage_id(owner, "New").id

    # The amount is read in the deal's currency when none is given.
    cheaper = owner.deals.update(deal.id, deal.version, title="Fewer robots", amount="99.99")
    assert cheaper.title == "Fewer robots"
    assert cheaper.value == flame.Money("99.99", "USD")
    yen = owner.deals.update(cheaper.id, cheaper.version, amount=15000, currency="jpy")
    assert yen.value == flame.Money(15000, "JPY")
    with pytest.raises(flame.ValidationError) as caught:
        owner.deals.update(yen.id, yen.version, amount="1.5")
    assert caught.value.field == "amount"
    with pytest.raises(flame.ConflictError):
        owner.deals.update(deal.id, deal.version, title="stale")
    assert owner.deals.get(deal.id) == yen

    owner.deals.delete(yen.id, yen.version)
    with pytest.raises(flame.NotFoundError):
        owner.deals.get(deal.id)


def test_transitions(owner: flame.Session) -> None:
    deal = owner.deals.create("Robots", "1000", "USD")
    qualified = stage_id(owner, "Qualified")
    moved = owner.deals.move_to_stage(deal.id, qualified.id, deal.version)
    assert moved.stage_id == qualified.id and moved.status == "open"
    won = owner.deals.win(moved.id, moved.version)
    assert won.status == "won"
    assert won.closed_at is not None and won.closed_at.tzinfo is not None
    with pytest.raises(flame.InvalidTransitionError) as caught:
        owner.deals.move_to_stage(won.id, qualified.id, won.version)
    assert caught.value.entity == "deal"
    assert caught.value.from_state == "won"
    assert owner.deals.get(deal.id) == won

    with pytest.raises(flame.ValidationError) as bad:
        owner.deals.reopen(won.id, stage_id(owner, "Lost").id, won.version)
    assert bad.value.field == "stage_id"
    reopened = owner.deals.reopen(won.id, qualified.id, won.version)
    assert reopened.status == "open" and reopened.closed_at is None

    with pytest.raises(flame.ValidationError) as no_reason:
        owner.deals.lose(reopened.id, "  ", reopened.version)
    assert no_reason.value.field == "lost_reason"
    lost = owner.deals.lose(reopened.id, "Too expensive", reopened.version)
    assert lost.status == "lost" and lost.lost_reason == "Too expensive"

    other = owner.deals.create("Arm", "10", "USD")
    lost_stage = stage_id(owner, "Lost")
    lost2 = owner.deals.lose_in_stage(other.id, lost_stage.id, "Went local", other.version)
    assert lost2.stage_id == lost_stage.id and lost2.status == "lost"

    assert {d.id for d in owner.deals.list(status="lost")} == {deal.id, other.id}
    assert owner.deals.list(status="won").items == []
    with pytest.raises(flame.ValidationError) as bad_status:
        owner.deals.list(status="bogus")  # type: ignore[arg-type]
    assert bad_status.value.field == "status"


def test_list_filters_and_pages(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada")
    for i in range(5):
        owner.deals.create(f"Deal {i}", i, "USD", contact_id=ada.id if i % 2 else None)
    owner.deals.create("Other", 1, "EUR")
    assert len(owner.deals.list(contact_id=ada.id)) == 2
    first = owner.deals.list(limit=4)
    assert len(first) == 4 and first.next_cursor is not None
    rest = owner.deals.list(limit=4, cursor=first.next_cursor)
    assert len(rest) == 2 and rest.next_cursor is None
    assert not {d.id for d in first} & {d.id for d in rest}
    pipeline = owner.pipelines.default()
    assert len(owner.deals.list(pipeline_id=pipeline.id, limit=100)) == 6
