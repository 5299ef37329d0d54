"""SyncTalk's head stabilizer (methods/synctalk/stabilizer.py, Eq. 7-8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def _scene(frames: int = 40, points: int = 60, noise_deg: float = 1.0, seed: int = 0):
    from scipy.spatial.transform import Rotation as R

    rng = np.random.default_rng(seed)
    pts = rng.normal(0, 0.04, (points, 3))
    yaw = np.deg2rad(8 * np.sin(np.linspace(0, 3, frames)))
    truth = np.tile(np.eye(4), (frames, 1, 1))
    truth[:, :3, :3] = R.from_euler("y", yaw[:, None]).as_matrix()
    truth[:, :3, 3] = [0.0, 0.0, 0.6]
    k = {"fx": 500.0, "fy": 500.0, "cx": 128.0, "cy": 128.0}
    cam = np.einsum("tij,nj->tni", truth[:, :3, :3], pts) + truth[:, None, :3, 3]
    tracks = np.stack([500 * cam[..., 0] / cam[..., 2] + 128, 500 * cam[..., 1] / cam[..., 2] + 128], -1)
    noisy = truth.copy()
    noisy[:, :3, :3] = (R.from_rotvec(rng.normal(0, np.deg2rad(noise_deg), (frames, 3))) * R.from_matrix(truth[:, :3, :3])).as_matrix()
    return truth, noisy, tracks, k


@pytest.mark.slow
def test_bundle_adjustment_removes_pose_jitter() -> None:
    from scipy.spatial.transform import Rotation as R

    from talkbench.methods.synctalk.stabilizer import StabilizerSettings, bundle_adjust

    truth, noisy, tracks, k = _scene()
    refined, stats = bundle_adjust(tracks, noisy, k, StabilizerSettings(points_iters=200, joint_iters=400, joint_lr=3e-3),
                                   progress=False)

    def jitter(p: np.ndarray) -> float:
        return float(np.rad2deg((R.from_matrix(p[1:, :3, :3]) * R.from_matrix(p[:-1, :3, :3]).inv()).magnitude()).mean())

    assert jitter(refined) < 0.5 * jitter(noisy), (jitter(truth), jitter(noisy), jitter(refined))
    assert stats["rmse_px_joint_stage"] < stats["rmse_px_points_stage"]


def test_steady_point_selection_prefers_smooth_tracks() -> None:
    from talkbench.methods.synctalk.stabilizer import select_steady_points

    t, n = 20, 50
    start = np.stack(np.meshgrid(np.arange(5, 55, 10), np.arange(5, 55, 5)), -1).reshape(-1, 2)[:n].astype(np.float32)
    tracks = np.repeat(start[None], t, 0) + np.linspace(0, 3, t)[:, None, None]
    shaky = np.arange(n) % 2 == 0
    tracks[:, shaky] += np.random.default_rng(1).normal(0, 2.0, (t, shaky.sum(), 2))
    chosen = select_steady_points(tracks, start, 64, 64)
    assert len(chosen) > 0 and not shaky[chosen].any()


@pytest.mark.slow
def test_stabilizer_refines_noisy_poses_of_the_synthetic_portrait(tiny_cards: Path) -> None:
    from scipy.spatial.transform import Rotation as R

    from talkbench.datasets.cards import load_dataset
    from talkbench.datasets.clip_meta import clip_intrinsics
    from talkbench.methods.synctalk.stabilizer import StabilizerSettings, stabilize_poses

    clip = load_dataset("synthetic-portrait", "smoke").train()
    truth = clip.annotations["head_pose"]
    rng = np.random.default_rng(0)
    noisy = truth.copy()
    noisy[:, :3, :3] = (R.from_rotvec(rng.normal(0, np.deg2rad(1.0), (len(truth), 3))) * R.from_matrix(truth[:, :3, :3])).as_matrix()
    refined, info = stabilize_poses(clip.frames, clip.annotations["landmarks"], noisy, clip_intrinsics(clip),
                                    StabilizerSettings(points_iters=300, joint_iters=300, joint_lr=3e-3), progress=False)

    def jitter(p: np.ndarray) -> float:
        return float(np.rad2deg((R.from_matrix(p[1:, :3, :3]) * R.from_matrix(p[:-1, :3, :3]).inv()).magnitude()).mean())

    assert info["points"] >= 6
    assert jitter(refined) < 0.8 * jitter(noisy), (jitter(truth), jitter(noisy), jitter(refined), info)
