"""Face tracks (`talkbench.metrics.sync.tracks`): run_pipeline.py's linking, interpolation, length and size tests."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.metrics.sync.tracks import Detection, iou, link_tracks, track_shot


def _moving(frames: range, x0: float = 10.0, step: float = 2.0, size: float = 40.0, skip: tuple[int, ...] = ()):
    return {f: (x0 + step * f, 20.0, x0 + step * f + size, 20.0 + size) for f in frames if f not in skip}


def _dets(n: int, *faces: dict[int, tuple[float, float, float, float]]) -> list[list[Detection]]:
    return [[Detection(f, face[f], 0.99) for face in faces if f in face] for f in range(n)]


def test_track_interpolates_a_missed_detection_and_drops_a_short_track() -> None:
    main = _moving(range(12), skip=(5,))
    blip = {f: (150.0, 150.0, 190.0, 190.0) for f in (2, 3, 4)}
    cands = track_shot(_dets(12, main, blip), min_track=5, min_face_size=30)
    kept = [c for c in cands if c.kept]
    dropped = [c for c in cands if not c.kept]
    assert len(kept) == 1 and len(dropped) == 1
    track = kept[0].track
    np.testing.assert_array_equal(track.frames, np.arange(12))
    assert track.detections == 11
    np.testing.assert_allclose(track.bboxes[5], [20.0, 20.0, 60.0, 60.0])  # halfway between frames 4 and 6
    assert dropped[0].track.detections == 3 and "min_track=5" in dropped[0].reason


def test_track_length_test_is_strict_and_size_test_applies() -> None:
    face = _moving(range(6))
    assert not track_shot(_dets(6, face), min_track=6, min_face_size=30)[0].kept  # 6 detections, not > 6
    assert track_shot(_dets(6, face), min_track=5, min_face_size=30)[0].kept
    small = track_shot(_dets(6, face), min_track=5, min_face_size=40)[0]  # 40 px is not > 40
    assert not small.kept and "min_face_size=40" in small.reason


def test_track_breaks_on_long_gaps_and_low_iou() -> None:
    still = {f: (10.0, 10.0, 50.0, 50.0) for f in list(range(10)) + list(range(40, 50))}
    tracks = link_tracks(_dets(50, still))
    assert [len(t) for t in tracks] == [10, 10]  # 30 frames apart > num_failed_det 25
    jump = {f: (10.0 + (60.0 if f >= 5 else 0.0), 10.0, 50.0 + (60.0 if f >= 5 else 0.0), 50.0) for f in range(10)}
    assert [len(t) for t in link_tracks(_dets(10, jump))] == [5, 5]
    within = {f: (10.0, 10.0, 50.0, 50.0) for f in (0, 25)}  # exactly num_failed_det apart still links
    assert [len(t) for t in link_tracks(_dets(26, within))] == [2]


def test_track_skips_the_face_after_a_claimed_one_like_run_pipeline() -> None:
    # Three overlapping boxes in frame 0 (as if NMS had let them through): the first starts a
    # track, the second is not looked at in that pass, the third overlaps the first and joins.
    a, b, c = (10.0, 10.0, 50.0, 50.0), (11.0, 10.0, 51.0, 50.0), (12.0, 10.0, 52.0, 50.0)
    frame0 = [Detection(0, a), Detection(0, b), Detection(0, c)]
    tracks = link_tracks([frame0, [Detection(1, a)]])
    assert [[d.bbox for d in t] for t in tracks] == [[a, c, a], [b]]


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0
