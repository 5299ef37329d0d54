"""Executors run `talkbench.harness.jobs.execute` over job specs and yield the records; only the driver records them.

`local` (in-process, one job after another) is built here; process-pool, Ray and SLURM executors plug in behind
the same `Executor` protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from talkbench.harness.jobs import JobRecord, JobSpec, execute


class Executor(Protocol):
    """Runs jobs somewhere and yields their records (in any order)."""

    name: str

    def map(self, specs: Iterable[JobSpec]) -> Iterator[JobRecord]:
        """Execute every spec; yield each record as it finishes."""


class LocalExecutor:
    """In this process, one job after another (the default)."""

    name = "local"

    def map(self, specs: Iterable[JobSpec]) -> Iterator[JobRecord]:
        """Execute the specs in order."""
        for spec in specs:
            yield execute(spec)


EXECUTORS: dict[str, type] = {"local": LocalExecutor}
"""Executors by `--executor` name."""
