"""The record and exception classes of ``flame/_flame.pyi`` are generated from the extension.

Each record class of ``flame._flame`` has a ``_stub()`` that gives its class in the stub, made
from the same declaration as its getters (``record!`` in the Rust sources): the annotation of
each property from the Rust type it returns, the docstrings from the core's docs. The
exception classes come the same way from the one list of ``FlameError`` variants
(``_error_stubs()``, from ``errors!``). This test checks that the stub's generated blocks are
exactly what the built extension gives, so a field or variant added, removed or retyped in
Rust fails here until the stub is regenerated::

    FLAME_BLESS=1 python -m pytest bindings/python/tests/test_stub.py

rewrites the blocks in ``bindings/python/python/flame/_flame.pyi``. (stubtest, run by
``scripts/test-python``, checks the hand-written rest of the stub.)
"""

import os
from pathlib import Path

import pytest

import flame._flame as ext

STUB = Path(__file__).resolve().parent.parent / "python" / "flame" / "_flame.pyi"
MARK = "# --- {} (generated from the extension by tests/test_stub.py; do not edit) ---\n"
END = "# --- End of the generated {} ---\n"


def records() -> str:
    """The stub text of every record class, in the module's order."""
    classes = [
        value
        for value in vars(ext).values()
        if isinstance(value, type) and "_stub" in vars(value)
    ]
    stubs: list[str] = [getattr(cls, "_stub")() for cls in classes]
    return "\n".join(stubs)


def errors() -> str:
    text: str = getattr(ext, "_error_stubs")()
    return text


@pytest.mark.parametrize(
    ("title", "name", "generate"), [("Errors", "errors", errors), ("Records", "records", records)]
)
def test_the_stub_holds_what_the_extension_declares(
    title: str, name: str, generate: object
) -> None:
    assert callable(generate)
    begin, end = MARK.format(title), END.format(name)
    text = STUB.read_text(encoding="utf-8")
    assert begin in text and end in text, f"{STUB} has lost its generated-block markers"
    head, rest = text.split(begin, 1)
    block, tail = rest.split(end, 1)
    expected = "\n" + generate() + "\n"
    if os.environ.get("FLAME_BLESS") == "1":
        STUB.write_text(head + begin + expected + end + tail, encoding="utf-8")
        return
    assert block == expected, (
        f"flame/_flame.pyi's {name} differ from the extension's; regenerate them with "
        "FLAME_BLESS=1 python -m pytest bindings/python/tests/test_stub.py"
    )


def test_every_record_class_is_generated() -> None:
    """A record class is one with ``to_dict`` and ``_stub``; the hand-written classes with a
    ``to_dict`` are the value classes that are not records."""
    hand_written = {
        name
        for name, value in vars(ext).items()
        if isinstance(value, type) and hasattr(value, "to_dict") and not hasattr(value, "_stub")
    }
    assert hand_written == {
        "Money",
        "PasswordHasher",
        "Page",
    }


def test_every_exception_class_is_in_the_stub() -> None:
    classes = {
        name
        for name, value in vars(ext).items()
        if isinstance(value, type) and issubclass(value, ext.FlameError)
    }
    stubbed = {
        line.removeprefix("class ").split("(")[0]
        for line in errors().splitlines()
        if line.startswith("class ")
    }
    assert stubbed == classes
