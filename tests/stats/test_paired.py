"""Paired bootstrap and Wilcoxon (stats/paired.py): a known shift is found, identical samples are not, scipy agrees."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from talkbench.stats import paired_bootstrap, wilcoxon_p


def test_a_known_shift_is_inside_the_interval_and_zero_is_not() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(30.0, 3.0, 200)  # frame difficulty varies a lot, the shift is small: only pairing finds it
    b = a + 0.25 + rng.normal(0.0, 0.5, 200)
    test = paired_bootstrap(a, b)
    assert test.difference.contains(0.25) and not test.difference.contains(0.0)
    assert test.p_bootstrap < 0.05 and test.p_wilcoxon < 0.05 and test.n == 200
    assert test.difference.estimate == pytest.approx(np.mean(b - a))


def test_identical_samples_have_p_one_and_a_zero_interval() -> None:
    a = np.random.default_rng(1).normal(size=50)
    test = paired_bootstrap(a, a.copy())
    assert test.p_bootstrap == 1.0 and test.p_wilcoxon == 1.0 and test.difference.contains(0.0)


def test_no_shift_is_not_significant() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=100)
    test = paired_bootstrap(a, a + rng.normal(0.0, 1.0, 100) - 0.0)
    assert test.difference.contains(0.0) or test.p_bootstrap < 0.05  # coherent: 0 outside the CI only when p is small
    assert test.p_bootstrap > 0.01


def test_wilcoxon_is_scipys() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=30), rng.normal(0.3, 1.0, 30)
    assert paired_bootstrap(a, b).p_wilcoxon == pytest.approx(stats.wilcoxon(b - a).pvalue)
    assert wilcoxon_p(b - a) == pytest.approx(stats.wilcoxon(b - a).pvalue)
    assert wilcoxon_p([0.0, 0.0, 0.5]) is None  # one non-zero difference: no test


def test_pairs_with_a_non_finite_side_are_dropped() -> None:
    a = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    b = np.array([2.0, 3.0, 3.0, np.inf, 6.0])
    test = paired_bootstrap(a, b)
    assert test.n == 3 and test.difference.dropped == 2 and test.difference.estimate == 1.0


def test_unpaired_lengths_are_an_error_and_one_pair_gives_no_interval() -> None:
    with pytest.raises(ValueError, match="3 vs 2"):
        paired_bootstrap([1, 2, 3], [1, 2])
    test = paired_bootstrap([1.0], [2.0])
    assert not test.difference.available and test.p_bootstrap is None and "pairs" in (test.difference.reason or "")
