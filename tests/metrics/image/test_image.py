"""The image metrics as a package: mismatched shapes are an input error naming both videos."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.errors import InputError
from tests.kit.images import as_video as _video


@pytest.mark.parametrize("metric_cls", ["psnr", "ssim", "lpips"])
@pytest.mark.parametrize("ref_shape", [(4, 32, 32, 3), (5, 32, 30, 3)])
def test_mismatched_shapes_raise_input_error(metric_cls: str, ref_shape: tuple[int, ...]) -> None:
    from talkbench.core.registries import METRICS

    metric = METRICS.get(metric_cls)()
    pred = _video(np.zeros((5, 32, 32, 3), np.uint8), "runs/x/render.mp4")
    ref = _video(np.zeros(ref_shape, np.uint8), "data/clip/test.mp4")
    with pytest.raises(InputError) as info:
        metric.compute(pred, ref)
    msg = str(info.value)
    assert "runs/x/render.mp4" in msg and "data/clip/test.mp4" in msg
    assert "(5, 32, 32, 3)" in msg and str(tuple(ref_shape)) in msg
