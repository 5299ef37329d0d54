"""Check and repair the results index against the run directories (`bench store verify|rebuild`).

The index is rebuilt from each execution's run.json (identity, status, times), metrics.json (values, counts,
details) and provenance.json (git, packages, hardware, timings). Directories written before run history
(`<runs>/<run id>/` holding config.json and metrics.json) are read as execution `legacy`."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from talkbench.core.errors import BenchError
from talkbench.core.metric import MetricResult
from talkbench.harness import history
from talkbench.harness.confidence import interval_columns, item_interval, stored_interval
from talkbench.harness.stages import STORED_VALUES, from_json, read_per_frame
from talkbench.harness.store import ResultRow, create_schema, index_problem, move_aside, put_results, put_run
from talkbench.infra.atomic import TEMP_MARK, discard, temp_sibling
from talkbench.infra.cache_entry import MANIFEST, READ_ERRORS, DamagedEntry, lock_for, verify_manifest
from talkbench.infra.hashing import stable_hash
from talkbench.infra.paths import cache_dir, data_dir, index_path


@dataclass
class OnDisk:
    """One execution found in a run directory: its runs row, result rows and provenance."""

    directory: Path
    run: dict[str, Any]
    rows: list[ResultRow] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scan:
    """What the run directories hold: readable executions and the problems of unreadable ones (each naming a file)."""

    found: list[OnDisk] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """`N executions of M runs, K results` (+ how many directories were unreadable)."""
        text = (f"{len(self.found)} executions of {len({d.run['run_id'] for d in self.found})} runs, "
                f"{sum(len(d.rows) for d in self.found)} results")
        if self.problems:
            text += f"; {len(self.problems)} unreadable run directories skipped, e.g. {self.problems[0]}"
        return text


def execution_dirs(roots: Iterable[Path]) -> list[tuple[Path, bool]]:
    """Every execution directory under the roots, with whether it is a legacy (pre-history) one."""
    out: list[tuple[Path, bool]] = []
    for root in roots:
        if not root.is_dir():
            continue
        for parent in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
            if (parent / "metrics.json").exists() or (parent / "config.json").exists():
                out.append((parent, True))
            out += [(child, False) for child in sorted(parent.iterdir())
                    if child.is_dir() and not child.is_symlink() and (child / history.RUN_RECORD).exists()]
    return out


def scan(roots: Iterable[Path] | None = None) -> Scan:
    """Read every execution under the run-directory roots (default: `history.roots()`)."""
    result = Scan()
    for directory, legacy in execution_dirs(history.roots() if roots is None else roots):
        try:
            result.found.append(_read_legacy(directory) if legacy else _read_execution(directory))
        except DamagedEntry as exc:
            result.problems.append(str(exc))
        except READ_ERRORS as exc:
            result.problems.append(f"{directory}: {type(exc).__name__}: {exc}")
    return result


def rebuild_into(path: Path, roots: Iterable[Path] | None = None) -> str:
    """Write a fresh index at `path` (replacing the file) from the run directories; returns a one-line summary.
    The caller holds the index lock and has moved any old file (and its -wal/-shm) aside."""
    found = scan(roots)
    tmp = temp_sibling(path)
    try:
        with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as db:
            create_schema(db)
            db.execute("BEGIN")
            for item in found.found:
                put_run(db, item.run)
                put_results(db, item.rows, item.provenance)
            db.execute("COMMIT")
        tmp.replace(path)
    finally:
        discard(tmp)
    return found.summary()


def rebuild(path: Path | None = None) -> tuple[Path | None, str]:
    """Move the index aside (`results.sqlite.before-rebuild-<time>`, when there is one) and rebuild it from the run
    directories; returns where the old file went and a summary."""
    path = path or index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock_for(path):
        aside = move_aside(path, "before-rebuild") if path.exists() else None
        return aside, rebuild_into(path)


@dataclass
class Verification:
    """What `bench store verify` found."""

    index: str | None
    """Why the index is damaged (None: sound)."""
    indexed: set[tuple[str, str]] = field(default_factory=set)
    on_disk: set[tuple[str, str]] = field(default_factory=set)
    without_dir: list[str] = field(default_factory=list)
    damaged_runs: list[str] = field(default_factory=list)
    damaged_entries: list[str] = field(default_factory=list)
    entries_checked: int = 0
    entries_unsealed: int = 0
    """Cache entries without a manifest (written by an older talkbench): recomputed, with a note, when next used."""

    @property
    def missing_from_index(self) -> set[tuple[str, str]]:
        """Complete executions on disk that the index lacks."""
        return self.on_disk - self.indexed

    @property
    def ok(self) -> bool:
        """Nothing damaged and the index agrees with the run directories."""
        return not (self.index or self.missing_from_index or self.without_dir or self.damaged_runs or self.damaged_entries)


def verify(path: Path | None = None) -> Verification:
    """Check the index (without repairing it), compare it with the run directories, and check every cache entry."""
    path = path or index_path()
    found = scan()
    result = Verification(index_problem(path), damaged_runs=list(found.problems))
    result.on_disk = {(d.run["run_id"], d.run["execution"]) for d in found.found if d.run.get("status") == "complete"}
    if result.index is None and path.exists():
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")} if "runs" in tables else set()
            if "runs" in tables:
                execution = "execution" if "execution" in columns else f"'{history.LEGACY}'"
                for run_id, name, run_dir in db.execute(
                        f"SELECT run_id, {execution}, run_dir FROM runs WHERE status='complete'"):
                    result.indexed.add((run_id, name))
                    if run_dir and not Path(run_dir).exists():
                        result.without_dir.append(f"{run_id} ({name}): {run_dir} is gone")
    for entry in cache_entries():
        if not (entry / MANIFEST).exists():
            result.entries_unsealed += 1
            continue
        result.entries_checked += 1
        try:
            verify_manifest(entry)
        except DamagedEntry as exc:
            result.damaged_entries.append(str(exc))
    return result


def cache_entries() -> list[Path]:
    """Every stage-cache entry and generated or prepared dataset directory."""
    out = []
    for stage in sorted(cache_dir().iterdir()) if cache_dir().is_dir() else []:
        if stage.is_dir():
            out += [e for e in sorted(stage.iterdir()) if e.is_dir() and TEMP_MARK not in e.name]
    for card in sorted(data_dir().iterdir()) if data_dir().is_dir() else []:
        if card.is_dir():
            out += [e for e in sorted(card.iterdir()) if e.is_dir() and TEMP_MARK not in e.name]
    return out


def _json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise DamagedEntry(f"{path} holds {type(data).__name__}, not a JSON object")
    return data


def _read_execution(directory: Path) -> OnDisk:
    record = history.read_record(directory) or {}
    run = {c: record.get(c) for c in ("run_id", "execution", "fingerprint", "task", "method", "variant", "dataset",
                                      "profile", "seed", "status", "error", "config_hash", "dataset_sha",
                                      "uses_ground_truth", "started", "finished", "started_iso", "finished_iso")}
    run["execution"] = run["execution"] or directory.name
    run["run_dir"] = str(directory)
    run["config"] = json.dumps(record.get("config") or {})
    run["uses_ground_truth"] = int(bool(run["uses_ground_truth"]))
    item = OnDisk(directory, run)
    if run["status"] == "complete":
        item.rows, item.provenance = _results(directory, run)
    return item


def _read_legacy(directory: Path) -> OnDisk:
    """A run directory from before run history: identity from config.json, times from the files' modification."""
    if not (directory / "metrics.json").exists():
        raise DamagedEntry(f"{directory}: a legacy run directory without metrics.json (failed or cut short)")
    job = _json(directory / "config.json")
    spec, config = job.get("job") or {}, job.get("method_config") or {}
    overrides = spec.get("overrides") or {}
    prov = _json(directory / "provenance.json") if (directory / "provenance.json").exists() else {}
    finished = (directory / "metrics.json").stat().st_mtime
    started = finished - sum(float(v) for v in (prov.get("timings_s") or {}).values())
    run = {"run_id": directory.name, "execution": history.LEGACY, "fingerprint": None, "task": spec.get("task"),
           "method": spec.get("method"), "variant": ",".join(f"{k}={v}" for k, v in sorted(overrides.items())),
           "dataset": spec.get("dataset"), "profile": spec.get("profile"), "seed": spec.get("seed"),
           "status": "complete", "error": None, "run_dir": str(directory), "config": json.dumps(config),
           "config_hash": stable_hash({"method": spec.get("method"), "config": config}, 12),
           "dataset_sha": prov.get("dataset_sha", ""), "uses_ground_truth": int(_uses_ground_truth(spec.get("method"))),
           "started": started, "finished": finished, "started_iso": history.iso(started), "finished_iso": history.iso(finished)}
    rows, _ = _results(directory, run, prov)
    return OnDisk(directory, run, rows, prov)


