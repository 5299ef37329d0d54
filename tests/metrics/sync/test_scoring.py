"""SyncNet scores of one track (`talkbench.metrics.sync.scoring`): the arithmetic, and agreement with syncnet_python's SyncNetInstance."""

from __future__ import annotations

import types

import numpy as np
import pytest

from talkbench.metrics.sync.scoring import SyncTooShort, count_windows, lse_from_crops, sync_from_distances, window_distances
from talkbench.zoo.syncnet import float_to_int16, load_syncnet, mfcc_features
from tests.metrics.sync import textured_frames as _textured_frames


def test_sync_from_distances_averages_windows_before_the_minimum() -> None:
    # Row 0 alone would pick column 2; the mean over windows picks column 4.
    dists = np.full((2, 31), 10.0)
    dists[0, 2], dists[1, 2] = 4.0, 9.0  # mean 6.5
    dists[0, 4], dists[1, 4] = 7.0, 5.0  # mean 6.0
    s = sync_from_distances(dists, vshift=15)
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
    s = sync_from_distances(np.tile(curve, (7, 1)), vshift=15)
    assert s.offset == -5
    assert s.lse_d == pytest.approx(10.0, abs=1e-12)
    assert s.lse_c == pytest.approx(0.8, abs=1e-12)
    assert s.windows == 7


def test_sync_from_distances_ties_take_the_first_column_and_other_vshift() -> None:
    dists = np.full((3, 5), 3.0)
    dists[:, 1] = 1.0
    dists[:, 3] = 1.0
    s = sync_from_distances(dists, vshift=2)
    assert s.offset == 2 - 1  # first minimum, as torch.min returns
    assert s.lse_d == pytest.approx(1.0) and s.lse_c == pytest.approx(2.0)


def test_framewise_confidence_is_median_filtered_with_zero_padding() -> None:
    rng = np.random.default_rng(3)
    dists = rng.uniform(8.0, 12.0, size=(14, 31))
    dists[:, 3] -= 5.0
    s = sync_from_distances(dists)
    assert s.offset == 12
    mean = dists.mean(axis=0)
    raw = np.median(mean) - dists[:, 3]
    padded = np.concatenate([np.zeros(4), raw, np.zeros(4)])
    expected = np.array([np.median(padded[i:i + 9]) for i in range(len(raw))])
    np.testing.assert_allclose(s.framewise_conf, expected, rtol=0, atol=1e-12)
    assert s.lse_c == pytest.approx(np.median(mean) - mean[3], abs=1e-12)


def test_sync_from_distances_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="31"):
        sync_from_distances(np.zeros((4, 30)), vshift=15)
    with pytest.raises(ValueError):
        sync_from_distances(np.zeros((0, 31)), vshift=15)


@pytest.mark.parametrize(("n", "dim", "vshift"), [(7, 16, 3), (4, 8, 10)])
def test_window_distances_matches_brute_force_pairwise_distance(n: int, dim: int, vshift: int) -> None:
    import torch

    rng = np.random.default_rng(n)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    a = rng.normal(size=(n, dim)).astype(np.float32)
    got = window_distances(v, a, vshift)
    assert got.shape == (n, 2 * vshift + 1)
    for i in range(n):
        for k in range(2 * vshift + 1):
            j = i + k - vshift
            other = a[j] if 0 <= j < n else np.zeros(dim, np.float32)  # zero padding beyond the ends
            want = torch.nn.functional.pairwise_distance(torch.from_numpy(v[i][None]).double(),
                                                         torch.from_numpy(other[None]).double()).item()
            assert got[i, k] == pytest.approx(want, rel=1e-12, abs=1e-12), (i, k)


def test_mfcc_layout_and_window_count() -> None:
    pcm = float_to_int16(np.random.default_rng(0).normal(0, 0.1, 40 * 640))
    mfcc = mfcc_features(pcm, 16000)
    assert mfcc.shape == (13, 4 * 40 - 1)  # 25 ms windows, 10 ms hop
    assert count_windows(40, len(pcm)) == 35
    last = count_windows(40, len(pcm)) - 1
    assert 4 * last + 20 <= mfcc.shape[1]  # the last window's 20 MFCC steps exist
    assert count_windows(40, 26 * 640 + 639) == 21  # audio shorter than video bounds the windows
    assert count_windows(5, len(pcm)) == 0


@pytest.mark.slow
def test_lse_from_crops_matches_syncnet_instance(installed_syncnet, tmp_path) -> None:
    import cv2
    from scipy.io import wavfile
    from syncnet_python.SyncNetInstance import SyncNetInstance

    net, _ = load_syncnet("cpu")
    rng = np.random.default_rng(5)
    for i, frame in enumerate(_textured_frames(40, 224, seed=5)):
        cv2.imwrite(str(tmp_path / f"{i + 1:06d}.jpg"), frame)
    # 1.04 s of audio for 1.6 s of video: the audio bounds the windows (21: one full batch and one more)
    pcm = (rng.normal(0, 0.2, 16640) * 32768).clip(-32768, 32767).astype(np.int16)
    wavfile.write(str(tmp_path / "audio.wav"), 16000, pcm)

    opt = types.SimpleNamespace(tmp_dir=str(tmp_path), batch_size=20, vshift=15)
    offset, conf, dist = SyncNetInstance(net, device="cpu").evaluate(opt)

    crops = np.stack([cv2.imread(str(tmp_path / f"{i + 1:06d}.jpg")) for i in range(40)])
    ours = lse_from_crops(crops, pcm, net, device="cpu", batch_size=20, vshift=15)
    assert ours.windows == 21
    assert ours.offset == offset
    assert ours.lse_c == pytest.approx(conf, rel=1e-5, abs=1e-5)
    assert ours.lse_d == pytest.approx(dist, rel=1e-5, abs=1e-5)
    # the offset comparison is meaningful only if the best shift is clearly separated
    second = np.partition(ours.mean_dists, 1)[1]
    assert second - ours.lse_d > 1e-4


def test_lse_from_crops_too_short_raises() -> None:
    crops = np.zeros((5, 224, 224, 3), np.uint8)
    with pytest.raises(SyncTooShort, match="one window needs 6"):
        lse_from_crops(crops, np.zeros(16000, np.int16), net=None)
    with pytest.raises(SyncTooShort):
        lse_from_crops(np.zeros((40, 224, 224, 3), np.uint8), np.zeros(5 * 640, np.int16), net=None)
    with pytest.raises(Exception, match="224"):
        lse_from_crops(np.zeros((40, 112, 112, 3), np.uint8), np.zeros(16000, np.int16), net=None)
