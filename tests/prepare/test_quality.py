"""talkbench.prepare.quality: jitter, agreement, reprojection and mask IoU on tracks with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.geometry import so3
from talkbench.prepare import quality
from tests.kit.face_parsing import random_bisenet_file  # noqa: F401


def _track(steps_deg: np.ndarray, axis: str = "y") -> np.ndarray:
    """Poses [T, 4, 4] turning about `axis` by the cumulative steps, 1 m in front of the camera, 1 mm to the right per frame."""
    rot = {"x": so3.rot_x, "y": so3.rot_y, "z": so3.rot_z}[axis]
    angles = np.radians(np.concatenate([[0.0], np.cumsum(steps_deg)]))
    poses = np.tile(np.eye(4), (len(angles), 1, 1))
    for i, a in enumerate(angles):
        poses[i, :3, :3] = rot(a)
        poses[i, :3, 3] = [0.001 * i, 0.0, 1.0]
    return poses


def test_a_steady_turn_has_its_step_and_no_jitter():
    r = quality.pose_jitter(_track(np.full(30, 1.0)))
    assert r["rotation_step_deg"] == pytest.approx(1.0, abs=1e-9)
    assert r["rotation_jitter_deg"] == pytest.approx(0.0, abs=1e-6)
    assert r["translation_step_mm"] == pytest.approx(1.0, abs=1e-9)
    assert r["translation_jitter_mm"] == pytest.approx(0.0, abs=1e-9)


def test_alternating_noise_shows_as_jitter():
    steps = 1.0 + 0.5 * (-1.0) ** np.arange(30)  # 1.5°, 0.5°, 1.5°, ...: the step changes by 1° every frame
    r = quality.pose_jitter(_track(steps))
    assert r["rotation_step_deg"] == pytest.approx(1.0, abs=1e-6)
    assert r["rotation_jitter_deg"] == pytest.approx(1.0, abs=1e-6)


def test_tracks_in_different_head_frames_agree_and_a_disturbed_frame_shows():
    a = _track(np.sin(np.arange(40) / 5.0) * 2.0)
    q = so3.from_yaw_pitch_roll(0.3, -0.2, 0.1)
    b = a.copy()
    b[:, :3, :3] = a[:, :3, :3] @ q  # the same motion described in a rotated head frame
    assert quality.rotation_agreement(a, b)["rotation_max_deg"] == pytest.approx(0.0, abs=1e-6)
    b[17, :3, :3] = so3.rot_x(np.radians(3.0)) @ b[17, :3, :3]
    r = quality.rotation_agreement(a, b)
    assert r["rotation_max_deg"] == pytest.approx(3.0, abs=0.2)
    assert r["rotation_mean_deg"] < 0.3


def test_reprojection_rmse_is_the_landmarks_offset():
    poses = _track(np.full(5, 2.0))
    points = np.random.default_rng(0).uniform(-0.08, 0.08, (68, 3))
    intr = {"fx": 800.0, "fy": 800.0, "cx": 255.5, "cy": 255.5}
    k = np.array([[800.0, 0, 255.5], [0, 800.0, 255.5], [0, 0, 1]])
    from talkbench.geometry import camera

    uv = camera.project_points(points, poses, k)
    assert quality.reprojection_rmse(poses, points, uv, intr)["rmse_px_max"] == pytest.approx(0.0, abs=1e-9)
    assert quality.reprojection_rmse(poses, points, uv + [3.0, 4.0], intr)["rmse_px_mean"] == pytest.approx(5.0)


def test_mask_iou():
    a = np.zeros((2, 4, 4), bool)
    b = np.zeros((2, 4, 4), bool)
    a[:, :2] = True  # 16 pixels
    b[:, 1:3] = True  # 16 pixels, 8 shared
    assert quality.mask_iou(a, b) == pytest.approx(8 / 24)
    assert quality.mask_iou(np.zeros_like(a), np.zeros_like(b)) is None


def test_preparation_quality_reports_every_track_and_pair():
    a = _track(np.full(20, 0.5))
    b = a.copy()
    b[:, :3, 3] += 0.0005 * np.random.default_rng(1).standard_normal((len(a), 3))
    meta = {"head_pose": {"rmse_px_mean": 1.5, "rmse_px_max": 2.5, "focal_px": 4096.0, "settings": {"focal_at_bound": True}}}
    out = quality.preparation_quality({"head_pose": a, "head_pose_stabilized": b}, meta)
    assert out["poses"]["head_pose"]["rmse_px_mean"] == 1.5
    assert out["poses"]["head_pose_stabilized"]["translation_jitter_mm"] > out["poses"]["head_pose"]["translation_jitter_mm"]
    assert out["agreement"]["head_pose vs head_pose_stabilized"]["rotation_max_deg"] == pytest.approx(0.0, abs=1e-6)
    assert out["focal_at_bound"] is True
    lines = quality.summary_lines(out)
    assert lines[0].startswith("head_pose: reprojection RMSE 1.50 px (max 2.50)")
    assert any("agree to 0.00°" in line for line in lines)


def test_mask_check_without_parsing_weights_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_HOME", str(tmp_path))
    frames = np.zeros((3, 32, 32, 3), np.uint8)
    masks = np.zeros((3, 32, 32), np.uint8)
    out = quality.face_parsing_check(frames, masks, masks)
    assert out["available"] is False and out["reason"]
    assert "summary" not in out
    line = quality.summary_lines({"masks": out})[0]
    assert line.startswith("masks vs face parsing: unavailable (")


def test_mask_check_with_parsing_weights_gives_ious(bench_home, random_bisenet_file):
    from talkbench.infra import weights
    from talkbench.zoo import cache

    cache.clear_cache()
    weights.install("bisenet_face_parsing", str(random_bisenet_file))
    frames = np.random.default_rng(0).integers(0, 255, (30, 40, 40, 3), dtype=np.uint8)
    head = np.zeros((30, 40, 40), np.uint8)
    head[:, 5:25] = 1
    out = quality.face_parsing_check(frames, head, 1 - head)
    cache.clear_cache()
    assert out["available"] is True and out["frames"] == quality.MASK_CHECK_FRAMES
    assert out["model"].startswith("BiSeNet 79999_iter.pth")
    for key in ("head_iou", "torso_iou"):  # random weights: any value, but a proper IoU (or None when both are empty)
        assert out[key] is None or 0.0 <= out[key] <= 1.0
