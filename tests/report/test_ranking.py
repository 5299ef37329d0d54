"""Cells and ranking (report/ranking.py): best/second only where 95 % intervals separate, ties marked ≈, mean ± std
and t-intervals over seeds, value ranking (said in the legend) when a cell has no interval."""

from __future__ import annotations

import dataclasses

import pytest
from scipy import stats

from talkbench.harness.store import ResultRow
from talkbench.report.leaderboard import build_tables, render


def row(method: str, value: float, low: float | None = None, high: float | None = None, seed: int = 0,
        hib: bool = True) -> ResultRow:
    return ResultRow(run_id=f"{method}-{seed}", task="reconstruct", method=method, variant="", dataset="d",
                     profile="smoke", seed=seed, condition="original", metric="psnr", value=value, count=50,
                     unavailable_reason=None, higher_is_better=hib, execution="e", ci_low=low, ci_high=high,
                     ci_note=None if low is None else "95 % CI, percentile bootstrap over items, 2000 resamples, n=50")


def test_separated_intervals_mark_best_and_second() -> None:
    (table,) = build_tables([row("a", 30.0, 29.5, 30.5), row("b", 28.0, 27.5, 28.5), row("c", 26.0, 25.5, 26.5)])
    cells = {label: c["psnr"] for label, c in table.rows.items()}
    assert (cells["a"].rank, cells["b"].rank, cells["c"].rank) == (1, 2, None)
    assert not any(c.tied for c in cells.values())
    md = render([table], "md")
    assert "**30.00**" in md and "<u>28.00</u>" in md and "≈" not in md.split("_best")[0]
    assert "where their 95 % intervals separate" in md


def test_overlapping_intervals_are_tied_and_second_must_separate_from_every_tied_cell() -> None:
    rows = [row("a", 30.0, 29.0, 31.0), row("b", 29.5, 28.4, 30.6), row("c", 28.0, 27.0, 28.8), row("d", 20.0, 19.0, 21.0)]
    (table,) = build_tables(rows)
    cells = {label: c["psnr"] for label, c in table.rows.items()}
    assert cells["a"].rank == cells["b"].rank == 1 and cells["a"].tied and cells["b"].tied
    assert cells["c"].rank is None  # overlaps b, which is tied for best: not clearly second
    assert cells["d"].rank is None
    md = render([table], "md")
    assert "| a | **30.00**≈ |" in md and "| b | **29.50**≈ |" in md and "| c | 28.00 |" in md
    assert "\\textbf{30.00}$\\approx$" in render([table], "tex")

    (table,) = build_tables(rows[:2] + [row("c", 27.0, 26.0, 28.0)])  # c now clear of both
    assert table.rows["c"]["psnr"].rank == 2 and not table.rows["c"]["psnr"].tied


def test_lower_is_better_ranks_the_other_way() -> None:
    (table,) = build_tables([row("a", 1.0, 0.9, 1.1, hib=False), row("b", 2.0, 1.9, 2.1, hib=False)])
    assert table.rows["a"]["psnr"].rank == 1 and table.rows["b"]["psnr"].rank == 2


def test_without_intervals_ranking_is_by_value_and_the_legend_says_so() -> None:
    (table,) = build_tables([row("a", 30.0, 29.0, 31.0), row("b", 29.9)])  # b has no stored interval
    assert table.rows["a"]["psnr"].rank == 1 and table.rows["b"]["psnr"].rank == 2
    md = render([table], "md")
    assert "ranked by value alone, ties untested: PSNR (b without an interval)" in md
    assert "where their 95 % intervals separate" not in md


def test_seeds_give_mean_std_and_the_t_interval_of_the_mean() -> None:
    rows = [row("a", 30.0, 29.0, 31.0, seed=0), row("a", 32.0, 31.0, 33.0, seed=1), row("a", 31.0, 30.0, 32.0, seed=2)]
    (table,) = build_tables(rows)
    cell = table.rows["a"]["psnr"]
    assert cell.value == 31.0 and cell.std == pytest.approx(1.0) and cell.seeds == 3 and cell.ci_over == "seeds"
    half = stats.t.ppf(0.975, 2) / 3 ** 0.5
    assert (cell.ci_low, cell.ci_high) == pytest.approx((31.0 - half, 31.0 + half))
    md = render([table], "md", ci=True)
    assert f"31.00 ± 1.00** [{31 - half:.2f}, {31 + half:.2f}]" in md and "± std over seeds" in md
    assert "95 % CI over seeds" in md
    assert "[" not in render([table], "md").split("\n\n_")[0].split("|---|")[1]  # no interval without --ci


def test_csv_always_has_the_intervals() -> None:
    (table,) = build_tables([row("a", 30.0, 29.5, 30.5), row("b", 29.9, 29.0, 30.8)])
    lines = render([table], "csv").splitlines()
    assert lines[0].endswith("std,ci_low,ci_high,ci_over,tied,ci_note")
    assert lines[1].startswith("reconstruct,d,smoke,original,a,psnr,30.0,1,1,1,,,29.5,30.5,frames,1,")


def test_one_seed_without_a_stored_interval_says_how_to_get_one() -> None:
    (table,) = build_tables([dataclasses.replace(row("a", 30.0), ci_note=None)])
    assert "bench store rebuild" in table.rows["a"]["psnr"].ci_note
