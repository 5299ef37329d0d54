"""Overhead of `bench score` over calling the metrics directly (PSNR + SSIM, 50 frames at 256×256).

Three timings on the same pair of videos:
- `metrics_direct`: the metric classes on frames already in memory;
- `score_in_process`: `bench score` as a function (decode both mp4 files + the same metrics);
- `score_cli`: the `bench score --json` command as a subprocess (adds interpreter start and imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from talkbench.io.video import read_video, write_video
from talkbench.harness.scoring import score_files
from talkbench.metrics.image.psnr import PSNR
from talkbench.metrics.image.ssim import SSIM

N_FRAMES, SIZE = 50, 256
METRICS = ["psnr", "ssim"]


@pytest.fixture(scope="module")
def video_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("score")
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 256, (N_FRAMES, SIZE, SIZE, 3), dtype=np.uint8)
    pred = np.clip(ref + rng.normal(0, 8, ref.shape), 0, 255).astype(np.uint8)
    write_video(directory / "pred.mp4", pred, 25)
    write_video(directory / "ref.mp4", ref, 25)
    return directory / "pred.mp4", directory / "ref.mp4"


def test_metrics_direct(benchmark, video_pair, record_throughput) -> None:
    pred, _ = read_video(video_pair[0], with_audio=False)
    ref, _ = read_video(video_pair[1], with_audio=False)
    benchmark(lambda: [PSNR().compute(pred, ref), SSIM().compute(pred, ref)])
    record_throughput("metrics direct (psnr+ssim)", benchmark, N_FRAMES)


def test_score_in_process(benchmark, video_pair, record_throughput) -> None:
    benchmark(score_files, str(video_pair[0]), str(video_pair[1]), METRICS)
    record_throughput("bench score in-process (decode+metrics)", benchmark, N_FRAMES)


def test_score_cli(benchmark, video_pair, record_throughput, tmp_path: Path) -> None:
    env = dict(os.environ, BENCH_HOME=str(tmp_path))
    cmd = [sys.executable, "-m", "talkbench.cli.main", "score", "--pred", str(video_pair[0]), "--ref", str(video_pair[1]), "--json",
           "--metric", "psnr", "--metric", "ssim"]
    benchmark.pedantic(lambda: subprocess.run(cmd, check=True, capture_output=True, env=env), rounds=3, iterations=1)
    record_throughput("bench score CLI subprocess", benchmark, N_FRAMES)
