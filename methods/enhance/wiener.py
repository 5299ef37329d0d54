"""`wiener`: Wiener filter with the decision-directed a-priori SNR estimate (Ephraim & Malah 1984).

Per frame m and bin k, with noise PSD λ(k) and a-posteriori SNR γ = |Y|²/λ:

    ξ(k,m) = a·|Ŝ(k,m-1)|²/λ(k) + (1-a)·max(γ(k,m) - 1, 0),   ξ >= ξ_min
    G = max(ξ / (1 + ξ), G_min),   Ŝ = G·Y  (noisy phase)

λ comes from `noise_from` (methods/enhance/noise_estimate.py): the mean |Y|² of the leading frames (or of
the quietest stretch, or of the frames an energy VAD marks as noise; optionally then updated in frames that
a likelihood-ratio VAD, Sohn et al. 1999, on the same γ and ξ, marks as noise-only), or Martin's minimum
statistics tracked per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talkbench import dsp
from talkbench.core.errors import BenchError
from talkbench.core.config import MethodConfig, bounded, one_of
from talkbench.core.method import Enhancer
from talkbench.core.types import SAMPLE_RATE
from talkbench.methods.enhance.noise_estimate import NOISE_FROM, WHOLE_SIGNAL, estimate_noise, leading_frame_count, noise_offset
from talkbench.methods.enhance.specsub import check_framing


@dataclass
class WienerConfig(MethodConfig):
    """Decision-directed Wiener filter settings (defaults: the usual textbook values, ours for 16 kHz)."""

    n_fft: int = bounded(512, 2)
    """FFT size and window length in samples (512 = 32 ms at 16 kHz)."""
    hop: int = bounded(128, 1)
    """Hop between frames in samples (75 % overlap)."""
    window: str = "hann"
    """Analysis/synthesis window name (scipy.signal.get_window), periodic."""
    dd_alpha: float = bounded(0.98, 0, 1)
    """Decision-directed smoothing factor a (Ephraim-Malah's 0.98): higher = less musical noise, more lag."""
    xi_min_db: float = -25.0
    """Lower bound of the a-priori SNR ξ in dB (Cappé 1994's -25 dB)."""
    gain_floor: float = bounded(0.1, 0, 1)
    """Minimum gain G_min (linear; 0.1 = -20 dB): keeps a little noise instead of musical tones."""
    noise_seconds: float = bounded(0.25, 0)
    """With noise_from=leading (quietest): initial noise PSD = mean |Y|² over the frames inside the first (the
    quietest) `noise_seconds` (assumed speech-free)."""
    noise_frames: int = bounded(0, 0)
    """With noise_from=leading: if > 0, use exactly this many leading frames instead of `noise_seconds`."""
    noise_from: str = one_of("vad", *NOISE_FROM)
    """The noise PSD estimator (methods/enhance/noise_estimate.py): "vad" (per third-octave band, the mean over the frames
    an energy VAD marks as noise), "leading" (the textbook assumption: the first `noise_seconds` are noise only), "quietest"
    (the lowest-energy `noise_seconds` stretch) or "minstat" (Martin 2001's minimum statistics, tracked per frame).
    "vad" gave the highest ΔPESQ-WB of the four on real speech in white, pink and hum noise at 0-10 dB, whether or
    not the recording starts with noise alone (DESIGN.md, *Noise estimates*; benchmarks/denoise_noise_estimate.py)."""
    vad_update: bool = False
    """Also update the noise PSD in later frames the likelihood-ratio VAD marks as noise (tracks slowly varying
    noise; not with noise_from=minstat, which tracks already). Off by default: with stationary noise the initial
    estimate is already right and the VAD's misses on weak speech lowered SI-SDR gain by about 1.5 dB in our tests."""
    vad_threshold: float = bounded(0.15, 0)
    """VAD: a frame is noise when its mean log-likelihood ratio (Sohn 1999) is below this."""
    noise_smoothing: float = bounded(0.98, 0, 1)
    """VAD update: λ ← μ·λ + (1-μ)·|Y|² in noise frames, with μ this value."""

    def __post_init__(self) -> None:
        check_framing(self.n_fft, self.hop, self.window, "wiener")
        for name in ("dd_alpha", "gain_floor", "noise_smoothing"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise BenchError(f"wiener: {name} must be in [0, 1], got {getattr(self, name)}")
        leading_frame_count(1, self.n_fft, self.hop, SAMPLE_RATE, noise_frames=self.noise_frames, noise_seconds=self.noise_seconds)


def wiener_gains(power: np.ndarray, noise_psd: np.ndarray, cfg: WienerConfig) -> np.ndarray:
    """Decision-directed Wiener gains [frames, bins] for a noisy power spectrogram |Y|² (frame recursion).

    `noise_psd` is λ per bin [bins], or per frame and bin (a tracked estimate, which the VAD update then leaves alone).
    """
    a, xi_min, g_min, mu = cfg.dd_alpha, 10.0 ** (cfg.xi_min_db / 10.0), cfg.gain_floor, cfg.noise_smoothing
    tiny = 1e-10 * max(float(power.mean()), 1e-30)
    tracked = np.maximum(noise_psd, tiny) if noise_psd.ndim == 2 else None
    lam = tracked[0] if tracked is not None else np.maximum(noise_psd, tiny)
    gains = np.empty_like(power)
    prev = lam.copy()  # |Ŝ(k,-1)|² = λ: the first frame's ξ starts from a·1 (Cappé)
    for m in range(power.shape[0]):
        if tracked is not None:
            lam = tracked[m]
        gamma = power[m] / lam
        xi = a * prev / lam + (1.0 - a) * np.maximum(gamma - 1.0, 0.0)
        np.maximum(xi, xi_min, out=xi)
        g = np.maximum(xi / (1.0 + xi), g_min)
        gains[m] = g
        prev = g * g * power[m]
        if cfg.vad_update and tracked is None:
            llr = float(np.mean(gamma * xi / (1.0 + xi) - np.log1p(xi)))
            if llr < cfg.vad_threshold:
                lam = np.maximum(mu * lam + (1.0 - mu) * power[m], tiny)
    return gains


class Wiener(Enhancer):
    """Classical decision-directed Wiener filter (Ephraim-Malah a-priori SNR, gain floor, optional VAD noise update)."""

    name = "wiener"
    Config = WienerConfig

    def enhance(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Wiener-filter the STFT (noisy phase); float32 of the input's length."""
        cfg: WienerConfig = self.config  # type: ignore[assignment]
        spec = dsp.stft(audio, cfg.n_fft, cfg.hop, cfg.window)
        power = spec.real**2 + spec.imag**2
        first = min(noise_offset(audio, sample_rate, cfg.noise_from, cfg.noise_seconds) // cfg.hop, max(len(spec) - 1, 0))
        count = (leading_frame_count(len(spec) - first, cfg.n_fft, cfg.hop, sample_rate, noise_frames=cfg.noise_frames,
                                     noise_seconds=cfg.noise_seconds) if cfg.noise_from not in WHOLE_SIGNAL else 0)
        noise_psd = estimate_noise(np.sqrt(power), 2.0, cfg.noise_from, cfg.hop / sample_rate, first=first, count=count)
        spec *= wiener_gains(power, noise_psd, cfg)
        return dsp.istft(spec, cfg.n_fft, cfg.hop, cfg.window, length=len(audio)).astype(np.float32)
