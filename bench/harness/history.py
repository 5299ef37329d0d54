"""Run history: a run id names a configuration (task, dataset, method, variant, profile, seed); every execution of it
with other code, config or data gets its own directory, so a rerun never overwrites an earlier one.

Layout: `<runs>/<run id>/<execution>/` with `<execution>` = `<UTC start, 20240501T101500Z>-<fingerprint>`, and
`<runs>/<run id>/latest` a symlink to the newest. The fingerprint hashes what makes the numbers (method config,
dataset content, the code of the method, task and metrics, the numerics mode, the method's environment key): a rerun
with the same fingerprint resumes the newest execution that has it (an interrupted run, or `--overwrite
only-missing` filling a metric); anything else, and `--overwrite always`, starts a new one. `run.json` in each
execution directory records its identity, status and start/end times (ISO and epoch); the index can be rebuilt
from it (`harness.store_repair`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from filelock import FileLock

from talkbench.infra.atomic import atomic_write_text, temp_sibling
from talkbench.infra.cache_entry import lock_for
from talkbench.infra.paths import bench_home, runs_dir

RUN_RECORD = "run.json"
LATEST = "latest"
LEGACY = "legacy"
"""Execution name of results from before run history (their run directory is `<runs>/<run id>/` itself)."""
ROOTS_FILE = "run_roots.txt"
"""In $BENCH_HOME: every `--out` directory runs were written to, so `bench store rebuild` finds them too."""


def utc_stamp(epoch: float) -> str:
    """Compact UTC timestamp for directory names: 20240501T101500Z."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def iso(epoch: float | None) -> str | None:
    """ISO 8601 UTC with milliseconds (None stays None)."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def execution_name(started: float, fingerprint: str) -> str:
    """`<UTC start>-<fingerprint>`: sorts by start time, and says which code/config/data it ran."""
    return f"{utc_stamp(started)}-{fingerprint}"


def remember_root(root: Path) -> None:
    """Record a run-directory root other than $BENCH_HOME/runs (an `--out`), once."""
    root = root.resolve()
    if root == runs_dir().resolve():
        return
    path = bench_home() / ROOTS_FILE
    with lock_for(path):
        known = path.read_text().splitlines() if path.exists() else []
        if str(root) not in known:
            atomic_write_text(path, "\n".join([*known, str(root)]) + "\n")


def roots() -> list[Path]:
    """Every root holding run directories: $BENCH_HOME/runs and the remembered `--out` directories."""
    path = bench_home() / ROOTS_FILE
    extra = [Path(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return list(dict.fromkeys([runs_dir(), *extra]))


class Execution:
    """One execution directory of a run, held exclusively (a file lock on the run) while the job writes it."""

    def __init__(self, run_parent: Path, run_id: str, fingerprint: str, fresh: bool) -> None:
        self.run_parent, self.run_id, self.fingerprint = run_parent, run_id, fingerprint
        self.started = time.time()
        self._lock: FileLock = lock_for(run_parent)
        self._lock.acquire()  # another process running the same configuration finishes first; this one then resumes it
        try:
            resumed = None if fresh else newest_with(run_parent, fingerprint)
            self.name = resumed or execution_name(self.started, fingerprint)
            self.dir = run_parent / self.name
            self.dir.mkdir(parents=True, exist_ok=True)
            point_latest(run_parent, self.name)
        except BaseException:
            self._lock.release()
            raise

    def release(self) -> None:
        """Let other processes open this run."""
        self._lock.release()


def newest_with(run_parent: Path, fingerprint: str) -> str | None:
    """The newest execution directory of a run with this fingerprint, if any."""
    names = sorted(p.name for p in run_parent.glob(f"*-{fingerprint}") if p.is_dir() and not p.is_symlink())
    return names[-1] if names else None


def failure_dir(run_parent: Path) -> Path:
    """A new execution directory for a job that failed before its data (and so its fingerprint) was known."""
    path = run_parent / f"{utc_stamp(time.time())}-failed-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def point_latest(run_parent: Path, name: str) -> None:
    """Point `<run id>/latest` at `name` (atomically; skipped where the filesystem has no symlinks)."""
    link = run_parent / LATEST
    if link.exists() and not link.is_symlink():
        return  # a user's own file or folder called "latest" is never replaced
    tmp = temp_sibling(link)
    with contextlib.suppress(OSError):
        os.symlink(name, tmp)
        os.replace(tmp, link)
    with contextlib.suppress(OSError):
        tmp.unlink()


def write_record(directory: Path, record: dict[str, Any]) -> None:
    """Write `run.json` (atomically)."""
    atomic_write_text(directory / RUN_RECORD, json.dumps(record, indent=2, default=str) + "\n")


def read_record(directory: Path) -> dict[str, Any] | None:
    """`run.json` of an execution directory (None when absent; ValueError when unreadable)."""
    path = directory / RUN_RECORD
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or "run_id" not in data:
        raise ValueError(f"{path} is not a run record")
    return data
