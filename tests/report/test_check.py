"""`bench check` (report/check.py): baselines written, compared and tampered with."""

from __future__ import annotations

import json
import math
from pathlib import Path

from talkbench.harness.store import ResultRow, Store
from talkbench.report.check import compare, failed, load_baseline, report, summary, write_baseline

REPO = Path(__file__).resolve().parents[2]


def put(store: Store, method: str, metric: str, value: float | None, reason: str | None = None, *,
        task: str = "reconstruct", dataset: str = "d", condition: str = "original") -> None:
    run_id = f"{task}-{dataset}-{method}-smoke-s0"
    store.begin_run(run_id, task=task, method=method, variant="", dataset=dataset, profile="smoke", seed=0)
    store.put_results([ResultRow(run_id=run_id, task=task, method=method, variant="", dataset=dataset, profile="smoke",
                                 seed=0, condition=condition, metric=metric, value=value, count=5,
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
    fails = [c for c in comparisons if c.status == "FAIL"]
    assert len(fails) == 1 and fails[0].key["method"] == "static"
    lines = report(comparisons).splitlines()
    assert lines[0] == "bench check: 3 entries — 2 ok, 1 FAIL, 0 missing, 0 new: FAILED"
    assert lines[2].split()[:6] == ["STATUS", "TASK", "DATASET", "CONDITION", "METHOD", "METRIC"]
    assert lines[3].split()[:10] == ["FAIL", "reconstruct", "d", "original", "static", "psnr", "21.56", "21.5", "-0.06",
                                     "±0.05"] and lines[3].endswith("moved beyond tolerance")


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
    assert statuses[2][1] == "missing" and "no stored result" in statuses[2][2]


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
    assert status["oracle"][0] == "missing" and "only on older content of may (data old)" in status["oracle"][1]
    assert write_baseline(path, store, "smoke", {"psnr": {"abs": 0.05}}) == 1
    assert [(e["method"], e["dataset_sha"]) for e in load_baseline(path)["entries"]] == [("static", "new")]


def test_rows_are_keyed_by_task_and_condition(bench_home: Path, tmp_path: Path) -> None:
    """The same method/metric on one dataset under two tasks (or conditions) are two rows that say which is which."""
    store = Store()
    put(store, "static", "lmd", 2.0, task="reconstruct")
    put(store, "static", "lmd", 3.0, task="lipsync", condition="corrupted")
    path = tmp_path / "b.json"
    write_baseline(path, store, "smoke")
    data = json.loads(path.read_text())
    next(e for e in data["entries"] if e["task"] == "lipsync")["value"] = 9.0
    path.write_text(json.dumps(data))
    rows = [line.split() for line in report(compare(load_baseline(path), store)).splitlines()[3:]]
    assert [r[:6] for r in rows] == [["FAIL", "lipsync", "d", "corrupted", "static", "lmd"],
                                     ["ok", "reconstruct", "d", "original", "static", "lmd"]]


def test_only_present_passes_a_partial_set_but_still_fails_what_moved(bench_home: Path, tmp_path: Path) -> None:
    store = Store()
    put(store, "static", "psnr", 20.0)
    baseline = {"profile": "smoke", "tolerances": {"psnr": {"abs": 0.1}}, "entries": [
        {"task": "reconstruct", "dataset": "d", "method": "static", "profile": "smoke", "seed": 0, "metric": "psnr", "value": 20.05},
        {"task": "reconstruct", "dataset": "d", "method": "er-nerf", "profile": "smoke", "seed": 0, "metric": "psnr", "value": 30.0},
    ]}
    comparisons = compare(baseline, store)
    assert failed(comparisons) and not failed(comparisons, only_present=True)
    assert summary(comparisons, only_present=True) == ("bench check: 2 entries — 1 ok, 0 FAIL, 1 missing, 0 new "
                                                       "(missing entries do not fail: --only-present): passed")
    baseline["entries"][0]["value"] = 21.0
    assert failed(compare(baseline, store), only_present=True)
    baseline["entries"][0]["method"] = "retrieval"  # nothing present at all: a CI job that ran nothing fails
    nothing = [c for c in compare(baseline, store) if c.status != "new"]
    assert failed(nothing, only_present=True) and "no entry has a stored result" in summary(nothing, only_present=True)


def test_new_results_are_listed_and_never_fail(bench_home: Path) -> None:
    store = Store()
    put(store, "static", "psnr", 20.0)
    put(store, "retrieval", "psnr", 22.0)
    baseline = {"profile": "smoke", "entries": [
        {"task": "reconstruct", "dataset": "d", "method": "static", "profile": "smoke", "seed": 0, "metric": "psnr", "value": 20.0}]}
    comparisons = compare(baseline, store)
    assert [(c.key["method"], c.status) for c in comparisons] == [("static", "ok"), ("retrieval", "new")]
    assert not failed(comparisons) and summary(comparisons).endswith("1 ok, 0 FAIL, 0 missing, 1 new: passed")
    assert compare({**baseline, "profile": "paper"}, store)[-1].status == "ok"  # another profile's results are not new


def test_write_keeps_every_metric_with_its_tolerance_and_unavailable_ones(bench_home: Path, tmp_path: Path) -> None:
    store = Store()
    put(store, "static", "psnr", 21.5)
    put(store, "static", "lmd", 2.5)
    put(store, "er-nerf", "lmd", 1.5)
    put(store, "static", "aue", None, reason="OpenFace not installed")
    path = tmp_path / "b.json"
    assert write_baseline(path, store, "smoke") == 4
    data = json.loads(path.read_text())
    entries = {(e["method"], e["metric"]): e for e in data["entries"]}
    assert entries[("static", "psnr")]["tolerance"] == {"abs": 0.1}
    assert entries[("static", "lmd")]["tolerance"] == {"abs": 0.02}
    assert entries[("er-nerf", "lmd")]["tolerance"] == {"abs": 0.1}  # trained by an optimiser: the wider margin
    assert entries[("static", "aue")]["value"] is None and entries[("static", "aue")]["unavailable"] == "OpenFace not installed"
    assert set(data["tolerance_reasons"]) == {"psnr", "lmd", "aue"}
    assert all(c.status == "ok" for c in compare(load_baseline(path), store))

    data["tolerances"]["psnr"] = {"abs": 1.0}  # a hand-tuned table survives --write and reaches the entries
    path.write_text(json.dumps(data))
    write_baseline(path, store, "smoke", load_baseline(path)["tolerances"])
    rewritten = json.loads(path.read_text())
    assert next(e for e in rewritten["entries"] if e["metric"] == "psnr")["tolerance"] == {"abs": 1.0}
    assert rewritten["tolerance_reasons"]["psnr"].startswith("kept from the baseline file")


def test_a_metric_becoming_available_is_reported_not_failed(bench_home: Path, tmp_path: Path) -> None:
    store = Store()
    put(store, "static", "aue", None, reason="OpenFace not installed")
    path = tmp_path / "b.json"
    write_baseline(path, store, "smoke")
    put(store, "static", "aue", 0.7)
    (c,) = compare(load_baseline(path), store)
    assert c.status == "available" and "OpenFace not installed" in c.note and not failed([c])
    assert summary([c]) == "bench check: 1 entries — 0 ok, 0 FAIL, 0 missing, 1 now available, 0 new: passed"


def test_the_committed_smoke_baseline_still_reads(bench_home: Path) -> None:
    """reports/baselines/smoke.json predates per-entry tolerances: its tolerance table still applies."""
    baseline = load_baseline(REPO / "reports" / "baselines" / "smoke.json")
    entry = next(e for e in baseline["entries"] if e["method"] == "static" and e["metric"] == "psnr")
    store = Store()
    run_id = "x"
    store.begin_run(run_id, task=entry["task"], method="static", variant="", dataset=entry["dataset"], profile="smoke", seed=0)
    store.put_results([ResultRow(run_id=run_id, task=entry["task"], method="static", variant="", dataset=entry["dataset"],
                                 profile="smoke", seed=0, condition=entry["condition"], metric="psnr",
                                 value=entry["value"] + 0.09, count=5, unavailable_reason=None, higher_is_better=True,
                                 dataset_sha=entry["dataset_sha"])], {})
    store.finish_run(run_id, "complete")
    comparisons = compare(baseline, store)
    mine = next(c for c in comparisons if c.key["method"] == "static" and c.key["metric"] == "psnr"
                and c.key["dataset"] == entry["dataset"])
    assert mine.status == "ok" and mine.tolerance == {"abs": 0.1}
    assert failed(comparisons) and not failed(comparisons, only_present=True)
