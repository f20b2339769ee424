"""Accounts: password login and lockout, session and API tokens, logging out, passwords,
invitations, ownership, platform administration, and secrets kept out of every repr."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from uuid import UUID

import pytest

import flame

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much better passphrase"
#: A password the policy refuses (too short), distinctive enough to search for.
WEAK = "Zq9!xw"


def _verify(store: flame.Flame, user_id: UUID) -> flame.User:
    """Verifies the user's email as the owner of the address does: with the mailed token."""
    return store.verify_email(store.email_verification(user_id).token)


def _acme(store: flame.Flame) -> flame.SignedUp:
    signed = store.sign_up("Acme", "owner@acme.test", "Olga Owner", password=PASSWORD)
    _verify(store, signed.owner.id)
    return signed


def _globex(store: flame.Flame) -> flame.SignedUp:
    signed = store.sign_up("Globex", "owner@globex.test", "Hank Owner", password=PASSWORD)
    _verify(store, signed.owner.id)
    return signed


def _token(session: flame.Session) -> str:
    token = session.token()
    assert token is not None
    return token.expose()


def test_login_succeeds_and_every_failure_gives_the_same_answer(store: flame.Flame) -> None:
    acme = _acme(store)
    session = store.login("owner@acme.test", PASSWORD)
    assert (session.user_id, session.company_id) == (acme.owner.id, acme.company.id)
    assert session.role == "owner"
    assert _token(session).startswith("flame_ses_")
    session.contacts.create("Ada")
    assert store.login(" Owner@ACME.test ", PASSWORD).user_id == acme.owner.id

    # A member added by the host has no password: password login is refused.
    acme.session.members.add("nopass@acme.test", "Nora", "member")
    answers = set()
    for email, password in [
        ("owner@acme.test", "wrong horse battery"),
        ("nobody@acme.test", PASSWORD),
        ("nopass@acme.test", PASSWORD),
        ("OWNER@acme.test", ""),
    ]:
        with pytest.raises(flame.UnauthenticatedError) as caught:
            store.login(email, password)
        answers.add((str(caught.value), caught.value.reason, caught.value.kind))
    assert len(answers) == 1, answers

    with pytest.raises(flame.ValidationError) as bad:
        store.login("not an email", PASSWORD)
    assert bad.value.field == "email"
    with pytest.raises(flame.UnauthenticatedError):
        store.login("owner@acme.test", PASSWORD, company_id=UUID(int=7))


def test_sign_up_checks_the_password_and_stores_nothing_when_refused(store: flame.Flame) -> None:
    for password in [WEAK, "aaaaaaaaaaaaaaaa", "password1234", "owner@acme.test"]:
        with pytest.raises(flame.ValidationError) as caught:
            store.sign_up("Acme", "owner@acme.test", "Olga", password=password)
        assert caught.value.field == "password"
        assert password not in str(caught.value)
    counts = store.health().counts
    assert counts is not None and (counts.companies, counts.users) == (0, 0)
    with pytest.raises(TypeError):
        store.sign_up("Acme", "owner@acme.test", "Olga", PASSWORD)  # type: ignore[call-arg]


def test_repeated_failures_lock_the_email_for_every_store(url: str, store: flame.Flame) -> None:
    _acme(store)
    span = dt.timedelta(seconds=2)
    lockout = flame.LockoutPolicy(max_failures=3, base_lockout=span, max_lockout=span)
    assert lockout.max_failures == 3 and lockout.base_lockout == span
    with flame.open(url, lockout=lockout) as strict:
        for _ in range(3):
            with pytest.raises(flame.UnauthenticatedError):
                strict.login("owner@acme.test", "wrong horse battery")
        locked_at = time.monotonic()
        # Locked: even the right password is refused, with the same answer.
        with pytest.raises(flame.UnauthenticatedError) as locked:
            strict.login("owner@acme.test", PASSWORD)
        with pytest.raises(flame.UnauthenticatedError) as wrong:
            strict.login("owner@acme.test", "wrong horse battery")
        assert str(locked.value) == str(wrong.value)
        # The lock is in the database: the other store sees it.
        with pytest.raises(flame.UnauthenticatedError):
            store.login("owner@acme.test", PASSWORD)
        # Unknown emails lock the same way, so locking reveals nothing.
        for _ in range(4):
            with pytest.raises(flame.UnauthenticatedError) as ghost:
                strict.login("ghost@acme.test", PASSWORD)
            assert str(ghost.value) == str(locked.value)
        assert time.monotonic() - locked_at < span.total_seconds(), "the machine is too slow"
        time.sleep(max(0.0, span.total_seconds() + 0.2 - (time.monotonic() - locked_at)))
        assert strict.login("owner@acme.test", PASSWORD).role == "owner"


