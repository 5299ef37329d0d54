"""Where talkbench keeps its store, prepared data and weights ($BENCH_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

SOURCE_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (or site-packages) folder holding the package: where provenance asks git for the commit."""


def bench_home() -> Path:
    """Root of the results store, data cache and weights cache; `$BENCH_HOME` relocates all three."""
    env = os.environ.get("BENCH_HOME")
    root = Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("talkbench"))
    root.mkdir(parents=True, exist_ok=True)
    return root


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


def cards_override() -> Path | None:
    """A folder of dataset cards replacing the shipped ones (`$BENCH_CARDS`, for tests and private cards)."""
    env = os.environ.get("BENCH_CARDS")
    return Path(env) if env else None
