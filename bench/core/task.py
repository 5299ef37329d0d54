"""A benchmark task is a strategy: it owns its body, the metrics of its table and the methods it accepts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from talkbench.core.method import Configurable


class Task(ABC):
    """One of the papers' tables: what is run and scored (`run`), in which column order, under which conditions."""

    name: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]]
    """The table's metrics, in column order."""
    conditions: ClassVar[tuple[str, ...]] = ("original",)
    """Driving conditions, each a block of the table (e.g. clean vs noisy speech)."""
    default_profile: ClassVar[str] = "smoke"
    """The profile `bench run --task NAME` uses when none is given (`talkbench.core.profiles`)."""
    description: ClassVar[str] = ""

    @abstractmethod
    def accepts(self, method_cls: type[Configurable]) -> bool:
        """Whether a method of this kind can run the task (decided from its declared interface, never its name)."""

    @abstractmethod
    def run(self, job: Any) -> Any:
        """The task's body for one job (`talkbench.harness.jobs.JobContext` in, `TaskOutput` out)."""
