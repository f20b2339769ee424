"""Integrations: encryption keys, sealed credentials, key rotation, settings checked when
saved (defaults, SSRF), inbound webhooks, and secrets kept out of every repr, dict and error."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import pickle
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import flame

FIXTURES = Path(__file__).resolve().parents[3] / "flame-core" / "src" / "integration" / "fixtures"


def fixture(name: str) -> bytes:
    """The bytes of a webhook body from flame-core's fixtures."""
    return (FIXTURES / name).read_bytes()


def key(id: str, byte: int) -> flame.EncryptionKey:
    return flame.EncryptionKey.from_bytes(id, bytes([byte]) * 32)


@pytest.fixture
def keyed(url: str, store: flame.Flame) -> Iterator[flame.Flame]:
    """A second handle on the test's database, with key "k1" and loopback webhooks allowed."""
    with flame.open(url, encryption_key=key("k1", 1), webhook_allow_loopback=True) as opened:
        yield opened


def as_owner(store: flame.Flame, owner: flame.Session) -> flame.Session:
    """The owner's session through another handle (with other keys)."""
    return store.session(owner.user_id, owner.company_id)


#: Telegram settings; keyword arguments as for ``flame.MessagingSettings``.
telegram = functools.partial(flame.MessagingSettings, "telegram")

UUIDs = tuple[uuid.UUID, uuid.UUID, uuid.UUID]


# --- Keys ---------------------------------------------------------------------------------


def test_an_encryption_key_shows_only_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = bytes(range(32))
    text = base64.b64encode(raw).decode()
    made = [
        flame.EncryptionKey.from_bytes("k1", raw),
        flame.EncryptionKey.from_base64("k1", text),
    ]
    monkeypatch.setenv("FLAME_TEST_KEY", text)
    made.append(flame.EncryptionKey.from_env("k1", "FLAME_TEST_KEY"))
    for k in made:
        assert k.id == "k1"
        assert repr(k) == "EncryptionKey(id='k1')"
        assert str(k) == repr(k)
        assert text not in repr(k) and raw.hex() not in repr(k)

    with pytest.raises(flame.ValidationError) as caught:
        flame.EncryptionKey.from_bytes("k1", b"short")
    assert caught.value.field == "key"
    with pytest.raises(flame.ValidationError) as caught:
        flame.EncryptionKey.from_bytes("not a key id!", raw)
    assert caught.value.field == "key_id"
    monkeypatch.setenv("FLAME_TEST_BAD_KEY", "not-base64-TOPSECRET")
    with pytest.raises(flame.ValidationError) as caught:
        flame.EncryptionKey.from_env("k1", "FLAME_TEST_BAD_KEY")
    assert caught.value.field == "FLAME_TEST_BAD_KEY"
    assert "TOPSECRET" not in str(caught.value) and "TOPSECRET" not in repr(caught.value.args)
    monkeypatch.delenv("FLAME_TEST_MISSING_KEY", raising=False)
    with pytest.raises(flame.ValidationError) as caught:
        flame.EncryptionKey.from_env("k1", "FLAME_TEST_MISSING_KEY")
    assert caught.value.field == "FLAME_TEST_MISSING_KEY"
    with pytest.raises(TypeError):
        flame.EncryptionKey()
    with pytest.raises(TypeError):
        pickle.dumps(made[0])  # a key is never serialized


def test_previous_keys_need_an_encryption_key(url: str) -> None:
    with pytest.raises(flame.ValidationError) as caught:
        flame.open(url, previous_keys=[key("old", 1)])
    assert caught.value.field == "previous_keys"


# --- Credentials --------------------------------------------------------------------------


