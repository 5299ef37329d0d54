"""The CI stored with each value (harness/confidence.py): only when the value is the mean of its items, else a reason;
written to metrics.json and the index at scoring, and recomputed by `bench store rebuild` for older run directories."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.metric import MetricResult
from talkbench.harness.confidence import interval_columns, item_interval
from talkbench.stats import bootstrap_ci


def test_a_mean_over_items_gets_the_bootstrap_interval() -> None:
    items = np.random.default_rng(0).normal(25.0, 2.0, 60)
    ci = item_interval(MetricResult("psnr", float(items.mean()), per_item=items))
    assert ci == bootstrap_ci(items) and ci.low < items.mean() < ci.high
    columns = interval_columns(ci)
    assert columns["ci_low"] == ci.low and columns["ci_high"] == ci.high and "bootstrap" in columns["ci_note"]


def test_nan_items_left_out_by_the_metric_are_counted() -> None:
    items = np.array([1.0, np.nan, 2.0, 3.0])  # LMD's `drop` policy: NaN for frames without a face
    ci = item_interval(MetricResult("lmd", 2.0, per_item=items))
    assert ci.available and ci.n == 3 and ci.dropped == 1


@pytest.mark.parametrize(("result", "reason"), [
    (MetricResult("lse_c", 7.1, per_item=np.full(10, 7.1)), "SyncNet's distances averaged"),  # declared: not a mean
    (MetricResult("psnr", 30.0, per_item=np.array([20.0, 30.0, 50.0])), "not the mean of its 3 finite per-item values"),
    (MetricResult("psnr", math.inf, per_item=np.array([math.inf, math.inf])), "the value is inf"),
    (MetricResult("psnr", 30.0), "no per-item values"),
    (MetricResult("psnr", 30.0, per_item=np.array([30.0])), "at least 2"),
    (MetricResult.unavailable("lpips", "weights missing"), "unavailable"),
])
def test_no_interval_says_why(result: MetricResult, reason: str) -> None:
    ci = item_interval(result)
    assert not ci.available and reason in (ci.reason or "")
    assert interval_columns(ci)["ci_low"] is None and reason in interval_columns(ci)["ci_note"]


@pytest.mark.slow
def test_stored_at_scoring_and_recomputed_by_a_rebuild(tiny_cards: Path, bench_home: Path) -> None:
    from talkbench.harness.driver import run_jobs
    from talkbench.harness.stages import read_per_frame
    from talkbench.harness.store import Store
    from talkbench.harness.store_repair import rebuild
    from talkbench.infra.cache_entry import verify_manifest, write_manifest
    from tests.kit.jobs import spec

    (outcome,) = run_jobs([spec("static", metrics=("psnr", "ssim"))], Store())
    run_dir = Path(Store().get_run(outcome.run_id)["run_dir"])
    stored = json.loads((run_dir / "metrics.json").read_text())["metrics"]
    per_frame = read_per_frame(run_dir / "per_frame.csv")
    rows = {r.metric: r for r in Store().results()}
    for metric in ("psnr", "ssim"):
        expected = bootstrap_ci(per_frame[metric])
        assert stored[metric]["ci"]["low"] == expected.low and stored[metric]["ci"]["high"] == expected.high
        assert (rows[metric].ci_low, rows[metric].ci_high) == (expected.low, expected.high)
        assert rows[metric].ci_low < rows[metric].value < rows[metric].ci_high
    verify_manifest(run_dir)  # the CI is inside the sealed metrics.json

    # a run directory written before intervals were stored: the rebuild computes them from per_frame.csv
    data = json.loads((run_dir / "metrics.json").read_text())
    for entry in data["metrics"].values():
        del entry["ci"]
    (run_dir / "metrics.json").write_text(json.dumps(data))
    write_manifest(run_dir, ["metrics.json", "per_frame.csv"])
    rebuild()
    again = {r.metric: r for r in Store().results()}
    assert {m: (r.value, r.ci_low, r.ci_high) for m, r in again.items()} == {
        m: (r.value, r.ci_low, r.ci_high) for m, r in rows.items()}
