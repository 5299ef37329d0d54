"""`bench data prepare --video` (bench/prepare/video.py): the shortest clip it accepts, and a new dataset version when
a card is prepared again from other content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.cli.main import main
from talkbench.core.errors import InputError
from talkbench.core.types import MIN_TEST_FRAMES, SAMPLE_RATE, min_clip_frames, train_test_split_index
from talkbench.io.video import write_video
from talkbench.prepare.video import check_length


def _video(path: Path, count: int, seed: int) -> Path:
    frames = (np.random.default_rng(seed).random((count, 32, 32, 3)) * 255).astype(np.uint8)
    tone = 0.1 * np.sin(np.arange(int(count / 25 * SAMPLE_RATE)) * 2 * np.pi * 220 / SAMPLE_RATE)
    write_video(path, frames, 25, tone.astype(np.float32))
    return path


def test_the_shortest_clip_has_five_test_frames() -> None:
    shortest = min_clip_frames()
    assert shortest == 45 and shortest - train_test_split_index(shortest) == MIN_TEST_FRAMES
    assert (shortest - 1) - train_test_split_index(shortest - 1) < MIN_TEST_FRAMES
    check_length(45, 54, 30.0, "ok.mp4")  # 54 frames at 30 fps become 45 at 25 fps: accepted
    with pytest.raises(InputError, match=r"short.mp4: 53 frames at 30 fps \(1.77 s\) is too short: .*at least 45 frames"):
        check_length(44, 53, 30.0, "short.mp4")


@pytest.mark.slow
def test_preparing_from_another_video_is_a_new_version(tmp_path: Path, bench_home: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.harness.store import Store

    first, second = _video(tmp_path / "first.mp4", 50, 0), _video(tmp_path / "second.mp4", 50, 1)
    run = ["run", "--method", "static", "--dataset", "may", "--numerics", "native", "--metric", "psnr", "--no-leaderboard"]
    assert main(["data", "prepare", "--card", "may", "--video", str(first), "--no-annotate"]) == 0
    assert "new dataset version" not in capsys.readouterr().out
    assert main(run) == 0
    (old,) = Store().results(dataset="may")
    assert main(["data", "prepare", "--card", "may", "--video", str(second), "--no-annotate"]) == 0
    out = capsys.readouterr().out
    kept = bench_home / "data" / "may" / "versions" / old.dataset_sha
    assert "card may: new dataset version" in out and f"replaces version {old.dataset_sha} (from {first})" in out
    assert (kept / "clip.json").is_file() and str(kept) in out
    assert main(run) == 0
    from talkbench.datasets.cards import load_dataset

    (new,) = Store().results(dataset="may")
    assert new.dataset_sha == load_dataset("may", "smoke").meta["content_sha256"] != old.dataset_sha
    assert main(["data", "prepare", "--card", "may", "--video", str(second), "--no-annotate"]) == 0
    assert "new dataset version" not in capsys.readouterr().out  # the same content again: the same version
