"""Tests of metrics/sync/ (LSE-C / LSE-D: shots, tracks, crops, scoring, the pipeline, the metric classes)."""

import numpy as np


def textured_frames(n: int, size: int, seed: int) -> np.ndarray:
    """uint8 RGB frames: a fixed gradient and noise texture that brightens a little per frame (one shot)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) * (200.0 / size)
    base = np.stack([xx, yy, (xx + yy) / 2], axis=-1) + rng.normal(0, 20, (size, size, 3))
    out = [(base * (1 + 0.01 * k) + 0.5 * k).clip(0, 255) for k in range(n)]
    return np.stack(out).astype(np.uint8)


def marker_detector(image_rgb: np.ndarray) -> np.ndarray:
    """A face at (60, 60)-(116, 116) in frames whose top-left pixel is marked 255 in red."""
    if image_rgb[0, 0, 0] == 255:
        return np.array([[60.0, 60.0, 116.0, 116.0, 0.99]])
    return np.zeros((0, 5))
