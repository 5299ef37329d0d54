"""PSNR: per frame -10·log10(MSE) on float RGB in [0, 1], full frame, native resolution.

The papers' protocol (docs DESIGN.md): the reported value is the mean of the per-frame
PSNRs. Identical frames have MSE 0 and PSNR +inf; no epsilon is added, so a perfect
reconstruction is visible as such instead of as an arbitrary large number.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from talkbench.metrics.image.frames import PerFrameImageMetric, check_pair, chunks, frames_per_chunk, to_float

PROTOCOL = "per-frame -10log10(MSE), RGB [0,1], full frame, mean over frames"


def _mse_uint8(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-frame MSE of uint8 stacks in [0, 1] units, from an exact integer sum of squares."""
    out = np.empty(len(pred), dtype=np.float64)
    n_values = pred[0].size if len(pred) else 1
    for sl in chunks(len(pred), frames_per_chunk(*pred.shape[1:3], bytes_per_value=4)):
        diff = pred[sl].astype(np.int32) - ref[sl].astype(np.int32)
        sse = np.einsum("thwc,thwc->t", diff, diff, dtype=np.int64)
        out[sl] = sse / (n_values * 255.0 * 255.0)
    return out


def _mse_float(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-frame MSE of float stacks (already in [0, 1]), in float64."""
    out = np.empty(len(pred), dtype=np.float64)
    for sl in chunks(len(pred), frames_per_chunk(*pred.shape[1:3])):
        diff = to_float(pred[sl]) - to_float(ref[sl])
        out[sl] = np.mean(np.square(diff), axis=(1, 2, 3), dtype=np.float64)
    return out


def mse_per_frame(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-frame mean squared error of two [T, H, W, 3] stacks in [0, 1] units (float64 [T])."""
    p, r = check_pair(pred, ref)
    if p.dtype == np.uint8 and r.dtype == np.uint8:
        return _mse_uint8(p, r)
    return _mse_float(p, r)


def psnr_from_mse(mse: np.ndarray) -> np.ndarray:
    """-10·log10(MSE) for a data range of 1; MSE 0 gives +inf."""
    with np.errstate(divide="ignore"):
        return -10.0 * np.log10(np.asarray(mse, dtype=np.float64))


def psnr_per_frame(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-frame PSNR (dB, float64 [T]) of two RGB stacks, uint8 [T,H,W,3] or float in [0, 1].

    Computed over the full frame at native resolution; identical frames give +inf.
    Frames are processed in chunks so memory stays bounded for long clips.
    """
    return psnr_from_mse(mse_per_frame(pred, ref))


class PSNR(PerFrameImageMetric):
    """Peak signal-to-noise ratio (dB) against the ground-truth frames; the mean over frames."""

    name: ClassVar[str] = "psnr"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "PSNR"
    precision: ClassVar[int] = 2
    description: ClassVar[str] = "PSNR (dB), per-frame -10log10(MSE) on RGB [0,1], mean over frames"

    protocol: ClassVar[str] = PROTOCOL

    def per_frame(self, pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Per-frame PSNR (dB); +inf for identical frames."""
        return psnr_per_frame(pred, ref)
