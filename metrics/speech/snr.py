"""Segmental SNR (Loizou's snr.m, as used by composite.m) and scale-invariant SDR (Le Roux et al. 2019).

Segmental SNR: 30 ms frames, 75 % overlap, MATLAB `hanning` window on both signals; per
frame 10·log10(E_clean / (E_noise + eps) + eps) with eps = 2.2204e-16, clipped to
[-10, 35] dB; the value is the mean over all frames (no frame selection). A frame where
the clean speech is digitally silent scores -10 dB, as in the original.

SI-SDR: both signals made zero-mean; the target is the projection of the estimate on the
reference; 10·log10(|target|² / |estimate − target|²). Identical signals give +inf (no
epsilon), like PSNR.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from talkbench.metrics.speech.common import (
    EPS,
    FRAME_MS,
    SpeechMetric,
    Unavailable,
    loizou_frames,
    require_frames,
)

SEGSNR_MIN_DB = -10.0
SEGSNR_MAX_DB = 35.0


def segmental_snr_frames(ref: np.ndarray, deg: np.ndarray, fs: int) -> np.ndarray:
    """Per-frame SNR (dB) of `deg` against the clean `ref`, clipped to [-10, 35] (snr.m)."""
    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    n = require_frames(min(len(ref), len(deg)), fs, "segmental SNR")
    out = np.empty(n)
    pos = 0
    for fr, fd in loizou_frames(ref, deg, fs):
        signal = np.einsum("ij,ij->i", fr, fr)
        diff = fr - fd
        noise = np.einsum("ij,ij->i", diff, diff)
        with np.errstate(divide="ignore"):
            snr = 10.0 * np.log10(signal / (noise + EPS) + EPS)
        out[pos:pos + len(fr)] = np.clip(snr, SEGSNR_MIN_DB, SEGSNR_MAX_DB)
        pos += len(fr)
    return out


def segmental_snr(ref: np.ndarray, deg: np.ndarray, fs: int) -> float:
    """Segmental SNR (dB): the mean of the clipped per-frame SNRs over all of Loizou's frames."""
    return float(np.mean(segmental_snr_frames(ref, deg, fs)))


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """Scale-invariant SDR (dB) of `est` against `ref` (Le Roux et al. 2019, zero-mean variant).

    +inf when `est` is an exact scaled copy of `ref`; Unavailable when the zero-mean
    reference or estimate carries no energy (SI-SDR is undefined then).
    """
    r = np.asarray(ref, dtype=np.float64)
    e = np.asarray(est, dtype=np.float64)
    n = min(len(r), len(e))
    r = r[:n] - np.mean(r[:n])
    e = e[:n] - np.mean(e[:n])
    ref_energy = float(np.dot(r, r))
    if ref_energy == 0.0:
        raise Unavailable("SI-SDR: the reference has no energy once its mean is removed")
    if not np.any(e):
        raise Unavailable("SI-SDR: the estimate has no energy once its mean is removed (silent or constant)")
    alpha = float(np.dot(e, r)) / ref_energy
    target = alpha * r
    residual = e - target
    target_energy = float(np.dot(target, target))
    residual_energy = float(np.dot(residual, residual))
    if residual_energy == 0.0:
        return math.inf
    if target_energy == 0.0:
        return -math.inf
    return 10.0 * math.log10(target_energy / residual_energy)


class SegSNR(SpeechMetric):
    """Segmental SNR (dB) as in Loizou's snr.m / composite.m: 30 ms frames, clipped to [-10, 35] dB."""

    name: ClassVar[str] = "segsnr"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "SegSNR"
    precision: ClassVar[int] = 2
    description: ClassVar[str] = "segmental SNR (dB), Loizou snr.m: 30 ms Hann frames, 75 % overlap, clipped to [-10, 35]"
    protocol: ClassVar[str] = (
        f"Loizou snr.m: {FRAME_MS} ms hanning frames, 75 % overlap, per-frame SNR clipped to "
        f"[{SEGSNR_MIN_DB:g}, {SEGSNR_MAX_DB:g}] dB, mean over all frames"
    )

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        frames = segmental_snr_frames(ref, deg, fs)
        return float(np.mean(frames)), {"frames": int(len(frames)), "unit": "dB"}


class SISDR(SpeechMetric):
    """Scale-invariant signal-to-distortion ratio (dB), zero-mean (Le Roux et al. 2019)."""

    name: ClassVar[str] = "si_sdr"
    higher_is_better: ClassVar[bool] = True
    display_name: ClassVar[str] = "SI-SDR"
    precision: ClassVar[int] = 2
    description: ClassVar[str] = "scale-invariant SDR (dB), zero-mean signals (Le Roux et al. 2019)"
    protocol: ClassVar[str] = "SI-SDR, zero-mean, projection of the estimate on the reference, whole utterance"

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        return si_sdr(ref, deg), {"zero_mean": True, "unit": "dB"}
