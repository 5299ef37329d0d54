"""Results that travel: `results_<UTC stamp>.json` and `samples_<UTC stamp>.jsonl` per run directory and per sweep,
laid out like lm-evaluation-harness's output (results with stderr, configs, versions, n-samples, per-item samples).

Built from a run directory's files only (run.json, config.json, provenance.json, metrics.json, per_frame.csv or
per_utterance.csv), so it can be made again for any stored execution. Values that JSON cannot hold are written as
the run directory writes them: ±inf as "inf"/"-inf", NaN (an unavailable item) as null.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.infra.atomic import atomic_write_text
from talkbench.stats import standard_error

RESULTS_GLOB, SAMPLES_GLOB = "results_*.json", "samples_*.jsonl"
ITEM_COLUMNS = {"frame", "id", "snr_db", "noise", "speaker"}
"""Columns of the per-item tables that describe the item rather than score it."""


def utc_stamp(epoch: float, millis: bool = False) -> str:
    """The timestamp of a results file name: 20240501T101500Z (20240501T101500.123Z with `millis`)."""
    fraction = f".{int(epoch % 1 * 1000):03d}" if millis else ""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(epoch)) + fraction + "Z"


def clean(obj: Any) -> Any:
    """`obj` with every non-finite float made JSON-safe (`json_number`), so the files are strict JSON."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return json_number(obj)


def json_number(value: Any) -> Any:
    """A float as JSON holds it: ±inf as "inf"/"-inf", NaN as None; other values unchanged."""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    elif isinstance(value, np.integer):
        return int(value)
    return value


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file ({} when absent); BenchError naming the file when it is unreadable."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(data, dict):
        raise BenchError(f"{path}: expected a JSON object")
    return data


def item_table(run_dir: Path) -> tuple[str, Any]:
    """("frame" | "utterance", the per-item pandas table) of a run directory; ("", None) when it has none."""
    import pandas as pd

    for kind, name in (("frame", "per_frame.csv"), ("utterance", "per_utterance.csv")):
        path = run_dir / name
        if path.exists():
            try:
                return kind, pd.read_csv(path, float_precision="round_trip")
            except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
                raise BenchError(f"{path}: unreadable per-item table ({exc})") from exc
    return "", None


