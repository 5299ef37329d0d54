"""Frame helpers of the image metrics (metrics/image/frames.py)."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.errors import InputError
from talkbench.metrics.image.frames import check_pair, to_float
from tests.kit.images import random_frames as _frames


def test_to_float_and_check_pair() -> None:
    a = _frames(0, t=2)
    f = to_float(a)
    assert f.dtype == np.float64 and f.max() <= 1.0 and np.allclose(f * 255, a)
    p, r = check_pair(a[0], a[0])  # a single frame becomes T=1
    assert p.shape == (1, *a.shape[1:])
    with pytest.raises(InputError, match="frame counts differ"):
        check_pair(a, a[:1], "x.mp4", "y.mp4")
