"""`bench store verify|rebuild` underneath (harness/store_repair.py): the index rebuilt from run directories, old and
new layouts; disagreements and damaged entries found."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from talkbench.harness import store_repair
from talkbench.harness.driver import run_jobs
from talkbench.harness.store import Store
from tests.kit.jobs import spec

pytestmark = pytest.mark.slow


def as_before_run_history(execution_dir: Path) -> Path:
    """Turn an execution directory into a run directory as talkbench wrote it before run history."""
    parent = execution_dir.parent
    for path in execution_dir.iterdir():
        if path.name not in ("run.json", "MANIFEST.json"):
            shutil.move(str(path), parent / path.name)
    shutil.rmtree(execution_dir)
    (parent / "latest").unlink()
    data = json.loads((parent / "metrics.json").read_text())
    for entry in data["metrics"].values():  # older metrics.json files had neither
        entry.pop("count"), entry.pop("higher_is_better")
    (parent / "metrics.json").write_text(json.dumps(data))
    return parent


def test_rebuild_reads_new_and_pre_history_run_directories(tiny_cards: Path, bench_home: Path) -> None:
    store = Store()
    old, new = run_jobs([spec("oracle", metrics=("psnr", "ssim")), spec("static", metrics=("psnr", "ssim"))], store)
    expected = {(r.run_id, r.metric, r.value, r.count, r.higher_is_better, r.dataset_sha, r.uses_ground_truth)
                for r in store.results()}
    legacy = as_before_run_history(old.run_dir)
    aside, summary = store_repair.rebuild()
    assert aside is not None and aside.exists() and "2 executions of 2 runs, 4 results" in summary
    rebuilt = Store()
    assert {(r.run_id, r.metric, r.value, r.count, r.higher_is_better, r.dataset_sha, r.uses_ground_truth)
            for r in rebuilt.results()} == expected
    executions = {r["run_id"]: (r["execution"], r["run_dir"]) for r in rebuilt.runs()}
    assert executions[old.run_id] == ("legacy", str(legacy)) and executions[new.run_id][0] == new.run_dir.name


def test_verify_finds_what_disagrees_or_is_damaged(tiny_cards: Path, bench_home: Path) -> None:
    store = Store()
    assert store_repair.verify().ok  # an empty home is consistent
    (outcome,) = run_jobs([spec("static", metrics=("psnr",))], store)
    found = store_repair.verify()
    assert found.ok and found.indexed == found.on_disk == {(outcome.run_id, outcome.run_dir.name)}
    assert found.entries_checked == 3  # the dataset, the checkpoint, the render

    with store.connect() as db:
        db.execute("DELETE FROM runs")
    assert store_repair.verify().missing_from_index == {(outcome.run_id, outcome.run_dir.name)}
    store_repair.rebuild()

    render = next(p for p in (bench_home / "cache" / "render").iterdir() if p.is_dir())
    (render / "frames.npy").write_bytes(b"\0" * (render / "frames.npy").stat().st_size)
    (outcome.run_dir / "metrics.json").write_text("{")
    found = store_repair.verify()
    assert not found.ok
    assert len(found.damaged_entries) == 1 and str(render / "frames.npy") in found.damaged_entries[0]
    assert len(found.damaged_runs) == 1 and str(outcome.run_dir / "metrics.json") in found.damaged_runs[0]
    (bench_home / "results.sqlite").write_bytes(b"garbage" * 100)
    assert store_repair.verify().index == "file is not a database"
