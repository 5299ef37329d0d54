"""The LSE-C / LSE-D metric classes (`talkbench.metrics.sync.lse`): unavailable with a reason, never 0; one shared evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from talkbench.core.metric import MetricContext
from talkbench.core.types import Video
from talkbench.metrics.sync.evaluation import LSEEvaluation, SyncModels, TrackScore
from talkbench.metrics.sync.scoring import SyncScores
from talkbench.metrics.sync.shots import SCENE_HANDLING
from tests.metrics.sync import marker_detector as _marker_detector
from tests.metrics.sync import textured_frames as _textured_frames


def _video(n: int = 20, size: int = 64, audio: bool = True, fps: float = 25.0) -> Video:
    frames = _textured_frames(n, size, seed=n)
    wav = np.random.default_rng(n).normal(0, 0.1, int(n / fps * 16000)).astype(np.float32) if audio else None
    return Video(frames=frames, fps=fps, audio=wav, source="render.mp4")


def test_lse_without_weights_is_unavailable_with_install_command(sync_env) -> None:
    from talkbench.metrics.sync.lse import LSEC, LSED

    for cls in (LSEC, LSED):
        res = cls().compute(_video(), _video(), MetricContext())
        assert not res.available and res.value is None
        assert "bench weights install syncnet_v2" in res.unavailable_reason
        assert res.details["min_track"] == 100


def test_lse_without_audio_is_unavailable(sync_env) -> None:
    from talkbench.metrics.sync.lse import LSEC, LSED, NO_AUDIO

    for cls in (LSEC, LSED):
        res = cls().compute(_video(audio=False), _video(), MetricContext())
        assert res.value is None and res.unavailable_reason == f"render.mp4 {NO_AUDIO}"


def test_lse_with_only_syncnet_installed_asks_for_the_detector(installed_syncnet) -> None:
    from talkbench.metrics.sync.lse import LSEC

    res = LSEC().compute(_video(), _video())
    assert res.value is None and "bench weights install sfd_face" in res.unavailable_reason


def test_lse_clip_too_short_is_unavailable_never_zero(installed_both) -> None:
    from talkbench.metrics.sync.lse import LSEC, LSED

    for cls in (LSEC, LSED):
        res = cls().compute(_video(n=20), _video(n=20), MetricContext(device="cuda"))  # cuda falls back to cpu here
        assert res.value is None and not res.available
        assert "clip too short" in res.unavailable_reason and "min_track=100" in res.unavailable_reason
        d = res.details
        assert d["min_track"] == 100 and d["frames"] == 20 and d["device"] in ("cpu", "cuda")
        assert set(d["weights_sha256"]) == {"syncnet_v2", "sfd_face"} and len(d["weights_sha256"]["sfd_face"]) == 12
        assert d["syncnet_python"] == "0.2.3" and "ContentDetector" in d["scene_detection"]
        json.dumps(d)


@pytest.mark.slow
def test_lse_no_face_track_reason_with_random_detector(installed_both) -> None:
    from talkbench.metrics.sync.lse import LSED

    # two 112 px frames (the smallest S3FD accepts at scale 0.25 is 110) keep the random detector cheap
    ctx = MetricContext(options={"lse_min_track": 1})
    res = LSED().compute(_video(n=2, size=112), _video(n=2), ctx)
    assert res.value is None
    assert "no face track" in res.unavailable_reason and "of 2 frames" in res.unavailable_reason
    assert res.details["min_track"] == 1 and res.details["lse_min_track"] == 1 and res.details["frames"] == 2
    assert "option" in res.details["min_track_source"]


def _fake_evaluation(min_track: int) -> LSEEvaluation:
    scores = SyncScores(offset=2, lse_d=6.25, lse_c=7.5, mean_dists=np.full(31, 9.0),
                           framewise_conf=np.array([1.0, 2.0, 3.0]))
    other = SyncScores(offset=1, lse_d=8.25, lse_c=5.5, mean_dists=np.full(31, 9.0), framewise_conf=np.ones(2))
    tracks = [TrackScore(0, 149, 150, 120.0, scores), TrackScore(200, 309, 110, 118.0, other)]
    return LSEEvaluation(lse_c=6.5, lse_d=7.25, offset=2, framewise_conf=scores.framewise_conf, tracks=tracks,
                            reason=None, frames=310, fps=25.0, frames_with_detection=300, tracks_found=3,
                            shots=[(0, 310)], min_track=min_track, min_face_size=100, scene_detection=SCENE_HANDLING,
                            device="cpu", sha256={"syncnet_v2": "ab" * 32, "sfd_face": "cd" * 32})


def test_lse_c_and_lse_d_share_one_memoised_evaluation(sync_env, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.metrics.sync import lse

    calls: list[int] = []

    def fake_evaluate(frames, audio, fps, sample_rate, device="cpu", min_track=100, **kw):
        calls.append(min_track)
        return _fake_evaluation(min_track)

    stub = SyncModels(syncnet=None, detect=_marker_detector, sha256={"syncnet_v2": "ab" * 32, "sfd_face": "cd" * 32})
    monkeypatch.setattr(lse, "load_models", lambda device: stub)
    monkeypatch.setattr(lse, "evaluate_lse", fake_evaluate)
    video = _video(n=10)
    c = lse.LSEC().compute(video, video, MetricContext())
    d = lse.LSED().compute(Video(frames=video.frames.copy(), fps=25.0, audio=video.audio.copy()), video, MetricContext())
    assert calls == [100]  # equal content, one evaluation
    assert c.value == 6.5 and d.value == 7.25
    assert lse.LSEC.higher_is_better and not lse.LSED.higher_is_better
    assert (lse.LSEC.display_name, lse.LSED.display_name, lse.LSEC.precision) == ("LSE-C", "LSE-D", 3)
    np.testing.assert_array_equal(c.per_item, [1.0, 2.0, 3.0])
    assert c.details["offset"] == 2 and c.details["tracks_kept"] == 2 and c.details["tracks_found"] == 3
    assert c.details["tracks"][1] == {"first_frame": 200, "last_frame": 309, "frames": 110, "detections": 110,
                                      "face_size": 118.0, "offset": 1, "lse_c": 5.5, "lse_d": 8.25, "windows": 2}
    assert c.details["weights_sha256"] == {"syncnet_v2": "ab" * 6, "sfd_face": "cd" * 6}
    lse.LSEC().compute(video, video, MetricContext(options={"lse_min_track": 50}))
    assert calls == [100, 50]  # a different option is a different evaluation


def test_lse_rejects_a_bad_min_track_option(sync_env) -> None:
    from talkbench.core.errors import BenchError
    from talkbench.metrics.sync.lse import LSEC

    with pytest.raises(BenchError, match="lse_min_track"):
        LSEC().compute(_video(), _video(), MetricContext(options={"lse_min_track": "many"}))
    with pytest.raises(BenchError, match="lse_min_track"):
        LSEC().compute(_video(), _video(), MetricContext(options={"lse_min_track": -1}))
