"""LSE-C / LSE-D: SyncNet arithmetic, agreement with syncnet_python's SyncNetInstance, tracking and cropping, metric classes."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

from talkbench.core.metric import MetricContext

from talkbench.core.types import Video
from talkbench.metrics.sync import syncnet as sn

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def random_syncnet_file(tmp_path_factory: pytest.TempPathFactory):
    """A seeded randomly initialised SyncNet `S` state_dict saved with torch.save."""
    import torch
    from syncnet_python.SyncNetModel import S

    torch.manual_seed(7)
    path = tmp_path_factory.mktemp("syncnet") / "syncnet_random.model"
    torch.save(S().state_dict(), path)
    return path


@pytest.fixture(scope="module")
def random_s3fd_file(tmp_path_factory: pytest.TempPathFactory):
    """A seeded randomly initialised S3FDNet state_dict saved with torch.save."""
    import torch
    from syncnet_python.detectors.s3fd.nets import S3FDNet

    torch.manual_seed(11)
    path = tmp_path_factory.mktemp("s3fd") / "sfd_random.pth"
    torch.save(S3FDNet(device="cpu").state_dict(), path)
    return path


@pytest.fixture
def sync_env(bench_home):
    """A fresh $BENCH_HOME with the LSE model and result caches cleared before and after."""
    from talkbench.metrics.sync import lse

    lse.clear_cache()
    yield bench_home
    lse.clear_cache()


@pytest.fixture
def installed_syncnet(sync_env, random_syncnet_file):
    """The random SyncNet installed as `syncnet_v2` through the weights registry (sha256 pinned)."""
    from talkbench.infra import weights

    return weights.install("syncnet_v2", str(random_syncnet_file))


@pytest.fixture
def installed_both(installed_syncnet, random_s3fd_file):
    """Random SyncNet and S3FD installed as `syncnet_v2` and `sfd_face`."""
    from talkbench.infra import weights

    return installed_syncnet, weights.install("sfd_face", str(random_s3fd_file))


def _textured_frames(n: int, size: int, seed: int) -> np.ndarray:
    """uint8 RGB frames: a fixed gradient and noise texture that brightens a little per frame (one shot)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) * (200.0 / size)
    base = np.stack([xx, yy, (xx + yy) / 2], axis=-1) + rng.normal(0, 20, (size, size, 3))
    out = [(base * (1 + 0.01 * k) + 0.5 * k).clip(0, 255) for k in range(n)]
    return np.stack(out).astype(np.uint8)


# ----------------------------------------------------------------------------- arithmetic


def test_sync_from_distances_averages_windows_before_the_minimum() -> None:
    # Row 0 alone would pick column 2; the mean over windows picks column 4.
    dists = np.full((2, 31), 10.0)
    dists[0, 2], dists[1, 2] = 4.0, 9.0  # mean 6.5
    dists[0, 4], dists[1, 4] = 7.0, 5.0  # mean 6.0
    s = sn.sync_from_distances(dists, vshift=15)
    assert s.offset == 15 - 4
    assert s.lse_d == pytest.approx(6.0, abs=1e-12)
    assert s.lse_c == pytest.approx(10.0 - 6.0, abs=1e-12)  # the median of 29 tens, 6.5 and 6.0 is 10
    np.testing.assert_allclose(s.mean_dists[[2, 4, 0]], [6.5, 6.0, 10.0])
    # framewise: median - dists[:, 4] = [3, 5], median-filtered (kernel 9, zero-padded): zeros dominate
    np.testing.assert_allclose(s.framewise_conf, [0.0, 0.0])


def test_sync_from_distances_v_shaped_curve() -> None:
    # Every window has d_j = 10 + 0.1·|j - 20|: minimum 10 at j = 20; the 16th smallest of the
    # 31 values (0, then 1..10 twice, then 11..20 once, times 0.1) is 10 + 0.8.
    curve = 10.0 + 0.1 * np.abs(np.arange(31) - 20)
    s = sn.sync_from_distances(np.tile(curve, (7, 1)), vshift=15)
    assert s.offset == -5
    assert s.lse_d == pytest.approx(10.0, abs=1e-12)
    assert s.lse_c == pytest.approx(0.8, abs=1e-12)
    assert s.windows == 7


def test_sync_from_distances_ties_take_the_first_column_and_other_vshift() -> None:
    dists = np.full((3, 5), 3.0)
    dists[:, 1] = 1.0
    dists[:, 3] = 1.0
    s = sn.sync_from_distances(dists, vshift=2)
    assert s.offset == 2 - 1  # first minimum, as torch.min returns
    assert s.lse_d == pytest.approx(1.0) and s.lse_c == pytest.approx(2.0)


