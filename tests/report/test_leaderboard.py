"""The leaderboard (report/leaderboard.py): ranks, formats, protocol variants, ablations, side-by-side conditions."""

from __future__ import annotations

import math

import pytest

from talkbench.harness.store import ResultRow
from talkbench.report.leaderboard import build_tables, render


def row(method: str, metric: str, value: float | None, hib: bool, seed: int = 0, gt: bool = False,
        reason: str | None = None) -> ResultRow:
    return ResultRow(run_id=f"{method}-{seed}", task="reconstruct", method=method, variant="", dataset="d", profile="smoke",
                     seed=seed, condition="original", metric=metric, value=value, count=10, unavailable_reason=reason,
                     higher_is_better=hib, uses_ground_truth=gt)


ROWS = [
    row("oracle", "psnr", math.inf, True, gt=True), row("oracle", "lpips", 0.0, False, gt=True),
    row("a", "psnr", 30.0, True), row("a", "lpips", 0.10, False),
    row("b", "psnr", 25.0, True), row("b", "lpips", 0.05, False),
    row("c", "psnr", 20.0, True), row("c", "lpips", None, False, reason="alexnet-owt-7be5be79.pth not installed"),
]


def test_best_bold_second_underlined_per_direction_and_oracle_unranked() -> None:
    (table,) = build_tables(ROWS, {"reconstruct": ("psnr", "lpips")})
    assert table.metrics == ["psnr", "lpips"]
    assert table.rows["a"]["psnr"].rank == 1 and table.rows["b"]["psnr"].rank == 2 and table.rows["c"]["psnr"].rank is None
    assert table.rows["b"]["lpips"].rank == 1 and table.rows["a"]["lpips"].rank == 2
    assert table.rows["oracle"]["psnr"].rank is None  # uses ground truth: never ranked
    md = render([table], "md")
    assert "| oracle † | ∞ | 0.0000 |" in md
    assert "**30.00**" in md and "<u>25.00</u>" in md and "**0.0500**" in md and "<u>0.1000</u>" in md
    assert "PSNR ↑" in md and "LPIPS ↓" in md
    assert "n/a[^1]" in md and "[^1]: unavailable: alexnet-owt-7be5be79.pth not installed" in md


def test_seeds_are_averaged_and_ties_share_rank() -> None:
    rows = [row("a", "psnr", 30.0, True, seed=0), row("a", "psnr", 32.0, True, seed=1), row("b", "psnr", 31.0, True)]
    (table,) = build_tables(rows)
    assert table.rows["a"]["psnr"].value == 31.0 and table.rows["a"]["psnr"].seeds == 2
    assert table.rows["a"]["psnr"].rank == table.rows["b"]["psnr"].rank == 1


def test_other_formats() -> None:
    tables = build_tables(ROWS, {"reconstruct": ("psnr", "lpips")})
    tex = render(tables, "tex")
    assert "\\textbf{30.00}" in tex and "\\underline{25.00}" in tex and "$\\infty$" in tex and "$\\uparrow$" in tex
    html = render(tables, "html")
    assert "<b>30.00</b>" in html and "<u>25.00</u>" in html and "∞" in html
    csv_text = render(tables, "csv")
    assert "reconstruct,d,smoke,original,oracle,psnr,inf,1,,1," in csv_text
    assert "alexnet-owt-7be5be79.pth not installed" in csv_text


def test_lmd_from_different_landmark_backends_is_not_ranked_together() -> None:
    import dataclasses

    mp = {"landmarks": "mediapipe", "region": "mouth", "missing_face": "previous"}
    fan = {**mp, "landmarks": "fan"}
    same = [dataclasses.replace(row("a", "lmd", 2.0, False), details=mp), dataclasses.replace(row("b", "lmd", 3.0, False), details=mp)]
    (table,) = build_tables(same)
    assert table.rows["a"]["lmd"].rank == 1 and "mixes" not in render([table], "md")
    mixed = [same[0], dataclasses.replace(row("b", "lmd", 3.0, False), details=fan)]
    (table,) = build_tables(mixed)
    assert table.rows["a"]["lmd"].rank is None and table.rows["b"]["lmd"].rank is None
    assert "LMD mixes protocol variants (defaults; landmarks=fan): not ranked" in render([table], "md")
    (table,) = build_tables([mixed[1]])
    assert "LMD measured with landmarks=fan" in render([table], "md")


