"""Account takeover: an invitation or a sign-up never yields an existing user's session or
sets their password; an existing user joins and adds companies from their own session."""

from __future__ import annotations

import pytest

import flame

PASSWORD = "correct horse battery"
EVIL = "evil horse battery staple"


def test_an_invitation_to_an_existing_email_must_be_accepted_from_its_session(
    store: flame.Flame,
) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    evil = store.sign_up("Evil", "owner@evil.test", "Mallory", password=PASSWORD)
    sent = evil.session.invitations.create("owner@acme.test", "owner")

    answers: set[str] = set()
    attempts: list[tuple[flame.Secret | str, str | None]] = [
        (sent.token, None),
        (sent.token, EVIL),
        ("flame_inv_" + "0" * 64, None),
        ("not a token", None),
    ]
    for token, password in attempts:
        with pytest.raises(flame.UnauthenticatedError) as caught:
            store.accept_invitation(token, name="Mallory", password=password)
        answers.add(str(caught.value))
    assert len(answers) == 1, answers
    with pytest.raises(flame.UnauthenticatedError):
        store.login("owner@acme.test", EVIL)
    assert [c.company_name for c in acme.session.account.companies()] == ["Acme"]

    other = store.sign_up("Other", "other@other.test", "Otto", password=PASSWORD)
    with pytest.raises(flame.ForbiddenError):
        other.session.account.accept_invitation(sent.token)
    joined = acme.session.account.accept_invitation(sent.token)
    assert joined.company_id == evil.company.id and joined.role == "owner"
    assert joined.user_id == acme.owner.id
    with pytest.raises(flame.UnauthenticatedError):
        acme.session.account.accept_invitation(sent.token)


def test_sign_up_with_a_known_email_is_a_conflict(store: flame.Flame) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    with pytest.raises(flame.ConflictError) as caught:
        store.sign_up("Evil", "Owner@Acme.test", "Mallory", password=EVIL)
    assert caught.value.entity == "owner_email"
    with pytest.raises(flame.UnauthenticatedError):
        store.login("owner@acme.test", EVIL)

    second = acme.session.account.create_company("Acme Two")
    assert second.company.name == "Acme Two" and second.owner.id == acme.owner.id
    assert second.session.company_id == second.company.id and second.session.role == "owner"
    with pytest.raises(flame.ValidationError) as blank:
        acme.session.account.create_company("  ")
    assert blank.value.field == "name"


def test_an_invitation_dies_with_its_inviters_role(store: flame.Flame) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    admin = acme.session.members.add("admin@acme.test", "Adam", "admin")
    as_admin = store.session(admin.user.id, acme.company.id)
    sent = as_admin.invitations.create("new@acme.test", "member")
    acme.session.members.remove(admin.user.id)
    with pytest.raises(flame.UnauthenticatedError):
        store.accept_invitation(sent.token, name="Nina", password=EVIL)
