"""The confidence interval stored with each metric value: a percentile bootstrap over the result's per-item values
(frames, utterances) when the value is their mean, else the reason there is none (talkbench.stats)."""

from __future__ import annotations

import math
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.core.metric import MetricResult
from talkbench.stats import Interval, bootstrap_ci

MEAN_RTOL = 1e-9
"""Relative tolerance of "the value is the mean of its per-item values" (a mean recomputed in another order)."""


def declared_aggregate(metric: str) -> str:
    """The metric plugin's `aggregate` ("mean" for a metric outside the registry: the numeric check still applies)."""
    from talkbench.core.registries import METRICS

    try:
        return str(getattr(METRICS.get(metric), "aggregate", "mean"))
    except BenchError:  # a test's metric, or a plugin no longer installed
        return "mean"


def item_interval(res: MetricResult) -> Interval:
    """The 95 % bootstrap CI of `res.value` over `res.per_item`, given only when the metric declares its value the
    mean of the items and it is, numerically, the mean of the finite ones; otherwise an Interval with the reason."""
    value = res.value
    if not res.available or value is None:
        return Interval(None, reason="the metric is unavailable")
    if res.per_item is None or len(res.per_item) == 0:
        return Interval(value, reason="the metric gives no per-item values")
    aggregate = declared_aggregate(res.name)
    if aggregate != "mean":
        return Interval(value, reason=f"the value is {aggregate}, not the mean of per-item values")
    if not math.isfinite(value):
        return Interval(value, reason=f"the value is {value} (infinite items, e.g. identical frames)")
    ci = bootstrap_ci(res.per_item)
    if ci.estimate is None or not math.isclose(ci.estimate, value, rel_tol=MEAN_RTOL, abs_tol=1e-12):
        return Interval(value, n=ci.n, dropped=ci.dropped,
                        reason=f"the value {value:.6g} is not the mean of its {ci.n} finite per-item values")
    return ci


def interval_columns(interval: Interval) -> dict[str, Any]:
    """The index columns of an interval: ci_low, ci_high and ci_note (how it was made, or why there is none)."""
    return {"ci_low": interval.low if interval.available else None, "ci_high": interval.high if interval.available else None,
            "ci_note": interval.describe()}


def stored_interval(entry: dict[str, Any]) -> Interval | None:
    """The interval of a metrics.json entry, or None when the entry predates stored intervals."""
    data = entry.get("ci")
    return Interval.from_json(data) if isinstance(data, dict) else None