def test_framewise_confidence_is_median_filtered_with_zero_padding() -> None:
    rng = np.random.default_rng(3)
    dists = rng.uniform(8.0, 12.0, size=(14, 31))
    dists[:, 3] -= 5.0
    s = sn.sync_from_distances(dists)
    assert s.offset == 12
    mean = dists.mean(axis=0)
    raw = np.median(mean) - dists[:, 3]
    padded = np.concatenate([np.zeros(4), raw, np.zeros(4)])
    expected = np.array([np.median(padded[i:i + 9]) for i in range(len(raw))])
    np.testing.assert_allclose(s.framewise_conf, expected, rtol=0, atol=1e-12)
    assert s.lse_c == pytest.approx(np.median(mean) - mean[3], abs=1e-12)


def test_sync_from_distances_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="31"):
        sn.sync_from_distances(np.zeros((4, 30)), vshift=15)
    with pytest.raises(ValueError):
        sn.sync_from_distances(np.zeros((0, 31)), vshift=15)


@pytest.mark.parametrize(("n", "dim", "vshift"), [(7, 16, 3), (4, 8, 10)])
def test_window_distances_matches_brute_force_pairwise_distance(n: int, dim: int, vshift: int) -> None:
    import torch

    rng = np.random.default_rng(n)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    a = rng.normal(size=(n, dim)).astype(np.float32)
    got = sn.window_distances(v, a, vshift)
    assert got.shape == (n, 2 * vshift + 1)
    for i in range(n):
        for k in range(2 * vshift + 1):
            j = i + k - vshift
            other = a[j] if 0 <= j < n else np.zeros(dim, np.float32)  # zero padding beyond the ends
            want = torch.nn.functional.pairwise_distance(torch.from_numpy(v[i][None]).double(),
                                                         torch.from_numpy(other[None]).double()).item()
            assert got[i, k] == pytest.approx(want, rel=1e-12, abs=1e-12), (i, k)


def test_float_to_int16_rounds_and_saturates_like_ffmpeg() -> None:
    x = np.array([0.0, 0.5, -1.0, 1.0, 1.5, -2.0, 1 / 65536, 3 / 65536, -0.25], dtype=np.float32)
    got = sn.float_to_int16(x)
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, [0, 16384, -32768, 32767, 32767, -32768, 0, 2, -8192])  # halves to even


def test_mfcc_layout_and_window_count() -> None:
    pcm = sn.float_to_int16(np.random.default_rng(0).normal(0, 0.1, 40 * 640))
    mfcc = sn.mfcc_features(pcm, 16000)
    assert mfcc.shape == (13, 4 * 40 - 1)  # 25 ms windows, 10 ms hop
    assert sn.count_windows(40, len(pcm)) == 35
    last = sn.count_windows(40, len(pcm)) - 1
    assert 4 * last + 20 <= mfcc.shape[1]  # the last window's 20 MFCC steps exist
    assert sn.count_windows(40, 26 * 640 + 639) == 21  # audio shorter than video bounds the windows
    assert sn.count_windows(5, len(pcm)) == 0


# ----------------------------------------------------------------------------- agreement with SyncNetInstance


def test_lse_from_crops_matches_syncnet_instance(installed_syncnet, tmp_path) -> None:
    import cv2
    from scipy.io import wavfile
    from syncnet_python.SyncNetInstance import SyncNetInstance

    net, _ = sn.load_syncnet("cpu")
    rng = np.random.default_rng(5)
    for i, frame in enumerate(_textured_frames(40, 224, seed=5)):
        cv2.imwrite(str(tmp_path / f"{i + 1:06d}.jpg"), frame)
    # 1.04 s of audio for 1.6 s of video: the audio bounds the windows (21: one full batch and one more)
    pcm = (rng.normal(0, 0.2, 16640) * 32768).clip(-32768, 32767).astype(np.int16)
    wavfile.write(str(tmp_path / "audio.wav"), 16000, pcm)

    opt = types.SimpleNamespace(tmp_dir=str(tmp_path), batch_size=20, vshift=15)
    offset, conf, dist = SyncNetInstance(net, device="cpu").evaluate(opt)

    crops = np.stack([cv2.imread(str(tmp_path / f"{i + 1:06d}.jpg")) for i in range(40)])
    ours = sn.lse_from_crops(crops, pcm, net, device="cpu", batch_size=20, vshift=15)
    assert ours.windows == 21
    assert ours.offset == offset
    assert ours.lse_c == pytest.approx(conf, rel=1e-5, abs=1e-5)
    assert ours.lse_d == pytest.approx(dist, rel=1e-5, abs=1e-5)
    # the offset comparison is meaningful only if the best shift is clearly separated
    second = np.partition(ours.mean_dists, 1)[1]
    assert second - ours.lse_d > 1e-4


