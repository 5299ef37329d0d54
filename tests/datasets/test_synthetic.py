"""The embedded synthetic-portrait generator (datasets/synthetic.py) and its wild variant."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.types import SAMPLE_RATE
from talkbench.datasets.synthetic import generate_portrait

CARDS = Path(__file__).resolve().parents[2] / "datasets"
SECONDS = 4.0
RES = 80


def _card(name: str, seconds: float = SECONDS) -> dict:
    card = tomllib.loads((CARDS / f"{name}.toml").read_text())
    card = copy.deepcopy(card)
    card["generator"]["seconds"] = seconds
    return card


@pytest.fixture(scope="module")
def clip():
    return generate_portrait(_card("synthetic-portrait"), RES)


@pytest.fixture(scope="module")
def wild():
    return generate_portrait(_card("synthetic-portrait-wild"), RES)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.asarray(a, float), np.asarray(b, float))[0, 1])


def _frame_rms(audio: np.ndarray, n: int, fps: float) -> np.ndarray:
    spf = SAMPLE_RATE / fps
    return np.array([np.sqrt(np.mean(audio[int(i * spf) : int((i + 1) * spf)].astype(float) ** 2)) for i in range(n)])


def test_deterministic(clip):
    again = generate_portrait(_card("synthetic-portrait"), RES)
    assert np.array_equal(clip.frames, again.frames)
    assert np.array_equal(clip.audio, again.audio)
    assert clip.annotations.keys() == again.annotations.keys()
    for key in clip.annotations:
        assert np.array_equal(clip.annotations[key], again.annotations[key]), key


def test_shapes_dtypes_and_lengths(clip):
    T = int(round(SECONDS * 25))
    assert clip.frames.shape == (T, RES, RES, 3) and clip.frames.dtype == np.uint8
    assert clip.audio.dtype == np.float32 and clip.audio.shape == (int(round(T / clip.fps * SAMPLE_RATE)),)
    assert clip.n_train == int(T * 10 / 11)
    a = clip.annotations
    assert a["mouth_open"].shape == (T,) and a["mouth_open"].dtype == np.float32
    assert a["blink"].shape == (T,) and a["blink"].dtype == np.float32
    assert a["head_pose"].shape == (T, 4, 4) and a["head_pose"].dtype == np.float32
    assert a["landmarks"].shape == (T, 68, 2) and a["landmarks"].dtype == np.float32
    for key in ("head_mask", "torso_mask"):
        assert a[key].shape == (T, RES, RES) and a[key].dtype == np.uint8 and set(np.unique(a[key])) <= {0, 1}
    assert 0 <= a["mouth_open"].min() and a["mouth_open"].max() <= 1
    assert 0 <= a["blink"].min() and a["blink"].max() <= 1
    assert a["blink"].max() > 0.9  # a blink happens within 4 s (first one within 2 s)
    intr = clip.meta["intrinsics"]
    assert intr["fx"] > 0 and intr["width"] == RES and abs(intr["cx"] - (RES - 1) / 2) < 1e-9
    assert "astronaut" in clip.meta["source_image"] and clip.meta["speech_sources"] == ["espeak"]
    assert float(np.max(np.abs(clip.audio))) == pytest.approx(0.9, abs=1e-3)


def test_mouth_follows_speech(clip):
    T = clip.num_frames
    mo = clip.annotations["mouth_open"]
    assert _corr(mo, _frame_rms(clip.audio, T, clip.fps)) > 0.5
    # darkness in the mouth box (around the inner-lip landmarks) follows the opening
    lm = clip.annotations["landmarks"]
    dark = []
    for i in range(T):
        cx, cy = lm[i, 60:68].mean(axis=0)
        half = max(2, int(round(0.06 * RES)))
        box = clip.frames[i, int(cy) - half + 1 : int(cy) + half + 2, int(cx) - half : int(cx) + half + 1].astype(float)
        dark.append(255.0 - box.mean())
    assert _corr(mo, dark) > 0.5
    # mouth landmark opening (62 ↔ 66) grows with the opening
    gap = np.linalg.norm(lm[:, 66] - lm[:, 62], axis=1)
    assert _corr(mo, gap) > 0.9
    assert gap[np.argmax(mo)] > gap[np.argmin(mo)] + 0.03 * RES * mo.max()


def test_landmarks_inside_frame_and_in_order(clip):
    lm = clip.annotations["landmarks"]
    assert np.isfinite(lm).all()
    assert lm.min() >= 0 and lm.max() <= RES - 1
    mean = lm.mean(axis=0)
    assert mean[36:42, 0].mean() < mean[42:48, 0].mean()  # image-left eye first
    assert mean[36:48, 1].mean() < mean[30, 1] < mean[48:68, 1].mean() < mean[8, 1]  # eyes, nose, mouth, chin
    # landmarks lie on the rendered head
    hm = clip.annotations["head_mask"]
    xi, yi = np.clip(np.rint(lm).astype(int), 0, RES - 1).transpose(2, 0, 1)
    inside = hm[np.arange(clip.num_frames)[:, None], yi, xi]
    assert inside[:, 17:].mean() > 0.98


def test_head_pose_is_rigid_and_moves(clip):
    poses = clip.annotations["head_pose"].astype(np.float64)
    R = poses[:, :3, :3]
    assert np.allclose(R @ R.transpose(0, 2, 1), np.eye(3), atol=1e-5)
    assert np.allclose(np.linalg.det(R), 1.0, atol=1e-5)
    assert np.allclose(poses[:, 3], [0, 0, 0, 1])
    yaw = np.degrees(np.arctan2(R[:, 0, 2], R[:, 2, 2]))
    assert np.abs(yaw).max() <= 8.0 + 1e-3 and yaw.std() > 0.5
    assert poses[:, 2, 3].min() > 0  # in front of the camera
    assert np.ptp(poses[:, 0, 3]) > 0
    # the head pixels actually move
    assert np.abs(clip.frames[0].astype(int) - clip.frames[-1].astype(int)).mean() > 2


def test_landmarks_are_the_pose_projection(clip):
    """Rigid points (nose bridge, brows) are one fixed head-frame point projected with each frame's pose."""
    intr = clip.meta["intrinsics"]
    f, cx, cy = intr["fx"], intr["cx"], intr["cy"]
    poses = clip.annotations["head_pose"].astype(np.float64)
    R, t = poses[:, :3, :3], poses[:, :3, 3]
    for k in (19, 24, 27, 30):
        uv = clip.annotations["landmarks"][:, k].astype(np.float64)
        a = np.concatenate([((uv[:, 0] - cx) / f)[:, None] * R[:, 2] - R[:, 0], ((uv[:, 1] - cy) / f)[:, None] * R[:, 2] - R[:, 1]])
        b = np.concatenate([t[:, 0] - (uv[:, 0] - cx) / f * t[:, 2], t[:, 1] - (uv[:, 1] - cy) / f * t[:, 2]])
        X = np.linalg.lstsq(a, b, rcond=None)[0]
        Pc = R @ X + t
        reproj = np.stack([f * Pc[:, 0] / Pc[:, 2] + cx, f * Pc[:, 1] / Pc[:, 2] + cy], axis=1)
        assert np.abs(reproj - uv).max() < 0.02, k


