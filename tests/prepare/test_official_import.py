"""`bench data prepare --official-dir` (bench/prepare/official_import.py): data made by the official ER-NeRF /
AD-NeRF scripts, with the pose-convention conversion checked against the official tracker's projection."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile as sf

from talkbench.cli.main import main
from talkbench.core.types import SAMPLE_RATE
from talkbench.datasets.clip_meta import background_image
from talkbench.geometry.camera import pose_from_opengl, pose_to_opengl
from talkbench.prepare.official_import import import_official, parsing_masks
from talkbench.prepare.passes.audio_features import AUDIO_FEATURES_DEFAULT
from tests.prepare import SIZE

# ----------------------------------------------------------------------------- the official import

FLIP3 = np.diag([1.0, -1.0, -1.0])


def _tracker_rotation(euler: np.ndarray) -> np.ndarray:
    """The official face tracker's euler2rot: Rx(θ) · Ry(φ) · Rz(ψ)."""
    t, p, s = euler
    rx = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    ry = np.array([[np.cos(p), 0, np.sin(p)], [0, 1, 0], [-np.sin(p), 0, np.cos(p)]])
    rz = np.array([[np.cos(s), -np.sin(s), 0], [np.sin(s), np.cos(s), 0], [0, 0, 1]])
    return rx @ ry @ rz


def _official_transform(euler: np.ndarray, trans_dm: np.ndarray) -> np.ndarray:
    """transform_matrix as the official save_transforms writes it: [Rᵀ | −Rᵀ t/10]."""
    r = _tracker_rotation(euler)
    c = np.eye(4)
    c[:3, :3] = r.T
    c[:3, 3] = -r.T @ (trans_dm / 10.0)
    return c


def _tracker_project(points_dm: np.ndarray, euler: np.ndarray, trans_dm: np.ndarray, f: float, cx: float, cy: float) -> np.ndarray:
    """The official tracker's projection of 3DMM points (decimetres): u = cx − f X/Z, v = cy + f Y/Z."""
    x = points_dm @ _tracker_rotation(euler).T + trans_dm
    return np.stack([cx - f * x[:, 0] / x[:, 2], cy + f * x[:, 1] / x[:, 2]], axis=1)


def test_official_pose_conversion_matches_the_tracker_projection() -> None:
    rng = np.random.default_rng(3)
    pts_dm = rng.normal(0, 0.6, (30, 3))  # points of a 3DMM-sized head (decimetres)
    f, cx, cy = 1100.0, 256.0, 256.0
    for _ in range(5):
        euler = rng.uniform(-0.3, 0.3, 3)
        trans = np.array([rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(-8, -6)])
        pose = pose_from_opengl(_official_transform(euler, trans))
        x = (pts_dm / 10.0) @ FLIP3 @ pose[:3, :3].T + pose[:3, 3]  # talkbench head frame: y, z flipped; metres
        uv = f * x[:, :2] / x[:, 2:3] + (cx - 0.5, cy - 0.5)  # talkbench pixel centres at integers
        assert np.allclose(uv, _tracker_project(pts_dm, euler, trans, f, cx, cy) - 0.5, atol=1e-6)
        assert np.allclose(pose_to_opengl(pose), _official_transform(euler, trans), atol=1e-12)
    frontal = pose_from_opengl(_official_transform(np.zeros(3), np.array([0.0, 0.0, -7.0])))
    assert np.allclose(frontal, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.7], [0, 0, 0, 1]])


def _official_dir(root: Path, portrait, n: int = 11, n_train: int = 6) -> tuple[Path, np.ndarray]:
    """A small official-format directory from the synthetic clip's first frames; returns it and the true poses."""
    (root / "ori_imgs").mkdir(parents=True)
    (root / "parsing").mkdir()
    rng = np.random.default_rng(1)
    poses = portrait.annotations["head_pose"][:n].astype(np.float64)
    f = portrait.meta["intrinsics"]["fx"]
    frames = []
    for i in range(n):
        cv2.imwrite(str(root / "ori_imgs" / f"{i}.jpg"), cv2.cvtColor(portrait.frames[i], cv2.COLOR_RGB2BGR))
        np.savetxt(root / "ori_imgs" / f"{i}.lms", portrait.annotations["landmarks"][i], "%f")
        parse = np.full((SIZE, SIZE, 3), 255, np.uint8)  # BGR, as their cv2.imwrite stores it
        torso = portrait.annotations["torso_mask"][i] > 0
        parse[torso] = (0, 0, 255)  # clothes
        parse[torso & (np.arange(SIZE)[:, None] < 90)] = (0, 255, 0)  # the upper torso painted as neck
        parse[portrait.annotations["head_mask"][i] > 0] = (255, 0, 0)
        cv2.imwrite(str(root / "parsing" / f"{i}.png"), parse)
        frames.append({"img_id": i, "aud_id": i, "transform_matrix": pose_to_opengl(poses[i]).tolist()})
    for name, part in (("train", frames[:n_train]), ("val", frames[n_train:])):
        (root / f"transforms_{name}.json").write_text(json.dumps({"focal_len": f, "cx": SIZE / 2, "cy": SIZE / 2, "frames": part}))
    cv2.imwrite(str(root / "bc.jpg"), np.full((SIZE, SIZE, 3), 200, np.uint8))
    sf.write(root / "aud.wav", portrait.audio[: int((n + 3) / 25 * SAMPLE_RATE)], SAMPLE_RATE)
    np.save(root / "aud_ds.npy", rng.random((n - 1, 16, 29)).astype(np.float32))  # one row short: clamped
    rows = [" frame, face_id, timestamp, confidence, success, AU01_r, AU45_r"]
    rows += [f"{i + 1}, 0, {i * 0.04:.2f}, 0.98, 1, 0.1, {v}" for i, v in enumerate([0, 0.5, 1, 3, 0, 0, 2, 4, 0, 0, 0][:n])]
    (root / "au.csv").write_text("\n".join(rows) + "\n")
    return root, poses


