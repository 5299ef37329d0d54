"""Loizou's composite measures CSIG, CBAK, COVL (Hu & Loizou 2008; composite.m in
"Speech Enhancement: Theory and Practice"), re-implemented from the published algorithm.

composite.m, step by step (what this module does):

1. Truncate both signals to the shorter and add MATLAB's eps (2.2204e-16) to every sample.
2. Frame both with 30 ms windows, hop 7.5 ms (75 % overlap), MATLAB `hanning` (symmetric,
   no zero end points); the loops visit floor(N/hop − win/hop) frames.
3. LLR per frame: autocorrelation LPC (Levinson–Durbin) of order 10 below 10 kHz and 16
   otherwise (llr.m); LLR = log((a_p R_c a_pᵀ) / (a_c R_c a_cᵀ)) with R_c the clean frame's
   Toeplitz autocorrelation. Averaged over the best (lowest) 95 % of frames.
4. WSS per frame (Klatt 1982, wss.m): |FFT|² (n_fft = 2^nextpow2(2·win)) weighted by 25
   Gaussian critical-band filters (cut at −30 dB, area-normalised), dB energies floored at
   1e-10, spectral slopes, weights Kmax/(Kmax + dBmax − E) · Klocmax/(Klocmax + E_peak − E)
   (Kmax 20, Klocmax 1) averaged over clean and processed, weighted squared slope
   differences divided by the weight sum. Averaged over the best 95 % of frames.
5. Segmental SNR (snr.m): mean over all frames of the frame SNR clipped to [−10, 35] dB.
6. PESQ: wide-band (P.862.2) at 16 kHz (narrow-band when the input is 8 kHz).
7. Csig = 3.093 − 1.029·LLR + 0.603·PESQ − 0.009·WSS,
   Cbak = 1.634 + 0.478·PESQ − 0.007·WSS + 0.063·segSNR,
   Covl = 1.594 + 0.805·PESQ − 0.512·LLR − 0.007·WSS, each clipped to [1, 5].

The three metric classes share one computation per (pred, ref) pair: the last composite
result is memoised by the content of the checked arrays (blake2b digests, sample rate and
length), so scoring CSIG, CBAK and COVL of one utterance costs one pass.
"""

from __future__ import annotations

import hashlib
import math
import threading
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from talkbench.core.errors import InputError
from talkbench.metrics.speech.common import (
    EPS,
    FRAME_MS,
    SpeechMetric,
    Unavailable,
    best_fraction_mean,
    loizou_frames,
    loizou_framing,
    require_frames,
)
from talkbench.metrics.speech.pesq import NB_RATE, WB_RATE, run_pesq
from talkbench.metrics.speech.snr import SEGSNR_MAX_DB, SEGSNR_MIN_DB, segmental_snr, segmental_snr_frames

__all__ = [
    "CBAK", "COVL", "CSIG", "composite", "composite_from_measures", "llr", "llr_frames",
    "segmental_snr", "wss", "wss_frames",
]

BEST_FRACTION = 0.95
"""composite.m's alpha: LLR and WSS are averaged over the lowest 95 % of frame values."""

WSS_KMAX = 20.0
WSS_KLOCMAX = 1.0

# Klatt's 25 critical bands as tabulated in wss.m: centre frequency and bandwidth (Hz).
CRITICAL_BAND_CENTRES = np.array([
    50.0000, 120.000, 190.000, 260.000, 330.000, 400.000, 470.000, 540.000, 617.372, 703.378,
    798.717, 904.128, 1020.38, 1148.30, 1288.72, 1442.54, 1610.70, 1794.16, 1993.93, 2211.08,
    2446.71, 2701.97, 2978.04, 3276.17, 3597.63,
])
CRITICAL_BAND_WIDTHS = np.array([
    70.0000, 70.0000, 70.0000, 70.0000, 70.0000, 70.0000, 70.0000, 77.3724, 86.0056, 95.3398,
    105.411, 116.256, 127.914, 140.423, 153.823, 168.154, 183.457, 199.776, 217.153, 235.631,
    255.255, 276.072, 298.126, 321.465, 346.136,
])


# ----------------------------------------------------------------------------- LLR


def lpc_order(fs: int) -> int:
    """llr.m's LPC order: 10 below 10 kHz, 16 otherwise."""
    return 10 if fs < 10_000 else 16


def _autocorrelation(frames: np.ndarray, order: int) -> np.ndarray:
    """R[:, k] = Σ_n x[n]·x[n+k], k = 0..order, per frame."""
    n = frames.shape[1]
    out = np.empty((frames.shape[0], order + 1))
    for k in range(order + 1):
        out[:, k] = np.einsum("ij,ij->i", frames[:, : n - k], frames[:, k:])
    return out


