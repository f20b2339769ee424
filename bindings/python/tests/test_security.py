"""Tenant isolation, authentication and authorization."""

from __future__ import annotations

import pytest

import flame


def test_another_companys_records_are_not_found(store: flame.Flame, owner: flame.Session) -> None:
    ada = owner.contacts.create("Ada", email="ada@example.com")
    deal = owner.deals.create("Robots", "100", "USD", contact_id=ada.id)
    pipeline = owner.pipelines.default()
    globex = store.sign_up("Globex", "hank@globex.test", "Hank").session

    with pytest.raises(flame.NotFoundError) as caught:
        globex.contacts.get(ada.id)
    assert caught.value.entity == "contact"
    with pytest.raises(flame.NotFoundError):
        globex.contacts.update(ada.id, ada.version, first_name="Hacked")
    with pytest.raises(flame.NotFoundError):
        globex.contacts.delete(ada.id, ada.version)
    with pytest.raises(flame.NotFoundError):
        globex.deals.get(deal.id)
    with pytest.raises(flame.NotFoundError):
        globex.deals.win(deal.id, deal.version)
    with pytest.raises(flame.NotFoundError):
        globex.pipelines.get(pipeline.id)
    assert len(globex.contacts.list()) == 0
    assert len(globex.deals.list()) == 0

    assert owner.contacts.get(ada.id) == ada
    assert owner.deals.get(deal.id) == deal


def test_linking_another_companys_record_is_rejected(
    store: flame.Flame, owner: flame.Session
) -> None:
    globex = store.sign_up("Globex", "hank@globex.test", "Hank").session
    foreign_contact = globex.contacts.create("Hank's friend")
    foreign_stage = globex.pipelines.stages(globex.pipelines.default().id)[0]
    with pytest.raises((flame.ValidationError, flame.NotFoundError)):
        owner.deals.create("Robots", "100", "USD", contact_id=foreign_contact.id)
    with pytest.raises((flame.ValidationError, flame.NotFoundError)):
        owner.deals.create("Robots", "100", "USD", stage_id=foreign_stage.id)
    with pytest.raises((flame.ValidationError, flame.NotFoundError)):
        owner.activities.create("note", "hello", contact_id=foreign_contact.id)
    assert len(owner.deals.list()) == 0
    assert len(owner.activities.list()) == 0


def test_viewer_cannot_write(owner: flame.Session, store: flame.Flame) -> None:
    ada = owner.contacts.create("Ada")
    viewer_member = owner.members.add("vera@acme.test", "Vera Viewer", "viewer")
    viewer = store.session(viewer_member.user.id, owner.company_id)
    assert viewer.role == "viewer"
    assert viewer.contacts.get(ada.id) == ada  # reading is fine
    with pytest.raises(flame.ForbiddenError) as caught:
        viewer.contacts.create("Eve")
    assert caught.value.action
    assert caught.value.kind == "Forbidden"
    with pytest.raises(flame.ForbiddenError):
        viewer.contacts.update(ada.id, ada.version, first_name="Eve")
    with pytest.raises(flame.ForbiddenError):
        viewer.deals.create("Robots", "1", "USD")
    with pytest.raises(flame.ForbiddenError):
        viewer.sources.create("Billboard")
    with pytest.raises(flame.ForbiddenError):
        viewer.members.add("x@acme.test", "X", "admin")
    with pytest.raises(flame.ForbiddenError):
        viewer.company.rename("Evil", 1)
    assert owner.contacts.get(ada.id) == ada
    assert len(owner.contacts.list()) == 1
    assert len(owner.deals.list()) == 0


def test_member_writes_only_their_own(owner: flame.Session, store: flame.Flame) -> None:
    mia = owner.members.add("mia@acme.test", "Mia Member", "member")
    member = store.session(mia.user.id, owner.company_id)
    own = member.contacts.create("Mine")
    assert own.owner_id == mia.user.id
    theirs = owner.contacts.create("Owner's")
    with pytest.raises(flame.ForbiddenError):
        member.contacts.update(theirs.id, theirs.version, first_name="Stolen")
    with pytest.raises(flame.ForbiddenError):
        member.contacts.create("For the boss", owner_id=owner.user_id)
    assert owner.contacts.get(theirs.id) == theirs


def test_removed_member_loses_access(owner: flame.Session, store: flame.Flame) -> None:
    max_ = owner.members.add("max@acme.test", "Max", "manager")
    session = store.session(max_.user.id, owner.company_id)
    token = session.token()
    assert token is not None
    owner.members.remove(max_.user.id)
    with pytest.raises(flame.UnauthenticatedError):
        store.session(max_.user.id, owner.company_id)
    with pytest.raises(flame.UnauthenticatedError):
        store.authenticate(token)
    with pytest.raises(flame.UnauthenticatedError):
        session.contacts.list()