def test_lse_from_crops_too_short_raises() -> None:
    crops = np.zeros((5, 224, 224, 3), np.uint8)
    with pytest.raises(sn.SyncTooShort, match="one window needs 6"):
        sn.lse_from_crops(crops, np.zeros(16000, np.int16), net=None)
    with pytest.raises(sn.SyncTooShort):
        sn.lse_from_crops(np.zeros((40, 224, 224, 3), np.uint8), np.zeros(5 * 640, np.int16), net=None)
    with pytest.raises(Exception, match="224"):
        sn.lse_from_crops(np.zeros((40, 112, 112, 3), np.uint8), np.zeros(16000, np.int16), net=None)


# ----------------------------------------------------------------------------- frames, shots, tracks, crops


def test_resample_indices_nearest_frame() -> None:
    np.testing.assert_array_equal(sn.resample_indices(7, 25.0), np.arange(7))
    np.testing.assert_array_equal(sn.resample_indices(10, 50.0), [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(sn.resample_indices(12, 30.0), [0, 1, 2, 4, 5, 6, 7, 8, 10, 11])
    np.testing.assert_array_equal(sn.resample_indices(3, 12.5), [0, 1, 1, 2, 2, 2])  # ties round up


def _flat(n: int, value: int, size: int = 32) -> np.ndarray:
    return np.full((n, size, size, 3), value, np.uint8)


def test_detect_shots_uses_the_scenedetect_051_cut_rule() -> None:
    black, white = 0, 255
    assert sn.detect_shots(_flat(30, 90)) == [(0, 30)]
    assert sn.detect_shots(np.concatenate([_flat(20, black), _flat(20, white)])) == [(0, 20), (20, 40)]
    # a cut 5 frames after the previous one is dropped (min_scene_len 15)
    flash = np.concatenate([_flat(10, black), _flat(5, white), _flat(25, black)])
    assert sn.detect_shots(flash) == [(0, 10), (10, 40)]
    # the first cut may come before frame 15 (0.5.1; scenedetect 0.6's default filter would drop it)
    assert sn.detect_shots(np.concatenate([_flat(3, black), _flat(30, white)])) == [(0, 3), (3, 33)]


def _moving(frames: range, x0: float = 10.0, step: float = 2.0, size: float = 40.0, skip: tuple[int, ...] = ()):
    return {f: (x0 + step * f, 20.0, x0 + step * f + size, 20.0 + size) for f in frames if f not in skip}


def _dets(n: int, *faces: dict[int, tuple[float, float, float, float]]) -> list[list[sn.Detection]]:
    return [[sn.Detection(f, face[f], 0.99) for face in faces if f in face] for f in range(n)]


def test_track_interpolates_a_missed_detection_and_drops_a_short_track() -> None:
    main = _moving(range(12), skip=(5,))
    blip = {f: (150.0, 150.0, 190.0, 190.0) for f in (2, 3, 4)}
    cands = sn.track_shot(_dets(12, main, blip), min_track=5, min_face_size=30)
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
    assert not sn.track_shot(_dets(6, face), min_track=6, min_face_size=30)[0].kept  # 6 detections, not > 6
    assert sn.track_shot(_dets(6, face), min_track=5, min_face_size=30)[0].kept
    small = sn.track_shot(_dets(6, face), min_track=5, min_face_size=40)[0]  # 40 px is not > 40
    assert not small.kept and "min_face_size=40" in small.reason


def test_track_breaks_on_long_gaps_and_low_iou() -> None:
    still = {f: (10.0, 10.0, 50.0, 50.0) for f in list(range(10)) + list(range(40, 50))}
    tracks = sn.link_tracks(_dets(50, still))
    assert [len(t) for t in tracks] == [10, 10]  # 30 frames apart > num_failed_det 25
    jump = {f: (10.0 + (60.0 if f >= 5 else 0.0), 10.0, 50.0 + (60.0 if f >= 5 else 0.0), 50.0) for f in range(10)}
    assert [len(t) for t in sn.link_tracks(_dets(10, jump))] == [5, 5]
    within = {f: (10.0, 10.0, 50.0, 50.0) for f in (0, 25)}  # exactly num_failed_det apart still links
    assert [len(t) for t in sn.link_tracks(_dets(26, within))] == [2]


def test_track_skips_the_face_after_a_claimed_one_like_run_pipeline() -> None:
    # Three overlapping boxes in frame 0 (as if NMS had let them through): the first starts a
    # track, the second is not looked at in that pass, the third overlaps the first and joins.
    a, b, c = (10.0, 10.0, 50.0, 50.0), (11.0, 10.0, 51.0, 50.0), (12.0, 10.0, 52.0, 50.0)
    frame0 = [sn.Detection(0, a), sn.Detection(0, b), sn.Detection(0, c)]
    tracks = sn.link_tracks([frame0, [sn.Detection(1, a)]])
    assert [[d.bbox for d in t] for t in tracks] == [[a, c, a], [b]]


def test_iou() -> None:
    assert sn.iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert sn.iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert sn.iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert sn.iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


def test_crop_face_geometry_inside_and_at_the_border() -> None:
    import cv2

    frame = np.random.default_rng(0).integers(0, 256, (200, 240, 3), dtype=np.uint8)
    # box (60, 50)-(140, 130): s = 40, centre (100, 90); rows [90-40, 90+72), cols [100-56, 100+56)
    got = sn.crop_face(frame, 40.0, 100.0, 90.0)
    np.testing.assert_array_equal(got, cv2.resize(frame[50:162, 44:156], (224, 224)))
    # box (0, 0)-(40, 40): s = 20, centre (20, 20); cols [-8, 48): 8 grey columns on the left
    region = np.full((56, 56, 3), 110, np.uint8)
    region[:, 8:] = frame[0:56, 0:48]
    np.testing.assert_array_equal(sn.crop_face(frame, 20.0, 20.0, 20.0), cv2.resize(region, (224, 224)))


def test_smooth_track_removes_a_one_frame_jump() -> None:
    boxes = np.tile([60.0, 50.0, 140.0, 130.0], (15, 1))
    boxes[7] += 30.0
    s, x, y = sn.smooth_track(boxes)
    np.testing.assert_allclose(s, 40.0)
    np.testing.assert_allclose(x, 100.0)
    np.testing.assert_allclose(y, 90.0)


# ----------------------------------------------------------------------------- full pipeline (test doubles)


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


def _marker_detector(image_rgb: np.ndarray) -> np.ndarray:
    """A face at (60, 60)-(116, 116) in frames whose top-left pixel is marked 255 in red."""
    if image_rgb[0, 0, 0] == 255:
        return np.array([[60.0, 60.0, 116.0, 116.0, 0.99]])
    return np.zeros((0, 5))


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
    models = sn.SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = sn.evaluate_lse(frames, audio, 25.0, 16000, min_track=10, min_face_size=30, models=models)
    assert ev.available and ev.reason is None
    assert ev.frames == 30 and ev.frames_with_detection == 26 and ev.shots == [(0, 30)]
    assert ev.tracks_found == 1 and ev.tracks_kept == 1
    track = ev.tracks[0]
    assert (track.first_frame, track.last_frame, track.detections) == (3, 29, 26)

    # expected crops by hand: s = 28, centre (88, 88), pad int(28·1.8) = 50 -> rows 60:138 (10 grey rows below
    # the 128 px frame), cols 48:127 of the frame
    padded = np.pad(frames[..., ::-1], ((0, 0), (50, 50), (50, 50), (0, 0)), constant_values=110)
    crops = np.stack([cv2.resize(np.ascontiguousarray(padded[f, 110:188, 98:177]), (224, 224)) for f in range(3, 30)])
    pcm = sn.float_to_int16(audio)[3 * 640:30 * 640]
    want = sn.lse_from_crops(crops, pcm, _TinySync())
    assert track.scores is not None
    assert track.scores.offset == want.offset == ev.offset
    assert track.scores.lse_c == pytest.approx(want.lse_c, abs=1e-9) and ev.lse_c == track.scores.lse_c
    assert track.scores.lse_d == pytest.approx(want.lse_d, abs=1e-9) and ev.lse_d == track.scores.lse_d
    np.testing.assert_allclose(ev.framewise_conf, want.framewise_conf, atol=1e-9)
    json.dumps(ev.details())  # plain types only


def test_evaluate_lse_resamples_50fps_to_25() -> None:
    frames, audio = _pipeline_clip()
    models = sn.SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    at25 = sn.evaluate_lse(frames, audio, 25.0, 16000, min_track=10, min_face_size=30, models=models)
    doubled = np.repeat(frames, 2, axis=0)  # 60 frames at 50 fps; frame 2k is frame k of the 25 fps clip
    at50 = sn.evaluate_lse(doubled, audio, 50.0, 16000, min_track=10, min_face_size=30, models=models)
    assert at50.frames == 30
    assert (at50.lse_c, at50.lse_d, at50.offset) == (at25.lse_c, at25.lse_d, at25.offset)
    assert any("resampled to 30 frames at 25 fps" in n for n in at50.notes)
    assert "resampled 50 -> 25" in str(at50.details()["frame_rate"])


def test_evaluate_lse_reports_why_there_is_no_track() -> None:
    frames, audio = _pipeline_clip()
    models = sn.SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = sn.evaluate_lse(frames, audio, 25.0, 16000, min_track=26, min_face_size=30, models=models)
    assert not ev.available and ev.lse_c is None and ev.lse_d is None
    assert "26 of 30 frames" in ev.reason and "26 detections" in ev.reason and "min_track=26" in ev.reason
    small = sn.evaluate_lse(frames, audio, 25.0, 16000, min_track=10, min_face_size=100, models=models)
    assert "mean face size of 56 px" in small.reason and "min_face_size 100" in small.reason
    nobody = sn.SyncModels(syncnet=_TinySync(), detect=lambda img: np.zeros((0, 5)))
    none = sn.evaluate_lse(frames, audio, 25.0, 16000, min_track=10, models=nobody)
    assert "found a face in 0 of 30 frames" in none.reason


def test_evaluate_lse_frames_too_small_for_s3fd() -> None:
    frames, audio = _pipeline_clip()
    models = sn.SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = sn.evaluate_lse(frames[:, :109], audio, 25.0, 16000, min_track=10, min_face_size=30, models=models)
    assert not ev.available and "128x109 px are too small" in ev.reason and ev.frames_with_detection is None
    assert sn.evaluate_lse(frames[:, :110], audio, 25.0, 16000, min_track=10, min_face_size=30, models=models).available


def test_evaluate_lse_audio_too_short_is_a_reason_not_a_score() -> None:
    frames, audio = _pipeline_clip()
    models = sn.SyncModels(syncnet=_TinySync(), detect=_marker_detector)
    ev = sn.evaluate_lse(frames, audio[:5 * 640], 25.0, 16000, min_track=10, min_face_size=30, models=models)
    assert not ev.available and ev.lse_c is None and "too short for SyncNet" in ev.reason


# ----------------------------------------------------------------------------- metric classes


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
        assert res.value is None and res.unavailable_reason == NO_AUDIO


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


def test_lse_no_face_track_reason_with_random_detector(installed_both) -> None:
    from talkbench.metrics.sync.lse import LSED

    # two 112 px frames (the smallest S3FD accepts at scale 0.25 is 110) keep the random detector cheap
    ctx = MetricContext(options={"lse_min_track": 1})
    res = LSED().compute(_video(n=2, size=112), _video(n=2), ctx)
    assert res.value is None
    assert "no face track" in res.unavailable_reason and "of 2 frames" in res.unavailable_reason
    assert res.details["min_track"] == 1 and res.details["lse_min_track"] == 1 and res.details["frames"] == 2
    assert "option" in res.details["min_track_source"]


def _fake_evaluation(min_track: int) -> sn.LSEEvaluation:
    scores = sn.SyncScores(offset=2, lse_d=6.25, lse_c=7.5, mean_dists=np.full(31, 9.0),
                           framewise_conf=np.array([1.0, 2.0, 3.0]))
    other = sn.SyncScores(offset=1, lse_d=8.25, lse_c=5.5, mean_dists=np.full(31, 9.0), framewise_conf=np.ones(2))
    tracks = [sn.TrackScore(0, 149, 150, 120.0, scores), sn.TrackScore(200, 309, 110, 118.0, other)]
    return sn.LSEEvaluation(lse_c=6.5, lse_d=7.25, offset=2, framewise_conf=scores.framewise_conf, tracks=tracks,
                            reason=None, frames=310, fps=25.0, frames_with_detection=300, tracks_found=3,
                            shots=[(0, 310)], min_track=min_track, min_face_size=100, scene_detection=sn.SCENE_HANDLING,
                            device="cpu", sha256={"syncnet_v2": "ab" * 32, "sfd_face": "cd" * 32})


def test_lse_c_and_lse_d_share_one_memoised_evaluation(sync_env, monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.metrics.sync import lse

    calls: list[int] = []

    def fake_evaluate(frames, audio, fps, sample_rate, device="cpu", min_track=100, **kw):
        calls.append(min_track)
        return _fake_evaluation(min_track)

    stub = sn.SyncModels(syncnet=None, detect=_marker_detector, sha256={"syncnet_v2": "ab" * 32, "sfd_face": "cd" * 32})
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