def _levinson(r: np.ndarray, order: int) -> np.ndarray:
    """Prediction polynomials [1, −a_1, …, −a_p] per frame by Levinson–Durbin (llr.m's lpcoeff)."""
    frames = r.shape[0]
    a = np.zeros((frames, order))
    err = r[:, 0].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(order):
            acc = np.einsum("ij,ij->i", a[:, :i], r[:, i:0:-1]) if i else np.zeros(frames)
            k = (r[:, i + 1] - acc) / err
            if i:
                a[:, :i] = a[:, :i] - k[:, None] * a[:, i - 1::-1]
            a[:, i] = k
            err = (1.0 - k * k) * err
    return np.concatenate([np.ones((frames, 1)), -a], axis=1)


@lru_cache(maxsize=8)
def _toeplitz_index(size: int) -> np.ndarray:
    idx = np.arange(size)
    return np.abs(idx[:, None] - idx[None, :])


def llr_frames(ref: np.ndarray, deg: np.ndarray, fs: int) -> np.ndarray:
    """Per-frame log-likelihood ratio of `deg`'s LPC model against the clean `ref` (llr.m)."""
    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    n = require_frames(min(len(ref), len(deg)), fs, "LLR")
    order = lpc_order(fs)
    idx = _toeplitz_index(order + 1)
    out = np.empty(n)
    pos = 0
    for fr, fd in loizou_frames(ref, deg, fs):
        r_clean = _autocorrelation(fr, order)
        a_clean = _levinson(r_clean, order)
        a_proc = _levinson(_autocorrelation(fd, order), order)
        toeplitz = r_clean[:, idx]
        num = np.einsum("fi,fij,fj->f", a_proc, toeplitz, a_proc)
        den = np.einsum("fi,fij,fj->f", a_clean, toeplitz, a_clean)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[pos:pos + len(fr)] = np.log(num / den)
        pos += len(fr)
    return out


def llr(ref: np.ndarray, deg: np.ndarray, fs: int) -> float:
    """LLR of `deg` against `ref`: the mean of the lowest 95 % of frame LLRs (composite.m)."""
    return best_fraction_mean(llr_frames(ref, deg, fs), BEST_FRACTION)


# ----------------------------------------------------------------------------- WSS


def wss_fft_size(fs: int) -> int:
    """2^nextpow2(2·window length): 1024 at 16 kHz."""
    win, _ = loizou_framing(fs)
    return 1 << int(math.ceil(math.log2(2 * win)))


@lru_cache(maxsize=8)
def critical_band_filters(fs: int) -> np.ndarray:
    """The 25 Gaussian critical-band filters of wss.m over the first n_fft/2 FFT bins [25, n_fft/2].

    Each is exp(−11·((j − floor(f0))/bw)² + log(bw_min/bw_i)) with f0 and bw in bins, set
    to 0 below the −30 dB point exp(−30/(2·2.303)).
    """
    half = wss_fft_size(fs) // 2
    max_freq = fs / 2.0
    bw_min = CRITICAL_BAND_WIDTHS[0]
    min_factor = math.exp(-30.0 / (2.0 * 2.303))
    j = np.arange(half, dtype=np.float64)
    out = np.empty((len(CRITICAL_BAND_CENTRES), half))
    for i, (centre, width) in enumerate(zip(CRITICAL_BAND_CENTRES, CRITICAL_BAND_WIDTHS)):
        f0 = math.floor(centre / max_freq * half)
        bw = width / max_freq * half
        norm = math.log(bw_min) - math.log(width)
        filt = np.exp(-11.0 * ((j - f0) / bw) ** 2 + norm)
        out[i] = filt * (filt > min_factor)
    out.setflags(write=False)
    return out


