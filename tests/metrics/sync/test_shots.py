"""The 25 fps frames and the shots (`talkbench.metrics.sync.shots`): nearest-frame resampling and scenedetect 0.5.1's cut rule."""

from __future__ import annotations

import numpy as np

from talkbench.metrics.sync.shots import detect_shots, resample_indices


def test_resample_indices_nearest_frame() -> None:
    np.testing.assert_array_equal(resample_indices(7, 25.0), np.arange(7))
    np.testing.assert_array_equal(resample_indices(10, 50.0), [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(resample_indices(12, 30.0), [0, 1, 2, 4, 5, 6, 7, 8, 10, 11])
    np.testing.assert_array_equal(resample_indices(3, 12.5), [0, 1, 1, 2, 2, 2])  # ties round up


def _flat(n: int, value: int, size: int = 32) -> np.ndarray:
    return np.full((n, size, size, 3), value, np.uint8)


def test_detect_shots_uses_the_scenedetect_051_cut_rule() -> None:
    black, white = 0, 255
    assert detect_shots(_flat(30, 90)) == [(0, 30)]
    assert detect_shots(np.concatenate([_flat(20, black), _flat(20, white)])) == [(0, 20), (20, 40)]
    # a cut 5 frames after the previous one is dropped (min_scene_len 15)
    flash = np.concatenate([_flat(10, black), _flat(5, white), _flat(25, black)])
    assert detect_shots(flash) == [(0, 10), (10, 40)]
    # the first cut may come before frame 15 (0.5.1; scenedetect 0.6's default filter would drop it)
    assert detect_shots(np.concatenate([_flat(3, black), _flat(30, white)])) == [(0, 3), (3, 33)]
