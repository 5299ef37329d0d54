"""Cached stages (harness/stages.py) under damage: a zeroed, garbage or unreadable cache entry or stored result is
recomputed with a note naming the file (on the terminal and in the run's provenance), never read as a number."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from talkbench.harness.driver import run_jobs
from talkbench.harness.store import Store
from tests.kit.jobs import spec

pytestmark = pytest.mark.slow


def only(directory: Path) -> Path:
    (entry,) = [p for p in directory.iterdir() if p.is_dir()]
    return entry


def zero(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(1).bytes(path.stat().st_size))


@pytest.mark.parametrize("target", ["render/frames.npy:zero", "train/frame.npy:garbage", "train/DONE.json:json",
                                    "data/arrays.npz:zero", "data/frames.avi:garbage"])
def test_damaged_cache_entry_is_recomputed_with_the_same_value(tiny_cards: Path, bench_home: Path, tmp_path: Path,
                                                               target: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    (first,) = run_jobs([spec("static", metrics=("psnr",))], store)
    where, how = target.split(":")
    if where.startswith("data/"):
        damaged = only(bench_home / "data" / "synthetic-portrait") / where.split("/")[1]
    else:
        stage, name = where.split("/")
        damaged = only(bench_home / "cache" / stage) / name
    {"zero": zero, "garbage": garbage, "json": lambda p: p.write_text("{oops")}[how](damaged)
    capsys.readouterr()
    # Into another --out: no stored metric to reuse, so the value is computed from what the cache gives back.
    (again,) = run_jobs([spec("static", metrics=("psnr",), out=tmp_path / "elsewhere")], store)
    err = capsys.readouterr().err
    assert again.status == "complete", again.message
    assert again.metrics["psnr"].value == pytest.approx(first.metrics["psnr"].value, abs=1e-9)
    assert 15 < again.metrics["psnr"].value < 60  # the zeroed render gave ~4 dB before
    assert "note: " in err and str(damaged) in err and "recomputing" in err, err
    prov = json.loads((again.run_dir / "provenance.json").read_text())
    assert any(str(damaged) in n for n in prov["notes"])
    assert {r.dataset_sha for r in store.results(all_runs=True)} == {first.rows[0].dataset_sha}


@pytest.mark.parametrize("damage", ["bad-json", "tampered-value", "garbage-per-frame"])
def test_damaged_stored_metrics_are_recomputed_not_read(tiny_cards: Path, damage: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    (first,) = run_jobs([spec("static", metrics=("psnr", "ssim"))], store)
    metrics, per_frame = first.run_dir / "metrics.json", first.run_dir / "per_frame.csv"
    if damage == "bad-json":
        metrics.write_text(metrics.read_text()[:40])
    elif damage == "tampered-value":
        data = json.loads(metrics.read_text())
        data["metrics"]["psnr"]["value"] = 4.07
        metrics.write_text(json.dumps(data))
    else:
        garbage(per_frame)
    capsys.readouterr()
    (again,) = run_jobs([spec("static", metrics=("psnr", "ssim"))], store)  # resumes the same execution directory
    err = capsys.readouterr().err
    assert again.status == "complete" and again.run_dir == first.run_dir, again.message
    assert again.metrics["psnr"].value == pytest.approx(first.metrics["psnr"].value, abs=1e-9)
    assert "stored metrics of" in err and "recomputing" in err
    assert (str(per_frame) if damage == "garbage-per-frame" else str(metrics)) in err
    assert json.loads(metrics.read_text())["metrics"]["psnr"]["value"] == pytest.approx(first.metrics["psnr"].value)
