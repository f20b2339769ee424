"""Advertising: Meta and VK leads become contacts and deals exactly once, malformed leads write
nothing, ad spend is imported with exact amounts, and the cost report gives Decimal costs."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import flame

FIXTURES = Path(__file__).resolve().parents[3] / "flame-core" / "src" / "integration" / "fixtures"


def fixture(name: str) -> bytes:
    """The bytes of a webhook body from flame-core's fixtures."""
    return (FIXTURES / name).read_bytes()


META_SECRET = "meta-app-secret"


@pytest.fixture
def store(url: str) -> Iterator[flame.Flame]:
    """The store with an encryption key, to seal the Meta integrations' app secret."""
    key = flame.EncryptionKey.from_bytes("k1", bytes([1]) * 32)
    with flame.open(url, encryption_key=key) as opened:
        yield opened


def meta_signed(body: bytes) -> dict[str, str]:
    """The headers Meta sends with ``body``: its HMAC-SHA256 under the app secret."""
    digest = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": "sha256=" + digest}


def ads(s: flame.Session, name: str, platform: flame.AdvertisingPlatform) -> uuid.UUID:
    """An advertising integration that opens deals in the default pipeline; a Meta one holds
    the app secret its requests are signed with."""
    settings = flame.AdvertisingSettings(
        platform, auto_create_deal=True, default_pipeline_id=s.pipelines.default().id
    )
    credentials = {"app_secret": META_SECRET} if platform == "meta" else {}
    return s.integrations.create(name, settings, credentials).id


def written(s: flame.Session) -> tuple[int, int, int]:
    """How many contacts, deals and leads the company has."""
    return (
        len(s.contacts.list(limit=500)),
        len(s.deals.list(limit=500)),
        len(s.leads.list(limit=500)),
    )


def test_a_meta_lead_creates_its_contact_and_deal_once(
    store: flame.Flame, owner: flame.Session
) -> None:
    meta = ads(owner, "Meta ads", "meta")
    outcome = store.advertising.ingest_meta_lead(
        owner.company_id,
        meta,
        fixture("meta_lead.json"),
        headers=meta_signed(fixture("meta_lead.json")),
    )
    assert isinstance(outcome, flame.LeadOutcome)
    assert outcome.created_contact and not outcome.duplicate

    contact = owner.contacts.get(outcome.contact_id)
    assert (contact.first_name, contact.last_name) == ("Joe", "Example")
    assert (contact.email, contact.phone) == ("joe@example.com", "+14155552671")
    assert owner.sources.get(outcome.source_id).name == "Meta"
    assert outcome.deal_id is not None
    deal = owner.deals.get(outcome.deal_id)
    assert deal.title == "Meta: Joe Example"
    assert (deal.contact_id, deal.source_id) == (contact.id, outcome.source_id)
    assert deal.value == flame.Money(0, "USD")

    # The campaign stays with the deal, as its lead.
    lead = owner.leads.of_deal(deal.id)
    assert lead is not None
    assert lead.id == outcome.lead_id
    assert (lead.external_id, lead.campaign) == ("1234567890123456", "Spring sale")
    assert (lead.integration_id, lead.contact_id, lead.deal_id) == (meta, contact.id, deal.id)
    assert lead.received_at == datetime(2015, 2, 28, 8, 49, 14, tzinfo=timezone.utc)
    assert isinstance(lead.utm, flame.Utm)
    assert lead.utm.to_dict() == dict.fromkeys(["source", "medium", "campaign", "content", "term"])
    assert lead.to_dict()["utm"] == lead.utm.to_dict()
    assert "Spring sale" in repr(lead)
    page = owner.leads.list()
    assert page.items == [lead] and page.next_cursor is None
    assert owner.leads.of_deal(owner.deals.create("By hand", 1, "USD").id) is None

    # A redelivery changes nothing and answers with the first delivery's ids.
    before = written(owner)
    again = store.advertising.ingest_meta_lead(
        owner.company_id,
        meta,
        fixture("meta_lead.json"),
        headers=meta_signed(fixture("meta_lead.json")),
    )
    assert again.duplicate and not again.created_contact
    assert (again.lead_id, again.contact_id, again.deal_id, again.source_id) == (
        outcome.lead_id,
        outcome.contact_id,
        outcome.deal_id,
        outcome.source_id,
    )
    assert written(owner) == before

    # Another company sees none of it.
    globex = store.sign_up("Globex", "owner@globex.test", "Gus").session
    assert globex.leads.of_deal(deal.id) is None and len(globex.leads.list()) == 0


