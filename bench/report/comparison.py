"""Paired comparison of two stored runs (or two methods over their seeds) on the same test items, metric by metric:
Δ = B − A with a paired-bootstrap 95 % CI and p-value and Wilcoxon's p over frames (or utterances), and over seeds
when both sides have several (paired by seed when the seeds match, else Welch's t)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.harness.store import ResultRow
from talkbench.stats import Interval, paired_bootstrap, seed_difference, wilcoxon_p

ItemReader = Callable[[ResultRow], np.ndarray]
"""Per-item values of one stored row (its run directory's per_frame.csv / per_utterance.csv)."""


@dataclass
class Side:
    """One side of a comparison: a name and its latest row per (metric, seed)."""

    name: str
    rows: dict[str, dict[int, ResultRow]]

    @property
    def label(self) -> str:
        """The method label of its rows."""
        return next(r.label for seeds in self.rows.values() for r in seeds.values())

    @property
    def seeds(self) -> list[int]:
        """Seeds with any stored row."""
        return sorted({s for seeds in self.rows.values() for s in seeds})

    def values(self, metric: str) -> dict[int, float]:
        """Available values of `metric` by seed."""
        return {s: float(r.value) for s, r in self.rows.get(metric, {}).items()
                if r.value is not None and r.unavailable_reason is None}


@dataclass
class Test:
    """One paired test: the Δ interval and its p-values, or the reason there is none."""

    over: str
    """"frames" or "seeds"."""
    interval: Interval
    p_bootstrap: float | None = None
    p_wilcoxon: float | None = None
    p_t: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {"over": self.over, **self.interval.to_json(), "p_bootstrap": self.p_bootstrap,
                "p_wilcoxon": self.p_wilcoxon, "p_t": self.p_t}


@dataclass
class MetricComparison:
    """Δ = B − A of one metric with its tests."""

    metric: str
    higher_is_better: bool
    a: float | None
    b: float | None
    tests: list[Test] = field(default_factory=list)
    reason: str | None = None
    """Why the metric is not compared (unavailable on one side)."""

    @property
    def delta(self) -> float | None:
        """B − A of the (seed-mean) values."""
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def better(self) -> str | None:
        """"A" or "B" when the first available interval excludes 0, else None (no clear difference)."""
        interval = next((t.interval for t in self.tests if t.interval.available), None)
        if interval is None or interval.contains(0.0):
            return None
        return "B" if (interval.low > 0) == self.higher_is_better else "A"  # type: ignore[operator]

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {"metric": self.metric, "higher_is_better": self.higher_is_better, "a": self.a, "b": self.b,
                "delta": self.delta, "better": self.better, "reason": self.reason,
                "tests": [t.to_json() for t in self.tests]}


def side(name: str, rows: list[ResultRow], condition: str) -> Side:
    """The latest row per (metric, seed) of `rows` under `condition` (rows come oldest first)."""
    by_metric: dict[str, dict[int, ResultRow]] = defaultdict(dict)
    for r in rows:
        if r.condition == condition:
            by_metric[r.metric][r.seed] = r
    if not by_metric:
        raise BenchError(f"{name}: no stored results under condition {condition!r}")
    return Side(name, dict(by_metric))


def compare(a: Side, b: Side, metrics: list[str], read: ItemReader, strict: bool = False) -> list[MetricComparison]:
    """Each metric of both sides compared; `strict` (metrics named by the user) turns a missing per-item test into
    a BenchError instead of a reason in the result."""
    out = []
    for metric in metrics:
        va, vb = a.values(metric), b.values(metric)
        rows = a.rows.get(metric) or b.rows.get(metric) or {}
        hib = next(iter(rows.values())).higher_is_better if rows else True
        if not va or not vb:
            empty = a if not va else b
            why = next((r.unavailable_reason for r in empty.rows.get(metric, {}).values()), None) or "no stored value"
            if strict:
                raise BenchError(f"{metric} of {empty.name} is unavailable: {why}")
            out.append(MetricComparison(metric, hib, None, None, reason=f"{empty.name}: {why}"))
            continue
        result = MetricComparison(metric, hib, float(np.mean(list(va.values()))), float(np.mean(list(vb.values()))))
        result.tests.append(_over_items(a, b, metric, read, strict))
        if len(va) >= 2 and len(vb) >= 2:
            result.tests.append(_over_seeds(va, vb))
        out.append(result)
    return out


def _over_items(a: Side, b: Side, metric: str, read: ItemReader, strict: bool) -> Test:
    """The paired test over items of the seed-averaged per-item values (the mean of which is the seed mean)."""
    from talkbench.harness.confidence import declared_aggregate

    aggregate = declared_aggregate(metric)
    if aggregate != "mean":
        reason = f"{metric}'s value is {aggregate}, not a mean over frames: no paired test over frames"
        if strict:
            raise BenchError(reason)
        return Test("frames", Interval(None, reason=reason))
    try:
        items = [_seed_mean_items(s, metric, read) for s in (a, b)]
    except BenchError as exc:
        if strict:
            raise
        return Test("frames", Interval(None, reason=str(exc)))
    (xa, wa), (xb, wb) = items
    if xa.size != xb.size:
        raise BenchError(f"{a.name} has {xa.size} test {wa} of {metric}, {b.name} {xb.size}: they were not scored on the "
                         "same items")
    test = paired_bootstrap(xa, xb)
    return Test("frames", test.difference, test.p_bootstrap, test.p_wilcoxon)


def _seed_mean_items(s: Side, metric: str, read: ItemReader) -> tuple[np.ndarray, str]:
    """Per-item values averaged over the side's seeds, and what the items are ("frames" or "utterances")."""
    rows = [r for r in s.rows[metric].values() if r.value is not None and r.unavailable_reason is None]
    stacks = [read(r) for r in rows]
    if len({x.size for x in stacks}) > 1:
        raise BenchError(f"{s.name}: its seeds scored different numbers of items of {metric} "
                         f"({', '.join(str(x.size) for x in stacks)})")
    kind = "utterances" if rows[0].task == "enhance" else "frames"
    return np.mean(np.vstack(stacks), axis=0), kind


def _over_seeds(va: dict[int, float], vb: dict[int, float]) -> Test:
    """Seed-level test: paired by seed (t and Wilcoxon) when both have the same seeds, else Welch's t."""
    if set(va) == set(vb):
        seeds = sorted(va)
        x, y = np.array([va[s] for s in seeds]), np.array([vb[s] for s in seeds])
        interval, p = seed_difference(x, y, paired=True)
        return Test("seeds", interval, p_wilcoxon=wilcoxon_p(y - x), p_t=p)
    interval, p = seed_difference(list(va.values()), list(vb.values()), paired=False)
    return Test("seeds", interval, p_t=p)
