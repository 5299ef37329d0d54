"""Face images shared by tests: a real photo a face detector finds."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def astronaut_face() -> np.ndarray:
    """skimage's astronaut photo cropped as the synthetic card crops it (source px [70:390, 0:320])."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[0:320, 70:390])