def test_a_malformed_lead_raises_validation_error_and_writes_nothing(
    store: flame.Flame, owner: flame.Session
) -> None:
    meta = ads(owner, "Meta ads", "meta")
    advertising = store.advertising
    before = written(owner)
    with pytest.raises(flame.ValidationError) as caught:
        advertising.ingest_meta_lead(
            owner.company_id,
            meta,
            fixture("meta_lead_bad_field_data.json"),
            headers=meta_signed(fixture("meta_lead_bad_field_data.json")),
        )
    assert caught.value.field.startswith("field_data"), caught.value.field
    with pytest.raises(flame.ValidationError):
        advertising.ingest_meta_lead(
            owner.company_id,
            meta,
            b"{not json", headers=meta_signed(b"{not json"),
        )
    with pytest.raises(TypeError):
        advertising.ingest_meta_lead(owner.company_id, meta, "{}")  # type: ignore[arg-type]
    # A VK lead for the Meta integration is from the wrong platform.
    with pytest.raises(flame.ValidationError) as caught:
        advertising.ingest_vk_lead(
            owner.company_id, meta, fixture("vk_lead_forms_new.json"), datetime.now(timezone.utc)
        )
    assert caught.value.field == "platform"
    # An unknown integration, or another company's, is not found.
    with pytest.raises(flame.NotFoundError):
        advertising.ingest_meta_lead(owner.company_id, uuid.uuid4(), fixture("meta_lead.json"))
    globex = store.sign_up("Globex", "owner@globex.test", "Gus")
    with pytest.raises(flame.NotFoundError):
        advertising.ingest_meta_lead(
            globex.company.id,
            meta,
            fixture("meta_lead.json"),
            headers=meta_signed(fixture("meta_lead.json")),
        )
    assert written(owner) == before == (0, 0, 0)


def test_a_vk_lead_is_dated_when_received(store: flame.Flame, owner: flame.Session) -> None:
    vk = ads(owner, "VK ads", "vk_ads")
    received = datetime(2024, 11, 5, 12, 0, tzinfo=timezone.utc)
    outcome = store.advertising.ingest_vk_lead(
        owner.company_id, vk, fixture("vk_lead_forms_new.json"), received
    )
    assert outcome is not None and outcome.created_contact
    assert owner.sources.get(outcome.source_id).name == "VK Ads"
    assert owner.contacts.get(outcome.contact_id).email == "ivan@example.ru"
    assert outcome.deal_id is not None
    lead = owner.leads.of_deal(outcome.deal_id)
    assert lead is not None and lead.received_at == received
    # The confirmation request carries no lead.
    confirmation = fixture("vk_confirmation.json")
    assert store.advertising.ingest_vk_lead(owner.company_id, vk, confirmation, received) is None


