"""Email verification: unverified emails cannot log in, a mailed token verifies them (once)
or takes a pre-created account back; logging out everywhere and changing the password can
revoke API tokens; a wrong current password counts as a failed login."""

from __future__ import annotations

import pytest

import flame

PASSWORD = "correct horse battery"
EVIL = "evil horse battery staple"
MINE = "the real owner's passphrase"


def test_an_unverified_email_logs_in_once_verified(store: flame.Flame) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    assert acme.owner.email_verified_at is None
    with pytest.raises(flame.UnauthenticatedError) as wrong:
        store.login("owner@acme.test", "wrong horse battery")
    with pytest.raises(flame.UnauthenticatedError) as unverified:
        store.login("owner@acme.test", PASSWORD)
    assert "not verified" in str(unverified.value)
    assert "not verified" not in str(wrong.value)

    mail = store.email_verification(acme.owner.id)
    assert mail.email == "owner@acme.test" and mail.user_id == acme.owner.id
    assert mail.token.expose().startswith("flame_ver_")
    assert mail.token.expose() not in repr(mail) and mail.token.expose() not in str(mail.to_dict())
    user = store.verify_email(mail.token)
    assert user.email_verified_at is not None
    assert store.login("owner@acme.test", PASSWORD).user_id == acme.owner.id
    with pytest.raises(flame.UnauthenticatedError):
        store.verify_email(mail.token)
    with pytest.raises(flame.UnauthenticatedError):
        store.verify_email("flame_ver_" + "0" * 64)
    with pytest.raises(flame.NotFoundError):
        store.email_verification(acme.company.id)


def test_a_host_that_verifies_emails_itself_lets_them_log_in(url: str, store: flame.Flame) -> None:
    store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    with flame.open(url, email_verification="by_host") as by_host:
        assert by_host.login("owner@acme.test", PASSWORD).role == "owner"
    with pytest.raises(flame.ValidationError) as bad:
        flame.open(url, email_verification="maybe")  # type: ignore[arg-type]
    assert bad.value.field == "email_verification"


def test_the_owner_of_the_address_takes_a_pre_created_account_back(store: flame.Flame) -> None:
    evil = store.sign_up("Evil", "owner@evil.test", "Mallory", password=PASSWORD)
    sent = evil.session.invitations.create("victim@x.test", "member")
    attacker = store.accept_invitation(sent.token, name="Victim", password=EVIL)
    with pytest.raises(flame.UnauthenticatedError):
        store.login("victim@x.test", EVIL)

    mail = store.email_verification(attacker.user_id)
    with pytest.raises(flame.ValidationError) as weak:
        store.reset_password(mail.token, "short")
    assert weak.value.field == "new_password"
    assert store.reset_password(mail.token, MINE).email_verified_at is not None
    with pytest.raises(flame.UnauthenticatedError):
        attacker.pipelines.list()
    with pytest.raises(flame.UnauthenticatedError):
        store.login("victim@x.test", EVIL)
    assert store.login("victim@x.test", MINE).user_id == attacker.user_id


def test_logging_out_everywhere_can_revoke_api_tokens(store: flame.Flame) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    store.verify_email(store.email_verification(acme.owner.id).token)
    kept = acme.session.api_tokens.create("kept", "read_only").secret
    assert acme.session.account.logout_everywhere() == 1
    store.authenticate(kept)  # tokens stay by default

    session = store.login("owner@acme.test", PASSWORD)
    assert session.account.logout_everywhere(revoke_api_tokens=True) == 1
    with pytest.raises(flame.UnauthenticatedError):
        store.authenticate(kept)

    session = store.login("owner@acme.test", PASSWORD)
    script = session.api_tokens.create("script", "read_only").secret
    session.account.change_password(PASSWORD, MINE, revoke_api_tokens=True)
    with pytest.raises(flame.UnauthenticatedError):
        store.authenticate(script)
    session.pipelines.list()


def test_wrong_current_passwords_lock_the_email_out(url: str, store: flame.Flame) -> None:
    acme = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    store.verify_email(store.email_verification(acme.owner.id).token)
    strict_policy = flame.LockoutPolicy(max_failures=2)
    with flame.open(url, lockout=strict_policy) as strict:
        session = strict.login("owner@acme.test", PASSWORD)
        for guess in ["guess number one", "guess number two"]:
            with pytest.raises(flame.UnauthenticatedError):
                session.account.change_password(guess, MINE)
        with pytest.raises(flame.UnauthenticatedError):
            session.account.change_password(PASSWORD, MINE)
        with pytest.raises(flame.UnauthenticatedError):
            strict.login("owner@acme.test", PASSWORD)
