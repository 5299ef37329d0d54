"""The whole LSE pipeline (`talkbench.metrics.sync.evaluation.evaluate_lse`) with test doubles for the networks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from talkbench.metrics.sync.evaluation import SyncModels, evaluate_lse
from talkbench.metrics.sync.scoring import lse_from_crops
from talkbench.zoo.syncnet import float_to_int16
from tests.metrics.sync import marker_detector as _marker_detector
from tests.metrics.sync import textured_frames as _textured_frames


class _TinySync:
    """A SyncNet stand-in: lip feature = per-channel, per-frame crop means; audio feature = MFCC means."""

    def to(self, device):
        return self

    def eval(self):
        return self

    def forward_lip(self, x):
        return x.mean(dim=(3, 4)).flatten(1)[:, :13]  # [B, 3, 5] -> first 13 values

    def forward_aud(self, x):
        return x.mean(dim=3).flatten(1) * 0.1  # [B, 1, 13, 20] -> [B, 13]


def _pipeline_clip():
    frames = _textured_frames(30, 128, seed=9)
    frames[:, 0, 0, 0] = 0
    marked = [f for f in range(3, 30) if f != 10]  # no face in frames 0-2; a missed detection at 10
    frames[marked, 0, 0, 0] = 255
    audio = np.random.default_rng(9).normal(0, 0.1, 30 * 640).astype(np.float32)
    return frames, audio


def test_evaluate_lse_pipeline_crops_and_audio_slice() -> None:
    import cv2

    frames, audio = _pipeline_clip()
    models = SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = evaluate_lse(frames, audio, 25.0, 16000, min_track=10, min_face_size=30, models=models)
    assert ev.available and ev.reason is None
    assert ev.frames == 30 and ev.frames_with_detection == 26 and ev.shots == [(0, 30)]
    assert ev.tracks_found == 1 and ev.tracks_kept == 1
    track = ev.tracks[0]
    assert (track.first_frame, track.last_frame, track.detections) == (3, 29, 26)

    # expected crops by hand: s = 28, centre (88, 88), pad int(28·1.8) = 50 -> rows 60:138 (10 grey rows below
    # the 128 px frame), cols 48:127 of the frame
    padded = np.pad(frames[..., ::-1], ((0, 0), (50, 50), (50, 50), (0, 0)), constant_values=110)
    crops = np.stack([cv2.resize(np.ascontiguousarray(padded[f, 110:188, 98:177]), (224, 224)) for f in range(3, 30)])
    pcm = float_to_int16(audio)[3 * 640:30 * 640]
    want = lse_from_crops(crops, pcm, _TinySync())
    assert track.scores is not None
    assert track.scores.offset == want.offset == ev.offset
    assert track.scores.lse_c == pytest.approx(want.lse_c, abs=1e-9) and ev.lse_c == track.scores.lse_c
    assert track.scores.lse_d == pytest.approx(want.lse_d, abs=1e-9) and ev.lse_d == track.scores.lse_d
    np.testing.assert_allclose(ev.framewise_conf, want.framewise_conf, atol=1e-9)
    json.dumps(ev.details())  # plain types only


def test_evaluate_lse_resamples_50fps_to_25() -> None:
    frames, audio = _pipeline_clip()
    models = SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    at25 = evaluate_lse(frames, audio, 25.0, 16000, min_track=10, min_face_size=30, models=models)
    doubled = np.repeat(frames, 2, axis=0)  # 60 frames at 50 fps; frame 2k is frame k of the 25 fps clip
    at50 = evaluate_lse(doubled, audio, 50.0, 16000, min_track=10, min_face_size=30, models=models)
    assert at50.frames == 30
    assert (at50.lse_c, at50.lse_d, at50.offset) == (at25.lse_c, at25.lse_d, at25.offset)
    assert any("resampled to 30 frames at 25 fps" in n for n in at50.notes)
    assert "resampled 50 -> 25" in str(at50.details()["frame_rate"])


def test_evaluate_lse_reports_why_there_is_no_track() -> None:
    frames, audio = _pipeline_clip()
    models = SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = evaluate_lse(frames, audio, 25.0, 16000, min_track=26, min_face_size=30, models=models)
    assert not ev.available and ev.lse_c is None and ev.lse_d is None
    assert "26 of 30 frames" in ev.reason and "26 detections" in ev.reason and "min_track=26" in ev.reason
    small = evaluate_lse(frames, audio, 25.0, 16000, min_track=10, min_face_size=100, models=models)
    assert "mean face size of 56 px" in small.reason and "min_face_size 100" in small.reason
    nobody = SyncModels(syncnet=_TinySync(), detect=lambda img: np.zeros((0, 5)))
    none = evaluate_lse(frames, audio, 25.0, 16000, min_track=10, models=nobody)
    assert "found a face in 0 of 30 frames" in none.reason


def test_evaluate_lse_frames_too_small_for_s3fd() -> None:
    frames, audio = _pipeline_clip()
    models = SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = evaluate_lse(frames[:, :109], audio, 25.0, 16000, min_track=10, min_face_size=30, models=models)
    assert not ev.available and "128x109 px are too small" in ev.reason and ev.frames_with_detection is None
    assert evaluate_lse(frames[:, :110], audio, 25.0, 16000, min_track=10, min_face_size=30, models=models).available


def test_evaluate_lse_audio_too_short_is_a_reason_not_a_score() -> None:
    frames, audio = _pipeline_clip()
    models = SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = evaluate_lse(frames, audio[:5 * 640], 25.0, 16000, min_track=10, min_face_size=30, models=models)
    assert not ev.available and ev.lse_c is None and "too short for SyncNet" in ev.reason