def test_spend_is_imported_exactly_and_the_cost_report_is_in_decimals(
    store: flame.Flame, owner: flame.Session
) -> None:
    meta = ads(owner, "Meta ads", "meta")
    advertising = store.advertising
    lead = advertising.ingest_meta_lead(
        owner.company_id,
        meta,
        fixture("meta_lead.json"),
        headers=meta_signed(fixture("meta_lead.json")),
    )
    rows: list[flame.AdSpend | dict[str, object]] = [
        flame.AdSpend("Spring sale", date(2015, 2, 28), Decimal("100.01"), "USD"),
        {"campaign": "Spring sale", "day": date(2015, 3, 1), "amount": "70", "currency": "usd"},
    ]
    assert advertising.import_spend(owner.company_id, meta, iter(rows)) == 2
    spend = flame.AdSpend("Autumn", date(2015, 3, 2), 5, "USD", source="Newsletter")
    assert (spend.amount, spend.currency, spend.source) == (Decimal("5.00"), "USD", "Newsletter")
    assert spend.to_dict() == {
        "campaign": "Autumn",
        "day": date(2015, 3, 2),
        "amount": Decimal("5.00"),
        "currency": "USD",
        "source": "Newsletter",
    }

    period = (date(2015, 1, 1), date(2015, 12, 31))
    [row] = owner.reports.cost_by_source(*period)
    assert isinstance(row, flame.SourceCost)
    assert (row.source_id, row.source_name, row.currency) == (lead.source_id, "Meta", "USD")
    assert (row.leads, row.won_deals) == (1, 0)
    assert row.spend == flame.Money(Decimal("170.01"), "USD")
    assert row.spend is not None and row.spend.amount == Decimal("170.01")
    assert row.cost_per_lead == flame.Money(Decimal("170.01"), "USD")
    assert row.cost_per_won_deal is None
    assert row.to_dict()["spend"] == {"amount": Decimal("170.01"), "currency": "USD"}

    # Importing a day again replaces it.
    again = [flame.AdSpend("Spring sale", date(2015, 3, 1), Decimal("69.99"), "USD")]
    assert advertising.import_spend(owner.company_id, meta, again) == 1
    [row] = owner.reports.cost_by_source(*period)
    assert row.spend == flame.Money(Decimal("170.00"), "USD")

    # A won deal of the lead counts in its integration's currency; one entered by hand has
    # no currency, and so no amounts.
    today = datetime.now(timezone.utc).date()
    assert lead.deal_id is not None
    deal = owner.deals.get(lead.deal_id)
    owner.deals.win(deal.id, deal.version)
    by_hand = owner.deals.create("By hand", 10, "USD", source_id=lead.source_id)
    owner.deals.win(by_hand.id, by_hand.version)
    usd, none = owner.reports.cost_by_source(date(2015, 1, 1), today)
    assert (usd.currency, usd.won_deals, usd.cost_per_won_deal) == (
        "USD",
        1,
        flame.Money(Decimal("170.00"), "USD"),
    )
    assert (none.currency, none.leads, none.won_deals) == (None, 0, 1)
    assert (none.spend, none.cost_per_lead, none.cost_per_won_deal) == (None, None, None)

    with pytest.raises(flame.ValidationError) as caught:
        owner.reports.cost_by_source(today, date(2015, 1, 1))
    assert caught.value.field == "to"


def test_bad_spend_rows_are_refused_and_nothing_is_written(
    store: flame.Flame, owner: flame.Session
) -> None:
    meta = ads(owner, "Meta ads", "meta")
    advertising = store.advertising
    day = date(2015, 2, 28)
    # Money is never a float.
    with pytest.raises(TypeError, match="float"):
        flame.AdSpend("Spring sale", day, 1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"rows\[0\]\.amount"):
        advertising.import_spend(
            owner.company_id,
            meta,
            [{"campaign": "Spring sale", "day": day, "amount": 1.5, "currency": "USD"}],
        )
    with pytest.raises(flame.ValidationError) as caught:
        flame.AdSpend("Spring sale", day, Decimal("1.001"), "USD")
    assert caught.value.field == "amount"
    ok = flame.AdSpend("Spring sale", day, 10, "USD")
    with pytest.raises(flame.ValidationError) as caught:
        advertising.import_spend(
            owner.company_id,
            meta,
            [ok, {"campaign": "Other", "day": day, "amount": "1", "currency": "XXZ"}],
        )
    assert caught.value.field == "rows[1].currency"
    # Checked by Flame: one currency per import, and each campaign and day once.
    with pytest.raises(flame.ValidationError) as caught:
        advertising.import_spend(
            owner.company_id, meta, [ok, flame.AdSpend("Other", day, 10, "EUR")]
        )
    assert caught.value.field == "rows[1].currency"
    with pytest.raises(flame.ValidationError) as caught:
        advertising.import_spend(owner.company_id, meta, [ok, ok])
    assert caught.value.field == "rows[1].day"
    with pytest.raises(TypeError, match=r"rows\[1\]: missing key 'day'"):
        advertising.import_spend(
            owner.company_id, meta, [ok, {"campaign": "x", "amount": 1, "currency": "USD"}]
        )
    with pytest.raises(TypeError, match=r"rows\[0\]: unknown key 'cost'"):
        advertising.import_spend(owner.company_id, meta, [{"cost": 1}])
    with pytest.raises(TypeError, match=r"rows\[0\]: expected an AdSpend or a mapping"):
        advertising.import_spend(
            owner.company_id, meta, [("Spring sale", day, 1, "USD")]  # type: ignore[list-item]
        )
    assert owner.reports.cost_by_source(date(2015, 1, 1), date(2015, 12, 31)) == []
    assert advertising.import_spend(owner.company_id, meta, []) == 0


