"""SSIM (metrics/image/ssim.py) against skimage on shared inputs."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from talkbench.metrics.image.ssim import SSIM, SSIM_SETTINGS, ssim_per_frame
from tests.kit.images import as_video as _video, perturb as _perturb, random_frames as _frames


def test_ssim_matches_skimage() -> None:
    ref = _frames(13, t=4, h=40, w=44)
    pred = _perturb(ref, 12.0, seed=14)
    expected = [
        structural_similarity(p / 255.0, r / 255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                              data_range=1.0, channel_axis=-1)
        for p, r in zip(pred, ref)
    ]
    ours = ssim_per_frame(pred, ref)
    np.testing.assert_allclose(ours, expected, rtol=1e-12)
    np.testing.assert_array_equal(ssim_per_frame(pred, ref, workers=1), ours)
    np.testing.assert_allclose(ssim_per_frame(pred / 255.0, ref / 255.0), expected, rtol=1e-12)
    assert SSIM_SETTINGS["use_sample_covariance"] is False and SSIM_SETTINGS["sigma"] == 1.5


def test_ssim_identical_is_one_and_class() -> None:
    ref = _frames(15, t=3)
    np.testing.assert_allclose(ssim_per_frame(ref, ref.copy()), 1.0, atol=1e-12)
    pred = _perturb(ref, 20.0, seed=16)
    result = SSIM().compute(_video(pred, "a"), _video(ref, "b"))
    assert result.name == "ssim" and SSIM.higher_is_better
    assert result.value == pytest.approx(float(np.mean(ssim_per_frame(pred, ref))))
    assert 0 < result.value < 1
