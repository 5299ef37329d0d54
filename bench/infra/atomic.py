"""Atomic writes: a file or directory appears whole or not at all, under a temporary name no other process shares.

Every temporary name carries the writer's pid and a random suffix (`temp_sibling`), so two processes (or hosts on
one filesystem) writing the same target never write into each other's half-made files; the last `os.replace`
wins and readers only ever see a complete file or directory.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

TEMP_MARK = ".tmp-"
"""Part of every temporary name (`<name>.tmp-<pid>-<hex>`), so leftovers of killed writers can be recognised."""


def temp_sibling(final: Path, suffix: str = "") -> Path:
    """A fresh name beside `final` that no other writer uses: `<name>.tmp-<pid>-<random><suffix>`."""
    return final.with_name(f"{final.name}{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:12]}{suffix}")


@contextmanager
def atomic_file(final: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `final` to write; on success it replaces `final`, on error it is removed.

    `suffix` keeps an extension writers look at (e.g. ".mp4" for a muxer that picks the container by name).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final, suffix)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (a reader sees the old or the new content, never a mix)."""
    with atomic_file(path) as tmp:
        tmp.write_text(text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_file(path) as tmp:
        tmp.write_bytes(data)


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a fresh, uniquely named sibling directory to fill; on success it replaces `final`, on error it is removed.

    A directory cannot be renamed over a non-empty one, so an existing `final` is first renamed aside (a reader
    meanwhile sees no entry, never a mixed one) and then deleted.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final)
    tmp.mkdir()
    try:
        yield tmp
        for _ in range(100):  # another writer may put its own `final` in place between the two steps
            discard(final)
            try:
                tmp.rename(final)
                break
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
        else:
            raise OSError(f"{final}: could not replace it (other processes keep writing it)")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def discard(path: Path) -> None:
    """Remove a file or directory by first renaming it to a unique name (others never see it half deleted)."""
    if not path.exists() and not path.is_symlink():
        return
    trash = temp_sibling(path, ".trash")
    try:
        path.rename(trash)
    except FileNotFoundError:  # another process removed it first
        return
    if trash.is_dir() and not trash.is_symlink():
        shutil.rmtree(trash, ignore_errors=True)
    else:
        trash.unlink(missing_ok=True)