def test_credentials_are_sealed_and_open_only_with_the_right_key(
    url: str, store: flame.Flame, owner: flame.Session, keyed: flame.Flame
) -> None:
    # Without a key: integrations without credentials work; with credentials, CryptoError.
    plain = owner.integrations.create("No secret", telegram())
    assert plain.credential_fields == []
    with pytest.raises(flame.CryptoError) as caught:
        owner.integrations.create("Bot", telegram(), {"token": "123:SECRET-A"})
    assert caught.value.kind == "Crypto"
    assert "encryption key" in caught.value.reason
    assert "SECRET" not in str(caught.value)
    assert [i.name for i in owner.integrations.list()] == ["No secret"]

    s = as_owner(keyed, owner)
    bot = s.integrations.create("Bot", telegram(), credentials={"token": "123:SECRET-A"})
    assert bot.kind == "messaging"
    assert bot.credential_fields == ["token"]
    assert bot.enabled and bot.version == 1
    assert s.integrations.credential(bot.id, "token").expose() == "123:SECRET-A"
    assert s.integrations.get(bot.id) == bot

    # Credentials given on update replace their field; the others are kept.
    updated = s.integrations.update(
        bot.id, bot.version, credentials={"token": "456:SECRET-B", "webhook_secret": "SECRET-W"}
    )
    assert updated.credential_fields == ["token", "webhook_secret"]
    assert updated.version == bot.version + 1
    assert s.integrations.credential(bot.id, "token").expose() == "456:SECRET-B"
    assert s.integrations.credential(bot.id, "webhook_secret").expose() == "SECRET-W"
    with pytest.raises(flame.NotFoundError):
        s.integrations.credential(bot.id, "missing")

    # The wrong key: a CryptoError naming the integration and the field, never garbage.
    with flame.open(url, encryption_key=key("k1", 9)) as wrong:
        with pytest.raises(flame.CryptoError) as caught:
            as_owner(wrong, owner).integrations.credential(bot.id, "token")
    assert str(bot.id) in caught.value.reason
    assert "token" in caught.value.reason
    assert "SECRET" not in str(caught.value)
    # And no key at all.
    with pytest.raises(flame.CryptoError):
        owner.integrations.credential(bot.id, "token")


def test_bad_credentials_are_refused_without_repeating_them(
    owner: flame.Session, keyed: flame.Flame
) -> None:
    s = as_owner(keyed, owner)
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.create("Bot", telegram(), {"token": "   "})
    assert caught.value.field == "credentials.token"
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.create("Bot", telegram(), {"Bad Field": "SECRET-X"})
    assert caught.value.field == "credentials"
    assert "SECRET-X" not in str(caught.value)
    with pytest.raises(TypeError) as type_error:
        s.integrations.create("Bot", telegram(), {"token": 12345678})  # type: ignore[dict-item]
    assert "12345678" not in str(type_error.value)
    with pytest.raises(TypeError):
        s.integrations.create("Bot", telegram(), "token=SECRET")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.integrations.create("Bot", "telegram")  # type: ignore[arg-type]
    assert s.integrations.list() == []


# --- Key rotation -------------------------------------------------------------------------


def test_keys_rotate_and_health_shows_which_are_in_use(
    url: str, store: flame.Flame, owner: flame.Session
) -> None:
    k2025, k2026 = key("2025", 1), key("2026", 2)
    with flame.open(url, encryption_key=k2025) as old:
        s = as_owner(old, owner)
        ids = [
            s.integrations.create(name, telegram(), {"token": f"token-{i}"}).id
            for i, name in enumerate(["A", "B"])
        ]
        health = old.health()
        assert health.encryption_configured
        assert health.configured_keys == ["2025"]
        assert [(k.key_id, k.secrets) for k in health.keys_in_use or []] == [("2025", 2)]

    plain = store.health()
    assert not plain.encryption_configured and plain.configured_keys == []
    with pytest.raises(flame.CryptoError):
        store.rotate_keys()

    with flame.open(url, encryption_key=k2026, previous_keys=[k2025]) as rotated:
        health = rotated.health()
        assert health.configured_keys == ["2026", "2025"]
        assert [k.key_id for k in health.keys_in_use or []] == ["2025"]
        rs = as_owner(rotated, owner)
        assert rs.integrations.credential(ids[0], "token").expose() == "token-0", "old keys still open"

        done = rotated.rotate_keys(batch=1)
        assert (done.resealed, done.remaining) == (2, 0)
        assert done.to_dict() == {"resealed": 2, "remaining": 0, "skipped": []}
        assert rotated.rotate_keys().resealed == 0, "nothing left: safe to run again"
        health = rotated.health()
        assert health.to_dict()["keys_in_use"] == [{"key_id": "2026", "secrets": 2}]
        assert "KeyUse(key_id='2026', secrets=2)" in repr(health)

    with flame.open(url, encryption_key=k2026) as new_only:
        assert as_owner(new_only, owner).integrations.credential(ids[1], "token").expose() == "token-1"
    with flame.open(url, encryption_key=k2025) as old_only:
        with pytest.raises(flame.CryptoError):
            as_owner(old_only, owner).integrations.credential(ids[1], "token")


