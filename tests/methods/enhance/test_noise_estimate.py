"""The noise estimate's segment (methods/enhance/noise_estimate.py)."""

from __future__ import annotations

import numpy as np


def test_quietest_stretch_skips_digital_silence() -> None:
    from talkbench.methods.enhance.noise_estimate import quietest_segment_start

    sr = 16000
    rng = np.random.default_rng(1)
    audio = np.concatenate([np.zeros(sr), 0.01 * rng.standard_normal(sr), 0.3 * rng.standard_normal(sr)]).astype(np.float32)
    assert sr <= quietest_segment_start(audio, sr, 0.25) <= 1.75 * sr   # the faint noise, not the zeros
    assert quietest_segment_start(np.zeros(sr, np.float32), sr, 0.25) == 0