def test_deals_from_leads_take_the_integrations_currency(
    store: flame.Flame, owner: flame.Session
) -> None:
    settings = flame.AdvertisingSettings(
        "vk_ads",
        auto_create_deal=True,
        default_pipeline_id=owner.pipelines.default().id,
        deal_currency="RUB",
    )
    assert settings.deal_currency == "RUB"
    meta = owner.integrations.create(
        "Meta in roubles",
        flame.AdvertisingSettings(
            "meta",
            auto_create_deal=True,
            default_pipeline_id=owner.pipelines.default().id,
            deal_currency="RUB",
        ),
        {"app_secret": META_SECRET},
    ).id
    outcome = store.advertising.ingest_meta_lead(
        owner.company_id,
        meta,
        fixture("meta_lead.json"),
        headers=meta_signed(fixture("meta_lead.json")),
    )
    assert outcome.deal_id is not None
    assert owner.deals.get(outcome.deal_id).value == flame.Money(0, "RUB")
    with pytest.raises(flame.ValidationError) as caught:
        owner.integrations.create(
            "Bad currency",
            flame.AdvertisingSettings("meta", auto_create_deal=False, deal_currency="XYZ"),
        )
    assert caught.value.field == "deal_currency"


def test_a_lead_the_host_built_is_ingested_once_and_checked(store: flame.Flame) -> None:
    # A plan without limits: this company holds more integrations than the starter plan allows.
    store.plans.set_default(store.plans.create("big", "Big", 0, "USD").id)
    s = store.sign_up("Acme", "owner@acme.test", "Olga").session
    globex = store.sign_up("Globex", "owner@globex.test", "Hank").session
    forms = s.integrations.create(
        "Landing forms",
        flame.AdvertisingSettings(
            "other",
            auto_create_deal=True,
            default_pipeline_id=s.pipelines.default().id,
            deal_currency="EUR",
        ),
    )
    meta = s.integrations.create("Meta ads", flame.AdvertisingSettings("meta", auto_create_deal=False))
    bot = s.integrations.create("Bot", flame.MessagingSettings("telegram"))
    theirs = globex.integrations.create(
        "Their forms", flame.AdvertisingSettings("other", auto_create_deal=False)
    )

    # The landing page's UTM tags name the source; the lead opens a deal.
    utm = flame.Utm.from_url(
        "https://shop.example/spring?UTM_Source=Instagram&utm_medium=cpc&utm_campaign=spring#top"
    )
    assert utm == flame.Utm(source="Instagram", medium="cpc", campaign="spring")
    created_at = datetime(2024, 11, 5, 13, 20, 1, tzinfo=timezone.utc)
    lead = flame.Lead(
        "other",
        "form-1",
        created_at,
        name="Anna Smirnova",
        email="Anna@Example.com",
        phone="+7 999 123-45-67",
        campaign="Spring sale",
        utm=utm,
        answers=[("budget", "1000 EUR")],
    )
    assert (lead.email, lead.phone, lead.answers) == (
        "anna@example.com",
        "+79991234567",
        [("budget", "1000 EUR")],
    )
    assert lead.to_dict()["utm"] == utm.to_dict()
    first = store.advertising.ingest_lead(s.company_id, forms.id, lead)
    assert first.created_contact and not first.duplicate
    anna = s.contacts.get(first.contact_id)
    assert (anna.first_name, anna.last_name, anna.email, anna.phone) == (
        "Anna",
        "Smirnova",
        "anna@example.com",
        "+79991234567",
    )
    assert s.sources.get(first.source_id).name == "Instagram"
    assert first.deal_id is not None
    deal = s.deals.get(first.deal_id)
    assert (deal.value, deal.source_id) == (flame.Money(0, "EUR"), first.source_id)
    record = s.leads.of_deal(deal.id)
    assert record is not None
    assert (record.id, record.integration_id, record.external_id, record.campaign) == (
        first.lead_id,
        forms.id,
        "form-1",
        "Spring sale",
    )
    assert (record.utm, record.received_at) == (utm, created_at)

    # A redelivery changes nothing; a lead without tags is filed under the platform.
    again = store.advertising.ingest_lead(s.company_id, forms.id, lead)
    assert again.duplicate
    assert (again.lead_id, again.contact_id, again.deal_id) == (
        first.lead_id,
        first.contact_id,
        first.deal_id,
    )
    second = store.advertising.ingest_lead(
        s.company_id, forms.id, flame.Lead("other", "form-2", datetime.now(timezone.utc))
    )
    assert s.sources.get(second.source_id).name == "Other"
    assert [r.id for r in s.leads.list().items] == [second.lead_id, first.lead_id]

    # Misuse: typed errors, and nothing is written.
    before = written(s)
    fresh = flame.Lead("other", "form-3", datetime.now(timezone.utc), email="vera@example.com")
    with pytest.raises(flame.NotFoundError):
        store.advertising.ingest_lead(s.company_id, theirs.id, fresh)
    with pytest.raises(flame.NotFoundError):
        store.advertising.ingest_lead(globex.company_id, forms.id, fresh)
    with pytest.raises(flame.NotFoundError) as not_ads:
        store.advertising.ingest_lead(s.company_id, bot.id, fresh)
    assert not_ads.value.entity == "advertising integration"
    with pytest.raises(flame.ValidationError) as platform:
        store.advertising.ingest_lead(s.company_id, meta.id, fresh)
    assert platform.value.field == "platform"
    too_long = flame.Lead("other", "form-4", datetime.now(timezone.utc), campaign="x" * 201)
    with pytest.raises(flame.ValidationError) as long_campaign:
        store.advertising.ingest_lead(s.company_id, forms.id, too_long)
    assert long_campaign.value.field == "campaign"
    with pytest.raises(flame.ValidationError) as blank:
        store.advertising.ingest_lead(
            s.company_id, forms.id, flame.Lead("other", " ", datetime.now(timezone.utc))
        )
    assert blank.value.field == "external_lead_id"
    s.integrations.update(forms.id, forms.version, enabled=False)
    with pytest.raises(flame.ConflictError) as disabled:
        store.advertising.ingest_lead(s.company_id, forms.id, fresh)
    assert disabled.value.entity == "integration"
    assert written(s) == before
    assert written(globex) == (0, 0, 0)

    # Bad values are refused when the lead is built.
    with pytest.raises(flame.ValidationError) as bad_email:
        flame.Lead("other", "x", datetime.now(timezone.utc), email="not-an-email")
    assert bad_email.value.field == "email"
    with pytest.raises(flame.ValidationError) as bad_phone:
        flame.Lead("other", "x", datetime.now(timezone.utc), phone="12345")
    assert bad_phone.value.field == "phone"
    with pytest.raises(flame.ValidationError) as unknown:
        flame.Lead("myspace", "x", datetime.now(timezone.utc))  # type: ignore[arg-type]
    assert unknown.value.field == "platform"
    with pytest.raises(flame.ValidationError) as tag:
        flame.Utm.from_url("?utm_term=" + "y" * 201)
    assert tag.value.field == "utm_term"
    with pytest.raises(TypeError):
        flame.Lead("other", "x", datetime(2024, 1, 1))


