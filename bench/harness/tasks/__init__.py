"""The tasks (the papers' tables) as strategies, registered by name; plugins add theirs via `talkbench.tasks`."""

from __future__ import annotations

from talkbench.core.registries import METHODS
from talkbench.core.registry import Registry
from talkbench.core.task import Task
from talkbench.harness.tasks.enhance import EnhanceTask
from talkbench.harness.tasks.lipsync import LipsyncTask
from talkbench.harness.tasks.reconstruct import ReconstructTask

TASKS: Registry[Task] = Registry("task", base_cls=Task, group="talkbench.tasks")
for _task in (ReconstructTask(), LipsyncTask(), EnhanceTask()):
    TASKS.register(_task.name)(_task)


def method_names(task: str | None = None) -> list[str]:
    """Registered method names, optionally only those the task accepts."""
    names = METHODS.names()
    if task is None:
        return names
    accepting = TASKS.get(task)
    return [n for n in names if accepting.accepts(METHODS.get(n))]
