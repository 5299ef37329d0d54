"""Out-of-tree plugins for tests: an installed-looking distribution (a package plus a dist-info with entry points, as
pip would leave them) that `importlib.metadata` finds once its root is on the path."""

from __future__ import annotations

import textwrap
from pathlib import Path


def install_plugin(root: Path, package: str, source: str, entries: str) -> Path:
    """Write `package` (its `__init__.py` is `source`) and its dist-info declaring `entries` under `root`."""
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text(source)
    info = root / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package.replace('_', '-')}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entries))
    return root
