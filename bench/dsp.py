"""Shared audio framing and STFT/ISTFT (one implementation for speech metrics and denoisers)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import get_window


def frame_signal(x: np.ndarray, frame_len: int, hop: int, pad_end: bool = False) -> np.ndarray:
    """Split a 1-D signal into frames [n_frames, frame_len] (a copy); `pad_end` zero-pads the last partial frame."""
    x = np.asarray(x)
    if pad_end:
        n_frames = max(1, int(np.ceil(max(len(x) - frame_len, 0) / hop)) + 1)
        x = np.pad(x, (0, max(0, (n_frames - 1) * hop + frame_len - len(x))))
    if len(x) < frame_len:
        return np.zeros((0, frame_len), dtype=x.dtype)
    return sliding_window_view(x, frame_len)[::hop].copy()


@lru_cache(maxsize=32)
def window(name: str, length: int) -> np.ndarray:
    """A periodic (DFT-even) analysis window, cached."""
    return get_window(name, length, fftbins=True).astype(np.float64)


def centered_slice(x: np.ndarray, lo: int, hi: int, pad: int) -> np.ndarray:
    """Samples [lo, hi) of `x` padded as `stft(center=True)` pads it: `pad` reflected samples on each
    side, then zeros up to a whole frame. Built per slice, so block processing never copies the whole signal."""
    n = len(x)
    if lo >= pad and hi <= pad + n:
        return x[lo - pad : hi - pad]
    j = np.arange(lo - pad, hi - pad)
    valid = j < n + pad
    if n <= pad:  # too short to reflect: zero padding
        valid &= (j >= 0) & (j < n)
    j = np.where(j < 0, -j, j)
    j = np.where(j >= n, 2 * (n - 1) - j, j)
    seg = np.zeros(hi - lo, dtype=x.dtype)
    seg[valid] = x[np.clip(j[valid], 0, max(n - 1, 0))]
    return seg


def stft(x: np.ndarray, n_fft: int, hop: int, win: str = "hann", center: bool = True) -> np.ndarray:
    """Complex STFT [frames, n_fft//2 + 1]; `center` pads n_fft//2 on both sides (reflect) like librosa."""
    x = np.asarray(x, dtype=np.float64)
    if center:
        pad = n_fft // 2
        n_frames = max(1, int(np.ceil(max(len(x) + 2 * pad - n_fft, 0) / hop)) + 1)
        x = centered_slice(x, 0, (n_frames - 1) * hop + n_fft, pad)
    frames = frame_signal(x, n_fft, hop, pad_end=True)
    return np.fft.rfft(frames * window(win, n_fft), axis=1)


def istft(spec: np.ndarray, n_fft: int, hop: int, win: str = "hann", length: int | None = None,
          center: bool = True) -> np.ndarray:
    """Inverse of `stft` by weighted overlap-add (normalised by the summed squared window)."""
    frames = np.fft.irfft(spec, n=n_fft, axis=1) * window(win, n_fft)
    n_frames = frames.shape[0]
    total = (n_frames - 1) * hop + n_fft
    out = np.zeros(total)
    norm = np.zeros(total)
    w2 = window(win, n_fft) ** 2
    if n_fft % hop == 0:
        # Fold in n_fft/hop strided passes instead of one add per frame.
        r = n_fft // hop
        blocks = frames.reshape(n_frames, r, hop)
        acc = np.zeros((n_frames + r - 1, hop))
        wacc = np.zeros((n_frames + r - 1, hop))
        wblocks = w2.reshape(r, hop)
        for j in range(r):
            acc[j:j + n_frames] += blocks[:, j]
            wacc[j:j + n_frames] += wblocks[j]
        out, norm = acc.ravel()[:total], wacc.ravel()[:total]
    else:
        for i in range(n_frames):
            out[i * hop:i * hop + n_fft] += frames[i]
            norm[i * hop:i * hop + n_fft] += w2
    out = out / np.where(norm > 1e-10, norm, 1.0)
    if center:
        out = out[n_fft // 2:]
    if length is not None:
        out = out[:length] if len(out) >= length else np.pad(out, (0, length - len(out)))
    return out


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (the Auditory Toolbox's, librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    return np.where(log_part, 15.0 + np.log(np.maximum(hz, 1000.0) / 1000.0) / (np.log(6.4) / 27.0), mel)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of `hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), hz)


@lru_cache(maxsize=8)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular mel filters [n_mels, n_fft//2 + 1] on Slaney's scale with Slaney's area normalisation (each filter
    divided by its width in Hz / 2): the filterbank of librosa.filters.mel's defaults, checked against it in the tests."""
    fmax = sample_rate / 2.0 if fmax is None else fmax
    bins = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    weights.setflags(write=False)  # cached and shared
    return weights
