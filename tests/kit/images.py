"""Random frames, noisy copies and Videos for the image-metric tests."""

from __future__ import annotations

import numpy as np

from talkbench.core.types import Video


def random_frames(seed: int, t: int = 5, h: int = 48, w: int = 40) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (t, h, w, 3), dtype=np.uint8)


def perturb(frames: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, sigma, frames.shape)
    return np.clip(frames.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def as_video(frames: np.ndarray, source: str) -> Video:
    return Video(frames=frames, fps=25.0, source=source)
