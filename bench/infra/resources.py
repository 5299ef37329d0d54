"""Data shipped inside the package (dataset cards, the papers' claims), read through importlib.resources."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

CHECKOUT_FOLDERS = {"cards": "datasets", "claims": "reports/claims"}
"""Data-only subpackages of `talkbench` and the checkout folder each is mapped from (pyproject's package-dir)."""


def resource_root(name: str) -> Any:
    """The folder of the data package `talkbench.<name>` (a Traversable).

    A wheel install holds it as a package; an editable install of a checkout does not expose a data-only
    folder mapped by package-dir (setuptools issue #4943), so there it is read from the checkout folder.
    """
    if name not in CHECKOUT_FOLDERS:
        raise KeyError(f"no packaged data {name!r} (known: {', '.join(CHECKOUT_FOLDERS)})")
    try:
        return resources.files(f"talkbench.{name}")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / CHECKOUT_FOLDERS[name]


def resource_files(name: str, suffix: str) -> Iterator[Path]:
    """The files of a data package with `suffix`, sorted by name (real paths, for messages that name them)."""
    root = resource_root(name)
    entries = sorted((e for e in root.iterdir() if e.name.endswith(suffix)), key=lambda e: e.name)
    for entry in entries:
        yield Path(str(entry))
