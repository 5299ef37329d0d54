"""What a task body works with (`JobContext`) and hands back (`TaskOutput`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from talkbench.core.method import Configurable
from talkbench.core.metric import MetricResult

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

    def load(self, loader: Callable[[str, str], Any]) -> Any:
        """Load the job's dataset with `loader(name, profile)` (timed), record its content hash, open the run directory."""
        t0 = time.perf_counter()
        data = loader(self.spec.dataset, self.spec.profile)
        self.timings["data"] = time.perf_counter() - t0
        self.dataset_sha = str(data.meta.get("content_sha256", ""))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.spec.overwrite == "always":
            for stale in ("metrics.json", "per_frame.csv", "per_utterance.csv"):
                (self.run_dir / stale).unlink(missing_ok=True)
        return data


@dataclass
class TaskOutput:
    """A task body's results per condition, extra provenance, and how to write its run directory."""

    results: dict[str, dict[str, MetricResult]]
    provenance: dict[str, Any]
    write: Callable[[dict[str, Any]], None]
    """Writes the run directory, given the job's provenance."""
