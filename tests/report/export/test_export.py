"""bench export (report/export): stored runs into MLflow, TensorBoard and W&B, read back equal."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from talkbench.core.errors import BenchError
from talkbench.report.export import ExportRun, export, require, stored_runs
from tests.kit.run_dirs import index, speech_run, video_run


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture
def runs(bench_home: Path) -> list[ExportRun]:
    """Two stored executions (a reconstruct one with curves and a stored CI, an enhance one with SNR conditions)."""
    for run_dir in (video_run(bench_home / "runs", video=False), speech_run(bench_home / "runs")):
        index(run_dir)
    return stored_runs()


def test_stored_runs_map_params_metrics_series_and_tags(runs: list[ExportRun]) -> None:
    video, speech = sorted(runs, key=lambda r: r.params["task"], reverse=True)
    assert video.params["method"] == "static" and video.params["config.lr"] == "0.01" and video.params["seed"] == "0"
    assert {"psnr", "psnr_stderr", "psnr_ci_low", "psnr_ci_high", "ssim"} <= set(video.metrics)
    assert "lpips" not in video.metrics  # unavailable: no number to send
    assert [s for s, _ in video.series["train/head/loss"]] == [0, 10, 20, 30, 40]
    assert video.series["per_frame/psnr"][0][0] == 500
    assert {"pesq", "snr_2.5/pesq", "snr_17.5/stoi_stderr"} <= set(speech.metrics)  # '=' is not a tracker key character
    assert Path(video.tags["talkbench.run_dir"]).is_dir() and any(p.name == "report.md" or p.suffix == ".csv" for p in video.artifacts)
    assert [r.run_id for r in stored_runs(task="enhance")] == [speech.run_id]


def test_a_missing_tracker_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    with pytest.raises(BenchError, match=r"pip install 'talkbench\[wandb\]'"):
        require("wandb")
    with pytest.raises(BenchError, match="unknown export target"):
        require("neptune")


@pytest.mark.skipif(not installed("mlflow"), reason="mlflow not installed: pip install 'talkbench[mlflow]'")
def test_mlflow_file_store_round_trip(runs: list[ExportRun], tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    assert "exported 2 run(s)" in export("mlflow", runs, uri, "bench-test")
    assert "exported 0 run(s)" in export("mlflow", runs, uri, "bench-test")  # an execution is sent once
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("bench-test")
    found = {r.data.tags["talkbench.run_id"]: r for r in client.search_runs([experiment.experiment_id])}
    assert len(found) == 2
    for run in runs:
        stored = found[run.run_id]
        assert {k: stored.data.metrics[k] for k in run.metrics} == run.metrics  # at full precision
        assert stored.data.params == run.params
        assert stored.data.tags["talkbench.run_dir"] == str(run.run_dir)
        for key, points in run.series.items():
            history = client.get_metric_history(stored.info.run_id, key)
            assert sorted((m.step, m.value) for m in history) == sorted(points)
        names = {a.path for a in client.list_artifacts(stored.info.run_id)}
        assert {p.name for p in run.artifacts} == names


@pytest.mark.skipif(not installed("tensorboard"), reason="tensorboard not installed: pip install 'talkbench[tensorboard]'")
def test_tensorboard_log_dir_round_trip(runs: list[ExportRun], tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    export("tensorboard", runs, str(tmp_path), "bench-test")
    assert "exported 0 run(s)" in export("tensorboard", runs, str(tmp_path), "bench-test")
    for run in runs:
        acc = EventAccumulator(str(tmp_path / "bench-test" / run.run_id / run.execution), size_guidance={"tensors": 0})
        acc.Reload()
        read = {tag: [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
                for tag in acc.Tags()["tensors"]}
        scalars = {k: [(step, float(v)) for step, v in points] for k, points in read.items() if k in run.metrics or k in run.series}
        assert {k: scalars[k] for k in run.metrics} == {k: [(0, v)] for k, v in run.metrics.items()}  # float64: equal
        assert {k: scalars[k] for k in run.series} == run.series
        params = read["params/text_summary"][0][1].item().decode()
        assert f"| method | {run.params['method']} |" in params


@pytest.mark.skipif(not installed("wandb"), reason="wandb not installed: pip install 'talkbench[wandb]'")
def test_wandb_offline_run_files_round_trip(runs: list[ExportRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from wandb.proto import wandb_internal_pb2
    from wandb.sdk.internal import datastore

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    assert "(offline;" in export("wandb", runs, str(tmp_path), "bench-test")
    files = sorted((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == len(runs)
    seen = {}
    for path in files:
        store = datastore.DataStore()
        store.open_for_scan(str(path))
        name, config, summary = None, {}, {}
        while (data := store.scan_data()) is not None:
            record = wandb_internal_pb2.Record()
            record.ParseFromString(data)
            kind = record.WhichOneof("record_type")
            if kind == "run":
                name = record.run.display_name
                config.update({i.key: json.loads(i.value_json) for i in record.run.config.update})
            elif kind == "config":
                config.update({i.key: json.loads(i.value_json) for i in record.config.update})
            elif kind == "summary":
                summary.update({i.key: json.loads(i.value_json) for i in record.summary.update if i.key})
        seen[name] = (config, summary)
    assert set(seen) == {run.run_id for run in runs}, f"run files name {sorted(seen, key=str)}"
    for run in runs:
        config, summary = seen[run.run_id]
        assert {k: config[k] for k in run.params} == run.params
        assert {k: summary[k] for k in run.metrics} == run.metrics