def test_a_credential_no_key_opens_is_skipped_and_reported_while_the_others_rotate(
    url: str, owner: flame.Session
) -> None:
    lost, k2025, k2026 = key("lost", 7), key("2025", 1), key("2026", 2)
    with flame.open(url, encryption_key=lost) as first:
        orphan = as_owner(first, owner).integrations.create("Orphan", telegram(), {"token": "o"})
    with flame.open(url, encryption_key=k2025) as old:
        bot = as_owner(old, owner).integrations.create("Bot", telegram(), {"token": "b"})

    with flame.open(url, encryption_key=k2026, previous_keys=[k2025]) as rotated:
        done = rotated.rotate_keys(batch=1)
        assert (done.resealed, done.remaining, done.skipped) == (1, 1, [orphan.id])
    with flame.open(url, encryption_key=k2026) as new_only:
        assert as_owner(new_only, owner).integrations.credential(bot.id, "token").expose() == "b"
    with flame.open(url, encryption_key=lost) as first:
        assert as_owner(first, owner).integrations.credential(orphan.id, "token").expose() == "o"


# --- Settings -----------------------------------------------------------------------------


def test_settings_are_frozen_values_of_the_four_kinds(
    owner: flame.Session, keyed: flame.Flame
) -> None:
    pipeline = owner.pipelines.default()
    messaging = flame.MessagingSettings(
        " WhatsApp ",  # type: ignore[arg-type]  # parsed trimmed, in any case
        auto_create_deal=True,
        default_pipeline_id=pipeline.id,
        deal_currency="EUR",
    )
    assert messaging.platform == "whatsapp"
    assert messaging.auto_create_contact and messaging.auto_create_deal
    assert messaging.default_pipeline_id == pipeline.id
    assert messaging == flame.MessagingSettings(
        "whatsapp", auto_create_deal=True, default_pipeline_id=pipeline.id, deal_currency="EUR"
    )
    assert messaging.to_dict()["platform"] == "whatsapp"
    assert repr(messaging).startswith("MessagingSettings(platform='whatsapp'")
    with pytest.raises(AttributeError):
        messaging.platform = "telegram"  # type: ignore[misc]
    with pytest.raises(flame.ValidationError) as caught:
        flame.MessagingSettings("icq")  # type: ignore[arg-type]
    assert caught.value.field == "platform"

    accounting = flame.AccountingSettings(
        "one_c", vat_rate_bp=2000, vat_included=True, invoice_on_won=True
    )
    advertising = flame.AdvertisingSettings(
        "yandex_direct", auto_create_deal=True, default_pipeline_id=pipeline.id
    )
    webhook = flame.WebhookSettings("http://127.0.0.1:9/hook", ["deal.*"])
    assert (accounting.platform, accounting.vat_rate_bp) == ("one_c", 2000)
    assert advertising.platform == "yandex_direct"
    assert webhook.events == ["deal.*"]
    with pytest.raises(flame.ValidationError):
        flame.AccountingSettings("sage", vat_rate_bp=0, vat_included=False, invoice_on_won=False)  # type: ignore[arg-type]
    with pytest.raises(flame.ValidationError):
        flame.AdvertisingSettings("myspace", auto_create_deal=False)  # type: ignore[arg-type]

    s = as_owner(keyed, owner)
    created = [
        s.integrations.create("WhatsApp", messaging),
        s.integrations.create("1C", accounting),
    ]
    # The starter plan allows two integrations.
    with pytest.raises(flame.PlanLimitExceededError) as limit:
        s.integrations.create("Ads", advertising)
    assert limit.value.limit == "integrations"
    assert [i.kind for i in created] == ["messaging", "accounting"]
    assert created[0].settings == messaging
    assert isinstance(created[1].settings, flame.AccountingSettings)
    assert s.integrations.list(kind="accounting") == [created[1]]
    assert created[0].to_dict()["settings"]["deal_currency"] == "EUR"
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.list(kind="crm")  # type: ignore[arg-type]
    assert caught.value.field == "kind"


