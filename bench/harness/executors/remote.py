"""What the driver side of the out-of-process executors shares: the settings a worker must match, and the record of
a job whose worker never answered."""

from __future__ import annotations

from dataclasses import dataclass

from talkbench.harness.jobs import JobRecord, JobSpec
from talkbench.infra import numerics


@dataclass(frozen=True)
class WorkerSettings:
    """The driver's numerics mode and torch thread count, which every worker reproduces."""

    numerics_mode: str
    torch_threads: int


def driver_settings() -> WorkerSettings:
    """This process's numerics mode and torch thread count."""
    import torch

    return WorkerSettings(numerics.active_mode(), torch.get_num_threads())


def lost(spec: JobSpec, why: str) -> JobRecord:
    """The failed record of a job whose worker died or could not be reached (rerunning the command resumes it)."""
    return JobRecord(spec, "failed", f"{why}; rerun the same command to resume (finished stages are cached)",
                     spec.run_dir)
