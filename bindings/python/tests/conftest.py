"""Fixtures: a fresh Flame store per test, on SQLite and on PostgreSQL.

PostgreSQL needs ``FLAME_TEST_POSTGRES_URL`` (an admin URL such as
``postgres://flame@127.0.0.1:55432/postgres``); each test gets its own database, dropped
afterwards. Without the variable the PostgreSQL tests fail, unless ``FLAME_TEST_POSTGRES=skip``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import flame


def _psql(admin_url: str, sql: str) -> None:
    subprocess.run(
        ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )


def _with_database(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'flame.db'}"
        return
    admin_url = os.environ.get("FLAME_TEST_POSTGRES_URL")
    if not admin_url:
        if os.environ.get("FLAME_TEST_POSTGRES") == "skip":
            pytest.skip("FLAME_TEST_POSTGRES=skip: PostgreSQL tests skipped")
        pytest.fail(
            "FLAME_TEST_POSTGRES_URL is not set: start a server with `scripts/postgres start` and "
            "export the URL it prints (or set FLAME_TEST_POSTGRES=skip to skip PostgreSQL)",
            pytrace=False,
        )
    name = f"flame_py_{uuid.uuid4().hex[:16]}"
    _psql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin_url, name)
    finally:
        _psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def store(url: str) -> Iterator[flame.Flame]:
    """An opened, migrated store; closed after the test."""
    with flame.open(url) as opened:
        yield opened


@pytest.fixture
def signed(store: flame.Flame) -> flame.SignedUp:
    """Acme, signed up with its owner."""
    return store.sign_up("Acme", "owner@acme.test", "Olga Owner")


@pytest.fixture
def owner(signed: flame.SignedUp) -> flame.Session:
    """The owner's session in Acme."""
    return signed.session
