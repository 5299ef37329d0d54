"""The lipsync task's driving audio (datasets/driving_audio.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_corrupted_driving_audio_has_the_stated_snr(tiny_cards: Path) -> None:
    from talkbench.datasets.cards import get_card, load_dataset
    from talkbench.datasets.driving_audio import condition_audio

    test = load_dataset("synthetic-portrait", "smoke").test()
    original, how = condition_audio(test, "original", get_card("synthetic-portrait").data)
    noisy, how_c = condition_audio(test, "corrupted", get_card("synthetic-portrait").data)
    assert np.array_equal(original, test.audio) and noisy.shape == original.shape
    snr = 10 * np.log10(np.mean(original.astype(np.float64) ** 2) / np.mean((noisy - original).astype(np.float64) ** 2))
    assert abs(snr - how_c["corruption"]["snr_db"]) < 1.5
    wild = load_dataset("synthetic-portrait-wild", "smoke").test()
    clean, _ = condition_audio(wild, "original", get_card("synthetic-portrait-wild").data)
    assert np.array_equal(clean, wild.audio_tracks["clean"])
    assert np.array_equal(condition_audio(wild, "corrupted", {})[0], wild.audio)
    with pytest.raises(ValueError):
        condition_audio(test, "reversed", {})
