"""The background plate (perception/background.py)."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.perception.background import estimate_background


def test_background_is_the_uncovered_median_and_inpaints_the_rest() -> None:
    rng = np.random.default_rng(0)
    t, h, w = 9, 24, 32
    plate = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    frames = np.repeat(plate[None], t, axis=0)
    mask = np.zeros((t, h, w), bool)
    for i in range(t):  # a "person" square moving left to right, with its own colours
        mask[i, 4:14, 2 + 3 * i: 8 + 3 * i] = True
    frames[mask] = rng.integers(0, 256, (int(mask.sum()), 3), dtype=np.uint8)
    # a column of noise in a minority of frames not marked as person: the median ignores it
    frames[:3, :, 30] = 255
    mask[:, 18:22, 10:14] = True  # never uncovered: inpainted
    frames[:, 18:22, 10:14] = 0
    bg = estimate_background(frames, mask)
    assert bg.dtype == np.uint8 and bg.shape == (h, w, 3)
    never = np.zeros((h, w), bool)
    never[18:22, 10:14] = True
    np.testing.assert_array_equal(bg[~never], plate[~never])
    # inpainted values come from the surroundings, not from the hidden (black) content
    neighbourhood = plate[16:24, 8:16].reshape(-1, 3).astype(float)
    assert abs(bg[never].astype(float).mean() - neighbourhood.mean()) < 40


def test_background_checks_its_inputs() -> None:
    frames = np.zeros((2, 4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="person_mask"):
        estimate_background(frames, np.zeros((2, 4, 5), bool))
    with pytest.raises(ValueError, match="uint8"):
        estimate_background(frames.astype(np.float32), np.zeros((2, 4, 4), bool))
    all_covered = estimate_background(frames + 7, np.ones((2, 4, 4), bool))
    assert np.all(all_covered == 7)
