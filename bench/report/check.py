"""`bench check`: compare stored results against a committed baseline; tolerances live in the baseline."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.harness.store import ResultRow, Store
from talkbench.report.versions import latest_version

KEY_FIELDS = ("task", "dataset", "method", "variant", "profile", "seed", "condition", "metric")


@dataclass
class Comparison:
    """One baseline entry against the stored value."""

    key: dict[str, Any]
    baseline: float | None
    current: float | None
    tolerance: dict[str, float]
    status: str  # ok | FAIL | new-value
    note: str = ""


def load_baseline(path: Path) -> dict[str, Any]:
    """Read a baseline file (JSON), naming it, and the entry, in any error."""
    path = Path(path)
    if path.is_dir():
        raise BenchError(f"{path}: is a directory, not a baseline file")
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise BenchError(f"{path}: no such baseline file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: unreadable baseline ({exc})") from exc
    if not text.strip():
        raise BenchError(f"{path}: empty file, not a baseline (bench check --baseline FILE --write makes one)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BenchError(f"{path}: a baseline is a JSON object with an 'entries' list, not a {type(data).__name__}")
    if not isinstance(data.get("entries"), list):
        raise BenchError(f"{path}: baseline has no 'entries' list")
    for name, tol in (data.get("tolerances") or {}).items():
        _check_tolerance(path, f"tolerance of {name!r}", tol)
    for i, entry in enumerate(data["entries"]):
        if not isinstance(entry, dict):
            raise BenchError(f"{path}: entry {i} is not an object (got {entry!r})")
        where = f"entry {i} ({entry.get('dataset')}/{entry.get('method')}/{entry.get('metric')})"
        try:
            _decode(entry.get("value"))
        except (TypeError, ValueError):
            raise BenchError(f"{path}: {where}: value {entry.get('value')!r} is not a number") from None
        if entry.get("tolerance") is not None:
            _check_tolerance(path, f"{where}: tolerance", entry["tolerance"])
    return data


def _check_tolerance(path: Path, where: str, tol: Any) -> None:
    """A tolerance is an object of non-negative numbers under "abs" and/or "rel"."""
    if not (isinstance(tol, dict) and set(tol) <= {"abs", "rel"} and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in tol.values())):
        raise BenchError(f'{path}: {where} must be like {{"abs": 0.05, "rel": 0.01}} (non-negative numbers), got {tol!r}')


def _decode(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"inf": math.inf, "-inf": -math.inf}.get(value, float(value))
    return float(value)


def _encode(value: float | None) -> float | str | None:
    if value is None:
        return None
    return ("inf" if value > 0 else "-inf") if math.isinf(value) else round(value, 6)


def _latest(rows: list[ResultRow]) -> dict[tuple, ResultRow]:
    latest: dict[tuple, ResultRow] = {}
    for row in rows:  # rows come ordered by creation time
        latest[tuple(getattr(row, f) for f in KEY_FIELDS)] = row
    return latest


def within(baseline: float, current: float, tol: dict[str, float]) -> bool:
    """True when |current - baseline| <= abs + rel*|baseline| (infinities must match exactly)."""
    if math.isinf(baseline) or math.isinf(current):
        return baseline == current
    return abs(current - baseline) <= tol.get("abs", 0.0) + tol.get("rel", 0.0) * abs(baseline)


def compare(baseline: dict[str, Any], store: Store) -> list[Comparison]:
    """Compare every baseline entry with the latest stored result of the same key, on the latest stored content of
    its dataset (results on older content are never mixed in: `report.versions`)."""
    kept, older_rows, _ = latest_version(store.results())
    latest, older = _latest(kept), _latest(older_rows)
    defaults = baseline.get("tolerances", {})
    out = []
    for entry in baseline["entries"]:
        key = {f: entry.get(f, "" if f == "variant" else ("original" if f == "condition" else None)) for f in KEY_FIELDS}
        # Most specific first: the entry's own, then "<method>/<metric>" (learned methods vary more across
        # CPUs' floating-point reductions than closed-form baselines), then the metric's.
        tol = (entry.get("tolerance") or defaults.get(f"{key['method']}/{key['metric']}")
               or defaults.get(key["metric"]) or {"abs": 0.0})
        base = _decode(entry.get("value"))
        row = latest.get(tuple(key[f] for f in KEY_FIELDS))
        if row is None:
            stale = older.get(tuple(key[f] for f in KEY_FIELDS))
            out.append(Comparison(key, base, None, tol, "FAIL", "no stored result: run it first (bench run ...)" if stale is None
                                  else f"stored only on older content of {key['dataset']} (data {stale.dataset_sha[:8]}): "
                                       "rerun it on the current data"))
            continue
        current = row.value if row.unavailable_reason is None else None
        if entry.get("dataset_sha") and row.dataset_sha and entry["dataset_sha"] != row.dataset_sha:
            out.append(Comparison(key, base, current, tol, "FAIL",
                                  f"dataset content differs (baseline {entry['dataset_sha']}, now {row.dataset_sha}"
                                  f"{_numerics_hint(baseline)})"))
        elif base is None and current is None:
            out.append(Comparison(key, base, current, tol, "ok", "unavailable in both"))
        elif base is None:
            out.append(Comparison(key, base, current, tol, "new-value", "available now, unavailable in the baseline"))
        elif current is None:
            out.append(Comparison(key, base, current, tol, "FAIL", f"now unavailable: {row.unavailable_reason}"))
        elif within(base, current, tol):
            out.append(Comparison(key, base, current, tol, "ok"))
        else:
            out.append(Comparison(key, base, current, tol, "FAIL", "moved beyond tolerance"))
    return out


def _numerics_hint(baseline: dict[str, Any]) -> str:
    """Why data may differ with the same code: the baseline's numerics mode (the generators' floats follow it)."""
    mode = baseline.get("numerics")
    return f"; the baseline was made with --numerics {mode}: rerun in that mode" if mode else ""


def report(comparisons: list[Comparison]) -> str:
    """A readable diff table; failures first."""
    def fmt(v: float | None) -> str:
        return "n/a" if v is None else ("∞" if math.isinf(v) else f"{v:.6g}")

    lines = []
    for c in sorted(comparisons, key=lambda c: c.status != "FAIL"):
        k = c.key
        who = f"{k['dataset']}/{k['method']}{'[' + k['variant'] + ']' if k['variant'] else ''}/{k['metric']}"
        delta = ""
        if c.baseline is not None and c.current is not None and not (math.isinf(c.baseline) or math.isinf(c.current)):
            delta = f" Δ={c.current - c.baseline:+.4g}"
        tol = ", ".join(f"{a}={b:g}" for a, b in c.tolerance.items())
        lines.append(f"{c.status:9s} {who:45s} baseline={fmt(c.baseline):10s} now={fmt(c.current):10s}{delta} (tol {tol})"
                     + (f" — {c.note}" if c.note else ""))
    failed = sum(c.status == "FAIL" for c in comparisons)
    lines.append(f"{len(comparisons) - failed} within tolerance, {failed} failed")
    return "\n".join(lines)


def write_baseline(path: Path, store: Store, profile: str, tolerances: dict[str, dict[str, float]],
                   task: str | None = None) -> int:
    """(Re)write a baseline from the latest stored results of a profile; keeps the file's tolerances."""
    rows = [r for r in _latest(latest_version(store.results(task=task, profile=profile))[0]).values()
            if r.metric in tolerances]
    if not rows:  # an empty baseline would make every later check pass
        raise BenchError(f"no stored {profile} results to write{f' for task {task}' if task else ''} (of the metrics "
                         f"{', '.join(sorted(tolerances))}): run bench run first; {path} not written")
    entries = [{**{f: getattr(r, f) for f in KEY_FIELDS}, "value": _encode(r.value if r.unavailable_reason is None else None),
                "dataset_sha": r.dataset_sha} for r in rows]
    entries.sort(key=lambda e: tuple(str(e[f]) for f in KEY_FIELDS))
    modes = sorted({str((r.details or {}).get("numerics", "native")) for r in rows})
    data = {"description": "Regression baseline for `bench check`: the latest stored values; tolerance = abs + rel*|baseline|.",
            "profile": profile, "numerics": modes[0] if len(modes) == 1 else "mixed: " + ", ".join(modes),
            "tolerances": tolerances, "entries": entries}
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return len(entries)