def test_webhook_urls_are_checked_against_ssrf(
    url: str, store: flame.Flame, owner: flame.Session, keyed: flame.Flame
) -> None:
    s = as_owner(keyed, owner)
    secret = {"signing_secret": "whsec_1"}
    for bad in [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest",
        "http://user:pw@example.com/hook",
        "ftp://example.com/x",
        "not a url",
    ]:
        with pytest.raises(flame.ValidationError) as caught:
            s.integrations.create("Hook", flame.WebhookSettings(bad, ["deal.*"]), secret)
        assert caught.value.field == "url", bad
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.create("Hook", flame.WebhookSettings("https://example.com/h", ["deal.*"]))
    assert caught.value.field == "credentials.signing_secret"
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.create(
            "Hook", flame.WebhookSettings("https://example.com/h", ["deal.**"]), secret
        )
    assert caught.value.field == "events"

    # Loopback only where the host allowed it.
    loopback = flame.WebhookSettings("http://127.0.0.1:9/hook", ["deal.*"])
    with flame.open(url, encryption_key=key("k1", 1)) as strict:
        with pytest.raises(flame.ValidationError) as caught:
            as_owner(strict, owner).integrations.create("Hook", loopback, secret)
        assert caught.value.field == "url"
    assert s.integrations.list() == []
    hook = s.integrations.create("Hook", loopback, secret)
    assert hook.kind == "webhook" and hook.settings == loopback
    assert hook.credential_fields == ["signing_secret"]
    # An update to a private address is refused the same way, and changes nothing.
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.update(
            hook.id, hook.version, settings=flame.WebhookSettings("http://10.1.2.3/", ["*"])
        )
    assert caught.value.field == "url"
    assert s.integrations.get(hook.id) == hook


def test_defaults_and_updates_are_checked(
    store: flame.Flame, owner: flame.Session, keyed: flame.Flame
) -> None:
    s = as_owner(keyed, owner)
    globex = store.sign_up("Globex", "hank@globex.test", "Hank")
    theirs = globex.session.pipelines.default()
    checks: list[tuple[flame.MessagingSettings, str]] = [
        (telegram(auto_create_deal=True, default_pipeline_id=theirs.id), "default_pipeline_id"),
        (telegram(auto_create_deal=True), "default_pipeline_id"),
        (telegram(default_assignee_id=globex.owner.id), "default_assignee_id"),
        (telegram(default_source_id=uuid.uuid4()), "default_source_id"),
        (telegram(deal_currency="XYZ"), "deal_currency"),
    ]
    for settings, field in checks:
        with pytest.raises(flame.ValidationError) as caught:
            s.integrations.create("Bot", settings)
        assert caught.value.field == field
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.create(" ", telegram())
    assert caught.value.field == "name"
    assert s.integrations.list() == []

    bot = s.integrations.create("Bot", telegram())
    with pytest.raises(flame.ConflictError):
        s.integrations.create("BOT", telegram())
    renamed = s.integrations.update(bot.id, bot.version, name="Support bot", enabled=False)
    assert (renamed.name, renamed.enabled, renamed.version) == ("Support bot", False, 2)
    with pytest.raises(flame.ConflictError):
        s.integrations.update(bot.id, bot.version, name="Stale")
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.update(
            bot.id, renamed.version, settings=flame.WebhookSettings("https://example.com", ["*"])
        )
    assert caught.value.field == "settings"
    with pytest.raises(flame.ValidationError) as caught:
        s.integrations.update(
            bot.id, renamed.version, settings=telegram(default_pipeline_id=theirs.id)
        )
    assert caught.value.field == "default_pipeline_id"

    # Only admins and owners; another company sees nothing.
    max_ = owner.members.add("max@acme.test", "Max", "manager")
    manager = store.session(max_.user.id, owner.company_id)
    with pytest.raises(flame.ForbiddenError):
        manager.integrations.list()
    with pytest.raises(flame.NotFoundError):
        globex.session.integrations.get(bot.id)

    s.integrations.delete(bot.id, renamed.version)
    with pytest.raises(flame.NotFoundError):
        s.integrations.get(bot.id)
    assert owner.billing.usage().integrations == 0


