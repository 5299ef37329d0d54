"""Spectral subtraction (methods/enhance/specsub.py): the block driver equals the whole-signal filter."""

from __future__ import annotations

import numpy as np

import talkbench.methods.enhance.specsub as specsub_mod
from tests.kit.denoising import SR, white  # noqa: F401 - fixtures


def test_blockwise_filtering_equals_whole_signal(white) -> None:
    _, noisy = white
    for n_fft, hop in [(512, 128), (2048, 512), (400, 160)]:
        for power in (1.0, 2.0):
            args = (noisy, SR, n_fft, hop, "hann", 1.7, 0.03, power, 0, 0.25)
            whole = specsub_mod.subtract_one_scale(*args, block_samples=10**9)
            blocks = specsub_mod.subtract_one_scale(*args, block_samples=3000)
            np.testing.assert_allclose(blocks, whole, atol=1e-9)
