"""Throughput of the head-pose fit (bench/data/head_pose.py) on CPU, frames/s.

550 frames (the synthetic portrait's length) of the template's own landmarks under a smooth head
motion at 512 px, with 0.5 px noise: the per-frame PnP with the focal given, and the whole fit
with the focal searched (a grid + golden section over up to 100 of the frames, then every frame).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.data.head_pose import TEMPLATE_68, fit_head_poses, intrinsic_matrix, project_points

N_FRAMES = 550
SIZE = 512
FOCAL = 2.0 * SIZE


def _landmarks() -> np.ndarray:
    t = np.linspace(0.0, 1.0, N_FRAMES)
    poses = np.tile(np.eye(4), (N_FRAMES, 1, 1))
    for i, s in enumerate(t):
        yaw, pitch = np.radians(8 * np.sin(2 * np.pi * 3 * s)), np.radians(5 * np.sin(2 * np.pi * 2 * s + 1))
        ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
        rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
        poses[i, :3, :3] = rx @ ry
        poses[i, :3, 3] = (0.01 * np.sin(2 * np.pi * s), 0.0, 0.8)
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
