"""`bench export` on the command line (cli/export.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from talkbench.cli.main import main
from tests.kit.run_dirs import index, video_run


def test_export_to_tensorboard_prints_where_and_filters(bench_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tensorboard", reason="tensorboard not installed: pip install 'talkbench[tensorboard]'")
    index(video_run(bench_home / "runs", video=False))
    assert main(["export", "--to", "tensorboard", "--out", str(tmp_path), "--task", "reconstruct"]) == 0
    assert "exported 1 run(s) to TensorBoard" in capsys.readouterr().out
    assert main(["export", "--to", "tensorboard", "--out", str(tmp_path), "--task", "enhance"]) == 1
    assert "no stored results match" in capsys.readouterr().err


def test_a_missing_extra_is_one_line(bench_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    assert main(["export", "--to", "mlflow"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["bench: error: bench export --to mlflow needs the mlflow package: pip install 'talkbench[mlflow]'"]