# --- Inbound messages ---------------------------------------------------------------------


TG_SECRET = "tg-webhook-secret"
TG = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
META_SECRET = "meta-app-secret"


def meta_signed(body: bytes) -> dict[str, str]:
    """The headers Meta sends with ``body``: its HMAC-SHA256 under the app secret."""
    digest = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": "sha256=" + digest}


def sales_bot(keyed: flame.Flame, owner: flame.Session) -> tuple[flame.Integration, UUIDs]:
    """A Telegram bot that creates contacts and deals, with every default set."""
    s = as_owner(keyed, owner)
    pipeline = owner.pipelines.default()
    source = owner.sources.create("Telegram bot")
    manager = owner.members.add("max@acme.test", "Max", "manager")
    settings = telegram(
        auto_create_deal=True,
        default_pipeline_id=pipeline.id,
        default_source_id=source.id,
        default_assignee_id=manager.user.id,
        deal_currency="RUB",
    )
    bot = s.integrations.create(
        "Sales bot", settings, {"token": "1:TOKEN", "secret_token": TG_SECRET}
    )
    return bot, (pipeline.id, source.id, manager.user.id)


def test_a_telegram_webhook_creates_the_contact_and_the_deal_once(
    keyed: flame.Flame, owner: flame.Session
) -> None:
    bot, (pipeline_id, source_id, manager_id) = sales_bot(keyed, owner)
    inbound = keyed.inbound
    first = inbound.handle_webhook(
        owner.company_id, bot.id, fixture("telegram_text_message.json"), headers=TG
    )
    assert len(first) == 1
    outcome = first[0]
    assert outcome.created_contact and outcome.created_deal and not outcome.duplicate
    assert outcome.external_message_id
    assert outcome.contact_id is not None and outcome.deal_id is not None
    contact = owner.contacts.get(outcome.contact_id)
    assert (contact.first_name, contact.last_name) == ("Test", "Lastname")
    assert contact.owner_id == manager_id
    deal = owner.deals.get(outcome.deal_id)
    assert deal.pipeline_id == pipeline_id
    assert deal.source_id == source_id
    assert deal.assignee_id == manager_id
    assert deal.value.currency == "RUB"
    assert "Telegram" in deal.title
    activities = owner.activities.list(contact_id=contact.id)
    assert [a.id for a in activities] == [outcome.activity_id]
    assert activities.items[0].body == "Hello! How much is the Pro plan?"
    assert activities.items[0].kind == "message_in"
    assert outcome.to_dict()["created_deal"] is True

    # A redelivered webhook is a duplicate and changes nothing.
    again = inbound.handle_webhook(
        owner.company_id, bot.id, fixture("telegram_text_message.json"), headers=TG
    )
    assert again[0].duplicate
    assert (again[0].contact_id, again[0].deal_id) == (outcome.contact_id, outcome.deal_id)
    assert not again[0].created_contact and not again[0].created_deal
    assert len(owner.contacts.list()) == 1
    assert len(owner.deals.list()) == 1
    assert len(owner.activities.list(contact_id=contact.id)) == 1

    # The same sender's next message joins the same contact and open deal.
    nxt = inbound.handle_webhook(
        owner.company_id, bot.id, fixture("telegram_contact_message.json"), headers=TG
    )
    assert (nxt[0].contact_id, nxt[0].deal_id) == (outcome.contact_id, outcome.deal_id)
    assert not nxt[0].created_contact and not nxt[0].created_deal
    # An update without a message does nothing.
    edited = fixture("telegram_edited_message.json")
    assert inbound.handle_webhook(owner.company_id, bot.id, edited, headers=TG) == []
    types = {e.event_type for e in owner.events.list(limit=100)}
    assert {"contact.created", "deal.created", "activity.created"} <= types


