"""The differences of an ablation table (a variant minus the full method) with their 95 % intervals: paired over
frames when both sides are one seed whose values are means over the same frames (their per-item values are read
back from the run directories), Welch's t over seeds when both have several."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.stats import Interval, paired_bootstrap, seed_difference

if TYPE_CHECKING:
    from talkbench.report.ranking import Cell

ItemLoader = Callable[[str, str, str, str], np.ndarray]
"""(run id, execution, condition, metric) -> per-item values; BenchError when they cannot be read."""


def index_loader() -> ItemLoader:
    """A loader reading per-item values from the run directories the results index names."""
    from talkbench.harness.item_values import item_values
    from talkbench.harness.store import Store

    store = Store()

    def load(run_id: str, execution: str, condition: str, metric: str) -> np.ndarray:
        run_dir = store.run_dir(run_id, execution)
        if run_dir is None:
            raise BenchError(f"run {run_id} ({execution}) is not in the results index {store.path}")
        return item_values(run_dir, condition, metric)

    return load


def delta_cell(base: Cell, here: Cell, condition: str, metric: str, load: Callable[[], ItemLoader]) -> Cell:
    """here − base with its interval (or the reason there is none); `load()` gives the item loader when needed."""
    from talkbench.report.ranking import Cell

    value = here.value - base.value  # type: ignore[operator]
    interval, p = _interval(base, here, condition, metric, load)
    note = interval.describe() + (f", p={p:.3g}" if p is not None else "")
    if not interval.available:
        return Cell(value, seeds=here.seeds, ci_note=note)
    over = "paired frames" if "items" in interval.method else "seeds"
    return Cell(value, seeds=here.seeds, ci_low=interval.low, ci_high=interval.high, ci_over=over, ci_note=note)


def _interval(base: Cell, here: Cell, condition: str, metric: str, load: Callable[[], ItemLoader]) -> tuple[Interval, float | None]:
    if base.seeds >= 2 and here.seeds >= 2:
        return seed_difference(base.seed_values, here.seed_values, paired=False)
    if base.seeds != 1 or here.seeds != 1:
        return Interval(None, reason="one side has one seed, the other several"), None
    if base.ci_over != "frames" or here.ci_over != "frames":
        return Interval(None, reason="no interval over frames (the values are not means of per-frame values)"), None
    loader = load()
    try:
        a = loader(*base.sources[0][:2], condition, metric)
        b = loader(*here.sources[0][:2], condition, metric)
    except BenchError as exc:
        return Interval(None, reason=str(exc)), None
    if len(a) != len(b):
        return Interval(None, reason=f"{len(a)} vs {len(b)} test frames: not paired"), None
    test = paired_bootstrap(a, b)
    return test.difference, test.p_bootstrap
