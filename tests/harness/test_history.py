"""Run history (harness/history.py): a rerun with other code, config or data gets its own execution directory and
index entry; the same fingerprint resumes; user files in --out are never touched; start and end times are recorded."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from talkbench.harness import history
from talkbench.harness.driver import run_jobs
from talkbench.harness.store import Store
from tests.kit.jobs import spec

pytestmark = pytest.mark.slow


def other_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the method's code changed (what an edit of its module does to the hashes)."""
    import talkbench.harness.jobs as jobs

    original = jobs.code_version
    monkeypatch.setattr(jobs, "code_version", lambda *objects: original(*objects) + "-edited")


def test_rerun_with_other_code_keeps_the_earlier_run(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    (first,) = run_jobs([spec("static", metrics=("psnr",))], store)
    (same,) = run_jobs([spec("static", metrics=("psnr",))], store)
    assert same.run_dir == first.run_dir  # same fingerprint: the execution is resumed, not duplicated
    files_before = {p.name: p.read_bytes() for p in first.run_dir.iterdir()}
    other_code(monkeypatch)
    (second,) = run_jobs([spec("static", metrics=("psnr",))], store)
    assert second.run_dir != first.run_dir and second.run_dir.parent == first.run_dir.parent == spec("static").run_dir
    assert {p.name: p.read_bytes() for p in first.run_dir.iterdir() if p.name != "run.json"} == {
        k: v for k, v in files_before.items() if k != "run.json"}
    assert json.loads((first.run_dir / "run.json").read_text())["status"] == "complete"
    assert (first.run_dir.parent / "latest").resolve() == second.run_dir.resolve()
    executions = {r["execution"] for r in store.runs()}
    assert executions == {first.run_dir.name, second.run_dir.name}
    assert [r.execution for r in store.results()] == [second.run_dir.name]  # the leaderboard's view: the latest
    assert {r.execution for r in store.results(all_runs=True)} == executions


def test_overwrite_always_starts_a_new_execution(tiny_cards: Path) -> None:
    store = Store()
    (first,) = run_jobs([spec("static", metrics=("psnr",))], store)
    time.sleep(1.0)  # execution names carry the start second
    (fresh,) = run_jobs([spec("static", metrics=("psnr",), overwrite="always")], store)
    assert fresh.run_dir != first.run_dir and (first.run_dir / "metrics.json").is_file()
    assert fresh.metrics["psnr"].value == first.metrics["psnr"].value


def test_user_files_in_out_are_never_touched(tiny_cards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "results"
    run_parent = out / spec("static").run_id
    run_parent.mkdir(parents=True)
    mine = {out / "notes.md": b"my notes", run_parent / "metrics.json": b"my own metrics", run_parent / "latest": b"mine"}
    for path, data in mine.items():
        path.write_bytes(data)
    store = Store()
    (first,) = run_jobs([spec("static", metrics=("psnr",), out=out)], store)
    other_code(monkeypatch)
    (second,) = run_jobs([spec("static", metrics=("psnr",), out=out)], store)
    assert first.status == second.status == "complete" and first.run_dir != second.run_dir
    assert all(path.read_bytes() == data for path, data in mine.items())
    assert history.roots()[-1] == out.resolve()  # remembered, so `bench store rebuild` finds these runs


def test_start_and_end_times_in_the_run_directory_and_the_index(tiny_cards: Path) -> None:
    t0 = time.time()
    store = Store()
    (outcome,) = run_jobs([spec("static", metrics=("psnr",))], store)
    t1 = time.time()
    record = json.loads((outcome.run_dir / "run.json").read_text())
    assert t0 <= record["started"] <= record["finished"] <= t1
    assert record["started_iso"].endswith("Z") and record["started_iso"][:19] == time.strftime(
        "%Y-%m-%dT%H:%M:%S", time.gmtime(record["started"]))
    assert record["status"] == "complete" and record["execution"] == outcome.run_dir.name
    assert outcome.run_dir.name.endswith(record["fingerprint"])
    (run,) = store.runs()
    assert (run["started"], run["finished"], run["started_iso"], run["finished_iso"]) == (
        record["started"], record["finished"], record["started_iso"], record["finished_iso"])
    prov = json.loads((outcome.run_dir / "provenance.json").read_text())
    assert prov["run"]["started_iso"] == record["started_iso"]


def test_a_failure_gets_its_own_record(tiny_cards: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.methods.baselines.static import Static

    store = Store()
    (good,) = run_jobs([spec("static", metrics=("psnr",))], store)
    other_code(monkeypatch)
    monkeypatch.setattr(Static, "render", lambda self, ckpt, drive: (_ for _ in ()).throw(RuntimeError("boom")))
    (bad,) = run_jobs([spec("static", metrics=("psnr",))], store)
    assert bad.status == "failed" and (bad.run_dir / "error.log").is_file() and bad.run_dir != good.run_dir
    assert json.loads((bad.run_dir / "run.json").read_text())["status"] == "failed"
    assert [r.execution for r in store.results()] == [good.run_dir.name]  # the latest complete one still shows


def test_scoring_more_metrics_later_adds_them_to_the_same_execution(tiny_cards: Path) -> None:
    from talkbench.harness import store_repair

    store = Store()
    (first,) = run_jobs([spec("static", metrics=("psnr",))], store)
    (more,) = run_jobs([spec("static", metrics=("ssim",))], store)
    assert more.run_dir == first.run_dir  # `--metric` picks what to score, not another execution
    stored = json.loads((first.run_dir / "metrics.json").read_text())["metrics"]
    assert set(stored) == {"psnr", "ssim"} and stored["psnr"]["value"] == first.metrics["psnr"].value
    assert {r.metric for r in store.results()} == {"psnr", "ssim"}
    store_repair.rebuild()  # the run directory alone holds both
    assert {r.metric for r in Store().results()} == {"psnr", "ssim"}
