"""Atomic directory writes: a stage's output appears whole or not at all (so interrupted runs resume)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a fresh sibling `<final>.part` to fill; on success it replaces `final`, on error it is removed."""
    tmp = final.with_name(final.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(final, ignore_errors=True)
    tmp.replace(final)
