"""SSIM with the Wang et al. 2004 settings, via scikit-image, per frame on float RGB in [0, 1].

Settings (skimage's "match the paper" recipe): an 11×11 Gaussian window with sigma 1.5,
population covariance (`use_sample_covariance=False`), K1=0.01, K2=0.03, data range 1.
Colour frames are scored per channel and the channel SSIMs averaged (`channel_axis=-1`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import numpy as np

from talkbench.metrics.image.frames import PerFrameImageMetric, check_pair, to_float

PROTOCOL = "Wang et al. 2004: gaussian window sigma 1.5, population covariance, RGB [0,1] per channel, mean over frames"

SSIM_SETTINGS = {
    "gaussian_weights": True,
    "sigma": 1.5,
    "use_sample_covariance": False,
    "data_range": 1.0,
    "channel_axis": -1,
}
"""The keyword arguments handed to skimage.metrics.structural_similarity."""


def ssim_frame(pred: np.ndarray, ref: np.ndarray) -> float:
    """SSIM of one pair of [H, W, 3] frames (uint8, or float in [0, 1])."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(to_float(pred), to_float(ref), **SSIM_SETTINGS))


def ssim_per_frame(pred: np.ndarray, ref: np.ndarray, workers: int | None = None) -> np.ndarray:
    """Per-frame SSIM (float64 [T]) of two RGB stacks, uint8 [T,H,W,3] or float in [0, 1].

    Frames are converted one at a time (memory stays bounded for long clips) and scored on
    `workers` threads (default: the CPU count, at most 8); scipy's filters release the GIL,
    and every frame is computed independently, so the values do not depend on `workers`.
    """
    p, r = check_pair(pred, ref)
    n = len(p)
    if workers is None:
        workers = min(8, os.cpu_count() or 1)
    workers = max(1, min(int(workers), n))
    if workers == 1:
        values = [ssim_frame(p[i], r[i]) for i in range(n)]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            values = list(pool.map(lambda i: ssim_frame(p[i], r[i]), range(n)))
    return np.array(values, dtype=np.float64)


class SSIM(PerFrameImageMetric):
    """Structural similarity against the ground-truth frames; the mean over frames."""

    name: ClassVar[str] = "ssim"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "SSIM"
    precision: ClassVar[int] = 4
    description: ClassVar[str] = "SSIM (Wang et al. 2004 settings, skimage), RGB [0,1], mean over frames"

    protocol: ClassVar[str] = PROTOCOL

    def per_frame(self, pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Per-frame SSIM."""
        return ssim_per_frame(pred, ref)

    def extra_details(self) -> dict[str, object]:
        """The reference implementation and its settings."""
        return {"implementation": "skimage.metrics.structural_similarity", "settings": dict(SSIM_SETTINGS)}
