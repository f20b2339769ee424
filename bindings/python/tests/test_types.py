"""The ``Literal`` aliases of ``flame._types`` name exactly what the Rust core stores: each is
compared with the names the extension reads from the Rust enums (``_enum_names()``), so a
variant added (or renamed) in Rust fails here until the alias follows."""

from __future__ import annotations

from typing import Literal, get_args, get_origin

import pytest

from flame import _flame, _types

NAMES = _flame._enum_names()


def test_every_literal_alias_is_checked_and_exported() -> None:
    literal_aliases = {
        name for name, value in vars(_types).items() if get_origin(value) is Literal
    }
    assert literal_aliases == set(NAMES)
    assert literal_aliases <= set(_types.__all__)


@pytest.mark.parametrize("alias", sorted(NAMES))
def test_literal_alias_equals_the_rust_enum(alias: str) -> None:
    assert list(get_args(getattr(_types, alias))) == NAMES[alias]

