"""WildTalker's flow-guided temporal mask (methods/wildtalker/temporal_mask.py, Eq. 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def _moving_square(frames: int = 30, size: int = 64, stop: int = 15) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    background = (rng.random((size, size, 3)) * 255).astype(np.uint8)
    background = np.repeat(np.repeat(background[::4, ::4], 4, 0), 4, 1)  # blocky texture DIS can follow
    video = np.repeat(background[None], frames, 0).copy()
    where = np.zeros((frames, size, size), bool)
    for i in range(stop):
        x = 4 + 2 * i
        video[i, 20:36, x:x + 12] = [230, 180, 150]
        where[i, 20:36, x:x + 12] = True
    return video, where


def test_temporal_mask_covers_the_moving_object_then_fades() -> None:
    from talkbench.methods.wildtalker.temporal_mask import TemporalMaskSettings, flow_magnitudes, temporal_mask

    video, where = _moving_square()
    mags = flow_magnitudes(video, progress=False)
    masks, decays = temporal_mask(mags, video.shape[2], TemporalMaskSettings(threshold=0.01))
    moving = where[1:15]
    assert masks[1:15][moving].mean() > 0.5            # the square is masked while it moves
    assert masks[1:15][~moving].mean() < 0.15           # most of the still background is not
    assert masks[29].max() < masks[15].max()            # after it is gone the mask decays ...
    assert decays[20] == pytest.approx(TemporalMaskSettings().decay_min)  # ... at the calm rate
    assert decays[5] > decays[20]


def test_temporal_mask_accumulates_with_decay_exactly() -> None:
    from talkbench.methods.wildtalker.temporal_mask import TemporalMaskSettings, temporal_mask

    mags = np.zeros((4, 8, 8), np.float32)
    mags[1, 2, 2] = 10.0
    s = TemporalMaskSettings(threshold=0.1, decay_min=0.5, decay_max=0.9, area_ref=1.0, dilate=0.0)
    masks, decays = temporal_mask(mags, 8, s)
    assert masks[1, 2, 2] == 1.0
    assert masks[2, 2, 2] == pytest.approx(0.5) and masks[3, 2, 2] == pytest.approx(0.25)  # M_i = M_{i-1} * δ_min
    keep = np.ones((4, 8, 8), bool)
    assert temporal_mask(mags, 8, s, keep=keep)[0].max() == 0.0  # kept pixels (the head) are never masked
    with pytest.raises(ValueError):
        temporal_mask(mags, 8, TemporalMaskSettings(decay_min=0.9, decay_max=0.5))


def test_temporal_mask_down_weights_the_hand_on_the_wild_portrait(tiny_cards: Path) -> None:
    from talkbench.datasets.cards import load_dataset
    from talkbench.methods.wildtalker.temporal_mask import loss_weights

    clip = load_dataset("synthetic-portrait-wild", "smoke").train()
    weights, stats = loss_weights(clip.frames, clip.annotations["head_mask"])
    hand = clip.annotations["occluder_mask"].astype(bool)
    torso = clip.annotations["torso_mask"].astype(bool) & ~hand
    assert hand.any()
    assert weights[hand].mean() < 0.75 * weights[torso].mean(), stats
    assert weights[clip.annotations["head_mask"].astype(bool)].min() == 1.0
