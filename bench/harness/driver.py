"""The driver: hands job specs to an executor and records what comes back (the only writer of the index)."""

from __future__ import annotations

from tqdm import tqdm

from talkbench.harness.executors import Executor, LocalExecutor
from talkbench.harness.jobs import JobRecord, JobSpec, pending, record
from talkbench.harness.store import Store


def run_jobs(specs: list[JobSpec], store: Store | None = None, executor: Executor | None = None) -> list[JobRecord]:
    """Run every job; a failing job is recorded and reported, the others go on. Records come back in spec order."""
    store = store or Store()
    executor = executor or LocalExecutor()
    done: dict[str, JobRecord] = {}
    todo = []
    for spec in specs:
        skipped = pending(spec, store)
        if skipped is not None:
            done[spec.run_id] = skipped
        else:
            todo.append(spec)
    for rec in executor.map(todo):
        record(store, rec)
        done[rec.run_id] = rec
        _report(rec)
    for spec in specs:
        if spec.run_id in done and spec not in todo:
            _report(done[spec.run_id])
    return [done[spec.run_id] for spec in specs]


def _report(rec: JobRecord) -> None:
    mark = {"complete": "done", "failed": "FAILED", "skipped": "skipped"}.get(rec.status, rec.status)
    tqdm.write(f"[{mark}] {rec.run_id}" + (f": {rec.message}" if rec.message else ""))
