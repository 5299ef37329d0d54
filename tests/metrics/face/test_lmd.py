"""LMD (metrics/face/lmd.py): the distance arithmetic, the missing-face policies, both landmark backends through the
metric, and the baselines told apart on the smoke portrait."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkbench.core.metric import MetricContext
from talkbench.core.types import Video
from talkbench.metrics.face.lmd import LMD, centred_distance, fill_previous, lmd_from_landmarks
from tests.kit.faces import astronaut_face  # noqa: F401


def _points(t: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(20, 100, size=(t, 68, 2))


def test_centred_distance_by_hand() -> None:
    ref = np.array([[[0.0, 0.0], [2.0, 0.0]]])
    # Shifted by (5, 5) and widened: centred sets are (-1,0),(1,0) vs (-2,0),(2,0) -> each point 1 px off.
    pred = np.array([[[3.0, 5.0], [7.0, 5.0]]])
    assert centred_distance(pred, ref) == pytest.approx([1.0])


def test_lmd_ignores_translation_but_not_scale_or_rotation() -> None:
    ref = _points()
    assert lmd_from_landmarks(ref + np.array([13.0, -7.0]), ref).value == pytest.approx(0.0, abs=1e-12)
    centre = ref.mean(axis=1, keepdims=True)
    assert lmd_from_landmarks(centre + 1.1 * (ref - centre), ref).value > 0.1
    theta = np.deg2rad(5)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    assert lmd_from_landmarks(centre + (ref - centre) @ rot.T, ref).value > 0.1


def test_region_selects_the_mouth_points() -> None:
    ref = _points()
    pred = ref.copy()
    pred[:, :48] += np.random.default_rng(1).normal(0, 5, size=(4, 48, 2))  # only non-mouth points move
    assert lmd_from_landmarks(pred, ref, region="mouth").value == pytest.approx(0.0, abs=1e-12)
    assert lmd_from_landmarks(pred, ref, region="face").value > 1.0


def test_missing_face_policies() -> None:
    ref = _points(5)
    pred = ref.copy()
    pred[2] += 3.0 * np.random.default_rng(2).normal(size=(68, 2))  # a frame that differs ...
    pred[[0, 2]] = np.nan  # ... and is then lost, as is the first frame
    filled = fill_previous(pred)
    assert np.array_equal(filled[0], pred[1]) and np.array_equal(filled[2], pred[1])
    previous = lmd_from_landmarks(pred, ref, missing_face="previous")
    assert previous.missing_pred == 2 and previous.frames_used == 5
    expected = centred_distance(filled[:, 48:], ref[:, 48:]).mean()
    assert previous.value == pytest.approx(expected)
    dropped = lmd_from_landmarks(pred, ref, missing_face="drop")
    assert dropped.frames_used == 3 and dropped.value == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(dropped.per_frame[[0, 2]]).all()


def test_no_face_at_all_is_unavailable_not_zero() -> None:
    grey = Video(np.full((3, 96, 96, 3), 128, np.uint8), 25.0, source="grey.mp4")
    result = LMD().compute(grey, grey)
    assert not result.available and result.value is None
    assert "no face" in result.unavailable_reason and "mediapipe" in result.unavailable_reason


def test_identical_videos_score_zero_and_record_the_protocol(astronaut_face: np.ndarray) -> None:
    frames = np.stack([astronaut_face, np.roll(astronaut_face, 3, axis=1)])
    video = Video(frames, 25.0, source="a.mp4")
    result = LMD().compute(video, Video(frames.copy(), 25.0, source="b.mp4"))
    assert result.available and result.value == 0.0
    assert result.details["landmarks"] == "mediapipe" and result.details["region"] == "mouth"
    assert result.details["missing_face"] == "previous" and result.details["frames_without_face_pred"] == 0
    assert result.details["backend_settings"]["static_image_mode"] is True


def test_a_moved_mouth_scores_worse(astronaut_face: np.ndarray) -> None:
    # Stretch the lower face vertically: the mouth opens/moves relative to itself -> LMD > 0.
    import cv2

    ref = astronaut_face
    lower = ref[130:200]
    stretched = ref.copy()
    stretched[130:200] = cv2.resize(lower, (lower.shape[1], 84))[:70]
    result = LMD().compute(Video(stretched[None], 25.0), Video(ref[None], 25.0))
    assert result.available and result.value > 0.2


def test_fan_without_weights_is_unavailable_with_the_install_command(bench_home: Path, astronaut_face: np.ndarray) -> None:
    video = Video(astronaut_face[None], 25.0)
    result = LMD().compute(video, video, MetricContext(options={"landmarks": "fan"}))
    assert not result.available
    assert "bench weights install fan_s3fd" in result.unavailable_reason
    assert result.details["landmarks"] == "fan"


@pytest.mark.slow
def test_static_has_a_worse_lmd_than_retrieval_on_the_smoke_portrait(bench_home: Path) -> None:
    """The issue's check on the real smoke card (128 px, 50 test frames): retrieval follows the mouth."""
    from talkbench.harness.driver import run_jobs
    from talkbench.harness.jobs import JobSpec
    from talkbench.harness.store import Store

    outcomes = run_jobs([JobSpec(method=m, dataset="synthetic-portrait", metrics=("lmd",))
                         for m in ("oracle", "static", "retrieval")], Store())
    oracle, static, retrieval = (o.metrics["lmd"] for o in outcomes)
    assert oracle.value == 0.0
    assert retrieval.value < 0.85 * static.value
    assert (retrieval.per_item < static.per_item).mean() > 0.6
