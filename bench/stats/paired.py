"""Paired comparisons of two methods scored on the same items: a bootstrap CI of the mean difference with its
p-value, and the Wilcoxon signed-rank test (scipy's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from talkbench.stats.bootstrap import RESAMPLES, SEED, percentile_bounds, resampled_means
from talkbench.stats.interval import LEVEL, Interval, too_few


@dataclass(frozen=True)
class PairedTest:
    """The mean difference b − a over paired items with its CI, and p-values of "no difference"."""

    difference: Interval
    p_bootstrap: float | None
    p_wilcoxon: float | None
    n: int


def paired_differences(a: Any, b: Any) -> tuple[np.ndarray, int]:
    """b − a over the pairs where both are finite, and how many pairs were dropped; ValueError on unequal lengths."""
    x, y = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if x.size != y.size:
        raise ValueError(f"paired samples differ in length ({x.size} vs {y.size})")
    keep = np.isfinite(x) & np.isfinite(y)
    return y[keep] - x[keep], int(x.size - keep.sum())


def bootstrap_p(differences: np.ndarray, draws: np.ndarray) -> float:
    """Two-sided bootstrap p-value of mean difference 0: the share of draws, shifted to the null (centred on 0), at
    least as far from 0 as the observed mean (Efron & Tibshirani 1993, 16.4), with +1 so it is never 0."""
    observed = float(differences.mean())
    extreme = np.abs(draws - observed) >= abs(observed) - 1e-12 * max(1.0, abs(observed))
    return float((1 + extreme.sum()) / (1 + draws.size))


def wilcoxon_p(differences: Any) -> float | None:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (scipy.stats.wilcoxon, zeros dropped); 1.0 when
    every difference is 0, None with fewer than 2 non-zero ones."""
    from scipy.stats import wilcoxon

    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size and not np.any(d):
        return 1.0  # identical samples: scipy warns and divides by zero to get the same answer
    if np.count_nonzero(d) < 2:
        return None
    return float(wilcoxon(d).pvalue)


def paired_bootstrap(a: Any, b: Any, level: float = LEVEL, resamples: int = RESAMPLES, seed: int = SEED) -> PairedTest:
    """Paired percentile-bootstrap CI of mean(b − a) over items, its bootstrap p-value and Wilcoxon's p-value.

    Pairs where either side is non-finite are dropped (counted in `difference.dropped`); ValueError on unequal
    lengths (the samples are not paired)."""
    d, dropped = paired_differences(a, b)
    method = f"paired percentile bootstrap over items, {resamples} resamples"
    estimate = float(d.mean()) if d.size else None
    reason = too_few(d.size, dropped, "pairs")
    if reason is not None:
        return PairedTest(Interval(estimate, level=level, method=method, n=int(d.size), dropped=dropped, reason=reason),
                          None, None, int(d.size))
    draws = resampled_means(d, resamples, seed)
    low, high = percentile_bounds(draws, level)
    return PairedTest(Interval(estimate, low, high, level, method, int(d.size), dropped),
                      bootstrap_p(d, draws), wilcoxon_p(d), int(d.size))
