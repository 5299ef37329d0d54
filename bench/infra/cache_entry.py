"""Cache entries that many processes (and hosts on one filesystem) share, and that no crash, race or tampering can
turn into a wrong number.

An entry is a directory `<root>/<key>`:
* built once: under a per-key file lock (`<key>.lock` beside it), checked again after the lock is taken, so
  concurrent runs compute it once and the others reuse it;
* published whole: filled in a uniquely named temporary directory and renamed into place (`infra.atomic`);
* checked on every read: `MANIFEST.json`, written last, holds each file's size and sha256; a missing, changed or
  unreadable file (garbage bytes, a zeroed array, bad JSON) makes the entry damaged: it is removed and recomputed,
  with a one-line note naming the file (`infra.notes`: the terminal and the job's provenance).

Hashing costs about 1 ms per MB here (sha256 at ~0.9 GB/s): nothing beside the stages it guards.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from filelock import FileLock

from talkbench.core.errors import InputError
from talkbench.infra.atomic import TEMP_MARK, atomic_directory, atomic_write_text, discard
from talkbench.infra.notes import note

MANIFEST = "MANIFEST.json"
FORMAT = 1
CHUNK = 1 << 20

T = TypeVar("T")

READ_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError,
                                                EOFError, zipfile.BadZipFile)
"""What reading a damaged file raises (JSONDecodeError and UnicodeDecodeError are ValueErrors; TypeError and
AttributeError come from valid JSON of the wrong shape)."""


class DamagedEntry(Exception):
    """A cache entry (or a file guarded by a manifest) fails its check; the message names the file and the problem."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def lock_for(target: Path) -> FileLock:
    """The inter-process lock of `target` (a file `<name>.lock` beside it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(target.with_name(target.name + ".lock"))


def write_manifest(directory: Path, files: Iterable[str] | None = None) -> None:
    """Write `MANIFEST.json` (size and sha256 per file) over `files`, or over every file in `directory`; call it last."""
    names = sorted(files) if files is not None else sorted(
        p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)
    entries = {n: {"size": (directory / n).stat().st_size, "sha256": sha256_file(directory / n)} for n in names}
    atomic_write_text(directory / MANIFEST, json.dumps({"format": FORMAT, "files": entries}, indent=1, sort_keys=True))


def verify_manifest(directory: Path) -> None:
    """Raise DamagedEntry naming the first file that is missing or differs from `MANIFEST.json` (or a bad manifest)."""
    path = directory / MANIFEST
    try:
        files = json.loads(path.read_text())["files"]
        listed = {str(name): (int(meta["size"]), str(meta["sha256"])) for name, meta in files.items()}
    except FileNotFoundError:
        raise DamagedEntry(f"{path} is missing") from None
    except READ_ERRORS as exc:
        raise DamagedEntry(f"{path} is unreadable ({type(exc).__name__}: {exc})") from None
    for name, (size, digest) in sorted(listed.items()):
        file = directory / name
        try:
            actual_size = file.stat().st_size
        except FileNotFoundError:
            raise DamagedEntry(f"{file} is missing") from None
        if actual_size != size:
            raise DamagedEntry(f"{file} has {actual_size} bytes, its manifest says {size}")
        if sha256_file(file) != digest:
            raise DamagedEntry(f"{file} does not match its sha256 in {MANIFEST} (changed after it was written)")


def _read(final: Path, load: Callable[[Path], T]) -> T:
    """Verify and load an existing entry; DamagedEntry (naming the file) when it fails, FileNotFoundError when absent."""
    if not final.is_dir():
        raise FileNotFoundError(final)
    verify_manifest(final)
    try:
        return load(final)
    except DamagedEntry:
        raise
    except READ_ERRORS as exc:
        raise DamagedEntry(f"{final}: {type(exc).__name__}: {exc}") from None


def _sweep_leftovers(final: Path) -> None:
    """Remove temporary and trash directories of `final` left by killed writers (call only with its lock held: no live
    writer of this key exists then, on any host)."""
    for leftover in final.parent.glob(f"{final.name}{TEMP_MARK}*"):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)


def cached(final: Path, build: Callable[[Path], T], load: Callable[[Path], T], *, label: str,
           refresh: bool = False) -> tuple[T, bool]:
    """The entry at `final`: loaded when complete and intact (`(value, True)`), else built once (`(value, False)`).

    `build(tmp)` fills a temporary directory and returns the value (it becomes `final` after the rename, so values
    may refer to `final`); `load(final)` reads a verified entry and may raise DamagedEntry for semantic checks.
    `refresh` rebuilds even an intact entry (`--overwrite always`). `label` names the entry in notes ("render").
    """
    if not refresh:
        try:
            return _read(final, load), True
        except (FileNotFoundError, DamagedEntry):
            pass  # decided again under the lock: another process may be writing it right now
    with lock_for(final):
        if not refresh:
            try:
                return _read(final, load), True
            except FileNotFoundError:
                pass
            except DamagedEntry as exc:
                note(f"{label} cache entry is damaged: {exc}; recomputing it")
        discard(final)
        _sweep_leftovers(final)
        with atomic_directory(final) as tmp:
            value = build(tmp)
            write_manifest(tmp)
        return value, False


def guarded_read(directory: Path, files: Iterable[str], load: Callable[[], T], *, what: str) -> T | None:
    """`load()` when `files` in `directory` match its manifest and load cleanly; None with a note naming the file
    otherwise (for files a run recomputes, such as a run directory's stored metrics). Absent files give None silently;
    present files without a manifest are not trusted (written by an older talkbench, or cut short)."""
    if not any((directory / f).exists() for f in files):
        return None
    try:
        verify_manifest(directory)
        return load()
    except DamagedEntry as exc:
        note(f"{what} not reused: {exc}; recomputing")
    except READ_ERRORS as exc:
        note(f"{what} not reused: {directory} holds an unreadable file ({type(exc).__name__}: {exc}); recomputing")
    return None


def read_prepared(directory: Path, read: Callable[[Path], T], what: str) -> T:
    """`read(directory)` for data a user prepared (no rebuild possible): checked against its manifest when it has
    one; damage is an InputError naming the file and saying to prepare it again."""
    try:
        if (directory / MANIFEST).exists():
            verify_manifest(directory)
        return read(directory)
    except DamagedEntry as exc:
        raise InputError(f"damaged {what}: {exc}; prepare it again") from exc
    except READ_ERRORS as exc:
        raise InputError(f"{directory}: damaged {what} ({type(exc).__name__}: {exc}); prepare it again") from exc
