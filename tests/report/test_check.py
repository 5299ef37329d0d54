"""`bench check` (report/check.py): baselines written, compared and tampered with."""

from __future__ import annotations

import json
import math
from pathlib import Path

from talkbench.harness.store import ResultRow, Store
from talkbench.report.check import compare, load_baseline, report, write_baseline


def put(store: Store, method: str, metric: str, value: float | None, reason: str | None = None) -> None:
    run_id = f"reconstruct-d-{method}-smoke-s0"
    store.begin_run(run_id, task="reconstruct", method=method, variant="", dataset="d", profile="smoke", seed=0)
    store.put_results([ResultRow(run_id=run_id, task="reconstruct", method=method, variant="", dataset="d", profile="smoke",
                                 seed=0, condition="original", metric=metric, value=value, count=5,
                                 unavailable_reason=reason, higher_is_better=metric != "lpips", dataset_sha="abc")], {})
    store.finish_run(run_id, "complete")


def test_baseline_roundtrip_then_tampering_fails(bench_home: Path, tmp_path: Path) -> None:
    store = Store()
    put(store, "oracle", "psnr", math.inf)
    put(store, "static", "psnr", 21.5)
    put(store, "static", "lpips", None, reason="weights missing")
    path = tmp_path / "baseline.json"
    assert write_baseline(path, store, "smoke", {"psnr": {"abs": 0.05}, "lpips": {"abs": 0.002}}) == 3
    assert all(c.status == "ok" for c in compare(load_baseline(path), store))

    data = json.loads(path.read_text())
    for entry in data["entries"]:
        if entry["method"] == "static" and entry["metric"] == "psnr":
            entry["value"] += 0.06  # just beyond the 0.05 tolerance
    path.write_text(json.dumps(data))
    comparisons = compare(load_baseline(path), store)
    failed = [c for c in comparisons if c.status == "FAIL"]
    assert len(failed) == 1 and failed[0].key["method"] == "static"
    text = report(comparisons)
    assert text.splitlines()[0].startswith("FAIL") and "d/static/psnr" in text and "Δ=-0.06" in text
    assert text.splitlines()[-1] == "2 within tolerance, 1 failed"


def test_inf_must_stay_inf_and_newly_unavailable_fails(bench_home: Path, tmp_path: Path) -> None:
    store = Store()
    put(store, "oracle", "psnr", 80.0)
    put(store, "static", "psnr", None, reason="no face")
    baseline = {"tolerances": {"psnr": {"abs": 100.0}}, "entries": [
        {"task": "reconstruct", "dataset": "d", "method": "oracle", "profile": "smoke", "seed": 0, "metric": "psnr", "value": "inf"},
        {"task": "reconstruct", "dataset": "d", "method": "static", "profile": "smoke", "seed": 0, "metric": "psnr", "value": 20.0},
        {"task": "reconstruct", "dataset": "d", "method": "missing", "profile": "smoke", "seed": 0, "metric": "psnr", "value": 20.0},
    ]}
    statuses = [(c.key["method"], c.status, c.note) for c in compare(baseline, store)]
    assert statuses[0][:2] == ("oracle", "FAIL")
    assert statuses[1] == ("static", "FAIL", "now unavailable: no face")
    assert statuses[2][1] == "FAIL" and "no stored result" in statuses[2][2]


def test_dataset_change_is_reported(bench_home: Path) -> None:
    store = Store()
    put(store, "static", "psnr", 20.0)
    baseline = {"entries": [{"task": "reconstruct", "dataset": "d", "method": "static", "profile": "smoke", "seed": 0,
                             "metric": "psnr", "value": 20.0, "dataset_sha": "other"}]}
    (c,) = compare(baseline, store)
    assert c.status == "FAIL" and "dataset content differs" in c.note


def test_method_specific_tolerance_overrides_the_metric_default(bench_home: Path, tmp_path: Path) -> None:
    store = Store()
    put(store, "static", "psnr", 21.5)
    put(store, "er-nerf", "psnr", 30.0)
    path = tmp_path / "baseline.json"
    write_baseline(path, store, "smoke", {"psnr": {"abs": 0.05}, "er-nerf/psnr": {"abs": 0.5}})
    data = json.loads(path.read_text())
    assert "er-nerf/psnr" in data["tolerances"]
    for entry in data["entries"]:
        entry["value"] += 0.3  # inside er-nerf's 0.5, outside the metric default 0.05
    path.write_text(json.dumps(data))
    status = {c.key["method"]: c.status for c in compare(load_baseline(path), store)}
    assert status == {"static": "FAIL", "er-nerf": "ok"}


def test_check_never_mixes_dataset_versions(bench_home: Path, tmp_path: Path) -> None:
    """After `may` is re-prepared from another video only static reran: oracle's value on the old content is not
    compared as if it were current, and a baseline written now holds only the current content."""
    store = Store()

    def stored(method: str, value: float, sha: str, started: float) -> None:
        run_id, execution = f"reconstruct-may-{method}-smoke-s0", f"e-{sha}"
        store.record({"run_id": run_id, "execution": execution, "task": "reconstruct", "method": method, "variant": "",
                      "dataset": "may", "profile": "smoke", "seed": 0, "status": "complete", "started": started},
                     [ResultRow(run_id=run_id, task="reconstruct", method=method, variant="", dataset="may", profile="smoke",
                                seed=0, condition="original", metric="psnr", value=value, count=5, unavailable_reason=None,
                                higher_is_better=True, dataset_sha=sha, execution=execution, started=started)], {})

    stored("oracle", 40.0, "old", 1.0)
    stored("static", 20.0, "old", 2.0)
    path = tmp_path / "baseline.json"
    write_baseline(path, store, "smoke", {"psnr": {"abs": 0.05}})
    stored("static", 21.0, "new", 3.0)
    status = {c.key["method"]: (c.status, c.note) for c in compare(load_baseline(path), store)}
    assert status["static"][0] == "FAIL" and "dataset content differs" in status["static"][1]
    assert status["oracle"][0] == "FAIL" and "only on older content of may (data old)" in status["oracle"][1]
    assert write_baseline(path, store, "smoke", {"psnr": {"abs": 0.05}}) == 1
    assert [(e["method"], e["dataset_sha"]) for e in load_baseline(path)["entries"]] == [("static", "new")]
