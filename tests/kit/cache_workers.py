"""Work for processes that race on one cache entry (tests/infra/test_cache_entry.py), importable by spawned children."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path


def build_or_reuse(final: str, builds: str) -> tuple[str, bool]:
    """Get the entry at `final`, building it (slowly, so other processes arrive meanwhile) when missing; each build
    leaves a file in `builds`. Returns the value read or built and whether it was reused."""
    from talkbench.infra.cache_entry import cached

    def build(tmp: Path) -> str:
        (Path(builds) / f"{os.getpid()}-{uuid.uuid4().hex}").touch()
        time.sleep(0.3)
        (tmp / "value.txt").write_text("built once")
        return "built once"

    return cached(Path(final), build, lambda path: (path / "value.txt").read_text(), label="test")
