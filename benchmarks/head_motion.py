"""A smooth head motion shared by the head-pose benchmarks (yaw ±8°, pitch ±5°, 0.8 m from the camera)."""

from __future__ import annotations

import numpy as np


def wobble_poses(frames: int) -> np.ndarray:
    """head->camera poses [frames, 4, 4]: three yaw and two pitch cycles, a small sideways sway."""
    t = np.linspace(0.0, 1.0, frames)
    poses = np.tile(np.eye(4), (frames, 1, 1))
    for i, s in enumerate(t):
        yaw, pitch = np.radians(8 * np.sin(2 * np.pi * 3 * s)), np.radians(5 * np.sin(2 * np.pi * 2 * s + 1))
        ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
        rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
        poses[i, :3, :3] = rx @ ry
        poses[i, :3, 3] = (0.01 * np.sin(2 * np.pi * s), 0.0, 0.8)
    return poses
