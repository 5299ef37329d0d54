"""What a task body works with (`JobContext`) and hands back (`TaskOutput`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from talkbench.core.method import Configurable
from talkbench.core.metric import MetricResult
from talkbench.harness import history
from talkbench.infra import numerics
from talkbench.infra.hashing import stable_hash

if TYPE_CHECKING:
    from talkbench.harness.jobs import JobSpec


@dataclass
class JobContext:
    """What a task body needs about the job being run (and where it records timings)."""

    spec: "JobSpec"
    run_dir: Path
    method_cls: type[Configurable]
    method: Configurable
    config: dict[str, Any]
    config_hash: str
    metric_classes: dict[str, Any]
    device: str
    code: str
    timings: dict[str, float] = field(default_factory=dict)
    dataset_sha: str = ""
    preparation: dict[str, Any] | None = None
    """The prepared clip's measured quality (`talkbench.prepare.quality`), copied into provenance."""
    results_code: str = ""
    """Version of the code that makes the numbers (method, task, the task's metrics; not which of them `--metric`
    picked): part of the execution's fingerprint."""
    started: float = field(default_factory=time.time)
    notes: list[str] = field(default_factory=list)
    """One-line notes met while running (a damaged cache entry recomputed, ...), kept in provenance."""
    execution: history.Execution | None = None
    """The execution directory this job writes (`run_dir`), opened by `load` once the data's content is known."""

    def load(self, loader: Callable[[str, str], Any]) -> Any:
        """Load the job's dataset with `loader(name, profile)` (timed), record its content hash, open the execution
        directory (`history`): the run's newest one with the same fingerprint, or a new one."""
        t0 = time.perf_counter()
        data = loader(self.spec.dataset, self.spec.profile)
        self.timings["data"] = time.perf_counter() - t0
        self.dataset_sha = str(data.meta.get("content_sha256", ""))
        self.preparation = data.meta.get("quality")
        if self.spec.out is not None:
            history.remember_root(self.spec.out)
        self.execution = history.Execution(self.spec.run_dir, self.spec.run_id, self.fingerprint,
                                           fresh=self.spec.overwrite == "always")
        self.run_dir = self.execution.dir
        history.write_record(self.run_dir, self.record("running"))
        return data

    @property
    def fingerprint(self) -> str:
        """What makes the numbers: config, data content, code, numerics mode, the method's environment."""
        return stable_hash({"config": self.config_hash, "data": self.dataset_sha, "code": self.results_code,
                            "numerics": numerics.active_mode(), "environment": self.method.environment_key()}, 8)

    def record(self, status: str, error: str | None = None, finished: float | None = None) -> dict[str, Any]:
        """The execution's record (`run.json`; the index's runs row with `config` as JSON text)."""
        spec = self.spec
        return dict(run_id=spec.run_id, execution=self.execution.name if self.execution else self.run_dir.name,
                    fingerprint=self.fingerprint if self.dataset_sha else None, task=spec.task, method=spec.method,
                    variant=spec.variant, dataset=spec.dataset, profile=spec.profile, seed=spec.seed, status=status,
                    error=error, run_dir=str(self.run_dir), config=self.config, config_hash=self.config_hash,
                    dataset_sha=self.dataset_sha, uses_ground_truth=int(self.method.capabilities().uses_ground_truth),
                    started=self.started, finished=finished, started_iso=history.iso(self.started),
                    finished_iso=history.iso(finished))


@dataclass
class TaskOutput:
    """A task body's results per condition, extra provenance, and how to write its run directory."""

    results: dict[str, dict[str, MetricResult]]
    provenance: dict[str, Any]
    write: Callable[[dict[str, Any]], None]
    """Writes the run directory, given the job's provenance."""
