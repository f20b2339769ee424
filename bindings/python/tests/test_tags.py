"""Tags: the vocabulary, tagging contacts and deals, filters, rename/merge/delete, bad input."""

from __future__ import annotations

import pytest

import flame


def test_tagging_creates_the_vocabulary(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada")
    tagged = owner.contacts.add_tag(ada.id, "VIP")
    assert tagged.tags == ["VIP"]
    assert tagged.version == ada.version  # tagging is not an edit of the contact
    again = owner.contacts.add_tag(ada.id, "vip")  # the same tag, in any case
    assert again.tags == ["VIP"]
    assert owner.contacts.add_tag(ada.id, "lead").tags == ["lead", "VIP"]
    assert [t.name for t in owner.tags.list()] == ["lead", "VIP"]
    assert owner.contacts.get(ada.id).tags == ["lead", "VIP"]
    assert owner.contacts.remove_tag(ada.id, "LEAD").tags == ["VIP"]
    assert [t.name for t in owner.tags.list()] == ["lead", "VIP"]  # the tag stays

    deal = owner.deals.create("Robots", 100, "USD")
    assert owner.deals.add_tag(deal.id, "vip").tags == ["VIP"]
    assert owner.deals.get(deal.id).tags == ["VIP"]
    assert owner.deals.remove_tag(deal.id, "vip").tags == []


def test_lists_filter_by_every_named_tag(owner: flame.Session) -> None:
    people = [owner.contacts.create(f"P{i}") for i in range(5)]
    for i, p in enumerate(people):
        if i % 2 == 0:
            owner.contacts.add_tag(p.id, "vip")
        if i < 3:
            owner.contacts.add_tag(p.id, "lead")
    vip = owner.contacts.list(tag="VIP")
    assert [c.first_name for c in vip.items] == ["P4", "P2", "P0"]
    both = owner.contacts.list(tag=["vip", "lead"], limit=1)
    assert [c.first_name for c in both.items] == ["P2"]
    rest = owner.contacts.list(tag=["vip", "lead"], limit=1, cursor=both.next_cursor)
    assert [c.first_name for c in rest.items] == ["P0"]
    assert rest.next_cursor is None
    assert owner.contacts.list(tag="nobody").items == []
    assert [c.first_name for c in owner.contacts.list(tag="vip", name_prefix="p").items] == [
        "P0",
        "P2",
        "P4",
    ]
    with pytest.raises(TypeError):
        owner.contacts.list(tag=3)  # type: ignore[arg-type]

    deal = owner.deals.create("Robots", 100, "USD")
    owner.deals.create("Other", 5, "USD")
    owner.deals.add_tag(deal.id, "hot")
    assert [d.id for d in owner.deals.list(tag="hot").items] == [deal.id]


def test_rename_recolor_merge_delete(owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada")
    owner.contacts.add_tag(ada.id, "vip")
    owner.contacts.add_tag(ada.id, "important")
    vip, important = sorted(owner.tags.list(), key=lambda t: t.name != "vip")
    renamed = owner.tags.rename(vip.id, vip.version, "VIP client")
    assert renamed.name == "VIP client"
    assert owner.tags.get(vip.id) == renamed
    with pytest.raises(flame.ConflictError):
        owner.tags.rename(renamed.id, vip.version, "stale")
    with pytest.raises(flame.ConflictError):
        owner.tags.rename(renamed.id, renamed.version, "IMPORTANT")
    colored = owner.tags.set_color(renamed.id, renamed.version, "#FF0000")
    assert colored.color == "#ff0000"
    with pytest.raises(flame.ValidationError) as bad:
        owner.tags.set_color(colored.id, colored.version, "red")
    assert bad.value.field == "color"
    assert owner.tags.set_color(colored.id, colored.version, None).color is None

    into = owner.tags.merge(important.id, vip.id)
    assert into.id == vip.id
    assert owner.contacts.get(ada.id).tags == ["VIP client"]
    with pytest.raises(flame.NotFoundError):
        owner.tags.get(important.id)
    current = owner.tags.get(vip.id)
    owner.tags.delete(current.id, current.version)
    assert owner.contacts.get(ada.id).tags == []
    assert owner.tags.list() == []


def test_bad_names_and_rights(owner: flame.Session, store: flame.Flame) -> None:
    ada = owner.contacts.create("Ada")
    with pytest.raises(flame.ValidationError) as blank:
        owner.contacts.add_tag(ada.id, "  ")
    assert blank.value.field == "tag"
    with pytest.raises(flame.ValidationError):
        owner.contacts.add_tag(ada.id, "x" * 65)
    assert owner.contacts.get(ada.id).tags == []
    assert owner.tags.list() == []

    other = store.sign_up("Other", "v@other.test", "Vera Viewer").session
    with pytest.raises(flame.NotFoundError):
        other.contacts.add_tag(ada.id, "mine")  # another company's contact
    invite = owner.invitations.create("v@other.test", "viewer")
    viewer = other.account.accept_invitation(invite.token)
    with pytest.raises(flame.ForbiddenError):
        viewer.contacts.add_tag(ada.id, "vip")
    owner.contacts.add_tag(ada.id, "vip")
    tag = owner.tags.list()[0]
    assert viewer.tags.list() == [tag]
    with pytest.raises(flame.ForbiddenError):
        viewer.tags.rename(tag.id, tag.version, "x")
