"""Jobs: `execute(spec) -> JobRecord` computes a job without touching the results index, `record(store, record)`
writes it there. Executors (`talkbench.harness.executors`) run `execute` wherever they like; only the driver
records, so workers never write the index."""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.core.method import Capabilities, Configurable
from talkbench.core.metric import MetricResult
from talkbench.datasets.cards import get_card
from talkbench.harness import history
from talkbench.harness.confidence import interval_columns, item_interval
from talkbench.harness.context import JobContext, TaskOutput
from talkbench.harness.stages import item_count
from talkbench.harness.store import ResultRow, Store
from talkbench.harness.tasks import TASKS
from talkbench.infra import notes, provenance
from talkbench.infra.devices import resolve_device
from talkbench.infra.hashing import code_version, stable_hash
from talkbench.infra.paths import runs_dir
from talkbench.core.registries import METHODS, METRICS

OVERWRITE_MODES = ("never", "only-missing", "always")
"""never: a complete run is left as it is; only-missing: compute what is missing or was unavailable
(e.g. after installing weights) and keep the rest; always: recompute every stage and metric."""


@dataclass
class JobSpec:
    """One method on one dataset under one profile and seed."""

    method: str
    dataset: str
    profile: str = "smoke"
    seed: int = 0
    task: str = "reconstruct"
    overrides: dict[str, str] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None
    overwrite: str = "only-missing"
    out: Path | None = None
    device: str = "auto"
    metric_options: dict[str, Any] = field(default_factory=dict)
    """Protocol options of the metrics (`talkbench.core.metric_options`), e.g. the LMD landmark backend."""

    @property
    def variant(self) -> str:
        """The `--set` overrides as a label ("" for the default config)."""
        return ",".join(f"{k}={v}" for k, v in sorted(self.overrides.items()))

    @property
    def run_id(self) -> str:
        """Stable id: rerunning the same job finds the same run directory."""
        suffix = f"-{stable_hash(self.overrides, 8)}" if self.overrides else ""
        return f"{self.task}-{self.dataset}-{self.method}{suffix}-{self.profile}-s{self.seed}"

    @property
    def run_dir(self) -> Path:
        """The run's directory: one subdirectory per execution (`harness.history`), and `latest`."""
        return (self.out or runs_dir()) / self.run_id


@dataclass
class JobRecord:
    """What a job produced: its status, the result rows for the index, and what the driver prints."""

    spec: JobSpec
    status: str
    """complete | failed | skipped."""
    message: str = ""
    run_dir: Path | None = None
    """The execution directory the job wrote (the run's directory when it was skipped)."""
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    """The first condition's results (what `bench run` prints)."""
    timings: dict[str, float] = field(default_factory=dict)
    rows: list[ResultRow] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    run_fields: dict[str, Any] = field(default_factory=dict)
    """The index's runs row of this execution (identity, status, times, config, hashes); empty when skipped."""

    @property
    def run_id(self) -> str:
        """The job's run id."""
        return self.spec.run_id


def execute(spec: JobSpec) -> JobRecord:
    """Run one job (data, train, render, score; each stage cached) and return its record; never raises, never
    writes the results index. A failure is one line in the record and a traceback in the execution's error.log."""
    job: JobContext | None = None
    started = time.time()
    with notes.collecting() as job_notes:
        try:
            if spec.overwrite not in OVERWRITE_MODES:
                raise BenchError(f"--overwrite must be one of {', '.join(OVERWRITE_MODES)}, not {spec.overwrite!r}")
            job, skipped = _context(spec)
            job.started, job.notes = started, job_notes
            if skipped:
                return JobRecord(spec, "skipped", skipped, spec.run_dir)
            return _execute(job)
        except Exception as exc:  # recorded per job so that other jobs' results are never lost
            message = str(exc) if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
            return _failed(spec, job, message, traceback.format_exc(), started)
        finally:
            if job is not None and job.execution is not None:
                job.execution.release()


