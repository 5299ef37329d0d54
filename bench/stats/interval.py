"""The `Interval` value every statistic returns, and the filter that drops non-finite items before any of them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

LEVEL = 0.95
"""Default confidence level of every interval."""
MIN_ITEMS = 2
"""Fewest finite items an interval is computed from (one item has no spread)."""


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval `[low, high]`, or with `reason` saying why there is none."""

    estimate: float | None
    low: float | None = None
    high: float | None = None
    level: float = LEVEL
    method: str = ""
    """How the interval was made, e.g. "percentile bootstrap, 2000 resamples" or "t over seeds"."""
    n: int = 0
    """How many finite items (or seeds) it summarises."""
    dropped: int = 0
    """Non-finite items (NaN, ±inf) left out."""
    reason: str | None = None

    @property
    def available(self) -> bool:
        """True when the interval has both bounds."""
        return self.low is not None and self.high is not None and self.reason is None

    def overlaps(self, other: Interval) -> bool:
        """Whether two available intervals share a point (touching bounds overlap)."""
        assert self.available and other.available, "overlap of an interval that is not available"
        return bool(self.low <= other.high and other.low <= self.high)  # type: ignore[operator]

    def contains(self, x: float) -> bool:
        """Whether `x` lies in the (available) interval."""
        return self.available and bool(self.low <= x <= self.high)  # type: ignore[operator]

    def describe(self) -> str:
        """One line: "95 % CI, <method>, n=<n>" (+ dropped items), or the reason there is no interval."""
        if not self.available:
            return f"no CI: {self.reason}"
        text = f"{self.level:.0%} CI, {self.method}, n={self.n}".replace("%", " %")
        return text + (f" ({self.dropped} non-finite left out)" if self.dropped else "")

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (non-finite numbers as None)."""
        out = asdict(self)
        for key in ("estimate", "low", "high"):
            if out[key] is not None and not math.isfinite(out[key]):
                out[key] = None
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Interval:
        """The inverse of `to_json` (unknown keys ignored)."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def finite_items(values: Any) -> tuple[np.ndarray, int]:
    """The finite values of a 1-D sample as float64, and how many non-finite ones were dropped."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    keep = np.isfinite(arr)
    return arr[keep], int(arr.size - keep.sum())


def too_few(n: int, dropped: int, what: str = "items") -> str | None:
    """Why `n` finite items (after `dropped` non-finite ones) give no interval, or None when they are enough."""
    if n >= MIN_ITEMS:
        return None
    left = f" ({dropped} non-finite left out)" if dropped else ""
    return f"{n} finite {what}{left}: an interval needs at least {MIN_ITEMS}"
