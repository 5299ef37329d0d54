"""results_<stamp>.json / samples_<stamp>.jsonl per run and per sweep (harness/results_json.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from talkbench.core.errors import BenchError
from talkbench.harness.results_json import run_results, write_run_results, write_sweep_results
from tests.kit.run_dirs import speech_run, video_run


def test_run_results_follow_the_lm_eval_layout_with_stderr_ci_and_samples(tmp_path: Path) -> None:
    run_dir = video_run(tmp_path)
    path = write_run_results(run_dir)
    assert path.name == "results_20261203T153102Z.json"  # the execution's finish time
    doc = json.loads(path.read_text())
    stored = json.loads((run_dir / "metrics.json").read_text())["metrics"]
    psnr = pd.read_csv(run_dir / "per_frame.csv")["psnr"].to_numpy()
    block = doc["results"]["original"]
    assert block["psnr"] == stored["psnr"]["value"]
    assert block["psnr_stderr"] == pytest.approx(psnr.std(ddof=1) / math.sqrt(psnr.size), rel=1e-12)
    assert block["psnr_ci"]["low"] == stored["psnr"]["ci"]["low"] and block["psnr_ci"]["level"] == 0.95
    assert block["ssim_ci"] is None and block["lpips"] is None  # no stored interval / unavailable: said, not invented
    assert "alexnet" in doc["unavailable"]["original"]["lpips"]
    assert doc["n-samples"]["original"]["psnr"] == 12 and doc["higher_is_better"]["lpips"] is False
    assert doc["versions"]["numpy"] == "1.26.4" and doc["git_hash"] == "0123456789abcdef"
    assert doc["config"]["method_config"] == {"steps": 3, "lr": 0.01}
    lines = [json.loads(x) for x in (run_dir / doc["samples"]).read_text().splitlines()]
    assert len(lines) == 12 and lines[0]["frame"] == 500 and lines[0]["values"]["psnr"] == psnr[0]


def test_rewriting_replaces_the_executions_earlier_files(tmp_path: Path) -> None:
    run_dir = video_run(tmp_path, video=False)
    write_run_results(run_dir)
    run = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps({**run, "finished": run["finished"] + 60}))
    write_run_results(run_dir)
    assert [p.name for p in sorted(run_dir.glob("results_*.json"))] == ["results_20261203T153202Z.json"]
    assert len(list(run_dir.glob("samples_*.jsonl"))) == 1


def test_infinite_values_stay_strict_json(tmp_path: Path) -> None:
    run_dir = video_run(tmp_path, video=False)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics["metrics"]["psnr"]["value"] = "inf"
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    (run_dir / "per_frame.csv").write_text("frame,psnr\n0,inf\n1,nan\n")
    text = write_run_results(run_dir).read_text()
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert doc["results"]["original"]["psnr"] == "inf" and doc["results"]["original"]["psnr_stderr"] is None
    samples = (run_dir / doc["samples"]).read_text()
    assert '"psnr": "inf"' in samples and '"psnr": null' in samples


def test_speech_conditions_get_their_own_stderr(tmp_path: Path) -> None:
    doc = run_results(speech_run(tmp_path))
    assert list(doc["results"]) == ["all", "snr=2.5", "snr=17.5"]
    assert doc["results"]["snr=2.5"]["pesq_stderr"] == pytest.approx(np.std([1.5, 1.7], ddof=1) / math.sqrt(2))


def test_sweep_results_hold_every_run_and_the_failures(tmp_path: Path) -> None:
    a, b = video_run(tmp_path / "runs", "static"), speech_run(tmp_path / "runs")
    damaged = video_run(tmp_path / "runs", "retrieval", video=False)
    (damaged / "metrics.json").write_text("{not json")
    path = write_sweep_results([("r-a", "complete", "", a), ("r-b", "skipped", "up to date", b),
                                ("r-c", "failed", "boom", None), ("r-d", "complete", "", damaged)],
                               tmp_path / "results", now=1_796_311_862.25)
    assert path.name == "results_20261203T153102.250Z.json"
    doc = json.loads(path.read_text())
    assert set(doc["results"]) == {"r-a", "r-b"} and doc["failed"]["r-c"] == "boom"
    assert doc["failed"]["r-d"].startswith("results unreadable: ") and "metrics.json" in doc["failed"]["r-d"]
    assert doc["runs"]["r-b"]["sweep_status"] == "skipped" and doc["configs"]["r-a"]["method"] == "static"
    lines = (tmp_path / "results" / doc["samples"]).read_text().splitlines()
    assert len(lines) == 12 + 4 and {json.loads(x)["run_id"] for x in lines} == {"r-a", "r-b"}


def test_a_run_directory_without_metrics_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="metrics.json: missing"):
        run_results(tmp_path)