def test_a_whatsapp_sender_is_matched_by_phone(keyed: flame.Flame, owner: flame.Session) -> None:
    s = as_owner(keyed, owner)
    whatsapp = s.integrations.create(
        "WhatsApp",
        flame.MessagingSettings("whatsapp", phone_number_id="106540352242922"),
        {"app_secret": META_SECRET, "verify_token": "hub-verify"},
    )
    settings = whatsapp.settings
    assert isinstance(settings, flame.MessagingSettings)
    assert settings.phone_number_id == "106540352242922"
    known = owner.contacts.create("Sheena", phone="+1 650-555-1234")
    body = fixture("whatsapp_two_senders.json")
    # A body for a number this integration does not own is refused, signed or not.
    other_number = body.replace(b"106540352242922", b"300")
    with pytest.raises(flame.ValidationError) as not_ours:
        keyed.inbound.handle_webhook(
            owner.company_id, whatsapp.id, other_number, headers=meta_signed(other_number)
        )
    assert not_ours.value.field == "entry[0].changes[0].value.metadata.phone_number_id"
    with pytest.raises(flame.ValidationError) as bad_number:
        s.integrations.create(
            "Bad", flame.MessagingSettings("whatsapp", phone_number_id="+1 650"), {}
        )
    assert bad_number.value.field == "phone_number_id"
    # Unsigned, tampered or wrongly signed bodies are refused and write nothing.
    with pytest.raises(flame.UnauthenticatedError) as caught:
        keyed.inbound.handle_webhook(owner.company_id, whatsapp.id, body)
    assert "X-Hub-Signature-256" in str(caught.value)
    with pytest.raises(flame.UnauthenticatedError):
        keyed.inbound.handle_webhook(
            owner.company_id, whatsapp.id, body + b" ", headers=meta_signed(body)
        )
    with pytest.raises(flame.UnauthenticatedError):
        keyed.inbound.handle_webhook(
            owner.company_id, whatsapp.id, body, headers={"X-Hub-Signature-256": "sha256=00"}
        )
    assert len(owner.contacts.list()) == 1
    # The subscription handshake answers only the integration's verify token.
    challenge = keyed.inbound.verify_subscription(
        owner.company_id, whatsapp.id, "subscribe", "hub-verify", "1158201444"
    )
    assert challenge == "1158201444"
    with pytest.raises(flame.UnauthenticatedError):
        keyed.inbound.verify_subscription(owner.company_id, whatsapp.id, "subscribe", "x", "1")
    with pytest.raises(flame.ValidationError) as wrong_mode:
        keyed.inbound.verify_subscription(owner.company_id, whatsapp.id, "other", "hub-verify", "1")
    assert wrong_mode.value.field == "hub.mode"
    outcomes = keyed.inbound.handle_webhook(
        owner.company_id, whatsapp.id, body, headers=meta_signed(body)
    )
    assert len(outcomes) == 2
    assert outcomes[0].contact_id == known.id and not outcomes[0].created_contact
    assert outcomes[1].created_contact
    assert all(o.deal_id is None for o in outcomes), "this integration opens no deals"


