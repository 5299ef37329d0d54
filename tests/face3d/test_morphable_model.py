"""The morphable-model format (face3d/morphable_model.py): the pickle-free file, the converter of the official
3DMM_info.npy, and the installed weights entry."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import InputError, WeightsMissing
from talkbench.face3d.morphable_model import (
    convert_3dmm_info,
    load_morphable_model,
    read_pickled_dict,
    resolve_morphable_model,
    save_morphable_model,
)
from talkbench.face3d.template import TEMPLATE_68
from talkbench.geometry.camera import project_points
from tests.kit.face3d import rotation as _rot, synthetic_model as _model


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
    from talkbench.cli.main import main
    from talkbench.infra import weights

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
