"""Throughput of the head-pose fit (bench/face3d/template.py) on CPU, frames/s.

550 frames (the synthetic portrait's length) of the template's own landmarks under a smooth head
motion at 512 px, with 0.5 px noise: the per-frame PnP with the focal given, and the whole fit
with the focal searched (a grid + golden section over up to 100 of the frames, then every frame).
"""

from __future__ import annotations

import numpy as np
from head_motion import wobble_poses
import pytest

from talkbench.face3d.template import TEMPLATE_68, fit_head_poses
from talkbench.geometry.camera import intrinsic_matrix, project_points

N_FRAMES = 550
SIZE = 512
FOCAL = 2.0 * SIZE


def _landmarks() -> np.ndarray:
    poses = wobble_poses(N_FRAMES)
    points = project_points(TEMPLATE_68, poses, intrinsic_matrix(FOCAL, (SIZE, SIZE)))
    return points + np.random.default_rng(0).normal(0.0, 0.5, points.shape)


@pytest.mark.parametrize("focal", ["given", "searched"])
def test_fit_head_poses(benchmark, record_throughput, focal: str) -> None:
    points = _landmarks()

    def run() -> None:
        fit = fit_head_poses(points, (SIZE, SIZE), focal=FOCAL if focal == "given" else None)
        assert fit.found.all()

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record_throughput(f"head pose fit, focal {focal}", benchmark, N_FRAMES)