def test_wild_occluders_only_where_masked(wild):
    clean = wild.annotations["clean_frames"]
    mask = wild.annotations["occluder_mask"]
    assert clean.shape == wild.frames.shape and clean.dtype == np.uint8
    assert mask.shape == wild.frames.shape[:3] and mask.dtype == np.uint8
    differs = np.any(wild.frames != clean, axis=-1)
    assert not np.any(differs & (mask == 0))  # tolerance 0
    assert differs.sum() > 0.5 * mask.sum()
    occluded = mask.reshape(wild.num_frames, -1).sum(1) > 0
    assert occluded[: wild.n_train].any(), "no occluded training frame"
    assert occluded[wild.n_train :].any(), "no occluded frame in the test split"
    # the hand stays off the face
    assert not np.any(mask & wild.annotations["head_mask"])
    clean_clip = generate_portrait(_card("synthetic-portrait"), RES)
    assert np.array_equal(clean_clip.frames, clean)


def test_wild_noise_segments_hit_the_snr(wild):
    clean = wild.audio_tracks["clean"]
    assert clean.shape == wild.audio.shape and wild.audio.dtype == np.float32
    info = wild.meta["wild"]
    assert float(np.max(np.abs(wild.audio))) <= 1.0
    segments = info["noise_segments"]
    assert {s["type"] for s in segments} == set(info["noise_types"][: len(segments)])
    for seg in segments:
        c = clean[seg["start"] : seg["stop"]].astype(np.float64)
        n = wild.audio[seg["start"] : seg["stop"]].astype(np.float64) - c
        snr = 10 * np.log10(np.sum(c**2) / np.sum(n**2))
        assert abs(snr - info["snr_db"]) < 0.5, (seg["type"], snr)
