"""Sources, activities, members, the company, billing, plans and events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import flame


def test_sources(owner: flame.Session) -> None:
    defaults = owner.sources.list()
    assert "Website" in {s.name for s in defaults}
    billboard = owner.sources.create("Billboard")
    assert owner.sources.get(billboard.id) == billboard
    with pytest.raises(flame.ConflictError):
        owner.sources.create("billboard")
    renamed = owner.sources.rename(billboard.id, "Billboards", billboard.version)
    assert renamed.name == "Billboards" and renamed.version == billboard.version + 1
    with pytest.raises(flame.ValidationError) as caught:
        owner.sources.rename(billboard.id, "", renamed.version)
    assert caught.value.field == "name"
    owner.sources.delete(renamed.id, renamed.version)
    assert len(owner.sources.list()) == len(defaults)


def test_activities(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada")
    deal = owner.deals.create("Robots", "1", "USD", contact_id=ada.id)
    note = owner.activities.create("note", "Met at the fair", contact_id=ada.id, subject="Fair")
    assert note.kind == "note" and note.subject == "Fair" and not note.is_done
    assert note.occurred_at.tzinfo is not None
    due = dt.datetime(2031, 1, 2, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    task = owner.activities.create("task", "Send the offer", deal_id=deal.id, due_at=due)
    assert task.due_at == due
    assert task.due_at is not None and task.due_at.utcoffset() == dt.timedelta(0)
    done = owner.activities.complete(task.id, task.version)
    assert done.is_done and done.done_at is not None
    updated = owner.activities.update(note.id, note.version, subject="", body="Met at the fair.")
    assert updated.subject is None and updated.body == "Met at the fair."
    assert owner.activities.get(note.id) == updated

    with pytest.raises(flame.ValidationError) as caught:
        owner.activities.create("note", "orphan")
    assert caught.value.field == "contact_id"
    with pytest.raises(flame.ValidationError) as kind:
        owner.activities.create("fax", "hello", contact_id=ada.id)  # type: ignore[arg-type]
    assert kind.value.field == "kind"
    with pytest.raises(flame.ValidationError) as due_err:
        owner.activities.create("note", "x", contact_id=ada.id, due_at=due)
    assert due_err.value.field == "due_at"

    assert len(owner.activities.list(contact_id=ada.id)) == 1
    assert len(owner.activities.list(deal_id=deal.id)) == 1
    assert [a.id for a in owner.activities.list(kind="task")] == [task.id]
    owner.activities.delete(updated.id, updated.version)
    assert len(owner.activities.list()) == 1


def test_members(owner: flame.Session, signed: flame.SignedUp) -> None:
    added = owner.members.add("Max@Acme.test", "Max Manager", "manager")
    assert added.user.email == "max@acme.test"
    assert added.membership.role == "manager"
    assert owner.members.get(added.user.id) == added
    assert added.to_dict()["membership"]["role"] == "manager"
    page = owner.members.list(limit=1)
    assert len(page) == 1 and page.next_cursor is not None
    assert len(owner.members.list()) == 2
    changed = owner.members.change_role(added.user.id, "admin", added.membership.version)
    assert changed.role == "admin"
    with pytest.raises(flame.ValidationError) as caught:
        owner.members.add("x@acme.test", "X", "boss")  # type: ignore[arg-type]
    assert caught.value.field == "role"
    with pytest.raises(flame.ValidationError):
        owner.members.add("not-an-email", "X", "member")
    owner.members.remove(added.user.id)
    with pytest.raises(flame.NotFoundError):
        owner.members.get(added.user.id)
    assert len(owner.members.list()) == 1


def test_company(owner: flame.Session, signed: flame.SignedUp, store: flame.Flame) -> None:
    company = owner.company.get()
    assert company == signed.company
    renamed = owner.company.rename("Acme Robotics", company.version)
    assert renamed.name == "Acme Robotics"
    with pytest.raises(flame.ConflictError):
        owner.company.rename("Stale", company.version)
    owner.company.delete(renamed.version)
    with pytest.raises((flame.UnauthenticatedError, flame.NotFoundError)):
        owner.company.get()


def test_billing_and_plans(owner: flame.Session, store: flame.Flame) -> None:
    subscription = owner.billing.subscription()
    assert subscription.company_id == owner.company_id
    assert subscription.status == "trialing"
    assert subscription.trial_ends_at is not None and subscription.trial_ends_at.tzinfo
    plan = owner.billing.plan()
    assert plan.id == subscription.plan_id
    assert plan.is_default
    assert isinstance(plan.price.amount, Decimal)
    assert store.plans.get(plan.id) == plan
    assert plan in store.plans.list()

    pro = store.plans.create(
        "pro-yearly",
        "Pro (yearly)",
        Decimal("990.00"),
        "EUR",
        interval="year",
        trial_days=30,
        limits=flame.PlanLimits(seats=25, contacts=None),
        public=False,
    )
    assert pro.price == flame.Money("990", "EUR")
    assert pro.interval == "year" and pro.limits.seats == 25 and pro.limits.contacts is None
    assert pro not in store.plans.list_public()
    assert store.plans.set_default(pro.id).is_default
    with pytest.raises(flame.ValidationError) as caught:
        store.plans.create("bad code!", "Bad", 1, "USD")
    assert caught.value.field == "code"
    with pytest.raises(flame.ValidationError) as price:
        store.plans.create("cheap", "Cheap", "-1", "USD")
    assert price.value.field == "price"
    with pytest.raises(flame.ConflictError):
        store.plans.create("pro-yearly", "Again", 1, "USD")


def test_plan_limits_are_enforced(store: flame.Flame) -> None:
    limits = flame.PlanLimits(seats=2, contacts=2, deals=1, pipelines=1)
    tiny = store.plans.create("tiny", "Tiny", 0, "USD", trial_days=14, limits=limits)
    store.plans.set_default(tiny.id)
    session = store.sign_up("Small", "s@small.test", "Sam").session
    session.contacts.create("One")
    two = session.contacts.create("Two")
    with pytest.raises(flame.PlanLimitExceededError) as caught:
        session.contacts.create("Three")
    assert caught.value.kind == "PlanLimitExceeded"
    assert caught.value.limit == "contacts"
    assert caught.value.allowed == 2 and caught.value.used == 2
    assert len(session.contacts.list()) == 2

    session.deals.create("First", 1, "USD")
    with pytest.raises(flame.PlanLimitExceededError) as deals:
        session.deals.create("Second", 1, "USD")
    assert (deals.value.limit, deals.value.allowed, deals.value.used) == ("deals", 1, 1)
    with pytest.raises(flame.PlanLimitExceededError) as pipelines:
        session.pipelines.create(
            "Second",
            [flame.NewStage("New", "open"), flame.NewStage("Won", "won"), flame.NewStage("Lost", "lost")],
        )
    assert pipelines.value.limit == "pipelines"
    session.members.add("m@small.test", "Mia", "member")
    with pytest.raises(flame.PlanLimitExceededError) as seats:
        session.members.add("n@small.test", "Nat", "member")
    assert seats.value.limit == "seats"
    invited = session.invitations.create("o@small.test", "member")
    with pytest.raises(flame.PlanLimitExceededError):
        store.accept_invitation(invited.token, name="Oli")
    assert len(session.members.list()) == 2
    assert len(session.pipelines.list()) == 1

    # Deleting frees the unit again.
    session.contacts.delete(two.id, two.version)
    session.contacts.create("Three")
    usage = session.billing.usage()
    assert (usage.seats, usage.contacts, usage.deals, usage.pipelines, usage.integrations) == (
        2,
        2,
        1,
        1,
        0,
    )
    assert usage.to_dict() == {
        "seats": 2,
        "contacts": 2,
        "deals": 1,
        "pipelines": 1,
        "integrations": 0,
        "organizations": 0,
    }


def test_events(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada")
    deal = owner.deals.create("Robots", "5", "USD", contact_id=ada.id)
    owner.deals.win(deal.id, deal.version)
    events = owner.events.list(limit=500)
    types = [e.event_type for e in events]
    assert types[:2] == ["company.created", "member.added"]
    assert "contact.created" in types and "deal.won" in types
    won = next(e for e in events if e.event_type == "deal.won")
    assert won.payload["type"] == "deal.won"
    assert won.payload["deal_id"] == str(deal.id)
    assert won.actor_id == owner.user_id
    assert won.occurred_at.tzinfo is not None
    first = owner.events.list(limit=2)
    rest = owner.events.list(limit=500, cursor=first.next_cursor)
    assert [e.id for e in first] + [e.id for e in rest] == [e.id for e in events]
    assert won.to_dict()["event_type"] == "deal.won"
