"""NeRF preprocessing of a video card (bench/prepare/preprocess.py) and the official-data import (official_import.py)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile as sf

from talkbench.cli.main import main
from talkbench.prepare.official_import import head_pose_to_official, import_official, official_to_head_pose, parsing_masks
from talkbench.prepare.preprocess import (
    AUDIO_FEATURES_DEFAULT,
    PreprocessOptions,
    background_image,
    check_faces,
    clip_intrinsics,
    eye_aspect_ratio,
    fill_missing,
    head_region,
    load_audio_features,
    preprocess,
)
from talkbench.core.errors import InputError
from talkbench.io.video import write_video
from talkbench.core.types import SAMPLE_RATE

REPO = Path(__file__).resolve().parents[1]
SIZE, SECONDS = 128, 2.0


@pytest.fixture(scope="module")
def portrait():
    """The synthetic portrait, 2 s at 128 px (50 frames): a face mediapipe finds, with exact ground truth."""
    from talkbench.datasets import synthetic

    card = tomllib.loads((REPO / "datasets" / "synthetic-portrait.toml").read_text())
    card["generator"]["seconds"] = SECONDS
    return synthetic.generate_portrait(card, SIZE)


@pytest.fixture(scope="module")
def prepared(portrait, tmp_path_factory):
    """`bench data prepare --card may --video synthetic.mp4 --audio-features feats.npy`, run once; (code, stdout, clip, dirs)."""
    from talkbench.datasets.cards import load_dataset

    root = tmp_path_factory.mktemp("prepare")
    video, feats = root / "synthetic.mp4", root / "aud_ds.npy"
    write_video(video, portrait.frames, portrait.fps, portrait.audio)
    np.save(feats, np.random.default_rng(0).random((portrait.num_frames, 16, 29)).astype(np.float32))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCH_HOME", str(root / "home"))
        code = main(["data", "prepare", "--card", "may", "--video", str(video), "--audio-features", str(feats)])
        clip = load_dataset("may", "smoke")  # 128 px: the prepared clip as stored, not resized
    return code, clip, root


# ----------------------------------------------------------------------------- the video path


def test_cli_prepare_produces_every_key_like_the_synthetic_clip(prepared, portrait) -> None:
    code, clip, root = prepared
    assert code == 0
    t, h, w = portrait.num_frames, SIZE, SIZE
    assert clip.frames.shape == (t, h, w, 3) and len(clip.audio) == int(SECONDS * SAMPLE_RATE)
    ann = clip.annotations
    expected = {"landmarks": ((t, 68, 2), np.float32), "head_pose": ((t, 4, 4), np.float32),
                "head_mask": ((t, h, w), np.uint8), "torso_mask": ((t, h, w), np.uint8),
                "eye_ratio": ((t,), np.float32), "audio_features": ((t, 16, 29), np.float32)}
    for key, (shape, dtype) in expected.items():
        assert ann[key].shape == shape and ann[key].dtype == dtype, key
        if key in portrait.annotations:  # the same layout as the embedded synthetic clip
            assert portrait.annotations[key].dtype == dtype and portrait.annotations[key].shape == shape, key
    assert set(np.unique(ann["head_mask"])) <= {0, 1} and not np.any(ann["head_mask"] & ann["torso_mask"])
    assert set(clip.meta["intrinsics"]) == set(portrait.meta["intrinsics"])
    assert clip.meta["head_pose"]["rmse_px_mean"] < 2.0 and clip.meta["head_pose"]["settings"]["smooth"]["window"] == 7
    assert clip.meta["landmarks"]["frames_without_face"] == 0 and clip.meta["landmarks"]["backend"] == "mediapipe"
    assert clip.meta["audio_features"].startswith("DeepSpeech") and clip.meta["audio_features_source"]["shape"] == [t, 16, 29]
    assert background_image(clip).shape == (h, w, 3)
    assert np.allclose(np.linalg.det(ann["head_pose"][:, :3, :3]), 1.0, atol=1e-4)
    assert (root / "home" / "data" / "may" / "prepared" / "arrays.npz").is_file()


def test_prepared_clip_matches_the_ground_truth(prepared, portrait) -> None:
    from talkbench.face3d.template import pose_errors

    _, clip, _ = prepared
    ann, truth = clip.annotations, portrait.annotations
    err = pose_errors(ann["head_pose"], truth["head_pose"])
    # the generic face template under-estimates the flat synthetic head's yaw/pitch (talkbench.face3d.template)
    assert err["rotation_aligned_deg"]["mean"] < 6.0 and err["translation_aligned_mm"]["mean"] < 40.0

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        return float(((a > 0) & (b > 0)).sum() / ((a > 0) | (b > 0)).sum())

    assert iou(ann["head_mask"], truth["head_mask"]) > 0.75
    assert iou(ann["torso_mask"], truth["torso_mask"]) > 0.7
    assert np.mean(np.linalg.norm(ann["landmarks"] - truth["landmarks"], axis=-1)) < 4.0
    blinking = truth["blink"] > 0.5
    if blinking.any():
        assert ann["eye_ratio"][blinking].mean() < ann["eye_ratio"][~blinking].mean()


def test_resized_clip_scales_intrinsics_and_background(prepared, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.datasets.cards import resize_clip

    _, clip, _ = prepared
    big = resize_clip(clip.subclip(0, 3), 256)
    k, k0 = clip_intrinsics(big), clip.meta["intrinsics"]
    assert k["fx"] == pytest.approx(2 * k0["fx"]) and k["cx"] == pytest.approx(127.5) and k["width"] == 256
    assert background_image(big).shape == (256, 256, 3)


def test_background_of_a_clip_without_one_is_estimated(portrait) -> None:
    bg = background_image(portrait.subclip(0, 10))  # the synthetic clip stores none: median of uncovered pixels
    person = (portrait.annotations["head_mask"][:10] | portrait.annotations["torso_mask"][:10]) > 0
    free = ~person.any(0)
    assert bg.shape == (SIZE, SIZE, 3) and bg.dtype == np.uint8
    assert np.abs(bg[free].astype(int) - np.median(portrait.frames[:10][:, free], axis=0)).mean() < 3


def test_no_face_video_is_one_line_naming_the_file(tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "wall.mp4"
    yy, xx = np.mgrid[0:96, 0:96]
    frames = np.repeat(np.dstack([xx * 2, yy * 2, np.full_like(xx, 90)]).astype(np.uint8)[None], 12, axis=0)
    write_video(video, frames, 25, np.zeros(int(12 / 25 * SAMPLE_RATE), np.float32))
    assert main(["data", "prepare", "--card", "may", "--video", str(video)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("bench: error:")]
    assert len(err) == 1 and str(video) in err[0] and "no face found in any of its 12 frames" in err[0]
    # --no-annotate keeps the frames-and-audio-only preparation
    assert main(["data", "prepare", "--card", "may", "--video", str(video), "--no-annotate"]) == 0


def test_too_many_faceless_frames_names_the_first(portrait) -> None:
    frames = portrait.frames[:20].copy()
    frames[[3, 4, 9, 15]] = 128
    with pytest.raises(InputError) as info:
        preprocess(frames, "talk.mp4", PreprocessOptions(max_missing=0.1))
    msg = str(info.value)
    assert msg.startswith("talk.mp4: no face found in 4 of 20 frames") and "first at frames 3, 4, 9, 15" in msg
    assert "\n" not in msg


def test_faceless_frames_are_interpolated_and_counted() -> None:
    pts = np.zeros((5, 68, 2))
    pts[:, :, 0] = np.arange(5)[:, None] * 2.0
    found = np.array([True, False, True, False, False])
    filled = fill_missing(np.where(found[:, None, None], pts, np.nan), found)
    assert np.allclose(filled[:, 0, 0], [0, 2, 4, 4, 4])  # interpolated inside, held at the end
    check_faces(found | np.array([0, 1, 0, 0, 0], bool), "v.mp4", "mediapipe", 0.5)  # 2 of 5 allowed at 50 %
    with pytest.raises(InputError, match=r"v.mp4: no face found in any of its 2 frames"):
        check_faces(np.zeros(2, bool), "v.mp4", "mediapipe", 0.5)


# ----------------------------------------------------------------------------- pieces


def test_eye_aspect_ratio_formula() -> None:
    pts = np.zeros((68, 2))
    # image-left eye: corners 6 px apart, lids 2 px apart -> (2 + 2) / (2 * 6) = 1/3
    pts[36:42] = [(0, 0), (2, -1), (4, -1), (6, 0), (4, 1), (2, 1)]
    # image-right eye: closed (lids on the corner line) -> 0
    pts[42:48] = [(10, 0), (12, 0), (14, 0), (16, 0), (14, 0), (12, 0)]
    assert eye_aspect_ratio(pts) == pytest.approx(0.5 * (1 / 3 + 0))
    # p2-p6 and p3-p5 are summed: one lid pair open 4 px, the other 2 px, corners 10 px -> 6 / 20
    pts[42:48] = [(10, 0), (12, -2), (14, -1), (20, 0), (14, 1), (12, 2)]
    assert eye_aspect_ratio(pts) == pytest.approx(0.5 * (1 / 3 + 6 / 20))
    # rotation and scale invariant
    rot = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    assert eye_aspect_ratio(3 * pts @ rot.T + 7) == pytest.approx(eye_aspect_ratio(pts))
    assert eye_aspect_ratio(np.stack([pts, pts])).shape == (2,)


def test_head_region_covers_hair_above_and_stays_off_the_shoulders(portrait) -> None:
    pts = portrait.annotations["landmarks"][0].astype(np.float64)
    region = head_region(pts, (SIZE, SIZE))
    chin_y, eye_y = pts[8, 1], pts[36:48, 1].mean()
    top = np.flatnonzero(region.any(axis=1))[0]
    assert top < eye_y - 1.2 * (chin_y - eye_y)  # the dome reaches well above the brows
    assert not region[int(chin_y) + 3 :].any()  # nothing below the chin
    assert head_region(pts, (SIZE, SIZE), hair_height=0.5).sum() < region.sum()


def test_audio_feature_files_are_checked(tmp_path: Path) -> None:
    good = tmp_path / "aud_hu.npy"
    np.save(good, np.zeros((51, 2, 1024), np.float32))
    feats, meta, notes = load_audio_features(good, 50)
    assert feats.shape == (50, 2, 1024) and meta["kind"] == "HuBERT" and "trimmed" in notes[0]
    np.save(good, np.zeros((80, 4), np.float32))
    with pytest.raises(InputError, match=r"aud_hu.npy: 80 feature rows for 50 frames"):
        load_audio_features(good, 50)


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
        pose = official_to_head_pose(_official_transform(euler, trans))
        x = (pts_dm / 10.0) @ FLIP3 @ pose[:3, :3].T + pose[:3, 3]  # talkbench head frame: y, z flipped; metres
        uv = f * x[:, :2] / x[:, 2:3] + (cx - 0.5, cy - 0.5)  # talkbench pixel centres at integers
        assert np.allclose(uv, _tracker_project(pts_dm, euler, trans, f, cx, cy) - 0.5, atol=1e-6)
        assert np.allclose(head_pose_to_official(pose), _official_transform(euler, trans), atol=1e-12)
    frontal = official_to_head_pose(_official_transform(np.zeros(3), np.array([0.0, 0.0, -7.0])))
    assert np.allclose(frontal, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.7], [0, 0, 0, 1]])


def _official_dir(root: Path, portrait, n: int = 8, n_train: int = 6) -> tuple[Path, np.ndarray]:
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
        frames.append({"img_id": i, "aud_id": i, "transform_matrix": head_pose_to_official(poses[i]).tolist()})
    for name, part in (("train", frames[:n_train]), ("val", frames[n_train:])):
        (root / f"transforms_{name}.json").write_text(json.dumps({"focal_len": f, "cx": SIZE / 2, "cy": SIZE / 2, "frames": part}))
    cv2.imwrite(str(root / "bc.jpg"), np.full((SIZE, SIZE, 3), 200, np.uint8))
    sf.write(root / "aud.wav", portrait.audio[: int((n + 3) / 25 * SAMPLE_RATE)], SAMPLE_RATE)
    np.save(root / "aud_ds.npy", rng.random((n - 1, 16, 29)).astype(np.float32))  # one row short: clamped
    rows = [" frame, face_id, timestamp, confidence, success, AU01_r, AU45_r"]
    rows += [f"{i + 1}, 0, {i * 0.04:.2f}, 0.98, 1, 0.1, {v}" for i, v in enumerate([0, 0.5, 1, 3, 0, 0, 2, 4])]
    (root / "au.csv").write_text("\n".join(rows) + "\n")
    return root, poses


def test_official_import_round_trip(portrait, tmp_path: Path, bench_home: Path) -> None:
    root, poses = _official_dir(tmp_path / "obama", portrait)
    clip, notes = import_official("obama", root, out_dir=tmp_path / "out")
    ann = clip.annotations
    assert clip.num_frames == 8 and clip.n_train == 6 and len(clip.audio) == 8 * 640
    assert np.allclose(ann["head_pose"], poses, atol=1e-5)
    k = clip.meta["intrinsics"]
    assert k["fx"] == pytest.approx(portrait.meta["intrinsics"]["fx"]) and k["cx"] == pytest.approx(63.5) == k["cy"]
    assert np.array_equal(ann["head_mask"], portrait.annotations["head_mask"][:8])
    assert np.array_equal(ann["torso_mask"], portrait.annotations["torso_mask"][:8])  # neck + clothes
    assert np.allclose(ann["landmarks"], portrait.annotations["landmarks"][:8], atol=1e-4)
    ds = np.load(root / "aud_ds.npy")
    assert np.array_equal(ann["audio_features"][:7], ds) and np.array_equal(ann["audio_features"][7], ds[6])
    assert clip.meta["audio_features"].startswith("DeepSpeech") and any("clamped" in n for n in notes)
    assert np.allclose(ann["blink"], [0, 0.25, 0.5, 1, 0, 0, 1, 1])
    assert ann["eye_ratio"].shape == (8,) and np.all(ann["eye_ratio"] > 0)
    assert np.abs(background_image(clip).astype(int) - 200).max() <= 2
    # the conversion recorded and reversible from what was stored
    again = json.loads((root / "transforms_val.json").read_text())["frames"][0]["transform_matrix"]
    assert np.allclose(head_pose_to_official(ann["head_pose"][6]), again, atol=1e-5)


def test_official_import_cli_and_errors(portrait, tmp_path: Path, bench_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.datasets.cards import get_card, prepared_dir
    from talkbench.io.clip_store import load_clip

    root, _ = _official_dir(tmp_path / "may_official", portrait, n=4, n_train=3)
    (root / "aud_ds.npy").unlink()
    assert main(["data", "prepare", "--card", "may", "--official-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "prepared may: 4 frames" in out and "3 train / 1 test" in out and "head_pose [4, 4, 4]" in out
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
