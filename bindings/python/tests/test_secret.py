"""`flame.Secret`, as Kotlin's and Swift's `Secret`: every token and credential Flame hands
out is one (printed redacted, `.expose()` for the text), and every argument that takes a
secret accepts a `Secret` or a `str`."""

from __future__ import annotations

import pytest

import flame

PASSWORD = "correct horse battery"


def test_a_secret_prints_redacted_and_exposes_its_text() -> None:
    secret = flame.Secret("s3cret-value")
    assert "s3cret-value" not in repr(secret) and "s3cret-value" not in str(secret)
    assert repr(secret) == str(secret) == "Secret('[redacted]')"
    assert f"{secret}" == "Secret('[redacted]')"
    assert secret.expose() == "s3cret-value"
    assert secret == flame.Secret("s3cret-value") and secret != flame.Secret("other")
    assert secret != "s3cret-value"


def test_every_token_handed_out_is_a_secret_and_each_is_taken_back_as_one_or_as_str(
    store: flame.Flame,
) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    mail = store.email_verification(acme.owner.id)
    assert isinstance(mail.token, flame.Secret)
    store.verify_email(mail.token)
    session = store.login("owner@acme.test", PASSWORD)
    token = session.token()
    assert isinstance(token, flame.Secret) and token.expose() not in repr(token)
    assert store.authenticate(token).user_id == acme.owner.id
    assert store.authenticate(token.expose()).user_id == acme.owner.id

    created = session.api_tokens.create("ci", "read_only")
    assert isinstance(created.secret, flame.Secret)
    assert store.authenticate(created.secret).principal.credential.kind == "api_token"
    assert store.authenticate(flame.Secret(created.secret.expose())).role == "owner"

    invite = session.invitations.create("nina@acme.test", "member")
    assert isinstance(invite.token, flame.Secret)
    nina = store.accept_invitation(flame.Secret(invite.token.expose()), name="Nina")
    assert nina.role == "member"

    reset = store.email_verification(acme.owner.id)
    assert store.reset_password(reset.token.expose(), "another horse battery").id == acme.owner.id

    with pytest.raises(TypeError, match="expected a Secret or a str, not bytes") as caught:
        store.authenticate(b"flame_ses_0")  # type: ignore[arg-type]
    assert "flame_ses_0" not in str(caught.value)


def test_an_integration_credential_is_a_secret_and_may_be_given_as_one(url: str) -> None:
    key = flame.EncryptionKey.from_bytes("k1", bytes([7]) * 32)
    with flame.open(url, encryption_key=key) as store:
        owner = store.sign_up("Acme", "owner@acme.test", "Olga Owner").session
        bot = owner.integrations.create(
            "Bot", flame.MessagingSettings("telegram"), {"token": flame.Secret("123:SECRET")}
        )
        credential = owner.integrations.credential(bot.id, "token")
        assert isinstance(credential, flame.Secret) and "123:SECRET" not in repr(credential)
        assert credential.expose() == "123:SECRET"
        with pytest.raises(TypeError, match="must be a Secret or a str"):
            owner.integrations.create(
                "Bad",
                flame.MessagingSettings("telegram"),
                {"token": 123},  # type: ignore[dict-item]
            )


def test_a_webhook_signature_is_checked_with_a_secret_or_a_str() -> None:
    with pytest.raises(flame.ValidationError):
        flame.verify_webhook_signature(flame.Secret("whsec_x"), "malformed", b"{}")
    with pytest.raises(flame.ValidationError):
        flame.verify_webhook_signature("whsec_x", "malformed", b"{}")
