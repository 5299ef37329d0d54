"""Statistics over seeds (stats/seeds.py): mean ± std, the t-interval of the mean, differences of seed means."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from talkbench.stats import seed_difference, seed_summary


def test_mean_std_and_t_interval() -> None:
    s = seed_summary([30.0, 32.0, 31.0])
    assert s.mean == 31.0 and s.std == pytest.approx(1.0) and s.n == 3
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert (s.interval.low, s.interval.high) == pytest.approx((31.0 - half, 31.0 + half))


def test_one_seed_has_no_std_nor_interval() -> None:
    s = seed_summary([30.0])
    assert s.mean == 30.0 and s.std is None and not s.interval.available and "seeds" in (s.interval.reason or "")


def test_paired_and_welch_differences() -> None:
    a, b = [1.0, 2.0, 3.0], [2.0, 3.0, 4.5]
    paired, p_paired = seed_difference(a, b, paired=True)
    welch, p_welch = seed_difference(a, b, paired=False)
    assert paired.estimate == pytest.approx(7 / 6) and welch.estimate == pytest.approx(7 / 6)
    assert p_paired == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert p_welch == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue)
    assert paired.high - paired.low < welch.high - welch.low  # pairing removes the shared seed-to-seed variation


def test_deterministic_seeds_give_an_exact_difference() -> None:
    interval, p = seed_difference([1.0, 1.0], [2.0, 2.0], paired=False)
    assert (interval.low, interval.high, p) == (1.0, 1.0, 0.0)
    interval, p = seed_difference([1.0, 1.0], [1.0, 1.0], paired=True)
    assert p == 1.0 and interval.contains(0.0)
