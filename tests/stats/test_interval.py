"""The Interval value (stats/interval.py): overlap, JSON round trip, non-finite items."""

from __future__ import annotations

import math

from talkbench.stats import Interval, finite_items


def test_overlap_and_contains() -> None:
    a, b, c = Interval(1.0, 0.0, 2.0), Interval(2.5, 2.0, 3.0), Interval(4.0, 3.5, 4.5)
    assert a.overlaps(b) and b.overlaps(a) and not a.overlaps(c)
    assert a.contains(0.0) and not c.contains(0.0) and not Interval(1.0, reason="none").contains(1.0)


def test_json_round_trip_drops_non_finite_numbers() -> None:
    ci = Interval(1.5, 1.0, 2.0, n=10, dropped=1, method="m")
    assert Interval.from_json(ci.to_json()) == ci
    assert Interval(math.inf, reason="infinite").to_json()["estimate"] is None


def test_finite_items() -> None:
    values, dropped = finite_items([1.0, math.nan, -math.inf, 2.0])
    assert values.tolist() == [1.0, 2.0] and dropped == 2