def _failed(spec: JobSpec, job: JobContext | None, message: str, trace: str, started: float) -> JobRecord:
    """The record of a failed job: error.log and run.json in its execution directory (a new one when the job failed
    before its data, and so its fingerprint, was known)."""
    directory = job.run_dir if job is not None and job.execution is not None else history.failure_dir(spec.run_dir)
    (directory / "error.log").write_text(trace)
    finished = time.time()
    if job is not None:
        job.run_dir = directory
        run = job.record("failed", message, finished)
    else:
        run = dict(run_id=spec.run_id, execution=directory.name, task=spec.task, method=spec.method, variant=spec.variant,
                   dataset=spec.dataset, profile=spec.profile, seed=spec.seed, status="failed", error=message,
                   run_dir=str(directory), config={}, started=started, finished=finished,
                   started_iso=history.iso(started), finished_iso=history.iso(finished))
    history.write_record(directory, run)
    return JobRecord(spec, "failed", message, directory, run_fields=_index_row(run))


def _index_row(run: dict[str, Any]) -> dict[str, Any]:
    """A run record as the index's runs row (the config as JSON text)."""
    return {**run, "config": json.dumps(run.get("config") or {}, default=str)}


def _context(spec: JobSpec) -> tuple[JobContext, str]:
    method_cls = METHODS.get(spec.method)
    task = TASKS.get(spec.task)
    if not task.accepts(method_cls):
        raise BenchError(f"method {spec.method!r} cannot run task {spec.task!r} ({task.description.split(':')[0]})")
    metric_classes = {name: METRICS.get(name) for name in (spec.metrics or task.metrics)}
    card = get_card(spec.dataset)
    if spec.task not in card.tasks:
        raise BenchError(f"dataset {spec.dataset!r} serves {card.tasks}, not task {spec.task!r}")
    device = resolve_device(spec.device)
    config = method_cls.config_for(spec.profile, spec.overrides)
    method = method_cls(config)
    job = JobContext(spec=spec, run_dir=spec.run_dir, method_cls=method_cls, method=method, config=config.to_dict(),
                     config_hash=stable_hash({"method": spec.method, "config": config.to_dict()}, 12),
                     metric_classes=metric_classes, device=device, code=code_version(method_cls),
                     results_code=code_version(method_cls, task if isinstance(task, type) else type(task),
                                               *(METRICS.get(name) for name in task.metrics)))
    if method.capabilities().gpu and device != "cuda":
        return job, f"{spec.method} needs a CUDA GPU and none is available"
    return job, ""


def job_key(spec: JobSpec) -> str:
    """What a finished job's results depend on, computed without running it: the resolved config, the code the
    method imports, the numerics mode, the metrics and their options, and a stamp of the dataset. A sweep skips a
    job whose complete run has the same key."""
    from talkbench.datasets.cards import dataset_version
    from talkbench.infra import numerics

    method_cls = METHODS.get(spec.method)
    config = method_cls.config_for(spec.profile, spec.overrides)
    method = method_cls(config)
    environment = method.environment_key() if hasattr(method, "environment_key") else {}
    return stable_hash({"task": spec.task, "method": spec.method, "config": config.to_dict(),
                        "environment": environment, "code": code_version(method_cls),
                        "numerics": numerics.active_mode(), "metrics": list(spec.metrics or TASKS.get(spec.task).metrics),
                        "metric_options": spec.metric_options, "data": dataset_version(spec.dataset, spec.profile),
                        "device": spec.device}, 16)


def _execute(job: JobContext) -> JobRecord:
    spec = job.spec
    card = get_card(spec.dataset)
    output = TASKS.get(spec.task).run(job)
    finished = time.time()
    run = {**job.record("complete", finished=finished), "job_key": job_key(spec)}
    prov = {**provenance.collect(), "seeds": {"method": spec.seed, "dataset": card.data.get("generator", {}).get("seed")},
            "timings_s": job.timings, "dataset_sha": job.dataset_sha, "device": job.device,
            "run": {k: run[k] for k in ("run_id", "execution", "fingerprint", "config_hash", "uses_ground_truth",
                                        "started", "started_iso", "finished", "finished_iso")},
            "notes": list(job.notes), **({"preparation_quality": job.preparation} if job.preparation else {}),
            **output.provenance}
    for results in output.results.values():  # the numerics mode travels with every value (a baseline states its own)
        for res in results.values():
            res.details.setdefault("numerics", prov["numerics"]["mode"])
    output.write(prov)
    history.write_record(job.run_dir, run)
    _write_readable(job.run_dir)
    ground_truth = job.method.capabilities().uses_ground_truth
    rows = [
        ResultRow(run_id=spec.run_id, task=spec.task, method=spec.method, variant=spec.variant, dataset=spec.dataset,
                  profile=spec.profile, seed=spec.seed, condition=condition, metric=name, value=res.value,
                  count=item_count(res), unavailable_reason=res.unavailable_reason,
                  higher_is_better=(job.metric_classes.get(name) or METRICS.get(name)).higher_is_better,
                  uses_ground_truth=ground_truth,
                  details=res.details, config_hash=job.config_hash, dataset_sha=job.dataset_sha,
                  wall_time_s=job.timings.get("train"), execution=run["execution"], started=job.started,
                  **interval_columns(item_interval(res)))
        for condition, results in output.results.items() for name, res in results.items()
    ]
    headline = output.results[next(iter(output.results))]
    unavailable = [n for n, r in headline.items() if not r.available]
    message = f"unavailable: {', '.join(unavailable)} (reasons in the leaderboard notes)" if unavailable else ""
    return JobRecord(spec, "complete", message, job.run_dir, headline, job.timings, rows, prov, _index_row(run))