def test_a_malformed_body_is_a_validation_error_and_writes_nothing(
    store: flame.Flame, keyed: flame.Flame, owner: flame.Session
) -> None:
    bot, _ = sales_bot(keyed, owner)
    inbound = keyed.inbound
    # Without the bot's secret token (or with another one), nothing is read or written.
    text = fixture("telegram_text_message.json")
    with pytest.raises(flame.UnauthenticatedError) as unsigned:
        inbound.handle_webhook(owner.company_id, bot.id, text)
    assert "X-Telegram-Bot-Api-Secret-Token" in str(unsigned.value)
    guessed = {"x-telegram-bot-api-secret-token": "guess"}
    with pytest.raises(flame.UnauthenticatedError):
        inbound.handle_webhook(owner.company_id, bot.id, text, headers=guessed)
    with pytest.raises(flame.ValidationError) as caught:
        inbound.handle_webhook(
            owner.company_id, bot.id, fixture("telegram_malformed_date.json"), headers=TG
        )
    assert caught.value.field == "message.date"
    assert "yesterday" not in str(caught.value)
    with pytest.raises(flame.ValidationError):
        inbound.handle_webhook(owner.company_id, bot.id, b"{not json", headers=TG)
    with pytest.raises(TypeError):
        inbound.handle_webhook(owner.company_id, bot.id, "{}", headers=TG)  # type: ignore[arg-type]
    with pytest.raises(flame.NotFoundError):
        inbound.handle_webhook(
            owner.company_id, uuid.uuid4(), fixture("telegram_text_message.json"), headers=TG
        )
    globex = store.sign_up("Globex", "hank@globex.test", "Hank")
    with pytest.raises(flame.NotFoundError):
        inbound.handle_webhook(
            globex.company.id, bot.id, fixture("telegram_text_message.json"), headers=TG
        )
    assert len(owner.contacts.list()) == 0
    assert len(owner.deals.list()) == 0

    # A disabled integration takes nothing.
    s = as_owner(keyed, owner)
    s.integrations.update(bot.id, bot.version, enabled=False)
    with pytest.raises(flame.ConflictError):
        inbound.handle_webhook(
            owner.company_id, bot.id, fixture("telegram_text_message.json"), headers=TG
        )


# --- No secret anywhere -------------------------------------------------------------------


def test_no_secret_reaches_a_repr_a_dict_or_an_error(
    url: str, store: flame.Flame, owner: flame.Session
) -> None:
    secret = "7777:TOP-SECRET-BOT-TOKEN"
    raw_key = bytes([0x5A]) * 32
    key_texts = [base64.b64encode(raw_key).decode(), raw_key.hex(), repr(raw_key)]
    shown: list[str] = []

    def show(value: object) -> None:
        shown.append(repr(value))
        shown.append(str(value))
        to_dict = getattr(value, "to_dict", None)
        if to_dict is not None:
            shown.append(repr(to_dict()))

    def show_error(error: BaseException) -> None:
        show(error)
        shown.append(repr(error.args))
        shown.append(repr(vars(error)))

    k = flame.EncryptionKey.from_bytes("prod", raw_key)
    show(k)
    with flame.open(url, encryption_key=k) as keyed:
        show(keyed)
        s = as_owner(keyed, owner)
        bot = s.integrations.create(
            "Bot", telegram(), {"token": secret, "secret_token": TG_SECRET}
        )
        show(bot)
        show(s.integrations.list())
        show(s.integrations.get(bot.id))
        updated = s.integrations.update(bot.id, bot.version, credentials={"token": secret})
        show(updated)
        show(keyed.inbound.handle_webhook(
            owner.company_id, bot.id, fixture("telegram_text_message.json"), headers=TG
        ))
        show(keyed.rotate_keys())
        show(keyed.health())
        for event in owner.events.list(limit=200):
            show(event)
        assert s.integrations.credential(bot.id, "token").expose() == secret
        with pytest.raises(flame.ConflictError) as conflict:
            s.integrations.update(updated.id, bot.version, credentials={"token": secret})
        show_error(conflict.value)
        with pytest.raises(flame.ValidationError) as invalid:
            s.integrations.create("Bot 2", telegram(), {"token": secret + "\x00"})
        show_error(invalid.value)
    with flame.open(url, encryption_key=key("prod", 3)) as wrong:
        with pytest.raises(flame.CryptoError) as caught:
            as_owner(wrong, owner).integrations.credential(bot.id, "token")
        show_error(caught.value)
    with pytest.raises(flame.CryptoError) as caught:
        owner.integrations.create("Bot 3", telegram(), {"token": secret})
    show_error(caught.value)

    text = "\n".join(shown)
    assert "TOP-SECRET" not in text
    for key_text in key_texts:
        assert key_text not in text


