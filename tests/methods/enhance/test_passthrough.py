"""`passthrough` (methods/enhance/passthrough.py): the unprocessed input."""

from __future__ import annotations

import numpy as np

from tests.kit.denoising import SR, build, white  # noqa: F401 - fixtures


def test_passthrough_is_identity(white) -> None:
    _, noisy = white
    out = build("passthrough").denoise(noisy, SR)
    np.testing.assert_array_equal(out, noisy)
    assert out is not noisy
