"""The driver: hands job specs to an executor and records what comes back (the only writer of the index)."""

from __future__ import annotations

from tqdm import tqdm

from talkbench.harness.executors import Executor, LocalExecutor
from talkbench.harness.jobs import JobRecord, JobSpec, costliest_first, pending, record
from talkbench.harness.results_json import record_sweep
from talkbench.harness.store import Store


def run_jobs(specs: list[JobSpec], store: Store | None = None, executor: Executor | None = None) -> list[JobRecord]:
    """Run every job not already done; a failing job is recorded and reported, the others go on. Records come back
    in spec order."""
    store = store or Store()
    executor = executor or LocalExecutor()
    done: dict[str, JobRecord] = {}
    todo = []
    for spec in specs:
        skipped = pending(spec, store)
        if skipped is not None:
            done[spec.run_id] = skipped
            _report(skipped)
        else:
            todo.append(spec)
    if len(todo) > 1 and executor.name != "local":
        warm_datasets(todo)
        todo = costliest_first(todo)
    with tqdm(total=len(todo), desc=f"jobs ({executor.name})", unit="job", disable=None if len(todo) > 1 else True) as bar:
        for rec in executor.map(todo):
            record(store, rec)
            done[rec.run_id] = rec
            _report(rec)
            bar.update()
    records = [done[spec.run_id] for spec in specs]
    record_sweep(records)
    return records


def warm_datasets(specs: list[JobSpec]) -> None:
    """Generate or load each dataset once before the jobs fan out, so parallel workers find it cached instead of all
    making it at once. A dataset that cannot load is left to its jobs, which record the error."""
    from talkbench.datasets.cards import get_card, load_dataset, load_speech

    for dataset, profile in dict.fromkeys((s.dataset, s.profile) for s in specs):
        try:
            card = get_card(dataset)
            (load_speech if card.kind.startswith("speech") else load_dataset)(dataset, profile)
        except Exception:  # noqa: BLE001 - each job reports its own failure
            continue


def progress_line(rec: JobRecord) -> str:
    """`[done] RUN_ID: message (RUN_DIR)`: every line names the directory to look in (results, logs, error.log)."""
    mark = {"complete": "done", "failed": "FAILED", "skipped": "skipped"}.get(rec.status, rec.status)
    where = f" ({rec.run_dir})" if rec.run_dir is not None else ""
    return f"[{mark}] {rec.run_id}" + (f": {rec.message}" if rec.message else "") + where


def _report(rec: JobRecord) -> None:
    tqdm.write(progress_line(rec))