def test_a_message_the_host_parsed_is_handled_once_and_checked(store: flame.Flame) -> None:
    # A plan without limits: this company holds more integrations than the starter plan allows.
    store.plans.set_default(store.plans.create("big", "Big", 0, "USD").id)
    s = store.sign_up("Acme", "owner@acme.test", "Olga").session
    globex = store.sign_up("Globex", "owner@globex.test", "Hank").session
    vk = s.integrations.create("VK community", flame.MessagingSettings("vk"))
    bot = s.integrations.create("Bot", telegram())
    ads = s.integrations.create("Ads", flame.AdvertisingSettings("vk_ads", auto_create_deal=False))
    message = flame.InboundMessage(
        "vk",
        "2000000001:17",
        "2000000001",
        "id777",
        datetime.now(timezone.utc),
        sender_name="Pavel Durov",
        phone_raw="+7 999 765-43-21",
        phone="+7 999 765-43-21",
        text="Is the Pro plan in stock?",
    )
    assert (message.platform, message.phone) == ("vk", "+79997654321")
    assert message.to_dict()["text"] == "Is the Pro plan in stock?"
    first = store.inbound.handle_message(s.company_id, vk.id, message)
    assert isinstance(first, flame.InboundOutcome)
    assert first.external_message_id == "2000000001:17"
    assert first.created_contact and not first.duplicate and first.deal_id is None
    assert first.contact_id is not None and first.activity_id is not None
    pavel = s.contacts.get(first.contact_id)
    assert (pavel.first_name, pavel.last_name, pavel.phone) == ("Pavel", "Durov", "+79997654321")
    activity = s.activities.get(first.activity_id)
    assert (activity.body, activity.contact_id) == ("Is the Pro plan in stock?", pavel.id)

    # Redelivered: nothing changes. The sender's next message joins their contact.
    again = store.inbound.handle_message(s.company_id, vk.id, message)
    assert again.duplicate
    assert (again.contact_id, again.activity_id) == (first.contact_id, first.activity_id)
    later = flame.InboundMessage(
        "vk", "2000000001:18", "2000000001", "id777", datetime.now(timezone.utc), text="Hello?"
    )
    following = store.inbound.handle_message(s.company_id, vk.id, later)
    assert following.contact_id == first.contact_id and not following.created_contact

    # Misuse: typed errors, and nothing is written.
    counts = (len(s.contacts.list()), len(s.activities.list()))
    other = flame.InboundMessage(
        "vk", "2000000001:19", "2000000001", "id777", datetime.now(timezone.utc), text="?"
    )
    with pytest.raises(flame.ValidationError) as platform:
        store.inbound.handle_message(s.company_id, bot.id, other)
    assert platform.value.field == "platform"
    with pytest.raises(flame.NotFoundError) as not_messaging:
        store.inbound.handle_message(s.company_id, ads.id, other)
    assert not_messaging.value.entity == "messaging integration"
    with pytest.raises(flame.NotFoundError):
        store.inbound.handle_message(globex.company_id, vk.id, other)
    with pytest.raises(flame.NotFoundError):
        store.inbound.handle_message(s.company_id, uuid.uuid4(), other)
    blank = flame.InboundMessage("vk", "  ", "2000000001", "id777", datetime.now(timezone.utc), text="?")
    with pytest.raises(flame.ValidationError) as no_id:
        store.inbound.handle_message(s.company_id, vk.id, blank)
    assert no_id.value.field == "external_message_id"
    s.integrations.update(vk.id, vk.version, enabled=False)
    with pytest.raises(flame.ConflictError) as disabled:
        store.inbound.handle_message(s.company_id, vk.id, other)
    assert disabled.value.entity == "integration"
    assert (len(s.contacts.list()), len(s.activities.list())) == counts
    assert len(globex.contacts.list()) == 0

    # Bad values are refused when the message is built.
    with pytest.raises(flame.ValidationError) as phone:
        flame.InboundMessage("vk", "1", "1", "1", datetime.now(timezone.utc), phone="12345")
    assert phone.value.field == "phone"
    with pytest.raises(flame.ValidationError) as unknown:
        flame.InboundMessage("icq", "1", "1", "1", datetime.now(timezone.utc))  # type: ignore[arg-type]
    assert unknown.value.field == "platform"