def test_ablation_table_shows_variants_with_differences_from_the_full_method() -> None:
    import dataclasses

    from talkbench.report.leaderboard import ablation_tables

    def variant(v: str, metric: str, value: float, hib: bool) -> ResultRow:
        return dataclasses.replace(row("wt", metric, value, hib), variant=v, run_id=f"wt-{v}")

    rows = [row("wt", "psnr", 30.0, True), row("wt", "lmd", 0.30, False),
            variant("mss=off", "psnr", 29.5, True), variant("mss=off", "lmd", 0.40, False),
            variant("temporal_mask=off", "psnr", 30.2, True), variant("temporal_mask=off", "lmd", 0.31, False),
            row("other", "psnr", 35.0, True)]
    (table,) = ablation_tables(build_tables(rows, {"reconstruct": ("psnr", "lmd")}), "wt")
    assert list(table.rows) == ["wt", "wt [mss=off]", "wt [temporal_mask=off]"]  # other methods are left out
    assert table.metrics == ["psnr", "psnr:delta", "lmd", "lmd:delta"]
    assert table.rows["wt [mss=off]"]["lmd:delta"].value == pytest.approx(0.10)
    assert table.rows["wt [temporal_mask=off]"]["psnr:delta"].value == pytest.approx(0.2)
    assert "psnr:delta" not in table.rows["wt"]
    assert table.rows["wt [temporal_mask=off]"]["psnr"].rank == 1 and table.rows["wt"]["lmd"].rank == 1
    md = render([table], "md")
    assert "ΔPSNR ↑" in md and "| wt [mss=off] | 29.50 | -0.50 |" in md
    assert ablation_tables(build_tables(rows), "nobody") == []


def test_columns_mixing_compositing_modes_are_not_ranked() -> None:
    import dataclasses

    from talkbench.core.method import COMPOSITING
    from talkbench.core.metric import COMPOSITING_OWN

    rows = [dataclasses.replace(row("a", "psnr", 30.0, True), details={"compositing": COMPOSITING_OWN}),
            dataclasses.replace(row("b", "psnr", 36.0, True), variant="portrait=on", details={"compositing": COMPOSITING["portrait"]})]
    (table,) = build_tables(rows)
    assert all(cells["psnr"].rank is None for cells in table.rows.values())
    assert "mixes protocol variants" in render([table], "md") and COMPOSITING["portrait"] in render([table], "md")


def test_lipsync_conditions_side_by_side_like_wildtalker_table_2() -> None:
    import dataclasses

    from talkbench.report.leaderboard import side_by_side

    def lip(method: str, condition: str, value: float) -> ResultRow:
        return dataclasses.replace(row(method, "lmd", value, False), task="lipsync", condition=condition)

    rows = [lip("a", "original", 0.3), lip("b", "original", 0.4), lip("a", "corrupted", 0.6), lip("b", "corrupted", 0.5)]
    tables = build_tables(rows, {"lipsync": ("lmd",)}, {"lipsync": ("original", "corrupted")})
    assert len(tables) == 2
    (wide,) = side_by_side(tables)
    assert wide.metrics == ["original@lmd", "corrupted@lmd"]
    assert wide.rows["a"]["original@lmd"].rank == 1 and wide.rows["b"]["corrupted@lmd"].rank == 1
    md = render([wide], "md")
    assert "LMD (original) ↓ | LMD (corrupted) ↓" in md and "| a | **0.300** | <u>0.600</u> |" in md
    assert side_by_side(build_tables([row("a", "psnr", 1.0, True)]))[0].task == "reconstruct"
