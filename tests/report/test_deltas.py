"""Ablation Δ with intervals (report/deltas.py): paired over the frames of stored runs, Welch over seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from talkbench.harness.store import Store
from talkbench.report.leaderboard import ablation_tables, build_tables, render
from tests.kit.stored_runs import store_run


def test_paired_delta_over_frames_finds_a_known_shift(bench_home: Path) -> None:
    rng = np.random.default_rng(0)
    frames = rng.normal(28.0, 3.0, 120)  # frame difficulty varies far more than the variant's effect
    store = Store()
    rows = store_run(store, bench_home / "runs", "wt", {"psnr": frames})
    rows += store_run(store, bench_home / "runs", "wt", {"psnr": frames - 0.4 + rng.normal(0, 0.3, 120)}, variant="mss=off")
    rows += store_run(store, bench_home / "runs", "wt", {"psnr": frames + rng.normal(0, 0.3, 120)}, variant="tm=off")
    (table,) = ablation_tables(build_tables(rows), "wt")
    shifted, same = table.rows["wt [mss=off]"]["psnr:delta"], table.rows["wt [tm=off]"]["psnr:delta"]
    assert shifted.ci_over == "paired frames" and shifted.ci_high < 0 and shifted.ci_low < -0.4 < shifted.ci_high
    assert same.ci_low < 0 < same.ci_high
    # unpaired, the frames' spread (3.0 / sqrt(120) = 0.27 per side) would hide the shift; paired it is 10x narrower
    assert shifted.ci_high - shifted.ci_low < 0.2
    md = render([table], "md", ci=True)
    assert f"[{shifted.ci_low:.2f}, {shifted.ci_high:.2f}]" in md and "paired frames" in md


def test_several_seeds_use_welch_and_unequal_frame_counts_are_not_paired(bench_home: Path) -> None:
    store, runs = Store(), bench_home / "runs"
    rows = []
    for seed, (full, off) in enumerate([(30.0, 29.0), (30.2, 29.1), (29.9, 28.8)]):
        rows += store_run(store, runs, "wt", {"psnr": np.full(10, full) + np.arange(10) * 0.01}, seed=seed)
        rows += store_run(store, runs, "wt", {"psnr": np.full(10, off) + np.arange(10) * 0.01}, seed=seed, variant="x=1")
    (table,) = ablation_tables(build_tables(rows), "wt")
    delta = table.rows["wt [x=1]"]["psnr:delta"]
    assert delta.ci_over == "seeds" and delta.ci_high < 0 and "Welch" in delta.ci_note

    store2 = Store(bench_home / "other.sqlite")
    rows = store_run(store2, bench_home / "r2", "wt", {"psnr": np.arange(10.0)})
    rows += store_run(store2, bench_home / "r2", "wt", {"psnr": np.arange(12.0)}, variant="x=1")
    from talkbench.harness.item_values import item_values

    def load(run_id: str, execution: str, condition: str, metric: str) -> np.ndarray:
        return item_values(store2.run_dir(run_id, execution), condition, metric)

    (table,) = ablation_tables(build_tables(rows), "wt", load)
    delta = table.rows["wt [x=1]"]["psnr:delta"]
    assert delta.ci_low is None and "10 vs 12 test frames" in delta.ci_note
