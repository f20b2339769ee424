"""Contacts: create, read, update, delete, list, pagination, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

import flame


def count(session: flame.Session) -> int:
    return len(session.contacts.list(limit=500))


def test_crud(owner: flame.Session) -> None:
    engines = owner.organizations.create("Analytical Engines")
    ada = owner.contacts.create(
        " Ada ",
        last_name="Lovelace",
        email="Ada@Example.COM",
        phone="+44 20 7946 0958",
        organization_id=engines.id,
    )
    assert ada.organization_id == engines.id
    assert ada.first_name == "Ada"
    assert ada.email == "ada@example.com"
    assert ada.phone == "+442079460958"
    assert ada.owner_id == owner.user_id
    assert ada.version == 1
    ivan = owner.contacts.create("Ivan", phone="8 (912) 345-67-89", phone_region="RU")
    assert ivan.phone == "+79123456789"

    ae = owner.organizations.create("AE Ltd")
    updated = owner.contacts.update(ada.id, ada.version, email="", organization_id=ae.id)
    assert updated.email is None
    assert updated.organization_id == ae.id
    assert updated.last_name == "Lovelace"
    assert updated.version == 2
    assert owner.contacts.get(ada.id) == updated

    owner.contacts.delete(ivan.id, ivan.version)
    with pytest.raises(flame.NotFoundError) as caught:
        owner.contacts.get(ivan.id)
    assert caught.value.entity == "contact"
    assert count(owner) == 1


def test_filters(owner: flame.Session) -> None:
    owner.contacts.create("Ada", last_name="Lovelace", email="ada@example.com")
    owner.contacts.create("Alan", last_name="Turing", email="alan@bletchley.test")
    owner.contacts.create("Grace", last_name="Hopper", phone="+1 202 555 0143")
    assert {c.first_name for c in owner.contacts.list(name_prefix="a")} == {"Ada", "Alan"}
    assert [c.first_name for c in owner.contacts.list(email_prefix="ALAN")] == ["Alan"]
    assert [c.first_name for c in owner.contacts.list(phone_prefix="+1 202")] == ["Grace"]
    assert len(owner.contacts.list(owner_id=owner.user_id)) == 3


def test_pagination_with_cursors(owner: flame.Session) -> None:
    created = {owner.contacts.create(f"Person {i:02}").id for i in range(7)}
    seen: list[UUID] = []
    cursor = None
    pages = 0
    while True:
        page = owner.contacts.list(limit=3, cursor=cursor)
        pages += 1
        assert len(page) <= 3
        seen.extend(c.id for c in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == 7 and set(seen) == created
    first = owner.contacts.list(limit=3)
    assert first == owner.contacts.list(limit=3)
    assert first.to_dict()["next_cursor"] == first.next_cursor
    assert isinstance(first.to_dict()["items"][0], dict)
    assert repr(first).startswith("Page(items=[Contact(")


def test_bad_page_arguments(owner: flame.Session) -> None:
    with pytest.raises(flame.ValidationError) as caught:
        owner.contacts.list(limit=0)
    assert caught.value.field == "limit"
    with pytest.raises(flame.ValidationError) as caught:
        owner.contacts.list(cursor="garbage")
    assert caught.value.field == "cursor"


BAD_INPUT: list[tuple[str, Callable[[flame.Session], Any], str]] = [
    ("empty name", lambda s: s.contacts.create("   "), "first_name"),
    ("bad email", lambda s: s.contacts.create("Ada", email="not-an-email"), "email"),
    ("bad phone", lambda s: s.contacts.create("Ada", phone="12"), "phone"),
    (
        "bad region",
        lambda s: s.contacts.create("Ada", phone="8 999 123 45 67", phone_region="ZZ"),
        "phone_region",
    ),
    ("oversized text", lambda s: s.contacts.create("Ada", last_name="x" * 201), "last_name"),
    ("oversized name", lambda s: s.contacts.create("A" * 10_000), "first_name"),
]


@pytest.mark.parametrize("case,call,field", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_names_the_field_and_writes_nothing(
    owner: flame.Session, case: str, call: Callable[[flame.Session], Any], field: str
) -> None:
    owner.contacts.create("Existing")
    events_before = len(owner.events.list(limit=500))
    with pytest.raises(flame.ValidationError) as caught:
        call(owner)
    assert caught.value.field == field, case
    assert caught.value.reason
    assert field in str(caught.value)
    assert count(owner) == 1
    assert len(owner.events.list(limit=500)) == events_before


def test_bad_update_leaves_the_contact_unchanged(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada", email="ada@example.com")
    with pytest.raises(flame.ValidationError) as caught:
        owner.contacts.update(ada.id, ada.version, email="nope")
    assert caught.value.field == "email"
    assert owner.contacts.get(ada.id) == ada


def test_stale_version_is_a_conflict(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada")
    owner.contacts.update(ada.id, ada.version, last_name="Lovelace")
    with pytest.raises(flame.ConflictError) as caught:
        owner.contacts.update(ada.id, ada.version, last_name="Byron")
    assert caught.value.entity == "contact"
    assert owner.contacts.get(ada.id).last_name == "Lovelace"
    with pytest.raises(flame.ConflictError):
        owner.contacts.delete(ada.id, ada.version)
    assert count(owner) == 1


def test_owner_must_be_a_member(store: flame.Flame, owner: flame.Session) -> None:
    stranger = store.sign_up("Globex", "hank@globex.test", "Hank").owner
    with pytest.raises(flame.ValidationError) as caught:
        owner.contacts.create("Ada", owner_id=stranger.id)
    assert caught.value.field == "owner_id"
    assert count(owner) == 0
