"""`bench check`: compare stored results against a committed baseline; tolerances live in the baseline.

Each baseline entry is keyed task / dataset / condition / method (+variant) / metric (and profile, seed) and gets
one status: ok, FAIL (moved beyond its tolerance, became unavailable, or measured on other data), missing (no
stored result on the current data: fails unless `only_present`), available (unavailable in the baseline, available
now: reported, not failing). Stored results of the baseline's profile that it lacks are listed as new.
The file format: {"profile", "numerics", "tolerances": {"metric" | "method/metric": {"abs", "rel"}}, "entries":
[{key fields, "value" (null: unavailable), "unavailable" (the reason), "tolerance", "dataset_sha"}]}; baselines
written before entries carried "tolerance" and "unavailable" read the same way.
"""

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
STATUSES = ("FAIL", "missing", "available", "new", "ok")
"""Comparison statuses, in the order the report lists them."""


@dataclass
class Comparison:
    """One baseline entry against the stored value."""

    key: dict[str, Any]
    baseline: float | None
    current: float | None
    tolerance: dict[str, float]
    status: str
    """One of `STATUSES`."""
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


def _key_of(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry's key (variant and condition default to the values older baselines left out)."""
    return {f: entry.get(f, "" if f == "variant" else ("original" if f == "condition" else None)) for f in KEY_FIELDS}


def tolerance_of(entry: dict[str, Any], tolerances: dict[str, dict[str, float]]) -> dict[str, float]:
    """Most specific first: the entry's own, then "<method>/<metric>" (learned methods vary more across CPUs'
    floating-point reductions than closed-form baselines), then the metric's; none: exact."""
    return (entry.get("tolerance") or tolerances.get(f"{entry.get('method')}/{entry.get('metric')}")
            or tolerances.get(str(entry.get("metric"))) or {"abs": 0.0})


def compare(baseline: dict[str, Any], store: Store) -> list[Comparison]:
    """Compare every baseline entry with the latest stored result of the same key, on the latest stored content of
    its dataset (results on older content are never mixed in: `report.versions`); then list the stored results of
    the baseline's profile (and task, when it names one) that it has no entry for, as new."""
    kept, older_rows, _ = latest_version(store.results())
    latest, older = _latest(kept), _latest(older_rows)
    defaults = baseline.get("tolerances", {})
    out = []
    seen = set()
    for entry in baseline["entries"]:
        key = _key_of(entry)
        seen.add(tuple(key[f] for f in KEY_FIELDS))
        out.append(_compare_entry(entry, key, tolerance_of(entry, defaults), latest, older, baseline))
    profiles = {baseline["profile"]} if baseline.get("profile") else {e.get("profile") for e in baseline["entries"]}
    for key_tuple, row in latest.items():
        if key_tuple in seen or row.profile not in profiles or baseline.get("task") not in (None, row.task):
            continue
        key = dict(zip(KEY_FIELDS, key_tuple))
        current = row.value if row.unavailable_reason is None else None
        out.append(Comparison(key, None, current, tolerance_of(key, defaults), "new", "not in the baseline"
                              + (f" (unavailable: {row.unavailable_reason})" if current is None else "")))
    return out


def _compare_entry(entry: dict[str, Any], key: dict[str, Any], tol: dict[str, float], latest: dict[tuple, ResultRow],
                   older: dict[tuple, ResultRow], baseline: dict[str, Any]) -> Comparison:
    """One baseline entry against its stored result."""
    base = _decode(entry.get("value"))
    row = latest.get(tuple(key[f] for f in KEY_FIELDS))
    if row is None:
        stale = older.get(tuple(key[f] for f in KEY_FIELDS))
        return Comparison(key, base, None, tol, "missing", "no stored result: run it first (bench run ...)" if stale is None
                          else f"stored only on older content of {key['dataset']} (data {stale.dataset_sha[:8]}): "
                               "rerun it on the current data")
    current = row.value if row.unavailable_reason is None else None
    if entry.get("dataset_sha") and row.dataset_sha and entry["dataset_sha"] != row.dataset_sha:
        return Comparison(key, base, current, tol, "FAIL", f"dataset content differs (baseline {entry['dataset_sha']}, "
                          f"now {row.dataset_sha}{_numerics_hint(baseline)})")
    if base is None and current is None:
        return Comparison(key, base, current, tol, "ok", "unavailable in both")
    if base is None:
        was = f": {entry['unavailable']}" if entry.get("unavailable") else ""
        return Comparison(key, base, current, tol, "available", f"available now, unavailable in the baseline{was}")
    if current is None:
        return Comparison(key, base, current, tol, "FAIL", f"now unavailable: {row.unavailable_reason}")
    if within(base, current, tol):
        return Comparison(key, base, current, tol, "ok")
    return Comparison(key, base, current, tol, "FAIL", "moved beyond tolerance")


def _numerics_hint(baseline: dict[str, Any]) -> str:
    """Why data may differ with the same code: the baseline's numerics mode (the generators' floats follow it)."""
    mode = baseline.get("numerics")
    return f"; the baseline was made with --numerics {mode}: rerun in that mode" if mode else ""


def _present(comparisons: list[Comparison]) -> int:
    """How many baseline entries have a stored result to compare with."""
    return sum(c.status in ("ok", "FAIL", "available") for c in comparisons)


def failed(comparisons: list[Comparison], only_present: bool = False) -> bool:
    """Whether the check fails: any FAIL, or any missing entry unless `only_present` (a partial set of results; but
    not an empty one, which would pass a CI job that ran nothing)."""
    if only_present and not _present(comparisons):
        return True
    return any(c.status == "FAIL" or (c.status == "missing" and not only_present) for c in comparisons)


def summary(comparisons: list[Comparison], only_present: bool = False) -> str:
    """One line: how many baseline entries in each state, the new results, and the verdict."""
    count = {s: sum(c.status == s for c in comparisons) for s in STATUSES}
    entries = len(comparisons) - count["new"]
    text = (f"bench check: {entries} entries — {count['ok']} ok, {count['FAIL']} FAIL, {count['missing']} missing"
            + (f", {count['available']} now available" if count["available"] else "") + f", {count['new']} new")
    if only_present and count["missing"]:
        text += (" (missing entries do not fail: --only-present)" if _present(comparisons)
                 else " (--only-present, but no entry has a stored result)")
    return text + (": FAILED" if failed(comparisons, only_present) else ": passed")


def _fmt(value: float | None) -> str:
    """A value as the table shows it (6 significant digits, ∞, n/a when unavailable)."""
    return "n/a" if value is None else ("∞" if math.isinf(value) else f"{value:.6g}")


def report(comparisons: list[Comparison], only_present: bool = False, show_ok: bool = True) -> str:
    """The summary line, then an aligned table (failures first; `show_ok=False` leaves the ok rows out)."""
    order = {s: i for i, s in enumerate(STATUSES)}
    rows = sorted(comparisons, key=lambda c: (order.get(c.status, len(order)),
                                              tuple(str(c.key[f]) for f in ("task", "dataset", "condition", "method",
                                                                              "variant", "metric", "seed"))))
    shown = [c for c in rows if show_ok or c.status != "ok"]
    with_seed = len({c.key["seed"] for c in comparisons}) > 1
    header = ["STATUS", "TASK", "DATASET", "CONDITION", "METHOD", "METRIC", *(["SEED"] if with_seed else []),
              "BASELINE", "NOW", "Δ", "TOLERANCE", "NOTE"]
    table = [header]
    for c in shown:
        k = c.key
        delta = ""
        if c.baseline is not None and c.current is not None and not (math.isinf(c.baseline) or math.isinf(c.current)):
            difference = c.current - c.baseline
            # baselines store 6 decimals: a smaller difference is that rounding, not a change
            delta = "0" if abs(difference) < 1e-6 else f"{difference:+.4g}"
        method = k["method"] + (f" [{k['variant']}]" if k["variant"] else "")
        tol = " + ".join(f"{b:g}" if a == "abs" else f"{b:g}×|baseline|" for a, b in c.tolerance.items())
        table.append([c.status, str(k["task"]), str(k["dataset"]), str(k["condition"]), method, str(k["metric"]),
                      *([str(k["seed"])] if with_seed else []), _fmt(c.baseline), _fmt(c.current), delta,
                      "±" + tol if tol else "", c.note])
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    lines = [summary(comparisons, only_present)]
    if len(table) > 1:
        lines.append("")
        lines += ["  ".join([*(cell.ljust(w) for cell, w in zip(r, widths)), r[-1]]).rstrip() for r in table]
    if not show_ok and count_ok(comparisons):
        lines.append(f"({count_ok(comparisons)} ok rows not shown)")
    return "\n".join(lines)


def count_ok(comparisons: list[Comparison]) -> int:
    """How many comparisons are ok."""
    return sum(c.status == "ok" for c in comparisons)


def write_baseline(path: Path, store: Store, profile: str, tolerances: dict[str, dict[str, float]] | None = None,
                   task: str | None = None) -> int:
    """(Re)write a baseline from the latest stored results of a profile: every metric, unavailable ones recorded as
    such, each entry with its tolerance. `tolerances` (the file's own, when it is rewritten) win over the defaults
    of `report.tolerances` for the metrics they name."""
    from talkbench.report.tolerances import default_tolerances

    rows = list(_latest(latest_version(store.results(task=task, profile=profile))[0]).values())
    if not rows:  # an empty baseline would make every later check pass
        raise BenchError(f"no stored {profile} results to write{f' for task {task}' if task else ''}: run bench run "
                         f"first; {path} not written")
    table, why = default_tolerances({(r.method, r.metric) for r in rows})
    for name, tol in (tolerances or {}).items():  # the file's own table wins: it may be hand-tuned
        if name in why and tol != table.get(name):
            why[name] = "kept from the baseline file (not the default)"
        table[name] = tol
    entries = []
    for r in rows:
        entry: dict[str, Any] = {f: getattr(r, f) for f in KEY_FIELDS}
        entry["value"] = _encode(r.value if r.unavailable_reason is None else None)
        if r.unavailable_reason is not None:
            entry["unavailable"] = r.unavailable_reason
        entry["tolerance"] = tolerance_of(entry, table)
        entry["dataset_sha"] = r.dataset_sha
        entries.append(entry)
    entries.sort(key=lambda e: tuple(str(e[f]) for f in KEY_FIELDS))
    modes = sorted({str((r.details or {}).get("numerics", "native")) for r in rows})
    data = {"description": "Regression baseline for `bench check`: the latest stored values; an entry passes when "
                           "|now - value| <= abs + rel*|value| of its tolerance (its own, else tolerances[method/metric], "
                           "else tolerances[metric]); value null = unavailable, with the reason.",
            "profile": profile, **({"task": task} if task else {}),
            "numerics": modes[0] if len(modes) == 1 else "mixed: " + ", ".join(modes),
            "tolerances": table, "tolerance_reasons": {m: w for m, w in why.items() if m in table},
            "entries": entries}
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return len(entries)
