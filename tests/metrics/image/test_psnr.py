"""PSNR (metrics/image/psnr.py) against skimage on shared inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from talkbench.core.metric import MetricContext
from talkbench.metrics.image import psnr as psnr_mod
from talkbench.metrics.image.psnr import PSNR, psnr_per_frame
from tests.kit.images import as_video as _video, perturb as _perturb, random_frames as _frames


@pytest.mark.parametrize("sigma", [2.0, 10.0, 40.0])
def test_psnr_matches_skimage_uint8(sigma: float) -> None:
    ref = _frames(1)
    pred = _perturb(ref, sigma, seed=2)
    ours = psnr_per_frame(pred, ref)
    expected = [peak_signal_noise_ratio(r / 255.0, p / 255.0, data_range=1) for p, r in zip(pred, ref)]
    assert ours.dtype == np.float64 and ours.shape == (len(ref),)
    np.testing.assert_allclose(ours, expected, rtol=1e-10)


def test_psnr_matches_skimage_random_pair() -> None:
    pred, ref = _frames(3), _frames(4)
    expected = [peak_signal_noise_ratio(r / 255.0, p / 255.0, data_range=1) for p, r in zip(pred, ref)]
    np.testing.assert_allclose(psnr_per_frame(pred, ref), expected, rtol=1e-10)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_psnr_matches_skimage_float(dtype: type, rtol: float) -> None:
    rng = np.random.default_rng(5)
    ref = rng.random((4, 32, 36, 3)).astype(dtype)
    pred = np.clip(ref + rng.normal(0, 0.05, ref.shape), 0, 1).astype(dtype)
    expected = [peak_signal_noise_ratio(r, p, data_range=1) for p, r in zip(pred, ref)]
    np.testing.assert_allclose(psnr_per_frame(pred, ref), expected, rtol=rtol)


def test_psnr_uint8_equals_float_path() -> None:
    ref = _frames(6)
    pred = _perturb(ref, 8.0, seed=7)
    np.testing.assert_allclose(psnr_per_frame(pred, ref), psnr_per_frame(pred / 255.0, ref / 255.0), rtol=1e-12)


def test_psnr_chunking_does_not_change_values(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = _frames(8, t=11)
    pred = _perturb(ref, 6.0, seed=9)
    whole = psnr_per_frame(pred, ref)
    whole_f = psnr_per_frame(pred / 255.0, ref / 255.0)
    monkeypatch.setattr(psnr_mod, "frames_per_chunk", lambda *a, **k: 3)
    np.testing.assert_array_equal(psnr_per_frame(pred, ref), whole)
    np.testing.assert_array_equal(psnr_per_frame(pred / 255.0, ref / 255.0), whole_f)


def test_psnr_identical_frames_are_inf() -> None:
    ref = _frames(10)
    per_frame = psnr_per_frame(ref, ref.copy())
    assert np.all(np.isposinf(per_frame))
    assert np.all(np.isposinf(psnr_per_frame(ref / 255.0, ref / 255.0)))
    result = PSNR().compute(_video(ref, "pred.mp4"), _video(ref.copy(), "gt.mp4"))
    assert result.available and math.isinf(result.value) and result.value > 0


def test_psnr_class_value_and_details() -> None:
    ref = _frames(11)
    pred = _perturb(ref, 5.0, seed=12)
    pred[0] = ref[0]  # one identical frame: its PSNR is inf, so is the mean
    result = PSNR().compute(_video(pred, "a"), _video(ref, "b"))
    assert math.isinf(result.value)
    pred = _perturb(ref, 5.0, seed=12)
    result = PSNR().compute(_video(pred, "a"), _video(ref, "b"), MetricContext(options={"compositing": "head+torso"}))
    assert result.name == "psnr" and PSNR.higher_is_better
    assert result.value == pytest.approx(float(np.mean(psnr_per_frame(pred, ref))))
    np.testing.assert_array_equal(result.per_item, psnr_per_frame(pred, ref))
    assert result.details["protocol"] == "per-frame -10log10(MSE), RGB [0,1], full frame, mean over frames"
    assert result.details["compositing"] == "head+torso"
    assert PSNR().compute(_video(pred, "a"), _video(ref, "b")).details["compositing"] == "full frame"
