"""Bulk import of contacts: CSV files streamed by Rust, iterables consumed lazily in chunks,
bad rows reported by line, permissions and the plan limit respected."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Union

import pytest

import flame

Row = Union[flame.NewContact, Mapping[str, object]]

CSV = (
    "\ufeffFirst_Name,last_name,email,phone,phone_region,organization\n"
    'Ada,Lovelace,ada@example.com,+44 20 7946 0958,,"Babbage, Lovelace & Co"\n'
    "Ivan,Petrov,,8 (912) 345-67-89,RU,\n"
    "Ragged,Row\n"
    "Bad,Email,not-an-email,,,\n"
).encode() + (
    b"\xff\xfeBroken,utf8,,,,\n"
    b",Nameless,n@example.com,,,\n"
    b'"Multi\nLine",Quote,m@example.com,,,\n'
)


def unlimited_company(store: flame.Flame) -> flame.Session:
    """Acme's owner, on a plan without a contact limit (the starter plan allows 1,000)."""
    plan = store.plans.create("unlimited", "Unlimited", 0, "USD", trial_days=30, public=False)
    store.plans.set_default(plan.id)
    return store.sign_up("Acme", "owner@acme.test", "Olga Owner").session


def imported_events(session: flame.Session) -> int:
    return sum(1 for e in session.events.list(limit=500) if e.event_type == "contacts.imported")


