"""Table cells from stored rows (mean ± std over seeds, a 95 % interval) and the ranking that marks best and second
only where the intervals separate.

Intervals: one seed uses the CI stored at scoring (a percentile bootstrap over the frames or utterances); several
seeds use the t-interval of the seed mean (seed-to-seed variation is what a rerun changes). A column ranks by
intervals when every ranked cell has one; otherwise it ranks by value alone, as the papers do, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from talkbench.stats import Interval, seed_summary

if TYPE_CHECKING:
    from talkbench.harness.store import ResultRow

BY_VALUE = "value"
BY_INTERVAL = "interval"


@dataclass
class Cell:
    """One table cell: a value (mean over seeds) with its spread and interval, or why it is unavailable."""

    value: float | None
    seeds: int = 0
    reason: str | None = None
    rank: int | None = None  # 1 best, 2 second best, None unranked
    std: float | None = None
    """Sample std over seeds (two or more seeds)."""
    ci_low: float | None = None
    ci_high: float | None = None
    ci_over: str = ""
    """What the interval is over: "frames" (one seed's items), "seeds", "paired frames" (an ablation's Δ)."""
    ci_note: str = ""
    """How the interval was made, or why there is none."""
    tied: bool = False
    """Ranked with others whose intervals overlap its own (shown with ≈)."""
    seed_values: tuple[float, ...] = ()
    sources: tuple[tuple[str, str, int], ...] = field(default_factory=tuple)
    """(run id, execution, seed) of the rows averaged into the cell (to read their per-item values back)."""

    @property
    def interval(self) -> Interval | None:
        """The cell's interval, or None."""
        if self.ci_low is None or self.ci_high is None or self.value is None:
            return None
        return Interval(self.value, self.ci_low, self.ci_high, method=self.ci_over)


def cell_from_rows(rows: list[ResultRow]) -> Cell:
    """The cell of one (row label, metric): the latest row per seed, averaged; its interval as the module says."""
    usable = [r for r in rows if r.value is not None and r.unavailable_reason is None]
    if not usable:
        return Cell(None, reason=rows[-1].unavailable_reason or "no value")
    values = tuple(float(r.value) for r in usable)  # type: ignore[arg-type]
    sources = tuple((r.run_id, r.execution, r.seed) for r in usable)
    if len(usable) == 1:
        (only,) = usable
        note = only.ci_note or "no interval stored (scored before talkbench kept them: bench store rebuild adds them)"
        return Cell(values[0], seeds=1, ci_low=only.ci_low, ci_high=only.ci_high,
                    ci_over="frames" if only.ci_low is not None else "", ci_note=note, seed_values=values, sources=sources)
    if any(math.isinf(v) for v in values):
        return Cell(float(sum(values) / len(values)), seeds=len(values), seed_values=values, sources=sources,
                    ci_note="infinite values over seeds: no interval")
    summary = seed_summary(values)
    interval = summary.interval
    return Cell(summary.mean, seeds=summary.n, std=summary.std, seed_values=values, sources=sources,
                ci_low=interval.low if interval.available else None, ci_high=interval.high if interval.available else None,
                ci_over="seeds" if interval.available else "", ci_note=interval.describe())


def rank_cells(cells: list[tuple[str, Cell]], higher_is_better: bool) -> tuple[str, str]:
    """Set `rank` and `tied` of the cells of one column; returns (BY_INTERVAL or BY_VALUE, why by value)."""
    sign = 1.0 if higher_is_better else -1.0
    ordered = sorted(cells, key=lambda lc: -sign * lc[1].value)  # type: ignore[operator]
    missing = [label for label, c in ordered if c.interval is None]
    if missing or not ordered:
        _rank_by_value(ordered, sign)
        return BY_VALUE, (f"{', '.join(missing)} without an interval" if missing else "")
    leader = ordered[0][1].interval
    first = [c for _, c in ordered if c.interval.overlaps(leader)]  # type: ignore[union-attr]
    rest = [c for _, c in ordered if all(c is not f for f in first)]
    _mark(first, 1)
    if rest and not any(rest[0].interval.overlaps(c.interval) for c in first):  # type: ignore[union-attr]
        runner = rest[0].interval
        _mark([c for c in rest if c.interval.overlaps(runner)  # type: ignore[union-attr]
               and not any(c.interval.overlaps(f.interval) for f in first)], 2)  # type: ignore[union-attr]
    return BY_INTERVAL, ""


def _mark(group: list[Cell], rank: int) -> None:
    for cell in group:
        cell.rank, cell.tied = rank, len(group) > 1


def _rank_by_value(cells: list[tuple[str, Cell]], sign: float) -> None:
    """The papers' ranking: best and second distinct values (equal values share a rank)."""
    distinct = sorted({sign * c.value for _, c in cells}, reverse=True)  # type: ignore[operator]
    for _, cell in cells:
        position = distinct.index(sign * cell.value)  # type: ignore[operator]
        cell.rank = position + 1 if position < 2 else None
        cell.tied = False
