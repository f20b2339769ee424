"""The installed distribution: named `flame-crm` on the package index, imported as `flame`."""

from __future__ import annotations

import importlib.metadata as metadata

import pytest

import flame


def test_the_distribution_is_flame_crm_and_provides_the_flame_package() -> None:
    assert metadata.packages_distributions()["flame"] == ["flame-crm"]
    dist = metadata.distribution("flame-crm")
    assert dist.metadata["Name"] == "flame-crm"
    assert any(str(f) == "flame/__init__.py" for f in dist.files or [])
    assert dist.version == flame.__version__
    # The unrelated `flame` project on the package index is not what was installed.
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("flame")