def test_a_csv_file_is_imported_and_bad_lines_are_reported(
    owner: flame.Session, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(CSV)
    report = owner.contacts.import_csv(path)
    assert (report.imported, report.rejected) == (3, 4)
    assert [(e.line, e.field) for e in report.errors] == [
        (4, "row"),
        (5, "email"),
        (6, "row"),
        (7, "first_name"),
    ]
    assert all(e.reason for e in report.errors)
    assert "not-an-email" not in repr(report), "reasons never repeat the value"
    assert report.to_dict()["errors"][1] == {
        "line": 5,
        "field": "email",
        "reason": report.errors[1].reason,
    }
    contacts = {c.first_name: c for c in owner.contacts.list()}
    ada_org = contacts["Ada"].organization_id
    assert ada_org is not None
    assert owner.organizations.get(ada_org).name == "Babbage, Lovelace & Co"
    assert contacts["Ivan"].organization_id is None
    assert contacts["Ivan"].phone == "+79123456789"
    assert "Multi\nLine" in contacts
    assert contacts["Ada"].owner_id == owner.user_id

    # The same bytes, given directly, and a str path: the same report.
    again = owner.contacts.import_csv(str(path))
    assert (again.imported, again.rejected) == (3, 4)
    from_bytes = owner.contacts.import_csv(CSV)
    assert from_bytes == again
    assert len(owner.contacts.list(limit=100)) == 9


def test_a_bad_header_imports_nothing(owner: flame.Session, tmp_path: Path) -> None:
    for header, reason_part in [(b"first_name,fax\nA,1\n", "column 2"), (b"email\na@b.io\n", "")]:
        with pytest.raises(flame.ValidationError) as caught:
            owner.contacts.import_csv(header)
        assert caught.value.field == "header"
        assert reason_part in caught.value.reason
    with pytest.raises(flame.ValidationError) as missing:
        owner.contacts.import_csv(tmp_path / "missing.csv")
    assert missing.value.field == "path"
    with pytest.raises(TypeError):
        owner.contacts.import_csv(42)  # type: ignore[arg-type]
    assert len(owner.contacts.list()) == 0


def test_a_large_csv_file_is_streamed_in_batches(store: flame.Flame, tmp_path: Path) -> None:
    session = unlimited_company(store)
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("first_name,email\n")
        for i in range(1, 12_001):
            email = "broken" if i == 11_999 else f"p{i}@example.com"
            f.write(f"Person{i},{email}\n")
    report = session.contacts.import_csv(path)
    assert (report.imported, report.rejected) == (11_999, 1)
    # Person 11,999 is on line 12,000 (the header is line 1).
    assert [(e.line, e.field) for e in report.errors] == [(12_000, "email")]
    assert session.billing.usage().contacts == 11_999
    assert imported_events(session) == 3, "one transaction per 5,000 rows"


def test_rows_from_a_generator_of_12000_are_imported_lazily_in_chunks(
    store: flame.Flame,
) -> None:
    session = unlimited_company(store)
    stranger = uuid.uuid4()
    seen_at_5001: list[int] = []

    def rows() -> Iterator[Row]:
        for i in range(1, 12_001):
            if i == 5_001:
                # The first chunk is written before the second is pulled: memory stays bounded.
                seen_at_5001.append(session.billing.usage().contacts)
            if i == 5_003:
                yield flame.NewContact("Row5003", email="also broken")
                continue
            yield {
                "first_name": " " if i % 1000 == 0 else f"Person{i}",
                "email": "broken" if i % 1001 == 0 else f"p{i}@example.com",
                "owner_id": stranger if i == 7 else None,
            }

    report = session.contacts.import_rows(rows())
    bad = 12 + 11 + 1 + 1  # blank names, broken emails, a stranger as owner, row 5,003
    assert (report.imported, report.rejected) == (12_000 - bad, bad)
    lines = [(e.line, e.field) for e in report.errors]
    assert lines == sorted(lines)
    assert lines[0] == (7, "owner_id")
    assert (1000, "first_name") in lines and (12_000, "first_name") in lines
    assert (1001, "email") in lines and (11_011, "email") in lines
    assert (5_003, "email") in lines, "lines count across chunks"
    assert seen_at_5001 == [5_000 - 5 - 4 - 1]  # 5 blank names, 4 broken emails, row 7
    assert session.billing.usage().contacts == 12_000 - bad
    assert imported_events(session) == 3
    found = session.contacts.list(name_prefix="person11999")
    assert [c.email for c in found] == ["p11999@example.com"]


def test_rows_may_be_new_contacts_or_mappings(owner: flame.Session) -> None:
    row = flame.NewContact("Ada", last_name="Lovelace", email="ADA@example.com")
    assert row.first_name == "Ada" and row.owner_id is None
    assert row.to_dict()["email"] == "ADA@example.com"
    assert row == flame.NewContact("Ada", last_name="Lovelace", email="ADA@example.com")
    rows: list[Row] = [
        row,
        {"first_name": "Grace", "organization": "Navy", "owner_id": owner.user_id},
        {"last_name": "Nameless"},
        {"first_name": None},
    ]
    report = owner.contacts.import_rows(rows)
    assert (report.imported, report.rejected) == (2, 2)
    assert [(e.line, e.field) for e in report.errors] == [(3, "first_name"), (4, "first_name")]
    emails = {c.first_name: c.email for c in owner.contacts.list()}
    assert emails == {"Ada": "ada@example.com", "Grace": None}
    # A row's "organization" names an organization, created by the import.
    grace = next(c for c in owner.contacts.list() if c.first_name == "Grace")
    navy = owner.organizations.list(name_prefix="navy").items
    assert [o.name for o in navy] == ["Navy"] and grace.organization_id == navy[0].id
    empty = owner.contacts.import_rows([])
    assert (empty.imported, empty.rejected, empty.errors) == (0, 0, [])


def test_rows_of_the_wrong_shape_raise_before_their_chunk_is_written(
    store: flame.Flame,
) -> None:
    session = unlimited_company(store)
    with pytest.raises(TypeError, match="row 2: unknown key 'fax'"):
        session.contacts.import_rows([{"first_name": "A"}, {"first_name": "B", "fax": "1"}])
    with pytest.raises(TypeError, match="row 1: email must be a str") as caught:
        session.contacts.import_rows([{"first_name": "A", "email": 12345678}])
    assert "12345678" not in str(caught.value)
    with pytest.raises(TypeError, match="row 1: owner_id"):
        session.contacts.import_rows([{"first_name": "A", "owner_id": "not-a-uuid"}])
    with pytest.raises(TypeError, match="row 1: expected a NewContact or a mapping"):
        session.contacts.import_rows(["Ada"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        session.contacts.import_rows(42)  # type: ignore[arg-type]
    assert session.billing.usage().contacts == 0

    # A bad row in the second chunk: the first chunk stays imported, the second is not written.
    def rows() -> Iterator[Row]:
        for i in range(1, 5_003):
            yield ["bad"] if i == 5_002 else {"first_name": f"P{i}"}  # type: ignore[misc]

    with pytest.raises(TypeError, match="row 5002"):
        session.contacts.import_rows(rows())
    assert session.billing.usage().contacts == 5_000

    # The iterable's own exception goes through, too.
    def failing() -> Iterator[Row]:
        yield {"first_name": "Z"}
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        session.contacts.import_rows(failing())
    assert session.billing.usage().contacts == 5_000


def test_imports_respect_permissions_and_the_plan_limit(
    store: flame.Flame, owner: flame.Session
) -> None:
    viewer = owner.members.add("vera@acme.test", "Vera", "viewer")
    vs = store.session(viewer.user.id, owner.company_id)
    with pytest.raises(flame.ForbiddenError):
        vs.contacts.import_csv(b"first_name\nA\n")
    with pytest.raises(flame.ForbiddenError):
        vs.contacts.import_rows([])
    # The starter plan allows 1,000 contacts: a chunk that would pass it is not written, and
    # the report says where the import stopped and why.
    report = owner.contacts.import_rows({"first_name": f"P{i}"} for i in range(1_200))
    assert report.imported == 0
    assert report.failed is not None and report.failed.line == 1
    error = report.failed.error
    assert isinstance(error, flame.PlanLimitExceededError)
    assert (error.limit, error.allowed, error.used) == ("contacts", 1000, 0)
    assert owner.billing.usage().contacts == 0


def test_a_chunk_failing_after_imported_ones_keeps_their_report(store: flame.Flame) -> None:
    plan = store.plans.create("six", "Six thousand", 0, "USD", limits=flame.PlanLimits(contacts=6_000))
    store.plans.set_default(plan.id)
    owner = store.sign_up("Acme", "owner@acme.test", "Olga").session
    report = owner.contacts.import_rows({"first_name": f"P{i}"} for i in range(12_000))
    # The first chunk of 5,000 is imported; the second would pass the limit.
    assert report.imported == 5_000
    assert report.failed is not None and report.failed.line == 5_001
    assert isinstance(report.failed.error, flame.PlanLimitExceededError)
    assert owner.billing.usage().contacts == 5_000
    # A record past the size bound is a bad line; the others are imported.
    csv = b"first_name,organization\nAda,A\nBob," + b"y" * (64 * 1024 + 1) + b"\n"
    small = store.sign_up("Small", "owner@small.test", "Sam").session
    lines = small.contacts.import_csv(csv)
    assert (lines.imported, lines.rejected, lines.failed) == (1, 1, None)
    assert (lines.errors[0].line, lines.errors[0].field) == (3, "row")
