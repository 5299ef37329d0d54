"""The 3DMM face tracker (face3d/tracker.py) on a synthetic morphable model (`tests.kit.face3d`)."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.errors import InputError
from talkbench.face3d.morphable_model import MorphableModel
from talkbench.face3d.template import fit_head_poses, pose_errors
from talkbench.face3d.tracker import FaceTrackFit, landmark_weights, track_face
from talkbench.geometry.camera import intrinsic_matrix, project_points
from tests.kit.face3d import rotation as _rot, synthetic_model as _model

H, W = 480, 640
FOCAL = 700.0
T = 40
NOISE_PX = 0.5


def _scene(model: MorphableModel, n: int = T, seed: int = 0) -> dict:
    """Known identity (2–2.5 std from the template), talking expressions, ±25° head motion 0.5 m away, noisy landmarks."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n)
    poses = np.tile(np.eye(4), (n, 1, 1))
    for i, s in enumerate(t):
        poses[i, :3, :3] = _rot(25 * np.sin(2 * np.pi * s), 20 * np.sin(2 * np.pi * 1.3 * s + 1), 15 * np.cos(2 * np.pi * 0.7 * s))
        poses[i, :3, 3] = (0.04 * np.sin(2 * np.pi * 0.5 * s), -0.02 + 0.01 * np.cos(2 * np.pi * s), 0.5 + 0.05 * np.sin(2 * np.pi * 0.8 * s))
    alpha = rng.choice([-1.0, 1.0], model.n_id) * rng.uniform(2.0, 2.5, model.n_id)
    beta = np.stack([np.clip(np.sin(2 * np.pi * 2.1 * t), 0, None) * 1.5, np.sin(2 * np.pi * 0.9 * t),
                     np.cos(2 * np.pi * 1.4 * t), (np.sin(2 * np.pi * 3 * t) > 0.9).astype(float)], 1)
    shapes = model.landmarks(alpha, beta)
    k = intrinsic_matrix(FOCAL, (H, W))
    clean = np.stack([project_points(shapes[i], poses[i:i + 1], k)[0] for i in range(n)])
    return {"poses": poses, "alpha": alpha, "beta": beta, "clean": clean,
            "points": clean + rng.normal(0.0, NOISE_PX, clean.shape)}


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = (np.trace(np.einsum("tij,tkj->tik", a, b), axis1=1, axis2=2) - 1) / 2
    return np.degrees(np.arccos(np.clip(c, -1, 1)))


@pytest.fixture(scope="module")
def tracked() -> tuple[dict, FaceTrackFit]:
    """The tracker on the synthetic scene with the focal searched (the default)."""
    scene = _scene(_model())
    return scene, track_face(scene["points"], (H, W), _model(), weights="all")


@pytest.mark.slow
def test_tracker_recovers_pose_focal_and_shape(tracked) -> None:
    scene, fit = tracked
    truth = scene["poses"]
    rot_err = _angles(fit.poses[:, :3, :3], truth[:, :3, :3])
    assert rot_err.mean() < 1.0 and rot_err.max() < 2.5  # degrees; the model's frame is the truth's
    cos = np.einsum("ti,ti->t", fit.poses[:, :3, 3], truth[:, :3, 3]) / (
        np.linalg.norm(fit.poses[:, :3, 3], axis=1) * np.linalg.norm(truth[:, :3, 3], axis=1))
    assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 1.0  # translation direction
    assert abs(fit.focal / FOCAL - 1) < 0.1 and fit.settings["focal_searched"]
    assert not fit.settings["focal_at_bound"]
    # landmark noise of 0.5 px per coordinate is 0.71 px per point: the fit explains everything else
    assert 0.4 < np.nanmean(fit.rmse) < 1.0
    # the identity and the expressions are found, not just the pose
    assert np.abs(fit.id_coeffs - scene["alpha"]).max() < 0.5
    assert np.corrcoef(fit.exp_coeffs[:, 0], scene["beta"][:, 0])[0, 1] > 0.95
    assert fit.exp_coeffs.shape == (T, 4) and fit.raw_exp_coeffs.shape == (T, 4) and fit.found.all()
    assert fit.intrinsics["cx"] == (W - 1) / 2 and fit.intrinsics["cy"] == (H - 1) / 2
    assert np.allclose(np.linalg.det(fit.poses[:, :3, :3]), 1.0)


