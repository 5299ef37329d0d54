"""Torso-region PSNR (metrics/image/region_psnr.py)."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.metric import MetricContext
from talkbench.core.types import Video


def test_torso_psnr_scores_only_the_region() -> None:
    from talkbench.metrics.image.region_psnr import TorsoPSNR

    ref = np.full((3, 16, 16, 3), 100, np.uint8)
    pred = ref.copy()
    pred[:, :8] = 110      # error only in the top half
    masks = np.zeros((3, 16, 16), np.uint8)
    masks[:, 8:] = 1       # region = bottom half: perfect there
    res = TorsoPSNR().compute(Video(pred, 25.0), Video(ref, 25.0), MetricContext(annotations={"torso_mask": masks}))
    assert np.isinf(res.value)
    masks[:, :8] = 1
    res = TorsoPSNR().compute(Video(pred, 25.0), Video(ref, 25.0), MetricContext(annotations={"torso_mask": masks}))
    assert res.value == pytest.approx(-10 * np.log10(0.5 * (10 / 255) ** 2))
    missing = TorsoPSNR().compute(Video(pred, 25.0), Video(ref, 25.0), MetricContext())
    assert missing.value is None and "torso_mask" in missing.unavailable_reason
