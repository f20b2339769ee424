"""Custom fields: definitions, native values on contacts, filters, migrations and bad input."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

import flame


def define(session: flame.Session) -> dict[str, flame.CustomField]:
    fields = session.custom_fields
    out = {
        "industry": fields.define(
            "contact", "industry", "Industry", "select", options=["Retail", "Banking"]
        ),
        "revenue": fields.define("contact", "revenue", "Revenue", "number"),
        "budget": fields.define("contact", "budget", "Budget", "money"),
        "since": fields.define("contact", "since", "Customer since", "date"),
        "met": fields.define("contact", "met", "First met", "datetime"),
        "vip": fields.define("contact", "vip", "VIP", "bool"),
        "channels": fields.define(
            "contact", "channels", "Channels", "multi_select", options=["email", "phone"]
        ),
    }
    return out


def test_definitions(owner: flame.Session) -> None:
    fields = define(owner)
    listed = owner.custom_fields.list("contact")
    assert [f.key for f in listed] == list(fields)
    industry = fields["industry"]
    assert industry.kind == "select"
    assert industry.entity == "contact"
    assert industry.options == ["Retail", "Banking"]
    assert owner.custom_fields.get(industry.id) == industry
    assert owner.custom_fields.list("deal") == []

    with pytest.raises(flame.ConflictError):
        owner.custom_fields.define("contact", "industry", "Again", "text")
    with pytest.raises(flame.ValidationError) as bad:
        owner.custom_fields.define("contact", "Bad Key", "x", "text")
    assert bad.value.field == "key"
    with pytest.raises(flame.ValidationError) as bad:
        owner.custom_fields.define("contact", "k", "x", "colour")  # type: ignore[arg-type]
    assert bad.value.field == "kind"
    with pytest.raises(flame.ValidationError) as bad:
        owner.custom_fields.define("ticket", "k", "x", "text")  # type: ignore[arg-type]
    assert bad.value.field == "entity"

    renamed = owner.custom_fields.update(industry.id, industry.version, label="Sector")
    assert (renamed.label, renamed.version) == ("Sector", industry.version + 1)
    with pytest.raises(flame.ConflictError):
        owner.custom_fields.update(industry.id, industry.version, label="Stale")
    owner.custom_fields.delete(renamed.id, renamed.version)
    with pytest.raises(flame.NotFoundError):
        owner.custom_fields.get(industry.id)


def test_native_values_round_trip(owner: flame.Session) -> None:
    define(owner)
    met = datetime(2026, 12, 4, 10, 30, tzinfo=timezone.utc)
    ada = owner.contacts.create(
        "Ada",
        custom={
            "industry": "retail",
            "revenue": Decimal("1250000.50"),
            "budget": flame.Money("12.50", "USD"),
            "since": date(2024, 2, 29),
            "met": met,
            "vip": True,
            "channels": ["phone", "email"],
        },
    )
    c = ada.custom
    assert c["industry"] == "Retail"
    assert c["revenue"] == Decimal("1250000.5")
    assert isinstance(c["revenue"], Decimal)
    assert c["budget"] == flame.Money("12.50", "USD")
    assert c["since"] == date(2024, 2, 29)
    assert c["met"] == met
    assert c["vip"] is True
    assert c["channels"] == ["email", "phone"]
    assert owner.contacts.get(ada.id) == ada
    assert ada.to_dict()["custom"]["vip"] is True

    # Text is parsed for the kind.
    bob = owner.contacts.create("Bob", custom={"revenue": "7", "since": "2020-01-31", "vip": "no"})
    assert bob.custom == {"revenue": Decimal(7), "since": date(2020, 1, 31), "vip": False}

    updated = owner.contacts.update(ada.id, ada.version, custom={"vip": None, "revenue": 3})
    assert "vip" not in updated.custom
    assert updated.custom["revenue"] == Decimal(3)
    assert updated.custom["industry"] == "Retail"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("industry", "Farming"),
        ("revenue", 1.5),
        ("revenue", "a lot"),
        ("since", "2023-02-29"),
        ("met", datetime(2026, 1, 1)),
        ("channels", ["fax"]),
        ("nope", "x"),
        ("vip", object()),
    ],
)
def test_bad_values_name_the_field(owner: flame.Session, key: str, value: object) -> None:
    define(owner)
    before = owner.contacts.list()
    with pytest.raises(flame.ValidationError) as bad:
        owner.contacts.create("Bad", custom={key: value})  # type: ignore[dict-item]
    assert bad.value.field == f"custom.{key}"
    assert owner.contacts.list() == before


def test_lists_filter_by_custom_values(owner: flame.Session) -> None:
    define(owner)
    made = []
    for i in range(12):
        made.append(
            owner.contacts.create(
                f"P{i:02}",
                custom={
                    "industry": "Retail" if i % 2 == 0 else "Banking",
                    "revenue": i * 10,
                    "channels": ["email"] if i % 3 == 0 else ["phone"],
                },
            )
        )
    retail = [c.id for c in reversed(made) if c.custom["industry"] == "Retail"]
    seen = []
    cursor = None
    while True:
        page = owner.contacts.list(custom={"industry": "Retail"}, limit=2, cursor=cursor)
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == retail

    page = owner.contacts.list(custom={"industry": "Retail", "revenue": (Decimal(20), 80)})
    assert [c.first_name for c in page.items] == ["P08", "P06", "P04", "P02"]
    page = owner.contacts.list(custom={"channels": ["email"], "revenue": (None, "30")})
    assert [c.first_name for c in page.items] == ["P03", "P00"]
    with pytest.raises(flame.ValidationError) as bad:
        owner.contacts.list(custom={"industry": ("a", "b")})
    assert bad.value.field == "custom.industry"


def test_definition_changes_migrate_or_refuse(owner: flame.Session) -> None:
    fields = define(owner)
    ada = owner.contacts.create("Ada", custom={"industry": "Banking"})
    industry = fields["industry"]
    with pytest.raises(flame.ConflictError):
        owner.custom_fields.update(industry.id, industry.version, options=["Retail", "Finance"])
    assert owner.contacts.get(ada.id) == ada
    owner.custom_fields.update(
        industry.id,
        industry.version,
        options=["Retail", "Finance"],
        option_moves={"Banking": "Finance"},
    )
    assert owner.contacts.get(ada.id).custom["industry"] == "Finance"
    assert [c.id for c in owner.contacts.list(custom={"industry": "Finance"}).items] == [ada.id]


def test_members_cannot_define(owner: flame.Session, store: flame.Flame) -> None:
    other = store.sign_up("Other", "m@other.test", "Max Member").session
    invite = owner.invitations.create("m@other.test", "member")
    member = other.account.accept_invitation(invite.token)
    assert member.custom_fields.list("contact") == []
    with pytest.raises(flame.ForbiddenError):
        member.custom_fields.define("contact", "x", "X", "text")


def test_csv_import_reads_custom_columns(owner: flame.Session) -> None:
    define(owner)
    report = owner.contacts.import_csv(b"first_name,custom.industry,custom.vip\nAda,Retail,yes\n")
    assert (report.imported, report.rejected) == (1, 0)
    [ada] = owner.contacts.list().items
    assert ada.custom == {"industry": "Retail", "vip": True}
    report = owner.contacts.import_rows([{"first_name": "Bob", "custom": {"vip": False}}])
    assert report.imported == 1


def test_deals_carry_custom_values(owner: flame.Session) -> None:
    fields = owner.custom_fields
    fields.define("deal", "product", "Product", "select", options=["Licence", "Support"])
    fields.define("deal", "seats", "Seats", "number")
    made = [
        owner.deals.create(
            f"D{i:02}", Decimal(100), "EUR", custom={"product": "licence" if i % 2 else "support", "seats": i}
        )
        for i in range(6)
    ]
    assert made[1].custom == {"product": "Licence", "seats": Decimal(1)}
    assert owner.deals.get(made[1].id).custom == made[1].custom

    updated = owner.deals.update(made[1].id, made[1].version, custom={"seats": None, "product": "Support"})
    assert updated.custom == {"product": "Support"}
    won = owner.deals.win(updated.id, updated.version)
    assert won.custom == updated.custom

    page = owner.deals.list(custom={"product": "Licence"})
    assert [d.title for d in page.items] == ["D05", "D03"]
    page = owner.deals.list(custom={"seats": (2, 4)})
    assert [d.title for d in page.items] == ["D04", "D03", "D02"]

    before = owner.deals.list()
    with pytest.raises(flame.ValidationError) as bad:
        owner.deals.create("Bad", 1, "EUR", custom={"product": "Hardware"})
    assert bad.value.field == "custom.product"
    with pytest.raises(flame.ValidationError) as bad:
        owner.deals.update(made[0].id, made[0].version, custom={"nope": 1})
    assert bad.value.field == "custom.nope"
    assert owner.deals.list() == before


def test_lists_sort_by_a_custom_field(owner: flame.Session) -> None:
    owner.custom_fields.define("contact", "score", "Score", "number")
    owner.custom_fields.define("deal", "seats", "Seats", "number")
    owner.custom_fields.define("organization", "tier", "Tier", "select", options=["bronze", "gold"])
    for i, score in enumerate([30, None, -5, 30, 7]):
        owner.contacts.create(f"P{i}", custom={} if score is None else {"score": score})
    seen = []
    cursor = None
    while True:
        page = owner.contacts.list(sort="score", limit=2, cursor=cursor)
        seen += [c.first_name for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["P2", "P4", "P0", "P3", "P1"]
    page = owner.contacts.list(sort="score", descending=True)
    assert [c.first_name for c in page.items] == ["P3", "P0", "P4", "P2", "P1"]
    page = owner.contacts.list(sort="score", custom={"score": (0, None)})
    assert [c.first_name for c in page.items] == ["P4", "P0", "P3"]

    owner.organizations.create("Gold Ltd", custom={"tier": "gold"})
    owner.organizations.create("Bronze plc", custom={"tier": "bronze"})
    assert [o.name for o in owner.organizations.list(sort="tier").items] == ["Bronze plc", "Gold Ltd"]
    owner.deals.create("Two", 1, "EUR", custom={"seats": 2})
    owner.deals.create("Ten", 1, "EUR", custom={"seats": 10})
    assert [d.title for d in owner.deals.list(sort="seats", descending=True).items] == ["Ten", "Two"]

    with pytest.raises(flame.ValidationError) as bad:
        owner.contacts.list(sort="nope")
    assert bad.value.field == "sort"
    first = owner.contacts.list(sort="score", limit=1)
    with pytest.raises(flame.ValidationError) as bad:
        owner.contacts.list(sort="score", descending=True, cursor=first.next_cursor)
    assert bad.value.field == "cursor"
    with pytest.raises(TypeError):
        owner.contacts.list(descending=True)
