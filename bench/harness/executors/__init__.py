"""Executors run `talkbench.harness.jobs.execute` over job specs and yield the records; only the driver records them.

`local` runs in this process, `process` in a pool of local processes, `ray` on a Ray cluster (a local one by
default), `slurm` as submitit job arrays. All but `local` send workers JSON (`wire`) and get JSON records back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from talkbench.core.errors import BenchError
from talkbench.core.registry import Registry
from talkbench.harness.jobs import JobRecord, JobSpec, execute


class Executor(Protocol):
    """Runs jobs somewhere and yields their records (in any order)."""

    name: str

    def map(self, specs: Iterable[JobSpec]) -> Iterator[JobRecord]:
        """Execute every spec; yield each record as it finishes."""


@dataclass
class ExecutorOptions:
    """What `bench run` passes to an executor (each reads its own)."""

    jobs: int = 1
    """Concurrent jobs of the process pool (the other executors take theirs from the cluster's resources)."""
    ray_address: str | None = None
    """A running Ray cluster (`ray://host:10001` or `auto`); a local one is started when absent."""
    slurm_partition: str | None = None
    gpus_per_job: float | None = None
    """GPUs each job asks for; None: what the method declares (`Capabilities.num_gpus`) when it may use CUDA."""
    slurm_time_min: int = 240
    slurm_folder: Path | None = None
    slurm_cluster: str = "slurm"
    """`slurm`, or `local` for submitit's local executor (the same job arrays without a cluster)."""


class LocalExecutor:
    """In this process, one job after another (the default)."""

    name = "local"

    def __init__(self, options: ExecutorOptions | None = None) -> None:
        self.options = options or ExecutorOptions()

    def map(self, specs: Iterable[JobSpec]) -> Iterator[JobRecord]:
        """Execute the specs in order."""
        for spec in specs:
            yield execute(spec)


EXECUTORS: Registry[type] = Registry("executor", group="talkbench.executors")
"""Executor classes by `--executor` name, from the `talkbench.executors` entry points (pyproject lists the built-in
ones; a package can add, say, a Kubernetes executor the same way). Imported when chosen: Ray and submitit are heavy."""


def make_executor(name: str, options: ExecutorOptions | None = None) -> Executor:
    """The executor called `name`, configured with `options`."""
    if name not in EXECUTORS:
        raise BenchError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS.names())}")
    return EXECUTORS.get(name)(options or ExecutorOptions())
