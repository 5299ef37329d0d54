"""A user's own video as a dataset, from the command line (bench/cli/data.py, bench/cli/data_admin.py): prepared
under its own name, run, listed, prepared again from another video (a new dataset version, results kept apart) and
removed (results kept)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.cli.main import main
from talkbench.core.types import SAMPLE_RATE
from talkbench.io.video import write_video


def _video(path: Path, count: int, seed: int, fps: float = 25) -> Path:
    frames = (np.random.default_rng(seed).random((count, 32, 32, 3)) * 255).astype(np.uint8)
    tone = 0.1 * np.sin(np.arange(int(count / fps * SAMPLE_RATE)) * 2 * np.pi * 220 / SAMPLE_RATE)
    write_video(path, frames, fps, tone.astype(np.float32))
    return path


def test_own_video_prepared_run_listed_replaced_and_removed(tmp_path: Path, bench_home: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.harness.store import Store

    first, second = _video(tmp_path / "first.mp4", 50, 0), _video(tmp_path / "second.mp4", 60, 1, fps=30)
    run = ["run", "--method", "static", "--dataset", "me", "--numerics", "native", "--metric", "psnr", "--no-leaderboard"]
    assert main(["data", "prepare", "--name", "me", "--video", str(first), "--no-annotate"]) == 0
    out = capsys.readouterr().out
    assert f"card me: written to {bench_home / 'cards' / 'me.toml'}" in out and "bench run --dataset me" in out
    card = (bench_home / "cards" / "me.toml").read_text()
    assert f'description = "user video from {first}"' in card and "paper = 32" in card
    assert main(["list", "datasets"]) == 0
    assert f"user video from {first}" in capsys.readouterr().out
    assert main(run) == 0
    (old,) = Store().results(dataset="me")

    assert main(["data", "list"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("me "))
    assert line.split()[:5] == ["me", "user", "video", "prepared", "50"] and "2.00 s" in line and line.endswith(str(first))

    assert main(["data", "prepare", "--name", "me", "--video", str(second), "--no-annotate"]) == 0
    out = capsys.readouterr().out
    assert f"replaces version {old.dataset_sha} (from {first})" in out and "30 fps converted to 25 fps (50 frames)" in out
    assert f'source = "{second}"' in (bench_home / "cards" / "me.toml").read_text()
    assert main(run) == 0
    rows = Store().results(dataset="me", all_runs=True)
    assert len({r.dataset_sha for r in rows}) == 2  # each result names the content it was computed on
    (new,) = Store().results(dataset="me")  # the leaderboard's rows: the latest content only
    assert new.dataset_sha != old.dataset_sha
    assert main(["leaderboard", "--dataset", "me"]) == 0 and "| static |" in capsys.readouterr().out

    assert main(["data", "remove", "me"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("removed dataset me: ") and "stored results are kept" in out
    assert not (bench_home / "cards" / "me.toml").exists() and not (bench_home / "data" / "me").exists()
    assert len(Store().results(dataset="me", all_runs=True)) == len(rows)
    assert main(["leaderboard"]) == 0 and "me (smoke profile)" in capsys.readouterr().out
    assert main(["run", *run[1:]]) == 1  # gone: `bench run` says it does not know the dataset any more
    assert "unknown dataset 'me'" in capsys.readouterr().err