def test_a_meta_lead_needs_the_app_secrets_signature(
    store: flame.Flame, owner: flame.Session
) -> None:
    meta = ads(owner, "Meta ads", "meta")
    body = fixture("meta_lead.json")
    advertising = store.advertising
    # Unsigned, signed for another body, or wrongly signed: refused, nothing written.
    with pytest.raises(flame.UnauthenticatedError) as unsigned:
        advertising.ingest_meta_lead(owner.company_id, meta, body)
    assert "X-Hub-Signature-256" in str(unsigned.value)
    with pytest.raises(flame.UnauthenticatedError):
        advertising.ingest_meta_lead(
            owner.company_id,
            meta,
            body + b" ",
            headers=meta_signed(body),
        )
    with pytest.raises(flame.UnauthenticatedError):
        advertising.ingest_meta_lead(
            owner.company_id, meta, body, headers={"x-hub-signature-256": "sha256=00"}
        )
    # A Meta integration without the app secret takes nothing.
    bare = owner.integrations.create(
        "Meta without a secret", flame.AdvertisingSettings("meta", auto_create_deal=False)
    ).id
    with pytest.raises(flame.UnauthenticatedError) as no_secret:
        advertising.ingest_meta_lead(owner.company_id, bare, body, headers=meta_signed(body))
    assert "app_secret" in str(no_secret.value)
    assert written(owner) == (0, 0, 0)
    outcome = advertising.ingest_meta_lead(owner.company_id, meta, body, headers=meta_signed(body))
    assert outcome.created_contact