def _write_readable(run_dir: Path) -> None:
    """The run directory's report.html and its results_<stamp>.json / samples_<stamp>.jsonl (from its files)."""
    from talkbench.harness.results_json import write_run_results
    from talkbench.harness.run_page import write_run_page

    write_run_results(run_dir)
    write_run_page(run_dir)


def record(store: Store, rec: JobRecord) -> None:
    """Write a job's record into the results index (the driver's side of `execute`): the execution's runs row and,
    when complete, its results, in one transaction."""
    if rec.status in ("complete", "failed") and rec.run_fields:
        store.record(rec.run_fields, rec.rows if rec.status == "complete" else [], rec.provenance)


def _sealed(run_dir: Path) -> bool:
    """Whether a run directory's stored values still match their manifest (a damaged one is rerun and repaired)."""
    from talkbench.infra.cache_entry import DamagedEntry, verify_manifest

    try:
        verify_manifest(run_dir)
    except (DamagedEntry, OSError):  # damaged or unreadable: do not trust it, rerun (and repair)
        return False
    return True


def pending(spec: JobSpec, store: Store) -> JobRecord | None:
    """The record of a job the driver need not run, else None: a complete latest execution under `--overwrite never`,
    or (under `only-missing`) one with the same `job_key` and every metric available, so a resumed sweep runs only
    the missing jobs. A run with an unavailable metric reruns (cheaply, from the caches): its weights may have been
    installed since."""
    existing = store.get_run(spec.run_id)
    if not existing or existing["status"] != "complete":
        return None
    if spec.overwrite == "never":
        return JobRecord(spec, "skipped", f"complete results exist in {existing['run_dir']} (--overwrite never)", spec.run_dir)
    where = Path(existing["run_dir"])
    if spec.overwrite == "only-missing" and existing.get("job_key") and spec.run_dir in (where, where.parent):
        try:
            key = job_key(spec)
        except (BenchError, OSError):  # a bad spec fails when it runs, with its own message
            return None
        rows = store.results(run_id=spec.run_id)
        if key == existing["job_key"] and rows and all(r.value is not None for r in rows) and _sealed(where):
            first = rows[0].condition
            stored = {r.metric: MetricResult(r.metric, r.value, details=r.details or {}) for r in rows if r.condition == first}
            return JobRecord(spec, "skipped", f"up to date in {where}", where, metrics=stored)
    return None


def job_capabilities(spec: JobSpec) -> Capabilities | None:
    """The `Capabilities` of the spec's method under its profile and overrides; None when its config does not build (a
    bad --set: the job itself then fails with the message)."""
    from talkbench.core.registries import METHODS

    method_cls = METHODS.get(spec.method)
    try:
        return method_cls(method_cls.config_for(spec.profile, spec.overrides)).capabilities()
    except BenchError:
        return None


def costliest_first(specs: list[JobSpec]) -> list[JobSpec]:
    """The specs ordered by their method's declared cost, costliest first (ties keep their order): with several
    workers the short jobs then fill the gaps at the end instead of one long job running alone."""
    def cost(spec: JobSpec) -> float:
        caps = job_capabilities(spec)
        return caps.cost if caps is not None else 1.0

    return sorted(specs, key=cost, reverse=True)
