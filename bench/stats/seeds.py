"""Statistics over seeds (independent trainings of one configuration): mean ± std, and t-intervals.

A handful of seeds is too few to bootstrap (three values have ten distinct resamples), so intervals over seeds are
Student-t intervals: exact for normal seed-to-seed variation and honest about small counts (with two seeds the
95 % interval spans ±12.7 standard errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from talkbench.stats.interval import LEVEL, Interval, finite_items, too_few


@dataclass(frozen=True)
class SeedSummary:
    """Mean ± sample std (ddof=1) over seeds, with the t-interval of the mean."""

    mean: float | None
    std: float | None
    """None below two seeds."""
    n: int
    interval: Interval


def seed_summary(values: Any, level: float = LEVEL) -> SeedSummary:
    """Mean, std and the t-interval of the mean of per-seed values (non-finite ones dropped and counted)."""
    from scipy import stats

    x, dropped = finite_items(values)
    mean = float(x.mean()) if x.size else None
    method = "t-interval over seeds"
    reason = too_few(x.size, dropped, "seeds")
    if reason is not None:
        return SeedSummary(mean, None, int(x.size), Interval(mean, level=level, method=method, n=int(x.size),
                                                               dropped=dropped, reason=reason))
    std = float(x.std(ddof=1))
    if std == 0.0:
        low = high = mean
    else:
        low, high = (float(v) for v in stats.t.interval(level, x.size - 1, loc=mean, scale=std / np.sqrt(x.size)))
    return SeedSummary(mean, std, int(x.size), Interval(mean, low, high, level, method, int(x.size), dropped))


def seed_difference(a: Any, b: Any, paired: bool, level: float = LEVEL) -> tuple[Interval, float | None]:
    """t-interval of mean(b) − mean(a) over seeds and its two-sided p-value: paired seed by seed (one-sample t on the
    differences; pairs with a non-finite side dropped) or Welch's (unequal variances)."""
    from scipy import stats

    from talkbench.stats.paired import paired_differences

    if paired:
        d, dropped = paired_differences(a, b)
        samples, estimate, n = (d,), (float(d.mean()) if d.size else None), int(d.size)
    else:
        (x, dx), (y, dy) = finite_items(a), finite_items(b)
        samples, dropped, n = (y, x), dx + dy, int(min(x.size, y.size))
        estimate = float(y.mean() - x.mean()) if x.size and y.size else None
    method = "paired t over seeds" if paired else "Welch t over seeds"
    reason = too_few(n, dropped, "seeds")
    if reason is not None:
        return Interval(estimate, level=level, method=method, n=n, dropped=dropped, reason=reason), None
    if max(np.ptp(s) for s in samples) == 0:  # no seed-to-seed variation (deterministic methods): exact, t undefined
        return Interval(estimate, estimate, estimate, level, method, n, dropped), 1.0 if estimate == 0 else 0.0
    result = stats.ttest_1samp(samples[0], 0.0) if paired else stats.ttest_ind(*samples, equal_var=False)
    ci = result.confidence_interval(confidence_level=level)
    return Interval(estimate, float(ci.low), float(ci.high), level, method, n, dropped), float(result.pvalue)