def conditions_of(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """metrics.json's entries per condition (a single-condition run's under "original")."""
    return metrics.get("conditions") or {"original": metrics.get("metrics", {})}


def condition_items(table: Any, kind: str, condition: str, metric: str, several: bool) -> np.ndarray | None:
    """The per-item values of one metric under one condition (None when the table lacks them)."""
    import pandas as pd

    from talkbench.datasets.speech_set import condition_label

    if table is None:
        return None
    if kind == "frame":
        column = f"{condition}:{metric}" if several else metric
        return table[column].to_numpy(np.float64) if column in table.columns else None
    if metric not in table.columns:
        return None
    values = table[metric].to_numpy(np.float64)
    if condition == "all":
        return values
    if condition.startswith("snr=") and "snr_db" in table.columns:
        return values[np.array([pd.notna(s) and condition_label(s) == condition for s in table["snr_db"]], dtype=bool)]
    return None


def stderr(values: np.ndarray | None) -> float | None:
    """Standard error of the mean of the finite values (lm-evaluation-harness's `_stderr`); None under two."""
    if values is None:
        return None
    err = standard_error(values)
    return None if math.isnan(err) else err


def stored_ci(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The confidence interval stored with a metrics.json entry ("ci": low, high, level, method), None if absent."""
    ci = entry.get("ci")
    if isinstance(ci, dict) and ci.get("low") is not None and ci.get("high") is not None:
        return {k: json_number(ci.get(k)) for k in ("low", "high", "level", "method") if ci.get(k) is not None}
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and None not in ci:
        return {"low": json_number(ci[0]), "high": json_number(ci[1])}
    return None


def run_results(run_dir: Path, samples_file: str | None = None) -> dict[str, Any]:
    """One execution's results document: identity, per-condition values with stderr and CI, configs, versions."""
    run = read_json(run_dir / "run.json")
    config = read_json(run_dir / "config.json")
    prov = read_json(run_dir / "provenance.json")
    metrics = read_json(run_dir / "metrics.json")
    if not metrics:
        raise BenchError(f"{run_dir / 'metrics.json'}: missing; only a complete run directory has results")
    kind, table = item_table(run_dir)
    conditions = conditions_of(metrics)
    several = "conditions" in metrics and kind == "frame"
    results: dict[str, dict[str, Any]] = {}
    n_samples: dict[str, dict[str, int]] = {}
    unavailable: dict[str, dict[str, str]] = {}
    higher: dict[str, bool] = {}
    for condition, entries in conditions.items():
        block: dict[str, Any] = {}
        for name, entry in entries.items():
            value = entry.get("value")
            block[name] = json_number(float(value) if value == "inf" else value)
            items = condition_items(table, kind, condition, name, several)
            block[f"{name}_stderr"] = json_number(stderr(items)) if value is not None else None
            block[f"{name}_ci"] = stored_ci(entry)
            n_samples.setdefault(condition, {})[name] = int(entry.get("count") or 0)
            if entry.get("unavailable_reason"):
                unavailable.setdefault(condition, {})[name] = entry["unavailable_reason"]
            if "higher_is_better" in entry:
                higher[name] = bool(entry["higher_is_better"])
        results[condition] = block
    identity = {k: run.get(k) for k in ("run_id", "execution", "task", "method", "variant", "dataset", "profile", "seed",
                                         "status", "fingerprint", "config_hash", "dataset_sha")}
    return {**identity, "results": results, "higher_is_better": higher, "n-samples": n_samples,
            "unavailable": unavailable, "item": kind or None,
            "config": config, "versions": {"talkbench": prov.get("packages", {}).get("talkbench"), **prov.get("packages", {})},
            "git_hash": prov.get("git_sha"), "git_dirty": prov.get("git_dirty"),
            "environment": {"hardware": prov.get("hardware"), "numerics": prov.get("numerics"), "device": prov.get("device")},
            "timings_s": prov.get("timings_s"), "date": run.get("finished"), "date_iso": run.get("finished_iso"),
            "run_dir": str(run_dir), "samples": samples_file}


def run_samples(run_dir: Path, run_id: str | None = None) -> list[dict[str, Any]]:
    """One line per item (frame or utterance) with its descriptive columns and every metric's value."""
    kind, table = item_table(run_dir)
    if table is None:
        return []
    described = [c for c in table.columns if c in ITEM_COLUMNS]
    scored = [c for c in table.columns if c not in ITEM_COLUMNS]
    out = []
    for position, row in enumerate(table.to_dict("records")):
        line: dict[str, Any] = {"run_id": run_id, "item": kind, "index": position}
        line.update({c: json_number(row[c]) for c in described})
        line["values"] = {c: json_number(row[c]) for c in scored}
        out.append(line)
    return out


def _jsonl(lines: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(clean(line), default=str, allow_nan=False) + "\n" for line in lines)


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(clean(doc), indent=2, default=str, allow_nan=False)


def write_run_results(run_dir: Path) -> Path:
    """Write results_<finish stamp>.json and samples_<finish stamp>.jsonl into an execution directory; the files of
    an earlier write of the same execution (a resumed run) are replaced, so the directory holds its current values."""
    run = read_json(run_dir / "run.json")
    stamp = utc_stamp(float(run.get("finished") or time.time()))
    for old in [*run_dir.glob(RESULTS_GLOB), *run_dir.glob(SAMPLES_GLOB)]:
        old.unlink()
    samples = f"samples_{stamp}.jsonl"
    atomic_write_text(run_dir / samples, _jsonl(run_samples(run_dir, run.get("run_id"))))
    path = run_dir / f"results_{stamp}.json"
    atomic_write_text(path, _dump(run_results(run_dir, samples)))
    return path


def write_sweep_results(entries: list[tuple[str, str, str, Path | None]], folder: Path, argv: list[str] | None = None,
                        now: float | None = None) -> Path:
    """One sweep's results_<stamp>.json (every run's results keyed by run id, failures with their message) and
    samples_<stamp>.jsonl (every run's items, each line naming its run) in `folder`. `entries`: (run id, status,
    message, execution directory or None)."""
    from talkbench.infra import provenance

    now = time.time() if now is None else now
    stamp = utc_stamp(now, millis=True)  # two sweeps in one second keep their own files
    folder.mkdir(parents=True, exist_ok=True)
    runs: dict[str, Any] = {}
    failed: dict[str, str] = {}
    lines: list[dict[str, Any]] = []
    for run_id, status, message, run_dir in entries:
        if status == "failed" or run_dir is None or not (run_dir / "metrics.json").exists():
            failed[run_id] = message or status
            continue
        try:
            runs[run_id] = {**run_results(run_dir), "sweep_status": status, "samples": f"samples_{stamp}.jsonl"}
            lines += run_samples(run_dir, run_id)
        except BenchError as exc:  # a damaged run directory is named in the file; the sweep's other results still travel
            runs.pop(run_id, None)
            failed[run_id] = f"results unreadable: {exc}"
    prov = provenance.collect()
    doc = {"results": {r: v["results"] for r, v in runs.items()},
           "configs": {r: {k: v.get(k) for k in ("task", "method", "variant", "dataset", "profile", "seed")}
                       | {"config": v.get("config")} for r, v in runs.items()},
           "n-samples": {r: v["n-samples"] for r, v in runs.items()}, "failed": failed, "runs": runs,
           "versions": prov.get("packages"), "git_hash": prov.get("git_sha"), "git_dirty": prov.get("git_dirty"),
           "command": argv if argv is not None else prov.get("argv"), "date": now,
           "date_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
           "samples": f"samples_{stamp}.jsonl"}
    atomic_write_text(folder / f"samples_{stamp}.jsonl", _jsonl(lines))
    path = folder / f"results_{stamp}.json"
    atomic_write_text(path, _dump(doc))
    return path


def sweep_folder(out: Path | None) -> Path:
    """Where a sweep's results go: its `--out` folder (beside the run directories), else $BENCH_HOME/results."""
    from talkbench.infra.paths import bench_home

    return out if out is not None else bench_home() / "results"


def record_sweep(records: list[Any], argv: list[str] | None = None) -> Path | None:
    """Write the sweep results of one `bench run` from its JobRecords (None when it ran no job)."""
    if not records:
        return None
    entries = []
    for rec in records:
        run_dir = rec.run_dir
        if run_dir is not None and not (run_dir / "run.json").exists() and (run_dir / "latest").exists():
            run_dir = (run_dir / "latest").resolve()  # a skipped run names its run's directory, not an execution
        entries.append((rec.run_id, rec.status, rec.message, run_dir))
    return write_sweep_results(entries, sweep_folder(records[0].spec.out), argv)