@pytest.mark.slow
def test_tracker_beats_the_rigid_template_when_the_face_differs(tracked) -> None:
    scene, fit = tracked
    truth = scene["poses"]
    template = fit_head_poses(scene["points"], (H, W))  # its defaults: the 27 points that move least
    tracker_err = pose_errors(fit.poses, truth)
    template_err = pose_errors(template.poses, truth)
    # the template cannot change shape: it turns the head to explain the face's other shape and expressions
    assert template_err["relative_rotation_deg"]["mean"] > 3 * tracker_err["relative_rotation_deg"]["mean"]
    assert template_err["rotation_aligned_deg"]["mean"] > 3 * tracker_err["rotation_aligned_deg"]["mean"]
    assert np.nanmean(template.rmse) > 3 * np.nanmean(fit.rmse)


@pytest.mark.slow
def test_smoothness_reduces_jitter_and_frames_without_a_face_are_filled() -> None:
    model = _model()
    scene = _scene(model, seed=1)
    points = scene["points"].copy()
    missing = [0, 1, 17, 18, 19, T - 1]
    points[missing] = np.nan
    points[25, 0:17] = np.nan  # jaw missing, jaw not fitted ("face" weights): the frame still counts
    fit = track_face(points, (H, W), model, focal=FOCAL)
    assert not fit.found[missing].any() and fit.found[25] and (~fit.found).sum() == len(missing)
    assert np.isnan(fit.rmse[missing]).all() and np.isfinite(np.delete(fit.rmse, missing)).all()
    assert np.isfinite(fit.poses).all() and np.isfinite(fit.exp_coeffs).all()
    np.testing.assert_allclose(fit.poses[0], fit.poses[2], atol=1e-9)  # held at the start
    np.testing.assert_allclose(fit.poses[T - 1], fit.poses[T - 2], atol=1e-9)  # and at the end
    np.testing.assert_allclose(fit.exp_coeffs[0], fit.exp_coeffs[2], atol=1e-9)
    truth = scene["poses"]
    assert _angles(fit.poses[17:20, :3, :3], truth[17:20, :3, :3]).max() < 3.0  # a 3-frame gap, interpolated
    assert fit.settings["frames_without_face"] == len(missing) and fit.settings["weights"] == "face"
    step = lambda p: _angles(p[1:, :3, :3], p[:-1, :3, :3])  # frame-to-frame rotation
    keep = np.ones(T - 1, bool)
    keep[[0, 1, 16, 17, 18, 19, T - 2]] = False  # steps touching a filled frame
    jitter = lambda p: np.abs(step(p) - step(truth))[keep].mean()  # error of the frame-to-frame rotation
    assert jitter(fit.poses) < jitter(fit.raw_poses)


def test_tracker_input_errors() -> None:
    model = _model()
    with pytest.raises(InputError, match="no face in any of the 5 frames") as info:
        track_face(np.full((5, 68, 2), np.nan), (H, W), model)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match=r"\[T,68,2\]"):
        track_face(np.zeros((5, 3, 2)), (H, W), model)
    with pytest.raises(InputError, match="weights"):
        landmark_weights("mouth")
    assert landmark_weights("face")[:17].sum() == 0 and landmark_weights("all").sum() == 68


@pytest.mark.slow
def test_jaw_slides_over_contour_candidates() -> None:
    import dataclasses

    model = _model()
    scene = _scene(model, n=20)
    cand = np.repeat(model.mean[:17, None], 3, 1)
    cand[:, 1:, 0] *= np.array([0.85, 0.7])  # two candidates further in than the true (outermost) jaw points
    sliding = dataclasses.replace(model, contour_mean=cand, contour_id=np.repeat(model.id_basis[:17, None], 3, 1),
                                  contour_exp=np.repeat(model.exp_basis[:17, None], 3, 1))
    fit = track_face(scene["points"], (H, W), sliding, focal=FOCAL, weights="all")
    assert fit.settings["sliding_jaw"] and np.nanmean(fit.rmse) < 1.0  # the silhouette candidates were picked
    assert _angles(fit.poses[:, :3, :3], scene["poses"][:, :3, :3]).mean() < 1.0
    inward = dataclasses.replace(sliding, contour_mean=cand[:, ::-1].copy())  # order does not matter, position does
    assert np.nanmean(track_face(scene["points"], (H, W), inward, focal=FOCAL, weights="all").rmse) < 1.0