def _band_energies_db(frames: np.ndarray, fs: int) -> np.ndarray:
    n_fft = wss_fft_size(fs)
    spec = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)[:, : n_fft // 2]) ** 2
    energy = spec @ critical_band_filters(fs).T
    return 10.0 * np.log10(np.maximum(energy, 1e-10))


def _nearest_peaks(energy: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """wss.m's "nearest peak" of each band i < 25, per frame.

    Rising slope at i: walk right while the slope stays positive; wss.m then takes the
    energy one band *before* where the walk stops (its loop ends one band past the last
    positive slope and indexes n−1). Falling or flat slope at i: walk left while the slope
    is ≤ 0 and take the band just after where the walk stops (the peak on the left).
    Kept exactly as in wss.m so values match the published tables.
    """
    frames, n_slopes = slope.shape
    rising = slope > 0
    # first index m >= i whose slope is <= 0, or n_slopes when there is none
    next_stop = np.empty((frames, n_slopes), dtype=np.int64)
    cur = np.full(frames, n_slopes, dtype=np.int64)
    for i in range(n_slopes - 1, -1, -1):
        cur = np.where(~rising[:, i], i, cur)
        next_stop[:, i] = cur
    # last index m <= i whose slope is > 0, or -1 when there is none
    prev_rise = np.empty((frames, n_slopes), dtype=np.int64)
    cur = np.full(frames, -1, dtype=np.int64)
    for i in range(n_slopes):
        cur = np.where(rising[:, i], i, cur)
        prev_rise[:, i] = cur
    band = np.where(rising, next_stop - 1, prev_rise + 1)
    return np.take_along_axis(energy, band, axis=1)


def wss_frames(ref: np.ndarray, deg: np.ndarray, fs: int) -> np.ndarray:
    """Per-frame weighted spectral slope distance (Klatt 1982, wss.m) of `deg` against `ref`."""
    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    n = require_frames(min(len(ref), len(deg)), fs, "WSS")
    out = np.empty(n)
    pos = 0
    for fr, fd in loizou_frames(ref, deg, fs):
        e_clean = _band_energies_db(fr, fs)
        e_proc = _band_energies_db(fd, fs)
        s_clean = np.diff(e_clean, axis=1)
        s_proc = np.diff(e_proc, axis=1)
        weights = []
        for energy, slope in ((e_clean, s_clean), (e_proc, s_proc)):
            peak = _nearest_peaks(energy, slope)
            lower = energy[:, :-1]
            w_max = WSS_KMAX / (WSS_KMAX + energy.max(axis=1, keepdims=True) - lower)
            w_loc = WSS_KLOCMAX / (WSS_KLOCMAX + peak - lower)
            weights.append(w_max * w_loc)
        w = (weights[0] + weights[1]) / 2.0
        out[pos:pos + len(fr)] = np.sum(w * (s_clean - s_proc) ** 2, axis=1) / np.sum(w, axis=1)
        pos += len(fr)
    return out


def wss(ref: np.ndarray, deg: np.ndarray, fs: int) -> float:
    """WSS of `deg` against `ref`: the mean of the lowest 95 % of frame distances (composite.m)."""
    return best_fraction_mean(wss_frames(ref, deg, fs), BEST_FRACTION)


# ----------------------------------------------------------------------------- composite


def _clip(x: float) -> float:
    return float(min(5.0, max(1.0, x)))


def composite_from_measures(llr: float, segsnr: float, wss: float, pesq: float) -> tuple[float, float, float]:
    """(Csig, Cbak, Covl) from the four measures, each clipped to [1, 5] (Hu & Loizou 2008)."""
    csig = 3.093 - 1.029 * llr + 0.603 * pesq - 0.009 * wss
    cbak = 1.634 + 0.478 * pesq - 0.007 * wss + 0.063 * segsnr
    covl = 1.594 + 0.805 * pesq - 0.512 * llr - 0.007 * wss
    return _clip(csig), _clip(cbak), _clip(covl)


def _pesq_mode(fs: int) -> str:
    if fs == WB_RATE:
        return "wb"
    if fs == NB_RATE:
        return "nb"
    raise InputError(f"composite measures need 16000 Hz (wide-band PESQ) or 8000 Hz audio, got {fs} Hz")


def composite_measures(ref: np.ndarray, deg: np.ndarray, fs: int = WB_RATE) -> dict[str, Any]:
    """LLR, WSS and segmental SNR of composite.m (no PESQ), after its truncation and eps."""
    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    n = min(len(ref), len(deg))
    r = ref[:n] + EPS
    d = deg[:n] + EPS
    frames = require_frames(n, fs, "composite measures")
    return {
        "llr": best_fraction_mean(llr_frames(r, d, fs), BEST_FRACTION),
        "wss": best_fraction_mean(wss_frames(r, d, fs), BEST_FRACTION),
        "segsnr": float(np.mean(segmental_snr_frames(r, d, fs))),
        "frames": frames,
    }


def composite(ref: np.ndarray, deg: np.ndarray, fs: int = WB_RATE) -> dict[str, Any]:
    """Csig, Cbak, Covl of `deg` against the clean `ref`, with the intermediates.

    Returns a dict with csig, cbak, covl, llr, wss, segsnr, pesq, pesq_mode ("wb" at
    16 kHz, "nb" at 8 kHz), lpc_order and frames. Raises Unavailable (with the
    intermediates in its details) when PESQ cannot score the pair.
    """
    fs = int(fs)
    mode = _pesq_mode(fs)
    ref = np.asarray(ref, dtype=np.float64)
    deg = np.asarray(deg, dtype=np.float64)
    n = min(len(ref), len(deg))
    measures = composite_measures(ref, deg, fs)
    info = {**measures, "pesq_mode": mode, "lpc_order": lpc_order(fs)}
    try:
        # PESQ reads the signals as given (composite.m passes the file names to pesq)
        pesq_value = run_pesq(ref[:n], deg[:n], fs, mode)
    except Unavailable as exc:
        raise Unavailable(f"composite needs PESQ: {exc.reason}", **info) from exc
    csig, cbak, covl = composite_from_measures(measures["llr"], measures["segsnr"], measures["wss"], pesq_value)
    return {"csig": csig, "cbak": cbak, "covl": covl, "pesq": pesq_value, **info}


# ----------------------------------------------------------------------------- shared memo

_MEMO_LOCK = threading.Lock()
_MEMO: tuple[tuple, dict[str, Any] | Unavailable] | None = None
_MEMO_STATS = {"hits": 0, "misses": 0}


def _digest(x: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(x).view(np.uint8), digest_size=16).hexdigest()


def clear_cache() -> None:
    """Forget the memoised composite result and reset the hit/miss counters."""
    global _MEMO
    with _MEMO_LOCK:
        _MEMO = None
        _MEMO_STATS.update(hits=0, misses=0)


def cache_info() -> dict[str, int]:
    """Hits and misses of the composite memo (misses = composite passes computed)."""
    with _MEMO_LOCK:
        return dict(_MEMO_STATS)


def shared_composite(ref: np.ndarray, deg: np.ndarray, fs: int) -> dict[str, Any]:
    """`composite(ref, deg, fs)`, memoised for the last pair (by content); Unavailable is memoised too."""
    global _MEMO
    key = (int(fs), len(ref), len(deg), _digest(ref), _digest(deg))
    with _MEMO_LOCK:
        if _MEMO is not None and _MEMO[0] == key:
            _MEMO_STATS["hits"] += 1
            result = _MEMO[1]
        else:
            _MEMO_STATS["misses"] += 1
            try:
                result = composite(ref, deg, fs)
            except Unavailable as exc:
                result = exc
            _MEMO = (key, result)
    if isinstance(result, Unavailable):
        raise Unavailable(result.reason, **result.details)
    return dict(result)


class _CompositeMetric(SpeechMetric):
    """One of Csig / Cbak / Covl; all three share one composite pass per utterance pair."""

    key: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    precision: ClassVar[int] = 2
    protocol: ClassVar[str] = (
        f"Loizou composite.m: {FRAME_MS} ms hanning frames, 75 % overlap; LLR (LPC 16 at 16 kHz) and WSS "
        f"(Klatt, 25 bands, Kmax 20, Klocmax 1) over the best {BEST_FRACTION:.0%} of frames; segSNR clipped to "
        f"[{SEGSNR_MIN_DB:g}, {SEGSNR_MAX_DB:g}] dB; wide-band PESQ at 16 kHz; clipped to [1, 5]"
    )

    def score(self, ref: np.ndarray, deg: np.ndarray, fs: int) -> tuple[float, dict[str, Any]]:
        result = shared_composite(ref, deg, fs)
        details = {k: result[k] for k in ("pesq_mode", "pesq", "llr", "wss", "segsnr", "lpc_order", "frames")}
        details["best_fraction"] = BEST_FRACTION
        return result[self.key], details


class CSIG(_CompositeMetric):
    """Composite signal-distortion rating (1..5) of Hu & Loizou."""

    name: ClassVar[str] = "csig"
    key: ClassVar[str] = "csig"
    display_name: ClassVar[str] = "CSIG"
    description: ClassVar[str] = "CSIG: composite signal distortion (Hu & Loizou 2008), wide-band PESQ"


class CBAK(_CompositeMetric):
    """Composite background-intrusiveness rating (1..5) of Hu & Loizou."""

    name: ClassVar[str] = "cbak"
    key: ClassVar[str] = "cbak"
    display_name: ClassVar[str] = "CBAK"
    description: ClassVar[str] = "CBAK: composite background intrusiveness (Hu & Loizou 2008), wide-band PESQ"


class COVL(_CompositeMetric):
    """Composite overall-quality rating (1..5) of Hu & Loizou."""

    name: ClassVar[str] = "covl"
    key: ClassVar[str] = "covl"
    display_name: ClassVar[str] = "COVL"
    description: ClassVar[str] = "COVL: composite overall quality (Hu & Loizou 2008), wide-band PESQ"
