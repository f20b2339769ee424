"""CSV export of contacts, organizations and deals to paths and file objects, any list
filter, and CSV import of organizations and deals: an export imports into another company
and exports there again identically; bad rows name their column; bad paths raise
``ValidationError`` on "path"."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

import flame


def define_tier(session: flame.Session) -> None:
    """The same custom field for every entity."""
    for entity in ("contact", "organization", "deal"):
        session.custom_fields.define(entity, "tier", "Tier", "text")


def seed(owner: flame.Session) -> None:
    define_tier(owner)
    org = owner.organizations.create(
        "Engines, Ltd", domain="engines.example", custom={"tier": "gold"}
    )
    owner.organizations.add_tag(org.id, "Partner")
    ada = owner.contacts.create(
        "Ada",
        last_name="Lovelace",
        email="ada@example.com",
        organization_id=org.id,
        custom={"tier": 'multi\nline, "quoted"'},
    )
    owner.contacts.add_tag(ada.id, "VIP")
    owner.contacts.create("Charles", last_name="Babbage")
    deal = owner.deals.create(
        "Looms", Decimal("1234.50"), "EUR", contact_id=ada.id, organization_id=org.id
    )
    owner.deals.add_tag(deal.id, "Q1")
    owner.deals.win(deal.id, deal.version)
    lost = owner.deals.create("Lost one", 0, "USD")
    owner.deals.lose(lost.id, "Too dear", lost.version)


def rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and the sorted records of a CSV text."""
    header, *records = list(csv.reader(io.StringIO(text)))
    return header, sorted(records)


def exports(session: flame.Session) -> tuple[str, str, str]:
    out: list[str] = []
    for api in (session.organizations, session.contacts, session.deals):
        buffer = io.StringIO()
        api.export_csv(buffer)
        out.append(buffer.getvalue())
    return out[0], out[1], out[2]


def test_an_export_imports_into_another_company_as_it_was(owner: flame.Session) -> None:
    seed(owner)
    orgs, contacts, deals = exports(owner)
    header, records = rows(contacts)
    assert header == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "phone_region",
        "organization",
        "owner",
        "tags",
        "custom.tier",
    ]
    ada = next(r for r in records if r[0] == "Ada")
    assert ada[5:] == ["engines.example", "owner@acme.test", "VIP", 'multi\nline, "quoted"']
    deal_header, deal_records = rows(deals)
    assert deal_header[:3] == ["title", "amount", "currency"]
    looms = next(r for r in deal_records if r[0] == "Looms")
    assert looms[:6] == ["Looms", "1234.50", "EUR", "Sales", "Won", "won"]

    globex = owner.account.create_company("Globex").session
    define_tier(globex)
    assert globex.organizations.import_csv(orgs.encode()).imported == 1
    assert globex.contacts.import_csv(contacts.encode()).imported == 2
    report = globex.deals.import_csv(deals.encode())
    assert (report.imported, report.rejected, report.failed) == (2, 0, None)
    again = exports(globex)
    for before, after in zip((orgs, contacts, deals), again):
        assert rows(before) == rows(after)
    won = globex.deals.list(status="won").items
    assert [(d.title, d.tags) for d in won] == [("Looms", ["Q1"])]
    assert globex.deals.list(status="lost").items[0].lost_reason == "Too dear"


