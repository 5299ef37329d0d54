"""Where talkbench keeps its store, prepared data and weights ($BENCH_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from talkbench.core.errors import BenchError, InputError

SOURCE_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (or site-packages) folder holding the package: where provenance asks git for the commit."""


def bench_home() -> Path:
    """Root of the results store, data cache and weights cache; `$BENCH_HOME` relocates all three."""
    root = home_path()
    where = f"BENCH_HOME={root}" if os.environ.get("BENCH_HOME") else f"{root} (the default BENCH_HOME)"
    return _writable_folder(root, where, "point BENCH_HOME at a writable folder (it is created when missing)")


def home_path() -> Path:
    """Where $BENCH_HOME is, without creating or checking it (for readers that must not create it)."""
    env = os.environ.get("BENCH_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("talkbench"))


def weights_dir() -> Path:
    """Directory of installed pretrained files."""
    return bench_home() / "weights"


def data_dir() -> Path:
    """Directory of prepared / generated datasets."""
    return bench_home() / "data"


def cache_dir() -> Path:
    """Directory of cached stage outputs (checkpoints, renders), keyed by content."""
    return bench_home() / "cache"


def runs_dir() -> Path:
    """Default parent of run directories."""
    return bench_home() / "runs"


def index_path() -> Path:
    """The SQLite results index the leaderboard reads."""
    return bench_home() / "results.sqlite"


def user_cards_dir() -> Path:
    """Where `bench data prepare --name` keeps the user's own dataset cards (not created here)."""
    return home_path() / "cards"


def cards_override() -> Path | None:
    """A folder of dataset cards replacing the shipped ones (`$BENCH_CARDS`, for tests and private cards)."""
    env = os.environ.get("BENCH_CARDS")
    return Path(env) if env else None


def folder_bytes(folder: Path) -> int:
    """Total size of the files under `folder` (0 when it does not exist)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def input_file(path: str | Path) -> Path:
    """`path` as a readable, non-empty file; InputError naming it (missing, a directory, empty) otherwise."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    return path


def output_file(path: str | Path, flag: str = "") -> Path:
    """`path` as a file that can be written: not a directory, in an existing folder; BenchError naming it otherwise.

    `flag` (e.g. "--out") is put before the path in the message when the path came from an option."""
    path = Path(path).expanduser()
    name = f"{flag} {path}" if flag else str(path)
    if path.is_dir():
        raise BenchError(f"{name}: a directory; give a file name")
    folder = path.parent
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise BenchError(f"{name}: {what} {folder} (create it first)")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BenchError(f"{name}: not writable")
    return path


def output_folder(path: str | Path, flag: str = "") -> Path:
    """`path` as a folder that can be written into (created when missing); BenchError naming it otherwise."""
    path = Path(path).expanduser()
    return _writable_folder(path, f"{flag} {path}" if flag else str(path), "")


def _writable_folder(path: Path, name: str, hint: str) -> Path:
    """Create `path` when missing and check it is a writable folder; BenchError naming it (and `hint`) otherwise."""
    tail = f": {hint}" if hint else ""
    if path.exists() and not path.is_dir():
        raise BenchError(f"{name} is a file, not a directory{tail}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(f"{name}: cannot create it ({exc.strerror}){tail}") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise BenchError(f"{name} is not writable{tail}")
    return path
