"""`specsub`: single-scale spectral subtraction (Boll 1979, with Berouti et al. 1979's over-subtraction and floor)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talkbench import dsp
from talkbench.core.errors import BenchError
from talkbench.core.config import MethodConfig, bounded, one_of
from talkbench.core.method import Enhancer
from talkbench.core.types import SAMPLE_RATE
from talkbench.methods.enhance.noise_estimate import (NOISE_FROM, WHOLE_SIGNAL, estimate_noise, leading_frame_count,
                                                      noise_offset, noise_spectrum)


def check_framing(n_fft: int, hop: int, window: str, where: str) -> None:
    """Refuse a framing that `talkbench.dsp` cannot invert (BenchError naming `where`)."""
    if n_fft < 2 or hop < 1 or hop > n_fft:
        raise BenchError(f"{where}: need n_fft >= 2 and 1 <= hop <= n_fft, got n_fft={n_fft} hop={hop}")
    try:
        dsp.window(window, n_fft)
    except ValueError as exc:
        raise BenchError(f"{where}: unknown window {window!r} ({exc})") from exc


def check_subtraction(alpha: float, beta: float, power: float, where: str) -> None:
    """Refuse a negative over-subtraction factor, a floor outside [0, 1] or a non-positive exponent."""
    if alpha < 0:
        raise BenchError(f"{where}: alpha must be >= 0, got {alpha}")
    if not 0.0 <= beta <= 1.0:
        raise BenchError(f"{where}: beta must be in [0, 1], got {beta}")
    if power <= 0:
        raise BenchError(f"{where}: power must be > 0, got {power}")


def subtraction_gain(mag: np.ndarray, noise: np.ndarray, alpha: float, beta: float, power: float = 1.0,
                     *, inplace: bool = False) -> np.ndarray:
    """Real gain G with G·|S| = max(|S|^p − α·N_p, (β|S|)^p)^(1/p), applied to the complex noisy STFT.

    `mag` is |S| [frames, bins], `noise` the noise's E|N|^p per bin [bins] or per frame and bin. With p = 1
    and β = 0 this is MSS Eq. 1, max(|S| − α·Noise, 0), written as a gain so the noisy phase is
    kept without computing angles. Bins with |S| = 0 get gain β (their output is 0 either way).
    `inplace=True` computes the gain in `mag`'s buffer (no allocation on the hot path).
    """
    out = mag if inplace else np.empty_like(mag)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if power == 1.0:
            np.divide(alpha * noise, mag, out=out)
        elif power == 2.0:
            np.multiply(mag, mag, out=out)
            np.divide(alpha * noise, out, out=out)
        else:
            np.power(mag, power, out=out)
            np.divide(alpha * noise, out, out=out)
        np.subtract(1.0, out, out=out)
        # fmax ignores the NaN of 0/0 (silent bins with a zero noise estimate): those get the floor.
        np.fmax(out, beta if power == 1.0 else beta**power, out=out)
    if power == 2.0:
        np.sqrt(out, out=out)
    elif power != 1.0:
        np.power(out, 1.0 / power, out=out)
    return out


BLOCK_SAMPLES = 1 << 14
"""Signals longer than this (about 1 s at 16 kHz) are filtered in hop-aligned blocks of about this many
samples. The result equals whole-signal processing (same frames, same overlap-add sums, up to float
rounding); the blocks only keep the STFT arrays small (~0.5 MB): on whole 10 s signals, allocating and
first-touching the tens of MB that `talkbench.dsp` creates per scale cost about as much as the FFTs
themselves (MSS, 3 scales, 10 s: 47 ms whole vs 24-30 ms in blocks on our 2-core CPU)."""


def _apply_gain(spec: np.ndarray, noise: np.ndarray, alpha: float, beta: float, power: float) -> np.ndarray:
    spec *= subtraction_gain(np.abs(spec), noise, alpha, beta, power, inplace=True)
    return spec


def subtract_one_scale(
    audio: np.ndarray, sample_rate: int, n_fft: int, hop: int, window: str, alpha: float, beta: float, power: float,
    noise_frames: int, noise_seconds: float, *, block_samples: int | None = None, out: np.ndarray | None = None,
    noise_offset: int = 0, noise_from: str = "leading",
) -> np.ndarray:
    """Spectral subtraction at one STFT framing (`talkbench.dsp.stft`/`istft`, center=True), float64 of len(audio).

    With `out` (float64, len(audio)) the result is added into it and `out` is returned (MSS sums
    its scales this way). Short signals go through `dsp.stft`/`dsp.istft` whole. Longer ones are
    cut into blocks of frames: block [f0, f1) is analysed together with the r-1 frames before it
    (r = ceil(n_fft/hop)), so every output sample it keeps, [f0*hop, f1*hop) of the padded signal,
    receives exactly the frames (and squared-window normalisation) of whole-signal processing.
    `noise_from` chooses the estimator (`noise_estimate.NOISE_FROM`); "leading" and "quietest" average the frames
    starting at sample `noise_offset` (0: the leading frames). The estimators that read every frame ("minstat",
    "vad") filter the signal whole.
    """
    n = len(audio)
    block_samples = BLOCK_SAMPLES if block_samples is None else block_samples
    if out is None:
        out = np.zeros(n)
    if n <= max(block_samples, n_fft) or noise_from in WHOLE_SIGNAL:
        spec = dsp.stft(audio, n_fft, hop, window)
        first = min(noise_offset // hop, len(spec) - 1)
        count = (leading_frame_count(len(spec) - first, n_fft, hop, sample_rate, noise_frames=noise_frames,
                                     noise_seconds=noise_seconds) if noise_from not in WHOLE_SIGNAL else 0)
        mag = np.abs(spec)
        noise = estimate_noise(mag, power, noise_from, hop / sample_rate, first=first, count=count)
        spec *= subtraction_gain(mag, noise, alpha, beta, power, inplace=True)
        out += dsp.istft(spec, n_fft, hop, window, length=n)
        return out
    # dsp.stft(center=True)'s frame grid: n_fft//2 reflected samples each side (n > n_fft here),
    # then zeros up to a whole number of frames (frame_signal's pad_end).
    pad = n_fft // 2
    n_frames = int(np.ceil((n + 2 * pad - n_fft) / hop)) + 1
    total = (n_frames - 1) * hop + n_fft
    count = leading_frame_count(n_frames, n_fft, hop, sample_rate, noise_frames=noise_frames, noise_seconds=noise_seconds)
    start = min(noise_offset // hop, max(0, n_frames - count)) * hop
    lead = dsp.stft(dsp.centered_slice(audio, start, start + (count - 1) * hop + n_fft, pad), n_fft, hop, window, center=False)
    noise = noise_spectrum(np.abs(lead), count, power)
    context = -(-n_fft // hop) - 1
    per_block = max(context + 1, block_samples // hop)
    for f0 in range(0, n_frames, per_block):
        f1 = min(n_frames, f0 + per_block)
        a = max(0, f0 - context)
        seg = dsp.centered_slice(audio, a * hop, (f1 - 1) * hop + n_fft, pad)
        spec = _apply_gain(dsp.stft(seg, n_fft, hop, window, center=False), noise, alpha, beta, power)
        y = dsp.istft(spec, n_fft, hop, window, center=False)
        # keep padded samples [lo, hi) = original samples [lo - pad, hi - pad), clipped to [0, n)
        lo, hi = max(f0 * hop, pad), min(f1 * hop if f1 < n_frames else total, pad + n)
        if hi > lo:
            out[lo - pad : hi - pad] += y[lo - a * hop : hi - a * hop]
    return out


@dataclass
class SpecSubConfig(MethodConfig):
    """Single-scale spectral subtraction settings (defaults: ours, for 16 kHz speech)."""

    n_fft: int = bounded(512, 2)
    """FFT size and window length in samples (512 = 32 ms at 16 kHz)."""
    hop: int = bounded(128, 1)
    """Hop between frames in samples (75 % overlap)."""
    window: str = "hann"
    """Analysis/synthesis window name (scipy.signal.get_window), periodic."""
    alpha: float = bounded(3.0, 0)
    """Over-subtraction factor α (Berouti): α·noise spectrum is removed; 1 = Boll's plain subtraction.
    3 follows Berouti's rule α = 4 - 3·SNR/20 at about 7 dB input SNR (power subtraction)."""
    beta: float = bounded(0.02, 0, 1)
    """Spectral floor β: the output magnitude never drops below β·|noisy| (limits musical noise); 0 = none."""
    power: float = bounded(2.0, 0, low_open=True)
    """Exponent p of the subtraction domain: 2 = power subtraction (Boll/Berouti), 1 = magnitude (as MSS Eq. 1)."""
    noise_seconds: float = bounded(0.25, 0)
    """With noise_from=leading (quietest): noise spectrum = mean over the frames inside the first (the quietest)
    `noise_seconds` (assumed speech-free)."""
    noise_frames: int = bounded(0, 0)
    """With noise_from=leading: if > 0, use exactly this many leading frames instead of `noise_seconds`."""
    noise_from: str = one_of("vad", *NOISE_FROM)
    """The noise estimator (methods/enhance/noise_estimate.py): "vad" (per third-octave band, the mean over the frames
    an energy VAD marks as noise), "leading" (Boll's assumption: the first `noise_seconds` are noise only), "quietest"
    (the lowest-energy `noise_seconds` stretch) or "minstat" (Martin 2001's minimum statistics, tracked per frame).
    "vad" gave the highest ΔPESQ-WB of the four on real speech in white, pink and hum noise at 0-10 dB, whether or
    not the recording starts with noise alone (DESIGN.md, *Noise estimates*; benchmarks/denoise_noise_estimate.py)."""

    def __post_init__(self) -> None:
        check_framing(self.n_fft, self.hop, self.window, "specsub")
        check_subtraction(self.alpha, self.beta, self.power, "specsub")
        leading_frame_count(1, self.n_fft, self.hop, SAMPLE_RATE, noise_frames=self.noise_frames, noise_seconds=self.noise_seconds)


class SpecSub(Enhancer):
    """|Ŝ|^p = max(|S|^p − α·E[|N|^p], (β|S|)^p) with the noisy phase; the noise from `noise_from`."""

    name = "specsub"
    Config = SpecSubConfig

    def enhance(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Spectral subtraction at one framing; float32 of the input's length."""
        cfg: SpecSubConfig = self.config  # type: ignore[assignment]
        offset = noise_offset(audio, sample_rate, cfg.noise_from, cfg.noise_seconds)
        out = subtract_one_scale(audio, sample_rate, cfg.n_fft, cfg.hop, cfg.window, cfg.alpha, cfg.beta, cfg.power,
                                 cfg.noise_frames, cfg.noise_seconds, noise_offset=offset, noise_from=cfg.noise_from)
        return out.astype(np.float32)