def test_open_options_are_checked() -> None:
    with pytest.raises(flame.ValidationError) as caught:
        flame.PasswordHasher(memory_kib=0, iterations=0, lanes=0)
    assert caught.value.field == "password_hashing"
    with pytest.raises(ValueError):
        flame.LockoutPolicy(base_lockout=dt.timedelta(seconds=-1))
    with pytest.raises(OverflowError):
        flame.LockoutPolicy(max_failures=-1)
    with pytest.raises(TypeError):
        flame.open("sqlite::memory:", lockout=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        flame.open("sqlite::memory:", session_recheck=dt.timedelta(seconds=-1))
    default = flame.LockoutPolicy()
    assert default == flame.LockoutPolicy(max_failures=default.max_failures)
    assert default.to_dict()["max_lockout"] == default.max_lockout
    assert repr(default).startswith("LockoutPolicy(max_failures=")
    cheap = flame.PasswordHasher(memory_kib=8192, iterations=1, lanes=1)
    assert cheap == flame.PasswordHasher(memory_kib=8192, iterations=1, lanes=1)
    assert cheap.to_dict() == {"memory_kib": 8192, "iterations": 1, "lanes": 1}
    assert repr(cheap) == "PasswordHasher(memory_kib=8192, iterations=1, lanes=1)"


def test_password_hasher_costs_are_used_and_old_hashes_still_verify(
    url: str, store: flame.Flame
) -> None:
    _acme(store)
    cheap = flame.PasswordHasher(memory_kib=8192, iterations=1, lanes=1)
    with flame.open(url, password_hasher=cheap) as other:
        # The hash made with the default costs verifies (and is replaced) here...
        assert other.login("owner@acme.test", PASSWORD).role == "owner"
        _verify(other, other.sign_up("Globex", "owner@globex.test", "Hank", password=PASSWORD).owner.id)
    # ...and the cheap hash verifies with the default costs.
    assert store.login("owner@acme.test", PASSWORD).role == "owner"
    assert store.login("owner@globex.test", PASSWORD).role == "owner"


def test_session_tokens_resume_and_logging_out_revokes_them(store: flame.Flame) -> None:
    acme = _acme(store)
    laptop = store.login("owner@acme.test", PASSWORD)
    phone = store.login("owner@acme.test", PASSWORD)
    token = _token(laptop)
    resumed = store.authenticate(token)
    assert resumed.user_id == acme.owner.id
    assert _token(resumed) == token
    assert resumed.principal.credential == laptop.principal.credential
    assert resumed.principal.scope == "read_write"
    resumed.pipelines.list()

    laptop.logout()
    with pytest.raises(flame.UnauthenticatedError):
        store.authenticate(token)
    with pytest.raises(flame.UnauthenticatedError):
        laptop.pipelines.list()
    with pytest.raises(flame.UnauthenticatedError):
        resumed.contacts.create("Ada")
    phone.pipelines.list()  # other sessions stay

    assert phone.account.logout_everywhere() == 2  # the phone and the sign-up session
    with pytest.raises(flame.UnauthenticatedError):
        phone.contacts.create("Ada")
    with pytest.raises(flame.UnauthenticatedError):
        acme.session.contacts.create("Ada")
    counts = store.health().counts
    assert counts is not None and counts.contacts == 0

    for bad in ["", "flame_ses_nothex", "flame_inv_0000", token.replace("flame_ses_", "flame_api_")]:
        with pytest.raises(flame.UnauthenticatedError) as caught:
            store.authenticate(bad)
        if bad:
            assert bad not in str(caught.value)


def test_session_ttl_and_recheck_options(url: str, store: flame.Flame) -> None:
    acme = _acme(store)
    with flame.open(url, session_ttl=dt.timedelta(milliseconds=300)) as short:
        session = short.login("owner@acme.test", PASSWORD)
        token = _token(session)
        time.sleep(0.4)
        with pytest.raises(flame.UnauthenticatedError):
            session.pipelines.list()
        with pytest.raises(flame.UnauthenticatedError):
            short.authenticate(token)
    # With no re-check interval, a revocation made through another store reaches reads at once.
    with flame.open(url, session_recheck=dt.timedelta(0)) as eager:
        remote = eager.login("owner@acme.test", PASSWORD)
        remote.pipelines.list()
        acme.session.account.logout_everywhere()
        with pytest.raises(flame.UnauthenticatedError):
            remote.pipelines.list()


def test_changing_the_password_revokes_the_other_sessions(store: flame.Flame) -> None:
    acme = _acme(store)
    here = store.login("owner@acme.test", PASSWORD)
    there = store.login("owner@acme.test", PASSWORD)
    with pytest.raises(flame.UnauthenticatedError) as wrong:
        here.account.change_password("wrong horse battery", NEW_PASSWORD)
    assert "wrong horse battery" not in str(wrong.value)
    for bad in [WEAK, "owner@acme.test"]:
        with pytest.raises(flame.ValidationError) as caught:
            here.account.change_password(PASSWORD, bad)
        assert caught.value.field == "new_password"
        assert bad not in str(caught.value)
    there.pipelines.list()  # nothing changed yet

    here.account.change_password(PASSWORD, NEW_PASSWORD)
    here.pipelines.list()  # this session stays
    with pytest.raises(flame.UnauthenticatedError):
        there.pipelines.list()
    with pytest.raises(flame.UnauthenticatedError):
        acme.session.pipelines.list()
    with pytest.raises(flame.UnauthenticatedError):
        store.login("owner@acme.test", PASSWORD)
    assert store.login("owner@acme.test", NEW_PASSWORD).role == "owner"

    # The host's reset flow sets a password and revokes every session.
    with pytest.raises(flame.ValidationError) as weak:
        store.set_password(acme.owner.id, WEAK)
    assert weak.value.field == "password"
    with pytest.raises(flame.NotFoundError):
        store.set_password(UUID(int=1), "reset by the host 42")
    store.set_password(acme.owner.id, "reset by the host 42")
    with pytest.raises(flame.UnauthenticatedError):
        here.pipelines.list()
    assert store.login("owner@acme.test", "reset by the host 42").role == "owner"


def test_api_tokens_act_within_their_scope_until_revoked_or_expired(store: flame.Flame) -> None:
    acme = _acme(store)
    tokens = acme.session.api_tokens
    with pytest.raises(flame.ValidationError) as blank:
        tokens.create(" ", "read_only")
    assert blank.value.field == "name"
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    with pytest.raises(flame.ValidationError) as expired:
        tokens.create("ci", "read_only", expires_at=past)
    assert expired.value.field == "expires_at"
    with pytest.raises(flame.ValidationError) as scope:
        tokens.create("ci", "admin")  # type: ignore[arg-type]
    assert scope.value.field == "scope"
    with pytest.raises(TypeError):
        tokens.create("ci", "read_only", expires_at=dt.datetime(2040, 1, 1))
    assert tokens.list() == []

    reader = tokens.create("reports", "read_only")
    assert reader.secret.expose().startswith("flame_api_")
    assert reader.token.scope == "read_only" and reader.token.expires_at is None
    assert reader.token.user_id == acme.owner.id and reader.token.company_id == acme.company.id
    as_reader = store.authenticate(reader.secret)
    assert as_reader.token() is None
    principal = as_reader.principal
    assert principal.scope == "read_only"
    assert principal.credential.kind == "api_token" and principal.credential.id == reader.token.id
    as_reader.contacts.list()
    with pytest.raises(flame.ForbiddenError) as refused:
        as_reader.contacts.create("Ada")
    assert "read-only" in refused.value.action

    writer = tokens.create("sync", "read_write")
    as_writer = store.authenticate(writer.secret)
    as_writer.contacts.create("Ada")
    # A token cannot mint tokens, touch the account or log out.
    with pytest.raises(flame.ForbiddenError):
        as_writer.api_tokens.create("more", "read_write")
    with pytest.raises(flame.ForbiddenError):
        as_writer.account.change_password(PASSWORD, NEW_PASSWORD)
    with pytest.raises(flame.ForbiddenError):
        as_writer.logout()

    listed = tokens.list()
    assert {t.id for t in listed} == {reader.token.id, writer.token.id}
    assert all(t.last_used_at is not None for t in listed)

    revoked = tokens.revoke(writer.token.id)
    assert revoked.revoked_at is not None and revoked.id == writer.token.id
    assert tokens.revoke(writer.token.id).revoked_at == revoked.revoked_at
    with pytest.raises(flame.UnauthenticatedError):
        as_writer.contacts.create("Bob")
    with pytest.raises(flame.UnauthenticatedError):
        store.authenticate(writer.secret)
    assert len(acme.session.contacts.list()) == 1

    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    brief = tokens.create("brief", "read_only", expires_at=soon)
    assert brief.token.expires_at is not None and brief.token.expires_at.tzinfo is not None
    store.authenticate(brief.secret)
    time.sleep(max(0.0, (soon - dt.datetime.now(dt.timezone.utc)).total_seconds() + 0.1))
    with pytest.raises(flame.UnauthenticatedError):
        store.authenticate(brief.secret)

    # Another user's token is not theirs to revoke.
    globex = _globex(store)
    with pytest.raises(flame.NotFoundError):
        globex.session.api_tokens.revoke(reader.token.id)
    store.authenticate(reader.secret)


def test_one_user_in_several_companies(store: flame.Flame) -> None:
    acme = _acme(store)
    globex = _globex(store)
    invite = globex.session.invitations.create("owner@acme.test", "viewer")
    acme.session.account.accept_invitation(invite.token)
    with pytest.raises(flame.ValidationError) as caught:
        store.login("owner@acme.test", PASSWORD)
    assert caught.value.field == "company_id"
    in_globex = store.login("owner@acme.test", PASSWORD, company_id=globex.company.id)
    assert in_globex.role == "viewer"
    with pytest.raises(flame.ForbiddenError):
        in_globex.contacts.create("Ada")
    companies = in_globex.account.companies()
    assert [(c.company_name, c.role) for c in companies] == [("Acme", "owner"), ("Globex", "viewer")]
    assert companies[0].company_id == acme.company.id
    assert companies[0].to_dict() == {
        "company_id": acme.company.id,
        "company_name": "Acme",
        "role": "owner",
    }
    me = in_globex.account.user()
    assert (me.id, me.email, me.name) == (acme.owner.id, "owner@acme.test", "Olga Owner")
    in_acme = in_globex.account.switch_company(acme.company.id)
    assert in_acme.role == "owner" and in_acme.company_id == acme.company.id
    in_acme.contacts.create("Ada")
    with pytest.raises(flame.UnauthenticatedError):
        in_acme.account.switch_company(UUID(int=3))


def test_invitations_are_accepted_once(store: flame.Flame) -> None:
    acme = _acme(store)
    invitations = acme.session.invitations
    bad_input: list[tuple[Callable[[], object], str]] = [
        (lambda: invitations.create("nope", "member"), "email"),
        (lambda: invitations.create("a@b.io", "member", valid_days=0), "valid_days"),
        (lambda: invitations.create("a@b.io", "member", valid_days=31), "valid_days"),
        (lambda: invitations.create("a@b.io", "boss"), "role"),  # type: ignore[arg-type]
    ]
    for call, field in bad_input:
        with pytest.raises(flame.ValidationError) as caught:
            call()
        assert caught.value.field == field
    with pytest.raises(flame.ConflictError):
        invitations.create("owner@acme.test", "member")
    assert invitations.list_open() == []

    sent = invitations.create("New@Acme.test", "manager")
    invitation = sent.invitation
    assert invitation.email == "new@acme.test" and invitation.role == "manager"
    assert invitation.invited_by == acme.owner.id
    assert invitation.accepted_at is None and invitation.expires_at > invitation.created_at
    assert sent.token.expose().startswith("flame_inv_")
    assert invitations.list_open() == [invitation]

    with pytest.raises(flame.ValidationError) as weak:
        store.accept_invitation(sent.token, name="Nina New", password=WEAK)
    assert weak.value.field == "password"
    with pytest.raises(flame.ValidationError) as nameless:
        store.accept_invitation(sent.token)
    assert nameless.value.field == "name"
    session = store.accept_invitation(sent.token, name="Nina New", password="nina's own password")
    assert session.role == "manager" and session.company_id == acme.company.id
    assert _token(session).startswith("flame_ses_")
    session.contacts.create("Ada")
    with pytest.raises(flame.UnauthenticatedError):
        store.accept_invitation(sent.token, name="Nina New")
    with pytest.raises(flame.UnauthenticatedError):
        store.accept_invitation("flame_inv_" + "0" * 64, name="X")
    # The invitation went through the inviter: the new user logs in once they verified
    # their address.
    with pytest.raises(flame.UnauthenticatedError):
        store.login("new@acme.test", "nina's own password")
    _verify(store, session.user_id)
    assert store.login("new@acme.test", "nina's own password").role == "manager"
    assert invitations.list_open() == []

    # A revoked invitation cannot be accepted.
    other = invitations.create("r@acme.test", "viewer", valid_days=1)
    revoked = invitations.revoke(other.invitation.id)
    assert revoked.revoked_at is not None
    with pytest.raises(flame.UnauthenticatedError):
        store.accept_invitation(other.token, name="R")
    with pytest.raises(flame.NotFoundError):
        invitations.revoke(UUID(int=5))
    assert len(acme.session.members.list()) == 2

    # Only owners invite owners; managers invite nobody.
    admin = acme.session.members.add("admin@acme.test", "Ann Admin", "admin")
    as_admin = store.session(admin.user.id, acme.company.id)
    with pytest.raises(flame.ForbiddenError):
        as_admin.invitations.create("x@acme.test", "owner")
    as_admin.invitations.create("x@acme.test", "admin")
    with pytest.raises(flame.ForbiddenError):
        session.invitations.create("y@acme.test", "viewer")


def test_ownership_is_handed_over_and_the_last_owner_stays(store: flame.Flame) -> None:
    acme = _acme(store)
    members = acme.session.members
    owner = members.get(acme.owner.id)
    with pytest.raises(flame.ConflictError):
        members.change_role(acme.owner.id, "admin", owner.membership.version)
    with pytest.raises(flame.ConflictError):
        members.leave()
    with pytest.raises(flame.ValidationError) as caught:
        members.transfer_ownership(acme.owner.id)
    assert caught.value.field == "user_id"
    with pytest.raises(flame.NotFoundError):
        members.transfer_ownership(UUID(int=9))

    admin = members.add("admin@acme.test", "Ann Admin", "admin")
    as_admin = store.session(admin.user.id, acme.company.id)
    with pytest.raises(flame.ForbiddenError):
        as_admin.members.transfer_ownership(admin.user.id)
    with pytest.raises(flame.ForbiddenError):
        as_admin.members.remove(acme.owner.id)

    new_owner = members.transfer_ownership(admin.user.id)
    assert new_owner.user.id == admin.user.id and new_owner.membership.role == "owner"
    # The former owner's session sees its demotion at once.
    assert members.get(acme.owner.id).membership.role == "admin"
    assert acme.session.role == "admin"
    with pytest.raises(flame.ForbiddenError):
        acme.session.billing.cancel(acme.session.billing.subscription().version)
    assert as_admin.members.get(admin.user.id).membership.role == "owner"

    acme.session.members.leave()
    with pytest.raises(flame.UnauthenticatedError):
        acme.session.pipelines.list()
    with pytest.raises(flame.ConflictError):
        as_admin.members.leave()
    assert [m.user.id for m in as_admin.members.list()] == [admin.user.id]

    types = [e.event_type for e in as_admin.events.list(limit=500)]
    assert types.count("member.role_changed") == 2
    assert "member.removed" in types
    removed = next(e for e in as_admin.events.list(limit=500) if e.event_type == "member.removed")
    assert removed.payload["user_id"] == str(acme.owner.id)


def test_platform_administration_is_for_platform_admins_only(store: flame.Flame) -> None:
    acme = _acme(store)
    globex = _globex(store)
    # A company owner is not a platform admin.
    with pytest.raises(flame.ForbiddenError):
        acme.session.platform.users()
    with pytest.raises(flame.ForbiddenError):
        acme.session.platform.deactivate_user(globex.owner.id)
    with pytest.raises(flame.ForbiddenError):
        acme.session.platform.companies()
    assert not acme.session.principal.platform_admin

    user = store.set_platform_admin(acme.owner.id, True)
    assert user.id == acme.owner.id
    with pytest.raises(flame.NotFoundError):
        store.set_platform_admin(UUID(int=2), True)
    admin = acme.session.platform
    everyone = admin.users()
    assert len(everyone) == 2
    assert acme.session.principal.platform_admin
    assert {(u.user.email, u.platform_admin) for u in everyone} == {
        ("owner@acme.test", True),
        ("owner@globex.test", False),
    }
    found = admin.users(search="GLOBEX")
    assert len(found) == 1
    membership = found.items[0].memberships[0]
    assert (membership.company_name, membership.role) == ("Globex", "owner")
    assert found.items[0].to_dict()["memberships"][0]["company_name"] == "Globex"
    assert len(admin.users(search="100%_")) == 0
    first = admin.users(limit=1)
    assert len(first) == 1 and first.next_cursor is not None
    rest = admin.users(limit=1, cursor=first.next_cursor)
    assert [u.user.id for u in first] + [u.user.id for u in rest] == [u.user.id for u in everyone]
    with pytest.raises(flame.ValidationError) as limit:
        admin.users(limit=0)
    assert limit.value.field == "limit"

    companies = admin.companies()
    assert [c.company.name for c in companies] == ["Acme", "Globex"]
    overview = companies.items[1]
    assert overview.plan.code == "starter" and overview.members == 1
    assert overview.subscription.company_id == globex.company.id
    assert overview.subscription.status == "trialing"
    assert overview.to_dict()["plan"]["code"] == "starter"

    victim = store.login("owner@globex.test", PASSWORD)
    deactivated = admin.deactivate_user(globex.owner.id)
    assert not deactivated.active
    with pytest.raises(flame.UnauthenticatedError):
        victim.pipelines.list()
    with pytest.raises(flame.UnauthenticatedError):
        globex.session.contacts.create("A")
    with pytest.raises(flame.UnauthenticatedError):
        store.login("owner@globex.test", PASSWORD)
    with pytest.raises(flame.ConflictError):
        admin.deactivate_user(acme.owner.id)
    with pytest.raises(flame.NotFoundError):
        admin.deactivate_user(UUID(int=4))
    assert admin.reactivate_user(globex.owner.id).active
    assert store.login("owner@globex.test", PASSWORD).role == "owner"
    with pytest.raises(flame.UnauthenticatedError):
        victim.pipelines.list()  # old sessions stay revoked

    store.set_platform_admin(acme.owner.id, False)
    with pytest.raises(flame.ForbiddenError):
        acme.session.platform.users()


def _shown(value: object) -> str:
    """Everything a value shows: its repr and str, and its to_dict when it has one."""
    text = f"{value!r} {value}"
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        text += f" {to_dict()!r}"
    if isinstance(value, BaseException):
        text += f" {value.args!r} {vars(value)!r}"
    return text


def _flip_last(token: str) -> str:
    """The token with its last hex digit changed: well-formed, but not the token."""
    return token[:-1] + ("1" if token[-1] == "0" else "0")


def test_secrets_never_reach_a_repr_a_dict_or_an_error(store: flame.Flame) -> None:
    secrets = [PASSWORD, "wrong horse battery", "nina's own password", WEAK]
    shown: list[str] = []
    acme = _acme(store)
    shown += [_shown(acme), _shown(acme.session), _shown(acme.session.principal)]
    session = store.login("owner@acme.test", PASSWORD)
    secrets.append(_token(session))
    shown += [_shown(session), _shown(session.principal)]
    created = session.api_tokens.create("ci", "read_write")
    secrets.append(created.secret.expose())
    shown += [_shown(created), _shown(created.token)]
    assert "secret='[redacted]'" in repr(created)
    assert "secret" not in created.to_dict()
    invite = session.invitations.create("x@acme.test", "member")
    secrets.append(invite.token.expose())
    shown += [_shown(invite), _shown(invite.invitation)]
    assert "token='[redacted]'" in repr(invite)
    assert "token" not in invite.to_dict()
    token_session = store.authenticate(created.secret)
    shown += [_shown(token_session), _shown(token_session.principal)]

    failures: list[Callable[[], object]] = [
        lambda: store.login("owner@acme.test", "wrong horse battery"),
        lambda: store.authenticate(created.secret.expose()[:-1]),
        lambda: store.authenticate(_flip_last(created.secret.expose())),
        lambda: store.authenticate(_token(session)[:-1]),
        lambda: session.account.change_password("wrong horse battery", "wrong horse battery"),
        lambda: session.account.change_password(PASSWORD, WEAK),
        lambda: store.accept_invitation(invite.token, name="X", password=WEAK),
        lambda: store.accept_invitation(invite.token.expose()[:-1], name="X"),
        lambda: store.sign_up("Globex", "g@globex.test", "G", password=WEAK),
        lambda: store.set_password(acme.owner.id, WEAK),
    ]
    for failing in failures:
        with pytest.raises(flame.FlameError) as caught:
            failing()
        shown.append(_shown(caught.value))
    accepted = store.accept_invitation(invite.token, name="Nina", password="nina's own password")
    secrets.append(_token(accepted))
    shown += [_shown(accepted), _shown(accepted.principal)]

    text = "\n".join(shown)
    for secret in secrets:
        assert secret not in text, f"a secret was shown: {text}"


def test_an_api_token_cannot_make_its_user_leave(store: flame.Flame) -> None:
    acme = _acme(store)
    added = acme.session.members.add("mia@acme.test", "Mia", "admin")
    mia = store.session(added.user.id, acme.company.id)
    as_token = store.authenticate(mia.api_tokens.create("reports", "read_only").secret)
    with pytest.raises(flame.ForbiddenError):
        as_token.members.leave()
    assert len(acme.session.members.list()) == 2


def test_an_invited_existing_user_cannot_choose_their_email_as_password(
    store: flame.Flame,
) -> None:
    acme = _acme(store)
    globex = _globex(store)
    email = "longlocalpart12@acme.test"
    globex.session.members.add(email, "Lou", "viewer")  # a user without a password
    invite = acme.session.invitations.create(email, "member")
    with pytest.raises(flame.ValidationError) as caught:
        store.accept_invitation(invite.token, name="Lou", password=email)
    assert caught.value.field == "password"


def test_an_existing_user_is_not_added_without_consent(store: flame.Flame) -> None:
    acme = _acme(store)
    globex = _globex(store)
    with pytest.raises(flame.ConflictError) as caught:
        globex.session.members.add("owner@acme.test", "Olga", "admin")
    assert caught.value.entity == "email"
    assert "invite" in caught.value.reason
    assert [m.user.email for m in globex.session.members.list()] == ["owner@globex.test"]
    assert [c.company_name for c in acme.session.account.companies()] == ["Acme"]
    # Invited, they join from their own session.
    invite = globex.session.invitations.create("owner@acme.test", "admin")
    joined = acme.session.account.accept_invitation(invite.token)
    assert (joined.company_id, joined.role) == (globex.company.id, "admin")
