"""The 3DMM face tracker (bench/face3d/tracker.py) and the morphable-model format (bench/face3d/morphable_model.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from talkbench.face3d.tracker import FaceTrackFit, landmark_weights, track_face
from talkbench.face3d.template import TEMPLATE_68, fit_head_poses, pose_errors
from talkbench.geometry.camera import intrinsic_matrix, project_points
from talkbench.face3d.morphable_model import (
    MorphableModel,
    convert_3dmm_info,
    load_morphable_model,
    read_pickled_dict,
    resolve_morphable_model,
    save_morphable_model,
)
from talkbench.core.errors import InputError, WeightsMissing

H, W = 480, 640
FOCAL = 700.0
T = 40
NOISE_PX = 0.5


# ----------------------------------------------------------------------------- a synthetic morphable model


def _model() -> MorphableModel:
    """TEMPLATE_68 + smooth identity and expression deformations of a few millimetres (unit std each)."""
    m = TEMPLATE_68
    x, y = m[:, 0], m[:, 1]
    ident = np.zeros((68, 3, 5))
    ident[:, 0, 0] = 0.06 * x  # wider face
    ident[:, 1, 1] = 0.05 * (y - 0.03)  # longer face
    ident[27:36, 2, 2] = -0.006 * np.linspace(0.3, 1.0, 9)  # a more prominent nose
    ident[:, 2, 3] = 0.08 * x**2 / 0.07  # a rounder face: the sides further back (5.6 mm at the jaw)
    ident[0:17, 0, 4] = 0.08 * x[0:17]  # a wider jaw
    expr = np.zeros((68, 3, 4))
    below = np.clip((y - 0.06) / 0.05, 0.0, 1.0)  # points below the mouth corners follow the jaw
    expr[:, 1, 0] = 0.012 * below
    expr[[55, 56, 57, 58, 59, 64, 65, 66, 67], 1, 0] = 0.008
    expr[[48, 60], :, 1] = (-0.004, -0.003, 0.0)  # smile: the corners out and up
    expr[[54, 64], :, 1] = (0.004, -0.003, 0.0)
    expr[17:27, 1, 2] = -0.004  # brows up
    expr[[37, 38, 43, 44], 1, 3] = 0.003  # lids down
    return MorphableModel(mean=m.copy(), id_basis=ident, exp_basis=expr, id_std=np.ones(5), exp_std=np.ones(4),
                          name="synthetic-test", description="test model: TEMPLATE_68 + smooth deformations")


def _rot(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


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


# ----------------------------------------------------------------------------- the tracker


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


# ----------------------------------------------------------------------------- the file format


def test_model_file_round_trip_and_refusals(tmp_path: Path) -> None:
    model = _model()
    path = save_morphable_model(model, tmp_path / "model.npz")
    back = load_morphable_model(path)
    np.testing.assert_allclose(back.mean, model.mean, atol=1e-7)
    np.testing.assert_allclose(back.id_basis, model.id_basis, atol=1e-7)
    assert back.name == "synthetic-test" and back.n_exp == 4 and not back.has_contour
    with np.load(path, allow_pickle=False) as z:  # readable without pickles
        assert str(z["format"]) == "talkbench-morphable-model"
    np.savez(tmp_path / "mm.npz", format="talkbench-morphable-model", version=1, mean=TEMPLATE_68 * 1000,
             id_basis=np.zeros((68, 3, 0)), exp_basis=np.zeros((68, 3, 0)), id_std=np.zeros(0), exp_std=np.zeros(0))
    with pytest.raises(InputError, match="metres"):  # millimetres
        load_morphable_model(tmp_path / "mm.npz")
    np.savez(tmp_path / "flip.npz", format="talkbench-morphable-model", version=1, mean=TEMPLATE_68 * (1, -1, -1),
             id_basis=np.zeros((68, 3, 0)), exp_basis=np.zeros((68, 3, 0)), id_std=np.zeros(0), exp_std=np.zeros(0))
    with pytest.raises(InputError, match="axes"):  # y up, z out of the face: BFM's axes, not the head frame
        load_morphable_model(tmp_path / "flip.npz")
    with pytest.raises(InputError, match="no such file"):
        load_morphable_model(tmp_path / "absent.npz")


# ----------------------------------------------------------------------------- the official 3DMM_info.npy


N_VERT, C = 300, 4
D = np.diag([1.0, -1.0, -1.0])


def _official_files(root: Path) -> tuple[Path, dict, dict]:
    """A small 3DMM_info.npy + keys_info.npy with the official structure (BFM axes, micrometres, 100 id / 79 exp rows)."""
    rng = np.random.default_rng(3)
    keyinds = rng.permutation(N_VERT)[:68]
    verts = rng.normal(0.0, 40000.0, (N_VERT, 3))  # the rest of the mesh, µm
    verts[keyinds] = (TEMPLATE_68 @ D.T) * 1e6 + (1000.0, 2000.0, 3000.0)  # landmark vertices: the template in BFM axes
    mu_exp = rng.normal(0.0, 500.0, (N_VERT, 3))
    info = {"mu_shape": (verts - mu_exp).reshape(-1).astype(np.float32), "mu_exp": mu_exp.reshape(-1).astype(np.float32),
            "b_shape": rng.normal(0, 1e-2, (199, 3 * N_VERT)).astype(np.float32), "sig_shape": rng.uniform(1e5, 3e5, 199),
            "b_exp": rng.normal(0, 1e-2, (79, 3 * N_VERT)).astype(np.float32), "sig_exp": rng.uniform(1e5, 2e5, 79),
            "mu_tex": np.zeros(3 * N_VERT), "b_tex": np.zeros((199, 3 * N_VERT), np.float32), "sig_tex": np.ones(199)}
    left = np.concatenate([keyinds[:8, None], rng.integers(0, N_VERT, (8, C - 1))], 1)
    right = np.concatenate([keyinds[9:17, None], rng.integers(0, N_VERT, (8, C - 1))], 1)
    keys = {"keyinds": keyinds, "left_contour": left, "right_contour": right, "rigid_ids": np.arange(10)}
    root.mkdir(parents=True, exist_ok=True)
    np.save(root / "3DMM_info.npy", info, allow_pickle=True)  # as the official convert_BFM.py writes it
    np.save(root / "keys_info.npy", keys, allow_pickle=True)
    return root / "3DMM_info.npy", info, keys


def test_converter_reads_the_official_structure(tmp_path: Path) -> None:
    path, info, keys = _official_files(tmp_path / "3DMM")
    model = convert_3dmm_info(path)
    mu = (info["mu_shape"].astype(np.float64) + info["mu_exp"]).reshape(-1, 3)
    centre = mu.mean(0)  # the official origin: the centroid of the mean shape over all vertices
    k = keys["keyinds"]
    np.testing.assert_allclose(model.mean, ((mu[k] - centre) * 1e-6) @ D.T, atol=1e-9)
    expected_id = (info["b_shape"][:100].reshape(100, N_VERT, 3)[:, k] * info["sig_shape"][:100, None, None] * 1e-6) @ D.T
    np.testing.assert_allclose(model.id_basis, np.moveaxis(expected_id, 0, -1), rtol=1e-5, atol=1e-12)
    assert model.n_id == 100 and model.n_exp == 79 and (model.id_std == 1).all()
    assert model.contour_mean.shape == (17, C, 3) and model.contour_exp.shape == (17, C, 3, 79)
    np.testing.assert_allclose(model.contour_mean[:, 0], model.mean[:17], atol=1e-9)  # first candidates: the key vertices
    np.testing.assert_allclose(model.contour_mean[8], np.repeat(model.mean[8:9], C, 0), atol=1e-9)  # the chin stays
    mm = model.mean - model.mean.mean(0)
    np.testing.assert_allclose(mm, TEMPLATE_68 - TEMPLATE_68.mean(0), atol=1e-6)  # back in the head frame, metres

    # the official tracker's camera: decimetres (µm / 1e5), u = cx − f·X/Z, v = cy + f·Y/Z with the face at Z < 0.
    # The same head seen by talkbench's convention: pose D·R·D, translation D·t / 10 (metres), OpenCV projection.
    geo_dm = (mu[k] - centre) / 1e5
    r = _rot(20.0, -10.0, 5.0)
    t_dm = np.array([0.3, -0.2, -7.0])
    cam = geo_dm @ r.T + t_dm
    official = np.stack([320.0 - 900.0 * cam[:, 0] / cam[:, 2], 240.0 + 900.0 * cam[:, 1] / cam[:, 2]], -1)
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = D @ r @ D, D @ t_dm / 10.0
    k_cv = np.array([[900.0, 0.0, 320.0], [0.0, 900.0, 240.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(project_points(model.mean, pose[None], k_cv)[0], official, atol=1e-6)

    (tmp_path / "3DMM" / "keys_info.npy").unlink()
    with pytest.raises(InputError, match="keys_info.npy.*AD-NeRF") as info_err:
        convert_3dmm_info(path)
    assert "\n" not in str(info_err.value)


def test_converter_unpickles_numpy_arrays_only(tmp_path: Path) -> None:
    class Payload:
        def __reduce__(self):  # what a tampered file would do on np.load(allow_pickle=True)
            return (Path.touch, (tmp_path / "pwned",))

    evil = tmp_path / "3DMM_info.npy"
    with open(evil, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "|O", "fortran_order": False, "shape": ()})
        pickle.dump(np.array({"mu_shape": Payload()}, dtype=object), fh, protocol=3)
    with pytest.raises(InputError, match="refusing"):
        read_pickled_dict(evil)
    assert not (tmp_path / "pwned").exists()


def test_weights_install_converts_pins_and_resolves(bench_home: Path, tmp_path: Path) -> None:
    from talkbench.infra import weights
    from talkbench.cli.main import main

    with pytest.raises(WeightsMissing) as missing:
        resolve_morphable_model(None)
    message = str(missing.value)
    assert "\n" not in message and "01_MorphableModel.mat" in message and "https://faces.dmi.unibas.ch/bfm/" in message
    assert "bench weights install bfm2009_3dmm --from" in message and "3DMM_info.npy" in message
    path, _, _ = _official_files(tmp_path / "3DMM")
    assert main(["weights", "install", "bfm2009_3dmm", "--from", str(path)]) == 0
    state, detail = weights.status("bfm2009_3dmm")
    assert state == "installed" and "pinned at install" in detail
    model = resolve_morphable_model(None)
    assert model.name == "bfm2009_3dmm" and model.has_contour
    with np.load(weights.get_entry("bfm2009_3dmm").path, allow_pickle=False) as z:
        assert "mean" in z.files  # the installed file is the pickle-free format, not the official pickle


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