def test_official_import_round_trip(portrait, tmp_path: Path, bench_home: Path) -> None:
    root, poses = _official_dir(tmp_path / "obama", portrait)
    clip, notes = import_official("obama", root, out_dir=tmp_path / "out")
    ann = clip.annotations
    assert clip.num_frames == 11 and clip.n_train == 6 and len(clip.audio) == 11 * 640
    assert np.allclose(ann["head_pose"], poses, atol=1e-5)
    k = clip.meta["intrinsics"]
    assert k["fx"] == pytest.approx(portrait.meta["intrinsics"]["fx"]) and k["cx"] == pytest.approx(63.5) == k["cy"]
    assert np.array_equal(ann["head_mask"], portrait.annotations["head_mask"][:11])
    assert np.array_equal(ann["torso_mask"], portrait.annotations["torso_mask"][:11])  # neck + clothes
    assert np.allclose(ann["landmarks"], portrait.annotations["landmarks"][:11], atol=1e-4)
    ds = np.load(root / "aud_ds.npy")
    assert np.array_equal(ann["audio_features"][:10], ds) and np.array_equal(ann["audio_features"][10], ds[9])
    assert clip.meta["audio_features"].startswith("DeepSpeech") and any("clamped" in n for n in notes)
    assert np.allclose(ann["blink"], [0, 0.25, 0.5, 1, 0, 0, 1, 1, 0, 0, 0])
    assert ann["eye_ratio"].shape == (11,) and np.all(ann["eye_ratio"] > 0)
    assert np.abs(background_image(clip).astype(int) - 200).max() <= 2
    # the conversion recorded and reversible from what was stored
    again = json.loads((root / "transforms_val.json").read_text())["frames"][0]["transform_matrix"]
    assert np.allclose(pose_to_opengl(ann["head_pose"][6]), again, atol=1e-5)


def test_official_import_cli_and_errors(portrait, tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.datasets.cards import get_card, prepared_dir
    from talkbench.io.clip_store import load_clip

    short, _ = _official_dir(tmp_path / "short_official", portrait, n=5, n_train=3)
    assert main(["data", "prepare", "--card", "may", "--official-dir", str(short)]) == 1
    assert "transforms_val.json: 2 test frames; a test split needs at least 5" in capsys.readouterr().err
    root, _ = _official_dir(tmp_path / "may_official", portrait, n=8, n_train=3)
    (root / "aud_ds.npy").unlink()
    assert main(["data", "prepare", "--card", "may", "--official-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "prepared may: 8 frames" in out and "3 train / 5 test" in out and "head_pose [8, 4, 4]" in out
    stored = load_clip(prepared_dir(get_card("may")))
    assert stored.meta["audio_features"] == AUDIO_FEATURES_DEFAULT and "audio_features" not in stored.annotations
    data = json.loads((root / "transforms_train.json").read_text())
    data["frames"][1]["img_id"] = 5
    (root / "transforms_train.json").write_text(json.dumps(data))
    assert main(["data", "prepare", "--card", "may", "--official-dir", str(root)]) == 1
    err = capsys.readouterr().err
    assert "frames must be consecutive" in err and str(root) in err
    assert main(["data", "prepare", "--card", "may", "--official-dir", str(tmp_path / "nowhere")]) == 1
    assert "nowhere: no such directory" in capsys.readouterr().err


def test_parsing_colours() -> None:
    bgr = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [250, 3, 2]]], np.uint8)
    head, torso = parsing_masks(bgr)
    assert head.tolist() == [[True, False, False, False, True]] and torso.tolist() == [[False, True, True, False, False]]


def test_official_import_for_a_method_adds_only_what_the_scripts_do_not_make(portrait, tmp_path: Path, bench_home: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.datasets.cards import get_card, prepared_dir
    from talkbench.io.clip_store import load_clip

    root, _ = _official_dir(tmp_path / "may_official", portrait, n=8, n_train=3)
    assert main(["data", "prepare", "--card", "may", "--official-dir", str(root), "--for", "er-nerf"]) == 0
    assert "passes run for er-nerf: none (nothing was missing)" in capsys.readouterr().out
    stored = load_clip(prepared_dir(get_card("may")))
    assert stored.meta["preprocess"]["official_import"] and "seconds" not in stored.meta["preprocess"]