def test_exports_go_to_paths_and_file_objects_with_any_filter(
    owner: flame.Session, tmp_path: Path
) -> None:
    seed(owner)
    path = tmp_path / "contacts.csv"
    assert owner.contacts.export_csv(path) == 2
    assert owner.contacts.export_csv(str(tmp_path / "again.csv")) == 2
    text = path.read_text(encoding="utf-8")
    binary = io.BytesIO()
    assert owner.contacts.export_csv(binary) == 2
    assert binary.getvalue().decode() == text
    with (tmp_path / "text.csv").open("w", encoding="utf-8", newline="") as f:
        assert owner.contacts.export_csv(f) == 2
    assert (tmp_path / "text.csv").read_text(encoding="utf-8") == text
    vip = io.StringIO()
    assert owner.contacts.export_csv(vip, tag="vip") == 1
    assert rows(vip.getvalue())[1][0][0] == "Ada"
    assert owner.contacts.export_csv(io.StringIO(), name_prefix="char") == 1
    assert owner.organizations.export_csv(io.StringIO(), domain="engines.example") == 1
    assert owner.organizations.export_csv(io.StringIO(), name_prefix="zzz") == 0
    assert owner.organizations.export_csv(io.StringIO(), domain_prefix="engines") == 1
    assert owner.deals.export_csv(io.StringIO(), status="lost") == 1
    assert owner.deals.export_csv(tmp_path / "deals.csv", tag="q1") == 1
    assert owner.organizations.export_csv(tmp_path / "orgs.csv", custom={"tier": "gold"}) == 1

    missing = tmp_path / "no" / "such" / "dir.csv"
    for api in (owner.contacts, owner.organizations, owner.deals):
        with pytest.raises(flame.ValidationError) as caught:
            api.export_csv(missing)
        assert caught.value.field == "path"
    for importer in (owner.organizations, owner.deals):
        with pytest.raises(flame.ValidationError) as caught:
            importer.import_csv(missing)
        assert caught.value.field == "path"
    with pytest.raises(TypeError):
        owner.contacts.export_csv(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        owner.deals.import_csv(42)  # type: ignore[arg-type]


class Broken(io.BytesIO):
    """A file whose writes fail, like a full disk."""

    def write(self, data: object) -> int:
        raise OSError(28, "No space left on device")


def test_a_failing_file_object_raises_its_own_exception(owner: flame.Session) -> None:
    seed(owner)
    with pytest.raises(OSError) as caught:
        owner.contacts.export_csv(Broken())
    assert caught.value.errno == 28


def test_imports_report_bad_rows_by_column_and_refuse_bad_headers(
    owner: flame.Session, tmp_path: Path
) -> None:
    owner.members.add("mia@acme.test", "Mia", "member")
    orgs = owner.organizations.import_csv(
        b"name,domain,owner,tags\n"
        b"Good,good.example,mia@acme.test,Partner; VIP\n"
        b"Twice,good.example,,\n"
        b"Stranger,,nobody@acme.test,\n"
        b",nameless.example,,\n"
    )
    assert orgs.imported == 1
    assert [(e.line, e.field) for e in orgs.errors] == [(3, "domain"), (4, "owner"), (5, "name")]
    good = owner.organizations.list(domain="good.example").items[0]
    assert good.tags == ["Partner", "VIP"]
    path = tmp_path / "deals.csv"
    path.write_text(
        "title,amount,currency,stage,status,lost_reason,assignee,organization\n"
        "Won,10,USD,Won,,,mia@acme.test,good.example\n"
        "Nowhere,10,USD,Nowhere,,,,\n"
        "No reason,10,USD,Lost,,,,\n"
        "Cents,1.234,USD,,,,,\n"
        "Stranger,1,USD,,,,nobody@acme.test,\n",
        encoding="utf-8",
    )
    deals = owner.deals.import_csv(path)
    assert deals.imported == 1
    assert [(e.line, e.field) for e in deals.errors] == [
        (3, "stage"),
        (4, "lost_reason"),
        (5, "amount"),
        (6, "assignee"),
    ]
    won = owner.deals.list().items[0]
    assert (won.status, won.organization_id) == ("won", good.id)
    with pytest.raises(flame.ValidationError) as caught:
        owner.organizations.import_csv(b"name,fax\nA,1\n")
    assert caught.value.field == "header"
    for bad in [b"title\nA\n", b"title,currency,custom.nope\nA,USD,1\n"]:
        with pytest.raises(flame.ValidationError) as caught:
            owner.deals.import_csv(bad)
        assert caught.value.field == "header"
    assert len(owner.organizations.list().items) == 1


def test_a_viewer_exports_but_cannot_import(store: flame.Flame, owner: flame.Session) -> None:
    seed(owner)
    viewer = owner.members.add("v@acme.test", "V", "viewer")
    session = store.session(viewer.user.id, owner.company_id)
    assert exports(session) == exports(owner)
    orgs, _, deals = exports(owner)
    with pytest.raises(flame.ForbiddenError):
        session.organizations.import_csv(orgs.encode())
    with pytest.raises(flame.ForbiddenError):
        session.deals.import_csv(deals.encode())


def test_contact_rows_take_owner_and_tags(owner: flame.Session) -> None:
    owner.members.add("mia@acme.test", "Mia", "member")
    report = owner.contacts.import_rows(
        [
            {"first_name": "Ada", "owner": "mia@acme.test", "tags": ["VIP", "Lead"]},
            {"first_name": "Bob", "owner": "nobody@acme.test"},
        ]
    )
    assert (report.imported, [(e.line, e.field) for e in report.errors]) == (1, [(2, "owner")])
    ada = owner.contacts.list().items[0]
    assert ada.tags == ["Lead", "VIP"]
    with pytest.raises(TypeError):
        owner.contacts.import_rows([{"first_name": "X", "tags": 3}])
