"""Opening a store, health, sign-up, sessions and the shape of records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from uuid import UUID

import pytest

import flame


def test_open_reports_backend_and_health(store: flame.Flame, url: str) -> None:
    expected = "sqlite" if url.startswith("sqlite") else "postgres"
    assert store.backend == expected
    health = store.health()
    assert health.backend == expected
    assert health.reachable
    assert health.schema_matches
    assert health.schema_version == health.expected_schema_version == store.schema_version
    assert not health.encryption_configured
    assert isinstance(health.round_trip, dt.timedelta)
    assert health.counts is not None and health.counts.companies == 0
    assert "Health(backend=" in repr(health)
    assert health.to_dict()["counts"]["users"] == 0


def test_bad_url_is_a_validation_error() -> None:
    with pytest.raises(flame.ValidationError) as caught:
        flame.open("mysql://nope")
    assert caught.value.field == "url"
    assert caught.value.kind == "Validation"


def test_verify_only_on_an_empty_database_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(flame.SchemaError):
        flame.open(f"sqlite://{tmp_path / 'empty.db'}", verify_only=True)


def test_verify_only_after_migrating(url: str) -> None:
    flame.open(url).shutdown()
    with flame.open(url, verify_only=True) as again:
        assert again.health().schema_matches


def test_closed_store_raises_storage_error(url: str) -> None:
    store = flame.open(url)
    store.shutdown()
    with pytest.raises(flame.StorageError):
        store.sign_up("Acme", "o@acme.test", "Olga")


def test_sign_up_returns_company_owner_and_session(store: flame.Flame) -> None:
    signed = store.sign_up("Acme", " Owner@ACME.test ", "Olga Owner")
    assert signed.company.name == "Acme"
    assert signed.owner.email == "owner@acme.test"
    assert signed.owner.active
    session = signed.session
    assert session.role == "owner"
    assert session.user_id == signed.owner.id
    assert session.company_id == signed.company.id
    assert session.expires_at.tzinfo is not None
    assert "SignedUp(company=Company(" in repr(signed)
    assert store.health().counts == store.health().counts
    counts = store.health().counts
    assert counts is not None and counts.companies == 1 and counts.users == 1


def test_sign_up_validates(store: flame.Flame) -> None:
    with pytest.raises(flame.ValidationError) as caught:
        store.sign_up("Acme", "not-an-email", "Olga")
    assert caught.value.field == "owner_email"
    with pytest.raises(flame.ValidationError) as caught:
        store.sign_up("  ", "o@acme.test", "Olga")
    assert caught.value.field == "company_name"
    counts = store.health().counts
    assert counts is not None and counts.companies == 0 and counts.users == 0


def test_session_and_authenticate(store: flame.Flame, signed: flame.SignedUp) -> None:
    again = store.session(signed.owner.id, signed.company.id)
    assert again.role == "owner"
    assert again.company.get() == signed.company
    token = again.token()
    assert token is not None and token.expose().startswith("flame_ses_")
    resumed = store.authenticate(token)
    assert resumed.user_id == signed.owner.id
    assert resumed.principal.credential == again.principal.credential
    assert resumed.principal.credential.kind == "session"
    with pytest.raises(flame.UnauthenticatedError) as caught:
        store.authenticate("flame_ses_" + "0" * 64)
    assert caught.value.kind == "Unauthenticated"
    # A role changed since the session started is adopted, not refused.
    viewer = signed.session.members.add("vera@acme.test", "Vera", "viewer")
    vera = store.session(viewer.user.id, signed.company.id)
    signed.session.members.change_role(viewer.user.id, "manager", viewer.membership.version)
    vera_token = vera.token()
    assert vera_token is not None
    assert store.authenticate(vera_token).role == "manager"


def test_session_for_non_member_is_unauthenticated(
    store: flame.Flame, signed: flame.SignedUp
) -> None:
    other = store.sign_up("Globex", "hank@globex.test", "Hank")
    with pytest.raises(flame.UnauthenticatedError) as caught:
        store.session(other.owner.id, signed.company.id)
    assert caught.value.reason
    with pytest.raises(flame.UnauthenticatedError):
        store.session(UUID(int=1), signed.company.id)


def test_records_are_frozen_comparable_and_dictable(owner: flame.Session) -> None:
    contact = owner.contacts.create("Ada", last_name="Lovelace", email="ada@example.com")
    again = owner.contacts.get(contact.id)
    assert contact == again
    assert contact != owner.contacts.update(contact.id, contact.version, last_name="AE")
    not_a_contact: object = "not a contact"
    assert contact != not_a_contact
    with pytest.raises(AttributeError):
        contact.first_name = "Grace"  # type: ignore[misc]
    text = repr(contact)
    assert text.startswith("Contact(id=UUID('") and "first_name='Ada'" in text
    data = contact.to_dict()
    assert data["id"] == contact.id and isinstance(data["id"], UUID)
    assert data["email"] == "ada@example.com"
    assert data["created_at"] == contact.created_at
    assert set(data) >= {"id", "company_id", "first_name", "last_name", "version"}
    assert contact.full_name == "Ada Lovelace"


def test_datetimes_are_timezone_aware_utc(owner: flame.Session) -> None:
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    contact = owner.contacts.create("Ada")
    for value in (contact.created_at, contact.updated_at):
        assert value.tzinfo is not None
        assert value.utcoffset() == dt.timedelta(0)
        assert before <= value <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)


def test_wrong_argument_types_raise_type_error(owner: flame.Session) -> None:
    with pytest.raises(TypeError):
        owner.contacts.get("not-a-uuid")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        owner.contacts.create(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        owner.contacts.create("Ada", bogus=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        owner.contacts.list(limit="ten")  # type: ignore[arg-type]
    naive = dt.datetime(2030, 1, 1)
    contact = owner.contacts.create("Ada")
    with pytest.raises(TypeError):
        owner.activities.create("task", "call back", contact_id=contact.id, due_at=naive)
    assert len(owner.activities.list()) == 0
