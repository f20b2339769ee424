"""Organizations: create, read, update, delete, validation, domain uniqueness, tenancy,
linking contacts and deals, listing and open value, on both backends."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

import flame


def test_crud(owner: flame.Session) -> None:
    orgs = owner.organizations
    org = orgs.create(
        "Babbage & Co",
        domain="https://WWW.Babbage.example/about",
        phone="+44 20 7946 0958",
        city="London",
        country="gb",
        website="https://babbage.example",
        size="11-50",
    )
    assert org.name == "Babbage & Co"
    assert org.domain == "babbage.example"
    assert org.phone == "+442079460958"
    assert org.country == "GB"
    assert org.size == "11-50"
    assert org.owner_id == owner.user_id
    assert org.version == 1
    assert orgs.get(org.id) == org
    assert org.to_dict()["domain"] == "babbage.example"

    updated = orgs.update(org.id, org.version, name="Babbage Ltd", city="", size="1000+")
    assert (updated.name, updated.city, updated.size, updated.version) == (
        "Babbage Ltd",
        None,
        "1000+",
        2,
    )
    assert updated.country == "GB"
    with pytest.raises(flame.ConflictError):
        orgs.update(org.id, org.version, name="Stale")
    orgs.delete(updated.id, updated.version)
    with pytest.raises(flame.NotFoundError):
        orgs.get(org.id)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "A", "domain": "not a domain"}, "domain"),
        ({"name": "A", "country": "XX"}, "country"),
        ({"name": "A", "website": "ftp://x.example"}, "website"),
        ({"name": "A", "size": "huge"}, "size"),
        ({"name": "A", "phone": "12"}, "phone"),
        ({"name": "A", "industry": "x" * 201}, "industry"),
    ],
)
def test_validation_names_the_field(
    owner: flame.Session, kwargs: dict[str, str], field: str
) -> None:
    kwargs = dict(kwargs)
    name = kwargs.pop("name")
    with pytest.raises(flame.ValidationError) as err:
        owner.organizations.create(name, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert owner.organizations.list().items == []


def test_domains_are_unique_per_company(owner: flame.Session, store: flame.Flame) -> None:
    owner.organizations.create("A", domain="acme.example")
    with pytest.raises(flame.ConflictError):
        owner.organizations.create("B", domain="WWW.ACME.example")
    other = store.sign_up("Globex", "owner@globex.test", "Hank").session
    assert other.organizations.create("A", domain="acme.example").domain == "acme.example"
    found = owner.organizations.list(domain="acme.example").items
    assert [o.name for o in found] == ["A"]
    with pytest.raises(flame.NotFoundError):
        other.organizations.get(found[0].id)


def test_contacts_and_deals_link_list_and_sum(owner: flame.Session) -> None:
    org = owner.organizations.create("Engines")
    ada = owner.contacts.create("Ada", organization_id=org.id)
    bob = owner.contacts.create("Bob")
    bob = owner.contacts.update(bob.id, bob.version, organization_id=org.id)
    assert bob.organization_id == org.id
    deal = owner.deals.create("Robots", Decimal("100.50"), "EUR", organization_id=org.id)
    owner.deals.create("Arms", "7", "USD", organization_id=org.id)
    assert deal.organization_id == org.id
    names = sorted(c.first_name for c in owner.organizations.contacts(org.id, limit=10))
    assert names == ["Ada", "Bob"]
    page = owner.organizations.contacts(org.id, limit=1)
    assert len(page.items) == 1 and page.next_cursor is not None
    assert len(owner.organizations.deals(org.id).items) == 2
    assert owner.organizations.open_value(org.id) == [
        flame.Money(Decimal("100.50"), "EUR"),
        flame.Money(Decimal("7"), "USD"),
    ]
    bob = owner.contacts.update(bob.id, bob.version, organization_id="")
    assert bob.organization_id is None
    deal = owner.deals.update(deal.id, deal.version, organization_id="")
    assert deal.organization_id is None
    with pytest.raises(flame.NotFoundError):
        owner.contacts.create("Eve", organization_id=uuid.uuid4())

    org = owner.organizations.get(org.id)
    owner.organizations.delete(org.id, org.version)
    assert owner.contacts.get(ada.id).organization_id is None


def test_the_plan_limit_and_usage(store: flame.Flame) -> None:
    plan = store.plans.create(
        "two", "Two", "0", "USD", limits=flame.PlanLimits(organizations=2), public=False
    )
    store.plans.set_default(plan.id)
    s = store.sign_up("Acme", "owner@acme.test", "Ann").session
    s.organizations.create("A")
    s.organizations.create("B")
    with pytest.raises(flame.PlanLimitExceededError):
        s.organizations.create("C")
    assert s.billing.usage().organizations == 2


def test_tags_and_custom_values(owner: flame.Session) -> None:
    owner.custom_fields.define("organization", "tier", "Tier", "select", options=["gold", "silver"])
    owner.custom_fields.define("organization", "seats", "Seats", "number")
    orgs = owner.organizations
    gold = orgs.create("Gold Ltd", custom={"tier": "GOLD", "seats": Decimal("120")})
    assert gold.custom == {"tier": "gold", "seats": Decimal("120")}
    silver = orgs.create("Silver plc", custom={"tier": "silver"})
    with pytest.raises(flame.ValidationError) as bad:
        orgs.create("Bronze", custom={"tier": "bronze"})
    assert bad.value.field == "custom.tier"
    assert [o.name for o in orgs.list().items] == ["Gold Ltd", "Silver plc"]

    tagged = orgs.add_tag(gold.id, "Partner")
    assert tagged.tags == ["Partner"]
    assert tagged.version == gold.version
    orgs.add_tag(silver.id, "partner")
    orgs.add_tag(gold.id, "Key account")
    assert [o.name for o in orgs.list(tag="PARTNER").items] == ["Gold Ltd", "Silver plc"]
    assert [o.name for o in orgs.list(tag=["partner", "key account"]).items] == ["Gold Ltd"]
    assert [o.id for o in orgs.list(custom={"tier": "silver"}).items] == [silver.id]

    moved = orgs.update(gold.id, gold.version, custom={"tier": "silver", "seats": None})
    assert moved.custom == {"tier": "silver"}
    assert len(orgs.list(custom={"tier": "silver"}).items) == 2
    assert orgs.remove_tag(gold.id, "partner").tags == ["Key account"]
    assert [o.id for o in orgs.list(tag="partner").items] == [silver.id]


def test_a_domain_prefix_orders_by_domain(owner: flame.Session) -> None:
    for name, domain in [("Zeta", "acme.de"), ("Alpha", "acme.com"), ("Beta", "beta.org")]:
        owner.organizations.create(name, domain=domain)
    first = owner.organizations.list(domain_prefix="www.ACME", limit=1)
    assert [o.domain for o in first.items] == ["acme.com"]
    rest = owner.organizations.list(domain_prefix="www.ACME", cursor=first.next_cursor)
    assert [o.domain for o in rest.items] == ["acme.de"]
    named = owner.organizations.list(name_prefix="z", domain_prefix="acme")
    assert [o.name for o in named.items] == ["Zeta"]
    with pytest.raises(flame.ValidationError) as bad:
        owner.organizations.list(domain_prefix="beta", cursor=first.next_cursor)
    assert bad.value.field == "cursor"
