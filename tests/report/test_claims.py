"""Paper claims (report/claims.py): shown only beside their datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from talkbench.report.leaderboard import Table


def test_claims_are_shown_only_beside_their_datasets(tiny_cards: Path) -> None:
    from talkbench.report.claims import load_claims

    claims = {c.path.name: c for c in load_claims()}
    assert claims["wildtalker-table1.json"].measured_on == ["synthetic-portrait-wild"]
    assert {c.condition for c in load_claims("lipsync")} >= {"original", "corrupted"}
    for claim in claims.values():
        for row in claim.rows:
            assert set(row["values"]) <= set(claim.metrics), (claim.path, row)


def _table(labels: list[str]) -> Table:
    from talkbench.report.leaderboard import Cell, Table

    metrics = ["psnr", "ssim", "lpips"]
    return Table("reconstruct", "synthetic-portrait", "smoke", "original", metrics,
                 {"psnr": True, "ssim": True, "lpips": False},
                 rows={label: {m: Cell(0.5, seeds=1) for m in metrics} for label in labels})


def test_render_claims_shows_only_the_tables_of_the_methods_that_ran() -> None:
    from talkbench.report.claims import render_claims

    table = _table(["static", "retrieval", "er-nerf"])
    assert render_claims([table], methods={"static", "retrieval", "oracle"}, measured_only=True) == ""
    shown = render_claims([table], methods={"er-nerf"}, measured_only=True)
    assert shown.count("#### ") == 1 and "SyncTalk Table 1" in shown  # Table 4 maps only synctalk's variants
    header = next(line for line in shown.splitlines() if line.startswith("| Method"))
    assert "PSNR measured" in header and "LPIPS claimed" in header
    assert "FID" not in header and "MS_SSIM" not in header and "NIQE" not in header  # not measured by talkbench
    assert "| ER-NeRF (ICCV'23) | er-nerf | 0.50 |" in shown
    # a variant row maps to its method: synctalk [portrait=on] brings Table 4 when synctalk ran
    assert "SyncTalk Table 4" in render_claims([_table(["synctalk"])], methods={"synctalk"}, measured_only=True)


def test_a_metric_unavailable_for_every_row_is_no_column_and_no_column_left_is_no_table() -> None:
    from talkbench.report.claims import render_claims
    from talkbench.report.leaderboard import Cell

    table = _table(["er-nerf", "static"])
    for cells in table.rows.values():
        cells["lpips"] = Cell(None, reason="alexnet not installed")
    header = next(line for line in render_claims([table], methods={"er-nerf"}, measured_only=True).splitlines()
                  if line.startswith("| Method"))
    assert "PSNR measured" in header and "LPIPS" not in header
    for cells in table.rows.values():
        cells["psnr"] = cells["ssim"] = Cell(None, reason="no face")
    assert render_claims([table], methods={"er-nerf"}, measured_only=True) == ""


def test_render_claims_in_full_keeps_every_column() -> None:
    from talkbench.report.claims import render_claims
    from talkbench.report.leaderboard import render_claims as kept_for_callers

    full = render_claims([_table(["static"])])
    assert full.count("#### ") == 2 and "FID measured" in full and "MS_SSIM measured" in full
    assert kept_for_callers([_table(["static"])]) == full
