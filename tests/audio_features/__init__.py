"""Tests of bench/audio_features/ (the extractors) and their helpers: test audio and the references' frame alignment."""

import numpy as np

from talkbench.core.types import SAMPLE_RATE


def speech(seconds: float, extra: int = 0, seed: int = 0) -> np.ndarray:
    """Speech-like test audio: a 180 Hz tone modulated at 3 Hz plus a little noise, `seconds` long plus `extra` samples."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE) + extra
    t = np.arange(n) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.05 * rng.standard_normal(n)).astype(np.float32)


def frames_for(audio: np.ndarray) -> int:
    """Video frames at 25 fps covering `audio` (at least one)."""
    return max(1, int(round(len(audio) / SAMPLE_RATE * 25)))


def per_frame(windows: np.ndarray, t: int) -> np.ndarray:
    """[N, W, D] at 25 per second -> [T, D, W], frame i taking window min(i, N - 1) (the official loaders)."""
    return windows[np.minimum(np.arange(t), len(windows) - 1)].transpose(0, 2, 1)