def _results(directory: Path, run: dict[str, Any], prov: dict[str, Any] | None = None) -> tuple[list[ResultRow], dict[str, Any]]:
    """Result rows from metrics.json (checked against the directory's manifest when it has one)."""
    if (directory / "MANIFEST.json").exists():
        verify_manifest(directory)
    elif run["execution"] != history.LEGACY and (directory / STORED_VALUES[0]).exists():
        raise DamagedEntry(f"{directory}: metrics.json without its MANIFEST.json (cut short, or edited)")
    data = _json(directory / "metrics.json")
    if prov is None:
        prov = _json(directory / "provenance.json") if (directory / "provenance.json").exists() else {}
    conditions = data["conditions"] if "conditions" in data else {"original": data.get("metrics") or {}}
    wall = (prov.get("timings_s") or {}).get("train")
    per_frame: dict[str, Any] | None = None
    rows = []
    for condition, metrics in conditions.items():
        for name, m in metrics.items():
            details = dict(m.get("details") or {})
            count = m.get("count", details.get("items"))
            interval = stored_interval(m)
            column = None
            if count is None or interval is None:  # metrics.json from before counts (or CIs) were stored in it
                if per_frame is None:
                    per_frame = read_per_frame(directory / "per_frame.csv")
                column = per_frame.get(f"{condition}:{name}" if "conditions" in data else name)
            if count is None:  # the per-frame column's length
                count = 0 if column is None else len(column)
            if interval is None:  # computed now from the sealed per-frame values, as scoring computes it
                interval = item_interval(MetricResult(name, from_json(m.get("value")), per_item=column,
                                                      unavailable_reason=m.get("unavailable_reason")))
            rows.append(ResultRow(
                run_id=run["run_id"], execution=run["execution"], task=run["task"], method=run["method"],
                variant=run["variant"] or "", dataset=run["dataset"], profile=run["profile"], seed=run["seed"],
                condition=condition, metric=name, value=from_json(m.get("value")),
                count=int(count), unavailable_reason=m.get("unavailable_reason"),
                higher_is_better=bool(m["higher_is_better"]) if "higher_is_better" in m else _higher_is_better(name),
                uses_ground_truth=bool(run["uses_ground_truth"]), details=details, config_hash=run["config_hash"] or "",
                dataset_sha=run["dataset_sha"] or "", wall_time_s=wall, started=run["started"],
                **interval_columns(interval)))
    return rows, prov


def _higher_is_better(metric: str) -> bool:
    from talkbench.core.registries import METRICS

    try:
        return bool(METRICS.get(metric).higher_is_better)
    except BenchError:  # a metric plugin no longer installed: its direction is unknown, shown as higher-is-better
        return True


def _uses_ground_truth(method: str | None) -> bool:
    from talkbench.core.registries import METHODS

    try:
        return bool(METHODS.get(str(method))().capabilities().uses_ground_truth)
    except BenchError:  # a method plugin no longer installed
        return False
